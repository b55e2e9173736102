import { Catalog, type CatalogOptions, type CatalogRun, type WriteResult } from '../adapters/catalog/index.js';
import type { Report } from '../contract/index.js';
import { RootlineError, errorMessage, isRootlineError } from '../errors/index.js';
import { retry } from '../errors/retry.js';
import type { NodeRef } from '../lineage/graph.js';
import type { CoreOutput, MetricPoint } from '../monitor/index.js';
import { lineageHealthReport, type LineageHealthReport } from '../adapters/catalog/health.js';
import { ownerOf, type RuleSet } from '../rules/index.js';
import type { Logger } from './log.js';

/** Where the catalog's runs go: a {@link Catalog} in production. */
export interface CatalogStore {
  writeRuns(runs: readonly CatalogRun[]): Promise<WriteResult>;
}

/**
 * The `catalog.url` setting as the catalog's options: `postgres://...` (or `postgresql://...`) is a PostgreSQL
 * server, `pglite:` the embedded catalog in memory, `pglite:<dir>` the embedded catalog kept in a folder, `none`
 * no catalog (undefined).
 * @throws RootlineError `CONFIG_INVALID` for anything else.
 */
export function parseCatalogUrl(url: string, schema?: string): CatalogOptions | undefined {
  const u = url.trim();
  if (u === 'none' || u === '') return undefined;
  if (u.startsWith('pglite:')) {
    const dir = u.slice('pglite:'.length);
    return dir === '' || dir === 'memory' ? { driver: 'pglite' } : { driver: 'pglite', dataDir: dir };
  }
  if (/^postgres(ql)?:\/\//.test(u))
    return { driver: 'pg', connectionString: u, ...(schema !== undefined && schema !== '' ? { schema } : {}) };
  throw new RootlineError(
    'CONFIG_INVALID',
    `catalog url must be postgres://..., pglite:, pglite:<dir> or none, got ${JSON.stringify(url.slice(0, 40))}`,
  );
}

/** Opens the catalog the setting names (undefined for `none`); migrations are applied here. */
export async function openCatalog(url: string, schema?: string): Promise<Catalog | undefined> {
  const options = parseCatalogUrl(url, schema);
  return options === undefined ? undefined : Catalog.open(options);
}

/** A place to hold user-provided names as keys. */
function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * A report as the catalog stores it. `healthy` is the monitor's verdict on the run. `outputsOf(ref, at)` names the
 * datasets the upstream node `ref` wrote in its latest run at or before `at` (the monitor's history): a column
 * lineage source names a node, the catalog wants the dataset the run read from it.
 */
export function catalogRunOf(
  report: Report,
  healthy: boolean,
  outputsOf: (ref: NodeRef, at: number) => readonly string[] | undefined = () => undefined,
): CatalogRun {
  const at = Date.parse(report.event_time);
  const metrics = dict<number>();
  for (const o of report.outputs ?? []) {
    const p = o.profile;
    if (p?.row_count !== undefined) metrics[`${o.dataset}.row_count`] = p.row_count;
    for (const [column, c] of Object.entries(p?.columns ?? {}))
      if (c.count > 0) metrics[`${o.dataset}.${column}.null_ratio`] = c.null_count / c.count;
  }
  const run: CatalogRun = {
    pipeline: report.pipeline,
    node: report.node,
    run_id: report.run_id,
    event_id: report.event_id,
    event_time: at,
    status: report.status ?? 'success',
    healthy,
    metrics,
    inputs: (report.inputs ?? []).map((i) => ({
      dataset: i.dataset,
      ...(i.profile?.content_hash !== undefined ? { content_hash: i.profile.content_hash } : {}),
      ...(i.version !== undefined ? { version: i.version } : {}),
    })),
    outputs: (report.outputs ?? []).map((o) => ({
      dataset: o.dataset,
      ...(o.profile?.content_hash !== undefined ? { content_hash: o.profile.content_hash } : {}),
      ...(o.version !== undefined ? { version: o.version } : {}),
      ...(o.profile?.row_count !== undefined ? { row_count: o.profile.row_count } : {}),
      ...(o.profile?.schema_fingerprint !== undefined ? { schema_fingerprint: o.profile.schema_fingerprint } : {}),
    })),
    upstream: (report.upstream ?? []).map((u) => ({
      pipeline: u.pipeline ?? report.pipeline,
      node: u.node,
      ...(u.run_id !== undefined ? { run_id: u.run_id } : {}),
    })),
  };
  if (report.code_version !== undefined) run.code_version = report.code_version;
  if (report.data_version !== undefined) run.data_version = report.data_version;
  if (report.params !== undefined) run.params = report.params;
  if (report.column_lineage !== undefined) {
    const read = new Set(run.inputs.map((i) => i.dataset));
    const datasetOf = (node: string): string => {
      const pipeline = report.upstream?.find((u) => u.node === node)?.pipeline ?? report.pipeline;
      const written = outputsOf({ pipeline, node }, at) ?? [];
      // The upstream's output this run read; else what it wrote; else the node's name stands for its data.
      return written.find((d) => read.has(d)) ?? written[0] ?? node;
    };
    run.column_lineage = Object.entries(report.column_lineage).map(([column, sources]) => ({
      column,
      sources: sources.map((s) => ({ dataset: datasetOf(s.node), column: s.column })),
    }));
  }
  // Column lineage keyed by dataset and column (an output's column_lineage, from OpenLineage): stored as it is.
  for (const o of report.outputs ?? [])
    for (const [column, sources] of Object.entries(o.column_lineage ?? {}))
      (run.column_lineage ??= []).push({
        dataset: o.dataset,
        column,
        sources: sources.map((s) => ({ dataset: s.dataset, column: s.column })),
      });
  return run;
}

/**
 * The runs a batch recorded, for the catalog: one per report the core processed (duplicates and reports it refused
 * are not runs), with the core's verdict.
 */
export function catalogRunsOf(
  reports: readonly Report[],
  out: Pick<CoreOutput, 'runs'>,
  outputsOf?: (ref: NodeRef, at: number) => readonly string[] | undefined,
): CatalogRun[] {
  const verdict = new Map<string, boolean>();
  for (const r of out.runs) verdict.set(r.run.event_id, r.run.healthy);
  const runs: CatalogRun[] = [];
  const seen = new Set<string>();
  for (const report of reports) {
    const healthy = verdict.get(report.event_id);
    if (healthy === undefined || seen.has(report.event_id)) continue;
    seen.add(report.event_id);
    runs.push(catalogRunOf(report, healthy, outputsOf));
  }
  return runs;
}

/** Options of {@link writeCatalog}. */
export interface WriteCatalogOptions {
  /** Longest wait between tries while the catalog is down. */
  maxDelayMs: number;
  /** When true, a wait ends and the write fails (shutdown, lost partition). */
  stopped: () => boolean;
  /** Called about once a second while waiting (Kafka heartbeats). */
  heartbeat?: () => Promise<void>;
  onWritten?: (seconds: number, result: WriteResult) => void;
  onRetry?: (err: unknown, attempt: number, waitMs: number) => void;
  /** A run the catalog refuses (not an outage: the statement fails on this run's data); it is left out. */
  onRejected?: (err: unknown, run: CatalogRun) => void;
}

/**
 * Writes a batch's runs to the catalog. An outage (a retriable error: connection refused or lost, server
 * shutting down, serialization failure) is retried with backoff through the one retry policy for as long as it
 * lasts; the batch waits, its offsets uncommitted. A write the catalog refuses for its data is narrowed down by
 * bisection to the runs it refuses, which are left out (and reported), so one unstorable report cannot stop a
 * partition. Writes are idempotent, so writing a run twice changes nothing.
 */
export async function writeCatalog(
  store: CatalogStore,
  runs: readonly CatalogRun[],
  o: WriteCatalogOptions,
): Promise<{ written: number; duplicates: number; refused: number }> {
  const total = { written: 0, duplicates: 0, refused: 0 };
  const write = (slice: readonly CatalogRun[]) =>
    retry(
      async () => {
        const t0 = process.hrtime.bigint();
        const res = await store.writeRuns(slice);
        o.onWritten?.(Number(process.hrtime.bigint() - t0) / 1e9, res);
        total.written += res.written;
        total.duplicates += res.duplicates;
      },
      {
        backoff: { initialMs: 200, maxMs: o.maxDelayMs },
        retriable: (err) => !refusedForData(err),
        stopped: o.stopped,
        stopError: (err) =>
          new RootlineError('SERVICE_UNAVAILABLE', 'stopping while catalog writes are failing', { cause: err }),
        ...(o.heartbeat ? { onWait: o.heartbeat } : {}),
        ...(o.onRetry ? { onRetry: o.onRetry } : {}),
      },
    );
  const narrow = async (from: number, to: number): Promise<void> => {
    if (from >= to) return;
    try {
      await write(runs.slice(from, to));
    } catch (err: unknown) {
      if (!refusedForData(err) || o.stopped()) throw err;
      if (to - from > 1) {
        const mid = from + Math.ceil((to - from) / 2);
        await narrow(from, mid);
        await narrow(mid, to);
        return;
      }
      total.refused += 1;
      o.onRejected?.(err, runs[from]!);
    }
  };
  await narrow(0, runs.length);
  return total;
}

/**
 * Whether the catalog refused a write for its data (SQLSTATE class 22 data exception, 23 integrity violation, 54
 * program limit, or a run without its identifiers): writing it again cannot succeed. Anything else (a connection
 * refused or lost, a timeout, a server shutting down) is an outage, retried.
 */
export function refusedForData(err: unknown): boolean {
  if (isRootlineError(err, 'INVALID_ARGUMENT')) return true;
  for (let e: unknown = err, i = 0; e !== undefined && e !== null && i < 5; i++) {
    const x = e as { code?: unknown; details?: { sqlState?: unknown }; cause?: unknown };
    for (const c of [x.details?.sqlState, x.code])
      if (typeof c === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(c)) return true;
    e = x.cause;
  }
  return false;
}

/** Every expired run's export file name: one JSON Lines file per retention pass. */
export function retentionExportPath(dir: string, now: number, format: 'jsonl' | 'parquet' = 'jsonl'): string {
  return `${dir.replace(/\/+$/, '')}/catalog-expired-${new Date(now).toISOString().replace(/[:.]/g, '-')}.${format}`;
}

/** Options of {@link startRetention}. */
export interface RetentionTickerOptions {
  /** Runs older than this (by event time) are deleted. */
  retentionMs: number;
  intervalMs: number;
  /** When set, expired runs are exported there first. */
  exportDir?: string | undefined;
  /** JSON Lines (one file per pass, default) or Parquet (one file per batch of 1,000 runs). */
  exportFormat?: 'jsonl' | 'parquet' | undefined;
  logger: Logger;
  onError?: (err: unknown) => void;
  now?: () => number;
}

/**
 * Applies the retention now and every `intervalMs`: expired runs are exported (with `exportDir`) and deleted.
 * Passes never overlap; a failed pass is logged and tried again at the next one. Returns the stopper, which waits
 * for a pass in progress.
 */
export function startRetention(
  catalog: Pick<Catalog, 'applyRetention'>,
  o: RetentionTickerOptions,
): () => Promise<void> {
  const now = o.now ?? Date.now;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const pass = async () => {
    const t = now();
    try {
      const res = await catalog.applyRetention({
        before: t - o.retentionMs,
        ...(o.exportDir
          ? { exportPath: retentionExportPath(o.exportDir, t, o.exportFormat), exportFormat: o.exportFormat ?? 'jsonl' }
          : {}),
      });
      if (res.deleted > 0)
        o.logger.info(
          { deleted: res.deleted, exported: res.exported, exportFiles: res.exportFiles },
          'catalog retention',
        );
    } catch (err: unknown) {
      o.onError?.(err);
      o.logger.warn({ err: catalogErrorText(err) }, 'catalog retention failed; tried again at the next pass');
    }
  };
  running = pass();
  const timer = setInterval(() => {
    if (stopped) return;
    running = running.then(pass);
  }, o.intervalMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}

/** The InfluxDB measurement of the catalog's lineage health (the lineage-health dashboard's catalog panels). */
export const LINEAGE_HEALTH_MEASUREMENT = 'rootline_lineage_health';

/** The lineage-health point: coverage, gaps, orphans and lineage changes of the catalog at `at`. */
export function lineageHealthPoint(h: LineageHealthReport, instance: string): MetricPoint {
  return {
    measurement: LINEAGE_HEALTH_MEASUREMENT,
    tags: { instance },
    time: h.at,
    fields: {
      node_coverage: h.coverage.node_coverage,
      dataset_coverage: h.coverage.dataset_coverage,
      nodes: h.nodes,
      datasets: h.datasets,
      missed_runs: h.missed_runs,
      overdue_nodes: h.gaps.filter((g) => g.overdue_runs > 0).length,
      silent_nodes: h.silent_nodes.length,
      read_never_produced: h.orphans.read_never_produced.length,
      produced_never_read: h.orphans.produced_never_read.length,
      nodes_without_owner: h.orphans.nodes_without_owner.length,
      lineage_changes: h.changes.length,
    },
  };
}

/**
 * Computes the catalog's lineage health every `intervalMs` (over the 7 days before now) and writes it to the sink as
 * one point; a failed pass is logged and tried at the next one. Returns the stopper.
 */
export function startLineageHealth(
  catalog: Pick<Catalog, 'sql'>,
  o: {
    intervalMs: number;
    instance: string;
    sink: { write(points: readonly MetricPoint[]): Promise<void> };
    rules?: () => RuleSet;
    logger: Logger;
    onError?: (err: unknown) => void;
  },
): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  const pass = async () => {
    try {
      const rules = o.rules?.();
      const h = await lineageHealthReport(catalog.sql, {
        ...(rules ? { ownerOf: (t: { pipeline: string; node: string }) => ownerOf(rules, t)?.team } : {}),
      });
      await o.sink.write([lineageHealthPoint(h, o.instance)]);
    } catch (err: unknown) {
      o.onError?.(err);
      o.logger.warn(
        { err: catalogErrorText(err) },
        'lineage health of the catalog failed; tried again at the next pass',
      );
    }
  };
  running = pass();
  const timer = setInterval(() => {
    running = running.then(pass);
  }, o.intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

/** A short reason for logs. */
export function catalogErrorText(err: unknown): string {
  return errorMessage(err).slice(0, 300);
}
