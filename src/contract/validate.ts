import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { errorMessage, RootlineError } from '../errors/index.js';
import { semanticChecks, type ReportIssue } from './checks.js';
import { locateJsonError } from './json-text.js';
import { pointerSegment } from './pointer.js';
import reportJsonSchema from './report.schema.json' with { type: 'json' };
import type { Report } from './types.js';

export type { ReportIssue } from './checks.js';

/** The outcome of {@link validateReport} and {@link parseReport}. */
export type ValidationResult = { ok: true; report: Report } | { ok: false; errors: ReportIssue[] };

/** The JSON Schema (draft 2020-12) of `rootline.report/v1`, as published in src/contract/report.schema.json. */
export const REPORT_JSON_SCHEMA: Readonly<Record<string, unknown>> = reportJsonSchema;

let compiled: ValidateFunction | undefined;
let compiledTolerant: ValidateFunction | undefined;

/** The schema with every `additionalProperties: false` removed: unknown keys are allowed (and ignored). */
function tolerantSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tolerantSchema);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'additionalProperties' && v === false) continue;
    out[k] = tolerantSchema(v);
  }
  return out;
}

/**
 * The schema as compiled: every `minLength: 1` becomes `not: { const: "" }`, the same rule (a string of at
 * least one character is a string that is not empty), which Ajv checks without counting the characters:
 * `minLength` walks the whole string for its code points, the kilobytes of every sketch's base64 included.
 * The error reads the same (see fromAjv).
 */
function nonEmptyWithoutCounting(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nonEmptyWithoutCounting);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'minLength' && v === 1 && !('not' in node)) out['not'] = { const: '' };
    else out[k] = nonEmptyWithoutCounting(v);
  }
  return out;
}

/** Compiled once, on first use: compiling costs milliseconds, validating microseconds. */
function validator(tolerant: boolean): ValidateFunction {
  // verbose: errors carry the offending value, so messages can say what was received.
  // validateFormats: false: `format: date-time` stays an annotation; RFC 3339 is checked in checks.ts.
  if (tolerant) {
    compiledTolerant ??= new Ajv2020({ allErrors: true, verbose: true, strict: true, validateFormats: false }).compile(
      nonEmptyWithoutCounting(tolerantSchema(reportJsonSchema)) as Record<string, unknown>,
    );
    return compiledTolerant;
  }
  compiled ??= new Ajv2020({ allErrors: true, verbose: true, strict: true, validateFormats: false }).compile(
    nonEmptyWithoutCounting(reportJsonSchema) as Record<string, unknown>,
  );
  return compiled;
}

export interface ValidateOptions {
  /**
   * What to do with keys the contract does not define. 'reject' (default) reports each as an error:
   * emitters validate strictly, so a misspelt key is caught where it is written. 'allow' ignores them:
   * the monitor reads tolerantly, so a report from a newer emitter with a new optional v1 field is
   * still accepted by an older monitor (the contract lets v1 grow optional fields).
   */
  unknownKeys?: 'reject' | 'allow';
}

/**
 * Validates a parsed report against `rootline.report/v1`: the JSON Schema and the rules it cannot
 * express (docs/contract.md, "Validation"). Returns every problem, each with a JSON Pointer to the
 * offending value, sorted by path; never throws for any input. On success `report` is the input itself
 * (not copied). The compiled validator is built on the first call.
 */
export function validateReport(input: unknown, options: ValidateOptions = {}): ValidationResult {
  const validate = validator(options.unknownKeys === 'allow');
  const issues: ReportIssue[] = [];
  try {
    if (!validate(input)) {
      for (const e of validate.errors ?? []) {
        const issue = fromAjv(e);
        if (issue !== undefined) issues.push(issue);
      }
    }
    semanticChecks(input, (path, message) => issues.push({ path, message }));
  } catch (e: unknown) {
    // A recursive schema nested thousands of levels deep exhausts the stack of the compiled validator.
    if (e instanceof RangeError)
      return { ok: false, errors: [{ path: '', message: 'is nested too deeply to validate' }] };
    throw e;
  }
  if (issues.length === 0) return { ok: true, report: input as Report };
  return { ok: false, errors: tidy(issues) };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a JSON report (text, or UTF-8 bytes as read from Kafka or HTTP) and validates it. Malformed
 * JSON gives one error at path `` naming the line, column and offset of the first syntax error;
 * bytes that are not UTF-8 give one error too. A leading byte order mark is ignored. When an object
 * repeats a key, the last value wins (as `JSON.parse`).
 */
export function parseReport(json: string | Uint8Array, options: ValidateOptions = {}): ValidationResult {
  let text: string;
  if (typeof json === 'string') {
    text = json.charCodeAt(0) === 0xfeff ? json.slice(1) : json;
  } else {
    try {
      text = utf8.decode(json);
    } catch {
      return { ok: false, errors: [{ path: '', message: 'is not valid UTF-8' }] };
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e: unknown) {
    const where = locateJsonError(text);
    const message =
      where === undefined
        ? `is not valid JSON: ${errorMessage(e)}`
        : `is not valid JSON: ${where.message} at line ${where.line}, column ${where.column} (offset ${where.offset})`;
    return { ok: false, errors: [{ path: '', message }] };
  }
  return validateReport(value, options);
}

/**
 * {@link validateReport} for callers that want an exception: returns the report or throws.
 * @throws RootlineError `REPORT_INVALID` whose message lists the problems and whose
 *   `details.errors` holds them all.
 */
export function assertReport(input: unknown): Report {
  const r = validateReport(input);
  if (r.ok) return r.report;
  throw new RootlineError('REPORT_INVALID', `invalid report: ${formatIssues(r.errors)}`, {
    details: { errors: r.errors },
  });
}

/** Issues as one line of text: `/a/b: message; /c: message` (at most `max`, default 10, then a count). */
export function formatIssues(issues: readonly ReportIssue[], max = 10): string {
  const shown = issues.slice(0, max).map((i) => `${i.path === '' ? '(document)' : i.path}: ${i.message}`);
  if (issues.length > max) shown.push(`... and ${issues.length - max} more`);
  return shown.join('; ');
}

function tidy(issues: ReportIssue[]): ReportIssue[] {
  const seen = new Set<string>();
  const out: ReportIssue[] = [];
  for (const i of issues) {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(i);
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}

const TYPE_WORDS: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  object: 'an object',
  array: 'an array',
  boolean: 'true or false',
  null: 'null',
};

function typeWords(type: unknown): string {
  const list = Array.isArray(type) ? type : [type];
  return list.map((t) => TYPE_WORDS[String(t)] ?? String(t)).join(' or ');
}

function fromAjv(e: ErrorObject): ReportIssue | undefined {
  const at = e.instancePath;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'if':
      // Its `then` branch's own errors say what is wrong.
      return undefined;
    case 'required':
      return { path: `${at}/${pointerSegment(String(p['missingProperty']))}`, message: 'is required' };
    case 'additionalProperties': {
      const known = Object.keys((e.parentSchema?.['properties'] as Record<string, unknown> | undefined) ?? {});
      return {
        path: `${at}/${pointerSegment(String(p['additionalProperty']))}`,
        message: `is not a known key here (known keys: ${known.join(', ')})`,
      };
    }
    case 'type':
      return { path: at, message: `must be ${typeWords(p['type'])}, got ${describe(e.data)}` };
    case 'const':
      return { path: at, message: `must be ${JSON.stringify(p['allowedValue'])}, got ${describe(e.data)}` };
    case 'enum':
      return {
        path: at,
        message: `must be one of ${(p['allowedValues'] as unknown[]).join(', ')}; got ${describe(e.data)}`,
      };
    case 'minItems':
      return { path: at, message: `must have at least ${String(p['limit'])} item${p['limit'] === 1 ? '' : 's'}` };
    case 'maxItems':
      return {
        path: at,
        message: `must have at most ${String(p['limit'])} items, got ${Array.isArray(e.data) ? e.data.length : '?'}`,
      };
    case 'not':
      // `minLength: 1` as compiled (nonEmptyWithoutCounting).
      if (isEmptyStringConst(e.schema)) return { path: at, message: 'must not be empty' };
      return { path: at, message: e.message ?? 'fails not' };
    case 'minLength':
      return {
        path: at,
        message: p['limit'] === 1 ? 'must not be empty' : `must have at least ${String(p['limit'])} characters`,
      };
    case 'minimum':
    case 'maximum':
      return { path: at, message: `must be ${String(p['comparison'])} ${String(p['limit'])}, got ${describe(e.data)}` };
    case 'pattern':
      if (at.endsWith('/schema_fingerprint')) {
        return { path: at, message: `must have the form sha256:<64 lowercase hex digits>, got ${describe(e.data)}` };
      }
      if (at.endsWith('/content_hash')) {
        return { path: at, message: `must have the form rch1:<32 lowercase hex digits>, got ${describe(e.data)}` };
      }
      return { path: at, message: `must match ${String(p['pattern'])}, got ${describe(e.data)}` };
    default:
      return { path: at, message: e.message ?? `fails ${e.keyword}` };
  }
}

function isEmptyStringConst(schema: unknown): boolean {
  return (
    typeof schema === 'object' &&
    schema !== null &&
    Object.keys(schema).length === 1 &&
    (schema as Record<string, unknown>)['const'] === ''
  );
}
