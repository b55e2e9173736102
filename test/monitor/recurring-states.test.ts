import { describe, expect, it } from 'vitest';
import type { Fault } from '../../src/sim/index.js';
import { Scenario, WARMUP, newCore } from './drive.js';

/**
 * Recurring states (docs/statistics.md, "Recurring states"): a column that alternates between healthy modes (a
 * median-imputed discrete feature whose median flips, an export split that ties send all one way) is flagged
 * the first time it goes to the other mode; once it has come back, the same state again is its own movement.
 * A level that moves and stays never came back: flagged on every run.
 */
describe('recurring states: a column alternating between modes is flagged once, a level that stays on every run', () => {
  // n00 -> n01: n01 is a leaf, its drift is its own.
  const s = Scenario.of('chain', 2, 31);
  const shift = (magnitude: number): Fault => ({ node: 'n01', kind: 'shift', magnitude });

  function run(faults: (i: number) => Fault[], runs: number) {
    const core = newCore();
    for (const b of s.batches(0, WARMUP)) core.processBatch(b);
    const drift: number[] = [];
    const opened: number[] = [];
    for (let i = 0; i < runs; i++) {
      const out = core.processBatch(s.reports(WARMUP + i, faults(i)));
      if (out.findings.some((f) => f.node === 'n01' && f.metric === 'drift')) drift.push(i);
      if (out.incidentEvents.some((e) => e.type === 'opened')) opened.push(i);
    }
    return { core, drift, opened };
  }

  it('every fourth run in the other mode: only the first is flagged, one incident', () => {
    const { drift, opened } = run((i) => (i % 4 === 1 ? [shift(1.5)] : []), 30);
    expect(drift).toEqual([1]);
    expect(opened).toEqual([1]);
  });

  it('the same shift from one run on, never back: flagged on every run', () => {
    const { drift, core } = run((i) => (i >= 1 ? [shift(1.5)] : []), 10);
    expect(drift).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(core.incidents({ status: 'open' })).toHaveLength(1);
  });

  it('another state (the other direction, or farther) is not the known one', () => {
    const other = (i: number): Fault[] =>
      i === 1 || i === 5 ? [shift(1.5)] : i === 9 ? [shift(-3)] : i === 13 ? [shift(4)] : [];
    const { drift } = run(other, 16);
    expect(drift).toEqual([1, 9, 13]);
  });
});
