import type { SqlClient } from './sql.js';

/**
 * The catalog's schema, as numbered migrations. Each is applied once, in order, in one transaction
 * with its row in `catalog_schema_version`; applying them again is a no-op. Never edit a released
 * migration: add the next one.
 */
export const MIGRATIONS: readonly { version: number; description: string; statements: readonly string[] }[] = [
  {
    version: 1,
    description: 'runs, their inputs and outputs, lineage edges and column lineage',
    statements: [
      `CREATE TABLE runs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        pipeline text NOT NULL,
        node text NOT NULL,
        run_id text NOT NULL,
        event_id text NOT NULL UNIQUE,
        event_time timestamptz NOT NULL,
        status text NOT NULL,
        healthy boolean NOT NULL,
        code_version text,
        data_version text,
        params jsonb NOT NULL DEFAULT '{}'::jsonb,
        metrics jsonb NOT NULL DEFAULT '{}'::jsonb,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (pipeline, node, run_id)
      )`,
      `CREATE INDEX runs_node_time ON runs (pipeline, node, event_time)`,
      `CREATE INDEX runs_time ON runs (event_time)`,
      `CREATE INDEX runs_data_version ON runs (data_version) WHERE data_version IS NOT NULL`,
      // event_time is copied from the run so the producer of a dataset at a time is one index lookup.
      `CREATE TABLE run_outputs (
        run_pk bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        dataset text NOT NULL,
        content_hash text,
        version text,
        role text,
        row_count bigint,
        schema_fingerprint text,
        event_time timestamptz NOT NULL,
        PRIMARY KEY (run_pk, dataset)
      )`,
      `CREATE INDEX run_outputs_dataset_time ON run_outputs (dataset, event_time)`,
      `CREATE INDEX run_outputs_hash ON run_outputs (content_hash) WHERE content_hash IS NOT NULL`,
      `CREATE INDEX run_outputs_version ON run_outputs (version) WHERE version IS NOT NULL`,
      `CREATE TABLE run_inputs (
        run_pk bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        dataset text NOT NULL,
        content_hash text,
        version text,
        role text,
        event_time timestamptz NOT NULL,
        PRIMARY KEY (run_pk, dataset)
      )`,
      // Reads without a hash or version resolve by time: consumers look them up by dataset and time.
      `CREATE INDEX run_inputs_unhashed ON run_inputs (dataset, event_time) WHERE content_hash IS NULL`,
      `CREATE INDEX run_inputs_hash ON run_inputs (content_hash) WHERE content_hash IS NOT NULL`,
      `CREATE INDEX run_inputs_version ON run_inputs (version) WHERE version IS NOT NULL`,
      `CREATE TABLE lineage_edges (
        run_pk bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        upstream_pipeline text NOT NULL,
        upstream_node text NOT NULL,
        upstream_run_id text,
        PRIMARY KEY (run_pk, upstream_pipeline, upstream_node)
      )`,
      `CREATE TABLE column_lineage (
        run_pk bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        dataset text NOT NULL,
        column_name text NOT NULL,
        source_dataset text NOT NULL,
        source_column text NOT NULL,
        transformation text,
        PRIMARY KEY (run_pk, dataset, column_name, source_dataset, source_column)
      )`,
      `CREATE INDEX column_lineage_column ON column_lineage (dataset, column_name)`,
    ],
  },
];

/** The newest schema version this code knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Brings the schema up to `SCHEMA_VERSION`. Safe to call at every start and from several processes at
 * once: the version table is locked while migrations run. Returns the versions it applied.
 */
export async function migrate(client: SqlClient): Promise<number[]> {
  const createVersionTable = () =>
    client.query(`CREATE TABLE IF NOT EXISTS catalog_schema_version (
      version integer PRIMARY KEY,
      description text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  // Two processes creating it at the same instant: IF NOT EXISTS can still lose the race on the catalog's
  // own unique index (23505); the table exists by then, so the second try is a no-op.
  await createVersionTable().catch((err: unknown) => {
    const code = ((err as { cause?: { code?: string } }).cause ?? (err as { code?: string })).code;
    if (code !== '23505' && code !== '42P07') throw err;
    return createVersionTable();
  });
  return client.transaction(async (tx) => {
    await tx.query('LOCK TABLE catalog_schema_version IN EXCLUSIVE MODE');
    const rows = await tx.query<{ v: number | null }>('SELECT max(version) AS v FROM catalog_schema_version');
    const current = rows[0]?.v ?? 0;
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      for (const statement of m.statements) await tx.query(statement);
      await tx.query('INSERT INTO catalog_schema_version (version, description) VALUES ($1, $2)', [
        m.version,
        m.description,
      ]);
      applied.push(m.version);
    }
    return applied;
  });
}
