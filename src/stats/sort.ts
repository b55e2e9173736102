/**
 * Ascending sort of float64 values for the KS statistic. Below {@link RADIX_SORT_MIN_N} values it is
 * Float64Array.prototype.sort; above, an LSD radix sort on the IEEE-754 bit patterns (four 16-bit digits,
 * constant digits skipped), which is 2-3x faster than V8's comparison sort at 100,000 values.
 * The order is the numeric order, with -0 before +0 as in Float64Array.prototype.sort; NaN must be
 * removed beforehand.
 */
export const RADIX_SORT_MIN_N = 8192;

/** Sorts `values` (NaN-free) and returns the sorted array: `values` itself when sorted in place. */
export function sortFloat64(values: Float64Array): Float64Array {
  if (values.length < RADIX_SORT_MIN_N) return values.sort();
  return radixSortFloat64(values);
}

/** Radix sort into a new array; `values` is left unchanged. */
export function radixSortFloat64(values: Float64Array): Float64Array {
  const n = values.length;
  // Little-endian halves of each double (all supported platforms of Node are little-endian).
  const words = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  let lo = new Uint32Array(n);
  let hi = new Uint32Array(n);
  let lo2 = new Uint32Array(n);
  let hi2 = new Uint32Array(n);
  const counts = [new Uint32Array(65536), new Uint32Array(65536), new Uint32Array(65536), new Uint32Array(65536)] as const;
  const [c0, c1, c2, c3] = counts;
  for (let i = 0; i < n; i++) {
    let l = words[2 * i]!;
    let h = words[2 * i + 1]!;
    // Map the bit pattern to an unsigned key with the numeric order: flip all bits of negatives,
    // only the sign bit of positives.
    if (h >= 0x80000000) {
      h = ~h >>> 0;
      l = ~l >>> 0;
    } else {
      h = (h | 0x80000000) >>> 0;
    }
    lo[i] = l;
    hi[i] = h;
    c0[l & 0xffff]!++;
    c1[l >>> 16]!++;
    c2[h & 0xffff]!++;
    c3[h >>> 16]!++;
  }
  for (let pass = 0; pass < 4; pass++) {
    const c = counts[pass]!;
    const shift = pass % 2 === 0 ? 0 : 16;
    const keys = pass < 2 ? lo : hi;
    if (c[(keys[0]! >>> shift) & 0xffff] === n) continue;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const t = c[d]!;
      c[d] = sum;
      sum += t;
    }
    for (let i = 0; i < n; i++) {
      const pos = c[(keys[i]! >>> shift) & 0xffff]!++;
      lo2[pos] = lo[i]!;
      hi2[pos] = hi[i]!;
    }
    [lo, lo2] = [lo2, lo];
    [hi, hi2] = [hi2, hi];
  }
  const out = new Float64Array(n);
  const outWords = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    let l = lo[i]!;
    let h = hi[i]!;
    if (h >= 0x80000000) {
      h = (h & 0x7fffffff) >>> 0;
    } else {
      h = ~h >>> 0;
      l = ~l >>> 0;
    }
    outWords[2 * i] = l;
    outWords[2 * i + 1] = h;
  }
  return out;
}
