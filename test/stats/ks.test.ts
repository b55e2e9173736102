import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ks2samp } from '../../src/stats/index.js';
import { isRootlineError } from '../../src/errors/index.js';
import { generate, type SampleSpec } from './prng.js';

interface KsCase {
  name: string;
  method: 'auto' | 'exact' | 'asymp';
  x: number[] | SampleSpec;
  y: number[] | SampleSpec;
  statistic: number;
  pvalue: number | null;
  method_used: 'exact' | 'asymp';
}

const vectors = JSON.parse(readFileSync(new URL('../vectors/stats/ks2samp.json', import.meta.url), 'utf8')) as {
  cases: KsCase[];
};

function values(v: number[] | SampleSpec): Float64Array | number[] {
  return Array.isArray(v) ? v : generate(v);
}

describe('ks2samp vs scipy.stats.ks_2samp (test/vectors/stats/ks2samp.json)', () => {
  it('has many cases', () => {
    expect(vectors.cases.length).toBeGreaterThan(80);
  });
  for (const c of vectors.cases) {
    it(c.name, () => {
      const r = ks2samp(values(c.x), values(c.y), { method: c.method });
      expect(r.method).toBe(c.method_used);
      expect(Math.abs(r.statistic - c.statistic)).toBeLessThanOrEqual(1e-15);
      if (c.pvalue === null) {
        expect(r.pvalue).toBeNaN();
      } else {
        expect(Math.abs(r.pvalue - c.pvalue)).toBeLessThanOrEqual(1e-9);
        // Far into the tail the absolute bound says little; the relative error stays small too.
        if (c.pvalue > 1e-300) expect(Math.abs(r.pvalue - c.pvalue) / c.pvalue).toBeLessThan(1e-6);
      }
    });
  }
});

describe('ks2samp inputs', () => {
  it('accepts Float64Array and number[] alike and does not modify them', () => {
    const x = [3, 1, 2, 5];
    const y = new Float64Array([2.5, 0.5, 4]);
    const a = ks2samp(x, y);
    const b = ks2samp(new Float64Array(x), Array.from(y));
    expect(a).toEqual(b);
    expect(x).toEqual([3, 1, 2, 5]);
    expect(Array.from(y)).toEqual([2.5, 0.5, 4]);
  });

  it('drops NaN values before testing', () => {
    const withNaN = ks2samp([1, NaN, 2, 3, NaN], [NaN, 2.5, 4]);
    const clean = ks2samp([1, 2, 3], [2.5, 4]);
    expect(withNaN).toEqual(clean);
    expect(withNaN.n1).toBe(3);
    expect(withNaN.n2).toBe(2);
  });

  it('orders infinities like any value', () => {
    const r = ks2samp([-Infinity, 0, 4], [2, 3, Infinity]);
    expect(r.statistic).toBeCloseTo(2 / 3, 15);
  });

  it('throws INVALID_ARGUMENT for an empty sample (after dropping NaN)', () => {
    expect(() => ks2samp([], [1])).toThrow(/at least one/);
    try {
      ks2samp([NaN], [1, 2]);
      expect.unreachable();
    } catch (err) {
      expect(isRootlineError(err, 'INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('rejects an unknown method', () => {
    expect(() => ks2samp([1], [2], { method: 'fast' as never })).toThrow(/unknown method/);
  });

  it('is symmetric in its arguments and invariant to order and monotone transforms', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 40 }),
        (x, y) => {
          const r = ks2samp(x, y);
          const swapped = ks2samp([...y].reverse(), x);
          const transformed = ks2samp(
            x.map((v) => Math.exp(v / 10)),
            y.map((v) => Math.exp(v / 10)),
          );
          expect(swapped.statistic).toBe(r.statistic);
          expect(Math.abs(swapped.pvalue - r.pvalue)).toBeLessThan(1e-12);
          expect(transformed.statistic).toBe(r.statistic);
          expect(r.pvalue).toBeGreaterThanOrEqual(0);
          expect(r.pvalue).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });
});
