import type { FieldType } from '../contract/index.js';

/** Field types profiled as `numeric` columns; every other type is `categorical` (or, if nested, not profiled). */
export const NUMERIC_TYPES: ReadonlySet<FieldType> = new Set<FieldType>(['int', 'long', 'float', 'double', 'decimal']);
/** Field types that are part of the schema but whose columns are not profiled. */
export const NESTED_TYPES: ReadonlySet<FieldType> = new Set<FieldType>(['struct', 'array', 'map']);

/** A column's type while it is being inferred: `empty` until a non-null value arrives. */
export type Inferred = FieldType | 'empty';

/** What one typed array holds, as the pandas/numpy table of python/README.md maps it. */
export function typedArrayType(values: ArrayBufferView): { type: FieldType; nullable: boolean } | undefined {
  if (values instanceof Float64Array) return { type: 'double', nullable: true };
  if (values instanceof Float32Array) return { type: 'float', nullable: true };
  if (
    values instanceof Int8Array ||
    values instanceof Int16Array ||
    values instanceof Int32Array ||
    values instanceof Uint8Array ||
    values instanceof Uint8ClampedArray ||
    values instanceof Uint16Array
  ) {
    return { type: 'int', nullable: false };
  }
  if (values instanceof Uint32Array || values instanceof BigInt64Array || values instanceof BigUint64Array) {
    return { type: 'long', nullable: false };
  }
  return undefined;
}

/** True for null, undefined, NaN and an invalid Date: the values that count as null. */
export function isNullValue(v: unknown): boolean {
  return (
    v === null ||
    v === undefined ||
    (typeof v === 'number' && v !== v) ||
    (v instanceof Date && Number.isNaN(v.getTime()))
  );
}

/** The portable type of one non-null JavaScript value. */
export function valueType(v: unknown): FieldType {
  switch (typeof v) {
    case 'number':
      return Number.isInteger(v) ? 'long' : 'double';
    case 'bigint':
      return 'long';
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    case 'object':
      if (v instanceof Date) return 'timestamp';
      if (v instanceof Uint8Array) return 'binary';
      return 'unknown';
    default:
      return 'unknown';
  }
}

const INTEGERS: ReadonlySet<Inferred> = new Set<Inferred>(['int', 'long']);
const FLOATS: ReadonlySet<Inferred> = new Set<Inferred>(['float', 'double']);

/**
 * The type of a column holding values of types `a` and `b`: integers widen to `long`, floats to
 * `double`, integers with floats to `double` (pandas' `mixed-integer-float`), a date with a timestamp
 * to `timestamp`; any other mix is `mixed` (`unknown` for JavaScript values, `string` for CSV text).
 */
export function joinTypes(a: Inferred, b: Inferred, mixed: FieldType): Inferred {
  if (a === b || b === 'empty') return a;
  if (a === 'empty') return b;
  const ai = INTEGERS.has(a);
  const bi = INTEGERS.has(b);
  const af = FLOATS.has(a);
  const bf = FLOATS.has(b);
  if (ai && bi) return 'long';
  if (af && bf) return 'double';
  if ((ai && bf) || (af && bi)) return 'double';
  if ((a === 'date' && b === 'timestamp') || (a === 'timestamp' && b === 'date')) return 'timestamp';
  return mixed;
}

/** The type of a JavaScript array's non-null values (`empty` when all are null). */
export function inferArrayType(values: readonly unknown[]): Inferred {
  let t: Inferred = 'empty';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isNullValue(v)) continue;
    t = joinTypes(t, valueType(v), 'unknown');
    if (t === 'unknown') return t;
  }
  return t;
}

/** Python's `repr(float)` exponent form: at least two exponent digits (`1e-05`, `1.5e+16`). */
function pythonExponent(text: string): string {
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}

/**
 * A number as the Python emitter prints it in a categorical column: an integral value as an integer
 * (`1`, `-3`, as Python prints an int), any other value as Python's `repr(float)` (shortest round-trip
 * digits, exponent form below 1e-4 or from 1e16 on: `2.5`, `1e-05`); `inf`, `-inf`.
 */
export function formatNumber(x: number): string {
  if (Number.isInteger(x)) {
    if (Math.abs(x) < 1e21) return Object.is(x, -0) ? '0' : String(x);
    return BigInt(x).toString();
  }
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x !== x) return 'nan';
  const abs = Math.abs(x);
  if (abs < 1e-4 || abs >= 1e16) return pythonExponent(x.toExponential());
  return String(x);
}

/** Python's `repr(bytes)`: `b'abc'`, `b'\x00\n'`, double quotes when the bytes hold `'` and no `"`. */
export function formatBytes(bytes: Uint8Array): string {
  let hasSingle = false;
  let hasDouble = false;
  for (const b of bytes) {
    if (b === 0x27) hasSingle = true;
    else if (b === 0x22) hasDouble = true;
  }
  const quote = hasSingle && !hasDouble ? '"' : "'";
  let out = `b${quote}`;
  for (const b of bytes) {
    if (b === 0x5c) out += '\\\\';
    else if (b === 0x09) out += '\\t';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === quote.charCodeAt(0)) out += `\\${quote}`;
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return `${out}${quote}`;
}

/**
 * A non-null value's string form in a categorical column, the same as the Python emitter's
 * `stringify` where JavaScript can tell: strings as they are; booleans `true` / `false`; numbers by
 * {@link formatNumber}; bigints in decimal; a Date as ISO 8601 UTC with milliseconds and `Z` (only the
 * `YYYY-MM-DD` part in a `date` column); bytes as Python's `repr(bytes)`; anything else as JSON.
 */
export function stringifyValue(v: unknown, type?: FieldType): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return formatNumber(v);
    case 'bigint':
      return v.toString();
    case 'object':
      if (v instanceof Date) {
        const iso = v.toISOString();
        return type === 'date' ? iso.slice(0, 10) : iso;
      }
      if (v instanceof Uint8Array) return formatBytes(v);
      return (
        JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ??
        Object.prototype.toString.call(v)
      );
    default:
      return String(v);
  }
}

/** A value as a number for a numeric column: numbers, bigints, and strings that are decimal numbers; NaN otherwise. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    const c = classifyNumberText(v);
    return c === TEXT_INTEGER || c === TEXT_DECIMAL ? Number(v) : c === TEXT_INFINITY ? parseInfinity(v) : NaN;
  }
  return NaN;
}

// Classes of a CSV field's text (see docs/emitters.md, "CSV type inference").
export const TEXT_OTHER = 0;
export const TEXT_INTEGER = 1;
export const TEXT_DECIMAL = 2;
export const TEXT_NAN = 3;
export const TEXT_INFINITY = 4;
export const TEXT_BOOLEAN = 5;
export const TEXT_DATE = 6;
export const TEXT_TIMESTAMP = 7;

const INTEGER_TEXT = /^[+-]?\d+$/;
const DECIMAL_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY_TEXT = /^[+-]?(?:inf|infinity)$/i;
const DATE_TEXT = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP_TEXT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?$/;

/** Which kind of number (if any) a text is: integer, decimal, NaN or infinity. */
export function classifyNumberText(s: string): number {
  const c = s.charCodeAt(0);
  // digits, sign, dot
  if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46) {
    if (INTEGER_TEXT.test(s)) return TEXT_INTEGER;
    if (DECIMAL_TEXT.test(s)) return TEXT_DECIMAL;
    if (INFINITY_TEXT.test(s)) return TEXT_INFINITY;
    return TEXT_OTHER;
  }
  if ((c === 110 || c === 78) && s.length === 3 && s.toLowerCase() === 'nan') return TEXT_NAN;
  if ((c === 105 || c === 73) && INFINITY_TEXT.test(s)) return TEXT_INFINITY;
  return TEXT_OTHER;
}

/** The class of a CSV field's text: a number kind, a boolean, an ISO date or date-time, or other. */
export function classifyText(s: string): number {
  const n = classifyNumberText(s);
  if (n !== TEXT_OTHER) return n;
  const c = s.charCodeAt(0);
  if (s.length === 4 || s.length === 5) {
    const lower = s.toLowerCase();
    if (lower === 'true' || lower === 'false') return TEXT_BOOLEAN;
  }
  if (c >= 48 && c <= 57 && s.length >= 10) {
    if (DATE_TEXT.test(s)) return TEXT_DATE;
    if (TIMESTAMP_TEXT.test(s)) return TEXT_TIMESTAMP;
  }
  return TEXT_OTHER;
}

/** ±Infinity from its text (`inf`, `-Infinity`, ...). */
export function parseInfinity(s: string): number {
  return s.charCodeAt(0) === 45 ? -Infinity : Infinity;
}
