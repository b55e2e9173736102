import { fmt, type RuleMetricDescriptor } from './types.js';
import { none } from './types.js';

/** Healthy runs in a row that each changed the content before a repeat is judged, when the rule does not say. */
export const DEFAULT_MIN_CHANGES = 20;

/**
 * `unchanged`: the run wrote exactly the rows its last healthy run wrote (the same `content_hash`:
 * docs/content-hash.md) while its last `min_changes` healthy runs had each written other rows than the one
 * before: a feed stuck on its last good day (FX rates, a price list, a partner's export delivered again), a
 * job that re-published yesterday's output. Every other check passes on such a run: its rows, nulls and
 * distributions are those of a healthy run, because they are one. A table that repeats now and then (a
 * dimension with quiet days) never has the run of changes, so it is never judged; see docs/rules.md for
 * what the default of {@link DEFAULT_MIN_CHANGES} costs and buys.
 */
export const unchanged: RuleMetricDescriptor = {
  params: { min_changes: 'count' },
  required: [],
  minBaselineRuns: 1,
  column: false,
  violation: (r, m) => {
    const c = m.content;
    const need = r.min_changes ?? DEFAULT_MIN_CHANGES;
    if (!c || !c.repeated || c.changed_runs < need) return undefined;
    return {
      metric: 'unchanged',
      value: c.changed_runs,
      threshold: need,
      message: `wrote exactly the rows of its last healthy run (the same content hash), after ${fmt(c.changed_runs)} healthy runs that each wrote new ones: a stale feed or a re-published output`,
      details: { changed_runs: c.changed_runs },
    };
  },
  signal: none,
};
