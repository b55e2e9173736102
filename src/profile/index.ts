/**
 * Profiling: rows, columns or files -> the `profile` of a `rootline.report/v1` report (row count,
 * schema and fingerprint, per-column counts, numeric summaries with a KLL sketch or a sample,
 * categorical frequent values and distinct counts). docs/emitters.md describes the rules.
 */
export {
  DEFAULT_SAMPLE_SIZE,
  DEFAULT_SEED,
  DEFAULT_TOP_K,
  createProfiler,
  profileColumns,
  profileRows,
  type ColumnValues,
  type Columns,
  type ProfileOptions,
  type Profiler,
  type Row,
  type SketchMode,
} from './profiler.js';
export type { TypedColumn } from './column.js';
export { NESTED_TYPES, NUMERIC_TYPES, formatNumber, stringifyValue } from './values.js';
export { CsvParser, type CsvParserOptions, type CsvRecordHandler } from './csv.js';
export {
  formatFromPath,
  parquetFileSchema,
  profileFile,
  type FileFormat,
  type FileProgress,
  type ProfileFileOptions,
} from './file.js';
