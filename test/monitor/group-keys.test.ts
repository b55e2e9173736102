import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/contract/index.js';
import { emptyOutput, type MonitorCore } from '../../src/monitor/index.js';
import { RemoteView, type RemoteRun } from '../../src/monitor/remote-view.js';
import { groupExpectation, throughPoint } from '../../src/stats/pass-through.js';
import { mulberry32 } from '../stats/prng.js';
import { newCore } from './drive.js';

// A rollup writes a steady number of rows per key it reads (stats/pass-through.ts, groupExpectation): one row
// per device that reported. Its row count moves when devices go offline, as it should, while the rows of the
// readings it read swing far more than a cluster of devices weighs.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-03-02T01:30:00.000Z');
const DEVICES = 200;

function rep(
  node: string,
  run: number,
  rows: number,
  devices: number | undefined,
  upstream: { pipeline?: string; node: string }[] = [],
  minute = 0,
): Report {
  return {
    spec: 'rootline.report/v1',
    event_id: `${node}/${run}`,
    pipeline: 'fleet',
    node,
    run_id: `r${run}`,
    event_time: new Date(T0 + run * DAY + minute * 60_000).toISOString(),
    ...(upstream.length > 0 ? { upstream: upstream.map((u) => ({ ...u, run_id: `r${run}` })) } : {}),
    outputs: [
      {
        dataset: `ds/${node}`,
        profile: {
          row_count: rows,
          ...(devices !== undefined
            ? {
                columns: {
                  device_id: {
                    kind: 'categorical' as const,
                    count: rows,
                    null_count: 0,
                    distinct_estimate: devices,
                    other_count: rows,
                  },
                },
              }
            : {}),
        },
      },
    ],
  };
}

/**
 * Daily runs of a fleet of 200 devices: readings (~11 per device, the volume +-12% from day to day) and a
 * rollup of one row per device that reported. From day 14, in about a third of the days a gateway's cluster of 5-9% of the
 * devices is offline (1-3 days): readings and rollup lose them. `rollupDrops(i)` devices the rollup itself
 * loses on day i (a fault of its own).
 */
function fleet(seed: number, days: number, rollupDrops: (i: number) => number = () => 0): Report[][] {
  const u = mulberry32(seed);
  const out: Report[][] = [];
  let offline = 0;
  let left = 0;
  for (let i = 0; i < days; i++) {
    if (left === 0 && i >= 14 && u() < 0.3) {
      offline = Math.round(DEVICES * (0.05 + 0.04 * u()));
      left = 1 + Math.floor(u() * 3);
    }
    const online = DEVICES - (left > 0 ? offline : 0);
    if (left > 0) left -= 1;
    const readings = Math.round(online * 11 * (0.88 + 0.24 * u()));
    out.push([
      rep('readings', i, readings, online),
      rep('rollup', i, online - rollupDrops(i), online - rollupDrops(i), [{ node: 'readings' }], 5),
    ]);
  }
  return out;
}

function run(core: MonitorCore, batches: Report[][]): string[] {
  const found: string[] = [];
  for (const [i, batch] of batches.entries())
    for (const f of core.processBatch(batch, emptyOutput()).findings) found.push(`${f.node}@${i}: ${f.message}`);
  return found;
}

describe('row counts against the keys read (a group-by writes rows per key)', () => {
  it('the expectation is rows per distinct value, its spread the ratio noise of the history', () => {
    // One row per device: 180-200 devices read, as many rows written.
    const steady = [200, 200, 188, 200, 199, 183, 200].map((d) => throughPoint(d, d)!);
    const e = groupExpectation(185, 185, steady)!;
    expect(e.ratio).toBeCloseTo(1, 6);
    expect(e.expected).toBeCloseTo(185, 6);
    expect(e.z).toBeCloseTo(0, 6);
    // Only a count's rounding for spread: 10 devices lost by the rollup itself is far beyond it.
    expect(groupExpectation(175, 185, steady)!.z).toBeLessThan(-10);
    // 24 rows per device (an hourly rollup), neither moving in the history: no verdict on rows per key (its keys
    // never explained a move), but whether a run's rows per key held is known.
    const hourly = [1, 2, 3, 4, 5].map(() => [Math.log1p(200), Math.log1p(4800)] as [number, number]);
    expect(groupExpectation(4320, 180, hourly)).toBeUndefined();
    expect(groupExpectation(4320, 180, hourly, 4, false)!.expected).toBeCloseTo(4320, -1);
    expect(groupExpectation(4320, 200, hourly, 4, false)!.z).toBeLessThan(-10);
    // A column whose distinct values never moved while the count did (three firmware versions under 12-15
    // site rows) explains nothing: no expectation from it.
    const firmware = [12, 15, 13, 14, 12, 15].map((y) => throughPoint(y, 3)!);
    expect(groupExpectation(13, 4, firmware)).toBeUndefined();
    // Fewer rows than keys are a share of them, never steadier than a binomial share: a risk report of ~1.1%
    // of the payment ids it read (its history 20-24 rows of ~2,000, by chance close to 1.1% every time) with 14
    // rows of 1,922 is within its chance.
    const risk = [2000, 2100, 1950, 2050, 1980, 2020].map((d) => throughPoint(Math.round(d * 0.011), d)!);
    const report = groupExpectation(14, 1922, risk, 4, false)!;
    expect(report.expected).toBeGreaterThan(20);
    expect(report.z).toBeGreaterThan(-4);
    // Too few runs, or no usable count: nothing.
    expect(groupExpectation(185, 185, steady.slice(0, 4))).toBeUndefined();
    expect(groupExpectation(185, 0, steady)).toBeUndefined();
  });

  it('gateway outages: the rollup follows the devices it read, no finding over 90 days', () => {
    const core = newCore();
    const found = run(core, fleet(5, 90));
    expect(found).toEqual([]);
    expect(core.incidents()).toEqual([]);
  });

  it('a rollup that loses devices the readings held is found there, against the devices it read', () => {
    const FAULT = 70;
    const core = newCore();
    const found = run(
      core,
      fleet(5, 74, (i) => (i >= FAULT ? 16 : 0)),
    );
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((f) => /^rollup@(7[0-3]): row count dropped/.test(f))).toBe(true);
    expect(found[0]).toMatch(/distinct device_id of fleet\/readings/);
    expect(core.incidents().map((n) => [n.culprit, n.metric])).toEqual([['rollup', 'row_count']]);
  });

  it('below a fault upstream, a level that moved with its keys is a symptom of that fault', () => {
    // The feed loses 40% of its devices from day 70 (its own row-count finding): the rollup's drop moved with
    // the devices it read, and stays a finding, so the feed's incident lists it in its blast radius.
    const core = newCore();
    const batches = fleet(5, 74).map((b, i) => {
      if (i < 70) return b;
      const online = 120;
      return [rep('readings', i, online * 11, online), rep('rollup', i, online, online, [{ node: 'readings' }], 5)];
    });
    const found = run(core, batches);
    expect(found.some((f) => f.startsWith('rollup@70: row count dropped'))).toBe(true);
    const incidents = core.incidents();
    expect(incidents.map((n) => n.culprit)).toEqual(['readings']);
    expect(incidents[0]!.symptoms.map((s) => s.node)).toContain('rollup');
  });

  it('across instances: the devices of a run another instance holds travel with its run record', () => {
    // Instance x holds the readings' pipeline ('src'), instance y the rollup's; y reads the readings' runs
    // through its view of the health topic, their distinct devices included.
    const x = newCore({ view: new RemoteView() });
    const y = newCore({ view: new RemoteView() });
    const found: string[] = [];
    for (const [i, [readings, rollup]] of fleet(5, 90).entries()) {
      const fromX = x.processReport({ ...readings!, pipeline: 'src' }, emptyOutput());
      for (const r of fromX.runs) y.view!.observe(JSON.parse(JSON.stringify(r)) as RemoteRun);
      const out = y.processReport(
        { ...rollup!, upstream: [{ pipeline: 'src', node: 'readings', run_id: readings!.run_id }] },
        emptyOutput(),
      );
      for (const f of out.findings) found.push(`${f.node}@${i}: ${f.message}`);
    }
    expect(found).toEqual([]);
  });
});
