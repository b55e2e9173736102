// `rootline replay` with people's incident actions (rootline.incident-action/v1 lines): applied in order with the
// reports, as the monitor applies them from the reports topic.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INCIDENT_COMMAND_SPEC, incidentId } from '../../src/monitor/index.js';
import { PipelineSim, makeDag } from '../../src/sim/index.js';
import { runCli } from './run-cli.js';

describe('rootline replay: incident action lines', () => {
  it('acknowledges and resolves the incident at that point of the stream; a repeated or unknown action is a bad line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rootline-replay-actions-'));
    const file = join(dir, 'reports.jsonl');
    const sim = new PipelineSim(makeDag('chain', 3, 'acting'), { seed: 5 });
    const lines: string[] = [];
    let id = '';
    const action = (command_id: string, action: string, at: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        spec: INCIDENT_COMMAND_SPEC,
        command_id,
        pipeline: 'acting',
        incident_id: id,
        action,
        who: 'ana',
        source: 'cli',
        at,
        ...extra,
      });
    for (let r = 0; r < 10; r++) {
      const reports = sim.run(r, r === 8 ? [{ node: 'n01', kind: 'null_spike' }] : []);
      for (const rep of reports) lines.push(JSON.stringify(rep));
      if (r === 8) {
        const bad = reports.find((x) => x.node === 'n01')!;
        id = incidentId('acting', 'n01', bad.run_id);
        const at = new Date(Date.parse(bad.event_time) + 60_000).toISOString();
        lines.push(action('c1', 'ack', at, { why: 'looking' }));
        lines.push(action('c1', 'ack', at));
        lines.push(action('c2', 'resolve', at, { why: 'fixed' }));
        lines.push(action('c3', 'ack', at, { incident_id: 'inc-000000000000' }));
      }
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    const res = await runCli(['replay', file, '--no-findings', '--quiet']);
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/reports\.jsonl:\d+: incident action not applied \(duplicate\)/),
      expect.stringMatching(/reports\.jsonl:\d+: incident action not applied \(not_found\)/),
    ]);
    const incidents = res.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { incident_id: string; status: string });
    expect(incidents.find((i) => i.incident_id === id)).toMatchObject({ status: 'resolved' });
  }, 120_000);
});
