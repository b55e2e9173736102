import type { ColumnSource, DatasetColumn, RunError } from '../contract/types.js';
import type { FindingBrief } from '../rules/index.js';
import type { NodeRef } from './graph.js';

/**
 * A run of a node as the monitor remembers it: THE run type, used by the run history, RCA
 * ({@link RcaRun} adds the node) and the lineage queries.
 */
/** The most columns a run record keeps the distinct values of. */
export const RUN_DISTINCT_MAX = 16;

export interface NodeRun {
  /** Order of the run among the node's runs (0, 1, 2, ...); the history ring position is seq % runHistory. */
  seq: number;
  run_id: string;
  event_id: string;
  /** Event time, ms since the epoch. */
  event_time: number;
  status: 'success' | 'failed';
  healthy: boolean;
  /** The run was accepted as the node's new normal after it was judged (it counts as a good run). */
  accepted?: boolean;
  /** The first output's row count; absent when the run carried none. */
  row_count?: number;
  /**
   * The distinct values of the first output's categorical columns (their `distinct_estimate`, at most
   * {@link RUN_DISTINCT_MAX} columns in the profile's order): what a group-by reading it writes rows for
   * (stats/pass-through.ts, groupExpectation). Absent when it had none.
   */
  distinct?: Record<string, number>;
  code_version?: string;
  data_version?: string;
  params?: Record<string, unknown>;
  /** The parent runs this run read (explicit, or the parents' latest runs at the time). */
  upstream: (NodeRef & { run_id?: string })[];
  inputs: string[];
  outputs: string[];
  findings: FindingBrief[];
  /** Sub-threshold movements (evidence for RCA only; see rules' elevatedSignals). */
  signals?: FindingBrief[];
  /**
   * Compatible changes the run carried or passed on: its own compatible schema changes (a column added, a
   * type widened: the schema is the new baseline at once), or its row-count findings when they follow such a
   * change in a run it read (a model gaining a coefficient row for a new feature). RCA walks through them to
   * the changed node (lineage/rca.ts, changeExplains); absent when there is none.
   */
  changes?: FindingBrief[];
  /** Findings on the profiles of the datasets as this run read them. */
  input_findings: (FindingBrief & { dataset: string })[];
  column_lineage?: Record<string, ColumnSource[]>;
  /**
   * Column lineage keyed by dataset and column (the outputs' `column_lineage`): output dataset -> column -> the
   * dataset columns it derives from.
   */
  output_lineage?: Record<string, Record<string, DatasetColumn[]>>;
  /** Why a failed run failed, as its report said. */
  error?: RunError;
  /** The incident this run's findings were attributed to (as root or symptom). */
  incident_id?: string;
  /**
   * The root its findings were traced to when that root is in a pipeline another instance holds (the
   * incident is that instance's; cross-instance RCA). Absent otherwise.
   */
  remote_root?: NodeRef & { run_id: string };
}
