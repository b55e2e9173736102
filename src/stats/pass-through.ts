import { median } from './baseline.js';
import { DEFAULT_ROW_MIN_Z, ROUNDING_SD, robustScale, smallSampleFactor } from './seasonal.js';

/**
 * A node's row count against the rows it read: its pass-through (output rows against the rows of a run it
 * read: of each parent, the one that predicts it best). A filter keeps a steady share of what it reads, a dedupe drops a steady share, a join keeps
 * its fact table's rows: their output moves with their input's volume (an hourly feed's day and night, a
 * ledger's month-end), so the count's own history is as noisy as the input's, while the share passed is
 * steady to a percent. A dedupe that stops de-duplicating (12% more rows, within an hourly feed's own swings)
 * or a risk filter holding 30% instead of 3% is plain in the share and lost in the count.
 * See docs/statistics.md, "Row counts against their inputs".
 */
export interface ThroughExpectation {
  /** The rows of the run it was judged against. */
  input_rows: number;
  /** The count's elasticity to its input rows (the fit's slope: 1 for a steady share). */
  slope: number;
  /** The share of the rows read that the fit predicts it passes at this input. */
  ratio: number;
  /** The rows the fit predicts at this input. */
  expected: number;
  /** How many healthy runs the share rests on. */
  runs: number;
  /** (rows - expected) / expected. */
  deviation: number;
  /** The prediction spread of log(1 + rows) given the input rows (see {@link throughExpectation}). */
  spread: number;
  /** (log(1 + rows) - log(1 + expected)) / spread. */
  z: number;
  /**
   * Judged against the distinct values of this column of the run it read ({@link groupExpectation}), not its
   * rows: `input_rows` is then that count.
   */
  group?: string;
}

/**
 * What a run read, for its pass-through: each upstream run it read (`key`: its node), its rows, and which way
 * its level moved when it had a row-count finding or signal of its own (1 up, -1 down).
 */
export type InputRows = {
  key: string;
  rows: number;
  moved?: 1 | -1;
  /** The distinct values of the categorical columns of the run's first output (its run record's `distinct`). */
  groups?: Record<string, number>;
  /** The run was not healthy (a finding of its own, or failed). */
  anomalous?: true;
}[];

/** The most key columns of its inputs a dataset keeps a groups history for (the first ones seen). */
export const THROUGH_MAX_GROUPS = 16;

/** The most inputs a dataset keeps a pass-through history for (the first ones seen). */
export const THROUGH_MAX_INPUTS = 8;

/** Healthy runs with a known input before the share is judged (the row-count rule's own minimum). */
export const THROUGH_MIN_RUNS = 5;

/**
 * How much steadier than the count's own history (its prediction spread) the share must be for the count to
 * be judged against its inputs: a fifth steadier at least. A filter, a dedupe, a join of facts (steady shares
 * of a varying input) qualify: a risk filter holding 1-5% of payments has a share 0.6 as noisy as its count's
 * weekly history; a group-by over a steady set of keys (a steady count, a share that moves with the input:
 * 1.1 to 2.9 times as noisy, the pandas set's ledger domain) does not.
 */
export const THROUGH_GAIN = 0.8;

/**
 * Within how many of its own prediction spreads an output's level counts as unmoved: a share that moved while
 * the output stayed there and an input moved its own level the other way is the input's doing (a dedupe that
 * removed the surge of duplicates its source sent one day did its job), not judged on the share.
 */
export const THROUGH_LEVEL_Z = 1;

/** A run's point of the history: [log(1 + rows read), log(1 + rows written)]; undefined without a usable input. */
export function throughPoint(rows: number, inputRows: number | undefined): [number, number] | undefined {
  if (inputRows === undefined || !(inputRows > 0) || !Number.isFinite(inputRows) || !(rows >= 0)) return undefined;
  return [Math.log1p(inputRows), Math.log1p(rows)];
}

/** The slope's bounds: a count does not fall as its input grows, nor grow faster than twice as fast. */
const SLOPE_MIN = 0;
const SLOPE_MAX = 2;

/** Theil-Sen: the median of the pairwise slopes (undefined when every input was the same). */
function theilSen(points: readonly [number, number][]): number | undefined {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++)
    for (let j = i + 1; j < points.length; j++) {
      const dx = points[j]![0] - points[i]![0];
      if (Math.abs(dx) > 1e-12) slopes.push((points[j]![1] - points[i]![1]) / dx);
    }
  return slopes.length > 0 ? median(slopes) : undefined;
}

/**
 * The expected rows of a run that read `inputRows` rows, from the node's healthy runs' points (`history`,
 * oldest first): log(1 + rows) = a + b log(1 + input rows), fitted robustly (Theil-Sen slope b, clamped to
 * [0, 2]; intercept the median residual). b is the count's elasticity to its input: 1 for a filter, a dedupe, a
 * join of facts (a steady share), below 1 for a group-by whose keys grow with the volume (active merchants on a
 * busy day), 0 for one over a steady set of keys. The prediction spread is the residuals' robust spread (never
 * below a binomial share's, sqrt((1 - p) / (n p)) for a predicted share p < 1 of n rows read: a few runs' MAD
 * can lie far below it), with a count's rounding and the small-sample factor of the row-count rule, widened by
 * the fit's own uncertainty at the run's input: sqrt(1 + pi / (2 n) + (x - mean x)^2 / Sxx), as an ordinary
 * least-squares prediction interval is (an input far beyond the history's range is predicted with the
 * slope's uncertainty, which a history of steady inputs leaves large). Undefined before
 * {@link THROUGH_MIN_RUNS} runs or when the history's inputs never varied.
 */
export function throughExpectation(
  rows: number,
  inputRows: number,
  history: readonly [number, number][],
  k = DEFAULT_ROW_MIN_Z,
): ThroughExpectation | undefined {
  const at = throughPoint(rows, inputRows);
  if (at === undefined || history.length < THROUGH_MIN_RUNS) return undefined;
  const raw = theilSen(history);
  if (raw === undefined) return undefined;
  const slope = Math.min(SLOPE_MAX, Math.max(SLOPE_MIN, raw));
  const n = history.length;
  const intercept = median(history.map(([x, y]) => y - slope * x));
  const residuals = history.map(([x, y]) => y - intercept - slope * x);
  const meanX = history.reduce((a, [x]) => a + x, 0) / n;
  const sxx = history.reduce((a, [x]) => a + (x - meanX) ** 2, 0);
  if (!(sxx > 0)) return undefined;
  const predicted = intercept + slope * at[0];
  const expected = Math.max(0, Math.expm1(predicted));
  const factor = smallSampleFactor(n, k);
  const own = robustScale(residuals);
  const p = Math.exp(predicted - at[0]);
  const binomial = p < 1 ? Math.sqrt((1 - p) / (Math.max(1, inputRows) * p)) : 0;
  const rounding = ROUNDING_SD / (1 + expected);
  const leverage = Math.PI / 2 / n + (at[0] - meanX) ** 2 / sxx;
  const spread = Math.hypot(Math.max(own * factor, binomial), rounding * factor) * Math.sqrt(1 + leverage);
  const diff = at[1] - predicted;
  const z = spread > 0 ? diff / spread : diff === 0 ? 0 : diff > 0 ? Infinity : -Infinity;
  const deviation = expected > 0 ? (rows - expected) / expected : rows === 0 ? 0 : 1e9;
  return { input_rows: inputRows, slope, ratio: p, expected, runs: n, deviation, spread, z };
}

/**
 * The expected rows of a run whose input held `distinct` distinct values of a column, from the healthy runs'
 * points ([log(1 + distinct), log(1 + rows)], oldest first): a group-by writes a steady number of rows per key
 * it reads (one per device, one per device and hour of the day), so log(1 + rows) = a + log(1 + distinct), the
 * intercept the median of the history's residuals (the slope is 1 by the model, not fitted: a steady set of
 * devices has no spread of its own to fit one on). The prediction spread is the residuals' robust spread (with
 * the small-sample factor; never below a binomial share's where it writes fewer rows than keys) and a count's
 * rounding, widened by the median's uncertainty, sqrt(1 + pi / (2 n)).
 * A rollup of a fleet's readings writes one row per device that reported: when a gateway's devices are offline
 * it writes fewer rows, as it should, and the rows its input held say nothing of it (an hourly feed's volume
 * swings more than a cluster of devices weighs), while the devices it read say all of it. A column whose
 * distinct values do not steer the output (a timestamp, a site of a per-device rollup) has a wide spread and is
 * not the one a run is judged against. Undefined before {@link THROUGH_MIN_RUNS} runs, and for keys that did not
 * explain the count's moves in the history (see below).
 */
export function groupExpectation(
  rows: number,
  distinct: number,
  history: readonly [number, number][],
  k = DEFAULT_ROW_MIN_Z,
  /**
   * Only where the keys explained the count's moves in the history (below); false: the fit whatever the
   * history, for whether a run's rows per key held (the row-count rule's "moved with its keys").
   */
  explained = true,
): ThroughExpectation | undefined {
  const g = groupFit(rows, distinct, history, k);
  return g !== undefined && (g.explains || !explained) ? g.fit : undefined;
}

/**
 * {@link groupExpectation}'s fit whatever the history, and whether the keys explained the count's moves in it:
 * both uses from one fit (the monitor judges with the one and excuses with the other on every report).
 */
export function groupFit(
  rows: number,
  distinct: number,
  history: readonly [number, number][],
  k = DEFAULT_ROW_MIN_Z,
): { fit: ThroughExpectation; explains: boolean } | undefined {
  const at = throughPoint(rows, distinct);
  if (at === undefined || history.length < THROUGH_MIN_RUNS) return undefined;
  const n = history.length;
  const residuals = history.map(([x, y]) => y - x);
  const intercept = median(residuals);
  const own = robustScale(residuals.map((r) => r - intercept));
  // Only keys that explain the count's moves: its spread around rows per key at most THROUGH_GAIN of its spread
  // around its own median. A column whose distinct values never moved (a fleet's three firmware versions)
  // explains nothing, and a fourth version would move the prediction by a third; nor does a history where
  // neither moved.
  const ys = history.map(([, y]) => y);
  const level = median(ys);
  const moves = robustScale(ys.map((y) => y - level));
  const explains = moves > 0 && own <= THROUGH_GAIN * moves;
  const predicted = intercept + at[0];
  const expected = Math.max(0, Math.expm1(predicted));
  const factor = smallSampleFactor(n, k);
  const rounding = ROUNDING_SD / (1 + expected);
  // Fewer rows than keys (a risk report of ~1% of the payments it read) are a share of them, never steadier than
  // a binomial share: 14 rows where 21 were expected is within its chance (as for the rows read, above).
  const p = Math.exp(predicted - at[0]);
  const binomial = p < 1 ? Math.sqrt((1 - p) / (Math.max(1, distinct) * p)) : 0;
  const spread = Math.hypot(Math.max(own * factor, binomial), rounding * factor) * Math.sqrt(1 + Math.PI / 2 / n);
  const diff = at[1] - predicted;
  const z = spread > 0 ? diff / spread : diff === 0 ? 0 : diff > 0 ? Infinity : -Infinity;
  const deviation = expected > 0 ? (rows - expected) / expected : rows === 0 ? 0 : 1e9;
  const fit = { input_rows: distinct, slope: 1, ratio: Math.exp(intercept), expected, runs: n, deviation, spread, z };
  return { fit, explains };
}
