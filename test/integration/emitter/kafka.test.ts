// The TypeScript emitter over the real Kafka broker and schema registry: JSON and Avro (Confluent wire
// format, schema registered under <topic>-value), consumed back and decoded the way the monitor does.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { profileCommand } from '../../../src/cli/profile.js';
import { validateReport, type Report } from '../../../src/contract/index.js';
import { SPEC_HEADER, buildReport, createEmitter } from '../../../src/emitter/index.js';
import { decodeMessage } from '../../../src/adapters/decode/decode.js';
import { profileColumns } from '../../../src/profile/index.js';
import { admin, consumer, eventually, services, topic, unique } from '../helpers.js';

function reportFor(pipeline: string, i: number): Report {
  const profile = profileColumns({
    amount: Float64Array.from({ length: 1000 }, (_, j) => (j * 7919) % 1000),
    city: Array.from({ length: 1000 }, (_, j) => (j % 3 === 0 ? null : `c${j % 5}`)),
  });
  return buildReport({
    pipeline,
    node: 'compute_avg_amount',
    run_id: `run-${i}`,
    outputs: [{ dataset: 'lake/features/avg_amount', profile }],
    upstream: ['clean_transactions'],
    code_version: 'git:3f2a9c1',
  });
}

type Received = KafkaMessage & { partition: number };

async function consumeAll(t: string, n: number): Promise<Received[]> {
  const got: Received[] = [];
  const c = consumer(unique('g'));
  await c.connect();
  await c.subscribe({ topic: t, fromBeginning: true });
  await c.run({
    eachMessage: ({ message, partition }) => {
      got.push({ ...message, partition });
      return Promise.resolve();
    },
  });
  await eventually(() => (got.length >= n ? true : undefined), 30_000, `${n} messages on ${t}`);
  return got;
}

describe('TypeScript emitter over Kafka', () => {
  it('sends JSON reports keyed by pipeline with the spec header; the monitor decodes them as valid reports', async () => {
    const t = await topic(3);
    const em = createEmitter({
      kafka: { brokers: services().kafkaBrokers, topic: t },
      flushIntervalMs: 10,
      batchSize: 4,
    });
    const sent = [
      reportFor('churn', 1),
      reportFor('churn', 2),
      reportFor('billing', 3),
      reportFor('churn', 4),
      reportFor('billing', 5),
    ];
    for (const r of sent) expect(em.report(r)).toBe(true);
    expect(await em.flush(30_000)).toBe(true);
    expect(em.stats).toMatchObject({ sent: 5, dropped: 0, buffered: 0 });
    expect(await em.close()).toBe(true);

    const got = await consumeAll(t, 5);
    const byId = new Map(sent.map((r) => [r.event_id, r]));
    for (const m of got) {
      expect(m.headers?.[SPEC_HEADER]?.toString()).toBe('rootline.report/v1');
      const [decoded] = await decodeMessage(m.value, { maxMessageBytes: 1_048_576 });
      if (decoded?.kind !== 'report') throw new Error(`not decoded: ${JSON.stringify(decoded)}`);
      expect(decoded.format).toBe('json');
      expect(decoded.report).toEqual(byId.get(decoded.report.event_id));
      expect(m.key?.toString()).toBe(decoded.report.pipeline);
    }
    // key = pipeline: one pipeline's reports share a partition, in order
    for (const pipeline of ['churn', 'billing']) {
      const mine = got.filter((m) => m.key?.toString() === pipeline);
      expect(mine.length).toBeGreaterThan(0);
      expect(new Set(mine.map((m) => m.partition)).size, pipeline).toBe(1);
    }
  });

  it('sends Avro in the Confluent wire format with the schema registered under <topic>-value', async () => {
    const t = await topic();
    const registryUrl = services().registryUrl;
    const em = createEmitter({
      kafka: { brokers: services().kafkaBrokers, topic: t, format: 'avro', schemaRegistry: { url: registryUrl } },
      flushIntervalMs: 10,
    });
    const sent = [reportFor('churn', 1), reportFor('churn', 2)];
    for (const r of sent) em.report(r);
    expect(await em.flush(30_000)).toBe(true);
    expect(em.stats).toMatchObject({ sent: 2, dropped: 0 });
    await em.close();

    const registry = new SchemaRegistry({ host: registryUrl });
    const id = await registry.getLatestSchemaId(`${t}-value`);
    const got = await consumeAll(t, 2);
    for (const m of got) {
      expect(m.value![0]).toBe(0);
      expect(m.value!.readInt32BE(1)).toBe(id);
      const [decoded] = await decodeMessage(m.value, { maxMessageBytes: 1_048_576, avro: registry });
      if (decoded?.kind !== 'report') throw new Error(`not decoded: ${JSON.stringify(decoded)}`);
      expect(decoded.format).toBe('avro');
      expect(validateReport(decoded.report).ok).toBe(true);
      expect(decoded.report).toEqual(sent.find((r) => r.event_id === decoded.report.event_id));
    }
  });

  it('drops a message the broker refuses as too large (with the reason) and still delivers the rest of its batch', async () => {
    const a = await admin();
    const t = unique('t');
    await a.createTopics({
      topics: [
        {
          topic: t,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'max.message.bytes', value: '20000' }],
        },
      ],
      waitForLeaders: true,
    });
    try {
      const big = buildReport({
        pipeline: 'churn',
        node: 'n',
        outputs: [{ dataset: 'd', profile: { row_count: 1 } }],
        params: { blob: 'x'.repeat(50_000) },
      });
      const small = reportFor('churn', 2);
      const em = createEmitter({
        kafka: { brokers: services().kafkaBrokers, topic: t },
        flushIntervalMs: 10,
        backoff: { initialMs: 50 },
      });
      em.report(big);
      em.report(small);
      expect(await em.flush(60_000)).toBe(true);
      expect(em.stats).toMatchObject({ sent: 1, rejected: 1, dropped: 1 });
      expect(em.lastError).toMatch(/Kafka refused the message/);
      await em.close();
      const got = await consumeAll(t, 1);
      expect((JSON.parse(got[0]!.value!.toString()) as Report).event_id).toBe(small.event_id);
    } finally {
      await a.deleteTopics({ topics: [t] }).catch(() => undefined);
    }
  });

  it('keeps retrying while the broker cannot be reached, never throwing, and counts what close() gives up', async () => {
    const em = createEmitter({
      kafka: { brokers: ['127.0.0.1:1'], topic: 'unreachable' },
      flushIntervalMs: 1,
      backoff: { initialMs: 50, maxMs: 100 },
    });
    em.report(reportFor('churn', 1));
    await eventually(() => (em.stats.failedAttempts >= 2 ? true : undefined), 60_000, 'two failed attempts');
    expect(em.lastError).toMatch(/cannot connect to Kafka/);
    expect(await em.close(100)).toBe(false);
    expect(em.stats).toMatchObject({ sent: 0, expired: 1, dropped: 1, buffered: 0 });
  });
});

describe('rootline profile --emit kafka', () => {
  it('profiles a file and sends the report as Avro through the registry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rootline-cli-kafka-'));
    try {
      const file = join(dir, 'orders.csv');
      writeFileSync(file, 'id,amount\n1,2.5\n2,\n3,4\n');
      const t = await topic();
      const code = await profileCommand([
        file,
        '--emit',
        'kafka',
        '--brokers',
        services().kafkaBrokers.join(','),
        '--topic',
        t,
        '--kafka-format',
        'avro',
        '--registry',
        services().registryUrl,
        '--pipeline',
        'shop',
        '--node',
        'load_orders',
        '--no-progress',
      ]);
      expect(code).toBe(0);
      const [m] = await consumeAll(t, 1);
      const [decoded] = await decodeMessage(m!.value, {
        maxMessageBytes: 1_048_576,
        avro: new SchemaRegistry({ host: services().registryUrl }),
      });
      if (decoded?.kind !== 'report') throw new Error(JSON.stringify(decoded));
      expect(decoded.report).toMatchObject({
        pipeline: 'shop',
        node: 'load_orders',
        outputs: [
          {
            dataset: file,
            profile: { row_count: 3, columns: { amount: { kind: 'numeric', null_count: 1, min: 2.5, max: 4 } } },
          },
        ],
      });
      expect(m!.key?.toString()).toBe('shop');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
