import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  schemaFingerprint,
  validateReport,
  type CategoricalColumnProfile,
  type NumericColumnProfile,
  type Profile,
} from '../../src/contract/index.js';
import { isRootlineError } from '../../src/errors/index.js';
import { createProfiler, profileColumns, profileRows } from '../../src/profile/index.js';
import { KllDoublesSketch } from '../../src/sketch/index.js';

function numeric(p: Profile, name: string): NumericColumnProfile {
  const c = p.columns?.[name];
  if (c?.kind !== 'numeric') throw new Error(`${name} is not numeric: ${JSON.stringify(c)}`);
  return c;
}

function categorical(p: Profile, name: string): CategoricalColumnProfile {
  const c = p.columns?.[name];
  if (c?.kind !== 'categorical') throw new Error(`${name} is not categorical: ${JSON.stringify(c)}`);
  return c;
}

function types(p: Profile): Record<string, string> {
  return Object.fromEntries((p.schema ?? []).map((f) => [f.name, `${f.type}${f.nullable === false ? '!' : ''}`]));
}

/** A report around a profile, to check it with the contract's validator. */
function asReport(profile: Profile): unknown {
  return {
    spec: 'rootline.report/v1',
    event_id: 'e1',
    pipeline: 'p',
    node: 'n',
    run_id: 'r1',
    event_time: '2026-11-21T10:00:00Z',
    outputs: [{ dataset: 'd', profile }],
  };
}

describe('schema inference', () => {
  it('maps JavaScript values to the contract vocabulary; inferred columns are nullable', () => {
    const p = profileRows([
      {
        i: 1,
        d: 1.5,
        b: true,
        s: 'x',
        t: new Date('2026-11-21T10:00:00Z'),
        bin: new Uint8Array([1]),
        big: 5n,
        mix: 1,
        obj: { a: 1 },
        none: null,
      },
      { i: 2, d: 2, b: false, s: 'y', t: null, bin: null, big: 6n, mix: 'a', obj: null, none: undefined },
    ]);
    expect(types(p)).toEqual({
      i: 'long',
      d: 'double',
      b: 'boolean',
      s: 'string',
      t: 'timestamp',
      bin: 'binary',
      big: 'long',
      mix: 'unknown',
      obj: 'unknown',
      none: 'string',
    });
    expect(p.schema!.every((f) => f.nullable === true)).toBe(true);
    expect(p.schema_fingerprint).toBe(schemaFingerprint(p.schema!));
    expect(validateReport(asReport(p)).ok).toBe(true);
  });

  it('typed arrays declare their type (float columns nullable, integer columns not)', () => {
    const n = 4;
    const p = profileColumns({
      f64: new Float64Array(n),
      f32: new Float32Array(n),
      i8: new Int8Array(n),
      i16: new Int16Array(n),
      i32: new Int32Array(n),
      u8: new Uint8Array(n),
      u16: new Uint16Array(n),
      u32: new Uint32Array(n),
      i64: new BigInt64Array(n),
      u64: new BigUint64Array(n),
    });
    expect(types(p)).toEqual({
      f64: 'double',
      f32: 'float',
      i8: 'int!',
      i16: 'int!',
      i32: 'int!',
      u8: 'int!',
      u16: 'int!',
      u32: 'long!',
      i64: 'long!',
      u64: 'long!',
    });
    expect(Object.values(p.columns!).every((c) => c.kind === 'numeric')).toBe(true);
  });

  it('a declared schema wins over inference, and undeclared columns are inferred after it', () => {
    const p = profileRows([{ a: 1, b: 'x', c: true }], {
      schema: [
        { name: 'c', type: 'boolean', nullable: false },
        { name: 'a', type: 'double', nullable: false },
      ],
    });
    expect(p.schema!.map((f) => f.name)).toEqual(['c', 'a', 'b']);
    expect(types(p)).toEqual({ c: 'boolean!', a: 'double!', b: 'string' });
  });

  it('values of a declared numeric column that are not numbers count as nulls; numeric strings are numbers', () => {
    const p = profileRows([{ x: 1 }, { x: '2.5' }, { x: 'oops' }, { x: true }], {
      schema: [{ name: 'x', type: 'double' }],
    });
    const x = numeric(p, 'x');
    expect(x.null_count).toBe(2);
    expect(x.min).toBe(1);
    expect(x.max).toBe(2.5);
  });

  it('nested declared columns are in the schema but not profiled; `columns` selects what is profiled', () => {
    const p = profileRows([{ s: { a: 1 }, n: 1, m: 'x' }], {
      schema: [{ name: 's', type: 'struct', fields: [{ name: 'a', type: 'long' }] }],
      columns: ['s', 'n'],
    });
    expect(p.schema!.map((f) => f.name)).toEqual(['s', 'n', 'm']);
    expect(Object.keys(p.columns!)).toEqual(['n']);
  });

  it('rejects bad options', () => {
    const bad = [
      { k: 4 },
      { sketch: 'tdigest' as never },
      { sampleSize: 10_001 },
      { topK: -1 },
      {
        schema: [
          { name: 'a', type: 'string' as const },
          { name: 'a', type: 'long' as const },
        ],
      },
    ];
    for (const o of bad) {
      expect(() => profileRows([{ a: 1 }], o)).toThrow();
      try {
        profileRows([{ a: 1 }], o);
      } catch (err: unknown) {
        expect(isRootlineError(err, 'INVALID_ARGUMENT')).toBe(true);
      }
    }
    expect(() => profileColumns({ a: [1, 2], b: [1] })).toThrow(/different lengths/);
  });
});

describe('numeric columns', () => {
  it('counts null, undefined and NaN as nulls, and keeps min / max / mean / a KLL sketch of the rest', () => {
    const p = profileRows([{ x: 1 }, { x: null }, { x: undefined }, { x: NaN }, { x: 4 }, {}]);
    const x = numeric(p, 'x');
    expect(x).toMatchObject({ count: 6, null_count: 4, min: 1, max: 4, mean: 2.5 });
    const sk = KllDoublesSketch.fromBase64(x.sketch!.data);
    expect([sk.n, sk.min, sk.max, x.sketch!.k]).toEqual([2, 1, 4, 200]);
  });

  it('writes a non-finite min, max or mean as null (JSON has no infinity), as the Python emitter does', () => {
    const x = numeric(profileColumns({ x: Float64Array.of(1, Infinity, 3) }), 'x');
    expect(x).toMatchObject({ min: 1, max: null, mean: null, null_count: 0 });
    const y = numeric(profileColumns({ y: Float64Array.of(NaN, NaN) }), 'y');
    expect(y).toMatchObject({ min: null, max: null, mean: null, null_count: 2 });
    expect(KllDoublesSketch.fromBase64(y.sketch!.data).n).toBe(0);
  });

  it('computes the mean with compensated summation (exact where naive summation is not)', () => {
    const values = Float64Array.from({ length: 10_001 }, (_, i) => (i === 0 ? 1e16 : i === 10_000 ? -1e16 : 1));
    const x = numeric(profileColumns({ x: values }), 'x');
    expect(x.mean).toBe(9999 / 10_001);
  });

  it('with sketch "sample" keeps a seeded uniform sample of at most sampleSize finite values, in row order', () => {
    const values = Float64Array.from({ length: 50_000 }, (_, i) => (i % 1000 === 0 ? Infinity : i));
    const a = numeric(profileColumns({ x: values }, { sketch: 'sample', sampleSize: 500, seed: 7 }), 'x');
    const b = numeric(profileColumns({ x: values }, { sketch: 'sample', sampleSize: 500, seed: 7 }), 'x');
    const c = numeric(profileColumns({ x: values }, { sketch: 'sample', sampleSize: 500, seed: 8 }), 'x');
    expect(a.sample).toHaveLength(500);
    expect(a.sketch).toBeUndefined();
    expect(a.sample).toEqual(b.sample);
    expect(a.sample).not.toEqual(c.sample);
    expect(a.sample!.every((v) => Number.isFinite(v))).toBe(true);
    expect([...a.sample!].sort((u, v) => u - v)).toEqual(a.sample);
    // uniform: the sample's mean is near the data's (sd of the mean of 500 uniform draws on 0..50k ~ 645)
    const mean = a.sample!.reduce((s, v) => s + v, 0) / a.sample!.length;
    expect(Math.abs(mean - 25_000)).toBeLessThan(3000);
    const small = numeric(profileColumns({ x: Float64Array.of(3, 1, 2) }, { sketch: 'sample' }), 'x');
    expect(small.sample).toEqual([3, 1, 2]);
  });

  it('with the same seed gives byte-identical sketches', () => {
    const values = Float64Array.from({ length: 20_000 }, (_, i) => Math.sin(i));
    const a = numeric(profileColumns({ x: values }, { seed: 3 }), 'x');
    const b = numeric(profileColumns({ x: values }, { seed: 3 }), 'x');
    expect(a.sketch!.data).toBe(b.sketch!.data);
  });
});

describe('categorical columns', () => {
  it('lists the topK most frequent values, ties broken by code points, with other_count and distinct_estimate', () => {
    // U+FF21 sorts before U+1F600 by code point but after it by UTF-16 code unit
    const rows = [
      ...Array<string>(3).fill('b'),
      ...Array<string>(3).fill('a'),
      ...Array<string>(2).fill('\u{1F600}'),
      ...Array<string>(2).fill('\uFF21'),
      'z',
      'y',
    ].map((v) => ({ v }));
    const c = categorical(profileRows([...rows, { v: null }], { topK: 3 }), 'v');
    expect(Object.entries(c.frequent!)).toEqual([
      ['a', 3],
      ['b', 3],
      ['\uFF21', 2],
    ]);
    expect(c).toMatchObject({ count: 13, null_count: 1, other_count: 4, distinct_estimate: 6 });
  });

  it('stringifies values as the Python emitter does: booleans, numbers, dates, bytes', () => {
    const c = categorical(
      profileRows([
        { v: true },
        { v: 1 },
        { v: 2.5 },
        { v: 1e-5 },
        { v: new Date('2026-11-21T10:00:00Z') },
        { v: new Uint8Array([97, 0, 39]) },
        { v: 2n ** 70n },
      ]),
      'v',
    );
    expect(Object.keys(c.frequent!).sort()).toEqual(
      ['1', '1180591620717411303424', '1e-05', '2.5', '2026-11-21T10:00:00.000Z', 'b"a\\x00\'"', 'true'].sort(),
    );
  });

  it('tracks values approximately beyond 2 x frequentCapacity distinct values, keeping the heavy hitters and the sum', () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ v: i % 4 === 0 ? 'hot' : `cold-${i}` }));
    const c = categorical(profileRows(rows, { frequentCapacity: 32, topK: 1 }), 'v');
    expect(Object.keys(c.frequent!)).toEqual(['hot']);
    expect(c.frequent!.hot! + c.other_count!).toBe(20_000);
    expect(c.frequent!.hot!).toBeLessThanOrEqual(5000);
    expect(c.frequent!.hot!).toBeGreaterThan(5000 - 20_000 / 33);
    expect(Math.abs(c.distinct_estimate! - 15_001) / 15_001).toBeLessThan(0.03);
  });
});

describe('streaming', () => {
  it('a column turns categorical when a non-number arrives, with frequent values counted from the first row', () => {
    const p = createProfiler();
    p.addRows([{ x: 1 }, { x: 2 }, { x: 2 }]);
    p.addColumns({ x: [3, 'three'] });
    const x = categorical(p.finish(), 'x');
    expect(x.frequent).toEqual({ '1': 1, '2': 2, '3': 1, three: 1 });
    expect(types(p.finish())).toEqual({ x: 'unknown' });
  });

  it('a column first seen in a later batch is null in the earlier rows', () => {
    const p = createProfiler();
    p.addColumns({ a: new Int32Array([1, 2]) });
    p.addColumns({ a: new Int32Array([3]), b: new Int32Array([7]) });
    const prof = p.finish();
    expect(prof.row_count).toBe(3);
    expect(types(prof)).toEqual({ a: 'int!', b: 'int' });
    expect(numeric(prof, 'b')).toMatchObject({ count: 3, null_count: 2 });
  });

  it('profiling in batches gives the same profile as all at once (sketches included)', () => {
    const value = fc.oneof(
      fc.integer({ min: -50, max: 50 }),
      fc.double({ noNaN: false }),
      fc.constantFrom('a', 'b', 'é', ''),
      fc.boolean(),
      fc.constant(null),
    );
    const row = fc.record(
      { p: value, q: fc.integer({ min: 0, max: 5 }), r: fc.option(fc.double({ min: -1, max: 1, noNaN: true })) },
      { requiredKeys: ['q'] },
    );
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 400 }),
        fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 10 }),
        (rows, cuts) => {
          const whole = createProfiler();
          whole.addRows(rows);
          const parts = createProfiler();
          let i = 0;
          let c = 0;
          while (i < rows.length) {
            const n = cuts[c++ % cuts.length]!;
            parts.addRows(rows.slice(i, i + n));
            i += n;
          }
          expect(parts.finish()).toEqual(whole.finish());
          const p = whole.finish();
          expect(validateReport(asReport(p)).ok).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('profileRows (types inferred first) equals the streaming profiler (types inferred on the way)', () => {
    const rows = [{ a: 1, b: 'x' }, { a: 2.5, b: 3 }, { a: null, b: true }, { b: 'x' }];
    const p = createProfiler();
    p.addRows(rows);
    expect(p.finish()).toEqual(profileRows(rows));
  });
});
