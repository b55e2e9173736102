import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { RootlineError } from '../../errors/index.js';

export type Log = (message: string) => void;

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; rejects with its output when it fails. */
export function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    execFile(
      cmd,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 0,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err) {
          const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-25).join('\n');
          reject(Object.assign(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${tail}`), { cause: err }));
        } else resolveRun({ stdout, stderr });
      },
    );
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolvePort) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (open: boolean) => {
      socket.destroy();
      resolvePort(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err: unknown) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface PidRecord {
  pid: number;
  service: string;
  ports: number[];
  startedAt: string;
}

export function readPid(file: string): PidRecord | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const rec = JSON.parse(readFileSync(file, 'utf8')) as PidRecord;
    return typeof rec.pid === 'number' ? rec : undefined;
  } catch {
    return undefined;
  }
}

/** Starts a long-running process detached from this one (its own process group), output to logFile. */
export function startDetached(opts: {
  service: string;
  cmd: string;
  args: string[];
  cwd: string;
  logFile: string;
  pidFile: string;
  ports: number[];
  env?: NodeJS.ProcessEnv;
}): number {
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(opts.cmd, opts.args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined)
      throw new RootlineError('SERVICE_START_FAILED', `${opts.service}: could not spawn ${opts.cmd}`);
    child.unref();
    const rec: PidRecord = {
      pid: child.pid,
      service: opts.service,
      ports: opts.ports,
      startedAt: new Date().toISOString(),
    };
    writeFileSync(opts.pidFile, JSON.stringify(rec));
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Stops a process group: `stopSignal` (SIGTERM), then SIGKILL after graceMs. Resolves once it is gone. */
export async function stopProcess(
  pid: number,
  graceMs = 15_000,
  stopSignal: NodeJS.Signals = 'SIGTERM',
): Promise<'stopped' | 'killed' | 'absent'> {
  if (!pidAlive(pid)) return 'absent';
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal(stopSignal);
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) return 'stopped';
    await sleep(100);
  }
  signal('SIGKILL');
  while (pidAlive(pid)) await sleep(50);
  return 'killed';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function tailFile(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * A lock between processes (two test runs installing into one cache at once): a directory made
 * atomically, holding the owner's pid; a lock whose owner is gone is taken over.
 */
export async function withLock<T>(dir: string, what: string, log: Log, fn: () => Promise<T>): Promise<T> {
  let announced = false;
  for (;;) {
    try {
      await mkdir(dir);
      writeFileSync(`${dir}/owner`, String(process.pid));
      break;
    } catch (err: unknown) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(await readFile(`${dir}/owner`, 'utf8').catch(() => 'NaN'));
      if (!Number.isInteger(owner) || !pidAlive(owner)) {
        // Either the owner died, or it has not written its pid yet; give the latter a moment.
        await sleep(200);
        const again = Number(await readFile(`${dir}/owner`, 'utf8').catch(() => 'NaN'));
        if (!Number.isInteger(again) || !pidAlive(again)) {
          rmSync(dir, { recursive: true, force: true });
          continue;
        }
      }
      if (!announced) {
        log(`waiting for another process (pid ${owner}) that is ${what}`);
        announced = true;
      }
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
