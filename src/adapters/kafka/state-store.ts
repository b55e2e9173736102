import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { RootlineError } from '../../errors/index.js';
import { kafkaError } from './client.js';

export const SENTINEL_KEY = '__rootline_sentinel__';

export interface StateRecord {
  key: string;
  value: string | undefined;
  partition: number;
}

/**
 * Reads the compacted state topic's records of some partitions, up to a sentinel this call writes
 * first. Reading up to our own sentinel (rather than to an offset) is exact with transactions: the
 * sentinel becomes visible to a read-committed consumer only after every transaction before it
 * has committed or aborted, and transaction markers never confuse the end.
 */
export async function loadStatePartitions(opts: {
  kafka: Kafka;
  producer: Producer;
  topic: string;
  partitions: number[];
  groupPrefix: string;
  timeoutMs: number;
  logger?: Logger | undefined;
}): Promise<StateRecord[]> {
  if (opts.partitions.length === 0) return [];
  const sentinel = randomUUID();
  const t0 = Date.now();
  try {
    await opts.producer.send({
      topic: opts.topic,
      messages: opts.partitions.map((partition) => ({ key: SENTINEL_KEY, value: sentinel, partition })),
    });
  } catch (err: unknown) {
    throw kafkaError(err, `writing the state sentinel to ${opts.topic}`);
  }
  const wanted = new Set(opts.partitions);
  const pending = new Set(opts.partitions);
  const records: StateRecord[] = [];
  const groupId = `${opts.groupPrefix}-state-loader-${sentinel.slice(0, 8)}`;
  const consumer = opts.kafka.consumer({
    groupId,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 16 * 1024 * 1024 + 1024,
  });
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: ({ batch, heartbeat }) => {
        if (!wanted.has(batch.partition)) return Promise.resolve();
        for (const m of batch.messages) {
          const key = m.key?.toString('utf8') ?? '';
          if (key === SENTINEL_KEY) {
            if (m.value?.toString('utf8') === sentinel) {
              pending.delete(batch.partition);
              if (pending.size === 0) done();
            }
            continue;
          }
          records.push({
            key,
            value: m.value === null ? undefined : m.value.toString('utf8'),
            partition: batch.partition,
          });
        }
        return heartbeat();
      },
    });
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), opts.timeoutMs).unref());
    if ((await Promise.race([finished, timeout])) === 'timeout') {
      throw new RootlineError(
        'KAFKA_ERROR',
        `loading state partitions ${[...pending].join(',')} of ${opts.topic} did not finish within ${opts.timeoutMs} ms (a transaction left open by a crashed instance holds reads until it times out)`,
        { retriable: true },
      );
    }
  } finally {
    await consumer.disconnect().catch(() => undefined);
    const admin = opts.kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteGroups([groupId]))
      .catch(() => undefined)
      .finally(() => void admin.disconnect().catch(() => undefined));
  }
  opts.logger?.info({ partitions: opts.partitions, records: records.length, ms: Date.now() - t0 }, 'state loaded');
  return records;
}
