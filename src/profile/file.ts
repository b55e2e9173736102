import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import {
  asyncBufferFromFile,
  parquetMetadataAsync,
  parquetReadObjects,
  type AsyncBuffer,
  type FileMetaData,
  type SchemaElement,
} from 'hyparquet';
import { mapTypeName, type ElementType, type Profile, type Schema, type SchemaField } from '../contract/index.js';
import { RootlineError, errorMessage } from '../errors/index.js';
import type { ColumnState } from './column.js';
import { ContentHasher, parseIsoMillis, type ColumnKey } from './content-hash.js';
import { CsvParser } from './csv.js';
import { createStreamingProfiler, type ProfileOptions } from './profiler.js';
import {
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
  parseInfinity,
  toNumber,
} from './values.js';

/** File formats `profileFile` reads. */
export type FileFormat = 'csv' | 'jsonl' | 'parquet';

/** Progress of a file being profiled. */
export interface FileProgress {
  bytesRead: number;
  totalBytes: number;
}

/** Options of {@link profileFile}. */
export interface ProfileFileOptions extends ProfileOptions {
  /** The format; default from the extension (`.csv`, `.tsv`, `.jsonl`, `.ndjson`, `.parquet`, `.pq`). */
  format?: FileFormat;
  /** CSV field separator; default `,` (tab for `.tsv`). */
  delimiter?: string;
  /** Called after each chunk read (about every MiB). */
  onProgress?: (progress: FileProgress) => void;
  /** Read buffer size in bytes. Default 1 MiB. */
  chunkBytes?: number;
}

const EXTENSIONS: Readonly<Record<string, FileFormat>> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.txt': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'jsonl',
  '.parquet': 'parquet',
  '.pq': 'parquet',
};

/** The format a file name implies, or undefined. */
export function formatFromPath(path: string): FileFormat | undefined {
  return EXTENSIONS[extname(path).toLowerCase()];
}

function unreadable(path: string, err: unknown): RootlineError {
  if (err instanceof RootlineError) return err;
  return new RootlineError('FILE_INVALID', `cannot read ${path}: ${errorMessage(err)}`, { cause: err });
}

/**
 * Profiles a CSV, JSON Lines or Parquet file into a report `profile`, reading it once, in bounded
 * memory (a chunk at a time; for Parquet a row group at a time). Types of CSV and JSON Lines columns
 * are inferred as the data streams by (docs/emitters.md, "CSV type inference"); Parquet columns take
 * their declared types.
 * @throws RootlineError `FILE_INVALID` for an unreadable file or malformed content (the message
 * names the line), `INVALID_ARGUMENT` for bad options.
 */
export async function profileFile(path: string, options: ProfileFileOptions = {}): Promise<Profile> {
  const format = options.format ?? formatFromPath(path);
  if (format === undefined) {
    throw new RootlineError(
      'INVALID_ARGUMENT',
      `cannot tell the format of ${path} from its extension: give the format (csv, jsonl or parquet)`,
    );
  }
  let totalBytes: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new Error('not a regular file');
    totalBytes = st.size;
  } catch (err: unknown) {
    throw unreadable(path, err);
  }
  switch (format) {
    case 'csv':
      return profileCsv(path, totalBytes, {
        ...options,
        delimiter: options.delimiter ?? (extname(path).toLowerCase() === '.tsv' ? '\t' : ','),
      });
    case 'jsonl':
      return profileJsonLines(path, totalBytes, options);
    case 'parquet':
      return profileParquet(path, totalBytes, options);
    default:
      throw new RootlineError(
        'INVALID_ARGUMENT',
        `unknown format ${JSON.stringify(format)}: use csv, jsonl or parquet`,
      );
  }
}

async function* chunks(path: string, totalBytes: number, options: ProfileFileOptions): AsyncGenerator<Buffer> {
  const stream = createReadStream(path, { highWaterMark: options.chunkBytes ?? 1 << 20 });
  let bytesRead = 0;
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      yield buf;
      bytesRead += buf.length;
      options.onProgress?.({ bytesRead, totalBytes });
    }
  } catch (err: unknown) {
    throw unreadable(path, err);
  } finally {
    stream.destroy();
  }
}

/** Unique column names for a CSV header: an empty name becomes `Unnamed: <index>` (as pandas names it). */
function headerNames(fields: string[], line: number): string[] {
  const names = fields.map((f, i) => (f === '' ? `Unnamed: ${i}` : f));
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n))
      throw new RootlineError('FILE_INVALID', `line ${line}: the header names the column ${JSON.stringify(n)} twice`, {
        details: { line },
      });
    seen.add(n);
  }
  return names;
}

/**
 * Adds one non-empty CSV field to the row's content hash, read as the CSV reader types it: by its text
 * class (a number, a boolean, a date or date-time as milliseconds, else a string), or by the declared
 * type of a declared column, or as a string when `asString` (a column that turned out to be a string one).
 */
function hashField(
  hasher: ContentHasher,
  key: ColumnKey,
  s: string,
  cls: number,
  declared: string | undefined,
  asString: boolean,
): void {
  if (asString) {
    hasher.cellString(key, s);
    return;
  }
  if (declared !== undefined) {
    if (NUMERIC_TYPES.has(declared as never)) hasher.cellNumber(key, toNumber(s));
    else if (declared === 'boolean') hasher.cellBoolean(key, s.toLowerCase() === 'true');
    else if (declared === 'date' || declared === 'timestamp') hasher.cellMillis(key, parseIsoMillis(s));
    else hasher.cellString(key, s);
    return;
  }
  switch (cls) {
    case TEXT_INTEGER:
    case TEXT_DECIMAL:
      hasher.cellNumber(key, Number(s));
      return;
    case TEXT_NAN:
      return;
    case TEXT_INFINITY:
      hasher.cellNumber(key, parseInfinity(s));
      return;
    case TEXT_BOOLEAN:
      hasher.cellBoolean(key, s.length === 4);
      return;
    case TEXT_DATE:
    case TEXT_TIMESTAMP:
      hasher.cellMillis(key, parseIsoMillis(s));
      return;
    default:
      hasher.cellString(key, s);
  }
}

function csvWidthError(fields: number, width: number, line: number): RootlineError {
  return new RootlineError(
    'FILE_INVALID',
    `line ${line}: ${fields} field${fields === 1 ? '' : 's'}, expected ${width} (the header has ${width} columns)`,
    { details: { line } },
  );
}

async function profileCsv(path: string, totalBytes: number, options: ProfileFileOptions): Promise<Profile> {
  const profiler = createStreamingProfiler(options);
  const hasher = profiler.hasher;
  let columns: ColumnState[] | null = null;
  let declared: (string | undefined)[] = [];
  /** Columns whose fields were hashed as typed values (a number, a boolean, a time) at least once. */
  let typedSeen: boolean[] = [];
  let width = 0;
  const parser = new CsvParser(
    (fields, line) => {
      if (columns === null) {
        columns = headerNames(fields, line).map((name) => profiler.column(name, undefined, 'string'));
        width = columns.length;
        declared = columns.map((c) => c.declaredType);
        typedSeen = columns.map(() => false);
        return;
      }
      if (fields.length !== width) throw csvWidthError(fields.length, width, line);
      hasher?.startRow();
      for (let j = 0; j < width; j++) {
        const s = fields[j]!;
        if (s === '') continue;
        const col = columns[j]!;
        const cls = col.addText(s);
        if (hasher === undefined) continue;
        if (cls !== TEXT_OTHER) typedSeen[j] = true;
        hashField(hasher, col.hashKey!, s, cls, declared[j], false);
      }
      hasher?.endRow();
      profiler.addRowCount(1);
    },
    options.delimiter === undefined ? {} : { delimiter: options.delimiter },
  );
  const decoder = new StringDecoder('utf8');
  for await (const chunk of chunks(path, totalBytes, options)) parser.push(decoder.write(chunk));
  parser.push(decoder.end());
  parser.end();
  if (columns === null) throw new RootlineError('FILE_INVALID', `${path} is empty: a CSV file needs a header row`);
  const cols = columns as ColumnState[];
  for (const col of cols) col.rowsCovered = profiler.rowCount;
  const profile = profiler.finish();
  const retyped = cols.map((c, j) => typedSeen[j] === true && c.currentType === 'string');
  if (hasher !== undefined && retyped.some((r) => r)) {
    const hash = await rehashCsv(path, totalBytes, options, cols, declared, retyped);
    return { ...profile, content_hash: hash.digest(profile.schema_fingerprint ?? '') };
  }
  return profile;
}

/**
 * The second pass of a CSV file whose content hash the first pass got wrong: a column that held typed
 * fields (numbers, booleans, dates) and then a string one is a string column, so its early fields are
 * strings. Rare (mixed columns), bounded memory like the first pass; reads without profiling.
 */
async function rehashCsv(
  path: string,
  totalBytes: number,
  options: ProfileFileOptions,
  cols: readonly ColumnState[],
  declared: readonly (string | undefined)[],
  asString: readonly boolean[],
): Promise<ContentHasher> {
  const hasher = new ContentHasher();
  let header = true;
  const parser = new CsvParser(
    (fields) => {
      if (header) {
        header = false;
        return;
      }
      hasher.startRow();
      for (let j = 0; j < fields.length; j++) {
        const s = fields[j]!;
        if (s === '') continue;
        const string = asString[j] === true;
        const cls =
          string || declared[j] !== undefined || cols[j]!.currentType === 'string' ? TEXT_OTHER : classifyText(s);
        hashField(hasher, hasher.key(cols[j]!.name), s, cls, declared[j], string);
      }
      hasher.endRow();
    },
    options.delimiter === undefined ? {} : { delimiter: options.delimiter },
  );
  const decoder = new StringDecoder('utf8');
  const { onProgress: _progress, ...quiet } = options;
  for await (const chunk of chunks(path, totalBytes, quiet)) parser.push(decoder.write(chunk));
  parser.push(decoder.end());
  parser.end();
  return hasher;
}

function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

async function profileJsonLines(path: string, totalBytes: number, options: ProfileFileOptions): Promise<Profile> {
  const profiler = createStreamingProfiler(options);
  let line = 0;
  const handle = (text: string): void => {
    line++;
    if (text.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (err: unknown) {
      throw new RootlineError('FILE_INVALID', `line ${line}: malformed JSON (${errorMessage(err)})`, {
        details: { line },
      });
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw new RootlineError(
        'FILE_INVALID',
        `line ${line}: expected a JSON object (one row per line), got ${describeJson(v)}`,
        { details: { line } },
      );
    }
    profiler.addRows([v as Record<string, unknown>]);
  };
  let parts: Buffer[] = [];
  for await (const chunk of chunks(path, totalBytes, options)) {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      const buf = parts.length === 0 ? piece : Buffer.concat([...parts, piece]);
      parts = [];
      handle(buf.toString('utf8'));
      start = nl + 1;
    }
    if (start < chunk.length) parts.push(chunk.subarray(start));
  }
  if (parts.length > 0) handle(Buffer.concat(parts).toString('utf8'));
  return profiler.finish();
}

/** The portable type name of a Parquet leaf column (logical type, else converted type, else physical type). */
function parquetLeafType(el: SchemaElement): string {
  const lt = el.logical_type;
  if (lt !== undefined) {
    switch (lt.type) {
      case 'INTEGER':
        return `INTEGER(${lt.bitWidth},${lt.isSigned})`;
      case 'DECIMAL':
      case 'DATE':
      case 'TIMESTAMP':
      case 'STRING':
      case 'ENUM':
      case 'JSON':
      case 'BSON':
      case 'UUID':
      case 'FLOAT16':
        return lt.type;
      default:
        return 'unknown';
    }
  }
  return el.converted_type ?? el.type ?? 'unknown';
}

interface Node {
  element: SchemaElement;
  children: Node[];
}

function parquetTree(metadata: FileMetaData): Node[] {
  const elements = metadata.schema;
  let i = 1;
  const read = (count: number): Node[] => {
    const out: Node[] = [];
    for (let c = 0; c < count && i < elements.length; c++) {
      const element = elements[i++]!;
      out.push({ element, children: read(element.num_children ?? 0) });
    }
    return out;
  };
  return read(elements[0]?.num_children ?? 0);
}

function parquetElement(node: Node): ElementType {
  const el = node.element;
  const nullable = el.repetition_type !== 'REQUIRED';
  if (node.children.length === 0) {
    const type = mapTypeName(parquetLeafType(el), 'arrow');
    return el.repetition_type === 'REPEATED'
      ? { type: 'array', nullable: false, items: { type, nullable: false } }
      : { type, nullable };
  }
  const logical = el.logical_type?.type ?? el.converted_type;
  if (logical === 'LIST') {
    // LIST -> repeated group "list" -> the element
    const inner = node.children[0];
    const element = inner !== undefined && inner.children.length === 1 ? inner.children[0]! : inner;
    return {
      type: 'array',
      nullable,
      items: element === undefined ? { type: 'unknown', nullable: true } : parquetElement(element),
    };
  }
  if (logical === 'MAP' || logical === 'MAP_KEY_VALUE') {
    const kv = node.children[0];
    const key = kv?.children[0];
    const value = kv?.children[1];
    return {
      type: 'map',
      nullable,
      keys: key === undefined ? { type: 'unknown', nullable: false } : { ...parquetElement(key), nullable: false },
      values: value === undefined ? { type: 'unknown', nullable: true } : parquetElement(value),
    };
  }
  return {
    type: 'struct',
    nullable,
    fields: node.children.map((c) => ({ name: c.element.name, ...parquetElement(c) })),
  };
}

/** The report schema of a Parquet file (types by the contract's `arrow` table, which covers Parquet names). */
export function parquetFileSchema(metadata: FileMetaData): Schema {
  return parquetTree(metadata).map((node): SchemaField => ({ name: node.element.name, ...parquetElement(node) }));
}

async function profileParquet(path: string, totalBytes: number, options: ProfileFileOptions): Promise<Profile> {
  let base: AsyncBuffer;
  try {
    base = await asyncBufferFromFile(path);
  } catch (err: unknown) {
    throw unreadable(path, err);
  }
  let bytesRead = 0;
  const file: AsyncBuffer = {
    byteLength: base.byteLength,
    slice: async (start, end) => {
      const buf = await base.slice(start, end);
      bytesRead += buf.byteLength;
      options.onProgress?.({ bytesRead: Math.min(bytesRead, totalBytes), totalBytes });
      return buf;
    },
  };
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (err: unknown) {
    throw new RootlineError('FILE_INVALID', `${path} is not a readable Parquet file: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  const declared = new Set((options.schema ?? []).map((f) => f.name));
  const schema = [...(options.schema ?? []), ...parquetFileSchema(metadata).filter((f) => !declared.has(f.name))];
  const profiler = createStreamingProfiler({ ...options, schema });
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file, metadata, rowStart, rowEnd });
    } catch (err: unknown) {
      throw new RootlineError(
        'FILE_INVALID',
        `${path}: cannot read rows ${rowStart}..${rowEnd - 1}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    profiler.addRows(rows);
    rowStart = rowEnd;
  }
  return profiler.finish();
}
