import { describe, expect, it } from 'vitest';
import { REPORT_SPEC, type Report } from '../../src/contract/index.js';
import { emptyOutput } from '../../src/monitor/index.js';
import type { Finding } from '../../src/rules/index.js';
import { judgeRepeats, repeatShare } from '../../src/stats/repeats.js';
import { mulberry32 } from '../stats/prng.js';
import { newCore } from './drive.js';

/**
 * Repeated values (docs/statistics.md, "Repeated values"). A daily feed of sensor readings: ~500 devices, three
 * readings each, values to three decimals (so a few repeat by chance). A bank of sensors that freezes keeps
 * plausible values: its distribution barely moves, but each frozen device's three readings are one value. Seen on
 * the blind telemetry sets: a gateway's temperature sensors stuck, named downstream at a rollup whose spread
 * collapsed (2 faults of 34 per seed), and a cast truncating decimals named where it was read.
 */
const DAY = 86_400_000;
/** Monday 2026-01-05 01:30 UTC. */
const START = Date.UTC(2026, 0, 5, 1, 30);

function normal(rnd: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

interface Day {
  devices: number;
  /** Devices whose three readings are one value. */
  stuck?: number;
  /** The values' spread (their resolution stays 0.001): a narrower one makes more of them collide. */
  sd?: number;
  /** Values are rounded to 1 / resolution (default 1000: three decimals). */
  resolution?: number;
}

/** One run's values and report: `devices` x 3 readings, rounded to 0.001, distinct counted exactly. */
function report(day: number, d: Day, rnd: () => number): Report {
  const time = new Date(START + day * DAY).toISOString();
  const values: number[] = [];
  for (let i = 0; i < d.devices; i++) {
    const level = 21 + (d.sd ?? 3) * normal(rnd);
    if (i < (d.stuck ?? 0)) {
      const v = Math.round(level * (d.resolution ?? 1000)) / (d.resolution ?? 1000);
      values.push(v, v, v);
    } else
      for (let r = 0; r < 3; r++)
        values.push(Math.round((level + 0.5 * normal(rnd)) * (d.resolution ?? 1000)) / (d.resolution ?? 1000));
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return {
    spec: REPORT_SPEC,
    event_id: `readings-${time}`,
    pipeline: 'telemetry',
    node: 'raw_readings',
    run_id: time,
    event_time: time,
    status: 'success',
    outputs: [
      {
        dataset: 's3://iot/raw/readings',
        profile: {
          row_count: values.length,
          columns: {
            value: {
              kind: 'numeric',
              count: values.length,
              null_count: 0,
              min: Math.min(...values),
              max: Math.max(...values),
              mean,
              distinct_estimate: new Set(values).size,
            },
          },
        },
      },
    ],
  };
}

function repeatFindings(days: Day[], seed = 1): Finding[][] {
  const core = newCore();
  const rnd = mulberry32(seed);
  return days.map((d, i) =>
    core.processBatch([report(i, d, rnd)], emptyOutput()).findings.filter((f) => f.metric === 'repeats'),
  );
}

const steady = (n: number, devices = 500): Day[] => Array.from({ length: n }, () => ({ devices }));

describe('repeated values of a numeric column', () => {
  it('a bank of stuck sensors (60 of 500 devices) is a finding on its first run, naming the column', () => {
    for (const seed of [1, 2, 3]) {
      const runs = repeatFindings([...steady(20), { devices: 500, stuck: 60 }, { devices: 500, stuck: 60 }], seed);
      expect(runs.slice(0, 20).flat()).toEqual([]);
      const [f] = runs[20]!;
      expect(f).toBeDefined();
      expect(f!.column).toBe('value');
      expect(f!.severity).toBe('warning');
      // 120 of 1,500 values became repeats: the share rose by ~0.08 over a level of a few percent.
      expect(f!.value - f!.baseline!).toBeGreaterThan(0.06);
      expect(f!.message).toMatch(/repeat another in the run/);
      // Flagged runs are not learned: the next stuck run is a finding too.
      expect(runs[21]!.length).toBe(1);
    }
  });

  it('healthy runs give no finding: steady, a volume that doubles, a spread that narrows on a third of the days', () => {
    for (let seed = 1; seed <= 10; seed++) {
      // More values of the same resolution collide more: twice the devices, about twice the chance repeats.
      const growth: Day[] = [...steady(15), ...steady(15, 1000)];
      expect(repeatFindings(growth, seed).flat()).toEqual([]);
      // A derived value whose spread varies by day (a third of the days at half the spread): its repeats swing
      // with it, a third of the runs at about twice the median level.
      const bunched: Day[] = Array.from({ length: 40 }, (_, i) => ({ devices: 500, sd: i % 3 === 1 ? 0.6 : 1.2 }));
      expect(repeatFindings(bunched, seed).flat()).toEqual([]);
    }
  });

  it('a small table: a handful of repeats is no finding, dozens are', () => {
    for (const seed of [1, 2, 3]) {
      // 40 devices, 120 values a run: 4 stuck devices add 8 repeats (a backfill's worth), 25 add 50.
      const few = repeatFindings([...steady(15, 40), { devices: 40, stuck: 4 }], seed);
      expect(few.flat()).toEqual([]);
      const many = repeatFindings([...steady(15, 40), { devices: 40, stuck: 25 }], seed);
      expect(many[15]!.length).toBe(1);
    }
  });

  it('a column whose chance repeats are many moves by a fraction of its level: judged by the ratio too', () => {
    for (const seed of [1, 2, 3]) {
      // Values to 0.01 over a spread of 12: ~17% of them repeat by chance. 40 stuck devices add 80 repeats
      // (0.17 -> 0.22: past max_jump, under 1.5 times the level: a billing day's fixed prices move amounts so);
      // 150 add 300 (-> 0.37).
      const wide = (stuck = 0): Day => ({ devices: 500, sd: 12, resolution: 100, stuck });
      const some = repeatFindings([...Array.from({ length: 20 }, () => wide()), wide(40)], seed);
      expect(some.flat()).toEqual([]);
      const many = repeatFindings([...Array.from({ length: 20 }, () => wide()), wide(150)], seed);
      expect(many[20]!.length).toBe(1);
    }
  });

  it('columns whose values mostly repeat (codes, counts) and runs of few values are not judged', () => {
    expect(repeatShare(40, 49)).toBeUndefined();
    expect(repeatShare(900, 1000)).toBeCloseTo(0.1);
    // An estimated distinct count above the values (HyperLogLog) is no repeats, not a negative share.
    expect(repeatShare(1010, 1000)).toBe(0);
    const counts: [number, number][] = Array.from({ length: 10 }, () => [0.9, 1000]);
    expect(judgeRepeats(0.99, 1000, counts)).toBeUndefined();
    expect(judgeRepeats(0.2, 1000, counts.slice(0, 4))).toBeUndefined();
  });

  it('the expected level grows with the run size (chance collisions), the spread is at least binomial', () => {
    const history: [number, number][] = Array.from({ length: 10 }, (_, i) => [0.04 + (i % 2) * 0.002, 1000]);
    const same = judgeRepeats(0.041, 1000, history)!;
    expect(same.expected).toBeCloseTo(0.041, 3);
    expect(Math.abs(same.z)).toBeLessThan(1);
    const twice = judgeRepeats(0.082, 2000, history)!;
    expect(twice.expected).toBeCloseTo(0.082, 3);
    expect(twice.highest).toBeCloseTo(0.084, 3);
    const smaller = judgeRepeats(0.041, 500, history)!;
    expect(smaller.expected).toBeCloseTo(0.041, 3);
    // Binomial sd at 0.041 over 1,000 values is 0.0063: a share of 0.1 stands ~9 of them out.
    expect(judgeRepeats(0.1, 1000, history)!.z).toBeGreaterThan(8);
  });
});
