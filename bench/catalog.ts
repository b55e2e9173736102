/**
 * The provenance catalog's cost: how long `writeRuns` takes per stored run (batched as the monitor will
 * batch), and how long a provenance query takes once many runs are stored, on embedded PGlite and on
 * the harness's PostgreSQL 15. The data is a chain pipeline of `--nodes` nodes run `--runs` times
 * (node k reads node k-1's output by content hash, node 0 reads a source, one node also reads a
 * versioned lookup), so the provenance of the last node's output is a `--nodes`-hop walk.
 *
 * Usage: npx tsx bench/catalog.ts [--nodes 50] [--runs 400] [--batch 200] [--queries 50]
 *        [--drivers pglite,pg] [--out bench/results/catalog.md]
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Catalog, type CatalogRun } from '../src/adapters/catalog/index.js';
import { harnessConfig, servicesDown, servicesUp } from '../src/dev/services/index.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '50' },
    runs: { type: 'string', default: '400' },
    batch: { type: 'string', default: '200' },
    queries: { type: 'string', default: '50' },
    drivers: { type: 'string', default: 'pglite,pg' },
    out: { type: 'string', default: 'bench/results/catalog.md' },
  },
});
const NODES = Number(values.nodes);
const RUNS = Number(values.runs);
const BATCH = Number(values.batch);
const QUERIES = Number(values.queries);
const T0 = Date.UTC(2026, 0, 1);
// One pipeline run per (nodes + 1) seconds, so even a million stored runs lie in the past (queries default to now).
const RUN_GAP_MS = (NODES + 1) * 1000;

const node = (k: number) => `n${String(k).padStart(3, '0')}`;
const hash = (k: number, r: number) => `h-${node(k)}-${r}`;

function runOf(k: number, r: number): CatalogRun {
  const inputs: CatalogRun['inputs'] = [
    k === 0 ? { dataset: 'raw', content_hash: `raw-${r}` } : { dataset: `d${k - 1}`, content_hash: hash(k - 1, r) },
  ];
  if (k === Math.floor(NODES / 3)) inputs.push({ dataset: 'lookup', version: `lookup-v${Math.floor(r / 100)}` });
  return {
    pipeline: 'bench',
    node: node(k),
    run_id: `run-${r}`,
    event_id: `bench/${k}/${r}`,
    event_time: T0 + r * RUN_GAP_MS + k * 1000,
    status: 'succeeded',
    healthy: true,
    code_version: `git-${r % 7}`,
    data_version: `dv-${k}-${r}`,
    params: { lr: 0.01 * (r % 10), layer: k },
    metrics: { rows: 1000 + k, null_rate: 0.01 },
    inputs,
    outputs: [{ dataset: `d${k}`, content_hash: hash(k, r), row_count: 1000 + k, schema_fingerprint: 'fp' }],
    upstream: k === 0 ? [] : [{ pipeline: 'bench', node: node(k - 1), run_id: `run-${r}` }],
    column_lineage: [{ column: 'c', sources: [{ dataset: k === 0 ? 'raw' : `d${k - 1}`, column: 'c' }] }],
  };
}

function* batches(): Generator<CatalogRun[]> {
  let batch: CatalogRun[] = [];
  for (let r = 0; r < RUNS; r++) {
    for (let k = 0; k < NODES; k++) {
      batch.push(runOf(k, r));
      if (batch.length === BATCH) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;

interface Result {
  driver: string;
  stored: number;
  writeUsPerRun: number;
  runsPerSec: number;
  redeliverUsPerRun: number;
  provenance: number[];
  consumers: number[];
  columns: number[];
  provenanceRuns: number;
}

async function bench(driver: 'pglite' | 'pg'): Promise<Result> {
  let catalog: Catalog;
  let cleanup: () => Promise<void> = () => Promise.resolve();
  if (driver === 'pglite') {
    catalog = await Catalog.open({ driver: 'pglite' });
  } else {
    const up = await servicesUp({ only: ['postgres'], log: (m) => process.stderr.write(`[services] ${m}\n`) });
    const schema = `bench_${Date.now().toString(36)}`;
    catalog = await Catalog.open({ driver: 'pg', connectionString: up.addresses.postgresUrl, schema });
    cleanup = async () => {
      const c = new pg.Client({ connectionString: up.addresses.postgresUrl });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
      if (up.started.length > 0) await servicesDown({ only: up.started, log: () => undefined });
    };
  }
  try {
    const t0 = performance.now();
    let stored = 0;
    let lastBatch: CatalogRun[] = [];
    for (const b of batches()) {
      stored += (await catalog.writeRuns(b)).written;
      lastBatch = b;
      if (stored % (BATCH * 50) === 0) process.stderr.write(`[${driver}] ${stored} runs stored\n`);
    }
    const writeMs = performance.now() - t0;
    const t1 = performance.now();
    const again = await catalog.writeRuns(lastBatch);
    const redeliverMs = performance.now() - t1;
    if (again.written !== 0) throw new Error('a redelivered batch was written again');
    await catalog.sql.query('ANALYZE');

    const provenance: number[] = [];
    const consumers: number[] = [];
    const columns: number[] = [];
    let provenanceRuns = 0;
    for (let q = 0; q < QUERIES; q++) {
      const r = q === 0 ? RUNS - 1 : Math.floor((q * 7919) % RUNS);
      let s = performance.now();
      const p = await catalog.provenance(hash(NODES - 1, r));
      provenance.push(performance.now() - s);
      provenanceRuns = Object.keys(p.runs).length;
      if (provenanceRuns !== NODES) throw new Error(`provenance found ${provenanceRuns} runs, expected ${NODES}`);
      s = performance.now();
      const down = await catalog.consumers(`raw-${r}`);
      consumers.push(performance.now() - s);
      if (down.length !== NODES) throw new Error(`consumers found ${down.length} runs, expected ${NODES}`);
      s = performance.now();
      await catalog.columnSources({ node: node(NODES - 1), column: 'c' }, { at: T0 + r * RUN_GAP_MS + NODES * 1000 });
      columns.push(performance.now() - s);
    }
    return {
      driver,
      stored,
      writeUsPerRun: (writeMs * 1000) / stored,
      runsPerSec: stored / (writeMs / 1000),
      redeliverUsPerRun: (redeliverMs * 1000) / lastBatch.length,
      provenance,
      consumers,
      columns,
      provenanceRuns,
    };
  } finally {
    await catalog.close();
    await cleanup();
  }
}

const DRIVER_TITLES: Record<string, string> = {
  pglite: 'PGlite (PostgreSQL in WASM, in process, in memory)',
  pg: `PostgreSQL 15 from the harness (fsync off, loopback, port ${harnessConfig().ports.postgres})`,
};

const results: Result[] = [];
for (const d of String(values.drivers).split(',')) {
  if (d !== 'pglite' && d !== 'pg') throw new Error(`unknown driver ${d}`);
  process.stderr.write(`[${d}] writing ${NODES * RUNS} runs in batches of ${BATCH}\n`);
  results.push(await bench(d));
}

const row = (name: string, xs: number[]) =>
  `${name} | ${ms(pct(xs, 0.5))} | ${ms(pct(xs, 0.9))} | ${ms(Math.max(...xs))}`;
const lines = [
  '# Provenance catalog: write cost and query latency',
  '',
  `Run: \`npx tsx bench/catalog.ts --nodes ${NODES} --runs ${RUNS} --batch ${BATCH} --queries ${QUERIES} --drivers ${String(values.drivers)}\` on ${new Date().toISOString().slice(0, 10)}, ` +
    `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, a machine shared with other jobs; ` +
    `${results.map((r) => DRIVER_TITLES[r.driver]).join(' and ')}.`,
  '',
  `Data: a chain of ${NODES} nodes run ${RUNS} times = **${NODES * RUNS} stored runs**, each with one input, one output ` +
    `(content hash, row count, schema fingerprint), params, metrics, a lineage edge and one column-lineage entry. ` +
    `Written with \`writeRuns\` in batches of ${BATCH} runs (one transaction each).`,
  '',
  '## Write cost',
  '',
  '| driver | stored runs | per run | runs/s | redelivered batch, per run |',
  '|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.driver} | ${r.stored} | ${r.writeUsPerRun.toFixed(0)} µs | ${r.runsPerSec.toFixed(0)} | ${r.redeliverUsPerRun.toFixed(0)} µs |`,
  ),
  '',
  `## Query latency over ${NODES * RUNS} stored runs (${QUERIES} queries each, runs spread over the history)`,
  '',
  `- provenance: the last node's output hash, walked back ${NODES - 1} hops to the source (${NODES} runs in the answer, loaded in full);`,
  `- consumers: a source hash, followed ${NODES} hops downstream;`,
  `- column sources: the last node's column through ${NODES} column-lineage steps, with \`at\`.`,
  '',
  '| driver | query | p50 | p90 | max |',
  '|---|---|---|---|---|',
  ...results.flatMap((r) => [
    `| ${r.driver} | ${row('provenance', r.provenance)} |`,
    `| ${r.driver} | ${row('consumers', r.consumers)} |`,
    `| ${r.driver} | ${row('column sources', r.columns)} |`,
  ]),
  '',
];
writeFileSync(String(values.out), lines.join('\n'));
process.stdout.write(lines.join('\n'));
