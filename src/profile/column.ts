import { compareCodePoints, type ColumnProfile, type FieldType, type SchemaField } from '../contract/index.js';
import { DistinctCounter, FrequentItems, seededRandom } from '../sketch/index.js';
import type { ColumnKey } from './content-hash.js';
import { NumericSummary } from './numeric.js';
import {
  NESTED_TYPES,
  NUMERIC_TYPES,
  TEXT_BOOLEAN,
  TEXT_DATE,
  TEXT_DECIMAL,
  TEXT_INFINITY,
  TEXT_INTEGER,
  TEXT_NAN,
  TEXT_OTHER,
  TEXT_TIMESTAMP,
  classifyText,
  joinTypes,
  parseInfinity,
  stringifyValue,
  toNumber,
  valueType,
  type Inferred,
} from './values.js';

/** The resolved profiling options a column needs. */
export interface ColumnConfig {
  sketch: 'kll' | 'sample';
  k: number;
  sampleSize: number;
  seed: number;
  topK: number;
  frequentCapacity: number;
  distinctExactLimit: number;
}

/** A typed array that can hold a column. */
export type TypedColumn =
  | Float64Array
  | Float32Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint8ClampedArray
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function asFloat64(values: TypedColumn): Float64Array {
  if (values instanceof Float64Array) return values;
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    const out = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = Number(values[i]!);
    return out;
  }
  return Float64Array.from(values);
}

const TEXT_TYPES: Inferred[] = [];
TEXT_TYPES[TEXT_INTEGER] = 'long';
TEXT_TYPES[TEXT_DECIMAL] = 'double';
TEXT_TYPES[TEXT_NAN] = 'double';
TEXT_TYPES[TEXT_INFINITY] = 'double';
TEXT_TYPES[TEXT_BOOLEAN] = 'boolean';
TEXT_TYPES[TEXT_DATE] = 'date';
TEXT_TYPES[TEXT_TIMESTAMP] = 'timestamp';

/**
 * One column's running summary. A column is either *fixed* (its type declared by the caller's schema
 * or by the typed array it came in) or *provisional* (its type inferred from the values so far, and
 * widened as values arrive). A provisional column keeps the categorical summaries (frequent values and
 * distinct count) from its first value on, and the numeric summary only while every value is a
 * number: when a non-number arrives, the numeric summary is dropped and the column is categorical from
 * then on, having seen every value. So data is read once.
 */
export class ColumnState {
  readonly name: string;
  /** The declared field (fixed columns), else undefined. */
  private readonly declared: SchemaField | undefined;
  private type: Inferred;
  /** Provisional columns: the type of a mix (`unknown` for JavaScript values, `string` for CSV text). */
  private readonly mixed: FieldType;
  private readonly fixed: boolean;
  /** Whether inference saw anything that can be null (a JavaScript array, a float column, a gap). */
  private nullableSeen: boolean;
  /** Non-null values seen (the categorical view; NaN text counts here). */
  private present = 0;
  /** Rows of the batches this column was part of (fewer than the row count: the rest are nulls). */
  rowsCovered = 0;
  /** Values of a fixed numeric column that were not numbers (counted as nulls). */
  mismatched = 0;
  private num: NumericSummary | null = null;
  private freq: FrequentItems | null = null;
  private distinct: DistinctCounter | null = null;
  private readonly config: ColumnConfig;
  private readonly profiled: boolean;
  /** The column's content-hash key, when the profiler computes a content hash. */
  hashKey: ColumnKey | undefined;

  constructor(
    name: string,
    config: ColumnConfig,
    options: {
      declared?: SchemaField;
      typed?: { type: FieldType; nullable: boolean };
      mixed?: FieldType;
      profiled: boolean;
    },
  ) {
    this.name = name;
    this.config = config;
    this.profiled = options.profiled;
    this.declared = options.declared;
    this.mixed = options.mixed ?? 'unknown';
    if (options.declared !== undefined) {
      this.fixed = true;
      this.type = options.declared.type;
      this.nullableSeen = options.declared.nullable ?? true;
    } else if (options.typed !== undefined) {
      this.fixed = true;
      this.type = options.typed.type;
      this.nullableSeen = options.typed.nullable;
    } else {
      this.fixed = false;
      this.type = 'empty';
      this.nullableSeen = true;
    }
    if (!this.profiled || NESTED_TYPES.has(this.type as FieldType)) return;
    if (this.type === 'empty' || NUMERIC_TYPES.has(this.type)) this.num = this.newNumeric();
    if (!this.fixed || !NUMERIC_TYPES.has(this.type as FieldType)) {
      this.freq = new FrequentItems(config.frequentCapacity);
      this.distinct = new DistinctCounter({ exactLimit: config.distinctExactLimit });
    }
  }

  private newNumeric(): NumericSummary {
    const random = seededRandom((this.config.seed + hashName(this.name)) >>> 0);
    return this.config.sketch === 'kll'
      ? new NumericSummary({ sketch: 'kll', k: this.config.k, random })
      : new NumericSummary({ sketch: 'sample', size: this.config.sampleSize, random });
  }

  /** True when the column's type is fixed and numeric (the typed-array fast path applies). */
  get isFixedNumeric(): boolean {
    return this.fixed && NUMERIC_TYPES.has(this.type as FieldType);
  }

  private widen(t: Inferred): void {
    const next = joinTypes(this.type, t, this.mixed);
    if (next !== this.type) {
      this.type = next;
      if (!NUMERIC_TYPES.has(next as FieldType)) this.num = null;
    }
  }

  private addCategory(s: string): void {
    this.freq?.update(s);
    this.distinct?.update(s);
  }

  /** Adds one non-null JavaScript value (the caller skips nulls: null, undefined, NaN, invalid Dates). */
  addValue(v: unknown): void {
    this.present++;
    if (!this.profiled) {
      if (!this.fixed) this.type = joinTypes(this.type, valueType(v), this.mixed);
      return;
    }
    if (this.fixed) {
      if (this.num !== null) {
        const x = toNumber(v);
        if (x !== x) this.mismatched++;
        else this.num.add(x);
      } else if (this.freq !== null) {
        this.addCategory(stringifyValue(v, this.type as FieldType));
      }
      return;
    }
    this.widen(valueType(v));
    if (this.num !== null) this.num.add(typeof v === 'bigint' ? Number(v) : (v as number));
    this.addCategory(stringifyValue(v, this.type as FieldType));
  }

  /**
   * Adds one non-empty CSV field (the caller skips empty fields: they are nulls). Returns the field's
   * text class (`TEXT_*` of values.ts), or `TEXT_OTHER` when the column is declared or already a string
   * column (its fields are then read as the column's type, without classifying them).
   */
  addText(s: string): number {
    if (this.fixed) {
      this.addValue(s);
      return TEXT_OTHER;
    }
    this.present++;
    if (!this.profiled) {
      if (this.type === 'string') return TEXT_OTHER;
      const c = classifyText(s);
      this.type = joinTypes(this.type, TEXT_TYPES[c] ?? 'string', 'string');
      return c;
    }
    this.addCategory(s);
    if (this.type === 'string') return TEXT_OTHER;
    const c = classifyText(s);
    this.widen(TEXT_TYPES[c] ?? 'string');
    if (this.num !== null && c !== TEXT_NAN) this.num.add(c === TEXT_INFINITY ? parseInfinity(s) : Number(s));
    return c;
  }

  /** The declared type of a fixed column (undefined for an inferred one). */
  get declaredType(): FieldType | undefined {
    return this.fixed ? (this.type as FieldType) : undefined;
  }

  /** The column's type so far (`empty` until a non-null value). */
  get currentType(): Inferred {
    return this.type;
  }

  /** Adds a batch of values given as a typed array (NaN entries of float arrays are nulls). */
  addTyped(values: TypedColumn): void {
    const floats = values instanceof Float64Array || values instanceof Float32Array;
    if (floats) this.nullableSeen = true;
    if (this.fixed && this.num !== null) {
      const x = asFloat64(values);
      const before = this.num.n;
      this.num.addArray(x);
      this.present += this.num.n - before;
      return;
    }
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (typeof v === 'number' && v !== v) continue;
      this.addValue(v);
    }
  }

  /** Records that a batch with nulls (a JavaScript array) fed this column. */
  markNullable(): void {
    this.nullableSeen = true;
  }

  /** The schema field of this column, given the total row count (a column missing from some rows is nullable). */
  field(rowCount: number): SchemaField {
    if (this.declared !== undefined) return this.declared;
    const type: FieldType = this.type === 'empty' ? 'string' : this.type;
    return { name: this.name, type, nullable: this.nullableSeen || this.rowsCovered < rowCount };
  }

  /** The column's report entry, or undefined when it is not profiled (nested types, or not selected). */
  profile(rowCount: number): ColumnProfile | undefined {
    if (!this.profiled) return undefined;
    const type: FieldType = this.type === 'empty' ? 'string' : this.type;
    if (NESTED_TYPES.has(type)) return undefined;
    if (NUMERIC_TYPES.has(type) && this.num !== null) return this.num.toProfile(rowCount);
    return this.categorical(rowCount, type);
  }

  private categorical(rowCount: number, type: FieldType): ColumnProfile {
    const freq = this.freq;
    let entries: [string, number][] = freq === null ? [] : freq.top(freq.numTracked);
    let distinct = this.distinct === null ? 0 : Math.round(this.distinct.estimate());
    if (!this.fixed && type === 'boolean') {
      // CSV spellings (True, TRUE, true) are one value
      const merged = new Map<string, number>();
      for (const [value, count] of entries) {
        const key = value.toLowerCase();
        merged.set(key, (merged.get(key) ?? 0) + count);
      }
      entries = [...merged];
      distinct = merged.size;
    }
    entries.sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]));
    const top = entries.slice(0, this.config.topK);
    let inTop = 0;
    for (const [, count] of top) inTop += count;
    return {
      kind: 'categorical',
      count: rowCount,
      null_count: rowCount - this.present,
      distinct_estimate: distinct,
      frequent: Object.fromEntries(top),
      other_count: this.present - inTop,
    };
  }
}
