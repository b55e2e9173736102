import { describe, expect, it } from 'vitest';
import { binomialSf, compareCategorical, FrequentBounds } from '../../src/stats/index.js';

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
