import { describe, expect, it } from 'vitest';
import { ROUNDING_SD, poissonLogSd, rowExpectations } from '../../src/stats/index.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-05T02:00:00Z');
const timed = (rows: readonly number[]): [number, number][] => rows.map((r, i) => [T0 + i * DAY, r]);

describe('row counts: a count that varies is at least Poisson-noisy', () => {
  // A feature table of about 11 rows a day (the pandas set, small_samples: one category's customers), its
  // healthy counts; the 20 runs before the 4 happened to spread only 0.25 in log(1 + rows).
  const small = [12, 11, 13, 12, 14, 9, 6, 17, 10, 11, 11, 14, 8, 11, 10, 11, 11, 18, 12, 11];

  it('the delta-method sd of log(1 + N) for Poisson(m) is sqrt(m) / (1 + m)', () => {
    expect(poissonLogSd(11)).toBeCloseTo(Math.sqrt(11) / 12, 15);
    expect(poissonLogSd(0)).toBe(0);
  });

  it('4 rows against ~11 (a Poisson tail of 1.5%) stands within 4 spreads', () => {
    const e = rowExpectations(4, T0 + small.length * DAY, small, timed(small))!.none;
    expect(e.expected).toBe(11);
    expect(e.spread).toBeGreaterThanOrEqual(poissonLogSd(11));
    expect(Math.abs(e.z)).toBeLessThan(4);
    // An empty run is still far outside it.
    expect(rowExpectations(0, T0 + small.length * DAY, small, timed(small))!.none.z).toBeLessThan(-4);
  });

  it('a count that varies far less than a Poisson count (a dimension of 59 hubs) keeps its own spread', () => {
    const hubs = [59, 59, 58, 59, 59, 59, 59, 58, 59, 59, 59, 59, 59, 59, 58, 59, 59, 59, 59, 59];
    const e = rowExpectations(50, T0 + hubs.length * DAY, hubs, timed(hubs))!.none;
    expect(e.spread).toBeLessThan(poissonLogSd(59) / 2);
    expect(e.z).toBeLessThan(-4);
  });

  it('a count is known to one row: its spread is at least a rounding (sqrt(1/12) row)', () => {
    // The top tenth of ~150 customers (the pandas set at full size, seed 4): 15 rows in 8 of 9 runs and 14 once.
    // Its MAD is 0 and its mean absolute deviation a tenth of a row: 13 rows read as z = -6.
    const top = [15, 15, 15, 15, 14, 15, 15, 15, 15];
    const e = rowExpectations(13, T0 + top.length * DAY, top, timed(top))!.none;
    expect(e.spread).toBeGreaterThan(ROUNDING_SD / 16);
    expect(Math.abs(e.z)).toBeLessThan(4);
    // Half the rows gone is still far outside it.
    expect(rowExpectations(7, T0 + top.length * DAY, top, timed(top))!.none.z).toBeLessThan(-4);
    // and the 59-hub dimension still finds 9 hubs lost (above) and 5 of 59 (8%), the rounding's floor is a tenth of that:
    const hubs = Array.from({ length: 20 }, () => 59);
    expect(rowExpectations(54, T0 + 20 * DAY, hubs, timed(hubs))!.none.z).toBeLessThan(-4);
  });
});
