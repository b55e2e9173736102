/**
 * Monitor throughput on the real broker and InfluxDB, beside a plain kafkajs consumer reading the same
 * topic in the same run. Two workloads: small reports (row count and three columns without
 * distributions) and 20-column sketch reports (20 numeric columns, each a KLL sketch of 5,000 values).
 * Target: the monitor keeps at least half of the raw consumer's rate for small reports.
 *
 * Usage: npx tsx bench/throughput.ts [--small 20000] [--sketch 2000] [--decode-workers 0,1] [--out bench/results/throughput.md]
 * --decode-workers: the monitor is run once per count in the list (monitor.decodeWorkers; 0: decoding on the main
 * thread), each on its own consumer group, in the same run as the stages alone.
 * The local services are started (or reused) by the harness.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { startInProcess } from '../src/service/monitor.js';
import { schemaFingerprint, type ColumnProfile, type Report, type Schema } from '../src/contract/index.js';
import { localMonitorConfig, servicesUp } from '../src/dev/services/index.js';
import { InfluxSink } from '../src/adapters/influx/sink.js';
import { createLogger } from '../src/service/log.js';
import { MonitorCore } from '../src/monitor/index.js';
import { decodeMessage } from '../src/adapters/decode/decode.js';
import { loadRules } from '../src/rules/index.js';
import { KllDoublesSketch, seededRandom } from '../src/sketch/index.js';

const { values } = parseArgs({
  options: {
    small: { type: 'string', default: '20000' },
    sketch: { type: 'string', default: '2000' },
    out: { type: 'string', default: 'bench/results/throughput.md' },
    partitions: { type: 'string', default: '6' },
    'decode-workers': { type: 'string', default: '0,1' },
  },
});
const PARTITIONS = Number(values.partitions);
const WORKERS = values['decode-workers'].split(',').map(Number);
const PIPELINES = 60;
const NODES = 5;

const up = await servicesUp({ log: (m) => process.stderr.write(`[services] ${m}\n`) });
const brokers = up.addresses.kafkaBrokers;
const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });

function makeReports(n: number, kind: 'small' | 'sketch'): Report[] {
  const rng = seededRandom(kind === 'small' ? 1 : 2);
  const cols = kind === 'small' ? 3 : 20;
  const schema: Schema = Array.from({ length: cols }, (_, i) => ({ name: `c${i}`, type: 'double', nullable: true }));
  const fp = schemaFingerprint(schema);
  const start = Date.now() - 3_600_000;
  const out: Report[] = [];
  for (let i = 0; i < n; i++) {
    const p = i % PIPELINES;
    const node = Math.floor(i / PIPELINES) % NODES;
    const run = Math.floor(i / (PIPELINES * NODES));
    const rows = 10_000 + Math.floor(rng() * 50);
    const columns: Record<string, ColumnProfile> = {};
    for (let c = 0; c < cols; c++) {
      const nulls = Math.floor(rng() * 20);
      if (kind === 'small')
        columns[`c${c}`] = { kind: 'numeric', count: rows, null_count: nulls, min: 0, max: 100, mean: 50 };
      else {
        const s = new KllDoublesSketch(200, { random: seededRandom(i * 31 + c) });
        const v = new Float64Array(5000);
        for (let j = 0; j < v.length; j++) v[j] = c * 10 + rng() * 10;
        s.updateMany(v);
        columns[`c${c}`] = {
          kind: 'numeric',
          count: rows,
          null_count: nulls,
          min: s.min,
          max: s.max,
          // the values' own mean, as a profiler reports it (a constant would make every column look standardized per run)
          mean: v.reduce((a, x) => a + x, 0) / v.length,
          sketch: { type: 'kll_doubles', k: 200, data: s.toBase64() },
        };
      }
    }
    out.push({
      spec: 'rootline.report/v1',
      event_id: `${kind}-${i}`,
      pipeline: `bench-${kind}-${p}`,
      node: `n${node}`,
      run_id: `r${run}`,
      event_time: new Date(start + run * 1000 + node * 10).toISOString(),
      ...(node > 0 ? { upstream: [{ node: `n${node - 1}`, run_id: `r${run}` }] } : {}),
      outputs: [
        { dataset: `lake/${p}/n${node}`, profile: { row_count: rows, schema, schema_fingerprint: fp, columns } },
      ],
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
    // Stay well under the broker's request size limit.
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

async function rawConsumer(topic: string, n: number): Promise<number> {
  const c = kafka.consumer({ groupId: `raw-${topic}`, maxWaitTimeInMs: 100, maxBytesPerPartition: 2 * 1024 * 1024 });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let t0 = 0;
  let t1 = 0;
  await c.run({
    eachBatch: async ({ batch }) => {
      if (t0 === 0) t0 = performance.now();
      // The least a consumer does with a report: decode the bytes.
      for (const m of batch.messages) JSON.parse(m.value!.toString('utf8'));
      seen += batch.messages.length;
      if (seen >= n) t1 = performance.now();
      return Promise.resolve();
    },
  });
  while (seen < n) await new Promise((r) => setTimeout(r, 20));
  await c.disconnect();
  return (n / (t1 - t0)) * 1000;
}

/** CPU ms of this process's main thread so far (Linux: /proc), undefined elsewhere. */
function mainThreadCpuMs(): number | undefined {
  try {
    const f = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

async function monitor(
  topic: string,
  n: number,
  id: string,
  workers: number,
): Promise<{ rate: number; influxWrite: number; batches: number; cpuMs: number; mainMs: number }> {
  const cfg = localMonitorConfig(up.addresses, `bench_${id}`, {
    'kafka.topics.reports': topic,
    'kafka.maxMessageBytes': 4 * 1024 * 1024,
    'monitor.rules': 'rules',
    // '-': left to the monitor's default (and to builds without the setting).
    ...(Number.isNaN(workers) ? {} : { 'monitor.decodeWorkers': workers }),
  });
  const h = await startInProcess(cfg, createLogger('error', new Writable({ write: (_c, _e, cb) => cb() })));
  while (h.metrics.reports.total() === 0) await new Promise((r) => setTimeout(r, 5));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const m0 = mainThreadCpuMs() ?? NaN;
  const first = h.metrics.reports.total();
  while (h.metrics.reports.total() + h.metrics.duplicates.total() < n) await new Promise((r) => setTimeout(r, 5));
  const t1 = performance.now();
  const c = process.cpuUsage(c0);
  const res = {
    cpuMs: (c.user + c.system) / 1000 / (n - first),
    mainMs: ((mainThreadCpuMs() ?? NaN) - m0) / (n - first),
    rate: ((n - first) / (t1 - t0)) * 1000,
    influxWrite: h.metrics.influxWrite.total / Math.max(1, h.metrics.influxWrite.observations),
    batches: h.metrics.batches.total(),
  };
  await h.stop();
  return res;
}

/**
 * Where the monitor's time goes, measured separately on the same reports: decoding + the core alone
 * (CPU, no I/O: decode, validate, process, and take the state records to commit), InfluxDB alone (writing
 * the points the core produced, in batches of the size the monitor used), and the Kafka transactions alone
 * (the same state records and health events, one transaction per batch with its offsets, on a topic of its own).
 */
async function parts(
  reports: Report[],
  batchSize: number,
  id: string,
  topic: string,
): Promise<{ core: number; coreCpuMs: number; influx: number; kafka: number; pointsPerReport: number }> {
  const bytes = reports.map((r) => Buffer.from(JSON.stringify(r)));
  const core = new MonitorCore({ rules: loadRules('rules') });
  const points = [];
  const txns: { key: string; value: string | null }[][] = [];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < bytes.length; i += batchSize) {
    const batch = [];
    for (const b of bytes.slice(i, i + batchSize)) {
      const d = await decodeMessage(b, { maxMessageBytes: 4 * 1024 * 1024 });
      if (d[0]!.kind === 'report') batch.push(d[0]!.report);
    }
    const out = core.processBatch(batch);
    points.push(out.points);
    txns.push([
      ...core.exportState(out.dirty).map((r) => ({ key: r.key, value: r.value ?? null })),
      ...out.runs.map((r) => ({ key: `${r.pipeline}/${r.node}`, value: JSON.stringify(r.run) })),
    ]);
  }
  const tCore = performance.now() - t0;
  const cCore = process.cpuUsage(c0);
  const sink = new InfluxSink({ url: up.addresses.influxUrl, token: 'x', org: 'o', bucket: `parts_${id}` });
  await sink.ensureBucket();
  const t1 = performance.now();
  for (const p of points) await sink.write(p);
  const tInflux = performance.now() - t1;
  const total = points.reduce((a, p) => a + p.length, 0);
  // Kafka alone: a transactional producer as the monitor's, one transaction per batch (records + offsets).
  const admin = kafka.admin();
  await admin.connect();
  const stateTopic = `bench-state-${id}`;
  await admin.createTopics({
    topics: [
      {
        topic: stateTopic,
        numPartitions: PARTITIONS,
        configEntries: [{ name: 'max.message.bytes', value: '8388608' }],
      },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer({ transactionalId: `bench-txn-${id}`, maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  const t2 = performance.now();
  for (let b = 0; b < txns.length; b++) {
    const txn = await producer.transaction();
    for (let i = 0; i < txns[b]!.length; i += 100)
      await txn.send({ topic: stateTopic, messages: txns[b]!.slice(i, i + 100) });
    await txn.sendOffsets({
      consumerGroupId: `bench-txn-${id}`,
      topics: [{ topic, partitions: [{ partition: b % PARTITIONS, offset: String(b * batchSize) }] }],
    });
    await txn.commit();
  }
  const tKafka = performance.now() - t2;
  await producer.disconnect();
  return {
    core: (reports.length / tCore) * 1000,
    coreCpuMs: (cCore.user + cCore.system) / 1000 / reports.length,
    influx: (reports.length / tInflux) * 1000,
    kafka: (reports.length / tKafka) * 1000,
    pointsPerReport: total / reports.length,
  };
}

const rows: string[] = [];
const partRows: string[] = [];
const stamp = Date.now().toString(36);
for (const [kind, n] of [
  ['small', Number(values.small)],
  ['sketch', Number(values.sketch)],
] as const) {
  process.stderr.write(`generating ${n} ${kind} reports...\n`);
  const reports = makeReports(n, kind);
  const topic = `bench-${kind}-${stamp}`;
  const size = await produce(topic, reports);
  process.stderr.write(`produced ${n} reports (${Math.round(size)} bytes each) to ${topic}; raw consumer...\n`);
  const raw = await rawConsumer(topic, n);
  process.stderr.write(`raw ${raw.toFixed(0)}/s; monitor...\n`);
  const mons: { workers: number; rate: number; influxWrite: number; batches: number; cpuMs: number; mainMs: number }[] =
    [];
  for (const workers of WORKERS) {
    const mon = await monitor(topic, n, `${kind}${stamp}w${workers}`, workers);
    process.stderr.write(
      `monitor (${workers} decoding workers) ${mon.rate.toFixed(0)}/s; ${mon.cpuMs.toFixed(2)} CPU ms per report, ${mon.mainMs.toFixed(2)} on the main thread\n`,
    );
    mons.push({ workers, ...mon });
  }
  const mon = mons[0]!;
  process.stderr.write(`parts...\n`);
  const part = await parts(reports, Math.max(1, Math.round(n / Math.max(1, mon.batches))), `${kind}${stamp}`, topic);
  const slowest = Math.min(raw, part.core, part.influx, part.kafka);
  for (const m of mons)
    partRows.push(
      `| ${kind} | ${m.workers} | ${raw.toFixed(0)} | ${part.core.toFixed(0)} (${part.coreCpuMs.toFixed(2)} CPU ms) | ${part.influx.toFixed(0)} (${part.pointsPerReport.toFixed(1)} points per report, ${(part.influx * part.pointsPerReport).toFixed(0)} points/s) | ${part.kafka.toFixed(0)} | ${m.rate.toFixed(0)} (${m.cpuMs.toFixed(2)}; ${m.mainMs.toFixed(2)}) | ${m.batches} | **${(m.rate / slowest).toFixed(2)}** |`,
    );
  rows.push(
    `| ${kind === 'small' ? 'small (3 columns, no distributions)' : '20-column sketch (20 KLL sketches, k=200)'} | ${n.toLocaleString('en-US')} | ${Math.round(size).toLocaleString('en-US')} B | ${raw.toFixed(0)} | ${mon.rate.toFixed(0)} | **${(mon.rate / raw).toFixed(2)}** | ${mon.batches} | ${(mon.influxWrite * 1000).toFixed(1)} ms |`,
  );
}

const md = [
  '# Monitor throughput',
  '',
  `Run: \`npx tsx bench/throughput.ts --small ${values.small} --sketch ${values.sketch}\` on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), shared machine. Real Kafka 3.9 broker, InfluxDB 1.8, all on loopback; topic of ${PARTITIONS} partitions, ${PIPELINES} pipelines x ${NODES} nodes, reports produced before either consumer starts.`,
  '',
  'The raw consumer is a plain kafkajs consumer (eachBatch) that parses each message as JSON and nothing else. The monitor does the whole job per batch: decode and validate, evaluate against baselines (KS on sketches), rules, RCA, the InfluxDB write, and one Kafka transaction (state, health events, offsets). Rates count from the first message handled to the last.',
  '',
  '| workload | reports | size | raw kafkajs (reports/s) | monitor (reports/s) | monitor / raw | batches | InfluxDB write (mean) |',
  '|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
  "Target: the monitor keeps at least half of the raw consumer's rate for small reports.",
  '',
  'Each stage alone (same reports, measured one after the other in the same run; reports/s if that stage ran alone): the raw Kafka consumer (from above), decoding + the core (CPU only, with taking the state records to commit), the InfluxDB writes of the points the core produced (batches of the size the monitor used), and the Kafka transactions (state records, health events and offsets, one per batch). Target: the monitor within 80% of its slowest stage (monitor / slowest >= 0.8).',
  '',
  '| workload | decoding workers | Kafka consume (raw) | decode + core (one thread; its CPU ms per report) | InfluxDB writes alone | Kafka transactions alone | monitor (CPU ms per report: the process; its main thread) | batches | monitor / slowest stage |',
  '|---|---|---|---|---|---|---|---|---|',
  ...partRows,
  '',
].join('\n');
writeFileSync(values.out, md);
process.stdout.write(md);
process.exit(0);
