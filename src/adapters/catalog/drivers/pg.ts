import pg from 'pg';
import { RootlineError } from '../../../errors/index.js';
import type { SqlClient, SqlQueryable } from '../sql.js';

/** Options of the node-postgres driver. */
export interface PgCatalogOptions {
  /** A node-postgres connection string, e.g. `postgres://rootline@127.0.0.1:15432/rootline`. */
  connectionString: string;
  /**
   * The PostgreSQL schema the catalog's tables live in (created when missing). Default `public`.
   * Tests use one schema each, so parallel files share a server without seeing each other's runs.
   */
  schema?: string;
  /** Connections in the pool. Default 4. */
  maxConnections?: number;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

function mapError(err: unknown, what: string): RootlineError {
  const code = (err as { code?: string }).code ?? '';
  // Class 08 (connection), 57P (shutdown), 40001/40P01 (serialization, deadlock) may succeed later.
  const retriable = /^(08|57P|40001|40P01)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT'].includes(code);
  // A server that cannot be reached is unavailable; a statement the server rejects is a bug here.
  return new RootlineError(
    retriable ? 'SERVICE_UNAVAILABLE' : 'INTERNAL',
    `catalog (PostgreSQL): ${what} failed: ${(err as Error).message}`,
    {
      retriable,
      cause: err,
      details: { sqlState: code },
    },
  );
}

/** Opens a pool to a PostgreSQL server; the schema is created when it does not exist. */
export async function openPgSqlClient(options: PgCatalogOptions): Promise<SqlClient> {
  const schema = options.schema ?? 'public';
  if (!IDENT.test(schema))
    throw new RootlineError(
      'CONFIG_INVALID',
      `catalog schema ${JSON.stringify(schema)} is not a plain lower-case identifier`,
    );
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 4,
    options: `-c search_path=${schema}`,
  });
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const query = async <R extends object>(q: pg.Pool | pg.PoolClient, text: string, params?: readonly unknown[]) => {
    try {
      return (await q.query(text, params as unknown[])).rows as R[];
    } catch (err: unknown) {
      throw mapError(err, text.trim().split(/\s+/).slice(0, 3).join(' '));
    }
  };
  try {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } catch (err: unknown) {
    await pool.end().catch(() => undefined);
    throw mapError(err, `connecting to ${options.connectionString.replace(/:[^:@/]*@/, ':***@')}`);
  }
  return {
    driver: 'pg',
    query: (text, params) => query(pool, text, params),
    async transaction(fn) {
      const conn = await pool.connect().catch((err: unknown) => {
        throw mapError(err, 'connect');
      });
      const tx: SqlQueryable = { query: (text, params) => query(conn, text, params) };
      try {
        await conn.query('BEGIN');
        const out = await fn(tx);
        await conn.query('COMMIT');
        return out;
      } catch (err: unknown) {
        await conn.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        conn.release();
      }
    },
    close: () => pool.end(),
  };
}
