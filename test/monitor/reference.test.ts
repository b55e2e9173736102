import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MonitorCore } from '../../src/monitor/index.js';
import { compileRules } from '../../src/rules/index.js';
import { PipelineSim, makeDag } from '../../src/sim/index.js';

const defaults = { file: 'rules/defaults.yaml', text: readFileSync('rules/defaults.yaml', 'utf8') };

/** A source whose `amount` creeps up by 1% of a standard deviation per run: slow drift. */
function creeping(pinRunId?: string) {
  const sim = new PipelineSim(makeDag('chain', 2, 'creep'), { seed: 5 });
  // The rolling window alone (the long-horizon rule, which finds this creep on its own, is off here).
  const files = [
    defaults,
    {
      file: 'rolling-only.yaml',
      text: 'version: 1\noverrides:\n  - match: { pipeline: creep }\n    rules: { long_horizon_drift: { enabled: false } }\n',
    },
  ];
  if (pinRunId)
    files.push({
      file: 'pin.yaml',
      text: `version: 1\noverrides:\n  - match: { pipeline: creep, node: n00 }\n    baseline: { reference_run: "${pinRunId}" }\n`,
    });
  const core = new MonitorCore({ rules: compileRules(files) });
  const drift: { run: number; d: number; reference?: string }[] = [];
  let firstFinding: number | undefined;
  for (let r = 0; r < 70; r++) {
    const out = core.processBatch(sim.run(r, [{ node: 'n00', kind: 'shift', column: 'amount', magnitude: 0.01 * r }]));
    const p = out.points.find(
      (x) => x.measurement === 'rootline_column' && x.tags.node === 'n00' && x.tags.column === 'amount',
    );
    if (typeof p?.fields.drift_statistic === 'number')
      drift.push({
        run: r,
        d: p.fields.drift_statistic,
        ...(typeof p.fields.drift_reference_run === 'string' ? { reference: p.fields.drift_reference_run } : {}),
      });
    if (firstFinding === undefined && out.findings.some((f) => f.node === 'n00' && f.metric === 'drift'))
      firstFinding = r;
  }
  return { drift, firstFinding, run0: sim.run(0)[0]!.run_id };
}

describe('baseline: a pinned reference run instead of the rolling window', () => {
  it('the rolling window follows slow drift (no finding); pinned to run 0, the same creep is found', () => {
    const rolling = creeping();
    expect(rolling.firstFinding).toBeUndefined();
    expect(Math.max(...rolling.drift.map((x) => x.d))).toBeLessThan(0.1);

    const pinned = creeping(rolling.run0);
    expect(pinned.firstFinding).toBeDefined();
    expect(pinned.firstFinding!).toBeGreaterThan(20);
    const last = pinned.drift[pinned.drift.length - 1]!;
    expect(last.reference).toBe(rolling.run0);
    expect(last.d).toBeGreaterThan(0.15);
  });

  it('rejects a reference that is not a run id, and a misspelt setting', () => {
    expect(() =>
      compileRules([
        {
          file: 'p.yaml',
          text: 'version: 1\noverrides:\n  - match: { node: x }\n    baseline: { reference_run: 7 }\n',
        },
      ]),
    ).toThrow(/p\.yaml:4:\d+: baseline\.reference_run must be a run id/);
    expect(() =>
      compileRules([
        { file: 'p.yaml', text: 'version: 1\noverrides:\n  - match: { node: x }\n    baseline: { pin: "a" }\n' },
      ]),
    ).toThrow(/unknown baseline setting "pin"/);
  });
});
