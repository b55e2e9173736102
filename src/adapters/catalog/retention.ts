import { appendFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { RootlineError } from '../../errors/index.js';
import { iso, loadRuns } from './runs.js';
import type { SqlClient } from './sql.js';
import type { RetentionResult, StoredRun } from './types.js';

/** How expired runs are exported: JSON Lines (one file, appended) or Parquet (one file per batch). */
export type RetentionExportFormat = 'jsonl' | 'parquet';

/** Options of `applyRetention`. */
export interface RetentionOptions {
  /** Runs whose event time is before this (ms since the epoch) are deleted, with their inputs, outputs and edges. */
  before: number;
  /**
   * When set, each expired run is exported before it is deleted: appended to this file as one JSON line (a
   * `StoredRun`), or with `exportFormat: 'parquet'` written to `<exportPath without .parquet>-<batch>.parquet`,
   * one Parquet file per batch (see `runsToParquet`).
   */
  exportPath?: string;
  /** Default: `parquet` when `exportPath` ends with `.parquet`, else `jsonl`. */
  exportFormat?: RetentionExportFormat;
  /** Runs exported and deleted per transaction. Default 1000. */
  batchSize?: number;
}

/**
 * Deletes the history older than the horizon, optionally exporting it first as JSON Lines. Each batch is
 * exported, then deleted in one transaction: an interruption can repeat a batch's lines in the export
 * (readers keep the first line per event_id) but never loses a run that was not exported.
 */
export async function applyRetention(client: SqlClient, options: RetentionOptions): Promise<RetentionResult> {
  if (!Number.isFinite(options.before)) {
    throw new RootlineError(
      'INVALID_ARGUMENT',
      `retention horizon must be a time in milliseconds, got ${options.before}`,
    );
  }
  const batchSize = options.batchSize ?? 1000;
  const exportPath = options.exportPath;
  if (exportPath !== undefined) await mkdir(dirname(exportPath), { recursive: true });
  const format = options.exportFormat ?? (exportPath?.endsWith('.parquet') ? 'parquet' : 'jsonl');
  const exportFiles: string[] = [];
  let deleted = 0;
  let exported = 0;
  for (;;) {
    const n = await client.transaction(async (tx) => {
      const rows = await tx.query<{ id: number }>(
        'SELECT id::float8 AS id FROM runs WHERE event_time < $1 ORDER BY id LIMIT $2 FOR UPDATE',
        [iso(options.before), batchSize],
      );
      if (rows.length === 0) return 0;
      const ids = rows.map((r) => r.id);
      if (exportPath !== undefined) {
        const runs = await loadRuns(tx, ids);
        if (format === 'parquet') {
          const file = `${exportPath.replace(/\.parquet$/, '')}-${String(exportFiles.length + 1).padStart(5, '0')}.parquet`;
          // written whole under a temporary name, then renamed: a file under the final name is complete
          await writeFile(`${file}.tmp`, new Uint8Array(runsToParquet(runs)));
          await rename(`${file}.tmp`, file);
          exportFiles.push(file);
        } else {
          await appendFile(exportPath, runs.map((r) => `${JSON.stringify(r)}\n`).join(''));
          if (exportFiles.length === 0) exportFiles.push(exportPath);
        }
        exported += runs.length;
      }
      await tx.query('DELETE FROM runs WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint)', [
        JSON.stringify(ids),
      ]);
      return ids.length;
    });
    deleted += n;
    if (n < batchSize) break;
  }
  return { deleted, exported, exportPath, exportFiles };
}

/**
 * Stored runs as a Parquet file (snappy): one row per run; scalar fields as typed columns (`id` INT64,
 * `event_time` and `recorded_at` TIMESTAMP_MILLIS, `healthy` BOOLEAN, the names and versions UTF8), the
 * structured ones (`params`, `metrics`, `inputs`, `outputs`, `upstream`, `column_lineage`) as JSON columns
 * holding what the JSON Lines export holds. Readable by pandas, DuckDB, Spark, hyparquet.
 */
export function runsToParquet(runs: readonly StoredRun[]): ArrayBuffer {
  const text = (f: (r: StoredRun) => string | undefined) => runs.map((r) => f(r) ?? null);
  const json = (f: (r: StoredRun) => unknown) =>
    runs.map((r) => {
      const v = f(r);
      return v === undefined ? null : JSON.stringify(v);
    });
  return parquetWriteBuffer({
    columnData: [
      { name: 'id', data: runs.map((r) => BigInt(r.id)), type: 'INT64', nullable: false },
      { name: 'event_id', data: text((r) => r.event_id), type: 'STRING', nullable: false },
      { name: 'pipeline', data: text((r) => r.pipeline), type: 'STRING', nullable: false },
      { name: 'node', data: text((r) => r.node), type: 'STRING', nullable: false },
      { name: 'run_id', data: text((r) => r.run_id), type: 'STRING', nullable: false },
      { name: 'event_time', data: runs.map((r) => new Date(r.event_time)), type: 'TIMESTAMP', nullable: false },
      { name: 'recorded_at', data: runs.map((r) => new Date(r.recorded_at)), type: 'TIMESTAMP', nullable: false },
      { name: 'status', data: text((r) => r.status), type: 'STRING', nullable: false },
      { name: 'healthy', data: runs.map((r) => r.healthy), type: 'BOOLEAN', nullable: false },
      { name: 'code_version', data: text((r) => r.code_version), type: 'STRING' },
      { name: 'data_version', data: text((r) => r.data_version), type: 'STRING' },
      { name: 'params', data: json((r) => r.params), type: 'JSON' },
      { name: 'metrics', data: json((r) => r.metrics), type: 'JSON' },
      { name: 'inputs', data: json((r) => r.inputs), type: 'JSON', nullable: false },
      { name: 'outputs', data: json((r) => r.outputs), type: 'JSON', nullable: false },
      { name: 'upstream', data: json((r) => r.upstream), type: 'JSON', nullable: false },
      { name: 'column_lineage', data: json((r) => r.column_lineage), type: 'JSON' },
    ],
  });
}
