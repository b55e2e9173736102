import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { benjaminiHochberg } from '../../src/stats/index.js';

const { cases } = JSON.parse(readFileSync(new URL('../vectors/stats/bh.json', import.meta.url), 'utf8')) as {
  cases: { name: string; p: number[]; adjusted: number[] }[];
};

describe('benjaminiHochberg vs scipy.stats.false_discovery_control (test/vectors/stats/bh.json)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = benjaminiHochberg(c.p, 0.05);
      expect(r.adjusted.length).toBe(c.adjusted.length);
      for (let i = 0; i < c.p.length; i++) expect(Math.abs(r.adjusted[i]! - c.adjusted[i]!)).toBeLessThanOrEqual(1e-15);
      expect(r.rejected).toEqual(c.adjusted.map((p) => p <= 0.05));
    });
  }
});

describe('benjaminiHochberg', () => {
  it('rejects exactly the hypotheses of the step-up rule p_(k) <= k q / m', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 60 }),
        fc.double({ min: 0.001, max: 0.5, noNaN: true }),
        (ps, q) => {
          const { rejected } = benjaminiHochberg(ps, q);
          const m = ps.length;
          const sorted = [...ps].sort((a, b) => a - b);
          let k = 0;
          for (let i = 1; i <= m; i++) if (sorted[i - 1]! <= (i * q) / m) k = i;
          const threshold = k === 0 ? -1 : sorted[k - 1]!;
          // Rounding of p * m / i can move a p-value sitting exactly on the line; allow that boundary.
          ps.forEach((p, i) => {
            if (Math.abs(p - threshold) > 1e-12) expect(rejected[i]).toBe(p <= threshold);
          });
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });

  it('returns empty results for no p-values and rejects out-of-range input', () => {
    expect(benjaminiHochberg([])).toEqual({ adjusted: [], rejected: [] });
    expect(() => benjaminiHochberg([0.1, NaN])).toThrow(/not in \[0, 1\]/);
    expect(() => benjaminiHochberg([1.2])).toThrow(/not in \[0, 1\]/);
    expect(() => benjaminiHochberg([0.1], 2)).toThrow(/q must be/);
  });
});
