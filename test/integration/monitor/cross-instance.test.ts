import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../../src/contract/index.js';
import { MonitorCore, type Incident, type IncidentEvent } from '../../../src/monitor/index.js';
import { loadRules } from '../../../src/rules/index.js';
import { PipelineSim, makeDag, type Fault } from '../../../src/sim/index.js';
import { eventually, readTopic, services } from '../helpers.js';
import { monitorConfig, nodeRunCount, sendReports } from './harness.js';
import { spawnMonitor, type MonitorProcess } from './process.js';

// Issue 15's done-when: a fault at a feature table that three pipelines on three different instances read gives
// one incident naming it, with the same confidence as on one instance; killing one instance mid-stream loses no
// report and opens no duplicate incident.

const PARTITIONS = 3;
const CYCLE_MS = 60_000;
const WARMUP = 8;
const FAULTY = [8, 9, 10];
const CYCLES = 14;

/** The partition kafkajs's default partitioner gives a key (murmur2, as the monitor's producers use). */
function partitionOf(key: string): number {
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, i) => ({
    partitionId: i,
    leader: 0,
    replicas: [0],
    isr: [0],
    partitionErrorCode: 0,
  }));
  return Partitioners.DefaultPartitioner()({ topic: 't', partitionMetadata, message: { key, value: '' } });
}

/** A pipeline name (with this prefix) that lands on each partition. */
function namesByPartition(prefix: string): string[] {
  const out: string[] = [];
  for (let i = 0; out.filter((x) => x !== undefined).length < PARTITIONS && i < 1000; i++) {
    const name = `${prefix}-${i}`;
    const p = partitionOf(name);
    out[p] ??= name;
  }
  return out;
}

async function assigned(m: MonitorProcess): Promise<number[]> {
  const h = (await (await fetch(`${m.url}/healthz`)).json()) as { assigned?: number[] };
  return h.assigned ?? [];
}

async function incidentsOf(m: MonitorProcess): Promise<Incident[]> {
  const res = (await (await fetch(`${m.url}/api/v1/incidents`)).json()) as { incidents: Incident[] };
  return res.incidents;
}

describe('cross-instance RCA on the real broker', () => {
  it('three readers of a feature table on three instances: one incident naming it, at the single-instance confidence, through a SIGKILL', async () => {
    const cfg = monitorConfig({ 'kafka.partitions': PARTITIONS, 'kafka.instanceId': 'xinst-a' });
    const cfgOf = (id: string) => ({ ...cfg, kafka: { ...cfg.kafka, instanceId: id } });
    const monitors = [
      await spawnMonitor(cfg),
      await spawnMonitor(cfgOf('xinst-b')),
      await spawnMonitor(cfgOf('xinst-c')),
    ];
    // One partition each.
    await eventually(
      async () => {
        const parts = await Promise.all(monitors.map(assigned));
        return parts.every((p) => p.length === 1) && new Set(parts.flat()).size === PARTITIONS ? parts : undefined;
      },
      60_000,
      'one partition per instance',
    );

    // Three downstream pipelines, one per partition (so on three instances); the feature pipeline anywhere.
    const readers = namesByPartition(`${cfg.kafka.groupId}-reader`);
    expect(readers.filter((r) => r !== undefined)).toHaveLength(PARTITIONS);
    const featName = `${cfg.kafka.groupId}-features`;
    const base = Date.now();
    const feat = new PipelineSim(makeDag('chain', 2, featName), { seed: 81 });
    const sims = readers.map((p, i) => new PipelineSim(makeDag('chain', 2, p), { seed: 82 + i }));
    const table = feat.dataset('n01');
    const cycle = (r: number): Report[] => {
      const bad = FAULTY.includes(r);
      const t0 = base + r * CYCLE_MS;
      const f = feat.run(r, bad ? [{ node: 'n01', kind: 'null_spike' }] : [], t0);
      const featRun = f.find((x) => x.node === 'n01')!;
      const faults: Fault[] = bad ? [{ node: 'n00', kind: 'null_spike' }] : [];
      const down = sims.flatMap((s) =>
        s.run(r, faults, t0 + 10_000).map((x) =>
          x.node === 'n00'
            ? {
                ...x,
                upstream: [{ pipeline: featName, node: 'n01', run_id: featRun.run_id }],
                inputs: [{ dataset: table }],
              }
            : x,
        ),
      );
      // Produced together: a reader's report may well be judged before the feature run reaches its instance's view.
      return [...f, ...down];
    };
    const all = Array.from({ length: CYCLES }, (_, r) => cycle(r));
    const pipelines = [featName, ...readers];
    const counted = async () => (await Promise.all(pipelines.map((p) => nodeRunCount(cfg, p)))).reduce((a, b) => a + b);
    const sent = (upTo: number) => all.slice(0, upTo).flat().length;

    for (let r = 0; r < WARMUP; r++) {
      await sendReports(cfg, all[r]!);
      await eventually(async () => ((await counted()) === sent(r + 1) ? true : undefined), 60_000, `cycle ${r}`);
    }

    // The fault: the incident, and how long until it names the table with all three readers as symptoms.
    const faultAt = Date.now();
    await sendReports(cfg, all[WARMUP]!);
    const first = await eventually(
      async () => {
        const incs = (await Promise.all(monitors.map(incidentsOf))).flat();
        const inc = incs.find((i) => i.pipeline === featName);
        const readersSeen = new Set(inc?.symptoms.map((s) => s.pipeline));
        return inc && readers.every((p) => readersSeen.has(p)) ? incs : undefined;
      },
      60_000,
      'the incident with its three readers',
    );
    const verdictMs = Date.now() - faultAt;
    expect(first).toHaveLength(1);

    // The owner of the feature pipeline is killed mid-stream, with the next faulty cycle in flight.
    const ownerIndex = (await Promise.all(monitors.map(assigned))).findIndex((p) => p.includes(partitionOf(featName)));
    expect(ownerIndex).toBeGreaterThanOrEqual(0);
    const victim = monitors[ownerIndex]!;
    await sendReports(cfg, all[WARMUP + 1]!);
    await new Promise((r) => setTimeout(r, 150));
    victim.proc.kill('SIGKILL');
    await victim.exited;
    const survivors = monitors.filter((m) => m !== victim);
    for (let r = WARMUP + 2; r < CYCLES; r++) await sendReports(cfg, all[r]!);
    await eventually(async () => ((await counted()) === sent(CYCLES) ? true : undefined), 120_000, 'every report');
    // Every report counted exactly once (points are idempotent: a count above would be a second run record).
    for (const p of pipelines) expect(await nodeRunCount(cfg, p)).toBe(2 * CYCLES);

    // The reference: one instance holding every pipeline.
    const reference = new MonitorCore({ rules: loadRules('rules') });
    for (const c of all) reference.processBatch(c);
    const [expected, ...more] = reference.incidents();
    expect(more).toEqual([]);
    expect(expected).toMatchObject({ pipeline: featName, culprit: 'n01' });

    const live = await eventually(
      async () => {
        const incs = (await Promise.all(survivors.map(incidentsOf))).flat();
        return incs.length > 0 && incs.every((i) => i.status === expected!.status) ? incs : undefined;
      },
      60_000,
      'the incident after the kill',
    );
    expect(live).toHaveLength(1);
    const inc = live[0]!;
    expect(inc).toMatchObject({
      incident_id: expected!.incident_id,
      pipeline: featName,
      culprit: 'n01',
      confidence: expected!.confidence,
      escalated: expected!.escalated,
      cause: { kind: expected!.cause.kind },
      runs_affected: expected!.runs_affected,
    });
    expect(new Set(inc.symptoms.map((s) => `${s.pipeline}/${s.node}`))).toEqual(
      new Set(expected!.symptoms.map((s) => `${s.pipeline}/${s.node}`)),
    );

    // One incident across the group: the incidents topic opened exactly one, and Slack has one message for it.
    const events = await readTopic(cfg.kafka.topics.incidents, (msgs) =>
      msgs.some((m) => (JSON.parse(m.value ?? '{}') as IncidentEvent).incident?.status === expected!.status),
    );
    const opened = events
      .map((m) => JSON.parse(m.value ?? '{}') as IncidentEvent)
      .filter((e) => e.type === 'opened')
      .map((e) => e.incident.incident_id);
    expect(opened).toEqual([inc.incident_id]);
    const posts = await eventually(
      async () => {
        const res = await fetch(
          `${services().slackControlUrl}/calls?token=${cfg.slack.token!}&method=chat.postMessage`,
        );
        const calls = (await res.json()) as {
          status: number;
          args: { thread_ts?: string; metadata?: { event_payload?: { incident_id?: string } } };
          response?: { ok?: boolean };
        }[];
        const top = calls.filter((c) => c.status === 200 && c.response?.ok && c.args.thread_ts === undefined);
        return top.length > 0 ? top : undefined;
      },
      60_000,
      'the Slack message',
    );
    expect(posts.map((c) => c.args.metadata?.event_payload?.incident_id)).toEqual([inc.incident_id]);
    console.log(
      JSON.stringify({
        cross_instance: {
          incidents: live.length,
          confidence: inc.confidence,
          single_instance_confidence: expected!.confidence,
          verdict_ms: verdictMs,
          killed: ['xinst-a', 'xinst-b', 'xinst-c'][ownerIndex],
        },
      }),
    );
  });
});
