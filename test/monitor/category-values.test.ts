import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REPORT_SPEC, type Report } from '../../src/contract/index.js';
import { MonitorCore } from '../../src/monitor/index.js';
import { compileRules } from '../../src/rules/index.js';
import { mulberry32 } from '../stats/prng.js';

/**
 * Categorical values that come and go: a value vanishing from a column whose healthy runs move its share as far
 * is that movement, values vanishing together are judged together, and a value that appears and stays is a
 * notice, learned (docs/statistics.md, "Categorical columns").
 */
const DEFAULTS = { file: 'rules/defaults.yaml', text: readFileSync('rules/defaults.yaml', 'utf8') };
const DAY = 86_400_000;
/** Monday 2026-09-07 06:00 UTC. */
const START = Date.UTC(2026, 8, 7, 6);
const ROWS = 200;

function report(d: number, call: number): Report {
  const time = new Date(START + d * DAY).toISOString();
  return {
    spec: REPORT_SPEC,
    event_id: `export-${time}`,
    pipeline: 'churn',
    node: 'export',
    run_id: time,
    event_time: time,
    status: 'success',
    outputs: [
      {
        dataset: 'crm://churn/audience',
        profile: {
          row_count: ROWS,
          columns: {
            action: {
              kind: 'categorical',
              count: ROWS,
              null_count: 0,
              frequent: { call, email: ROWS - call },
              other_count: 0,
            },
          },
        },
      },
    ],
  };
}

/** Daily runs: `call` about half of the 200 rows (binomial), or the share `skew(d)` gives. */
function run(days: number, skew: (d: number, rnd: () => number) => number | undefined): number[] {
  const core = new MonitorCore({ rules: compileRules([DEFAULTS]) });
  const rnd = mulberry32(5);
  const flagged: number[] = [];
  for (let d = 0; d < days; d++) {
    let call = 0;
    for (let i = 0; i < ROWS; i++) if (rnd() < 0.5) call++;
    const share = skew(d, rnd);
    if (share !== undefined) call = Math.round(share * ROWS);
    const o = core.processBatch([report(d, call)]);
    if (o.findings.some((f) => f.metric === 'drift')) flagged.push(d);
  }
  return flagged;
}

describe('a value vanishing from a column that wanders as far', () => {
  // An export split at its scores' median, ties sending rows one way: `call` at 10% to 50% of the rows.
  const wander = (at: number) => (d: number, rnd: () => number) => (d === at ? 0 : 0.1 + 0.4 * rnd());

  it('"call" at 0% one run, in a column whose healthy runs move its share by as much: no finding', () => {
    expect(run(40, wander(35))).toEqual([]);
  });

  it('in a steady column (call at about 50%), it is found', () => {
    expect(run(40, (d) => (d === 35 ? 0 : undefined))).toEqual([35]);
  });
});

const ROWS_T = 600;
describe('values vanishing together', () => {
  /** A 600-row table's `category`: a 40%, b 30%, c 16.5% and d, e, f at 4.5%, 4.7% and 4.3%, rows drawn at random. */
  const SHARES: [string, number][] = [
    ['a', 0.4],
    ['b', 0.3],
    ['c', 0.165],
    ['d', 0.045],
    ['e', 0.047],
    ['f', 0.043],
  ];
  function flaggedWhenLost(lost: readonly string[]): number[] {
    const core = new MonitorCore({ rules: compileRules([DEFAULTS]) });
    const rnd = mulberry32(9);
    const flagged: number[] = [];
    for (let d = 0; d < 30; d++) {
      const kept = SHARES.filter(([v]) => d < 27 || !lost.includes(v));
      const total = kept.reduce((a, [, p]) => a + p, 0);
      const frequent: Record<string, number> = {};
      for (let i = 0; i < ROWS_T; i++) {
        let u = rnd() * total;
        const hit = kept.find(([, p]) => (u -= p) < 0) ?? kept[kept.length - 1]!;
        frequent[hit[0]] = (frequent[hit[0]] ?? 0) + 1;
      }
      const time = new Date(START + d * DAY).toISOString();
      const o = core.processBatch([
        {
          spec: REPORT_SPEC,
          event_id: `t-${time}`,
          pipeline: 'shop',
          node: 'enrich',
          run_id: time,
          event_time: time,
          status: 'success',
          outputs: [
            {
              dataset: 'lake/enriched',
              profile: {
                row_count: ROWS_T,
                columns: { category: { kind: 'categorical', count: ROWS_T, null_count: 0, frequent, other_count: 0 } },
              },
            },
          ],
        },
      ]);
      if (o.findings.some((f) => f.metric === 'drift')) flagged.push(d);
    }
    return flagged;
  }

  it('a join losing three categories of 4.3-4.7% each, every one within the band alone (their distance under the floor), is found on every run', () => {
    expect(flaggedWhenLost(['d', 'e', 'f'])).toEqual([27, 28, 29]);
  });
});

describe('a value that appears and stays', () => {
  // A device fleet's rollup: `site` over five sites, and `mean_value` with no nulls; a new site opens on day 30.
  function fleet(days: number, nullsFrom?: number) {
    const core = new MonitorCore({ rules: compileRules([DEFAULTS]) });
    const rnd = mulberry32(21);
    const found: { day: number; metric: string; column: string | undefined }[] = [];
    for (let d = 0; d < days; d++) {
      const sites = ['ams', 'ber', 'nyc', 'tor', 'waw', ...(d >= 30 ? ['mad'] : [])];
      const frequent: Record<string, number> = {};
      for (let i = 0; i < 2000; i++) {
        const s = d >= 30 && rnd() < 0.03 ? 'mad' : sites[Math.floor(rnd() * 5)]!;
        frequent[s] = (frequent[s] ?? 0) + 1;
      }
      const nulls = nullsFrom !== undefined && d >= nullsFrom ? 500 : 0;
      const time = new Date(START + d * DAY).toISOString();
      const o = core.processBatch([
        {
          spec: REPORT_SPEC,
          event_id: `f-${time}`,
          pipeline: 'telemetry',
          node: 'rollup',
          run_id: time,
          event_time: time,
          status: 'success',
          outputs: [
            {
              dataset: 'wh/rollup',
              profile: {
                row_count: 2000,
                columns: {
                  site: { kind: 'categorical', count: 2000, null_count: 0, frequent, other_count: 0 },
                  mean_value: { kind: 'numeric', count: 2000, null_count: nulls },
                },
              },
            },
          ],
        },
      ]);
      for (const f of o.findings) found.push({ day: d, metric: f.metric, column: f.column });
    }
    return { core, found };
  }

  it('is reported once, on its first run, as a notice (no incident), and is then part of the column', () => {
    const { core, found } = fleet(40);
    expect(found).toEqual([{ day: 30, metric: 'drift', column: 'site' }]);
    expect(core.incidents()).toEqual([]);
  });

  it('a later fault at the node is an incident of its own, not hidden in the new value’s', () => {
    const { core, found } = fleet(40, 35);
    expect(found.filter((f) => f.day >= 35).map((f) => f.metric)).toEqual([
      'null_ratio',
      'null_ratio',
      'null_ratio',
      'null_ratio',
      'null_ratio',
    ]);
    const incidents = core.incidents();
    expect(incidents.map((i) => [i.culprit, i.metric])).toEqual([['rollup', 'null_ratio']]);
  });
});
