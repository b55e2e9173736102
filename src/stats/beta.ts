import { gammaincc, lgamma } from './gamma.js';

const EPS = 1e-16;
const TINY = 1e-300;
const MAX_ITERATIONS = 1000;

/** The continued fraction of the incomplete beta function (modified Lentz), for x < (a + 1) / (a + b + 2). */
function betaFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

/**
 * The regularized incomplete beta function I_x(a, b) (scipy.special.betainc), a, b > 0, x in [0, 1]: the
 * continued fraction of Numerical Recipes (6.4), evaluated on the side of x where it converges fast. NaN
 * outside the domain.
 */
export function betainc(a: number, b: number, x: number): number {
  return betaincPair(a, b, x, 1 - x);
}

/** `betainc` with 1 - x given as `y` (exact where the caller has it: x near 1 loses it in 1 - x). */
function betaincPair(a: number, b: number, x: number, y: number): number {
  if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1)) return NaN;
  if (x === 0) return 0;
  if (y <= 0) return 1;
  const logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * Math.log(x) + b * Math.log(y);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaFraction(a, b, x)) / a;
  return 1 - (Math.exp(logFront) * betaFraction(b, a, y)) / b;
}

/**
 * The survival function of Fisher's F distribution with (d1, d2) degrees of freedom (scipy.stats.f.sf):
 * P(F >= f) = I_{d2 / (d2 + d1 f)}(d2 / 2, d1 / 2), computed on the upper tail's own side so that small
 * p-values keep their relative accuracy. 1 for f <= 0, 0 for f = Infinity, NaN for bad degrees of freedom.
 */
export function fSf(f: number, d1: number, d2: number): number {
  if (!(d1 > 0) || !(d2 > 0) || Number.isNaN(f)) return NaN;
  if (f <= 0) return 1;
  if (f === Infinity) return 0;
  const s = d2 + d1 * f;
  return betaincPair(d2 / 2, d1 / 2, d2 / s, (d1 * f) / s);
}

/** The standard normal's upper tail P(Z > z) (scipy.stats.norm.sf): erfc(z / sqrt 2) / 2 = Q(1/2, z^2 / 2) / 2. */
export function normalSf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  const half = gammaincc(0.5, (z * z) / 2) / 2;
  return z >= 0 ? half : 1 - half;
}

/** Student's t upper tail P(T > t) with nu degrees of freedom (scipy.stats.t.sf): T^2 is F(1, nu). */
export function tSf(t: number, nu: number): number {
  if (!(nu > 0) || Number.isNaN(t)) return NaN;
  const half = fSf(t * t, 1, nu) / 2;
  return t >= 0 ? half : 1 - half;
}

/**
 * Student's t quantile of upper tail p (scipy.stats.t.isf), 0 < p < 1/2: bisection on {@link tSf}, to a relative
 * 1e-12. NaN outside that domain.
 */
export function tIsf(p: number, nu: number): number {
  if (!(p > 0) || !(p < 0.5) || !(nu > 0)) return NaN;
  let lo = 0;
  let hi = 1;
  while (tSf(hi, nu) > p) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) return Infinity;
  }
  for (let i = 0; i < 400 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tSf(mid, nu) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
