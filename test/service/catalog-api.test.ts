import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog, type Provenance } from '../../src/adapters/catalog/index.js';
import { startHttpServer } from '../../src/adapters/http/server.js';
import { hashToken, type TokenEntry } from '../../src/config/tokens.js';
import type { Report } from '../../src/contract/index.js';
import { MonitorCore } from '../../src/monitor/index.js';
import { loadRules } from '../../src/rules/index.js';
import { apiQueries } from '../../src/service/api.js';
import { catalogRunsOf } from '../../src/service/catalog.js';
import { withCatalogQueries } from '../../src/service/catalog-api.js';
import { createLogger } from '../../src/service/log.js';
import { monitorMetrics } from '../../src/service/metrics.js';
import { PipelineSim, makeDag } from '../../src/sim/index.js';

// billing's last node feeds churn's first: provenance of churn's output crosses into billing.
const billing = new PipelineSim(makeDag('chain', 2, 'billing'), { seed: 2, contentHashes: true });
const churn = new PipelineSim(makeDag('chain', 3, 'churn'), { seed: 1, contentHashes: true });
function crossing(r: number): Report[] {
  const b = billing.run(r);
  const c = churn.run(r).map((x) =>
    x.node === 'n00'
      ? {
          ...x,
          upstream: [{ node: 'n01', pipeline: 'billing', run_id: b[1]!.run_id }],
          inputs: [
            {
              dataset: b[1]!.outputs![0]!.dataset,
              profile: { content_hash: b[1]!.outputs![0]!.profile!.content_hash! },
            },
          ],
        }
      : x,
  );
  return [...b, ...c];
}

const PLAIN = {
  read: 'rl_read-0123456789abcdef0123456789ab',
  ingest: 'rl_ingest-0123456789abcdef012345678',
  readChurn: 'rl_readchurn-0123456789abcdef012345',
};
const ENTRIES: TokenEntry[] = [
  { name: 'read', hash: hashToken(PLAIN.read), roles: ['read'] },
  { name: 'ingest', hash: hashToken(PLAIN.ingest), roles: ['ingest'] },
  { name: 'read-churn', hash: hashToken(PLAIN.readChurn), roles: ['read'], pipelines: ['churn'] },
];

let catalog: Catalog;
let url: string;
let close: () => Promise<void>;
let key: string;
let lastRunId: string;
let firstRunId: string;

beforeAll(async () => {
  catalog = await Catalog.open({ driver: 'pglite' });
  const core = new MonitorCore({ rules: loadRules('rules') });
  for (let r = 0; r < 3; r++) {
    const reports = crossing(r);
    await catalog.writeRuns(
      catalogRunsOf(reports, core.processBatch(reports), (ref, at) => core.latestRun(ref, at)?.outputs),
    );
    if (r === 0) firstRunId = reports[4]!.run_id;
    key = reports[4]!.outputs![0]!.profile!.content_hash!;
    lastRunId = reports[4]!.run_id;
  }
  const metrics = monitorMetrics();
  const s = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    tokens: ENTRIES,
    maxBodyBytes: 1_000_000,
    ingest: { ingest: () => Promise.resolve() },
    health: () => Promise.resolve({ ok: true, details: {} }),
    metrics: metrics.registry,
    requests: metrics.httpRequests,
    queries: withCatalogQueries(apiQueries(core), catalog),
    logger: createLogger('error', new Writable({ write: (_c, _e, cb) => cb() })),
  });
  url = s.url;
  close = () => s.close();
}, 120_000);
afterAll(async () => {
  await close?.();
  await catalog?.close();
});

async function get(path: string, token?: keyof typeof PLAIN): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}${path}`, token ? { headers: { authorization: `Bearer ${PLAIN[token]}` } } : {});
  return { status: res.status, body: await res.json() };
}

describe('the catalog queries on the HTTP API', () => {
  it('need the read role', async () => {
    const path = `/api/v1/lineage/provenance?key=${encodeURIComponent(key)}`;
    expect((await get(path)).status).toBe(401);
    expect((await get(path, 'ingest')).status).toBe(403);
    const ok = await get(path, 'read');
    expect(ok.status).toBe(200);
    const p = (ok.body as { provenance: Provenance }).provenance;
    expect(
      Object.values(p.runs)
        .map((r) => `${r.pipeline}/${r.node}`)
        .sort(),
    ).toEqual(['billing/n00', 'billing/n01', 'churn/n00', 'churn/n01', 'churn/n02']);
    expect(p.sources.map((s) => s.dataset)).toEqual(['source/billing/n00']);
  });

  it("a pipeline-scoped token sees its pipeline's runs only: what came from elsewhere names no producer", async () => {
    const r = await get(`/api/v1/lineage/provenance?key=${encodeURIComponent(key)}`, 'readChurn');
    expect(r.status).toBe(200);
    const p = (r.body as { provenance: Provenance }).provenance;
    expect(new Set(Object.values(p.runs).map((x) => x.pipeline))).toEqual(new Set(['churn']));
    const n00 = Object.values(p.runs).find((x) => x.node === 'n00')!;
    expect(n00.inputs[0]).toMatchObject({ producer: null, producer_hidden: true });
    expect(JSON.stringify(r.body)).not.toContain('billing/n00');
    expect((await get('/api/v1/lineage/health', 'readChurn')).status).toBe(403);
    expect((await get(`/api/v1/lineage/diff?pipeline=billing&node=n01&a=x&b=y`, 'readChurn')).status).toBe(403);
  });

  it('take at: before the run, nothing had produced the key', async () => {
    const at = encodeURIComponent('2026-10-01T00:00:00Z');
    expect((await get(`/api/v1/lineage/provenance?key=${encodeURIComponent(key)}&at=${at}`, 'read')).status).toBe(404);
    expect((await get(`/api/v1/lineage/provenance?key=x&at=yesterday`, 'read')).status).toBe(400);
  });

  it('consumers, column, diff and health answer', async () => {
    const diff = await get(
      `/api/v1/lineage/diff?pipeline=churn&node=n02&a=${encodeURIComponent(firstRunId)}&b=${encodeURIComponent(lastRunId)}`,
      'read',
    );
    expect(diff.status).toBe(200);
    expect((diff.body as { fields: Record<string, unknown> }).fields.data_version).toBeDefined();
    const col = await get('/api/v1/lineage/column?pipeline=churn&node=n02&column=amount', 'read');
    expect(col.status).toBe(200);
    expect((col.body as { steps: unknown[] }).steps.length).toBeGreaterThan(0);
    const health = await get('/api/v1/lineage/health', 'read');
    expect(health.status).toBe(200);
    expect((health.body as { nodes: number }).nodes).toBe(5);
    const cons = await get(`/api/v1/lineage/consumers?key=${encodeURIComponent(key)}`, 'read');
    expect(cons.status).toBe(200);
    // The core's queries still answer beside the catalog's.
    expect((await get('/api/v1/pipelines', 'read')).status).toBe(200);
  });
});
