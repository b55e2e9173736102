import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DistinctCounter, FrequentItems, seededRandom } from '../../src/sketch/index.js';

/** A Zipf-like stream over `distinct` values: value i has weight 1 / (i + 1)^s. */
function zipfStream(n: number, distinct: number, s: number, seed: number): string[] {
  const rnd = seededRandom(seed);
  const cdf = new Float64Array(distinct);
  let total = 0;
  for (let i = 0; i < distinct; i++) cdf[i] = total += 1 / Math.pow(i + 1, s);
  return Array.from({ length: n }, () => {
    const u = rnd() * total;
    let lo = 0;
    let hi = distinct - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return `v${lo}`;
  });
}

function exactCounts(values: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

/** The Misra-Gries guarantees, checked against exact counts. */
function expectGuarantees(fi: FrequentItems, truth: Map<string, number>): void {
  expect(fi.numTracked).toBeLessThanOrEqual(2 * fi.capacity);
  expect(fi.maxError).toBeLessThanOrEqual(fi.n / (fi.capacity + 1));
  for (const [value, count] of truth) {
    const est = fi.estimate(value);
    expect(est).toBeLessThanOrEqual(count);
    expect(est).toBeGreaterThanOrEqual(count - fi.maxError);
    expect(fi.upperBound(value)).toBeGreaterThanOrEqual(count);
  }
}

describe('FrequentItems', () => {
  it('is exact while the column has few distinct values', () => {
    const values = zipfStream(50_000, 100, 1.1, 1);
    const fi = new FrequentItems(100);
    for (const v of values) fi.update(v);
    const truth = exactCounts(values);
    expect(fi.isExact).toBe(true);
    expect(fi.maxError).toBe(0);
    const summary = fi.summary(10);
    const expectedTop = [...truth.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10);
    expect(Object.entries(summary.frequent)).toEqual(expectedTop);
    expect(summary.otherCount).toBe(50_000 - expectedTop.reduce((a, [, c]) => a + c, 0));
    expect(summary.exact).toBe(true);
    expect(fi.summary().otherCount).toBe(0);
  });

  it('keeps its guarantees on a heavy-tailed stream with many distinct values', () => {
    const values = zipfStream(300_000, 50_000, 1.05, 2);
    const fi = new FrequentItems(64);
    for (const v of values) fi.update(v);
    const truth = exactCounts(values);
    expect(fi.isExact).toBe(false);
    expectGuarantees(fi, truth);
    // the true top 10 are far above maxError, so they are tracked and come out on top
    const trueTop = [...truth.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([v]) => v);
    expect(
      fi
        .top(10)
        .map(([v]) => v)
        .sort(),
    ).toEqual([...trueTop].sort());
    const summary = fi.summary();
    expect(Object.keys(summary.frequent).length).toBeLessThanOrEqual(64);
    expect(summary.otherCount + Object.values(summary.frequent).reduce((a, b) => a + b, 0)).toBe(300_000);
    expect(summary.maxError).toBe(fi.maxError);
  });

  it('merges: the union keeps the guarantees, and stays exact when it can', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(
            fc.integer({ min: 0, max: 400 }).map((i) => `c${i}`),
            { maxLength: 3000 },
          ),
          {
            minLength: 1,
            maxLength: 5,
          },
        ),
        fc.integer({ min: 4, max: 300 }),
        (parts, capacity) => {
          const merged = new FrequentItems(capacity);
          for (const part of parts) {
            const fi = new FrequentItems(capacity);
            for (const v of part) fi.update(v);
            merged.merge(fi);
          }
          const all = parts.flat();
          const truth = exactCounts(all);
          expect(merged.n).toBe(all.length);
          expectGuarantees(merged, truth);
          if (truth.size <= capacity) {
            expect(merged.isExact).toBe(true);
            for (const [v, c] of truth) expect(merged.estimate(v)).toBe(c);
          }
        },
      ),
      { seed: 7, numRuns: 100 },
    );
  });

  it('takes weighted counts, rejects bad ones, and handles awkward keys', () => {
    const fi = new FrequentItems(4);
    fi.update('__proto__', 3);
    fi.update('constructor');
    fi.update('', 0);
    expect(() => fi.update('x', -1)).toThrow(/non-negative integer/);
    expect(() => fi.update('x', 1.5)).toThrow(/non-negative integer/);
    expect(() => new FrequentItems(0)).toThrow(/positive integer/);
    const summary = fi.summary();
    expect(Object.keys(summary.frequent)).toEqual(['__proto__', 'constructor']);
    expect(summary.frequent['__proto__']).toBe(3);
    expect(JSON.parse(JSON.stringify(summary.frequent))).toEqual({ ['__proto__']: 3, constructor: 1 });
    expect(fi.n).toBe(4);
    fi.merge(fi);
    expect(fi.estimate('__proto__')).toBe(6);
    expect(fi.n).toBe(8);
  });
});

describe('DistinctCounter', () => {
  it('is exact up to its limit', () => {
    const dc = new DistinctCounter({ exactLimit: 1000 });
    for (let r = 0; r < 3; r++) for (let i = 0; i < 1000; i++) dc.update(`id-${i}`);
    expect(dc.isExact).toBe(true);
    expect(dc.estimate()).toBe(1000);
    expect(dc.relativeStandardError).toBe(0);
    dc.update('one more');
    expect(dc.isExact).toBe(false);
    expect(dc.relativeStandardError).toBeCloseTo(1.04 / 128, 12);
    expect(Math.abs(dc.estimate() - 1001) / 1001).toBeLessThan(0.03);
  });

  it('estimates within its documented error across cardinalities', () => {
    // 1.04 / sqrt(2^14) = 0.81% standard error; every estimate must be within 3 standard errors and the
    // root-mean-square error over all runs within 1.5 standard errors
    const rse = 1.04 / Math.sqrt(2 ** 14);
    const errors: number[] = [];
    const cases: Array<[number, number]> = [];
    for (const cardinality of [2_000, 10_000, 30_000, 100_000])
      for (let run = 0; run < 4; run++) cases.push([cardinality, run]);
    cases.push([1_000_000, 0]);
    for (const [cardinality, run] of cases) {
      const dc = new DistinctCounter();
      for (let i = 0; i < cardinality; i++) dc.update(`user:${run}:${i}`);
      // repeats change nothing
      for (let i = 0; i < 1000; i++) dc.update(`user:${run}:${i}`);
      const error = (dc.estimate() - cardinality) / cardinality;
      expect(Math.abs(error), `cardinality ${cardinality} run ${run}: error ${(100 * error).toFixed(2)}%`).toBeLessThan(
        3 * rse,
      );
      errors.push(error);
    }
    const rms = Math.sqrt(errors.reduce((a, e) => a + e * e, 0) / errors.length);
    expect(rms, `rms relative error ${(100 * rms).toFixed(2)}%`).toBeLessThan(1.5 * rse);
  });

  it('merges like a union, also across precisions', () => {
    const values = Array.from({ length: 60_000 }, (_, i) => `k${i % 40_000}`);
    const whole = new DistinctCounter();
    for (const v of values) whole.update(v);
    const a = new DistinctCounter();
    const b = new DistinctCounter();
    values.forEach((v, i) => (i % 3 === 0 ? a : b).update(v));
    a.merge(b);
    expect(a.estimate()).toBe(whole.estimate());

    // a precision-12 union equals a precision-12 counter of all the data (registers fold exactly)
    const low = new DistinctCounter({ precision: 12 });
    for (const v of values.slice(0, 30_000)) low.update(v);
    const high = new DistinctCounter({ precision: 14 });
    for (const v of values.slice(30_000)) high.update(v);
    low.merge(high);
    const reference = new DistinctCounter({ precision: 12 });
    for (const v of values) reference.update(v);
    expect(low.precision).toBe(12);
    expect(low.estimate()).toBe(reference.estimate());
    // and the other way round: the higher-precision side folds down
    const high2 = new DistinctCounter({ precision: 14 });
    for (const v of values.slice(30_000)) high2.update(v);
    const low2 = new DistinctCounter({ precision: 12 });
    for (const v of values.slice(0, 30_000)) low2.update(v);
    high2.merge(low2);
    expect(high2.precision).toBe(12);
    expect(high2.estimate()).toBe(reference.estimate());
  });

  it('merging exact counters stays exact until the limit', () => {
    const a = new DistinctCounter({ exactLimit: 100 });
    const b = new DistinctCounter({ exactLimit: 100 });
    for (let i = 0; i < 60; i++) a.update(`x${i}`);
    for (let i = 30; i < 90; i++) b.update(`x${i}`);
    a.merge(b);
    expect(a.isExact).toBe(true);
    expect(a.estimate()).toBe(90);
    const c = new DistinctCounter({ exactLimit: 100 });
    for (let i = 0; i < 50; i++) c.update(`y${i}`);
    a.merge(c);
    expect(a.isExact).toBe(false);
    expect(Math.abs(a.estimate() - 140) / 140).toBeLessThan(0.05);
  });

  it('validates its options', () => {
    expect(() => new DistinctCounter({ precision: 3 })).toThrow(/precision/);
    expect(() => new DistinctCounter({ precision: 19 })).toThrow(/precision/);
    expect(() => new DistinctCounter({ exactLimit: -1 })).toThrow(/exactLimit/);
    const sketchOnly = new DistinctCounter({ exactLimit: 0 });
    expect(sketchOnly.isExact).toBe(false);
    expect(sketchOnly.estimate()).toBe(0);
  });
});
