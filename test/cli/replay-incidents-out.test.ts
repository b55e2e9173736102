// `rootline replay --incidents-out FILE`: one line per incident opened (however often it changed later), in the
// format of the evaluation sets' scorers (bench/eval/pandas/README.md): culprit, the run and event time it was
// opened at, every symptom node-run, its highest severity.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PipelineSim, makeDag } from '../../src/sim/index.js';
import { runCli } from './run-cli.js';

describe('rootline replay --incidents-out', () => {
  it('writes each opened incident once, with its culprit run, opening event time and symptom runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rootline-incidents-out-'));
    const file = join(dir, 'reports.jsonl');
    const out = join(dir, 'incidents.jsonl');
    const sim = new PipelineSim(makeDag('chain', 4, 'io'), { seed: 3 });
    const lines: string[] = [];
    // Two separate faults at the chain's head (runs 10-11 and 20-21), each followed by healthy runs.
    for (let r = 0; r < 28; r++) {
      const bad = r === 10 || r === 11 || r === 20 || r === 21;
      for (const rep of sim.run(r, bad ? [{ node: 'n00', kind: 'row_drop' }] : [])) lines.push(JSON.stringify(rep));
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = await runCli(['replay', file, '--no-findings', '--quiet', '--incidents-out', out]);
    expect(r.code, r.stderr).toBe(0);
    const finals = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; incident_id: string; opened_at: string; severity: string });
    const written = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            incident_id: string;
            pipeline: string;
            culprit: string;
            opened_run_id: string;
            opened_event_time: string;
            symptoms: { pipeline: string; node: string; run_id: string }[];
            severity: string;
          },
      );
    expect(written.map((w) => w.incident_id)).toEqual(finals.map((f) => f.incident_id));
    expect(written).toHaveLength(2);
    const reports = lines.map((l) => JSON.parse(l) as { node: string; run_id: string; event_time: string });
    for (const [k, w] of written.entries()) {
      expect(w).toMatchObject({ pipeline: 'io', culprit: 'n00', severity: finals[k]!.severity });
      const opener = reports.find((x) => x.node === 'n00' && x.run_id === w.opened_run_id)!;
      expect(Date.parse(w.opened_event_time)).toBe(Date.parse(opener.event_time));
      // Every downstream node of the chain saw the drop on the opening run: all three are symptoms of it.
      for (const node of ['n01', 'n02', 'n03'])
        expect(w.symptoms).toContainEqual({ pipeline: 'io', node, run_id: w.opened_run_id });
    }
    expect(written[0]!.opened_run_id).not.toBe(written[1]!.opened_run_id);
  });
});
