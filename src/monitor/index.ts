export { MonitorCore, emptyOutput, type CoreOutput, type MonitorCoreOptions } from './core.js';
export { stateKey, pipelineOfKey, parseStateKey, slotKey } from './state-keys.js';
export * from './incident-types.js';
export { DEFAULT_ROLLBACK_POLICY, incidentId, causeOf, type RollbackPolicy } from './incidents.js';
export * from './options.js';
export {
  DEFAULT_RERUN_POLICY,
  airflowTaskOf,
  parseRerunTargets,
  rerunDagRunId,
  type RerunMode,
  type RerunPolicy,
  type RerunTarget,
} from './rerun.js';
export { MEASUREMENTS, type MetricPoint } from './points.js';
export type { NodeState, PipelineState, RunRecord, FindingBrief, DatasetBaseline, DistributionSlot } from './state.js';
