import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { radixSortWithoutNaN, RADIX_SORT_MIN_N } from '../../src/stats/sort.js';
import { ks2samp, ks2sampSorted, sortedWithoutNaN } from '../../src/stats/ks.js';
import { mulberry32 } from './prng.js';

function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

describe('radix sort order', () => {
  it('orders exactly like Float64Array.prototype.sort, special values included', () => {
    const special = [
      0,
      -0,
      Infinity,
      -Infinity,
      Number.MIN_VALUE,
      -Number.MIN_VALUE,
      Number.MAX_VALUE,
      -Number.MAX_VALUE,
      1,
      -1,
    ];
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(...special), fc.integer({ min: -5, max: 5 })), {
          minLength: 1,
          maxLength: 300,
        }),
        (xs) => {
          const input = Float64Array.from(xs);
          const copy = Float64Array.from(xs);
          const got = radixSortWithoutNaN(input);
          expect(sameBits(input, copy)).toBe(true);
          expect(sameBits(got, Float64Array.from(xs).sort())).toBe(true);
        },
      ),
      { numRuns: 500, seed: 5 },
    );
  });

  it('sorts large arrays (the path ks2samp takes from RADIX_SORT_MIN_N values)', () => {
    const next = mulberry32(9);
    for (const n of [RADIX_SORT_MIN_N, 100_003]) {
      const x = Float64Array.from({ length: n }, () => (next() - 0.5) * 10 ** Math.floor(next() * 12 - 6));
      const want = Float64Array.from(x).sort();
      expect(sameBits(sortedWithoutNaN(x), want)).toBe(true);
      // Integers: the low digits are constant and their passes are skipped.
      const ints = Float64Array.from({ length: n }, () => Math.floor(next() * 50) - 25);
      expect(sameBits(radixSortWithoutNaN(ints), Float64Array.from(ints).sort())).toBe(true);
    }
  });
});

describe('radixSortWithoutNaN', () => {
  it('drops NaN and sorts number[] and Float64Array inputs alike', () => {
    const next = mulberry32(21);
    const xs = Array.from({ length: 10_000 }, (_, i) => (i % 97 === 0 ? NaN : Math.floor(next() * 300) / 7 - 20));
    const want = Float64Array.from(xs.filter((v) => !Number.isNaN(v))).sort();
    expect(sameBits(radixSortWithoutNaN(xs), want)).toBe(true);
    expect(sameBits(radixSortWithoutNaN(Float64Array.from(xs)), want)).toBe(true);
    expect(radixSortWithoutNaN([NaN, NaN]).length).toBe(0);
  });

  it('gives ks2samp the same result as the comparison sort', () => {
    const next = mulberry32(22);
    const x = Float64Array.from({ length: 6000 }, () => Math.floor(next() * 300) / 7);
    const y = Array.from({ length: 5000 }, () => Math.floor(next() * 310) / 7 - 0.5);
    const viaRadix = ks2samp(x, y);
    const viaNative = ks2sampSorted(Float64Array.from(x).sort(), Float64Array.from(y).sort());
    expect(viaRadix).toEqual(viaNative);
  });
});
