import { RootlineError } from '../errors/index.js';

/** Default false discovery rate for {@link benjaminiHochberg}. */
export const DEFAULT_FDR_Q = 0.05;

export interface BenjaminiHochbergResult {
  /** BH-adjusted p-values in the input order (`scipy.stats.false_discovery_control(ps, method='bh')`). */
  adjusted: number[];
  /** adjusted[i] <= q: hypothesis i is rejected with the false discovery rate controlled at q. */
  rejected: boolean[];
}

/**
 * Benjamini-Hochberg step-up procedure over one family of tests (e.g. all columns of one run).
 * `q` is the false discovery rate, default 0.05. Every p-value must be in [0, 1] (RootlineError
 * 'INVALID_ARGUMENT' otherwise, NaN included); an empty list gives empty results.
 */
export function benjaminiHochberg(pvalues: ArrayLike<number>, q: number = DEFAULT_FDR_Q): BenjaminiHochbergResult {
  if (!(q >= 0 && q <= 1))
    throw new RootlineError('INVALID_ARGUMENT', `benjaminiHochberg: q must be in [0, 1], got ${q}`);
  const m = pvalues.length;
  const ps: number[] = new Array<number>(m);
  for (let i = 0; i < m; i++) {
    const p = pvalues[i]!;
    if (!(p >= 0 && p <= 1)) {
      throw new RootlineError('INVALID_ARGUMENT', `benjaminiHochberg: p-value ${i} is not in [0, 1]: ${p}`);
    }
    ps[i] = p;
  }
  if (m <= 1) return { adjusted: ps, rejected: ps.map((p) => p <= q) };
  const order = ps.map((_, i) => i).sort((i, j) => ps[i]! - ps[j]! || i - j);
  const sorted = order.map((i) => ps[i]!);
  for (let r = 0; r < m; r++) sorted[r] = sorted[r]! * (m / (r + 1));
  for (let r = m - 2; r >= 0; r--) if (sorted[r + 1]! < sorted[r]!) sorted[r] = sorted[r + 1]!;
  const adjusted = new Array<number>(m);
  for (let r = 0; r < m; r++) adjusted[order[r]!] = Math.min(1, sorted[r]!);
  return { adjusted, rejected: adjusted.map((p) => p <= q) };
}
