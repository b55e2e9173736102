import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/contract/index.js';
import { emptyOutput, type MonitorCore } from '../../src/monitor/index.js';
import { RemoteView, type RemoteRun } from '../../src/monitor/remote-view.js';
import { throughExpectation, throughPoint } from '../../src/stats/pass-through.js';
import { mulberry32 } from '../stats/prng.js';
import { newCore } from './drive.js';

const rng = mulberry32;

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-02T00:00:00.000Z');

function rep(
  node: string,
  run: number,
  rows: number,
  upstream: string[] = [],
  o: { code_version?: string; minute?: number; interval?: number } = {},
): Report {
  const run_id = `r${run}`;
  return {
    spec: 'rootline.report/v1',
    event_id: `${node}/${run}`,
    pipeline: 'p',
    node,
    run_id,
    event_time: new Date(T0 + run * (o.interval ?? HOUR) + (o.minute ?? 0) * 60_000).toISOString(),
    ...(o.code_version !== undefined ? { code_version: o.code_version } : {}),
    ...(upstream.length > 0 ? { upstream: upstream.map((u) => ({ node: u, run_id })) } : {}),
    outputs: [{ dataset: `ds/${node}`, profile: { row_count: rows } }],
  };
}

function process(core: MonitorCore, reports: Report[]) {
  return core.processBatch(reports, emptyOutput());
}

describe('pass-through: a row count against the rows it read', () => {
  it('the expectation follows the input with the fitted elasticity, its spread never below a binomial share', () => {
    // A filter passing 88% of 900-1,100 rows read: slope 1.
    const reads = [900, 950, 1000, 1050, 1100, 980, 1020];
    const filter = reads.map((n, i) => throughPoint(Math.round(n * (0.88 + 0.002 * (i % 3))), n)!);
    const e = throughExpectation(880, 1000, filter)!;
    expect(e.slope).toBeCloseTo(1, 1);
    expect(e.ratio).toBeCloseTo(0.88, 2);
    expect(e.expected).toBeCloseTo(882, -1);
    // The residuals' own spread (~0.002) is far below a binomial share's sqrt(0.12 / 880) = 0.0117.
    expect(e.spread).toBeGreaterThan(0.0117);
    // 1,000 of 1,000 passed (a dedupe that stopped de-duplicating): far beyond it; 900, within.
    expect(throughExpectation(1000, 1000, filter)!.z).toBeGreaterThan(4);
    expect(throughExpectation(900, 1000, filter)!.z).toBeLessThan(4);
    // A group-by over ~200 steady keys: slope 0, whatever it read.
    const groupBy = reads.map((n, i) => throughPoint(200 + (i % 3) - 1, n)!);
    const g = throughExpectation(200, 1600, groupBy)!;
    expect(g.slope).toBe(0);
    expect(g.expected).toBeCloseTo(200, 0);
    // An input far beyond the history's range is predicted with the slope's uncertainty: a wider spread.
    expect(throughExpectation(1760, 2000, filter)!.spread).toBeGreaterThan(e.spread);
    // Too few runs, inputs that never varied, or no usable input: nothing.
    expect(throughExpectation(880, 1000, filter.slice(0, 4))).toBeUndefined();
    expect(
      throughExpectation(
        880,
        1000,
        [1, 2, 3, 4, 5].map(() => [Math.log1p(1000), Math.log1p(880)]),
      ),
    ).toBeUndefined();
    expect(throughPoint(10, 0)).toBeUndefined();
    expect(throughPoint(10, undefined)).toBeUndefined();
  });

  // An hourly source whose volume swings +-25% at random (no calendar pattern to learn) and a dedupe below it
  // that drops its usual ~12% of retransmitted rows; then the dedupe stops de-duplicating.
  function hourly(
    seed: number,
    runs: number,
    fault: (run: number) => boolean,
    dupSurge = (_run: number) => 0,
    swing = 0.25,
  ) {
    const u = rng(seed);
    const out: Report[][] = [];
    for (let i = 0; i < runs; i++) {
      const unique = Math.round(1000 * (1 - swing + 2 * swing * u()));
      const dup = Math.round(unique * (0.13 + 0.02 * u() + dupSurge(i)));
      const raw = unique + dup;
      const dedup = fault(i) ? raw : unique;
      out.push([rep('raw', i, raw), rep('dedupe', i, dedup, ['raw'], { minute: 5 })]);
    }
    return out;
  }

  it('a dedupe that stops de-duplicating is found at the dedupe, though its count stays within its own swings', () => {
    const FAULT = 60;
    const core = newCore();
    const found: string[] = [];
    for (const [i, batch] of hourly(7, 66, (r) => r >= FAULT).entries()) {
      const out = process(core, batch);
      for (const f of out.findings) if (i < FAULT) found.push(`${f.node}@${i}: ${f.message}`);
    }
    // No false finding over 60 hourly runs of +-25% volume.
    expect(found).toEqual([]);
    const incidents = core.incidents();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ culprit: 'dedupe', metric: 'row_count', status: 'open' });
    expect(incidents[0]!.findings[0]!.message).toMatch(/against its inputs/);
  });

  it('across instances: a dedupe reading a feed another instance holds is judged against the rows it read', () => {
    // Instance x holds the feed's pipeline ('src'), instance y the dedupe's ('p'); y reads the feed's runs,
    // row counts included, through its view of the health topic (delivered before the dedupe's report).
    const FAULT = 60;
    const x = newCore({ view: new RemoteView() });
    const y = newCore({ view: new RemoteView() });
    for (const [i, [raw, dedupe]] of hourly(7, 66, (r) => r >= FAULT).entries()) {
      const fromX = x.processReport({ ...raw!, pipeline: 'src' }, emptyOutput());
      for (const run of fromX.runs) y.view!.observe(JSON.parse(JSON.stringify(run)) as RemoteRun);
      const out = y.processReport(
        { ...dedupe!, upstream: [{ pipeline: 'src', node: 'raw', run_id: raw!.run_id }] },
        emptyOutput(),
      );
      if (i < FAULT) expect(out.findings).toEqual([]);
    }
    expect(x.incidents()).toEqual([]);
    const incidents = y.incidents();
    expect(incidents.map((n) => [n.culprit, n.metric])).toEqual([['dedupe', 'row_count']]);
    expect(incidents[0]!.findings[0]!.message).toMatch(/against its inputs/);
  });

  it('a dedupe that removed a surge of duplicates its source sent did its job: the source is named', () => {
    const core = newCore();
    // Duplicates rise from ~14% to ~40% of unique rows for 6 runs: the raw count rises past its own swings
    // (+-5%), the dedupe's output does not move; its share fell because its input rose.
    const batches = hourly(
      11,
      66,
      () => false,
      (i) => (i >= 60 ? 0.26 : 0),
      0.05,
    );
    const findings = batches.flatMap((b) => process(core, b).findings);
    expect(findings.filter((f) => f.node === 'raw').length).toBeGreaterThan(0);
    expect(findings.filter((f) => f.node === 'dedupe')).toEqual([]);
    expect(core.incidents().map((x) => x.culprit)).toEqual(['raw']);
  });

  it('a group-by over a steady set of merchants is judged by its own count, not by its share of what it read', () => {
    const core = newCore();
    const u = rng(9);
    const DAY = 86_400_000;
    const found = [];
    for (let i = 0; i < 95; i++) {
      // Daily payments +-3%, 1.6x on the first of each month (a month-start batch the source learns as its
      // own level); settlements: one row per active merchant, whatever the volume.
      const first = new Date(T0 + i * DAY).getUTCDate() === 1;
      const payments = Math.round(2000 * (0.97 + 0.06 * u()) * (first ? 1.6 : 1));
      const merchants = 200 + Math.round(6 * u()) - 3;
      const out = process(core, [
        rep('payments', i, payments, [], { interval: DAY }),
        rep('settlements', i, merchants, ['payments'], { minute: 5, interval: DAY }),
      ]);
      found.push(...out.findings.filter((f) => f.node === 'settlements').map((f) => `${i}: ${f.message}`));
    }
    expect(found).toEqual([]);
  });

  it('an enrichment join follows its facts, whichever input is larger that day', () => {
    const core = newCore();
    const u = rng(13);
    const DAY = 86_400_000;
    const found: string[] = [];
    for (let i = 0; i < 45; i++) {
      // Transactions 1,500 on weekdays and 900 at weekends (+-4%), customers a steady ~1,200: the larger input
      // changes at every weekend. The join keeps every transaction; on day 38 (a Thursday) it loses 12%.
      const weekend = [0, 6].includes(new Date(T0 + i * DAY).getUTCDay());
      const tx = Math.round((weekend ? 900 : 1500) * (0.96 + 0.08 * u()));
      const customers = 1200 + i;
      const out = process(core, [
        rep('transactions', i, tx, [], { interval: DAY }),
        rep('customers', i, customers, [], { interval: DAY }),
        rep('enrich', i, i === 38 ? Math.round(tx * 0.88) : tx, ['transactions', 'customers'], {
          minute: 5,
          interval: DAY,
        }),
      ]);
      found.push(...out.findings.filter((f) => f.node === 'enrich').map((f) => `${i}: ${f.message}`));
    }
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^38: row count dropped/);
  });

  it('a posting job that fans every row out into three legs and re-posts 40% of them is found there', () => {
    const core = newCore();
    const u = rng(3);
    for (let i = 0; i < 40; i++) {
      const payments = Math.round(800 * (0.6 + 0.8 * u()));
      const legs = i >= 34 ? Math.round(payments * 3 * 1.4) : payments * 3;
      process(core, [rep('payments', i, payments), rep('journal', i, legs, ['payments'], { minute: 5 })]);
    }
    expect(core.incidents().map((x) => [x.culprit, x.metric])).toEqual([['journal', 'row_count']]);
  });
});

describe('RCA: the one input that changed since its reader was last healthy', () => {
  // A device registry (a dimension of ~550 rows, steady) and readings join into an enriched table.
  function registryJoin(o: {
    runs: number;
    from: number;
    to: number;
    registryVersion: (run: number) => string;
    joinVersion?: (run: number) => string;
  }) {
    const core = newCore();
    const u = rng(5);
    const outs = [];
    for (let i = 0; i < o.runs; i++) {
      const readings = Math.round(2800 * (0.9 + 0.2 * u()));
      const lost = i >= o.from && i < o.to ? 0.27 : 0;
      outs.push(
        process(core, [
          rep('registry', i, 550 + Math.floor(i / 4), [], { code_version: o.registryVersion(i) }),
          rep('readings', i, readings),
          rep('join', i, Math.round(readings * (1 - lost)), ['readings', 'registry'], {
            minute: 5,
            code_version: o.joinVersion?.(i) ?? 'git:join1',
          }),
        ]),
      );
    }
    return { core, outs };
  }

  it('a re-keyed registry (new export version, same rows) that the join loses a quarter of its rows on is the culprit', () => {
    const { core } = registryJoin({
      runs: 40,
      from: 24,
      to: 32,
      registryVersion: (i) => (i >= 24 ? 'cmdb:v5' : 'cmdb:v4'),
    });
    const incidents = core.incidents();
    // One incident for the eight bad runs: the registry's healthy-looking runs do not resolve it meanwhile.
    expect(incidents).toHaveLength(1);
    const inc = incidents[0]!;
    expect(inc).toMatchObject({ culprit: 'registry', metric: 'row_count', opened_run_id: 'r24' });
    expect(inc.cause).toMatchObject({ kind: 'code_change', from: 'cmdb:v4', to: 'cmdb:v5' });
    expect(inc.findings[0]!.message).toMatch(/registry changed \(code cmdb:v4 -> code cmdb:v5\)/);
    expect(inc.symptoms.map((s) => s.node)).toContain('join');
    expect(inc.runs_affected).toBe(1);
    // The join recovered at run 32 (the export was fixed, still v5): the incident resolves after that.
    expect(inc.status).toBe('resolved');
    expect(Date.parse(inc.resolved_at!)).toBeGreaterThan(T0 + 32 * HOUR);
  });

  it('the reader changed too: the reader is the culprit, not the input', () => {
    const { core } = registryJoin({
      runs: 30,
      from: 24,
      to: 30,
      registryVersion: (i) => (i >= 24 ? 'cmdb:v5' : 'cmdb:v4'),
      joinVersion: (i) => (i >= 24 ? 'git:join2' : 'git:join1'),
    });
    expect(core.incidents().map((x) => [x.culprit, x.cause.kind])).toEqual([['join', 'code_change']]);
  });

  it('an input whose version changes every run changes nothing: the reader is the culprit', () => {
    const { core } = registryJoin({ runs: 30, from: 24, to: 30, registryVersion: (i) => `cmdb:build-${i}` });
    expect(core.incidents().map((x) => [x.culprit, x.cause.kind])).toEqual([['join', 'transformation']]);
  });
});
