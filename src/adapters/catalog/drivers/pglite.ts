import { PGlite } from '@electric-sql/pglite';
import { RootlineError } from '../../../errors/index.js';
import type { SqlClient, SqlQueryable } from '../sql.js';

/** Options of the embedded driver. */
export interface PgliteCatalogOptions {
  /** A folder to keep the database in; in memory (lost at close) when absent. */
  dataDir?: string;
}

function mapError(err: unknown, what: string): RootlineError {
  return new RootlineError('INTERNAL', `catalog (PGlite): ${what} failed: ${(err as Error).message}`, { cause: err });
}

/** Opens PostgreSQL compiled to WASM inside this process: the embedded default, same SQL as the server. */
export async function openPgliteSqlClient(options: PgliteCatalogOptions = {}): Promise<SqlClient> {
  const db = options.dataDir === undefined ? new PGlite() : new PGlite(options.dataDir);
  await db.waitReady;
  const on = (q: Pick<PGlite, 'query'>): SqlQueryable => ({
    query: async <R extends object>(text: string, params?: readonly unknown[]) => {
      try {
        return (await q.query<R>(text, params as unknown[])).rows;
      } catch (err: unknown) {
        throw mapError(err, text.trim().split(/\s+/).slice(0, 3).join(' '));
      }
    },
  });
  const self = on(db);
  return {
    driver: 'pglite',
    query: (text, params) => self.query(text, params),
    transaction: (fn) => db.transaction((tx) => fn(on(tx))),
    close: () => db.close(),
  };
}
