// The actions consumer never skips an incident event produced while it was away (found by the chaos test: an
// incident opened during a broker restart, on a partition the actions group had never committed, was never posted
// to Slack), and its first start does not replay the topic's history.
import { describe, expect, it, onTestFinished } from 'vitest';
import type { ActionDispatcher } from '../../../src/actions/index.js';
import type { IncidentEvent } from '../../../src/monitor/index.js';
import { IncidentsConsumer } from '../../../src/service/actions-loop.js';
import { createLogger } from '../../../src/service/log.js';
import { eventually, kafkaClient, producer, topic } from '../helpers.js';
import { monitorConfig } from './harness.js';

function event(id: string): string {
  return JSON.stringify({ type: 'opened', incident: { incident_id: id }, changes: {}, at: '2026-12-01T00:00:00Z' });
}

describe('the actions consumer and its offsets (real broker)', () => {
  it('first start: the history is not replayed; after a restart, events produced meanwhile on never-committed partitions are handled', async () => {
    const incidents = await topic(3);
    const cfg = monitorConfig({ 'kafka.topics.incidents': incidents });
    const handled: string[] = [];
    const dispatcher = {
      handle: (e: IncidentEvent) => {
        handled.push(e.incident.incident_id);
        return Promise.resolve();
      },
    } as unknown as ActionDispatcher;
    const p = await producer();
    // History from before this group's first start.
    await p.send({ topic: incidents, messages: [{ partition: 0, value: event('old') }] });

    const kafka = kafkaClient();
    const consumer = new IncidentsConsumer(kafka, cfg.kafka, dispatcher, createLogger('silent'));
    onTestFinished(() => consumer.stop());
    await consumer.anchor();
    await consumer.start();
    await p.send({ topic: incidents, messages: [{ partition: 0, value: event('first') }] });
    await eventually(() => (handled.includes('first') ? true : undefined), 30_000, 'the first event');
    await consumer.stop();

    // While it is away: events on partitions 1 and 2, on which the group never committed an offset.
    await p.send({
      topic: incidents,
      messages: [
        { partition: 1, value: event('while-away-1') },
        { partition: 2, value: event('while-away-2') },
        { partition: 0, value: event('while-away-0') },
      ],
    });
    await consumer.anchor();
    await consumer.start();
    await eventually(
      () => (['while-away-0', 'while-away-1', 'while-away-2'].every((i) => handled.includes(i)) ? true : undefined),
      30_000,
      'the events produced while it was away',
    );
    expect(handled).not.toContain('old');
    expect(handled.filter((i) => i === 'first')).toHaveLength(1);
  });
});
