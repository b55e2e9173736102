// Runs the Python side of the reverse profile check (python/tests/test_ts_profile_vectors.py: the Python
// emitter and the official datasketches package read TypeScript's ts_profile.json), so that `npm test`
// covers both directions.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function runCommand(
  file: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd: ROOT, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err: unknown) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message?: string };
    return {
      code: typeof e.code === 'number' ? e.code : -1,
      stdout: e.stdout ?? '',
      stderr: `${e.stderr ?? ''}\n${e.message ?? ''}`,
    };
  }
}

describe('TypeScript profile vectors read by the Python emitter and datasketches (pytest)', () => {
  // the first run on a new machine creates the Python environment (pip installs), hence the long timeout
  it('python/tests/test_ts_profile_vectors.py passes', { timeout: 900_000 }, async () => {
    const env = await runCommand(join(ROOT, 'scripts', 'pyenv.sh'), [], 840_000);
    expect(env.code, env.stderr).toBe(0);
    const python = env.stdout.trim().split('\n').pop() ?? '';
    const pytest = await runCommand(
      python,
      ['-m', 'pytest', 'python/tests/test_ts_profile_vectors.py', '-q', '-p', 'no:cacheprovider'],
      300_000,
    );
    expect(pytest.code, `${pytest.stdout}\n${pytest.stderr}`).toBe(0);
    expect(pytest.stdout).toMatch(/3 passed/);
  });
});
