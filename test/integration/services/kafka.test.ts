import { describe, expect, it } from 'vitest';
import type { EachBatchPayload } from 'kafkajs';
import { admin, consumer, eventually, kafkaClient, producer, topic, unique } from '../helpers.js';

describe('Kafka broker (kafkajs)', () => {
  it('reports a KRaft cluster of one broker on 127.0.0.1', async () => {
    const a = await admin();
    const cluster = await a.describeCluster();
    expect(cluster.brokers).toHaveLength(1);
    expect(cluster.brokers[0]!.host).toBe('127.0.0.1');
    expect(cluster.controller).toBe(cluster.brokers[0]!.nodeId);
  });

  it('produces and consumes in a group, commits, and a restarted consumer resumes from the committed offset', async () => {
    const t = await topic(3);
    const group = unique('g');
    const p = await producer();
    const first = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 5}`, value: `first-${i}` }));
    await p.send({ topic: t, messages: first });

    // Consume the first 30 in batches and commit explicitly after each batch is handled.
    const seen: string[] = [];
    const c1 = consumer(group);
    await c1.connect();
    await c1.subscribe({ topic: t, fromBeginning: true });
    await c1.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }: EachBatchPayload) => {
        for (const m of batch.messages) {
          seen.push(m.value!.toString());
          resolveOffset(m.offset);
        }
        await c1.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) },
        ]);
        await heartbeat();
      },
    });
    await eventually(() => (seen.length >= 30 ? true : undefined), 30_000, '30 messages');
    await c1.disconnect();
    expect(new Set(seen)).toEqual(new Set(first.map((m) => m.value)));

    // The committed offsets cover every message.
    const a = await admin();
    const committed = await a.fetchOffsets({ groupId: group, topics: [t] });
    const total = committed[0]!.partitions.reduce((s, p) => s + Number(p.offset), 0);
    expect(total).toBe(30);

    // While nobody consumes, 20 more arrive; a new consumer in the same group sees only those.
    const second = Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 5}`, value: `second-${i}` }));
    await p.send({ topic: t, messages: second });
    const resumed: string[] = [];
    const c2 = consumer(group, kafkaClient());
    await c2.connect();
    await c2.subscribe({ topic: t, fromBeginning: true });
    await c2.run({
      eachMessage: ({ message }) => {
        resumed.push(message.value!.toString());
        return Promise.resolve();
      },
    });
    await eventually(() => (resumed.length >= 20 ? true : undefined), 30_000, '20 more messages');
    // Give a duplicate a chance to show up before asserting there is none.
    await new Promise((r) => setTimeout(r, 500));
    expect(resumed.sort()).toEqual(second.map((m) => m.value).sort());
  });
});
