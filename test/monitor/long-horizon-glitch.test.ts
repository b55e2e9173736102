import { describe, expect, it } from 'vitest';
import { REPORT_SPEC, type Report } from '../../src/contract/index.js';
import { emptyOutput } from '../../src/monitor/index.js';
import { profileColumns } from '../../src/profile/index.js';
import type { Finding } from '../../src/rules/index.js';
import { mulberry32, normal } from '../stats/prng.js';
import { newCore } from './drive.js';

/**
 * The long horizon's reference center (docs/statistics.md, "Long-horizon drift"): a unit-normalizing step's
 * `value` column, a few hundred readings a day, gets a sensor glitch now and then (a meter's 65535 kW, 65,535,000
 * W once converted). In about a fifth of the runs one such value dominates the run's mean (250,000 instead of
 * ~500), more than the tenth that the reference's trimmed mean leaves out: its center was 12,818, and every
 * ordinary run after the freeze stepped the CUSUM down by its clip, a "drift" after four runs that hid the real
 * fault that came next (a parser writing NaN for a fifth of the devices, reported inside the false incident).
 */
const DAY = 86_400_000;
/** Monday 2026-09-07 01:30 UTC. */
const START = Date.UTC(2026, 8, 7, 1, 30);

function report(d: number, glitch: boolean, rnd: () => number): Report {
  const time = new Date(START + d * DAY).toISOString();
  const n = 280 + Math.round(40 * rnd());
  const value = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // Log-normal readings around 300 (a mixed-unit column's body).
    value[i] = 300 * Math.exp(0.6 * normal(rnd));
  }
  if (glitch) value[Math.floor(rnd() * n)] = 65_535_000;
  return {
    spec: REPORT_SPEC,
    event_id: `norm-${time}`,
    pipeline: 'telemetry',
    node: 'normalize_units',
    run_id: time,
    event_time: time,
    status: 'success',
    outputs: [{ dataset: 'clean/readings_si', profile: profileColumns({ value }, { seed: d + 1 }) }],
  };
}

describe('long horizon: runs far from the others do not set the reference', () => {
  it('glitch-dominated means in a fifth of the runs: 60 days without a long-horizon finding', () => {
    const core = newCore();
    const rnd = mulberry32(3);
    const found: (Finding & { day: number })[] = [];
    for (let d = 0; d < 60; d++) {
      // Every fifth run, and the first (as in the telemetry set), carries a glitch.
      const out = core.processReport(report(d, d % 5 === 0, rnd), emptyOutput());
      for (const f of out.findings) found.push({ ...f, day: d });
    }
    expect(found.map((f) => `${f.day} ${f.metric}: ${f.message}`)).toEqual([]);
  });
});
