// Fault injection on the real broker, schema registry and InfluxDB: every 'kafka' attack of attacks.ts against a
// monitor running in this process. For each attack: its dead letter (when one is expected) with an accepted
// reason code and reason; the good reports sent right after it processed within seconds (the partition moved
// on, the attacked node's state not poisoned); the consumer never crashed and /healthz stays 200 (issue 14).
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Producer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { REPORT_AVRO_SCHEMA } from '../../../src/contract/index.js';
import { admin, consumer, eventually, producer, services, unique } from '../helpers.js';
import { monitorConfig, startMonitor, type RunningMonitor } from '../monitor/harness.js';
import {
  ATTACKS,
  SUITE_TOPIC_MAX_MESSAGE_BYTES,
  followUps,
  type Attack,
  type BuildContext,
  type BuiltMessage,
} from './attacks.js';

interface DeadLetter {
  offset: string;
  code: string;
  reason: string;
  size: number;
}

/** How long the good reports after an attack may take to be processed (the largest valid attacks, 40,000 upstream
 * entries or 100,000 columns, take 5-15 s on a loaded 2-core machine). */
const FOLLOW_UP_MS = 30_000;

function reportOf(m: BuiltMessage): { pipeline: string; node: string; event_id: string } {
  return JSON.parse(String(m.value)) as { pipeline: string; node: string; event_id: string };
}

function processed(mon: RunningMonitor, m: BuiltMessage): boolean {
  const r = reportOf(m);
  return mon.core.node({ pipeline: r.pipeline, node: r.node })?.event_ids.includes(r.event_id) ?? false;
}

async function send(p: Producer, topic: string, m: BuiltMessage): Promise<string> {
  const [meta] = await p.send({
    topic,
    acks: -1,
    messages: [{ key: m.key ?? null, value: m.value, ...(m.headers ? { headers: { ...m.headers } } : {}) }],
  });
  return meta!.baseOffset!;
}

async function healthz(mon: RunningMonitor): Promise<number> {
  return (await fetch(`${mon.httpUrl}/healthz`)).status;
}

describe('fault injection: every kafka attack against a real monitor', () => {
  it('dead-letters each bad message with its reason, processes the next good report within seconds, never crashes', async () => {
    const kafkaAttacks = ATTACKS.filter((a) => a.channel === 'kafka');
    expect(kafkaAttacks.length).toBeGreaterThan(100);

    const cfg = monitorConfig({ 'kafka.partitions': 1 });
    const reports = cfg.kafka.topics.reports;
    // One partition, room for the over-the-limit attacks; the dead-letter topic keeps the broker's 1 MiB.
    const a = await admin();
    await a.createTopics({
      topics: [
        {
          topic: reports,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'max.message.bytes', value: String(SUITE_TOPIC_MAX_MESSAGE_BYTES) }],
        },
      ],
      waitForLeaders: true,
    });
    const registry = new SchemaRegistry({ host: services().registryUrl });
    const { id: reportSchemaId } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(REPORT_AVRO_SCHEMA) },
      { subject: `${reports}-value` },
    );
    const { id: otherSchemaId } = await registry.register(
      {
        type: SchemaType.AVRO,
        schema: JSON.stringify({
          type: 'record',
          name: unique('Other').replace('-', '_'),
          fields: [{ name: 's', type: 'string' }],
        }),
      },
      { subject: unique('other-value') },
    );
    const ctx: BuildContext = { reportSchemaId, otherSchemaId };

    const mon = await startMonitor(cfg);
    const p = await producer();

    // Every dead letter, by the offset of the message it came from.
    const dead = new Map<string, DeadLetter[]>();
    const dlq = consumer(unique('dlq-reader'));
    await dlq.connect();
    await dlq.subscribe({ topic: cfg.kafka.topics.dlq, fromBeginning: true });
    await dlq.run({
      eachMessage: ({ message }) => {
        const h = (k: string) => message.headers?.[k]?.toString() ?? '';
        const offset = h('rootline-source-offset');
        const list = dead.get(offset) ?? [];
        list.push({
          offset,
          code: h('rootline-error'),
          reason: h('rootline-error-message'),
          size: (message.value?.length ?? 0) + (message.key?.length ?? 0),
        });
        dead.set(offset, list);
        return Promise.resolve();
      },
    });

    const failures: string[] = [];
    const slowest: { id: string; ms: number }[] = [];
    const sent: { attack: Attack; offset: string; value: BuiltMessage }[] = [];
    let stalled: string | undefined;
    for (let i = 0; i < kafkaAttacks.length; i++) {
      const attack = kafkaAttacks[i]!;
      const msg = attack.build(ctx);
      const offset = await send(p, reports, msg);
      sent.push({ attack, offset, value: msg });
      const t0 = Date.now();
      const follow = followUps(attack, 10_000 + 2 * i);
      for (const f of follow) await send(p, reports, f);
      const ok = await eventually(
        () => (follow.every((f) => processed(mon, f)) ? true : undefined),
        FOLLOW_UP_MS,
        `the good reports after ${attack.id}`,
      ).then(
        () => true,
        () => false,
      );
      const ms = Date.now() - t0;
      slowest.push({ id: attack.id, ms });
      if (!ok) {
        const partitionMoved = processed(mon, follow[0]!);
        failures.push(
          `${attack.id}: ${partitionMoved ? "the attacked node's next report" : 'the next report'} not processed within ${FOLLOW_UP_MS} ms`,
        );
        if (!partitionMoved) {
          process.stderr.write(
            `[faults] monitor log after ${attack.id}:\n${mon.logs.slice(-20).join('').slice(-8000)}\n`,
          );
          stalled = attack.id;
          break;
        }
      }
      if (mon.kafka.status.crashed) failures.push(`${attack.id}: consumer crashed: ${mon.kafka.status.crashed}`);
      if (i % 25 === 0 && (await healthz(mon)) !== 200) failures.push(`${attack.id}: /healthz not 200`);
    }

    // Dead letters: committed in the transaction of the attack's batch, so they are there by now (read lag aside).
    for (const { attack, offset } of sent) {
      const e = attack.expect;
      if (e.outcome === 'dead-letter') {
        const got = await eventually(() => dead.get(offset), 10_000, `dead letter of ${attack.id}`).catch(
          () => undefined,
        );
        if (!got) {
          failures.push(`${attack.id}: no dead letter (expected ${e.codes?.join('|') ?? 'any code'})`);
          continue;
        }
        const d = got[0]!;
        if (e.codes && !e.codes.includes(d.code))
          failures.push(
            `${attack.id}: dead letter ${d.code}, expected ${e.codes.join('|')}: ${d.reason.slice(0, 200)}`,
          );
        if (e.reasonMatches && !e.reasonMatches.test(d.reason))
          failures.push(`${attack.id}: reason does not match ${String(e.reasonMatches)}: ${d.reason.slice(0, 200)}`);
        if (d.size > 1_048_576) failures.push(`${attack.id}: dead letter of ${d.size} bytes`);
      } else if (e.outcome === 'processed') {
        const got = dead.get(offset);
        if (got)
          failures.push(`${attack.id}: dead-lettered ${got[0]!.code} but valid: ${got[0]!.reason.slice(0, 300)}`);
        else if (attack.target) {
          const node = mon.core.node(attack.target);
          if ((node?.runs ?? 0) < 2) failures.push(`${attack.id}: not processed as a run of its node`);
        }
      }
    }
    slowest.sort((x, y) => y.ms - x.ms);
    process.stderr.write(
      `[faults] ${sent.length} kafka attacks; slowest follow-ups: ${slowest
        .slice(0, 5)
        .map((s) => `${s.id} ${s.ms} ms`)
        .join(', ')}\n${failures.map((f) => `[faults] ${f}\n`).join('')}`,
    );
    const health = await fetch(`${mon.httpUrl}/healthz`);
    expect(health.status, await health.text()).toBe(200);
    expect(mon.kafka.status.crashed).toBeUndefined();
    expect(stalled).toBeUndefined();
    expect(failures).toEqual([]);
  }, 1_200_000);
});
