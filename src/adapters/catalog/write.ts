import { RootlineError } from '../../errors/index.js';
import type { SqlClient, SqlQueryable } from './sql.js';
import type { CatalogRun, WriteResult } from './types.js';

const iso = (ms: number) => new Date(ms).toISOString();

function check(run: CatalogRun): void {
  for (const key of ['pipeline', 'node', 'run_id', 'event_id', 'status'] as const) {
    if (typeof run[key] !== 'string' || run[key] === '') {
      throw new RootlineError(
        'INVALID_ARGUMENT',
        `catalog run ${JSON.stringify(run.event_id)}: ${key} must be a non-empty string`,
      );
    }
  }
  if (!Number.isFinite(run.event_time)) {
    throw new RootlineError(
      'INVALID_ARGUMENT',
      `catalog run ${run.event_id}: event_time must be a number of milliseconds`,
    );
  }
}

/**
 * Stores a batch of runs in one transaction (the monitor calls it before committing its offsets).
 * Idempotent: a run whose event_id, or whose pipeline/node/run_id, is already stored is left exactly as
 * it was (identifiers are immutable), so a redelivered batch changes nothing. A handful of statements per
 * batch, whatever its size: rows travel as one JSON parameter per table.
 */
export async function writeRuns(client: SqlClient, runs: readonly CatalogRun[]): Promise<WriteResult> {
  if (runs.length === 0) return { written: 0, duplicates: 0 };
  runs.forEach(check);
  return client.transaction(async (tx) => {
    const inserted = await insertRuns(tx, runs);
    const byEvent = new Map(runs.map((r) => [r.event_id, r]));
    const inputs: object[] = [];
    const outputs: object[] = [];
    const edges: object[] = [];
    const columns: object[] = [];
    for (const { id, event_id } of inserted) {
      const run = byEvent.get(event_id)!;
      const t = iso(run.event_time);
      for (const i of run.inputs) inputs.push({ run_pk: id, event_time: t, ...i });
      for (const o of run.outputs) outputs.push({ run_pk: id, event_time: t, ...o });
      for (const u of run.upstream) edges.push({ run_pk: id, ...u });
      for (const c of run.column_lineage ?? []) {
        const dataset = c.dataset ?? run.outputs[0]?.dataset ?? '';
        for (const s of c.sources) {
          columns.push({
            run_pk: id,
            dataset,
            column_name: c.column,
            source_dataset: s.dataset,
            source_column: s.column,
            transformation: c.transformation,
          });
        }
      }
    }
    await insertChildren(tx, inputs, outputs, edges, columns);
    return { written: inserted.length, duplicates: runs.length - inserted.length };
  });
}

async function insertRuns(tx: SqlQueryable, runs: readonly CatalogRun[]) {
  const rows = runs.map((r, ord) => ({
    ord,
    pipeline: r.pipeline,
    node: r.node,
    run_id: r.run_id,
    event_id: r.event_id,
    event_time: iso(r.event_time),
    status: r.status,
    healthy: r.healthy,
    code_version: r.code_version,
    data_version: r.data_version,
    params: r.params ?? {},
    metrics: r.metrics ?? {},
  }));
  // ORDER BY ord keeps ids ascending in batch order; ON CONFLICT without a target covers both natural keys.
  return tx.query<{ id: number; event_id: string }>(
    `INSERT INTO runs (pipeline, node, run_id, event_id, event_time, status, healthy, code_version, data_version, params, metrics)
     SELECT x.pipeline, x.node, x.run_id, x.event_id, x.event_time, x.status, x.healthy, x.code_version, x.data_version,
            coalesce(x.params, '{}'::jsonb), coalesce(x.metrics, '{}'::jsonb)
     FROM jsonb_to_recordset($1::jsonb) AS x(pipeline text, node text, run_id text, event_id text,
       event_time timestamptz, status text, healthy boolean, code_version text, data_version text, params jsonb,
       metrics jsonb, ord bigint)
     ORDER BY x.ord
     ON CONFLICT DO NOTHING
     RETURNING id::float8 AS id, event_id`,
    [JSON.stringify(rows)],
  );
}

async function insertChildren(
  tx: SqlQueryable,
  inputs: object[],
  outputs: object[],
  edges: object[],
  columns: object[],
) {
  if (inputs.length > 0) {
    await tx.query(
      `INSERT INTO run_inputs (run_pk, dataset, content_hash, version, role, event_time)
       SELECT x.run_pk, x.dataset, x.content_hash, x.version, x.role, x.event_time
       FROM jsonb_to_recordset($1::jsonb) AS x(run_pk bigint, dataset text, content_hash text, version text, role text,
         event_time timestamptz)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(inputs)],
    );
  }
  if (outputs.length > 0) {
    await tx.query(
      `INSERT INTO run_outputs (run_pk, dataset, content_hash, version, role, row_count, schema_fingerprint, event_time)
       SELECT x.run_pk, x.dataset, x.content_hash, x.version, x.role, x.row_count, x.schema_fingerprint, x.event_time
       FROM jsonb_to_recordset($1::jsonb) AS x(run_pk bigint, dataset text, content_hash text, version text, role text,
         row_count bigint, schema_fingerprint text, event_time timestamptz)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(outputs)],
    );
  }
  if (edges.length > 0) {
    await tx.query(
      `INSERT INTO lineage_edges (run_pk, upstream_pipeline, upstream_node, upstream_run_id)
       SELECT x.run_pk, x.pipeline, x.node, x.run_id
       FROM jsonb_to_recordset($1::jsonb) AS x(run_pk bigint, pipeline text, node text, run_id text)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(edges)],
    );
  }
  if (columns.length > 0) {
    await tx.query(
      `INSERT INTO column_lineage (run_pk, dataset, column_name, source_dataset, source_column, transformation)
       SELECT x.run_pk, x.dataset, x.column_name, x.source_dataset, x.source_column, x.transformation
       FROM jsonb_to_recordset($1::jsonb) AS x(run_pk bigint, dataset text, column_name text, source_dataset text,
         source_column text, transformation text)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(columns)],
    );
  }
}
