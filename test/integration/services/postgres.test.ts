import { statSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { services } from '../helpers.js';

describe('PostgreSQL (the provenance catalog) through node-postgres', () => {
  it('serves the rootline database on 127.0.0.1, run by an unprivileged account', async () => {
    const client = new pg.Client({ connectionString: services().postgresUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ db: string; version: number; dir: string; addr: string }>(
        `SELECT current_database() AS db, current_setting('server_version_num')::int AS version,
                current_setting('data_directory') AS dir, host(inet_server_addr()) AS addr`,
      );
      const row = rows[0]!;
      expect(row.db).toBe('rootline');
      expect(row.version).toBeGreaterThanOrEqual(150000);
      expect(row.addr).toBe('127.0.0.1');
      // The server refuses to run as root: whoever owns its data folder, it is not uid 0.
      expect(statSync(row.dir).uid).not.toBe(0);
      const sum = await client.query<{ n: number }>('SELECT $1::int + $2::int AS n', [40, 2]);
      expect(sum.rows[0]!.n).toBe(42);
    } finally {
      await client.end();
    }
  });
});
