import { errorMessage } from '../errors/index.js';
import { KllDoublesSketch } from '../sketch/kll.js';
import { shareDecodedSketch } from '../sketch/shared.js';
import { base64Problem, canonicalBase64Bytes } from './base64.js';
import { fieldPathResolver } from './field-path.js';
import { FINGERPRINT_PATTERN, fingerprintOfCanonical, inspectSchema } from './fingerprint.js';
import { pointer, pointerSegment } from './pointer.js';
import { checkRfc3339 } from './rfc3339.js';
import type { SchemaField } from './types.js';

/** One problem of a report: a JSON Pointer into the report and a readable message. */
export interface ReportIssue {
  /** JSON Pointer (RFC 6901) to the offending value, e.g. `/outputs/0/profile/columns/avg_amount/null_count`; `` for the whole document. */
  path: string;
  message: string;
}

type Push = (path: string, message: string) => void;
type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/**
 * Bounds that keep one report's work and every sink's input bounded (docs/contract.md, "Limits").
 * Names become InfluxDB tags and state keys; lists are walked once per report.
 */
export const REPORT_LIMITS = {
  /** Characters (UTF-16 code units) of an id or name: event_id, pipeline, node, run_id, versions, datasets, columns. */
  maxNameLength: 512,
  /** Items of upstream, inputs, outputs, a profile's columns, column_lineage, one column's sources, frequent. */
  maxItems: 100_000,
  /**
   * Earliest event_time (inclusive), epoch ms: 1677-09-21T00:12:43.146Z, the first whole millisecond InfluxDB's
   * int64 nanosecond timestamps can hold (the narrowest of the sinks).
   */
  minEventTimeMs: -9_223_372_036_854,
  /** Latest event_time (exclusive), epoch ms: after 2262-04-11T23:47:16.854Z, the last millisecond InfluxDB holds. */
  maxEventTimeMs: 9_223_372_036_855,
} as const;

const EVENT_TIME_RANGE = `${new Date(REPORT_LIMITS.minEventTimeMs).toISOString()} .. ${new Date(REPORT_LIMITS.maxEventTimeMs - 1).toISOString()}`;

function checkName(v: unknown, at: string, push: Push): void {
  if (typeof v === 'string' && v.length > REPORT_LIMITS.maxNameLength)
    push(at, `has ${v.length} characters; at most ${REPORT_LIMITS.maxNameLength} are allowed`);
}

function checkItems(count: number, at: string, what: string, push: Push): void {
  if (count > REPORT_LIMITS.maxItems) push(at, `has ${count} ${what}; at most ${REPORT_LIMITS.maxItems} are allowed`);
}

/**
 * The rules the JSON Schema cannot express (docs/contract.md, "Validation"). Runs on any JSON value,
 * also one that failed the schema, and checks only what is well-typed enough to check, so that one
 * report's problems are all reported together.
 */
export function semanticChecks(report: unknown, push: Push): void {
  if (!isObject(report)) return;
  const eventTime = report['event_time'];
  if (typeof eventTime === 'string') {
    const r = checkRfc3339(eventTime);
    if (!r.ok) push('/event_time', `${JSON.stringify(eventTime)} ${r.reason}`);
    else if (r.epochMs < REPORT_LIMITS.minEventTimeMs || r.epochMs >= REPORT_LIMITS.maxEventTimeMs)
      push(
        '/event_time',
        `${JSON.stringify(eventTime)} is outside the range every sink can store, ${EVENT_TIME_RANGE}`,
      );
  }
  for (const key of ['event_id', 'pipeline', 'node', 'run_id', 'code_version', 'data_version'])
    checkName(report[key], pointer(key), push);

  const upstream = report['upstream'];
  if (Array.isArray(upstream)) {
    checkItems(upstream.length, '/upstream', 'items', push);
    upstream.forEach((u: unknown, i) => {
      if (!isObject(u)) return;
      for (const key of ['node', 'pipeline', 'run_id']) checkName(u[key], pointer('upstream', i, key), push);
    });
  }

  const outputSchemas: SchemaField[][] = [];
  const outputs = report['outputs'];
  if (Array.isArray(outputs)) {
    checkItems(outputs.length, '/outputs', 'items', push);
    const seen = new Map<string, number>();
    outputs.forEach((out: unknown, i) => {
      if (!isObject(out)) return;
      const dataset = out['dataset'];
      checkName(dataset, pointer('outputs', i, 'dataset'), push);
      if (typeof dataset === 'string') {
        const first = seen.get(dataset);
        if (first === undefined) seen.set(dataset, i);
        else
          push(
            pointer('outputs', i, 'dataset'),
            `duplicate output dataset ${JSON.stringify(dataset)} (first at /outputs/${first})`,
          );
      }
      const schema = checkProfile(out['profile'], pointer('outputs', i, 'profile'), push);
      if (schema !== undefined) outputSchemas.push(schema);
      checkAssertions(out['assertions'], pointer('outputs', i, 'assertions'), push);
      checkOutputLineage(out['column_lineage'], pointer('outputs', i, 'column_lineage'), schema, push);
    });
  }
  const inputs = report['inputs'];
  if (Array.isArray(inputs)) {
    checkItems(inputs.length, '/inputs', 'items', push);
    inputs.forEach((inp: unknown, i) => {
      if (!isObject(inp)) return;
      checkName(inp['dataset'], pointer('inputs', i, 'dataset'), push);
      checkProfile(inp['profile'], pointer('inputs', i, 'profile'), push);
      checkAssertions(inp['assertions'], pointer('inputs', i, 'assertions'), push);
    });
  }

  const lineage = report['column_lineage'];
  if (isObject(lineage)) {
    const columns = Object.keys(lineage);
    checkItems(columns.length, '/column_lineage', 'columns', push);
    const resolvers = outputSchemas.map(fieldPathResolver);
    for (const column of columns) {
      checkName(column, pointer('column_lineage', column), push);
      if (resolvers.length > 0 && !resolvers.some((resolve) => resolve(column) !== undefined)) {
        push(pointer('column_lineage', column), `column ${JSON.stringify(column)} is not in the schema of any output`);
      }
      const sources = lineage[column];
      if (!Array.isArray(sources)) continue;
      checkItems(sources.length, pointer('column_lineage', column), 'sources', push);
      sources.forEach((s: unknown, j) => {
        if (!isObject(s)) return;
        checkName(s['node'], pointer('column_lineage', column, j, 'node'), push);
        checkName(s['column'], pointer('column_lineage', column, j, 'column'), push);
      });
    }
  }
}

/** An output's column lineage: bounded, names within the limit, each key a field of the output's schema (if any). */
function checkOutputLineage(lineage: unknown, base: string, schema: SchemaField[] | undefined, push: Push): void {
  if (!isObject(lineage)) return;
  const columns = Object.keys(lineage);
  checkItems(columns.length, base, 'columns', push);
  const resolve = schema === undefined ? undefined : fieldPathResolver(schema);
  for (const column of columns) {
    const at = `${base}/${pointerSegment(column)}`;
    checkName(column, at, push);
    if (resolve !== undefined && resolve(column) === undefined)
      push(at, `column ${JSON.stringify(column)} is not in the output's schema`);
    const sources = lineage[column];
    if (!Array.isArray(sources)) continue;
    checkItems(sources.length, at, 'sources', push);
    sources.forEach((s: unknown, j) => {
      if (!isObject(s)) return;
      checkName(s['dataset'], `${at}/${j}/dataset`, push);
      checkName(s['column'], `${at}/${j}/column`, push);
    });
  }
}

/** A dataset's assertions: bounded, and names within the name limit. */
function checkAssertions(assertions: unknown, base: string, push: Push): void {
  if (!Array.isArray(assertions)) return;
  checkItems(assertions.length, base, 'assertions', push);
  assertions.forEach((a: unknown, j) => {
    if (!isObject(a)) return;
    checkName(a['assertion'], `${base}/${j}/assertion`, push);
    checkName(a['column'], `${base}/${j}/column`, push);
  });
}

/** Checks one profile; returns its schema when the schema is well-formed (for column name checks). */
function checkProfile(profile: unknown, base: string, push: Push): SchemaField[] | undefined {
  if (!isObject(profile)) return undefined;
  let schema: SchemaField[] | undefined;
  let canonical: string | undefined;
  const rawSchema = profile['schema'];
  if (rawSchema !== undefined) {
    const inspection = inspectSchema(rawSchema, { rejectMisplacedKeys: true, basePath: `${base}/schema` });
    canonical = inspection.canonical;
    for (const p of inspection.problems) {
      // Shape problems are already reported by the JSON Schema, with the same path.
      if (!p.structural) push(p.path, p.message);
    }
    if (inspection.problems.every((p) => !p.structural)) schema = rawSchema as SchemaField[];
  }

  const fp = profile['schema_fingerprint'];
  if (typeof fp === 'string' && FINGERPRINT_PATTERN.test(fp) && canonical !== undefined) {
    const expected = fingerprintOfCanonical(canonical);
    if (fp !== expected) {
      push(
        `${base}/schema_fingerprint`,
        `does not match the schema: expected ${expected} (docs/fingerprint.md), got ${fp}`,
      );
    }
  }

  const rowCount = profile['row_count'];
  const columns = profile['columns'];
  if (!isObject(columns)) return schema;
  const names = Object.keys(columns);
  checkItems(names.length, `${base}/columns`, 'columns', push);
  const resolve = schema === undefined ? undefined : fieldPathResolver(schema);
  for (const name of names) {
    const col = columns[name];
    const at = `${base}/columns/${pointerSegment(name)}`;
    checkName(name, at, push);
    if (resolve !== undefined && resolve(name) === undefined) {
      push(at, `column ${JSON.stringify(name)} is not in the profile's schema`);
    }
    if (!isObject(col)) continue;
    const count = col['count'];
    const nulls = col['null_count'];
    if (isCount(count) && isCount(nulls) && nulls > count) {
      push(`${at}/null_count`, `null_count (${nulls}) exceeds count (${count})`);
    }
    if (isCount(count) && isCount(rowCount) && count > rowCount) {
      push(`${at}/count`, `count (${count}) exceeds the profile's row_count (${rowCount})`);
    }
    const min = col['min'];
    const max = col['max'];
    if (typeof min === 'number' && typeof max === 'number' && min > max) {
      push(`${at}/min`, `min (${min}) is greater than max (${max})`);
    }
    if (col['sketch'] !== undefined && col['sample'] !== undefined) {
      push(`${at}/sample`, 'a column has either a sketch or a sample, not both');
    }
    const sketch = col['sketch'];
    // An empty string is reported by the JSON Schema (minLength).
    if (isObject(sketch) && typeof sketch['data'] === 'string' && sketch['data'] !== '') {
      const bytes = canonicalBase64Bytes(sketch['data']);
      if (bytes === undefined) push(`${at}/sketch/data`, base64Problem(sketch['data']) ?? 'is not canonical base64');
      else checkSketch(sketch, bytes, `${at}/sketch`, push);
    }
    const frequent = col['frequent'];
    if (isObject(frequent)) {
      const values = Object.keys(frequent);
      checkItems(values.length, `${at}/frequent`, 'values', push);
    }
  }
  return schema;
}

/**
 * Decodes a sketch completely (the consumer must never meet one it cannot read) and checks it against
 * its column: the sketch's k equals `k`. Its n is not compared with the column's count: emitters may sketch
 * a different population (a sample, values parsed as numbers), and v1 readers are tolerant. The decoded
 * sketch is kept for the monitor's core (sketch/shared.ts): it is not decoded again.
 */
function checkSketch(sketch: Obj, bytes: Uint8Array, at: string, push: Push): void {
  let decoded: KllDoublesSketch;
  try {
    decoded = KllDoublesSketch.deserialize(bytes);
  } catch (e: unknown) {
    push(
      `${at}/data`,
      `is not a valid KLL doubles sketch: ${errorMessage(e).replace(/^invalid KLL doubles sketch: /, '')}`,
    );
    return;
  }
  const k = sketch['k'];
  if (typeof k === 'number' && Number.isInteger(k) && k !== decoded.k)
    push(`${at}/k`, `is ${k}, but the sketch's own k is ${decoded.k}`);
  shareDecodedSketch(sketch, decoded);
  // Fewer is allowed: values a sketch cannot hold (NaN, text in a numeric column) are non-null but not sketched.
}
