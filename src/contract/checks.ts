import { base64Problem } from './base64.js';
import { resolveFieldPath } from './field-path.js';
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
  }

  const outputSchemas: SchemaField[][] = [];
  const outputs = report['outputs'];
  if (Array.isArray(outputs)) {
    const seen = new Map<string, number>();
    outputs.forEach((out: unknown, i) => {
      if (!isObject(out)) return;
      const dataset = out['dataset'];
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
    });
  }
  const inputs = report['inputs'];
  if (Array.isArray(inputs)) {
    inputs.forEach((inp: unknown, i) => {
      if (isObject(inp)) checkProfile(inp['profile'], pointer('inputs', i, 'profile'), push);
    });
  }

  const lineage = report['column_lineage'];
  if (isObject(lineage) && outputSchemas.length > 0) {
    for (const column of Object.keys(lineage)) {
      if (!outputSchemas.some((s) => resolveFieldPath(s, column) !== undefined)) {
        push(pointer('column_lineage', column), `column ${JSON.stringify(column)} is not in the schema of any output`);
      }
    }
  }
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
  for (const name of Object.keys(columns)) {
    const col = columns[name];
    const at = `${base}/columns/${pointerSegment(name)}`;
    if (schema !== undefined && resolveFieldPath(schema, name) === undefined) {
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
      const problem = base64Problem(sketch['data']);
      if (problem !== undefined) push(`${at}/sketch/data`, problem);
    }
  }
  return schema;
}
