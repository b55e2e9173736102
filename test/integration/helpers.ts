import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { inject, onTestFinished } from 'vitest';
import { harnessConfig, servicesDown, servicesUp, type ServiceAddresses } from '../../src/dev/services/index.js';

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

/** A port nothing listens on now (the system's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether a TCP port on 127.0.0.1 can be listened on now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * `count` consecutive ports free now, below Linux's range for outgoing connections (32768-60999): a service
 * stopped and started again on them cannot find one taken meanwhile as another connection's local port.
 */
export async function quietPorts(count: number): Promise<number> {
  for (;;) {
    const base = 20000 + Math.floor(Math.random() * 6000) * 2;
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await bindable(base + i);
    if (ok) return base;
  }
}

/**
 * A dedicated InfluxDB on its own ports, so stopping it disturbs no other test; stopped when the test ends. The
 * ports are ones free a moment before, below the range of outgoing connections' local ports (so its restart
 * finds them free); should another process take one meanwhile, it starts on two others.
 */
export async function ownInflux(
  name = 'influx',
): Promise<{ url: string; down: () => Promise<void>; up: () => Promise<void> }> {
  const quiet = () => undefined;
  for (let attempt = 1; ; attempt++) {
    const port = await quietPorts(2);
    const rpc = port + 1;
    const hcfg = harnessConfig({
      ...process.env,
      ROOTLINE_RUN_DIR: mkdtempSync(join(tmpdir(), `rootline-${name}-`)),
      ROOTLINE_INFLUX_PORT: String(port),
      ROOTLINE_INFLUX_RPC_PORT: String(rpc),
    });
    const up = async () => {
      await servicesUp({ cfg: hcfg, log: quiet, only: ['influx'] });
    };
    const down = () => servicesDown({ cfg: hcfg, log: quiet, only: ['influx'] });
    try {
      await up();
    } catch (err: unknown) {
      await down().catch(() => undefined);
      if (attempt < 3 && /address already in use/.test(String(err))) continue;
      throw err;
    }
    onTestFinished(down);
    return { url: `http://127.0.0.1:${port}`, up, down };
  }
}
