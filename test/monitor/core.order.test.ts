import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/contract/index.js';
import type { Incident, MonitorCore } from '../../src/monitor/index.js';
import type { Fault } from '../../src/sim/index.js';
import { Scenario, WARMUP, comparable, feed, newCore, snapshot } from './drive.js';

/** A deterministic shuffle (xorshift32), so a failing order can be reproduced from its seed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** What must not depend on the arrival order: who, why, how sure, and what it touched. */
function verdictOf(inc: Incident) {
  return {
    incident_id: inc.incident_id,
    culprit: inc.culprit,
    candidates: inc.candidates,
    confidence: inc.confidence,
    escalated: inc.escalated,
    cause: inc.cause,
    opened_run_id: inc.opened_run_id,
    findings: inc.findings,
    evidence: inc.evidence,
    symptoms: [...new Set(inc.symptoms.map((s) => `${s.node}/${s.metric}/${s.column ?? ''}`))].sort(),
    last_good: inc.last_good,
    status: inc.status,
  };
}

/** Warm-up, the faulty pipeline run arranged by `arrange`, then `after` healthy runs. */
function play(s: Scenario, faults: Fault[], arrange: (reports: Report[]) => Report[][], after = 1) {
  const core = newCore();
  feed(core, s.batches(0, WARMUP));
  feed(core, arrange(s.reports(WARMUP, faults)));
  feed(core, s.batches(WARMUP + 1, WARMUP + 1 + after));
  return core;
}

const CASES: { name: string; s: Scenario; faults: Fault[]; culprit: string }[] = [
  { name: 'chain, mid-pipeline null spike', s: Scenario.of('chain', 5, 11), faults: [], culprit: 'n02' },
  { name: 'diamond, one branch shifted', s: Scenario.of('diamond', 6, 12), faults: [], culprit: 'n01' },
  { name: 'diamond, source shifted', s: Scenario.of('diamond', 6, 13), faults: [], culprit: 'n00' },
];
CASES[0]!.faults = [{ node: 'n02', kind: 'null_spike' }];
CASES[1]!.faults = [{ node: 'n01', kind: 'null_spike' }];
CASES[2]!.faults = [{ node: 'n00', kind: 'shift' }];

describe('MonitorCore: one fault, one incident, whatever the arrival order', () => {
  for (const { name, s, faults, culprit } of CASES) {
    describe(name, () => {
      const reference = play(s, faults, (r) => [r]);
      const ref = reference.incidents();

      it('parent-first order names the culprit once', () => {
        expect(ref.map((i) => i.culprit)).toEqual([culprit]);
        expect(ref[0]!.escalated).toBe(false);
        expect(ref[0]!.symptoms.length).toBeGreaterThan(0);
      });

      const orders: [string, (r: Report[]) => Report[][]][] = [
        ['child-first, one batch', (r) => [[...r].reverse()]],
        ['child-first, one report per batch', (r) => [...r].reverse().map((x) => [x])],
        ...[1, 2, 3, 4, 5, 6, 7, 8].map((seed): [string, (r: Report[]) => Report[][]] => [
          `random order (seed ${seed})`,
          (r) => [shuffled(r, seed)],
        ]),
        ...[11, 12, 13].map((seed): [string, (r: Report[]) => Report[][]] => [
          `random order with duplicates (seed ${seed})`,
          (r) => shuffled([...r, ...r.slice(0, 3), ...[...r].reverse().slice(0, 2)], seed).map((x) => [x]),
        ]),
      ];
      for (const [label, arrange] of orders) {
        it(label, () => {
          const core = play(s, faults, arrange);
          expect(core.incidents().map(verdictOf)).toEqual(ref.map(verdictOf));
          expect(core.heldVerdicts(s.dag.pipeline)).toEqual([]);
        });
      }
    });
  }

  it('before the named parent arrives nothing is decided; the verdict is held, not guessed', () => {
    const s = CASES[0]!.s;
    const core = newCore();
    feed(core, s.batches(0, WARMUP));
    const bad = s.reports(WARMUP, CASES[0]!.faults);
    const out = core.processBatch(bad.filter((r) => r.node === 'n04' || r.node === 'n03'));
    expect(out.findings.map((f) => f.node)).toContain('n04');
    expect(out.incidentEvents).toEqual([]);
    expect(core.incidents()).toEqual([]);
    const held = core.heldVerdicts(s.dag.pipeline);
    expect(held.map((h) => h.node)).toEqual(['n03', 'n04']);
    // Both wait for n02's run of this pipeline run (n04's walk goes through n03, which arrived).
    for (const h of held)
      expect(h.waiting).toEqual([{ pipeline: s.dag.pipeline, node: 'n02', run_id: bad[0]!.run_id }]);
  });

  it('held verdicts survive a restart (state records) and are decided as without it', () => {
    const s = CASES[0]!.s;
    const bad = [...s.reports(WARMUP, CASES[0]!.faults)].reverse();
    const first = newCore();
    feed(first, s.batches(0, WARMUP));
    first.processBatch(bad.slice(0, 2));
    const restored = newCore();
    restored.importState(snapshot(first));
    expect(restored.heldVerdicts(s.dag.pipeline)).toEqual(first.heldVerdicts(s.dag.pipeline));
    for (const core of [first, restored]) feed(core, [bad.slice(2), ...s.batches(WARMUP + 1, WARMUP + 2)]);
    expect(restored.incidents()).toEqual(first.incidents());
    expect(restored.incidents().map((i) => i.culprit)).toEqual(['n02']);
  });

  it('the same order twice gives the same outputs and state (deterministic)', () => {
    const s = CASES[1]!.s;
    const run = (core: MonitorCore) => [
      ...feed(core, s.batches(0, WARMUP)),
      ...feed(
        core,
        shuffled(s.reports(WARMUP, CASES[1]!.faults), 5).map((r) => [r]),
      ),
      ...feed(core, s.batches(WARMUP + 1, WARMUP + 3)),
    ];
    const a = newCore();
    const b = newCore();
    expect(run(a).map(comparable)).toEqual(run(b).map(comparable));
    expect(snapshot(a)).toEqual(snapshot(b));
  });

  it('a parent that never arrives: decided when the watermark passes the grace (at least the usual interval), escalated with the parent as candidate', () => {
    const s = CASES[0]!.s;
    const core = newCore({ holdGraceMs: 30 * 60_000 });
    feed(core, s.batches(0, WARMUP));
    const bad = s.reports(WARMUP, CASES[0]!.faults).filter((r) => r.node !== 'n02');
    core.processBatch(bad);
    expect(core.incidents()).toEqual([]);
    // Within the node's usual interval (an hour here, longer than the grace) it is still held.
    core.processBatch(s.reports(WARMUP + 1).slice(0, 3));
    expect(core.incidents()).toEqual([]);
    // The next pipeline run moves the watermark past it.
    core.processBatch(s.reports(WARMUP + 1).slice(3));
    const [inc, ...rest] = core.incidents();
    expect(rest).toEqual([]);
    expect(inc).toMatchObject({ culprit: 'n03', candidates: ['n03', 'n02'], confidence: 0.5, escalated: true });
    // n04 (a second later) is passed by the run after: then a symptom of the same incident, never a new one.
    expect(core.heldVerdicts(s.dag.pipeline).map((h) => h.node)).toEqual(['n04']);
    core.processBatch(s.reports(WARMUP + 2));
    expect(core.heldVerdicts(s.dag.pipeline)).toEqual([]);
    expect(core.incidents().map((i) => [i.culprit, i.symptoms.map((x) => x.node)])).toEqual([['n03', ['n04']]]);
  });

  it('held verdicts are bounded by count: beyond it the oldest is decided at once', () => {
    const s = CASES[0]!.s;
    const core = newCore({ maxHeldVerdicts: 1 });
    feed(core, s.batches(0, WARMUP));
    const bad = s.reports(WARMUP, CASES[0]!.faults);
    const out = core.processBatch([bad[3]!, bad[4]!]); // n03 then n04, both waiting for n02
    expect(core.heldVerdicts(s.dag.pipeline).map((h) => h.node)).toEqual(['n04']);
    expect(out.incidentEvents.map((e) => [e.type, e.incident.culprit, e.incident.escalated])).toEqual([
      ['opened', 'n03', true],
    ]);
  });
});
