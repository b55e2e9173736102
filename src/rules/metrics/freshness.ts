import { DEFAULT_MIN_BASELINE_RUNS } from './types.js';
import { none, type RuleMetricDescriptor } from './types.js';

/** `freshness`: a node silent for longer than `factor` times its usual interval (judged on a timer). */
export const freshness: RuleMetricDescriptor = {
  params: { factor: 'number', min_silence_ms: 'ms' },
  required: ['factor'],
  minBaselineRuns: DEFAULT_MIN_BASELINE_RUNS,
  column: false,
  violation: none,
  signal: none,
  overdue: (r, f) => {
    if (f.usualIntervalMs === undefined) return undefined;
    const limit = Math.max(r.factor! * f.usualIntervalMs, r.min_silence_ms ?? 0);
    const silent = f.now - f.lastRunAt;
    if (silent <= limit) return undefined;
    return {
      metric: 'freshness',
      value: silent,
      baseline: f.usualIntervalMs,
      threshold: limit,
      message: `${f.node} has been silent for ${Math.round(silent / 60000)} min, more than ${r.factor}x its usual interval of ${Math.round(f.usualIntervalMs / 60000)} min`,
    };
  },
};
