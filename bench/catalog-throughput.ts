/**
 * The provenance catalog's cost in the monitor: the monitor's throughput on the same topic of reports without a
 * catalog, with the harness's PostgreSQL and with the embedded PGlite, in one run (each pass a consumer group of
 * its own on the same topic, so every pass reads the same reports from the start). The no-catalog pass runs first
 * and last: their spread is the machine's noise.
 *
 * Reports: `--pipelines` pipelines of `--nodes` nodes in a chain (node k reads node k-1's output by content hash),
 * a row count, three columns without distributions, params, code and data versions, column lineage.
 *
 * Usage: npx tsx bench/catalog-throughput.ts [--reports 20000] [--out bench/results/catalog-throughput.md]
 * The local services (Kafka, InfluxDB, PostgreSQL) are started (or reused) by the harness.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { schemaFingerprint, type ColumnProfile, type Report, type Schema } from '../src/contract/index.js';
import { localMonitorConfig, servicesUp } from '../src/dev/services/index.js';
import { createLogger } from '../src/service/log.js';
import { startInProcess } from '../src/service/monitor.js';

const { values } = parseArgs({
  options: {
    reports: { type: 'string', default: '20000' },
    pipelines: { type: 'string', default: '40' },
    nodes: { type: 'string', default: '10' },
    partitions: { type: 'string', default: '6' },
    out: { type: 'string', default: 'bench/results/catalog-throughput.md' },
  },
});
const N = Number(values.reports);
const PIPELINES = Number(values.pipelines);
const NODES = Number(values.nodes);
const PARTITIONS = Number(values.partitions);

const up = await servicesUp({ log: (m) => process.stderr.write(`[services] ${m}\n`) });
const kafka = new Kafka({ clientId: 'bench-catalog', brokers: up.addresses.kafkaBrokers, logLevel: logLevel.NOTHING });
const rch1 = (s: string) => `rch1:${createHash('sha256').update(s).digest('hex').slice(0, 32)}`;

function makeReports(): Report[] {
  const schema: Schema = ['a', 'b', 'c'].map((name) => ({ name, type: 'double', nullable: true }));
  const fp = schemaFingerprint(schema);
  const start = Date.now() - 3_600_000;
  const out: Report[] = [];
  for (let i = 0; i < N; i++) {
    const p = i % PIPELINES;
    const node = Math.floor(i / PIPELINES) % NODES;
    const run = Math.floor(i / (PIPELINES * NODES));
    const rows = 10_000 + ((i * 7) % 50);
    const columns: Record<string, ColumnProfile> = {};
    for (const c of ['a', 'b', 'c'])
      columns[c] = { kind: 'numeric', count: rows, null_count: (i + c.length) % 20, min: 0, max: 100, mean: 50 };
    const pipeline = `bench-cat-${p}`;
    const hash = (k: number) => rch1(`${pipeline}/n${k}/${run}`);
    out.push({
      spec: 'rootline.report/v1',
      event_id: `cat-${i}`,
      pipeline,
      node: `n${node}`,
      run_id: `r${run}`,
      event_time: new Date(start + run * 1000 + node * 10).toISOString(),
      ...(node > 0 ? { upstream: [{ node: `n${node - 1}`, run_id: `r${run}` }] } : {}),
      inputs: [
        node > 0
          ? { dataset: `lake/${p}/n${node - 1}`, profile: { content_hash: hash(node - 1) } }
          : { dataset: `source/${p}`, version: `v${run}`, profile: { content_hash: rch1(`source/${p}/${run}`) } },
      ],
      outputs: [
        {
          dataset: `lake/${p}/n${node}`,
          profile: { row_count: rows, schema, schema_fingerprint: fp, columns, content_hash: hash(node) },
        },
      ],
      code_version: 'git:abc1234',
      data_version: `n${node}@r${run}`,
      params: { window: '1h', layer: node },
      ...(node > 0 ? { column_lineage: { a: [{ node: `n${node - 1}`, column: 'a' }] } } : {}),
    });
  }
  return out;
}

async function produce(topic: string, reports: Report[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  await admin.disconnect();
  const p = kafka.producer();
  await p.connect();
  let bytes = 0;
  let chunk: { key: string; value: string }[] = [];
  let chunkBytes = 0;
  for (const r of reports) {
    const value = JSON.stringify(r);
    bytes += value.length;
    chunk.push({ key: r.pipeline, value });
    chunkBytes += value.length;
    if (chunkBytes > 512 * 1024 || chunk.length >= 500) {
      await p.send({ topic, messages: chunk });
      chunk = [];
      chunkBytes = 0;
    }
  }
  if (chunk.length > 0) await p.send({ topic, messages: chunk });
  await p.disconnect();
  return bytes / reports.length;
}

interface Pass {
  label: string;
  rate: number;
  batches: number;
  catalogWriteMs: number | undefined;
  stored: number | undefined;
}

async function pass(topic: string, label: string, id: string, catalog: Record<string, string>): Promise<Pass> {
  const cfg = localMonitorConfig(up.addresses, `bcat_${id}`, {
    'kafka.topics.reports': topic,
    'kafka.partitions': PARTITIONS,
    'kafka.maxMessageBytes': 4 * 1024 * 1024,
    'monitor.rules': 'rules',
    ...catalog,
  });
  const h = await startInProcess(cfg, createLogger('error', new Writable({ write: (_c, _e, cb) => cb() })));
  while (h.metrics.reports.total() === 0) await new Promise((r) => setTimeout(r, 5));
  const t0 = performance.now();
  const first = h.metrics.reports.total();
  while (h.metrics.reports.total() + h.metrics.duplicates.total() < N) await new Promise((r) => setTimeout(r, 5));
  const t1 = performance.now();
  const w = h.metrics.catalogWrite;
  const stored = h.catalog
    ? Number(
        (
          await h.catalog.sql.query<{ n: string }>(
            `SELECT count(*)::text AS n FROM runs WHERE pipeline LIKE 'bench-cat-%'`,
          )
        )[0]!.n,
      )
    : undefined;
  const res: Pass = {
    label,
    rate: ((N - first) / (t1 - t0)) * 1000,
    batches: h.metrics.batches.total(),
    catalogWriteMs: w.observations > 0 ? (w.total / w.observations) * 1000 : undefined,
    stored,
  };
  await h.stop();
  process.stderr.write(`${label}: ${res.rate.toFixed(0)} reports/s\n`);
  return res;
}

const stamp = Date.now().toString(36);
const topic = `bench-catalog-${stamp}`;
process.stderr.write(`generating ${N} reports...\n`);
const reports = makeReports();
const size = await produce(topic, reports);
process.stderr.write(`produced ${N} reports (${Math.round(size)} bytes each) to ${topic}\n`);
const schema = `bench_cat_${stamp}`;
const passes: Pass[] = [];
passes.push(await pass(topic, 'no catalog', `none1${stamp}`, { 'catalog.url': 'none' }));
passes.push(
  await pass(topic, 'PostgreSQL (harness)', `pg${stamp}`, {
    'catalog.url': up.addresses.postgresUrl,
    'catalog.schema': schema,
  }),
);
passes.push(await pass(topic, 'PGlite (embedded, in memory)', `pgl${stamp}`, { 'catalog.url': 'pglite:' }));
passes.push(await pass(topic, 'no catalog (again)', `none2${stamp}`, { 'catalog.url': 'none' }));

const client = new pg.Client({ connectionString: up.addresses.postgresUrl });
await client.connect();
await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
await client.end();

const base = (passes[0]!.rate + passes[3]!.rate) / 2;
const perReport = (p: Pass) => (p.catalogWriteMs === undefined ? '' : `${(1e6 / p.rate - 1e6 / base).toFixed(0)} µs`);
const md = [
  '# The provenance catalog in the monitor: throughput with and without it',
  '',
  `Run: \`npx tsx bench/catalog-throughput.ts --reports ${N}\` on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), a machine shared with other jobs. Real Kafka 3.9 broker, InfluxDB 1.8 and PostgreSQL 15 from the harness, all on loopback; one topic of ${PARTITIONS} partitions holding ${N.toLocaleString('en-US')} reports (${Math.round(size)} bytes each: ${PIPELINES} pipelines x ${NODES}-node chains, each report with a content-hashed input and output, params, versions and column lineage), produced before the passes. Each pass is a monitor with a consumer group of its own reading the whole topic; the passes run one after the other in the same process.`,
  '',
  '| pass | reports/s | batches | catalog write per batch (mean) | runs stored | added cost per report (vs the mean of the two no-catalog passes) |',
  '|---|---|---|---|---|---|',
  ...passes.map(
    (p) =>
      `| ${p.label} | ${p.rate.toFixed(0)} | ${p.batches} | ${p.catalogWriteMs === undefined ? '' : `${p.catalogWriteMs.toFixed(1)} ms`} | ${p.stored ?? ''} | ${perReport(p)} |`,
  ),
  '',
].join('\n');
writeFileSync(values.out, md);
process.stdout.write(md);
process.exit(0);
