import { createHash } from 'node:crypto';
import { RootlineError } from '../errors/index.js';
import { FIELD_TYPES, type Schema } from './types.js';
import { pointerSegment } from './pointer.js';

/**
 * The deepest nesting a schema may have: a top-level field is at depth 1, and every `fields`, `items`,
 * `keys` or `values` adds one. Deeper schemas have no fingerprint and fail validation.
 */
export const MAX_SCHEMA_DEPTH = 64;

/** `sha256:` followed by 64 lowercase hex digits. */
export const FINGERPRINT_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** The keys the canonical form reads from a field; every other key is extra and ignored. */
export const SCHEMA_FIELD_KEYS = ['name', 'type', 'nullable', 'fields', 'items', 'keys', 'values'] as const;

const TYPE_SET: ReadonlySet<string> = new Set(FIELD_TYPES);
/** The keys only one type takes, with that type (and how a message names it). */
const TYPE_SPECIFIC: Readonly<Record<string, readonly [string, string]>> = {
  fields: ['struct', 'a struct'],
  items: ['array', 'an array'],
  keys: ['map', 'a map'],
  values: ['map', 'a map'],
};
const LONE_SURROGATE = /\p{Cs}/u;
const UNKNOWN_ELEMENT = '{"type":"unknown","nullable":true}';

/**
 * Orders two strings by Unicode code points (equivalently, by their UTF-8 bytes), which is how the
 * canonical form sorts field names. JavaScript's default `<` compares UTF-16 code units instead, which
 * puts a character above U+FFFF (stored as surrogates D800-DFFF) before one in U+E000-U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Lift surrogates above U+E000-U+FFFF so the order follows code points.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** A problem found while canonicalizing a schema; `path` is a JSON Pointer (relative to the schema unless a base path was given). */
export interface SchemaProblem {
  path: string;
  message: string;
  /**
   * True for a problem of shape (a missing name, an unknown type, a non-boolean `nullable`) that the
   * JSON Schema of the report also reports; false for what only this walk can see (duplicate names,
   * names that are not valid Unicode, nesting depth, misplaced type-specific keys).
   */
  structural: boolean;
}

/** Options of {@link inspectSchema}. */
export interface InspectOptions {
  /**
   * Report type-specific keys on a type that does not take them (`fields` on a `string`) as problems.
   * The canonical form ignores them; report validation rejects them. Default false.
   */
  rejectMisplacedKeys?: boolean;
  /** A JSON Pointer prefixed to every problem's path (and to paths named in messages). Default ``. */
  basePath?: string;
}

/** The result of {@link inspectSchema}: the canonical form when there was no problem. */
export interface SchemaInspection {
  canonical: string | undefined;
  problems: SchemaProblem[];
}

/**
 * Walks a schema (any JSON value), builds its canonical form (docs/fingerprint.md) and collects every
 * problem instead of stopping at the first. `canonical` is undefined when there is any problem.
 */
export function inspectSchema(schema: unknown, options: InspectOptions = {}): SchemaInspection {
  const walker = new Walker(options.rejectMisplacedKeys ?? false);
  const canonical = walker.fieldList(schema, options.basePath ?? '', 0);
  return walker.problems.length === 0
    ? { canonical, problems: [] }
    : { canonical: undefined, problems: walker.problems };
}

/**
 * The canonical form of a schema (docs/fingerprint.md): a whitespace-free JSON array of the fields,
 * sorted by name at every depth, with only the keys that define the schema.
 * @throws RootlineError `REPORT_INVALID` when the schema has a duplicate name, an unknown type, a
 *   non-boolean `nullable`, a name that is not valid Unicode, or is nested deeper than {@link MAX_SCHEMA_DEPTH}.
 */
export function canonicalSchema(schema: Schema): string {
  const { canonical, problems } = inspectSchema(schema);
  if (canonical === undefined) {
    const first = problems[0];
    const where = first?.path === '' ? 'schema' : `schema at ${first?.path ?? ''}`;
    throw new RootlineError('REPORT_INVALID', `${where}: ${first?.message ?? 'invalid'}`, {
      details: { problems: problems.map(({ path, message }) => ({ path, message })) },
    });
  }
  return canonical;
}

/** `sha256:` + the lowercase hex SHA-256 of a canonical schema string. */
export function fingerprintOfCanonical(canonical: string): string {
  return `sha256:${createHash('sha256').update(canonical, 'utf8').digest('hex')}`;
}

/**
 * The schema fingerprint: `sha256:` + lowercase hex SHA-256 of the UTF-8 canonical form
 * (docs/fingerprint.md). Column order, omitted `nullable` and extra keys do not change it.
 * @throws RootlineError `REPORT_INVALID` as {@link canonicalSchema}.
 */
export function schemaFingerprint(schema: Schema): string {
  return fingerprintOfCanonical(canonicalSchema(schema));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Walker {
  readonly problems: SchemaProblem[] = [];

  constructor(private readonly rejectMisplaced: boolean) {}

  private problem(path: string, message: string, structural: boolean): undefined {
    this.problems.push({ path, message, structural });
    return undefined;
  }

  /** A list of named fields, sorted by name; `depth` is the depth of the list's owner. */
  fieldList(list: unknown, path: string, depth: number): string | undefined {
    if (!Array.isArray(list)) return this.problem(path, 'must be an array of fields', true);
    if (depth + 1 > MAX_SCHEMA_DEPTH) {
      return this.problem(path, `is nested deeper than ${MAX_SCHEMA_DEPTH} levels`, false);
    }
    const named: { name: string; text: string | undefined }[] = [];
    const firstIndex = new Map<string, number>();
    let ok = true;
    list.forEach((field: unknown, i) => {
      const fieldPath = `${path}/${i}`;
      if (!isObject(field)) {
        ok = false;
        this.problem(fieldPath, 'must be an object', true);
        return;
      }
      const name = field['name'];
      if (typeof name !== 'string') {
        ok = false;
        this.problem(`${fieldPath}/name`, name === undefined ? 'is required' : 'must be a string', true);
      } else if (LONE_SURROGATE.test(name)) {
        ok = false;
        this.problem(`${fieldPath}/name`, 'is not valid Unicode (contains a lone surrogate)', false);
      } else {
        const seen = firstIndex.get(name);
        if (seen !== undefined) {
          ok = false;
          this.problem(
            `${fieldPath}/name`,
            `duplicate field name ${JSON.stringify(name)} (first at ${path}/${seen})`,
            false,
          );
        } else {
          firstIndex.set(name, i);
        }
      }
      const body = this.typeBody(field, fieldPath, depth + 1);
      if (body === undefined) ok = false;
      if (ok && typeof name === 'string') named.push({ name, text: `{"name":${JSON.stringify(name)},${body}}` });
    });
    if (!ok) return undefined;
    named.sort((a, b) => compareCodePoints(a.name, b.name));
    return `[${named.map((f) => f.text).join(',')}]`;
  }

  /** An element type object (no name): `{"type":...,"nullable":...,...}`. */
  private element(value: unknown, path: string, depth: number): string | undefined {
    if (value === undefined) return UNKNOWN_ELEMENT;
    if (!isObject(value)) return this.problem(path, 'must be an object', true);
    if (depth > MAX_SCHEMA_DEPTH) return this.problem(path, `is nested deeper than ${MAX_SCHEMA_DEPTH} levels`, false);
    const body = this.typeBody(value, path, depth);
    return body === undefined ? undefined : `{${body}}`;
  }

  /** `"type":"...","nullable":...` plus the type's own keys; `depth` is the depth of `obj` itself. */
  private typeBody(obj: Record<string, unknown>, path: string, depth: number): string | undefined {
    const type = obj['type'];
    const nullable = obj['nullable'];
    let ok = true;
    if (typeof type !== 'string' || !TYPE_SET.has(type)) {
      ok = false;
      this.problem(
        `${path}/type`,
        type === undefined ? 'is required' : `must be one of ${FIELD_TYPES.join(', ')} (got ${JSON.stringify(type)})`,
        true,
      );
    }
    if (nullable !== undefined && typeof nullable !== 'boolean') {
      ok = false;
      this.problem(`${path}/nullable`, 'must be true or false', true);
    }
    if (this.rejectMisplaced && typeof type === 'string') {
      for (const [key, [owner, words]] of Object.entries(TYPE_SPECIFIC)) {
        if (obj[key] !== undefined && type !== owner) {
          ok = false;
          this.problem(`${path}/${pointerSegment(key)}`, `is only allowed on ${words} (this is a ${type})`, false);
        }
      }
    }
    let own = '';
    if (type === 'struct') {
      const fields = obj['fields'];
      const text = fields === undefined ? '[]' : this.fieldList(fields, `${path}/fields`, depth);
      if (text === undefined) ok = false;
      else own = `,"fields":${text}`;
    } else if (type === 'array') {
      const items = this.element(obj['items'], `${path}/items`, depth + 1);
      if (items === undefined) ok = false;
      else own = `,"items":${items}`;
    } else if (type === 'map') {
      const keys = this.element(obj['keys'], `${path}/keys`, depth + 1);
      const values = this.element(obj['values'], `${path}/values`, depth + 1);
      if (keys === undefined || values === undefined) ok = false;
      else own = `,"keys":${keys},"values":${values}`;
    }
    if (!ok) return undefined;
    return `"type":"${type as string}","nullable":${nullable === false ? 'false' : 'true'}${own}`;
  }
}
