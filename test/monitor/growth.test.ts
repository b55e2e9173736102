import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/contract/index.js';
import { emptyOutput } from '../../src/monitor/index.js';
import { newCore } from './drive.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-05T01:30:00.000Z');

/** A device registry's daily export: `rows` rows, of which `distinct` device ids (a key when equal). */
function registry(run: number, rows: number, distinct = rows): Report {
  return {
    spec: 'rootline.report/v1',
    event_id: `registry/${run}`,
    pipeline: 'telemetry',
    node: 'raw_device_registry',
    run_id: `d${run}`,
    event_time: new Date(T0 + run * DAY).toISOString(),
    outputs: [
      {
        dataset: 's3://iot/raw/device_registry',
        profile: {
          row_count: rows,
          columns: {
            device_id: {
              kind: 'categorical',
              count: rows,
              null_count: 0,
              distinct_estimate: distinct,
              other_count: rows,
            },
          },
        },
      },
    ],
  };
}

function run(counts: readonly (number | [number, number])[]) {
  const core = newCore();
  const outs = counts.map((c, i) =>
    core.processBatch([typeof c === 'number' ? registry(i, c) : registry(i, c[0], c[1])], emptyOutput()),
  );
  return { core, outs };
}

/** 30 days of a registry growing by a device every third day, from 600. */
const grown = Array.from({ length: 30 }, (_, i) => 600 + Math.floor(i / 3));

describe('growth: an accumulating table steps up with new entities', () => {
  it('a customer onboarding 40 devices at once is a notice, learned: no incident, the next days are normal', () => {
    const last = grown.at(-1)!;
    const { core, outs } = run([...grown, last + 40, last + 41, last + 41, last + 43]);
    const findings = outs.flatMap((o) => o.findings);
    expect(findings.filter((f) => f.severity !== 'info')).toEqual([]);
    const notes = findings.filter((f) => f.metric === 'row_count');
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ run_id: 'd30', severity: 'info', details: { growth: 'keys' } });
    expect(core.incidents()).toEqual([]);
  });

  it('a double load (30% more rows, the same device ids) is judged', () => {
    const last = grown.at(-1)!;
    const { core } = run([...grown, [Math.round(last * 1.3), last]]);
    expect(core.incidents().map((x) => [x.culprit, x.metric])).toEqual([['raw_device_registry', 'row_count']]);
  });

  it('a drop is judged, and a tripling is not growth', () => {
    const last = grown.at(-1)!;
    expect(run([...grown, Math.round(last * 0.7)]).core.incidents()).toHaveLength(1);
    expect(run([...grown, last * 3]).core.incidents()).toHaveLength(1);
  });

  it('a table whose count goes up and down is no accumulating table: its rise is judged', () => {
    const wobbly = grown.map((x, i) => (i % 4 === 3 ? x - 3 : x));
    const last = wobbly.at(-1)!;
    expect(run([...wobbly, last + 60]).core.incidents()).toHaveLength(1);
  });
});

describe('growth: new entities account for a rise', () => {
  /** An hourly temperature table: one row per site and hour, sites of ~20 rows each. */
  function hourlyTable(run: number, sites: Record<string, number>, nulls = 0): Report {
    const rows = Object.values(sites).reduce((a, n) => a + n, 0);
    return {
      spec: 'rootline.report/v1',
      event_id: `hourly/${run}`,
      pipeline: 'telemetry',
      node: 'hourly_temperature',
      run_id: `d${run}`,
      event_time: new Date(T0 + run * DAY).toISOString(),
      outputs: [
        {
          dataset: 'warehouse://telemetry/hourly_temperature',
          profile: {
            row_count: rows,
            columns: {
              site: { kind: 'categorical', count: rows, null_count: 0, frequent: sites, other_count: 0 },
              // A rolling feature: no value for a device's first reading.
              ewma: { kind: 'numeric', count: rows, null_count: nulls },
            },
          },
        },
      ],
    };
  }
  const SITES = ['tyo-03', 'tyo-04', 'syd-05', 'mad-00', 'par-01', 'nyc-02', 'lon-02', 'sfo-01'];
  const day = (i: number, extra: Record<string, number> = {}, scale = 1) => {
    const sites: Record<string, number> = {};
    // 19 or 21 rows per site, 160 in all (+-1 on one site every third day).
    for (const [k, s] of SITES.entries()) sites[s] = Math.round(((i + k) % 2 === 0 ? 21 : 19) * scale);
    if (i % 3 === 0) sites[SITES[0]!] = sites[SITES[0]!]! + 1;
    return { ...sites, ...extra };
  };

  it("a new site's first day (12% more rows, all of them the new site's) is a notice, learned", () => {
    const core = newCore();
    const outs = [];
    for (let i = 0; i < 25; i++) outs.push(core.processBatch([hourlyTable(i, day(i))], emptyOutput()));
    for (let i = 25; i < 30; i++)
      outs.push(core.processBatch([hourlyTable(i, day(i, { 'lon-07': 20 }))], emptyOutput()));
    const findings = outs.flatMap((o) => o.findings);
    expect(findings.filter((f) => f.severity !== 'info' && f.severity !== 'warning')).toEqual([]);
    expect(findings.filter((f) => f.metric === 'row_count').map((f) => [f.run_id, f.details?.['growth']])).toEqual([
      ['d25', 'entities'],
    ]);
    expect(core.incidents()).toEqual([]);
  });

  it('a rise the new values do not account for is judged', () => {
    const core = newCore();
    for (let i = 0; i < 25; i++) core.processBatch([hourlyTable(i, day(i))], emptyOutput());
    core.processBatch([hourlyTable(25, day(25, { 'lon-07': 4 }, 1.15))], emptyOutput());
    expect(core.incidents().map((x) => [x.culprit, x.metric])).toEqual([['hourly_temperature', 'row_count']]);
  });

  it("a new site's rolling features are null on its first day: a notice; more nulls than its rows are judged", () => {
    const core = newCore();
    const outs = [];
    for (let i = 0; i < 25; i++) outs.push(core.processBatch([hourlyTable(i, day(i))], emptyOutput()));
    // Day 25: site lon-07 comes with 20 rows, its ewma null (and the table 12.5% larger: growth, too).
    outs.push(core.processBatch([hourlyTable(25, day(25, { 'lon-07': 20 }), 20)], emptyOutput()));
    const notes = outs.flatMap((o) => o.findings).filter((f) => f.metric === 'null_ratio');
    expect(notes.map((f) => [f.run_id, f.severity, f.details?.['new_entities']])).toEqual([['d25', 'info', true]]);
    expect(core.incidents()).toEqual([]);
    // Day 26: 40 nulls, the new site's 20 rows no longer new: judged.
    core.processBatch([hourlyTable(26, day(26, { 'lon-07': 20 }), 40)], emptyOutput());
    expect(core.incidents().map((x) => [x.culprit, x.metric, x.column])).toEqual([
      ['hourly_temperature', 'null_ratio', 'ewma'],
    ]);
  });
});
