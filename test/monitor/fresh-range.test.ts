// Key and clock columns (transaction ids, sequence numbers, epoch timestamps) bring a fresh range of values
// every run: against the pooled baseline their KS D is 1 on every healthy run. Found on the pandas evaluation
// set (bench/eval/pandas): a `txn_id` column opened a permanent drift incident at every source, and since a
// flagged run is not learned, the node's row-count baseline froze too (weekends then looked like faults).
import { describe, expect, it } from 'vitest';
import type { Profile } from '../../src/contract/index.js';
import { freshRangeEveryRun } from '../../src/monitor/evaluate.js';
import type { Finding } from '../../src/rules/index.js';
import { dailyRuns } from './daily-runs.js';
import { seededRandom } from '../../src/sketch/index.js';

const ROWS = 400;

function numeric(values: number[]) {
  let lo = Infinity;
  let hi = -Infinity;
  let sum = 0;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
    sum += v;
  }
  return {
    kind: 'numeric' as const,
    count: values.length,
    null_count: 0,
    min: lo,
    max: hi,
    mean: sum / values.length,
    sample: values,
  };
}

function harness(seed: number) {
  const runs = dailyRuns('feed', 'lake/feed');
  const rng = seededRandom(seed);
  /** One run: `ids` from `idFrom` on, `amount` log-normal around `level`; learned when it has no finding. */
  const run = (idFrom: number, level = 3, constant?: number): Finding[] => {
    const profile: Profile = {
      row_count: ROWS,
      columns: {
        txn_id: numeric(Array.from({ length: ROWS }, (_, k) => idFrom + k)),
        amount: numeric(Array.from({ length: ROWS }, () => Math.exp(level + 0.5 * (rng() + rng() + rng() - 1.5)))),
        ...(constant !== undefined ? { n_train: numeric(new Array<number>(ROWS).fill(constant)) } : {}),
      },
    };
    return runs.judge(profile);
  };
  return { run };
}

describe('columns with a fresh range of values every run (keys, sequence numbers, clocks)', () => {
  it('an id column counting up run after run raises no drift in 40 healthy runs', () => {
    const h = harness(1);
    const findings = Array.from({ length: 40 }, (_, r) => h.run(r * 1_000_000)).flat();
    expect(findings.map((f) => `${f.column}: ${f.message}`)).toEqual([]);
  });

  it('a shift of a stationary column is still drift, next to an id column', () => {
    const h = harness(2);
    for (let r = 0; r < 12; r++) expect(h.run(r * 1_000_000)).toEqual([]);
    const shifted = h.run(12 * 1_000_000, 7);
    expect(shifted.map((f) => [f.metric, f.column])).toEqual([['drift', 'amount']]);
  });

  it('a per-run constant (a training size: one value per run, sometimes repeated) raises no drift either', () => {
    const h = harness(3);
    // Each run's rows carry one value; a value seen before makes the ranges overlap, the KS D is then ~0.5-0.9.
    const sizes = [597, 621, 606, 625, 605, 415, 417, 572, 583, 603, 582, 606, 404, 597, 621, 415, 600, 583, 606, 621];
    const findings = sizes.flatMap((n, r) => h.run(r * 1_000_000, 3, n));
    expect(findings.map((f) => `${f.column}: ${f.message}`)).toEqual([]);
  });

  it('needs disjoint ranges in every healthy run, not only in most', () => {
    const base: [number, number][] = [
      [0, 10],
      [20, 30],
      [40, 50],
    ];
    expect(freshRangeEveryRun(base, [60, 70])).toBe(true);
    expect(freshRangeEveryRun(base, [45, 70])).toBe(false);
    expect(freshRangeEveryRun([...base, [5, 15]], [60, 70])).toBe(false);
    expect(freshRangeEveryRun(base.slice(0, 2), [60, 70])).toBe(false);
  });
});
