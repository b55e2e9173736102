import type { DatasetRef, OutputRef, Schema } from '../contract/types.js';
import type { LineageState, NodeRun } from '../lineage/index.js';
import { briefOf, type FindingBrief } from '../rules/index.js';
import { dict } from '../dict.js';
import type { MonthEdges, SeasonGrouping, WeekdayLevels } from '../stats/index.js';
import type { HeldVerdict } from './hold.js';
import type { Incident, IncidentAcceptance } from './incident-types.js';

/** A run of a node as the monitor remembers it: the lineage layer's run type (lineage/run.ts). */
export type RunRecord = NodeRun;

/** THE finding (rules/types.ts), without the node-run identity its run record holds. */
export type { FindingBrief };
export { briefOf };

/** One column's distribution in one healthy run (what a run teaches its baseline epoch; a pinned reference). */
export type SlotColumn =
  | { kind: 'numeric'; sketch?: string; k?: number; sample?: number[] }
  | { kind: 'categorical'; frequent: Record<string, number>; other_count: number };

export interface ColumnBaseline {
  kind: 'numeric' | 'categorical';
  /** Null ratios of the last N healthy runs, oldest first. */
  null_ratios: number[];
  /**
   * Nodes that run about daily or less often: the UTC day of the week (0 = Sunday) of the runs whose null ratios
   * `null_ratios` ends with, oldest first (aligned from the end: it may be shorter; absent in state written
   * before it existed and for sub-daily nodes): see evaluate.ts, "a weekday's own null level".
   */
  null_days?: number[];
  /** Numeric columns: [min, max] of the last N healthy runs that reported both, oldest first. */
  ranges?: [number, number][];
  /**
   * Numeric columns with a distinct count: [share of values that repeat another, non-null values] of the last N
   * healthy runs that had one, oldest first (stats `judgeRepeats`).
   */
  repeats?: [number, number][];
  /** Drift statistic (KS D or total variation) of the last N healthy runs against their baselines, oldest first. */
  drift_stats?: number[];
  /** Numeric: the scale shift (evaluate.ts, scaleShift) of the same runs, oldest first: its noise history. */
  scale_shifts?: number[];
  /**
   * State written before 2026-12-05: the scale shifts measured without scaleShift's magnitude floor (smaller
   * for a one-signed column's values below its median magnitude): not a band for today's. Dropped when the
   * column next learns; read by nothing.
   */
  scale_stats?: number[];
  /** Output numeric columns: the long-horizon reference and its CUSUM (absent until a run has a mean). */
  horizon?: HorizonState;
  /**
   * Numeric columns: [mean, healthy runs in a row that had it]: a column whose every run has the same mean
   * (to a millionth of its range) is normalized by the producer per run (z-scores): see evaluate.ts, "pinned".
   */
  pinned_mean?: [number, number];
  /**
   * Categorical columns: the numbers (the dataset's healthy_runs count when learned) of the recent healthy runs
   * that showed a value the baseline never listed, at most N: a column whose values come and go (campaigns).
   */
  fresh_runs?: number[];
  /**
   * States the column was in on recent runs flagged for drift alone (at most {@link COLUMN_STATES_KEPT}, oldest
   * first), and whether a healthy run has shown it back at its baseline since: see evaluate.ts, `recurringState`.
   */
  states?: ColumnState[];
}

/** Column states kept per column (see {@link ColumnBaseline.states}). */
export const COLUMN_STATES_KEPT = 4;

/** A column's distribution on a run flagged for its drift alone: its statistic and a signature of where it went. */
export interface ColumnState {
  /** The drift statistic (KS D, total variation) against the baseline then. */
  d: number;
  /** Numeric: the run's mean. */
  mean?: number;
  /** Categorical: the value that moved most, and its share in the run. */
  value?: string;
  share?: number;
  /** A healthy run came after it: the column left the state (a state it alternates with, not a new level). */
  left?: true;
  /** The UTC day of the week of the run it was kept from (0 = Sunday). */
  dow?: number;
}

/**
 * The slow reference beside the rolling baseline (docs/statistics.md, "Long-horizon drift"): the first
 * `baselineRuns` healthy runs' per-run means and spreads are collected, then frozen as the reference epoch;
 * it is refreshed only when the baseline restarts (an accepted change). Bounded: at most N numbers per list.
 */
export interface HorizonState {
  /**
   * While collecting: mean, within-run sd, non-null values and event time ms (NaN, null in JSON: not known)
   * of the epoch's healthy runs, flat, four numbers per run. State written before holds [mean, sd, n] tuples
   * instead (read by the collecting code).
   */
  epoch?: number[] | number[][];
  /**
   * The frozen reference: trimmed mean of the means, their run-to-run spread, within-run sd, values per run. With
   * `season`, the means follow a calendar (weekends lower): each slot's mean and runs, and `sd` is
   * the spread within a slot.
   */
  ref?: {
    mean: number;
    sd: number;
    sigma: number;
    n: number;
    runs: number;
    trending?: boolean;
    season?: { grouping: SeasonGrouping; slots: [slot: number, mean: number, runs: number][] };
    /**
     * The quantile track: the mean of each of the epoch's runs' deciles (10%..90%), and the 99% upper confidence
     * bounds of their run-to-run standard deviations (-1: the decile wandered through the epoch, not followed). Absent on references frozen before it
     * existed (until the next restart).
     */
    q?: number[];
    qsd?: number[];
  };
  /**
   * While collecting, the quantile track's running statistics (every collected run): the runs counted, then per
   * decile its mean, its sum of squared deviations (Welford), its last value and the sum of its squared
   * run-to-run differences ({@link HORIZON_QUANTILE_STATE} numbers).
   */
  qepoch?: number[];
  /** The quantile track's two-sided CUSUMs, one per decile (absent: zero). */
  qup?: number[];
  qdown?: number[];
  /**
   * The quantile track's rank distances (the share of rows that moved past the reference decile whose CUSUM
   * stood highest) of the last runs that moved the CUSUMs, at most {@link HORIZON_LEVEL_RUNS} - 1.
   */
  qrecent?: number[];
  /** Two-sided CUSUM statistics. */
  up: number;
  down: number;
  /**
   * The distances (mean - reference) of the last runs that moved the CUSUM, oldest first, at most
   * {@link HORIZON_LEVEL_RUNS} - 1: with this run's, their median is the level the practical size is judged on.
   */
  recent?: number[];
}

/** Runs whose median distance from the reference is the long-horizon practical size (this one included). */
export const HORIZON_LEVEL_RUNS = 5;

/** The quantile levels the long horizon's quantile track follows: the deciles 10%..90%. */
export const HORIZON_QUANTILES: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** Numbers of a collecting quantile track: the runs counted, then four per decile (see HorizonState.qepoch). */
export const HORIZON_QUANTILE_STATE = 1 + 4 * HORIZON_QUANTILES.length;

/** The most changes in a row a content history counts (more says nothing new). */
export const CONTENT_CHANGES_CAP = 10_000;

/** How many earlier contents a content history remembers (to tell a table that goes back to one of them). */
export const CONTENT_RECENT = 20;

/** The healthy baseline of one dataset as a node writes (or reads) it. */
export interface DatasetBaseline {
  dataset: string;
  /** Healthy runs that contributed so far (not capped). */
  healthy_runs: number;
  /** Row counts of the last N healthy runs, oldest first. */
  row_counts: number[];
  /**
   * [event time ms, rows] of healthy runs, oldest first, at most 4 per UTC hour-of-week slot: the
   * seasonal row-count history (absent in state written before it existed).
   */
  row_seasons?: [number, number][];
  /** Row counts on the edges of months, and since when (absent in state written before it existed). */
  month_edges?: MonthEdges;
  /** A sub-daily node's level per UTC day, for its weekdays (absent in state written before it existed). */
  weekday_levels?: WeekdayLevels;
  /**
   * Its healthy runs' [log(1 + rows read), log(1 + rows written)] (stats/pass-through.ts), by parent (node key),
   * oldest first, at most as many as `row_counts`: runs whose every upstream run and its row count were known
   * (absent in state written before it existed, and for a node that reads nothing).
   */
  through?: Record<string, [number, number][]>;
  /**
   * Its healthy runs' [log(1 + distinct values read), log(1 + rows written)] (stats/pass-through.ts,
   * groupExpectation), by parent and column (`compositeKey(node key, column)`), oldest first, at most as many
   * as `row_counts`, at most THROUGH_MAX_GROUPS of them (the first seen). Absent in state written before it
   * existed and for a node whose inputs carried no categorical columns.
   */
  groups?: Record<string, [number, number][]>;
  /**
   * The content hash of its last healthy run that carried one, and how many healthy runs in a row had each
   * changed it to a content not among `recent` (capped at {@link CONTENT_CHANGES_CAP}; absent until a run
   * carries a hash); `recent`: the hashes of the contents before it, oldest first, at most
   * {@link CONTENT_RECENT} (absent in state written before it existed).
   */
  content?: { hash: string; changed: number; recent?: string[] };
  columns: Record<string, ColumnBaseline>;
  schema?: { fingerprint: string; schema?: Schema };
  /** A pinned reference run's distributions (rules: baseline.reference_run). */
  reference?: { run_id: string; columns: Record<string, SlotColumn> };
  /** Healthy runs with distributions learned so far: the next one's seq (its epoch: baseline-epochs.ts). */
  slot_seq: number;
  /** Healthy runs in the distribution window now (between N/2 and N - 1 once N/2 were learned). */
  slot_count: number;
}

/** Everything the monitor knows about one node. */
export interface NodeState {
  pipeline: string;
  node: string;
  runs: number;
  healthy_runs: number;
  last_event_time: number;
  /** Recent event ids, to process a duplicate once. */
  event_ids: string[];
  /** Intervals (ms) between the node's recent runs, for freshness. */
  intervals: number[];
  /**
   * How far the pipeline's watermark was ahead of each recent run of the node when it arrived (ms): the
   * usual lead of the rest of the pipeline, which freshness does not count as silence.
   */
  leads?: number[];
  outputs: Record<string, DatasetBaseline>;
  inputs: Record<string, DatasetBaseline>;
  /** Runs recorded so far (the next run's seq). */
  run_seq: number;
  /** Recent runs, oldest first. Persisted as separate records (one per run), not inside the node's. */
  history: RunRecord[];
  /**
   * Rules with `persistence` > 1: how many runs in a row each (rule, column, dataset) has fired, capped
   * at the rule's persistence (absent when none is counting).
   */
  streaks?: Record<string, number>;
  /**
   * Event-time gaps (ms) between the node's recent runs and the oldest upstream run each named (runs whose
   * inputs were not stale), for the staleness of inputs; absent in older state = none yet.
   */
  input_lags?: number[];
  /** Whether a freshness finding is open for the node (so it is raised once). */
  late?: boolean;
  /** Runs that started (OpenLineage START/RUNNING) and have not ended yet, bounded; absent = none. */
  open_runs?: OpenRun[];
  /** Event-time durations (ms) of the node's recent successful runs whose start was seen; absent = none yet. */
  durations?: number[];
  /**
   * The ring of the node's latest consecutive successful runs that did not teach the baseline (their
   * outputs' summaries live in `c|` records, see {@link CandidateRun}): ring seqs `from` .. `to - 1`, the
   * last `newNormalRuns` of them held. What an accepted change (or a new steady level) learns from.
   * Absent in older state = none.
   */
  candidates?: { from: number; to: number };
  /** The last accepted change of the node (explicit or automatic); absent = none. */
  accepted?: Acceptance;
}

/** A run that has started and not ended: its start and the statistics its START/RUNNING events carried. */
export interface OpenRun {
  run_id: string;
  /** Event time (ms) of its START (else of its first RUNNING event). */
  started: number;
  /** Whether the START itself was seen (only then is the run's duration known when it ends). */
  start_seen: boolean;
  /** The latest datasets with their profiles, per dataset the latest event that carried statistics. */
  inputs?: DatasetRef[];
  outputs?: OutputRef[];
  /** Whether a stalled-run finding was raised for it (once). */
  stalled?: boolean;
}

/** One dataset of a run, as much of it as a baseline learns: row count, null ratios, schema, distributions. */
export interface DatasetSummary {
  dataset: string;
  row_count?: number;
  /** The rows of each run the run read, by parent (the first output only, when all were known). */
  input_rows?: Record<string, number>;
  /** The distinct values of its parents' key columns, by parent and column (with `input_rows`). */
  input_groups?: Record<string, number>;
  /** The profile's content hash, when it carried one. */
  content_hash?: string;
  /**
   * Column -> kind, null ratio, (numeric) the [min, max] range of its values and its mean over n values,
   * and the drift statistic the run showed against the rolling baseline (when evaluated: the column's
   * noise history).
   */
  nulls: Record<
    string,
    {
      kind: 'numeric' | 'categorical';
      ratio: number;
      range?: [number, number];
      drift?: number;
      /** Numeric: the scale shift the run showed against the rolling baseline (evaluate.ts, scaleShift). */
      scale?: number;
      mean?: number;
      n?: number;
      /** Numeric: [share of values that repeat another, non-null values] (stats `repeatShare`). */
      repeats?: [number, number];
      /** Categorical: the run showed a value its baseline never listed (see evaluate.ts, freshValues). */
      fresh?: boolean;
    }
  >;
  schema?: { fingerprint: string; schema?: Schema };
  /** The distribution slot the run would write. */
  columns: Record<string, SlotColumn>;
}

/**
 * A successful run of a node that did not teach the baseline (it had findings): kept in a short ring
 * (state record `c|<pipeline>|<node>|<i>`) so that an accepted change can re-baseline from it and a new
 * steady level can be recognised.
 */
export interface CandidateRun {
  /** Position among the node's candidate runs ever kept (ring position `ring_seq % newNormalRuns`). */
  ring_seq: number;
  /** The run's seq in the node's run history. */
  seq: number;
  run_id: string;
  event_time: number;
  code_version?: string;
  params?: Record<string, unknown>;
  /** The metrics of the run's findings (what would have to become normal). */
  finding_metrics: string[];
  /** Whether a finding is a breaking schema change. */
  breaking_schema: boolean;
  /**
   * Whether a drift finding moved a column apart from its baseline (statistic of at least `APART_STATISTIC`:
   * a unit, scale or encoding change); absent = no (and in state written before).
   */
  moved_apart?: true;
  outputs: DatasetSummary[];
}

/** A change accepted as a node's new normal (the incident's acceptance, with the incident it resolved). */
export type Acceptance = IncidentAcceptance & { incident_id?: string };

export interface PipelineState {
  pipeline: string;
  graph: LineageState;
  /** Open incidents and recently resolved ones (bounded), by id. */
  incidents: Incident[];
  /** Highest event time seen in the pipeline. */
  watermark: number;
  /** node -> event time (ms) of the last rollback dispatched, for cooldowns. */
  rollbacks: Record<string, number>;
  /** The last rerun decided per node (event time, ms), for cooldowns; absent until the first. */
  reruns?: { node: string; at: number }[];
  /**
   * Recent watermark jumps of more than a minute, [from, to] in event time, oldest first (bounded): the
   * pipeline's quiet periods, not counted against a node's silence (freshness). Absent in older state.
   */
  pauses?: [number, number][];
  /** Verdicts waiting for an upstream run the report named (hold.ts); absent in older state = none. */
  held?: HeldVerdict[];
  /** Ids of the last incident commands applied (incident-actions.ts): a repeat is ignored. Absent = none. */
  commands?: string[];
}

export function newNodeState(pipeline: string, node: string): NodeState {
  return {
    pipeline,
    node,
    runs: 0,
    healthy_runs: 0,
    last_event_time: 0,
    event_ids: [],
    intervals: [],
    outputs: dict(),
    inputs: dict(),
    run_seq: 0,
    history: [],
  };
}

export function newDatasetBaseline(dataset: string): DatasetBaseline {
  return { dataset, healthy_runs: 0, row_counts: [], columns: dict(), slot_seq: 0, slot_count: 0 };
}

/** Pushes onto a bounded window (oldest first). */
export function pushBounded<T>(arr: T[], value: T, max: number): void {
  arr.push(value);
  if (arr.length > max) arr.splice(0, arr.length - max);
}
