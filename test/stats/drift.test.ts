import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  driftEvidence,
  driftVerdict,
  driftVerdicts,
  ks2samp,
  ks2sampSorted,
  ksSummaries,
  KLL_K200_RANK_ERROR,
  sampleSummary,
  weightedSummary,
  type CdfSummary,
} from '../../src/stats/index.js';
import { kstwoSf } from '../../src/stats/kolmogorov.js';
import { isRootlineError } from '../../src/errors/index.js';
import { mulberry32, normal } from './prng.js';

type Family = 'uniform' | 'normal' | 'exponential' | 'lognormal' | 'discrete';
/** Location shift giving a true KS distance of 0.2 between a family and its shifted copy. */
const SHIFT_FOR_D02: Record<Exclude<Family, 'lognormal' | 'discrete'>, number> = {
  uniform: 0.2, // U(0,1) vs U(0.2,1.2)
  normal: 0.5066942062715994, // 2 * Phi^-1(0.6)
  exponential: 0.2231435513142097, // -ln(0.8): sup at x = c, 1 - e^-c
};

function draw(family: Family, n: number, seed: number, shift = 0): Float64Array {
  const next = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    if (family === 'uniform') v = next();
    else if (family === 'normal') v = normal(next);
    else if (family === 'exponential') v = -Math.log(1 - next());
    else if (family === 'lognormal') v = Math.exp(2 * normal(next));
    else v = Math.floor(next() * 6);
    out[i] = v + shift;
  }
  return out;
}

type Noise = 'subsample' | 'up' | 'down' | 'jitter';

/**
 * A stand-in for a quantile sketch of `values`: a weighted summary whose cdf differs from the sample's by
 * at most `eps` everywhere, built by moving every value's rank by at most eps * n ('up' / 'down' shift all
 * ranks one way, the worst case for a KS distance; 'jitter' moves each at random) or by keeping one
 * random value per block of eps * n ranks with the block's size as weight ('subsample', how KLL compacts).
 */
function simulatedSketch(values: Float64Array, eps: number, noise: Noise, seed: number): CdfSummary {
  const v = Float64Array.from(values).sort();
  const n = v.length;
  const s = Math.floor(eps * n);
  const next = mulberry32(seed);
  if (noise === 'subsample') {
    const w = Math.max(1, s);
    const items: number[] = [];
    const weights: number[] = [];
    for (let start = 0; start < n; start += w) {
      const size = Math.min(w, n - start);
      items.push(v[start + Math.floor(next() * size)]!);
      weights.push(size);
    }
    return weightedSummary(items, weights, eps);
  }
  const items = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const j = noise === 'up' ? i - s : noise === 'down' ? i + s : i + Math.round((2 * next() - 1) * s);
    items[i] = v[Math.min(n - 1, Math.max(0, j))]!;
  }
  return weightedSummary(items, new Float64Array(n).fill(1), eps);
}

const families: Family[] = ['uniform', 'normal', 'exponential', 'lognormal', 'discrete'];
const noises: Noise[] = ['subsample', 'up', 'down', 'jitter'];

describe('summaries', () => {
  it('ksSummaries of two raw samples equals the ks2samp statistic bit for bit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -30, max: 30 }), { minLength: 1, maxLength: 80 }),
        fc.array(fc.double({ min: -30, max: 30, noNaN: true }), { minLength: 1, maxLength: 80 }),
        (x, y) => {
          const r = ksSummaries(sampleSummary(x), sampleSummary(y));
          expect(r.d).toBe(ks2samp(x, y, { method: 'asymp' }).statistic);
          expect(r.n1).toBe(x.length);
          expect(r.rankErrorA).toBe(0);
        },
      ),
      { numRuns: 300, seed: 3 },
    );
  });

  it('weightedSummary merges duplicates, sorts, and weights the cdf', () => {
    const s = weightedSummary([3, 1, 3, 2], [1, 2, 3, 4], 0.01);
    expect(s.n).toBe(10);
    expect(Array.from(s.support())).toEqual([1, 2, 3]);
    expect(s.cdf(0.5)).toBe(0);
    expect(s.cdf(1)).toBe(0.2);
    expect(s.cdf(2.5)).toBe(0.6);
    expect(s.cdf(3)).toBe(1);
    expect(s.rankError).toBe(0.01);
  });

  it('sampleSummary counts values <= x and drops NaN', () => {
    const s = sampleSummary([2, NaN, 1, 2, 5]);
    expect(s.n).toBe(4);
    expect(Array.from(s.support())).toEqual([1, 2, 5]);
    expect(s.cdf(2)).toBe(0.75);
    expect(s.cdf(4.9)).toBe(0.75);
  });

  it('rejects malformed inputs', () => {
    expect(() => sampleSummary([NaN])).toThrow(/no non-NaN/);
    expect(() => weightedSummary([1, 2], [1], 0)).toThrow(/differ in length/);
    expect(() => weightedSummary([1], [0], 0)).toThrow(/positive/);
    expect(() => weightedSummary([NaN], [1], 0)).toThrow(/NaN/);
    expect(() => weightedSummary([1], [1], 1)).toThrow(/rankError/);
    expect(() => weightedSummary([], [], 0)).toThrow(/no item/);
  });

  it('the simulated sketches stay within their claimed rank error', () => {
    for (const noise of noises) {
      const x = draw('lognormal', 5000, 17);
      const sk = simulatedSketch(x, KLL_K200_RANK_ERROR, noise, 23);
      expect(sk.n).toBe(5000);
      expect(ksSummaries(sampleSummary(x), sk).d).toBeLessThanOrEqual(KLL_K200_RANK_ERROR + 1e-12);
    }
  });
});

describe('drift decision with both sketches’ rank error', () => {
  it('two sketches of the same distribution never give a drift verdict, whatever the sketch noise', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...families),
        fc.integer({ min: 2000, max: 40000 }),
        fc.integer({ min: 2000, max: 40000 }),
        fc.constantFrom(...noises),
        fc.constantFrom(...noises),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (family, n1, n2, noiseA, noiseB, seed) => {
          const eps = KLL_K200_RANK_ERROR;
          const a = simulatedSketch(draw(family, n1, seed), eps, noiseA, seed + 1);
          const b = simulatedSketch(draw(family, n2, seed + 2), eps, noiseB, seed + 3);
          const r = ksSummaries(a, b);
          const v = driftVerdict(r);
          expect(v.drift).toBe(false);
          expect(v.dLow).toBeLessThanOrEqual(Math.max(0, r.d - 2 * eps) + 1e-15);
        },
      ),
      { numRuns: 60, seed: 20261121 },
    );
  });

  it('without the rank-error correction the same sketch noise would read as drift', () => {
    // Worst-case noise: one sketch's ranks all moved up, the other's down, on a clearly-sized sample.
    const eps = 0.06;
    const a = simulatedSketch(draw('normal', 20000, 5), eps, 'up', 6);
    const b = simulatedSketch(draw('normal', 20000, 7), eps, 'down', 8);
    const r = ksSummaries(a, b);
    expect(r.d).toBeGreaterThan(0.1);
    expect(driftVerdict({ ...r, rankErrorA: 0, rankErrorB: 0 }).drift).toBe(true);
    expect(driftVerdict(r).drift).toBe(false);
  });

  it('a shift with true D = 0.2 gives a drift verdict, even under adversarial sketch noise', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('uniform', 'normal', 'exponential' as const),
        fc.integer({ min: 20000, max: 60000 }),
        fc.integer({ min: 20000, max: 60000 }),
        fc.constantFrom(...noises),
        fc.constantFrom(...noises),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (family, n1, n2, noiseA, noiseB, seed) => {
          const eps = KLL_K200_RANK_ERROR;
          const x = draw(family, n1, seed);
          const y = draw(family, n2, seed + 2, SHIFT_FOR_D02[family]);
          const a = simulatedSketch(x, eps, noiseA, seed + 1);
          const b = simulatedSketch(y, eps, noiseB, seed + 3);
          const v = driftVerdict(ksSummaries(a, b));
          expect(v.drift).toBe(true);
          expect(v.reason).toBe('drift');
        },
      ),
      { numRuns: 40, seed: 42 },
    );
  });

  it('is detected on raw samples too (rank error 0)', () => {
    const x = draw('normal', 3000, 101);
    const y = draw('normal', 3000, 102, SHIFT_FOR_D02.normal);
    const v = driftVerdict(ksSummaries(sampleSummary(x), sampleSummary(y)));
    expect(v.drift).toBe(true);
    expect(v.pvalue).toBeLessThan(1e-20);
  });
});

describe('driftVerdict', () => {
  it('computes dLow, the effective size, the asymptotic p-value and the 99% lower bound of the effect', () => {
    const v = driftVerdict({ d: 0.2, n1: 1000, n2: 4000, rankErrorA: 0.0165, rankErrorB: 0.0165 });
    expect(v.dLow).toBeCloseTo(0.167, 15);
    expect(v.effectiveN).toBe(800);
    expect(v.pvalue).toBe(kstwoSf(v.dLow, 800));
    // scipy.stats.kstwo.isf(0.01, 800) = 0.05733...
    expect(v.samplingError).toBeCloseTo(0.0573, 4);
    expect(v.effect).toBeCloseTo(0.167 - v.samplingError, 15);
    expect(v.drift).toBe(true);
    expect(v.effectFloor).toBe(0.1);
    expect(v.alpha).toBe(0.05);
  });

  it('says why it is not drift', () => {
    expect(driftVerdict({ d: 0.12, n1: 1e6, n2: 1e6, rankErrorA: 0.0165, rankErrorB: 0.0165 }).reason).toBe(
      'below-effect-floor',
    );
    // A large distance on a handful of values is not significant (judged with no floor) ...
    const small = driftVerdict({ d: 0.4, n1: 8, n2: 8, effectFloor: 0 });
    expect(small.reason).toBe('below-effect-floor');
    expect(driftVerdict({ d: 0.4, n1: 8, n2: 8, effectFloor: 0, confidence: 0.01 }).reason).toBe('not-significant');
    expect(small.pvalue).toBeGreaterThan(0.05);
    // ... and its lower bound is 0: D = 0.4 at n = 4 is within the sampling error.
    expect(small.effect).toBe(0);
    // D = 0.15 at n = 150 each clears the 0.1 floor as a point estimate, not as a 99% lower bound.
    const chance = driftVerdict({ d: 0.15, n1: 300, n2: 300 });
    expect(chance.dLow).toBeGreaterThan(0.1);
    expect(chance.reason).toBe('below-effect-floor');
    expect(driftVerdict({ d: 0.3, n1: 200, n2: 200, effectFloor: 0.35 }).reason).toBe('below-effect-floor');
  });

  it('dLow never goes below 0 and then the p-value is 1', () => {
    const e = driftEvidence({ d: 0.02, n1: 100, n2: 100, rankErrorA: 0.0165, rankErrorB: 0.0165 });
    expect(e.dLow).toBe(0);
    expect(e.pvalue).toBe(1);
  });

  it('rejects invalid input', () => {
    for (const bad of [
      { d: 1.2, n1: 1, n2: 1 },
      { d: 0.2, n1: 0, n2: 10 },
      { d: 0.2, n1: 10, n2: 10, rankErrorA: -0.1 },
      { d: 0.2, n1: 10, n2: 10, effectFloor: 1 },
      { d: 0.2, n1: 10, n2: 10, alpha: 2 },
    ]) {
      try {
        driftVerdict(bad);
        expect.unreachable();
      } catch (err) {
        expect(isRootlineError(err, 'INVALID_ARGUMENT')).toBe(true);
      }
    }
  });

  it('driftVerdicts controls the false discovery rate across columns', () => {
    // d = 0.125 at n = 300 each: p ~ 0.015 alone, but not after BH over 20 mostly-null columns.
    // (With the floor at 0 and a 1% lower bound so that only the p-value decides.)
    const borderline = { d: 0.125, n1: 300, n2: 300, effectFloor: 0, confidence: 0.01 };
    const nulls = Array.from({ length: 19 }, () => ({ d: 0.05, n1: 300, n2: 300 }));
    expect(driftVerdict(borderline).drift).toBe(true);
    const family = driftVerdicts([borderline, ...nulls]);
    expect(family[0]!.pvalue).toBe(driftVerdict(borderline).pvalue);
    expect(family[0]!.decisionPvalue).toBeGreaterThan(0.05);
    expect(family[0]!.drift).toBe(false);
    expect(family[0]!.reason).toBe('not-significant');
    // A strong drift survives the correction.
    const strong = driftVerdicts([{ d: 0.3, n1: 300, n2: 300 }, ...nulls.map((x) => ({ ...x, effectFloor: 0 }))]);
    expect(strong[0]!.drift).toBe(true);
    expect(strong.slice(1).every((v) => !v.drift)).toBe(true);
  });
});

describe('drift at small samples: the effect is judged on its lower confidence bound', () => {
  // A baseline of 20 healthy runs of ~300 values each, as the monitor's sample baselines hold.
  const rnd = mulberry32(20261203);
  const gauss = (): number => {
    const u = Math.max(rnd(), 1e-300);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
  };
  const baseline = Float64Array.from({ length: 6000 }, gauss).sort();
  const ksD = (x: Float64Array): number => ks2sampSorted(x.sort(), baseline, 'asymp').statistic;

  it('10,000 healthy column-runs of 200-500 values give no drift verdict', () => {
    let verdicts = 0;
    let pointEstimateOverFloor = 0;
    for (let run = 0; run < 10_000; run++) {
      const n = 200 + Math.floor(rnd() * 301);
      const d = ksD(Float64Array.from({ length: n }, gauss));
      const v = driftVerdict({ d, n1: n, n2: baseline.length });
      if (v.drift) verdicts++;
      if (v.dLow > 0.1 && v.pvalue <= 0.05) pointEstimateOverFloor++;
    }
    expect(verdicts).toBe(0);
    // The old rule (point estimate over the floor) would have raised dozens of false verdicts here.
    expect(pointEstimateOverFloor).toBeGreaterThan(5);
  });

  it('a real shift of 0.3 in D is still caught at n = 300', () => {
    // Normal(0.7706, 1) vs Normal(0, 1): the populations' KS distance is 2 Phi(0.3853) - 1 = 0.300.
    let caught = 0;
    for (let run = 0; run < 500; run++) {
      const d = ksD(Float64Array.from({ length: 300 }, () => gauss() + 0.7706));
      if (driftVerdict({ d, n1: 300, n2: baseline.length }).drift) caught++;
    }
    expect(caught).toBe(500);
  });
});
