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
  return {
    spec: REPORT_SPEC,
    event_id: `fx-${time}`,
    pipeline: 'ledger',
    node: 'convert_fx',
    run_id: time,
    event_time: time,
    status: 'success',
    outputs: [{ dataset: 'ledger/payments_eur', profile: profileColumns({ eur_per_unit: rate }, { seed: d + 1 }) }],
  };
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
