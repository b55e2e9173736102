// Issue 14 on the real services: dead letters of a backlog fit the broker, a schema-registry outage is waited
// for (valid Avro is not dead-lettered), and a restarted monitor holds its state before any new report.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it, onTestFinished } from 'vitest';
import { REPORT_AVRO_SCHEMA, encodeReportAvro, type Report } from '../../../src/contract/index.js';
import { consumer, eventually, producer, services, unique } from '../helpers.js';
import { monitorConfig, recentSim, sendReports, startMonitor } from '../monitor/harness.js';

/** Every dead letter of a topic, by source offset. */
async function deadLetters(topic: string): Promise<Map<string, { code: string; bytes: number }>> {
  const out = new Map<string, { code: string; bytes: number }>();
  const c = consumer(unique('dlq'));
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  await c.run({
    eachMessage: ({ message }) => {
      out.set(message.headers?.['rootline-source-offset']?.toString() ?? '', {
        code: message.headers?.['rootline-error']?.toString() ?? '',
        bytes: message.value?.length ?? 0,
      });
      return Promise.resolve();
    },
  });
  return out;
}

/** A TCP proxy to `target` that can be switched off (connections refused) and on again. */
async function switchableProxy(
  target: URL,
): Promise<{ url: string; off: () => Promise<void>; on: () => Promise<void> }> {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  let port = 0;
  const on = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(Number(target.port), target.hostname);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const close = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', close).on('close', close);
        upstream.on('error', close).on('close', close);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  const off = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await on();
  onTestFinished(off);
  return { url: `http://127.0.0.1:${port}${target.pathname}`, off, on };
}

describe('dependencies and backlogs (issue 14)', () => {
  it('a hundred invalid 12 KB reports and an invalid 1 MB one waiting for the monitor: all dead-lettered, the partition moves on', async () => {
    const cfg = monitorConfig({ 'kafka.partitions': 1 });
    const p = await producer();
    const sim = recentSim('chain', 2, 'backlog', 7);
    const [good] = sim.run(0);
    /** An invalid report (row_count -1) of exactly `bytes` bytes of JSON. */
    const invalid = (i: number, bytes: number): string => {
      const r = { ...structuredClone(good!), node: `bad-${i}`, params: { pad: '' } } as Report;
      (r as unknown as { outputs: { profile: { row_count: number } }[] }).outputs[0]!.profile.row_count = -1;
      r.params = { pad: 'x'.repeat(bytes - Buffer.byteLength(JSON.stringify(r))) };
      return JSON.stringify(r);
    };
    // The monitor creates its topics at start: start it once, stop it, then queue the backlog.
    const first = await startMonitor(cfg);
    await first.stop();
    const messages = Array.from({ length: 100 }, (_, i) => ({ key: 'backlog', value: invalid(i, 12 * 1024) }));
    messages.push({ key: 'backlog', value: invalid(100, 1_040_000) });
    for (let i = 0; i <= 100; i += 20)
      await p.send({
        topic: cfg.kafka.topics.reports,
        messages: i === 100 ? messages.slice(100) : messages.slice(i, i + 20),
      });
    await sendReports(cfg, sim.run(0));

    const t0 = Date.now();
    const m = await startMonitor(cfg);
    await eventually(
      () => (m.core.node({ pipeline: 'backlog', node: good!.node })?.runs === 1 ? true : undefined),
      60_000,
      'the good report after the backlog',
    );
    const took = Date.now() - t0;
    const dead = await deadLetters(cfg.kafka.topics.dlq);
    await eventually(() => (dead.size >= 101 ? true : undefined), 20_000, '101 dead letters');
    expect([...dead.values()].every((d) => d.code === 'REPORT_INVALID')).toBe(true);
    expect(Math.max(...[...dead.values()].map((d) => d.bytes))).toBeLessThanOrEqual(64 * 1024);
    expect(m.kafka.status.crashed).toBeUndefined();
    process.stderr.write(`[dependencies] backlog of 101 invalid reports dead-lettered in ${took} ms\n`);
  });

  it('a schema-registry outage pauses the partition; the valid Avro report is processed when it is back, not dead-lettered', async () => {
    const proxy = await switchableProxy(new URL(services().registryUrl));
    const cfg = monitorConfig({ 'kafka.partitions': 1, 'schemaRegistry.url': proxy.url });
    const registry = new SchemaRegistry({ host: services().registryUrl });
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(REPORT_AVRO_SCHEMA) },
      { subject: `${cfg.kafka.topics.reports}-value` },
    );
    const m = await startMonitor(cfg);
    await proxy.off();
    const sim = recentSim('chain', 2, 'avro-outage', 9);
    const reports = sim.run(0);
    const p = await producer();
    await p.send({
      topic: cfg.kafka.topics.reports,
      messages: reports.map((r) => {
        const body = encodeReportAvro(r);
        const framed = Buffer.alloc(5 + body.length);
        framed.writeUInt8(0, 0);
        framed.writeUInt32BE(id, 1);
        Buffer.from(body).copy(framed, 5);
        return { key: r.pipeline, value: framed };
      }),
    });
    await eventually(
      () => (m.logs.some((l) => l.includes('schema registry unavailable')) ? true : undefined),
      30_000,
      'the monitor waiting for the registry',
    );
    expect(m.core.nodes('avro-outage')).toHaveLength(0);
    await proxy.on();
    await eventually(
      () => (m.core.nodes('avro-outage').length === 2 ? true : undefined),
      30_000,
      'both Avro reports processed after the outage',
    );
    const dead = await deadLetters(cfg.kafka.topics.dlq);
    await new Promise((r) => setTimeout(r, 2000));
    expect(dead.size).toBe(0);
    expect(m.kafka.status.crashed).toBeUndefined();
  });

  it('a restarted monitor loads the state of its partitions at assignment, before any new report', async () => {
    const cfg = monitorConfig({ 'log.level': 'info' });
    const first = await startMonitor(cfg);
    const sim = recentSim('chain', 4, 'eager', 3);
    for (let r = 0; r < 3; r++) await sendReports(cfg, sim.run(r));
    await eventually(
      () =>
        first.core.nodes('eager').every((n) => n.runs === 3) && first.core.nodes('eager').length === 4
          ? true
          : undefined,
      60_000,
      'three runs of four nodes',
    );
    await first.stop();
    const second = await startMonitor(cfg);
    await eventually(
      () => (second.core.nodes('eager').length === 4 ? true : undefined),
      30_000,
      'the pipeline in memory without a new report',
    );
    expect(second.core.nodes('eager').every((n) => n.runs === 3)).toBe(true);
    const line = second.logs.find((l) => l.includes('state of assigned partitions loaded'));
    expect(line).toBeDefined();
    const { loadMs } = JSON.parse(line!) as { loadMs: number };
    process.stderr.write(`[dependencies] state loaded at assignment in ${loadMs} ms\n`);
  });
});
