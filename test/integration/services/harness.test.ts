import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { harnessConfig, servicesDown, servicesStatus, servicesUp } from '../../../src/dev/services/index.js';
import { readPid } from '../../../src/dev/services/proc.js';
import { isRootlineError } from '../../../src/errors/index.js';

// A second harness instance on its own ports and run folder, sharing the install cache,
// so these tests never disturb the services the rest of the suite uses.
const runDir = mkdtempSync(join(tmpdir(), 'rootline-harness-'));
const base = 21000 + Math.floor(Math.random() * 8000);
const env = {
  ...process.env,
  ROOTLINE_RUN_DIR: runDir,
  ROOTLINE_KAFKA_PORT: String(base),
  ROOTLINE_KAFKA_CONTROLLER_PORT: String(base + 1),
  ROOTLINE_REGISTRY_PORT: String(base + 2),
  ROOTLINE_INFLUX_PORT: String(base + 3),
  ROOTLINE_INFLUX_RPC_PORT: String(base + 4),
  ROOTLINE_SLACK_PORT: String(base + 5),
};
const cfg = harnessConfig(env);
const quiet = () => undefined;

afterAll(async () => {
  await servicesDown({ cfg, log: quiet });
  rmSync(runDir, { recursive: true, force: true });
});

describe('services harness', () => {
  it('restarts a service that was killed between two runs', async () => {
    const first = await servicesUp({ cfg, log: quiet, only: ['slack'] });
    expect(first.started).toEqual(['slack']);
    const pid = readPid(join(runDir, 'slack.pid'))!.pid;
    process.kill(-pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    expect((await servicesStatus(cfg)).find((s) => s.name === 'slack')!.state).toBe('stale');

    const messages: string[] = [];
    const second = await servicesUp({ cfg, log: (m) => messages.push(m), only: ['slack'] });
    expect(second.started).toEqual(['slack']);
    expect(messages.join('\n')).toMatch(/previous process \(pid \d+\) is gone/);
    const res = await fetch(`http://127.0.0.1:${cfg.ports.slack}/_mock/health`);
    expect(res.ok).toBe(true);

    // A third run reuses it.
    const third = await servicesUp({ cfg, log: quiet, only: ['slack'] });
    expect(third.reused).toEqual(['slack']);
    await servicesDown({ cfg, log: quiet, only: ['slack'] });
  });

  it('fails fast with a clear message when a port is taken by another program', async () => {
    const squatter: Server = createServer(() => undefined);
    await new Promise<void>((r) => squatter.listen(cfg.ports.influx, '127.0.0.1', r));
    try {
      const t0 = Date.now();
      const err = await servicesUp({ cfg, log: quiet, only: ['influx'] }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isRootlineError(err, 'PORT_IN_USE')).toBe(true);
      expect((err as Error).message).toContain(`port ${cfg.ports.influx}`);
      expect((err as Error).message).toContain('ROOTLINE_INFLUX_PORT=');
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });
});
