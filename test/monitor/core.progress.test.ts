// Unfinished runs (OpenLineage START/RUNNING): their statistics merged into the report that closes the run,
// a bounded and deterministic buffer per node, and a run that never ends within its usual duration a finding.
import { describe, expect, it } from 'vitest';
import { REPORT_SPEC, type OutputRef, type Report, type RunProgress } from '../../src/contract/index.js';
import { OPEN_RUNS_KEPT } from '../../src/monitor/core.js';
import { newCore } from './drive.js';

const P = 'spark-app';
const NODE = 'spark_app.write_clean';
const MIN = 60_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const runId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

function progress(i: number, phase: 'START' | 'RUNNING', at: number, outputs?: OutputRef[], node = NODE): RunProgress {
  return { pipeline: P, node, run_id: runId(i), event_time: iso(at), phase, ...(outputs ? { outputs } : {}) };
}

function report(i: number, at: number, outputs: OutputRef[] = [], status: 'success' | 'failed' = 'success'): Report {
  return {
    spec: REPORT_SPEC,
    event_id: `e-${i}-${status}`,
    pipeline: P,
    node: NODE,
    run_id: runId(i),
    event_time: iso(at),
    status,
    outputs,
  };
}

const CLEAN = 's3://lake/clean';

describe('START/RUNNING statistics merged into the run the COMPLETE closes', () => {
  it('a COMPLETE without a row count takes the one its RUNNING carried (Spark)', () => {
    const core = newCore();
    core.processProgress(progress(1, 'START', T0));
    core.processProgress(progress(1, 'RUNNING', T0 + MIN, [{ dataset: CLEAN, profile: { row_count: 1000 } }]));
    core.processProgress(progress(1, 'RUNNING', T0 + 2 * MIN, [{ dataset: CLEAN, profile: { row_count: 1500 } }]));
    const out = core.processReport(report(1, T0 + 3 * MIN, [{ dataset: CLEAN }]));
    expect(out.runs).toHaveLength(1);
    // the latest RUNNING's count
    expect(out.runs[0]!.run.row_count).toBe(1500);
    expect(out.runs[0]!.run.outputs).toEqual([CLEAN]);
    // closed: the buffer is empty, and the run's duration (start to end, event time) learned
    expect(core.node({ pipeline: P, node: NODE })!.open_runs).toBeUndefined();
    expect(core.node({ pipeline: P, node: NODE })!.durations).toEqual([3 * MIN]);
  });

  it("the COMPLETE's own row count wins; datasets only the RUNNING named are added", () => {
    const core = newCore();
    core.processProgress(
      progress(2, 'RUNNING', T0, [
        { dataset: CLEAN, profile: { row_count: 10 } },
        { dataset: 's3://lake/side', profile: { row_count: 7 } },
      ]),
    );
    const out = core.processReport(report(2, T0 + MIN, [{ dataset: CLEAN, profile: { row_count: 99 } }]));
    expect(out.runs[0]!.run.row_count).toBe(99);
    expect(out.runs[0]!.run.outputs).toEqual([CLEAN, 's3://lake/side']);
    // the added dataset's row count is learned like any output's
    expect(core.node({ pipeline: P, node: NODE })!.outputs['s3://lake/side']!.row_counts).toEqual([7]);
    // no START seen: the duration is not known
    expect(core.node({ pipeline: P, node: NODE })!.durations).toBeUndefined();
  });

  it('a late START of a run already closed changes nothing', () => {
    const core = newCore();
    core.processReport(report(3, T0 + MIN, [{ dataset: CLEAN, profile: { row_count: 5 } }]));
    const out = core.processProgress(progress(3, 'START', T0));
    expect(out.dirty.size).toBe(0);
    expect(core.node({ pipeline: P, node: NODE })!.open_runs).toBeUndefined();
  });

  it(`keeps at most ${OPEN_RUNS_KEPT} open runs per node, the latest started, whatever the arrival order`, () => {
    const starts = Array.from({ length: OPEN_RUNS_KEPT + 4 }, (_, i) => progress(i, 'START', T0 + i * MIN));
    const a = newCore();
    for (const p of starts) a.processProgress(p);
    const b = newCore();
    for (const p of [...starts].reverse()) b.processProgress(p);
    const kept = (core: ReturnType<typeof newCore>) =>
      core
        .node({ pipeline: P, node: NODE })!
        .open_runs!.map((r) => r.run_id)
        .sort();
    expect(kept(a)).toHaveLength(OPEN_RUNS_KEPT);
    expect(kept(a)).toEqual(starts.slice(4).map((p) => p.run_id));
    expect(kept(b)).toEqual(kept(a));
  });

  it('the buffer is state: exported and imported, the COMPLETE still takes it over', () => {
    const core = newCore();
    core.processProgress(progress(4, 'START', T0));
    core.processProgress(progress(4, 'RUNNING', T0 + MIN, [{ dataset: CLEAN, profile: { row_count: 321 } }]));
    const restored = newCore();
    restored.importState(core.exportState(core.allStateKeys()));
    const out = restored.processReport(report(4, T0 + 2 * MIN, [{ dataset: CLEAN }]));
    expect(out.runs[0]!.run.row_count).toBe(321);
  });
});

describe('a run that starts and never ends within its usual duration: a stalled run', () => {
  /** Six hourly runs of 10 minutes each (START then COMPLETE), then run 7 starts and never ends. */
  function history() {
    const core = newCore();
    for (let i = 0; i < 6; i++) {
      const t = T0 + i * 60 * MIN;
      core.processProgress(progress(i, 'START', t));
      core.processReport(report(i, t + 10 * MIN, [{ dataset: CLEAN, profile: { row_count: 1000 } }]));
    }
    const start = T0 + 6 * 60 * MIN;
    core.processProgress(progress(7, 'START', start));
    return { core, start };
  }
  /** Another node of the pipeline moves event time on (its START). */
  const tick = (core: ReturnType<typeof newCore>, i: number, at: number) =>
    core.processProgress(progress(100 + i, 'START', at, undefined, 'spark_app.other'));

  it('raised once the pipeline event time passes 3x the usual duration (the stalled_run rule), once', () => {
    const { core, start } = history();
    expect(tick(core, 1, start + 25 * MIN).findings).toEqual([]);
    const out = tick(core, 2, start + 31 * MIN);
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]).toMatchObject({
      rule: 'stalled_run',
      metric: 'duration',
      node: NODE,
      run_id: runId(7),
      value: 31 * MIN,
      baseline: 10 * MIN,
      threshold: 30 * MIN,
    });
    expect(out.findings[0]!.message).toContain('stalled run');
    const opened = out.incidentEvents.find((e) => e.type === 'opened')!.incident;
    expect(opened).toMatchObject({ culprit: NODE, status: 'open' });
    expect(opened.cause.kind).toBe('stalled');
    expect(tick(core, 3, start + 50 * MIN).findings).toEqual([]);
  });

  it('a run that ends in time is not stalled; failed runs do not teach the duration', () => {
    const { core, start } = history();
    core.processReport(report(7, start + 12 * MIN, [{ dataset: CLEAN, profile: { row_count: 1000 } }]));
    expect(tick(core, 1, start + 120 * MIN).findings).toEqual([]);
    core.processProgress(progress(8, 'START', start + 130 * MIN));
    core.processReport(report(8, start + 131 * MIN, [], 'failed'));
    expect(core.node({ pipeline: P, node: NODE })!.durations).toEqual([...Array<number>(6).fill(10 * MIN), 12 * MIN]);
  });

  it('on the wall-clock timer for a pipeline gone quiet (nothing else reports)', () => {
    const { core, start } = history();
    expect(core.checkFreshness(start + 20 * MIN).findings).toEqual([]);
    const out = core.checkFreshness(start + 40 * MIN);
    expect(out.findings.map((f) => [f.rule, f.run_id])).toEqual([['stalled_run', runId(7)]]);
  });

  it('not before the node has 5 durations (min_baseline_runs)', () => {
    const core = newCore();
    for (let i = 0; i < 4; i++) {
      core.processProgress(progress(i, 'START', T0 + i * 60 * MIN));
      core.processReport(report(i, T0 + i * 60 * MIN + 10 * MIN));
    }
    core.processProgress(progress(9, 'START', T0 + 5 * 60 * MIN));
    expect(tick(core, 1, T0 + 10 * 60 * MIN).findings).toEqual([]);
  });
});
