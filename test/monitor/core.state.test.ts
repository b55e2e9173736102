import { describe, expect, it } from 'vitest';
import { stateKey, pipelineOfKey, type MonitorCore } from '../../src/monitor/index.js';
import type { Fault } from '../../src/sim/index.js';
import { RULES, Scenario, WARMUP, comparable, feed, newCore, snapshot } from './drive.js';

// A stream with a bit of everything: warm-up, a mid-pipeline fault for 3 runs (an incident that grows
// and resolves), a distribution shift at the source (drift on merged baseline sketches), and enough runs
// for the baseline rings (and, with runHistory 7, the run history ring) to wrap.
const FAULTS = (run: number): Fault[] => {
  if (run >= WARMUP && run < WARMUP + 3) return [{ node: 'n02', kind: 'null_spike' }];
  if (run >= 16 && run < 18) return [{ node: 'n00', kind: 'shift', magnitude: 1 }];
  return [];
};
const RUNS = 26;

describe('MonitorCore: determinism', () => {
  for (const shape of ['diamond', 'random'] as const) {
    it(`${shape}: the same reports in fresh cores give identical outputs and state`, () => {
      const s = Scenario.of(shape, 6, 41);
      const batches = s.batches(0, RUNS, FAULTS);
      const a = newCore({ baselineRuns: 10, runHistory: 7 });
      const b = newCore({ baselineRuns: 10, runHistory: 7 });
      const outA = feed(a, batches).map(comparable);
      const outB = feed(b, batches).map(comparable);
      expect(outB).toEqual(outA);
      expect(snapshot(b)).toEqual(snapshot(a));
      // The stream did exercise drift findings, whose numbers come from merged sketches.
      expect(outA.some((o) => o.includes('"rule":"distribution_drift"'))).toBe(true);
    });
  }
});

describe('MonitorCore: state export and import', () => {
  const s = Scenario.of('diamond', 6, 42);
  const batches = s.batches(0, RUNS, FAULTS);
  const reference = newCore({ baselineRuns: 10, runHistory: 7 });
  const refOut = feed(reference, batches).map(comparable);

  // Cut before any baseline, mid warm-up, with an incident open, and after baselines wrapped.
  for (const cut of [0, 3, WARMUP + 1, 17, 23]) {
    it(`a core restored at batch ${cut} decides exactly like one that never stopped`, () => {
      const first = newCore({ baselineRuns: 10, runHistory: 7 });
      feed(first, batches.slice(0, cut));
      const records = JSON.parse(JSON.stringify(first.exportState(first.allStateKeys()))) as {
        key: string;
        value: string | undefined;
      }[];
      const restored = newCore({ baselineRuns: 10, runHistory: 7 });
      restored.importState(records);
      const rest = feed(restored, batches.slice(cut)).map(comparable);
      expect(rest).toEqual(refOut.slice(cut));
      expect(snapshot(restored)).toEqual(snapshot(reference));
      expect(restored.incidents()).toEqual(reference.incidents());
    });
  }

  it('records can be imported in any order', () => {
    const first = newCore({ baselineRuns: 10, runHistory: 7 });
    feed(first, batches.slice(0, 12));
    const restored = newCore({ baselineRuns: 10, runHistory: 7 });
    restored.importState([...first.exportState(first.allStateKeys())].reverse());
    expect(snapshot(restored)).toEqual(snapshot(first));
    expect(feed(restored, batches.slice(12)).map(comparable)).toEqual(refOut.slice(12));
  });

  it('the dirty keys of a batch are what changed: exporting only them keeps a restored copy in step', () => {
    const live = newCore({ baselineRuns: 10, runHistory: 7 });
    const mirror = newCore({ baselineRuns: 10, runHistory: 7 });
    for (const b of batches) {
      const out = live.processBatch(b);
      mirror.importState(
        JSON.parse(JSON.stringify(live.exportState(out.dirty))) as { key: string; value: string | undefined }[],
      );
    }
    expect(snapshot(mirror)).toEqual(snapshot(live));
  });

  it('state keys name their pipeline; a missing record exports as a deletion', () => {
    expect(pipelineOfKey(stateKey.node('churn', 'n1'))).toBe('churn');
    expect(pipelineOfKey(stateKey.slot('churn', 'n1', 'out', 'lake/x', 3))).toBe('churn');
    const core = newCore();
    expect(core.exportState([stateKey.node('nope', 'n'), stateKey.slot('nope', 'n', 'out', 'd', 0)])).toEqual([
      { key: stateKey.node('nope', 'n'), value: undefined },
      { key: stateKey.slot('nope', 'n', 'out', 'd', 0), value: undefined },
    ]);
    // and importing a deletion removes the record
    const live = newCore();
    feed(live, batches.slice(0, 2));
    const key = stateKey.node(s.dag.pipeline, 'n01');
    expect(live.node({ pipeline: s.dag.pipeline, node: 'n01' })).toBeDefined();
    live.importState([{ key, value: null }]);
    expect(live.node({ pipeline: s.dag.pipeline, node: 'n01' })).toBeUndefined();
  });

  it("dropPipelines forgets a pipeline's state and baseline epochs", () => {
    const core = newCore();
    feed(core, batches.slice(0, 3));
    expect(core.epochs.size).toBeGreaterThan(0);
    core.dropPipelines([s.dag.pipeline]);
    expect(core.allStateKeys()).toEqual([]);
    expect(core.pipelineNames()).toEqual([]);
  });
});

describe('MonitorCore: duplicates', () => {
  const s = Scenario.of('chain', 4, 43);

  it('a report seen twice is processed once', () => {
    const core = newCore();
    feed(core, s.batches(0, WARMUP));
    const bad = s.reports(WARMUP, [{ node: 'n00', kind: 'null_spike' }]);
    const first = core.processBatch(bad);
    expect(first.processed).toBe(4);
    const before = snapshot(core);
    const again = core.processBatch(bad);
    expect(again).toMatchObject({
      processed: 0,
      duplicates: 4,
      findings: [],
      incidentEvents: [],
      points: [],
      runs: [],
    });
    expect(again.dirty.size).toBe(0);
    expect(snapshot(core)).toEqual(before);
    expect(core.incidents()[0]!.runs_affected).toBe(1);
  });

  it('a duplicate within one batch is dropped too', () => {
    const core = newCore();
    const r = s.reports(0);
    const out = core.processBatch([...r, r[1]!]);
    expect(out.processed).toBe(4);
    expect(out.duplicates).toBe(1);
    expect(core.node({ pipeline: s.dag.pipeline, node: 'n01' })!.runs).toBe(1);
  });

  it('the same run under a new event id is a new report (event_id is the key)', () => {
    const core = newCore();
    const r = s.reports(0)[0]!;
    core.processReport(r);
    const out = core.processReport({ ...r, event_id: 'another' });
    expect(out.processed).toBe(1);
  });
});

describe('MonitorCore: rules and queries', () => {
  it('setRules takes effect on the next report', () => {
    const s = Scenario.of('chain', 3, 44);
    const core = newCore();
    feed(core, s.batches(0, WARMUP));
    expect(core.ruleSet).toBe(RULES);
    core.setRules({ ...RULES, rules: RULES.rules.map((r) => ({ ...r, enabled: false })) });
    const out = core.processBatch(s.reports(WARMUP, [{ node: 'n00', kind: 'null_spike' }]));
    expect(out.findings).toEqual([]);
  });

  it('knows its pipelines, graphs, nodes and latest runs', () => {
    const s = Scenario.of('chain', 3, 45, 'zeta');
    const t = Scenario.of('chain', 2, 45, 'alpha');
    const core: MonitorCore = newCore();
    feed(core, [...s.batches(0, 2), ...t.batches(0, 1)]);
    expect(core.pipelineNames()).toEqual(['alpha', 'zeta']);
    expect(core.nodes('zeta').map((n) => n.node)).toEqual(['n00', 'n01', 'n02']);
    expect(
      core
        .graph('zeta')!
        .parents({ pipeline: 'zeta', node: 'n02' })
        .map((e) => e.source.node),
    ).toEqual(['n01']);
    expect(core.latestRun({ pipeline: 'zeta', node: 'n01' }, s.sim.runTime(0))).toBeUndefined();
    expect(core.latestRun({ pipeline: 'zeta', node: 'n01' }, s.sim.runTime(1) + 1)!.run_id).toBe(
      new Date(s.sim.runTime(0)).toISOString(),
    );
    expect(core.latestRun({ pipeline: 'zeta', node: 'n01' }, s.sim.runTime(1) + 2000)!.run_id).toBe(
      new Date(s.sim.runTime(1)).toISOString(),
    );
    expect(core.pipelineState('zeta')!.watermark).toBe(s.sim.runTime(1) + 3000);
  });
});
