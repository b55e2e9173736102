// `rootline replay` on a stream with poison reports: every good report is processed, each bad one is named by
// line number and reason, and the exit code says that some were bad (issue 14).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PipelineSim, makeDag } from '../../src/sim/index.js';
import type { Report } from '../../src/contract/index.js';
import { runCli } from './run-cli.js';

function poisoned(): { file: string; good: number; bad: number[] } {
  const dir = mkdtempSync(join(tmpdir(), 'rootline-replay-poison-'));
  const file = join(dir, 'reports.jsonl');
  const sim = new PipelineSim(makeDag('chain', 3, 'poisoned'), { seed: 5 });
  const lines: string[] = [];
  const bad: number[] = [];
  const poison = (text: string) => {
    lines.push(text);
    bad.push(lines.length);
  };
  let good = 0;
  for (let r = 0; r < 6; r++) {
    const reports: Report[] = sim.run(r);
    for (const rep of reports) {
      lines.push(JSON.stringify(rep));
      good++;
    }
    const base = reports[0]!;
    const copy = (): Report => structuredClone(base);
    if (r === 1) poison('\u0000\u00ff garbage bytes');
    if (r === 2) {
      // Hostile but valid (it used to crash the core): processed like any other report.
      const p = copy();
      p.node = 'proto-output';
      p.run_id = 'proto-output';
      p.event_id = '00000000-0000-4000-8000-000000000001';
      p.outputs![0]!.dataset = '__proto__';
      lines.push(JSON.stringify(p));
      good++;
    }
    if (r === 3) {
      const p = copy();
      p.node = 'bad-sketch';
      p.event_id = '00000000-0000-4000-8000-000000000002';
      const cols = p.outputs![0]!.profile!.columns as Record<string, { kind: string; sketch?: unknown }>;
      const numeric = Object.values(cols).find((c) => c.kind === 'numeric')!;
      numeric.sketch = { type: 'kll_doubles', k: 200, data: Buffer.alloc(64, 7).toString('base64') };
      poison(JSON.stringify(p));
    }
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, good, bad };
}

describe('rootline replay with poison reports', () => {
  it('processes every good report, names each bad line, exits 2', async () => {
    const { file, good, bad } = poisoned();
    const r = await runCli(['replay', file, '--no-findings']);
    expect(r.code).toBe(2);
    for (const n of bad) expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${n}: `));
    expect(r.stderr).toContain(`replayed ${good} reports`);
    expect(r.stderr).toContain(`${bad.length} invalid lines`);
  });
});
