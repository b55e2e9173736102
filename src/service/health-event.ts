import type { RunRecord } from '../monitor/state.js';

/**
 * One record of the compacted health topic: a node's latest run, keyed `pipeline/node`. `run` is the run as
 * root-cause analysis reads it (the verdict, findings, signals, the upstream runs it read, column lineage):
 * what every instance's view of the other instances' nodes is made of (src/monitor/remote-view.ts). A run
 * whose verdict was held is published again once decided, naming its incident.
 */
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
  run: RunRecord;
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
    run,
  };
}
