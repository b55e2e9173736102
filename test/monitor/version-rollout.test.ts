import { describe, expect, it } from 'vitest';
import { REPORT_SPEC, type Report } from '../../src/contract/index.js';
import { emptyOutput } from '../../src/monitor/index.js';
import type { Finding } from '../../src/rules/index.js';
import { mulberry32 } from '../stats/prng.js';
import { newCore } from './drive.js';

/**
 * A version rolling out (docs/statistics.md, "A version rolling out"): a device fleet's `firmware` column moves
 * from 4.2.1 to 4.3.0 over two weeks, a staged rollout; every day's categorical distance passes the drift
 * floor, and the new version appeared past 1% of the rows on its first day. Each run was a finding and the
 * incident stayed open for the rollout; on the pandas telemetry sets, 4 to 7 false incidents per set.
 */
const DAY = 86_400_000;
/** Monday 2026-09-07 01:30 UTC. */
const START = Date.UTC(2026, 8, 7, 1, 30);

function report(day: number, shares: Record<string, number>, rnd: () => number, column = 'firmware'): Report {
  const time = new Date(START + day * DAY).toISOString();
  const rows = 2000 + Math.round(400 * rnd());
  const frequent: Record<string, number> = {};
  let left = rows;
  const entries = Object.entries(shares);
  entries.forEach(([v, share], i) => {
    // Multinomial-ish noise: each share +-5% of itself.
    const c = i === entries.length - 1 ? left : Math.min(left, Math.round(rows * share * (0.95 + 0.1 * rnd())));
    if (c > 0) frequent[v] = c;
    left -= c;
  });
  return {
    spec: REPORT_SPEC,
    event_id: `fleet-${day}`,
    pipeline: 'telemetry',
    node: 'raw_readings',
    run_id: time,
    event_time: time,
    status: 'success',
    outputs: [
      {
        dataset: 'telemetry/readings',
        profile: {
          row_count: rows,
          columns: { [column]: { kind: 'categorical', count: rows, null_count: 0, frequent, other_count: 0 } },
        },
      },
    ],
  };
}

/** 4.2.1 with older versions, and from `from` on `next` takes over from 4.2.1 in `days` days. */
function fleet(day: number, from: number, days: number, next = '4.3.0'): Record<string, number> {
  const done = Math.max(0, Math.min(1, (day - from) / days));
  return { '4.1.7': 0.25, '3.9.0': 0.05, [next]: 0.7 * done, '4.2.1': 0.7 * (1 - done) };
}

function run(days: number, shares: (day: number) => Record<string, number>, column?: string) {
  const core = newCore();
  const rnd = mulberry32(21);
  const found: (Finding & { day: number })[] = [];
  for (let d = 0; d < days; d++) {
    const out = core.processReport(report(d, shares(d), rnd, column), emptyOutput());
    for (const f of out.findings) found.push({ ...f, day: d });
  }
  return { core, found };
}

describe('a version rolling out', () => {
  it('firmware 4.3.0 taking over in two weeks: notices naming it, no incident', () => {
    const { core, found } = run(60, (d) => fleet(d, 30, 14));
    expect(core.incidents()).toEqual([]);
    const rollout = found.filter((f) => /rolling out/.test(f.message));
    expect(rollout.length).toBeGreaterThan(0);
    expect(rollout[0]!.day).toBe(31);
    expect(rollout[0]!.message).toMatch(/^firmware: "4\.3\.0" rolling out, 0\.0% -> \d+\.\d% of rows/);
    expect(found.filter((f) => !/rolling out/.test(f.message)).map((f) => `${f.day}: ${f.message}`)).toEqual([]);
  });

  it('the same move in a column that is not of versions is still a finding (a new event type)', () => {
    const names: Record<string, string> = { '4.1.7': 'view', '3.9.0': 'share', '4.3.0': 'scroll', '4.2.1': 'click' };
    const { core } = run(
      40,
      (d) => Object.fromEntries(Object.entries(fleet(d, 30, 14)).map(([v, s]) => [names[v]!, s])),
      'event_type',
    );
    expect(core.incidents().length).toBeGreaterThan(0);
    expect(core.incidents()[0]).toMatchObject({ metric: 'drift', column: 'event_type' });
  });

  it('a rollback to an older version is a finding: the versions that gained are not newer', () => {
    const { core, found } = run(40, (d) =>
      d >= 30 ? { '4.1.7': 0.25, '3.9.0': 0.45, '4.2.1': 0.3 } : fleet(d, 100, 14),
    );
    expect(found.some((f) => f.day === 30 && f.metric === 'drift' && !/rolling out/.test(f.message))).toBe(true);
    expect(core.incidents()).toHaveLength(1);
    expect(core.incidents()[0]).toMatchObject({ metric: 'drift', column: 'firmware' });
  });
});
