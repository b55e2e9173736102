import type { ColumnMetrics, Rule } from '../types.js';
import {
  DEFAULT_MIN_BASELINE_RUNS,
  holdsFirstDay,
  holdsFirstWeek,
  type RuleMetricDescriptor,
  type Verdict,
} from './types.js';

/**
 * Whether a null-ratio jump stands out from the column's own noise: its z-score (jump over the larger of
 * the binomial spread at the baseline ratio and the baseline's observed spread) exceeds `minZ`. Without
 * `minZ` (or without a z-score: no baseline yet) only the thresholds decide.
 */
function jumpSignificant(c: ColumnMetrics, minZ: number | undefined): boolean {
  return minZ === undefined || c.null_ratio_z === undefined || c.null_ratio_z > minZ;
}

/** The verdict on column `c` under rule `r`, with its message (and details for a violation). */
function verdict(r: Rule, c: ColumnMetrics, message: string, details?: Record<string, unknown>): Verdict {
  return {
    metric: 'null_ratio',
    column: c.column,
    value: c.null_ratio,
    baseline: c.null_ratio_baseline ?? 0,
    threshold: r.max!,
    message,
    ...(details ? { details } : {}),
  };
}

function violated(r: Rule, c: ColumnMetrics): boolean {
  const jump = c.null_ratio - (c.null_ratio_baseline ?? 0);
  return c.null_ratio > r.max! && (r.max_jump === undefined || jump > r.max_jump) && jumpSignificant(c, r.min_z);
}

/** `null_ratio`: a column's null ratio above `max` (and jumped by more than `max_jump`, standing out by `min_z`). */
export const nullRatio: RuleMetricDescriptor = {
  params: { max: 'fraction', max_jump: 'fraction', min_z: 'number', persistence: 'count', first_week: 'first_week' },
  required: ['max'],
  minBaselineRuns: DEFAULT_MIN_BASELINE_RUNS,
  column: true,
  violation: (r, m, c) => {
    if (!c || r.max === undefined || holdsFirstWeek(r, m) || holdsFirstDay(r, m) || !violated(r, c)) return undefined;
    const baseline = c.null_ratio_baseline ?? 0;
    return verdict(
      r,
      c,
      `null ratio of ${c.column} jumped ${baseline.toFixed(2)}${c.null_ratio_weekday ? " (this weekday's level)" : ''} -> ${c.null_ratio.toFixed(2)} (max ${r.max}${r.max_jump !== undefined ? `, max jump ${r.max_jump}` : ''})`,
      {
        null_count: c.null_count,
        count: c.count,
        dataset: c.dataset,
        ...(c.null_ratio_z !== undefined ? { z: c.null_ratio_z } : {}),
      },
    );
  },
  signal: (r, m, c, fraction) => {
    if (!c || r.max === undefined || holdsFirstWeek(r, m) || holdsFirstDay(r, m) || violated(r, c)) return undefined;
    const baseline = c.null_ratio_baseline ?? 0;
    const jump = c.null_ratio - baseline;
    if (jump <= (r.max_jump ?? r.max) * fraction) return undefined;
    if (!jumpSignificant(c, r.min_z === undefined ? undefined : r.min_z * fraction)) return undefined;
    return verdict(
      r,
      c,
      `null ratio of ${c.column} rose ${baseline.toFixed(3)} -> ${c.null_ratio.toFixed(3)} (under the threshold)`,
    );
  },
};
