import type { ColumnMetrics, Rule } from '../types.js';
import { REPEATS_MIN_EXCESS, REPEATS_MIN_RATIO } from '../../stats/repeats.js';
import { DEFAULT_MIN_BASELINE_RUNS, holdsFirstWeek, pct, type RuleMetricDescriptor, type Verdict } from './types.js';

/** The verdict on column `c` under rule `r`, with its message. */
function verdict(r: Rule, c: ColumnMetrics, message: string): Verdict {
  const j = c.repeats!;
  return {
    metric: 'repeats',
    column: c.column,
    value: j.share,
    baseline: j.expected,
    threshold: r.max_jump!,
    message,
    details: {
      values: j.values,
      distinct: Math.round(j.values * (1 - j.share)),
      highest: j.highest,
      z: j.z,
      dataset: c.dataset,
    },
  };
}

function violated(r: Rule, c: ColumnMetrics): boolean {
  const j = c.repeats!;
  return (
    j.share - j.highest > r.max_jump! &&
    j.share >= REPEATS_MIN_RATIO * j.highest &&
    j.excess >= REPEATS_MIN_EXCESS &&
    (r.min_z === undefined || j.z > r.min_z)
  );
}

/**
 * `repeats`: a numeric column whose values are mostly distinct (measurements) where many more of them repeat
 * another value of the run than ever in its healthy history: more than `max_jump` above the highest level and at
 * least {@link REPEATS_MIN_RATIO} times it, {@link REPEATS_MIN_EXCESS} values beyond it, standing out from the
 * median level by `min_z`. A stuck sensor, a truncating cast, a constant fill, a fan-out. Needs the emitter's
 * `distinct_estimate`.
 */
export const repeats: RuleMetricDescriptor = {
  params: { max_jump: 'fraction', min_z: 'number', persistence: 'count', first_week: 'first_week' },
  required: ['max_jump'],
  minBaselineRuns: DEFAULT_MIN_BASELINE_RUNS,
  column: true,
  violation: (r, m, c) => {
    if (!c?.repeats || r.max_jump === undefined || holdsFirstWeek(r, m) || !violated(r, c)) return undefined;
    const j = c.repeats;
    return verdict(
      r,
      c,
      `repeated values of ${c.column}: ${pct(j.share)} of its ${j.values.toLocaleString('en-US')} values repeat another in the run (healthy level ${pct(j.expected)}, at most ${pct(j.highest)}; max jump ${r.max_jump})`,
    );
  },
  signal: (r, m, c, fraction) => {
    if (!c?.repeats || r.max_jump === undefined || holdsFirstWeek(r, m) || violated(r, c)) return undefined;
    const j = c.repeats;
    if (j.share - j.highest <= r.max_jump * fraction) return undefined;
    if (r.min_z !== undefined && !(j.z > r.min_z * fraction)) return undefined;
    return verdict(
      r,
      c,
      `repeated values of ${c.column} rose ${pct(j.expected)} -> ${pct(j.share)} (under the threshold)`,
    );
  },
};
