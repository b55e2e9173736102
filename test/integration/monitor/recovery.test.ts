import { describe, expect, it } from 'vitest';
import { MonitorCore, type Incident } from '../../../src/monitor/index.js';
import { loadRules } from '../../../src/rules/index.js';
import { admin, eventually, ownInflux } from '../helpers.js';
import { monitorConfig, nodeRunCount, recentSim, sendReports, startMonitor } from './harness.js';
import { spawnMonitor } from './process.js';

function summary(i: Incident) {
  return {
    id: i.incident_id,
    culprit: i.culprit,
    cause: i.cause.kind,
    metric: i.metric,
    column: i.column,
    symptoms: [...new Set(i.symptoms.map((s) => s.node))].sort(),
    status: i.status,
  };
}

describe('nothing lost, nothing double-counted', () => {
  it('survives InfluxDB stopping mid-stream: consumption pauses, then every report is stored exactly once', async () => {
    // A dedicated InfluxDB on its own ports (free a moment before), so stopping it disturbs no other test.
    const influx = await ownInflux('influx-outage');
    const cfg = monitorConfig({ 'influx.url': influx.url });
    const m = await startMonitor(cfg);
    const sim = recentSim('chain', 5, 'outage', 21);
    for (let r = 0; r < 4; r++) await sendReports(cfg, sim.run(r));
    await eventually(
      async () => ((await nodeRunCount(cfg, 'outage')) === 20 ? true : undefined),
      60_000,
      'the first 20 reports',
    );

    await influx.down();
    for (let r = 4; r < 8; r++) await sendReports(cfg, sim.run(r));
    // While InfluxDB is down the batch is retried, and no offset moves past it.
    await eventually(() => (m.metrics.influxRetries.total() >= 2 ? true : undefined), 30_000, 'write retries');
    const a = await admin();
    const offsets = async () =>
      (await a.fetchOffsets({ groupId: cfg.kafka.groupId, topics: [cfg.kafka.topics.reports] }))[0]!.partitions.reduce(
        (s, p) => s + Math.max(0, Number(p.offset)),
        0,
      );
    expect(await offsets()).toBe(20);
    expect(m.metrics.reports.total()).toBeLessThan(40);

    await influx.up();
    for (let r = 8; r < 10; r++) await sendReports(cfg, sim.run(r, r === 9 ? [{ node: 'n01', kind: 'row_drop' }] : []));
    await eventually(
      async () => ((await nodeRunCount(cfg, 'outage')) === 50 ? true : undefined),
      90_000,
      'all 50 reports after the outage',
    );
    await eventually(async () => ((await offsets()) === 50 ? true : undefined), 30_000, 'offsets committed');

    // Baselines counted each healthy report exactly once: the same as a core that saw no outage.
    const reference = new MonitorCore({ rules: loadRules('rules') });
    for (let r = 0; r < 10; r++) reference.processBatch(sim.run(r, r === 9 ? [{ node: 'n01', kind: 'row_drop' }] : []));
    for (const node of reference.nodes('outage')) {
      const live = m.core.node({ pipeline: 'outage', node: node.node })!;
      expect({ node: node.node, runs: live.runs, healthy: live.healthy_runs }).toEqual({
        node: node.node,
        runs: node.runs,
        healthy: node.healthy_runs,
      });
    }
    expect(m.core.incidents().map(summary)).toEqual(reference.incidents().map(summary));
  });

  it('survives SIGKILL mid-stream: the restarted monitor loses nothing and decides exactly as before', async () => {
    const cfg = monitorConfig({ 'kafka.instanceId': 'recovery-a' });
    const sim = recentSim('diamond', 7, 'kill', 31);
    const fault = (r: number) => (r >= 12 ? [{ node: 'n02', kind: 'shift' as const, column: 'amount' }] : []);
    const runs = Array.from({ length: 14 }, (_, r) => sim.run(r, fault(r)));
    const total = runs.flat().length;

    const first = await spawnMonitor(cfg);
    for (let r = 0; r < 4; r++) await sendReports(cfg, runs[r]!);
    await eventually(
      async () => ((await nodeRunCount(cfg, 'kill')) >= 14 ? true : undefined),
      60_000,
      'the first reports',
    );
    // More arrive, and the monitor dies in the middle of them.
    for (let r = 4; r < 9; r++) await sendReports(cfg, runs[r]!);
    await new Promise((r) => setTimeout(r, 150));
    first.proc.kill('SIGKILL');
    await first.exited;
    const before = await nodeRunCount(cfg, 'kill');
    expect(before).toBeLessThan(total);

    const second = await spawnMonitor(cfg);
    for (let r = 9; r < 14; r++) await sendReports(cfg, runs[r]!);
    await eventually(
      async () => ((await nodeRunCount(cfg, 'kill')) === total ? true : undefined),
      90_000,
      `all ${total} reports`,
    );

    // The same decisions as a monitor that never stopped.
    const reference = new MonitorCore({ rules: loadRules('rules') });
    for (const r of runs) reference.processBatch(r);
    const expected = reference.incidents().map(summary);
    expect(expected.length).toBeGreaterThan(0);
    const live = await eventually(
      async () => {
        const res = (await (await fetch(`${second.url}/api/v1/incidents?pipeline=kill`)).json()) as {
          incidents: Incident[];
        };
        return res.incidents.length >= expected.length ? res.incidents : undefined;
      },
      30_000,
      'the incident',
    );
    expect(live.map(summary)).toEqual(expected);
    const nodes = (await (await fetch(`${second.url}/api/v1/nodes?pipeline=kill`)).json()) as {
      nodes: { node: string; runs: number; healthy_runs: number; outputs: { row_counts: number[] }[] }[];
    };
    for (const n of reference.nodes('kill')) {
      const got = nodes.nodes.find((x) => x.node === n.node)!;
      expect({ node: n.node, runs: got.runs, healthy: got.healthy_runs, rows: got.outputs[0]!.row_counts }).toEqual({
        node: n.node,
        runs: n.runs,
        healthy: n.healthy_runs,
        rows: Object.values(n.outputs)[0]!.row_counts,
      });
    }
  });

  it('two instances in one group share a 6-partition topic, and each pipeline is processed whole, once', async () => {
    const cfg = monitorConfig({ 'kafka.partitions': 6, 'kafka.instanceId': 'share-a' });
    const cfgB = { ...cfg, kafka: { ...cfg.kafka, instanceId: 'share-b' } };
    const a = await startMonitor(cfg);
    const b = await startMonitor(cfgB);
    await eventually(
      () =>
        a.kafka.status.assigned.length + b.kafka.status.assigned.length === 6 &&
        a.kafka.status.assigned.length > 0 &&
        b.kafka.status.assigned.length > 0
          ? true
          : undefined,
      60_000,
      'partitions shared',
    );
    const pipelines = Array.from({ length: 12 }, (_, i) => recentSim('chain', 3, `p${i}`, 100 + i));
    for (let r = 0; r < 7; r++)
      await sendReports(
        cfg,
        pipelines.flatMap((s, i) => s.run(r, i === 4 && r === 6 ? [{ node: 'n01', kind: 'null_spike' }] : [])),
      );
    await eventually(
      () => (a.metrics.reports.total() + b.metrics.reports.total() === 12 * 3 * 7 ? true : undefined),
      90_000,
      'all reports',
    );
    expect(a.metrics.reports.total()).toBeGreaterThan(0);
    expect(b.metrics.reports.total()).toBeGreaterThan(0);
    // A pipeline lives on exactly one instance.
    const onA = new Set(a.core.pipelineNames());
    const onB = new Set(b.core.pipelineNames());
    expect([...onA].filter((p) => onB.has(p))).toEqual([]);
    expect(onA.size + onB.size).toBe(12);
    for (let i = 0; i < 12; i++) expect(await nodeRunCount(cfg, `p${i}`)).toBe(21);
    const incidents = [...a.core.incidents(), ...b.core.incidents()];
    expect(incidents.map((i) => `${i.pipeline}/${i.culprit}`)).toEqual(['p4/n01']);
  });
});
