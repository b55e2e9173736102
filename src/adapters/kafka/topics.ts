import type { Admin, ITopicConfig } from 'kafkajs';
import type { MonitorConfig } from '../../config/index.js';
import { kafkaError } from './client.js';

/** `max.message.bytes` of the state topic the monitor creates: room for large state records. */
export const STATE_TOPIC_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * Creates the topics the monitor needs when they are missing: the reports topic and the dead-letter
 * topic with `kafka.partitions` partitions; the state topic compacted, with as many partitions as the
 * reports topic (a pipeline's state lives in the partition number its reports use) and room for large
 * records; incidents, health and commands topics. Existing topics are left as they are.
 * Returns the reports topic's partition count.
 */
export async function ensureTopics(admin: Admin, cfg: MonitorConfig['kafka']): Promise<number> {
  try {
    const existing = new Set(await admin.listTopics());
    const rf = cfg.replicationFactor;
    const wanted: ITopicConfig[] = [];
    const add = (topic: string, numPartitions: number, configEntries: { name: string; value: string }[] = []) => {
      if (!existing.has(topic)) wanted.push({ topic, numPartitions, replicationFactor: rf, configEntries });
    };
    add(cfg.topics.reports, cfg.partitions);
    for (const t of cfg.topics.ingest) add(t, cfg.partitions);
    if (wanted.length > 0) await admin.createTopics({ topics: wanted.splice(0), waitForLeaders: true });
    const meta = await admin.fetchTopicMetadata({ topics: [cfg.topics.reports] });
    const reportPartitions = meta.topics[0]?.partitions.length ?? cfg.partitions;
    add(cfg.topics.dlq, reportPartitions);
    add(cfg.topics.state, reportPartitions, [
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'max.message.bytes', value: String(STATE_TOPIC_MAX_MESSAGE_BYTES) },
      { name: 'min.cleanable.dirty.ratio', value: '0.1' },
      { name: 'segment.ms', value: String(3_600_000) },
    ]);
    add(cfg.topics.incidents, reportPartitions);
    add(cfg.topics.health, reportPartitions, [{ name: 'cleanup.policy', value: 'compact' }]);
    add(cfg.topics.commands, reportPartitions);
    if (wanted.length > 0) await admin.createTopics({ topics: wanted, waitForLeaders: true });
    const state = await admin.fetchTopicMetadata({ topics: [cfg.topics.state] });
    const statePartitions = state.topics[0]?.partitions.length ?? 0;
    if (statePartitions < reportPartitions) {
      await admin.createPartitions({ topicPartitions: [{ topic: cfg.topics.state, count: reportPartitions }] });
    }
    return reportPartitions;
  } catch (err: unknown) {
    throw kafkaError(err, "creating the monitor's topics");
  }
}
