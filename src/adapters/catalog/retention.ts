import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RootlineError } from '../../errors/index.js';
import { iso, loadRuns } from './runs.js';
import type { SqlClient } from './sql.js';
import type { RetentionResult } from './types.js';

/** Options of `applyRetention`. */
export interface RetentionOptions {
  /** Runs whose event time is before this (ms since the epoch) are deleted, with their inputs, outputs and edges. */
  before: number;
  /** When set, each expired run is appended to this file as one JSON line (a `StoredRun`) before it is deleted. */
  exportPath?: string;
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
  if (options.exportPath !== undefined) await mkdir(dirname(options.exportPath), { recursive: true });
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
      if (options.exportPath !== undefined) {
        const runs = await loadRuns(tx, ids);
        await appendFile(options.exportPath, runs.map((r) => `${JSON.stringify(r)}\n`).join(''));
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
  return { deleted, exported, exportPath: options.exportPath };
}
