/**
 * The provenance catalog: every run's inputs, outputs, hashes, versions, parameters and verdict in
 * PostgreSQL (a server through node-postgres, or PGlite embedded), with provenance, consumers, column
 * lineage, run diffs, lineage health and retention.
 */
export { Catalog, type CatalogOptions } from './catalog.js';
export type { SqlClient, SqlQueryable } from './sql.js';
export { openPgSqlClient, type PgCatalogOptions } from './drivers/pg.js';
export { openPgliteSqlClient, type PgliteCatalogOptions } from './drivers/pglite.js';
export { MIGRATIONS, SCHEMA_VERSION, migrate } from './schema.js';
export { writeRuns } from './write.js';
export { getRun, loadRuns } from './runs.js';
export {
  columnSources,
  consumers,
  diffRuns,
  latestEventTime,
  lineageHealth,
  producerOfKey,
  provenance,
  provenanceTree,
} from './queries.js';
export { applyRetention, runsToParquet, type RetentionExportFormat, type RetentionOptions } from './retention.js';
export {
  GAP_FACTOR,
  GAP_MIN_INTERVALS,
  lineageHealthReport,
  type LineageEdgeChange,
  type LineageGap,
  type LineageHealthFinding,
  type LineageHealthOptions,
  type LineageHealthReport,
} from './health.js';
export * from './types.js';
