import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chi2Ppf, chi2Sf, gammainc, gammaincc, lgamma } from '../../src/stats/index.js';

interface Point {
  a: number;
  x: number;
  q: number;
  lgamma: number;
}
const { points } = JSON.parse(readFileSync(new URL('../vectors/stats/gammaincc.json', import.meta.url), 'utf8')) as {
  points: Point[];
};

describe('gammaincc vs scipy.special.gammaincc (test/vectors/stats/gammaincc.json)', () => {
  it('is within 1e-12 relative on every grid point', () => {
    expect(points.length).toBeGreaterThan(500);
    const bad: string[] = [];
    for (const p of points) {
      const got = gammaincc(p.a, p.x);
      const err = p.q > 1e-300 ? Math.abs(got - p.q) / p.q : Math.abs(got - p.q);
      if (!(err <= 1e-12)) bad.push(`a=${p.a} x=${p.x}: ${got} vs ${p.q} (${err})`);
    }
    expect(bad).toEqual([]);
  });

  it('lgamma is within 1e-14 (relative, or absolute below 1)', () => {
    const bad: string[] = [];
    for (const p of points) {
      const got = lgamma(p.a);
      if (!(Math.abs(got - p.lgamma) <= 1e-14 * Math.max(1, Math.abs(p.lgamma))))
        bad.push(`a=${p.a}: ${got} vs ${p.lgamma}`);
    }
    expect(bad).toEqual([]);
  });

  it('handles the domain edges as scipy', () => {
    expect(gammaincc(2, 0)).toBe(1);
    expect(gammaincc(0, 1)).toBe(0);
    expect(gammaincc(0, 0)).toBeNaN();
    expect(gammaincc(-1, 1)).toBeNaN();
    expect(gammaincc(1, -1)).toBeNaN();
    expect(gammaincc(3, Infinity)).toBe(0);
    expect(gammaincc(Infinity, 3)).toBe(1);
    expect(gammaincc(NaN, 1)).toBeNaN();
  });

  it('P + Q = 1 and Q(1, x) = exp(-x)', () => {
    for (const [a, x] of [
      [0.5, 0.3],
      [3, 2],
      [30, 31],
      [250, 240],
    ] as const) {
      expect(gammainc(a, x) + gammaincc(a, x)).toBeCloseTo(1, 14);
    }
    for (const x of [0.01, 0.7, 3, 40]) expect(Math.abs(gammaincc(1, x) / Math.exp(-x) - 1)).toBeLessThan(1e-14);
  });

  it('chi2Sf is the chi-squared survival function', () => {
    // chi2 with 2 dof: sf(x) = exp(-x/2)
    expect(Math.abs(chi2Sf(3, 2) / Math.exp(-1.5) - 1)).toBeLessThan(1e-14);
    expect(chi2Sf(0, 4)).toBe(1);
    expect(chi2Sf(-1, 4)).toBe(1);
    expect(chi2Sf(1, 0)).toBeNaN();
  });
});

describe('chi2Ppf vs scipy.stats.chi2.ppf (test/vectors/stats/chi2ppf.json)', () => {
  const ppf = (
    JSON.parse(readFileSync(new URL('../vectors/stats/chi2ppf.json', import.meta.url), 'utf8')) as {
      points: { p: number; dof: number; x: number }[];
    }
  ).points;
  it('is within 1e-10 relative on every grid point', () => {
    expect(ppf.length).toBeGreaterThan(100);
    const bad: string[] = [];
    for (const { p, dof, x } of ppf) {
      const got = chi2Ppf(p, dof);
      if (!(Math.abs(got - x) <= 1e-10 * x)) bad.push(`p=${p} dof=${dof}: ${got} vs ${x}`);
    }
    expect(bad).toEqual([]);
  });

  it('is NaN outside its domain', () => {
    expect(chi2Ppf(0, 3)).toBeNaN();
    expect(chi2Ppf(1, 3)).toBeNaN();
    expect(chi2Ppf(0.5, 0)).toBeNaN();
  });
});
