/**
 * A source of uniform random numbers in [0, 1), like `Math.random`. Sketches that compact at random
 * (KLL) take one so that tests and vector scripts can be made reproducible with {@link seededRandom}.
 */
export type RandomSource = () => number;

/**
 * A small, fast seeded generator (mulberry32: 32 bits of state, full period 2^32). Good enough for
 * the one random bit a KLL compaction needs; not for cryptography. The same seed gives the same
 * sequence on every platform.
 */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
