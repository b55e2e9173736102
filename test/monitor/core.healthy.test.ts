import { describe, expect, it } from 'vitest';
import { Scenario, feed, newCore } from './drive.js';

/**
 * Healthy pipelines must stay quiet: every rule armed, baselines full and wrapping, every DAG shape,
 * several seeds. Zero false findings is the expectation (row counts vary 0.5%, null ratios 0.2%, and
 * the distributions only by sampling noise).
 */
describe('MonitorCore on healthy pipelines', () => {
  const cases: [Parameters<typeof Scenario.of>[0], number, number][] = [
    ['chain', 6, 1],
    ['chain', 4, 2],
    ['diamond', 6, 3],
    ['diamond', 5, 4],
    ['fan_in', 6, 5],
    ['fan_in', 5, 6],
    ['fan_out', 6, 7],
    ['fan_out', 4, 8],
    ['random', 8, 9],
    ['random', 6, 10],
  ];
  for (const [shape, size, seed] of cases) {
    it(`${shape} of ${size} nodes, seed ${seed}: no finding, no incident over 24 runs`, () => {
      const s = Scenario.of(shape, size, seed);
      const core = newCore();
      const outs = feed(core, s.batches(0, 24));
      const findings = outs.flatMap((o) => o.findings);
      expect(findings.map((f) => `${f.node} ${f.rule} ${f.column ?? ''}: ${f.message}`)).toEqual([]);
      expect(outs.flatMap((o) => o.incidentEvents)).toEqual([]);
      expect(core.incidents()).toEqual([]);
      // The rules were armed and the drift tests ran (the quiet is not for lack of a baseline).
      const last = outs[outs.length - 1]!;
      expect(last.processed).toBe(size);
      const columns = last.points.filter((p) => p.measurement === 'rootline_column');
      expect(columns.length).toBe(size * 3);
      for (const c of columns) expect(c.fields.drift_pvalue).toBeTypeOf('number');
      for (const n of core.nodes(s.dag.pipeline)) {
        expect(n.healthy_runs).toBe(24);
        expect(Object.values(n.outputs)[0]!.slot_count).toBe(14); // one closed epoch of 10 runs and 4 of the open one
      }
    });
  }
});
