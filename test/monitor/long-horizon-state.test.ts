import { describe, expect, it } from 'vitest';
import { parseJsonDict } from '../../src/dict.js';
import { MonitorCore } from '../../src/monitor/index.js';
import { stateKey } from '../../src/monitor/state-keys.js';
import { compileRules } from '../../src/rules/index.js';
import { PipelineSim, makeDag } from '../../src/sim/index.js';
import { longHorizonOverride, shipped } from './long-horizon-rules.js';

/**
 * Bounded state (issue 15 item 2): the long-horizon reference epoch and CUSUM are state that only the
 * long_horizon_drift rule reads (on in the shipped rules), so they are kept only for the columns the rule is
 * enabled for: where an override turns it off, none is kept.
 */
const off = longHorizonOverride(false);
const onAmountOnly = longHorizonOverride(true, 'amount');

/** 30 healthy runs (the reference epoch, baselineRuns 20, is frozen by then) of a 2-node chain. */
function healthy(files: { file: string; text: string }[]) {
  // Daily runs: a reference epoch spans at least a week.
  const sim = new PipelineSim(makeDag('chain', 2, 'lh'), { seed: 5, intervalMs: 86_400_000 });
  const core = new MonitorCore({ rules: compileRules(files) });
  const findings: unknown[] = [];
  for (let r = 0; r < 30; r++) findings.push(...core.processBatch(sim.run(r)).findings);
  const ref = { pipeline: 'lh', node: 'n00' };
  const columns = core.node(ref)!.outputs[sim.dataset('n00')]!.columns;
  const record = core.exportState([stateKey.node('lh', 'n00')])[0]!.value!;
  return { sim, core, columns, record, findings };
}

describe('long-horizon state is kept only where its rule is enabled', () => {
  it('rule off (by an override): no column keeps a reference epoch or CUSUM, and the node record is that much smaller', () => {
    const none = healthy([shipped, off]);
    const all = healthy([shipped]);
    const numeric = Object.entries(all.columns).filter(([, c]) => c.kind === 'numeric');
    expect(numeric.length).toBeGreaterThan(1);
    // Enabled: every output numeric column has its frozen reference (the epoch list itself is gone).
    for (const [, c] of numeric) {
      expect(c.horizon?.ref).toBeDefined();
      expect(c.horizon).not.toHaveProperty('epoch');
    }
    // Off: none has any.
    for (const c of Object.values(none.columns)) expect(c.horizon).toBeUndefined();
    expect(none.record).not.toContain('"horizon"');
    // The record without the long horizon is smaller by at least the references it does not hold.
    const horizons = numeric.reduce((s, [, c]) => s + JSON.stringify(c.horizon).length, 0);
    expect(none.record.length).toBeLessThanOrEqual(all.record.length - horizons);
    // The same verdicts either way on healthy runs.
    expect(none.findings).toEqual(all.findings);
  });

  it('a column-scoped override keeps the state of the columns it enables and no other', () => {
    const { columns } = healthy([shipped, off, onAmountOnly]);
    expect(columns.amount!.horizon?.ref).toBeDefined();
    for (const [name, c] of Object.entries(columns)) if (name !== 'amount') expect(c.horizon).toBeUndefined();
  });

  it('state left from when the rule was enabled goes at the next healthy run after it is disabled', () => {
    const { sim, core } = healthy([shipped]);
    const dataset = sim.dataset('n00');
    const cols = () => core.node({ pipeline: 'lh', node: 'n00' })!.outputs[dataset]!.columns;
    expect(cols().amount!.horizon).toBeDefined();
    core.setRules(compileRules([shipped, off]));
    core.processBatch(sim.run(30));
    for (const c of Object.values(cols())) expect(c.horizon).toBeUndefined();
  });

  it('a reloaded node record keeps the long-horizon state exactly (prototype-free objects, same fields)', () => {
    const { record } = healthy([shipped]);
    const st = parseJsonDict(record) as { outputs: Record<string, { columns: Record<string, object> }> };
    expect(JSON.stringify(st)).toBe(record);
    const col = Object.values(st.outputs)[0]!.columns.amount!;
    expect(Object.getPrototypeOf(col)).toBeNull();
    expect(Object.getPrototypeOf((col as { horizon: object }).horizon)).toBeNull();
  });
});
