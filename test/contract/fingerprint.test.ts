import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalSchema,
  compareCodePoints,
  FIELD_TYPES,
  inspectSchema,
  MAX_SCHEMA_DEPTH,
  schemaFingerprint,
  type ElementType,
  type Schema,
} from '../../src/contract/index.js';
import { isRootlineError } from '../../src/errors/index.js';
import { schemaArb, schemaNodes } from './arbitraries.js';

interface Vector {
  name: string;
  schema: Schema;
  canonical: string;
  fingerprint: string;
}
interface InvalidVector {
  name: string;
  schema: unknown;
  path: string;
}

const vectorsUrl = new URL('../vectors/fingerprint.json', import.meta.url);
const vectors = JSON.parse(readFileSync(vectorsUrl, 'utf8')) as Vector[];
const invalid = JSON.parse(
  readFileSync(new URL('../vectors/fingerprint_invalid.json', import.meta.url), 'utf8'),
) as InvalidVector[];

const sha = (text: string): string => `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;

describe('shared vectors (test/vectors/fingerprint.json)', () => {
  it('has the stable format and covers the required cases', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(15);
    for (const v of vectors) {
      expect(Object.keys(v)).toEqual(['name', 'schema', 'canonical', 'fingerprint']);
      expect(v.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
    const names = vectors.map((v) => v.name).join('\n');
    for (const topic of [
      'contract example',
      'reordered',
      'nullable omitted',
      'nested',
      'non-ASCII',
      'emoji',
      'escapes',
      'empty schema',
      'extra keys',
    ]) {
      expect(names).toContain(topic);
    }
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    expect(canonicalSchema(v.schema)).toBe(v.canonical);
    expect(schemaFingerprint(v.schema)).toBe(v.fingerprint);
    expect(sha(v.canonical)).toBe(v.fingerprint);
  });

  it('gives reordered and nullable-omitted variants the same fingerprint', () => {
    const fp = (name: string): string | undefined => vectors.find((v) => v.name === name)?.fingerprint;
    expect(fp('contract example')).toBe(fp('contract example, columns reordered'));
    expect(fp('nested struct, array and map')).toBe(fp('nested struct, array and map, reordered at every depth'));
    expect(fp('nullable omitted')).toBe(fp('nullable true written out'));
    expect(fp('nullable omitted')).not.toBe(fp('nullable false'));
  });

  it.each(invalid.map((v) => [v.name, v] as const))('no fingerprint: %s', (_name, v) => {
    let caught: unknown;
    try {
      schemaFingerprint(v.schema as Schema);
    } catch (e: unknown) {
      caught = e;
    }
    expect(isRootlineError(caught, 'REPORT_INVALID')).toBe(true);
    expect(inspectSchema(v.schema).problems[0]?.path).toBe(v.path);
  });
});

describe('canonical form, checked by hand (digests from sha256sum)', () => {
  it('the contract example', () => {
    const schema: Schema = [
      { name: 'customer_id', type: 'string', nullable: false },
      { name: 'avg_amount', type: 'double', nullable: true },
    ];
    const canonical =
      '[{"name":"avg_amount","type":"double","nullable":true},{"name":"customer_id","type":"string","nullable":false}]';
    expect(canonicalSchema(schema)).toBe(canonical);
    expect(schemaFingerprint(schema)).toBe('sha256:e84842d392e96950e4728397ddbb527a66fdff5767b79b57bd3ad087dc03867f');
  });

  it('the empty schema', () => {
    expect(canonicalSchema([])).toBe('[]');
    expect(schemaFingerprint([])).toBe('sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945');
  });

  it('nullable omitted, extra keys dropped', () => {
    const schema = [{ name: 'a', type: 'long', description: 'x', metadata: { k: 1 } }] as unknown as Schema;
    expect(canonicalSchema(schema)).toBe('[{"name":"a","type":"long","nullable":true}]');
    expect(schemaFingerprint(schema)).toBe('sha256:27f89c20ddcbb3a298d8cc11cdd7b3d9b846f68763f1f451b6ebcadcc2a36342');
  });

  it('JSON escapes of control characters', () => {
    const schema: Schema = [{ name: 'b\bf\fn\nr\rt\t', type: 'string' }];
    expect(canonicalSchema(schema)).toBe('[{"name":"b\\bf\\fn\\nr\\rt\\t","type":"string","nullable":true}]');
    expect(schemaFingerprint(schema)).toBe('sha256:75c92e42aca4f93e1ed614cb65699e5f4f8f44bcfe7237c366ed26040db2c695');
  });

  it('quote, backslash and \\u0000, sorted by name', () => {
    const schema: Schema = [
      { name: 'quote"inside', type: 'string' },
      { name: 'nul\u0000x', type: 'string' },
      { name: 'back\\slash', type: 'string' },
    ];
    expect(canonicalSchema(schema)).toBe(
      '[{"name":"back\\\\slash","type":"string","nullable":true},{"name":"nul\\u0000x","type":"string","nullable":true},{"name":"quote\\"inside","type":"string","nullable":true}]',
    );
    expect(schemaFingerprint(schema)).toBe('sha256:b88256af913ab23cb25800d7ccf1f1ade07574c6be6358751fdbef2ea27da0ce');
  });

  it('U+2028 written as itself, in UTF-8', () => {
    const schema: Schema = [{ name: 'line\u2028sep', type: 'string' }];
    expect(canonicalSchema(schema)).toBe('[{"name":"line\u2028sep","type":"string","nullable":true}]');
    expect(schemaFingerprint(schema)).toBe('sha256:9fe704fc25667a85b1b041b10b259de16db02a639f76fab7741dae272dadaaf6');
  });

  it('non-ASCII and emoji names', () => {
    const schema: Schema = [
      { name: '😀', type: 'int' },
      { name: 'café', type: 'int' },
    ];
    expect(canonicalSchema(schema)).toBe(
      '[{"name":"café","type":"int","nullable":true},{"name":"😀","type":"int","nullable":true}]',
    );
    expect(schemaFingerprint(schema)).toBe('sha256:156ce938a6b585c1c48b2c397eca098d48378b4f503fb102f20bbf4a6a153411');
  });

  it('nested struct and map with defaults filled in', () => {
    const schema: Schema = [
      {
        name: 's',
        type: 'struct',
        fields: [
          { name: 'y', type: 'map', nullable: false, keys: { type: 'string', nullable: false } },
          { name: 'x', type: 'int' },
        ],
      },
      { name: 'id', type: 'long', nullable: false },
    ];
    expect(canonicalSchema(schema)).toBe(
      '[{"name":"id","type":"long","nullable":false},{"name":"s","type":"struct","nullable":true,"fields":[{"name":"x","type":"int","nullable":true},{"name":"y","type":"map","nullable":false,"keys":{"type":"string","nullable":false},"values":{"type":"unknown","nullable":true}}]}]',
    );
    expect(schemaFingerprint(schema)).toBe('sha256:1348344631f9fe8b001536c056ce38ca46cdd87418470a330ba737f0b90e098b');
  });

  it('an array without items', () => {
    const schema: Schema = [{ name: 'tags', type: 'array' }];
    expect(canonicalSchema(schema)).toBe(
      '[{"name":"tags","type":"array","nullable":true,"items":{"type":"unknown","nullable":true}}]',
    );
    expect(schemaFingerprint(schema)).toBe('sha256:d1c3a2940b797a8fa67bfdc321bc562fad4a0e678865236ac067f147b029725f');
  });
});

describe('errors', () => {
  it('names the path and every problem', () => {
    const schema = [
      { name: 'a', type: 'int' },
      { name: 'a', type: 'varchar' },
    ] as unknown as Schema;
    let caught: unknown;
    try {
      canonicalSchema(schema);
    } catch (e: unknown) {
      caught = e;
    }
    expect(isRootlineError(caught, 'REPORT_INVALID')).toBe(true);
    expect((caught as Error).message).toBe('schema at /1/name: duplicate field name "a" (first at /0)');
    expect((caught as { details: { problems: unknown[] } }).details.problems).toEqual([
      { path: '/1/name', message: 'duplicate field name "a" (first at /0)' },
      { path: '/1/type', message: expect.stringContaining('got "varchar"') as unknown },
    ]);
  });

  it('accepts exactly MAX_SCHEMA_DEPTH levels, through any nesting key', () => {
    const nest = (depth: number, wrap: (e: ElementType) => ElementType): Schema => {
      let e: ElementType = { type: 'int' };
      for (let i = 1; i < depth; i++) e = wrap(e);
      return [{ name: 'x', ...e }];
    };
    const wraps: ((e: ElementType) => ElementType)[] = [
      (e) => ({ type: 'struct', fields: [{ name: 'f', ...e }] }),
      (e) => ({ type: 'array', items: e }),
      (e) => ({ type: 'map', keys: { type: 'string' }, values: e }),
    ];
    for (const wrap of wraps) {
      expect(schemaFingerprint(nest(MAX_SCHEMA_DEPTH, wrap))).toMatch(/^sha256:/);
      expect(() => schemaFingerprint(nest(MAX_SCHEMA_DEPTH + 1, wrap))).toThrow(/nested deeper than 64 levels/);
    }
  });
});

describe('code point order', () => {
  it('differs from UTF-16 order above U+FFFF and equals UTF-8 byte order', () => {
    expect('\u{1F600}' < '\uFFFD').toBe(true); // UTF-16 code units
    expect(compareCodePoints('\u{1F600}', '\uFFFD')).toBeGreaterThan(0);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(Math.sign(compareCodePoints(a, b))).toBe(
          Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))),
        );
      }),
      { numRuns: 2000 },
    );
  });
});

/** A copy with the fields of every struct (and the top level) shuffled, optional defaults written out, extra keys added. */
function scramble(schema: Schema, rand: () => number): Schema {
  const shuffle = <T>(list: T[]): T[] => {
    const out = [...list];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  };
  const el = (e: ElementType): ElementType => {
    const out: ElementType & Record<string, unknown> = { ...e };
    if (out.nullable === undefined && rand() < 0.5) out.nullable = true;
    if (rand() < 0.3) out['description'] = 'extra';
    if (e.type === 'struct' && e.fields !== undefined)
      out.fields = shuffle(e.fields.map((f) => ({ ...el(f), name: f.name })));
    if (e.type === 'struct' && e.fields === undefined && rand() < 0.5) out.fields = [];
    if (e.items !== undefined) out.items = el(e.items);
    if (e.keys !== undefined) out.keys = el(e.keys);
    if (e.values !== undefined) out.values = el(e.values);
    return out;
  };
  return shuffle(schema.map((f) => ({ ...el(f), name: f.name })));
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('properties', () => {
  it('reordering fields at any depth, writing out defaults or adding extra keys never changes the fingerprint', () => {
    fc.assert(
      fc.property(schemaArb, fc.integer(), (schema, seed) => {
        expect(schemaFingerprint(scramble(schema, lcg(seed)))).toBe(schemaFingerprint(schema));
      }),
      { numRuns: 300 },
    );
  });

  it('changing any type or nullability, at any depth, always changes the fingerprint', () => {
    fc.assert(
      fc.property(
        schemaArb.filter((s) => s.length > 0),
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        (schema, pick, typePick, flipNullability) => {
          const before = schemaFingerprint(schema);
          const copy = structuredClone(schema);
          const nodes = schemaNodes(copy);
          const target = nodes[pick % nodes.length];
          if (target === undefined) throw new Error('no node');
          const { node } = target;
          if (flipNullability) {
            target.replace({ ...node, nullable: node.nullable === false });
          } else {
            const others = FIELD_TYPES.filter((t) => t !== node.type);
            target.replace({ ...node, type: others[typePick % others.length] ?? 'unknown' });
          }
          expect(schemaFingerprint(copy)).not.toBe(before);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a canonical form is valid JSON that parses back to a schema with the same canonical form', () => {
    fc.assert(
      fc.property(schemaArb, (schema) => {
        const canonical = canonicalSchema(schema);
        expect(canonicalSchema(JSON.parse(canonical) as Schema)).toBe(canonical);
      }),
      { numRuns: 200 },
    );
  });
});
