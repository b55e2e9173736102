// The monitor with its reports decoded and validated on worker threads (monitor.decodeWorkers), on the real broker
// and InfluxDB: a partition's reports reach the core in their order, a bad message is dead-lettered with its reason
// while its neighbours go through, and a worker that crashes mid-batch loses nothing and hangs nothing.
import { describe, expect, it } from 'vitest';
import { eventually, producer, readTopic, topic } from '../helpers.js';
import { monitorConfig, nodeRunCount, recentSim, startMonitor } from './harness.js';

/** Health events of a pipeline in the order the monitor produced them (the order it processed the runs). */
async function healthOrder(topic: string, pipeline: string, n: number): Promise<string[]> {
  const msgs = await readTopic(topic, (m) => m.filter((x) => x.key.startsWith(`${pipeline}/`)).length >= n, 60_000);
  return msgs
    .filter((x) => x.key.startsWith(`${pipeline}/`))
    .map((x) => {
      const v = JSON.parse(x.value!) as { node: string; run_id: string };
      return `${v.node}@${v.run_id}`;
    });
}

/** Produces in requests the broker takes (its record-batch limit is 1 MB). */
async function send(topicName: string, messages: { key: string; value: string }[]): Promise<void> {
  const p = await producer();
  for (let i = 0; i < messages.length; i += 50) await p.send({ topic: topicName, messages: messages.slice(i, i + 50) });
}

describe('decoding workers', () => {
  it('keeps the partition order, dead-letters a bad message with its reason, its neighbours go through', async () => {
    const cfg = monitorConfig({ 'kafka.partitions': 1, 'monitor.decodeWorkers': 2 });
    const { run } = recentSim('chain', 3, 'dw-order', 11);
    const reports = Array.from({ length: 60 }, (_, r) => run(r)).flat();
    const messages: { key: string; value: string }[] = [];
    const bad = new Map<number, string>();
    reports.forEach((r, i) => {
      messages.push({ key: 'dw-order', value: JSON.stringify(r) });
      if (i % 37 === 10) {
        bad.set(messages.length, 'MALFORMED_JSON');
        messages.push({ key: 'dw-order', value: '{"spec": "rootline.report/v1", "event_id": ' });
      } else if (i % 37 === 25) {
        bad.set(messages.length, 'REPORT_INVALID');
        messages.push({ key: 'dw-order', value: JSON.stringify({ ...r, event_id: `bad-${i}`, outputs: {} }) });
      }
    });
    // All of it in the topic before the monitor starts: batches of many messages, shared by the two workers.
    await topic(1, cfg.kafka.topics.reports);
    await send(cfg.kafka.topics.reports, messages);
    const m = await startMonitor(cfg);
    expect(m.kafka.decodePool?.workers).toBe(2);
    await eventually(
      async () => ((await nodeRunCount(cfg, 'dw-order')) === reports.length ? true : undefined),
      90_000,
      'every good report',
    );
    // In the order produced: a report decoded out of order would move its health event.
    expect(await healthOrder(cfg.kafka.topics.health, 'dw-order', reports.length)).toEqual(
      reports.map((r) => `${r.node}@${r.run_id}`),
    );
    const dead = await readTopic(cfg.kafka.topics.dlq, (d) => d.length >= bad.size);
    expect(dead.map((d) => [Number(d.headers['rootline-source-offset']), d.headers['rootline-error']])).toEqual([
      ...bad,
    ]);
    expect(
      dead.find((d) => d.headers['rootline-error'] === 'REPORT_INVALID')!.headers['rootline-error-message'],
    ).toContain('/outputs');
    expect(m.metrics.deadLetters.total()).toBe(bad.size);
    expect(m.metrics.reports.total()).toBe(reports.length);
  });

  it('survives decoding workers that crash mid-batch: every report is processed once, nothing hangs', async () => {
    const cfg = monitorConfig({ 'kafka.partitions': 2, 'monitor.decodeWorkers': 1 });
    const { run } = recentSim('chain', 4, 'dw-crash', 12);
    const reports = Array.from({ length: 150 }, (_, r) => run(r)).flat();
    await topic(2, cfg.kafka.topics.reports);
    await send(
      cfg.kafka.topics.reports,
      reports.map((r) => ({ key: 'dw-crash', value: JSON.stringify(r) })),
    );
    const m = await startMonitor(cfg);
    const pool = m.kafka.decodePool!;
    // The worker is ended whenever it is caught with work in flight, three times.
    let kills = 0;
    const killer = (async () => {
      const until = Date.now() + 60_000;
      while (kills < 3 && Date.now() < until) {
        if (((await pool.killOne()) ?? 0) > 0) kills++;
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    await killer;
    expect(kills).toBeGreaterThan(0);
    const done = () => m.metrics.reports.total() + m.metrics.duplicates.total() + m.metrics.deadLetters.total();
    await eventually(() => (done() >= reports.length ? true : undefined), 90_000, 'every report');
    // A message its worker crashed on alone is dead-lettered (reason named); all others are processed, once.
    const dead = m.metrics.deadLetters.total();
    expect(await nodeRunCount(cfg, 'dw-crash')).toBe(reports.length - dead);
    expect(m.metrics.duplicates.total()).toBe(0);
    if (dead > 0) {
      const letters = await readTopic(cfg.kafka.topics.dlq, (d) => d.length >= dead);
      for (const l of letters) expect(l.headers['rootline-error-message']).toContain('worker crashed');
    }
    expect(pool.crashes).toBeGreaterThanOrEqual(kills);
    // Stopped and started again (as the supervisor does after a crash): new workers, and they decode.
    await m.kafka.stop();
    await m.kafka.start();
    expect(m.kafka.decodePool).not.toBe(pool);
    expect(m.kafka.decodePool?.closed).toBe(false);
    const more = [150, 151].flatMap((r) => run(r));
    await send(
      cfg.kafka.topics.reports,
      more.map((r) => ({ key: 'dw-crash', value: JSON.stringify(r) })),
    );
    await eventually(
      async () => ((await nodeRunCount(cfg, 'dw-crash')) === reports.length - dead + more.length ? true : undefined),
      60_000,
      'the reports after the restart',
    );
  });
});
