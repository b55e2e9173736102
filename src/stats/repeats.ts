/**
 * Repeated values of a numeric column: the share of its non-null values that repeat another value of the same
 * run, `1 - distinct / values`, from the emitter's distinct count (docs/statistics.md, "Repeated values").
 *
 * A column of measurements (readings, amounts, durations) has mostly distinct values; the few that repeat do so
 * by chance (a finite resolution, a duplicated record), at a level of its own. A sensor stuck on one value, a
 * cast that truncates decimals, a fill that writes one constant, a fan-out that copies rows: each makes many
 * values repeat at once, often without moving the distribution enough for a KS test (a stuck sensor keeps a
 * plausible value; a truncation moves each value by less than its resolution).
 */
import { mad, median } from './baseline.js';

/** Columns whose healthy level is above this are not judged: most of their values repeat by nature (codes, counts). */
export const REPEATS_MAX_LEVEL = 0.5;

/** Non-null values below which a run's share is neither judged nor learned (a handful of values repeat by chance). */
export const REPEATS_MIN_VALUES = 50;

/**
 * Healthy runs of a column's history before it is judged: the rise is measured from the history's highest level,
 * and the highest of a handful of runs is no envelope (a column added a week ago, 0.07 to 0.12 over six runs, its
 * seventh at 0.17: a per-device range, zero for devices with one reading).
 */
export const REPEATS_MIN_HISTORY = 10;

/**
 * Values that must repeat beyond what the highest level allows: a handful to a few dozen repeated values is what a
 * device's backfill or a retransmitted batch makes in a small table, or a model's rounded scores on a day they
 * bunch up (6 of 90, 12 of 230, 25 of 455 on healthy runs of the blind sets); a stuck sensor bank, a truncating
 * cast or a constant fill makes hundreds to thousands.
 */
export const REPEATS_MIN_EXCESS = 40;

/**
 * How many times the history's highest level a run's share must reach: a column whose chance repeats swing (a
 * rounded score on a day its values bunch up, amounts on a first-of-month billing run at fixed prices: the blind
 * ledger sets' payments, 5-7% of amounts repeated on weekdays, 13% on February 2nd) moves by a fraction of its
 * level; a stuck sensor bank (0.08 -> 0.40), a truncating cast or a constant fill multiplies it.
 */
export const REPEATS_MIN_RATIO = 1.5;

/** The share of `values` non-null values that repeat another (`distinct` of them distinct), or undefined. */
export function repeatShare(distinct: number | undefined, values: number): number | undefined {
  if (distinct === undefined || !Number.isFinite(distinct) || distinct < 0) return undefined;
  if (!(values >= REPEATS_MIN_VALUES)) return undefined;
  // An estimated distinct count (HyperLogLog) may exceed the values: no repeats.
  return Math.max(0, 1 - Math.min(distinct, values) / values);
}

/** A run's repeated share against its column's healthy history. */
export interface RepeatJudgement {
  /** This run's share of values that repeat another. */
  share: number;
  /** The share expected of it: the history's median level, raised with the run's size (see below). */
  expected: number;
  /** The highest level of the history, raised with the run's size likewise: a rise is measured from here. */
  highest: number;
  /** (share - expected) / spread: the larger of the binomial sd at the expected level and the history's MAD. */
  z: number;
  /** The run's non-null values. */
  values: number;
  /** Values repeated beyond the highest level: (share - highest) x values. */
  excess: number;
}

/**
 * Judges a run's repeated share against the column's healthy history (`[share, values]` of each run, oldest
 * first). Undefined when the history is shorter than {@link REPEATS_MIN_HISTORY} or its level is above
 * {@link REPEATS_MAX_LEVEL}.
 *
 * Chance repeats grow with a run's size: values drawn from a finite set of possible values collide about in
 * proportion to how many are drawn while collisions are rare (the birthday problem). A run larger than the
 * history's median is therefore expected at the level scaled by its size (at most 1); a smaller run, at the
 * level itself (its repeats can only be fewer). A rise of the volume alone is not a rise of repeats.
 *
 * The rule measures a rise from the history's highest level, not its median: a derived column rounded to a
 * fixed resolution (a score to 4 decimals) repeats more on the days its values bunch up, a third of its runs at
 * twice its median level; a median and a MAD, blind to a third of the runs, called each of those a finding.
 */
export function judgeRepeats(
  share: number,
  values: number,
  history: readonly (readonly [number, number])[],
): RepeatJudgement | undefined {
  if (history.length < REPEATS_MIN_HISTORY) return undefined;
  const shares = history.map((h) => h[0]);
  const level = median(shares);
  if (!(level <= REPEATS_MAX_LEVEL)) return undefined;
  const size = median(history.map((h) => h[1]));
  const scale = values > size && size > 0 ? values / size : 1;
  const expected = Math.min(1, level * scale);
  const highest = Math.min(1, Math.max(...shares) * scale);
  const q = Math.min(1, Math.max(expected, 1 / values));
  const spread = Math.max(Math.sqrt((q * (1 - q)) / values), mad(shares, { scaled: true }));
  const z = spread > 0 ? (share - expected) / spread : 0;
  return { share, expected, highest, z, values, excess: (share - highest) * values };
}
