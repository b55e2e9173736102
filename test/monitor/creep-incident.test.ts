import { describe, expect, it } from 'vitest';
import { REPORT_SPEC, type Report } from '../../src/contract/index.js';
import { emptyOutput } from '../../src/monitor/index.js';
import { profileColumns } from '../../src/profile/index.js';
import { mulberry32, normal } from '../stats/prng.js';
import { newCore } from './drive.js';

/**
 * A creep of skewed amounts in mixed units, found where it starts: ticket sizes creeping in amounts kept in
 * each currency's minor unit (forint and yen amounts make the mean's noise), and a conversion into euros below,
 * where the mean's creep passes the floor first. Without the quantile track the conversion was named (an
 * incident at convert_fx on day 61, then a second at the source five days later); the source's deciles move
 * under the alarm level (a long-horizon signal) and the conversion's finding is walked up to them. One incident
 * for the whole creep.
 */
const DAY = 86_400_000;
/** Monday 2026-09-07 03:00 UTC. */
const START = Date.UTC(2026, 8, 7, 3);
/** Minor units per euro and share of payments: euro cents, dollar cents, forint fillér, yen. */
const CURRENCIES: [number, number][] = [
  [100, 0.55],
  [108, 0.25],
  [40_000, 0.1],
  [16_000, 0.1],
];

function reports(day: number, creep: number, rnd: () => number): Report[] {
  const n = 900 + Math.round(200 * rnd());
  const minor = new Float64Array(n);
  const eur = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let u = rnd();
    let c = 0;
    while (c < CURRENCIES.length - 1 && u >= CURRENCIES[c]![1]) u -= CURRENCIES[c++]![1];
    const ticket = 40 * Math.exp(0.8 * normal(rnd)) * (1 + creep);
    minor[i] = Math.round(ticket * CURRENCIES[c]![0]);
    eur[i] = minor[i]! / CURRENCIES[c]![0];
  }
  const run_id = new Date(START + day * DAY).toISOString();
  const at = (m: number) => new Date(START + day * DAY + m * 60_000).toISOString();
  const base = { spec: REPORT_SPEC, pipeline: 'ledger', run_id, status: 'success' as const };
  return [
    {
      ...base,
      event_id: `raw-${day}`,
      node: 'raw_payments',
      event_time: at(5),
      outputs: [{ dataset: 'ledger/raw', profile: profileColumns({ amount_minor: minor }, { seed: 2 * day + 1 }) }],
    },
    {
      ...base,
      event_id: `conv-${day}`,
      node: 'convert_fx',
      event_time: at(15),
      upstream: [{ node: 'raw_payments', run_id }],
      outputs: [
        {
          dataset: 'ledger/eur',
          profile: profileColumns({ amount_minor: minor, amount_eur: eur }, { seed: 2 * day + 2 }),
        },
      ],
    },
  ];
}

describe('a creep found through its reader', () => {
  it('ticket sizes creeping 0.5% a day from day 25: one incident, at the source, for the whole creep', () => {
    for (const seed of [1, 2, 3]) {
      const core = newCore();
      const rnd = mulberry32(seed);
      for (let d = 0; d < 110; d++) core.processBatch(reports(d, d >= 25 ? 0.005 * (d - 25) : 0, rnd), emptyOutput());
      const incidents = core.incidents();
      expect([
        seed,
        incidents.map((i) => `${i.culprit} ${i.metric} ${i.column} ${i.opened_run_id.slice(0, 10)}`),
      ]).toEqual([seed, [expect.stringMatching(/^raw_payments long_drift amount_minor /)]]);
    }
  }, 120_000);
});
