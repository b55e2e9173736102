import { MAD_NORMAL_SCALE, MEANAD_NORMAL_SCALE, median } from './baseline.js';
import { fSf, normalSf, tIsf } from './beta.js';

/** How a row count's expected value is found: a calendar slot's own history, or the node's overall one. */
export type Seasonality = 'none' | 'daily' | 'weekly' | 'auto';
/** A calendar grouping of event times (UTC): hour of day, or day of week. */
export type SeasonGrouping = 'daily' | 'weekly';

/** Healthy row counts kept per hour-of-week slot (UTC): 4 weeks of a daily or an hourly node. */
export const ROWS_PER_SEASON_SLOT = 4;
/** Hour-of-week slots (7 x 24). */
export const SEASON_SLOTS = 168;
/** Default for row_count's `min_z`: the deviation must exceed this many prediction spreads. */
export const DEFAULT_ROW_MIN_Z = 4;
/** Share of the (log) variance the grouping must explain beyond chance (omega squared) to be taken as seasonal. */
export const SEASONAL_MIN_EXPLAINED = 0.5;
/** And its F ratio (between-slot over within-slot mean square) must reach this. */
export const SEASONAL_MIN_F = 10;
/**
 * A grouping that passes the two thresholds above is *established* when its F test's p-value (F with slots - 1
 * and runs - slots degrees of freedom) is at most this; until then it is only *suggested*, and the row count
 * must stand out both from its slot and from the node's overall level. With 3 within-slot degrees of freedom
 * (a daily node's 10th run), F >= 10 over 7 weekdays happens by chance 4% of the time: a noisy node whose
 * repeated weekdays happened to agree was taken as weekly and judged against one earlier run of the same
 * weekday (the pandas set at full size, seed 3: a fraud filter's 446 rows against 413, "weekly baseline of
 * 1 runs"). Re-checked at every run, about 6% of non-seasonal daily nodes were taken as weekly in their
 * first weeks (simulated: 300 nodes of 5% noise); at 0.001, 0.3-0.7%, and those only suggested.
 */
export const SEASONAL_MAX_P = 0.001;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** The UTC slot of an event time (ms): hour of day 0-23, day of week 0-6 (0 = Sunday), or hour of week 0-167. */
export function seasonSlot(t: number, grouping: SeasonGrouping | 'hour-of-week'): number {
  const d = new Date(t);
  if (grouping === 'daily') return d.getUTCHours();
  if (grouping === 'weekly') return d.getUTCDay();
  return d.getUTCDay() * 24 + d.getUTCHours();
}

/**
 * Adds a healthy run's row count at event time `t` to a seasonal history ([event time ms, rows] pairs,
 * oldest first), keeping at most `perSlot` per UTC hour-of-week slot: a bounded history (at most 168 x
 * perSlot pairs) that holds a few weeks of every slot whatever the node's cadence.
 */
export function pushSeasonal(
  history: [number, number][],
  t: number,
  rows: number,
  perSlot = ROWS_PER_SEASON_SLOT,
): void {
  if (!Number.isFinite(t) || !Number.isFinite(rows)) return;
  let i = history.length;
  while (i > 0 && history[i - 1]![0] > t) i--;
  history.splice(i, 0, [t, rows]);
  const slot = seasonSlot(t, 'hour-of-week');
  let same = 0;
  for (const [u] of history) if (seasonSlot(u, 'hour-of-week') === slot) same++;
  if (same > perSlot) {
    const oldest = history.findIndex(([u]) => seasonSlot(u, 'hour-of-week') === slot);
    history.splice(oldest, 1);
  }
}

/**
 * Robust standard deviation of residuals (around 0): the larger of 1.4826 x their MAD and sqrt(pi/2) x their
 * mean absolute deviation (both the sd at the normal). Over a handful of runs the MAD is the middle one of a
 * few deviations and can lie far below the spread: 7 daily counts of active customers (1,333 to 1,396) have a
 * MAD of 5 customers and an sd of 21, and 1,456 customers the next Monday read as z = 4.1 (the pandas set,
 * full size, seed 7). The mean absolute deviation uses every run and is still linear in an outlier.
 */
export function robustScale(residuals: readonly number[]): number {
  if (residuals.length === 0) return 0;
  const abs = residuals.map(Math.abs);
  const mad = median(abs) * MAD_NORMAL_SCALE;
  const meanAd = (abs.reduce((a, x) => a + x, 0) / abs.length) * MEANAD_NORMAL_SCALE;
  return Math.max(mad, meanAd);
}

const lg = (x: number): number => Math.log1p(Math.max(0, x));

/** A calendar slot's runs: their values as reported, and the UTC days they fell on. */
interface Slot {
  values: number[];
  days: Set<number>;
}

function slotsOf(history: readonly [number, number][], grouping: SeasonGrouping): Map<number, Slot> {
  const g = new Map<number, Slot>();
  for (const [t, value] of history) {
    const s = seasonSlot(t, grouping);
    let slot = g.get(s);
    if (!slot) g.set(s, (slot = { values: [], days: new Set() }));
    slot.values.push(value);
    slot.days.add(Math.floor(t / DAY));
  }
  return g;
}

/** How much of the history's (log) variance a calendar grouping explains. */
export interface SeasonalFit {
  grouping: SeasonGrouping;
  /** Omega squared: the share of variance explained beyond what as many groups would explain by chance. */
  explained: number;
  /** Between-slot over within-slot mean square. */
  f: number;
  /** Robust standard deviation of the within-slot (log) residuals, corrected for the slot medians' fit. */
  spread: number;
  /** Its degrees of freedom: the independent within-slot residuals it rests on (runs minus slots with runs). */
  residuals: number;
  /** The F test's p-value: P(F(slots - 1, runs - slots) >= f) for a history without any seasonality. */
  p: number;
  /**
   * Index of dispersion of the counts within their slots, pooled over the slots seen twice or more (the
   * within-slot variance of the counts themselves over their mean): whether the node's counts are counts of
   * random events (see `expectation`), told from all its slots rather than from the few runs of one.
   */
  dispersion: number;
}

/**
 * How many slots have been seen on two or more UTC days: the pattern has repeated there. Runs of one day
 * are not replicates of a day-of-week (or an hour-of-day) pattern: an hourly node's first Monday is 24 runs
 * in one weekly slot, and a catalog growing by a row every three hours had every weekday of its first week
 * in a slot of its own, an F in the thousands, and its second Monday 14% "above the Monday level".
 */
function repeatedSlots(slots: ReadonlyMap<number, Slot>): number {
  let repeated = 0;
  for (const slot of slots.values()) if (slot.days.size >= 2) repeated++;
  return repeated;
}

/** The within-slot variance of the counts over their mean, pooled over the slots seen twice or more (0 if none). */
function pooledDispersion(slots: ReadonlyMap<number, Slot>): number {
  let ss = 0;
  let dof = 0;
  let sum = 0;
  let n = 0;
  for (const { values: v } of slots.values()) {
    if (v.length < 2) continue;
    const m = v.reduce((a, x) => a + x, 0) / v.length;
    for (const x of v) ss += (x - m) ** 2;
    dof += v.length - 1;
    sum += m * v.length;
    n += v.length;
  }
  return dof > 0 && sum > 0 ? ss / dof / (sum / n) : 0;
}

/**
 * One-way analysis of variance of log row counts by calendar slot (or of the values themselves, `transform`
 * the identity: a column's per-run means). Undefined when the history cannot say: fewer than two slots,
 * fewer than two slots seen on two UTC days or more, or fewer than 3 within-slot degrees of freedom.
 */
export function seasonalFit(
  history: readonly [number, number][],
  grouping: SeasonGrouping,
  transform: (x: number) => number = lg,
): SeasonalFit | undefined {
  const slots = slotsOf(history, grouping);
  const n = history.length;
  const k = slots.size;
  if (k < 2 || repeatedSlots(slots) < 2 || n - k < 3) return undefined;
  const g = [...slots.values()].map((slot) => slot.values.map(transform));
  let total = 0;
  for (const v of g) for (const x of v) total += x;
  const mean = total / n;
  let ssT = 0;
  let ssW = 0;
  const residuals: number[] = [];
  let dof = 0;
  for (const v of g) {
    const m = v.reduce((a, x) => a + x, 0) / v.length;
    for (const x of v) {
      ssT += (x - mean) ** 2;
      ssW += (x - m) ** 2;
    }
    if (v.length >= 2) {
      // From the slot's mean, not its median (the median of an odd slot would add exact zeros and
      // shrink the MAD); such residuals are smaller than the noise by sqrt((n-1)/n).
      const c = Math.sqrt(v.length / (v.length - 1));
      for (const x of v) residuals.push((x - m) * c);
      dof += v.length - 1;
    }
  }
  if (ssT === 0) return undefined;
  const msW = ssW / (n - k);
  const ssB = ssT - ssW;
  const explained = (ssB - (k - 1) * msW) / (ssT + msW);
  const f = msW > 0 ? ssB / (k - 1) / msW : Infinity;
  // A slot of m runs gives m residuals but only m - 1 independent ones (they sum to zero): the spread's
  // degrees of freedom, which the small-sample widening needs, are the within-slot ones.
  return {
    grouping,
    explained,
    f,
    spread: robustScale(residuals),
    residuals: dof,
    p: fSf(f, k - 1, n - k),
    dispersion: pooledDispersion(slots),
  };
}

/** The calendar grouping that explains the history, if one does clearly (see docs/statistics.md). */
export function detectSeasonality(
  history: readonly [number, number][],
  transform: (x: number) => number = lg,
): SeasonalFit | undefined {
  return clearest([seasonalFit(history, 'weekly', transform), seasonalFit(history, 'daily', transform)]);
}

/** Of fits (weekly first), the one that explains most among those past both thresholds. */
function clearest(fits: readonly (SeasonalFit | undefined)[]): SeasonalFit | undefined {
  let best: SeasonalFit | undefined;
  for (const fit of fits) {
    if (!fit || fit.explained < SEASONAL_MIN_EXPLAINED || fit.f < SEASONAL_MIN_F) continue;
    if (!best || fit.explained > best.explained) best = fit;
  }
  return best;
}

/** What a run's row count is compared with. */
export interface RowExpectation {
  /**
   * The seasonality used: the slot's own history, the node's overall one ('none'), or (auto only) the
   * earlier runs on the same edge of a month ('month-end': its last UTC day; 'month-start': its first), or a
   * sub-daily node's hour moved by its weekday's level ('hour-and-weekday', {@link WeekdayLevels}).
   */
  seasonality: 'none' | SeasonGrouping | 'month-end' | 'month-start' | 'hour-and-weekday';
  /** Median of the healthy runs behind it. */
  expected: number;
  /** How many healthy runs. */
  runs: number;
  /** (rows - expected) / expected (±1e9 / -1 from a 0 expectation). */
  deviation: number;
  /**
   * The prediction spread of log(1 + rows): the history's robust noise times sqrt(1 + pi / (2 runs)),
   * the median's own uncertainty, times {@link smallSampleFactor}. 0 for a history without noise.
   */
  spread: number;
  /** (log(1 + rows) - log(1 + expected)) / spread: 0 or ±Infinity when spread is 0. */
  z: number;
  /**
   * No verdict possible: the run falls in a calendar slot never seen while its seasonality is set, or
   * (auto) while the history is too young to know whether the node is weekly.
   */
  undetermined?: true;
  /** (auto) The grouping was established by its F test (p <= {@link SEASONAL_MAX_P}), not only suggested. */
  established?: true;
}

/**
 * How much wider a band of k spreads must be when the spread is estimated from `residuals` values, so that it
 * keeps its normal-theory false rate: Student's t quantile at the normal's tail beyond k, over k, with
 * nu = {@link SPREAD_EFFICIENCY} x residuals degrees of freedom (the spread is never below the mean absolute
 * deviation's estimate, {@link robustScale}, so it is underestimated no more often than that alone).
 */
export function smallSampleFactor(residuals: number, k = DEFAULT_ROW_MIN_Z): number {
  const nu = Math.max(1, SPREAD_EFFICIENCY * residuals);
  const key = `${k}/${nu}`;
  let f = FACTORS.get(key);
  if (f === undefined) {
    f = k > 0 ? Math.max(1, tIsf(normalSf(k), nu) / k) : 1;
    if (Number.isNaN(f)) f = 1;
    if (FACTORS.size < 10_000) FACTORS.set(key, f);
  }
  return f;
}

/** Memo of {@link smallSampleFactor} by (k, nu): the quantile is a bisection, the arguments a handful. */
const FACTORS = new Map<string, number>();

/**
 * The asymptotic efficiency at the normal of the mean absolute deviation as an estimate of the sd (0.876):
 * the spread's degrees of freedom per residual.
 */
export const SPREAD_EFFICIENCY = 0.88;

/** The standard deviation of a count's rounding to whole rows: sqrt(1/12) of a row. */
export const ROUNDING_SD = Math.sqrt(1 / 12);

/** The standard deviation of log(1 + N) for a Poisson count N of mean m (delta method: sqrt(m) / (1 + m)). */
export function poissonLogSd(m: number): number {
  return m > 0 ? Math.sqrt(m) / (1 + m) : 0;
}

/** Index of dispersion of counts: their sample variance over their mean (1 for Poisson); 0 for fewer than 3. */
function dispersion(values: readonly number[]): number {
  if (values.length < 3) return 0;
  const mean = values.reduce((a, x) => a + x, 0) / values.length;
  if (!(mean > 0)) return 0;
  const variance = values.reduce((a, x) => a + (x - mean) ** 2, 0) / (values.length - 1);
  return variance / mean;
}

function expectation(
  rows: number,
  seasonality: RowExpectation['seasonality'],
  values: readonly number[],
  noise: number,
  residuals: number,
  /** The counts' index of dispersion pooled over a seasonal fit's slots; else that of `values`. */
  pooled?: number,
  /** At most this noise (after its small-sample factor): the history's overall one, for a slot's. */
  noiseCap = Infinity,
): RowExpectation {
  const expected = median(values);
  const raw = expected === 0 ? (rows === 0 ? 0 : Infinity) : (rows - expected) / Math.abs(expected);
  const deviation = Number.isFinite(raw) ? raw : raw > 0 ? 1e9 : -1;
  // A count that varies at least half as much as a Poisson count would (index of dispersion: variance over
  // mean >= 0.5) is at least Poisson-noisy: its spread, estimated from a few runs (the MAD of a few small
  // integers, many of them equal), is not taken below that. A table of ~11 rows whose 20 runs gave a spread of
  // 0.2 flagged 4 rows, a Poisson tail of 1.5%. Counts that vary less (a dimension of 59 hubs, constant or
  // nearly) are not counts of random events: their own spread stands.
  // A count is known to one row: its spread is at least a rounding's, sqrt(1/12) of a row (Sheppard's
  // correction), added in variance. A 15-row export (the top tenth of ~150 customers) that was 15 in 8 of 9
  // runs and 14 once has a spread of a tenth of a row by its MAD, and 13 rows read as z = -6.
  const factor = smallSampleFactor(residuals);
  const own = Math.hypot(Math.min(noise * factor, noiseCap), (ROUNDING_SD / (1 + expected)) * factor);
  // Whether the counts are counts of random events is told by a seasonal fit's slots pooled (the counts'
  // variance within their slots over their mean) far better than by a slot's few runs; a binomial count's
  // dispersion is 1 - p, so a quarter (events that happen to at most 3/4 of their population) is enough there.
  // An hourly feature table of ~100 customers a night hour (pooled dispersion 0.48) whose night slot's runs
  // happened to lie close read 135 against 104 as z = 4.0 (the pandas set, seasonality at full size, seed 5).
  const countLike = pooled !== undefined ? Math.max(pooled, dispersion(values)) >= 0.25 : dispersion(values) >= 0.5;
  const poisson = countLike ? poissonLogSd(expected) : 0;
  // The median's own variance: pi/2 s^2 / n (its asymptotic efficiency, on the safe side from three runs on),
  // and exactly s^2 / n for one or two runs, whose median is their mean.
  const n = values.length;
  const spread = Math.max(own, poisson) * Math.sqrt(1 + (n <= 2 ? 1 : Math.PI / 2) / n);
  const diff = lg(rows) - lg(expected);
  const z = spread > 0 ? diff / spread : diff === 0 ? 0 : diff > 0 ? Infinity : -Infinity;
  return { seasonality, expected, runs: values.length, deviation, spread, z };
}

/**
 * The expected row count of a run at event time `t` (ms), for each seasonality: `none` from the node's
 * last healthy row counts (`recent`), a grouping from the same UTC slot of the seasonal history, and
 * `auto` the grouping the history shows (or `none`). Nothing when there is no healthy history at all.
 */
export function rowExpectations(
  rows: number,
  t: number,
  recent: readonly number[],
  history: readonly [number, number][],
  edges?: MonthEdges,
  weekdays?: WeekdayLevels,
): Record<Seasonality, RowExpectation> | undefined {
  if (recent.length === 0) return undefined;
  const overallNoise = robustScale(recent.map((x) => lg(x) - lg(median(recent))));
  const none = expectation(rows, 'none', recent, overallNoise, recent.length);
  // A slot's runs are noisy around their level no more than the whole history is around its own, which holds
  // them and the levels' differences: a spread estimated from a slot fit's few within-slot degrees of freedom
  // (a weekday seen twice) is far less certain than the overall one, and is not taken above it.
  const noiseCap = overallNoise * smallSampleFactor(recent.length);
  const seasonal = (
    grouping: SeasonGrouping,
    fit: SeasonalFit | undefined,
    hist: readonly [number, number][] = history,
  ): RowExpectation => {
    const slot = seasonSlot(t, grouping);
    const values = hist.filter(([u]) => seasonSlot(u, grouping) === slot).map(([, r]) => r);
    if (values.length === 0) return { ...none, seasonality: grouping, undetermined: true };
    return fit && fit.spread > 0
      ? expectation(rows, grouping, values, fit.spread, fit.residuals, fit.dispersion, noiseCap)
      : expectation(rows, grouping, values, overallNoise, recent.length);
  };
  const dailyFit = seasonalFit(history, 'daily');
  const weeklyFit = seasonalFit(history, 'weekly');
  const daily = seasonal('daily', dailyFit);
  const weekly = seasonal('weekly', weeklyFit);
  const found = clearest([weeklyFit, dailyFit]);
  const chosen = found === undefined ? undefined : found.grouping === 'daily' ? daily : weekly;
  let auto: RowExpectation = none;
  if (found && chosen && !chosen.undetermined && found.p <= SEASONAL_MAX_P) auto = { ...chosen, established: true };
  else if (youngWeek(t, history)) auto = { ...none, undetermined: true };
  else if (chosen && !chosen.undetermined) auto = milder(none, chosen);
  else if (!found && dailyFit === undefined && youngDay(history))
    auto = daily.undetermined ? daily : seasonal('daily', undefined);
  if (
    weekdays !== undefined &&
    weekdays.length > 0 &&
    auto.undetermined !== true &&
    auto.seasonality === 'daily' &&
    subDaily(history)
  ) {
    // The hours are fitted on the runs with their weekday's level taken out (an hourly feed's quiet weekend
    // is not noise of its hours), and the run's weekday's level is put back on its hour's expectation.
    const offsets = weekdayOffsets(weekdays);
    const adjusted = history.map(([u, r]): [number, number] => [
      u,
      Math.max(0, Math.expm1(lg(r) - (offsets[new Date(u).getUTCDay()] ?? 0))),
    ]);
    const fit = seasonalFit(adjusted, 'daily');
    if (fit) {
      const base = { ...seasonal('daily', fit, adjusted), ...(auto.established ? { established: true as const } : {}) };
      auto = base.undetermined === true ? auto : weekdayLevel(rows, t, base, weekdays);
    }
  }
  const subDailyNode = cadence(history) < DAY / 2;
  const business = runsDaily(history);
  const labels = edges !== undefined && auto.undetermined !== true ? edgeLabels(t, business) : [];
  if (edges !== undefined && labels.length > 0) {
    const hour = seasonSlot(t, 'daily');
    // Each earlier run on the same edge as the ratio of its rows to what its day expected: the edge's effect on
    // top of the weekday's (a month-end on a Saturday is a month-end of the weekend level).
    // Judged with the day's own prediction spread (the edge moves the level, not the noise).
    const base = auto;
    // The earlier edge runs as log(rows / what their day expected), with their edges.
    const stored = edges
      .filter(([u]) => !subDailyNode || seasonSlot(u, 'daily') === hour)
      .map(([u, ratio]) => ({ ratio, x: Math.log(ratio), labels: edgeLabels(u, business) }));
    const candidates = labels
      .map((label) => ({ label, ratios: stored.filter((r) => r.labels.includes(label)).map((r) => r.ratio) }))
      .filter((c) => c.ratios.length > 0);
    // Two calendars may explain the same months (the last day of January 2026 is the day after its last
    // weekday): where the business calendar's edges are in play, an edge is refuted by a run of its own that
    // stood far off its level while another edge of that run's, or a plain day, explained it; of the edges
    // left the run is judged against the one that explains it best.
    const onWeekdays = candidates.some((c) => BUSINESS_EDGES.has(c.label));
    const usable = onWeekdays ? candidates.filter((c) => !refutedEdge(c.label, stored, base.spread)) : candidates;
    for (const c of usable) {
      // A month-end 30% short of its close is 12% over a plain Tuesday, within a Tuesday's noise: once the
      // edge's level is established it is the expectation alone.
      const expected = base.expected * median(c.ratios);
      if (!(expected > 0)) continue;
      const logs = c.ratios.map((q) => Math.log(q));
      const e = leveled(rows, base, expected, logs, edgeSeasonality(c.label));
      auto = auto === base ? e : milder(auto, e);
    }
  }
  return { none, daily, weekly, auto };
}

/**
 * The row counts of a dataset's runs on the edges of months (UTC: the last day, the first and the second): [event time
 * ms, rows / the count its day expected (its row-count expectation without the edge)], oldest first, at most
 * {@link MONTH_EDGE_RUNS} per edge and UTC hour of day. Month-end closes, month-start billing and the like are
 * a calendar pattern the day-of-week and hour-of-day slots cannot hold (the seasonal history keeps four
 * weeks). Kept for flagged runs too: the first month-end of a node with a month-end pattern is flagged (it
 * cannot be known yet), and unlearned it would leave every later one flagged as well.
 */
export type MonthEdges = [number, number][];

/** A month's edge moves a node's level when each of its runs stood this many prediction spreads from its day's. */
export const MONTH_EDGE_MIN_Z = 4;

/** Runs kept per month edge (and UTC hour of day): a quarter's month ends, and more. */
export const MONTH_EDGE_RUNS = 4;
/**
 * The edge of its month a UTC time falls on: its last day ('end'), its first ('start'), its second ('second'),
 * or neither. The second day is an edge of its own: a daily batch that runs early in the morning reports the
 * day before, so the first of the month's data (a billing run, a month's first settlements) lands on the
 * second's run, as the month-end's lands on the first's.
 */
export function monthEdge(t: number): 'end' | 'start' | 'second' | undefined {
  const d = new Date(t);
  if (d.getUTCDate() === 1) return 'start';
  if (d.getUTCDate() === 2) return 'second';
  return new Date(t + DAY).getUTCMonth() !== d.getUTCMonth() ? 'end' : undefined;
}

/**
 * The edges of its month a UTC time falls on, by two calendars: the calendar days ({@link monthEdge}: 'end',
 * 'start', 'second') and, with `business`, the weekdays: the month's last weekday ('bend'), the day after it
 * ('bend1': a daily batch's run that reports it), its first weekday ('bstart') and the day after ('bstart1').
 * A month-end close on the last business day lands on the last calendar day only in some months (January
 * 2026: Friday 30th's close on Saturday 31st's run; March 2026: Tuesday 31st's on April 1st's); which calendar
 * a node follows shows only in a month where they differ (see {@link rowExpectations}).
 */
export function edgeLabels(t: number, business: boolean): EdgeLabel[] {
  const out: EdgeLabel[] = [];
  const edge = monthEdge(t);
  if (edge !== undefined) out.push(edge);
  if (!business || !Number.isFinite(t)) return out;
  const day = Math.floor(t / DAY) * DAY;
  if (lastWeekday(day)) out.push('bend');
  if (lastWeekday(day - DAY)) out.push('bend1');
  if (firstWeekday(day)) out.push('bstart');
  if (firstWeekday(day - DAY)) out.push('bstart1');
  return out;
}

export type EdgeLabel = 'end' | 'start' | 'second' | 'bend' | 'bend1' | 'bstart' | 'bstart1';

/** The business calendar's edges ({@link edgeLabels}). */
const BUSINESS_EDGES: ReadonlySet<EdgeLabel> = new Set(['bend', 'bend1', 'bstart', 'bstart1']);

const weekday = (day: number) => {
  const wd = new Date(day).getUTCDay();
  return wd !== 0 && wd !== 6;
};
const sameMonth = (a: number, b: number) => new Date(a).getUTCMonth() === new Date(b).getUTCMonth();

/** Whether a UTC day (its midnight, ms) is its month's last weekday. */
function lastWeekday(day: number): boolean {
  if (!weekday(day)) return false;
  for (let d = day + DAY; sameMonth(d, day); d += DAY) if (weekday(d)) return false;
  return true;
}

/** Whether a UTC day (its midnight, ms) is its month's first weekday. */
function firstWeekday(day: number): boolean {
  if (!weekday(day)) return false;
  for (let d = day - DAY; sameMonth(d, day); d -= DAY) if (weekday(d)) return false;
  return true;
}

const edgeSeasonality = (label: EdgeLabel): 'month-end' | 'month-start' =>
  label === 'end' || label === 'bend' || label === 'bend1' ? 'month-end' : 'month-start';

/** An edge's earlier run explains a run when within this many prediction spreads of it ({@link refutedEdge}). */
const EDGE_EXPLAINED_Z = 2;

/**
 * Whether an edge is refuted by its own runs: one of them stood {@link MONTH_EDGE_MIN_Z} prediction spreads off
 * the edge's level (the median of its runs) while within {@link EDGE_EXPLAINED_Z} of a plain day's or of the
 * level of another edge it fell on (March 31st, 2026 at a Tuesday's level: the last calendar day does not move
 * that node; its last weekday may). A run explained by neither (a fault) refutes nothing.
 */
function refutedEdge(
  label: EdgeLabel,
  stored: readonly { x: number; labels: readonly EdgeLabel[] }[],
  spread: number,
): boolean {
  if (!(spread > 0)) return false;
  const levels = new Map<EdgeLabel, number>();
  const level = (l: EdgeLabel) => {
    let v = levels.get(l);
    if (v === undefined) levels.set(l, (v = median(stored.filter((r) => r.labels.includes(l)).map((r) => r.x))));
    return v;
  };
  const own = level(label);
  return stored.some(
    (r) =>
      r.labels.includes(label) &&
      Math.abs(r.x - own) > MONTH_EDGE_MIN_Z * spread &&
      [0, ...r.labels.filter((l) => l !== label).map(level)].some(
        (a) => Math.abs(r.x - a) <= EDGE_EXPLAINED_Z * spread,
      ),
  );
}

/**
 * Adds a run on a month's edge to the month-edge history: its rows over `expected`, the count its day
 * expected without the edge. Nothing for a run on neither edge, or without an expectation.
 */
export function pushMonthEdge(
  edges: MonthEdges,
  t: number,
  rows: number,
  expected: number,
  perEdge = MONTH_EDGE_RUNS,
  /** Also on the business calendar's edges ({@link edgeLabels}: a node that runs about daily or less often). */
  business = false,
): void {
  const key = (u: number) => edgeLabels(u, business).join();
  const edge = key(t);
  const ratio = rows / expected;
  if (edge === '' || !Number.isFinite(t) || !(expected > 0) || !Number.isFinite(ratio)) return;
  let i = edges.length;
  while (i > 0 && edges[i - 1]![0] > t) i--;
  edges.splice(i, 0, [t, ratio]);
  const hour = seasonSlot(t, 'daily');
  const same = (u: number) => key(u) === edge && seasonSlot(u, 'daily') === hour;
  if (edges.filter(([u]) => same(u)).length > perEdge)
    edges.splice(
      edges.findIndex(([u]) => same(u)),
      1,
    );
}

/** Whether a node runs about daily or less often, by its seasonal history ([event time ms, rows], oldest first). */
export function runsDaily(history: readonly [number, number][] | undefined): boolean {
  return history !== undefined && history.length >= 2 && cadence(history) >= DAY / 2;
}

/** The mean time between a history's runs (Infinity for fewer than two). */
function cadence(history: readonly [number, number][]): number {
  if (history.length < 2) return Infinity;
  return (history[history.length - 1]![0] - history[0]![0]) / (history.length - 1);
}

/**
 * Of two expectations, the one the run stands out from less (smaller |z|, then smaller |deviation|): a
 * seasonality that is suggested but not established ({@link SEASONAL_MAX_P}) flags a run only when it stands
 * out from both its slot and the node's overall level. A real seasonal node's weekend is within its slot;
 * a chance fit's one-run slot is within the overall level; a real fault is outside both.
 */
function milder(a: RowExpectation, b: RowExpectation): RowExpectation {
  const za = Math.abs(a.z);
  const zb = Math.abs(b.z);
  if (za !== zb) return za < zb ? a : b;
  return Math.abs(a.deviation) <= Math.abs(b.deviation) ? a : b;
}

/**
 * A sub-daily node's first-day counts within this relative range of their median are steady (no sign of a daily
 * cycle): the row-count rule's default business threshold (`max_deviation` 5%). A node whose counts already
 * moved more than a deviation the rule would flag has no single level yet. (It was 10%: on the pandas set's
 * seed 2 an hourly node's flat nights moved exactly 10%, its first morning run was judged against the night,
 * flagged, never learned, and every day hour after it stayed flagged: 10 false incidents.)
 */
export const YOUNG_DAY_STEADY = 0.05;

/**
 * A node that runs several times a day and has not yet seen each hour twice (the daily fit needs repeated
 * hours; the caller checks that fit), whose counts so far already moved more than {@link YOUNG_DAY_STEADY}: whether an hour is quieter
 * or busier by design (nights, business hours) cannot be known yet. Such a run is judged against the same
 * hour's earlier runs with the node's overall noise, or not at all at an hour it has not run at yet. Its runs
 * are still learned, so the second day has every hour's level; a steadier node is judged as usual.
 */
function youngDay(history: readonly [number, number][]): boolean {
  if (cadence(history) >= DAY / 2) return false;
  // All in one hour so far: nothing to tell an hour's level from the node's.
  const hour = seasonSlot(history[0]![0], 'daily');
  if (history.every(([u]) => seasonSlot(u, 'daily') === hour)) return false;
  const rows = history.map(([, r]) => r);
  const mid = median(rows);
  return mid > 0 && (Math.max(...rows) - Math.min(...rows)) / mid > YOUNG_DAY_STEADY;
}

/**
 * A node that runs about daily or less often, in its first week, on a weekday it has not run on yet:
 * whether that day is smaller by design (weekends), or its data different (a weekend's customers), cannot be
 * known until a week has been seen. `history`: [event time ms, rows] of the node's healthy runs, oldest first.
 */
export function youngWeek(t: number, history: readonly [number, number][]): boolean {
  if (history.length === 0) return false;
  const first = history[0]![0];
  if (t - first >= WEEK) return false;
  const day = seasonSlot(t, 'weekly');
  if (history.some(([u]) => seasonSlot(u, 'weekly') === day)) return false;
  // Sub-daily nodes show their weekly pattern within each day's many runs only after a week too, but
  // holding their verdicts for a week would blind them: they are judged, and may set `seasonality: weekly`.
  return cadence(history) >= DAY / 2;
}

/**
 * A node that runs several times a day, in its first day, at a UTC hour it has not run at yet, whose row counts
 * already moved more than {@link YOUNG_DAY_STEADY} from hour to hour ({@link youngDay}): whether that hour
 * differs by design (a feed whose battery readings go missing twice as often by day) cannot be known until a
 * day has been seen, as a daily node's new weekday in its first week cannot ({@link youngWeek}); a node whose
 * counts held steady is judged. The null-ratio rule with `first_week: hold` waits.
 */
export function youngHour(t: number, history: readonly [number, number][]): boolean {
  if (history.length === 0 || !Number.isFinite(t) || t - history[0]![0] >= DAY) return false;
  // Only a node whose counts already moved from hour to hour in its first day (a steady one is judged).
  if (!youngDay(history)) return false;
  const hour = seasonSlot(t, 'daily');
  return !history.some(([u]) => seasonSlot(u, 'daily') === hour);
}

/**
 * A node that runs about daily or less often, on a month's edge (its last, first or second day) it has never run on
 * in another month: whether that day is larger or different by design (a month-end close, a first-of-month
 * billing run) cannot be known until a month has been seen, as a first week's new weekday cannot
 * ({@link youngWeek}). `history`: the node's seasonal history; `edges`: its month-edge history.
 */
export function youngMonthEdge(
  t: number,
  history: readonly [number, number][],
  edges: MonthEdges | undefined,
): boolean {
  const edge = monthEdge(t);
  if (edge === undefined || history.length === 0 || !Number.isFinite(t)) return false;
  const month = (u: number) => new Date(u).getUTCFullYear() * 12 + new Date(u).getUTCMonth();
  if ((edges ?? []).some(([u]) => monthEdge(u) === edge && month(u) !== month(t))) return false;
  // Nor a node whose history already holds that edge from another month (its month-edge history is younger).
  if (history.some(([u]) => monthEdge(u) === edge && month(u) !== month(t))) return false;
  return cadence(history) >= DAY / 2;
}

/**
 * A sub-daily node's days, as the mean of log(rows / what the run's hour expected) over each UTC day's runs:
 * [start of the UTC day ms, sum of the logs, runs], oldest first, at most {@link WEEKDAY_DAYS} days per UTC
 * day of the week. An hourly feed with quiet weekends has a weekly pattern on top of its daily one, which
 * neither the hour-of-day slots (mostly weekdays) nor the day-of-week slots (all hours) hold. Flagged runs are
 * kept too: a node's first weekend is flagged (it cannot be known yet), and unlearned every later one would be.
 */
export type WeekdayLevels = [number, number, number][];

/** Days kept per UTC day of the week in {@link WeekdayLevels}. */
export const WEEKDAY_DAYS = 2;

/**
 * Whether a node runs more often than twice a day (by its seasonal history): the nodes whose weekdays are
 * learned as {@link WeekdayLevels}.
 */
export function subDaily(history: readonly [number, number][]): boolean {
  return history.length >= 2 && cadence(history) < DAY / 2;
}

/**
 * The expectation a run's hour gives, before its weekday: the base of {@link WeekdayLevels}. Undefined for a
 * node whose hours are not its grouping (yet).
 */
function weekdayBase(e: Record<Seasonality, RowExpectation>): RowExpectation | undefined {
  // Only against the hours: a day's level against a node's overall level (a first day, before its cycle is
  // known) would be its cycle's, not its weekday's.
  return e.auto.undetermined !== true && e.auto.seasonality === 'daily' ? e.auto : undefined;
}

/**
 * Adds a sub-daily run to its day's level (`base` is what its hour expected: {@link weekdayBase} of its
 * expectations without the weekday levels).
 */
export function pushWeekdayLevel(levels: WeekdayLevels, t: number, rows: number, expected: number): void {
  const log = Math.log1p(Math.max(0, rows)) - Math.log1p(Math.max(0, expected));
  if (!Number.isFinite(t) || !(expected > 0) || !Number.isFinite(log)) return;
  const day = Math.floor(t / DAY) * DAY;
  const at = levels.findIndex(([d]) => d === day);
  if (at >= 0) {
    levels[at]![1] += log;
    levels[at]![2] += 1;
    return;
  }
  let i = levels.length;
  while (i > 0 && levels[i - 1]![0] > day) i--;
  levels.splice(i, 0, [day, log, 1]);
  const dow = new Date(day).getUTCDay();
  const same = levels.filter(([d]) => new Date(d).getUTCDay() === dow);
  if (same.length > WEEKDAY_DAYS) levels.splice(levels.indexOf(same[0]!), 1);
}

/** The row expectation of `rows` at `t` without weekday levels, as {@link pushWeekdayLevel} needs it. */
export function weekdayBaseExpected(
  rows: number,
  t: number,
  recent: readonly number[],
  history: readonly [number, number][],
): number | undefined {
  if (!subDaily(history)) return undefined;
  const e = rowExpectations(rows, t, recent, history);
  return e ? weekdayBase(e)?.expected : undefined;
}

/** Each UTC day of the week's level (the median of its days' mean log ratios), where one was seen. */
function weekdayOffsets(levels: WeekdayLevels): (number | undefined)[] {
  const by: number[][] = [[], [], [], [], [], [], []];
  for (const [d, sum, n] of levels) by[new Date(d).getUTCDay()]!.push(sum / n);
  return by.map((logs) => (logs.length > 0 ? median(logs) : undefined));
}

/**
 * A sub-daily run against its hour's expectation (`base`, fitted without the weekdays' levels) moved by its
 * weekday's level (the earlier days on this UTC day of the week). Established when it repeated (two such days,
 * each beyond MONTH_EDGE_MIN_Z of the hour's spreads, on one side): the weekday's level alone; until then the
 * run must stand out from both. `base` itself without an earlier day on this weekday.
 */
function weekdayLevel(rows: number, t: number, base: RowExpectation, levels: WeekdayLevels): RowExpectation {
  const today = Math.floor(t / DAY) * DAY;
  const dow = new Date(t).getUTCDay();
  const logs = levels.filter(([d]) => d < today && new Date(d).getUTCDay() === dow).map(([, sum, n]) => sum / n);
  if (logs.length === 0 || !(base.expected > 0)) return base;
  const expected = Math.max(0, Math.expm1(Math.log1p(base.expected) + median(logs)));
  return expected > 0 ? leveled(rows, base, expected, logs, 'hour-and-weekday') : base;
}

/**
 * A run against `base` moved to `expected` by a calendar level seen before (a month's edge, a sub-daily node's
 * weekday): `logs` are that level's earlier occurrences, each the log of its rows over what its day or hour
 * expected. Judged with the base's prediction spread (the level moves the count, not its noise). Established
 * when it repeated (two occurrences or more, each beyond MONTH_EDGE_MIN_Z of those spreads, all on one side):
 * the level alone is the expectation; until then the run must stand out from both.
 */
function leveled(
  rows: number,
  base: RowExpectation,
  expected: number,
  logs: readonly number[],
  seasonality: RowExpectation['seasonality'],
): RowExpectation {
  const diff = lg(rows) - lg(expected);
  const z = base.spread > 0 ? diff / base.spread : diff === 0 ? 0 : diff > 0 ? Infinity : -Infinity;
  const e: RowExpectation = {
    seasonality,
    expected,
    runs: logs.length,
    deviation: (rows - expected) / expected,
    spread: base.spread,
    z,
  };
  const established =
    logs.length >= 2 &&
    base.spread > 0 &&
    (logs.every((x) => x > MONTH_EDGE_MIN_Z * base.spread) || logs.every((x) => x < -MONTH_EDGE_MIN_Z * base.spread));
  return established ? e : milder(base, e);
}
