import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { ActionDispatcher } from '../actions/index.js';
import type { MonitorConfig } from '../config/index.js';
import type { IncidentEvent } from '../monitor/index.js';
import { kafkaError } from '../adapters/kafka/client.js';
import { errorMessage } from '../errors/index.js';
import type { Component } from './supervisor.js';

/**
 * Feeds the incidents topic to the action dispatcher (Slack, rollback) in its own consumer group,
 * beside the monitor's: a Slack outage slows this consumer, never the reports. An event's offset is
 * committed after its actions succeeded (at least once); the actions are idempotent. While an action
 * waits (a Slack Retry-After, an outage) the consumer heartbeats, so it keeps its partitions. It can
 * be stopped and started again: a crash kafkajs does not restart itself is reported to `health`,
 * whose supervisor restarts it.
 */
export class IncidentsConsumer {
  private consumer: Consumer | undefined;
  /** Where its state goes: fetches and heartbeats are beats, a crash without restart is `crashed`. */
  health: Component | undefined;
  constructor(
    private readonly kafka: Kafka,
    private readonly cfg: MonitorConfig['kafka'],
    private readonly dispatcher: ActionDispatcher,
    private readonly logger: Logger,
  ) {}

  /**
   * Run once before this process can open an incident (before the reports consumer starts): when the group
   * has never committed an offset on an existing incidents topic (its first start), commits the topic's end, so
   * that a first start does not replay the topic's history to Slack. Later starts read every partition from its
   * committed offset, or from its beginning when it has none (see start).
   */
  async anchor(): Promise<void> {
    const admin = this.kafka.admin();
    const groupId = `${this.cfg.groupId}-actions`;
    const topic = this.cfg.topics.incidents;
    try {
      await admin.connect();
      if (!(await admin.listTopics()).includes(topic)) return;
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      if (committed?.partitions.some((p) => Number(p.offset) >= 0)) return;
      const ends = await admin.fetchTopicOffsets(topic);
      try {
        await admin.setOffsets({
          groupId,
          topic,
          partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })),
        });
      } catch (err: unknown) {
        // Another instance of the group is running (the broker refuses offsets of a group with members): it
        // has started the group already.
        this.logger.warn({ groupId, err: errorMessage(err) }, 'incidents consumer: offsets not anchored');
        return;
      }
      this.logger.info({ groupId, topic }, 'incidents consumer: first start, offsets anchored at the end of the topic');
    } catch (err: unknown) {
      throw kafkaError(err, 'anchoring the incidents consumer');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: `${this.cfg.groupId}-actions`,
      maxWaitTimeInMs: this.cfg.maxWaitMs,
      sessionTimeout: this.cfg.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(this.cfg.sessionTimeoutMs / 10)),
    });
    this.consumer = consumer;
    consumer.on(consumer.events.FETCH_START, () => this.health?.ok());
    consumer.on(consumer.events.HEARTBEAT, () => this.health?.beat());
    consumer.on(consumer.events.CRASH, (e) => {
      this.logger.error({ err: e.payload.error, restart: e.payload.restart }, 'incidents consumer crashed');
      if (e.payload.restart) this.health?.down(e.payload.error);
      else this.health?.crashed(e.payload.error);
    });
    try {
      await consumer.connect();
      // A partition without a committed offset is read from its beginning: the group's offsets were anchored
      // at the topic's end on its first start (anchor), so such a partition only holds events produced while
      // this consumer was away (crashed, restarting, its broker restarting), which must not be skipped.
      await consumer.subscribe({ topic: this.cfg.topics.incidents, fromBeginning: true });
    } catch (err: unknown) {
      throw kafkaError(err, 'starting the incidents consumer');
    }
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat, resolveOffset, commitOffsetsIfNecessary, isRunning, isStale }) => {
        for (const m of batch.messages) {
          if (!isRunning() || isStale()) return;
          let event: IncidentEvent | undefined;
          try {
            event = JSON.parse(m.value?.toString('utf8') ?? 'null') as IncidentEvent;
          } catch {
            this.logger.warn({ offset: m.offset }, 'unreadable incident event skipped');
          }
          if (event?.incident) await this.dispatcher.handle(event, heartbeat);
          resolveOffset(m.offset);
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: String(Number(m.offset) + 1) },
          ]);
          await heartbeat();
        }
        await commitOffsetsIfNecessary();
      },
    });
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.stop().catch(() => undefined);
    await consumer?.disconnect().catch(() => undefined);
  }
}
