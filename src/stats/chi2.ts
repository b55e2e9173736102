import { RootlineError } from '../errors/index.js';
import { chi2Sf } from './gamma.js';

/**
 * Key under which a categorical count map carries the rows outside its listed categories
 * (a profile's `other_count`). Override per call with `otherKey`.
 */
export const DEFAULT_OTHER_KEY = '__other__';

/** Category -> count (non-negative, finite). The `otherKey` entry, if any, is the remainder bucket. */
export type CategoryCounts = Readonly<Record<string, number>>;

export interface CategoricalOptions {
  /** Key of the remainder ("other") bucket in both count maps. Default {@link DEFAULT_OTHER_KEY}. */
  otherKey?: string;
}

export interface ChiSquaredResult {
  /** Pearson's chi-squared statistic of the 2 x K table (no continuity correction). */
  statistic: number;
  /** Degrees of freedom, K - 1 (0 when fewer than two categories remain). */
  dof: number;
  /** Pr(chi2_dof >= statistic); 1 when dof is 0. */
  pvalue: number;
  /** The K column labels used, in table order (the other bucket, if kept, is last under `otherKey`). */
  categories: string[];
  /** The aligned counts: row 0 baseline, row 1 current. */
  baseline: number[];
  current: number[];
}

/** Builds a count map from a profile's `frequent` values and `other_count`. */
export function categoricalCounts(
  frequent: Readonly<Record<string, number>>,
  otherCount = 0,
  otherKey: string = DEFAULT_OTHER_KEY,
): Record<string, number> {
  // No prototype: a category named `constructor` or `__proto__` is an ordinary key.
  const out = Object.create(null) as Record<string, number>;
  for (const [k, v] of Object.entries(frequent)) out[k] = v;
  if (otherCount > 0) out[otherKey] = (out[otherKey] ?? 0) + otherCount;
  return out;
}

function checkCounts(name: string, counts: CategoryCounts): void {
  for (const [k, v] of Object.entries(counts)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new RootlineError(
        'INVALID_ARGUMENT',
        `${name}: count of ${JSON.stringify(k)} is not a non-negative number`,
        {
          details: { category: k, value: v },
        },
      );
    }
  }
}

/**
 * Aligns two count maps onto one set of columns.
 *
 * A category listed on one side only is known to be 0 on the other side when that side has no other
 * bucket; when it has one, the category's count there is hidden inside it, so the category is folded into
 * the other bucket on the side that lists it too. Columns with a zero total are dropped.
 */
export function alignCategories(
  baseline: CategoryCounts,
  current: CategoryCounts,
  options: CategoricalOptions = {},
): { categories: string[]; baseline: number[]; current: number[] } {
  const otherKey = options.otherKey ?? DEFAULT_OTHER_KEY;
  checkCounts('baseline', baseline);
  checkCounts('current', current);
  let otherA = Object.hasOwn(baseline, otherKey) ? baseline[otherKey]! : 0;
  let otherB = Object.hasOwn(current, otherKey) ? current[otherKey]! : 0;
  const hiddenInA = otherA > 0;
  const hiddenInB = otherB > 0;

  const keys = new Set<string>();
  for (const k of Object.keys(baseline)) if (k !== otherKey) keys.add(k);
  for (const k of Object.keys(current)) if (k !== otherKey) keys.add(k);

  const categories: string[] = [];
  const a: number[] = [];
  const b: number[] = [];
  for (const k of [...keys].sort()) {
    const inA = Object.hasOwn(baseline, k);
    const inB = Object.hasOwn(current, k);
    const ca = inA ? baseline[k]! : 0;
    const cb = inB ? current[k]! : 0;
    if (inA && !inB && hiddenInB) {
      otherA += ca;
      continue;
    }
    if (inB && !inA && hiddenInA) {
      otherB += cb;
      continue;
    }
    if (ca + cb > 0) {
      categories.push(k);
      a.push(ca);
      b.push(cb);
    }
  }
  if (otherA + otherB > 0) {
    categories.push(otherKey);
    a.push(otherA);
    b.push(otherB);
  }
  return { categories, baseline: a, current: b };
}

/**
 * Chi-squared test of homogeneity between two categorical count maps, as the 2 x K contingency test
 * `scipy.stats.chi2_contingency([baseline, current], correction=False)`.
 * Categories may appear on either side; see {@link alignCategories} for the other bucket.
 * Throws RootlineError('INVALID_ARGUMENT') for a negative or non-finite count, or when one side has a
 * zero total (no expected frequencies; scipy raises too).
 */
export function chiSquaredTest(
  baselineCounts: CategoryCounts,
  currentCounts: CategoryCounts,
  options: CategoricalOptions = {},
): ChiSquaredResult {
  const t = alignCategories(baselineCounts, currentCounts, options);
  const k = t.categories.length;
  let totalA = 0;
  let totalB = 0;
  for (let j = 0; j < k; j++) {
    totalA += t.baseline[j]!;
    totalB += t.current[j]!;
  }
  if (totalA === 0 || totalB === 0) {
    throw new RootlineError('INVALID_ARGUMENT', 'chiSquaredTest: both sides need a positive total count', {
      details: { baselineTotal: totalA, currentTotal: totalB },
    });
  }
  const base = { categories: t.categories, baseline: t.baseline, current: t.current };
  const dof = k - 1;
  if (dof <= 0) return { statistic: 0, dof: 0, pvalue: 1, ...base };
  const total = totalA + totalB;
  let statistic = 0;
  for (const [row, rowTotal] of [
    [t.baseline, totalA],
    [t.current, totalB],
  ] as const) {
    for (let j = 0; j < k; j++) {
      const colTotal = t.baseline[j]! + t.current[j]!;
      const expected = (rowTotal * colTotal) / total;
      const diff = row[j]! - expected;
      statistic += (diff * diff) / expected;
    }
  }
  return { statistic, dof, pvalue: chi2Sf(statistic, dof), ...base };
}

/**
 * Total variation distance 0.5 * sum |p_i - q_i| between the two count maps normalized to proportions,
 * over the columns of {@link alignCategories} (folding into the other bucket can only lower it).
 * In [0, 1]. Throws RootlineError('INVALID_ARGUMENT') when a side has a zero total.
 */
export function totalVariationDistance(p: CategoryCounts, q: CategoryCounts, options: CategoricalOptions = {}): number {
  const t = alignCategories(p, q, options);
  let totalP = 0;
  let totalQ = 0;
  for (let j = 0; j < t.categories.length; j++) {
    totalP += t.baseline[j]!;
    totalQ += t.current[j]!;
  }
  if (totalP === 0 || totalQ === 0) {
    throw new RootlineError('INVALID_ARGUMENT', 'totalVariationDistance: both sides need a positive total count');
  }
  let sum = 0;
  for (let j = 0; j < t.categories.length; j++) sum += Math.abs(t.baseline[j]! / totalP - t.current[j]! / totalQ);
  return Math.min(1, sum / 2);
}
