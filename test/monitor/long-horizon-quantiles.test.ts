import { describe, expect, it } from 'vitest';
import { REPORT_SPEC, type Report } from '../../src/contract/index.js';
import { emptyOutput, type MonitorCore } from '../../src/monitor/index.js';
import { profileColumns } from '../../src/profile/index.js';
import type { Finding } from '../../src/rules/index.js';
import { quantileFloor } from '../../src/rules/metrics/long-drift.js';
import { mulberry32, normal } from '../stats/prng.js';
import { newCore } from './drive.js';

/**
 * Quantiles on the long horizon (docs/statistics.md): a creep of one kind of row in a column that mixes kinds.
 * A sensor feed's `value` holds temperatures (~21 C, a third of the rows), humidities (~50%) and power readings
 * (~400 W, lognormal); the temperature sensors' calibration drifts by +2 C over 60 days. The column's mean moves
 * by 0.7 while its run-to-run noise (the power readings' tail) is several times that: the mean's CUSUM never
 * moves; the deciles in the temperatures' range move by a few of their own run-to-run spreads.
 */
const DAY = 86_400_000;
/** Monday 2026-09-07 01:30 UTC. */
const START = Date.UTC(2026, 8, 7, 1, 30);
const CREEP_FROM = 25;

type Drift = (day: number) => number;

function readings(day: number, offset: number, rnd: () => number): Float64Array {
  const n = 1700 + Math.round(400 * rnd());
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rnd();
    if (u < 0.33) v[i] = 21 + offset + 1.2 * normal(rnd);
    else if (u < 0.75) v[i] = 50 + 8 * normal(rnd);
    else v[i] = 400 * Math.exp(0.9 * normal(rnd));
  }
  void day;
  return v;
}

function report(node: string, day: number, values: Float64Array, upstream?: string): Report {
  const time = new Date(START + day * DAY + (upstream ? 5 * 60_000 : 0)).toISOString();
  const run_id = `scheduled__${new Date(START + day * DAY).toISOString()}`;
  return {
    spec: REPORT_SPEC,
    event_id: `${node}-${day}`,
    pipeline: 'telemetry',
    node,
    run_id,
    event_time: time,
    status: 'success',
    ...(upstream ? { upstream: [{ node: upstream, run_id }] } : {}),
    outputs: [{ dataset: `telemetry/${node}`, profile: profileColumns({ value: values }, { seed: day + 1 }) }],
  };
}

/** raw_readings -> clean_readings (drops values over 5,000: a few power spikes), `days` daily runs. */
function run(
  days: number,
  offset: Drift,
  seed = 5,
): { core: MonitorCore; found: (Finding & { day: number })[]; signals: string[] } {
  const core = newCore();
  const rnd = mulberry32(seed);
  const found: (Finding & { day: number })[] = [];
  const signals: string[] = [];
  for (let d = 0; d < days; d++) {
    const raw = readings(d, offset(d), rnd);
    const out = core.processBatch(
      [
        report('raw_readings', d, raw),
        report(
          'clean_readings',
          d,
          raw.filter((x) => x <= 5000),
          'raw_readings',
        ),
      ],
      emptyOutput(),
    );
    for (const f of out.findings) found.push({ ...f, day: d });
    for (const r of out.runs)
      for (const g of r.run.signals ?? []) if (g.metric === 'long_drift') signals.push(g.message);
  }
  return { core, found, signals };
}

/** The quantile track's messages (the mean's start "mean of"). */
const QUANTILE = /quantile of/;

const creep: Drift = (d) => (d >= CREEP_FROM ? (2 * Math.min(60, d - CREEP_FROM)) / 60 : 0);

describe('quantiles on the long horizon', () => {
  it('the size floor is the drift rule own KS floor for the long-horizon rule default effect floor', () => {
    expect(quantileFloor(0.25)).toBeCloseTo(0.0995, 4);
    expect(quantileFloor(0)).toBe(0);
  });

  it('four months of a healthy mixed column: no quantile-track finding, a decile at its alarm level rarely', () => {
    let alarmed = 0;
    let columnRuns = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const { found, signals } = run(120, () => 0, seed);
      expect(found.filter((f) => QUANTILE.test(f.message)).map((f) => `${f.day} ${f.node}: ${f.message}`)).toEqual([]);
      // Half-way CUSUMs are signals (evidence for a reader's finding): chance makes some of 9 deciles x 2 sides
      // over 100 runs; at the alarm level they are rare (with the spreads' upper confidence bounds).
      alarmed += signals.filter((m) => QUANTILE.test(m) && Number(/CUSUM ([\d.]+)/.exec(m)![1]) >= 10).length;
      columnRuns += 2 * 120;
    }
    expect(alarmed / columnRuns).toBeLessThan(0.01);
  }, 120_000);

  it("a creep of the temperatures among other readings is found at the source, by a decile in the temperatures' range", () => {
    const { core, found } = run(100, creep);
    expect(found.filter((f) => f.day < CREEP_FROM)).toEqual([]);
    const incidents = core.incidents();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ culprit: 'raw_readings', metric: 'long_drift', column: 'value' });
    const first = found.find((f) => f.metric === 'long_drift')!;
    expect(first.message).toMatch(/^the (10|20|30)% quantile of value drifted up from 2\d.* of the rows moved past it/);
    // Found before the creep is over (2 C in 60 days), and the mean alone never was.
    expect(first.day).toBeLessThan(CREEP_FROM + 60);
    expect(found.some((f) => f.message.startsWith('mean of value'))).toBe(false);
    const q = core.node({ pipeline: 'telemetry', node: 'raw_readings' })!.outputs['telemetry/raw_readings']!.columns
      .value!.horizon!.ref!.q!;
    expect(q).toHaveLength(9);
    expect(q[1]).toBeGreaterThan(19);
    expect(q[1]).toBeLessThan(23);
  }, 120_000);

  it('a rate that wanders (a random walk) is not followed by its deciles: no quantile-track finding or signal', () => {
    // Four currencies' rates, each a random walk of 0.5% a day; the share of each currency fixed.
    const core = newCore();
    const rnd = mulberry32(9);
    const rates = [0.92, 1.17, 1 / 160, 1 / 11.5];
    const shares = [0.3, 0.25, 0.25, 0.2];
    const found: Finding[] = [];
    const signals: string[] = [];
    for (let d = 0; d < 120; d++) {
      for (let c = 0; c < rates.length; c++) rates[c]! *= 1 + 0.005 * normal(rnd);
      const n = 900 + Math.round(200 * rnd());
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let u = rnd();
        let c = 0;
        while (c < shares.length - 1 && u >= shares[c]!) u -= shares[c++]!;
        v[i] = rates[c]!;
      }
      const out = core.processBatch([report('raw_fx_rates', d, v)], emptyOutput());
      found.push(...out.findings);
      for (const r of out.runs) for (const g of r.run.signals ?? []) signals.push(g.message);
    }
    expect(found.filter((f) => QUANTILE.test(f.message)).map((f) => f.message)).toEqual([]);
    expect(signals.filter((m) => QUANTILE.test(m))).toEqual([]);
    const ref = core.node({ pipeline: 'telemetry', node: 'raw_fx_rates' })!.outputs['telemetry/raw_fx_rates']!.columns
      .value!.horizon!.ref!;
    // Every decile sits on one currency's rate, and every rate wandered through the epoch.
    if (ref.trending !== true) expect(ref.qsd!.every((s) => s === -1)).toBe(true);
  }, 120_000);
});
