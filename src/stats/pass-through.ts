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
}

/**
 * What a run read, for its pass-through: each upstream run it read (`key`: its node), its rows, and which way
 * its level moved when it had a row-count finding or signal of its own (1 up, -1 down).
 */
export type InputRows = { key: string; rows: number; moved?: 1 | -1 }[];

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
