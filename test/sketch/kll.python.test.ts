// Runs the Python side of the cross-language check (python/tests/test_kll_vectors.py: the official
// datasketches package reads the sketches TypeScript serialized) so that `npm test` covers both directions.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function runCommand(file: string, args: string[], timeoutMs: number): Promise<RunResult> {
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

function explain(what: string, r: RunResult): string {
  return `${what} exited ${r.code}\n--- stdout ---\n${r.stdout.slice(-6000)}\n--- stderr ---\n${r.stderr.slice(-6000)}`;
}

describe('KLL vectors read by the official datasketches package (pytest)', () => {
  // the first run on a new machine creates the Python environment (pip installs), hence the long timeout
  it('python/tests/test_kll_vectors.py passes', { timeout: 900_000 }, async () => {
    const env = await runCommand(join(ROOT, 'scripts', 'pyenv.sh'), [], 840_000);
    if (env.code !== 0) expect.fail(explain('scripts/pyenv.sh', env));
    const python = env.stdout.trim().split('\n').pop() ?? '';
    expect(python).toMatch(/python/);
    const pytest = await runCommand(python, ['-m', 'pytest', 'python/tests/test_kll_vectors.py', '-q', '-p', 'no:cacheprovider'], 300_000);
    if (pytest.code !== 0) expect.fail(explain('pytest python/tests/test_kll_vectors.py', pytest));
    expect(pytest.stdout).toMatch(/\d+ passed/);
    expect(pytest.stdout).not.toMatch(/failed|error/i);
  });
});
