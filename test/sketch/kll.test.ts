import { describe, expect, it } from 'vitest';
import { isRootlineError } from '../../src/errors/index.js';
import { KLL_MAX_K, KLL_MIN_K, KllDoublesSketch, seededRandom } from '../../src/sketch/index.js';
import { VECTOR_DIR, readVector } from './kll-manifest.js';

function filled(values: ArrayLike<number>, k = 200, seed = 1): KllDoublesSketch {
  const s = new KllDoublesSketch(k, { random: seededRandom(seed) });
  for (let i = 0; i < values.length; i++) s.update(values[i]!);
  return s;
}

function uniformData(n: number, seed: number): Float64Array {
  const rnd = seededRandom(seed);
  return Float64Array.from({ length: n }, () => rnd() * 100 - 50);
}

function expectInvalid(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(isRootlineError(caught, 'SKETCH_INVALID'), String(caught)).toBe(true);
  expect((caught as Error).message).toMatch(message);
}

describe('KllDoublesSketch basics', () => {
  it('validates k', () => {
    for (const k of [KLL_MIN_K - 1, KLL_MAX_K + 1, 100.5, NaN]) {
      expect(() => new KllDoublesSketch(k)).toThrow(/k must be an integer/);
    }
    expect(new KllDoublesSketch().k).toBe(200);
    expect(new KllDoublesSketch(KLL_MIN_K).k).toBe(8);
    expect(new KllDoublesSketch(KLL_MAX_K).k).toBe(65535);
  });

  it('tracks n, min and max, ignores NaN, keeps infinities', () => {
    const s = new KllDoublesSketch();
    expect(s.isEmpty).toBe(true);
    expect(s.min).toBeNaN();
    s.update(NaN);
    expect(s.n).toBe(0);
    for (const x of [3, -Infinity, 7, NaN, Infinity, 0]) s.update(x);
    expect(s.n).toBe(5);
    expect(s.min).toBe(-Infinity);
    expect(s.max).toBe(Infinity);
    expect(s.numRetained).toBe(5);
    expect(s.isEstimationMode).toBe(false);
  });

  it('is exact below capacity: ranks and quantiles equal the sorted data', () => {
    const data = [5, 1, 4, 2, 3, 3];
    const s = filled(data);
    expect(s.getRank(3)).toBeCloseTo(4 / 6, 15);
    expect(s.getRank(3, false)).toBeCloseTo(2 / 6, 15);
    expect(s.getRank(0)).toBe(0);
    expect(s.getRank(9)).toBe(1);
    expect(s.getQuantile(0.5)).toBe(3);
    expect(s.getQuantile(0)).toBe(1);
    expect(s.getQuantile(1)).toBe(5);
    expect(s.getQuantiles([0, 0.5, 1])).toEqual([1, 3, 5]);
    expect(s.getCDF([2, 4])).toEqual([2 / 6, 5 / 6, 1]);
    const pmf = s.getPMF([2, 4]);
    expect(pmf.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 15);
    expect(pmf[1]).toBeCloseTo(3 / 6, 15);
  });

  it('compacts into levels and keeps the total weight equal to n', () => {
    const s = filled(uniformData(100_000, 3));
    expect(s.isEstimationMode).toBe(true);
    expect(s.numLevels).toBeGreaterThan(5);
    expect(s.numRetained).toBeLessThan(700);
    let weight = 0;
    for (const [, w] of s.entries()) weight += w;
    expect(weight).toBe(100_000);
    const view = s.sortedView();
    expect(view.totalWeight).toBe(100_000);
    for (let i = 1; i < view.items.length; i++) expect(view.items[i]! >= view.items[i - 1]!).toBe(true);
    expect(view.cumulativeWeights[view.cumulativeWeights.length - 1]).toBe(100_000);
  });

  it('returns NaN and empty arrays for queries on an empty sketch', () => {
    const s = new KllDoublesSketch();
    expect(s.getRank(1)).toBeNaN();
    expect(s.getQuantile(0.5)).toBeNaN();
    expect(s.getQuantiles([0.1])).toEqual([]);
    expect(s.getCDF([1])).toEqual([]);
    expect(s.getPMF([1])).toEqual([]);
    expect([...s.entries()]).toEqual([]);
  });

  it('rejects bad ranks and split points', () => {
    const s = filled([1, 2, 3]);
    for (const r of [-0.1, 1.1, NaN]) expect(() => s.getQuantile(r)).toThrow(/rank must be in/);
    expect(() => s.getQuantiles([0.5, 2])).toThrow(/rank must be in/);
    expect(() => s.getCDF([2, 1])).toThrow(/unique and increasing/);
    expect(() => s.getCDF([1, 1])).toThrow(/unique and increasing/);
    expect(() => s.getPMF([NaN])).toThrow(/NaN/);
  });

  it('reports the DataSketches normalized rank error', () => {
    expect(KllDoublesSketch.normalizedRankErrorFor(200, false)).toBeCloseTo(0.013294757464848584, 15);
    expect(KllDoublesSketch.normalizedRankErrorFor(200, true)).toBeCloseTo(0.01651561908528982, 15);
    expect(new KllDoublesSketch(8).normalizedRankError(false)).toBeCloseTo(0.30401673415817304, 15);
  });
});

describe('reproducibility and the bulk path', () => {
  it('gives identical sketches for the same seed', () => {
    const data = uniformData(50_000, 9);
    const a = filled(data, 200, 42).serialize();
    const b = filled(data, 200, 42).serialize();
    const c = filled(data, 200, 43).serialize();
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });

  it('updateMany equals one update per value, NaNs and compaction boundaries included', () => {
    const data = Array.from(uniformData(30_000, 5));
    // NaN runs right where level zero fills up must not trigger a compaction of their own
    for (let i = 199; i < data.length; i += 97) data.splice(i, 0, NaN, NaN);
    const single = filled(data, 64, 7);
    const bulk = new KllDoublesSketch(64, { random: seededRandom(7) });
    bulk.updateMany(data.slice(0, 1000));
    bulk.updateMany(Float64Array.from(data.slice(1000)));
    bulk.updateMany([NaN, NaN]);
    expect(bulk.n).toBe(single.n);
    expect(Buffer.from(bulk.serialize()).equals(Buffer.from(single.serialize()))).toBe(true);
  });

  it('clone is independent', () => {
    const a = filled(uniformData(5000, 1));
    const b = a.clone();
    b.update(1e9);
    expect(a.max).toBeLessThan(1e9);
    expect(b.n).toBe(a.n + 1);
  });
});

describe('merge', () => {
  it('merging an empty sketch changes nothing; merging into an empty one copies', () => {
    const a = filled(uniformData(5000, 2));
    const before = a.serialize();
    a.merge(new KllDoublesSketch());
    expect(Buffer.from(a.serialize()).equals(Buffer.from(before))).toBe(true);
    const e = new KllDoublesSketch(200, { random: seededRandom(1) });
    e.merge(a);
    expect(e.n).toBe(a.n);
    expect(e.min).toBe(a.min);
    expect(e.max).toBe(a.max);
    expect(e.getRank(0)).toBeCloseTo(a.getRank(0), 1);
  });

  it('merges sketches of different k and lowers minK', () => {
    const a = filled(uniformData(50_000, 4), 200, 1);
    const b = filled(uniformData(50_000, 5), 50, 2);
    a.merge(b);
    expect(a.n).toBe(100_000);
    expect(a.k).toBe(200);
    expect(a.minK).toBe(50);
    expect(a.normalizedRankError(false)).toBe(KllDoublesSketch.normalizedRankErrorFor(50, false));
    expect(Math.abs(a.getRank(0) - 0.5)).toBeLessThan(3 * a.normalizedRankError(false));
  });

  it('merges a sketch into itself as a copy of itself', () => {
    const a = filled(uniformData(10_000, 6));
    a.merge(a);
    expect(a.n).toBe(20_000);
    expect(Math.abs(a.getRank(0) - 0.5)).toBeLessThan(3 * a.normalizedRankError(false));
  });
});

describe('serialization', () => {
  it('uses the 8-byte, 16-byte and full forms', () => {
    const empty = new KllDoublesSketch(100).serialize();
    expect(Array.from(empty)).toEqual([2, 1, 15, 1, 100, 0, 8, 0]);
    const one = filled([2.5], 100).serialize();
    expect(one.length).toBe(16);
    expect(Array.from(one.subarray(0, 8))).toEqual([2, 2, 15, 4, 100, 0, 8, 0]);
    const two = filled([2.5, 1], 100).serialize();
    expect(two.length).toBe(20 + 4 + 8 * 4);
    expect(Array.from(two.subarray(0, 4))).toEqual([5, 1, 15, 0]);
    const back = KllDoublesSketch.deserialize(two);
    expect([back.n, back.min, back.max]).toEqual([2, 1, 2.5]);
  });

  it('round-trips through base64', () => {
    const s = filled(uniformData(20_000, 8));
    const text = s.toBase64();
    const back = KllDoublesSketch.fromBase64(text);
    expect(back.toBase64()).toBe(text);
    expect(back.getQuantile(0.5)).toBe(s.getQuantile(0.5));
  });

  it('keeps updating after deserialization', () => {
    const s = KllDoublesSketch.deserialize(filled(uniformData(3000, 1)).serialize(), { random: seededRandom(3) });
    s.updateMany(uniformData(10_000, 2));
    expect(s.n).toBe(13_000);
    expect(KllDoublesSketch.deserialize(s.serialize()).n).toBe(13_000);
  });
});

describe('deserialize rejects malformed input with SKETCH_INVALID', () => {
  const full = readVector(VECTOR_DIR, 'normal_100k.bin');
  const single = readVector(VECTOR_DIR, 'single_item.bin');
  const empty = readVector(VECTOR_DIR, 'empty_k200.bin');
  const patched = (bytes: Uint8Array, patch: (dv: DataView) => void): Uint8Array => {
    const copy = bytes.slice();
    patch(new DataView(copy.buffer));
    return copy;
  };

  it('accepts the originals', () => {
    expect(KllDoublesSketch.deserialize(full).n).toBe(100_000);
    expect(KllDoublesSketch.deserialize(single).n).toBe(1);
    expect(KllDoublesSketch.deserialize(empty).n).toBe(0);
  });

  it('wrong family', () => {
    expectInvalid(() => KllDoublesSketch.deserialize(patched(full, (dv) => dv.setUint8(2, 7))), /family id 7/);
  });

  it('bad serial version', () => {
    expectInvalid(() => KllDoublesSketch.deserialize(patched(full, (dv) => dv.setUint8(1, 3))), /serial version 3/);
    // 2 is the single-item form's: a full sketch claiming it is refused.
    expectInvalid(
      () => KllDoublesSketch.deserialize(patched(full, (dv) => dv.setUint8(1, 2))),
      /serial version 2 on a full sketch/,
    );
  });

  it('bad m, bad k, bad preamble ints', () => {
    expectInvalid(() => KllDoublesSketch.deserialize(patched(full, (dv) => dv.setUint8(6, 4))), /m = 4/);
    expectInvalid(() => KllDoublesSketch.deserialize(patched(full, (dv) => dv.setUint16(4, 4, true))), /k = 4/);
    expectInvalid(() => KllDoublesSketch.deserialize(patched(full, (dv) => dv.setUint8(0, 2))), /preamble ints 2/);
    expectInvalid(() => KllDoublesSketch.deserialize(patched(single, (dv) => dv.setUint8(0, 5))), /preamble ints 5/);
  });

  it('truncated or oversized', () => {
    expectInvalid(() => KllDoublesSketch.deserialize(full.subarray(0, 5)), /preamble alone/);
    expectInvalid(() => KllDoublesSketch.deserialize(full.subarray(0, 12)), /truncated/);
    expectInvalid(() => KllDoublesSketch.deserialize(full.subarray(0, full.length - 8)), /bytes, expected/);
    const longer = new Uint8Array(full.length + 8);
    longer.set(full);
    expectInvalid(() => KllDoublesSketch.deserialize(longer), /bytes, expected/);
    expectInvalid(() => KllDoublesSketch.deserialize(single.subarray(0, 12)), /single-item sketch of 12 bytes/);
    const emptyLonger = new Uint8Array(16);
    emptyLonger.set(empty);
    expectInvalid(() => KllDoublesSketch.deserialize(emptyLonger), /empty sketch of 16 bytes/);
  });

  it('inconsistent levels', () => {
    // level 1 offset below level 0
    expectInvalid(
      () => KllDoublesSketch.deserialize(patched(full, (dv) => dv.setUint32(24, dv.getUint32(20, true) - 1, true))),
      /inconsistent levels/,
    );
    // n that the level weights do not add up to
    expectInvalid(
      () => KllDoublesSketch.deserialize(patched(full, (dv) => dv.setBigUint64(8, 99_999n, true))),
      /add up to/,
    );
    // no levels, or more than a valid sketch can have
    expectInvalid(() => KllDoublesSketch.deserialize(patched(full, (dv) => dv.setUint8(18, 0))), /0 levels/);
    expectInvalid(() => KllDoublesSketch.deserialize(patched(full, (dv) => dv.setUint8(18, 62))), /62 levels/);
    // min k above k
    expectInvalid(() => KllDoublesSketch.deserialize(patched(full, (dv) => dv.setUint16(16, 300, true))), /min k 300/);
  });

  it('unsorted level above zero, NaN items', () => {
    const dv0 = new DataView(full.buffer, full.byteOffset, full.byteLength);
    const numLevels = dv0.getUint8(18);
    const itemsStart = 20 + numLevels * 4 + 16;
    const levels = Array.from({ length: numLevels }, (_, i) => dv0.getUint32(20 + 4 * i, true));
    levels.push(levels[0]! + KllDoublesSketch.deserialize(full).numRetained);
    const level = levels.findIndex((from, i) => i >= 1 && i < numLevels && levels[i + 1]! - from >= 2);
    expect(level).toBeGreaterThan(0);
    const at = itemsStart + 8 * (levels[level]! - levels[0]!); // that level's first item
    expectInvalid(
      () => KllDoublesSketch.deserialize(patched(full, (dv) => dv.setFloat64(at, 1e300, true))),
      new RegExp(`level ${level} is not sorted`),
    );
    expectInvalid(
      () => KllDoublesSketch.deserialize(patched(full, (dv) => dv.setFloat64(itemsStart, NaN, true))),
      /NaN item/,
    );
    expectInvalid(
      () => KllDoublesSketch.deserialize(patched(full, (dv) => dv.setFloat64(itemsStart - 16, NaN, true))),
      /NaN min/,
    );
    expectInvalid(() => KllDoublesSketch.deserialize(patched(single, (dv) => dv.setFloat64(8, NaN, true))), /NaN item/);
  });

  it('rejects text that is not base64', () => {
    expectInvalid(() => KllDoublesSketch.fromBase64('not base64!'), /not base64/);
    expectInvalid(() => KllDoublesSketch.fromBase64('AgEPAcgACAA'), /not base64/);
    expectInvalid(() => KllDoublesSketch.fromBase64('AgEHAcgACAA='), /family id 7/);
  });
});

describe('KllDoublesSketch.reusable: decoding into one sketch again and again', () => {
  const rng = seededRandom(11);
  /** Sketches of 1 to 60,000 values (1 to 9 levels, several capacities), some merged from others. */
  function sketches(): KllDoublesSketch[] {
    const out: KllDoublesSketch[] = [];
    for (const n of [3000, 1, 60_000, 700, 12_000, 5000, 200, 45_000]) {
      const s = new KllDoublesSketch(200, { random: seededRandom(n) });
      for (let i = 0; i < n; i++) s.update(rng() * 100 - 50);
      out.push(s);
    }
    return out;
  }

  it('gives the same sketch as a fresh decode: bytes, view, and what merging into it gives', () => {
    const into = KllDoublesSketch.reusable(200);
    const all = sketches();
    for (let i = 0; i < all.length; i++) {
      const bytes = all[i]!.serialize();
      const other = all[(i + 3) % all.length]!;
      const fresh = KllDoublesSketch.deserialize(bytes, { random: seededRandom(i) });
      const reused = KllDoublesSketch.deserialize(bytes, { random: seededRandom(i), into });
      if (all[i]!.n > 1) expect(reused).toBe(into);
      expect(Buffer.from(reused.serialize())).toEqual(Buffer.from(fresh.serialize()));
      const [v, w] = [fresh.sortedView(), reused.sortedView()];
      expect(Array.from(w.items)).toEqual(Array.from(v.items));
      expect(Array.from(w.cumulativeWeights)).toEqual(Array.from(v.cumulativeWeights));
      fresh.merge(other);
      reused.merge(other);
      expect(Buffer.from(reused.serialize())).toEqual(Buffer.from(fresh.serialize()));
      expect(reused.getQuantiles([0.1, 0.5, 0.9])).toEqual(fresh.getQuantiles([0.1, 0.5, 0.9]));
    }
  });

  it('reuses its arrays once warm; a sketch of another k is decoded into a new sketch', () => {
    const into = KllDoublesSketch.reusable(200);
    const bytes = sketches()[2]!.serialize();
    const first = KllDoublesSketch.deserialize(bytes, { into }).sortedView();
    const second = KllDoublesSketch.deserialize(bytes, { into }).sortedView();
    expect(second.items.buffer).toBe(first.items.buffer);
    const k100 = new KllDoublesSketch(100);
    for (let i = 0; i < 1000; i++) k100.update(i);
    const other = KllDoublesSketch.deserialize(k100.serialize(), { into });
    expect(other).not.toBe(into);
    expect(other.k).toBe(100);
    // an ordinary sketch is never decoded into
    const plain = new KllDoublesSketch(200);
    expect(KllDoublesSketch.deserialize(bytes, { into: plain })).not.toBe(plain);
  });
});
