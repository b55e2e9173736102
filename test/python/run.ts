// Runs the project's pytest suites from vitest, so that `npm test` covers the Python side too.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'vitest';

const run = promisify(execFile);
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCommand(file: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd: ROOT, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, env });
    return { code: 0, stdout, stderr };
  } catch (err: unknown) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: `${e.stderr ?? ''}\n${e.message ?? ''}` };
  }
}

function explain(what: string, r: RunResult): string {
  return `${what} exited ${r.code}\n--- stdout ---\n${r.stdout.slice(-8000)}\n--- stderr ---\n${r.stderr.slice(-4000)}`;
}

/** The project's Python (scripts/pyenv.sh makes the environment on first use: pip installs, minutes). */
export async function projectPython(): Promise<string> {
  const env = await runCommand(join(ROOT, 'scripts', 'pyenv.sh'), [], 840_000);
  if (env.code !== 0) expect.fail(explain('scripts/pyenv.sh', env));
  const python = env.stdout.trim().split('\n').pop() ?? '';
  expect(python).toMatch(/python/);
  return python;
}

/** Runs pytest with arguments; fails the test with pytest's output unless everything passed and nothing skipped. */
export async function pytest(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const python = await projectPython();
  const r = await runCommand(python, ['-m', 'pytest', ...args, '-q', '-p', 'no:cacheprovider', '-rs'], 600_000, env);
  if (r.code !== 0) expect.fail(explain(`pytest ${args.join(' ')}`, r));
  expect(r.stdout).toMatch(/\d+ passed/);
  expect(r.stdout).not.toMatch(/\d+ (failed|error|skipped)/);
  return r.stdout;
}
