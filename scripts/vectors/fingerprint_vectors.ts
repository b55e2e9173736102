/**
 * Writes the shared schema-fingerprint vectors (docs/fingerprint.md), checked by the TypeScript tests
 * (test/contract/fingerprint.test.ts) and the Python emitter's tests:
 *
 * - test/vectors/fingerprint.json: `[{ "name", "schema", "canonical", "fingerprint" }]`, schemas with a
 *   fingerprint;
 * - test/vectors/fingerprint_invalid.json: `[{ "name", "schema", "path" }]`, schemas that have none
 *   (`path`: JSON Pointer, relative to the schema, of the first problem).
 *
 * Run: `npx tsx scripts/vectors/fingerprint_vectors.ts` (`--check` compares instead of writing and
 * exits 1 on a difference).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { canonicalSchema, inspectSchema, MAX_SCHEMA_DEPTH, schemaFingerprint } from '../../src/contract/index.js';
import type { Schema } from '../../src/contract/index.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const example: Json[] = [
  { name: 'customer_id', type: 'string', nullable: false },
  { name: 'avg_amount', type: 'double', nullable: true },
];

const nested: Json[] = [
  { name: 'id', type: 'long', nullable: false },
  {
    name: 'address',
    type: 'struct',
    fields: [
      { name: 'zip', type: 'string' },
      { name: 'city', type: 'string', nullable: false },
      {
        name: 'geo',
        type: 'struct',
        fields: [
          { name: 'lon', type: 'double' },
          { name: 'lat', type: 'double' },
        ],
      },
    ],
  },
  { name: 'tags', type: 'array', items: { type: 'string', nullable: false } },
  {
    name: 'orders',
    type: 'array',
    nullable: false,
    items: {
      type: 'struct',
      fields: [
        { name: 'sku', type: 'string' },
        { name: 'amount', type: 'decimal' },
        { name: 'at', type: 'timestamp' },
      ],
    },
  },
  {
    name: 'attrs',
    type: 'map',
    keys: { type: 'string', nullable: false },
    values: { type: 'array', items: { type: 'map', keys: { type: 'int' }, values: { type: 'boolean' } } },
  },
];

/** The same schema with the fields of every level in reverse order. */
function reversed(fields: Json[]): Json[] {
  return [...fields].reverse().map((f) => reorderDeep(f));
}
function reorderDeep(v: Json): Json {
  if (Array.isArray(v) || v === null || typeof v !== 'object') return v;
  const out: { [k: string]: Json } = {};
  for (const [k, x] of Object.entries(v)) out[k] = k === 'fields' && Array.isArray(x) ? reversed(x) : reorderDeep(x);
  return out;
}

function deep(depth: number): Json[] {
  let field: Json = { name: 'leaf', type: 'int' };
  for (let i = 1; i < depth; i++) field = { name: `s${depth - i}`, type: 'struct', fields: [field] };
  return [field];
}

const valid: { name: string; schema: Json[] }[] = [
  { name: 'contract example', schema: example },
  { name: 'contract example, columns reordered', schema: [...example].reverse() },
  { name: 'empty schema', schema: [] },
  {
    name: 'nullable omitted',
    schema: [
      { name: 'a', type: 'long' },
      { name: 'b', type: 'string', nullable: false },
    ],
  },
  {
    name: 'nullable true written out',
    schema: [
      { name: 'a', type: 'long', nullable: true },
      { name: 'b', type: 'string', nullable: false },
    ],
  },
  {
    name: 'nullable false',
    schema: [
      { name: 'a', type: 'long', nullable: false },
      { name: 'b', type: 'string', nullable: false },
    ],
  },
  {
    name: 'every type, with defaults for nested keys',
    schema: [
      'string',
      'boolean',
      'int',
      'long',
      'float',
      'double',
      'decimal',
      'date',
      'timestamp',
      'binary',
      'struct',
      'array',
      'map',
      'unknown',
    ].map((t) => ({ name: `c_${t}`, type: t })),
  },
  { name: 'nested struct, array and map', schema: nested },
  { name: 'nested struct, array and map, reordered at every depth', schema: reversed(nested) },
  {
    name: 'element types without nullable and with nullable false',
    schema: [
      { name: 'l', type: 'array', items: { type: 'array', nullable: false, items: { type: 'long' } } },
      { name: 'm', type: 'map', keys: { type: 'string', nullable: false }, values: { type: 'double', nullable: true } },
    ],
  },
  {
    name: 'extra keys ignored',
    schema: [
      {
        name: 'customer_id',
        type: 'string',
        nullable: false,
        description: 'the customer',
        metadata: { pii: true, tags: ['a', 'b'] },
        'x-emitter': 'pandas',
      },
      {
        comment: 'keys before name do not matter',
        type: 'double',
        name: 'avg_amount',
        nullable: true,
        precision: null,
      },
    ],
  },
  {
    name: 'type-specific keys on other types ignored',
    schema: [
      {
        name: 's',
        type: 'string',
        fields: [{ name: 'x', type: 'int' }],
        items: { type: 'int' },
        keys: { type: 'int' },
        values: { type: 'int' },
      },
      { name: 'st', type: 'struct', fields: [{ name: 'x', type: 'int' }], items: { type: 'int' } },
      { name: 'a', type: 'array', items: { type: 'int', name: 'element names are ignored', fields: [] }, fields: [] },
      { name: 'm', type: 'map', keys: { type: 'string' }, values: { type: 'int' }, items: { type: 'int' } },
    ],
  },
  {
    name: 'non-ASCII names',
    schema: [
      { name: 'montant_moyen_€', type: 'double' },
      { name: '東京', type: 'string' },
      { name: 'Ünïcödé', type: 'string' },
      { name: 'café', type: 'int' },
      { name: 'cafe\u0301', type: 'int' },
      { name: 'ελληνικά', type: 'long' },
      { name: 'العربية', type: 'long' },
    ],
  },
  {
    name: 'emoji and characters above U+FFFF sort by code point',
    schema: [
      { name: '😀', type: 'int' },
      { name: '\u{1F600}x', type: 'int' },
      { name: '\uFFFD', type: 'int' },
      { name: '\uE000', type: 'int' },
      { name: '\u{10FFFF}', type: 'int' },
      { name: '\u{20000}', type: 'int' },
      { name: 'Z', type: 'int' },
    ],
  },
  {
    name: 'names needing escapes',
    schema: [
      { name: 'quote"inside', type: 'string' },
      { name: 'back\\slash', type: 'string' },
      { name: 'slash/not escaped', type: 'string' },
      { name: 'b\bf\fn\nr\rt\t', type: 'string' },
      { name: 'nul\u0000unit\u001fesc\u001b', type: 'string' },
      { name: 'del\u007f', type: 'string' },
      { name: 'line\u2028paragraph\u2029separators', type: 'string' },
      { name: 'nbsp\u00a0bom\ufeff', type: 'string' },
    ],
  },
  {
    name: 'names are case-sensitive and sort by code point',
    schema: ['b', 'B', 'a', 'A', '_', 'a b', 'ab', 'a_b', 'a.b', '', '10', '2', '1', ' '].map((n) => ({
      name: n,
      type: 'int',
    })),
  },
  { name: `nesting at the limit (${MAX_SCHEMA_DEPTH} levels)`, schema: deep(MAX_SCHEMA_DEPTH) },
];

const invalid: { name: string; schema: Json }[] = [
  { name: 'schema is not an array', schema: { name: 'a', type: 'int' } },
  { name: 'field is not an object', schema: ['a'] },
  {
    name: 'duplicate top-level name',
    schema: [
      { name: 'a', type: 'int' },
      { name: 'a', type: 'long' },
    ],
  },
  {
    name: 'duplicate nested name',
    schema: [
      {
        name: 's',
        type: 'struct',
        fields: [
          { name: 'x', type: 'int' },
          { name: 'x', type: 'int' },
        ],
      },
    ],
  },
  {
    name: 'duplicate non-ASCII name',
    schema: [
      { name: 'é', type: 'int' },
      { name: 'é', type: 'int' },
    ],
  },
  { name: 'unknown type', schema: [{ name: 'a', type: 'integer' }] },
  { name: 'type in another case', schema: [{ name: 'a', type: 'String' }] },
  { name: 'missing type', schema: [{ name: 'a' }] },
  { name: 'missing name', schema: [{ type: 'int' }] },
  { name: 'name not a string', schema: [{ name: 1, type: 'int' }] },
  { name: 'nullable not a boolean', schema: [{ name: 'a', type: 'int', nullable: 'yes' }] },
  { name: 'nullable null', schema: [{ name: 'a', type: 'int', nullable: null }] },
  { name: 'lone high surrogate in a name', schema: [{ name: 'bad\ud800', type: 'int' }] },
  { name: 'lone low surrogate in a name', schema: [{ name: '\udc00bad', type: 'int' }] },
  { name: 'surrogates in the wrong order', schema: [{ name: '\ude00\ud83d', type: 'int' }] },
  { name: 'items null', schema: [{ name: 'a', type: 'array', items: null }] },
  { name: 'fields null', schema: [{ name: 'a', type: 'struct', fields: null }] },
  { name: 'keys not an object', schema: [{ name: 'a', type: 'map', keys: 'string' }] },
  { name: 'element without type', schema: [{ name: 'a', type: 'array', items: { nullable: true } }] },
  { name: `nesting over the limit (${MAX_SCHEMA_DEPTH + 1} levels)`, schema: deep(MAX_SCHEMA_DEPTH + 1) },
];

const root = fileURLToPath(new URL('../../', import.meta.url));
const validOut = `${JSON.stringify(
  valid.map(({ name, schema }) => ({
    name,
    schema,
    canonical: canonicalSchema(schema as unknown as Schema),
    fingerprint: schemaFingerprint(schema as unknown as Schema),
  })),
  null,
  2,
)}\n`;
const invalidOut = `${JSON.stringify(
  invalid.map(({ name, schema }) => {
    const { canonical, problems } = inspectSchema(schema);
    if (canonical !== undefined || problems[0] === undefined)
      throw new Error(`invalid vector "${name}" has a fingerprint`);
    return { name, schema, path: problems[0].path };
  }),
  null,
  2,
)}\n`;

const files: [string, string][] = [
  ['test/vectors/fingerprint.json', validOut],
  ['test/vectors/fingerprint_invalid.json', invalidOut],
];
if (process.argv.includes('--check')) {
  let same = true;
  for (const [file, text] of files) {
    let current = '';
    try {
      current = readFileSync(root + file, 'utf8');
    } catch {
      // missing counts as different
    }
    if (current !== text) {
      console.error(`${file} differs from what the script generates`);
      same = false;
    }
  }
  process.exitCode = same ? 0 : 1;
} else {
  for (const [file, text] of files) {
    writeFileSync(root + file, text);
    console.log(`wrote ${file}`);
  }
}
