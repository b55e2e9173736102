import { none, type RuleMetricDescriptor } from './types.js';

/**
 * `schema`: the output schema changed (only breaking changes with `breaking_only`, only compatible ones
 * with `compatible_only`). A rule with `rebaseline` reports its change and the schema becomes the new
 * baseline at once: the finding does not make the run unhealthy (the core's notices).
 */
export const schema: RuleMetricDescriptor = {
  params: { breaking_only: 'boolean', compatible_only: 'boolean', rebaseline: 'boolean' },
  required: [],
  minBaselineRuns: 1,
  column: false,
  violation: (r, m) => {
    if (!m.schema.changed || (r.breaking_only && !m.schema.breaking)) return undefined;
    if (r.compatible_only && m.schema.breaking) return undefined;
    const summary = m.schema.changes.map((c) => `${c.kind.replace('_', ' ')} ${c.path}`).join(', ');
    return {
      metric: 'schema',
      value: m.schema.changes.length,
      threshold: 0,
      message: `schema changed (${m.schema.breaking ? 'breaking' : 'compatible'}): ${summary || 'fingerprint differs'}`,
      details: {
        breaking: m.schema.breaking,
        changes: m.schema.changes,
        before: m.schema.previous,
        after: m.schema.fingerprint,
      },
    };
  },
  signal: none,
};
