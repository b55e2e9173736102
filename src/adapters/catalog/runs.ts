import type { SqlQueryable } from './sql.js';
import type { CatalogColumnLineage, CatalogInput, CatalogOutput, RunRef, StoredRun } from './types.js';

/** Milliseconds as a timestamptz parameter (both drivers bind text the same way). */
export const iso = (ms: number): string => new Date(ms).toISOString();

/** A SQL expression giving a timestamptz column as float milliseconds since the epoch. */
export const msOf = (col: string): string => `(extract(epoch from ${col}) * 1000)::float8`;

const RUN_COLUMNS = `r.id::float8 AS id, r.pipeline, r.node, r.run_id, r.event_id, ${msOf('r.event_time')} AS event_time,
  r.status, r.healthy, r.code_version, r.data_version, r.params, r.metrics, ${msOf('r.recorded_at')} AS recorded_at,
  (SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object('dataset', x.dataset, 'content_hash', x.content_hash,
     'version', x.version, 'role', x.role)) ORDER BY x.dataset), '[]'::jsonb)
   FROM run_inputs x WHERE x.run_pk = r.id) AS inputs,
  (SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object('dataset', x.dataset, 'content_hash', x.content_hash,
     'version', x.version, 'role', x.role, 'row_count', x.row_count, 'schema_fingerprint', x.schema_fingerprint))
     ORDER BY x.dataset), '[]'::jsonb)
   FROM run_outputs x WHERE x.run_pk = r.id) AS outputs,
  (SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object('pipeline', x.upstream_pipeline, 'node', x.upstream_node,
     'run_id', x.upstream_run_id)) ORDER BY x.upstream_pipeline, x.upstream_node), '[]'::jsonb)
   FROM lineage_edges x WHERE x.run_pk = r.id) AS upstream,
  (SELECT coalesce(jsonb_agg(c ORDER BY c->>'dataset', c->>'column'), '[]'::jsonb) FROM (
     SELECT jsonb_strip_nulls(jsonb_build_object('dataset', x.dataset, 'column', x.column_name,
       'transformation', x.transformation,
       'sources', jsonb_agg(jsonb_build_object('dataset', x.source_dataset, 'column', x.source_column)
         ORDER BY x.source_dataset, x.source_column))) AS c
     FROM column_lineage x WHERE x.run_pk = r.id GROUP BY x.dataset, x.column_name, x.transformation) s) AS column_lineage`;

interface RunRow {
  id: number;
  pipeline: string;
  node: string;
  run_id: string;
  event_id: string;
  event_time: number;
  status: string;
  healthy: boolean;
  code_version: string | null;
  data_version: string | null;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  recorded_at: number;
  inputs: CatalogInput[];
  outputs: CatalogOutput[];
  upstream: { pipeline: string; node: string; run_id?: string }[];
  column_lineage: CatalogColumnLineage[];
}

function toStored(row: RunRow): StoredRun {
  const run: StoredRun = {
    id: row.id,
    pipeline: row.pipeline,
    node: row.node,
    run_id: row.run_id,
    event_id: row.event_id,
    event_time: row.event_time,
    status: row.status,
    healthy: row.healthy,
    params: row.params,
    metrics: row.metrics,
    inputs: row.inputs,
    outputs: row.outputs,
    upstream: row.upstream,
    recorded_at: row.recorded_at,
  };
  if (row.code_version !== null) run.code_version = row.code_version;
  if (row.data_version !== null) run.data_version = row.data_version;
  if (row.column_lineage.length > 0) run.column_lineage = row.column_lineage;
  return run;
}

/** Loads runs with their inputs, outputs, edges and column lineage, by catalog id, in id order. */
export async function loadRuns(q: SqlQueryable, ids: readonly number[]): Promise<StoredRun[]> {
  if (ids.length === 0) return [];
  const rows = await q.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM runs r
     WHERE r.id IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint) ORDER BY r.id`,
    [JSON.stringify(ids)],
  );
  return rows.map(toStored);
}

/** Loads one run by its natural key; undefined when it is not stored. */
export async function getRun(q: SqlQueryable, ref: RunRef): Promise<StoredRun | undefined> {
  const rows = await q.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM runs r WHERE r.pipeline = $1 AND r.node = $2 AND r.run_id = $3`,
    [ref.pipeline, ref.node, ref.run_id],
  );
  return rows[0] && toStored(rows[0]);
}

/**
 * The run that produced what input `i` (a row of run_inputs) read, as a LATERAL subquery yielding
 * `run_pk`; `$at` is the parameter holding the time-travel bound. With a content hash (or, failing
 * that, a version) the producer is the run whose output of the same dataset carries it, preferring
 * the latest one at or before the read; with neither, it is the latest run that wrote the dataset at
 * or before the read. Provenance and consumers both use this one definition, so each is the other's
 * inverse.
 */
export function producerOf(at: string): string {
  const common = `o.dataset = i.dataset AND o.run_pk <> i.run_pk AND o.event_time <= ${at}`;
  return `(SELECT b.run_pk FROM (
      (SELECT o.run_pk FROM run_outputs o
       WHERE i.content_hash IS NOT NULL AND o.content_hash = i.content_hash AND ${common}
         AND (i.version IS NULL OR o.version = i.version)
       ORDER BY (o.event_time <= i.event_time) DESC, o.event_time DESC, o.run_pk DESC LIMIT 1)
      UNION ALL
      (SELECT o.run_pk FROM run_outputs o
       WHERE i.content_hash IS NULL AND i.version IS NOT NULL AND o.version = i.version AND ${common}
       ORDER BY (o.event_time <= i.event_time) DESC, o.event_time DESC, o.run_pk DESC LIMIT 1)
      UNION ALL
      (SELECT o.run_pk FROM run_outputs o
       WHERE i.content_hash IS NULL AND i.version IS NULL AND ${common} AND o.event_time <= i.event_time
       ORDER BY o.event_time DESC, o.run_pk DESC LIMIT 1)
    ) b LIMIT 1)`;
}
