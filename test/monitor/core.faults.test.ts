import { describe, expect, it } from 'vitest';
import { stateKey, type CauseKind, type IncidentEvent } from '../../src/monitor/index.js';
import { FAULT_KINDS, type Fault, type FaultKind } from '../../src/sim/index.js';
import { Scenario, WARMUP, feed, newCore } from './drive.js';

const FAULT_RUN = WARMUP;

function expectedCause(kind: FaultKind, atSource: boolean): CauseKind {
  if (kind === 'schema_change') return 'schema_change';
  if (kind === 'code_change') return 'code_change';
  return atSource ? 'source_data' : 'transformation';
}

/** Runs a scenario: warm-up, then `bad` runs with the fault, then `after` healthy runs. */
function run(s: Scenario, faults: Fault[], bad = 1, after = 0, core = newCore()) {
  const warm = feed(core, s.batches(0, FAULT_RUN));
  const faulty = feed(
    core,
    s.batches(FAULT_RUN, FAULT_RUN + bad, () => faults),
  );
  const healed = feed(core, s.batches(FAULT_RUN + bad, FAULT_RUN + bad + after));
  return { core, warm, faulty, healed };
}

describe('MonitorCore: one fault, one incident naming the culprit', () => {
  // chain n00 -> n01 -> n02 -> n03 -> n04: a source and a mid-pipeline node.
  const chain = Scenario.of('chain', 5, 11);
  for (const kind of FAULT_KINDS) {
    for (const node of ['n00', 'n02']) {
      const atSource = node === 'n00';
      it(`${kind} at ${atSource ? 'the source' : 'mid-pipeline node'} ${node}`, () => {
        const { core, warm, faulty } = run(chain, [{ node, kind }]);
        expect(warm.flatMap((o) => o.findings)).toEqual([]);
        const out = faulty[0]!;
        const incidents = core.incidents();
        expect(incidents).toHaveLength(1);
        const inc = incidents[0]!;
        expect(inc).toMatchObject({
          pipeline: chain.dag.pipeline,
          culprit: node,
          culprit_ref: { pipeline: chain.dag.pipeline, node },
          status: 'open',
          escalated: false,
          confidence: 0.9,
          candidates: [node],
          runs_affected: 1,
        });
        expect(inc.cause.kind).toBe(expectedCause(kind, atSource));
        // Symptoms: exactly the other nodes with findings in that run, all downstream of the culprit.
        const anomalous = [...new Set(out.findings.map((f) => f.node))].filter((n) => n !== node).sort();
        const symptoms = [...new Set(inc.symptoms.map((x) => x.node))].sort();
        expect(symptoms).toEqual(anomalous);
        // In a chain every fault kind reaches every node below.
        expect(symptoms).toEqual(chain.descendants(node));
        expect([...inc.blast_radius].sort()).toEqual(chain.descendants(node));
        // The evidence ends at the root; an observed healthy input is named.
        expect(inc.evidence.filter((e) => e.role === 'root').map((e) => e.node)).toEqual([node]);
        if (!atSource) expect(inc.evidence.filter((e) => e.role === 'input').map((e) => e.node)).toEqual(['n01']);
        // Every run of the batch is attributed to the incident.
        for (const r of out.runs.filter((x) => !x.run.healthy)) expect(r.run.incident_id).toBe(inc.incident_id);
        // The last good run is the culprit's run before the fault.
        expect(inc.last_good).toMatchObject({ run_id: new Date(chain.sim.runTime(FAULT_RUN - 1)).toISOString() });
      });
    }
  }

  it('the cause names what changed', () => {
    const code = run(chain, [{ node: 'n02', kind: 'code_change' }]).core.incidents()[0]!;
    expect(code.cause).toMatchObject({ kind: 'code_change', to: 'git:c0ffee1' });
    expect(code.cause.from).toMatch(/^git:[0-9a-f]{7}$/);
    const schema = run(chain, [{ node: 'n02', kind: 'schema_change' }]).core.incidents()[0]!;
    expect(schema.metric).toBe('schema');
    expect(schema.cause.summary).toContain('removed score');
    const nulls = run(chain, [{ node: 'n02', kind: 'null_spike' }]).core.incidents()[0]!;
    expect(nulls).toMatchObject({ metric: 'null_ratio', column: 'amount', severity: 'critical' });
    expect(nulls.findings[0]!.value).toBeGreaterThan(0.1);
    expect(nulls.findings[0]!.baseline).toBeLessThan(0.01);
  });

  it('a fault in one branch of a diamond: symptoms only below it, blast radius all descendants', () => {
    const d = Scenario.of('diamond', 6, 12);
    const { core } = run(d, [{ node: 'n01', kind: 'null_spike' }]);
    const [inc, ...rest] = core.incidents();
    expect(rest).toEqual([]);
    expect(inc!.culprit).toBe('n01');
    expect(inc!.cause.kind).toBe('transformation');
    expect([...inc!.blast_radius].sort()).toEqual(['n03', 'n04', 'n05']);
    expect([...new Set(inc!.symptoms.map((s) => s.node))].sort()).toEqual(['n03', 'n04', 'n05']);
  });

  it('a fault at the source of a diamond is found once, through both branches', () => {
    const d = Scenario.of('diamond', 6, 13);
    const { core } = run(d, [{ node: 'n00', kind: 'shift' }]);
    const incs = core.incidents();
    expect(incs.map((i) => i.culprit)).toEqual(['n00']);
    expect([...new Set(incs[0]!.symptoms.map((s) => s.node))].sort()).toEqual(['n01', 'n02', 'n03', 'n04', 'n05']);
  });
});

describe('MonitorCore: an incident over time', () => {
  const chain = Scenario.of('chain', 4, 21);

  it('repeated bad runs update the same incident', () => {
    const { core, faulty } = run(chain, [{ node: 'n01', kind: 'null_spike' }], 3);
    const incs = core.incidents();
    expect(incs).toHaveLength(1);
    expect(incs[0]!.runs_affected).toBe(3);
    expect(incs[0]!.last_run_id).toBe(new Date(chain.sim.runTime(FAULT_RUN + 2)).toISOString());
    expect(incs[0]!.opened_run_id).toBe(new Date(chain.sim.runTime(FAULT_RUN)).toISOString());
    const events = faulty.map((o) => o.incidentEvents.map((e) => [e.type, e.changes.runs_affected]));
    expect(events).toEqual([[['opened', undefined]], [['updated', 2]], [['updated', 3]]]);
    // Versions increase with every change (the first batch also added symptoms).
    const versions = faulty.map((o) => o.incidentEvents[0]!.incident.version);
    expect(versions[0]).toBeGreaterThanOrEqual(1);
    expect(versions[1]).toBeGreaterThan(versions[0]!);
    expect(versions[2]).toBeGreaterThan(versions[1]!);
    expect(incs[0]!.version).toBe(versions[2]);
  });

  it('a persistent fault is never learned as normal: every bad run is flagged and the baseline keeps its healthy runs', () => {
    const warmOnly = newCore();
    feed(warmOnly, chain.batches(0, FAULT_RUN));
    const { core, faulty } = run(chain, [{ node: 'n01', kind: 'row_drop' }], 8);
    // No distribution was learned from a bad run (n01 and everything below it were bad).
    const epochKeys = (c: typeof core) => [...c.epochs.keys()].filter((k) => !k.includes('\u001fn00\u001f')).sort();
    expect(epochKeys(core)).toEqual(epochKeys(warmOnly));
    for (const k of epochKeys(core)) expect(core.epochs.get(k)).toEqual(warmOnly.epochs.get(k));
    for (const o of faulty)
      expect(o.findings.filter((f) => f.node === 'n01').map((f) => f.rule)).toEqual(['row_count_deviation']);
    const n01 = core.node({ pipeline: chain.dag.pipeline, node: 'n01' })!;
    const b = Object.values(n01.outputs)[0]!;
    expect(b.healthy_runs).toBe(WARMUP);
    expect(n01.healthy_runs).toBe(WARMUP);
    expect(n01.runs).toBe(WARMUP + 8);
    // Row counts in the baseline are all from healthy runs (the drop is 30%).
    const base = chain.dag.nodes[1]!.baseRows;
    for (const rc of b.row_counts) expect(Math.abs(rc - base) / base).toBeLessThan(0.05);
    expect(core.incidents()[0]!.runs_affected).toBe(8);
  });

  it('resolves after K healthy runs of the culprit (default 3), not before', () => {
    const { core, healed } = run(chain, [{ node: 'n01', kind: 'null_spike' }], 2, 4);
    expect(healed.map((o) => o.incidentEvents.map((e) => e.type))).toEqual([[], [], ['resolved'], []]);
    const [inc] = core.incidents();
    expect(inc).toMatchObject({
      status: 'resolved',
      healthy_streak: 3,
      resolved_at: new Date(chain.sim.runTime(FAULT_RUN + 4) + 2000).toISOString(),
    });
    expect(core.incidents({ status: 'open' })).toEqual([]);
    expect(core.incidents({ status: 'resolved' })).toHaveLength(1);
  });

  it('K is an option', () => {
    const { healed } = run(chain, [{ node: 'n01', kind: 'null_spike' }], 1, 2, newCore({ resolveAfterHealthyRuns: 1 }));
    expect(healed[0]!.incidentEvents.map((e) => e.type)).toEqual(['resolved']);
  });

  it('a new fault after resolution opens a new incident', () => {
    const core = newCore();
    feed(core, chain.batches(0, FAULT_RUN));
    feed(
      core,
      chain.batches(FAULT_RUN, FAULT_RUN + 1, () => [{ node: 'n01', kind: 'null_spike' }]),
    );
    feed(core, chain.batches(FAULT_RUN + 1, FAULT_RUN + 4));
    feed(
      core,
      chain.batches(FAULT_RUN + 4, FAULT_RUN + 5, () => [{ node: 'n01', kind: 'null_spike' }]),
    );
    const incs = core.incidents();
    expect(incs.map((i) => i.status)).toEqual(['resolved', 'open']);
    expect(incs[0]!.incident_id).not.toBe(incs[1]!.incident_id);
  });

  it('two independent faults give two incidents', () => {
    const fanIn = Scenario.of('fan_in', 5, 22); // n00, n01, n02 -> n03 -> n04
    const { core, faulty } = run(fanIn, [
      { node: 'n00', kind: 'null_spike' },
      { node: 'n02', kind: 'row_drop' },
    ]);
    const incs = core.incidents();
    expect(incs.map((i) => i.culprit).sort()).toEqual(['n00', 'n02']);
    for (const i of incs) expect(i.cause.kind).toBe('source_data');
    // The join is a symptom of both.
    for (const i of incs) expect(i.symptoms.map((s) => s.node)).toContain('n03');
    expect(faulty[0]!.incidentEvents.filter((e) => e.type === 'opened')).toHaveLength(2);
  });

  it('a failed run is a run_failed incident even with no baseline', () => {
    const core = newCore();
    const reports = chain.reports(0).map((r) => (r.node === 'n00' ? { ...r, status: 'failed' as const } : r));
    const out = core.processBatch(reports);
    expect(out.findings.map((f) => `${f.node}:${f.rule}`)).toEqual(['n00:run_failed']);
    const [inc] = core.incidents();
    expect(inc).toMatchObject({ culprit: 'n00', metric: 'status', severity: 'critical' });
    expect(inc!.cause.kind).toBe('run_failed');
    expect(inc!.last_good).toBeUndefined();
  });
});

describe('MonitorCore: incident events of a batch are coalesced', () => {
  const chain = Scenario.of('chain', 5, 31);

  it('one event per incident per batch, carrying every new symptom', () => {
    const core = newCore();
    feed(core, chain.batches(0, FAULT_RUN));
    const out = core.processBatch(chain.reports(FAULT_RUN, [{ node: 'n00', kind: 'null_spike' }]));
    expect(out.incidentEvents).toHaveLength(1);
    const e = out.incidentEvents[0]!;
    expect(e.type).toBe('opened');
    expect([...new Set(e.changes.new_symptoms!.map((s) => s.node))]).toEqual(['n01', 'n02', 'n03', 'n04']);
    // The event carries the incident as it stood at the end of the batch, as a copy.
    expect(e.incident.symptoms).toHaveLength(4);
    expect(e.incident).not.toBe(core.incidents()[0]);
  });

  it('the same reports one by one give one event per report', () => {
    const core = newCore();
    feed(core, chain.batches(0, FAULT_RUN));
    const events: IncidentEvent[] = [];
    for (const r of chain.reports(FAULT_RUN, [{ node: 'n00', kind: 'null_spike' }]))
      events.push(...core.processReport(r).incidentEvents);
    expect(events.map((e) => e.type)).toEqual(['opened', 'updated', 'updated', 'updated', 'updated']);
    // Earlier events are not changed by later reports.
    expect(events[0]!.incident.symptoms).toEqual([]);
    expect(events[4]!.incident.symptoms).toHaveLength(4);
  });
});

describe('MonitorCore: cross-pipeline lineage on one instance', () => {
  // Pipeline "up" (n00 -> n01) writes a dataset that pipeline "down" (n00 -> n01) reads at its source.
  const up = Scenario.of('chain', 2, 61, 'up');
  const down = Scenario.of('chain', 2, 62, 'down');
  const batch = (run: number, bad: boolean) => {
    const a = up.reports(run, bad ? [{ node: 'n00', kind: 'null_spike' }] : []);
    // The fault reaches "down" too (the simulator runs the pipelines independently: inject it there).
    const b = down.reports(run, bad ? [{ node: 'n00', kind: 'null_spike' }] : []).map((r) =>
      r.node === 'n00'
        ? {
            ...r,
            event_time: new Date(Date.parse(r.event_time) + 10_000).toISOString(),
            inputs: [{ dataset: up.sim.dataset('n01') }],
          }
        : r,
    );
    return [...a, ...b];
  };

  it("a root upstream in another pipeline opens one incident, in the root's pipeline, with symptoms and blast radius across both", () => {
    const core = newCore();
    for (let r = 0; r < WARMUP; r++) core.processBatch(batch(r, false));
    const out = core.processBatch(batch(WARMUP, true));
    expect(
      core
        .graph('down')!
        .parents({ pipeline: 'down', node: 'n00' })
        .map((e) => e.source),
    ).toEqual([{ pipeline: 'up', node: 'n01' }]);
    const incs = core.incidents();
    expect(incs).toHaveLength(1);
    const inc = incs[0]!;
    expect(inc).toMatchObject({ pipeline: 'up', culprit: 'n00', cause: { kind: 'source_data' } });
    expect(core.pipelineState('down')!.incidents).toEqual([]);
    expect(inc.symptoms.map((s) => `${s.pipeline}/${s.node}`).sort()).toEqual(['down/n00', 'down/n01', 'up/n01']);
    expect([...inc.blast_radius].sort()).toEqual(['down/n00', 'down/n01', 'n01']);
    // One event for the incident in the batch, and the root pipeline's state is marked dirty.
    expect(out.incidentEvents.map((e) => [e.type, e.incident.incident_id])).toEqual([['opened', inc.incident_id]]);
    expect(out.dirty.has(stateKey.pipeline('up'))).toBe(true);
  });
});
