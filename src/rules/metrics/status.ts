import { none, type RuleMetricDescriptor } from './types.js';

/** `status`: the run itself reported failure. */
export const status: RuleMetricDescriptor = {
  params: {},
  required: [],
  minBaselineRuns: 0,
  column: false,
  violation: (_r, m) =>
    m.status === 'failed'
      ? {
          metric: 'status',
          value: 1,
          threshold: 0,
          message: `run ${m.run_id} of ${m.node} failed${m.error_message !== undefined ? `: ${m.error_message}` : ''}`,
        }
      : undefined,
  signal: none,
};
