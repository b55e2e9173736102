import { RootlineError } from '../errors/index.js';
import type { RandomSource } from './random.js';

/** Default accuracy parameter of {@link KllDoublesSketch}: about 1.33% single-sided rank error. */
export const DEFAULT_KLL_K = 200;
/** Smallest k DataSketches accepts (equal to its m). */
export const KLL_MIN_K = 8;
/** Largest k DataSketches accepts (k is serialized as an unsigned 16-bit integer). */
export const KLL_MAX_K = 65535;

/** Options for {@link KllDoublesSketch}. */
export interface KllSketchOptions {
  /**
   * Where compactions draw their random offset (one bit per compaction). Default `Math.random`.
   * Pass `seededRandom(seed)` for reproducible sketches.
   */
  random?: RandomSource;
}

/** Options for {@link KllDoublesSketch.deserialize}. */
export interface KllDeserializeOptions extends KllSketchOptions {
  /**
   * A sketch made by {@link KllDoublesSketch.reusable} to decode into, when its k is the serialized one: it is
   * returned, its arrays reused (what it held before, and the arrays of its sorted view, are overwritten).
   */
  into?: KllDoublesSketch;
}

/**
 * The retained items in ascending order with their weights, as DataSketches' sorted view builds them.
 * `cumulativeWeights[i]` is the sum of `weights[0..i]`; `totalWeight` equals the sketch's n.
 * The arrays belong to the sketch's cache: read them, never write them. They stay valid until the
 * sketch changes (update or merge).
 */
export interface KllSortedView {
  readonly items: Float64Array;
  readonly weights: Float64Array;
  readonly cumulativeWeights: Float64Array;
  readonly totalWeight: number;
}

// Serialization constants of the DataSketches KLL format (kll_sketch.hpp, KllPreambleUtil.java).
const M = 8;
const FAMILY_ID = 15;
const PREAMBLE_INTS_SHORT = 2;
const PREAMBLE_INTS_FULL = 5;
const SERIAL_VERSION_1 = 1;
const SERIAL_VERSION_2 = 2;
const FLAG_EMPTY = 1 << 0;
const FLAG_LEVEL_ZERO_SORTED = 1 << 1;
const FLAG_SINGLE_ITEM = 1 << 2;
const EMPTY_SIZE_BYTES = 8;
const DATA_START_SINGLE_ITEM = 8;
const DATA_START = 20;
const ITEM_BYTES = 8;
// int_cap_aux rejects depth > 60, so no valid sketch has more levels than this.
const MAX_NUM_LEVELS = 61;
const LEVELS_ARRAY_SIZE = MAX_NUM_LEVELS + 3;
/**
 * A sketch's level offsets start in an array of this many entries (64 bytes: V8 keeps it on its heap, no
 * separate allocation), enough for 14 levels (k = 200: about 1.6 million values); more levels grow it to
 * {@link LEVELS_ARRAY_SIZE}. Sketches are made and copied for every column of every report: typed arrays
 * over 64 bytes each cost a backing-store allocation and garbage-collection work.
 */
const SMALL_LEVELS_ARRAY_SIZE = 16;
/** Set while an internal construction assigns the items itself (no k-sized array made to be thrown away). */
let adoptingItems = false;
const NO_ITEMS = new Float64Array(0);
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

const POWERS_OF_THREE: readonly number[] = Array.from({ length: 31 }, (_, i) => 3 ** i);

function intCapAuxAux(k: number, depth: number): number {
  // (2k << depth) / 3^depth in exact integer arithmetic: both operands stay below 2^53.
  const a = k * 2 * 2 ** depth;
  const b = POWERS_OF_THREE[depth]!;
  let q = Math.floor(a / b);
  if (q * b > a) q -= 1;
  else if ((q + 1) * b <= a) q += 1;
  return Math.floor((q + 1) / 2);
}

function intCapAux(k: number, depth: number): number {
  if (depth <= 30) return intCapAuxAux(k, depth);
  const half = Math.floor(depth / 2);
  return intCapAuxAux(intCapAuxAux(k, half), depth - half);
}

const capacityTables = new Map<number, Uint32Array>();

/** Nominal capacity by depth (0 = top level) for one k: max(m, k * (2/3)^depth), rounded as in C++. */
function capacityTable(k: number): Uint32Array {
  let table = capacityTables.get(k);
  if (table === undefined) {
    table = new Uint32Array(MAX_NUM_LEVELS);
    for (let depth = 0; depth < MAX_NUM_LEVELS; depth++) table[depth] = Math.max(M, intCapAux(k, depth));
    capacityTables.set(k, table);
  }
  return table;
}

function totalCapacity(table: Uint32Array, numLevels: number): number {
  let total = 0;
  for (let depth = 0; depth < numLevels; depth++) total += table[depth]!;
  return total;
}

/** 1 + floor(log2(n)): an upper bound on the number of levels a sketch of n items can have. */
function ubOnNumLevels(n: number): number {
  if (n === 0) return 1;
  let count = 0;
  let denom = 2;
  while (denom <= n) {
    denom *= 2;
    count++;
  }
  return 1 + count;
}

/**
 * Sorts buf[start, end) ascending in place. Level zero is usually small when it is compacted (about 14
 * items for k = 200), where a plain insertion sort beats TypedArray#sort's per-call cost many times over;
 * larger ranges use quicksort with a median-of-three pivot. No NaN ever reaches here.
 */
function sortRange(buf: Float64Array, start: number, end: number): void {
  while (end - start > 24) {
    const mid = (start + end) >>> 1;
    const x = buf[start]!;
    const y = buf[mid]!;
    const z = buf[end - 1]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = start;
    let j = end - 1;
    for (;;) {
      while (buf[i]! < pivot) i++;
      while (pivot < buf[j]!) j--;
      if (i >= j) break;
      const t = buf[i]!;
      buf[i++] = buf[j]!;
      buf[j--] = t;
    }
    // recurse into the smaller side, loop on the larger: O(log n) stack
    if (j + 1 - start < end - j - 1) {
      sortRange(buf, start, j + 1);
      start = j + 1;
    } else {
      sortRange(buf, j + 1, end);
      end = j + 1;
    }
  }
  for (let i = start + 1; i < end; i++) {
    const x = buf[i]!;
    let j = i - 1;
    while (j >= start && buf[j]! > x) {
      buf[j + 1] = buf[j]!;
      j--;
    }
    buf[j + 1] = x;
  }
}

function randomlyHalveDown(buf: Float64Array, start: number, length: number, offset: number): void {
  const halfLength = length / 2;
  let j = start + offset;
  for (let i = start; i < start + halfLength; i++) {
    if (i !== j) buf[i] = buf[j]!;
    j += 2;
  }
}

function randomlyHalveUp(buf: Float64Array, start: number, length: number, offset: number): void {
  const halfLength = length / 2;
  let j = start + length - 1 - offset;
  for (let i = start + length - 1; i >= start + halfLength; i--) {
    if (i !== j) buf[i] = buf[j]!;
    j -= 2;
  }
}

function mergeSortedInto(
  bufA: Float64Array,
  startA: number,
  lenA: number,
  bufB: Float64Array,
  startB: number,
  lenB: number,
  out: Float64Array,
  startC: number,
): void {
  const limA = startA + lenA;
  const limB = startB + lenB;
  const limC = startC + lenA + lenB;
  let a = startA;
  let b = startB;
  for (let c = startC; c < limC; c++) {
    if (a === limA) out[c] = bufB[b++]!;
    else if (b === limB) out[c] = bufA[a++]!;
    else if (bufA[a]! < bufB[b]!) out[c] = bufA[a++]!;
    else out[c] = bufB[b++]!;
  }
}

interface CompressResult {
  finalNumLevels: number;
  finalCapacity: number;
  finalNumItems: number;
}

/**
 * DataSketches' general_compress: walks the levels bottom-up and compacts every level that is over its
 * capacity while the whole sketch is over capacity, possibly adding levels on top.
 */
function generalCompress(
  k: number,
  numLevelsIn: number,
  items: Float64Array,
  inLevels: Uint32Array,
  outLevels: Uint32Array,
  isLevelZeroSorted: boolean,
  randomBit: () => number,
): CompressResult {
  const table = capacityTable(k);
  const startingItemCount = inLevels[numLevelsIn]! - inLevels[0]!;
  let currentNumLevels = numLevelsIn;
  let currentItemCount = startingItemCount;
  let targetItemCount = totalCapacity(table, currentNumLevels);
  let doneYet = false;
  outLevels[0] = 0;
  let currentLevel = 0;
  while (!doneYet) {
    if (currentLevel === currentNumLevels - 1) inLevels[currentLevel + 2] = inLevels[currentLevel + 1]!;
    const rawBeg = inLevels[currentLevel]!;
    const rawLim = inLevels[currentLevel + 1]!;
    const rawPop = rawLim - rawBeg;
    const capacity = table[currentNumLevels - currentLevel - 1]!;
    if (currentItemCount < targetItemCount || rawPop < capacity) {
      items.copyWithin(outLevels[currentLevel]!, rawBeg, rawLim);
      outLevels[currentLevel + 1] = outLevels[currentLevel]! + rawPop;
    } else {
      const popAbove = inLevels[currentLevel + 2]! - rawLim;
      const oddPop = (rawPop & 1) === 1;
      const adjBeg = oddPop ? rawBeg + 1 : rawBeg;
      const adjPop = oddPop ? rawPop - 1 : rawPop;
      const halfAdjPop = adjPop / 2;
      if (oddPop) {
        items[outLevels[currentLevel]!] = items[rawBeg]!;
        outLevels[currentLevel + 1] = outLevels[currentLevel]! + 1;
      } else {
        outLevels[currentLevel + 1] = outLevels[currentLevel]!;
      }
      if (currentLevel === 0 && !isLevelZeroSorted) sortRange(items, adjBeg, adjBeg + adjPop);
      if (popAbove === 0) {
        randomlyHalveUp(items, adjBeg, adjPop, randomBit());
      } else {
        randomlyHalveDown(items, adjBeg, adjPop, randomBit());
        mergeSortedInto(items, adjBeg, halfAdjPop, items, rawLim, popAbove, items, adjBeg + halfAdjPop);
      }
      currentItemCount -= halfAdjPop;
      inLevels[currentLevel + 1] = inLevels[currentLevel + 1]! - halfAdjPop;
      if (currentLevel === currentNumLevels - 1) {
        currentNumLevels++;
        targetItemCount += table[currentNumLevels - 1]!;
      }
    }
    if (currentLevel === currentNumLevels - 1) doneYet = true;
    currentLevel++;
  }
  if (outLevels[currentNumLevels]! - outLevels[0] !== currentItemCount) {
    throw new RootlineError('INTERNAL', 'KLL compaction lost track of its items');
  }
  return { finalNumLevels: currentNumLevels, finalCapacity: targetItemCount, finalNumItems: currentItemCount };
}

function invalid(message: string, details?: Record<string, unknown>): RootlineError {
  return new RootlineError('SKETCH_INVALID', `invalid KLL doubles sketch: ${message}`, details ? { details } : {});
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < KLL_MIN_K || k > KLL_MAX_K) {
    throw new RootlineError('INVALID_ARGUMENT', `KLL k must be an integer from ${KLL_MIN_K} to ${KLL_MAX_K}, got ${k}`);
  }
}

class SortedView implements KllSortedView {
  constructor(
    readonly items: Float64Array,
    readonly weights: Float64Array,
    readonly cumulativeWeights: Float64Array,
    readonly totalWeight: number,
  ) {}

  /** Index of the first item > x (inclusive) or >= x (exclusive), as std::upper_bound / lower_bound. */
  bound(x: number, inclusive: boolean): number {
    const items = this.items;
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const v = items[mid]!;
      if (inclusive ? !(x < v) : v < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  rank(x: number, inclusive: boolean): number {
    const idx = this.bound(x, inclusive);
    if (idx === 0) return 0;
    return this.cumulativeWeights[idx - 1]! / this.totalWeight;
  }

  quantile(rank: number, inclusive: boolean): number {
    const product = rank * this.totalWeight;
    const weight = inclusive ? Math.ceil(product) : Math.floor(product);
    const cum = this.cumulativeWeights;
    let lo = 0;
    let hi = cum.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      // inclusive: first cumulative weight >= weight; exclusive: first > weight
      if (inclusive ? cum[mid]! < weight : !(weight < cum[mid]!)) lo = mid + 1;
      else hi = mid;
    }
    if (lo === cum.length) return this.items[cum.length - 1]!;
    return this.items[lo]!;
  }
}

/**
 * A KLL quantiles sketch of doubles that reads and writes the Apache DataSketches binary format
 * (`kll_doubles_sketch`, family 15) byte for byte, and follows the C++ library's algorithm: the same
 * level capacities, compaction and merge, so a sketch built here behaves like one built by
 * DataSketches with different random bits.
 *
 * Updates are allocation-free outside compactions; `updateMany` is the fast path for columns.
 * Queries (`getRank`, `getQuantile`, `getCDF`, `getPMF`, `sortedView`) sort level zero in place
 * first, exactly as DataSketches does, so the level-zero-sorted flag is set after a query.
 * On an empty sketch, `min`, `max`, `getRank` and `getQuantile` return NaN and the array queries
 * return `[]` (DataSketches throws there).
 */
export class KllDoublesSketch {
  private readonly k_: number;
  private minK_: number;
  private n_ = 0;
  private numLevels_ = 1;
  private levels: Uint32Array = new Uint32Array(SMALL_LEVELS_ARRAY_SIZE);
  private items: Float64Array;
  private min_ = NaN;
  private max_ = NaN;
  private levelZeroSorted = false;
  private view: SortedView | null = null;
  private random: RandomSource;
  /** Read-only (see {@link freeze}). */
  private frozen = false;
  private readonly capacities: Uint32Array;
  /** Item arrays by capacity and the sorted view's array, kept for reuse (a {@link reusable} sketch); else null. */
  private pool: Map<number, Float64Array> | null = null;
  private viewArray: Float64Array | null = null;

  /**
   * @param k accuracy parameter, 8..65535, default 200 (normalized rank error about 1.33%).
   */
  constructor(k: number = DEFAULT_KLL_K, options: KllSketchOptions = {}) {
    checkK(k);
    this.k_ = k;
    this.minK_ = k;
    this.items = adoptingItems ? NO_ITEMS : new Float64Array(k);
    this.levels[0] = k;
    this.levels[1] = k;
    this.random = options.random ?? Math.random;
    this.capacities = capacityTable(k);
  }

  /** The configured k. */
  get k(): number {
    return this.k_;
  }

  /** The smallest k among the sketches merged into this one (drives the error bound). */
  get minK(): number {
    return this.minK_;
  }

  /** Number of values seen (NaN excluded). */
  get n(): number {
    return this.n_;
  }

  get isEmpty(): boolean {
    return this.n_ === 0;
  }

  /** True once the sketch has compacted (it no longer keeps every value). */
  get isEstimationMode(): boolean {
    return this.numLevels_ > 1;
  }

  /** Smallest value seen; NaN when empty. */
  get min(): number {
    return this.min_;
  }

  /** Largest value seen; NaN when empty. */
  get max(): number {
    return this.max_;
  }

  /** Number of items the sketch keeps. */
  get numRetained(): number {
    return this.levels[this.numLevels_]! - this.levels[0]!;
  }

  /** Number of levels (1 while exact). */
  get numLevels(): number {
    return this.numLevels_;
  }

  /** Adds one value. NaN is ignored, as in DataSketches; infinities are kept. */
  update(x: number): void {
    if (this.frozen) throw frozenError();
    if (x !== x) return;
    if (this.n_ === 0) {
      this.min_ = x;
      this.max_ = x;
    } else {
      if (x < this.min_) this.min_ = x;
      if (this.max_ < x) this.max_ = x;
    }
    let free = this.levels[0]!;
    if (free === 0) {
      this.compressWhileUpdating();
      free = this.levels[0]!;
    }
    this.levels[0] = --free;
    this.items[free] = x;
    this.n_++;
    this.levelZeroSorted = false;
    this.view = null;
  }

  /** Adds many values; the same result as calling `update` for each, faster. NaN is ignored. */
  updateMany(values: Float64Array | readonly number[]): void {
    if (this.frozen) throw frozenError();
    const len = values.length;
    let i = 0;
    while (i < len) {
      let free = this.levels[0]!;
      if (free === 0) {
        // skip NaNs first: a compaction must only happen when a value actually arrives
        while (i < len && values[i] !== values[i]) i++;
        if (i === len) break;
        this.compressWhileUpdating();
        free = this.levels[0]!;
      }
      const items = this.items;
      let n = this.n_;
      let min = this.min_;
      let max = this.max_;
      const startFree = free;
      while (free > 0 && i < len) {
        const x = values[i++]!;
        if (x !== x) continue;
        if (n === 0) {
          min = x;
          max = x;
        } else {
          if (x < min) min = x;
          if (max < x) max = x;
        }
        items[--free] = x;
        n++;
      }
      if (free !== startFree) {
        this.levels[0] = free;
        this.n_ = n;
        this.min_ = min;
        this.max_ = max;
        this.levelZeroSorted = false;
        this.view = null;
      }
    }
  }

  /**
   * Merges another sketch into this one (DataSketches' merge: the other's level zero is fed through
   * updates, higher levels are merged and compacted). The other sketch is not changed.
   * Sketches with different k merge; the error bound then follows the smaller k (`minK`).
   */
  merge(other: KllDoublesSketch): void {
    if (this.frozen) throw frozenError();
    if (other.isEmpty) return;
    const src = other === this ? other.clone() : other;
    if (this.isEmpty) {
      this.min_ = src.min_;
      this.max_ = src.max_;
    } else {
      if (src.min_ < this.min_) this.min_ = src.min_;
      if (this.max_ < src.max_) this.max_ = src.max_;
    }
    const finalN = this.n_ + src.n_;
    const srcLevels = src.levels;
    for (let i = srcLevels[0]!; i < srcLevels[1]!; i++) {
      const index = this.internalUpdate();
      this.items[index] = src.items[i]!;
    }
    if (src.numLevels_ >= 2) this.mergeHigherLevels(src, finalN);
    this.n_ = finalN;
    if (src.isEstimationMode) this.minK_ = Math.min(this.minK_, src.minK_);
    this.view = null;
    if (this.totalWeight() !== this.n_) throw new RootlineError('INTERNAL', 'KLL merge: total weight does not match n');
  }

  /**
   * An independent copy, not frozen: the same items in the same order, so it merges and compacts exactly as
   * `deserialize(serialize())` of this sketch would. Its random source is `random` if given, else this one's.
   */
  clone(random?: RandomSource): KllDoublesSketch {
    const copy = KllDoublesSketch.bare(this.k_, random ?? this.random);
    copy.copyStateFrom(this);
    return copy;
  }

  /** A sketch whose items the caller assigns at once. */
  private static bare(k: number, random: RandomSource | undefined): KllDoublesSketch {
    adoptingItems = true;
    try {
      return new KllDoublesSketch(k, random === undefined ? {} : { random });
    } finally {
      adoptingItems = false;
    }
  }

  /**
   * A sketch to decode into again and again (`deserialize(bytes, { into })`), for a sketch needed only a
   * moment (a baseline window merged for one comparison): its item arrays (one per capacity) and the array
   * of its sorted view are allocated once and reused, so decoding, merging into it and viewing it allocate
   * nothing once warm. Everything read from it (its sorted view included) is valid until the next decode
   * into it. Otherwise an ordinary sketch (an empty one of k until decoded into).
   */
  static reusable(k: number = DEFAULT_KLL_K): KllDoublesSketch {
    const sketch = new KllDoublesSketch(k);
    sketch.pool = new Map();
    return sketch;
  }

  /** A new item array of `capacity`, or the reusable sketch's own one of that capacity. */
  private itemsOf(capacity: number): Float64Array {
    if (this.pool === null) return new Float64Array(capacity);
    let items = this.pool.get(capacity);
    if (items === undefined) this.pool.set(capacity, (items = new Float64Array(capacity)));
    return items;
  }

  /** Makes room in the level offsets for `numLevels` levels (and the two entries past them compactions use). */
  private ensureLevels(numLevels: number): void {
    if (numLevels + 2 <= this.levels.length) return;
    const grown = new Uint32Array(LEVELS_ARRAY_SIZE);
    grown.set(this.levels);
    this.levels = grown;
  }

  /**
   * Where the next compactions draw their random bits from: a sketch kept in memory between merges
   * continues exactly as a fresh `deserialize(serialize(), { random })` of it would.
   */
  reseed(random: RandomSource): void {
    if (this.frozen) throw frozenError();
    this.random = random;
  }

  /**
   * Makes this sketch read-only, for sharing one decoded sketch between its readers: `update`, `updateMany`,
   * `merge` into it and `reseed` throw, and queries no longer sort level zero in place (they sort a copy),
   * so its items, its serialization and what merging it into another sketch gives never change. Merging it
   * into another sketch and `clone` are fine. Returns the sketch.
   */
  freeze(): this {
    this.frozen = true;
    return this;
  }

  /** Whether {@link freeze} was called. */
  get isFrozen(): boolean {
    return this.frozen;
  }

  /**
   * Normalized rank of x: the estimated fraction of values <= x (inclusive, the default) or < x.
   * NaN when empty.
   */
  getRank(x: number, inclusive = true): number {
    if (this.isEmpty) return NaN;
    return this.sortedViewImpl().rank(x, inclusive);
  }

  /**
   * Estimated CDF at the split points (strictly increasing, no NaN): for each point its normalized rank,
   * followed by 1. Inclusive (the default) counts values equal to a split point at or below it.
   * `[]` when empty.
   */
  getCDF(splitPoints: readonly number[], inclusive = true): number[] {
    if (this.isEmpty) return [];
    checkSplitPoints(splitPoints);
    const view = this.sortedViewImpl();
    const out = splitPoints.map((p) => view.rank(p, inclusive));
    out.push(1);
    return out;
  }

  /**
   * Estimated probability mass of the m+1 intervals the m split points (strictly increasing) cut the
   * line into. `[]` when empty.
   */
  getPMF(splitPoints: readonly number[], inclusive = true): number[] {
    const buckets = this.getCDF(splitPoints, inclusive);
    for (let i = buckets.length - 1; i > 0; i--) buckets[i] = buckets[i]! - buckets[i - 1]!;
    return buckets;
  }

  /**
   * The value at a normalized rank in [0, 1]. Inclusive (the default): the smallest retained item
   * whose inclusive rank is >= rank. NaN when empty.
   */
  getQuantile(rank: number, inclusive = true): number {
    if (this.isEmpty) return NaN;
    checkRank(rank);
    return this.sortedViewImpl().quantile(rank, inclusive);
  }

  /** `getQuantile` for each rank. `[]` when empty. */
  getQuantiles(ranks: readonly number[], inclusive = true): number[] {
    if (this.isEmpty) return [];
    for (const r of ranks) checkRank(r);
    const view = this.sortedViewImpl();
    return ranks.map((r) => view.quantile(r, inclusive));
  }

  /**
   * The normalized rank error for this sketch's `minK`: single-sided (rank, quantile, CDF) by default,
   * double-sided for PMF when `pmf` is true. DataSketches fitted these to the 99th percentile of the
   * maximum error over all queries.
   */
  normalizedRankError(pmf: boolean): number {
    return KllDoublesSketch.normalizedRankErrorFor(this.minK_, pmf);
  }

  /** DataSketches' normalized rank error for a given k (see `normalizedRankError`). */
  static normalizedRankErrorFor(k: number, pmf: boolean): number {
    return pmf ? 2.446 / Math.pow(k, 0.9433) : 2.296 / Math.pow(k, 0.9723);
  }

  /** Retained items with their weights (2^level), level by level, as DataSketches' iterator yields them. */
  *entries(): IterableIterator<[item: number, weight: number]> {
    const levels = this.levels;
    let weight = 1;
    for (let level = 0; level < this.numLevels_; level++) {
      for (let i = levels[level]!; i < levels[level + 1]!; i++) yield [this.items[i]!, weight];
      weight *= 2;
    }
  }

  /**
   * Retained items sorted ascending with weights and cumulative weights (for KS distances between
   * sketches). Cached until the sketch changes; see {@link KllSortedView}.
   */
  sortedView(): KllSortedView {
    return this.sortedViewImpl();
  }

  /** Serializes in the DataSketches format (compact: empty, single-item or full form). */
  serialize(): Uint8Array {
    const isSingleItem = this.n_ === 1;
    const flags =
      (this.isEmpty ? FLAG_EMPTY : 0) |
      (this.levelZeroSorted ? FLAG_LEVEL_ZERO_SORTED : 0) |
      (isSingleItem ? FLAG_SINGLE_ITEM : 0);
    const numRetained = this.numRetained;
    let size: number;
    if (this.isEmpty) size = EMPTY_SIZE_BYTES;
    else if (isSingleItem) size = DATA_START_SINGLE_ITEM + ITEM_BYTES;
    else size = DATA_START + this.numLevels_ * 4 + (numRetained + 2) * ITEM_BYTES;
    const bytes = new Uint8Array(size);
    const dv = new DataView(bytes.buffer);
    dv.setUint8(0, this.isEmpty || isSingleItem ? PREAMBLE_INTS_SHORT : PREAMBLE_INTS_FULL);
    dv.setUint8(1, isSingleItem ? SERIAL_VERSION_2 : SERIAL_VERSION_1);
    dv.setUint8(2, FAMILY_ID);
    dv.setUint8(3, flags);
    dv.setUint16(4, this.k_, true);
    dv.setUint8(6, M);
    if (this.isEmpty) return bytes;
    let offset: number;
    if (isSingleItem) {
      offset = DATA_START_SINGLE_ITEM;
    } else {
      dv.setBigUint64(8, BigInt(this.n_), true);
      dv.setUint16(16, this.minK_, true);
      dv.setUint8(18, this.numLevels_);
      offset = DATA_START;
      for (let level = 0; level < this.numLevels_; level++) {
        dv.setUint32(offset, this.levels[level]!, true);
        offset += 4;
      }
      dv.setFloat64(offset, this.min_, true);
      dv.setFloat64(offset + 8, this.max_, true);
      offset += 16;
    }
    const first = this.levels[0]!;
    if (LITTLE_ENDIAN) {
      // The items as little-endian doubles, as this machine's: one copy of their bytes.
      bytes.set(
        new Uint8Array(this.items.buffer, this.items.byteOffset + first * ITEM_BYTES, numRetained * ITEM_BYTES),
        offset,
      );
      return bytes;
    }
    for (let i = first; i < this.levels[this.numLevels_]!; i++) {
      dv.setFloat64(offset, this.items[i]!, true);
      offset += 8;
    }
    return bytes;
  }

  /** Base64 of `serialize()`, the form the report contract carries. */
  toBase64(): string {
    const bytes = this.serialize();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  }

  /** Reads a base64 DataSketches KLL doubles sketch; RootlineError SKETCH_INVALID if malformed. */
  static fromBase64(text: string, options: KllSketchOptions = {}): KllDoublesSketch {
    if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
      throw invalid('not base64', { length: text.length });
    }
    return KllDoublesSketch.deserialize(new Uint8Array(Buffer.from(text, 'base64')), options);
  }

  /**
   * Reads the DataSketches binary form of a `kll_doubles_sketch` (any of the empty, single-item and full
   * forms). Throws RootlineError SKETCH_INVALID for a wrong family, serial version, m or preamble size,
   * unknown flags, a truncated or oversized buffer, levels that are out of order or do not add up to n,
   * unsorted levels above zero (or level zero when the flags say it is sorted), min above max, items
   * outside min..max, or NaN items.
   */
  static deserialize(bytes: Uint8Array, options: KllDeserializeOptions = {}): KllDoublesSketch {
    if (bytes.byteLength < 8) throw invalid(`${bytes.byteLength} bytes, the preamble alone needs 8`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const preambleInts = dv.getUint8(0);
    const serialVersion = dv.getUint8(1);
    const familyId = dv.getUint8(2);
    const flags = dv.getUint8(3);
    const k = dv.getUint16(4, true);
    const m = dv.getUint8(6);
    if (familyId !== FAMILY_ID) throw invalid(`family id ${familyId}, expected ${FAMILY_ID} (KLL)`, { familyId });
    if (serialVersion !== SERIAL_VERSION_1 && serialVersion !== SERIAL_VERSION_2) {
      throw invalid(`serial version ${serialVersion}, expected 1 or 2`, { serialVersion });
    }
    if (m !== M) throw invalid(`m = ${m}, expected ${M}`, { m });
    if (k < KLL_MIN_K) throw invalid(`k = ${k} is below ${KLL_MIN_K}`, { k });
    const isEmpty = (flags & FLAG_EMPTY) !== 0;
    const isSingleItem = (flags & FLAG_SINGLE_ITEM) !== 0;
    if ((flags & ~(FLAG_EMPTY | FLAG_LEVEL_ZERO_SORTED | FLAG_SINGLE_ITEM)) !== 0 || (isEmpty && isSingleItem))
      throw invalid(`flags ${flags} are not a valid combination of empty, level-zero-sorted and single-item`, {
        flags,
      });
    const expectedPreamble = isEmpty || isSingleItem ? PREAMBLE_INTS_SHORT : PREAMBLE_INTS_FULL;
    if (preambleInts !== expectedPreamble) {
      throw invalid(`preamble ints ${preambleInts}, expected ${expectedPreamble} for flags ${flags}`, {
        preambleInts,
        flags,
      });
    }
    const full = !isEmpty && !isSingleItem;
    const into = options.into;
    const reuse = full && into !== undefined && into.pool !== null && into.k_ === k;
    const sketch = reuse
      ? into.reset(options.random)
      : full
        ? KllDoublesSketch.bare(k, options.random)
        : new KllDoublesSketch(k, options);
    if (isEmpty) {
      if (bytes.byteLength !== EMPTY_SIZE_BYTES) {
        throw invalid(`empty sketch of ${bytes.byteLength} bytes, expected ${EMPTY_SIZE_BYTES}`);
      }
      return sketch;
    }
    const table = sketch.capacities;
    if (isSingleItem) {
      const expected = DATA_START_SINGLE_ITEM + ITEM_BYTES;
      if (bytes.byteLength !== expected)
        throw invalid(`single-item sketch of ${bytes.byteLength} bytes, expected ${expected}`);
      const item = dv.getFloat64(DATA_START_SINGLE_ITEM, true);
      if (Number.isNaN(item)) throw invalid('NaN item');
      sketch.items[k - 1] = item;
      sketch.levels[0] = k - 1;
      sketch.levels[1] = k;
      sketch.n_ = 1;
      sketch.min_ = item;
      sketch.max_ = item;
      sketch.levelZeroSorted = (flags & FLAG_LEVEL_ZERO_SORTED) !== 0;
      return sketch;
    }
    // Serial version 2 is the single-item form only (as DataSketches-java validates it).
    if (serialVersion !== SERIAL_VERSION_1)
      throw invalid(`serial version ${serialVersion} on a full sketch, expected ${SERIAL_VERSION_1}`, {
        serialVersion,
      });
    if (bytes.byteLength < DATA_START)
      throw invalid(`truncated: ${bytes.byteLength} bytes, the full preamble needs ${DATA_START}`);
    const nBig = dv.getBigUint64(8, true);
    if (nBig > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(`n = ${nBig} is beyond 2^53`);
    const n = Number(nBig);
    const minK = dv.getUint16(16, true);
    const numLevels = dv.getUint8(18);
    if (numLevels < 1 || numLevels > MAX_NUM_LEVELS) throw invalid(`${numLevels} levels`, { numLevels });
    if (minK < KLL_MIN_K || minK > k) throw invalid(`min k ${minK} outside ${KLL_MIN_K}..${k}`, { minK, k });
    const levelsEnd = DATA_START + numLevels * 4;
    if (bytes.byteLength < levelsEnd + 16) throw invalid(`truncated: ${bytes.byteLength} bytes before the items`);
    const capacity = totalCapacity(table, numLevels);
    sketch.ensureLevels(numLevels);
    const levels = sketch.levels;
    for (let level = 0; level < numLevels; level++) levels[level] = dv.getUint32(DATA_START + level * 4, true);
    levels[numLevels] = capacity;
    let weight = 1;
    let totalWeight = 0;
    for (let level = 0; level < numLevels; level++) {
      if (levels[level]! > levels[level + 1]!) {
        throw invalid(`inconsistent levels: offsets must rise to the capacity ${capacity}`, {
          levels: Array.from(levels.subarray(0, numLevels + 1)),
        });
      }
      totalWeight += (levels[level + 1]! - levels[level]!) * weight;
      weight *= 2;
    }
    if (totalWeight !== n) throw invalid(`inconsistent levels: their weights add up to ${totalWeight}, n is ${n}`);
    const numRetained = capacity - levels[0]!;
    const expectedSize = levelsEnd + 16 + numRetained * ITEM_BYTES;
    if (bytes.byteLength !== expectedSize) {
      throw invalid(`${bytes.byteLength} bytes, expected ${expectedSize} for ${numRetained} items`, {
        size: bytes.byteLength,
        expectedSize,
      });
    }
    const min = dv.getFloat64(levelsEnd, true);
    const max = dv.getFloat64(levelsEnd + 8, true);
    if (Number.isNaN(min) || Number.isNaN(max)) throw invalid('NaN min or max');
    if (min > max) throw invalid(`min ${min} is greater than max ${max}`);
    const items = sketch.itemsOf(capacity);
    const first = levels[0]!;
    if (LITTLE_ENDIAN) {
      // The items are little-endian doubles, as this machine's: one copy of their bytes.
      const start = bytes.byteOffset + levelsEnd + 16;
      new Uint8Array(items.buffer, first * ITEM_BYTES, numRetained * ITEM_BYTES).set(
        new Uint8Array(bytes.buffer, start, numRetained * ITEM_BYTES),
      );
    } else {
      let offset = levelsEnd + 16;
      for (let i = first; i < capacity; i++) {
        items[i] = dv.getFloat64(offset, true);
        offset += 8;
      }
    }
    // Every item a number within min .. max, and sorted within its level (level zero only when flagged so): one
    // pass over the items; on a failure, the checks one after the other say which (the same error as always).
    const zeroSorted = (flags & FLAG_LEVEL_ZERO_SORTED) !== 0;
    let valid = true;
    for (let level = 0; valid && level < numLevels; level++) {
      const sorted = level > 0 || zeroSorted;
      const to = levels[level + 1]!;
      let prev = -Infinity;
      for (let i = levels[level]!; i < to; i++) {
        const item = items[i]!;
        // NaN fails both comparisons.
        if (!(item >= min && item <= max) || (sorted && item < prev)) {
          valid = false;
          break;
        }
        prev = item;
      }
    }
    if (!valid) {
      for (let i = first; i < capacity; i++) {
        const item = items[i]!;
        if (item !== item) throw invalid('NaN item');
      }
      for (let level = zeroSorted ? 0 : 1; level < numLevels; level++) {
        for (let i = levels[level]! + 1; i < levels[level + 1]!; i++) {
          if (items[i]! < items[i - 1]!) throw invalid(`level ${level} is not sorted`);
        }
      }
      for (let i = first; i < capacity; i++) {
        if (items[i]! < min || items[i]! > max) throw invalid(`item ${items[i]} outside min ${min} .. max ${max}`);
      }
    }
    sketch.items = items;
    sketch.n_ = n;
    sketch.minK_ = minK;
    sketch.numLevels_ = numLevels;
    sketch.min_ = min;
    sketch.max_ = max;
    sketch.levelZeroSorted = (flags & FLAG_LEVEL_ZERO_SORTED) !== 0;
    return sketch;
  }

  /** A reusable sketch made ready to be decoded into (its state is set by the caller, as on a bare one). */
  private reset(random: RandomSource | undefined): this {
    if (this.frozen) throw frozenError();
    this.random = random ?? Math.random;
    this.view = null;
    return this;
  }

  private copyStateFrom(other: KllDoublesSketch): void {
    this.minK_ = other.minK_;
    this.n_ = other.n_;
    this.numLevels_ = other.numLevels_;
    if (this.levels.length < other.levels.length) this.levels = new Uint32Array(other.levels.length);
    this.levels.set(other.levels);
    this.items = other.items.slice();
    this.min_ = other.min_;
    this.max_ = other.max_;
    this.levelZeroSorted = other.levelZeroSorted;
    this.view = null;
  }

  private randomBit = (): number => (this.random() < 0.5 ? 0 : 1);

  private totalWeight(): number {
    let total = 0;
    let weight = 1;
    for (let level = 0; level < this.numLevels_; level++) {
      total += (this.levels[level + 1]! - this.levels[level]!) * weight;
      weight *= 2;
    }
    return total;
  }

  private internalUpdate(): number {
    if (this.levels[0] === 0) this.compressWhileUpdating();
    this.n_++;
    this.levelZeroSorted = false;
    const index = this.levels[0]! - 1;
    this.levels[0] = index;
    return index;
  }

  private findLevelToCompact(): number {
    const table = this.capacities;
    const levels = this.levels;
    for (let level = 0; level < this.numLevels_; level++) {
      const pop = levels[level + 1]! - levels[level]!;
      if (pop >= table[this.numLevels_ - level - 1]!) return level;
    }
    throw new RootlineError('INTERNAL', 'KLL capacity calculation error');
  }

  private addEmptyTopLevelToCompletelyFullSketch(): void {
    if (this.numLevels_ >= MAX_NUM_LEVELS) throw new RootlineError('INTERNAL', 'KLL sketch has too many levels');
    this.ensureLevels(this.numLevels_ + 1);
    const levels = this.levels;
    const curTotalCap = levels[this.numLevels_]!;
    if (levels[0] !== 0 || this.items.length !== curTotalCap) {
      throw new RootlineError('INTERNAL', 'KLL sketch expected to be full before growing');
    }
    const deltaCap = this.capacities[this.numLevels_]!;
    const newTotalCap = curTotalCap + deltaCap;
    const newItems = this.itemsOf(newTotalCap);
    newItems.set(this.items, deltaCap);
    this.items = newItems;
    for (let i = 0; i <= this.numLevels_; i++) levels[i] = levels[i]! + deltaCap;
    this.numLevels_++;
    levels[this.numLevels_] = newTotalCap;
  }

  /** Valid only when level zero has just run out of room during an update (C++ compress_while_updating). */
  private compressWhileUpdating(): void {
    const level = this.findLevelToCompact();
    if (level === this.numLevels_ - 1) this.addEmptyTopLevelToCompletelyFullSketch();
    const levels = this.levels;
    const items = this.items;
    const rawBeg = levels[level]!;
    const rawLim = levels[level + 1]!;
    const popAbove = levels[level + 2]! - rawLim;
    const rawPop = rawLim - rawBeg;
    const oddPop = (rawPop & 1) === 1;
    const adjBeg = oddPop ? rawBeg + 1 : rawBeg;
    const adjPop = oddPop ? rawPop - 1 : rawPop;
    const halfAdjPop = adjPop / 2;
    if (level === 0 && !this.levelZeroSorted) sortRange(items, adjBeg, adjBeg + adjPop);
    if (popAbove === 0) {
      randomlyHalveUp(items, adjBeg, adjPop, this.randomBit());
    } else {
      randomlyHalveDown(items, adjBeg, adjPop, this.randomBit());
      mergeSortedInto(items, adjBeg, halfAdjPop, items, rawLim, popAbove, items, adjBeg + halfAdjPop);
    }
    levels[level + 1] = levels[level + 1]! - halfAdjPop;
    if (oddPop) {
      levels[level] = levels[level + 1]! - 1;
      if (levels[level] !== rawBeg) items[levels[level]] = items[rawBeg]!;
    } else {
      levels[level] = levels[level + 1]!;
    }
    if (levels[level] !== rawBeg + halfAdjPop) throw new RootlineError('INTERNAL', 'KLL compaction error');
    if (level > 0) {
      const amount = rawBeg - levels[0]!;
      items.copyWithin(levels[0]! + halfAdjPop, levels[0]!, levels[0]! + amount);
      for (let lvl = 0; lvl < level; lvl++) levels[lvl] = levels[lvl]! + halfAdjPop;
    }
  }

  private safeLevelSize(level: number): number {
    if (level >= this.numLevels_) return 0;
    return this.levels[level + 1]! - this.levels[level]!;
  }

  private mergeHigherLevels(other: KllDoublesSketch, finalN: number): void {
    const otherAboveZero = other.numLevels_ === 1 ? 0 : other.levels[other.numLevels_]! - other.levels[1]!;
    // Scratch arrays (merges run one at a time): every entry read below is written first.
    const workbuf = mergeScratch(this.numRetained + otherAboveZero);
    const ub = ubOnNumLevels(finalN);
    const worklevels = MERGE_WORK_LEVELS;
    const outlevels = MERGE_OUT_LEVELS;
    const provisionalNumLevels = Math.max(this.numLevels_, other.numLevels_);

    // populate_work_arrays: level zero of "other" already went through internalUpdate
    worklevels[0] = 0;
    workbuf.set(this.items.subarray(this.levels[0], this.levels[1]), 0);
    worklevels[1] = this.safeLevelSize(0);
    for (let lvl = 1; lvl < provisionalNumLevels; lvl++) {
      const selfPop = this.safeLevelSize(lvl);
      const otherPop = other.safeLevelSize(lvl);
      worklevels[lvl + 1] = worklevels[lvl]! + selfPop + otherPop;
      if (selfPop > 0 && otherPop === 0) {
        workbuf.set(this.items.subarray(this.levels[lvl], this.levels[lvl]! + selfPop), worklevels[lvl]);
      } else if (selfPop === 0 && otherPop > 0) {
        workbuf.set(other.items.subarray(other.levels[lvl], other.levels[lvl]! + otherPop), worklevels[lvl]);
      } else if (selfPop > 0 && otherPop > 0) {
        mergeSortedInto(
          this.items,
          this.levels[lvl]!,
          selfPop,
          other.items,
          other.levels[lvl]!,
          otherPop,
          workbuf,
          worklevels[lvl]!,
        );
      }
    }

    const result = generalCompress(
      this.k_,
      provisionalNumLevels,
      workbuf,
      worklevels,
      outlevels,
      this.levelZeroSorted,
      this.randomBit,
    );
    if (result.finalNumLevels > ub) throw new RootlineError('INTERNAL', 'KLL merge error: too many levels');
    this.ensureLevels(result.finalNumLevels);
    if (result.finalCapacity !== this.items.length) this.items = this.itemsOf(result.finalCapacity);
    const freeSpaceAtBottom = result.finalCapacity - result.finalNumItems;
    this.items.set(workbuf.subarray(outlevels[0], outlevels[0]! + result.finalNumItems), freeSpaceAtBottom);
    const offset = freeSpaceAtBottom - outlevels[0]!;
    for (let lvl = 0; lvl <= result.finalNumLevels; lvl++) this.levels[lvl] = outlevels[lvl]! + offset;
    this.numLevels_ = result.finalNumLevels;
  }

  private sortedViewImpl(): SortedView {
    if (this.view !== null) return this.view;
    const levels = this.levels;
    // A frozen sketch's level zero is sorted in a copy (the same values in the same order: the same view).
    let zero: Float64Array | undefined;
    if (!this.levelZeroSorted) {
      if (this.frozen) {
        zero = zeroScratch(levels[1]! - levels[0]!);
        zero.set(this.items.subarray(levels[0], levels[1]));
        sortRange(zero, 0, levels[1]! - levels[0]!);
      } else {
        sortRange(this.items, levels[0]!, levels[1]!);
        this.levelZeroSorted = true;
      }
    }
    const total = this.numRetained;
    const items = this.items;
    // The levels are merged one after the other into the entries so far (std::merge: on ties the earlier
    // entries come first), ping-ponging between two scratch pairs; the last merge writes the view's own arrays.
    const scratch = viewScratch(total);
    let vItems = scratch[0];
    let vWeights = scratch[1];
    let tItems = scratch[2];
    let tWeights = scratch[3];
    let lastLevel = 0;
    for (let level = 0; level < this.numLevels_; level++) if (levels[level]! < levels[level + 1]!) lastLevel = level;
    // One allocation for the view's three arrays.
    let out: Float64Array;
    if (this.pool === null) out = new Float64Array(3 * total);
    else {
      if (this.viewArray === null || this.viewArray.length < 3 * total)
        this.viewArray = new Float64Array(Math.max(3 * total, 2048));
      out = this.viewArray;
    }
    const outItems = out.subarray(0, total);
    const outWeights = out.subarray(total, 2 * total);
    const cumulative = out.subarray(2 * total, 3 * total);
    let size = 0;
    let weight = 1;
    for (let level = 0; level <= lastLevel; level++, weight *= 2) {
      const src = level === 0 && zero !== undefined ? zero : items;
      const from = src === zero ? 0 : levels[level]!;
      const to = src === zero ? levels[1]! - levels[0]! : levels[level + 1]!;
      if (from >= to) continue;
      if (level === lastLevel) {
        tItems = outItems;
        tWeights = outWeights;
      }
      let a = 0;
      let b = from;
      let c = 0;
      if (a < size && b < to) {
        let av = vItems[a]!;
        let bv = src[b]!;
        for (;;) {
          if (bv < av) {
            tItems[c] = bv;
            tWeights[c++] = weight;
            if (++b === to) break;
            bv = src[b]!;
          } else {
            tItems[c] = av;
            tWeights[c++] = vWeights[a]!;
            if (++a === size) break;
            av = vItems[a]!;
          }
        }
      }
      while (a < size) {
        tItems[c] = vItems[a]!;
        tWeights[c++] = vWeights[a++]!;
      }
      while (b < to) {
        tItems[c] = src[b++]!;
        tWeights[c++] = weight;
      }
      size = c;
      const swapItems = vItems;
      vItems = tItems;
      tItems = swapItems;
      const swapWeights = vWeights;
      vWeights = tWeights;
      tWeights = swapWeights;
    }
    let running = 0;
    for (let i = 0; i < total; i++) {
      running += outWeights[i]!;
      cumulative[i] = running;
    }
    this.view = new SortedView(outItems, outWeights, cumulative, running);
    return this.view;
  }
}

/** Level offsets of a merge (ubOnNumLevels(2^53) + 2 entries at most). */
const MERGE_WORK_LEVELS = new Uint32Array(LEVELS_ARRAY_SIZE);
const MERGE_OUT_LEVELS = new Uint32Array(LEVELS_ARRAY_SIZE);
let mergeWork = new Float64Array(4096);
function mergeScratch(size: number): Float64Array {
  if (mergeWork.length < size) mergeWork = new Float64Array(Math.max(size, 2 * mergeWork.length));
  return mergeWork;
}

let zeroWork = new Float64Array(1024);
function zeroScratch(size: number): Float64Array {
  if (zeroWork.length < size) zeroWork = new Float64Array(Math.max(size, 2 * zeroWork.length));
  return zeroWork;
}

/** The sorted view's scratch arrays (items and weights, twice), grown as needed: views are built one at a time. */
let scratchArrays: [Float64Array, Float64Array, Float64Array, Float64Array] | undefined;
function viewScratch(total: number): [Float64Array, Float64Array, Float64Array, Float64Array] {
  if (scratchArrays === undefined || scratchArrays[0].length < total) {
    const n = Math.max(total, 1024);
    scratchArrays = [new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  }
  return scratchArrays;
}

function frozenError(): RootlineError {
  return new RootlineError('INTERNAL', 'this KLL sketch is frozen (shared, read-only): clone it to change it');
}

function checkRank(rank: number): void {
  if (!(rank >= 0 && rank <= 1)) {
    throw new RootlineError('INVALID_ARGUMENT', `normalized rank must be in [0, 1], got ${rank}`);
  }
}

function checkSplitPoints(points: readonly number[]): void {
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    if (Number.isNaN(p)) throw new RootlineError('INVALID_ARGUMENT', 'split points must not be NaN');
    if (i > 0 && !(points[i - 1]! < p)) {
      throw new RootlineError('INVALID_ARGUMENT', 'split points must be unique and increasing');
    }
  }
}
