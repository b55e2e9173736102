/**
 * Sorting float64 values for the KS statistic (`sortedWithoutNaN` in ./ks.ts). Below
 * {@link RADIX_SORT_MIN_N} values it is Float64Array.prototype.sort; from there on, an LSD radix sort on
 * the IEEE-754 bit patterns (11-bit digits below 65,536 values, 16-bit above; passes over a constant
 * digit skipped), about 3.5x faster than V8's comparison sort at 100,000 values. The order is the numeric
 * order, with -0 before +0 as in Float64Array.prototype.sort; NaN values are dropped.
 */
export const RADIX_SORT_MIN_N = 4096;

/**
 * The non-NaN values of `values`, sorted ascending, in a new array (`values` is left unchanged).
 * LSD radix sort that moves the doubles themselves and derives each digit from the bit pattern on the
 * fly: the key of a double is its bits with all bits flipped for negatives and only the sign bit for the
 * rest, made branch-free with the sign mask h >> 31.
 */
export function radixSortWithoutNaN(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  let a = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v === v) a[m++] = v;
  }
  if (m < n) a = a.subarray(0, m);
  if (m === 0) return a;
  // Narrower digits keep the counters in cache for smaller inputs; wider ones need fewer passes.
  const bits: 11 | 16 = m < 65536 ? 11 : 16;
  const radix = 1 << bits;
  const digitMask = radix - 1;
  const perWord = bits === 16 ? 2 : 3;
  const passes = 2 * perWord;
  const counts = new Uint32Array(passes * radix);
  // Little-endian halves of each double (every platform Node supports is little-endian).
  let aw = new Uint32Array(a.buffer, a.byteOffset, 2 * m);
  for (let i = 0; i < m; i++) {
    const h0 = aw[2 * i + 1]!;
    const sign = h0 >> 31;
    const l = (aw[2 * i]! ^ sign) >>> 0;
    const h = (h0 ^ (sign | 0x80000000)) >>> 0;
    if (bits === 16) {
      counts[l & 0xffff]!++;
      counts[radix + (l >>> 16)]!++;
      counts[2 * radix + (h & 0xffff)]!++;
      counts[3 * radix + (h >>> 16)]!++;
    } else {
      counts[l & 0x7ff]!++;
      counts[radix + ((l >>> 11) & 0x7ff)]!++;
      counts[2 * radix + (l >>> 22)]!++;
      counts[3 * radix + (h & 0x7ff)]!++;
      counts[4 * radix + ((h >>> 11) & 0x7ff)]!++;
      counts[5 * radix + (h >>> 22)]!++;
    }
  }
  let b = new Float64Array(m);
  let bw = new Uint32Array(b.buffer, 0, 2 * m);
  for (let pass = 0; pass < passes; pass++) {
    const base = pass * radix;
    const shift = (pass % perWord) * bits;
    const hiPass = pass >= perWord;
    const first0 = aw[hiPass ? 1 : 0]!;
    const sign0 = aw[1]! >> 31;
    const key0 = hiPass ? (first0 ^ (sign0 | 0x80000000)) >>> 0 : (first0 ^ sign0) >>> 0;
    if (counts[base + ((key0 >>> shift) & digitMask)] === m) continue;
    let sum = 0;
    for (let d = base; d < base + radix; d++) {
      const t = counts[d]!;
      counts[d] = sum;
      sum += t;
    }
    if (hiPass) {
      for (let i = 0; i < m; i++) {
        const h0 = aw[2 * i + 1]!;
        const key = (h0 ^ ((h0 >> 31) | 0x80000000)) >>> 0;
        b[counts[base + ((key >>> shift) & digitMask)]!++] = a[i]!;
      }
    } else {
      for (let i = 0; i < m; i++) {
        const key = (aw[2 * i]! ^ (aw[2 * i + 1]! >> 31)) >>> 0;
        b[counts[base + ((key >>> shift) & digitMask)]!++] = a[i]!;
      }
    }
    [a, b] = [b, a];
    [aw, bw] = [bw, aw];
  }
  return a;
}
