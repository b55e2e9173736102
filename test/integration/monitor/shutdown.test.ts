import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { admin, eventually } from '../helpers.js';
import { monitorConfig, nodeRunCount, recentSim, sendReports } from './harness.js';
import { envOf, spawnMonitor } from './process.js';

describe('graceful shutdown', () => {
  it('on SIGTERM finishes the batch in progress, commits it and exits 0', async () => {
    const cfg = monitorConfig();
    const mon = await spawnMonitor(cfg);
    const { run } = recentSim('chain', 4, 'term', 41);
    for (let r = 0; r < 10; r++) await sendReports(cfg, run(r));
    await eventually(
      async () => ((await nodeRunCount(cfg, 'term')) >= 8 ? true : undefined),
      60_000,
      'processing under way',
    );
    mon.proc.kill('SIGTERM');
    expect(await mon.exited).toBe(0);
    expect(mon.lines.some((l) => l.msg === 'stopped')).toBe(true);
    // Everything it wrote to InfluxDB is covered by committed offsets, and vice versa: nothing half done.
    const written = await nodeRunCount(cfg, 'term');
    const a = await admin();
    const committed = (
      await a.fetchOffsets({ groupId: cfg.kafka.groupId, topics: [cfg.kafka.topics.reports] })
    )[0]!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
    expect(committed).toBe(written);
  });

  it('a SIGTERM while Kafka is still unreachable at start-up stops it at once, not after retries', async () => {
    const cfg = monitorConfig({ 'kafka.brokers': ['127.0.0.1:1'] });
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const proc = spawn(process.execPath, ['--import', tsx, 'src/cli/entry.ts', 'monitor'], {
      env: { ...process.env, ...envOf(cfg), ROOTLINE_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
    await eventually(() => (out.includes('not reachable yet') ? true : undefined), 60_000, 'a start-up retry');
    const t0 = Date.now();
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(out).toContain('stopped during start-up');
  });
});
