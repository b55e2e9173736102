/**
 * Ascending sort of float64 values for the KS statistic. Below {@link RADIX_SORT_MIN_N} values it is
 * Float64Array.prototype.sort; above, an LSD radix sort on the IEEE-754 bit patterns (11-bit digits below
 * 65,536 values, 16-bit above; passes over a constant digit skipped), 2-3x faster than V8's comparison
 * sort at 100,000 values.
 * The order is the numeric order, with -0 before +0 as in Float64Array.prototype.sort; NaN must be
 * removed beforehand.
 */
export const RADIX_SORT_MIN_N = 4096;

/** Sorts `values` (NaN-free) and returns the sorted array: `values` itself when sorted in place. */
export function sortFloat64(values: Float64Array): Float64Array {
  if (values.length < RADIX_SORT_MIN_N) return values.sort();
  return radixSortFloat64(values);
}

/** Radix sort into a new array; `values` is left unchanged. */
export function radixSortFloat64(values: Float64Array): Float64Array {
  const n = values.length;
  // Narrower digits keep the counters in cache for smaller inputs; wider ones need fewer passes.
  const bits: 11 | 16 = n < 65536 ? 11 : 16;
  const radix = 1 << bits;
  const mask = radix - 1;
  const shifts: number[] = [];
  for (let s = 0; s < 32; s += bits) shifts.push(s);
  const perWord = shifts.length;
  const passes = 2 * perWord;
  // Little-endian halves of each double (all supported platforms of Node are little-endian).
  const words = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  let lo = new Uint32Array(n);
  let hi = new Uint32Array(n);
  let lo2 = new Uint32Array(n);
  let hi2 = new Uint32Array(n);
  const counts = new Uint32Array(passes * radix);
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
  for (let pass = 0; pass < passes; pass++) {
    const base = pass * radix;
    const shift = shifts[pass % perWord]!;
    const keys = pass < perWord ? lo : hi;
    if (counts[base + ((keys[0]! >>> shift) & mask)] === n) continue;
    let sum = 0;
    for (let d = base; d < base + radix; d++) {
      const t = counts[d]!;
      counts[d] = sum;
      sum += t;
    }
    for (let i = 0; i < n; i++) {
      const pos = counts[base + ((keys[i]! >>> shift) & mask)]!++;
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
