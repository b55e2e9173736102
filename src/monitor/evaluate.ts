import { diffSchemas, schemaFingerprint, type Profile, type Report } from '../contract/index.js';
import { dict, own } from '../dict.js';
import {
  DRIFT_NOISE_MIN_RUNS,
  DRIFT_NOISE_TAIL_P,
  DRIFT_NOISE_Z,
  effectiveRules,
  type ColumnMetrics,
  type LongHorizonMetrics,
  type QuantileHorizon,
  type DriftMetrics,
  type ScaleShift,
  type Finding,
  type NodeRunMetrics,
  type RuleSet,
} from '../rules/index.js';
import { chi2Ppf } from '../stats/gamma.js';
import { judgeRepeats, repeatShare } from '../stats/repeats.js';
import { KllDoublesSketch, decodedSketch, peekDecodedSketch, shareDecodedSketch } from '../sketch/index.js';
import {
  compareCategorical,
  detectSeasonality,
  driftEvidence,
  FrequentBounds,
  ks2samp,
  mad,
  median,
  pushSeasonal,
  rowExpectations,
  pushMonthEdge,
  pushWeekdayLevel,
  weekdayBaseExpected,
  edgeLabels,
  MONTH_EDGE_RUNS,
  youngMonthEdge,
  youngHour,
  youngWeek,
  runsDaily,
  seasonSlot,
} from '../stats/index.js';
import { compositeKey } from '../keys.js';
import {
  THROUGH_MAX_GROUPS,
  THROUGH_MAX_INPUTS,
  groupFit,
  throughExpectation,
  throughPoint,
  type InputRows,
} from '../stats/pass-through.js';
import {
  BaselineCache,
  epochGeometry,
  epochOfRun,
  epochPrefix,
  learnEpoch,
  slotSketch,
  windowRuns,
  type BaselineEpoch,
} from './baseline-epochs.js';
import type { CompiledCoreOptions } from './options.js';
import {
  newDatasetBaseline,
  CONTENT_CHANGES_CAP,
  CONTENT_RECENT,
  pushBounded,
  type ColumnBaseline,
  type ColumnState,
  COLUMN_STATES_KEPT,
  type DatasetBaseline,
  type DatasetSummary,
  type HorizonState,
  HORIZON_QUANTILES,
  HORIZON_QUANTILE_STATE,
  type NodeState,
  type SlotColumn,
} from './state.js';

export { BaselineCache };

/**
 * Rule `persistence`: a finding of a rule with persistence N > 1 stands only when its rule (and
 * column, dataset) also fired on the node's N - 1 runs before; until then it is pending. The streaks
 * live in the node's state, so the decision is the same after a restart or in a replay. Returns the
 * findings that stand and how many are pending.
 */
export function applyPersistence(
  set: RuleSet,
  node: NodeState,
  findings: readonly Finding[],
): { findings: Finding[]; pending: number } {
  const before = node.streaks;
  const next = dict<number>();
  const kept: Finding[] = [];
  let pending = 0;
  for (const f of findings) {
    const target = {
      pipeline: node.pipeline,
      node: node.node,
      ...(f.column !== undefined ? { column: f.column } : {}),
    };
    const n = effectiveRules(set, target).rules.find((r) => r.id === f.rule)?.persistence ?? 1;
    if (n <= 1) {
      kept.push(f);
      continue;
    }
    const key = compositeKey(f.rule, f.column ?? '', typeof f.details?.dataset === 'string' ? f.details.dataset : '');
    const streak = (own(before, key) ?? 0) + 1;
    next[key] = Math.min(streak, n);
    if (streak >= n) kept.push(f);
    else pending++;
  }
  if (Object.keys(next).length > 0) node.streaks = next;
  else delete node.streaks;
  return { findings: kept, pending };
}

/** A step CDF: sorted points (repeats allowed) with the cumulative weight at each. */
interface Steps {
  points: Float64Array;
  cumulative: Float64Array;
  n: number;
  rankError: number;
}

function sketchSteps(s: KllDoublesSketch): Steps {
  const v = s.sortedView();
  return {
    points: v.items,
    cumulative: v.cumulativeWeights,
    n: v.totalWeight,
    rankError: s.normalizedRankError(false),
  };
}

function sampleSteps(values: ArrayLike<number>): Steps {
  const points = Float64Array.from(values)
    .filter((x) => !Number.isNaN(x))
    .sort();
  const cumulative = new Float64Array(points.length);
  for (let i = 0; i < points.length; i++) cumulative[i] = i + 1;
  return { points, cumulative, n: points.length, rankError: 0 };
}

/** A run's step CDF from its sketch (decoded once per report) or its sample; undefined when it has neither. */
function runSteps(col: { sketch?: { data: string }; sample?: number[] }): Steps | undefined {
  if (col.sketch) {
    // Decoded once per report (validation decoded it already: sketch/shared.ts); read-only.
    const s = decodedSketch(col.sketch, col.sketch.data);
    return s.isEmpty ? undefined : sketchSteps(s);
  }
  return col.sample && col.sample.length > 0 ? sampleSteps(col.sample) : undefined;
}

/** The value at quantile level p of a step CDF (the first point whose cumulative weight reaches p n). */
function stepQuantile(s: Steps, p: number): number {
  const target = p * s.n;
  const cum = s.cumulative;
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return s.points[lo]!;
}

/** The share of a step CDF's weight at or below x (`inclusive`), or strictly below it. */
function stepRank(s: Steps, x: number, inclusive = true): number {
  const points = s.points;
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (inclusive ? !(x < points[mid]!) : points[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 0 : s.cumulative[lo - 1]! / s.n;
}

/** Quantile levels at which a run's scale is compared with its baseline's (see {@link scaleShift}). */
const SCALE_LEVELS = Array.from({ length: 49 }, (_, i) => (i + 1) / 50);

/** The quantiles of a step CDF at {@link SCALE_LEVELS} (one pass: the levels ascend). */
function stepQuantiles(s: Steps): Float64Array {
  const out = new Float64Array(SCALE_LEVELS.length);
  let i = 0;
  for (let k = 0; k < SCALE_LEVELS.length; k++) {
    const target = SCALE_LEVELS[k]! * s.n;
    while (i < s.points.length - 1 && s.cumulative[i]! < target) i++;
    out[k] = s.points[i]!;
  }
  return out;
}

/**
 * How far a run's values moved in scale from its baseline's: the mean, over the quantile levels 2%..98%, of
 * the distance from g(run quantile) to the g of the baseline's quantiles within {@link SCALE_RANK_TOLERANCE}
 * levels of it (0 between them), where g(x) = sign(x) log10(1 + |x| / m) and m is the baseline's median
 * magnitude (at least its interquartile range, at least 1e-12); below a one-signed column's smallest common
 * magnitude, g goes down one order of magnitude per order ({@link smallestMagnitude}, {@link SCALE_LOW_DECADES}):
 * orders of magnitude, averaged over the rows (docs/statistics.md, "Values that moved in scale"). KS counts the
 * rows that moved and not how far: a rate inverted for the fifth of payments in other currencies (a yen rate of
 * 160 instead of 0.0062) or power meters reported in kW instead of W (a tenth of a rollup's devices, 1,000 times
 * smaller) is a KS D of 0.1-0.2, inside the columns' usual movement, while their
 * rows moved by 2 to 4 orders of magnitude: a scale shift of 0.2-0.3. Rows that moved within their own order
 * of magnitude add little. Also the largest distance at one level (`most`). Undefined for an empty side.
 */
export function scaleShift(a: Steps, b: Steps): ScaleShift | undefined {
  if (a.n === 0 || b.n === 0 || a.points.length === 0 || b.points.length === 0) return undefined;
  const qa = stepQuantiles(a);
  const qb = stepQuantiles(b);
  const mid = SCALE_LEVELS.length >> 1;
  const q1 = Math.round(SCALE_LEVELS.length / 4) - 1;
  const q3 = SCALE_LEVELS.length - 1 - q1;
  const m = Math.max(Math.abs(qb[mid]!), qb[q3]! - qb[q1]!, 1e-12);
  const g = (x: number) => Math.sign(x) * Math.log10(1 + Math.abs(x) / m);
  // Below a one-signed column's smallest common magnitude, one order of magnitude per order of magnitude.
  const least = smallestMagnitude(qb, m);
  const fine = least === undefined ? g : belowLeast(g, least, m);
  const last = qa.length - 1;
  let sum = 0;
  let most = 0;
  for (let k = 0; k <= last; k++) {
    const x = qa[k]!;
    const lo = qb[Math.max(0, k - SCALE_RANK_TOLERANCE)]!;
    const hi = qb[Math.min(last, k + SCALE_RANK_TOLERANCE)]!;
    // Below the median magnitude only between values of one sign: a share at 0 (or across it) that grew is a
    // move of rows, KS's to judge, not of magnitudes.
    const h = x !== 0 && (lo > 0 ? x > 0 : hi < 0 && x < 0) ? fine : g;
    const gx = h(x);
    const glo = h(lo);
    const ghi = h(hi);
    const step = gx < glo ? glo - gx : gx > ghi ? gx - ghi : 0;
    sum += step;
    if (step > most) most = step;
  }
  const shift = sum / qa.length;
  if (!Number.isFinite(shift) || !Number.isFinite(most)) return undefined;
  const at = (q: Float64Array) => [q[4]!, q[mid]!, q[44]!] as [number, number, number];
  return { shift, most, baseline: at(qb), current: at(qa) };
}

/**
 * Orders of magnitude below a one-signed column's smallest common magnitude (its baseline's nonzero quantile
 * nearest 0 among the 2%..98% levels) that still count in full in {@link scaleShift}.
 */
export const SCALE_LOW_DECADES = 3;

/**
 * How many quantile levels (of 2% each) a run's quantile may be compared across in {@link scaleShift}: a share
 * of rows that moved between the baseline's own values (a day with fewer yen payments: the 2% quantile is a
 * krona rate, not a yen rate) is a move of rows, KS's to judge; a value the baseline did not hold within 4% of
 * its rank is a move in scale.
 */
export const SCALE_RANK_TOLERANCE = 2;

/**
 * How many orders of magnitude a one-signed column's common values (its quantiles 2%..98%) must span for its
 * values below the smallest of them to count in orders of magnitude ({@link smallestMagnitude}): money, power,
 * durations, rates across currencies. An hour of the day (1 to 23), a count of 1 to 5, a temperature of 10 to 35
 * is a range, not magnitudes: a run of early hours against a window of afternoons is rows that moved.
 */
export const SCALE_MAGNITUDE_SPAN = 2;

/**
 * A one-signed baseline's smallest common magnitude (its 2% quantile at or above 0, or its 98% at or below 0):
 * its nonzero quantile nearest 0, when that is below m and its common values span {@link SCALE_MAGNITUDE_SPAN}
 * orders of magnitude. Undefined for a column that crosses 0 (orders of magnitude mean nothing around 0: its
 * moves are measured against m alone), one of a narrower range, or whose quantiles are all 0.
 */
function smallestMagnitude(qb: Float64Array, m: number): number | undefined {
  const last = qb.length - 1;
  if (qb[0]! < 0 && qb[last]! > 0) return undefined;
  let smallest = Infinity;
  for (let k = 0; k <= last; k++) {
    const v = Math.abs(qb[k]!);
    if (v > 0 && v < smallest) smallest = v;
  }
  const largest = Math.max(Math.abs(qb[0]!), Math.abs(qb[last]!));
  return smallest < m && largest >= smallest * 10 ** SCALE_MAGNITUDE_SPAN ? smallest : undefined;
}

/** g below `least`: on from g(least), down one order of magnitude per order, to {@link SCALE_LOW_DECADES} below it. */
function belowLeast(g: (x: number) => number, least: number, m: number): (x: number) => number {
  const atLeast = Math.log10(1 + least / m);
  const floor = least / 10 ** SCALE_LOW_DECADES;
  return (x) => {
    const a = Math.abs(x);
    return a >= least ? g(x) : Math.sign(x) * (atLeast - Math.log10(least / Math.max(a, floor)));
  };
}

/**
 * sup |Fa - Fb| over both step functions in one linear pass (the same D as stats' ksSummaries, which
 * binary-searches each point; this runs on every numeric column of every report).
 */
export function ksSteps(a: Steps, b: Steps): number {
  const pa = a.points;
  const pb = b.points;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < pa.length || j < pb.length) {
    const t = j >= pb.length || (i < pa.length && pa[i]! <= pb[j]!) ? pa[i]! : pb[j]!;
    while (i < pa.length && pa[i]! <= t) i++;
    while (j < pb.length && pb[j]! <= t) j++;
    const fa = i === 0 ? 0 : a.cumulative[i - 1]! / a.n;
    const fb = j === 0 ? 0 : b.cumulative[j - 1]! / b.n;
    const diff = Math.abs(fa - fb);
    if (diff > d) d = diff;
  }
  return d;
}

/** The share of a step CDF at or below t (`strict`: below t). */
function shareAt(s: Steps, t: number, strict = false): number {
  let lo = 0;
  let hi = s.points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (strict ? s.points[mid]! < t : s.points[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 0 : s.cumulative[lo - 1]! / s.n;
}

/** A fill value (a point mass at the median) holds at least this share of the column on both sides. */
export const FILL_ATOM_SHARE = 0.1;
/**
 * ... and at most this share: the rest of the column is there to show that nothing else moved (a column that
 * is mostly one value, a per-run constant, a flag, changed its value: that is not a fill following anything).
 */
export const FILL_ATOM_MAX = 0.75;
/** At most this share of either side lies strictly between the two fill values (they are neighbours). */
export const FILL_BETWEEN_SHARE = 0.05;
/** Outside the two fill values the distributions differ by at most this fraction of the statistic. */
export const FILL_OUTSIDE = 0.25;

/**
 * Whether a drift is a median fill that followed its median (docs/statistics.md, "A fill value that follows
 * the median"): `fillna(median)` puts the rows without a value at the column's median, a point mass there;
 * when the median moves to the next value (a discrete feature's median from 2 to 3), that mass moves with it,
 * a quarter of the rows at once, while nothing else changes. Both medians are point masses (at least
 * {@link FILL_ATOM_SHARE}, at most {@link FILL_ATOM_MAX}), next to each other (at most
 * {@link FILL_BETWEEN_SHARE} of either side strictly between them), and outside them the step CDFs differ by
 * at most {@link FILL_OUTSIDE} of the statistic `d` (how much they do is returned as `rest`). A fill moved to
 * another value (0, -1, a sentinel away from the median) is not: the median stays, or values lie between.
 */
export function fillFollowedMedian(
  current: Steps,
  base: Steps,
  d: number,
): { from: number; to: number; rest: number } | undefined {
  const to = quantileOf(current, 0.5);
  const from = quantileOf(base, 0.5);
  if (!(to !== from && Number.isFinite(to) && Number.isFinite(from))) return undefined;
  const atomNow = shareAt(current, to) - shareAt(current, to, true);
  const atomThen = shareAt(base, from) - shareAt(base, from, true);
  if (atomNow < FILL_ATOM_SHARE || atomThen < FILL_ATOM_SHARE) return undefined;
  if (atomNow > FILL_ATOM_MAX || atomThen > FILL_ATOM_MAX) return undefined;
  const lo = Math.min(from, to);
  const hi = Math.max(from, to);
  for (const s of [current, base]) if (shareAt(s, hi, true) - shareAt(s, lo) > FILL_BETWEEN_SHARE) return undefined;
  // sup |Fc - Fb| at every step point outside [lo, hi) (the two fills' own interval is where they moved).
  const limit = FILL_OUTSIDE * d;
  let rest = 0;
  for (const s of [current, base])
    for (let i = 0; i < s.points.length; i++) {
      const t = s.points[i]!;
      if (t >= lo && t < hi) continue;
      const diff = Math.abs(shareAt(current, t) - shareAt(base, t));
      if (diff > limit) return undefined;
      if (diff > rest) rest = diff;
    }
  return { from, to, rest };
}

/** The value at cumulative share p of a step CDF (the smallest point whose weight reaches it). */
function quantileOf(s: Steps, p: number): number {
  const target = p * s.n;
  let lo = 0;
  let hi = s.points.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s.cumulative[mid]! >= target) hi = mid;
    else lo = mid + 1;
  }
  return s.points[lo]!;
}

/** Largest share of a run's values on one value for its shape to be compared (see {@link robustScale}). */
export const SHAPE_MAX_ATOM = 0.02;

/** The largest share of the weight on a single value. */
function largestAtom(s: Steps): number {
  let best = 0;
  let prev = 0;
  let i = 0;
  while (i < s.points.length) {
    let j = i;
    while (j + 1 < s.points.length && s.points[j + 1] === s.points[i]) j++;
    best = Math.max(best, s.cumulative[j]! - prev);
    prev = s.cumulative[j]!;
    i = j + 1;
  }
  return s.n > 0 ? best / s.n : 0;
}

/**
 * Robust location and scale of a step CDF: its median and interquartile range. Undefined when that is 0, or
 * when a single value holds more than {@link SHAPE_MAX_ATOM} of the weight: the quartiles of a discrete column
 * (a count from 1 to 10) jump from one value to the next with a small move of share, so its shape is compared
 * as it is.
 */
function robustScale(s: Steps): { at: number; scale: number } | undefined {
  if (s.points.length === 0 || largestAtom(s) > SHAPE_MAX_ATOM) return undefined;
  const scale = quantileOf(s, 0.75) - quantileOf(s, 0.25);
  return scale > 0 && Number.isFinite(scale) ? { at: quantileOf(s, 0.5), scale } : undefined;
}

/** The step CDF of (x - at) / scale: the same weights, the points moved (their order kept: scale > 0). */
function rescaled(s: Steps, r: { at: number; scale: number }): Steps {
  const points = new Float64Array(s.points.length);
  for (let i = 0; i < points.length; i++) points[i] = (s.points[i]! - r.at) / r.scale;
  return { ...s, points };
}

/** Share of rows (lower bound) at which a value the baseline never listed makes a healthy run one with a fresh value. */
export const FRESH_VALUE_SHARE = 0.005;
/** Share of a categorical column's recent healthy runs with a fresh value from which its values come and go. */
export const TURNOVER_RATE = 0.1;

/** Whether a categorical comparison shows a value the baseline never listed, at {@link FRESH_VALUE_SHARE} or more. */
export function freshValueIn(d: DriftMetrics): boolean {
  return (d.candidates ?? []).some((c) => c.change === 'appeared' && c.current[0] >= FRESH_VALUE_SHARE);
}

/**
 * Whether a categorical column's values come and go in its healthy runs (campaign codes, promotions, weekly
 * labels, a rotating set of SKUs): at least one of its recent healthy runs (the baseline window) and at
 * least {@link TURNOVER_RATE} of them brought a value the baseline had never listed. For such a column a value
 * appearing or vanishing is its normal life, not a finding by itself (the categorical analogue of a key column's
 * fresh range); its distribution is still judged by total variation against its noise band. A column whose
 * values have been stable (an event type, a country, a channel) keeps the appearance test: a new `scroll` at 2%
 * alerts. Given up: a new or lost value in a column of the first kind, unless it moves the distribution.
 */
export function valuesComeAndGo(c: ColumnBaseline | undefined, healthyRuns: number): boolean {
  const runs = c?.fresh_runs;
  if (!c || !runs || runs.length === 0) return false;
  // The recent healthy runs: as many as the column's null-ratio history keeps (the baseline window).
  const span = Math.min(c.null_ratios.length, healthyRuns);
  const recent = runs.filter((r) => r > healthyRuns - span).length;
  return recent > 0 && recent >= TURNOVER_RATE * span;
}

/**
 * The null ratios of a column's healthy runs on UTC weekday `dow` (null_days aligned with the end of
 * null_ratios), oldest first.
 */
function weekdayHistory(c: ColumnBaseline, dow: number): number[] {
  return c.null_ratios.filter((_, i) => nullDay(c, i) === dow);
}

/** The UTC weekday of the run of `c.null_ratios[i]` (null_days is aligned with its end), undefined if not known. */
function nullDay(c: ColumnBaseline, i: number): number | undefined {
  const days = c.null_days;
  if (!days) return undefined;
  const j = i + days.length - c.null_ratios.length;
  return j >= 0 ? days[j] : undefined;
}

/**
 * Each healthy run's null ratio less its weekday's median (less `base`, the median of all, for runs whose day
 * is not known): the column's own noise around its weekday levels.
 */
function weekdayResiduals(c: ColumnBaseline, base: number): number[] {
  const levels = new Map<number, number>();
  return c.null_ratios.map((r, i) => {
    const day = nullDay(c, i);
    if (day === undefined) return r - base;
    let level = levels.get(day);
    if (level === undefined) levels.set(day, (level = median(weekdayHistory(c, day))));
    return r - level;
  });
}

/** Healthy runs in a row with one mean before a column counts as normalized per run. */
export const PINNED_MEAN_RUNS = 3;

/** Whether two means are the same to a millionth of the column's range (at least of 1). */
function sameMean(a: number, b: number, range: [number, number] | undefined): boolean {
  const width = range ? Math.abs(range[1] - range[0]) : 0;
  return Math.abs(a - b) <= 1e-6 * Math.max(1, width);
}

/** Learns a healthy run's mean into the column's pinned mean (see {@link normalizedPerRun}). */
export function learnPinnedMean(c: ColumnBaseline, mean: number, range: [number, number] | undefined): void {
  const p = c.pinned_mean;
  // A run whose values are all one (no range) says nothing about normalization.
  if (range !== undefined && range[0] === range[1]) return;
  if (p && sameMean(p[0], mean, range)) p[1] += 1;
  else c.pinned_mean = [mean, 1];
}

/**
 * Whether a numeric column is normalized by its producer run by run: its last {@link PINNED_MEAN_RUNS} healthy
 * runs or more and this one all have the same mean, to a millionth of the range (a standardized feature,
 * z-scores: mean 0 every run; or any per-run centering). Such a column's location and scale are set by each
 * run's own statistics, so one outlier that widens a run's standard deviation compresses every other value:
 * against the pooled baseline, KS sees the whole column move (on the pandas set, D of 0.17-0.40 on healthy
 * runs of a standardized spend feature against a usual 0.03-0.09). It is compared by shape instead: each side
 * at its own median and interquartile range. Given up: a change of such a column's scale alone (a step that
 * divides by the variance instead of the sd); a change of its shape, or the end of its normalization (the
 * mean no longer pinned: compared as it is), is still seen.
 */
export function normalizedPerRun(
  c: ColumnBaseline | undefined,
  mean: number,
  range: [number, number] | undefined,
): boolean {
  const p = c?.pinned_mean;
  return p !== undefined && p[1] >= PINNED_MEAN_RUNS && sameMean(p[0], mean, range);
}

function finite(x: number | null | undefined): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

type NumericBase = { kind: 'sketch'; sketch: KllDoublesSketch } | { kind: 'sample'; values: Float64Array };

/** A pinned reference run's column as a baseline distribution. */
function referenceNumeric(ref: SlotColumn | undefined): NumericBase | undefined {
  if (ref?.kind !== 'numeric') return undefined;
  if (ref.sketch) {
    const s = KllDoublesSketch.deserialize(new Uint8Array(Buffer.from(ref.sketch, 'base64')));
    return s.isEmpty ? undefined : { kind: 'sketch', sketch: s };
  }
  return ref.sample && ref.sample.length > 0 ? { kind: 'sample', values: Float64Array.from(ref.sample) } : undefined;
}

function numericDrift(
  base: NumericBase | undefined,
  col: { sketch?: { data: string }; sample?: number[] },
  /** Compare shapes: each side at its own median and interquartile range (a per-run normalized column). */
  shape = false,
  /** The run's step CDF when the caller built it already (the long horizon's quantile track). */
  runs?: Steps,
): DriftMetrics | undefined {
  if (!base) return undefined;
  // A per-run normalized column is compared by shape, each side at its own median and IQR; one that is not
  // comparable so (a discrete column, a zero interquartile range) is compared as it is.
  const steps = shape ? stepsOf(base, col, runs) : undefined;
  if (steps) {
    const a = robustScale(steps.current);
    const b = robustScale(steps.base);
    if (a !== undefined && b !== undefined)
      return stepsDrift(rescaled(steps.current, a), rescaled(steps.base, b), true);
  }
  if (col.sample && base.kind === 'sample') {
    if (col.sample.length === 0 || base.values.length === 0) return undefined;
    const r = ks2samp(col.sample, base.values);
    const ev = driftEvidence({ d: r.statistic, n1: col.sample.length, n2: base.values.length });
    // Each side's step function once, for the fill check and the scale shift.
    const current = runs && !col.sketch ? runs : sampleSteps(col.sample);
    const baseSteps = sampleSteps(base.values);
    const fill = r.statistic >= FILL_CHECKED_FROM ? fillFollowedMedian(current, baseSteps, r.statistic) : undefined;
    const scale = scaleShift(current, baseSteps);
    return {
      ...(scale ? { scale } : {}),
      test: 'ks',
      statistic: r.statistic,
      effect: ev.effect,
      pvalue: r.pvalue,
      n_current: col.sample.length,
      n_baseline: base.values.length,
      ...(fill ? { fill_moved: fill } : {}),
    };
  }
  const both = steps ?? stepsOf(base, col, runs);
  if (!both) return undefined;
  const d = stepsDrift(both.current, both.base, false);
  const fill = d.statistic >= FILL_CHECKED_FROM ? fillFollowedMedian(both.current, both.base, d.statistic) : undefined;
  const scale = scaleShift(both.current, both.base);
  return { ...d, ...(fill ? { fill_moved: fill } : {}), ...(scale ? { scale } : {}) };
}

/**
 * A content history after a healthy run that wrote `hash` (rule `unchanged`, docs/statistics.md, "Unchanged
 * content"): a change to a content not seen among the last {@link CONTENT_RECENT} extends the run of changes; a
 * repeat, or a return to one of those earlier contents (a registry whose devices go on and off, a table of a
 * few states), ends it. A feed that writes new rows every run (rates, events) never returns to an earlier
 * content; a table that does is one whose exact repeat is no sign of a stuck feed.
 */
function nextContent(prev: DatasetBaseline['content'], hash: string): NonNullable<DatasetBaseline['content']> {
  if (prev === undefined) return { hash, changed: 0 };
  if (prev.hash === hash) return { ...prev, changed: 0 };
  const recent = (prev.recent ?? []).filter((h) => h !== hash);
  const returned = recent.length < (prev.recent?.length ?? 0);
  recent.push(prev.hash);
  if (recent.length > CONTENT_RECENT) recent.splice(0, recent.length - CONTENT_RECENT);
  return { hash, changed: returned ? 0 : Math.min(prev.changed + 1, CONTENT_CHANGES_CAP), recent };
}

/** Statistics below this are not looked at for a moved fill (far below any effect floor: they are no finding). */
const FILL_CHECKED_FROM = 0.05;

/** The run's and the baseline's step CDFs (undefined when either is empty). */
function stepsOf(
  base: NumericBase,
  col: { sketch?: { data: string }; sample?: number[] },
  runs?: Steps,
): { current: Steps; base: Steps } | undefined {
  const current = runs ?? runSteps(col);
  if (!current) return undefined;
  const baseSteps = base.kind === 'sketch' ? sketchSteps(base.sketch) : sampleSteps(base.values);
  if (current.n === 0 || baseSteps.n === 0) return undefined;
  return { current, base: baseSteps };
}

/** KS between two step CDFs, with the effect's lower bound (rank and sampling error out). */
function stepsDrift(current: Steps, baseSteps: Steps, byShape: boolean): DriftMetrics {
  const d = ksSteps(current, baseSteps);
  const ev = driftEvidence({
    d,
    n1: current.n,
    n2: baseSteps.n,
    rankErrorA: current.rankError,
    rankErrorB: baseSteps.rankError,
  });
  return {
    test: 'ks',
    statistic: d,
    effect: ev.effect,
    pvalue: ev.pvalue,
    n_current: current.n,
    n_baseline: baseSteps.n,
    ...(byShape ? { by_shape: true } : {}),
  };
}

function categoricalDrift(
  base: FrequentBounds | undefined,
  col: { frequent?: Record<string, number>; other_count?: number },
): DriftMetrics | undefined {
  if (!base || !col.frequent) return undefined;
  const current = new FrequentBounds().add({ frequent: col.frequent, otherCount: col.other_count ?? 0 });
  const c = compareCategorical(base, current);
  if (!c) return undefined;
  return {
    test: 'chi2',
    statistic: c.tvdLower,
    // Decided on the bound (sketch bounds and sampling error out), as KS: a many-valued column's distance
    // between two healthy samples of a thousand rows is ~0.06 by chance alone.
    effect: Math.max(0, c.tvdLower - c.tvdSampling),
    pvalue: c.chi2.pvalue,
    n_current: c.nCurrent,
    n_baseline: c.nBaseline,
    shifts: c.shifts,
    candidates: c.candidates,
  };
}

/**
 * The metrics of one node-run against the node's healthy baseline: row count deviation (median/MAD),
 * schema change with its diff, per column null ratio and drift (KS on sketches or samples, chi-squared
 * and total variation on categories). The first dataset gives the row count and schema; every
 * dataset's columns are evaluated. `role` picks the outputs' or the inputs' baselines. What a run did
 * not measure is not evaluated: no datasets or no row count, no row count metric; no profile, no columns.
 */
export function evaluateProfile(
  report: Pick<Report, 'pipeline' | 'node' | 'run_id' | 'event_time' | 'status'>,
  datasets: readonly { dataset: string; profile?: Profile | undefined }[],
  node: NodeState,
  role: 'out' | 'in',
  cache: BaselineCache,
  /** A pinned reference run (rules: baseline.reference_run): distributions compare with it when held. */
  referenceRun?: string,
  /** The rows of the runs it read (outputs only; absent when any is unknown). */
  input?: InputRows,
): NodeRunMetrics {
  const baselines = role === 'out' ? node.outputs : node.inputs;
  const primary = datasets[0];
  const pb = primary === undefined ? undefined : own(baselines, primary.dataset);
  const rows = primary?.profile?.row_count;
  const m: NodeRunMetrics = {
    pipeline: report.pipeline,
    node: report.node,
    run_id: report.run_id,
    event_time: report.event_time,
    status: report.status ?? 'success',
    baseline_runs: pb?.healthy_runs ?? 0,
    row_count: rows === undefined ? {} : { value: rows },
    schema: { changed: false, breaking: false, changes: [] },
    columns: [],
  };
  const expectations =
    pb && rows !== undefined
      ? rowExpectations(
          rows,
          Date.parse(report.event_time),
          pb.row_counts,
          pb.row_seasons ?? [],
          pb.month_edges,
          pb.weekday_levels,
        )
      : undefined;
  const seasons = pb?.row_seasons;
  const at = Date.parse(report.event_time);
  if (seasons && youngWeek(at, seasons)) m.young_week = true;
  if (seasons && youngHour(at, seasons)) m.young_hour = true;
  if (seasons && youngMonthEdge(at, seasons, pb.month_edges)) m.young_edge = true;
  if (expectations) {
    const auto = expectations.auto;
    m.row_count.baseline = auto.expected;
    m.row_count.deviation = auto.deviation;
    if (Number.isFinite(auto.z)) m.row_count.z = auto.z;
    m.row_count.expectations = expectations;
  }
  const hash = primary?.profile?.content_hash;
  if (pb?.content && hash !== undefined)
    m.content = { repeated: pb.content.hash === hash, changed_runs: pb.content.changed };
  if (role === 'out' && rows !== undefined && input !== undefined) {
    m.row_count.inputs = input;
    // Of the parents with a history, the one whose fit predicts this run most tightly (its spread depends on
    // the history and on this run's input, never on this run's output): an enrichment join of transactions
    // with customers follows the transactions, whichever of the two is larger on a Saturday.
    for (const i of input) {
      const history = pb?.through ? own(pb.through, i.key) : undefined;
      const t = history ? throughExpectation(rows, i.rows, history) : undefined;
      if (t && (m.row_count.through === undefined || t.spread < m.row_count.through.spread)) {
        m.row_count.through = { ...t, input: i.key };
        if (i.moved !== undefined) m.row_count.input_moved = i.moved;
        else delete m.row_count.input_moved;
      }
      // And the distinct values of its key columns: a group-by writes rows per key it read.
      for (const [column, d] of Object.entries(i.groups ?? {})) {
        const gh = pb?.groups ? own(pb.groups, compositeKey(i.key, column)) : undefined;
        const g = gh ? groupFit(rows, d, gh) : undefined;
        if (g === undefined) continue;
        // Judged against where its keys explained the count's moves; any fit tells whether rows per key held.
        if (g.explains && (m.row_count.through === undefined || g.fit.spread < m.row_count.through.spread)) {
          m.row_count.through = { ...g.fit, input: i.key, group: column };
          delete m.row_count.input_moved;
        }
        if (m.row_count.keys === undefined || g.fit.spread < m.row_count.keys.spread)
          m.row_count.keys = { ...g.fit, input: i.key, group: column, ...(i.anomalous ? { anomalous: true } : {}) };
      }
    }
  }
  const week: RunWeek = {
    dow: new Date(Date.parse(report.event_time)).getUTCDay(),
    weekly: expectations?.auto.seasonality === 'weekly' && expectations.auto.established === true,
  };
  const pp = primary?.profile;
  const fp = pp?.schema_fingerprint ?? (pp?.schema ? schemaFingerprint(pp.schema) : undefined);
  if (fp !== undefined) m.schema.fingerprint = fp;
  if (pb?.schema && fp !== undefined && pb.schema.fingerprint !== fp) {
    m.schema.previous = pb.schema.fingerprint;
    m.schema.changed = true;
    if (pb.schema.schema && pp?.schema) {
      m.schema.changes = diffSchemas(pb.schema.schema, pp.schema);
      m.schema.breaking = m.schema.changes.some((c) => c.breaking);
    } else m.schema.breaking = true; // without both schemas the change cannot be classified
  }

  for (const { dataset, profile } of datasets) {
    if (profile === undefined) continue;
    const b = own(baselines, dataset);
    const prefix = epochPrefix(report.pipeline, report.node, role, dataset);
    for (const [column, col] of Object.entries(profile.columns ?? {})) {
      const ratio = col.count > 0 ? col.null_count / col.count : 0;
      const cm: ColumnMetrics = {
        column,
        kind: col.kind,
        dataset,
        count: col.count,
        null_count: col.null_count,
        null_ratio: ratio,
      };
      const cb = own(b?.columns, column);
      const hist = cb?.null_ratios;
      if (hist && hist.length > 0) {
        const base = median(hist);
        cm.null_ratio_baseline = base;
        if (col.count > 0) {
          // The jump's noise: binomial at the baseline ratio (at least one row's worth), or what the
          // baseline itself shows, whichever is larger. A daily node's history is read by weekday: its
          // spread is that of each run around its weekday's level (a weekend level of its own does not
          // widen the weekdays' noise).
          const binomial = (level: number) => {
            const q = Math.min(1, Math.max(level, 1 / col.count));
            return Math.sqrt((q * (1 - q)) / col.count);
          };
          const byDay = cb.null_days !== undefined && runsDaily(b?.row_seasons);
          const noise = mad(byDay ? weekdayResiduals(cb, base) : hist, { scaled: true });
          const spread = Math.max(binomial(base), noise);
          if (spread > 0) cm.null_ratio_z = (ratio - base) / spread;
          const dayHist = byDay ? weekdayHistory(cb, week.dow) : [];
          if (dayHist.length > 0 && cm.null_ratio_z !== undefined) {
            // A weekday of its own (a rollup's per-device spread is null for devices with one reading, twice
            // as many on Sundays when office sensors sleep): the run stands out only if it does from its
            // weekday's healthy runs too.
            const dayBase = median(dayHist);
            const daySpread = Math.max(binomial(dayBase), noise);
            const dayZ = (ratio - dayBase) / daySpread;
            if (dayZ < cm.null_ratio_z && dayBase > base) {
              cm.null_ratio_baseline = dayBase;
              cm.null_ratio_z = dayZ;
              cm.null_ratio_weekday = true;
            }
          }
        }
      }
      const pinned =
        referenceRun !== undefined && b?.reference?.run_id === referenceRun
          ? own(b.reference.columns, column)
          : undefined;
      if (col.kind === 'numeric') {
        const mean = finite(col.mean);
        if (mean !== undefined) cm.mean = mean;
        const share = repeatShare(col.distinct_estimate, col.count - col.null_count);
        const repeats =
          share !== undefined && cb?.repeats ? judgeRepeats(share, col.count - col.null_count, cb.repeats) : undefined;
        if (repeats) cm.repeats = repeats;
        const ranges = own(b?.columns, column)?.ranges;
        const range = rangeOf(col);
        const fresh = !pinned && ranges !== undefined && range !== undefined && freshRangeEveryRun(ranges, range);
        // Keys and clocks (a fresh range every run) move by nature: no long-horizon comparison either.
        const horizon =
          role === 'out' && !(ranges && range && freshRangeEveryRun(ranges, range))
            ? own(b?.columns, column)?.horizon
            : undefined;
        // The run's own sd (a pass over its sketch) only where a frozen reference will compare its mean; its step
        // CDF (for the reference's deciles) built once, for the drift test below too (a sample sorted once).
        const judged = mean !== undefined && horizon?.ref !== undefined && horizon.ref.trending !== true;
        const steps = judged && horizon.ref!.q ? runSteps(col) : undefined;
        const lh = judged
          ? longHorizon(horizon, mean, col.count - col.null_count, Date.parse(report.event_time), runSd(col), steps)
          : undefined;
        if (lh) cm.long_horizon = lh;
        // A column the producer normalizes per run (its mean pinned: z-scores) is compared by shape, each side
        // at its own median and interquartile range: one outlier that widens a run's sd does not move it all.
        const shape = mean !== undefined && normalizedPerRun(own(b?.columns, column), mean, range);
        const d = pinned
          ? numericDrift(referenceNumeric(pinned), col, shape, steps)
          : b && b.slot_count > 0
            ? numericDrift(cache.numeric(prefix, b, column), col, shape, steps)
            : undefined;
        const values = col.count - col.null_count;
        // The run's mean's own error, from a crude spread (a quarter of the range): a small table's mean moves
        // between two runs of one state by more than 5%.
        const meanError = range !== undefined && values > 0 ? (range[1] - range[0]) / 4 / Math.sqrt(values) : 0;
        if (d && !pinned && recurringState(own(b?.columns, column), d, mean, meanError, week)) d.recurring = true;
        // A run in a state the column alternates with (or whose median fill moved with its median) is not a step
        // of its slow drift either: the long horizon follows the column's own mode (the mix of modes moving
        // would read as a creep).
        if (d && (d.recurring === true || d.fill_moved !== undefined)) delete cm.long_horizon;
        if (d)
          cm.drift = withNoiseBand(pinned ? { ...d, reference_run: referenceRun! } : d, own(b?.columns, column), fresh);
      } else {
        const base =
          pinned?.kind === 'categorical'
            ? new FrequentBounds().add({ frequent: pinned.frequent, otherCount: pinned.other_count })
            : b && b.slot_count > 0
              ? cache.categorical(prefix, b, column)
              : undefined;
        const d = categoricalDrift(base, col);
        const rollout = d && base && !pinned ? versionRollout(base, col) : undefined;
        if (d && rollout) d.rollout = rollout;
        if (d && !pinned && b && valuesComeAndGo(own(b.columns, column), b.healthy_runs)) d.turnover = true;
        if (d && !pinned && recurringState(own(b?.columns, column), d, undefined, 0, week)) d.recurring = true;
        if (d) cm.drift = withNoiseBand(pinned ? { ...d, reference_run: referenceRun! } : d, own(b?.columns, column));
      }
      m.columns.push(cm);
    }
  }
  return m;
}

/** Relative tolerance within which two states' statistics (and numeric means) are the same state. */
export const STATE_TOLERANCE = 0.25;
/** Categorical: how far apart (in share) the moved value may be and still be the same state. */
export const STATE_SHARE_TOLERANCE = 0.05;

/**
 * How much wider the signature's tolerance is for a state kept on the same day of the week, in a node whose
 * row counts are established as weekly: a weekend's visits wander more than a plain state's (the mobile share
 * of a weekend's customers was 23% to 31% over six weekends, against 32% to 36% on weekdays).
 */
export const WEEKDAY_STATE_WIDEN = 5;

/** Where a run falls in its node's week, for {@link recurringState}. */
export interface RunWeek {
  /** The UTC day of the week of the run's event time (0 = Sunday). */
  dow: number;
  /** The node's row counts are established as weekly (the `auto` expectation, by its F test). */
  weekly: boolean;
}

/** The signature of a column's state on a run (its statistic and where it went), for {@link recurringState}. */
export function columnState(d: DriftMetrics, mean: number | undefined, dow?: number): ColumnState {
  const top = d.test === 'chi2' ? d.shifts?.[0] : undefined;
  return {
    d: d.statistic,
    ...(d.test === 'ks' && mean !== undefined ? { mean } : {}),
    ...(top ? { value: top.value, share: (top.current[0] + top.current[1]) / 2 } : {}),
    ...(dow !== undefined ? { dow } : {}),
  };
}

/**
 * Whether a run's drift puts the column in a state it has been in before and left again: a state kept from a
 * run flagged for drift alone, followed by a healthy run (`left`), no farther from the baseline (its statistic
 * at most {@link STATE_TOLERANCE} above that state's) and with the same signature. Numeric: the mean within a
 * fifth of that (5%), or within two of the run's mean's standard errors (`meanError`) in a small table.
 * Categorical: the same value moved most, to a share within {@link STATE_SHARE_TOLERANCE}. A column that
 * alternates between healthy modes (a median-imputed discrete feature whose median flips between 2 and 3; an
 * export's split that ties send all one way) is flagged the first time only; a level that moved and stayed
 * never left, and is flagged on every run (docs/statistics.md, "Recurring states").
 */
export function recurringState(
  c: ColumnBaseline | undefined,
  d: DriftMetrics,
  mean?: number,
  meanError = 0,
  week?: RunWeek,
): boolean {
  const states = c?.states;
  if (!states || states.length === 0) return false;
  // A weekly node's state kept on this day of the week: a weekend's level, with its wider wander.
  const widen = (s: ColumnState) => (week?.weekly === true && s.dow === week.dow ? WEEKDAY_STATE_WIDEN : 1);
  const at = states.findIndex((s) => s.left === true && sameState(s, d, mean, meanError, widen(s)));
  if (at >= 0) d.recurring_state = at;
  return at >= 0;
}

/**
 * A learned run in a recurring state moves that state to where the column went this time (its mean, or its
 * moved value's share; the statistic stays the largest seen): a state's visits wander a little (a share of 31%,
 * then 32%, then 32.7%), and each visit is matched against the last one, not only against the first.
 */
export function followState(c: ColumnBaseline | undefined, d: DriftMetrics, mean: number | undefined): void {
  const st = d.recurring_state === undefined ? undefined : c?.states?.[d.recurring_state];
  if (!st) return;
  const now = columnState(d, mean);
  if (now.mean !== undefined) st.mean = now.mean;
  if (now.value !== undefined && now.value === st.value && now.share !== undefined) st.share = now.share;
  st.d = Math.max(st.d, now.d);
}

function sameState(s: ColumnState, d: DriftMetrics, mean: number | undefined, meanError: number, widen = 1): boolean {
  // No farther from the baseline than then (closer, once the recurring runs taught the baseline their mode).
  if (d.statistic > (1 + STATE_TOLERANCE) * s.d) return false;
  if (d.test === 'ks') {
    if (s.mean === undefined || mean === undefined) return false;
    const tolerance = Math.max(
      ((widen * STATE_TOLERANCE) / 5) * Math.max(Math.abs(s.mean), Math.abs(mean)),
      2 * meanError,
    );
    return Math.abs(s.mean - mean) <= tolerance;
  }
  // The value that moved most then is among the values that moved most now, at the same share (two values
  // that moved by the same amount, a two-valued column, are named in either order).
  if (s.value === undefined) return false;
  const now = d.shifts?.find((m) => m.value === s.value);
  return (
    now !== undefined &&
    Math.abs((now.current[0] + now.current[1]) / 2 - (s.share ?? 0)) <= widen * STATE_SHARE_TOLERANCE
  );
}

/** Keeps a column's state on a run flagged for its drift alone (at most {@link COLUMN_STATES_KEPT}). */
export function keepColumnState(c: ColumnBaseline, state: ColumnState): void {
  const list = (c.states ??= []);
  list.push(state);
  if (list.length > COLUMN_STATES_KEPT) list.splice(0, list.length - COLUMN_STATES_KEPT);
}

/**
 * The drift metrics with the column's own noise band: median + DRIFT_NOISE_Z scaled MADs of the statistic
 * its last healthy runs showed against their baselines, and at least the largest of them (docs/statistics.md, "The column's own movement").
 */
function withNoiseBand(d: DriftMetrics, c: ColumnBaseline | undefined, freshRange = false): DriftMetrics {
  // Against a pinned reference the statistic of a creeping column grows run by run: a band learned from it
  // would follow the creep the reference is there to catch.
  if (d.reference_run !== undefined) return d;
  // A key or a clock (a fresh range every run) moves totally between healthy runs: nothing is beyond that.
  if (freshRange) return { ...d, noise_band: 1 };
  const band = driftNoiseBand(c?.drift_stats ?? []);
  const scaleBand = d.scale ? driftNoiseBand(c?.scale_shifts ?? []) : undefined;
  const out = band === undefined ? d : { ...d, noise_band: band };
  return scaleBand === undefined ? out : { ...out, scale: { ...out.scale!, band: scaleBand } };
}

/**
 * A column's noise band from the drift statistics of its last healthy runs: median + DRIFT_NOISE_Z scaled
 * MADs, and at least their largest; undefined with fewer than DRIFT_NOISE_MIN_RUNS of them.
 */
export function driftNoiseBand(hist: readonly number[]): number | undefined {
  if (hist.length < DRIFT_NOISE_MIN_RUNS) return undefined;
  const mid = median(hist);
  // The statistic is skewed (bounded below, long right tail): the MAD alone can miss how far healthy runs
  // go, so the band is at least the largest statistic a recent healthy run showed, and at least the
  // 1 - DRIFT_NOISE_TAIL_P quantile of an exponential tail above the median whose scale is the mean excess of
  // the runs above it (the peaks-over-threshold estimate; heavier than a normal tail, so on the safe side).
  const above = hist.filter((x) => x > mid);
  const excess = above.length > 0 ? above.reduce((a, x) => a + (x - mid), 0) / above.length : 0;
  return Math.max(
    mid + DRIFT_NOISE_Z * mad(hist, { scaled: true }),
    Math.max(...hist),
    mid + excess * Math.log(0.5 / DRIFT_NOISE_TAIL_P),
  );
}

/** A numeric run's standard deviation over all its values (the sketch's retained items by weight, or the sample). */
function runSd(col: { sketch?: { data: string }; sample?: number[] }): number | undefined {
  let sum = 0;
  let sq = 0;
  let w = 0;
  if (col.sketch) {
    const s = decodedSketch(col.sketch, col.sketch.data);
    if (s.isEmpty) return undefined;
    const view = s.sortedView();
    // Shifted by the first item: sums of squares of large values lose nothing to cancellation.
    const c = view.items[0]!;
    for (let i = 0; i < view.items.length; i++) {
      const x = view.items[i]! - c;
      const k = view.weights[i]!;
      sum += k * x;
      sq += k * x * x;
      w += k;
    }
  } else if (col.sample && col.sample.length > 0) {
    const c = col.sample[0]!;
    for (const v of col.sample) {
      if (!Number.isFinite(v)) continue;
      const x = v - c;
      sum += x;
      sq += x * x;
      w += 1;
    }
  }
  if (w < 2) return undefined;
  const m = sum / w;
  const variance = Math.max(0, (sq - w * m * m) / (w - 1));
  return Math.sqrt(variance);
}

function rangeOf(col: { min?: number | null; max?: number | null }): [number, number] | undefined {
  const lo = finite(col.min);
  const hi = finite(col.max);
  return lo !== undefined && hi !== undefined && lo <= hi ? [lo, hi] : undefined;
}

/**
 * Whether a numeric column brings values no other run has, every run: the healthy runs' [min, max]
 * ranges and this run's are pairwise disjoint (at least {@link FRESH_RANGE_RUNS} healthy runs of them).
 * Identifiers, sequence numbers, offsets and epoch timestamps behave so; their distribution against the
 * pooled baseline is "shifted" on every healthy run (KS D = 1), so a drift test on them says nothing about
 * the data. Stationary columns' ranges overlap run to run, so a shift of one of them is still tested; and a
 * key column's statistic is still computed and learned, so once its runs stop being disjoint (a per-run
 * constant that repeats a value) its own noise band (withNoiseBand) carries on.
 */
export function freshRangeEveryRun(
  baseline: readonly (readonly [number, number])[],
  current: readonly [number, number],
): boolean {
  return freshRangesEveryRun(baseline, [current]);
}

/** {@link freshRangeEveryRun} for several runs: every one's range disjoint from the others' and the history's. */
export function freshRangesEveryRun(
  baseline: readonly (readonly [number, number])[],
  current: readonly (readonly [number, number])[],
): boolean {
  if (baseline.length < FRESH_RANGE_RUNS) return false;
  const all = [...baseline, ...current].sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < all.length; i++) if (all[i]![0] <= all[i - 1]![1]) return false;
  return true;
}

/** Healthy runs of fresh ranges before a column counts as a key or a clock (the rules arm at 5 runs). */
export const FRESH_RANGE_RUNS = 3;

/**
 * Whether two runs' distributions of a column agree: the drift effect between them (KS D's lower bound
 * with rank and sampling error out, or the total variation's lower bound) stays under `floor`.
 * Columns without a comparable summary agree (nothing says otherwise).
 */
export function columnsAgree(a: SlotColumn, b: SlotColumn, floor: number): boolean {
  if (a.kind === 'numeric' && b.kind === 'numeric') {
    const d = numericDrift(referenceNumeric(a), {
      ...(b.sketch !== undefined ? { sketch: { data: b.sketch } } : {}),
      ...(b.sample !== undefined ? { sample: b.sample } : {}),
    });
    return d === undefined || d.effect < floor;
  }
  if (a.kind === 'categorical' && b.kind === 'categorical') {
    const d = categoricalDrift(new FrequentBounds().add({ frequent: a.frequent, otherCount: a.other_count }), b);
    return d === undefined || d.effect < floor;
  }
  return false;
}

export function slotColumns(profile: Profile): Record<string, SlotColumn> {
  const out = dict<SlotColumn>();
  for (const [name, col] of Object.entries(profile.columns ?? {})) {
    if (col.kind === 'numeric') {
      if (col.sketch) {
        const slot: SlotColumn = { kind: 'numeric', sketch: col.sketch.data, k: col.sketch.k };
        // The report's decoded sketch goes with it (learning merges it, the long horizon reads its quartiles).
        const decoded = peekDecodedSketch(col.sketch);
        if (decoded) shareDecodedSketch(slot, decoded);
        out[name] = slot;
      } else if (col.sample) out[name] = { kind: 'numeric', sample: col.sample };
    } else if (col.frequent) {
      out[name] = { kind: 'categorical', frequent: col.frequent, other_count: col.other_count ?? 0 };
    }
  }
  return out;
}

/** A version string: 4.3.0, v2.1, 10.0.1-rc1 (two to four numeric parts, an optional suffix). */
const VERSION = /^v?(\d+(?:\.\d+){1,3})(?:[-+_][0-9A-Za-z.-]*)?$/;

/** A version's numeric parts, or undefined when the value is not a version. */
function versionParts(value: string): number[] | undefined {
  const m = VERSION.exec(value.trim());
  return m ? m[1]!.split('.').map(Number) : undefined;
}

function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Listed rows that must be versions, in the run and in the baseline, for a column to be a version column. */
const VERSION_COLUMN_SHARE = 0.95;
/** A version gained when its share rose by this much; the baseline's versions of at least {@link ESTABLISHED_SHARE} are established. */
const ROLLOUT_GAIN = 0.01;
const ESTABLISHED_SHARE = 0.05;

/**
 * A rollout (docs/statistics.md, "A version rolling out"): a column of versions (firmware, app or SDK
 * versions: at least {@link VERSION_COLUMN_SHARE} of the rows, in the run and in the baseline) whose values
 * that gained share are all newer than every version the baseline established (at least
 * {@link ESTABLISHED_SHARE} of its rows): older versions give way to a new one, which is what a staged
 * rollout does every day until it completes. The values that gained (newest first), their share now and before.
 */
function versionRollout(
  base: FrequentBounds,
  col: { count: number; null_count: number; frequent?: Record<string, number>; other_count?: number },
): { values: string[]; share: number; baseline: number } | undefined {
  const rows = col.count - col.null_count;
  if (!col.frequent || rows <= 0 || base.total <= 0) return undefined;
  const now = new Map<string, number>();
  let versioned = 0;
  for (const [v, c] of Object.entries(col.frequent)) {
    if (!(c > 0)) continue;
    if (versionParts(v) === undefined) return undefined;
    now.set(v, c / rows);
    versioned += c;
  }
  if (versioned < VERSION_COLUMN_SHARE * rows) return undefined;
  const before = new Map<string, number>();
  let baseVersioned = 0;
  for (const v of base.values()) {
    const share = base.bounds(v)[0] / base.total;
    if (versionParts(v) === undefined) {
      if (share >= ROLLOUT_GAIN) return undefined;
      continue;
    }
    before.set(v, share);
    baseVersioned += share;
  }
  if (baseVersioned < VERSION_COLUMN_SHARE) return undefined;
  let newestEstablished: number[] | undefined;
  for (const [v, share] of before) {
    const parts = versionParts(v)!;
    if (share >= ESTABLISHED_SHARE && (!newestEstablished || compareVersions(parts, newestEstablished) > 0))
      newestEstablished = parts;
  }
  if (!newestEstablished) return undefined;
  const gained = [...now].filter(([v, share]) => share - (before.get(v) ?? 0) >= ROLLOUT_GAIN);
  if (gained.length === 0 || !gained.every(([v]) => compareVersions(versionParts(v)!, newestEstablished) > 0))
    return undefined;
  gained.sort((a, b) => compareVersions(versionParts(b[0])!, versionParts(a[0])!));
  return {
    values: gained.map(([v]) => v),
    share: gained.reduce((a, [, x]) => a + x, 0),
    baseline: gained.reduce((a, [v]) => a + (before.get(v) ?? 0), 0),
  };
}

/** The least time a long-horizon reference epoch spans (a week: a weekly cycle, an age's growth). */
export const HORIZON_EPOCH_SPAN_MS = 7 * 86_400_000;
/** A node whose epoch's runs are closer than this on average runs more than twice a day. */
const HORIZON_SUB_DAILY_GAP_MS = 12 * 3_600_000;
/** Runs a sub-daily node's collecting epoch keeps of each UTC hour of the day (its capacity: 24 times this). */
export const HORIZON_HOUR_RUNS = 2;
/** CUSUM reference value k and the clip of each increment, in reference spreads (docs/statistics.md). */
export const CUSUM_K = 0.5;
export const CUSUM_CLIP = 3;
/** The most either CUSUM side holds (so a level that came back is forgotten within tens of runs). */
export const CUSUM_CAP = 25;

/**
 * The long-horizon comparison of a column's mean with the frozen reference epoch: the standardized
 * distance z (the reference's run-to-run spread of the mean, at least this run's sampling error), the
 * practical size (in within-run standard deviations) and the two-sided CUSUM after this run, each
 * increment clipped at {@link CUSUM_CLIP} (a one-run outlier cannot raise the alarm alone). A seasonal
 * reference compares the run (at event time `t`, ms) with its calendar slot's mean; a run in a slot
 * the epoch never saw is not compared (nothing to compare it with).
 */
export function longHorizon(
  h: HorizonState,
  mean: number,
  n: number,
  t?: number,
  /** The run's own standard deviation (all its values, tails included), for its mean's sampling error. */
  runSd?: number,
  /** The run's step CDF, for the quantile track (where the reference has one). */
  steps?: Steps,
): LongHorizonMetrics | undefined {
  const ref = h.ref;
  if (!ref || ref.trending === true) return undefined;
  let center = ref.mean;
  let sd = ref.sd;
  if (ref.season) {
    if (t === undefined || !Number.isFinite(t)) return undefined;
    const slot = seasonSlot(t, ref.season.grouping);
    const at = ref.season.slots.find((s) => s[0] === slot);
    if (!at) return undefined;
    center = at[1];
    // The slot's mean rests on a few runs: its own error widens the spread (as for seasonal row counts).
    sd = ref.sd * Math.sqrt(1 + 1 / at[2]);
  }
  // The mean's own sampling error: the run's standard deviation over sqrt(values), not the reference's
  // robust within-run spread (IQR / 1.349), which ignores the tails: a 25-row table of skewed amounts has runs
  // whose one large value moves the mean by half the spread, and those stepped the CUSUM as a creep.
  const within = Math.max(ref.sigma, runSd !== undefined && Number.isFinite(runSd) ? runSd : 0);
  const spread = Math.max(sd, within / Math.sqrt(Math.max(1, n)), Math.abs(center) * 1e-9, 1e-300);
  const distance = mean - center;
  const z = distance / spread;
  const level = h.recent && h.recent.length > 0 ? median([...h.recent, distance]) : distance;
  const step = Math.max(-CUSUM_CLIP, Math.min(CUSUM_CLIP, z));
  const up = Math.min(CUSUM_CAP, Math.max(0, h.up + step - CUSUM_K));
  const down = Math.min(CUSUM_CAP, Math.max(0, h.down - step - CUSUM_K));
  const quantile = steps ? quantileHorizon(h, steps, n) : undefined;
  return {
    mean,
    reference_mean: center,
    z,
    shift: ref.sigma > 0 ? level / ref.sigma : 0,
    distance,
    up,
    down,
    cusum: Math.max(up, down),
    reference_runs: ref.runs,
    ...(quantile ? { quantile } : {}),
  };
}

/** A decile whose value this share of the run's rows hold is on an atom (see {@link quantileHorizon}). */
const QUANTILE_ATOM_SHARE = 0.02;

/** One-sided 99% normal quantile: the rank distance's sampling error subtracted from it (binomial). */
const QUANTILE_RANK_Z = 2.326;

/**
 * Each decile's spread is at least this share of the reference's spacing of the deciles around it: a decile
 * that sits on one value in every run of the epoch (a discrete column, a rate that is 1.0 for the euro) has no
 * spread of its own, and a change in the last digit would step its CUSUM by the clip.
 */
const QUANTILE_SPREAD_OF_SPACING = 0.05;

/**
 * The long horizon's quantile track (docs/statistics.md, "Quantiles on the long horizon"): each decile of the
 * run against the mean of the reference epoch's runs' deciles, in the epoch's run-to-run spread of that decile
 * (widened for a run with fewer values than the epoch's), a two-sided CUSUM per decile (clipped increments, k,
 * capped, as the mean's). A mean follows every value by its weight: a creep of one kind of row in a column that
 * mixes kinds (temperatures among power readings, one currency's amounts among others) or of skewed amounts
 * whose few large values make the mean's noise, moves the deciles in its range while the mean stays in its
 * noise. Reported for the decile whose CUSUM stands highest, with the share of rows that moved past its
 * reference value (the median over the last runs: the practical size, a KS distance at that point).
 */
function quantileHorizon(h: HorizonState, steps: Steps, n: number): QuantileHorizon | undefined {
  const ref = h.ref;
  const q = ref?.q;
  const qsd = ref?.qsd;
  if (!ref || !q || !qsd || q.length !== HORIZON_QUANTILES.length || steps.n === 0) return undefined;
  const widen = Math.sqrt(Math.max(1, ref.n / Math.max(1, n)));
  const up: number[] = [];
  const down: number[] = [];
  const spreads: number[] = [];
  const values: number[] = [];
  let most = 0;
  for (let i = 0; i < q.length; i++) {
    const center = q[i]!;
    // A decile that wandered through the epoch (see frozenQuantiles) is not followed.
    if (!(qsd[i]! >= 0)) {
      up.push(0);
      down.push(0);
      spreads.push(Infinity);
      values.push(NaN);
      continue;
    }
    const spread = Math.max(
      qsd[i]! * widen,
      QUANTILE_SPREAD_OF_SPACING * decileSpacing(q, i),
      Math.abs(center) * 1e-9,
      1e-300,
    );
    spreads.push(spread);
    const value = stepQuantile(steps, HORIZON_QUANTILES[i]!);
    values.push(value);
    const z = (value - center) / spread;
    // A decile on a value many rows hold (a currency's rate, a fee tier, a default) moves with that value: a
    // category's, not the distribution's, and a rate's wander is its nature. Such a run does not step it.
    const atom = stepRank(steps, value) - stepRank(steps, value, false) >= QUANTILE_ATOM_SHARE;
    const step = atom ? 0 : Math.max(-CUSUM_CLIP, Math.min(CUSUM_CLIP, Number.isFinite(z) ? z : 0));
    const u = Math.min(CUSUM_CAP, Math.max(0, (h.qup?.[i] ?? 0) + step - CUSUM_K));
    const d = Math.min(CUSUM_CAP, Math.max(0, (h.qdown?.[i] ?? 0) - step - CUSUM_K));
    up.push(u);
    down.push(d);
    most = Math.max(most, u, d);
  }
  // Of the deciles moving with the one whose CUSUM stands highest (at least half as high), the one the most
  // rows moved past, in its CUSUM's direction: a creep of the temperatures among other readings moves the
  // deciles in their range, each by the rows that crossed it; the edge of the range first in CUSUM, the middle
  // most in rows.
  let best = 0;
  let distance = -1;
  for (let i = 0; i < q.length; i++) {
    const c = Math.max(up[i]!, down[i]!);
    if (c < most / 2 || !(qsd[i]! >= 0)) continue;
    const moved = (HORIZON_QUANTILES[i]! - stepRank(steps, q[i]!)) * (up[i]! >= down[i]! ? 1 : -1);
    if (moved > distance) {
      distance = moved;
      best = i;
    }
  }
  distance = Math.max(0, distance);
  const p = HORIZON_QUANTILES[best]!;
  const center = q[best]!;
  // A followed decile's (best is one whenever any is); else the run's value at the first, for the message.
  const value = Number.isNaN(values[best]!) ? stepQuantile(steps, p) : values[best]!;
  const spacing = decileSpacing(q, best);
  const size = h.qrecent && h.qrecent.length > 0 ? median([...h.qrecent, distance]) : distance;
  return {
    level: p,
    value,
    reference: center,
    z: (value - center) / spreads[best]!,
    size,
    // The rank's own sampling error: one row of a 13-row table past the reference is 8% of the rows.
    effect: Math.max(0, size - QUANTILE_RANK_Z * Math.sqrt((p * (1 - p)) / Math.max(1, n))),
    spacing: spacing > 0 ? Math.abs(value - center) / spacing : value === center ? 0 : Infinity,
    up,
    down,
    distance,
    cusum: most,
  };
}

/** The reference's spacing of the deciles around decile i: half the distance between its neighbours. */
function decileSpacing(q: readonly number[], i: number): number {
  const lo = q[Math.max(0, i - 1)]!;
  const hi = q[Math.min(q.length - 1, i + 1)]!;
  const steps = Math.min(q.length - 1, i + 1) - Math.max(0, i - 1);
  return steps > 0 ? Math.abs(hi - lo) / steps : 0;
}

/**
 * A healthy run's mean joins the column's reference epoch until `size` runs are held; then the epoch is
 * frozen: the (trimmed) mean of the means, their run-to-run spread (1.4826 MAD or IQR / 1.349), the median within-run
 * standard deviation (from the quartiles of the run's sketch or sample: robust to heavy tails) and the
 * median number of values. Means that follow the calendar (day of week, hour of day: the same test as the
 * row counts' seasonality) keep each slot's mean instead, and the spread within the slots.
 */
function collectEpoch(
  c: ColumnBaseline,
  mean: number,
  n: number,
  slot: SlotColumn | undefined,
  size: number,
  t: number,
): void {
  const h = (c.horizon ??= { up: 0, down: 0 });
  if (h.ref) return;
  const sd = slot ? withinSd(slot) : undefined;
  if (sd === undefined) return;
  const flat = flatEpoch(h);
  flat.push(mean, sd, n, Number.isFinite(t) ? t : NaN);
  collectQuantiles(h, slot);
  const count = flat.length / EPOCH_STRIDE;
  const first = flat[3]!;
  const last = flat[flat.length - 1]!;
  const timed = Number.isFinite(first) && Number.isFinite(last);
  // A node that runs more than twice a day keeps two runs of each hour of the day: its mean may follow the
  // hour (busy afternoons), and its reference must hold every hour, not a few of them.
  const subDay = timed && count >= 2 && (last - first) / (count - 1) < HORIZON_SUB_DAILY_GAP_MS;
  const capacity = subDay ? Math.max(size, HORIZON_HOUR_RUNS * 24) : size;
  if (count < capacity) return;
  // A node that runs many times a day has not seen a week in `capacity` runs: its slow movements (an age that
  // grows by a day a day, a weekly cycle) would look like a creep. Its epoch goes on until it spans a week,
  // bounded: a sub-daily node drops a middle run of the hour of the day it holds most of (its hours stay
  // covered, each hour's oldest and newest runs spread over the week); any other, every other run.
  if (timed && last - first < HORIZON_EPOCH_SPAN_MS) {
    if (subDay) {
      if (count > capacity) {
        const hours = new Map<number, number[]>();
        for (let r = 0; r < count; r++) {
          const u = flat[r * EPOCH_STRIDE + 3]!;
          const hour = Number.isFinite(u) ? new Date(u).getUTCHours() : -1;
          const list = hours.get(hour);
          if (list) list.push(r);
          else hours.set(hour, [r]);
        }
        let fullest: number[] = [];
        for (const list of hours.values()) if (list.length > fullest.length) fullest = list;
        // Its oldest and newest stay: the hour's runs spread over the week until the epoch spans it.
        flat.splice(fullest[1]! * EPOCH_STRIDE, EPOCH_STRIDE);
      }
      return;
    }
    const kept: number[] = [];
    for (let i = 0; i < count; i += 2) for (let k = 0; k < EPOCH_STRIDE; k++) kept.push(flat[i * EPOCH_STRIDE + k]!);
    h.epoch = kept;
    return;
  }
  const epoch: [number, number, number, number][] = Array.from({ length: count }, (_, r) => {
    const o = r * EPOCH_STRIDE;
    return [flat[o]!, flat[o + 1]!, flat[o + 2]!, flat[o + 3]!];
  });
  const means = epoch.map((e) => e[0]);
  // The larger of the scaled MAD and IQR / 1.349 (both the sd at the normal): a weekly column (weekend means
  // 40% lower, 2 runs in 7) has a MAD of its weekdays alone, and its weekends would each step the CUSUM by the
  // clip; the IQR spans both modes once the other one holds a quarter of the runs.
  const sorted = [...means].sort((a, b) => a - b);
  const at = (p: number) => {
    const x = p * (sorted.length - 1);
    const lo = Math.floor(x);
    return sorted[lo]! + (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!) * (x - lo);
  };
  const spread = Math.max(mad(means, { scaled: true }), (at(0.75) - at(0.25)) / 1.349);
  const sigma = median(epoch.map((e) => e[1]));
  const values = median(epoch.map((e) => e[2]));
  const ref: NonNullable<HorizonState['ref']> = {
    mean: trimmedMean(withoutFarRuns(means, spread)),
    sd: Number.isFinite(spread) ? spread : 0,
    sigma,
    n: values,
    runs: epoch.length,
  };
  // A mean that already trended through the epoch (an age, a counter, a balance) moves by nature: the
  // trend over the epoch (Theil-Sen slope x its length) beyond 3 x the residual spread around it marks
  // the column, and it is not judged on the long horizon.
  // Against event time where the epoch has it (its runs need not be evenly spaced), else the run's index.
  const xs = epoch.every((e) => Number.isFinite(e[3])) ? epoch.map((e) => e[3] - first) : means.map((_, i) => i);
  const slope = theilSen(xs, means);
  const residual = mad(
    means.map((m, i) => m - slope * xs[i]!),
    { scaled: true },
  );
  // The residual spread, not the sampling error: a table re-read every run (customers, accounts) moves far
  // less than independent samples would, and its trend shows against what it actually does.
  const noise = Number.isFinite(residual) ? residual : 0;
  if (Math.abs(slope) * (xs[xs.length - 1]! - xs[0]!) > 3 * noise) ref.trending = true;
  else {
    const season = seasonalReference(epoch);
    if (season) {
      ref.season = season.season;
      ref.sd = season.sd;
    }
  }
  if (ref.trending !== true) {
    const track = frozenQuantiles(h.qepoch);
    if (track) {
      ref.q = track.q;
      ref.qsd = track.qsd;
    }
  }
  // A new object without the epoch rather than `delete` (which leaves the object in V8's slower, larger
  // dictionary mode for the rest of the process): the same fields in the same order.
  c.horizon = { up: h.up, down: h.down, ref };
}

/** The least runs a quantile track is frozen from (fewer: the epoch keeps none). */
const QUANTILE_TRACK_MIN_RUNS = 5;

/**
 * A collected run's deciles join the quantile track's running statistics: per decile its mean and sum of
 * squared deviations (Welford: values far from zero, amounts in minor units, lose nothing to cancellation), its
 * last value and the sum of its squared run-to-run differences. Every collected run counts, also those a
 * sub-daily epoch later drops: the deciles' spread over the whole collecting week.
 */
function collectQuantiles(h: HorizonState, slot: SlotColumn | undefined): void {
  if (!slot || slot.kind !== 'numeric') return;
  let steps: Steps | undefined;
  if (slot.sketch) {
    const s = slotSketch(slot);
    steps = s && !s.isEmpty ? sketchSteps(s) : undefined;
  } else if (slot.sample && slot.sample.length > 0) steps = sampleSteps(slot.sample);
  if (!steps || steps.n === 0) return;
  const k = HORIZON_QUANTILES.length;
  const values = HORIZON_QUANTILES.map((p) => stepQuantile(steps, p));
  if (!values.every(Number.isFinite)) return;
  const acc =
    h.qepoch && h.qepoch.length === HORIZON_QUANTILE_STATE
      ? h.qepoch
      : new Array<number>(HORIZON_QUANTILE_STATE).fill(0);
  const count = acc[0]! + 1;
  for (let i = 0; i < k; i++) {
    const x = values[i]!;
    const m = acc[1 + i]!;
    const delta = x - m;
    const next = m + delta / count;
    acc[1 + i] = next;
    acc[1 + k + i] = acc[1 + k + i]! + delta * (x - next);
    if (count > 1) acc[1 + 3 * k + i] = acc[1 + 3 * k + i]! + (x - acc[1 + 2 * k + i]!) ** 2;
    acc[1 + 2 * k + i] = x;
  }
  acc[0] = count;
  h.qepoch = acc;
}

/**
 * A decile wandered through the epoch when its values' variance is this many times what their run-to-run
 * differences make of independent runs (half their mean square): the von Neumann ratio, 2 for independent
 * runs, under 2 / this for a walk (a currency's rate, a balance). Such a decile moves by nature, beyond the
 * epoch's spread, and is not followed (as a mean that trended through the epoch is not).
 */
const QUANTILE_WANDER_RATIO = 2.5;

/** Confidence of the upper bound on each decile's run-to-run spread (chi-squared, from the epoch's runs). */
const QUANTILE_SPREAD_CONFIDENCE = 0.99;

/**
 * The frozen quantile track from its running statistics: each decile's mean and the upper confidence bound
 * ({@link QUANTILE_SPREAD_CONFIDENCE}) of its standard deviation; -1 for
 * a decile that wandered through the epoch ({@link QUANTILE_WANDER_RATIO}).
 */
function frozenQuantiles(acc: readonly number[] | undefined): { q: number[]; qsd: number[] } | undefined {
  if (!acc || acc.length !== HORIZON_QUANTILE_STATE || !(acc[0]! >= QUANTILE_TRACK_MIN_RUNS)) return undefined;
  const k = HORIZON_QUANTILES.length;
  const count = acc[0]!;
  const q = acc.slice(1, 1 + k);
  // The spread's upper confidence bound: nine deciles each estimated from ~20 runs, the smallest of them a
  // third under its true spread by chance, made one of 18 CUSUMs pass its alarm level within 100 healthy runs.
  const bound = Math.sqrt((count - 1) / chi2Ppf(1 - QUANTILE_SPREAD_CONFIDENCE, count - 1));
  const qsd: number[] = [];
  for (let i = 0; i < k; i++) {
    const variance = Math.max(0, acc[1 + k + i]!) / (count - 1);
    const independent = acc[1 + 3 * k + i]! / (count - 1) / 2;
    qsd.push(variance > QUANTILE_WANDER_RATIO * independent && variance > 0 ? -1 : Math.sqrt(variance) * bound);
  }
  return q.every(Number.isFinite) && qsd.every(Number.isFinite) ? { q, qsd } : undefined;
}

/** Numbers per run in a collecting epoch: mean, within-run sd, values, event time (NaN: not known). */
const EPOCH_STRIDE = 4;

/**
 * The collecting epoch as one flat array of numbers ({@link EPOCH_STRIDE} per run: one array per column
 * instead of one per run, a third of the heap at 20 runs), converted from the [mean, sd, n, t?] tuples of
 * state written before. An unknown time (NaN) comes back from JSON as null; every reader of the times asks
 * `Number.isFinite`, which refuses both, so it is left as it is.
 */
function flatEpoch(h: HorizonState): number[] {
  const e = h.epoch;
  if (e === undefined) return (h.epoch = []);
  if (e.length > 0 && Array.isArray(e[0])) {
    const flat: number[] = [];
    for (const run of e as number[][]) flat.push(run[0]!, run[1]!, run[2]!, run[3] ?? NaN);
    return (h.epoch = flat);
  }
  return e as number[];
}

/**
 * The epoch's means by calendar slot, when the calendar explains them (the row counts' test:
 * `detectSeasonality` on the means themselves): each slot's (trimmed) mean and runs, and the robust spread
 * within the slots. A weekly column (weekend baskets smaller) compared with the median of all runs would
 * step its CUSUM at every weekend more than the weekdays take back.
 */
function seasonalReference(
  epoch: readonly [number, number, number, number][],
): { season: NonNullable<NonNullable<HorizonState['ref']>['season']>; sd: number } | undefined {
  const timed: [number, number][] = [];
  for (const e of epoch) if (Number.isFinite(e[3])) timed.push([e[3], e[0]]);
  if (timed.length < epoch.length) return undefined;
  const fit = detectSeasonality(timed, (x) => x);
  if (!fit || !(fit.spread > 0) || !Number.isFinite(fit.spread)) return undefined;
  const bySlot = new Map<number, number[]>();
  for (const [t, m] of timed) {
    const s = seasonSlot(t, fit.grouping);
    const list = bySlot.get(s);
    if (list) list.push(m);
    else bySlot.set(s, [m]);
  }
  const slots: [number, number, number][] = [...bySlot.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([s, ms]) => [s, trimmedMean(ms), ms.length]);
  return { season: { grouping: fit.grouping, slots }, sd: fit.spread };
}

/**
 * The mean of the values without the lowest and highest tenth (none of 9 or fewer): what the CUSUM's center
 * must be is the expected per-run mean, and the means of skewed values (amounts, spend) are skewed too, so
 * their median sits below it and every later run would step the upper CUSUM; the trimming keeps one odd
 * run of the epoch from moving it.
 */
export function trimmedMean(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const cut = Math.floor(sorted.length * 0.1);
  const kept = sorted.slice(cut, sorted.length - cut);
  return kept.reduce((a, x) => a + x, 0) / kept.length;
}

/**
 * The means without those of runs far from the others (beyond {@link FAR_RUN_SPREADS} robust spreads of the
 * median): a run whose mean one glitch value dominates (a meter's 65535 kW, 65,535,000 W once converted, in a
 * few hundred readings), which a tenth's trimming keeps when a fifth of the epoch's runs have one.
 */
function withoutFarRuns(means: readonly number[], spread: number): number[] {
  if (!(spread > 0)) return [...means];
  const mid = median(means);
  const kept = means.filter((m) => Math.abs(m - mid) <= FAR_RUN_SPREADS * spread);
  return kept.length > 0 ? kept : [...means];
}

/** How far from the others a run's mean is left out of the reference's center (in robust spreads). */
const FAR_RUN_SPREADS = 10;

/** The Theil-Sen slope of ys against xs: the median of the pairwise slopes (pairs at one x left out). */
function theilSen(xs: readonly number[], ys: readonly number[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < ys.length; i++)
    for (let j = i + 1; j < ys.length; j++) if (xs[j] !== xs[i]) slopes.push((ys[j]! - ys[i]!) / (xs[j]! - xs[i]!));
  return slopes.length > 0 ? median(slopes) : 0;
}

/** A robust within-run standard deviation: the interquartile range / 1.349, from the sketch or the sample. */
function withinSd(col: SlotColumn): number | undefined {
  if (col.kind !== 'numeric') return undefined;
  let q1: number;
  let q3: number;
  if (col.sketch) {
    const s = slotSketch(col)!;
    if (s.isEmpty) return undefined;
    q1 = s.getQuantile(0.25);
    q3 = s.getQuantile(0.75);
  } else if (col.sample && col.sample.length > 0) {
    const v = Float64Array.from(col.sample)
      .filter((x) => !Number.isNaN(x))
      .sort();
    if (v.length === 0) return undefined;
    q1 = v[Math.floor((v.length - 1) * 0.25)]!;
    q3 = v[Math.floor((v.length - 1) * 0.75)]!;
  } else return undefined;
  const sd = (q3 - q1) / 1.349;
  return Number.isFinite(sd) ? sd : undefined;
}

/** What a baseline learns from one dataset of a run (see {@link learnSummary}). */
export function summarize(
  dataset: string,
  profile: Profile,
  inputs?: { rows: Record<string, number>; groups: Record<string, number> },
): DatasetSummary {
  const nulls = dict<DatasetSummary['nulls'][string]>();
  for (const [name, col] of Object.entries(profile.columns ?? {})) {
    const range = col.kind === 'numeric' ? rangeOf(col) : undefined;
    const mean = col.kind === 'numeric' ? finite(col.mean) : undefined;
    const repeats = col.kind === 'numeric' ? repeatShare(col.distinct_estimate, col.count - col.null_count) : undefined;
    nulls[name] = {
      kind: col.kind,
      ratio: col.count > 0 ? col.null_count / col.count : 0,
      ...(range ? { range } : {}),
      ...(mean !== undefined ? { mean, n: col.count - col.null_count } : {}),
      ...(repeats !== undefined ? { repeats: [repeats, col.count - col.null_count] as [number, number] } : {}),
    };
  }
  const fp = profile.schema_fingerprint ?? (profile.schema ? schemaFingerprint(profile.schema) : undefined);
  return {
    dataset,
    ...(profile.row_count !== undefined ? { row_count: profile.row_count } : {}),
    ...(profile.row_count !== undefined && inputs !== undefined ? { input_rows: inputs.rows } : {}),
    ...(profile.row_count !== undefined && inputs !== undefined && Object.keys(inputs.groups).length > 0
      ? { input_groups: inputs.groups }
      : {}),
    ...(profile.content_hash !== undefined ? { content_hash: profile.content_hash } : {}),
    nulls,
    ...(fp !== undefined ? { schema: { fingerprint: fp, ...(profile.schema ? { schema: profile.schema } : {}) } } : {}),
    columns: slotColumns(profile),
  };
}

/**
 * A healthy run teaches the dataset's baseline: row count, null ratios, schema, and its distributions
 * merged into the open epoch (baseline-epochs.ts).
 */
export function learnBaseline(
  node: NodeState,
  role: 'out' | 'in',
  dataset: string,
  profile: Profile,
  report: Pick<Report, 'run_id' | 'event_time'>,
  epochs: Map<string, BaselineEpoch>,
  options: CompiledCoreOptions,
  dirty: Set<string>,
  /**
   * The run's evaluated columns (evaluateProfile): their drift statistics join the columns' noise history
   * (not a recurring state's, nor one a first week held).
   */
  evaluated: readonly ColumnMetrics[] = [],
  /** Which output columns keep long-horizon state (see {@link learnSummary}); absent = every one. */
  horizon?: (column: string) => boolean,
  /**
   * The rows of each run it read, by parent, and their key columns' distinct values (the first output's
   * pass-through; absent: not all known).
   */
  inputs?: { rows: Record<string, number>; groups: Record<string, number> },
): void {
  const summary = summarize(dataset, profile, inputs);
  for (const m of evaluated) {
    const c = m.dataset === dataset ? own(summary.nulls, m.column) : undefined;
    // A state's distance (a recurring state, or one a first week held) is not the column's run-to-run noise:
    // in the noise history, a weekly state's distance would widen the band until a weekday fault as large
    // as the weekend's difference, or larger, read as noise.
    // A moved median fill's run joins it with how far the rest of the column moved (the fill's own move is
    // explained: in the history, it widened the band until a fill moved to 0 read as noise).
    if (
      c &&
      m.drift &&
      m.drift.reference_run === undefined &&
      m.drift.recurring !== true &&
      m.drift.held !== true &&
      Number.isFinite(m.drift.statistic)
    ) {
      c.drift = m.drift.fill_moved ? m.drift.fill_moved.rest : m.drift.statistic;
      if (m.drift.scale && m.drift.fill_moved === undefined) c.scale = m.drift.scale.shift;
    }
    if (c && m.drift?.test === 'chi2' && freshValueIn(m.drift)) c.fresh = true;
  }
  learnSummary(
    node,
    role,
    summary,
    { run_id: report.run_id, event_time: Date.parse(report.event_time) },
    epochs,
    options,
    dirty,
    horizon,
  );
  const b = own(role === 'out' ? node.outputs : node.inputs, dataset);
  for (const m of evaluated)
    if (m.dataset === dataset && m.drift?.recurring === true) followState(own(b?.columns, m.column), m.drift, m.mean);
}

/**
 * Teaches a dataset's baseline one run's summary (a healthy run's, or an accepted candidate's). An output
 * numeric column's long-horizon state (reference epoch, CUSUM) is kept only where `horizon` says so (the
 * core: where a long_drift rule is enabled for the column); elsewhere it is never collected, and state left
 * from when the rule was enabled is dropped. Absent = every column keeps it.
 */
export function learnSummary(
  node: NodeState,
  role: 'out' | 'in',
  summary: DatasetSummary,
  run: { run_id: string; event_time: number },
  epochs: Map<string, BaselineEpoch>,
  options: CompiledCoreOptions,
  dirty: Set<string>,
  horizon?: (column: string) => boolean,
): void {
  const map = role === 'out' ? node.outputs : node.inputs;
  const dataset = summary.dataset;
  const b = own(map, dataset) ?? (map[dataset] = newDatasetBaseline(dataset));
  const n = options.baselineRuns;
  b.healthy_runs += 1;
  if (summary.row_count !== undefined) {
    learnCalendarLevels(b, run.event_time, summary.row_count);
    pushBounded(b.row_counts, summary.row_count, n);
    pushSeasonal((b.row_seasons ??= []), run.event_time, summary.row_count);
    learnPoints(b, 'through', summary.row_count, summary.input_rows, n);
    learnPoints(b, 'groups', summary.row_count, summary.input_groups, n);
  }
  for (const [name, col] of Object.entries(summary.nulls)) {
    const c = own(b.columns, name) ?? (b.columns[name] = { kind: col.kind, null_ratios: [] });
    c.kind = col.kind;
    pushBounded(c.null_ratios, col.ratio, n);
    // Days are kept from a node's first run (whether it runs daily is known from its second).
    if (b.row_seasons !== undefined && (b.row_seasons.length < 2 || runsDaily(b.row_seasons)))
      pushBounded((c.null_days ??= []), new Date(run.event_time).getUTCDay(), n);
    else if (c.null_days !== undefined) delete c.null_days;
    if (col.range) pushBounded((c.ranges ??= []), col.range, n);
    if (col.repeats) pushBounded((c.repeats ??= []), col.repeats, n);
    if (col.mean !== undefined) learnPinnedMean(c, col.mean, col.range);
    if (col.fresh === true) pushBounded((c.fresh_runs ??= []), b.healthy_runs, n);
    if (col.drift !== undefined) pushBounded((c.drift_stats ??= []), col.drift, n);
    if (col.scale !== undefined) pushBounded((c.scale_shifts ??= []), col.scale, n);
    // The history before the magnitude floor (scaleShift) measured smaller shifts: not this one's band.
    if (c.scale_stats !== undefined) delete c.scale_stats;
    if (c.states) for (const st of c.states) st.left = true;
    if (role === 'out' && col.mean !== undefined && col.n !== undefined && col.n > 0) {
      if (horizon === undefined || horizon(name))
        collectEpoch(c, col.mean, col.n, own(summary.columns, name), n, run.event_time);
      else if (c.horizon !== undefined) delete c.horizon;
    }
  }
  if (summary.schema !== undefined) b.schema = summary.schema;
  if (summary.content_hash !== undefined) b.content = nextContent(b.content, summary.content_hash);
  const columns = summary.columns;
  if (Object.keys(columns).length > 0) {
    const prefix = epochPrefix(node.pipeline, node.node, role, dataset);
    dirty.add(learnEpoch(epochs, prefix, b.slot_seq, run.run_id, columns, options));
    b.slot_seq += 1;
    b.slot_count = windowRuns(n, b.slot_seq);
  }
}

/**
 * Moves a growing table's row-count history (recent and seasonal) up to a new level, by the step from its last
 * count, kept in order (core.ts, growthOf): the run then joins a history that ends where it begins.
 */
export function raiseRowCounts(b: DatasetBaseline, rows: number): void {
  const last = b.row_counts.at(-1);
  if (last === undefined || !(rows > last)) return;
  const step = rows - last;
  b.row_counts = b.row_counts.map((x) => x + step);
  if (b.row_seasons) b.row_seasons = b.row_seasons.map(([t, x]) => [t, x + step] as [number, number]);
}

/**
 * Moves a dataset's row-count history (recent and seasonal) to a new level by a factor: a level change that
 * is the normal at once (one that follows a compatible change upstream). The seasons and the spread are kept,
 * scaled: a node whose weekends were 40% smaller still expects that at the new level.
 */
export function shiftRowCounts(b: DatasetBaseline, factor: number, shareFactor?: number): void {
  if (!Number.isFinite(factor) || factor <= 0) return;
  b.row_counts = b.row_counts.map((x) => x * factor);
  // The share passed moved with it (by its own factor: the input may have moved too).
  if (b.through && shareFactor !== undefined && Number.isFinite(shareFactor) && shareFactor > 0)
    for (const [k, points] of Object.entries(b.through))
      b.through[k] = points.map(([x, y]) => [x, y + Math.log(shareFactor)] as [number, number]);
  if (b.row_seasons) b.row_seasons = b.row_seasons.map(([t, x]) => [t, x * factor] as [number, number]);
  // Rows per key may have moved or not (new keys, or more rows per key): learned again from the new level.
  if (b.groups !== undefined) delete b.groups;
}

/**
 * Teaches only the row-count history (recent and seasonal) of a dataset whose baseline exists: for a run
 * that another check flagged while its row count passed its own (see MonitorCore.learn).
 */
export function learnRowCount(
  node: NodeState,
  role: 'out' | 'in',
  dataset: string,
  rows: number,
  at: number,
  options: CompiledCoreOptions,
  /** The rows of each run it read, by parent, and their key columns' distinct values (absent: not all known). */
  inputs?: { rows: Record<string, number>; groups: Record<string, number> },
): boolean {
  const b = own(role === 'out' ? node.outputs : node.inputs, dataset);
  if (!b || !Number.isFinite(rows) || rows < 0) return false;
  learnCalendarLevels(b, at, rows);
  pushBounded(b.row_counts, rows, options.baselineRuns);
  pushSeasonal((b.row_seasons ??= []), at, rows);
  learnPoints(b, 'through', rows, inputs?.rows, options.baselineRuns);
  learnPoints(b, 'groups', rows, inputs?.groups, options.baselineRuns);
  return true;
}

/**
 * Learns a run's points of the pass-through histories (stats/pass-through.ts): `through`, one per parent, from
 * the rows each run it read held (at most {@link THROUGH_MAX_INPUTS} parents, the first ones seen); `groups`,
 * one per parent and key column, from their distinct values (groupExpectation; at most
 * {@link THROUGH_MAX_GROUPS}, the first ones seen). Nothing when what it read is not all known.
 */
function learnPoints(
  b: DatasetBaseline,
  field: 'through' | 'groups',
  rows: number,
  counts: Record<string, number> | undefined,
  n: number,
): void {
  if (counts === undefined) return;
  const max = field === 'through' ? THROUGH_MAX_INPUTS : THROUGH_MAX_GROUPS;
  for (const [key, count] of Object.entries(counts)) {
    const point = throughPoint(rows, count);
    if (point === undefined) continue;
    const all = (b[field] ??= dict<[number, number][]>());
    const history = own(all, key);
    if (history) pushBounded(history, point, n);
    else if (Object.keys(all).length < max) all[key] = [point];
  }
}

/**
 * Learns a run's row count into the calendar levels (before the run joins the other histories): a sub-daily
 * node's day level ({@link learnWeekdayLevel}) and, on a month's edge, the month-edge history as the ratio of
 * its rows to what its day expected. Flagged runs too: see {@link MonthEdges}.
 */
export function learnCalendarLevels(b: DatasetBaseline, t: number, rows: number): boolean {
  const weekday = learnWeekdayLevel(b, t, rows);
  const business = runsDaily(b.row_seasons);
  if (!Number.isFinite(t) || edgeLabels(t, business).length === 0 || b.row_counts.length === 0) return weekday;
  const e = rowExpectations(rows, t, b.row_counts, b.row_seasons ?? []);
  if (!e) return weekday;
  const expected = (e.auto.undetermined ? e.none : e.auto).expected;
  pushMonthEdge((b.month_edges ??= []), t, rows, expected, MONTH_EDGE_RUNS, business);
  return true;
}

/**
 * Learns a sub-daily run into its day's weekday level, as the log of its rows over what its hour expected
 * (before the run joins the other histories). Flagged runs too: see {@link WeekdayLevels}.
 */
function learnWeekdayLevel(b: DatasetBaseline, t: number, rows: number): boolean {
  if (!Number.isFinite(t) || b.row_counts.length === 0) return false;
  const expected = weekdayBaseExpected(rows, t, b.row_counts, b.row_seasons ?? []);
  if (expected === undefined) return false;
  pushWeekdayLevel((b.weekday_levels ??= []), t, rows, expected);
  return true;
}

/**
 * Forgets a dataset's baseline (an accepted change: the baseline restarts): its epochs are deleted (the
 * state records with them) and the next runs arm its rules again after their minimum baseline runs.
 */
export function resetBaseline(
  node: NodeState,
  role: 'out' | 'in',
  dataset: string,
  epochs: Map<string, BaselineEpoch>,
  options: CompiledCoreOptions,
  dirty: Set<string>,
): void {
  const map = role === 'out' ? node.outputs : node.inputs;
  if (own(map, dataset) === undefined) return;
  const prefix = epochPrefix(node.pipeline, node.node, role, dataset);
  for (let i = 0; i < epochGeometry(options.baselineRuns).ring; i++) {
    const key = `${prefix}${i}`;
    if (epochs.delete(key)) dirty.add(key);
  }
  map[dataset] = newDatasetBaseline(dataset);
}

/**
 * Keeps the pinned reference run's distributions for a node's outputs: from the run itself when it is
 * the one being processed, else from the epoch of the baseline window that merged it, if it is still
 * there (epochOfRun). Returns whether the node's state changed.
 */
export function holdReference(
  node: NodeState,
  referenceRun: string,
  report: Pick<Report, 'run_id' | 'outputs'>,
  epochs: ReadonlyMap<string, BaselineEpoch>,
  options: CompiledCoreOptions,
): boolean {
  let changed = false;
  for (const o of report.outputs ?? []) {
    const b = own(node.outputs, o.dataset) ?? (node.outputs[o.dataset] = newDatasetBaseline(o.dataset));
    if (b.reference?.run_id === referenceRun) continue;
    const columns =
      report.run_id === referenceRun && o.profile !== undefined
        ? slotColumns(o.profile)
        : epochOfRun(epochs, epochPrefix(node.pipeline, node.node, 'out', o.dataset), b, referenceRun, options);
    if (columns) {
      b.reference = { run_id: referenceRun, columns };
      changed = true;
    }
  }
  return changed;
}
