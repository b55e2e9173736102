import { describe, expect, it } from 'vitest';
import { MonitorCore } from '../../src/monitor/index.js';
import { compileRules } from '../../src/rules/index.js';
import { PipelineSim, makeDag, type Fault } from '../../src/sim/index.js';
import { longHorizonOverride, shipped } from './long-horizon-rules.js';

/** The shipped rules with the (opt-in) long-horizon rule enabled. */
const on = longHorizonOverride(true);
const withoutLongHorizon = longHorizonOverride(false);

/** Daily runs: the reference epoch spans at least a week (HORIZON_EPOCH_SPAN_MS). */
const DAY = 86_400_000;
const START = 25;
const RUNS = 125;

/** n00 -> n01 -> n02; the source's `amount` creeps by 1% of a standard deviation per run from run 25 on. */
function creep(files = [shipped, on], seed = 7, runs = RUNS) {
  const sim = new PipelineSim(makeDag('chain', 3, 'creep'), { seed, intervalMs: DAY });
  const core = new MonitorCore({ rules: compileRules(files) });
  let first: { run: number; node: string; metric: string } | undefined;
  const metrics = new Set<string>();
  for (let r = 0; r < runs; r++) {
    const faults: Fault[] =
      r >= START ? [{ node: 'n00', kind: 'shift', column: 'amount', magnitude: 0.01 * (r - START) }] : [];
    const out = core.processBatch(sim.run(r, faults));
    const f = out.findings[0];
    if (!first && f) first = { run: r, node: f.node, metric: f.metric };
    for (const x of out.findings) metrics.add(x.metric);
  }
  return { core, first, metrics };
}

describe('long-horizon drift: a slow creep is found where it starts', () => {
  it('a 100-run creep at a source gives one incident naming the source', () => {
    const { core, first } = creep();
    const incidents = core.incidents();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ culprit: 'n00', metric: 'long_drift', column: 'amount', status: 'open' });
    expect(incidents[0]!.severity).toBe('warning');
    expect(incidents[0]!.cause.kind).toBe('source_data');
    // Found long before the end (a 1-sd creep): the first finding (downstream, where the creep shows larger)
    // already opens the incident at the source, whose mean's CUSUM is past its alarm level.
    expect(first!.run).toBeLessThan(START + 40);
    const firstRunId = new Date(Date.parse('2026-11-01T00:00:00Z') + first!.run * DAY).toISOString();
    expect(incidents[0]!.opened_run_id).toBe(firstRunId);
    expect(incidents[0]!.evidence.at(-1)).toMatchObject({ node: 'n00', metric: 'long_drift', role: 'root' });
    // The nodes downstream that show it are symptoms of the same incident.
    expect(new Set(incidents[0]!.symptoms.map((s) => s.node))).toEqual(new Set(['n01', 'n02']));
  });

  it('a creep that goes on for 300 runs after it is found stays one incident: the rolling baselines follow it', () => {
    // 3 sd by the end. Runs flagged only on the long horizon teach the rolling baselines (the slow reference
    // catches the creep); frozen at the first finding, they would report it again as a sudden drift.
    const { core, metrics } = creep([shipped, on], 7, START + 300);
    expect(core.incidents()).toHaveLength(1);
    expect(core.incidents()[0]).toMatchObject({ culprit: 'n00', metric: 'long_drift' });
    expect([...metrics]).toEqual(['long_drift']);
  });

  it('without the long-horizon reference the rolling baseline follows the creep: nothing is found', () => {
    const { core } = creep([shipped, on, withoutLongHorizon]);
    expect(core.incidents()).toEqual([]);
  });

  it('healthy noise over 2 x 300 runs (5 nodes, 3 columns) gives no long-horizon finding and no incident', () => {
    for (const seed of [1, 2]) {
      const sim = new PipelineSim(makeDag('diamond', 5, `calm-${seed}`), { seed, intervalMs: DAY });
      const core = new MonitorCore({ rules: compileRules([shipped, on]) });
      let findings = 0;
      for (let r = 0; r < 300; r++) findings += core.processBatch(sim.run(r)).findings.length;
      expect(findings).toBe(0);
      expect(core.incidents()).toEqual([]);
    }
  }, 240_000);

  it('a short fault does not count towards a creep, and accepting a change refreshes the reference', () => {
    const sim = new PipelineSim(makeDag('chain', 2, 'epoch'), { seed: 3, intervalMs: DAY });
    const core = new MonitorCore({ rules: compileRules([shipped, on]) });
    for (let r = 0; r < 30; r++) core.processBatch(sim.run(r));
    const h = () =>
      core.node({ pipeline: 'epoch', node: 'n00' })!.outputs[sim.dataset('n00')]!.columns.amount!.horizon!;
    expect(h().ref).toBeDefined();
    const ref = h().ref!;
    // Three runs of a large shift: findings (drift), but the CUSUM does not move on them.
    for (let r = 30; r < 33; r++) core.processBatch(sim.run(r, [{ node: 'n00', kind: 'shift', magnitude: 3 }]));
    expect(h().up).toBe(0);
    // The accepted new level: the baseline restarts and with it the reference epoch.
    const res = core.acceptChange({ pipeline: 'epoch', node: 'n00', who: 'ana', why: 'new level' });
    expect(res.ok).toBe(true);
    for (let r = 33; r < 60; r++) core.processBatch(sim.run(r, [{ node: 'n00', kind: 'shift', magnitude: 3 }]));
    expect(h().ref!.mean).toBeGreaterThan(ref.mean + 2 * ref.sigma);
    expect(core.incidents({ status: 'open' })).toEqual([]);
  });

  it('a column that already trended through its reference epoch (an age, a counter) is not judged on the long horizon', () => {
    const sim = new PipelineSim(makeDag('chain', 2, 'aging'), { seed: 4, intervalMs: DAY });
    const core = new MonitorCore({ rules: compileRules([shipped, on]) });
    let findings = 0;
    for (let r = 0; r < 80; r++)
      findings += core.processBatch(sim.run(r, [{ node: 'n00', kind: 'shift', column: 'amount', magnitude: 0.01 * r }]))
        .findings.length;
    const h = core.node({ pipeline: 'aging', node: 'n00' })!.outputs[sim.dataset('n00')]!.columns;
    expect(h.amount!.horizon!.ref!.trending).toBe(true);
    expect(h.score!.horizon!.ref!.trending).toBeUndefined();
    expect(findings).toBe(0);
  });
});
