import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/contract/index.js';
import { emptyOutput, type CoreOutput, type Incident, type MonitorCore } from '../../src/monitor/index.js';
import { RemoteView } from '../../src/monitor/remote-view.js';
import { parseSymptomMessage } from '../../src/monitor/symptom-forward.js';
import { Scenario, WARMUP, newCore } from './drive.js';

// A feature pipeline (n00 -> n01, n01 writes the feature table) read at the source of three downstream
// pipelines a, b, c. On a group of instances, "feat" and "a" are held by x, "b" by y, "c" by z.
const feat = Scenario.of('chain', 2, 71, 'feat');
const downs = ['a', 'b', 'c'].map((p, i) => Scenario.of('chain', 2, 72 + i, p));
const OWNER: Record<string, string> = { feat: 'x', a: 'x', b: 'y', c: 'z' };
const FEATURE_TABLE = feat.sim.dataset('n01');

/** One cycle's reports: the feature pipeline's, then the downstream pipelines' (their sources read the table). */
function cycle(run: number, bad: boolean): { feat: Report[]; down: Report[] } {
  const f = feat.reports(run, bad ? [{ node: 'n01', kind: 'null_spike' }] : []);
  const featRun = f.find((r) => r.node === 'n01')!;
  const down = downs.flatMap((d) =>
    // The simulator runs pipelines independently: the fault that reaches them is injected at their source.
    d.reports(run, bad ? [{ node: 'n00', kind: 'null_spike' }] : []).map((r) =>
      r.node === 'n00'
        ? {
            ...r,
            event_time: new Date(Date.parse(featRun.event_time) + 10_000).toISOString(),
            upstream: [{ pipeline: 'feat', node: 'n01', run_id: featRun.run_id }],
            inputs: [{ dataset: FEATURE_TABLE }],
          }
        : r,
    ),
  );
  return { feat: f, down };
}

/**
 * Instances of one consumer group, in memory: each report goes to the core holding its pipeline; every
 * core's view reads every run recorded (the health topic); forwarded symptoms go to the core holding the
 * root's pipeline (the reports topic keyed by pipeline).
 */
class Group {
  readonly cores = new Map<string, MonitorCore>();
  readonly outs: CoreOutput[] = [];
  private pendingRuns: CoreOutput['runs'] = [];

  constructor(withViews = true) {
    for (const name of ['x', 'y', 'z'])
      this.cores.set(name, newCore(withViews ? { view: new RemoteView({ runsPerNode: 8 }) } : {}));
  }

  private core(pipeline: string): MonitorCore {
    return this.cores.get(OWNER[pipeline]!)!;
  }

  /** Processes reports at their owners; health events are collected, not yet delivered. */
  process(reports: readonly Report[]): void {
    for (const r of reports) {
      const out = this.core(r.pipeline).processReport(r, emptyOutput());
      this.collect(out);
    }
  }

  private collect(out: CoreOutput): void {
    this.outs.push(out);
    this.pendingRuns.push(...out.runs, ...out.healthUpdates);
    for (const s of out.symptoms) {
      // It travels as JSON on the reports topic.
      const parsed = parseSymptomMessage(JSON.parse(JSON.stringify(s)));
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) continue;
      const applied = emptyOutput();
      this.core(s.pipeline).applySymptom(parsed.message, applied);
      this.collect(applied);
    }
  }

  /** Delivers the health events to every view and lets held verdicts waiting for them settle. */
  deliver(): void {
    while (this.pendingRuns.length > 0) {
      const runs = this.pendingRuns;
      this.pendingRuns = [];
      for (const c of this.cores.values())
        for (const r of runs) c.view?.observe(JSON.parse(JSON.stringify(r)) as (typeof runs)[number]);
      for (const c of this.cores.values())
        if (runs.some((r) => c.awaits({ pipeline: r.pipeline, node: r.node }, r.run.run_id)))
          this.collect(c.settleAwaited(emptyOutput()));
    }
  }

  incidents(): Incident[] {
    return [...this.cores.values()].flatMap((c) => c.incidents());
  }

  opened(): string[] {
    return this.outs.flatMap((o) =>
      o.incidentEvents.filter((e) => e.type === 'opened').map((e) => e.incident.incident_id),
    );
  }
}

function warm(g: Group): void {
  for (let r = 0; r < WARMUP; r++) {
    const c = cycle(r, false);
    g.process(c.feat);
    g.deliver();
    g.process(c.down);
    g.deliver();
  }
}

/** The same reports on one core holding every pipeline: the reference verdict. */
function oneInstance(): Incident[] {
  const core = newCore();
  for (let r = 0; r <= WARMUP; r++) {
    const c = cycle(r, r === WARMUP);
    core.processBatch([...c.feat, ...c.down]);
  }
  return core.incidents();
}

describe('cross-instance RCA: three downstream pipelines on three instances', () => {
  const single = oneInstance();

  it('on one instance (the reference): one incident at the feature table, its readers symptoms', () => {
    expect(single).toHaveLength(1);
    expect(single[0]).toMatchObject({ pipeline: 'feat', culprit: 'n01', escalated: false });
    expect(new Set(single[0]!.symptoms.map((s) => s.pipeline))).toEqual(new Set(['a', 'b', 'c']));
  });

  it('without views (before): each instance that reads the table from afar escalates its own incident', () => {
    const g = new Group(false);
    warm(g);
    const c = cycle(WARMUP, true);
    g.process(c.feat);
    g.process(c.down);
    // Another instance's run named by id is waited for; with no view it never comes: decided unobserved.
    const forced = cycle(WARMUP + 1, false);
    g.process(forced.feat);
    g.process(
      forced.down.map((r) => ({ ...r, event_time: new Date(Date.parse(r.event_time) + 3_600_000).toISOString() })),
    );
    const incs = g.incidents();
    expect(incs.length).toBeGreaterThan(1);
    expect(incs.filter((i) => i.pipeline === 'b' || i.pipeline === 'c').every((i) => i.escalated)).toBe(true);
  });

  it('with views: one incident across the group, at the owner, naming the culprit with the same confidence', () => {
    const g = new Group();
    warm(g);
    expect(g.incidents()).toEqual([]);
    const c = cycle(WARMUP, true);
    g.process(c.feat);
    g.deliver();
    g.process(c.down);
    g.deliver();
    const incs = g.incidents();
    expect(incs).toHaveLength(1);
    const inc = incs[0]!;
    expect(g.cores.get('x')!.incidents()).toHaveLength(1);
    expect(inc).toMatchObject({
      pipeline: 'feat',
      culprit: 'n01',
      confidence: single[0]!.confidence,
      escalated: single[0]!.escalated,
      candidates: single[0]!.candidates,
    });
    expect(inc.cause.kind).toBe(single[0]!.cause.kind);
    expect(new Set(inc.symptoms.map((s) => `${s.pipeline}/${s.node}`))).toEqual(
      new Set(single[0]!.symptoms.map((s) => `${s.pipeline}/${s.node}`)),
    );
    // The remote readers are in the blast radius (their runs name the table's producer upstream).
    for (const p of ['b', 'c']) expect(inc.blast_radius).toContain(`${p}/n00`);
    expect(new Set(g.opened())).toEqual(new Set([inc.incident_id]));
    // The remote runs name the owner's incident.
    for (const p of ['b', 'c']) {
      const core = g.cores.get(OWNER[p]!)!;
      const run = core.node({ pipeline: p, node: 'n00' })!.history.at(-1)!;
      expect(run.remote_root).toEqual({ pipeline: 'feat', node: 'n01', run_id: c.feat[1]!.run_id });
      expect(run.incident_id).toBe(inc.incident_id);
    }
  });

  it("a downstream report before the upstream's health event is held, then attributed to the one incident", () => {
    const g = new Group();
    warm(g);
    const c = cycle(WARMUP, true);
    g.process(c.feat);
    // The readers' reports are processed before any view has the feature pipeline's bad run.
    g.process(c.down);
    expect(
      g.cores
        .get('y')!
        .heldVerdicts('b')
        .map((h) => h.node)
        .sort(),
    ).toEqual(['n00', 'n01']);
    expect(g.incidents().filter((i) => i.pipeline !== 'feat')).toEqual([]);
    g.deliver();
    expect(g.cores.get('y')!.heldVerdicts('b')).toEqual([]);
    const incs = g.incidents();
    expect(incs).toHaveLength(1);
    expect(incs[0]).toMatchObject({ pipeline: 'feat', culprit: 'n01', confidence: single[0]!.confidence });
    expect(new Set(incs[0]!.symptoms.map((s) => s.pipeline))).toEqual(new Set(['a', 'b', 'c']));
    expect(new Set(g.opened())).toEqual(new Set([incs[0]!.incident_id]));
  });

  it('a symptom forwarded while the root run is held follows the root run when it is decided', () => {
    // The owner's own verdict on the table waits for its parent's run, which comes last.
    const g = new Group();
    warm(g);
    const c = cycle(WARMUP, true);
    const [n00, n01] = c.feat;
    g.process([n01!]);
    expect(
      g.cores
        .get('x')!
        .heldVerdicts('feat')
        .map((h) => h.node),
    ).toEqual(['n01']);
    g.deliver();
    g.process(c.down);
    g.deliver();
    // The readers on y and z wait for the root's parent too (the walk continues through the view).
    expect(g.incidents()).toEqual([]);
    g.process([n00!]);
    g.deliver();
    const incs = g.incidents();
    expect(incs).toHaveLength(1);
    expect(incs[0]).toMatchObject({ pipeline: 'feat', culprit: 'n01', confidence: single[0]!.confidence });
    expect(new Set(incs[0]!.symptoms.map((s) => s.pipeline))).toEqual(new Set(['a', 'b', 'c']));
  });
});

describe('RemoteView', () => {
  const run = (id: string, t: number, extra: Record<string, unknown> = {}) =>
    ({
      seq: t,
      run_id: id,
      event_id: id,
      event_time: t,
      status: 'success',
      healthy: true,
      upstream: [],
      inputs: [],
      outputs: ['ds/x'],
      findings: [],
      input_findings: [],
      ...extra,
    }) as never;

  it('keeps the last runs per node, in event-time order, a run seen again replacing its copy', () => {
    const v = new RemoteView({ runsPerNode: 3 });
    const ref = { pipeline: 'p', node: 'n' };
    for (const t of [1, 3, 2, 4]) v.observe({ ...ref, run: run(`r${t}`, t) });
    expect(v.run(ref, 'r1')).toBeUndefined();
    expect(v.latest(ref, 3.5)).toMatchObject({ run_id: 'r3' });
    v.observe({ ...ref, run: run('r3', 3, { healthy: false, incident_id: 'inc-1' }) });
    expect(v.run(ref, 'r3')).toMatchObject({ incident_id: 'inc-1' });
    expect(v.lastHealthy(ref, 5)).toMatchObject({ run_id: 'r4' });
    expect(v.lastHealthy(ref, 4)).toMatchObject({ run_id: 'r2' });
    expect(v.size).toEqual({ nodes: 1, runs: 3 });
  });

  it('keeps what RCA and pass-through read: column lineage unchanged since the previous run is shared, not copied', () => {
    const v = new RemoteView();
    const ref = { pipeline: 'p', node: 'n' };
    const lineage = () => ({ amount: [{ node: 'up', column: 'amount' }] });
    v.observe({ ...ref, run: run('r1', 1, { column_lineage: lineage(), data_version: 'd1', row_count: 5 }) });
    v.observe({ ...ref, run: run('r2', 2, { column_lineage: lineage() }) });
    v.observe({ ...ref, run: run('r3', 3, { column_lineage: { amount: [{ node: 'other', column: 'amount' }] } }) });
    const [a, b, c] = ['r1', 'r2', 'r3'].map((id) => v.run(ref, id)!);
    expect(b!.column_lineage).toBe(a!.column_lineage);
    expect(c!.column_lineage).not.toBe(b!.column_lineage);
    expect(c!.column_lineage).toEqual({ amount: [{ node: 'other', column: 'amount' }] });
    expect(a).not.toHaveProperty('data_version');
    // The row count stays: a reader held elsewhere judges its own count against the rows it read.
    expect(a!.row_count).toBe(5);
  });

  it('is bounded in nodes: the least recently updated node is forgotten, with its datasets', () => {
    const v = new RemoteView({ maxNodes: 2 });
    v.observe({ pipeline: 'p', node: 'a', run: run('1', 1, { outputs: ['ds/a'] }) });
    v.observe({ pipeline: 'p', node: 'b', run: run('1', 1, { outputs: ['ds/b'] }) });
    v.observe({ pipeline: 'p', node: 'a', run: run('2', 2, { outputs: ['ds/a'] }) });
    v.observe({ pipeline: 'p', node: 'c', run: run('1', 1, { outputs: ['ds/c'] }) });
    expect(v.has({ pipeline: 'p', node: 'b' })).toBe(false);
    expect(v.has({ pipeline: 'p', node: 'a' })).toBe(true);
    expect(v.producersOf('ds/b')).toEqual([]);
    expect(v.producersOf('ds/a')).toEqual([{ pipeline: 'p', node: 'a' }]);
    expect(v.size.nodes).toBe(2);
  });

  it("follows a producer's latest outputs, and finds the children whose runs name a node upstream", () => {
    const v = new RemoteView();
    v.observe({ pipeline: 'p', node: 'a', run: run('1', 1, { outputs: ['ds/old'] }) });
    v.observe({ pipeline: 'p', node: 'a', run: run('2', 2, { outputs: ['ds/new'] }) });
    expect(v.producersOf('ds/old')).toEqual([]);
    expect(v.producersOf('ds/new')).toEqual([{ pipeline: 'p', node: 'a' }]);
    v.observe({
      pipeline: 'q',
      node: 'b',
      run: run('1', 1, { upstream: [{ pipeline: 'p', node: 'a', run_id: '2' }] }),
    });
    expect(v.childrenOf({ pipeline: 'p', node: 'a' })).toEqual([{ pipeline: 'q', node: 'b' }]);
  });
});

describe('cross-instance RCA: a forwarded symptom at the owner', () => {
  it('joins the root run held there when its verdict is decided', () => {
    const core = newCore({ view: new RemoteView() });
    for (let r = 0; r < WARMUP; r++) core.processBatch(feat.reports(r));
    const [n00, n01] = feat.reports(WARMUP, [{ node: 'n01', kind: 'null_spike' }]);
    core.processReport(n01!);
    expect(core.heldVerdicts('feat').map((h) => h.node)).toEqual(['n01']);
    const msg = {
      spec: 'rootline.symptom/v1' as const,
      pipeline: 'feat',
      root: { node: 'n01', run_id: n01!.run_id },
      from: { pipeline: 'b', node: 'n00', run_id: 'b-run', event_time: n01!.event_time },
      findings: [
        {
          rule: 'null_ratio',
          metric: 'null_ratio' as const,
          severity: 'warning' as const,
          column: 'amount',
          value: 0.2,
          threshold: 0.02,
          message: 'nulls',
        },
      ],
    };
    const held = emptyOutput();
    expect(core.applySymptom(msg, held)).toBe('held');
    expect(held.incidentEvents).toEqual([]);
    const out = core.processReport(n00!);
    const [inc] = core.incidents();
    expect(inc).toMatchObject({ culprit: 'n01' });
    expect(inc!.symptoms.map((s) => `${s.pipeline}/${s.node}`)).toContain('b/n00');
    expect(out.symptomOutcomes.map((o) => o.outcome)).toEqual(['attached']);
    expect(out.healthUpdates.map((u) => u.run.incident_id)).toEqual([inc!.incident_id]);
    // Applied again (a redelivery after a crash replays the same input): no new symptom, no event.
    const again = emptyOutput();
    expect(core.applySymptom(msg, again)).toBe('attached');
    expect(again.incidentEvents).toEqual([]);
  });

  it('is not found for a pipeline not held here, nor for a root run without an incident', () => {
    const core = newCore({ view: new RemoteView() });
    for (let r = 0; r < WARMUP; r++) core.processBatch(feat.reports(r));
    const base = {
      spec: 'rootline.symptom/v1' as const,
      pipeline: 'nope',
      root: { node: 'n01', run_id: 'x' },
      from: { pipeline: 'b', node: 'n00', run_id: 'b-run', event_time: '2026-01-01T00:00:00Z' },
      findings: [
        { rule: 'r', metric: 'row_count' as const, severity: 'warning' as const, value: 1, threshold: 0, message: 'm' },
      ],
    };
    expect(core.applySymptom(base)).toBe('not_found');
    expect(core.applySymptom({ ...base, pipeline: 'feat' })).toBe('not_found');
  });

  it('the message is validated field by field', () => {
    expect(parseSymptomMessage({ spec: 'rootline.symptom/v1', pipeline: 'p' })).toMatchObject({ ok: false });
    const bad = parseSymptomMessage({
      spec: 'rootline.symptom/v1',
      pipeline: 'p',
      root: { node: 'n', run_id: 'r' },
      from: { pipeline: 'q', node: 'm', run_id: 'r', event_time: 'yesterday' },
      findings: [],
    });
    expect(bad).toEqual({ ok: false, error: 'from.event_time must be an RFC 3339 time' });
  });
});
