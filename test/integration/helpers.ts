import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { inject, onTestFinished } from 'vitest';
import type { ServiceAddresses } from '../../src/dev/services/index.js';

export function services(): ServiceAddresses {
  return inject('services');
}

/** A name no other test uses: topics, groups, databases, Slack tokens. */
export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function kafkaClient(clientId = unique('test')): Kafka {
  return new Kafka({
    clientId,
    brokers: services().kafkaBrokers,
    logLevel: logLevel.WARN,
    retry: { retries: 8, initialRetryTime: 100 },
  });
}

/** An admin, connected, disconnected when the test ends. */
export async function admin(kafka = kafkaClient()): Promise<Admin> {
  const a = kafka.admin();
  await a.connect();
  onTestFinished(() => a.disconnect());
  return a;
}

/** Creates a topic for this test only, deleted when the test ends. */
export async function topic(partitions = 1, name = unique('t')): Promise<string> {
  const kafka = kafkaClient();
  const a = kafka.admin();
  await a.connect();
  await a.createTopics({ topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1 }] });
  // kafkajs' waitForLeaders gives up on UNKNOWN_TOPIC_OR_PARTITION while a busy broker still propagates the
  // new topic's metadata: wait for every partition to have a leader ourselves.
  for (let started = Date.now(); ;) {
    const meta = await a.fetchTopicMetadata({ topics: [name] }).catch(() => undefined);
    const parts = meta?.topics[0]?.partitions ?? [];
    if (parts.length === partitions && parts.every((p) => p.leader >= 0)) break;
    if (Date.now() - started > 30_000) throw new Error(`topic ${name}: no leader for every partition after 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  onTestFinished(async () => {
    await a.deleteTopics({ topics: [name] }).catch(() => undefined);
    await a.disconnect();
  });
  return name;
}

export async function producer(kafka = kafkaClient()): Promise<Producer> {
  const p = kafka.producer({ allowAutoTopicCreation: false });
  await p.connect();
  onTestFinished(() => p.disconnect());
  return p;
}

export function consumer(groupId: string, kafka = kafkaClient()): Consumer {
  const c = kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 200,
    retry: { retries: 5 },
  });
  onTestFinished(() => c.disconnect());
  return c;
}

/** Polls until `fn` returns a value that is not undefined, or fails after timeoutMs. */
export async function eventually<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err: unknown) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every message of a topic (read committed), read until `done(messages)` says enough. */
export async function readTopic(
  topicName: string,
  done: (msgs: { key: string; value: string | null; headers: Record<string, string> }[]) => boolean,
  timeoutMs = 30_000,
) {
  const msgs: { key: string; value: string | null; headers: Record<string, string> }[] = [];
  const c = consumer(unique('reader'));
  await c.connect();
  await c.subscribe({ topic: topicName, fromBeginning: true });
  await c.run({
    eachMessage: ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      msgs.push({ key: message.key?.toString('utf8') ?? '', value: message.value?.toString('utf8') ?? null, headers });
      return Promise.resolve();
    },
  });
  await eventually(() => (done(msgs) ? true : undefined), timeoutMs, `messages of ${topicName}`);
  await c.disconnect();
  return msgs;
}
