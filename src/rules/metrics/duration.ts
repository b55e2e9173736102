import { DEFAULT_MIN_BASELINE_RUNS } from './types.js';
import { none, type RuleMetricDescriptor } from './types.js';

/**
 * `duration`: a run that started (an OpenLineage START) and has not ended after `factor` times the node's usual
 * run duration (the median of its recent successful runs, start to end in event time): a stalled run. Judged
 * when the pipeline's event time moves on, and on the wall-clock timer for a pipeline gone quiet.
 */
export const duration: RuleMetricDescriptor = {
  params: { factor: 'number', min_duration_ms: 'ms' },
  required: ['factor'],
  minBaselineRuns: DEFAULT_MIN_BASELINE_RUNS,
  column: false,
  violation: none,
  signal: none,
  overdue: (r, f) => {
    if (f.usualIntervalMs === undefined) return undefined;
    const limit = Math.max(r.factor! * f.usualIntervalMs, r.min_duration_ms ?? 0);
    const running = f.now - f.lastRunAt;
    if (running <= limit) return undefined;
    return {
      metric: 'duration',
      value: running,
      baseline: f.usualIntervalMs,
      threshold: limit,
      message: `stalled run: ${f.node} has been running for ${Math.round(running / 60000)} min without ending, more than ${r.factor}x its usual duration of ${Math.round(f.usualIntervalMs / 60000)} min`,
    };
  },
};
