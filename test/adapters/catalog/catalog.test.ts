import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog, type CatalogRun } from '../../../src/adapters/catalog/index.js';
import { isRootlineError } from '../../../src/errors/index.js';
import { catalogSuite } from './suite.js';

// The same suite runs against the harness's PostgreSQL in test/integration/catalog/catalog.test.ts.
catalogSuite('PGlite (embedded)', () => Catalog.open({ driver: 'pglite' }));

describe('embedded catalog in a folder', () => {
  it('keeps its runs across a restart and does not migrate twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rootline-pglite-'));
    const run: CatalogRun = {
      pipeline: 'p',
      node: 'a',
      run_id: 'r1',
      event_id: 'e1',
      event_time: Date.UTC(2026, 5, 1),
      status: 'succeeded',
      healthy: true,
      params: { k: 1 },
      metrics: {},
      inputs: [{ dataset: 'src', content_hash: 'h-src' }],
      outputs: [{ dataset: 'out', content_hash: 'h-out' }],
      upstream: [],
    };
    try {
      const first = await Catalog.open({ driver: 'pglite', dataDir: dir });
      await first.writeRuns([run]);
      await first.close();
      const second = await Catalog.open({ driver: 'pglite', dataDir: dir });
      try {
        expect(await second.writeRuns([run])).toEqual({ written: 0, duplicates: 1 });
        const p = await second.provenance('h-out');
        expect(p.sources).toEqual([{ dataset: 'src', content_hash: 'h-src' }]);
        const versions = await second.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM catalog_schema_version');
        expect(versions[0]!.n).toBe(1);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('catalog on a PostgreSQL server that is not there', () => {
  it('fails to open with a retriable SERVICE_UNAVAILABLE, the password masked', async () => {
    const err = await Catalog.open({ driver: 'pg', connectionString: 'postgres://u:secret@127.0.0.1:1/db' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isRootlineError(err, 'SERVICE_UNAVAILABLE')).toBe(true);
    expect((err as { retriable: boolean }).retriable).toBe(true);
    expect((err as Error).message).toContain('127.0.0.1:1');
    expect((err as Error).message).not.toContain('secret');
  });
});
