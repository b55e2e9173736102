import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/contract/index.js';
import { runCli } from '../cli/run-cli.js';
import { Scenario, feed, newCore } from './drive.js';

const RUNS = 20;
const STOP = 12;
const s = Scenario.of('chain', 5, 21, 'silent-chain');
/** Every run of the pipeline, with n02 silent from run STOP on (the rest keeps reporting). */
const reports: Report[] = s
  .batches(0, RUNS)
  .flat()
  .filter((r) => !(r.node === 'n02' && Date.parse(r.event_time) >= s.sim.runTime(STOP)));

function freshnessIncidents(core: ReturnType<typeof newCore>) {
  return core.incidents().filter((i) => i.cause.kind === 'stale');
}

describe('freshness against event time (in report processing, no wall clock)', () => {
  it('a node that stops reporting while the rest of its pipeline runs gives exactly one freshness incident', () => {
    const core = newCore();
    const out = core.processBatch(reports);
    expect(out.findings.filter((f) => f.metric === 'freshness').map((f) => f.node)).toEqual(['n02']);
    const incs = core.incidents();
    expect(incs).toHaveLength(1);
    expect(incs[0]).toMatchObject({ culprit: 'n02', status: 'open', escalated: false });
    expect(incs[0]!.cause.kind).toBe('stale');
    // Raised when the watermark passed 3x the usual interval after n02's last run (the rule's factor).
    const last = s.sim.runTime(STOP - 1) + 3000;
    expect(Date.parse(incs[0]!.opened_at)).toBeGreaterThan(last + 3 * 3_600_000);
    expect(Date.parse(incs[0]!.opened_at)).toBeLessThanOrEqual(last + 4 * 3_600_000);
  });

  it('the same verdict whatever the batching: all at once (a backlog replayed fast), per run, per report', () => {
    const verdict = (core: ReturnType<typeof newCore>) => JSON.stringify(core.incidents());
    const all = newCore();
    all.processBatch(reports);
    const perReport = newCore();
    feed(
      perReport,
      reports.map((r) => [r]),
    );
    const perRun = newCore();
    for (let r = 0; r < RUNS; r++)
      perRun.processBatch(reports.filter((x) => x.run_id === new Date(s.sim.runTime(r)).toISOString()));
    expect(verdict(perReport)).toBe(verdict(all));
    expect(verdict(perRun)).toBe(verdict(all));
  });

  it('no freshness finding for a healthy pipeline replayed as a backlog, in one batch', () => {
    const core = newCore();
    const out = core.processBatch(s.batches(0, RUNS).flat());
    expect(out.findings).toEqual([]);
    expect(core.incidents()).toEqual([]);
  });

  it('a node that comes back clears its silence and can be late again', () => {
    const core = newCore();
    core.processBatch(reports);
    const n02 = { pipeline: s.dag.pipeline, node: 'n02' };
    expect(core.node(n02)!.late).toBe(true);
    core.processBatch(s.reports(RUNS));
    expect(core.node(n02)!.late).toBe(false);
  });

  it('the wall-clock check is only for a whole pipeline gone silent, not for one node while the rest reports', () => {
    const core = newCore();
    // n02 misses its last two runs: silent 2 h at the watermark, under the 3x limit in event time.
    core.processBatch(
      s
        .batches(0, 10)
        .flat()
        .filter((r) => !(r.node === 'n02' && Date.parse(r.event_time) >= s.sim.runTime(8))),
    );
    const watermark = core.pipelineState(s.dag.pipeline)!.watermark;
    // 1.5 h later on the wall clock, n02 has been silent 3.5 h, but the others only 1.5 h: not the pipeline.
    expect(core.checkFreshness(watermark + 1.5 * 3_600_000).findings).toEqual([]);
    // Much later the whole pipeline is silent: one incident at the first silent node, the rest symptoms.
    const out = core.checkFreshness(watermark + 5 * 3_600_000);
    expect(out.findings.map((f) => f.node)).toEqual(['n02', 'n00', 'n01', 'n03', 'n04']);
    const incs = core.incidents();
    expect(incs.map((i) => [i.culprit, i.cause.kind])).toEqual([
      ['n02', 'stale'],
      ['n00', 'stale'],
    ]);
    expect(incs[0]!.symptoms.map((x) => x.node).sort()).toEqual(['n03', 'n04']);
    expect(incs[1]!.symptoms.map((x) => x.node)).toEqual(['n01']);
  });

  it('`rootline replay` and the core agree', async () => {
    const core = newCore();
    core.processBatch(reports);
    const [inc] = freshnessIncidents(core);
    const dir = mkdtempSync(join(tmpdir(), 'rootline-fresh-'));
    const file = join(dir, 'reports.jsonl');
    writeFileSync(file, `${reports.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const r = await runCli(['replay', file, '--quiet']);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const incidents = lines.filter((l) => l.type === 'incident');
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      incident_id: inc!.incident_id,
      culprit: 'n02',
      cause: 'stale',
      metric: 'freshness',
    });
    expect(lines.filter((l) => l.type === 'finding' && l.metric === 'freshness')).toHaveLength(1);
  }, 60_000);
});

describe('staleness of inputs', () => {
  const p = 'stale-inputs';
  const HOUR = 3_600_000;
  const T0 = Date.parse('2026-01-05T00:00:00Z');
  const profile = { row_count: 100 };
  /** A source `a` every hour; `b` reads a's run `readRun` (usually the one just before it) 10 min later. */
  const reportsUpTo = (runs: number, staleAt?: number): Report[] => {
    const out: Report[] = [];
    for (let r = 0; r < runs; r++) {
      const id = (k: number) => new Date(T0 + k * HOUR).toISOString();
      out.push({
        spec: 'rootline.report/v1',
        event_id: `a-${r}`,
        pipeline: p,
        node: 'a',
        run_id: id(r),
        event_time: id(r),
        outputs: [{ dataset: 'ds.a', profile }],
      });
      const readRun = r === staleAt ? r - 5 : r;
      out.push({
        spec: 'rootline.report/v1',
        event_id: `b-${r}`,
        pipeline: p,
        node: 'b',
        run_id: id(r),
        event_time: new Date(T0 + r * HOUR + 600_000).toISOString(),
        upstream: [{ node: 'a', run_id: id(readRun) }],
        outputs: [{ dataset: 'ds.b', profile }],
      });
    }
    return out;
  };

  it('a child that reads an upstream run far older than usual is flagged, once, naming the input', () => {
    const core = newCore();
    const out = core.processBatch(reportsUpTo(12, 10));
    const fresh = out.findings.filter((f) => f.metric === 'freshness');
    expect(fresh.map((f) => [f.node, f.run_id])).toEqual([['b', new Date(T0 + 10 * HOUR).toISOString()]]);
    expect(fresh[0]!.message).toBe('b read a run of a 310 min old, more than 30 min (usually 10 min)');
    const [inc, ...rest] = core.incidents();
    expect(rest).toEqual([]);
    expect(inc).toMatchObject({
      culprit: 'b',
      metric: 'freshness',
      cause: { kind: 'stale', summary: fresh[0]!.message },
    });
  });

  it('usual gaps are not flagged', () => {
    const core = newCore();
    expect(core.processBatch(reportsUpTo(12)).findings).toEqual([]);
  });
});

describe('pauses of the whole pipeline are not silences', () => {
  it('a pipeline that does not run for three days (a weekend, an outage) raises nothing when it resumes', () => {
    const core = newCore();
    const reportsAt = (run: number, shift: number) => s.sim.run(run, [], s.sim.runTime(run) + shift);
    // 12 hourly runs, then 72 h with no run at all, then 3 more runs.
    core.processBatch([...s.batches(0, 12).flat()]);
    const out = core.processBatch([13, 14, 15].flatMap((r) => reportsAt(r, 72 * 3_600_000)));
    expect(out.findings).toEqual([]);
    expect(core.incidents()).toEqual([]);
  });

  it('a node silent across a pause is still found once the pipeline runs again without it', () => {
    const core = newCore();
    const reportsAt = (run: number, shift: number) => s.sim.run(run, [], s.sim.runTime(run) + shift);
    core.processBatch([...s.batches(0, 12).flat()]);
    const later = [13, 14, 15, 16, 17].flatMap((r) => reportsAt(r, 72 * 3_600_000)).filter((r) => r.node !== 'n04');
    const out = core.processBatch(later);
    expect(out.findings.map((f) => [f.node, f.metric])).toEqual([['n04', 'freshness']]);
  });
});
