/**
 * End-to-end latency from a report produced to Kafka to the Slack call that alerts on it, on the real
 * broker and InfluxDB with the local Slack server. Pipelines are warmed up first; then, one at a time,
 * a faulty report is produced and the time until the Slack server receives the chat.postMessage for
 * its incident is measured (no queueing: one incident in flight).
 *
 * Usage: npx tsx bench/latency.ts [--incidents 200] [--out bench/results/latency.md]
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { startInProcess } from '../src/service/monitor.js';
import { localMonitorConfig, servicesUp } from '../src/dev/services/index.js';
import type { RecordedCall } from '../src/dev/slack/server.js';
import { createLogger } from '../src/service/log.js';
import { PipelineSim, makeDag } from '../src/sim/index.js';

const { values } = parseArgs({
  options: {
    incidents: { type: 'string', default: '200' },
    out: { type: 'string', default: 'bench/results/latency.md' },
  },
});
const N = Number(values.incidents);
const up = await servicesUp({ log: (m) => process.stderr.write(`[services] ${m}\n`) });
const id = `lat${Date.now().toString(36)}`;
const cfg = localMonitorConfig(up.addresses, id, { 'slack.channel': 'C0LATENCY' });
const h = await startInProcess(cfg, createLogger('error', new Writable({ write: (_c, _e, cb) => cb() })));
const kafka = new Kafka({ clientId: 'bench-latency', brokers: up.addresses.kafkaBrokers, logLevel: logLevel.NOTHING });
const producer = kafka.producer();
await producer.connect();

// Warm up N pipelines of two nodes each (baselines armed), all at once.
const base = Date.now() - 10 * 60_000;
const sims = Array.from({ length: N }, (_, i) => new PipelineSim(makeDag('chain', 2, `lat-${i}`), { seed: i + 1 }));
const WARM = 7;
for (let r = 0; r < WARM; r++) {
  await producer.send({
    topic: cfg.kafka.topics.reports,
    messages: sims
      .flatMap((s) => s.run(r, [], base + r * 60_000))
      .map((rep) => ({ key: rep.pipeline, value: JSON.stringify(rep) })),
  });
}
while (h.metrics.reports.total() < N * 2 * WARM) await new Promise((r) => setTimeout(r, 50));
process.stderr.write(`warmed up ${N} pipelines (${h.metrics.reports.total()} reports)\n`);

async function postMessages(): Promise<RecordedCall[]> {
  const res = await fetch(`${up.addresses.slackControlUrl}/calls?token=${cfg.slack.token!}&method=chat.postMessage`);
  return (await res.json()) as RecordedCall[];
}

const latencies: number[] = [];
for (let i = 0; i < N; i++) {
  const before = (await postMessages()).length;
  // The source node's report carries the fault (a 30% row drop).
  const [faulty] = sims[i]!.run(WARM, [{ node: 'n00', kind: 'row_drop' }], Date.now());
  const t0 = Date.now();
  await producer.send({
    topic: cfg.kafka.topics.reports,
    messages: [{ key: faulty!.pipeline, value: JSON.stringify(faulty) }],
  });
  let call: RecordedCall | undefined;
  while (!call) {
    const calls = await postMessages();
    if (calls.length > before) call = calls[calls.length - 1];
    else await new Promise((r) => setTimeout(r, 2));
  }
  if (!String(call.args.text).includes(`lat-${i}`)) throw new Error(`unexpected message: ${String(call.args.text)}`);
  latencies.push(Date.parse(call.at) - t0);
}
await h.stop();
await producer.disconnect();

const sorted = [...latencies].sort((a, b) => a - b);
const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
const md = [
  '# End-to-end latency: report produced -> Slack call',
  '',
  `Run: \`npx tsx bench/latency.ts --incidents ${N}\` on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), shared machine; real Kafka 3.9 and InfluxDB 1.8 on loopback, the local Slack Web API server, the monitor in one process with default settings (kafka.maxWaitMs 100).`,
  '',
  `Each sample: one faulty report (a 30% row drop at the source of a warmed-up 2-node pipeline) produced to the reports topic; the time until the Slack server receives the chat.postMessage of its incident (the Slack server's receive timestamp minus the produce call's start). Path: consumer fetch -> decode, evaluate, rules, RCA -> InfluxDB write -> Kafka transaction (state, incident event, offsets) -> incidents topic -> action dispatcher's consumer -> Slack. ${N} incidents, one at a time.`,
  '',
  '| p50 | p90 | p99 | max | mean |',
  '|---|---|---|---|---|',
  `| ${q(0.5)} ms | ${q(0.9)} ms | **${q(0.99)} ms** | ${sorted[sorted.length - 1]} ms | ${(latencies.reduce((a, b) => a + b, 0) / latencies.length).toFixed(0)} ms |`,
  '',
  'Target: p99 under 1 s.',
  '',
].join('\n');
writeFileSync(values.out, md);
process.stdout.write(md);
process.exit(0);
