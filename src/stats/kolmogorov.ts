/**
 * The two-sided one-sample Kolmogorov-Smirnov distribution D_n (survival function), as computed by
 * `scipy.stats.kstwo.sf` (scipy/stats/_ksstats.py `_kolmogn`, Simard & L'Ecuyer 2011), and the one-sided
 * Smirnov survival function used inside it (`scipy.special.smirnov`).
 *
 * The method chosen for each (n, x) region follows scipy's switch points exactly, because the methods are
 * approximations of different quality (Pelz-Good, Miller's 2 * smirnov) and matching scipy's numbers needs
 * the same one. Arithmetic is plain double; scipy's extended / double-double internals only change digits
 * far below the 1e-9 absolute agreement the vectors check.
 */

import { STIRLING_SERIES } from './gamma.js';

const E128 = 2 ** 128;
const EM128 = 2 ** -128;
const LOG_2PI = Math.log(2 * Math.PI);
const SQRT2PI = Math.sqrt(2 * Math.PI);
const MIN_LOG = -708;
const SQRT3 = Math.sqrt(3);
const PI_SQUARED = Math.PI ** 2;
const PI_FOUR = Math.PI ** 4;
const PI_SIX = Math.PI ** 6;
/** Below this exp() underflows to zero (Cephes MINLOG). */
const CEPHES_MINLOG = -745.1332191019412;
const SMIRNOV_MAX_COMPUTE_N = 1_000_000;
const SM_UPPER_MAX_TERMS = 3;
const SM_UPPERSUM_MIN_N = 10;

function clip01(p: number): number {
  // NaN passes through, as np.clip does.
  if (p < 0) return 0;
  if (p > 1) return 1;
  return p;
}

/** x * 2^e without intermediate overflow or underflow (C ldexp). */
export function ldexp(x: number, e: number): number {
  let r = x;
  let k = e;
  while (k > 1000) {
    r *= 2 ** 1000;
    k -= 1000;
  }
  while (k < -1000) {
    r *= 2 ** -1000;
    k += 1000;
  }
  return r * 2 ** k;
}

function polyval(coeffs: readonly number[], x: number): number {
  let acc = 0;
  for (const c of coeffs) acc = acc * x + c;
  return acc;
}

/** log(n! / n^n) by Stirling's series with n log n removed up front. */
function logNFactorialDivNPowN(n: number): number {
  const rn = 1 / n;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * polyval(STIRLING_SERIES, rn / n);
}

/**
 * Dense m x m matrix product c = a * b (row-major), into `c` (neither `a` nor `b`). Every entry is the sum of
 * a[i][k] b[k][j] over k in ascending order, the terms of a zero a[i][k] left out, one rounding per product and
 * per addition: the same doubles as the plain triple loop. Four rows of `c` are computed together (each row of
 * `b` read once for the four): about twice as fast, the DMTW p-value's matrix powers being most of a KS test's
 * cost when they run.
 */
export function matmulInto(a: Float64Array, b: Float64Array, m: number, c: Float64Array): Float64Array {
  c.fill(0, 0, m * m);
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const c0 = i * m;
    const c1 = c0 + m;
    const c2 = c1 + m;
    const c3 = c2 + m;
    for (let k = 0; k < m; k++) {
      const a0 = a[c0 + k]!;
      const a1 = a[c1 + k]!;
      const a2 = a[c2 + k]!;
      const a3 = a[c3 + k]!;
      const bk = k * m;
      if (a0 !== 0 && a1 !== 0 && a2 !== 0 && a3 !== 0) {
        for (let j = 0; j < m; j++) {
          const bv = b[bk + j]!;
          c[c0 + j] = c[c0 + j]! + a0 * bv;
          c[c1 + j] = c[c1 + j]! + a1 * bv;
          c[c2 + j] = c[c2 + j]! + a2 * bv;
          c[c3 + j] = c[c3 + j]! + a3 * bv;
        }
      } else {
        if (a0 !== 0) addScaledRow(c, c0, a0, b, bk, m);
        if (a1 !== 0) addScaledRow(c, c1, a1, b, bk, m);
        if (a2 !== 0) addScaledRow(c, c2, a2, b, bk, m);
        if (a3 !== 0) addScaledRow(c, c3, a3, b, bk, m);
      }
    }
  }
  for (; i < m; i++) {
    const ci = i * m;
    for (let k = 0; k < m; k++) {
      const aik = a[ci + k]!;
      if (aik !== 0) addScaledRow(c, ci, aik, b, k * m, m);
    }
  }
  return c;
}

/** c[ci .. ci + m) += f * b[bk .. bk + m), entry by entry. */
function addScaledRow(c: Float64Array, ci: number, f: number, b: Float64Array, bk: number, m: number): void {
  for (let j = 0; j < m; j++) c[ci + j] = c[ci + j]! + f * b[bk + j]!;
}

/**
 * Pr(D_n <= d) by the Durbin matrix algorithm as arranged by Marsaglia, Tsang & Wang (2003).
 * Only row k of H^n is needed, so the powers of H are squared as matrices but accumulated into a row vector.
 */
function kolmognDMTWCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;

  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    v[j - 1] = 1 - h ** j;
    w[j - 1] = fac;
    fac /= j;
    v[j - 1]! *= fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;

  let H: Float64Array = new Float64Array(m * m);
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - (i - 1)]!;
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r]!;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c]!;

  let spare: Float64Array = new Float64Array(m * m);
  let row: Float64Array = new Float64Array(m);
  row[k - 1] = 1;
  let rowExp = 0;
  let hExp = 0;
  let nn = n;
  while (nn > 0) {
    if (nn % 2 === 1) {
      const next = new Float64Array(m);
      for (let i = 0; i < m; i++) {
        const ri = row[i]!;
        if (ri === 0) continue;
        const base = i * m;
        for (let j = 0; j < m; j++) next[j]! += ri * H[base + j]!;
      }
      row = next;
      rowExp += hExp;
      let big = 0;
      for (let j = 0; j < m; j++) big = Math.max(big, Math.abs(row[j]!));
      if (big > E128) {
        for (let j = 0; j < m; j++) row[j]! *= EM128;
        rowExp += 128;
      }
    }
    nn = Math.floor(nn / 2);
    if (nn === 0) break;
    const squared = matmulInto(H, H, m, spare);
    spare = H;
    H = squared;
    hExp *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]!) > E128) {
      for (let j = 0; j < m * m; j++) H[j]! *= EM128;
      hExp += 128;
    }
  }

  let p = row[k - 1]!;
  let expnt = rowExp;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      expnt -= 128;
    }
  }
  if (expnt !== 0) p = ldexp(p, expnt);
  return clip01(p);
}

/** Python slice a[start:stop] for a typed array (negative indices count from the end). */
function pySlice(a: Float64Array, start: number, stop: number): Float64Array {
  const len = a.length;
  let s = start < 0 ? Math.max(len + start, 0) : Math.min(start, len);
  let e = stop < 0 ? Math.max(len + stop, 0) : Math.min(stop, len);
  if (e < s) e = s;
  if (s > len) s = len;
  return a.subarray(s, e);
}

function convolve(a: Float64Array, b: Float64Array): Float64Array {
  if (a.length === 0 || b.length === 0) return new Float64Array(0);
  const out = new Float64Array(a.length + b.length - 1);
  for (let i = 0; i < a.length; i++) {
    const ai = a[i]!;
    if (ai === 0) continue;
    for (let j = 0; j < b.length; j++) out[i + j]! += ai * b[j]!;
  }
  return out;
}

function pomeranzJ1J2(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const ip1div2 = Math.floor((i + 1) / 2);
    const ip1mod2 = (i + 1) % 2;
    if (ip1mod2 === 0) {
      if (ip1div2 === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = ip1div2 - 1 - ll - roundf - 1;
        j2 = ip1div2 + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = ip1div2 - 1 - ll - 1;
      j2 = ip1div2 + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Pr(D_n <= x) by the Pomeranz (1974) recursion; used by scipy for n <= 140 in a middle band of n x^2. */
function kolmognPomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = 1;
  twogpower[0] = 1;
  onem2gpower[0] = 1;
  let expnt = 0;
  const gOverN = g / n;
  const twoGOverN = (2 * g) / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1]! * gOverN) / m;
    twogpower[m] = (twogpower[m - 1]! * twoGOverN) / m;
    onem2gpower[m] = (onem2gpower[m - 1]! * oneMinusTwoGOverN) / m;
  }

  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let j1 = pomeranzJ1J2(0, n, ll, ceilf, roundf)[0];
  let j2: number;
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzJ1J2(i, n, ll, ceilf, roundf);
    let pwrs: Float64Array;
    if (i === 1 || i === 2 * n + 1) pwrs = gpower;
    else pwrs = i % 2 === 1 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      const conv = convolve(pySlice(V0, k1 - V0s, k1 - V0s + ln2), pySlice(pwrs, 0, ln2));
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      const part = pySlice(conv, convStart, convStart + convLen);
      V1.set(part.subarray(0, Math.min(part.length, V1.length)), 0);
      let mx = -Infinity;
      for (let q = 0; q < V1.length; q++) mx = Math.max(mx, V1[q]!);
      if (mx > 0 && mx < EM128) {
        for (let q = 0; q < V1.length; q++) V1[q]! *= E128;
        expnt -= 128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let idx = n - V1s;
  if (idx < 0) idx += V1.length;
  let ans = V1[idx] ?? 0;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > E128) {
      ans *= EM128;
      expnt += 128;
    }
    ans *= m;
  }
  if (expnt !== 0) ans = ldexp(ans, expnt);
  return clip01(ans);
}

/** Pelz-Good (1976) approximation to Pr(D_n <= x); unclipped, as scipy returns it. */
function kolmognPelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const zsquared = z ** 2;
  const zthree = z ** 3;
  const zfour = z ** 4;
  const zsix = z ** 6;
  const qlog = -PI_SQUARED / 8 / zsquared;
  if (qlog < MIN_LOG) return 0;
  let q = Math.exp(qlog);

  const k1a = -zsquared;
  const k1b = PI_SQUARED / 4;
  const k2a = 6 * zsix + 2 * zfour;
  const k2b = ((2 * zfour - 5 * zsquared) * PI_SQUARED) / 4;
  const k2c = (PI_FOUR * (1 - 2 * zsquared)) / 16;
  const k3d = (PI_SIX * (5 - 30 * zsquared)) / 64;
  const k3c = (PI_FOUR * (-60 * zsquared + 212 * zfour)) / 16;
  const k3b = (PI_SQUARED * (135 * zfour - 96 * zsix)) / 4;
  const k3a = -30 * zsix - 90 * z ** 8;

  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const msquared = m ** 2;
    const mfour = m ** 4;
    const msix = m ** 6;
    const qpower = q ** (8 * k);
    const c1 = k1a + k1b * msquared;
    const c2 = k2a + k2b * msquared + k2c * mfour;
    const c3 = k3a + k3b * msquared + k3c * mfour + k3d * msix;
    K[0] = K[0]! * qpower + 1;
    K[1] = K[1]! * qpower + c1;
    K[2] = K[2]! * qpower + c2;
    K[3] = K[3]! * qpower + c3;
  }
  const denom = [z, 6 * zfour, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i]! * q * SQRT2PI) / denom[i]!;

  q = Math.exp(-PI_SQUARED / 2 / zsquared);
  const sqrt3z = SQRT3 * z;
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxk; k > 0; k--) {
    const ksq = k * k;
    const qp = q ** ksq;
    const kspi = Math.PI * k;
    k2extra += ksq * qp;
    k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksq * qp;
  }
  K[2] = K[2]! + (k2extra * PI_SQUARED * SQRT2PI) / (-36 * zthree);
  K[3] = K[3]! + (k3extra * PI_SQUARED * SQRT2PI) / (216 * zsix);
  for (let i = 0; i < 4; i++) K[i] = K[i]! / n ** (i / 2);
  return K[0]! + K[1]! + K[2] + K[3];
}

// ---------------------------------------------------------------------------------------------
// Smirnov one-sided survival function Pr(D_n^+ >= x) (Birnbaum & Tingey / Smirnov sums).

const SPLITTER = 134217729; // 2^27 + 1

/** Exact product a*b as hi + lo (Dekker). */
function twoProd(a: number, b: number): [number, number] {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const err = ah * bh - p + ah * bl + al * bh + al * bl;
  return [p, err];
}

/** floor(n*x) and the fractional part, computed from the exact product. */
function modNX(n: number, x: number): { nxfl: number; alpha: number } {
  const [hi, lo] = twoProd(n, x);
  let fl = Math.floor(hi);
  let alpha: number;
  if (fl === hi) {
    const flo = Math.floor(lo);
    fl += flo;
    alpha = lo - flo;
  } else {
    alpha = hi - fl + lo;
  }
  if (alpha >= 1) {
    fl += 1;
    alpha = 0;
  }
  return { nxfl: fl, alpha };
}

/** Exact a + b as hi + lo (Knuth). */
function twoSum(a: number, b: number): [number, number] {
  const s = a + b;
  const bb = s - a;
  const err = a - (s - bb) + (b - bb);
  return [s, err];
}

/** (k + f) / n as a double-double, for integers k and n and a double f. */
function ddDivInt(k: number, f: number, n: number): [number, number] {
  const [sh, sl] = twoSum(k, f);
  const q = sh / n;
  const [ph, pl] = twoProd(q, n);
  const rem = sh - ph - pl + sl;
  return [q, rem / n];
}

/** Compensated (Neumaier) summation. */
class NeumaierSum {
  private s = 0;
  private c = 0;
  add(x: number): void {
    const t = this.s + x;
    if (Math.abs(this.s) >= Math.abs(x)) this.c += this.s - t + x;
    else this.c += x - t + this.s;
    this.s = t;
  }
  value(): number {
    return this.s + this.c;
  }
}

/**
 * The one-sided Smirnov survival function Pr(D_n^+ >= x) (`scipy.special.smirnov(n, x)`).
 * Terms are formed in log space from exact integer parts, so the double arithmetic keeps the relative
 * error near 1e-11 even for n in the hundreds of thousands.
 */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1)) return NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;

  const { nxfl, alpha } = modNX(n, x);
  let n1mxfl = n - nxfl - (alpha === 0 ? 0 : 1);
  let n1mxceil = n - nxfl;
  if (alpha === 0) {
    n1mxfl -= 1;
    n1mxceil += 1;
  }

  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
    const t = Math.exp((n - 1) * Math.log1p(x));
    return clip01(1 - x * t);
  }
  if (-2 * n * x * x < CEPHES_MINLOG) return 0;
  if (nxfl >= n - 1) return clip01(Math.exp(n * Math.log1p(-x)));
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    const logp = -((6 * n * x + 1) ** 2) / 18 / n;
    if (logp < -Math.LN2) return clip01(Math.exp(logp));
    return clip01(1 + Math.expm1(logp));
  }

  const nUpperTerms = n - n1mxceil + 1;
  const useUpper =
    (nUpperTerms <= 1 && x < 0.5) ||
    (n >= SM_UPPERSUM_MIN_N && nUpperTerms <= SM_UPPER_MAX_TERMS && x <= 0.5 / Math.sqrt(n));

  let start = 0;
  let step = 1;
  let nTerms = n1mxfl + 1;
  const sum = new NeumaierSum();
  if (useUpper) {
    start = n;
    step = -1;
    nTerms = n - n1mxceil + 1;
    sum.add(Math.exp((n - 1) * Math.log1p(x)));
  } else {
    sum.add(Math.exp(n * Math.log1p(-x)) / x);
  }
  const vmid = Math.floor(n / 2);
  // C(n, j) as cMan * 2^cExp (it overflows a double); C(n, v) = C(n, n - v) serves the upper sum.
  // Keeping the binomial as a running product (not a running sum of logs) avoids a drift of the
  // log that grows with n.
  let cMan = 1;
  let cExp = 0;
  const nextBinomial = (j: number): void => {
    cMan = (cMan * (n - j)) / (j + 1);
    if (cMan > 2 ** 500) {
      cMan *= 2 ** -500;
      cExp += 500;
    } else if (cMan < 2 ** -500) {
      cMan *= 2 ** 500;
      cExp -= 500;
    }
  };
  nextBinomial(0);
  for (let j = 1; j < nTerms; j++) {
    const v = start + j * step;
    // 1 - x - v/n and x + v/n as double-doubles from the exact split n*x = nxfl + alpha: rounding them to
    // doubles first would cost a relative error of order n * 2^-53 once raised to the power n - v.
    let sign = 1;
    let logTerm = cExp * Math.LN2;
    if (n - v !== 0) {
      const [h, l] = ddDivInt(n - nxfl - v, -alpha, n);
      if (h < 0 && (n - v) % 2 === 1) sign = -sign;
      logTerm += (n - v) * (Math.log(Math.abs(h)) + l / h);
    }
    if (v - 1 !== 0) {
      const [h, l] = ddDivInt(v + nxfl, alpha, n);
      if (h < 0 && (v - 1) % 2 === 1) sign = -sign;
      logTerm += (v - 1) * (Math.log(Math.abs(h)) + l / h);
    }
    // Fold the binomial's mantissa into the exponent when exp() alone would leave the normal range.
    const e = Math.exp(logTerm);
    const term = sign * (e > 1e-290 && e < 1e290 ? cMan * e : Math.exp(logTerm + Math.log(cMan)));
    if (Number.isFinite(term) && term !== 0) sum.add(term);
    if (term !== 0) {
      if (4 * (nTerms - j) * Math.abs(term) < Number.EPSILON * sum.value() && j !== nTerms - 1) break;
    } else if (j > vmid) {
      break;
    }
    nextBinomial(j);
  }
  const total = sum.value();
  const prob = x * total;
  return clip01(step < 0 ? 1 - prob : prob);
}

/**
 * Survival function Pr(D_n >= x) of the two-sided one-sample Kolmogorov-Smirnov statistic for a sample of
 * size n, as `scipy.stats.kstwo.sf(x, n)`. n must be a positive integer (NaN otherwise, as scipy).
 */
export function kstwoSf(x: number, n: number): number {
  if (Number.isNaN(x) || Number.isNaN(n)) return NaN;
  if (!(n >= 1) || !Number.isInteger(n)) return NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    let prob: number;
    if (n <= 140) {
      prob = 1;
      const s = 2 * t - 1;
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * s;
    } else {
      prob = Math.exp(logNFactorialDivNPowN(n) + n * Math.log(2 * t - 1));
    }
    return clip01(1 - prob);
  }
  if (t >= n - 1) return clip01(2 * (1 - x) ** n);
  if (x >= 0.5) return clip01(2 * smirnovSf(n, x));

  const nxsquared = t * x;
  if (n <= 140) {
    if (nxsquared <= 0.754693) return clip01(1 - kolmognDMTWCdf(n, x));
    if (nxsquared <= 4) return clip01(1 - kolmognPomeranzCdf(n, x));
    return clip01(2 * smirnovSf(n, x));
  }
  if (nxsquared >= 370) return 0;
  if (nxsquared >= 2.2) return clip01(2 * smirnovSf(n, x));
  let cdf: number;
  if (n <= 100000 && n * x ** 1.5 <= 1.4) cdf = kolmognDMTWCdf(n, x);
  else cdf = kolmognPelzGoodCdf(n, x);
  return clip01(1 - cdf);
}

/** Kolmogorov's limiting distribution: Pr(sqrt(n) D_n > 1.62762) -> 0.01 (scipy.special.kolmogi(0.01)). */
const KOLMOGI_001 = 1.6276236115189504;
/** Up to this n the exact distribution is inverted; above it the limit is used (and is larger: conservative). */
const KSTWO_ISF_EXACT_MAX_N = 1000;
const isfCache = new Map<string, number>();

/**
 * Inverse survival function of the two-sided one-sample KS statistic: the x with Pr(D_n >= x) = p, as
 * `scipy.stats.kstwo.isf(p, n)` (bisection on {@link kstwoSf}, to 1e-12). Above n = 1000 it returns the
 * asymptotic value lambda_p / sqrt(n) (exactly kolmogi(p) / sqrt(n) for p = 0.01, else by bisection on the
 * limit), which lies slightly above the exact one. n must be a positive integer and 0 < p < 1 (NaN otherwise).
 */
export function kstwoIsf(p: number, n: number): number {
  if (!(p > 0 && p < 1) || !(n >= 1) || !Number.isInteger(n)) return NaN;
  const key = `${p}:${n}`;
  const hit = isfCache.get(key);
  if (hit !== undefined) return hit;
  let x: number;
  if (n > KSTWO_ISF_EXACT_MAX_N) {
    x = (p === 0.01 ? KOLMOGI_001 : kolmogorovLimitIsf(p)) / Math.sqrt(n);
  } else {
    let lo = 0;
    let hi = 1;
    while (hi - lo > 1e-12) {
      const mid = (lo + hi) / 2;
      if (kstwoSf(mid, n) > p) lo = mid;
      else hi = mid;
    }
    x = hi;
  }
  if (isfCache.size > 4096) isfCache.clear();
  isfCache.set(key, x);
  return x;
}

/** lambda with Pr(K > lambda) = p for Kolmogorov's limit, K's survival being 2 sum (-1)^(k-1) exp(-2 k^2 lambda^2). */
function kolmogorovLimitIsf(p: number): number {
  const sf = (l: number): number => {
    let s = 0;
    for (let k = 1; k <= 100; k++) s += (k % 2 === 1 ? 2 : -2) * Math.exp(-2 * k * k * l * l);
    return l <= 0 ? 1 : Math.min(1, s);
  };
  let lo = 0.1;
  let hi = 10;
  while (hi - lo > 1e-13) {
    const mid = (lo + hi) / 2;
    if (sf(mid) > p) lo = mid;
    else hi = mid;
  }
  return hi;
}
