// The long-horizon reference on real calendars. Found on the pandas evaluation set (bench/eval/pandas) with
// the opt-in long-horizon rule enabled:
// - a weekly feature (a customer's spend per day, lower at weekends) compared with the median of its first 20
//   daily runs: the weekday level; every weekend stepped the CUSUM further than the weekdays took back, and
//   after a few weeks the column raised a false creep (6 false incidents on the small set);
// - an hourly node's "days since signup" (an age: it grows by a day a day): 20 hourly runs are less than a
//   day, the epoch saw no trend, and the age's growth was a creep two days later;
// - one run's noise passing the practical-size floor once the CUSUM stood high: the size is now the level's
//   (the median distance of the last runs), not one run's.
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/contract/index.js';
import { MonitorCore } from '../../src/monitor/index.js';
import { HORIZON_EPOCH_SPAN_MS, HORIZON_HOUR_RUNS, longHorizon } from '../../src/monitor/evaluate.js';
import { compileRules, type Finding } from '../../src/rules/index.js';
import { seededRandom } from '../../src/sketch/index.js';
import { longHorizonOverride, shipped } from './long-horizon-rules.js';

const on = longHorizonOverride(true);

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 5, 2); // a Monday, 02:00 UTC
const ROWS = 400;

/** One node writing one dataset with one numeric column `value` (a sample of ROWS values). */
function harness(seed: number, stepMs: number) {
  const core = new MonitorCore({ rules: compileRules([shipped, on]) });
  const rng = seededRandom(seed);
  const normal = () => rng() + rng() + rng() + rng() + rng() + rng() - 3; // sd 1/sqrt(2)
  let i = 0;
  return {
    core,
    /** One run at START + i x stepMs whose values are `mean` + noise (sd `sd`); its findings. */
    run(
      mean: (t: number) => number,
      sd: number,
      o: { rows?: number; params?: Record<string, unknown> } = {},
    ): Finding[] {
      const t = START + i * stepMs;
      const m = mean(t);
      const rows = o.rows ?? ROWS;
      const values = Array.from({ length: rows }, () => Math.round((m + sd * Math.SQRT2 * normal()) * 100) / 100);
      const report: Report = {
        spec: 'rootline.report/v1',
        event_id: `e${seed}-${i}`,
        pipeline: 'p',
        node: 'features',
        run_id: `r${i}`,
        event_time: new Date(t).toISOString(),
        status: 'success',
        ...(o.params ? { params: o.params } : {}),
        outputs: [
          {
            dataset: 'lake/features',
            profile: {
              row_count: rows,
              schema: [{ name: 'value', type: 'double', nullable: false }],
              columns: {
                value: {
                  kind: 'numeric',
                  count: rows,
                  null_count: 0,
                  min: Math.min(...values),
                  max: Math.max(...values),
                  mean: values.reduce((a, b) => a + b, 0) / rows,
                  sample: values,
                },
              },
            },
          },
        ],
      };
      i++;
      return core.processReport(report).findings;
    },
    horizon() {
      return core.node({ pipeline: 'p', node: 'features' })!.outputs['lake/features']!.columns['value']!.horizon;
    },
  };
}

/** Weekend days (UTC) of a daily run at `t`. */
const weekend = (t: number) => [0, 6].includes(new Date(t).getUTCDay());
/** A per-customer spend whose weekday level is 62 and weekend level 50, with day-to-day wander of the level. */
const weekly = (rng: () => number) => (t: number) => (weekend(t) ? 50 : 62) + 2 * (rng() - 0.5);

describe('long-horizon drift on a weekly column', () => {
  it('nine weeks of a weekly column: a reference per weekday, no long-horizon finding', () => {
    for (const seed of [1, 2, 3]) {
      const h = harness(seed, DAY);
      const level = weekly(seededRandom(100 + seed));
      const findings: Finding[] = [];
      for (let r = 0; r < 63; r++) findings.push(...h.run(level, 40));
      expect(findings.filter((f) => f.metric === 'long_drift')).toEqual([]);
      const ref = h.horizon()!.ref!;
      expect(ref.season?.grouping).toBe('weekly');
      expect(ref.season!.slots).toHaveLength(7);
      // Saturday's (6) and Sunday's (0) medians are the weekend level, the weekdays' the weekday level.
      for (const [slot, mean] of ref.season!.slots)
        expect(Math.abs(mean - ([0, 6].includes(slot) ? 50 : 62))).toBeLessThan(6);
    }
  });

  it('a creep in a weekly column is still found, at the node', () => {
    const h = harness(4, DAY);
    const base = weekly(seededRandom(104));
    // From run 30 on the level rises 0.6% a run (about 0.3 within-run sd after 40 runs).
    const creeping = (t: number) => {
      const r = Math.round((t - START) / DAY);
      return base(t) * (1 + 0.006 * Math.max(0, r - 30));
    };
    let first: number | undefined;
    for (let r = 0; r < 100; r++) {
      const f = h.run(creeping, 40);
      if (first === undefined && f.some((x) => x.metric === 'long_drift')) first = r;
    }
    expect(first).toBeDefined();
    expect(first!).toBeGreaterThan(30);
    expect(first!).toBeLessThan(90);
    expect(h.core.incidents()[0]).toMatchObject({ culprit: 'features', metric: 'long_drift' });
  });
});

describe('long-horizon drift on a node that runs every hour', () => {
  it('an age (it grows by a day a day): the epoch spans a week, sees the trend, and the column is not judged', () => {
    const h = harness(5, 3_600_000);
    const age = (t: number) => 1500 + (t - START) / DAY; // days since signup, mean over customers
    const findings: Finding[] = [];
    for (let r = 0; r < 24 * 12; r++) findings.push(...h.run(age, 8));
    expect(findings.filter((f) => f.metric === 'long_drift')).toEqual([]);
    const ref = h.horizon()!.ref!;
    expect(ref.trending).toBe(true);
  });

  it('the epoch of a sub-daily node waits for a week and stays bounded', () => {
    const h = harness(6, 3_600_000);
    const flat = () => 100;
    for (let r = 0; r < 24 * 6; r++) h.run(flat, 10);
    const collecting = h.horizon()!;
    expect(collecting.ref).toBeUndefined();
    // 144 runs collected, two of each hour of the day kept (HORIZON_HOUR_RUNS): each hour's first and latest.
    // Flat, four numbers per run (mean, sd, values, event time).
    const packed = collecting.epoch as number[];
    expect(packed.length / 4).toBe(HORIZON_HOUR_RUNS * 24);
    const times = packed.filter((_, k) => k % 4 === 3);
    expect(new Set(times.map((t) => new Date(t).getUTCHours())).size).toBe(24);
    expect(times[0]).toBe(START);
    expect(times.at(-1)).toBe(START + (24 * 6 - 1) * 3_600_000);
    expect(times.at(-1)! - times[0]!).toBeLessThan(HORIZON_EPOCH_SPAN_MS);
    for (let r = 0; r < 24 * 2; r++) h.run(flat, 10);
    expect(h.horizon()!.ref).toBeDefined();
    expect(h.horizon()!.ref!.trending).toBeUndefined();
  });
});

describe('long-horizon drift on an hourly column that follows the hour of the day', () => {
  // Busy afternoons: a per-customer feature whose mean is 8 higher at 14:00 than at night (the pandas set at
  // full size, seeds 7 and 8: hourly feature tables raised a false creep on busy afternoons, 11 incidents,
  // while their epoch, thinned by every other run, held three hours of each day).
  const hourly = (t: number) => 100 + 8 * Math.max(0, Math.sin(((new Date(t).getUTCHours() - 6) / 16) * Math.PI));

  it('three weeks: its reference holds every hour, no long-horizon finding (3 seeds)', () => {
    for (const seed of [7, 8, 9]) {
      const h = harness(seed, 3_600_000);
      const findings: Finding[] = [];
      for (let r = 0; r < 24 * 21; r++) findings.push(...h.run(hourly, 8));
      expect([seed, findings.filter((f) => f.metric === 'long_drift').length]).toEqual([seed, 0]);
      expect(h.horizon()!.ref).toBeDefined();
    }
    // 1,512 hourly runs: about 10 s on a quiet machine, past the default 30 s on a loaded one.
  }, 120_000);

  it('a creep on top of it (from day 10, +0.6 a day) is found', () => {
    const h = harness(7, 3_600_000);
    const findings: (Finding & { day: number })[] = [];
    for (let r = 0; r < 24 * 24; r++) {
      const creep = (t: number) => hourly(t) + Math.max(0, (t - START) / DAY - 10) * 0.6;
      for (const f of h.run(creep, 8)) findings.push({ ...f, day: Math.floor(r / 24) });
    }
    const slow = findings.filter((f) => f.metric === 'long_drift');
    expect(slow.length).toBeGreaterThan(0);
    expect(slow[0]!.day).toBeGreaterThanOrEqual(10);
  });
});

describe('the collecting epoch in state', () => {
  it('is one flat array per column; tuples of state written before are read and collected on', () => {
    const h = harness(9, DAY);
    for (let r = 0; r < 5; r++) h.run(() => 100, 10);
    const state = h.horizon()!;
    expect(state.epoch).toHaveLength(20);
    expect((state.epoch as number[]).every((x) => typeof x === 'number')).toBe(true);
    // The same runs as [mean, sd, n] tuples without event times (state written before): collecting goes on.
    const flat = state.epoch as number[];
    state.epoch = [0, 1, 2, 3, 4].map((i) => flat.slice(i * 4, i * 4 + 3));
    for (let r = 0; r < 20; r++) h.run(() => 100, 10);
    expect(h.horizon()!.ref).toMatchObject({ runs: 20 });
    expect(h.horizon()!.ref!.mean).toBeCloseTo(100, 0);
  });
});

describe('long-horizon practical size: the level, not one run', () => {
  const ref = { mean: 100, sd: 1, sigma: 10, n: 400, runs: 20 };
  it('one run far off after runs near the reference: the size is the median distance of the last runs', () => {
    const m = longHorizon({ up: 12, down: 0, ref, recent: [0.2, -0.1, 0.3, 0.1] }, 103, 400)!;
    expect(m.distance).toBeCloseTo(3);
    expect(m.shift).toBeCloseTo(0.02); // median of 0.2, -0.1, 0.3, 0.1, 3 = 0.2, over sigma 10
    expect(m.cusum).toBeGreaterThan(12);
  });

  it('a level that moved: the size is the level', () => {
    const m = longHorizon({ up: 12, down: 0, ref, recent: [2.8, 3.1, 2.9, 3.3] }, 3 + 100, 400)!;
    expect(m.shift).toBeCloseTo(0.3);
  });

  it('without recent runs (the first comparison) the size is the run', () => {
    expect(longHorizon({ up: 0, down: 0, ref }, 102, 400)!.shift).toBeCloseTo(0.2);
  });
});

describe('long-horizon references after a deliberate change', () => {
  /** 25 daily runs (the reference frozen), one run at 40% fewer rows (with new parameters or not), then steady runs. */
  function afterIncident(params: boolean) {
    const h = harness(7, DAY);
    const flat = () => 100;
    for (let r = 0; r < 25; r++) h.run(flat, 10, { params: { min_amount: 0 } });
    const frozen = h.horizon()!.ref;
    const next = { params: { min_amount: params ? 8 : 0 } };
    const f = h.run(flat, 10, { ...next, rows: 240 });
    expect(f.some((x) => x.metric === 'row_count')).toBe(true);
    const opened = h.core.incidents()[0]!;
    for (let r = 0; r < 6; r++) h.run(flat, 10, next);
    return { frozen, opened, after: h.horizon(), incidents: h.core.incidents() };
  }

  it('a parameter change restarts the reference: a new epoch from the runs since', () => {
    const { frozen, opened, after } = afterIncident(true);
    expect(frozen).toBeDefined();
    expect(opened.cause.kind).toBe('params_change');
    expect(after?.ref).toBeUndefined();
    expect((after?.epoch ?? []).length / 4).toBeGreaterThan(3);
    expect((after?.epoch ?? []).length / 4).toBeLessThanOrEqual(6);
  });

  it('a fault that was not a change keeps the reference', () => {
    const { frozen, opened, after, incidents } = afterIncident(false);
    expect(opened.cause.kind).not.toBe('params_change');
    expect(incidents[0]!.status).toBe('resolved');
    expect(after!.ref).toEqual(frozen);
  });

  it('parameters that change every run (a run date) are no change: the reference holds', () => {
    const h = harness(8, DAY);
    for (let r = 0; r < 30; r++) h.run(() => 100, 10, { params: { ds: `2026-01-${r}` } });
    expect(h.horizon()!.ref).toBeDefined();
    expect(h.horizon()!.ref!.runs).toBe(20);
  });
});

describe("long horizon: a run's mean is as uncertain as its own values make it", () => {
  // A ~25-row table of skewed amounts (the pandas set, small_samples: one category's spend per customer): the
  // reference's robust within-run spread (IQR / 1.349) is 18, but one run's single large value (its sd 70)
  // moves its mean from 30 to 53. Judged by the robust spread, the run is z = 6.4 (a full CUSUM step of 3).
  const h = { up: 0, down: 0, ref: { mean: 30, sd: 2, sigma: 18, n: 25, runs: 20 } };

  it('the run sd widens the spread of its mean: 70 / sqrt(25) = 14, z = 1.6', () => {
    const robust = longHorizon(h, 53, 25)!;
    expect(robust.z).toBeCloseTo(23 / 3.6, 9);
    const own = longHorizon(h, 53, 25, undefined, 70)!;
    expect(own.z).toBeCloseTo(23 / 14, 9);
    expect(own.up).toBeCloseTo(23 / 14 - 0.5, 9);
  });

  it('a run narrower than the reference keeps the reference spread (the larger of the two)', () => {
    expect(longHorizon(h, 53, 25, undefined, 5)!.z).toBeCloseTo(23 / 3.6, 9);
  });
});
