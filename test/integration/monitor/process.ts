import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { onTestFinished } from 'vitest';
import { SETTINGS, type MonitorConfig } from '../../../src/config/index.js';

/** Environment variables that reproduce a configuration (for a monitor in a child process). */
export function envOf(cfg: MonitorConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of SETTINGS) {
    const v = s.key.split('.').reduce<unknown>((acc, k) => (acc as Record<string, unknown> | undefined)?.[k], cfg);
    if (v === undefined) continue;
    if (Array.isArray(v)) env[s.env] = v.join(',');
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') env[s.env] = String(v);
  }
  return env;
}

export interface MonitorProcess {
  proc: ChildProcess;
  lines: Record<string, unknown>[];
  url: string;
  exited: Promise<number | null>;
}

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Starts `rootline monitor` as a child process (from the sources) and waits until it has started. */
export async function spawnMonitor(cfg: MonitorConfig, timeoutMs = 60_000): Promise<MonitorProcess> {
  const proc = spawn(process.execPath, ['--import', tsx, 'src/cli/entry.ts', 'monitor'], {
    env: { ...process.env, ...envOf(cfg), ROOTLINE_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  let buf = '';
  proc.stdout.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        /* not JSON */
      }
    }
  });
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  onTestFinished(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const started = lines.find((l) => l.msg === 'monitor started');
    if (started) return { proc, lines, url: String(started.http), exited };
    if (proc.exitCode !== null)
      throw new Error(
        `monitor exited with ${proc.exitCode}:\n${stderr}\n${lines.map((l) => JSON.stringify(l)).join('\n')}`,
      );
    if (Date.now() > deadline) throw new Error(`monitor did not start within ${timeoutMs} ms:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
