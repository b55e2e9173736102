import { describe, expect, it, onTestFinished } from 'vitest';
import type { MonitorConfig } from '../../../src/config/index.js';
import type { Report } from '../../../src/contract/index.js';
import { MonitorCore } from '../../../src/monitor/index.js';
import { loadRules } from '../../../src/rules/index.js';
import { admin, eventually, ownInflux, producer } from '../helpers.js';
import { monitorConfig, nodeRunCount, recentSim, startMonitor, type RunningMonitor } from './harness.js';

/**
 * Pipeline i's reports all go to partition i (keyed by pipeline, as the monitor needs: its state lives there), in
 * one produce request, so the monitor's next fetch finds every partition's batch at once (kafkajs hands a fetch's
 * batches to its two workers and fetches again only once all of them returned).
 */
async function sendTo(cfg: MonitorConfig, byPartition: Report[][]): Promise<void> {
  const p = await producer();
  await p.send({
    topic: cfg.kafka.topics.reports,
    messages: byPartition.flatMap((reports, partition) =>
      reports.map((r) => ({ key: r.pipeline, value: JSON.stringify(r), partition })),
    ),
  });
}

/** Three pipelines of 3 nodes, pipeline i on partition i, and what the tests read back. */
function setup(cfg: MonitorConfig) {
  const sims = [0, 1, 2].map((i) => recentSim('chain', 3, `overlap-${i}`, 40 + i));
  const send = (from: number, to: number) =>
    sendTo(
      cfg,
      sims.map((s) => Array.from({ length: to - from }, (_, k) => s.run(from + k)).flat()),
    );
  const committed = async () => {
    const a = await admin();
    return (
      await a.fetchOffsets({ groupId: cfg.kafka.groupId, topics: [cfg.kafka.topics.reports] })
    )[0]!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
  };
  const stored = async () => {
    let n = 0;
    for (let i = 0; i < 3; i++) n += await nodeRunCount(cfg, `overlap-${i}`);
    return n;
  };
  /** Runs of each pipeline's first node the core has processed (in memory, committed or not). */
  const processed = (m: RunningMonitor) =>
    [0, 1, 2].map((i) => m.core.node({ pipeline: `overlap-${i}`, node: 'n00' })?.runs ?? 0);
  /** Every node counted each report once: as a core that saw runs 0..runs-1 without any outage. */
  const countedOnce = (m: RunningMonitor, runs: number) => {
    for (let i = 0; i < 3; i++) {
      const reference = new MonitorCore({ rules: loadRules('rules') });
      for (let r = 0; r < runs; r++) reference.processBatch(sims[i]!.run(r));
      for (const node of reference.nodes(`overlap-${i}`)) {
        const live = m.core.node({ pipeline: `overlap-${i}`, node: node.node })!;
        expect({ node: node.node, runs: live.runs, healthy: live.healthy_runs }).toEqual({
          node: node.node,
          runs: node.runs,
          healthy: node.healthy_runs,
        });
      }
    }
  };
  return { send, committed, stored, processed, countedOnce };
}

function stages(m: RunningMonitor): (what: string) => void {
  const t0 = Date.now();
  onTestFinished((ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(m.logs.slice(-40).join(''));
  });
  return (what) => process.stderr.write(`[overlap] ${((Date.now() - t0) / 1000).toFixed(1)} s ${what}\n`);
}

/**
 * A backlog on all three partitions while InfluxDB is down, found by a monitor starting on it: its first fetch hands
 * over every partition's batch at once (kafkajs fetches again only when all of a fetch's batches have returned, so
 * a monitor already running could be handed one partition's batch alone, whose write then holds the fetch).
 * Returns the monitor with batches of two partitions processed, neither committed.
 */
async function twoInFlight(
  cfg: MonitorConfig,
  influx: Awaited<ReturnType<typeof ownInflux>>,
  t: ReturnType<typeof setup>,
): Promise<{ m: RunningMonitor; stage: (what: string) => void }> {
  const m0 = await startMonitor(cfg);
  await t.send(0, 3);
  await eventually(async () => ((await t.stored()) === 27 ? true : undefined), 60_000, 'the first 27 reports stored');
  await eventually(async () => ((await t.committed()) === 27 ? true : undefined), 30_000, 'their offsets committed');
  expect(t.processed(m0)).toEqual([3, 3, 3]);
  await m0.stop();

  await influx.down();
  await t.send(3, 6);
  // The bucket exists: the new instance does not wait for InfluxDB to start.
  const m = await startMonitor({ ...cfg, influx: { ...cfg.influx, createBucket: false } });
  const stage = stages(m);
  stage('27 stored; InfluxDB down, a backlog of 27 more, a new instance');
  // One partition's batch waits for InfluxDB; the core meanwhile processed another partition's batch (two batches
  // in flight), whose write waits too.
  await eventually(
    () => (t.processed(m).filter((runs) => runs > 3).length >= 2 ? true : undefined),
    60_000,
    'batches of two partitions processed while InfluxDB is down',
  );
  stage('two partitions processed');
  await eventually(() => (m.metrics.influxRetries.total() >= 4 ? true : undefined), 30_000, 'write retries');
  // Processed, not committed: no offset moved past the reports stored before the outage, none counted as done.
  expect(await t.committed()).toBe(27);
  expect(m.metrics.reports.total()).toBe(0);
  return { m, stage };
}

describe('the InfluxDB write of one batch overlaps the processing of the next', () => {
  it(
    'while InfluxDB is down the core moves on to another partition, but no offset is committed; then every report is stored once',
    { timeout: 240_000 },
    async () => {
      const influx = await ownInflux();
      const cfg = monitorConfig({ 'influx.url': influx.url });
      expect(cfg.kafka.partitions).toBe(3);
      const t = setup(cfg);
      const { m, stage } = await twoInFlight(cfg, influx, t);

      stage('InfluxDB up again');
      await influx.up();
      await t.send(6, 8);
      await eventually(async () => ((await t.stored()) === 72 ? true : undefined), 90_000, 'all 72 reports stored');
      await eventually(async () => ((await t.committed()) === 72 ? true : undefined), 30_000, 'all offsets committed');
      expect(m.metrics.reports.total()).toBe(45);
      t.countedOnce(m, 8);
    },
  );

  it(
    'stopped while two batches wait for InfluxDB: neither commits, and a new instance counts every report once',
    { timeout: 240_000 },
    async () => {
      const influx = await ownInflux();
      const cfg = monitorConfig({ 'influx.url': influx.url });
      const t = setup(cfg);
      const { m, stage } = await twoInFlight(cfg, influx, t);

      stage('stopping');
      // The first batch's write gives up (shutdown); the second, processed on the first one's changes, must not commit.
      await m.stop();
      expect(await t.committed()).toBe(27);
      expect(m.metrics.reports.total()).toBe(0);
      expect(m.metrics.errors.total()).toBeGreaterThanOrEqual(2);

      stage('InfluxDB up, a new instance');
      await influx.up();
      const m2 = await startMonitor(cfg);
      await t.send(6, 8);
      await eventually(async () => ((await t.committed()) === 72 ? true : undefined), 90_000, 'all offsets committed');
      expect(await t.stored()).toBe(72);
      // The new instance took over the state committed by the first (runs 0..2) and processed the rest once.
      expect(m2.metrics.reports.total()).toBe(45);
      t.countedOnce(m2, 8);
    },
  );
});
