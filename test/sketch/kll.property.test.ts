// Property tests of the KLL sketch. Every random choice (data, merge order, compaction bits) comes from
// fixed seeds, so each run checks the same cases; the bounds are stated so that they hold with a wide
// margin for the sketch's documented error, not tuned to these seeds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KllDoublesSketch, seededRandom } from '../../src/sketch/index.js';

/** Exact inclusive normalized rank of q in sorted data: fraction of values <= q. */
function exactRank(sorted: Float64Array, q: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= q) lo = mid + 1;
    else hi = mid;
  }
  return lo / sorted.length;
}

const part = fc.record({
  k: fc.constantFrom(8, 20, 200),
  seed: fc.integer(),
  data: fc.array(fc.double(), { maxLength: 3000 }),
});

describe('KLL merge is order-independent', () => {
  it('n, min and max are exact and ranks agree within 2x the rank error, whatever the order', () => {
    fc.assert(
      fc.property(
        fc.array(part, { minLength: 1, maxLength: 6 }).chain((parts) =>
          fc.tuple(
            fc.constant(parts),
            fc.shuffledSubarray(
              parts.map((_, i) => i),
              { minLength: parts.length, maxLength: parts.length },
            ),
          ),
        ),
        ([parts, order]) => {
          const sketches = parts.map((p) => {
            const s = new KllDoublesSketch(p.k, { random: seededRandom(p.seed) });
            s.updateMany(p.data);
            return s;
          });
          const mergeInOrder = (indices: readonly number[], seed: number): KllDoublesSketch => {
            const target = new KllDoublesSketch(200, { random: seededRandom(seed) });
            for (const i of indices) target.merge(sketches[i]!);
            return target;
          };
          const forward = mergeInOrder(
            parts.map((_, i) => i),
            1,
          );
          const shuffled = mergeInOrder(order, 2);
          const backward = mergeInOrder([...order].reverse(), 3);

          const all = Float64Array.from(parts.flatMap((p) => p.data).filter((x) => !Number.isNaN(x))).sort();
          for (const s of [forward, shuffled, backward]) {
            expect(s.n).toBe(all.length);
            if (all.length === 0) {
              expect(s.isEmpty).toBe(true);
              continue;
            }
            // == rather than Object.is: with both -0 and +0 seen, which one is "min" depends on order
            expect(s.min === all[0]).toBe(true);
            expect(s.max === all[all.length - 1]).toBe(true);
          }
          if (all.length === 0) return;
          expect(shuffled.minK).toBe(forward.minK);
          const eps = forward.normalizedRankError(false);
          const step = Math.max(1, Math.floor(all.length / 50));
          for (let i = 0; i < all.length; i += step) {
            const q = all[i]!;
            const ranks = [forward, shuffled, backward].map((s) => s.getRank(q));
            expect(Math.max(...ranks) - Math.min(...ranks)).toBeLessThanOrEqual(2 * eps);
            const exact = exactRank(all, q);
            for (const r of ranks) expect(Math.abs(r - exact)).toBeLessThanOrEqual(2 * eps);
          }
        },
      ),
      { seed: 20261121, numRuns: 150 },
    );
  });
});

type Distribution = 'uniform' | 'normal' | 'lognormal' | 'duplicates' | 'sorted' | 'reversed' | 'bimodal';

function generate(dist: Distribution, n: number, seed: number): Float64Array {
  const rnd = seededRandom(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    switch (dist) {
      case 'uniform':
        out[i] = rnd();
        break;
      case 'normal':
        out[i] = normal();
        break;
      case 'lognormal':
        out[i] = Math.exp(2 * normal());
        break;
      case 'duplicates':
        out[i] = Math.floor(rnd() * 50);
        break;
      case 'sorted':
        out[i] = i;
        break;
      case 'reversed':
        out[i] = n - i;
        break;
      case 'bimodal':
        out[i] = rnd() < 0.3 ? normal() - 10 : normal() + 10;
        break;
    }
  }
  return out;
}

describe('KLL rank error stays within the DataSketches bound', () => {
  // normalizedRankError(false) is DataSketches' fit to the 99th percentile of the *maximum* rank error
  // over all queries of one sketch. So, per sketch, P(max error > eps) is about 1%. Over 120 independent
  // sketches (fixed seeds) we require: at most 5% of sketches exceed eps anywhere (a binomial(120, 0.01)
  // count reaches 6 with probability about 0.05%), at most 1% of all queries exceed eps, and no query
  // is off by more than 2 eps.
  it('holds for the vast majority of sketches and queries', () => {
    const scenarios = fc.sample(
      fc.record({
        dist: fc.constantFrom<Distribution>(
          'uniform',
          'normal',
          'lognormal',
          'duplicates',
          'sorted',
          'reversed',
          'bimodal',
        ),
        n: fc.integer({ min: 5_000, max: 40_000 }),
        k: fc.constantFrom(50, 100, 200),
        seed: fc.integer(),
      }),
      { seed: 42, numRuns: 120 },
    );
    let sketchesOver = 0;
    let queriesOver = 0;
    let queries = 0;
    let worstRatio = 0;
    for (const sc of scenarios) {
      const data = generate(sc.dist, sc.n, sc.seed);
      const sketch = new KllDoublesSketch(sc.k, { random: seededRandom(sc.seed ^ 0x5bd1e995) });
      sketch.updateMany(data);
      expect(sketch.isEstimationMode).toBe(true);
      const sorted = data.slice().sort();
      const eps = sketch.normalizedRankError(false);
      let maxError = 0;
      for (let j = 0; j <= 200; j++) {
        const q = sorted[Math.min(sorted.length - 1, Math.floor((j / 200) * sorted.length))]!;
        const error = Math.abs(sketch.getRank(q) - exactRank(sorted, q));
        maxError = Math.max(maxError, error);
        queries++;
        if (error > eps) queriesOver++;
      }
      if (maxError > eps) sketchesOver++;
      worstRatio = Math.max(worstRatio, maxError / eps);
    }
    const sketchRate = sketchesOver / scenarios.length;
    const queryRate = queriesOver / queries;
    expect(
      sketchRate,
      `sketches whose max rank error exceeds eps: ${(100 * sketchRate).toFixed(1)}%`,
    ).toBeLessThanOrEqual(0.05);
    expect(queryRate, `queries whose rank error exceeds eps: ${(100 * queryRate).toFixed(2)}%`).toBeLessThanOrEqual(
      0.01,
    );
    expect(worstRatio, 'worst error / eps').toBeLessThanOrEqual(2);
  });
});
