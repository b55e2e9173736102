import { describe, expect, it } from 'vitest';
import { isRootlineError } from '../../src/errors/index.js';
import {
  KllDoublesSketch,
  decodedSketch,
  peekDecodedSketch,
  seededRandom,
  shareDecodedSketch,
} from '../../src/sketch/index.js';

function sketchOf(n: number, seed: number, k = 200, shift = 0): KllDoublesSketch {
  const rnd = seededRandom(seed);
  const s = new KllDoublesSketch(k, { random: seededRandom(seed + 1) });
  s.updateMany(Float64Array.from({ length: n }, () => shift + rnd() * 100));
  return s;
}

function hex(s: KllDoublesSketch): string {
  return Buffer.from(s.serialize()).toString('hex');
}

describe('a sketch kept in memory merges as its serialization would (the baseline epochs rely on it)', () => {
  it('merging run after run in place (re-seeded) gives the bytes of decoding, merging and encoding each time', () => {
    for (const k of [8, 200]) {
      let bytes: Uint8Array | undefined;
      let kept: KllDoublesSketch | undefined;
      for (let run = 0; run < 40; run++) {
        const other = sketchOf(1000 + run * 37, run, k, run % 3);
        const seed = 1000 + run;
        const fresh = bytes
          ? KllDoublesSketch.deserialize(bytes, { random: seededRandom(seed) })
          : new KllDoublesSketch(k, { random: seededRandom(seed) });
        fresh.merge(KllDoublesSketch.deserialize(other.serialize()));
        bytes = fresh.serialize();
        if (kept) kept.reseed(seededRandom(seed));
        else kept = new KllDoublesSketch(k, { random: seededRandom(seed) });
        kept.merge(other);
        expect(hex(kept)).toBe(Buffer.from(bytes).toString('hex'));
      }
    }
  });

  it('a clone with its own random source merges as a decode with that source', () => {
    const a = sketchOf(50_000, 1);
    a.merge(sketchOf(20_000, 2));
    const b = sketchOf(30_000, 3);
    const viaBytes = KllDoublesSketch.deserialize(a.serialize(), { random: seededRandom(9) });
    viaBytes.merge(b);
    const viaClone = a.clone(seededRandom(9));
    viaClone.merge(b);
    expect(hex(viaClone)).toBe(hex(viaBytes));
    expect(Array.from(viaClone.sortedView().cumulativeWeights)).toEqual(
      Array.from(viaBytes.sortedView().cumulativeWeights),
    );
  });

  it('more than 14 levels: offsets grow past their first array (k = 8, 2^20 values, merged and copied)', () => {
    const big = sketchOf(1 << 20, 4, 8);
    expect(big.numLevels).toBeGreaterThan(14);
    const again = KllDoublesSketch.deserialize(big.serialize());
    expect(hex(again)).toBe(hex(big));
    const merged = sketchOf(1000, 5, 8);
    merged.merge(big);
    expect(merged.n).toBe(1000 + (1 << 20));
    expect(merged.numLevels).toBeGreaterThan(14);
    expect(hex(merged.clone())).toBe(hex(merged));
    const q = merged.getQuantile(0.5);
    expect(q).toBeGreaterThan(45);
    expect(q).toBeLessThan(55);
  });
});

describe('frozen sketches (shared, read-only)', () => {
  it('refuse updates, merges into them and a new random source; a clone is free to change', () => {
    const s = sketchOf(5000, 1).freeze();
    expect(s.isFrozen).toBe(true);
    for (const change of [
      () => s.update(1),
      () => s.updateMany([1, 2]),
      () => s.merge(sketchOf(10, 2)),
      () => s.reseed(Math.random),
    ])
      expect(() => change()).toThrow(/frozen/);
    const c = s.clone();
    expect(c.isFrozen).toBe(false);
    c.update(1);
    expect(c.n).toBe(5001);
  });

  it('queries leave a frozen sketch unchanged: the same view, the same bytes, the same merges as before the query', () => {
    const s = sketchOf(5000, 7);
    const before = hex(s);
    const thawed = KllDoublesSketch.deserialize(s.serialize());
    const frozen = KllDoublesSketch.deserialize(s.serialize()).freeze();
    // the view of the frozen one equals the view of one that sorts its level zero in place
    expect(Array.from(frozen.sortedView().items)).toEqual(Array.from(thawed.sortedView().items));
    expect(Array.from(frozen.sortedView().cumulativeWeights)).toEqual(
      Array.from(thawed.sortedView().cumulativeWeights),
    );
    expect(frozen.getQuantile(0.3)).toBe(thawed.getQuantile(0.3));
    // the thawed one sorted its level zero (and says so in its bytes); the frozen one did not
    expect(hex(thawed)).not.toBe(before);
    expect(hex(frozen)).toBe(before);
    const target1 = sketchOf(2000, 8);
    const target2 = sketchOf(2000, 8);
    target1.merge(frozen);
    target2.merge(KllDoublesSketch.deserialize(s.serialize()));
    expect(hex(target1)).toBe(hex(target2));
  });
});

describe('decoded sketches shared by their holder', () => {
  it('decodes once per holder and remembers it frozen', () => {
    const text = sketchOf(5000, 3).toBase64();
    const holder = { data: text };
    expect(peekDecodedSketch(holder)).toBeUndefined();
    const a = decodedSketch(holder, text);
    expect(a.isFrozen).toBe(true);
    expect(decodedSketch(holder, text)).toBe(a);
    expect(peekDecodedSketch(holder)).toBe(a);
    // another holder of the same text gets its own
    expect(decodedSketch({ data: text }, text)).not.toBe(a);
    const mine = sketchOf(10, 4);
    const other = {};
    expect(shareDecodedSketch(other, mine)).toBe(mine);
    expect(mine.isFrozen).toBe(true);
    expect(peekDecodedSketch(other)).toBe(mine);
  });

  it('bytes that are no sketch throw SKETCH_INVALID and nothing is remembered', () => {
    const holder = {};
    let caught: unknown;
    try {
      decodedSketch(holder, Buffer.from('not a sketch').toString('base64'));
    } catch (err) {
      caught = err;
    }
    expect(isRootlineError(caught, 'SKETCH_INVALID')).toBe(true);
    expect(peekDecodedSketch(holder)).toBeUndefined();
  });
});

describe('validation hands its decoded sketches to the core', () => {
  it('a valid report: every sketch decoded once, remembered with its sketch object', async () => {
    const { validateReport } = await import('../../src/contract/index.js');
    const s = sketchOf(5000, 11);
    const sketch = { type: 'kll_doubles' as const, k: 200, data: s.toBase64() };
    const report = {
      spec: 'rootline.report/v1',
      event_id: 'e1',
      pipeline: 'p',
      node: 'n',
      run_id: 'r1',
      event_time: '2026-01-01T00:00:00Z',
      outputs: [
        {
          dataset: 'd',
          profile: { row_count: 5000, columns: { x: { kind: 'numeric', count: 5000, null_count: 0, sketch } } },
        },
      ],
    };
    expect(validateReport(report).ok).toBe(true);
    const decoded = peekDecodedSketch(sketch);
    expect(decoded?.isFrozen).toBe(true);
    expect(hex(decoded!)).toBe(hex(s));
  });
});
