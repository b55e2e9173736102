import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CONTENT_HASH_PATTERN,
  ContentHasher,
  canonicalJson,
  columnKey,
  parseIsoMillis,
  siphashHex,
  valuePayload,
} from '../../src/profile/content-hash.js';
import { createProfiler, profileColumns, profileFile, profileRows, type Row } from '../../src/profile/index.js';
import { tsProfileOf } from '../../scripts/vectors/profile_ts_vectors.js';
import { readDataset, readPythonProfile } from './dataset-vectors.js';

const VECTORS = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors');

type Cell = null | Record<string, unknown>;
interface Table {
  name: string;
  columns: string[];
  rows: Cell[][];
  lanes: { a: string; b: string };
  digest: string;
  digest_with_fingerprint: string;
}
interface Vectors {
  keys: string[];
  tags: string[];
  fingerprint: string;
  siphash: { utf8: string; hash: string }[];
  column_keys: { name: string; key: string }[];
  values: { cell: Cell; tag: number; payload: string; canonical_json?: string }[];
  tables: Table[];
}

const vectors = JSON.parse(readFileSync(join(VECTORS, 'content_hash', 'vectors.json'), 'utf8')) as Vectors;

/** A tagged cell of vectors.json as the JavaScript value it stands for (see the generator's docstring). */
function decode(cell: Cell): unknown {
  if (cell === null) return null;
  const [kind, v] = Object.entries(cell)[0]!;
  switch (kind) {
    case 'number':
      if (typeof v === 'string') return { '-0': -0, inf: Infinity, '-inf': -Infinity, nan: NaN }[v];
      return v;
    case 'int':
      return BigInt(v as string);
    case 'bool':
    case 'string':
    case 'nested':
      return v;
    case 'bytes':
      return new Uint8Array(Buffer.from(v as string, 'base64'));
    case 'timestamp':
      return new Date(v as string);
    case 'date':
      return new Date(`${v as string}T00:00:00Z`);
    default:
      throw new Error(`unknown cell kind ${kind}`);
  }
}

function rowsOf(table: Table): Row[] {
  return table.rows.map((r) => Object.fromEntries(table.columns.map((c, j) => [c, decode(r[j]!)])));
}

function hashRows(rows: readonly Row[], fingerprint = ''): string {
  const h = new ContentHasher();
  for (const row of rows) h.addRow(row);
  return h.digest(fingerprint);
}

describe('content hash: the shared vectors (python/scripts/make_content_hash_vectors.py)', () => {
  it('SipHash-2-4 matches the reference vector and the Python side', () => {
    const key = String.fromCharCode(...Array.from({ length: 16 }, (_, i) => i));
    expect(
      siphashHex(
        Uint8Array.from({ length: 15 }, (_, i) => i),
        key,
      ),
    ).toBe('a129ca6149be45e5');
    for (const { utf8, hash } of vectors.siphash) expect(siphashHex(Buffer.from(utf8, 'utf8')), utf8).toBe(hash);
  });

  it('column keys', () => {
    for (const { name, key } of vectors.column_keys) {
      const k = columnKey(name);
      expect(k.hi.toString(16).padStart(8, '0') + k.lo.toString(16).padStart(8, '0')).toBe(key);
    }
  });

  it('canonical payload of each kind of value', () => {
    for (const v of vectors.values) {
      const decoded = decode(v.cell);
      expect(valuePayload(decoded), JSON.stringify(v.cell)).toEqual({ tag: v.tag, payload: v.payload });
      if (v.canonical_json !== undefined) expect(canonicalJson(decoded)).toBe(v.canonical_json);
    }
  });

  it.each(vectors.tables.map((t) => [t.name, t] as const))('table %s: same lanes and digests', (_name, table) => {
    const h = new ContentHasher();
    for (const row of rowsOf(table)) h.addRow(row);
    expect(h.lanes()).toEqual(table.lanes);
    expect(h.digest('')).toBe(table.digest);
    expect(h.digest(vectors.fingerprint)).toBe(table.digest_with_fingerprint);
    // the column path (JavaScript arrays) gives the same
    const columns = Object.fromEntries(table.columns.map((c, j) => [c, table.rows.map((r) => decode(r[j]!))]));
    const byColumns = new ContentHasher();
    byColumns.addColumns(columns, table.rows.length);
    expect(byColumns.digest('')).toBe(table.digest);
  });

  it('swapping two values between columns changes the hash', () => {
    const [a, b] = vectors.tables.filter((t) => t.name.startsWith('swapped'));
    expect(a!.digest).not.toBe(b!.digest);
  });

  it('the profile of dataset.json has the content hash the Python emitter computes', () => {
    const ts = tsProfileOf(readDataset());
    const py = readPythonProfile().profile;
    expect(ts.content_hash).toMatch(CONTENT_HASH_PATTERN);
    expect(ts.content_hash).toBe(py.content_hash);
  });

  it('the Parquet vector profiled from its file has the Python content hash', async () => {
    const py = JSON.parse(readFileSync(join(VECTORS, 'profile', 'parquet', 'python_profile.json'), 'utf8')) as {
      profile: { content_hash: string };
    };
    const p = await profileFile(join(VECTORS, 'profile', 'parquet', 'dataset.parquet'));
    expect(p.content_hash).toBe(py.profile.content_hash);
  });
});

const cell = fc.oneof(
  fc.constant(null),
  fc.double(),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.boolean(),
  fc.string(),
  fc.date({ noInvalidDate: true }),
);
const table = fc.array(fc.record({ a: cell, b: cell, c: cell }), { maxLength: 20 });

describe('content hash: what counts as the same content', () => {
  it('does not depend on row order', () => {
    const shuffled = table.chain((rows) =>
      fc.tuple(fc.constant(rows), fc.shuffledSubarray(rows, { minLength: rows.length, maxLength: rows.length })),
    );
    fc.assert(
      fc.property(shuffled, ([rows, permuted]) => {
        expect(hashRows(permuted)).toBe(hashRows(rows));
      }),
    );
  });

  it('does not depend on column order, and a null is a missing cell', () => {
    fc.assert(
      fc.property(table, (rows) => {
        const reordered = rows.map((r) => ({ c: r.c, b: r.b, a: r.a }));
        const sparse = rows.map((r) =>
          Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null && !(typeof v === 'number' && isNaN(v)))),
        );
        expect(hashRows(reordered)).toBe(hashRows(rows));
        expect(hashRows(sparse)).toBe(hashRows(rows));
      }),
    );
  });

  it('counts duplicate rows (a multiset, not a set)', () => {
    fc.assert(
      fc.property(
        table.filter((t) => t.length > 0),
        (rows) => {
          expect(hashRows([...rows, rows[0]!])).not.toBe(hashRows(rows));
          expect(hashRows([...rows, rows[0]!, rows[0]!])).not.toBe(hashRows(rows));
        },
      ),
    );
  });

  it('changes when one value changes, and binds the schema fingerprint', () => {
    const rows = [
      { a: 1, b: 'x' },
      { a: 2, b: 'y' },
    ];
    const base = hashRows(rows);
    expect(
      hashRows([
        { a: 1, b: 'x' },
        { a: 2, b: 'z' },
      ]),
    ).not.toBe(base);
    expect(
      hashRows([
        { a: 1, b: 'x' },
        { a: 3, b: 'y' },
      ]),
    ).not.toBe(base);
    expect(
      hashRows([
        { a: 1, b: 'x' },
        { b: 2, a: 'y' },
      ]),
    ).not.toBe(base);
    expect(hashRows(rows, 'sha256:x')).not.toBe(base);
  });

  it('reads -0 as 0, an integer as the same number in any width, and the string "1" apart from 1', () => {
    expect(hashRows([{ a: -0 }])).toBe(hashRows([{ a: 0 }]));
    expect(hashRows([{ a: 5n }])).toBe(hashRows([{ a: 5 }]));
    expect(hashRows([{ a: 2n ** 60n }])).toBe(hashRows([{ a: 2 ** 60 }]));
    expect(hashRows([{ a: 2n ** 53n + 1n }])).not.toBe(hashRows([{ a: 2 ** 53 }]));
    expect(hashRows([{ a: '1' }])).not.toBe(hashRows([{ a: 1 }]));
    expect(hashRows([{ a: true }])).not.toBe(hashRows([{ a: 1 }]));
  });

  it('the profilers carry it: rows, columns, batches and typed arrays agree', () => {
    const values = [1.5, NaN, -0, 3, 1e300, -Infinity];
    const rows = values.map((v, i) => ({ x: v, s: `v${i % 2}` }));
    const p = profileRows(rows);
    expect(p.content_hash).toMatch(CONTENT_HASH_PATTERN);
    const cols = profileColumns({ x: Float64Array.from(values), s: rows.map((r) => r.s) });
    expect(cols.schema).toEqual(p.schema);
    expect(cols.content_hash).toBe(p.content_hash);
    const streaming = createProfiler();
    streaming.addRows(rows.slice(0, 2));
    streaming.addRows(rows.slice(2));
    expect(streaming.finish().content_hash).toBe(p.content_hash);
    expect(profileRows(rows, { contentHash: false }).content_hash).toBeUndefined();
    expect(profileRows(rows, { columns: ['s'] }).content_hash).toBe(p.content_hash);
  });
});

describe('content hash of files (profileFile)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rootline-rch-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('a CSV file hashes as its typed rows (numbers, booleans, times as UTC instants, empty fields as nulls)', async () => {
    const path = file(
      'typed.csv',
      'id,amount,ok,at,day,city,ratio\n' +
        '1,2.50,True,2026-11-21T10:00:00Z,2026-11-21,Paris,nan\n' +
        '2,,false,2026-11-21 12:00:00+02:00,2026-11-22,"Zürich, CH",1e-3\n' +
        '3,-0,TRUE,2026-11-21T10:00:00.123456Z,,,inf\n',
    );
    const rows = [
      {
        id: 1,
        amount: 2.5,
        ok: true,
        at: new Date('2026-11-21T10:00:00Z'),
        day: new Date('2026-11-21T00:00:00Z'),
        city: 'Paris',
        ratio: null,
      },
      {
        id: 2,
        amount: null,
        ok: false,
        at: new Date('2026-11-21T10:00:00Z'),
        day: new Date('2026-11-22T00:00:00Z'),
        city: 'Zürich, CH',
        ratio: 0.001,
      },
      { id: 3, amount: 0, ok: true, at: new Date('2026-11-21T10:00:00.123Z'), day: null, city: null, ratio: Infinity },
    ];
    const p = await profileFile(path);
    expect(p.content_hash).toBe(hashRows(rows, p.schema_fingerprint));
    // JSON Lines: the rows as JSON.parse reads them (times stay strings), in any order
    const lines = [rows[2]!, rows[0]!, rows[1]!].map((r) => JSON.stringify({ ...r, ratio: null }));
    const j = await profileFile(file('typed.jsonl', lines.join('\n')));
    const parsed = lines.map((l) => JSON.parse(l) as Row);
    expect(j.content_hash).toBe(hashRows(parsed, j.schema_fingerprint));
  });

  it('a CSV column that turns out to be a string column hashes its early fields as strings (second pass)', async () => {
    const path = file('mixed.csv', 'code,n\n1,1\n2,2\nTRUE,3\nabc,4\n');
    const p = await profileFile(path, { chunkBytes: 4 });
    expect(p.schema?.find((f) => f.name === 'code')?.type).toBe('string');
    const rows = [
      { code: '1', n: 1 },
      { code: '2', n: 2 },
      { code: 'TRUE', n: 3 },
      { code: 'abc', n: 4 },
    ];
    expect(p.content_hash).toBe(hashRows(rows, p.schema_fingerprint));
  });

  it('row order in the file does not matter', async () => {
    const a = await profileFile(file('a.csv', 'x,y\n1,a\n2,b\n3,c\n'));
    const b = await profileFile(file('b.csv', 'y,x\nc,3\na,1\nb,2\n'));
    expect(b.content_hash).toBe(a.content_hash);
  });

  it('ISO texts read as UTC milliseconds', () => {
    expect(parseIsoMillis('2026-11-21')).toBe(Date.UTC(2026, 10, 21));
    expect(parseIsoMillis('2026-11-21T10:00')).toBe(Date.UTC(2026, 10, 21, 10));
    expect(parseIsoMillis('2026-11-21T10:00:00-0130')).toBe(Date.UTC(2026, 10, 21, 11, 30));
    expect(parseIsoMillis('2026-11-21T10:00:00.98765')).toBe(Date.UTC(2026, 10, 21, 10, 0, 0, 987));
    expect(parseIsoMillis('21/11/2026')).toBeNaN();
  });
});

// A direct BigInt transcription of docs/content-hash.md (numbers, strings, booleans, nulls), slow and
// independent of the kernel: the reference for the buffer boundaries below.
const MASK = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & MASK;
function refSip(bytes: Uint8Array, key: string): bigint {
  const kb = Buffer.from(key, 'latin1');
  const k0 = kb.readBigUInt64LE(0);
  const k1 = kb.readBigUInt64LE(8);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & MASK;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & MASK;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & MASK;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const full = bytes.length - (bytes.length % 8);
  const word = (at: number, n: number): bigint => {
    let m = 0n;
    for (let i = n - 1; i >= 0; i--) m = (m << 8n) | BigInt(bytes[at + i]!);
    return m;
  };
  for (let i = 0; i < full; i += 8) {
    const m = word(i, 8);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  const b = (BigInt(bytes.length & 0xff) << 56n) | word(full, bytes.length - full);
  v3 ^= b;
  round();
  round();
  v0 ^= b;
  v2 ^= 0xffn;
  for (let i = 0; i < 4; i++) round();
  return v0 ^ v1 ^ v2 ^ v3;
}
const refXs33 = (x: bigint): bigint => x ^ (x >> 33n);
const refF = (x: bigint): bigint => refXs33((refXs33(x) * 0xff51afd7ed558ccdn) & MASK);
const refFmix = (x: bigint): bigint =>
  refXs33((refXs33((refXs33(x) * 0xff51afd7ed558ccdn) & MASK) * 0xc4ceb9fe1a85ec53n) & MASK);
const refT = (t: number): bigint => refFmix(BigInt(t));
function refLanes(rows: readonly Record<string, number | string | boolean | null>[]): { a: string; b: string } {
  let a = 0n;
  let b = 0n;
  for (const row of rows) {
    let s = 0n;
    for (const [name, v] of Object.entries(row)) {
      if (v === null || (typeof v === 'number' && v !== v)) continue;
      let tag: number;
      let payload: bigint;
      if (typeof v === 'number') {
        tag = 0;
        payload = Buffer.from(Float64Array.of(v + 0).buffer).readBigUInt64LE(0);
      } else if (typeof v === 'boolean') {
        tag = 2;
        payload = v ? 1n : 0n;
      } else {
        tag = 3;
        payload = refSip(Buffer.from(v, 'utf8'), 'rootline-rch1-k1');
      }
      const k = refSip(Buffer.from(name, 'utf8'), 'rootline-rch1-k1');
      s = (s + refF(payload ^ refT(tag) ^ k)) & MASK;
    }
    a = (a + refFmix(s ^ refT(7))) & MASK;
    b = (b + refFmix(s ^ refT(8))) & MASK;
  }
  return { a: a.toString(16).padStart(16, '0'), b: b.toString(16).padStart(16, '0') };
}

describe('content hash: the kernel buffers (rows, cells and string bytes hashed a block at a time)', () => {
  const lanesOf = (rows: readonly Record<string, unknown>[], byColumns: boolean): { a: string; b: string } => {
    const h = new ContentHasher();
    if (byColumns) {
      const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      h.addColumns(Object.fromEntries(names.map((n) => [n, rows.map((r) => r[n] ?? null)])), rows.length);
    } else for (const r of rows) h.addRow(r);
    return h.lanes();
  };

  it('agrees with a direct transcription of the specification on random tables, by rows and by columns', () => {
    const value = fc.oneof(
      fc.constant(null),
      fc.double(),
      fc.boolean(),
      fc.string({ unit: 'grapheme', maxLength: 30 }),
    );
    const rows = fc.array(fc.record({ a: value, b: value, 'é col': value }), { maxLength: 30 });
    fc.assert(
      fc.property(rows, (t) => {
        const ref = refLanes(t);
        expect(lanesOf(t, false)).toEqual(ref);
        expect(lanesOf(t, true)).toEqual(ref);
      }),
      { numRuns: 60 },
    );
  });

  it('rows wider than the cell buffer, rows whose strings overflow the byte area, and more rows than a block', () => {
    const wide = [0, 1, 2].map((r) =>
      Object.fromEntries(Array.from({ length: 5000 }, (_, j) => [`c${j}`, j % 3 === 0 ? `s${r}-${j}` : j * r + 0.5])),
    );
    expect(lanesOf(wide, false)).toEqual(refLanes(wide));
    expect(lanesOf(wide, true)).toEqual(refLanes(wide));
    // 40 strings of 5,000 characters per row: about 200 KB a row, more than the byte area holds at first
    const long = Array.from({ length: 4 }, (_, r) =>
      Object.fromEntries(Array.from({ length: 40 }, (_, j) => [`t${j}`, `${'x'.repeat(4990)}-${r}-${j}-é`])),
    );
    expect(lanesOf(long, false)).toEqual(refLanes(long));
    expect(lanesOf(long, true)).toEqual(refLanes(long));
    // one string larger than the whole initial memory: the kernel grows
    const huge = [{ h: 'y'.repeat(1_500_000), n: 1 }, { h: 'z' }];
    expect(lanesOf(huge, false)).toEqual(refLanes(huge));
    expect(lanesOf(huge, true)).toEqual(refLanes(huge));
    const many = Array.from({ length: 9000 }, (_, i) => ({ i, s: i % 7 === 0 ? null : `v${i % 100}`, f: i % 2 === 0 }));
    expect(lanesOf(many, false)).toEqual(refLanes(many));
    expect(lanesOf(many, true)).toEqual(refLanes(many));
  });

  it('two hashers fed in turns keep their own buffers', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => ({ i, s: `row ${i}` }));
    const h1 = new ContentHasher();
    const h2 = new ContentHasher();
    for (const r of rows) {
      h1.startRow();
      h2.startRow();
      h1.cellNumber(h1.key('i'), r.i);
      h2.cellString(h2.key('s'), r.s);
      h1.cellString(h1.key('s'), r.s);
      h2.cellNumber(h2.key('i'), r.i);
      h1.endRow();
      h2.endRow();
    }
    expect(h1.lanes()).toEqual(refLanes(rows));
    expect(h2.lanes()).toEqual(refLanes(rows));
  });
});
