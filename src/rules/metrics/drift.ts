import { DEFAULT_MIN_BASELINE_RUNS, fmt, holdsFirstWeek as holds, pct } from './types.js';
import {
  DEFAULT_CATEGORY_FLOOR,
  type CategoryMove,
  type ColumnMetrics,
  type DriftMetrics,
  type NodeRunMetrics,
  type Rule,
} from '../types.js';
import type { RuleMetricDescriptor } from './types.js';

/**
 * The drift statistic (KS D, or total variation for categories) from which a column has moved apart from its
 * baseline rather than to a new level: the two distributions nearly disjoint, 95% of the mass crossed over. A
 * unit or scale change (cents for dollars, milliseconds for seconds), a sign flip, a re-encoding of categories.
 * A deliberate new level (a raised filter threshold, a retrained model, a price change) moves a column far less
 * (a shift of the mean by 3 standard deviations of a normal column is D = 0.87). Such a change never becomes
 * normal on its own, however steady (docs/statistics.md, "The new normal"), and a first week's new weekday does
 * not hold it (a weekend's data differs from a weekday's; it does not move apart from it).
 */
export const APART_STATISTIC = 0.95;

/** Whether the rule waits on this run: a first week's new weekday (`first_week: hold`), the column not moved apart. */
function held(r: Rule, m: NodeRunMetrics, d: DriftMetrics): boolean {
  return holds(r, m) && d.statistic < APART_STATISTIC;
}

/** Whether the rule controls false discoveries across the run's columns (Benjamini-Hochberg, the default). */
export function usesFdr(r: Rule): boolean {
  return (r.fdr ?? 'bh') === 'bh';
}

/** The p-value the rule judges: adjusted across the run's columns under FDR control, else the raw one. */
function pvalueFor(r: Rule, d: DriftMetrics): number {
  return usesFdr(r) ? (d.pvalue_adjusted ?? d.pvalue) : d.pvalue;
}

/**
 * THE drift verdict: the effect exceeds `effect_floor` and the test is significant at p <= alpha (as the
 * stats module's drift verdicts and scipy-style tests decide).
 */
export function driftViolated(r: Rule, d: DriftMetrics): boolean {
  return d.effect > r.effect_floor! && pvalueFor(r, d) <= r.alpha! && !withinNoise(d);
}

/**
 * The scale shift (monitor/evaluate.ts, scaleShift) a numeric column's rows must average, in orders of
 * magnitude, to be a drift when KS is not: 3% of the rows moved by one order of magnitude, 1% by three. Rows
 * that moved within their order of magnitude are KS's to judge.
 */
export const SCALE_FLOOR = 0.03;

/**
 * A scale shift is about values that moved by orders of magnitude: at least one quantile level moved by one
 * (a tenth or ten times its magnitude). A whole column that doubled (a month-end's payments per merchant, 3 ->
 * 5 at the median, 13 -> 24 at the 90th percentile: 0.2 at most) moved within its order of magnitude: KS's to
 * judge, with its sampling error.
 */
export const SCALE_ORDER = 1;

/**
 * How far past its healthy level (the noise band of its history) a scale shift must be: the shift has no
 * sampling-error bound of its own (KS's effect has), so twice the level stands in for one. A month-end's
 * revenue, twice a day's on 90 rows (a shift of 0.17 against a level of 0.16), is not a scale shift; an inverted
 * quote (0.14 against 0.013) is.
 */
export const SCALE_BAND_MARGIN = 2;

/**
 * A numeric column whose values moved in scale (a rate inverted for some currencies, a unit for some sensors):
 * the shift at least {@link SCALE_FLOOR}, at one quantile level at least {@link SCALE_ORDER}, and
 * {@link SCALE_BAND_MARGIN} times its own healthy level (a history of
 * at least DRIFT_NOISE_MIN_RUNS runs: never judged before), the distributions surely apart (KS's effect, its
 * lower confidence bound less sampling and sketch error, above 0) and their difference significant at `alpha`.
 */
export function scaleViolated(r: Rule, d: DriftMetrics): boolean {
  return scaleBeyond(d, SCALE_BAND_MARGIN, pvalueFor(r, d), r.alpha!);
}

/**
 * A scale shift under its violation's margin but past the column's healthy level by `fraction` of it (at the
 * default half: past the level itself), with everything else a violation needs (significant on its own, the
 * raw p-value, as every signal): RCA evidence that a parent carried a move in scale its child, a little further
 * past its own level, shows (the same converted amounts, 1.9 times their level at the conversion, 2.1 times at
 * the fees step that reads them).
 */
function scaleElevated(r: Rule, d: DriftMetrics, fraction: number): boolean {
  return scaleBeyond(d, SCALE_BAND_MARGIN * fraction, d.pvalue, r.alpha!);
}

/** The conditions of {@link scaleViolated}, with the margin over the healthy level and the p-value given. */
function scaleBeyond(d: DriftMetrics, margin: number, p: number, alpha: number): boolean {
  const sc = d.scale;
  return (
    sc !== undefined &&
    sc.band !== undefined &&
    sc.shift >= SCALE_FLOOR &&
    sc.most >= SCALE_ORDER &&
    sc.shift > margin * sc.band &&
    d.effect > 0 &&
    p <= alpha &&
    d.recurring !== true &&
    d.fill_moved === undefined
  );
}

/** "1.2 / 45 / 3,400": three quantiles for people. */
function quantiles(q: readonly number[]): string {
  return q.map(fmt).join(' / ');
}

/**
 * The run's distance is not surely beyond the column's own healthy run-to-run movement (its noise band):
 * the effect's lower confidence bound (the statistic less its sampling and sketch error) is at or below
 * the band. Decided on the bound, like the effect floor: a small table's statistic just past the band is
 * within what its own sampling error allows.
 */
export function withinNoise(d: DriftMetrics): boolean {
  return d.recurring === true || d.fill_moved !== undefined || (d.noise_band !== undefined && d.effect <= d.noise_band);
}

/**
 * The values that appeared or vanished past the rule's `category_floor`: a share now of at least the
 * floor over a baseline share of at most a tenth of it (or the reverse), significant at `alpha` (under FDR
 * control, after Benjamini-Hochberg across the run's columns: rules/engine.ts, adjustDriftPvalues). Values
 * whose shares together are within the column's own healthy movement (its noise band: healthy runs move the
 * distribution by as much) vanishing are that movement, not a change of values: an export split at its scores'
 * median, whose ties send every row one way now and then. A value never seen before is new whatever the
 * column's movement (docs/statistics.md, "Categorical columns").
 */
export function categoryChanges(r: Rule, d: DriftMetrics): CategoryMove[] {
  if (d.test !== 'chi2' || !d.candidates || r.alpha === undefined || d.turnover === true || d.recurring === true)
    return [];
  const floor = r.category_floor ?? DEFAULT_CATEGORY_FLOOR;
  const changes = d.candidates.filter(
    (c) =>
      candidatePvalue(r, c) <= r.alpha! &&
      (c.change === 'appeared'
        ? c.current[0] >= floor && c.baseline[1] <= floor / 10
        : c.baseline[0] >= floor && c.current[1] <= floor / 10),
  );
  // The values that vanished, all together, within the column's own movement: that movement.
  const vanished = changes.reduce((a, c) => a + (c.change === 'vanished' ? c.baseline[0] : 0), 0);
  return d.noise_band !== undefined && vanished > 0 && vanished <= d.noise_band
    ? changes.filter((c) => c.change !== 'vanished')
    : changes;
}

/** The p-value the rule judges an appeared or vanished value at: adjusted under FDR control, else its own. */
function candidatePvalue(r: Rule, c: CategoryMove): number {
  return (usesFdr(r) ? c.pvalue_adjusted : undefined) ?? c.pvalue ?? 1;
}

function band(d: DriftMetrics): string {
  return d.noise_band !== undefined && d.noise_band > 0 ? `; its healthy level up to ${d.noise_band.toFixed(3)}` : '';
}

function share([lo, hi]: [number, number]): string {
  return hi - lo < 0.0005 ? pct(lo) : `${pct(lo)}-${pct(hi)}`;
}

/** "'scroll' appeared 0.0% -> 3.1%, 'click' moved 40.0% -> 36.2%": the values behind a categorical finding. */
export function describeMoves(moves: readonly CategoryMove[]): string {
  return moves
    .map((m) => `${JSON.stringify(m.value)} ${m.change} ${share(m.baseline)} -> ${share(m.current)}`)
    .join(', ');
}

/** The values a categorical finding names: the certified appearances first, then those that moved most (5 at most). */
function namedMoves(changes: readonly CategoryMove[], d: DriftMetrics): CategoryMove[] {
  const out = [...changes];
  for (const m of d.shifts ?? []) if (!out.some((o) => o.value === m.value)) out.push(m);
  return out.slice(0, 5);
}

/** `drift`: a column's distribution moved by more than `effect_floor`, significant at `alpha`. */
export const drift: RuleMetricDescriptor = {
  params: {
    effect_floor: 'fraction',
    alpha: 'fraction',
    fdr: 'fdr',
    persistence: 'count',
    category_floor: 'fraction',
    first_week: 'first_week',
  },
  required: ['effect_floor', 'alpha'],
  minBaselineRuns: DEFAULT_MIN_BASELINE_RUNS,
  column: true,
  violation: (r, m, c?: ColumnMetrics) => {
    const d = c?.drift;
    if (!c || !d || r.effect_floor === undefined || r.alpha === undefined || held(r, m, d)) return undefined;
    const p = pvalueFor(r, d);
    const after = usesFdr(r) ? ' after FDR control' : '';
    const details = {
      test: d.test,
      effect: d.effect,
      pvalue: d.pvalue,
      pvalue_adjusted: p,
      n_current: d.n_current,
      n_baseline: d.n_baseline,
      dataset: c.dataset,
    };
    if (d.test === 'ks') {
      if (!driftViolated(r, d)) {
        if (!scaleViolated(r, d)) return undefined;
        const sc = d.scale!;
        return {
          metric: 'drift',
          column: c.column,
          value: d.statistic,
          threshold: r.effect_floor,
          message: `values of ${c.column} moved in scale: quantiles 10/50/90% ${quantiles(sc.baseline)} -> ${quantiles(sc.current)}, ${sc.shift.toFixed(2)} orders of magnitude on average (its healthy level up to ${sc.band!.toFixed(3)}; KS D = ${d.statistic.toFixed(3)}), p = ${p.toExponential(2)}${after}`,
          details: { ...details, scale_shift: sc.shift, scale_band: sc.band },
        };
      }
      return {
        metric: 'drift',
        column: c.column,
        value: d.statistic,
        threshold: r.effect_floor,
        message: `distribution of ${c.column} shifted: KS D = ${d.statistic.toFixed(3)} (effect ${d.effect.toFixed(3)} > ${r.effect_floor}${band(d)}), p = ${p.toExponential(2)}${after}`,
        details,
      };
    }
    const shifted = driftViolated(r, d);
    const changes = categoryChanges(r, d);
    if (!shifted && changes.length === 0) return undefined;
    // A version rolling out: a notice (learned, never an incident), whatever it moved.
    if (d.rollout)
      return {
        metric: 'drift',
        column: c.column,
        value: d.statistic,
        threshold: r.effect_floor,
        message: `${c.column}: ${d.rollout.values.map((v) => JSON.stringify(v)).join(', ')} rolling out, ${pct(d.rollout.baseline)} -> ${pct(d.rollout.share)} of rows; older versions giving way (total variation ${d.statistic.toFixed(3)})`,
        details: { ...details, rollout: d.rollout },
      };
    const named = namedMoves(changes, d);
    const what = shifted
      ? `categories of ${c.column} shifted: total variation ${d.statistic.toFixed(3)} (effect ${d.effect.toFixed(3)} > ${r.effect_floor}${band(d)}), chi-squared p = ${p.toExponential(2)}${after}`
      : `categories of ${c.column} ${changes.some((x) => x.change === 'appeared') ? 'gained' : 'lost'} values past ${pct(r.category_floor ?? DEFAULT_CATEGORY_FLOOR)} of rows (p = ${Math.min(...changes.map((x) => candidatePvalue(r, x))).toExponential(2)}${after})`;
    return {
      metric: 'drift',
      column: c.column,
      value: d.statistic,
      threshold: r.effect_floor,
      message: named.length > 0 ? `${what}; ${describeMoves(named)}` : what,
      details: {
        ...details,
        values: named,
        ...(changes.length > 0 ? { appeared_or_vanished: changes } : {}),
        // New values alone, the distance within the floor and the band: a notice, learned (core.ts, `rebaselines`).
        ...(!shifted && changes.length > 0 && changes.every((x) => x.change === 'appeared')
          ? { appeared_only: true }
          : {}),
      },
    };
  },
  signal: (r, m, c, fraction) => {
    const d = c?.drift;
    if (!c || !d || r.effect_floor === undefined || r.alpha === undefined || held(r, m, d) || driftViolated(r, d))
      return undefined;
    if (categoryChanges(r, d).length > 0 || d.rollout) return undefined;
    // A signal is significant on its own (raw p-value), at the same p <= alpha as a violation.
    const moved = !withinNoise(d) && d.effect > r.effect_floor * fraction && d.pvalue <= r.alpha;
    const scaled = !moved && d.test === 'ks' && !scaleViolated(r, d) && scaleElevated(r, d, fraction);
    if (!moved && !scaled) return undefined;
    return {
      metric: 'drift',
      column: c.column,
      value: d.statistic,
      threshold: r.effect_floor,
      message: scaled
        ? `values of ${c.column} moving in scale (${d.scale!.shift.toFixed(2)} orders of magnitude on average, under ${SCALE_BAND_MARGIN} times its healthy level ${d.scale!.band!.toFixed(3)})`
        : d.test === 'chi2' && d.shifts && d.shifts.length > 0
          ? `categories of ${c.column} moved (effect ${d.effect.toFixed(3)}, under the ${r.effect_floor} floor); ${describeMoves(d.shifts.slice(0, 3))}`
          : `distribution of ${c.column} moved (effect ${d.effect.toFixed(3)}, under the ${r.effect_floor} floor)`,
    };
  },
};
