import type { RunRecord } from '../monitor/state.js';

/** One record of the compacted health topic: a node's latest run, keyed `pipeline/node`. */
export interface HealthEvent {
  pipeline: string;
  node: string;
  run_id: string;
  /** RFC 3339. */
  event_time: string;
  healthy: boolean;
  findings: RunRecord['findings'];
  outputs: RunRecord['outputs'];
  incident_id: RunRecord['incident_id'];
}

/** The health-topic record for a node's run. */
export function healthEvent(pipeline: string, node: string, run: RunRecord): HealthEvent {
  return {
    pipeline,
    node,
    run_id: run.run_id,
    event_time: new Date(run.event_time).toISOString(),
    healthy: run.healthy,
    findings: run.findings,
    outputs: run.outputs,
    incident_id: run.incident_id,
  };
}
