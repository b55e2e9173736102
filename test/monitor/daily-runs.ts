import type { Profile } from '../../src/contract/index.js';
import { BaselineCache, evaluateProfile, learnBaseline } from '../../src/monitor/evaluate.js';
import { compileCoreOptions } from '../../src/monitor/options.js';
import type { BaselineEpoch } from '../../src/monitor/baseline-epochs.js';
import { newNodeState, type NodeState } from '../../src/monitor/state.js';
import { evaluateRules, loadRules, type Finding } from '../../src/rules/index.js';

const RULES = loadRules('rules');

/**
 * Daily runs of one node (pipeline `p`) writing one dataset, each judged against the node's baseline by the
 * shipped rules and learned when it has no finding (what the core does for a run's output profile).
 */
export function dailyRuns(
  nodeName: string,
  dataset: string,
): {
  node: NodeState;
  /** Runs judged so far. */
  readonly count: number;
  judge(profile: Profile): Finding[];
} {
  const options = compileCoreOptions({});
  const slots = new Map<string, BaselineEpoch>();
  const cache = new BaselineCache(slots, options);
  const node = newNodeState('p', nodeName);
  let i = 0;
  return {
    node,
    get count() {
      return i;
    },
    judge(profile: Profile): Finding[] {
      const report = {
        pipeline: 'p',
        node: nodeName,
        run_id: `r${i}`,
        event_time: new Date(Date.UTC(2026, 0, 5) + i * 86_400_000).toISOString(),
        status: 'success' as const,
      };
      i++;
      const m = evaluateProfile(report, [{ dataset, profile }], node, 'out', cache);
      const findings = evaluateRules(RULES, m);
      if (findings.length === 0)
        learnBaseline(node, 'out', dataset, profile, report, slots, options, new Set(), m.columns);
      return findings;
    },
  };
}
