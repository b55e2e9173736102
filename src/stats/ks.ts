import { RootlineError } from '../errors/index.js';
import { kstwoSf } from './kolmogorov.js';
import { RADIX_SORT_MIN_N, radixSortWithoutNaN } from './sort.js';

/** How the p-value of {@link ks2samp} is computed. */
export type KsMethod = 'auto' | 'exact' | 'asymp';

export interface Ks2sampOptions {
  /**
   * 'exact': the exact null distribution of D (Hodges 1958; Viehmann 2021 for unequal sizes);
   * 'asymp': the one-sample Kolmogorov distribution at the effective size round(n1 n2 / (n1 + n2));
   * 'auto' (default): exact when both samples have at most {@link KS_MAX_EXACT_N} values, else asymptotic.
   * Whenever the exact computation is attempted and fails, the asymptotic p-value is returned.
   */
  method?: KsMethod;
}

export interface Ks2sampResult {
  /** D = sup |F1 - F2| over the data; for an exact p-value, rounded to a multiple of 1/lcm(n1, n2). */
  statistic: number;
  /** Two-sided p-value, in [0, 1]. */
  pvalue: number;
  /** The method that produced `pvalue` ('exact' may have fallen back to 'asymp'). */
  method: 'exact' | 'asymp';
  /** Sizes of the two samples after NaN values were dropped. */
  n1: number;
  n2: number;
}

/** Largest sample size for which method 'auto' uses the exact distribution (scipy's MAX_AUTO_N). */
export const KS_MAX_EXACT_N = 10_000;
const INT32_MAX = 2147483647;

/** Numeric values accepted by the statistics functions. */
export type NumericSample = ArrayLike<number>;

/** The non-NaN values (±Infinity kept) in a new ascending Float64Array (see ./sort.ts for the sort). */
export function sortedWithoutNaN(values: NumericSample): Float64Array {
  const n = values.length;
  if (n >= RADIX_SORT_MIN_N) return radixSortWithoutNaN(values);
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v === v) out[k++] = v;
  }
  return (k === n ? out : out.subarray(0, k)).sort();
}

/** D+ (max F1 - F2) and D- (max F2 - F1, at least 0) of two sorted samples by a linear merge. */
export function ksExtremes(a: Float64Array, b: Float64Array): { maxS: number; minS: number } {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxS = -Infinity;
  let minDiff = Infinity;
  // Once either sample is exhausted the difference moves monotonically back to 0, so the extremes are
  // already seen; scipy evaluates at every point, which gives the same values.
  while (i < n1 && j < n2) {
    const ai = a[i]!;
    const bj = b[j]!;
    const v = ai <= bj ? ai : bj;
    while (i < n1 && a[i]! <= v) i++;
    while (j < n2 && b[j]! <= v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxS) maxS = diff;
    if (diff < minDiff) minDiff = diff;
  }
  const minS = Math.min(Math.max(-minDiff, 0), 1);
  return { maxS, minS };
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** numpy.round: half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  if (Math.abs(x % 1) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/** Pr(D_{n,n} >= h/n), two-sided, by the alternating Horner form of the reflection sum. */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
    k -= 1;
  }
  return 2 * P;
}

/**
 * 1 - (paths staying strictly inside |x/m - y/n| < h/lcm) / binom(m+n, n), computed directly as a
 * probability (Viehmann's recursion) on a sliding window of one lattice column.
 */
function outerProbInsideMethod(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = Math.floor(m / g);
  const ng = Math.floor(n / g);
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
    minj = Math.min(minj, n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj]! * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1]!;
}

function attemptExact(n1: number, n2: number, g: number, d: number): { ok: boolean; d: number; prob: number } {
  const lcm = Math.floor(n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  const dr = h / lcm;
  if (h === 0) return { ok: true, d: dr, prob: 1 };
  const prob = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInsideMethod(n1, n2, g, h);
  if (!(prob >= 0 && prob <= 1)) return { ok: false, d: dr, prob };
  return { ok: true, d: dr, prob };
}

/**
 * Two-sample Kolmogorov-Smirnov test, two-sided: the same statistic and p-value as
 * `scipy.stats.ks_2samp(x, y, method=...)` (scipy 1.17), ties included.
 *
 * NaN values are dropped from both samples before the test (scipy would return NaN); ±Infinity are
 * ordinary values. Throws RootlineError('INVALID_ARGUMENT') when a sample has no value left.
 * The inputs are not modified. Cost: two sorts (a radix sort from 4,096 values) and a linear merge.
 */
export function ks2samp(x: NumericSample, y: NumericSample, options: Ks2sampOptions = {}): Ks2sampResult {
  const method = options.method ?? 'auto';
  if (method !== 'auto' && method !== 'exact' && method !== 'asymp') {
    throw new RootlineError('INVALID_ARGUMENT', `ks2samp: unknown method ${String(method)}`);
  }
  return ks2sampSorted(sortedWithoutNaN(x), sortedWithoutNaN(y), method);
}

/** {@link ks2samp} on samples already sorted ascending and free of NaN (not checked). */
export function ks2sampSorted(a: Float64Array, b: Float64Array, method: KsMethod = 'auto'): Ks2sampResult {
  if (a.length === 0 || b.length === 0) return ksResult(NaN, NaN, a.length, b.length, method);
  const { maxS, minS } = ksExtremes(a, b);
  return ksResult(maxS, minS, a.length, b.length, method);
}

function ksResult(maxS: number, minS: number, n1: number, n2: number, method: KsMethod): Ks2sampResult {
  if (n1 === 0 || n2 === 0) {
    throw new RootlineError('INVALID_ARGUMENT', 'ks2samp: each sample needs at least one non-NaN value', {
      details: { n1, n2 },
    });
  }
  let d = minS > maxS ? minS : maxS;
  const g = gcd(n1, n2);
  const n1g = Math.floor(n1 / g);
  const n2g = Math.floor(n2 / g);

  let mode: 'exact' | 'asymp';
  if (method === 'auto') mode = Math.max(n1, n2) <= KS_MAX_EXACT_N ? 'exact' : 'asymp';
  else if (method === 'exact') mode = n1g >= INT32_MAX / n2g ? 'asymp' : 'exact';
  else mode = 'asymp';

  let prob = NaN;
  if (mode === 'exact') {
    const r = attemptExact(n1, n2, g, d);
    d = r.d;
    if (r.ok) prob = r.prob;
    else mode = 'asymp';
  }
  if (mode === 'asymp') {
    const en = (n1 * n2) / (n1 + n2);
    prob = kstwoSf(d, roundHalfEven(en));
  }
  if (prob < 0) prob = 0;
  else if (prob > 1) prob = 1;
  return { statistic: d, pvalue: prob, method: mode, n1, n2 };
}
