import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { betainc, fSf, normalSf, tIsf } from '../../src/stats/index.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/stats/fdist.json', import.meta.url), 'utf8')) as {
  f: { d1: number; d2: number; f: number; sf: number }[];
  betainc: { a: number; b: number; x: number; i: number }[];
};

/** Relative error above 1e-300, absolute below. */
const err = (got: number, want: number): number =>
  Math.abs(want) > 1e-300 ? Math.abs(got - want) / Math.abs(want) : Math.abs(got - want);

describe('the F distribution and betainc vs scipy (test/vectors/stats/fdist.json)', () => {
  it('fSf is within 1e-10 relative of scipy.stats.f.sf on every grid point, far tails included', () => {
    expect(vectors.f.length).toBeGreaterThan(1000);
    const bad = vectors.f
      .map((p) => ({ ...p, got: fSf(p.f, p.d1, p.d2) }))
      .filter((p) => !(err(p.got, p.sf) <= 1e-10))
      .map((p) => `F(${p.d1}, ${p.d2}) at ${p.f}: ${p.got} vs ${p.sf}`);
    expect(bad).toEqual([]);
  });

  it('betainc is within 1e-10 of scipy.special.betainc (relative; absolute for values within 1e-10 of 1)', () => {
    expect(vectors.betainc.length).toBeGreaterThan(400);
    const bad = vectors.betainc
      .map((p) => ({ ...p, got: betainc(p.a, p.b, p.x) }))
      .filter((p) => !(err(p.got, p.i) <= 1e-10 || (p.i > 0.5 && Math.abs(p.got - p.i) <= 1e-12)))
      .map((p) => `I(${p.a}, ${p.b}; ${p.x}): ${p.got} vs ${p.i}`);
    expect(bad).toEqual([]);
  });

  it('handles the edges', () => {
    expect(fSf(0, 6, 3)).toBe(1);
    expect(fSf(-1, 6, 3)).toBe(1);
    expect(fSf(Infinity, 6, 3)).toBe(0);
    expect(fSf(2, 0, 3)).toBeNaN();
    expect(betainc(2, 3, 0)).toBe(0);
    expect(betainc(2, 3, 1)).toBe(1);
    expect(betainc(2, 3, 1.5)).toBeNaN();
    expect(betainc(0, 3, 0.5)).toBeNaN();
  });
});

describe("Student's t quantile vs scipy (test/vectors/stats/fdist.json, t)", () => {
  const t = (vectors as unknown as { t: { nu: number; k: number; p: number; isf: number }[] }).t;

  it('normalSf is within 1e-12 relative of scipy.stats.norm.sf at each tail', () => {
    for (const v of t) expect(Math.abs(normalSf(v.k) - v.p) / v.p).toBeLessThan(1e-12);
  });

  it('tIsf is within 1e-9 relative of scipy.stats.t.isf, fractional degrees of freedom included', () => {
    expect(t.length).toBe(50);
    for (const v of t) expect(Math.abs(tIsf(v.p, v.nu) - v.isf) / v.isf, `nu ${v.nu} k ${v.k}`).toBeLessThan(1e-9);
  });

  it('is NaN outside 0 < p < 1/2', () => {
    expect(tIsf(0, 3)).toBeNaN();
    expect(tIsf(0.5, 3)).toBeNaN();
    expect(tIsf(0.01, 0)).toBeNaN();
  });
});
