import type { AssertionMetrics } from '../types.js';
import { none, type RuleMetricDescriptor, type Verdict } from './types.js';

/**
 * `assertion`: a data-quality test the producer ran on a dataset failed (OpenLineage's `dataQualityAssertions`:
 * dbt tests, Great Expectations; a report's `assertions`). Judged per failed assertion, not against a baseline:
 * the test is the rule the data's owners already wrote. Column-scoped (an override's `column` matches the tested
 * column); an assertion on the whole dataset has no column. The rules engine calls {@link assertionVerdict} for
 * each failed assertion of the run; the per-column hooks never fire.
 */
export const assertion: RuleMetricDescriptor = {
  params: {},
  required: [],
  minBaselineRuns: 0,
  column: true,
  violation: none,
  signal: none,
};

/** The finding of one failed assertion, naming the test, the column and the dataset. */
export function assertionVerdict(a: AssertionMetrics): Verdict {
  const on = a.column !== undefined ? `column ${a.column} of ${a.dataset}` : a.dataset;
  const read = a.side === 'in' ? ' (as read)' : '';
  return {
    metric: 'assertion',
    ...(a.column !== undefined ? { column: a.column } : {}),
    dataset: a.dataset,
    value: 1,
    threshold: 0,
    message: `assertion ${a.assertion} failed on ${on}${read}`,
    details: { assertion: a.assertion, dataset: a.dataset, side: a.side },
  };
}
