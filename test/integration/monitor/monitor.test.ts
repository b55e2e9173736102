import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { encodeReportAvro, REPORT_AVRO_SCHEMA } from '../../../src/contract/index.js';
import { consumer, eventually, producer, readTopic, services, unique } from '../helpers.js';
import { flux, monitorConfig, nodeRunCount, recentSim, sendReports, startMonitor } from './harness.js';

describe('rootline monitor on the real broker, registry and InfluxDB', () => {
  it('happy path: reports in, metrics in InfluxDB, state and health in Kafka, one incident for a fault', async () => {
    const cfg = monitorConfig();
    const m = await startMonitor(cfg);
    const sim = recentSim('chain', 6, 'churn', 11);
    for (let r = 0; r < 8; r++) await sendReports(cfg, sim.run(r));
    await sendReports(cfg, sim.run(8, [{ node: 'n02', kind: 'null_spike' }]));
    await eventually(
      async () => ((await nodeRunCount(cfg, 'churn')) === 54 ? true : undefined),
      60_000,
      '54 node runs in InfluxDB',
    );

    // Column metrics carry null ratios and KS statistics; tags never hold run ids.
    const cols = await flux<{ column: string; _value: number }>(
      cfg,
      `from(bucket: BUCKET) |> range(start: 2020-01-01T00:00:00Z, stop: 2100-01-01T00:00:00Z) |> filter(fn: (r) => r._measurement == "rootline_column" and r._field == "ks_d" and r.node == "n03") |> group(columns: ["column"]) |> count()`,
    );
    expect(cols.map((c) => c.column).sort()).toEqual(['amount', 'score']);
    const open = m.core.incidents({ status: 'open' });
    expect(open).toHaveLength(1);
    expect(open[0]!.culprit).toBe('n02');
    expect(new Set(open[0]!.symptoms.map((s) => s.node))).toEqual(new Set(['n03', 'n04', 'n05']));

    // The incident reached the incidents topic and Slack: one message naming the culprit.
    const token = cfg.slack.token!;
    const calls = await eventually(
      async () => {
        const res = (await (
          await fetch(`${services().slackControlUrl}/calls?token=${token}&method=chat.postMessage`)
        ).json()) as { args: { text: string } }[];
        return res.length >= 1 ? res : undefined;
      },
      30_000,
      'the Slack message',
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args.text).toContain('n02');
    expect(m.metrics.reports.total()).toBe(54);

    // The state topic holds the pipeline, every node and baseline epochs; health has one event per run.
    const state = await readTopic(cfg.kafka.topics.state, (msgs) => msgs.some((x) => x.key === 'p\u001fchurn'));
    const keys = new Set(state.map((x) => x.key));
    for (let i = 0; i < 6; i++) expect(keys.has(`n\u001fchurn\u001fn0${i}`)).toBe(true);
    expect([...keys].some((k) => k.startsWith('e\u001fchurn\u001fn03\u001fout'))).toBe(true);
    const health = await readTopic(cfg.kafka.topics.health, (msgs) => msgs.length >= 54);
    expect(health).toHaveLength(54);
    const lastOfN02 = health
      .filter((h) => h.key === 'churn/n02')
      .map((h) => JSON.parse(h.value!) as { healthy: boolean; incident_id?: string })
      .pop()!;
    expect(lastOfN02.healthy).toBe(false);
    expect(lastOfN02.incident_id).toBe(open[0]!.incident_id);
    const events = await readTopic(cfg.kafka.topics.incidents, (msgs) => msgs.length >= 1);
    expect(events[0]!.key).toBe(open[0]!.incident_id);
    expect(events[0]!.headers['rootline-event']).toBe('opened');
  });

  it('decodes Avro reports through the schema registry', async () => {
    const cfg = monitorConfig();
    const m = await startMonitor(cfg);
    const registry = new SchemaRegistry({ host: services().registryUrl });
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(REPORT_AVRO_SCHEMA) },
      { subject: `${cfg.kafka.topics.reports}-value` },
    );
    const sim = recentSim('diamond', 6, 'avro-pipe', 3);
    const p = await producer();
    const reports = [...sim.run(0), ...sim.run(1)];
    const messages = [];
    for (const r of reports) {
      const body = encodeReportAvro(r);
      const framed = Buffer.alloc(5 + body.length);
      framed.writeUInt8(0, 0);
      framed.writeInt32BE(id, 1);
      Buffer.from(body).copy(framed, 5);
      messages.push({ key: r.pipeline, value: framed });
    }
    await p.send({ topic: cfg.kafka.topics.reports, messages });
    await eventually(
      async () => ((await nodeRunCount(cfg, 'avro-pipe')) === reports.length ? true : undefined),
      60_000,
      'Avro reports processed',
    );
    expect(m.metrics.deadLetters.total()).toBe(0);
  });

  it('sends malformed JSON, wrong schema, unknown schema id and oversized messages to the dead-letter topic while good ones flow', async () => {
    const cfg = monitorConfig({ 'kafka.maxMessageBytes': 64 * 1024 });
    const m = await startMonitor(cfg);
    const sim = recentSim('chain', 3, 'dlq-pipe', 5);
    const good = sim.run(0);
    const bad = [
      { key: 'dlq-pipe', value: Buffer.from('{"spec": "rootline.report/v1", "event_id": ') }, // malformed JSON
      { key: 'dlq-pipe', value: Buffer.from(JSON.stringify({ ...good[0], outputs: {}, event_id: 'x-1' })) }, // wrong schema
      { key: 'dlq-pipe', value: Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0x01]), Buffer.from('garbage')]) }, // unknown schema id
      { key: 'dlq-pipe', value: Buffer.alloc(100 * 1024, 'x') }, // oversized
    ];
    const p = await producer();
    await p.send({
      topic: cfg.kafka.topics.reports,
      messages: [
        { key: 'dlq-pipe', value: JSON.stringify(good[0]) },
        ...bad,
        ...good.slice(1).map((r) => ({ key: 'dlq-pipe', value: JSON.stringify(r) })),
      ],
    });
    await eventually(
      async () => ((await nodeRunCount(cfg, 'dlq-pipe')) === 3 ? true : undefined),
      60_000,
      'the good reports',
    );

    const dead: { code: string; message: string; value: Buffer | null; size?: string }[] = [];
    const c = consumer(unique('dlq-reader'));
    await c.connect();
    await c.subscribe({ topic: cfg.kafka.topics.dlq, fromBeginning: true });
    await c.run({
      eachMessage: ({ message }) => {
        dead.push({
          code: message.headers!['rootline-error']!.toString(),
          message: message.headers!['rootline-error-message']!.toString(),
          value: message.value,
          ...(message.headers?.['rootline-original-size']
            ? { size: message.headers['rootline-original-size'].toString() }
            : {}),
        });
        return Promise.resolve();
      },
    });
    await eventually(() => (dead.length >= 4 ? true : undefined), 30_000, '4 dead letters');
    expect(dead.map((d) => d.code).sort()).toEqual([
      'MALFORMED_JSON',
      'MESSAGE_TOO_LARGE',
      'REPORT_INVALID',
      'UNKNOWN_SCHEMA_ID',
    ]);
    expect(dead.find((d) => d.code === 'REPORT_INVALID')!.message).toContain('/outputs');
    // An oversized value is kept truncated (its first 64 KiB), with the original size named.
    const tooLarge = dead.find((d) => d.code === 'MESSAGE_TOO_LARGE')!;
    expect(tooLarge.value).toHaveLength(64 * 1024);
    expect(tooLarge.size).toBe(String(100 * 1024));
    expect(m.metrics.deadLetters.total()).toBe(4);
  });

  it('processes a duplicate event_id once', async () => {
    const cfg = monitorConfig();
    const m = await startMonitor(cfg);
    const sim = recentSim('chain', 2, 'dup-pipe', 8);
    const reports = sim.run(0);
    await sendReports(cfg, [...reports, ...reports, reports[0]!]);
    await eventually(
      () => (m.metrics.reports.total() + m.metrics.duplicates.total() === 5 ? true : undefined),
      30_000,
      'all five messages',
    );
    expect(m.metrics.reports.total()).toBe(2);
    expect(m.metrics.duplicates.total()).toBe(3);
    expect(await nodeRunCount(cfg, 'dup-pipe')).toBe(2);
  });
});
