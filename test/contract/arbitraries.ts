/** fast-check generators of schemas and valid reports, shared by the contract tests. */
import fc from 'fast-check';
import {
  FIELD_TYPES,
  REPORT_SPEC,
  schemaFingerprint,
  type ColumnProfile,
  type ElementType,
  type Profile,
  type Report,
  type Schema,
  type SchemaField,
} from '../../src/contract/index.js';
import { KllDoublesSketch } from '../../src/sketch/index.js';

const SCALARS = FIELD_TYPES.filter((t) => t !== 'struct' && t !== 'array' && t !== 'map');

/** Names that exercise the canonical sort: case, surrogate pairs, U+E000-U+FFFF, escapes, the empty name. */
export const nameArb: fc.Arbitrary<string> = fc
  .oneof(
    fc.string({ maxLength: 6 }),
    fc.string({ unit: 'binary', maxLength: 4 }),
    fc.constantFrom('a', 'A', 'b', 'é', 'e\u0301', '😀', '\uFFFD', '\uE000', '"', '\\', '\n', '\u2028', '', '10', '2'),
  )
  .filter((n) => n !== '__proto__');

const nullableArb = fc.option(fc.boolean(), { nil: undefined });

function withNullable<T extends ElementType>(e: T, nullable: boolean | undefined): T {
  return nullable === undefined ? e : { ...e, nullable };
}

/** An element type nested at most `depth` more levels; optional keys are sometimes left out. */
export function elementArb(depth: number): fc.Arbitrary<ElementType> {
  const leaf = fc.tuple(fc.constantFrom(...SCALARS), nullableArb).map(([type, n]) => withNullable({ type }, n));
  if (depth <= 0) return leaf;
  const inner = elementArb(depth - 1);
  const struct = fc
    .tuple(fc.option(fieldsArb(depth - 1), { nil: undefined }), nullableArb)
    .map(([fields, n]) =>
      withNullable(fields === undefined ? { type: 'struct' as const } : { type: 'struct' as const, fields }, n),
    );
  const array = fc
    .tuple(fc.option(inner, { nil: undefined }), nullableArb)
    .map(([items, n]) =>
      withNullable(items === undefined ? { type: 'array' as const } : { type: 'array' as const, items }, n),
    );
  const map = fc
    .tuple(fc.option(inner, { nil: undefined }), fc.option(inner, { nil: undefined }), nullableArb)
    .map(([keys, values, n]) => {
      const e: ElementType = { type: 'map' };
      if (keys !== undefined) e.keys = keys;
      if (values !== undefined) e.values = values;
      return withNullable(e, n);
    });
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: struct },
    { weight: 1, arbitrary: array },
    { weight: 1, arbitrary: map },
  );
}

/** A list of fields with distinct names. */
export function fieldsArb(depth: number, maxLength = 5): fc.Arbitrary<SchemaField[]> {
  return fc
    .uniqueArray(fc.tuple(nameArb, elementArb(depth)), { selector: (t) => t[0], maxLength })
    .map((list) => list.map(([name, e]) => ({ name, ...e })));
}

export const schemaArb: fc.Arbitrary<Schema> = fieldsArb(3, 6);

/** Every field and element type of a schema, each with a way to replace it. */
export interface SchemaNode {
  node: ElementType;
  replace: (next: ElementType) => void;
}

export function schemaNodes(schema: Schema): SchemaNode[] {
  const out: SchemaNode[] = [];
  const visit = (e: ElementType, replace: (next: ElementType) => void): void => {
    out.push({ node: e, replace });
    if (e.type === 'struct')
      e.fields?.forEach((f, i, list) => visit(f, (next) => (list[i] = { ...next, name: f.name })));
    if (e.type === 'array' && e.items !== undefined) visit(e.items, (next) => (e.items = next));
    if (e.type === 'map' && e.keys !== undefined) visit(e.keys, (next) => (e.keys = next));
    if (e.type === 'map' && e.values !== undefined) visit(e.values, (next) => (e.values = next));
  };
  schema.forEach((f, i) => visit(f, (next) => (schema[i] = { ...next, name: f.name })));
  return out;
}

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });

function columnArb(rowCount: number): fc.Arbitrary<ColumnProfile> {
  return fc.integer({ min: 0, max: rowCount }).chain((count) =>
    fc.integer({ min: 0, max: count }).chain((nullCount) => {
      const numeric = fc
        .record(
          {
            bounds: fc.option(fc.tuple(finite, finite), { nil: undefined }),
            mean: fc.option(fc.oneof(finite, fc.constant(null)), { nil: undefined }),
            nullMin: fc.boolean(),
            dist: fc.oneof(
              fc.constant(undefined),
              fc.array(finite, { maxLength: 30 }).map((sample) => ({ sample })),
              fc
                .tuple(
                  fc.integer({ min: 8, max: 65535 }),
                  fc.array(finite, { maxLength: Math.min(30, count - nullCount) }),
                )
                .map(([k, values]) => {
                  // A real sketch of at most the column's non-null values (validation decodes it).
                  const s = new KllDoublesSketch(k);
                  for (const v of values) s.update(v);
                  return { sketch: { type: 'kll_doubles' as const, k, data: s.toBase64() } };
                }),
            ),
          },
          { requiredKeys: ['nullMin', 'dist'] },
        )
        .map(({ bounds, mean, nullMin, dist }): ColumnProfile => {
          const c: ColumnProfile = { kind: 'numeric', count, null_count: nullCount };
          if (bounds !== undefined) {
            c.min = Math.min(...bounds);
            c.max = Math.max(...bounds);
          } else if (nullMin) {
            c.min = null;
            c.max = null;
          }
          if (mean !== undefined) c.mean = mean;
          if (dist !== undefined) Object.assign(c, dist);
          return c;
        });
      const categorical = fc
        .record(
          {
            frequent: fc.dictionary(
              fc.string({ maxLength: 5 }).filter((k) => k !== '__proto__'),
              fc.nat({ max: count }),
              { maxKeys: 4 },
            ),
            other_count: fc.nat({ max: count }),
            distinct_estimate: fc.double({ min: 0, max: 1e9, noNaN: true }),
          },
          { requiredKeys: [] },
        )
        .map((extras): ColumnProfile => {
          // The counts fit in the non-null rows.
          let room = count - nullCount;
          if (extras.frequent !== undefined) {
            for (const [v, c] of Object.entries(extras.frequent)) {
              extras.frequent[v] = Math.min(c, room);
              room -= extras.frequent[v];
            }
          }
          if (extras.other_count !== undefined) extras.other_count = Math.min(extras.other_count, room);
          return { kind: 'categorical', count, null_count: nullCount, ...extras };
        });
      return fc.oneof(numeric, categorical);
    }),
  );
}

/** A profile whose columns name top-level fields of its schema (or anything, without a schema). */
const profileArb: fc.Arbitrary<Profile> = fc
  .record({
    rowCount: fc.nat({ max: 1_000_000 }),
    schema: fc.option(schemaArb, { nil: undefined }),
    withFingerprint: fc.boolean(),
  })
  .chain(({ rowCount, schema, withFingerprint }) => {
    let columnsArb: fc.Arbitrary<Record<string, ColumnProfile> | undefined> = fc.constant(undefined);
    if (schema === undefined || schema.length > 0) {
      const names =
        schema === undefined
          ? fc.string({ maxLength: 8 }).filter((n) => n !== '__proto__')
          : fc.constantFrom(...schema.map((f) => f.name));
      columnsArb = fc.option(fc.dictionary(names, columnArb(rowCount), { maxKeys: 4 }), { nil: undefined });
    }
    return columnsArb.map((columns) => {
      const p: Profile = { row_count: rowCount };
      if (schema !== undefined) {
        p.schema = schema;
        if (withFingerprint) p.schema_fingerprint = schemaFingerprint(schema);
      }
      if (columns !== undefined) p.columns = columns;
      return p;
    });
  });

const idArb = fc.string({ minLength: 1, maxLength: 12 });
const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });

const eventTimeArb = fc
  .tuple(
    // A day inside the contract's range, so that no offset moves it out.
    fc.date({ min: new Date('1970-01-02T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }),
    fc.constantFrom('Z', '+05:30', '-08:00', 'z'),
  )
  .map(([d, zone]) => (zone === 'Z' ? d.toISOString() : d.toISOString().replace('Z', zone)));

/** Reports that satisfy every rule of the contract (schema and semantic checks), as parsed from JSON. */
export const reportArb: fc.Arbitrary<Report> = fc
  .record({
    event_id: idArb,
    pipeline: idArb,
    node: idArb,
    run_id: idArb,
    event_time: eventTimeArb,
    status: opt(fc.constantFrom('success' as const, 'failed' as const)),
    upstream: opt(fc.array(fc.record({ node: idArb, run_id: opt(idArb), pipeline: opt(idArb) }), { maxLength: 3 })),
    inputs: opt(fc.array(fc.record({ dataset: idArb, profile: opt(profileArb) }), { maxLength: 2 })),
    outputs: fc.uniqueArray(fc.record({ dataset: idArb, profile: profileArb }), {
      minLength: 1,
      maxLength: 2,
      selector: (o) => o.dataset,
    }),
    code_version: opt(fc.string()),
    data_version: opt(fc.string()),
    params: opt(
      fc.dictionary(
        fc.string().filter((k) => k !== '__proto__'),
        fc.jsonValue(),
        { maxKeys: 4 },
      ),
    ),
    lineageSources: fc.array(fc.record({ node: idArb, column: fc.string() }), { maxLength: 2 }),
  })
  .map((r) => {
    const { lineageSources, ...rest } = r;
    const report = { spec: REPORT_SPEC, ...rest } as Record<string, unknown>;
    for (const k of Object.keys(report)) if (report[k] === undefined) delete report[k];
    for (const list of [report['upstream'], report['inputs']] as unknown[]) {
      if (Array.isArray(list))
        for (const item of list as Record<string, unknown>[])
          for (const k of Object.keys(item)) if (item[k] === undefined) delete item[k];
    }
    const schemas = r.outputs.flatMap((o) => (o.profile.schema === undefined ? [] : [o.profile.schema]));
    const names = schemas.length === 0 ? ['any column'] : schemas.flat().map((f) => f.name);
    if (names.length > 0 && lineageSources.length > 0) report['column_lineage'] = { [names[0] ?? '']: lineageSources };
    // Reports arrive as JSON: plain objects (fast-check also makes null-prototype ones), no -0.
    return JSON.parse(JSON.stringify(report)) as Report;
  });
