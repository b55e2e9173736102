import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kstwoIsf, kstwoSf, matmulInto, smirnovSf } from '../../src/stats/kolmogorov.js';
import { mulberry32 } from './prng.js';

interface Point {
  n: number;
  x: number;
  sf: number;
}
const vectors = JSON.parse(readFileSync(new URL('../vectors/stats/kstwo.json', import.meta.url), 'utf8')) as {
  kstwo: Point[];
  smirnov: Point[];
  isf: { n: number; p: number; x: number }[];
  kolmogi: { p: number; x: number }[];
};

describe('kstwoIsf vs scipy.stats.kstwo.isf (test/vectors/stats/kstwo.json)', () => {
  it('inverts the exact distribution up to n = 1000 (to the precision scipy reaches, and better)', () => {
    const exact = vectors.isf.filter((v) => v.n <= 1000);
    expect(exact.length).toBeGreaterThan(40);
    for (const v of exact) {
      const got = kstwoIsf(v.p, v.n);
      // scipy's own inversion stops at ~1e-7 (its sf at its isf is off by up to 4e-5 relative); ours is exact.
      expect(Math.abs(got - v.x)).toBeLessThan(1e-6);
      expect(Math.abs(kstwoSf(got, v.n) - v.p)).toBeLessThan(1e-9 * v.p + 1e-12);
    }
  });

  it('uses the Kolmogorov limit above n = 1000: within 1% of scipy and never below it (conservative)', () => {
    const large = vectors.isf.filter((v) => v.n > 1000);
    expect(large.length).toBeGreaterThan(8);
    for (const v of large) {
      const got = kstwoIsf(v.p, v.n);
      expect(got).toBeGreaterThanOrEqual(v.x);
      expect(got / v.x - 1).toBeLessThan(0.01);
    }
    for (const k of vectors.kolmogi) expect(kstwoIsf(k.p, 1e8) * 1e4).toBeCloseTo(k.x, 10);
  });

  it('is NaN outside its domain', () => {
    for (const [p, n] of [
      [0, 10],
      [1, 10],
      [0.01, 0],
      [0.01, 2.5],
      [NaN, 3],
    ] as const)
      expect(kstwoIsf(p, n)).toBeNaN();
  });
});

describe('kstwoSf vs scipy.stats.kstwo.sf (test/vectors/stats/kstwo.json)', () => {
  it('matches every grid point within 1e-9 absolute', () => {
    const bad: string[] = [];
    for (const p of vectors.kstwo) {
      const got = kstwoSf(p.x, p.n);
      if (!(Math.abs(got - p.sf) <= 1e-9)) bad.push(`n=${p.n} x=${p.x}: ${got} vs ${p.sf}`);
    }
    expect(vectors.kstwo.length).toBeGreaterThan(500);
    expect(bad).toEqual([]);
  });

  it('keeps 1e-6 relative accuracy in the tail', () => {
    const bad: string[] = [];
    for (const p of vectors.kstwo) {
      if (p.sf < 1e-300 || p.sf > 1e-3) continue;
      const got = kstwoSf(p.x, p.n);
      if (!(Math.abs(got - p.sf) / p.sf < 1e-6)) bad.push(`n=${p.n} x=${p.x}: ${got} vs ${p.sf}`);
    }
    expect(bad).toEqual([]);
  });

  it('handles the support ends and invalid n as scipy', () => {
    expect(kstwoSf(0, 10)).toBe(1);
    expect(kstwoSf(-1, 10)).toBe(1);
    expect(kstwoSf(1, 10)).toBe(0);
    expect(kstwoSf(0.3, 0)).toBeNaN();
    expect(kstwoSf(0.3, 2.5)).toBeNaN();
    expect(kstwoSf(NaN, 3)).toBeNaN();
  });
});

describe('smirnovSf vs scipy.special.smirnov', () => {
  it('matches within 1e-12 absolute and 1e-9 relative', () => {
    const bad: string[] = [];
    for (const p of vectors.smirnov) {
      const got = smirnovSf(p.n, p.x);
      const ok = Math.abs(got - p.sf) <= 1e-12 && (p.sf < 1e-300 || Math.abs(got - p.sf) / p.sf < 1e-9);
      if (!ok) bad.push(`n=${p.n} x=${p.x}: ${got} vs ${p.sf}`);
    }
    expect(bad).toEqual([]);
  });
});

describe('matmulInto: the DMTW matrix product, four rows at a time', () => {
  /** The plain triple loop: every entry summed over k in ascending order, zero a[i][k] left out. */
  function reference(a: Float64Array, b: Float64Array, m: number): Float64Array {
    const c = new Float64Array(m * m);
    for (let i = 0; i < m; i++)
      for (let k = 0; k < m; k++) {
        const aik = a[i * m + k]!;
        if (aik === 0) continue;
        for (let j = 0; j < m; j++) c[i * m + j]! += aik * b[k * m + j]!;
      }
    return c;
  }

  it('gives the same doubles as the plain triple loop (odd and even sizes, zeros, wide exponents)', () => {
    const rng = mulberry32(7);
    for (const m of [1, 2, 3, 4, 5, 6, 7, 8, 17, 41, 64]) {
      for (let round = 0; round < 3; round++) {
        const entry = () => (rng() < 0.3 ? 0 : (rng() - 0.3) * 2 ** Math.floor(rng() * 120 - 60));
        const a = Float64Array.from({ length: m * m }, entry);
        const b = Float64Array.from({ length: m * m }, entry);
        // stale values in the output are overwritten
        const out = new Float64Array(m * m).fill(5);
        const got = matmulInto(a, b, m, out);
        expect(got).toBe(out);
        const want = reference(a, b, m);
        for (let i = 0; i < m * m; i++) expect(Object.is(got[i], want[i])).toBe(true);
      }
    }
  });
});
