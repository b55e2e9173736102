import { describe, expect, it } from 'vitest';
import { schemaFingerprint, type Profile, type Schema } from '../../src/contract/index.js';
import { BaselineCache, evaluateProfile, learnBaseline } from '../../src/monitor/evaluate.js';
import { compileCoreOptions } from '../../src/monitor/options.js';
import type { BaselineEpoch } from '../../src/monitor/baseline-epochs.js';
import { newNodeState } from '../../src/monitor/state.js';
import { seededRandom } from '../../src/sketch/index.js';
import {
  chiSquaredTest,
  ks2samp,
  kstwoIsf,
  smallSampleFactor,
  ROUNDING_SD,
  totalVariationDistance,
  tvdSamplingMargin,
} from '../../src/stats/index.js';

const SCHEMA: Schema = [
  { name: 'amount', type: 'double', nullable: true },
  { name: 'segment', type: 'string', nullable: true },
];

function normalSample(n: number, mu: number, seed: number): number[] {
  const rng = seededRandom(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(mu + Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()));
  return out;
}

function profile(
  i: number,
  over: { rows?: number; nulls?: number; mu?: number; schema?: Schema; frequent?: Record<string, number> } = {},
): Profile {
  const rows = over.rows ?? 1000 + (i % 3);
  const schema = over.schema ?? SCHEMA;
  return {
    row_count: rows,
    schema,
    schema_fingerprint: schemaFingerprint(schema),
    columns: {
      amount: {
        kind: 'numeric',
        count: rows,
        null_count: over.nulls ?? 2,
        sample: normalSample(200, over.mu ?? 0, 1000 + i),
      },
      segment: {
        kind: 'categorical',
        count: rows,
        null_count: 0,
        frequent: over.frequent ?? { a: 600, b: 300, c: 100 },
        other_count: 0,
      },
    },
  };
}

function setup(baselineRuns = 4) {
  const options = compileCoreOptions({ baselineRuns });
  const slots = new Map<string, BaselineEpoch>();
  const cache = new BaselineCache(slots, options);
  const node = newNodeState('p', 'x');
  const dirty = new Set<string>();
  const report = (i: number) => ({
    pipeline: 'p',
    node: 'x',
    run_id: `r${i}`,
    event_time: new Date(Date.UTC(2026, 10, 1, i)).toISOString(),
  });
  const learn = (i: number, pr = profile(i)) =>
    learnBaseline(node, 'out', 'lake/x', pr, report(i), slots, options, dirty);
  const evaluate = (i: number, pr = profile(i)) =>
    evaluateProfile(report(i), [{ dataset: 'lake/x', profile: pr }], node, 'out', cache);
  return { options, slots, cache, node, dirty, learn, evaluate };
}

describe('evaluateProfile against a learned baseline', () => {
  it('without a baseline: only the values, no comparison', () => {
    const { evaluate } = setup();
    const m = evaluate(0);
    expect(m.baseline_runs).toBe(0);
    expect(m.row_count).toEqual({ value: 1000 });
    expect(m.schema).toMatchObject({ changed: false, fingerprint: schemaFingerprint(SCHEMA) });
    expect(m.columns.map((c) => [c.column, c.null_ratio, c.null_ratio_baseline, c.drift])).toEqual([
      ['amount', 0.002, undefined, undefined],
      ['segment', 0, undefined, undefined],
    ]);
  });

  it('row count against the median of the healthy runs', () => {
    const { learn, evaluate } = setup();
    for (const [i, rows] of [900, 1000, 1100].entries()) learn(i, profile(i, { rows }));
    const m = evaluate(9, profile(9, { rows: 1500 }));
    expect(m.baseline_runs).toBe(3);
    expect(m.row_count).toMatchObject({ value: 1500, baseline: 1000, deviation: 0.5 });
    // z on log(1 + rows): the log residuals' robust spread (1.4826 MAD) widened by the median's own
    // uncertainty over 3 runs, widened as a spread estimated from 3 values must be; at least a row's rounding.
    const own = Math.hypot(Math.log(1101 / 1001) * 1.4826, ROUNDING_SD / 1001);
    const spread = own * Math.sqrt(1 + Math.PI / 6) * smallSampleFactor(3);
    expect(m.row_count.z).toBeCloseTo(Math.log(1501 / 1001) / spread, 9);
    expect(m.row_count.expectations?.none).toMatchObject({ seasonality: 'none', expected: 1000, runs: 3 });
    // Hourly runs whose counts already moved 20% in their first hours, at an hour not seen yet: `auto`
    // holds its verdict until the node has shown its day (docs/statistics.md, "The first day").
    expect(m.row_count.expectations?.auto.undetermined).toBe(true);
  });

  it('a baseline of zero rows: any rows is an (unbounded) rise, reported finitely', () => {
    const { learn, evaluate } = setup();
    learn(0, profile(0, { rows: 0 }));
    expect(evaluate(1, profile(1, { rows: 5 })).row_count.deviation).toBe(1e9);
    expect(evaluate(1, profile(1, { rows: 0 })).row_count.deviation).toBe(0);
  });

  it('a schema change is diffed and classed', () => {
    const { learn, evaluate } = setup();
    learn(0);
    const removed: Schema = [SCHEMA[0]!];
    const m = evaluate(1, profile(1, { schema: removed }));
    expect(m.schema).toMatchObject({
      changed: true,
      breaking: true,
      previous: schemaFingerprint(SCHEMA),
      fingerprint: schemaFingerprint(removed),
    });
    expect(m.schema.changes.map((c) => [c.kind, c.path])).toEqual([['removed', 'segment']]);
    const added: Schema = [...SCHEMA, { name: 'note', type: 'string', nullable: true }];
    expect(evaluate(2, profile(2, { schema: added })).schema).toMatchObject({ changed: true, breaking: false });
  });

  it('a changed fingerprint without schemas to diff counts as breaking', () => {
    const { learn, evaluate } = setup();
    const bare = (fp: string): Profile => ({ row_count: 10, schema_fingerprint: fp });
    learn(0, bare(`sha256:${'a'.repeat(64)}`));
    expect(evaluate(1, bare(`sha256:${'b'.repeat(64)}`)).schema).toMatchObject({
      changed: true,
      breaking: true,
      changes: [],
    });
  });

  it('null ratio against the median of the healthy runs', () => {
    const { learn, evaluate } = setup();
    for (const [i, nulls] of [1, 2, 3].entries()) learn(i, profile(i, { rows: 1000, nulls }));
    const c = evaluate(5, profile(5, { rows: 1000, nulls: 100 })).columns[0]!;
    expect(c).toMatchObject({
      column: 'amount',
      dataset: 'lake/x',
      null_count: 100,
      null_ratio: 0.1,
      null_ratio_baseline: 0.002,
    });
  });

  it('numeric drift from samples is the exact two-sample KS against the baseline samples', () => {
    const { learn, evaluate } = setup();
    const base: number[] = [];
    for (let i = 0; i < 3; i++) {
      const pr = profile(i);
      base.push(...(pr.columns!.amount as { sample: number[] }).sample);
      learn(i, pr);
    }
    const cur = profile(7, { mu: 0.5 });
    const d = evaluate(7, cur).columns[0]!.drift!;
    const ref = ks2samp((cur.columns!.amount as { sample: number[] }).sample, base);
    const { scale, ...ks } = d;
    expect(ks).toEqual({
      test: 'ks',
      statistic: ref.statistic,
      // The effect is D's 99% lower bound: D minus the KS critical value at n = 200 x 600 / 800 = 150.
      effect: Math.max(0, ref.statistic - kstwoIsf(0.01, 150)),
      pvalue: ref.pvalue,
      n_current: 200,
      n_baseline: 600,
    });
    // How far the values moved in scale: a shift of half a standard deviation, within their order of magnitude.
    expect(scale!.shift).toBeGreaterThan(0);
    expect(scale!.most).toBeLessThan(1);
    expect(d.effect).toBeGreaterThan(0);
    expect(d.pvalue).toBeLessThan(1e-6);
  });

  it('categorical drift: chi-squared p-value and total variation against the merged baseline lists', () => {
    const { learn, evaluate } = setup();
    for (let i = 0; i < 2; i++) learn(i);
    const shifted = { a: 100, b: 300, c: 600 };
    const d = evaluate(5, profile(5, { frequent: shifted })).columns[1]!.drift!;
    // Untruncated lists: every count is exact, so the bounds are the counts themselves.
    const baseline = { a: 1200, b: 600, c: 200 };
    expect(d).toMatchObject({
      test: 'chi2',
      statistic: totalVariationDistance(baseline, shifted),
      n_current: 1000,
      n_baseline: 2000,
    });
    // The effect is the distance less its sampling margin (the table of values known on both sides).
    const margin = tvdSamplingMargin(
      [
        [1200, 100],
        [600, 300],
        [200, 600],
      ],
      2000,
      1000,
    );
    expect(margin).toBeGreaterThan(0.02);
    expect(margin).toBeLessThan(0.06);
    expect(d.effect).toBeCloseTo(d.statistic - margin, 12);
    expect(d.pvalue / chiSquaredTest(baseline, shifted).pvalue).toBeCloseTo(1, 9);
    expect(d.statistic).toBeCloseTo(0.5, 12);
    expect(d.shifts!.map((s) => [s.value, s.change, s.baseline[0], s.current[0]])).toEqual([
      ['a', 'moved', 0.6, 0.1],
      ['c', 'moved', 0.1, 0.6],
      ['b', 'moved', 0.3, 0.3],
    ]);
  });

  it('the baseline keeps the last N healthy runs; distributions by epoch of N/2 runs', () => {
    const { learn, evaluate, node, slots, dirty } = setup(4);
    for (let i = 0; i < 10; i++) learn(i, profile(i, { rows: 1000 + i * 10 }));
    const b = node.outputs['lake/x']!;
    expect(b.healthy_runs).toBe(10);
    expect(b.row_counts).toEqual([1060, 1070, 1080, 1090]);
    // N = 4: epochs of 2 runs, the window is the last closed epoch and the open one (2 or 3 runs).
    expect(b.slot_seq).toBe(10);
    expect(b.slot_count).toBe(2);
    expect(slots.size).toBe(2);
    expect(dirty.size).toBe(2);
    expect([...slots.values()].map((s) => s.run_ids).sort()).toEqual([
      ['r6', 'r7'],
      ['r8', 'r9'],
    ]);
    // Only the window's runs are compared with: samples of 200 values each.
    expect(evaluate(10).columns[0]!.drift!.n_baseline).toBe(2 * 200);
    learn(10);
    expect(b.slot_count).toBe(3);
    expect(evaluate(11).columns[0]!.drift!.n_baseline).toBe(3 * 200);
    learn(11);
    expect(evaluate(12).columns[0]!.drift!.n_baseline).toBe(2 * 200);
    expect([...slots.values()].map((s) => s.run_ids).sort()).toEqual([
      ['r10', 'r11'],
      ['r8', 'r9'],
    ]);
    expect(slots.size).toBe(2);
  });

  it('a run without distributions teaches row count and nulls but writes no slot', () => {
    const { learn, node, slots } = setup();
    learn(0, { row_count: 10, columns: { a: { kind: 'numeric', count: 10, null_count: 1 } } });
    expect(node.outputs['lake/x']).toMatchObject({
      healthy_runs: 1,
      row_counts: [10],
      slot_count: 0,
      columns: { a: { kind: 'numeric', null_ratios: [0.1] } },
    });
    expect(slots.size).toBe(0);
  });

  it('a column that changed kind has no drift against the other kind', () => {
    const { learn, evaluate } = setup();
    learn(0);
    const flipped: Profile = {
      row_count: 1000,
      columns: { amount: { kind: 'categorical', count: 1000, null_count: 0, frequent: { x: 1000 }, other_count: 0 } },
    };
    expect(evaluate(1, flipped).columns[0]!.drift).toBeUndefined();
  });
});
