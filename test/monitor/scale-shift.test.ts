import { describe, expect, it } from 'vitest';
import { REPORT_SPEC, type Report } from '../../src/contract/index.js';
import { emptyOutput } from '../../src/monitor/index.js';
import { profileColumns } from '../../src/profile/index.js';
import type { Finding } from '../../src/rules/index.js';
import { mulberry32 } from '../stats/prng.js';
import { newCore } from './drive.js';

/**
 * Values that moved in scale (docs/statistics.md, "Values that moved in scale"): KS counts the rows that moved,
 * not how far. A conversion step that inverts the quote for payments in other currencies (a yen rate of 160
 * instead of 1/160) moves a fifth of the rows by up to four orders of magnitude: KS D about 0.2, inside the
 * rate column's usual movement (the currency mix changes every day), and it was never found.
 */
const DAY = 86_400_000;
/** Monday 2026-09-07 03:00 UTC. */
const START = Date.UTC(2026, 8, 7, 3);
/** EUR per unit of each currency, and each currency's share of payments (EUR is the rest). */
const RATES: [number, number][] = [
  [1.08 / 1.17, 0.08], // USD
  [1.17, 0.05], // GBP
  [1 / 160, 0.04], // JPY
  [1 / 11.5, 0.03], // SEK
];

/** A successful run's report of one dataset profiled from the given columns. */
function reportOf(
  pipeline: string,
  node: string,
  prefix: string,
  time: string,
  dataset: string,
  columns: Record<string, Float64Array>,
  seed: number,
): Report {
  return {
    spec: REPORT_SPEC,
    event_id: `${prefix}-${time}`,
    pipeline,
    node,
    run_id: time,
    event_time: time,
    status: 'success',
    outputs: [{ dataset, profile: profileColumns(columns, { seed }) }],
  };
}

function report(d: number, inverted: boolean, rnd: () => number): Report {
  const time = new Date(START + d * DAY).toISOString();
  const n = 900 + Math.round(300 * rnd());
  const rate = new Float64Array(n);
  // The day's currency mix: each share +-40%.
  const mix = RATES.map(([r, share]) => [r, share * (0.6 + 0.8 * rnd())] as const);
  for (let i = 0; i < n; i++) {
    let u = rnd();
    rate[i] = 1;
    for (const [r, share] of mix) {
      if (u < share) {
        // The day's quote wanders 1%.
        const quote = r * (0.99 + 0.02 * rnd());
        rate[i] = inverted ? 1 / quote : quote;
        break;
      }
      u -= share;
    }
  }
  return reportOf('ledger', 'convert_fx', 'fx', time, 'ledger/payments_eur', { eur_per_unit: rate }, d + 1);
}

function run(days: number, inverted: (d: number) => boolean): (Finding & { day: number })[] {
  const core = newCore();
  const rnd = mulberry32(11);
  const found: (Finding & { day: number })[] = [];
  for (let d = 0; d < days; d++) {
    const out = core.processReport(report(d, inverted(d), rnd), emptyOutput());
    for (const f of out.findings) found.push({ ...f, day: d });
  }
  return found;
}

describe('values that moved in scale', () => {
  it('six weeks of a daily currency mix that moves: no finding', () => {
    expect(run(42, () => false).map((f) => `${f.day}: ${f.message}`)).toEqual([]);
  });

  it('a quote inverted for the payments in other currencies is found on its first run, named as a scale shift', () => {
    const found = run(34, (d) => d >= 30);
    expect(found.filter((f) => f.day < 30)).toEqual([]);
    const first = found.find((f) => f.metric === 'drift');
    expect(first?.day).toBe(30);
    expect(first!.message).toMatch(/^values of eur_per_unit moved in scale: .* orders of magnitude on average/);
    expect(first!.details?.['scale_shift']).toBeGreaterThan(0.03);
    // KS alone did not see it past the column's own movement.
    expect(first!.value).toBeLessThan(0.35);
  });
});

/**
 * A device rollup's mean per device mixes sensor types (vibrations of ~2 mm/s, temperatures of ~20, humidities of
 * ~45, CO2 of ~600 ppm, pressures of ~1,010 hPa, power of ~400 W): a deploy that reports power meters in kW moves
 * their sixth of the rows from the top of the column to below almost anything it held (0.05-2). Measured against
 * the column's median magnitude alone (tens to hundreds), a move from 400 to 0.4 looked like a third of an order
 * of magnitude, and with 300 rows KS's lower bound was under the floor: never found. Below the column's smallest
 * common magnitude (it spans three orders), each order of magnitude counts.
 */
const SENSORS: [mean: number, sd: number, share: number, power: boolean][] = [
  [2, 0.8, 0.06, false], // vibration (mm/s)
  [21, 3, 0.34, false], // temperature
  [45, 10, 0.22, false], // humidity
  [600, 80, 0.1, false], // CO2
  [1010, 6, 0.1, false], // pressure
  [400, 0.8, 0.18, true], // power: log-normal, sd in natural log
];

function rollup(d: number, kw: boolean, rnd: () => number): Report {
  const time = new Date(START + d * DAY).toISOString();
  const n = 300 + Math.round(40 * rnd());
  const v = new Float64Array(n);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  for (let i = 0; i < n; i++) {
    let u = rnd();
    for (const [mean, sd, share, power] of SENSORS) {
      if (u < share || power) {
        v[i] = power ? (mean * Math.exp(sd * gauss())) / (kw ? 1000 : 1) : mean + sd * gauss();
        break;
      }
      u -= share;
    }
    v[i] = Math.round(v[i]! * 1000) / 1000;
  }
  return reportOf('telemetry', 'device_rollup', 'rollup', time, 'warehouse/device_rollup', { mean_value: v }, d + 1);
}

function runRollup(days: number, kw: (d: number) => boolean): (Finding & { day: number })[] {
  const core = newCore();
  const rnd = mulberry32(5);
  const found: (Finding & { day: number })[] = [];
  for (let d = 0; d < days; d++) {
    const out = core.processReport(rollup(d, kw(d), rnd), emptyOutput());
    for (const f of out.findings) found.push({ ...f, day: d });
  }
  return found;
}

describe('a share of the rows moved below the magnitude of the column', () => {
  it('six weeks of a rollup of mixed sensors: no finding', () => {
    expect(runRollup(42, () => false).map((f) => `${f.day}: ${f.message}`)).toEqual([]);
  });

  it('power meters reported in kW instead of W are found on the first run, as a scale shift', () => {
    const found = runRollup(34, (d) => d >= 30);
    expect(found.filter((f) => f.day < 30)).toEqual([]);
    const first = found.find((f) => f.metric === 'drift');
    expect(first?.day).toBe(30);
    expect(first!.message).toMatch(/^values of mean_value moved in scale: /);
    expect(first!.details?.['scale_shift']).toBeGreaterThan(0.1);
    // KS's lower bound alone is under the effect floor: the rows that moved are a sixth of 300.
    expect(first!.details?.['effect']).toBeLessThan(0.1);
  });
});

/**
 * A count with many zeros (retries per request): 60% of the requests need none, every other value is 1 to 5;
 * then a busier week raises the share at 0 to 68%. Rows moved between 0 and 1: KS's to judge (a D of 0.08, under
 * its effect floor), never "orders of magnitude": 0 is no magnitude.
 */
function retries(d: number, zero: number, rnd: () => number): Report {
  const time = new Date(START + d * DAY).toISOString();
  const n = 2000 + Math.round(400 * rnd());
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = rnd() < zero ? 0 : 1 + Math.floor(-Math.log(1 - rnd()) * 1.2);
  return reportOf('api', 'requests', 'retries', time, 'logs/requests', { retries: v }, d + 1);
}

it('a count whose share of zeros grew under the effect floor: no scale shift', () => {
  const core = newCore();
  const rnd = mulberry32(3);
  const found: string[] = [];
  for (let d = 0; d < 49; d++) {
    const zero = d < 42 ? 0.6 + 0.01 * (rnd() - 0.5) : 0.68;
    for (const f of core.processReport(retries(d, zero, rnd), emptyOutput()).findings) found.push(`${d}: ${f.message}`);
  }
  expect(found).toEqual([]);
});

/**
 * An hour of the day, in a node that runs every hour (each run holds its hour and the next): a run of early
 * hours against a window of afternoons is far below the window's values, but 1 to 23 is a range, not orders of
 * magnitude (it spans barely one): no scale shift.
 */
it('the hour of the day of an hourly node against a window of other hours: no scale shift', () => {
  const core = newCore();
  const rnd = mulberry32(9);
  const found: string[] = [];
  for (let h = 0; h < 24 * 8; h++) {
    const time = new Date(START + h * 3_600_000).toISOString();
    const n = 150 + Math.round(100 * rnd());
    const hour = new Float64Array(n);
    for (let i = 0; i < n; i++) hour[i] = (h + (rnd() < 0.8 ? 0 : 1)) % 24;
    const r = reportOf('commerce', 'enrich_transactions', 'tx', time, 'lake/transactions', { hour }, h + 1);
    for (const f of core.processReport(r, emptyOutput()).findings) found.push(`${h}: ${f.message}`);
  }
  expect(found.filter((f) => f.includes('moved in scale'))).toEqual([]);
});
