import { describe, expect, it } from 'vitest';
import { binomialSf, compareCategorical, FrequentBounds, tvdSamplingMargin } from '../../src/stats/index.js';
import { mulberry32 } from './prng.js';

describe('FrequentBounds: merged frequent lists with error bounds', () => {
  it("a value missing from a truncated list is bounded by that list's smallest count; bounds add up", () => {
    const b = new FrequentBounds()
      .add({ frequent: { a: 50, b: 30, c: 20 }, otherCount: 40 })
      .add({ frequent: { a: 60, b: 25, d: 15 }, otherCount: 10 })
      .add({ frequent: { a: 5, c: 5 }, otherCount: 0 });
    expect(b.total).toBe(140 + 110 + 10);
    expect(b.bounds('a')).toEqual([115, 115]);
    expect(b.bounds('c')).toEqual([25, 25 + 10]); // missing from list 2: at most min(15, 10)
    expect(b.bounds('d')).toEqual([15, 15 + 20]); // missing from list 1: at most min(20, 40); list 3 is complete
    expect(b.bounds('never')).toEqual([0, 20 + 10]);
  });

  it('a name such as __proto__ is an ordinary value', () => {
    const frequent = Object.create(null) as Record<string, number>;
    frequent['__proto__'] = 3;
    const b = new FrequentBounds().add({ frequent, otherCount: 0 });
    expect(b.bounds('__proto__')).toEqual([3, 3]);
    expect(b.bounds('constructor')).toEqual([0, 0]);
  });
});

describe('compareCategorical', () => {
  it('identical complete lists: zero distance, p = 1', () => {
    const l = { frequent: { a: 10, b: 20 }, otherCount: 0 };
    const c = compareCategorical(new FrequentBounds().add(l), new FrequentBounds().add(l))!;
    expect(c.tvdLower).toBe(0);
    expect(c.chi2.pvalue).toBeCloseTo(1, 12);
    expect(c.candidates).toEqual([]);
  });

  it('a partial listing is not a shift: the interval covers it', () => {
    const base = new FrequentBounds()
      .add({ frequent: { a: 100, b: 100, c: 100 }, otherCount: 100 })
      .add({ frequent: { a: 100, b: 100, d: 100 }, otherCount: 100 });
    const cur = new FrequentBounds().add({ frequent: { a: 100, b: 100, c: 100 }, otherCount: 100 });
    const c = compareCategorical(base, cur)!;
    expect(c.tvdLower).toBeCloseTo(0, 12);
    expect(c.chi2.dof).toBe(2); // a, b known on both sides, the rest pooled
  });

  it('an appeared value is a candidate with a tiny p-value', () => {
    const base = new FrequentBounds().add({ frequent: { a: 9000, b: 1000 }, otherCount: 0 });
    const cur = new FrequentBounds().add({ frequent: { a: 8700, b: 1000, s: 300 }, otherCount: 0 });
    const c = compareCategorical(base, cur)!;
    expect(c.candidates).toHaveLength(1);
    expect(c.candidates[0]).toMatchObject({ value: 's', change: 'appeared', baseline: [0, 0], current: [0.03, 0.03] });
    expect(c.candidates[0]!.pvalue).toBeLessThan(1e-50);
  });
});

describe('binomialSf', () => {
  it('matches scipy.stats.binom.sf(k - 1, n, r)', () => {
    expect(binomialSf(0, 10, 0.3)).toBe(1);
    expect(binomialSf(11, 10, 0.3)).toBe(0);
    // binom.sf(4, 10, 0.3) = 0.15026833260000003
    expect(binomialSf(5, 10, 0.3)).toBeCloseTo(0.1502683326, 10);
    // 0.5 ** 20
    expect(binomialSf(20, 20, 0.5)).toBeCloseTo(Math.pow(0.5, 20), 15);
  });
});

describe('FrequentBounds.merge and its state form', () => {
  const lists = [
    { frequent: { a: 50, b: 30, c: 20 }, otherCount: 10 },
    { frequent: { a: 55, b: 45 }, otherCount: 0 },
    { frequent: { c: 35, a: 40, d: 25 }, otherCount: 7 },
    { frequent: { e: 9, a: 60 }, otherCount: 30 },
    { frequent: { b: 70 }, otherCount: 12 },
  ];

  it('merging the summaries of groups of lists gives the summary of all the lists, in first-listed order', () => {
    const all = new FrequentBounds();
    for (const l of lists) all.add(l);
    const first = new FrequentBounds();
    const second = new FrequentBounds();
    lists.slice(0, 2).forEach((l) => first.add(l));
    lists.slice(2).forEach((l) => second.add(l));
    const merged = new FrequentBounds().merge(first).merge(second);
    expect(merged.toJSON()).toEqual(all.toJSON());
    expect([...merged.values()]).toEqual(['a', 'b', 'c', 'd', 'e']);
    for (const v of ['a', 'b', 'c', 'd', 'e', 'never']) expect(merged.bounds(v)).toEqual(all.bounds(v));
    expect([merged.total, merged.lists]).toEqual([all.total, all.lists]);
  });

  it('toJSON / fromJSON round-trips, names such as __proto__ included', () => {
    const b = new FrequentBounds().add({
      frequent: JSON.parse('{"__proto__": 5, "x": 3}') as Record<string, number>,
      otherCount: 1,
    });
    const back = FrequentBounds.fromJSON(
      JSON.parse(JSON.stringify(b.toJSON())) as ReturnType<FrequentBounds['toJSON']>,
    );
    expect(back.toJSON()).toEqual(b.toJSON());
    expect(back.bounds('__proto__')).toEqual([5, 5]);
  });
});

describe('the sampling margin of the total variation distance (tvdSamplingMargin)', () => {
  /** A multinomial sample of n rows over the shares `p` (seeded): counts per value. */
  function sample(next: () => number, p: readonly number[], n: number): Record<string, number> {
    const cdf: number[] = [];
    let acc = 0;
    for (const x of p) cdf.push((acc += x));
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const u = next() * acc;
      let j = 0;
      while (j < cdf.length - 1 && cdf[j]! <= u) j++;
      counts[`v${j}`] = (counts[`v${j}`] ?? 0) + 1;
    }
    return counts;
  }
  const zipf = (k: number, s: number) => Array.from({ length: k }, (_, i) => 1 / (i + 1) ** s);
  const total = (p: readonly number[]) => p.reduce((a, x) => a + x, 0);
  const tvd = (p: readonly number[], q: readonly number[]) => {
    const P = total(p);
    const Q = total(q);
    return p.reduce((a, x, i) => a + Math.abs(x / P - q[i]! / Q), 0) / 2;
  };
  const compare = (b: Record<string, number>, c: Record<string, number>) =>
    compareCategorical(
      new FrequentBounds().add({ frequent: b, otherCount: 0 }),
      new FrequentBounds().add({ frequent: c, otherCount: 0 }),
    )!;

  // (values, Zipf exponent, baseline rows, current rows): a few categories and small tables; a many-valued
  // column (the hubs of a commerce feed) against a long window.
  const cases: [number, number, number, number][] = [
    [3, 0, 200, 50],
    [8, 1, 2000, 300],
    [25, 0.6, 17000, 950],
    [60, 1.1, 5000, 1000],
  ];

  it.each(cases)(
    'same distribution (%i values, Zipf %d, %i vs %i rows): the distance passes the margin in at most ~1% of 1,000 trials',
    (k, s, nb, nc) => {
      const next = mulberry32(1000 + k);
      const p = zipf(k, s);
      let over = 0;
      const trials = 1000;
      for (let t = 0; t < trials; t++) {
        const c = compare(sample(next, p, nb), sample(next, p, nc));
        if (c.tvdLower > c.tvdSampling) over++;
      }
      // The 99% quantile: about 1% of the trials pass it (seen: 0.5-1.0%), at most 1% plus the binomial noise.
      expect(over / trials).toBeLessThanOrEqual(0.02);
      // ... and at least now and then: a quantile, not a margin so wide that it hides real shifts.
      expect(over / trials).toBeGreaterThanOrEqual(0.002);
    },
  );

  it.each(cases)(
    'a real shift (%i values, Zipf %d, %i vs %i rows): the bound stays under the true distance in ~99% of trials',
    (k, s, nb, nc) => {
      const next = mulberry32(2000 + k);
      const p = zipf(k, s);
      // Half of the mass of the first half of the values moves to the second half.
      const q = p.map((x, i) => (i < k / 2 ? x / 2 : x));
      const moved = total(p) - total(q);
      const tail = total(p.filter((_, i) => i >= k / 2));
      for (let i = 0; i < k; i++) if (i >= k / 2) q[i] = p[i]! + (moved * p[i]!) / tail;
      const truth = tvd(p, q);
      let over = 0;
      const trials = 500;
      for (let t = 0; t < trials; t++) {
        const c = compare(sample(next, p, nb), sample(next, q, nc));
        if (c.tvdLower - c.tvdSampling > truth) over++;
      }
      expect(over / trials).toBeLessThanOrEqual(0.02);
    },
  );

  it('two cells: the quantile of a half-normal |d| with Var d = p (1 - p) (1/nb + 1/nc), a little above it', () => {
    // Two cells of pooled shares 0.5: T = |d_1| exactly, s^2 = 0.25 (1/100 + 1/100); its 99% quantile is
    // 2.5758 s (scipy.stats.halfnorm.ppf(0.99)). The gamma with the same mean and variance is heavier-tailed.
    const s = Math.sqrt(0.25 * (1 / 100 + 1 / 100));
    const m = tvdSamplingMargin(
      [
        [50, 50],
        [50, 50],
      ],
      100,
      100,
    );
    expect(m).toBeGreaterThan(2.5758 * s);
    expect(m).toBeLessThan(2.9 * s);
    // Shrinks as 1 / sqrt(n): a hundred times the rows, a tenth of the margin.
    const small = tvdSamplingMargin(
      [
        [30, 10],
        [70, 90],
      ],
      100,
      100,
    );
    const large = tvdSamplingMargin(
      [
        [3000, 1000],
        [7000, 9000],
      ],
      10000,
      10000,
    );
    expect(large / small).toBeCloseTo(0.1, 6);
  });
});
