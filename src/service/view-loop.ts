import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { MonitorConfig } from '../config/index.js';
import { remoteRunOf, type MonitorCore, type RemoteView } from '../monitor/index.js';
import { kafkaError } from '../adapters/kafka/client.js';
import { errorMessage } from '../errors/index.js';
import type { MonitorMetrics } from './metrics.js';
import type { Component } from './supervisor.js';

/**
 * Reads the health topic (every instance's node-runs, committed transactions only) into this instance's
 * view of the nodes other instances hold (src/monitor/remote-view.ts), from the topic's beginning at
 * every start: the view is rebuilt, never committed (its consumer group, one per instance, commits no
 * offsets). When a run arrives that a held verdict here waits for, `settle` judges it again (the batch
 * loop makes that durable). The topic is compacted by node: after a restart the view starts from each
 * node's latest run plus whatever the log has not compacted yet.
 */
export class ViewConsumer {
  private consumer: Consumer | undefined;
  health: Component | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly cfg: MonitorConfig['kafka'],
    private readonly core: MonitorCore,
    private readonly view: RemoteView,
    private readonly settle: () => Promise<unknown>,
    private readonly metrics: MonitorMetrics,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: `${this.cfg.groupId}-view-${this.cfg.instanceId}`,
      maxWaitTimeInMs: this.cfg.maxWaitMs,
      sessionTimeout: this.cfg.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(this.cfg.sessionTimeoutMs / 10)),
      readUncommitted: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.FETCH_START, () => this.health?.ok());
    consumer.on(consumer.events.HEARTBEAT, () => this.health?.beat());
    consumer.on(consumer.events.CRASH, (e) => {
      this.logger.error({ err: e.payload.error, restart: e.payload.restart }, 'view consumer crashed');
      if (e.payload.restart) this.health?.down(e.payload.error);
      else this.health?.crashed(e.payload.error);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: this.cfg.topics.health, fromBeginning: true });
    } catch (err: unknown) {
      throw kafkaError(err, 'starting the view consumer');
    }
    let settling: Promise<unknown> | undefined;
    let again = false;
    const wake = () => {
      if (settling) {
        again = true;
        return;
      }
      settling = this.settle()
        .catch((err: unknown) =>
          this.logger.warn({ err: errorMessage(err) }, 'judging held verdicts from the view failed; retried later'),
        )
        .finally(() => {
          settling = undefined;
          if (again) {
            again = false;
            wake();
          }
        });
    };
    await consumer.run({
      autoCommit: false,
      eachBatch: ({ batch }) => {
        let awaited = false;
        for (const m of batch.messages) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(m.value?.toString('utf8') ?? 'null');
          } catch {
            continue;
          }
          const r = remoteRunOf(parsed);
          if (!r) continue;
          this.view.observe(r);
          this.metrics.viewRuns.inc();
          if (!awaited && this.core.awaits({ pipeline: r.pipeline, node: r.node }, r.run.run_id)) awaited = true;
        }
        this.metrics.viewNodes.set(this.view.size.nodes);
        if (awaited) wake();
        return Promise.resolve();
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
