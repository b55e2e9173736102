export {
  MonitorCore,
  emptyOutput,
  type AcceptChangeInput,
  type AcceptChangeResult,
  type CoreOutput,
  type MonitorCoreOptions,
  type SymptomOutcome,
} from './core.js';
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
export type {
  Acceptance,
  CandidateRun,
  NodeState,
  PipelineState,
  RunRecord,
  FindingBrief,
  DatasetBaseline,
} from './state.js';
export type { BaselineEpoch } from './baseline-epochs.js';
export { ACCEPT_SPEC, isAcceptMessage, parseAcceptMessage, type AcceptMessage } from './accept.js';
export {
  DEFAULT_SNOOZE_MS,
  INCIDENT_COMMAND_SPEC,
  MAX_SNOOZE_MS,
  isIncidentCommand,
  parseDurationMs,
  parseIncidentCommand,
  refusal,
  snoozedAt,
  type CommandOutcome,
  type IncidentCommand,
} from './incident-actions.js';
export { DEFAULT_REMOTE_VIEW, RemoteView, remoteRunOf, type RemoteRun, type RemoteViewOptions } from './remote-view.js';
export { SYMPTOM_SPEC, isSymptomMessage, parseSymptomMessage, type SymptomMessage } from './symptom-forward.js';
