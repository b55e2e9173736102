import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/contract/index.js';
import { schemaFingerprint } from '../../src/contract/index.js';
import { emptyOutput, type CoreOutput, type MonitorCore } from '../../src/monitor/index.js';
import { profileColumns } from '../../src/profile/index.js';
import type { Fault } from '../../src/sim/index.js';
import { makeDag } from '../../src/sim/index.js';
import { Scenario, WARMUP, comparable, newCore, snapshot } from './drive.js';

/** A copy of a report with a column `note` (categorical, nullable) added to its output: a compatible change. */
function withAddedColumn(r: Report): Report {
  const c = structuredClone(r);
  const p = c.outputs![0]!.profile!;
  p.schema = [...p.schema!, { name: 'note', type: 'string', nullable: true }];
  p.schema_fingerprint = schemaFingerprint(p.schema);
  p.columns!.note = {
    kind: 'categorical',
    count: p.row_count!,
    null_count: 0,
    frequent: { a: p.row_count! },
    other_count: 0,
  };
  return c;
}

/** A copy of a report with a numeric key `txn_id`: 500 ids of its own run (run x 1,000 on), a fresh range every run. */
function withKey(r: Report, run: number): Report {
  const c = structuredClone(r);
  const p = c.outputs![0]!.profile!;
  const ids = Float64Array.from({ length: 500 }, (_, i) => run * 1000 + 2 * i);
  p.columns!.txn_id = profileColumns({ txn_id: ids }, { seed: run + 1 }).columns!.txn_id!;
  if (p.schema) {
    p.schema = [...p.schema, { name: 'txn_id', type: 'double', nullable: false }];
    p.schema_fingerprint = schemaFingerprint(p.schema);
  }
  return c;
}

/** A copy of a report whose node runs with other parameters. */
function withParams(r: Report, params: Record<string, unknown>): Report {
  return { ...structuredClone(r), params };
}

function drive(core: MonitorCore, batches: Report[][]): CoreOutput[] {
  return batches.map((b) => core.processBatch(b, emptyOutput()));
}

describe('the new normal: compatible schema changes', () => {
  const s = Scenario.of('chain', 3, 21);

  it('a column added is an info notice, re-baselined at once: no incident, the next runs are quiet', () => {
    const core = newCore();
    const warm = drive(core, s.batches(0, WARMUP));
    expect(warm.flatMap((o) => o.findings)).toEqual([]);
    const changed = (run: number) => s.reports(run).map((r) => (r.node === 'n00' ? withAddedColumn(r) : r));
    const first = core.processBatch(changed(WARMUP));
    const notice = first.findings.filter((f) => f.node === 'n00');
    expect(notice).toHaveLength(1);
    expect(notice[0]).toMatchObject({ rule: 'schema_compatible', metric: 'schema', severity: 'info' });
    expect(notice[0]!.message).toMatch(/compatible.*added note/);
    expect(first.incidentEvents).toEqual([]);
    expect(first.runs.every((r) => r.run.healthy)).toBe(true);
    const later = drive(
      core,
      [1, 2, 3].map((i) => changed(WARMUP + i)),
    );
    expect(later.flatMap((o) => o.findings)).toEqual([]);
    expect(core.incidents()).toEqual([]);
  });

  it('a column removed (breaking) is still a critical incident', () => {
    const core = newCore();
    drive(core, s.batches(0, WARMUP));
    const out = core.processBatch(s.reports(WARMUP, [{ node: 'n00', kind: 'schema_change' }]));
    const f = out.findings.find((x) => x.node === 'n00' && x.metric === 'schema');
    expect(f).toMatchObject({ rule: 'schema_changed', severity: 'critical' });
    expect(core.incidents({ status: 'open' })).toHaveLength(1);
  });
});

/** A copy of a report whose first output has `factor` times the rows (a step whose row count follows the schema). */
function withRows(r: Report, factor: number): Report {
  const c = structuredClone(r);
  const p = c.outputs![0]!.profile!;
  p.row_count = Math.round(p.row_count! * factor);
  return c;
}

describe('the new normal: what follows a compatible change downstream', () => {
  // n00 -> n01 -> n02: n00 adds a column and n01 carries it on (a select *); n02 is a step whose row count
  // follows its input's columns (a model writing one coefficient row per feature): 8 rows become 9.
  const s = Scenario.of('chain', 3, 23);
  const changed = (run: number, rows = 9 / 8) =>
    s
      .reports(run)
      .map((r) =>
        r.node === 'n00' || r.node === 'n01' ? withAddedColumn(r) : r.node === 'n02' ? withRows(r, rows) : r,
      );

  it("the reader's row count moving with it: one warning incident naming the changed node, then quiet", () => {
    const core = newCore();
    drive(core, s.batches(0, WARMUP));
    const first = core.processBatch(changed(WARMUP));
    // The row count at n02 is found, and walked through n01's change to n00's.
    expect(first.findings.filter((f) => f.node === 'n02').map((f) => f.metric)).toEqual(['row_count']);
    const open = core.incidents({ status: 'open' });
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ culprit: 'n00', metric: 'schema', severity: 'warning' });
    expect(open[0]!.symptoms.map((x) => x.node)).toContain('n02');
    // The new level is n02's normal at once: the next runs raise nothing and open nothing.
    const later = drive(
      core,
      [1, 2, 3, 4, 5, 6].map((i) => changed(WARMUP + i)),
    );
    expect(later.flatMap((o) => o.findings).filter((f) => f.node === 'n02')).toEqual([]);
    expect(core.incidents().map((i) => i.culprit)).toEqual(['n00']);
    expect(core.incidents({ status: 'open' })).toEqual([]);
  });

  it("the same row-count move with no change upstream is n02's own critical incident", () => {
    const core = newCore();
    drive(core, s.batches(0, WARMUP));
    core.processBatch(s.reports(WARMUP).map((r) => (r.node === 'n02' ? withRows(r, 9 / 8) : r)));
    const open = core.incidents({ status: 'open' });
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ culprit: 'n02', metric: 'row_count', severity: 'critical' });
  });

  it('a change upstream does not explain lost values downstream: a null spike at n02 stays its own', () => {
    const core = newCore();
    drive(core, s.batches(0, WARMUP));
    const batch = changed(WARMUP, 1).map((r) => {
      if (r.node !== 'n02') return r;
      const c = structuredClone(r);
      const p = c.outputs![0]!.profile!;
      const [name, col] = Object.entries(p.columns!)[0]!;
      p.columns![name] = { ...col, null_count: Math.round(col.count * 0.3) };
      return c;
    });
    core.processBatch(batch);
    const open = core.incidents({ status: 'open' });
    expect(open.map((i) => [i.culprit, i.metric])).toEqual([['n02', 'null_ratio']]);
  });
});

describe('the new normal: accepting a change', () => {
  // n00 -> n01 -> n02: the source moves to a new level for good (3 standard deviations of amount).
  const s = Scenario.of('chain', 3, 22);
  const shifted = (run: number): Fault[] => (run >= WARMUP ? [{ node: 'n00', kind: 'shift', magnitude: 3 }] : []);

  it('without acceptance the incident never resolves and the node never learns', () => {
    const core = newCore();
    const outs = drive(core, s.batches(0, WARMUP + 12, shifted));
    const open = core.incidents({ status: 'open' });
    expect(open).toHaveLength(1);
    expect(open[0]!.culprit).toBe('n00');
    expect(outs.at(-1)!.findings.some((f) => f.node === 'n00')).toBe(true);
    // Its baseline froze at the warm-up: nothing learned since the change.
    const b = core.node({ pipeline: s.dag.pipeline, node: 'n00' })!.outputs[s.sim.dataset('n00')]!;
    expect(b.healthy_runs).toBe(WARMUP);
  });

  it('accept re-baselines the culprit and its symptoms from the accepted run, resolves with who/why; later runs are healthy', () => {
    const core = newCore();
    drive(core, s.batches(0, WARMUP + 3, shifted));
    const [inc] = core.incidents({ status: 'open' });
    expect(inc).toBeDefined();
    expect(inc!.symptoms.map((x) => x.node).sort()).toEqual(['n01', 'n02']);
    const out = emptyOutput();
    const res = core.acceptChange(
      {
        pipeline: s.dag.pipeline,
        node: 'n00',
        who: 'ana',
        why: 'new pricing, intended',
        via: 'cli',
        at: '2026-11-01T12:00:00.000Z',
      },
      out,
    );
    expect(res).toMatchObject({
      ok: true,
      incident_id: inc!.incident_id,
      from_run_id: inc!.opened_run_id,
      learned_runs: 3,
    });
    expect(res.rebaselined.map((r) => r.node)).toEqual(['n00', 'n01', 'n02']);
    expect(out.incidentEvents).toHaveLength(1);
    expect(out.incidentEvents[0]).toMatchObject({
      type: 'resolved',
      changes: { accepted: { who: 'ana', why: 'new pricing, intended', via: 'cli', automatic: false } },
      incident: { status: 'resolved', resolved_at: '2026-11-01T12:00:00.000Z' },
    });
    expect(out.dirty.size).toBeGreaterThan(0);
    // The new level is the normal: no finding on the next runs, no new incident (rules armed again at once:
    // the three accepted runs are learned, and the shipped rules arm at 5, so runs 4 and 5 re-arm them).
    const after = drive(core, s.batches(WARMUP + 3, WARMUP + 15, shifted));
    expect(after.flatMap((o) => o.findings)).toEqual([]);
    expect(core.incidents({ status: 'open' })).toEqual([]);
    // The baseline has re-armed on the new level: a fault on top of it is still caught.
    const fault = core.processBatch(
      s.reports(WARMUP + 15, [...shifted(WARMUP + 15), { node: 'n00', kind: 'null_spike' }]),
    );
    expect(fault.findings.some((f) => f.node === 'n00' && f.metric === 'null_ratio')).toBe(true);
  });

  it('an unknown node or run is refused and changes nothing', () => {
    const core = newCore();
    drive(core, s.batches(0, WARMUP + 1, shifted));
    const before = snapshot(core);
    const out = emptyOutput();
    expect(core.acceptChange({ pipeline: s.dag.pipeline, node: 'nope', who: 'a', why: 'b' }, out).ok).toBe(false);
    const r = core.acceptChange({ pipeline: s.dag.pipeline, node: 'n00', fromRunId: 'never', who: 'a', why: 'b' }, out);
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/never/);
    expect(out.dirty.size).toBe(0);
    expect(snapshot(core)).toEqual(before);
  });

  it('survives a restart: the exported state, imported into a new core, decides the next runs the same', () => {
    const a = newCore();
    drive(a, s.batches(0, WARMUP + 3, shifted));
    a.acceptChange({
      pipeline: s.dag.pipeline,
      node: 'n00',
      who: 'ana',
      why: 'intended',
      at: '2026-11-01T12:00:00.000Z',
    });
    const b = newCore();
    b.importState(snapshot(a));
    const rest = s.batches(WARMUP + 3, WARMUP + 10, shifted);
    const oa = drive(a, rest).map(comparable);
    const ob = drive(b, rest).map(comparable);
    expect(ob).toEqual(oa);
    expect(snapshot(b)).toEqual(snapshot(a));
  });

  it('is deterministic: the same reports and the same accept in the same order give the same state', () => {
    const run = () => {
      const c = newCore();
      drive(c, s.batches(0, WARMUP + 2, shifted));
      const out = emptyOutput();
      c.acceptChange({ pipeline: s.dag.pipeline, node: 'n00', who: 'ana', why: 'intended' }, out);
      drive(c, s.batches(WARMUP + 2, WARMUP + 6, shifted));
      return { state: snapshot(c), out: comparable(out) };
    };
    expect(run()).toEqual(run());
  });
});

describe('the new normal on its own: a new steady level after a deliberate change', () => {
  // n00 -> n01: n01 is a leaf (nothing downstream to protect).
  const s = Scenario.of('chain', 2, 23);
  const P = s.dag.pipeline;
  const K = 5;

  function scenario(opts: { params: boolean; fault: Fault; node?: string; runs?: number; key?: boolean }) {
    const node = opts.node ?? 'n01';
    const core = newCore();
    const keyed = (r: Report, run: number) => (opts.key ? withKey(r, run) : r);
    const outs = drive(
      core,
      s.batches(0, WARMUP).map((b, run) => b.map((r) => keyed(r, run))),
    );
    const changed: CoreOutput[] = [];
    for (let run = WARMUP; run < WARMUP + (opts.runs ?? K + 4); run++) {
      const reports = s
        .reports(run, [{ ...opts.fault, node }])
        .map((r) => keyed(r, run))
        .map((r) => (r.node === node && opts.params ? withParams(r, { window: '2h' }) : r));
      changed.push(core.processBatch(reports));
    }
    return { core, outs, changed };
  }

  it('parameters changed and K runs agree on the new level: accepted automatically, incident resolved', () => {
    const { core, changed } = scenario({ params: true, fault: { node: 'n01', kind: 'shift', magnitude: 3 } });
    const events = changed.flatMap((o) => o.incidentEvents);
    const opened = events.filter((e) => e.type === 'opened');
    expect(opened).toHaveLength(1);
    expect(opened[0]!.incident.cause.kind).toBe('params_change');
    const resolved = events.filter((e) => e.type === 'resolved');
    expect(resolved).toHaveLength(1);
    expect(resolved[0]!.changes.accepted).toMatchObject({ who: 'rootline-monitor', via: 'auto', automatic: true });
    expect(resolved[0]!.incident.accepted!.why).toMatch(/^accepted automatically: new steady level/);
    // The audit log says the monitor did it, and no person resolved it.
    expect(resolved[0]!.changes.audit).toEqual([
      expect.objectContaining({ action: 'accepted_automatically', source: 'auto', who: 'rootline-monitor' }),
    ]);
    expect(resolved[0]!.incident.resolved_by).toBeUndefined();
    // Resolved at the K-th changed run; the runs after it are healthy.
    expect(changed.findIndex((o) => o.incidentEvents.some((e) => e.type === 'resolved'))).toBe(K - 1);
    expect(changed.slice(K).flatMap((o) => o.findings)).toEqual([]);
    expect(core.incidents({ status: 'open' })).toEqual([]);
    expect(core.node({ pipeline: P, node: 'n01' })!.accepted).toMatchObject({ automatic: true });
  });

  it('with a key column (an id that increases every run, never agreeing between two runs): accepted the same', () => {
    const { core, changed } = scenario({
      params: true,
      key: true,
      fault: { node: 'n01', kind: 'shift', magnitude: 3 },
    });
    const resolved = changed.flatMap((o) => o.incidentEvents).filter((e) => e.type === 'resolved');
    expect(resolved).toHaveLength(1);
    expect(resolved[0]!.changes.accepted).toMatchObject({ automatic: true });
    expect(changed.findIndex((o) => o.incidentEvents.some((e) => e.type === 'resolved'))).toBe(K - 1);
    expect(changed.slice(K).flatMap((o) => o.findings)).toEqual([]);
    expect(core.incidents({ status: 'open' })).toEqual([]);
  });

  it('a daily node: the new level must hold for a week; a bad deploy rolled back after five days stays one incident', () => {
    const daily = new Scenario(makeDag('chain', 2, 'daily-2-23', 23), 23, 86_400_000);
    const run = (days: number) => {
      const core = newCore();
      drive(core, daily.batches(0, WARMUP));
      const outs: CoreOutput[] = [];
      for (let r = WARMUP; r < WARMUP + 12; r++) {
        const changed = r < WARMUP + days;
        const reports = daily
          .reports(r, changed ? [{ node: 'n01', kind: 'shift', magnitude: 3 }] : [])
          .map((x) => (x.node === 'n01' && changed ? withParams(x, { window: '2h' }) : x));
        outs.push(core.processBatch(reports));
      }
      return { core, outs };
    };
    // Kept: accepted on its 7th day (a week after the last good run), not its 5th.
    const kept = run(12);
    expect(kept.outs.findIndex((o) => o.incidentEvents.some((e) => e.type === 'resolved'))).toBe(6);
    expect(kept.core.incidents({ status: 'open' })).toEqual([]);
    // Rolled back after five days: never accepted, the old version's runs resolve the one incident.
    const rolled = run(5);
    const events = rolled.outs.flatMap((o) => o.incidentEvents);
    expect(events.filter((e) => e.type === 'opened')).toHaveLength(1);
    expect(rolled.core.incidents()).toHaveLength(1);
    expect(rolled.core.node({ pipeline: 'daily-2-23', node: 'n01' })!.accepted).toBeUndefined();
  });

  it('a column moved apart (a unit change: KS D near 1) never becomes normal on its own; the rollback is clean', () => {
    // A deploy that writes the column in other units (cents for dollars) is steady from its first run. Accepted
    // after K runs, the rollback to the old version would be flagged against the wrong unit as a new incident.
    const { core, changed } = scenario({
      params: true,
      fault: { node: 'n01', kind: 'shift', magnitude: 40 },
      runs: K + 2,
    });
    const during = changed.flatMap((o) => o.incidentEvents);
    expect(during.filter((e) => e.type === 'opened')).toHaveLength(1);
    expect(during.filter((e) => e.type === 'resolved')).toEqual([]);
    expect(core.node({ pipeline: P, node: 'n01' })!.accepted).toBeUndefined();
    // The rollback: the old version's runs, healthy against the baseline that never learned the bad unit.
    const after = drive(core, s.batches(WARMUP + K + 2, WARMUP + K + 8));
    expect(after.flatMap((o) => o.findings)).toEqual([]);
    const events = after.flatMap((o) => o.incidentEvents);
    expect(events.filter((e) => e.type === 'opened')).toEqual([]);
    expect(events.filter((e) => e.type === 'resolved')).toHaveLength(1);
    expect(core.incidents({ status: 'open' })).toEqual([]);
  });

  it('the same level change without a code or parameter change never becomes normal on its own', () => {
    const { core, changed } = scenario({ params: false, fault: { node: 'n01', kind: 'shift', magnitude: 3 } });
    expect(changed.flatMap((o) => o.incidentEvents).filter((e) => e.type === 'resolved')).toEqual([]);
    expect(core.incidents({ status: 'open' })).toHaveLength(1);
  });

  it('a null spike never becomes normal on its own, even after a parameter change', () => {
    const { core, changed } = scenario({ params: true, fault: { node: 'n01', kind: 'null_spike', magnitude: 0.2 } });
    expect(changed.flatMap((o) => o.incidentEvents).filter((e) => e.type === 'resolved')).toEqual([]);
    expect(core.incidents({ status: 'open' })).toHaveLength(1);
  });

  it('a changed source whose downstream follows steadily: accepted with its symptoms, later runs clean', () => {
    const { core, changed } = scenario({
      params: true,
      node: 'n00',
      fault: { node: 'n00', kind: 'shift', magnitude: 3 },
    });
    const events = changed.flatMap((o) => o.incidentEvents);
    expect(events.filter((e) => e.type === 'opened')).toHaveLength(1);
    const resolved = events.filter((e) => e.type === 'resolved');
    expect(resolved).toHaveLength(1);
    expect(resolved[0]!.incident.culprit).toBe('n00');
    expect(resolved[0]!.changes.accepted).toMatchObject({ automatic: true });
    expect(changed.slice(K + 1).flatMap((o) => o.findings)).toEqual([]);
    expect(core.incidents({ status: 'open' })).toEqual([]);
  });

  it('a changed node whose downstream shows a null spike waits for a person', () => {
    const core = newCore();
    drive(core, s.batches(0, WARMUP));
    const events = [];
    for (let run = WARMUP; run < WARMUP + K + 4; run++) {
      const reports = s
        .reports(run, [
          { node: 'n00', kind: 'shift', magnitude: 3 },
          { node: 'n01', kind: 'null_spike', magnitude: 0.2 },
        ])
        .map((r) => (r.node === 'n00' ? withParams(r, { window: '2h' }) : r));
      events.push(...core.processBatch(reports).incidentEvents);
    }
    expect(events.filter((e) => e.type === 'resolved')).toEqual([]);
    expect(core.incidents({ status: 'open' }).length).toBeGreaterThan(0);
  });

  it('runs that do not agree with each other (a level still moving) are not a steady level', () => {
    const core = newCore();
    drive(core, s.batches(0, WARMUP));
    const events = [];
    for (let i = 0; i < K + 4; i++) {
      const reports = s
        .reports(WARMUP + i, [{ node: 'n01', kind: 'shift', magnitude: 3 + i }])
        .map((r) => (r.node === 'n01' ? withParams(r, { window: '2h' }) : r));
      events.push(...core.processBatch(reports).incidentEvents);
    }
    expect(events.filter((e) => e.type === 'resolved')).toEqual([]);
    expect(core.incidents({ status: 'open' })).toHaveLength(1);
  });
});
