import avro from 'avsc';
import type { Schema as AvroSchema, Type as AvroType } from 'avsc';
import { RootlineError } from '../errors/index.js';
import { SCHEMA_FIELD_KEYS } from './fingerprint.js';
import {
  FIELD_TYPES,
  type AssertionResult,
  type ColumnProfile,
  type ColumnSource,
  type DatasetColumn,
  type DatasetRef,
  type ElementType,
  type FieldType,
  type OutputRef,
  type Profile,
  type Report,
  type RunError,
  type RunStatus,
  type SchemaField,
  type UpstreamRef,
} from './types.js';

const optional = (type: unknown): unknown => ['null', type];

const ELEMENT_FIELDS = [
  { name: 'type', type: 'FieldType' },
  { name: 'nullable', type: optional('boolean'), default: null, doc: 'Absent (null) means true.' },
  { name: 'fields', type: optional({ type: 'array', items: 'Field' }), default: null },
  { name: 'items', type: optional('ElementType'), default: null },
  { name: 'keys', type: optional('ElementType'), default: null },
  { name: 'values', type: optional('ElementType'), default: null },
  {
    name: 'extra',
    type: optional({ type: 'map', values: 'string' }),
    default: null,
    doc: 'Keys of the JSON field other than the ones above (description, metadata, ...), each value JSON-encoded.',
  },
];

const PROFILE = {
  type: 'record',
  name: 'Profile',
  fields: [
    { name: 'row_count', type: optional('long'), default: null },
    {
      name: 'schema',
      type: optional({
        type: 'array',
        items: {
          type: 'record',
          name: 'Field',
          fields: [
            { name: 'name', type: 'string' },
            {
              name: 'type',
              type: { type: 'enum', name: 'FieldType', symbols: [...FIELD_TYPES], default: 'unknown' },
            },
            ...ELEMENT_FIELDS.slice(1, 3),
            {
              name: 'items',
              type: optional({ type: 'record', name: 'ElementType', fields: ELEMENT_FIELDS }),
              default: null,
            },
            ...ELEMENT_FIELDS.slice(4),
          ],
        },
      }),
      default: null,
    },
    { name: 'schema_fingerprint', type: optional('string'), default: null },
    {
      name: 'columns',
      type: optional({
        type: 'map',
        values: {
          type: 'record',
          name: 'ColumnProfile',
          fields: [
            { name: 'kind', type: { type: 'enum', name: 'ColumnKind', symbols: ['numeric', 'categorical'] } },
            { name: 'count', type: 'long' },
            { name: 'null_count', type: 'long' },
            { name: 'min', type: optional('double'), default: null },
            { name: 'max', type: optional('double'), default: null },
            { name: 'mean', type: optional('double'), default: null },
            {
              name: 'json_nulls',
              type: optional({ type: 'array', items: 'string' }),
              default: null,
              doc: 'Which of min, max, mean were an explicit JSON null rather than absent. Set by converters from JSON; producers leave it null.',
            },
            {
              name: 'sketch',
              type: optional({
                type: 'record',
                name: 'Sketch',
                fields: [
                  { name: 'type', type: { type: 'enum', name: 'SketchType', symbols: ['kll_doubles'] } },
                  { name: 'k', type: 'int' },
                  { name: 'data', type: 'bytes', doc: 'The Apache DataSketches serialization (base64 in JSON).' },
                ],
              }),
              default: null,
            },
            { name: 'sample', type: optional({ type: 'array', items: 'double' }), default: null },
            { name: 'frequent', type: optional({ type: 'map', values: 'long' }), default: null },
            { name: 'other_count', type: optional('long'), default: null },
            { name: 'distinct_estimate', type: optional('double'), default: null },
          ],
        },
      }),
      default: null,
    },
    { name: 'content_hash', type: optional('string'), default: null },
  ],
};

/**
 * The Avro schema of `rootline.report/v1` (record `dev.rootline.Report`), for producers that write
 * Avro to Kafka through the Confluent schema registry. src/contract/report.avsc holds the same schema
 * as a file to register; docs/contract.md describes the mapping.
 */
export const REPORT_AVRO_SCHEMA = {
  type: 'record',
  name: 'Report',
  namespace: 'dev.rootline',
  doc: 'rootline.report/v1: one run of one pipeline node (docs/contract.md).',
  fields: [
    { name: 'spec', type: 'string' },
    { name: 'event_id', type: 'string' },
    { name: 'pipeline', type: 'string' },
    { name: 'node', type: 'string' },
    { name: 'run_id', type: 'string' },
    { name: 'event_time', type: 'string', doc: 'RFC 3339 text, exactly as in JSON.' },
    {
      name: 'status',
      type: optional({ type: 'enum', name: 'RunStatus', symbols: ['success', 'failed'] }),
      default: null,
    },
    {
      name: 'upstream',
      type: optional({
        type: 'array',
        items: {
          type: 'record',
          name: 'UpstreamRef',
          fields: [
            { name: 'node', type: 'string' },
            { name: 'run_id', type: optional('string'), default: null },
            { name: 'pipeline', type: optional('string'), default: null },
          ],
        },
      }),
      default: null,
    },
    {
      name: 'inputs',
      type: optional({
        type: 'array',
        items: {
          type: 'record',
          name: 'InputRef',
          fields: [
            { name: 'dataset', type: 'string' },
            { name: 'profile', type: optional(PROFILE), default: null },
            { name: 'version', type: optional('string'), default: null },
            {
              name: 'assertions',
              type: optional({
                type: 'array',
                items: {
                  type: 'record',
                  name: 'Assertion',
                  fields: [
                    { name: 'assertion', type: 'string' },
                    { name: 'success', type: 'boolean' },
                    { name: 'column', type: optional('string'), default: null },
                  ],
                },
              }),
              default: null,
            },
          ],
        },
      }),
      default: null,
    },
    {
      name: 'outputs',
      type: optional({
        type: 'array',
        items: {
          type: 'record',
          name: 'OutputRef',
          fields: [
            { name: 'dataset', type: 'string' },
            { name: 'profile', type: optional('Profile'), default: null },
            { name: 'version', type: optional('string'), default: null },
            { name: 'assertions', type: optional({ type: 'array', items: 'Assertion' }), default: null },
            {
              name: 'column_lineage',
              type: optional({
                type: 'map',
                values: {
                  type: 'array',
                  items: {
                    type: 'record',
                    name: 'DatasetColumn',
                    fields: [
                      { name: 'dataset', type: 'string' },
                      { name: 'column', type: 'string' },
                    ],
                  },
                },
              }),
              default: null,
            },
          ],
        },
      }),
      default: null,
    },
    { name: 'code_version', type: optional('string'), default: null },
    { name: 'data_version', type: optional('string'), default: null },
    {
      name: 'params',
      type: optional({ type: 'map', values: 'string' }),
      default: null,
      doc: 'Each value JSON-encoded (Avro cannot hold arbitrary JSON).',
    },
    {
      name: 'column_lineage',
      type: optional({
        type: 'map',
        values: {
          type: 'array',
          items: {
            type: 'record',
            name: 'ColumnSource',
            fields: [
              { name: 'node', type: 'string' },
              { name: 'column', type: 'string' },
            ],
          },
        },
      }),
      default: null,
    },
    {
      name: 'error',
      type: optional({
        type: 'record',
        name: 'RunError',
        fields: [
          { name: 'message', type: 'string' },
          { name: 'language', type: optional('string'), default: null },
          { name: 'stack', type: optional('string'), default: null },
        ],
      }),
      default: null,
    },
  ],
} as const;

/** The Avro form of a schema field or element type (see {@link REPORT_AVRO_SCHEMA}). */
export interface AvroElementType {
  type: FieldType;
  nullable: boolean | null;
  fields: AvroField[] | null;
  items: AvroElementType | null;
  keys: AvroElementType | null;
  values: AvroElementType | null;
  extra: Record<string, string> | null;
}

export interface AvroField extends AvroElementType {
  name: string;
}

export interface AvroColumnProfile {
  kind: 'numeric' | 'categorical';
  count: number;
  null_count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  json_nulls: string[] | null;
  sketch: { type: 'kll_doubles'; k: number; data: Buffer } | null;
  sample: number[] | null;
  frequent: Record<string, number> | null;
  other_count: number | null;
  distinct_estimate: number | null;
}

export interface AvroProfile {
  row_count: number | null;
  schema: AvroField[] | null;
  schema_fingerprint: string | null;
  columns: Record<string, AvroColumnProfile> | null;
  content_hash: string | null;
}

export interface AvroAssertion {
  assertion: string;
  success: boolean;
  column: string | null;
}

export interface AvroDatasetRef {
  dataset: string;
  profile: AvroProfile | null;
  version: string | null;
  /** Absent in records written before assertions were added. */
  assertions?: AvroAssertion[] | null;
}

/** The Avro record of a report, as avsc writes and reads it (see {@link REPORT_AVRO_SCHEMA}). */
export interface AvroReport {
  spec: string;
  event_id: string;
  pipeline: string;
  node: string;
  run_id: string;
  event_time: string;
  status: RunStatus | null;
  upstream: { node: string; run_id: string | null; pipeline: string | null }[] | null;
  inputs: AvroDatasetRef[] | null;
  outputs:
    (AvroDatasetRef & { column_lineage?: Record<string, { dataset: string; column: string }[]> | null })[] | null;
  code_version: string | null;
  data_version: string | null;
  params: Record<string, string> | null;
  column_lineage: Record<string, { node: string; column: string }[]> | null;
  error: { message: string; language: string | null; stack: string | null } | null;
}

let reportType: AvroType | undefined;

/** The avsc type of {@link REPORT_AVRO_SCHEMA}, built on first use. */
export function reportAvroType(): AvroType {
  reportType ??= avro.Type.forSchema(REPORT_AVRO_SCHEMA as unknown as AvroSchema);
  return reportType;
}

/** Sets an own property, also for the key `__proto__` (which plain assignment would not store). */
function put<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

function mapValues<A, B>(obj: Record<string, A>, fn: (a: A) => B): Record<string, B> {
  const out: Record<string, B> = {};
  for (const [k, v] of Object.entries(obj)) put(out, k, fn(v));
  // avsc reads an Avro map into a plain object with `map[key] = value`: an entry `__proto__` whose value is an
  // object (a column profile, a lineage list) became the map's prototype instead. It is taken back here.
  // (One whose value is a string or number is dropped by avsc already; see docs/contract.md, "Avro".)
  const proto: unknown = Object.getPrototypeOf(obj);
  if (typeof proto === 'object' && proto !== null && proto !== Object.prototype) put(out, '__proto__', fn(proto as A));
  return out;
}

const FIELD_KEY_SET: ReadonlySet<string> = new Set(SCHEMA_FIELD_KEYS);

function elementToAvro(e: ElementType): AvroElementType {
  let extra: Record<string, string> | null = null;
  for (const [k, v] of Object.entries(e)) {
    if (FIELD_KEY_SET.has(k) || v === undefined) continue;
    extra ??= {};
    put(extra, k, JSON.stringify(v));
  }
  return {
    type: e.type,
    nullable: e.nullable ?? null,
    fields: e.fields === undefined ? null : e.fields.map(fieldToAvro),
    items: e.items === undefined ? null : elementToAvro(e.items),
    keys: e.keys === undefined ? null : elementToAvro(e.keys),
    values: e.values === undefined ? null : elementToAvro(e.values),
    extra,
  };
}

function fieldToAvro(f: SchemaField): AvroField {
  return { name: f.name, ...elementToAvro(f) };
}

const STATS = ['min', 'max', 'mean'] as const;

function columnToAvro(c: ColumnProfile): AvroColumnProfile {
  const out: AvroColumnProfile = {
    kind: c.kind,
    count: c.count,
    null_count: c.null_count,
    min: null,
    max: null,
    mean: null,
    json_nulls: null,
    sketch: null,
    sample: null,
    frequent: null,
    other_count: null,
    distinct_estimate: null,
  };
  if (c.kind === 'numeric') {
    for (const s of STATS) {
      const v = c[s];
      if (v === null) (out.json_nulls ??= []).push(s);
      else if (v !== undefined) out[s] = v;
    }
    if (c.sketch !== undefined)
      out.sketch = { type: c.sketch.type, k: c.sketch.k, data: Buffer.from(c.sketch.data, 'base64') };
    if (c.sample !== undefined) out.sample = c.sample;
  } else {
    if (c.frequent !== undefined) out.frequent = c.frequent;
    if (c.other_count !== undefined) out.other_count = c.other_count;
    if (c.distinct_estimate !== undefined) out.distinct_estimate = c.distinct_estimate;
  }
  return out;
}

function profileToAvro(p: Profile): AvroProfile {
  return {
    row_count: p.row_count ?? null,
    schema: p.schema === undefined ? null : p.schema.map(fieldToAvro),
    schema_fingerprint: p.schema_fingerprint ?? null,
    columns: p.columns === undefined ? null : mapValues(p.columns, columnToAvro),
    content_hash: p.content_hash ?? null,
  };
}

function assertionsToAvro(list: AssertionResult[] | undefined): AvroAssertion[] | null {
  return list === undefined
    ? null
    : list.map((a) => ({ assertion: a.assertion, success: a.success, column: a.column ?? null }));
}

function assertionsFromAvro(list: AvroAssertion[] | null | undefined): AssertionResult[] | undefined {
  if (list === null || list === undefined) return undefined;
  return list.map((a) => {
    const r: AssertionResult = { assertion: a.assertion, success: a.success };
    if (a.column !== null) r.column = a.column;
    return r;
  });
}

/**
 * The Avro record of a report (see {@link REPORT_AVRO_SCHEMA} and docs/contract.md): absent optional
 * fields become null, `params` values and extra schema-field keys are JSON-encoded, sketch data is
 * decoded from base64 to bytes. Pass a validated report; the result is what `reportAvroType()` encodes.
 */
export function reportToAvro(report: Report): AvroReport {
  return {
    spec: report.spec,
    event_id: report.event_id,
    pipeline: report.pipeline,
    node: report.node,
    run_id: report.run_id,
    event_time: report.event_time,
    status: report.status ?? null,
    upstream:
      report.upstream?.map((u) => ({ node: u.node, run_id: u.run_id ?? null, pipeline: u.pipeline ?? null })) ?? null,
    inputs:
      report.inputs?.map((i) => ({
        dataset: i.dataset,
        profile: i.profile === undefined ? null : profileToAvro(i.profile),
        version: i.version ?? null,
        assertions: assertionsToAvro(i.assertions),
      })) ?? null,
    outputs:
      report.outputs?.map((o) => ({
        dataset: o.dataset,
        profile: o.profile === undefined ? null : profileToAvro(o.profile),
        version: o.version ?? null,
        assertions: assertionsToAvro(o.assertions),
        column_lineage:
          o.column_lineage === undefined
            ? null
            : mapValues(o.column_lineage, (list) => list.map((c) => ({ dataset: c.dataset, column: c.column }))),
      })) ?? null,
    code_version: report.code_version ?? null,
    data_version: report.data_version ?? null,
    params: report.params === undefined ? null : mapValues(report.params, (v) => JSON.stringify(v) ?? 'null'),
    column_lineage:
      report.column_lineage === undefined
        ? null
        : mapValues(report.column_lineage, (list) => list.map((s) => ({ node: s.node, column: s.column }))),
    error:
      report.error === undefined
        ? null
        : { message: report.error.message, language: report.error.language ?? null, stack: report.error.stack ?? null },
  };
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e: unknown) {
    throw new RootlineError('DECODE_FAILED', `Avro report: ${where} is not JSON-encoded`, { cause: e });
  }
}

function elementFromAvro(e: AvroElementType, at: string): ElementType {
  const out: ElementType = { type: e.type };
  if (e.nullable !== null) out.nullable = e.nullable;
  if (e.fields !== null) out.fields = e.fields.map((f, i) => fieldFromAvro(f, `${at}.fields[${i}]`));
  if (e.items !== null) out.items = elementFromAvro(e.items, `${at}.items`);
  if (e.keys !== null) out.keys = elementFromAvro(e.keys, `${at}.keys`);
  if (e.values !== null) out.values = elementFromAvro(e.values, `${at}.values`);
  if (e.extra !== null) {
    for (const [k, v] of Object.entries(e.extra)) {
      if (!FIELD_KEY_SET.has(k)) put(out as unknown as Record<string, unknown>, k, parseJson(v, `${at}.extra.${k}`));
    }
  }
  return out;
}

function fieldFromAvro(f: AvroField, at: string): SchemaField {
  return { name: f.name, ...elementFromAvro(f, at) };
}

function columnFromAvro(c: AvroColumnProfile): ColumnProfile {
  if (c.kind === 'numeric') {
    const out: ColumnProfile = { kind: 'numeric', count: c.count, null_count: c.null_count };
    for (const s of STATS) {
      const v = c[s];
      if (v !== null) out[s] = v;
      else if (c.json_nulls?.includes(s) === true) out[s] = null;
    }
    if (c.sketch !== null)
      out.sketch = { type: c.sketch.type, k: c.sketch.k, data: Buffer.from(c.sketch.data).toString('base64') };
    if (c.sample !== null) out.sample = c.sample;
    return out;
  }
  const out: ColumnProfile = { kind: 'categorical', count: c.count, null_count: c.null_count };
  if (c.frequent !== null) out.frequent = mapValues(c.frequent, (n) => n);
  if (c.other_count !== null) out.other_count = c.other_count;
  if (c.distinct_estimate !== null) out.distinct_estimate = c.distinct_estimate;
  return out;
}

function profileFromAvro(p: AvroProfile, at: string): Profile {
  const out: Profile = {};
  if (p.row_count !== null && p.row_count !== undefined) out.row_count = p.row_count;
  if (p.schema !== null) out.schema = p.schema.map((f, i) => fieldFromAvro(f, `${at}.schema[${i}]`));
  if (p.schema_fingerprint !== null) out.schema_fingerprint = p.schema_fingerprint;
  if (p.content_hash !== null && p.content_hash !== undefined) out.content_hash = p.content_hash;
  if (p.columns !== null) out.columns = mapValues(p.columns, columnFromAvro);
  return out;
}

/**
 * The report held by an Avro record (the inverse of {@link reportToAvro}): nulls become absent
 * fields, JSON-encoded values are parsed, sketch bytes become base64. Validate the result with
 * `validateReport` before use: Avro checks the shape, not the contract's rules.
 * @throws RootlineError `DECODE_FAILED` when a JSON-encoded value (params, extra keys) is not JSON.
 */
export function avroToReport(record: AvroReport): Report {
  const report: Report = {
    spec: record.spec as Report['spec'],
    event_id: record.event_id,
    pipeline: record.pipeline,
    node: record.node,
    run_id: record.run_id,
    event_time: record.event_time,
  };
  if (record.outputs !== null && record.outputs !== undefined) {
    report.outputs = record.outputs.map((o, i): OutputRef => {
      const ref: OutputRef = { dataset: o.dataset };
      if (o.profile !== null && o.profile !== undefined)
        ref.profile = profileFromAvro(o.profile, `outputs[${i}].profile`);
      if (o.version !== null && o.version !== undefined) ref.version = o.version;
      const assertions = assertionsFromAvro(o.assertions);
      if (assertions !== undefined) ref.assertions = assertions;
      if (o.column_lineage !== null && o.column_lineage !== undefined)
        ref.column_lineage = mapValues(o.column_lineage, (list) =>
          list.map((c): DatasetColumn => ({ dataset: c.dataset, column: c.column })),
        );
      return ref;
    });
  }
  if (record.status !== null) report.status = record.status;
  if (record.upstream !== null) {
    report.upstream = record.upstream.map((u) => {
      const ref: UpstreamRef = { node: u.node };
      if (u.run_id !== null) ref.run_id = u.run_id;
      if (u.pipeline !== null) ref.pipeline = u.pipeline;
      return ref;
    });
  }
  if (record.inputs !== null) {
    report.inputs = record.inputs.map((inp, i) => {
      const ref: DatasetRef = { dataset: inp.dataset };
      if (inp.profile !== null) ref.profile = profileFromAvro(inp.profile, `inputs[${i}].profile`);
      if (inp.version !== null && inp.version !== undefined) ref.version = inp.version;
      const assertions = assertionsFromAvro(inp.assertions);
      if (assertions !== undefined) ref.assertions = assertions;
      return ref;
    });
  }
  if (record.code_version !== null) report.code_version = record.code_version;
  if (record.data_version !== null) report.data_version = record.data_version;
  if (record.params !== null) {
    const params: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record.params)) put(params, k, parseJson(v, `params.${k}`));
    report.params = params;
  }
  if (record.column_lineage !== null) {
    report.column_lineage = mapValues(record.column_lineage, (list) =>
      list.map((s): ColumnSource => ({ node: s.node, column: s.column })),
    );
  }
  if (record.error !== null && record.error !== undefined) {
    const error: RunError = { message: record.error.message };
    if (record.error.language !== null) error.language = record.error.language;
    if (record.error.stack !== null) error.stack = record.error.stack;
    report.error = error;
  }
  // Keep the field order of REPORT_AVRO_SCHEMA / the contract for readable output.
  const ordered: Record<string, unknown> = {};
  for (const f of REPORT_AVRO_SCHEMA.fields) {
    const v = (report as unknown as Record<string, unknown>)[f.name];
    if (v !== undefined) ordered[f.name] = v;
  }
  return ordered as unknown as Report;
}

/** A report as Avro binary (no Confluent framing: the schema registry serializer adds the magic byte and id). */
export function encodeReportAvro(report: Report): Buffer {
  return reportAvroType().toBuffer(reportToAvro(report));
}

/**
 * A report from Avro binary written with {@link REPORT_AVRO_SCHEMA} (no Confluent framing).
 * @throws RootlineError `DECODE_FAILED` when the bytes are not such a record.
 */
export function decodeReportAvro(buf: Buffer): Report {
  let record: AvroReport;
  try {
    record = reportAvroType().fromBuffer(buf) as AvroReport;
  } catch (e: unknown) {
    throw new RootlineError(
      'DECODE_FAILED',
      `not an Avro ${REPORT_AVRO_SCHEMA.namespace}.${REPORT_AVRO_SCHEMA.name}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  return avroToReport(record);
}
