import { RootlineError } from '../errors/index.js';
import { benjaminiHochberg, DEFAULT_FDR_Q } from './fdr.js';
import { kstwoIsf, kstwoSf } from './kolmogorov.js';
import { roundHalfEven, sortedWithoutNaN, type NumericSample } from './ks.js';

/**
 * A one-dimensional distribution known through its cumulative distribution function: a raw sample, or a
 * quantile sketch (KLL) whose retained items carry weights. The sketch module provides its own
 * implementation; {@link sampleSummary} and {@link weightedSummary} are the generic ones.
 */
export interface CdfSummary {
  /** Number of values summarized (a sketch's stream count, not its retained items). */
  readonly n: number;
  /**
   * Bound on |cdf(x) - (fraction of the summarized values <= x)| over all x, as a fraction of n
   * (0 for an exact summary; a KLL sketch's normalized rank error, ~0.0165 for k = 200).
   */
  readonly rankError: number;
  /** Fraction of the values <= x (right-continuous, non-decreasing, 0 .. 1). */
  cdf(x: number): number;
  /** The sorted, distinct points where `cdf` may jump. */
  support(): Float64Array;
}

/** Normalized rank error of a KLL sketch with k = 200 (DataSketches' double-sided bound, ~99% confidence). */
export const KLL_K200_RANK_ERROR = 0.0165;
/** Default smallest KS distance that counts as drift. */
export const DEFAULT_EFFECT_FLOOR = 0.1;
/**
 * Default confidence of the effect's lower bound: the KS sampling error subtracted from D is the 99%
 * critical value of the Kolmogorov distribution at the effective size (the sketches' rank-error bound
 * is a 99% bound too).
 */
export const DEFAULT_DRIFT_CONFIDENCE = 0.99;
/** Default significance level of a single drift test. */
export const DEFAULT_DRIFT_ALPHA = 0.05;

/** Index of the first element > x in a sorted array (count of elements <= x). */
function upperBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function distinct(sorted: Float64Array): Float64Array {
  if (sorted.length === 0) return sorted;
  const out = new Float64Array(sorted.length);
  let k = 0;
  out[k++] = sorted[0]!;
  for (let i = 1; i < sorted.length; i++) if (sorted[i]! !== out[k - 1]!) out[k++] = sorted[i]!;
  return out.slice(0, k);
}

/**
 * Exact summary of a raw sample (rank error 0). NaN values are dropped; throws
 * RootlineError('INVALID_ARGUMENT') when none is left.
 */
export function sampleSummary(values: NumericSample): CdfSummary {
  const sorted = sortedWithoutNaN(values);
  const n = sorted.length;
  if (n === 0) throw new RootlineError('INVALID_ARGUMENT', 'sampleSummary: the sample has no non-NaN value');
  let support: Float64Array | undefined;
  return {
    n,
    rankError: 0,
    cdf: (x: number) => upperBound(sorted, x) / n,
    support: () => (support ??= distinct(sorted)),
  };
}

/**
 * Summary from weighted items, e.g. a KLL sketch's retained items and their weights (any order;
 * duplicates are merged). `n` is the sum of the weights; `rankError` is the source's normalized rank
 * error in [0, 1). Throws RootlineError('INVALID_ARGUMENT') for mismatched lengths, a NaN item, a
 * non-positive or non-finite weight, or no item.
 */
export function weightedSummary(items: ArrayLike<number>, weights: ArrayLike<number>, rankError: number): CdfSummary {
  if (items.length !== weights.length) {
    throw new RootlineError('INVALID_ARGUMENT', 'weightedSummary: items and weights differ in length', {
      details: { items: items.length, weights: weights.length },
    });
  }
  if (items.length === 0) throw new RootlineError('INVALID_ARGUMENT', 'weightedSummary: no item');
  if (!(rankError >= 0 && rankError < 1)) {
    throw new RootlineError('INVALID_ARGUMENT', `weightedSummary: rankError must be in [0, 1), got ${rankError}`);
  }
  const m = items.length;
  const idx = new Uint32Array(m);
  for (let i = 0; i < m; i++) {
    const v = items[i]!;
    const w = weights[i]!;
    if (Number.isNaN(v)) throw new RootlineError('INVALID_ARGUMENT', `weightedSummary: item ${i} is NaN`);
    if (!(w > 0 && Number.isFinite(w))) {
      throw new RootlineError('INVALID_ARGUMENT', `weightedSummary: weight ${i} must be positive and finite`);
    }
    idx[i] = i;
  }
  idx.sort((i, j) => items[i]! - items[j]! || 0);
  const points = new Float64Array(m);
  const cum = new Float64Array(m);
  let k = 0;
  let total = 0;
  for (let r = 0; r < m; r++) {
    const i = idx[r]!;
    const v = items[i]!;
    total += weights[i]!;
    if (k > 0 && points[k - 1] === v) {
      cum[k - 1] = total;
    } else {
      points[k] = v;
      cum[k] = total;
      k++;
    }
  }
  const support = points.slice(0, k);
  const cumulative = cum.slice(0, k);
  return {
    n: total,
    rankError,
    cdf: (x: number) => {
      const j = upperBound(support, x);
      return j === 0 ? 0 : cumulative[j - 1]! / total;
    },
    support: () => support,
  };
}

export interface KsSummariesResult {
  /** sup_x |A.cdf(x) - B.cdf(x)| over the union of both supports. */
  d: number;
  /** A point where the supremum is reached. */
  location: number;
  n1: number;
  n2: number;
  rankErrorA: number;
  rankErrorB: number;
}

/**
 * Two-sample KS distance between two summaries. Both cdfs are step functions that jump only at their
 * support points, so the supremum is reached at one of them. For two {@link sampleSummary} inputs `d`
 * equals `ks2samp(x, y).statistic` bit for bit. The result spreads into {@link driftVerdict}.
 */
export function ksSummaries(a: CdfSummary, b: CdfSummary): KsSummariesResult {
  const sa = a.support();
  const sb = b.support();
  let i = 0;
  let j = 0;
  let d = -1;
  let location = NaN;
  while (i < sa.length || j < sb.length) {
    let t: number;
    if (j >= sb.length || (i < sa.length && sa[i]! <= sb[j]!)) t = sa[i]!;
    else t = sb[j]!;
    while (i < sa.length && sa[i]! <= t) i++;
    while (j < sb.length && sb[j]! <= t) j++;
    const diff = Math.abs(a.cdf(t) - b.cdf(t));
    if (diff > d) {
      d = diff;
      location = t;
    }
  }
  return { d: Math.max(d, 0), location, n1: a.n, n2: b.n, rankErrorA: a.rankError, rankErrorB: b.rankError };
}

export interface DriftInput {
  /** Observed KS distance between the two summaries. */
  d: number;
  /** Values summarized on each side (stream counts for sketches). */
  n1: number;
  n2: number;
  /** Normalized rank error of each side; 0 (default) for raw samples. */
  rankErrorA?: number;
  rankErrorB?: number;
  /** Smallest distance, after removing the sketches' error, that counts as drift. Default 0.1. */
  effectFloor?: number;
  /** Significance level for {@link driftVerdict} (ignored by {@link driftVerdicts}). Default 0.05. */
  alpha?: number;
  /** Confidence of the effect's lower bound (the sampling error subtracted from dLow). Default 0.99. */
  confidence?: number;
}

/** The evidence of one comparison, before any decision. */
export interface DriftEvidence {
  /** max(0, d - rankErrorA - rankErrorB): the distance between the summarized samples, at worst. */
  dLow: number;
  /** round(n1 n2 / (n1 + n2)), the sample size of the asymptotic KS distribution. */
  effectiveN: number;
  /** Pr(D >= dLow) under "same distribution", asymptotic (as ks_2samp's 'asymp'); conservative. */
  pvalue: number;
  /** The KS critical value at `confidence` for the effective size: D this large happens by chance alone. */
  samplingError: number;
  /**
   * max(0, dLow - samplingError): a lower confidence bound on the distance between the underlying
   * distributions. THE effect compared with the floor.
   */
  effect: number;
}

export interface DriftVerdict extends DriftEvidence {
  /** True when both the effect (its lower confidence bound) and its significance clear their thresholds. */
  drift: boolean;
  /** Why: 'drift', or the first test that failed. */
  reason: 'drift' | 'below-effect-floor' | 'not-significant';
  /** The p-value the decision used: `pvalue` alone, or BH-adjusted in {@link driftVerdicts}. */
  decisionPvalue: number;
  effectFloor: number;
  /** The level `decisionPvalue` was compared with (alpha, or the FDR q). */
  alpha: number;
}

/**
 * dLow, effective size, p-value and the effect's lower confidence bound for one comparison, without a
 * decision. The bound subtracts both the sketches' rank error and the sampling error (kstwo.isf at
 * 1 - confidence for the effective size), so a few hundred values cannot clear a 0.1 floor by chance.
 */
export function driftEvidence(input: DriftInput): DriftEvidence {
  const { d, n1, n2 } = input;
  const ea = input.rankErrorA ?? 0;
  const eb = input.rankErrorB ?? 0;
  if (!(d >= 0 && d <= 1)) throw new RootlineError('INVALID_ARGUMENT', `drift: d must be in [0, 1], got ${d}`);
  if (!(n1 > 0 && n2 > 0 && Number.isFinite(n1) && Number.isFinite(n2))) {
    throw new RootlineError('INVALID_ARGUMENT', 'drift: n1 and n2 must be positive', { details: { n1, n2 } });
  }
  if (!(ea >= 0 && ea < 1 && eb >= 0 && eb < 1)) {
    throw new RootlineError('INVALID_ARGUMENT', 'drift: rank errors must be in [0, 1)', { details: { ea, eb } });
  }
  const dLow = Math.max(0, d - ea - eb);
  // At least 1: two single values still make a (hopeless) test, where scipy's rounding would give n = 0.
  const effectiveN = Math.max(1, roundHalfEven((n1 * n2) / (n1 + n2)));
  const pvalue = dLow === 0 ? 1 : kstwoSf(dLow, effectiveN);
  const confidence = input.confidence ?? DEFAULT_DRIFT_CONFIDENCE;
  if (!(confidence > 0 && confidence < 1)) {
    throw new RootlineError('INVALID_ARGUMENT', `drift: confidence must be in (0, 1), got ${confidence}`);
  }
  const samplingError = kstwoIsf(1 - confidence, effectiveN);
  return { dLow, effectiveN, pvalue, samplingError, effect: Math.max(0, dLow - samplingError) };
}

function decide(input: DriftInput, ev: DriftEvidence, decisionPvalue: number, alpha: number): DriftVerdict {
  const effectFloor = input.effectFloor ?? DEFAULT_EFFECT_FLOOR;
  if (!(effectFloor >= 0 && effectFloor < 1)) {
    throw new RootlineError('INVALID_ARGUMENT', `drift: effectFloor must be in [0, 1), got ${effectFloor}`);
  }
  let reason: DriftVerdict['reason'] = 'drift';
  if (!(ev.effect > effectFloor)) reason = 'below-effect-floor';
  else if (!(decisionPvalue <= alpha)) reason = 'not-significant';
  return { drift: reason === 'drift', reason, ...ev, decisionPvalue, effectFloor, alpha };
}

/**
 * Drift decision for one column: drift iff the effect's lower bound, dLow = max(0, d - rankErrorA -
 * rankErrorB) minus the KS sampling error at `confidence` (default 0.99), exceeds effectFloor (default
 * 0.1) AND the asymptotic KS p-value of dLow at the effective size is <= alpha (default 0.05). Neither
 * the sketches' own noise nor the sampling noise of small samples can be read as drift; see
 * docs/statistics.md. For several columns of one run use {@link driftVerdicts}.
 */
export function driftVerdict(input: DriftInput): DriftVerdict {
  const alpha = input.alpha ?? DEFAULT_DRIFT_ALPHA;
  if (!(alpha >= 0 && alpha <= 1))
    throw new RootlineError('INVALID_ARGUMENT', `drift: alpha must be in [0, 1], got ${alpha}`);
  const ev = driftEvidence(input);
  return decide(input, ev, ev.pvalue, alpha);
}

export interface DriftVerdictsOptions {
  /** False discovery rate across the family (Benjamini-Hochberg). Default 0.05. */
  q?: number;
}

/**
 * Drift decisions for a family of comparisons (e.g. all numeric columns of one run): as
 * {@link driftVerdict}, but the p-values are Benjamini-Hochberg adjusted across the family and compared
 * with `q`, so the expected share of false drift verdicts among all verdicts stays at most q.
 */
export function driftVerdicts(inputs: readonly DriftInput[], options: DriftVerdictsOptions = {}): DriftVerdict[] {
  const q = options.q ?? DEFAULT_FDR_Q;
  const evidence = inputs.map((i) => driftEvidence(i));
  const { adjusted } = benjaminiHochberg(
    evidence.map((e) => e.pvalue),
    q,
  );
  return inputs.map((input, k) => decide(input, evidence[k]!, adjusted[k]!, q));
}
