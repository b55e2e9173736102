import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kstwoSf, smirnovSf } from '../../src/stats/kolmogorov.js';

interface Point {
  n: number;
  x: number;
  sf: number;
}
const vectors = JSON.parse(readFileSync(new URL('../vectors/stats/kstwo.json', import.meta.url), 'utf8')) as {
  kstwo: Point[];
  smirnov: Point[];
};

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
