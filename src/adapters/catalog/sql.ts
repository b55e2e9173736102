/**
 * The one thing the catalog needs from a database: run a parameterized statement ($1, $2, ...) and get
 * its rows, and run several in one transaction. Both drivers (node-postgres and PGlite) speak the same
 * PostgreSQL dialect, so the schema and every query are written once.
 */
export interface SqlQueryable {
  /** Runs one statement; parameters are bound, never spliced into the text. */
  query<R extends object = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

export interface SqlClient extends SqlQueryable {
  /** Which driver is underneath: `pg` (a PostgreSQL server) or `pglite` (PostgreSQL in WASM, in process). */
  readonly driver: 'pg' | 'pglite';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /** Releases the connections (pg) or the in-process database (PGlite). */
  close(): Promise<void>;
}
