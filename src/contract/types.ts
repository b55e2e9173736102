/**
 * The report contract `rootline.report/v1` (docs/contract.md): what a
 * pipeline step sends after each run. Add optional fields freely; never rename or remove one within v1.
 */

export const REPORT_SPEC = 'rootline.report/v1' as const;

/** The portable type vocabulary of schema fields. */
export const FIELD_TYPES = [
  'string',
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'decimal',
  'date',
  'timestamp',
  'binary',
  'struct',
  'array',
  'map',
  'unknown',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** The type of an array's items or a map's keys/values (a field without a name). */
export interface ElementType {
  type: FieldType;
  /** Default true. */
  nullable?: boolean;
  /** For `struct`: its fields. */
  fields?: SchemaField[];
  /** For `array`: the items' type. */
  items?: ElementType;
  /** For `map`: the keys' type. */
  keys?: ElementType;
  /** For `map`: the values' type. */
  values?: ElementType;
}

/**
 * A named field. Other keys (`description`, `metadata`, ...) are allowed in reports, carried through
 * Avro, and ignored by the fingerprint and the schema diff.
 */
export interface SchemaField extends ElementType {
  name: string;
}

export type Schema = SchemaField[];

/** KLL doubles sketch in the Apache DataSketches binary serialization, base64. */
export interface SketchRef {
  type: 'kll_doubles';
  /** KLL parameter k (default 200). */
  k: number;
  /** Canonical base64 (standard alphabet, `=` padding) of the DataSketches serialization. */
  data: string;
}

export interface ColumnProfileBase {
  /** Rows seen in this column: the dataset's row count, or fewer when profiled on a subset; never more. */
  count: number;
  /** Rows whose value is null/missing; at most `count`. */
  null_count: number;
}

export interface NumericColumnProfile extends ColumnProfileBase {
  kind: 'numeric';
  /** Over the non-null values; null (or absent) when there is none. `min <= max`. */
  min?: number | null;
  max?: number | null;
  mean?: number | null;
  /** The distribution, as a sketch ... */
  sketch?: SketchRef;
  /** ... or as a uniform sample of at most 10,000 non-null values (never both). */
  sample?: number[];
  /**
   * Distinct non-null values (exact or estimated): with `count - null_count`, the share of values that repeat
   * another of the run (the `repeats` rule: a stuck sensor, a truncating cast).
   */
  distinct_estimate?: number;
}

export interface CategoricalColumnProfile extends ColumnProfileBase {
  kind: 'categorical';
  /** Value -> count, for the most frequent values. */
  frequent?: Record<string, number>;
  /** Non-null rows whose value is not in `frequent`. */
  other_count?: number;
  distinct_estimate?: number;
}

export type ColumnProfile = NumericColumnProfile | CategoricalColumnProfile;

export interface Profile {
  /** Rows written (or read); absent when the producer did not count them (OpenLineage without statistics). */
  row_count?: number;
  schema?: Schema;
  /** `sha256:` + 64 hex digits of the canonical form of `schema` (docs/fingerprint.md). */
  schema_fingerprint?: string;
  /**
   * `rch1:` + 32 hex digits: the content hash of the rows, independent of their order, bound to the row
   * count and the schema fingerprint (docs/content-hash.md).
   */
  content_hash?: string;
  columns?: Record<string, ColumnProfile>;
}

export interface DatasetRef {
  dataset: string;
  profile?: Profile;
  /**
   * The dataset's version as the caller's storage names it: a Delta or Iceberg snapshot id, a DVC or
   * lakeFS commit, an object version, a file checksum. Free text, compared as is.
   */
  version?: string;
  /**
   * Results of data-quality tests run on the dataset (dbt tests, Great Expectations: OpenLineage's
   * `dataQualityAssertions` facet). A failed one is a finding of the run (rule metric `assertion`).
   */
  assertions?: AssertionResult[];
}

/** One data-quality test's result on a dataset (or one of its columns). */
export interface AssertionResult {
  /** The test, as its tool names it: `not_null`, `unique`, `expect_column_values_to_be_between`, ... */
  assertion: string;
  success: boolean;
  /** The column tested (a field path); absent for a test of the whole dataset. */
  column?: string;
}

/** A dataset written by the run; its profile is optional (a run without statistics still records lineage). */
export interface OutputRef extends DatasetRef {
  /**
   * Column lineage of this output, keyed by dataset and column on both sides (OpenLineage's `columnLineage`
   * facet): column (a field path) -> the columns of the datasets it derives from, so `t1.id` and `t2.id` stay apart.
   */
  column_lineage?: Record<string, DatasetColumn[]>;
}

/** A column of a dataset (a field path), as column lineage names its sources. */
export interface DatasetColumn {
  dataset: string;
  column: string;
}

export interface UpstreamRef {
  node: string;
  /** The exact run read, when known. */
  run_id?: string;
  /** The upstream's pipeline, when it is another pipeline's node. Default: this report's pipeline. */
  pipeline?: string;
}

export interface ColumnSource {
  node: string;
  column: string;
}

export type RunStatus = 'success' | 'failed';

/** Why a failed run failed (OpenLineage's `errorMessage` run facet). */
export interface RunError {
  message: string;
  /** The language of the code that failed (`python`, `java`, `sql`, ...). */
  language?: string;
  /** The first lines of the stack trace. */
  stack?: string;
}

export interface Report {
  spec: typeof REPORT_SPEC;
  /** Idempotency key: a report seen twice is processed once. */
  event_id: string;
  pipeline: string;
  node: string;
  run_id: string;
  /** RFC 3339 time the run finished. */
  event_time: string;
  /** Default `success`. */
  status?: RunStatus;
  upstream?: UpstreamRef[];
  inputs?: DatasetRef[];
  /** The datasets written, distinct; may be empty or absent (a run without statistics is still a run). */
  outputs?: OutputRef[];
  code_version?: string;
  data_version?: string;
  /** Free-form JSON values. */
  params?: Record<string, unknown>;
  /** Output column (a field path: `amount`, `address.zip`, `tags[]`) -> the upstream columns it derives from. */
  column_lineage?: Record<string, ColumnSource[]>;
  /** Why the run failed, for `status: failed`. */
  error?: RunError;
}

/**
 * What an unfinished run tells the monitor (an OpenLineage START or RUNNING event): not a report and never on
 * the wire as one. The monitor remembers the run's start (for its duration and a run that never ends) and the
 * statistics it carried (Spark puts them on RUNNING) until the report that closes the run takes them over.
 */
export interface RunProgress {
  pipeline: string;
  node: string;
  run_id: string;
  /** RFC 3339. */
  event_time: string;
  /** START: the run began at `event_time`; RUNNING: it was still running then. */
  phase: 'START' | 'RUNNING';
  inputs?: DatasetRef[];
  outputs?: OutputRef[];
}

/**
 * Lineage without a run (an OpenLineage JobEvent or DatasetEvent): not a report and never on the wire as one.
 * `job`: the node `node` of `pipeline` reads `inputs` and writes `outputs` (its whole declared lineage).
 * `dataset`: the dataset `dataset` is derived from `inputs` (its writers then read them); `pipeline` is the
 * dataset's namespace, which routes it.
 */
export type LineageDeclaration =
  | { kind: 'job'; pipeline: string; node: string; event_time: string; inputs: string[]; outputs: string[] }
  | { kind: 'dataset'; pipeline: string; dataset: string; event_time: string; inputs: string[] };
