import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyTypeChange,
  diffSchemas,
  FIELD_TYPES,
  formatFieldPath,
  parseFieldPath,
  resolveFieldPath,
  schemaFingerprint,
  summarizeSchemaChanges,
  type FieldType,
  type Schema,
} from '../../src/contract/index.js';
import { isRootlineError } from '../../src/errors/index.js';
import { schemaArb } from './arbitraries.js';

const base: Schema = [
  { name: 'id', type: 'long', nullable: false },
  { name: 'amount', type: 'int' },
  {
    name: 'address',
    type: 'struct',
    fields: [
      { name: 'zip', type: 'string' },
      { name: 'city', type: 'string', nullable: false },
    ],
  },
  { name: 'tags', type: 'array', items: { type: 'string', nullable: false } },
  { name: 'attrs', type: 'map', keys: { type: 'string', nullable: false }, values: { type: 'float' } },
];

const brief = (s: Schema, before: Schema = base): [string, string, boolean][] =>
  diffSchemas(before, s).map((c) => [c.kind, c.path, c.breaking]);

describe('diffSchemas', () => {
  it('finds nothing between a schema and a reordered copy', () => {
    expect(diffSchemas(base, [...base].reverse())).toEqual([]);
  });

  it('column removed is breaking, column added is compatible', () => {
    const after: Schema = [
      ...base.filter((f) => f.name !== 'amount'),
      { name: 'score', type: 'double', nullable: false },
    ];
    const changes = diffSchemas(base, after);
    expect(changes).toEqual([
      {
        kind: 'removed',
        path: 'amount',
        before: { name: 'amount', type: 'int' },
        breaking: true,
        reason: 'column removed',
      },
      {
        kind: 'added',
        path: 'score',
        after: { name: 'score', type: 'double', nullable: false },
        breaking: false,
        reason: 'column added (double, not null): compatible',
      },
    ]);
  });

  it('widening is compatible, narrowing and other changes are breaking', () => {
    const retype = (type: FieldType): Schema => base.map((f) => (f.name === 'amount' ? { ...f, type } : f));
    expect(diffSchemas(base, retype('long'))).toEqual([
      {
        kind: 'type_changed',
        path: 'amount',
        before: 'int',
        after: 'long',
        breaking: false,
        reason: 'type widened from int to long: every old value fits',
      },
    ]);
    expect(brief(retype('double'))).toEqual([['type_changed', 'amount', false]]);
    expect(brief(retype('float'))).toEqual([['type_changed', 'amount', true]]);
    expect(brief(retype('string'))).toEqual([['type_changed', 'amount', true]]);
    expect(brief(base, retype('long'))).toEqual([['type_changed', 'amount', true]]);
    expect(diffSchemas(retype('long'), base)[0]?.reason).toBe('type narrowed from long to int: old values may not fit');
  });

  it('nullable -> not null is breaking, not null -> nullable is compatible (the issue text)', () => {
    const flip = base.map((f) =>
      f.name === 'amount' ? { ...f, nullable: false } : f.name === 'id' ? { ...f, nullable: true } : f,
    );
    const changes = diffSchemas(base, flip);
    expect(
      changes.map((c) => [
        c.kind,
        c.path,
        c.breaking,
        'before' in c ? c.before : undefined,
        'after' in c ? c.after : undefined,
      ]),
    ).toEqual([
      ['nullability_changed', 'id', false, false, true],
      ['nullability_changed', 'amount', true, true, false],
    ]);
  });

  it('reports type and nullability changes of one field separately', () => {
    const after = base.map((f) =>
      f.name === 'amount' ? { name: 'amount', type: 'long' as const, nullable: false } : f,
    );
    expect(brief(after)).toEqual([
      ['type_changed', 'amount', false],
      ['nullability_changed', 'amount', true],
    ]);
  });

  it('walks structs, array items and map keys and values, with their paths', () => {
    const after: Schema = [
      base[0] ?? { name: 'x', type: 'int' },
      base[1] ?? { name: 'x', type: 'int' },
      {
        name: 'address',
        type: 'struct',
        fields: [
          { name: 'city', type: 'string' },
          { name: 'geo', type: 'struct' },
        ],
      },
      { name: 'tags', type: 'array', items: { type: 'string' } },
      { name: 'attrs', type: 'map', keys: { type: 'int', nullable: false }, values: { type: 'double' } },
    ];
    expect(brief(after)).toEqual([
      ['removed', 'address.zip', true],
      ['nullability_changed', 'address.city', false],
      ['added', 'address.geo', false],
      ['nullability_changed', 'tags[]', false],
      ['type_changed', 'attrs{key}', true],
      ['type_changed', 'attrs{value}', false],
    ]);
  });

  it('does not look inside a field whose type changed', () => {
    const after = base.map((f) => (f.name === 'address' ? { name: 'address', type: 'string' as const } : f));
    expect(brief(after)).toEqual([['type_changed', 'address', true]]);
  });

  it('quotes names that need it in paths', () => {
    const before: Schema = [{ name: 'a.b', type: 'struct', fields: [{ name: 'c`d', type: 'int' }] }];
    const after: Schema = [{ name: 'a.b', type: 'struct', fields: [] }];
    expect(diffSchemas(before, after).map((c) => c.path)).toEqual(['`a.b`.`c``d`']);
  });

  it('treats missing items, keys and values as unknown', () => {
    expect(brief([{ name: 't', type: 'array', items: { type: 'int' } }], [{ name: 't', type: 'array' }])).toEqual([
      ['type_changed', 't[]', false],
    ]);
    expect(brief([{ name: 't', type: 'array', items: { type: 'unknown' } }], [{ name: 't', type: 'array' }])).toEqual(
      [],
    );
  });

  it('rejects a schema with a duplicate name', () => {
    let caught: unknown;
    try {
      diffSchemas(
        [
          {
            name: 's',
            type: 'struct',
            fields: [
              { name: 'x', type: 'int' },
              { name: 'x', type: 'int' },
            ],
          },
        ],
        [{ name: 's', type: 'struct' }],
      );
    } catch (e: unknown) {
      caught = e;
    }
    expect(isRootlineError(caught, 'REPORT_INVALID')).toBe(true);
    expect((caught as Error).message).toContain('s.x');
  });

  it('finds a change exactly when the fingerprint changes (property)', () => {
    fc.assert(
      fc.property(schemaArb, schemaArb, (a, b) => {
        expect(diffSchemas(a, b).length === 0).toBe(schemaFingerprint(a) === schemaFingerprint(b));
        expect(diffSchemas(a, a)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('every change path resolves in the schema it comes from (property)', () => {
    fc.assert(
      fc.property(schemaArb, schemaArb, (a, b) => {
        for (const c of diffSchemas(a, b)) {
          const where = c.kind === 'added' ? b : a;
          expect(resolveFieldPath(where, c.path), c.path).toBeDefined();
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('classifyTypeChange', () => {
  it('follows the widening table of docs/contract.md', () => {
    const compatible = new Set(['int>long', 'int>double', 'float>double', 'date>timestamp']);
    for (const a of FIELD_TYPES) {
      for (const b of FIELD_TYPES) {
        if (a === b) continue;
        const expected = a === 'unknown' || b === 'unknown' ? false : !compatible.has(`${a}>${b}`);
        expect(classifyTypeChange(a, b).breaking, `${a} -> ${b}`).toBe(expected);
      }
    }
  });
});

describe('summarizeSchemaChanges', () => {
  it('counts by kind and says whether any change is breaking', () => {
    const after: Schema = [
      { name: 'id', type: 'long' },
      { name: 'amount', type: 'long' },
      { name: 'new', type: 'int' },
    ];
    expect(summarizeSchemaChanges(diffSchemas(base, after))).toEqual({
      breaking: true,
      total: 6,
      breakingCount: 3,
      compatibleCount: 3,
      byKind: { added: 1, removed: 3, type_changed: 1, nullability_changed: 1 },
    });
    expect(summarizeSchemaChanges([])).toEqual({
      breaking: false,
      total: 0,
      breakingCount: 0,
      compatibleCount: 0,
      byKind: { added: 0, removed: 0, type_changed: 0, nullability_changed: 0 },
    });
  });
});

describe('field paths', () => {
  it('round-trip through format and parse', () => {
    fc.assert(
      fc.property(
        fc
          .array(
            fc.oneof(
              fc.string().map((field) => ({ field })),
              fc.constantFrom('items' as const, 'key' as const, 'value' as const),
            ),
            { minLength: 1 },
          )
          .map((steps) => (typeof steps[0] === 'object' ? steps : [{ field: 'x' }, ...steps])),
        (steps) => {
          // A name directly after another name needs the dot; the format adds it.
          expect(parseFieldPath(formatFieldPath(steps))).toEqual(steps);
        },
      ),
    );
  });

  it('resolves top-level names literally first', () => {
    const schema: Schema = [
      { name: 'a.b', type: 'int' },
      { name: 'a', type: 'struct', fields: [{ name: 'b', type: 'string' }] },
    ];
    expect(resolveFieldPath(schema, 'a.b')?.type).toBe('int');
    expect(resolveFieldPath(schema, '`a`.b')?.type).toBe('string');
    expect(resolveFieldPath(schema, 'a.c')).toBeUndefined();
    expect(resolveFieldPath(schema, 'a[]')).toBeUndefined();
    expect(parseFieldPath('a..b')).toBeUndefined();
    expect(parseFieldPath('[]')).toBeUndefined();
  });
});
