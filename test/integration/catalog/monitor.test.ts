import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { Catalog, type Provenance } from '../../../src/adapters/catalog/index.js';
import { replayCommand } from '../../../src/cli/replay.js';
import type { Report } from '../../../src/contract/index.js';
import { makeDag } from '../../../src/sim/index.js';
import { eventually, services, unique } from '../helpers.js';
import { monitorConfig, sendReports, startMonitor } from '../monitor/harness.js';

// 1,000 runs of a 30-node pipeline through the real broker into the monitor, whose catalog is the harness's
// PostgreSQL; the same reports replayed into the embedded catalog (PGlite) by `rootline replay --catalog`.
const NODES = 30;
const RUNS = 1000;
const RUN_GAP_MS = 60_000;

const schemas: string[] = [];
const dirs: string[] = [];
afterAll(async () => {
  const client = new pg.Client({ connectionString: services().postgresUrl });
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const rch1 = (s: string) => `rch1:${createHash('sha256').update(s).digest('hex').slice(0, 32)}`;

/**
 * A 30-node pipeline (random DAG: each node reads 1-3 earlier ones, a few sources) whose reports carry what
 * provenance needs and no distributions: content hashes of every output and input, versions of the sources,
 * params, code and data versions, upstream run ids, column lineage.
 */
function pipelineReports(pipeline: string, base: number) {
  const dag = makeDag('random', NODES, pipeline, 11);
  const dataset = (node: string) => `lake/${pipeline}/${node}`;
  const outHash = (node: string, r: number) => rch1(`${pipeline}/${node}/${r}`);
  const run = (r: number): Report[] =>
    dag.nodes.map((n, i) => {
      const runId = `run-${r}`;
      const rows = 1000 + ((r * 7 + i * 13) % 50);
      return {
        spec: 'rootline.report/v1',
        event_id: `${pipeline}/${n.name}/${r}`,
        pipeline,
        node: n.name,
        run_id: runId,
        event_time: new Date(base + r * RUN_GAP_MS + i * 100).toISOString(),
        status: 'success',
        upstream: n.parents.map((p) => ({ node: p, run_id: runId })),
        inputs:
          n.parents.length > 0
            ? n.parents.map((p) => ({ dataset: dataset(p), profile: { content_hash: outHash(p, r) } }))
            : [
                {
                  dataset: `source/${n.name}`,
                  version: `snap-${r}`,
                  profile: { content_hash: rch1(`source/${pipeline}/${n.name}/${r}`) },
                },
              ],
        outputs: [{ dataset: dataset(n.name), profile: { row_count: rows, content_hash: outHash(n.name, r) } }],
        code_version: `git:${(i * 31 + Math.floor(r / 100)).toString(16)}`,
        data_version: `${n.name}@${r}`,
        params: { learning_rate: 0.01 * ((r % 5) + 1), layer: i, window: '1h' },
        ...(n.parents.length > 0
          ? { column_lineage: { amount: n.parents.map((p) => ({ node: p, column: 'amount' })) } }
          : {}),
      };
    });
  return { dag, run };
}

/** Every node the last node depends on (itself included), from the DAG. */
function ancestors(dag: ReturnType<typeof makeDag>, node: string): Set<string> {
  const parents = new Map(dag.nodes.map((n) => [n.name, n.parents]));
  const seen = new Set<string>();
  const walk = (x: string) => {
    if (seen.has(x)) return;
    seen.add(x);
    for (const p of parents.get(x) ?? []) walk(p);
  };
  walk(node);
  return seen;
}

/** A provenance answer without the catalog's own ids and clocks: runs named by node/run_id, sorted. */
function normalized(p: Provenance) {
  const name = (id: number | null) => (id === null ? null : `${p.runs[id]!.node}/${p.runs[id]!.run_id}`);
  return {
    key: p.key,
    root: p.root === undefined ? undefined : name(p.root),
    truncated: p.truncated,
    runs: Object.values(p.runs)
      .map((r) => ({
        run: `${r.node}/${r.run_id}`,
        depth: r.depth,
        event_id: r.event_id,
        event_time: r.event_time,
        status: r.status,
        healthy: r.healthy,
        code_version: r.code_version,
        data_version: r.data_version,
        params: r.params,
        outputs: r.outputs,
        inputs: r.inputs.map((i) => ({ ...i, producer: name(i.producer) })),
      }))
      .sort((a, b) => a.run.localeCompare(b.run)),
    sources: [...p.sources].sort((a, b) => a.dataset.localeCompare(b.dataset)),
  };
}

describe('the monitor writes the provenance catalog', () => {
  it('provenance of the last model output after 1,000 runs of a 30-node pipeline: every input hash and parameter back to the sources, identical from PostgreSQL and PGlite, and after a restart', async () => {
    const pipeline = unique('prov');
    const schema = unique('mcat').replace(/-/g, '_');
    schemas.push(schema);
    const base = Date.now() - (RUNS + 2) * RUN_GAP_MS;
    const { dag, run } = pipelineReports(pipeline, base);
    const cfg = monitorConfig({
      'catalog.url': services().postgresUrl,
      'catalog.schema': schema,
      'catalog.maxRetryDelayMs': 1000,
    });
    const all: Report[] = [];
    for (let r = 0; r < RUNS; r++) all.push(...run(r));

    const m1 = await startMonitor(cfg);
    expect(m1.catalog?.sql.driver).toBe('pg');
    for (let i = 0; i < all.length; i += 300) await sendReports(cfg, all.slice(i, i + 300));
    await eventually(
      () => (m1.metrics.reports.total() >= all.length ? true : undefined),
      600_000,
      `${all.length} reports processed`,
    );
    const health = (await (await fetch(`${m1.httpUrl!}/healthz`)).json()) as Record<string, unknown>;
    expect(health.catalog).toBe('ok');

    const reader = await Catalog.open({ driver: 'pg', connectionString: services().postgresUrl, schema });
    const count = async () =>
      Number((await reader.sql.query<{ n: string }>('SELECT count(*)::text AS n FROM runs'))[0]!.n);
    expect(await count()).toBe(RUNS * NODES);

    // The last model output: the last node's output of the last run.
    const last = dag.nodes[dag.nodes.length - 1]!.name;
    const lastReport = all.find((x) => x.node === last && x.run_id === `run-${RUNS - 1}`)!;
    const key = lastReport.outputs![0]!.profile!.content_hash!;
    const now = Date.now();
    const fromPg = await reader.provenance(key, { at: now });

    // Every run behind it, with every input hash and every parameter as its report had them.
    const behind = ancestors(dag, last);
    expect(behind.size).toBeGreaterThan(3);
    const byName = new Map(all.filter((x) => x.run_id === `run-${RUNS - 1}`).map((x) => [x.node, x]));
    expect(fromPg.truncated).toBe(false);
    expect(
      Object.values(fromPg.runs)
        .map((x) => `${x.node}/${x.run_id}`)
        .sort(),
    ).toEqual([...behind].map((n) => `${n}/run-${RUNS - 1}`).sort());
    for (const r of Object.values(fromPg.runs)) {
      const rep = byName.get(r.node)!;
      expect(r.params, r.node).toEqual(rep.params);
      expect(r.code_version).toBe(rep.code_version);
      expect(r.data_version).toBe(rep.data_version);
      expect(r.inputs.map((i) => [i.dataset, i.content_hash, i.version ?? null]).sort()).toEqual(
        rep.inputs!.map((i) => [i.dataset, i.profile!.content_hash, i.version ?? null]).sort(),
      );
      // An input read from another node points at that node's run of the same pipeline run.
      for (const i of r.inputs)
        if (!i.dataset.startsWith('source/')) expect(fromPg.runs[i.producer!]?.run_id).toBe(r.run_id);
    }
    const roots = [...behind].filter((n) => dag.nodes.find((x) => x.name === n)!.parents.length === 0);
    expect(fromPg.sources.map((s) => [s.dataset, s.version, s.content_hash]).sort()).toEqual(
      roots.map((n) => [`source/${n}`, `snap-${RUNS - 1}`, rch1(`source/${pipeline}/${n}/${RUNS - 1}`)]).sort(),
    );

    // The same reports replayed into the embedded catalog give the same answer.
    const dir = mkdtempSync(join(tmpdir(), 'rootline-replay-catalog-'));
    dirs.push(dir);
    const file = join(dir, 'reports.jsonl');
    writeFileSync(file, all.map((x) => JSON.stringify(x)).join('\n'));
    const stdout = process.stdout.write;
    process.stdout.write = () => true;
    let code: number;
    try {
      code = await replayCommand([
        file,
        '--rules',
        'rules',
        '--catalog',
        `pglite:${join(dir, 'catalog')}`,
        '--quiet',
        '--no-findings',
      ]);
    } finally {
      process.stdout.write = stdout;
    }
    expect(code).toBe(0);
    const embedded = await Catalog.open({ driver: 'pglite', dataDir: join(dir, 'catalog') });
    try {
      const fromPglite = await embedded.provenance(key);
      expect(normalized(fromPglite)).toEqual(normalized(fromPg));
    } finally {
      await embedded.close();
    }

    // A restarted monitor: the same answer; redelivered reports change nothing, new ones are stored.
    await m1.stop();
    const m2 = await startMonitor(cfg);
    await sendReports(cfg, [...all.slice(-NODES), ...run(RUNS)]);
    await eventually(
      () => (m2.metrics.reports.total() + m2.metrics.duplicates.total() >= 2 * NODES ? true : undefined),
      120_000,
      'the redelivered and the new run processed',
    );
    await eventually(
      async () => ((await count()) === (RUNS + 1) * NODES ? true : undefined),
      30_000,
      'new runs stored',
    );
    expect(await reader.provenance(key, { at: now })).toEqual(fromPg);
    // Time travel: as the catalog stood before the last run, the key had no producer yet.
    expect((await reader.provenance(key, { at: base + (RUNS - 1) * RUN_GAP_MS - 1 })).root).toBeUndefined();
    await reader.close();
  }, 900_000);
});
