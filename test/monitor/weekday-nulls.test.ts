import { describe, expect, it } from 'vitest';
import { REPORT_SPEC, type Report } from '../../src/contract/index.js';
import { emptyOutput } from '../../src/monitor/index.js';
import type { Finding } from '../../src/rules/index.js';
import { mulberry32 } from '../stats/prng.js';
import { newCore } from './drive.js';

/**
 * A weekday's own null level (docs/statistics.md, "Null ratios: a weekday's own level"): a daily per-device
 * rollup's spread (`std_value`) is null for every device that sent one reading that day; on Sundays and Mondays
 * (the runs covering the weekend, when office sensors sleep) twice as many do. Judged against the median of all
 * its healthy runs, every Sunday and Monday run jumped 0.07 -> 0.14 and opened an incident, and was never
 * learned. Such a run is judged against its weekday's healthy runs as well, and flagged only when it stands out
 * from both.
 */
const DAY = 86_400_000;
/** Monday 2026-09-07 01:30 UTC. */
const START = Date.UTC(2026, 8, 7, 1, 30);
const DEVICES = 720;

function report(d: number, nullShare: number, rnd: () => number): Report {
  const time = new Date(START + d * DAY).toISOString();
  let nulls = 0;
  for (let i = 0; i < DEVICES; i++) if (rnd() < nullShare) nulls++;
  return {
    spec: REPORT_SPEC,
    event_id: `rollup-${time}`,
    pipeline: 'telemetry',
    node: 'device_rollup',
    run_id: time,
    event_time: time,
    status: 'success',
    outputs: [
      {
        dataset: 'warehouse://telemetry/device_rollup',
        profile: {
          row_count: DEVICES,
          columns: {
            device_id: { kind: 'categorical', count: DEVICES, null_count: 0 },
            std_value: { kind: 'numeric', count: DEVICES, null_count: nulls },
          },
        },
      },
    ],
  };
}

/** Sunday and Monday runs cover the weekend. */
const weekendRun = (d: number) => [0, 1].includes(new Date(START + d * DAY).getUTCDay());

function run(days: number, share: (d: number) => number): (Finding & { day: number })[] {
  const core = newCore();
  const rnd = mulberry32(5);
  const found: (Finding & { day: number })[] = [];
  for (let d = 0; d < days; d++) {
    const out = core.processReport(report(d, share(d), rnd), emptyOutput());
    for (const f of out.findings) if (f.metric === 'null_ratio') found.push({ ...f, day: d });
  }
  return found;
}

const usual = (d: number) => (weekendRun(d) ? 0.14 : 0.07);

describe('null ratios: a weekday of its own', () => {
  it('nine weeks of a weekend null level twice the weekdays give no finding', () => {
    expect(run(63, usual).map((f) => `${f.day}: ${f.message}`)).toEqual([]);
  });

  it('a gap fill writing NaN for a fifth of the devices is found, on a weekday and on a weekend run', () => {
    // Day 45 is a Thursday, day 49 a Monday (a run covering the weekend).
    const faults = new Map([
      [45, 0.27],
      [49, 0.34],
    ]);
    const found = run(56, (d) => faults.get(d) ?? usual(d));
    expect(found.map((f) => f.day)).toEqual([45, 49]);
    expect(found[1]!.message).toMatch(/jumped 0\.1\d \(this weekday's level\) -> 0\.3\d/);
  });

  it("a weekday's level is its own: the weekend level on a Friday is a jump", () => {
    // Day 46 is a Friday, with a weekend run's share of nulls.
    const found = run(56, (d) => (d === 46 ? 0.14 : usual(d)));
    expect(found.map((f) => f.day)).toEqual([46]);
    expect(found[0]!.message).not.toMatch(/weekday/);
  });
});
