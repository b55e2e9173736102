/**
 * Deterministic samples shared with the Python vector scripts (scripts/vectors/stats_ks.py `generate`):
 * mulberry32 integers scaled by 2^-32, then only sums and shifts by dyadic numbers, so every value is
 * exact in float64 and numpy and V8 produce the same bits.
 */
export interface SampleSpec {
  seed: number;
  n: number;
  kind: 'uniform' | 'irwin4' | 'discrete';
  shift?: number;
  levels?: number;
}

/** A mulberry32 stream: uniforms in [0, 1) with 32 random bits each. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generate(spec: SampleSpec): Float64Array {
  const next = mulberry32(spec.seed);
  const out = new Float64Array(spec.n);
  const shift = spec.shift ?? 0;
  for (let i = 0; i < spec.n; i++) {
    let v: number;
    if (spec.kind === 'uniform') v = next();
    else if (spec.kind === 'irwin4') v = next() + next() + next() + next();
    else v = Math.floor(next() * (spec.levels ?? 2));
    out[i] = v + shift;
  }
  return out;
}

/** A normal deviate from a uniform stream (Box-Muller); for tests that do not compare with Python. */
export function normal(next: () => number): number {
  const u = 1 - next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}
