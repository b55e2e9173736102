import { openPgSqlClient, type PgCatalogOptions } from './drivers/pg.js';
import { openPgliteSqlClient, type PgliteCatalogOptions } from './drivers/pglite.js';
import { columnSources, consumers, diffRuns, lineageHealth, provenance, provenanceTree } from './queries.js';
import { applyRetention, type RetentionOptions } from './retention.js';
import { getRun } from './runs.js';
import { migrate } from './schema.js';
import type { SqlClient } from './sql.js';
import type {
  CatalogRun,
  ColumnSource,
  Consumer,
  LineageHealth,
  Provenance,
  ProvenanceTreeNode,
  QueryOptions,
  RetentionResult,
  RunDiff,
  RunRef,
  StoredRun,
  WriteResult,
} from './types.js';
import { writeRuns } from './write.js';

/** Where the catalog lives: a PostgreSQL server (deployments) or PGlite in this process (the embedded default). */
export type CatalogOptions = ({ driver: 'pg' } & PgCatalogOptions) | ({ driver: 'pglite' } & PgliteCatalogOptions);

/**
 * The provenance catalog: one schema and one implementation over a `SqlClient`, whichever driver is
 * underneath. Opening it applies any pending migration.
 */
export class Catalog {
  private constructor(readonly sql: SqlClient) {}

  /** Opens the catalog over a client the caller made (and still owns until `close`). */
  static async over(sql: SqlClient): Promise<Catalog> {
    await migrate(sql);
    return new Catalog(sql);
  }

  /** Opens a catalog on PostgreSQL (`driver: 'pg'`) or embedded PGlite (`driver: 'pglite'`). */
  static async open(options: CatalogOptions): Promise<Catalog> {
    const sql = options.driver === 'pg' ? await openPgSqlClient(options) : await openPgliteSqlClient(options);
    try {
      return await Catalog.over(sql);
    } catch (err: unknown) {
      await sql.close().catch(() => undefined);
      throw err;
    }
  }

  /** Stores a batch of runs in one transaction; redelivered runs change nothing. */
  writeRuns(runs: readonly CatalogRun[]): Promise<WriteResult> {
    return writeRuns(this.sql, runs);
  }

  getRun(ref: RunRef): Promise<StoredRun | undefined> {
    return getRun(this.sql, ref);
  }

  provenance(key: string, options?: QueryOptions): Promise<Provenance> {
    return provenance(this.sql, key, options);
  }

  /** Provenance expanded into a tree (undefined when nothing produced `key`). */
  async provenanceTree(key: string, options?: QueryOptions): Promise<ProvenanceTreeNode | undefined> {
    return provenanceTree(await provenance(this.sql, key, options));
  }

  consumers(key: string, options?: QueryOptions): Promise<Consumer[]> {
    return consumers(this.sql, key, options);
  }

  columnSources(
    target: { node: string; column: string; pipeline?: string },
    options?: QueryOptions,
  ): Promise<ColumnSource[]> {
    return columnSources(this.sql, target, options);
  }

  diffRuns(a: RunRef, b: RunRef): Promise<RunDiff> {
    return diffRuns(this.sql, a, b);
  }

  lineageHealth(options?: { at?: number }): Promise<LineageHealth> {
    return lineageHealth(this.sql, options);
  }

  applyRetention(options: RetentionOptions): Promise<RetentionResult> {
    return applyRetention(this.sql, options);
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}
