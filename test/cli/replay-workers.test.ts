// `rootline replay --decode-workers N`: lines parsed and validated on worker threads give the same bytes as
// decoding them on the core's thread: every finding, incident event and incident (stdout), the incidents file, and
// every bad line named with its number and reason (stderr), in order.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PipelineSim, makeDag } from '../../src/sim/index.js';
import type { Report } from '../../src/contract/index.js';
import { runCli } from './run-cli.js';

/** Two faults in a diamond of sketch-profiled nodes, with bad, blank, CRLF and hostile lines among the reports. */
function stream(): string {
  const sim = new PipelineSim(makeDag('diamond', 6, 'dw'), { seed: 8 });
  const lines: string[] = [];
  for (let r = 0; r < 40; r++) {
    const faults =
      r >= 24 && r <= 26
        ? [{ node: 'n00', kind: 'shift' as const }]
        : r === 33
          ? [{ node: 'n02', kind: 'row_drop' as const }]
          : [];
    const reports: Report[] = sim.run(r, faults);
    for (const rep of reports) lines.push(JSON.stringify(rep));
    if (r === 3) lines.push('', '   ', 'not json at all');
    if (r === 5) lines.push(`${JSON.stringify(reports[0])}\r`);
    if (r === 7) {
      const p = structuredClone(reports[1]!);
      p.node = '__proto__';
      p.event_id = '00000000-0000-4000-8000-0000000000a1';
      p.outputs![0]!.dataset = '__proto__';
      lines.push(JSON.stringify(p));
    }
    if (r === 9) {
      const p = structuredClone(reports[2]!);
      p.event_id = '00000000-0000-4000-8000-0000000000a2';
      const cols = p.outputs![0]!.profile!.columns as Record<string, { kind: string; sketch?: unknown }>;
      Object.values(cols).find((c) => c.kind === 'numeric')!.sketch = {
        type: 'kll_doubles',
        k: 200,
        data: Buffer.alloc(64, 7).toString('base64'),
      };
      lines.push(JSON.stringify(p));
    }
  }
  return `${lines.join('\n')}\n`;
}

describe('rootline replay --decode-workers', () => {
  it('prints the same bytes with 0, 1 and 2 decoding workers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rootline-replay-workers-'));
    const file = join(dir, 'reports.jsonl');
    writeFileSync(file, stream());
    const runs = [];
    for (const workers of ['0', '1', '2']) {
      const incidents = join(dir, `incidents-${workers}.jsonl`);
      const r = await runCli(['replay', file, '--events', '--incidents-out', incidents, '--decode-workers', workers]);
      runs.push({ ...r, incidents: readFileSync(incidents, 'utf8') });
    }
    const [plain, ...others] = runs;
    // Something to compare: bad lines (exit 2), findings, incidents opened by both faults.
    expect(plain!.code).toBe(2);
    expect(plain!.stdout).toContain('"type":"finding"');
    expect(plain!.incidents.trim().split('\n').length).toBeGreaterThanOrEqual(2);
    expect(plain!.stderr).toContain('reports.jsonl:');
    for (const o of others) {
      expect(o.code).toBe(plain!.code);
      expect(o.stdout).toBe(plain!.stdout);
      expect(o.incidents).toBe(plain!.incidents);
      expect(o.stderr).toBe(plain!.stderr);
    }
    // Three CLI processes one after the other: more than the unit default of 30 s on a loaded 2-core machine.
  }, 180_000);

  it('refuses a worker count that is not a small integer', async () => {
    const r = await runCli(['replay', 'nothing.jsonl', '--decode-workers', '1.5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--decode-workers');
  });
});
