import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertReport,
  parseReport,
  REPORT_JSON_SCHEMA,
  schemaFingerprint,
  validateReport,
  type Report,
  type ReportIssue,
} from '../../src/contract/index.js';
import { isRootlineError } from '../../src/errors/index.js';
import { reportArb } from './arbitraries.js';

const dir = new URL('../vectors/reports/', import.meta.url);
const read = (sub: string, file: string): string => readFileSync(new URL(`${sub}/${file}`, dir), 'utf8');
const validFiles = readdirSync(new URL('valid/', dir)).filter((f) => f.endsWith('.json'));
const invalidFiles = readdirSync(new URL('invalid/', dir)).filter(
  (f) => f.endsWith('.json') && !f.endsWith('.expected_errors.json'),
);

function errorsOf(input: unknown): ReportIssue[] {
  const r = validateReport(input);
  return r.ok ? [] : r.errors;
}

const minimal = (): Record<string, unknown> => JSON.parse(read('valid', 'minimal.json')) as Record<string, unknown>;
const example = (): Report => JSON.parse(read('valid', 'contract-example.json')) as Report;

describe('example reports (test/vectors/reports)', () => {
  it('has the required examples', () => {
    expect(validFiles).toEqual(
      expect.arrayContaining(['contract-example.json', 'contract-example-sketch.json', 'minimal.json']),
    );
    expect(invalidFiles.length).toBeGreaterThanOrEqual(20);
  });

  it.each(validFiles)('valid/%s passes', (file) => {
    const r = parseReport(read('valid', file));
    expect(r.ok ? [] : r.errors).toEqual([]);
  });

  it.each(invalidFiles)('invalid/%s yields exactly its expected errors', (file) => {
    const expected = JSON.parse(read('invalid', file.replace(/\.json$/, '.expected_errors.json'))) as {
      path: string;
      contains: string;
    }[];
    expect(expected.length).toBeGreaterThan(0);
    const r = parseReport(read('invalid', file));
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors;
    for (const e of expected) {
      expect(errors, `${e.path}: ${e.contains}`).toContainEqual({
        path: e.path,
        message: expect.stringContaining(e.contains) as unknown,
      });
    }
    expect([...new Set(errors.map((e) => e.path))].sort()).toEqual([...new Set(expected.map((e) => e.path))].sort());
  });
});

describe('validateReport', () => {
  it('returns the input itself on success', () => {
    const input = example();
    const r = validateReport(input);
    expect(r).toEqual({ ok: true, report: input });
    expect(r.ok && r.report).toBe(input);
  });

  it('returns errors sorted by path, without duplicates', () => {
    const input = { ...minimal(), spec: 'x', event_id: '', outputs: [{ dataset: '', profile: { row_count: -1 } }] };
    const errors = errorsOf(input);
    expect(errors.map((e) => e.path)).toEqual([
      '/event_id',
      '/outputs/0/dataset',
      '/outputs/0/profile/row_count',
      '/spec',
    ]);
    expect(new Set(errors.map((e) => `${e.path} ${e.message}`)).size).toBe(errors.length);
  });

  it('escapes column names in paths as JSON Pointer (~0, ~1), for schema and semantic errors alike', () => {
    const input = minimal();
    input['outputs'] = [
      {
        dataset: 'd',
        profile: { row_count: 1, columns: { 'a/b~c': { kind: 'numeric', count: 1, null_count: 2, extra: 1 } } },
      },
    ];
    expect(errorsOf(input).map((e) => e.path)).toEqual([
      '/outputs/0/profile/columns/a~1b~0c/extra',
      '/outputs/0/profile/columns/a~1b~0c/null_count',
    ]);
  });

  it('accepts count below row_count, min equal to max, explicit null statistics and an empty sample', () => {
    const input = minimal();
    input['outputs'] = [
      {
        dataset: 'd',
        profile: {
          row_count: 10,
          columns: {
            a: { kind: 'numeric', count: 5, null_count: 5, min: null, max: null, mean: null, sample: [] },
            b: { kind: 'numeric', count: 10, null_count: 0, min: 2, max: 2, mean: 2 },
          },
        },
      },
    ];
    expect(errorsOf(input)).toEqual([]);
  });

  it('names the expected fingerprint when it does not match the schema', () => {
    const report = example();
    const profile = report.outputs![0]?.profile;
    if (profile?.schema === undefined) throw new Error('example has a schema');
    const expected = schemaFingerprint(profile.schema);
    profile.schema.push({ name: 'new_column', type: 'long' });
    const errors = errorsOf(report);
    expect(errors).toEqual([
      {
        path: '/outputs/0/profile/schema_fingerprint',
        message: `does not match the schema: expected ${schemaFingerprint(profile.schema)} (docs/fingerprint.md), got ${expected}`,
      },
    ]);
  });

  it('checks input profiles like output profiles', () => {
    const report = example();
    const input = report.inputs?.[0]?.profile;
    if (input?.columns === undefined) throw new Error('example has an input profile');
    input.schema_fingerprint = `sha256:${'a'.repeat(64)}`;
    input.columns['amount'] = { kind: 'numeric', count: 1, null_count: 2 };
    expect(errorsOf(report).map((e) => e.path)).toEqual([
      '/inputs/0/profile/columns/amount/null_count',
      '/inputs/0/profile/schema_fingerprint',
    ]);
  });

  it('accepts RFC 3339 variants: lowercase t and z, offsets, long fractions', () => {
    for (const t of [
      '2026-11-21t10:00:05z',
      '2026-11-21T10:00:05+14:00',
      '2026-11-21T10:00:05.123456789-00:30',
      '2024-02-29T00:00:00Z',
      '1970-01-01T00:00:00Z',
      '1969-12-31T23:59:59.999Z',
      '2199-12-31T23:59:59.999999Z',
    ]) {
      expect(errorsOf({ ...minimal(), event_time: t }), t).toEqual([]);
    }
    for (const t of [
      '2026-11-21',
      '2026-11-21T10:00Z',
      '2026-11-21T10:00:05.Z',
      '2026-13-01T00:00:00Z',
      '2100-02-29T00:00:00Z',
      '2026-11-21T10:00:05+24:00',
      ' 2026-11-21T10:00:05Z',
      '2026-11-21T10:60:00Z',
      // Valid RFC 3339, but outside what every sink can store (docs/contract.md).
      '0001-01-01T00:00:00Z',
      '1677-09-21T00:12:43.145Z',
      '2262-04-11T23:47:16.855Z',
      '2300-01-01T00:00:00Z',
    ]) {
      expect(
        errorsOf({ ...minimal(), event_time: t }).map((e) => e.path),
        t,
      ).toEqual(['/event_time']);
    }
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const r = validateReport(value);
        expect(r.ok).toBe(false);
      }),
      { numRuns: 500 },
    );
    for (const value of [null, undefined, 42, 'report', [], [minimal()], Object.create(null)])
      expect(validateReport(value).ok).toBe(false);
  });

  it('never throws on a valid report with any value put anywhere in it', () => {
    fc.assert(
      fc.property(reportArb, fc.nat(), fc.anything(), (report, pick, junk) => {
        const paths: (string | number)[][] = [];
        const walk = (v: unknown, path: (string | number)[]): void => {
          if (path.length > 0) paths.push(path);
          if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
          else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
        };
        walk(report, []);
        const path = paths[pick % paths.length];
        if (path === undefined) return;
        const copy = structuredClone(report) as unknown as Record<string, unknown>;
        let parent: Record<string | number, unknown> = copy;
        for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
        parent[path[path.length - 1] as string | number] = junk;
        expect(() => validateReport(copy)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });

  it('a schema nested far beyond the stack limit is an error, not a crash', () => {
    let field: Record<string, unknown> = { name: 'x', type: 'int' };
    for (let i = 0; i < 20_000; i++) field = { name: 's', type: 'struct', fields: [field] };
    const input = minimal();
    input['outputs'] = [{ dataset: 'd', profile: { row_count: 1, schema: [field] } }];
    const errors = errorsOf(input);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.map((e) => e.message).join(' ')).toMatch(/nested (too deeply|deeper than 64 levels)/);
  });

  it('accepts every generated valid report', () => {
    fc.assert(
      fc.property(reportArb, (report) => {
        expect(errorsOf(report)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseReport', () => {
  it('names line, column and offset of malformed JSON', () => {
    expect(parseReport('{"spec": "rootline.report/v1",\n  "outputs": [1, 2,]\n}')).toEqual({
      ok: false,
      errors: [
        {
          path: '',
          message:
            'is not valid JSON: expected a value, found character "]" (a trailing comma?) at line 2, column 20 (offset 50)',
        },
      ],
    });
    expect(parseReport('{"a": 1')).toEqual({
      ok: false,
      errors: [
        {
          path: '',
          message: "is not valid JSON: expected ',' or '}', found end of input at line 1, column 8 (offset 7)",
        },
      ],
    });
    expect(parseReport('')).toEqual({
      ok: false,
      errors: [
        { path: '', message: 'is not valid JSON: expected a value, found end of input at line 1, column 1 (offset 0)' },
      ],
    });
  });

  it('accepts UTF-8 bytes and a leading byte order mark, and rejects bytes that are not UTF-8', () => {
    const text = read('valid', 'nested-unicode-failed.json');
    expect(parseReport(Buffer.from(text, 'utf8')).ok).toBe(true);
    expect(parseReport(`\uFEFF${text}`).ok).toBe(true);
    expect(parseReport(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])).ok).toBe(true);
    expect(parseReport(Buffer.from([0x7b, 0xff, 0x7d]))).toEqual({
      ok: false,
      errors: [{ path: '', message: 'is not valid UTF-8' }],
    });
  });

  it('validates what it parsed', () => {
    expect(parseReport('{"spec":"rootline.report/v1"}')).toEqual({
      ok: false,
      errors: ['/event_id', '/event_time', '/node', '/pipeline', '/run_id'].map((path) => ({
        path,
        message: 'is required',
      })),
    });
  });
});

describe('assertReport', () => {
  it('returns a valid report and throws REPORT_INVALID with every error otherwise', () => {
    const good = example();
    expect(assertReport(good)).toBe(good);
    let caught: unknown;
    try {
      assertReport({ ...good, status: 'ok', event_id: '' });
    } catch (e: unknown) {
      caught = e;
    }
    expect(isRootlineError(caught, 'REPORT_INVALID')).toBe(true);
    expect((caught as Error).message).toBe(
      'invalid report: /event_id: must not be empty; /status: must be one of success, failed; got "ok"',
    );
    expect((caught as { details: { errors: unknown[] } }).details.errors).toHaveLength(2);
  });
});

describe('REPORT_JSON_SCHEMA', () => {
  it('is draft 2020-12 and lists the same top-level fields as the Report type', () => {
    expect(REPORT_JSON_SCHEMA['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    const keys: (keyof Report)[] = [
      'spec',
      'event_id',
      'pipeline',
      'node',
      'run_id',
      'event_time',
      'status',
      'upstream',
      'inputs',
      'outputs',
      'code_version',
      'data_version',
      'params',
      'column_lineage',
      'error',
    ];
    expect(Object.keys(REPORT_JSON_SCHEMA['properties'] as object)).toEqual(keys);
  });
});
