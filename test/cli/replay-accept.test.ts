// `rootline replay` with an accept-the-change line: the change becomes the node's new normal at that point of
// the stream, as the incident's accept action does in the monitor (issue 10 item 2, issue 12 item 2).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACCEPT_SPEC, parseAcceptMessage } from '../../src/monitor/index.js';
import { PipelineSim, makeDag } from '../../src/sim/index.js';
import { runCli } from './run-cli.js';

function stream(accept: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'rootline-replay-accept-'));
  const file = join(dir, 'reports.jsonl');
  const sim = new PipelineSim(makeDag('chain', 2, 'accepting'), { seed: 9 });
  const lines: string[] = [];
  for (let r = 0; r < 20; r++) {
    for (const rep of sim.run(r, r >= 8 ? [{ node: 'n00', kind: 'shift', magnitude: 3 }] : []))
      lines.push(JSON.stringify(rep));
    if (r === 10 && accept)
      lines.push(
        JSON.stringify({
          spec: ACCEPT_SPEC,
          pipeline: 'accepting',
          node: 'n00',
          who: 'ana',
          why: 'new pricing',
          via: 'cli',
          at: '2026-11-01T11:00:00Z',
        }),
      );
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

type Line = { type: string; status?: string; culprit?: string; event?: string; changes?: { accepted?: unknown } };

describe('rootline replay: accept lines', () => {
  it('without the accept the incident stays open; with it, it resolves with who/why and stays quiet', async () => {
    const without = await runCli(['replay', stream(false), '--events', '--no-findings', '--quiet']);
    expect(without.code).toBe(0);
    const a = without.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Line);
    // Event lines carry the incident's fields too (their `type` included), and an `event`: final lines have none.
    const final = (l: Line) => l.type === 'incident' && l.event === undefined;
    expect(a.filter((l) => final(l) && l.status === 'open')).toHaveLength(1);

    const withAccept = await runCli(['replay', stream(true), '--events', '--quiet']);
    expect(withAccept.stderr).toBe('');
    expect(withAccept.code).toBe(0);
    const b = withAccept.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Line);
    const incidents = b.filter(final);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ culprit: 'n00', status: 'resolved', resolved_at: '2026-11-01T11:00:00.000Z' });
    const resolved = b.find((l) => l.event === 'resolved');
    expect(resolved?.changes?.accepted).toMatchObject({ who: 'ana', why: 'new pricing', via: 'cli', automatic: false });
    // After the accept (run 10) the runs from 14 on (re-armed) bring no finding.
    const findings = b.filter((l) => l.type === 'finding') as unknown as { run_id: string }[];
    expect(findings.filter((f) => f.run_id >= '2026-11-01T11:00:00.000Z')).toEqual([]);
  }, 120_000);

  it('a malformed accept line is named and counted as bad', () => {
    expect(parseAcceptMessage({ spec: ACCEPT_SPEC, pipeline: 'p', node: '', who: 'a', why: 'b', extra: 1 })).toEqual({
      ok: false,
      errors: ['node must be a non-empty string', 'unknown field extra'],
    });
    expect(parseAcceptMessage({ spec: ACCEPT_SPEC, pipeline: 'p', node: 'n', who: 'a', why: 'b', at: 'soon' })).toEqual(
      {
        ok: false,
        errors: ['at must be an RFC 3339 time, got soon'],
      },
    );
  });
});
