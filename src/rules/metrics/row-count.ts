import { DEFAULT_MIN_BASELINE_RUNS } from './types.js';
import type { NodeRunMetrics, Rule } from '../types.js';
import { fmt, pct, type RuleMetricDescriptor } from './types.js';

function violated(r: Rule, m: NodeRunMetrics): boolean {
  return m.row_count.deviation !== undefined && Math.abs(m.row_count.deviation) > r.max_deviation!;
}

/** `row_count`: the relative deviation from the baseline median exceeds `max_deviation`. */
export const rowCount: RuleMetricDescriptor = {
  params: { max_deviation: 'number' },
  required: ['max_deviation'],
  minBaselineRuns: DEFAULT_MIN_BASELINE_RUNS,
  column: false,
  violation: (r, m) => {
    if (r.max_deviation === undefined || !violated(r, m)) return undefined;
    const dev = m.row_count.deviation!;
    return {
      metric: 'row_count',
      value: m.row_count.value,
      ...(m.row_count.baseline !== undefined ? { baseline: m.row_count.baseline } : {}),
      threshold: r.max_deviation,
      message: `row count ${dev < 0 ? 'dropped' : 'rose'} ${pct(Math.abs(dev))}: ${fmt(m.row_count.value)} rows vs baseline ${fmt(m.row_count.baseline)} (max deviation ${pct(r.max_deviation)})`,
      details: { deviation: dev, ...(m.row_count.z !== undefined ? { z: m.row_count.z } : {}) },
    };
  },
  signal: (r, m, _c, fraction) => {
    if (r.max_deviation === undefined || m.row_count.deviation === undefined || violated(r, m)) return undefined;
    const dev = Math.abs(m.row_count.deviation);
    if (dev <= r.max_deviation * fraction) return undefined;
    return {
      metric: 'row_count',
      value: m.row_count.value,
      ...(m.row_count.baseline !== undefined ? { baseline: m.row_count.baseline } : {}),
      threshold: r.max_deviation,
      message: `row count moved ${(dev * 100).toFixed(1)}% (under the ${(r.max_deviation * 100).toFixed(1)}% threshold)`,
    };
  },
};
