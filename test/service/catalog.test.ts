import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, describe, expect, it } from 'vitest';
import { Catalog, type CatalogRun, type WriteResult } from '../../src/adapters/catalog/index.js';
import { RootlineError } from '../../src/errors/index.js';
import { MonitorCore, type MetricPoint } from '../../src/monitor/index.js';
import { loadRules } from '../../src/rules/index.js';
import {
  catalogRunOf,
  catalogRunsOf,
  parseCatalogUrl,
  refusedForData,
  LINEAGE_HEALTH_MEASUREMENT,
  startLineageHealth,
  startRetention,
  writeCatalog,
  type CatalogStore,
} from '../../src/service/catalog.js';
import { createLogger } from '../../src/service/log.js';
import { PipelineSim, makeDag } from '../../src/sim/index.js';

const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('parseCatalogUrl', () => {
  it('names the drivers', () => {
    expect(parseCatalogUrl('none')).toBeUndefined();
    expect(parseCatalogUrl('pglite:')).toEqual({ driver: 'pglite' });
    expect(parseCatalogUrl('pglite:/var/lib/rootline/catalog')).toEqual({
      driver: 'pglite',
      dataDir: '/var/lib/rootline/catalog',
    });
    expect(parseCatalogUrl('postgres://u:p@db:5432/rootline', 'cat')).toEqual({
      driver: 'pg',
      connectionString: 'postgres://u:p@db:5432/rootline',
      schema: 'cat',
    });
    expect(parseCatalogUrl('postgresql://db/rootline')).toEqual({
      driver: 'pg',
      connectionString: 'postgresql://db/rootline',
    });
  });

  it('refuses anything else, without echoing a whole URL', () => {
    expect(() => parseCatalogUrl('mysql://u:secret@db/x')).toThrow(/catalog url must be/);
    expect(() => parseCatalogUrl('/some/dir')).toThrow(RootlineError);
  });
});

describe('catalogRunOf', () => {
  const sim = new PipelineSim(makeDag('diamond', 4, 'p'), { seed: 3, contentHashes: true });
  const reports = sim.run(0);

  it('carries hashes, versions, params, code version and the verdict; sources of a root node', () => {
    const root = reports[0]!;
    const run = catalogRunOf(root, false);
    expect(run).toMatchObject({
      pipeline: 'p',
      node: root.node,
      run_id: root.run_id,
      event_id: root.event_id,
      event_time: Date.parse(root.event_time),
      status: 'success',
      healthy: false,
      code_version: root.code_version,
      data_version: root.data_version,
      params: { window: '1h' },
    });
    expect(run.inputs).toEqual([
      { dataset: `source/p/${root.node}`, version: 'v0', content_hash: root.inputs![0]!.profile!.content_hash },
    ]);
    expect(run.outputs[0]).toEqual({
      dataset: root.outputs![0]!.dataset,
      content_hash: root.outputs![0]!.profile!.content_hash,
      row_count: root.outputs![0]!.profile!.row_count,
      schema_fingerprint: root.outputs![0]!.profile!.schema_fingerprint,
    });
    expect(run.outputs[0]!.content_hash).toMatch(/^rch1:[0-9a-f]{32}$/);
    expect(run.metrics![`${root.outputs![0]!.dataset}.row_count`]).toBe(root.outputs![0]!.profile!.row_count);
  });

  it("an input's hash is the hash its parent wrote", () => {
    const child = reports.find((r) => (r.upstream ?? []).length > 0)!;
    const parent = reports.find((r) => r.node === child.upstream![0]!.node)!;
    const run = catalogRunOf(child, true);
    expect(run.inputs.find((i) => i.dataset === parent.outputs![0]!.dataset)?.content_hash).toBe(
      parent.outputs![0]!.profile!.content_hash,
    );
    expect(run.upstream).toContainEqual({ pipeline: 'p', node: parent.node, run_id: parent.run_id });
  });

  it("column lineage names the upstream's dataset this run read (from the monitor's history)", () => {
    const child = reports.find((r) => r.column_lineage !== undefined)!;
    const src = child.column_lineage!.amount![0]!.node;
    const withHistory = catalogRunOf(child, true, (ref) => (ref.node === src ? ['other', `lake/p/${src}`] : []));
    expect(withHistory.column_lineage!.find((c) => c.column === 'amount')!.sources[0]).toEqual({
      dataset: `lake/p/${src}`,
      column: 'amount',
    });
    // Without history the node's name stands for its data.
    const without = catalogRunOf(child, true);
    expect(without.column_lineage!.find((c) => c.column === 'amount')!.sources[0]!.dataset).toBe(src);
  });
});

describe('catalogRunsOf', () => {
  it('one run per report the core processed, with its verdict; duplicates are not runs', () => {
    const sim = new PipelineSim(makeDag('chain', 3, 'q'), { seed: 5, contentHashes: true });
    const core = new MonitorCore({ rules: loadRules('rules') });
    const reports = sim.run(0);
    const out = core.processBatch(reports);
    const runs = catalogRunsOf(reports, out);
    expect(runs.map((r) => r.event_id)).toEqual(reports.map((r) => r.event_id));
    expect(runs.map((r) => r.healthy)).toEqual(out.runs.map((r) => r.run.healthy));
    const again = core.processBatch(reports);
    expect(again.duplicates).toBe(3);
    expect(catalogRunsOf(reports, again)).toEqual([]);
  });
});

function run(i: number): CatalogRun {
  return {
    pipeline: 'p',
    node: `n${i}`,
    run_id: 'r',
    event_id: `e${i}`,
    event_time: 1000 + i,
    status: 'success',
    healthy: true,
    inputs: [],
    outputs: [],
    upstream: [],
  };
}

describe('writeCatalog', () => {
  const fast = { maxDelayMs: 5, stopped: () => false };

  it('retries an outage until the catalog answers, then writes everything', async () => {
    let calls = 0;
    const written: string[] = [];
    const store: CatalogStore = {
      writeRuns: (runs) => {
        calls += 1;
        if (calls <= 3)
          return Promise.reject(
            new RootlineError('SERVICE_UNAVAILABLE', 'catalog (PostgreSQL): connection refused', { retriable: true }),
          );
        written.push(...runs.map((r) => r.event_id));
        return Promise.resolve({ written: runs.length, duplicates: 0 });
      },
    };
    const retries: number[] = [];
    const res = await writeCatalog(store, [run(1), run(2)], { ...fast, onRetry: (_e, a) => retries.push(a) });
    expect(res).toEqual({ written: 2, duplicates: 0, refused: 0 });
    expect(retries).toEqual([1, 2, 3]);
    expect(written).toEqual(['e1', 'e2']);
  });

  it('an error without an SQL state (a dropped connection) is an outage too: nothing is left out', async () => {
    let calls = 0;
    const store: CatalogStore = {
      writeRuns: (runs) => {
        calls += 1;
        if (calls === 1) return Promise.reject(new Error('Connection terminated unexpectedly'));
        return Promise.resolve({ written: runs.length, duplicates: 0 });
      },
    };
    expect(await writeCatalog(store, [run(1), run(2), run(3)], fast)).toEqual({
      written: 3,
      duplicates: 0,
      refused: 0,
    });
  });

  it('leaves out only the runs the catalog refuses for their data', async () => {
    const bad = new Set(['e2', 'e5']);
    const store: CatalogStore = {
      writeRuns: (runs): Promise<WriteResult> => {
        if (runs.some((r) => bad.has(r.event_id)))
          return Promise.reject(
            new RootlineError('INTERNAL', 'catalog (PostgreSQL): INSERT INTO runs failed: invalid input', {
              details: { sqlState: '22P05' },
            }),
          );
        return Promise.resolve({ written: runs.length, duplicates: 0 });
      },
    };
    const refused: string[] = [];
    const res = await writeCatalog(
      store,
      [1, 2, 3, 4, 5, 6].map((i) => run(i)),
      {
        ...fast,
        onRejected: (_e, r) => refused.push(r.event_id),
      },
    );
    expect(res).toEqual({ written: 4, duplicates: 0, refused: 2 });
    expect(refused).toEqual(['e2', 'e5']);
  });

  it('stops waiting when the batch is stopped', async () => {
    let stop = false;
    const store: CatalogStore = {
      writeRuns: () => {
        stop = true;
        return Promise.reject(new RootlineError('SERVICE_UNAVAILABLE', 'down', { retriable: true }));
      },
    };
    await expect(writeCatalog(store, [run(1)], { maxDelayMs: 5, stopped: () => stop })).rejects.toThrow(
      /stopping while catalog writes are failing/,
    );
  });

  it('tells data errors from outages', () => {
    expect(refusedForData(new RootlineError('INVALID_ARGUMENT', 'no run_id'))).toBe(true);
    expect(refusedForData({ code: '23505' })).toBe(true);
    expect(refusedForData(new Error('x', { cause: { code: '54000' } }))).toBe(true);
    expect(refusedForData({ code: '08006' })).toBe(false);
    expect(refusedForData({ code: '42501' })).toBe(false);
    expect(refusedForData(new Error('ECONNREFUSED'))).toBe(false);
  });
});

describe('monitor writes through an embedded catalog: idempotent on redelivery', () => {
  it('the same batch written twice stores each run once', async () => {
    const catalog = await Catalog.open({ driver: 'pglite' });
    try {
      const sim = new PipelineSim(makeDag('chain', 4, 'r'), { seed: 9, contentHashes: true });
      const core = new MonitorCore({ rules: loadRules('rules') });
      const reports = sim.run(0);
      const runs = catalogRunsOf(reports, core.processBatch(reports));
      expect(await writeCatalog(catalog, runs, { maxDelayMs: 5, stopped: () => false })).toEqual({
        written: 4,
        duplicates: 0,
        refused: 0,
      });
      expect(await writeCatalog(catalog, runs, { maxDelayMs: 5, stopped: () => false })).toEqual({
        written: 0,
        duplicates: 4,
        refused: 0,
      });
      const last = reports[3]!;
      const prov = await catalog.provenance(last.outputs![0]!.profile!.content_hash!);
      expect(
        Object.values(prov.runs)
          .map((r) => r.node)
          .sort(),
      ).toEqual(reports.map((r) => r.node).sort());
      expect(prov.sources).toEqual([
        {
          dataset: `source/r/${reports[0]!.node}`,
          version: 'v0',
          content_hash: reports[0]!.inputs![0]!.profile!.content_hash,
        },
      ]);
    } finally {
      await catalog.close();
    }
  });
});

describe('startRetention', () => {
  it('with exportFormat parquet, writes Parquet files of the expired runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rootline-retention-'));
    dirs.push(dir);
    const catalog = await Catalog.open({ driver: 'pglite' });
    try {
      const day = 86_400_000;
      const now = Date.UTC(2026, 11, 1);
      await catalog.writeRuns([
        { ...run(1), event_time: now - 40 * day },
        { ...run(2), event_time: now - 29 * day },
      ]);
      const stop = startRetention(catalog, {
        retentionMs: 30 * day,
        intervalMs: 60_000,
        exportDir: dir,
        exportFormat: 'parquet',
        logger: quiet,
        now: () => now,
      });
      await stop();
      const files = readdirSync(dir);
      expect(files).toEqual([`catalog-expired-2026-12-01T00-00-00-000Z-00001.parquet`]);
      const buf = readFileSync(join(dir, files[0]!));
      const rows = await parquetReadObjects({
        file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength),
      });
      expect(rows.map((r) => r.event_id as string)).toEqual(['e1']);
      expect(await catalog.getRun({ pipeline: 'p', node: 'n2', run_id: 'r' })).toBeDefined();
    } finally {
      await catalog.close();
    }
  });

  it('exports the expired runs as JSON Lines, then deletes them; the rest stay', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rootline-retention-'));
    dirs.push(dir);
    const catalog = await Catalog.open({ driver: 'pglite' });
    try {
      const day = 86_400_000;
      const now = Date.UTC(2026, 11, 1);
      await catalog.writeRuns([
        { ...run(1), event_time: now - 40 * day },
        { ...run(2), event_time: now - 31 * day },
        { ...run(3), event_time: now - 29 * day },
      ]);
      const stop = startRetention(catalog, {
        retentionMs: 30 * day,
        intervalMs: 60_000,
        exportDir: dir,
        logger: quiet,
        now: () => now,
      });
      await stop();
      const files = readdirSync(dir);
      expect(files).toHaveLength(1);
      const lines = readFileSync(join(dir, files[0]!), 'utf8').trim().split('\n');
      expect(lines.map((l) => (JSON.parse(l) as CatalogRun).event_id).sort()).toEqual(['e1', 'e2']);
      expect(await catalog.getRun({ pipeline: 'p', node: 'n1', run_id: 'r' })).toBeUndefined();
      expect(await catalog.getRun({ pipeline: 'p', node: 'n3', run_id: 'r' })).toBeDefined();
    } finally {
      await catalog.close();
    }
  });
});

describe('startLineageHealth', () => {
  it("writes the catalog's lineage health as one point: coverage, orphans, nodes without an owner", async () => {
    const catalog = await Catalog.open({ driver: 'pglite' });
    try {
      const now = Date.now();
      await catalog.writeRuns([
        { ...run(1), event_time: now - 60_000, inputs: [{ dataset: 'raw' }], outputs: [{ dataset: 'A' }] },
        {
          ...run(2),
          event_time: now - 30_000,
          inputs: [{ dataset: 'A' }],
          outputs: [{ dataset: 'B' }],
          upstream: [
            { pipeline: 'p', node: 'n1' },
            { pipeline: 'p', node: 'ghost' },
          ],
        },
      ]);
      const written: MetricPoint[] = [];
      const stop = startLineageHealth(catalog, {
        intervalMs: 60_000,
        instance: 'i1',
        sink: { write: (points) => Promise.resolve(void written.push(...points)) },
        rules: () => ({ ...loadRules('rules'), owners: [] }),
        logger: quiet,
      });
      await stop();
      expect(written).toHaveLength(1);
      expect(written[0]).toMatchObject({
        measurement: LINEAGE_HEALTH_MEASUREMENT,
        tags: { instance: 'i1' },
        fields: {
          nodes: 2,
          node_coverage: 2 / 3,
          silent_nodes: 1,
          read_never_produced: 1,
          produced_never_read: 1,
          nodes_without_owner: 2,
          lineage_changes: 0,
          missed_runs: 0,
        },
      });
    } finally {
      await catalog.close();
    }
  });
});
