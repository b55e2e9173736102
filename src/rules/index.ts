export * from './types.js';
export { DEFAULT_RULES_DIR } from './defaults.js';
export { globMatch, globToRegExp } from './glob.js';
export { ownerOf, routeIncident, type IncidentRoute } from './owners.js';
export {
  compileRules,
  loadRules,
  ruleFiles,
  parseRuleFile,
  formatProblems,
  DEFAULT_MIN_BASELINE_RUNS,
  DEFAULT_ROUTES,
  ACTIONS,
  SLACK_CHANNEL,
  SLACK_MENTION,
  type RuleProblem,
} from './load.js';
export {
  effectiveRules,
  metricEnabled,
  evaluateRules,
  evaluateFreshness,
  elevatedSignals,
  routeFor,
  DEFAULT_SIGNAL_FRACTION,
  type RuleTarget,
  type FreshnessInput,
} from './engine.js';
export { APART_STATISTIC } from './metrics/drift.js';
