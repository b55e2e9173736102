import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  alignCategories,
  categoricalCounts,
  chiSquaredTest,
  DEFAULT_OTHER_KEY,
  totalVariationDistance,
} from '../../src/stats/index.js';
import { isRootlineError } from '../../src/errors/index.js';

interface Chi2Case {
  name: string;
  baseline: Record<string, number>;
  current: Record<string, number>;
  categories: string[];
  statistic: number;
  dof: number;
  pvalue: number;
  tvd: number;
}
const { cases } = JSON.parse(readFileSync(new URL('../vectors/stats/chi2.json', import.meta.url), 'utf8')) as {
  cases: Chi2Case[];
};

function relErr(got: number, want: number): number {
  return want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want);
}

describe('chiSquaredTest vs scipy.stats.chi2_contingency(correction=False) (test/vectors/stats/chi2.json)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = chiSquaredTest(c.baseline, c.current);
      expect(r.categories).toEqual(c.categories);
      expect(r.dof).toBe(c.dof);
      expect(relErr(r.statistic, c.statistic)).toBeLessThan(1e-12);
      expect(Math.abs(r.pvalue - c.pvalue)).toBeLessThan(1e-12);
      if (c.pvalue > 1e-300) expect(relErr(r.pvalue, c.pvalue)).toBeLessThan(1e-10);
      expect(Math.abs(totalVariationDistance(c.baseline, c.current) - c.tvd)).toBeLessThan(1e-15);
    });
  }
});

describe('categorical alignment and edge cases', () => {
  it('folds a category listed only on one side into the other bucket when the other side hides it', () => {
    const t = alignCategories({ a: 5, b: 3, c: 2, [DEFAULT_OTHER_KEY]: 1 }, { a: 4, b: 4, [DEFAULT_OTHER_KEY]: 3 });
    expect(t).toEqual({ categories: ['a', 'b', DEFAULT_OTHER_KEY], baseline: [5, 3, 3], current: [4, 4, 3] });
  });

  it('keeps a one-sided category with 0 on the other side when that side has no other bucket', () => {
    const t = alignCategories({ a: 5, b: 3 }, { a: 4, b: 4, c: 2 });
    expect(t).toEqual({ categories: ['a', 'b', 'c'], baseline: [5, 3, 0], current: [4, 4, 2] });
  });

  it('honours a custom other key', () => {
    const t = alignCategories({ a: 5, rest: 2 }, { a: 4, b: 1 }, { otherKey: 'rest' });
    expect(t.categories).toEqual(['a', 'rest']);
    expect(t.current).toEqual([4, 1]);
  });

  it('builds count maps from a profile', () => {
    expect(categoricalCounts({ a: 3 }, 4)).toEqual({ a: 3, [DEFAULT_OTHER_KEY]: 4 });
    expect(categoricalCounts({ a: 3 })).toEqual({ a: 3 });
  });

  it('rejects negative counts and an empty side', () => {
    expect(() => chiSquaredTest({ a: -1 }, { a: 1 })).toThrow(/non-negative/);
    try {
      chiSquaredTest({ a: 0 }, { a: 3, b: 1 });
      expect.unreachable();
    } catch (err) {
      expect(isRootlineError(err, 'INVALID_ARGUMENT')).toBe(true);
    }
    expect(() => totalVariationDistance({}, { a: 1 })).toThrow(/positive total/);
  });

  it('total variation is 0 for equal proportions and 1 for disjoint support', () => {
    expect(totalVariationDistance({ a: 1, b: 3 }, { a: 10, b: 30 })).toBe(0);
    expect(totalVariationDistance({ a: 1 }, { b: 1 })).toBe(1);
  });
});
