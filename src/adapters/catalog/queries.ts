import { RootlineError } from '../../errors/index.js';
import { getRun, iso, loadRuns, msOf, producerOf } from './runs.js';
import type { SqlQueryable } from './sql.js';
import {
  DEFAULT_MAX_DEPTH,
  type CatalogInput,
  type Change,
  type ColumnSource,
  type Consumer,
  type LineageHealth,
  type Provenance,
  type ProvenanceRun,
  type ProvenanceTreeNode,
  type QueryOptions,
  type RunDiff,
  type RunRef,
  type StoredRun,
} from './types.js';

function bounds(options: QueryOptions): { at: number; maxDepth: number } {
  const at = options.at ?? Date.now();
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isFinite(at)) throw new RootlineError('INVALID_ARGUMENT', `at must be a time in milliseconds, got ${at}`);
  if (!Number.isInteger(maxDepth) || maxDepth < 1) {
    throw new RootlineError('INVALID_ARGUMENT', `maxDepth must be a positive integer, got ${maxDepth}`);
  }
  return { at, maxDepth };
}

/** The latest run (at or before `at`) that produced `key`: an output's content hash or version, or a run's data_version. */
export async function producerOfKey(q: SqlQueryable, key: string, at: number): Promise<number | undefined> {
  const rows = await q.query<{ id: number }>(
    `SELECT id::float8 AS id FROM (
       SELECT o.run_pk AS id, o.event_time FROM run_outputs o
       WHERE (o.content_hash = $1 OR o.version = $1) AND o.event_time <= $2
       UNION ALL
       SELECT r.id, r.event_time FROM runs r WHERE r.data_version = $1 AND r.event_time <= $2
     ) x ORDER BY event_time DESC, id DESC LIMIT 1`,
    [key, iso(at)],
  );
  return rows[0]?.id;
}

/**
 * Provenance of a content hash or data_version: the run that produced it and, recursively, the runs
 * that produced each of its inputs, with their hashes, versions, parameters and code versions, back
 * to the sources (inputs no stored run produced). One recursive query, `maxDepth` hops at most.
 */
export async function provenance(q: SqlQueryable, key: string, options: QueryOptions = {}): Promise<Provenance> {
  const { at, maxDepth } = bounds(options);
  const root = await producerOfKey(q, key, at);
  const empty: Provenance = { key, at, root, runs: {}, sources: [], truncated: false };
  if (root === undefined) return empty;
  const walk = await q.query<{ run_pk: number; depth: number }>(
    `WITH RECURSIVE walk(run_pk, depth) AS (
       SELECT $1::bigint, 0
       UNION
       SELECT p.run_pk, w.depth + 1
       FROM walk w
       JOIN run_inputs i ON i.run_pk = w.run_pk
       CROSS JOIN LATERAL ${producerOf('$2::timestamptz')} p
       WHERE w.depth <= $3
     )
     SELECT run_pk::float8 AS run_pk, min(depth) AS depth FROM walk GROUP BY run_pk`,
    [root, iso(at), maxDepth],
  );
  const kept = walk.filter((w) => w.depth <= maxDepth);
  const depthOf = new Map(kept.map((w) => [w.run_pk, w.depth]));
  const ids = [...depthOf.keys()];
  const edges = await q.query<EdgeRow>(
    `SELECT i.run_pk::float8 AS run_pk, i.dataset, i.content_hash, i.version, i.role, p.run_pk::float8 AS producer
     FROM run_inputs i LEFT JOIN LATERAL ${producerOf('$2::timestamptz')} p ON true
     WHERE i.run_pk IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint)
     ORDER BY i.run_pk, i.dataset`,
    [JSON.stringify(ids), iso(at)],
  );
  const runs: Record<number, ProvenanceRun> = {};
  for (const run of await loadRuns(q, ids)) runs[run.id] = { ...run, depth: depthOf.get(run.id)!, inputs: [] };
  const sources = new Map<string, CatalogInput>();
  for (const e of edges) {
    const input = toInput(e);
    runs[e.run_pk]!.inputs.push({ ...input, producer: e.producer });
    if (e.producer === null) sources.set(JSON.stringify([input.dataset, input.content_hash, input.version]), input);
  }
  return {
    ...empty,
    runs,
    sources: [...sources.values()].sort((a, b) => a.dataset.localeCompare(b.dataset)),
    truncated: walk.length > kept.length,
  };
}

interface EdgeRow {
  run_pk: number;
  dataset: string;
  content_hash: string | null;
  version: string | null;
  role: string | null;
  producer: number | null;
}

function toInput(e: EdgeRow): CatalogInput {
  const input: CatalogInput = { dataset: e.dataset };
  if (e.content_hash !== null) input.content_hash = e.content_hash;
  if (e.version !== null) input.version = e.version;
  if (e.role !== null) input.role = e.role;
  return input;
}

/** Expands a provenance DAG into a tree from its root; a run met again becomes `{ ref: id }`. */
export function provenanceTree(p: Provenance): ProvenanceTreeNode | undefined {
  const seen = new Set<number>();
  const expand = (id: number): ProvenanceTreeNode | { ref: number } => {
    const run = p.runs[id];
    if (run === undefined || seen.has(id)) return { ref: id };
    seen.add(id);
    const { inputs, ...rest } = run;
    return {
      run: rest,
      inputs: inputs.map(({ producer, ...input }) => ({
        ...input,
        producer: producer === null ? null : expand(producer),
      })),
    };
  };
  if (p.root === undefined) return undefined;
  const tree = expand(p.root);
  return 'ref' in tree ? undefined : tree;
}

/**
 * Every run downstream of a content hash or data_version: the runs that read it, then the runs that
 * read what those wrote, and so on (`maxDepth` hops), each once at its smallest depth.
 */
export async function consumers(q: SqlQueryable, key: string, options: QueryOptions = {}): Promise<Consumer[]> {
  const { at, maxDepth } = bounds(options);
  const root = (await producerOfKey(q, key, at)) ?? null;
  // Candidate readers of an output o, each branch on its own index: the same hash; the same version (no
  // hash); neither, read between o and the next write of the dataset. The producer definition then
  // confirms each candidate, so consumers stay the exact inverse of provenance.
  const readers = `CROSS JOIN LATERAL (
       SELECT c.run_pk, c.dataset, c.content_hash, c.version, c.event_time FROM run_inputs c
       WHERE o.content_hash IS NOT NULL AND c.content_hash = o.content_hash AND c.dataset = o.dataset
       UNION ALL
       SELECT c.run_pk, c.dataset, c.content_hash, c.version, c.event_time FROM run_inputs c
       WHERE o.version IS NOT NULL AND c.content_hash IS NULL AND c.version = o.version AND c.dataset = o.dataset
       UNION ALL
       SELECT c.run_pk, c.dataset, c.content_hash, c.version, c.event_time FROM run_inputs c
       WHERE c.content_hash IS NULL AND c.version IS NULL AND c.dataset = o.dataset AND c.event_time >= o.event_time
         AND c.event_time < coalesce((SELECT min(n.event_time) FROM run_outputs n
                                      WHERE n.dataset = o.dataset AND n.event_time > o.event_time), 'infinity')
     ) i
     CROSS JOIN LATERAL ${producerOf('$2::timestamptz')} p`;
  const rows = await q.query<{ run_pk: number; depth: number; via_dataset: string; upstream_run: number | null }>(
    `WITH RECURSIVE down(run_pk, depth, via_dataset, upstream_run) AS (
       SELECT i.run_pk, 1, i.dataset, NULL::bigint FROM run_inputs i
       WHERE (i.content_hash = $1 OR i.version = $1) AND i.event_time <= $2::timestamptz
       UNION
       SELECT i.run_pk, 1, i.dataset, o.run_pk FROM run_outputs o ${readers}
       WHERE o.run_pk = $3::bigint AND p.run_pk = o.run_pk AND i.run_pk <> o.run_pk AND i.event_time <= $2::timestamptz
       UNION
       SELECT i.run_pk, d.depth + 1, i.dataset, d.run_pk
       FROM down d JOIN run_outputs o ON o.run_pk = d.run_pk ${readers}
       WHERE p.run_pk = o.run_pk AND i.run_pk <> o.run_pk AND i.event_time <= $2::timestamptz AND d.depth < $4
     )
     SELECT run_pk::float8 AS run_pk, depth, via_dataset, upstream_run::float8 AS upstream_run FROM down
     ORDER BY depth, upstream_run NULLS LAST, run_pk`,
    [key, iso(at), root, maxDepth],
  );
  const first = new Map<number, (typeof rows)[number]>();
  for (const r of rows) if (r.run_pk !== root && !first.has(r.run_pk)) first.set(r.run_pk, r);
  const loaded = new Map((await loadRuns(q, [...first.keys()])).map((r) => [r.id, r]));
  return [...first.values()].map((r) => ({
    run: loaded.get(r.run_pk)!,
    depth: r.depth,
    via_dataset: r.via_dataset,
    upstream_run: r.upstream_run,
  }));
}

/**
 * The sources of a node's output column through column lineage: each step names the column explained
 * and the upstream column it comes from, following the producer of that upstream dataset (as the
 * reading run saw it) until no stored run explains a column further.
 */
export async function columnSources(
  q: SqlQueryable,
  target: { node: string; column: string; pipeline?: string },
  options: QueryOptions = {},
): Promise<ColumnSource[]> {
  const { at, maxDepth } = bounds(options);
  const start = await q.query<{ id: number }>(
    `SELECT r.id::float8 AS id FROM runs r
     WHERE r.node = $1 AND ($2::text IS NULL OR r.pipeline = $2) AND r.event_time <= $3
       AND EXISTS (SELECT 1 FROM column_lineage c WHERE c.run_pk = r.id AND c.column_name = $4)
     ORDER BY r.event_time DESC, r.id DESC LIMIT 1`,
    [target.node, target.pipeline ?? null, iso(at), target.column],
  );
  if (start[0] === undefined) return [];
  const rows = await q.query<Omit<ColumnSource, 'terminal'>>(
    `WITH RECURSIVE col(depth, run_pk, dataset, column_name, source_dataset, source_column, transformation) AS (
       SELECT 1, c.run_pk, c.dataset, c.column_name, c.source_dataset, c.source_column, c.transformation
       FROM column_lineage c WHERE c.run_pk = $1::bigint AND c.column_name = $2
       UNION
       SELECT w.depth + 1, c.run_pk, c.dataset, c.column_name, c.source_dataset, c.source_column, c.transformation
       FROM col w
       JOIN run_inputs i ON i.run_pk = w.run_pk AND i.dataset = w.source_dataset
       CROSS JOIN LATERAL ${producerOf('$3::timestamptz')} p
       JOIN column_lineage c ON c.run_pk = p.run_pk AND c.dataset = w.source_dataset AND c.column_name = w.source_column
       WHERE w.depth < $4
     )
     SELECT w.depth, r.pipeline, r.node, w.dataset, w.column_name AS column, w.source_dataset, w.source_column,
            w.transformation
     FROM col w JOIN runs r ON r.id = w.run_pk
     ORDER BY w.depth, w.dataset, w.column_name, w.source_dataset, w.source_column`,
    [start[0].id, target.column, iso(at), maxDepth],
  );
  const explained = new Set(rows.map((r) => `${r.depth}\u0000${r.dataset}\u0000${r.column}`));
  return rows.map((r) => ({
    ...r,
    terminal: !explained.has(`${r.depth + 1}\u0000${r.source_dataset}\u0000${r.source_column}`),
  }));
}

function changes<T>(a: Record<string, T>, b: Record<string, T>): Record<string, Change<T>> {
  const out: Record<string, Change<T>> = {};
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) out[key] = { a: a[key], b: b[key] };
  }
  return out;
}

const byDataset = <T extends { dataset: string }>(list: readonly T[]) =>
  Object.fromEntries(list.map((x) => [x.dataset, x]));

/** What differs between two stored runs: fields, parameters, metrics, inputs and outputs (hashes, versions, schema). */
export async function diffRuns(q: SqlQueryable, refA: RunRef, refB: RunRef): Promise<RunDiff> {
  const [a, b] = await Promise.all([getRun(q, refA), getRun(q, refB)]);
  for (const [ref, run] of [
    [refA, a],
    [refB, b],
  ] as const) {
    if (run === undefined) {
      throw new RootlineError('NOT_FOUND', `no stored run ${ref.pipeline}/${ref.node}/${ref.run_id}`);
    }
  }
  const fieldsOf = (r: StoredRun): Record<string, unknown> => ({
    node: r.node,
    status: r.status,
    healthy: r.healthy,
    code_version: r.code_version,
    data_version: r.data_version,
  });
  return {
    a: a!,
    b: b!,
    fields: changes(fieldsOf(a!), fieldsOf(b!)),
    params: changes(a!.params ?? {}, b!.params ?? {}),
    metrics: changes(a!.metrics ?? {}, b!.metrics ?? {}),
    inputs: changes(byDataset(a!.inputs), byDataset(b!.inputs)),
    outputs: changes(byDataset(a!.outputs), byDataset(b!.outputs)),
  };
}

/** Coverage and orphans over the runs stored up to `at`. */
export async function lineageHealth(q: SqlQueryable, options: { at?: number } = {}): Promise<LineageHealth> {
  const { at } = bounds(options);
  const rows = await q.query<{ kind: string; name: string }>(
    `WITH produced AS (SELECT DISTINCT dataset FROM run_outputs WHERE event_time <= $1),
          read AS (SELECT DISTINCT dataset FROM run_inputs WHERE event_time <= $1)
     SELECT 'node' AS kind, pipeline || '/' || node AS name FROM runs WHERE event_time <= $1 GROUP BY pipeline, node
     UNION ALL SELECT 'produced', dataset FROM produced
     UNION ALL SELECT 'read', dataset FROM read
     ORDER BY 1, 2`,
    [iso(at)],
  );
  const of = (kind: string) => rows.filter((r) => r.kind === kind).map((r) => r.name);
  const produced = new Set(of('produced'));
  const read = new Set(of('read'));
  return {
    at,
    nodes: of('node').length,
    datasets: new Set([...produced, ...read]).size,
    datasetsWithProducer: produced.size,
    readNeverProduced: [...read].filter((d) => !produced.has(d)),
    producedNeverRead: [...produced].filter((d) => !read.has(d)),
  };
}

/** Event time of the newest stored run, or undefined when the catalog is empty. */
export async function latestEventTime(q: SqlQueryable): Promise<number | undefined> {
  const rows = await q.query<{ t: number | null }>(`SELECT ${msOf('max(event_time)')} AS t FROM runs`);
  return rows[0]?.t ?? undefined;
}
