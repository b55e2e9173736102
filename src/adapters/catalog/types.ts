/**
 * What the catalog stores and answers, independent of the monitor's internal types: the monitor maps
 * its reports into `CatalogRun` before `writeRuns`.
 */

/** A dataset a run read. */
export interface CatalogInput {
  dataset: string;
  /** Content fingerprint of the data read (order-independent hash), when the emitter computed one. */
  content_hash?: string;
  /** A caller-provided version: a Delta/Iceberg snapshot id, a DVC or lakeFS commit, a file checksum. */
  version?: string;
  /** What the dataset was for the run, e.g. `training`, `validation`, `reference`. */
  role?: string;
}

/** A dataset a run wrote. */
export interface CatalogOutput extends CatalogInput {
  row_count?: number;
  schema_fingerprint?: string;
}

/** A column of an output and the upstream columns it was computed from. */
export interface CatalogColumnLineage {
  /** The output dataset holding the column; the run's first output when absent. */
  dataset?: string;
  column: string;
  sources: { dataset: string; column: string }[];
  /** How it was computed, free text (e.g. `identity`, `sum`). */
  transformation?: string;
}

/** One run of one pipeline node, as the catalog keeps it. Identifiers are immutable once written. */
export interface CatalogRun {
  pipeline: string;
  node: string;
  run_id: string;
  /** The report's id: a redelivered report carries the same one and changes nothing. */
  event_id: string;
  /** When the run's report was made, in milliseconds since the epoch. */
  event_time: number;
  status: string;
  healthy: boolean;
  code_version?: string;
  data_version?: string;
  params?: Record<string, unknown>;
  /** Numeric summaries of the run (row counts, null rates, drift scores) for `diffRuns`. */
  metrics?: Record<string, number>;
  inputs: CatalogInput[];
  outputs: CatalogOutput[];
  /** Upstream nodes this run declared (lineage edges); `run_id` when the emitter knew it. */
  upstream: { pipeline: string; node: string; run_id?: string }[];
  column_lineage?: CatalogColumnLineage[];
}

/** A stored run: the written fields plus the catalog's own id and the time it was recorded. */
export interface StoredRun extends CatalogRun {
  /** The catalog's surrogate key (stable while the run is stored). */
  id: number;
  /** When the catalog stored it, in milliseconds since the epoch. */
  recorded_at: number;
}

/** Names one run. */
export interface RunRef {
  pipeline: string;
  node: string;
  run_id: string;
}

/** What `writeRuns` did. */
export interface WriteResult {
  /** Runs stored by this call. */
  written: number;
  /** Runs already stored (same event_id, or same pipeline/node/run_id): left unchanged. */
  duplicates: number;
}

/** Options shared by the queries. */
export interface QueryOptions {
  /** Time travel: answer as the catalog stood for runs up to this time (ms since the epoch). Default now. */
  at?: number;
  /** How many hops the recursive queries follow. Default `DEFAULT_MAX_DEPTH`. */
  maxDepth?: number;
}

/** How many hops provenance, consumers and column queries follow unless told otherwise. */
export const DEFAULT_MAX_DEPTH = 64;

/** An input of a run in a provenance answer, with the run that produced it (`null`: a source). */
export interface ProvenanceInput extends CatalogInput {
  /** `StoredRun.id` of the producing run, a key into `Provenance.runs`. */
  producer: number | null;
}

/** A run in a provenance answer: its inputs point at their producers. */
export interface ProvenanceRun extends Omit<StoredRun, 'inputs'> {
  depth: number;
  inputs: ProvenanceInput[];
}

/** The run that produced a hash or version and, recursively, every run and input behind it (a DAG). */
export interface Provenance {
  key: string;
  at: number;
  /** Id of the run that produced `key`; undefined when no stored run did. */
  root: number | undefined;
  /** Every run behind the root (the root included), by id. */
  runs: Record<number, ProvenanceRun>;
  /** Inputs with no known producer: the sources, with their hashes and versions. */
  sources: CatalogInput[];
  /** Whether `maxDepth` cut the walk short. */
  truncated: boolean;
}

/** A provenance answer expanded into a tree; a run met a second time is a `ref` to its first place. */
export interface ProvenanceTreeNode {
  run: Omit<ProvenanceRun, 'inputs'>;
  inputs: (CatalogInput & { producer: ProvenanceTreeNode | { ref: number } | null })[];
}

/** A run downstream of a hash or version. */
export interface Consumer {
  run: StoredRun;
  depth: number;
  /** The dataset through which it read what came from upstream. */
  via_dataset: string;
  /** Id of the run whose output it read; null at depth 1 when the key has no known producer. */
  upstream_run: number | null;
}

/** One step of a column's sources. */
export interface ColumnSource {
  depth: number;
  /** The column being explained: `dataset`.`column` as the node `node` wrote it. */
  pipeline: string;
  node: string;
  dataset: string;
  column: string;
  source_dataset: string;
  source_column: string;
  transformation: string | null;
  /** Whether no stored run explains `source_dataset`.`source_column` further (a root column). */
  terminal: boolean;
}

/** A value that differs between two runs. */
export interface Change<T> {
  a: T | undefined;
  b: T | undefined;
}

/** What differs between two runs (only what differs is listed). */
export interface RunDiff {
  a: StoredRun;
  b: StoredRun;
  fields: Record<string, Change<unknown>>;
  params: Record<string, Change<unknown>>;
  metrics: Record<string, Change<number>>;
  inputs: Record<string, Change<CatalogInput>>;
  outputs: Record<string, Change<CatalogOutput>>;
}

/** Lineage-health basics over the stored runs. */
export interface LineageHealth {
  at: number;
  nodes: number;
  datasets: number;
  /** Datasets with at least one producing run. */
  datasetsWithProducer: number;
  /** Datasets some run read that no stored run produced. */
  readNeverProduced: string[];
  /** Datasets some run produced that no stored run read. */
  producedNeverRead: string[];
}

/** What `applyRetention` did. */
export interface RetentionResult {
  deleted: number;
  /** Runs written to the export (JSON Lines, one `StoredRun` per line; or Parquet, one row per run). */
  exported: number;
  exportPath: string | undefined;
  /** The files written: the JSON Lines file, or one Parquet file per batch. */
  exportFiles: string[];
}
