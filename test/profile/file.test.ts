import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CategoricalColumnProfile, NumericColumnProfile, Profile } from '../../src/contract/index.js';
import { isRootlineError } from '../../src/errors/index.js';
import { profileFile, type FileProgress, type ProfileFileOptions } from '../../src/profile/index.js';
import { KllDoublesSketch } from '../../src/sketch/index.js';
import { VECTORS } from './dataset-vectors.js';

const dir = mkdtempSync(join(tmpdir(), 'rootline-profile-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function types(p: Profile): Record<string, string> {
  return Object.fromEntries((p.schema ?? []).map((f) => [f.name, `${f.type}${f.nullable === false ? '!' : ''}`]));
}

function col<K extends 'numeric' | 'categorical'>(
  p: Profile,
  name: string,
  kind: K,
): K extends 'numeric' ? NumericColumnProfile : CategoricalColumnProfile {
  const c = p.columns?.[name];
  if (c?.kind !== kind) throw new Error(`${name}: expected ${kind}, got ${JSON.stringify(c)}`);
  return c as never;
}

async function failure(path: string, options: ProfileFileOptions = {}): Promise<string> {
  try {
    await profileFile(path, options);
  } catch (err: unknown) {
    expect(isRootlineError(err)).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('profileFile: CSV', () => {
  it('infers types per column in one pass (documented rule) and treats empty fields as nulls', async () => {
    const rows = [
      'int,dec,late,flag,day,ts,empty,nan,inf,,text',
      '1,1.5,10,true,2026-11-01,2026-11-01T10:00:00Z,,1.5,1',
      '2,-2e3,20,False,2026-11-02,2026-11-02 10:00,,NaN,-inf',
      '3,,20,TRUE,,2026-11-03,,2.5,Infinity',
      '-4,.25,x20,false,2026-11-04,2026-11-04T10:00:00.123+01:00,,,2',
    ].map((r, i) => (i === 0 ? r : `${r},${i},t${i}`));
    const p = await profileFile(file('types.csv', `${rows.join('\n')}\n`));
    expect(p.row_count).toBe(4);
    expect(types(p)).toEqual({
      int: 'long',
      dec: 'double',
      late: 'string',
      flag: 'boolean',
      day: 'date',
      ts: 'timestamp',
      empty: 'string',
      nan: 'double',
      inf: 'double',
      'Unnamed: 9': 'long',
      text: 'string',
    });
    expect(col(p, 'int', 'numeric')).toMatchObject({ count: 4, null_count: 0, min: -4, max: 3, mean: 0.5 });
    expect(col(p, 'dec', 'numeric')).toMatchObject({ null_count: 1, min: -2000, max: 1.5 });
    // numeric until its last value: the frequent values were kept from the first row on
    expect(col(p, 'late', 'categorical')).toMatchObject({
      frequent: { '20': 2, '10': 1, x20: 1 },
      other_count: 0,
      distinct_estimate: 3,
      null_count: 0,
    });
    expect(col(p, 'flag', 'categorical')).toMatchObject({ frequent: { true: 2, false: 2 }, distinct_estimate: 2 });
    expect(col(p, 'empty', 'categorical')).toMatchObject({
      null_count: 4,
      frequent: {},
      other_count: 0,
      distinct_estimate: 0,
    });
    // NaN text is a null of a numeric column
    expect(col(p, 'nan', 'numeric')).toMatchObject({ null_count: 2, min: 1.5, max: 2.5, mean: 2 });
    expect(col(p, 'inf', 'numeric')).toMatchObject({ null_count: 0, min: null, max: null, mean: null });
    expect(KllDoublesSketch.fromBase64(col(p, 'inf', 'numeric').sketch!.data).n).toBe(4);
  });

  it('reads tab-separated files and quoted fields spanning lines', async () => {
    const p = await profileFile(file('t.tsv', 'a\tb\n"x\ny"\t1\nz\t2\n'));
    expect(col(p, 'a', 'categorical').frequent).toEqual({ 'x\ny': 1, z: 1 });
    expect(types(p)).toEqual({ a: 'string', b: 'long' });
  });

  it('names the line of a malformed row and what is wrong', async () => {
    expect(await failure(file('short.csv', 'a,b,c\n1,2,3\n"4\n4",5\n'))).toBe(
      'line 3: 2 fields, expected 3 (the header has 3 columns)',
    );
    expect(await failure(file('quote.csv', 'a,b\n1,2\n3,4"\n'))).toMatch(
      /^line 3: a double quote inside an unquoted field/,
    );
    expect(await failure(file('dup.csv', 'a,b,a\n1,2,3\n'))).toBe('line 1: the header names the column "a" twice');
    expect(await failure(file('empty.csv', ''))).toMatch(/is empty: a CSV file needs a header row/);
  });

  it('reports progress up to the file size', async () => {
    const text = `x\n${Array.from({ length: 5000 }, (_, i) => String(i)).join('\n')}\n`;
    const seen: FileProgress[] = [];
    const p = await profileFile(file('progress.csv', text), { chunkBytes: 1024, onProgress: (pr) => seen.push(pr) });
    expect(p.row_count).toBe(5000);
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.at(-1)).toEqual({ bytesRead: Buffer.byteLength(text), totalBytes: Buffer.byteLength(text) });
    expect(seen.every((s, i) => i === 0 || s.bytesRead > seen[i - 1]!.bytesRead)).toBe(true);
  });

  it('splits multi-byte characters across chunks correctly', async () => {
    const text = `name\n${Array.from({ length: 300 }, () => 'Zürich,東京')
      .join('\n')
      .replace(/,/g, '\n')}\n`;
    const p = await profileFile(file('utf8.csv', text), { chunkBytes: 7 });
    expect(col(p, 'name', 'categorical').frequent).toEqual({ Zürich: 300, 東京: 300 });
  });
});

describe('profileFile: JSON Lines', () => {
  it('profiles one object per line; nested values are `unknown`; blank lines and CRLF are fine', async () => {
    const lines = [
      '{"a":1,"b":"x","c":{"k":1},"d":true}',
      '',
      '{"a":2.5,"b":null,"c":[1,2],"e":"late"}\r',
      '{"a":null,"b":"x"}',
    ];
    const p = await profileFile(file('rows.jsonl', `${lines.join('\n')}\n`));
    expect(p.row_count).toBe(3);
    expect(types(p)).toEqual({ a: 'double', b: 'string', c: 'unknown', d: 'boolean', e: 'string' });
    expect(col(p, 'a', 'numeric')).toMatchObject({ null_count: 1, min: 1, max: 2.5 });
    expect(col(p, 'c', 'categorical').frequent).toEqual({ '{"k":1}': 1, '[1,2]': 1 });
    expect(col(p, 'e', 'categorical')).toMatchObject({ count: 3, null_count: 2 });
  });

  it('names the line of malformed JSON or of a line that is not an object', async () => {
    expect(await failure(file('bad.jsonl', '{"a":1}\n\n{"a":}\n'))).toMatch(/^line 3: malformed JSON \(/);
    expect(await failure(file('arr.ndjson', '{"a":1}\n[1,2]\n'))).toBe(
      'line 2: expected a JSON object (one row per line), got an array',
    );
  });
});

describe('profileFile: Parquet', () => {
  interface PythonParquetProfile {
    profile_options: { top_k: number; k: number };
    profile: Profile;
  }
  const parquet = join(VECTORS, 'parquet', 'dataset.parquet');
  const py = JSON.parse(readFileSync(join(VECTORS, 'parquet', 'python_profile.json'), 'utf8')) as PythonParquetProfile;

  it('takes the file schema (REQUIRED columns are not nullable) and matches the Python emitter on the same file', async () => {
    const seen: FileProgress[] = [];
    const p = await profileFile(parquet, {
      topK: py.profile_options.top_k,
      k: py.profile_options.k,
      onProgress: (s) => seen.push(s),
    });
    expect(p.schema).toEqual(py.profile.schema);
    expect(p.schema_fingerprint).toBe(py.profile.schema_fingerprint);
    expect(p.row_count).toBe(300);
    for (const [name, expected] of Object.entries(py.profile.columns!)) {
      const got = p.columns![name]!;
      expect([got.kind, got.count, got.null_count], name).toEqual([expected.kind, expected.count, expected.null_count]);
      if (got.kind === 'numeric' && expected.kind === 'numeric') {
        for (const key of ['min', 'max', 'mean'] as const) {
          expect(Math.abs(got[key]! - expected[key]!), `${name}.${key}`).toBeLessThanOrEqual(
            1e-12 * Math.abs(expected[key]!),
          );
        }
        expect(KllDoublesSketch.fromBase64(got.sketch!.data).n).toBe(
          KllDoublesSketch.fromBase64(expected.sketch!.data).n,
        );
      } else if (got.kind === 'categorical' && expected.kind === 'categorical') {
        expect([got.frequent, got.other_count, got.distinct_estimate], name).toEqual([
          expected.frequent,
          expected.other_count,
          expected.distinct_estimate,
        ]);
      }
    }
    expect(seen.length).toBeGreaterThan(0);
  });

  it('rejects a file that is not Parquet', async () => {
    expect(await failure(file('fake.parquet', 'not,a,parquet\n'))).toMatch(/is not a readable Parquet file/);
  });
});

describe('profileFile: the file itself', () => {
  it('says why a file cannot be read, and asks for a format it cannot tell', async () => {
    expect(await failure(join(dir, 'missing.csv'))).toMatch(/^cannot read .*missing\.csv: ENOENT/);
    expect(await failure(dir, { format: 'csv' })).toMatch(/not a regular file/);
    expect(await failure(file('data.bin', 'x'))).toMatch(/cannot tell the format/);
  });
});
