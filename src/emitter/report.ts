import { randomUUID } from 'node:crypto';
import {
  REPORT_SPEC,
  type ColumnSource,
  type DatasetRef,
  type OutputRef,
  type Report,
  type RunStatus,
  type UpstreamRef,
} from '../contract/index.js';

/** The optional fields of a report that a caller gives (everything but spec, ids and outputs). */
export interface ReportFields {
  /** Unique per run of the node. Default: the event time. */
  run_id?: string;
  /** When the run finished: a Date or RFC 3339 text. Default: now. */
  event_time?: Date | string;
  /** Idempotency key. Default: a random UUID. */
  event_id?: string;
  /** Default `success`. */
  status?: RunStatus;
  /** Upstream nodes; a string is a node name. */
  upstream?: readonly (UpstreamRef | string)[];
  /**
   * Datasets read; a string is a dataset name. Give an input's `version` (snapshot id, commit, checksum)
   * and, where the data is at hand, its `profile` (`profileRows` / `profileColumns`), which carries its `content_hash`.
   */
  inputs?: readonly (DatasetRef | string)[];
  code_version?: string;
  data_version?: string;
  params?: Record<string, unknown>;
  column_lineage?: Record<string, ColumnSource[]>;
}

/** Everything {@link buildReport} needs. */
export interface BuildReportArgs extends ReportFields {
  pipeline: string;
  node: string;
  /** At least one output with its profile. */
  outputs: readonly OutputRef[];
}

/** RFC 3339 UTC with milliseconds and `Z` (`2026-11-21T10:00:05.123Z`), as the Python emitter writes it. */
export function formatTime(value: Date | string = new Date()): string {
  return typeof value === 'string' ? value : value.toISOString();
}

/**
 * A `rootline.report/v1` report for one run of one node. Defaults: `event_id` a random UUID,
 * `event_time` now, `run_id` the event time, `status` success. Optional fields left undefined are
 * omitted. The result is not validated here (`emitter.report` and `validateReport` do that).
 */
export function buildReport(args: BuildReportArgs): Report {
  const time = formatTime(args.event_time);
  const report: Report = {
    spec: REPORT_SPEC,
    event_id: args.event_id ?? randomUUID(),
    pipeline: args.pipeline,
    node: args.node,
    run_id: args.run_id ?? time,
    event_time: time,
    status: args.status ?? 'success',
    outputs: [...args.outputs],
  };
  if (args.upstream !== undefined)
    report.upstream = args.upstream.map((u) => (typeof u === 'string' ? { node: u } : { ...u }));
  if (args.inputs !== undefined)
    report.inputs = args.inputs.map((i) => (typeof i === 'string' ? { dataset: i } : { ...i }));
  if (args.code_version !== undefined) report.code_version = args.code_version;
  if (args.data_version !== undefined) report.data_version = args.data_version;
  if (args.params !== undefined) report.params = { ...args.params };
  if (args.column_lineage !== undefined) report.column_lineage = args.column_lineage;
  // spec, ids, then the lineage and outputs, in the contract's field order
  const { spec, event_id, pipeline, node, run_id, event_time, status, upstream, inputs, outputs, ...rest } = report;
  return {
    spec,
    event_id,
    pipeline,
    node,
    run_id,
    event_time,
    ...(status !== undefined ? { status } : {}),
    ...(upstream !== undefined ? { upstream } : {}),
    ...(inputs !== undefined ? { inputs } : {}),
    ...(outputs !== undefined ? { outputs } : {}),
    ...rest,
  };
}
