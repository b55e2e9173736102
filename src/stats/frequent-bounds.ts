import { chi2Sf, lgamma } from './gamma.js';

/** One run's frequent-items list: value -> count for the listed values, and the rows of the values not listed. */
export interface FrequentList {
  frequent: Readonly<Record<string, number>>;
  otherCount: number;
}

/** {@link FrequentBounds} as plain data: [value, sum of listed counts, sum of the e of the lists listing it]. */
export interface FrequentBoundsState {
  values: [string, number, number][];
  unlisted: number;
  total: number;
  lists: number;
}

/**
 * Frequent-items lists merged with their error bounds, as the DataSketches frequent-items sketch merges:
 * each list bounds the count of a value it does not list by [0, e], e being its smallest listed count
 * (or its other count when smaller; 0 when nothing is unlisted), and merged bounds add up. A listed count
 * is taken as exact (the emitters list exact counts of the top values).
 */
export class FrequentBounds {
  /** Value -> sum of its listed counts (the lower bound of its count). */
  private readonly lower = new Map<string, number>();
  /** Value -> sum of the unlisted bounds e of the lists that list it. */
  private readonly coveredSlack = new Map<string, number>();
  /** Sum of the unlisted bounds e of all lists: the upper bound of a value listed nowhere. */
  private unlisted = 0;
  /** Rows in all lists (listed plus other). */
  total = 0;
  /** Lists merged. */
  lists = 0;

  /** Adds one run's list. */
  add(list: FrequentList): this {
    const counts = Object.entries(list.frequent).filter(([, c]) => Number.isFinite(c) && c > 0);
    const other = Number.isFinite(list.otherCount) && list.otherCount > 0 ? list.otherCount : 0;
    let min = Infinity;
    for (const [, c] of counts) if (c < min) min = c;
    const e = other > 0 ? Math.min(other, min) : 0;
    for (const [v, c] of counts) {
      this.lower.set(v, (this.lower.get(v) ?? 0) + c);
      this.coveredSlack.set(v, (this.coveredSlack.get(v) ?? 0) + e);
      this.total += c;
    }
    this.total += other;
    this.unlisted += e;
    this.lists += 1;
    return this;
  }

  /**
   * Adds lists merged elsewhere (bounds add up, as for {@link add}): merging the summaries of two groups
   * of lists gives the summary of all of them, values in first-listed order.
   */
  merge(other: FrequentBounds): this {
    for (const [v, c] of other.lower) this.lower.set(v, (this.lower.get(v) ?? 0) + c);
    for (const [v, e] of other.coveredSlack) this.coveredSlack.set(v, (this.coveredSlack.get(v) ?? 0) + e);
    this.unlisted += other.unlisted;
    this.total += other.total;
    this.lists += other.lists;
    return this;
  }

  /** The summary as plain data (values in first-listed order), for the state. */
  toJSON(): FrequentBoundsState {
    return {
      values: [...this.lower].map(([v, c]): [string, number, number] => [v, c, this.coveredSlack.get(v) ?? 0]),
      unlisted: this.unlisted,
      total: this.total,
      lists: this.lists,
    };
  }

  /** The summary {@link toJSON} gave. */
  static fromJSON(s: FrequentBoundsState): FrequentBounds {
    const b = new FrequentBounds();
    for (const [v, c, e] of s.values) {
      b.lower.set(v, c);
      b.coveredSlack.set(v, e);
    }
    b.unlisted = s.unlisted;
    b.total = s.total;
    b.lists = s.lists;
    return b;
  }

  /** The values listed at least once, in first-listed order. */
  values(): IterableIterator<string> {
    return this.lower.keys();
  }

  /** [lower, upper] bounds of the value's count. */
  bounds(value: string): [number, number] {
    const lo = this.lower.get(value) ?? 0;
    return [lo, lo + this.unlisted - (this.coveredSlack.get(value) ?? 0)];
  }
}

/** How one value's share compares between a baseline and a current run. */
export interface CategoryShift {
  value: string;
  /** Share bounds [lower, upper] in the baseline and in the current run. */
  baseline: [number, number];
  current: [number, number];
  /** appeared: never listed in the baseline; vanished: not listed now; moved: otherwise. */
  change: 'appeared' | 'vanished' | 'moved';
  /** How far apart the two share intervals are (0 when they overlap). */
  gap: number;
  /**
   * appeared/vanished candidates only: one-sided p-value (Bonferroni across the values compared) that
   * the share is higher now (appeared) or was higher before (vanished), from the count bounds.
   */
  pvalue?: number;
  /**
   * Set by the rules engine under false discovery control: the larger of `pvalue` and the column's
   * Benjamini-Hochberg adjusted p-value for "a value appeared or vanished" among the run's columns.
   */
  pvalue_adjusted?: number;
}

export interface CategoricalComparison {
  /**
   * A lower bound of the total variation distance that the bounds allow: the larger of half the sum of
   * the gaps between the share intervals and the exact distance over the values known on both sides
   * (the others pooled).
   */
  tvdLower: number;
  /**
   * The sampling margin of that distance: the 99% quantile of the distance two samples of these sizes from
   * one distribution show (half the sum over the coarsened table's cells of |share now - share before|,
   * each difference normal with variance p (1 - p) (1 / n_baseline + 1 / n_current), p the pooled share).
   * By the triangle inequality the true distance is at least `tvdLower - tvdSampling` with 99% confidence.
   */
  tvdSampling: number;
  /** Chi-squared test of homogeneity over the values known on both sides, the others pooled. */
  chi2: { statistic: number; dof: number; pvalue: number };
  /** Values whose shares moved most: by gap, then by the distance between interval midpoints. */
  shifts: CategoryShift[];
  /** Values that appeared or vanished beyond a factor 10 in share, most prominent first. */
  candidates: CategoryShift[];
  nBaseline: number;
  nCurrent: number;
}

/**
 * P(X >= k) for X ~ Binomial(n, r), summed in log space from k upward (terms fall geometrically past
 * the mode, so the sum stops when they no longer count).
 */
export function binomialSf(k: number, n: number, r: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (r <= 0) return 0;
  if (r >= 1) return 1;
  const lr = Math.log(r);
  const lq = Math.log1p(-r);
  const lnf = lgamma(n + 1);
  let sum = 0;
  let maxTerm = 0;
  for (let j = k; j <= n; j++) {
    const t = Math.exp(lnf - lgamma(j + 1) - lgamma(n - j + 1) + j * lr + (n - j) * lq);
    sum += t;
    if (t > maxTerm) maxTerm = t;
    else if (t < sum * 1e-17) break;
  }
  return Math.min(1, sum);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Up to this many values are named as moved, and as appeared/vanished candidates. */
export const MAX_SHIFTS = 5;
export const MAX_CANDIDATES = 20;

/**
 * Compares a current run's frequent list with a baseline's merged lists, only as far as their error
 * bounds allow (see docs/statistics.md, "Categorical columns").
 */
export function compareCategorical(base: FrequentBounds, cur: FrequentBounds): CategoricalComparison | undefined {
  const nb = base.total;
  const nc = cur.total;
  if (nb <= 0 || nc <= 0) return undefined;
  const values = new Set<string>(base.values());
  for (const v of cur.values()) values.add(v);
  const shifts: CategoryShift[] = [];
  let gaps = 0;
  const known: Array<[number, number]> = [];
  for (const v of [...values].sort(cmp)) {
    const [bl, bu] = base.bounds(v);
    const [cl, cu] = cur.bounds(v);
    const b: [number, number] = [bl / nb, bu / nb];
    const c: [number, number] = [cl / nc, cu / nc];
    const gap = Math.max(0, c[0] - b[1], b[0] - c[1]);
    gaps += gap;
    if (bl === bu && cl === cu && bl + cl > 0) known.push([bl, cl]);
    shifts.push({
      value: v,
      baseline: b,
      current: c,
      change: bl === 0 ? 'appeared' : cl === 0 ? 'vanished' : 'moved',
      gap,
    });
  }
  // Values known exactly on both sides, the rest pooled into one cell per side.
  let kb = 0;
  let kc = 0;
  for (const [b, c] of known) {
    kb += b;
    kc += c;
  }
  const table = known.slice();
  if (nb - kb + (nc - kc) > 0) table.push([Math.max(0, nb - kb), Math.max(0, nc - kc)]);
  let pooledTvd = 0;
  for (const [b, c] of table) pooledTvd += Math.abs(b / nb - c / nc);
  pooledTvd /= 2;
  const chi2 = chiSquared2xK(table, nb, nc);
  const tvdSampling = tvdSamplingMargin(table, nb, nc);

  const mid = (s: CategoryShift) => Math.abs((s.current[0] + s.current[1]) / 2 - (s.baseline[0] + s.baseline[1]) / 2);
  const byShift = (a: CategoryShift, b: CategoryShift) => b.gap - a.gap || mid(b) - mid(a) || cmp(a.value, b.value);
  const m = values.size;
  const candidates: CategoryShift[] = [];
  for (const s of shifts) {
    if (s.current[0] > 10 * s.baseline[1]) {
      const k = Math.round(s.current[0] * nc);
      const n = k + Math.round(s.baseline[1] * nb);
      candidates.push({ ...s, change: 'appeared', pvalue: Math.min(1, m * binomialSf(k, n, nc / (nc + nb))) });
    } else if (s.baseline[0] > 10 * s.current[1]) {
      const k = Math.round(s.baseline[0] * nb);
      const n = k + Math.round(s.current[1] * nc);
      candidates.push({ ...s, change: 'vanished', pvalue: Math.min(1, m * binomialSf(k, n, nb / (nc + nb))) });
    }
  }
  const prominence = (s: CategoryShift) => (s.change === 'appeared' ? s.current[0] : s.baseline[0]);
  candidates.sort((a, b) => prominence(b) - prominence(a) || cmp(a.value, b.value));
  return {
    tvdLower: Math.min(1, Math.max(gaps / 2, pooledTvd)),
    tvdSampling,
    chi2,
    shifts: shifts.sort(byShift).slice(0, MAX_SHIFTS),
    candidates: candidates.slice(0, MAX_CANDIDATES),
    nBaseline: nb,
    nCurrent: nc,
  };
}

/** One-sided 99% standard normal quantile. */
const Z99 = 2.3263478740408408;

/** Cells beyond which the correlations between cells are left out of the margin (they are all small then). */
const MARGIN_PAIRS_CELLS = 100;

/**
 * The 99% quantile of the total variation distance between two samples (sizes nb, nc) drawn from one
 * distribution, the pooled shares of `table`'s cells: T = 1/2 sum |d_i|, d ~ N(0, (1/nb + 1/nc) (diag(p) - p p^T))
 * (the multinomial's covariance). Its mean and variance are exact for that normal: E|d_i| = s_i sqrt(2/pi),
 * Cov(|d_i|, |d_j|) = (2/pi) s_i s_j (rho asin(rho) + sqrt(1 - rho^2) - 1) with rho_ij = -sqrt(p_i p_j / ((1 - p_i)
 * (1 - p_j))). T is skewed (two cells: exactly a half-normal), so the quantile is a gamma's with that mean and
 * variance (Wilson-Hilferty), which is heavier-tailed than the half-normal and tends to the normal with many
 * cells. By the triangle inequality the true distance is at least the observed one less this margin (99%):
 * the sampling analogue of the KS bound's c(alpha) / sqrt(n_eff) (docs/statistics.md, "Categorical columns").
 */
export function tvdSamplingMargin(table: ReadonlyArray<readonly [number, number]>, nb: number, nc: number): number {
  const n = nb + nc;
  if (nb <= 0 || nc <= 0) return 0;
  const scale = 1 / nb + 1 / nc;
  const ps: number[] = [];
  for (const [b, c] of table) {
    const p = (b + c) / n;
    if (p > 0 && p < 1) ps.push(p);
  }
  const k = ps.length;
  if (k === 0) return 0;
  const sd = ps.map((p) => Math.sqrt(p * (1 - p) * scale));
  const r = ps.map((p) => Math.sqrt(p / (1 - p)));
  let mean = 0;
  let variance = 0;
  for (let i = 0; i < k; i++) {
    mean += sd[i]!;
    variance += sd[i]! * sd[i]! * (1 - 2 / Math.PI);
    if (k > MARGIN_PAIRS_CELLS) continue;
    for (let j = i + 1; j < k; j++) {
      const rho = -Math.min(1, r[i]! * r[j]!);
      variance += 2 * (2 / Math.PI) * sd[i]! * sd[j]! * (rho * Math.asin(rho) + Math.sqrt(1 - rho * rho) - 1);
    }
  }
  mean *= 0.5 * Math.sqrt(2 / Math.PI);
  variance *= 0.25;
  if (!(variance > 0)) return mean;
  // Gamma of shape a = mean^2 / variance: Wilson-Hilferty's cube of a normal quantile.
  const h = variance / (9 * mean * mean);
  const q = 1 - h + Z99 * Math.sqrt(h);
  return mean * q * q * q;
}

/** Pearson's chi-squared test of homogeneity of a 2 x K table given as [baseline, current] cells. */
function chiSquared2xK(
  table: ReadonlyArray<readonly [number, number]>,
  nb: number,
  nc: number,
): { statistic: number; dof: number; pvalue: number } {
  const cells = table.filter(([b, c]) => b + c > 0);
  const dof = cells.length - 1;
  if (dof <= 0) return { statistic: 0, dof: 0, pvalue: 1 };
  const n = nb + nc;
  let statistic = 0;
  for (const [b, c] of cells) {
    const col = b + c;
    const eb = (nb * col) / n;
    const ec = (nc * col) / n;
    statistic += ((b - eb) * (b - eb)) / eb + ((c - ec) * (c - ec)) / ec;
  }
  return { statistic, dof, pvalue: chi2Sf(statistic, dof) };
}
