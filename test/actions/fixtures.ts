import { readFileSync } from 'node:fs';
import { MonitorCore, type IncidentEvent, type RollbackPolicy } from '../../src/monitor/index.js';
import { compileRules } from '../../src/rules/index.js';
import { PipelineSim, makeDag, type Fault } from '../../src/sim/index.js';

/** The shipped rules with critical incidents routed to Slack, rollback and the log. */
export const RULES = compileRules([
  { file: 'rules/defaults.yaml', text: readFileSync('rules/defaults.yaml', 'utf8') },
  { file: 'routes.yaml', text: 'routes:\n  critical: [slack, rollback, log]\n' },
]);

/**
 * The incident events of a real scenario: pipeline "churn", chain n00 -> n01 -> n02 -> n03, a null
 * spike at n01 for `bad` runs after 8 healthy ones, then `after` healthy runs. One batch per run.
 */
export function scenarioEvents(
  options: { bad?: number; after?: number; fault?: Fault; rollback?: Partial<RollbackPolicy>; oneByOne?: boolean } = {},
): IncidentEvent[][] {
  const sim = new PipelineSim(makeDag('chain', 4, 'churn', 3), { seed: 3 });
  const core = new MonitorCore({ rules: RULES, ...(options.rollback ? { rollback: options.rollback } : {}) });
  const fault = options.fault ?? { node: 'n01', kind: 'null_spike' };
  const out: IncidentEvent[][] = [];
  const bad = options.bad ?? 1;
  for (let r = 0; r < 8 + bad + (options.after ?? 0); r++) {
    const reports = sim.run(r, r >= 8 && r < 8 + bad ? [fault] : []);
    if (options.oneByOne) for (const rep of reports) out.push(core.processReport(rep).incidentEvents);
    else out.push(core.processBatch(reports).incidentEvents);
  }
  return out.filter((e) => e.length > 0);
}
