import {
  FIELD_TYPES,
  schemaFingerprint,
  type ColumnProfile,
  type FieldType,
  type Profile,
  type Schema,
  type SchemaField,
} from '../contract/index.js';
import { dict } from '../dict.js';
import { RootlineError } from '../errors/index.js';
import {
  DEFAULT_DISTINCT_EXACT_LIMIT,
  DEFAULT_FREQUENT_CAPACITY,
  DEFAULT_KLL_K,
  KLL_MAX_K,
  KLL_MIN_K,
} from '../sketch/index.js';
import { ColumnState, type ColumnConfig, type TypedColumn } from './column.js';
import { ContentHasher } from './content-hash.js';
import { inferArrayType, isNullValue, typedArrayType, valueType, joinTypes, type Inferred } from './values.js';

/** Default number of values in a categorical column's `frequent` (the Python emitter's `top_k`). */
export const DEFAULT_TOP_K = 20;
/** Default (and largest) size of a numeric column's uniform sample with `sketch: 'sample'` (the contract's limit). */
export const DEFAULT_SAMPLE_SIZE = 10_000;
/** Default seed of the uniform sample and of the KLL compactions: the same data and seed give the same profile. */
export const DEFAULT_SEED = 0;

/** How numeric distributions are summarized: a KLL sketch (default) or a uniform sample of raw values. */
export type SketchMode = 'kll' | 'sample';

/** Options of {@link profileRows}, {@link profileColumns} and {@link createProfiler}. */
export interface ProfileOptions {
  /**
   * Declared fields. A declared column keeps its type and nullability whatever the data holds (values of
   * a declared numeric column that are not numbers count as nulls). Columns of the data that are not
   * declared are inferred and listed after the declared ones. Default: none (everything inferred).
   */
  schema?: Schema;
  /** `kll` (default): a KLL doubles sketch per numeric column; `sample`: a uniform sample of finite values. */
  sketch?: SketchMode;
  /** KLL parameter k, 8..65535. Default 200 (normalized rank error about 1.33%). */
  k?: number;
  /** Values kept per numeric column with `sketch: 'sample'`, 1..10,000. Default 10,000. */
  sampleSize?: number;
  /** Seed of the sample and of the sketches' compactions (an integer). Default 0. */
  seed?: number;
  /** Values listed in a categorical column's `frequent` (most frequent first, ties by value). Default 20. */
  topK?: number;
  /**
   * Values a categorical column tracks (Misra-Gries): counts are exact while a column has at most twice
   * this many distinct values, lower bounds after. Default 256; at least `topK`.
   */
  frequentCapacity?: number;
  /** Distinct values counted exactly before the distinct count switches to HyperLogLog. Default 1024. */
  distinctExactLimit?: number;
  /** Profile only these columns (the schema still lists every column). Default: all. */
  columns?: readonly string[];
  /**
   * Compute the profile's `content_hash` (docs/content-hash.md) over every column, profiled or not.
   * Default true.
   */
  contentHash?: boolean;
}

/** A column's values: a typed array (its type declares the column's type) or a JavaScript array with nulls. */
export type ColumnValues = TypedColumn | readonly unknown[];

/** Columns by name; all of one batch have the same length. */
export type Columns = Readonly<Record<string, ColumnValues>>;

/** One row: column name -> value (a missing key is a null). */
export type Row = Readonly<Record<string, unknown>>;

/**
 * A streaming profiler: feed rows or columns in batches, then `finish()` for the profile. Memory is
 * bounded by the number of columns, not rows (a KLL sketch or sample, up to 2 x frequentCapacity
 * tracked values and up to distinctExactLimit distinct values per column).
 */
export interface Profiler {
  /** Adds rows (objects); a key missing from a row is a null in that row. */
  addRows(rows: Iterable<Row>): void;
  /** Adds a batch of columns of equal length; a column missing from the batch is null in its rows. */
  addColumns(columns: Columns): void;
  /** Rows added so far. */
  readonly rowCount: number;
  /** The profile of everything added (the profiler can keep going afterwards). */
  finish(): Profile;
}

interface Resolved {
  config: ColumnConfig;
  schema: Schema;
  selected: ReadonlySet<string> | undefined;
  contentHash: boolean;
}

function checkInteger(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RootlineError('INVALID_ARGUMENT', `${name} must be an integer from ${min} to ${max}, got ${v}`);
  }
  return v;
}

function resolve(options: ProfileOptions): Resolved {
  const sketch = options.sketch ?? 'kll';
  if (sketch !== 'kll' && sketch !== 'sample') {
    throw new RootlineError('INVALID_ARGUMENT', `sketch must be "kll" or "sample", got ${JSON.stringify(sketch)}`);
  }
  const topK = checkInteger('topK', options.topK ?? DEFAULT_TOP_K, 0, 1_000_000);
  const config: ColumnConfig = {
    sketch,
    k: checkInteger('k', options.k ?? DEFAULT_KLL_K, KLL_MIN_K, KLL_MAX_K),
    sampleSize: checkInteger('sampleSize', options.sampleSize ?? DEFAULT_SAMPLE_SIZE, 1, DEFAULT_SAMPLE_SIZE),
    seed: checkInteger('seed', options.seed ?? DEFAULT_SEED, -(2 ** 31), 2 ** 32 - 1),
    topK,
    frequentCapacity: checkInteger(
      'frequentCapacity',
      options.frequentCapacity ?? Math.max(DEFAULT_FREQUENT_CAPACITY, topK),
      Math.max(1, topK),
      1_000_000,
    ),
    distinctExactLimit: checkInteger(
      'distinctExactLimit',
      options.distinctExactLimit ?? DEFAULT_DISTINCT_EXACT_LIMIT,
      0,
      100_000_000,
    ),
  };
  const schema = options.schema ?? [];
  const names = new Set<string>();
  for (const f of schema) {
    if (typeof f.name !== 'string' || !(FIELD_TYPES as readonly string[]).includes(f.type)) {
      throw new RootlineError(
        'INVALID_ARGUMENT',
        `schema field ${JSON.stringify(f)} needs a name and a type from the contract's vocabulary`,
      );
    }
    if (names.has(f.name))
      throw new RootlineError('INVALID_ARGUMENT', `schema declares the column ${JSON.stringify(f.name)} twice`);
    names.add(f.name);
  }
  return {
    config,
    schema,
    selected: options.columns === undefined ? undefined : new Set(options.columns),
    contentHash: options.contentHash ?? true,
  };
}

function isTypedColumn(v: ColumnValues): v is TypedColumn {
  return ArrayBuffer.isView(v);
}

class StreamingProfiler implements Profiler {
  private readonly columns = new Map<string, ColumnState>();
  private rows = 0;
  /** The content hash's state, or undefined with `contentHash: false`. */
  readonly hasher: ContentHasher | undefined;

  constructor(private readonly resolved: Resolved) {
    this.hasher = resolved.contentHash ? new ContentHasher() : undefined;
    for (const f of resolved.schema) this.columns.set(f.name, this.newColumn(f.name, { declared: f }));
  }

  get rowCount(): number {
    return this.rows;
  }

  private newColumn(
    name: string,
    options: { declared?: SchemaField; typed?: { type: FieldType; nullable: boolean }; mixed?: FieldType },
  ): ColumnState {
    const profiled = this.resolved.selected === undefined || this.resolved.selected.has(name);
    const state = new ColumnState(name, this.resolved.config, { ...options, profiled });
    if (this.hasher !== undefined) state.hashKey = this.hasher.key(name);
    // a column first seen after some rows is null in those rows
    if (this.rows > 0) state.markNullable();
    return state;
  }

  /** The column, created (provisional, or with a typed array's type) on first sight. */
  column(name: string, typed?: { type: FieldType; nullable: boolean }, mixed?: FieldType): ColumnState {
    let col = this.columns.get(name);
    if (col === undefined) {
      col = this.newColumn(name, { ...(typed ? { typed } : {}), ...(mixed ? { mixed } : {}) });
      this.columns.set(name, col);
    }
    return col;
  }

  addRows(rows: Iterable<Row>): void {
    for (const row of rows) {
      if (typeof row !== 'object' || row === null || Array.isArray(row)) {
        throw new RootlineError('INVALID_ARGUMENT', `row ${this.rows + 1} is not an object`);
      }
      this.rows++;
      const hasher = this.hasher;
      hasher?.startRow();
      for (const key in row) {
        if (!Object.prototype.hasOwnProperty.call(row, key)) continue;
        const col = this.column(key);
        col.rowsCovered++;
        const v = row[key];
        if (isNullValue(v)) col.markNullable();
        else {
          col.addValue(v);
          if (hasher !== undefined) hasher.cellValue(col.hashKey!, v);
        }
      }
      hasher?.endRow();
    }
  }

  addColumns(columns: Columns): void {
    let length: number | undefined;
    for (const [name, values] of Object.entries(columns)) {
      if (!isTypedColumn(values) && !Array.isArray(values)) {
        throw new RootlineError('INVALID_ARGUMENT', `column ${JSON.stringify(name)} must be an array or a typed array`);
      }
      if (length === undefined) length = values.length;
      else if (values.length !== length) {
        throw new RootlineError(
          'INVALID_ARGUMENT',
          `columns have different lengths: ${JSON.stringify(name)} has ${values.length}, others ${length}`,
        );
      }
    }
    if (length === undefined) return;
    this.hasher?.addColumns(columns, length);
    for (const [name, values] of Object.entries(columns)) {
      if (isTypedColumn(values)) {
        const typed = typedArrayType(values);
        if (typed === undefined)
          throw new RootlineError('INVALID_ARGUMENT', `column ${JSON.stringify(name)}: unsupported typed array`);
        const col = this.column(name, typed);
        col.addTyped(values);
        col.rowsCovered += length;
      } else {
        const col = this.column(name);
        col.markNullable();
        col.rowsCovered += length;
        const arr = values;
        for (let i = 0; i < arr.length; i++) {
          const v = arr[i];
          if (!isNullValue(v)) col.addValue(v);
        }
      }
    }
    this.rows += length;
  }

  /** Counts rows fed column by column through {@link column} (the file readers' path). */
  addRowCount(n: number): void {
    this.rows += n;
  }

  finish(): Profile {
    const schema: Schema = [];
    const columns = dict<ColumnProfile>();
    for (const col of this.columns.values()) {
      schema.push(col.field(this.rows));
      const p = col.profile(this.rows);
      if (p !== undefined) columns[col.name] = p;
    }
    const fingerprint = schemaFingerprint(schema);
    return {
      row_count: this.rows,
      schema,
      schema_fingerprint: fingerprint,
      ...(this.hasher !== undefined ? { content_hash: this.hasher.digest(fingerprint) } : {}),
      columns,
    };
  }
}

/** @internal The profiler class with the file readers' column-level entry points. */
export type StreamingProfilerInternal = StreamingProfiler;

/** @internal A streaming profiler with access to its columns (for the file readers). */
export function createStreamingProfiler(options: ProfileOptions = {}): StreamingProfiler {
  return new StreamingProfiler(resolve(options));
}

/**
 * A streaming profiler (see {@link Profiler}). Types are inferred as values arrive: a column is numeric
 * while every value is a number, and turns categorical (keeping its frequent values and distinct count,
 * which are tracked from the start) as soon as one is not. `schema` declares fields up front.
 */
export function createProfiler(schema?: Schema, options: Omit<ProfileOptions, 'schema'> = {}): Profiler {
  return new StreamingProfiler(resolve(schema === undefined ? options : { ...options, schema }));
}

/**
 * Profiles rows (objects) into a report `profile`. Types are inferred over all rows first (integers ->
 * `long`, other numbers -> `double`, booleans, strings, Dates -> `timestamp`, Uint8Arrays -> `binary`,
 * a mix -> `unknown`; all-null -> `string`); inferred columns are nullable. Null, undefined and NaN are nulls.
 */
export function profileRows(rows: readonly Row[], options: ProfileOptions = {}): Profile {
  const declared = new Set((options.schema ?? []).map((f) => f.name));
  const inferred = new Map<string, Inferred>();
  for (const row of rows) {
    if (typeof row !== 'object' || row === null) continue;
    for (const key in row) {
      if (declared.has(key) || !Object.prototype.hasOwnProperty.call(row, key)) continue;
      const v = row[key];
      const t = inferred.get(key) ?? 'empty';
      inferred.set(key, isNullValue(v) ? t : joinTypes(t, valueType(v), 'unknown'));
    }
  }
  const schema: Schema = [...(options.schema ?? [])];
  for (const [name, t] of inferred) schema.push({ name, type: t === 'empty' ? 'string' : t, nullable: true });
  const profiler = createStreamingProfiler({ ...options, schema });
  profiler.addRows(rows);
  return profiler.finish();
}

/**
 * Profiles columns into a report `profile`. A typed array declares its column's type (Float64Array ->
 * `double`, Float32Array -> `float`, Int8/16/32Array, Uint8/16Array -> `int`, Uint32Array and
 * BigInt64Array -> `long`; float columns are nullable, NaN being null, integer ones are not). A
 * JavaScript array is inferred as in {@link profileRows} and is nullable.
 */
export function profileColumns(columns: Columns, options: ProfileOptions = {}): Profile {
  const declared = new Set((options.schema ?? []).map((f) => f.name));
  const schema: Schema = [...(options.schema ?? [])];
  for (const [name, values] of Object.entries(columns)) {
    if (declared.has(name)) continue;
    if (isTypedColumn(values)) {
      const typed = typedArrayType(values);
      if (typed !== undefined) schema.push({ name, ...typed });
    } else if (Array.isArray(values)) {
      const t = inferArrayType(values as readonly unknown[]);
      schema.push({ name, type: t === 'empty' ? 'string' : t, nullable: true });
    }
  }
  const profiler = createStreamingProfiler({ ...options, schema });
  profiler.addColumns(columns);
  return profiler.finish();
}
