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
  /** Absent when the record would not fit the broker's message limit (the other instances' views skip it). */
  run?: RunRecord;
  /** What was left out to fit the limit: `run`, or `run` and the findings and outputs. */
  trimmed?: 'run' | 'details';
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

/** Bytes kept free below the broker's limit for the key, headers and record framing. */
const HEALTH_RECORD_OVERHEAD = 4096;

/**
 * The health record's JSON for the topic, within `maxBytes`: the whole record when it fits; else without the
 * run (a run of 100,000 columns: the views do without it, and its RCA walks there see an unobserved node);
 * else without findings and outputs too. A run must never make the batch's transaction exceed the broker's
 * limit: that would fail the commit of every report in it, again after each restart.
 */
export function healthRecordValue(pipeline: string, node: string, run: RunRecord, maxBytes: number): string {
  const budget = maxBytes - HEALTH_RECORD_OVERHEAD;
  const full = healthEvent(pipeline, node, run);
  const whole = JSON.stringify(full);
  if (Buffer.byteLength(whole) <= budget) return whole;
  const { run: _run, ...rest } = full;
  const noRun = JSON.stringify({ ...rest, trimmed: 'run' });
  if (Buffer.byteLength(noRun) <= budget) return noRun;
  return JSON.stringify({
    pipeline,
    node,
    run_id: run.run_id,
    event_time: full.event_time,
    healthy: run.healthy,
    findings: [],
    outputs: [],
    incident_id: run.incident_id,
    trimmed: 'details',
  });
}
