// A column whose healthy runs routinely move more than the effect floor (a model retrained every run: its
// scores shift run to run; a small per-run table) raised a drift finding on healthy runs. Found on the pandas
// evaluation set (bench/eval/pandas): train_model, score_customers, export_top_decile and encode_features
// opened false incidents in most scenarios. A drift must also stand out from the column's own healthy
// run-to-run movement (its noise band), as a row count must stand out from the node's own noise.
import { mulberry32 } from '../stats/prng.js';
import { describe, expect, it } from 'vitest';
import type { DriftMetrics, Rule } from '../../src/rules/types.js';
import type { Profile } from '../../src/contract/index.js';
import { BaselineCache, driftNoiseBand, evaluateProfile, learnBaseline } from '../../src/monitor/evaluate.js';
import { compileCoreOptions } from '../../src/monitor/options.js';
import type { BaselineEpoch } from '../../src/monitor/baseline-epochs.js';
import { newNodeState } from '../../src/monitor/state.js';
// After the monitor's modules: the metric descriptors and the rules engine import each other.
import { driftViolated, withinNoise } from '../../src/rules/metrics/drift.js';
import { evaluateRules, loadRules, type Finding } from '../../src/rules/index.js';
import { seededRandom } from '../../src/sketch/index.js';

const RULES = loadRules('rules');
const ROWS = 2000;

function numeric(values: number[]) {
  return {
    kind: 'numeric' as const,
    count: values.length,
    null_count: 0,
    min: Math.min(...values),
    max: Math.max(...values),
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    sample: values,
  };
}

function harness(seed: number) {
  const options = compileCoreOptions({});
  const slots = new Map<string, BaselineEpoch>();
  const cache = new BaselineCache(slots, options);
  const node = newNodeState('p', 'model');
  const rng = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  let i = 0;
  /**
   * One run: `score` normal around a level drawn anew each run (uniform +-0.5 sd: a retrained model) plus
   * `shift`; `amount` a stationary normal plus `amountShift`. Learned when it has no finding, as the core does.
   */
  const run = (shift = 0, amountShift = 0): Finding[] => {
    const level = rng() - 0.5 + shift;
    const profile: Profile = {
      row_count: ROWS,
      columns: {
        score: numeric(Array.from({ length: ROWS }, () => level + normal())),
        amount: numeric(Array.from({ length: ROWS }, () => 50 + 10 * (normal() + amountShift))),
      },
    };
    const report = {
      pipeline: 'p',
      node: 'model',
      run_id: `r${i}`,
      event_time: new Date(Date.UTC(2026, 0, 5) + i * 86_400_000).toISOString(),
      status: 'success' as const,
    };
    i++;
    const m = evaluateProfile(report, [{ dataset: 'lake/scores', profile }], node, 'out', cache);
    const findings = evaluateRules(RULES, m);
    if (findings.length === 0)
      learnBaseline(node, 'out', 'lake/scores', profile, report, slots, options, new Set(), m.columns);
    return findings;
  };
  return { run };
}

describe("drift beyond the column's own healthy movement", () => {
  it('a column that moves ~0.2 in KS D between healthy runs raises nothing in 60 runs', () => {
    const h = harness(1);
    const findings = Array.from({ length: 60 }, () => h.run()).flat();
    expect(findings.map((f) => `${f.column}: ${f.message}`)).toEqual([]);
  });

  it('the band covers a skewed healthy movement: a standardized feature of a few hundred rows', () => {
    // encode_features.avg_quantity on the pandas set: healthy D of 0.13-0.26, most near 0.17 (MAD ~0.004);
    // the next healthy runs showed 0.215-0.234.
    const hist = [0.245, 0.257, 0.171, 0.25, 0.17, 0.167, 0.171, 0.168];
    expect(driftNoiseBand(hist)).toBeGreaterThanOrEqual(0.257);
    expect(driftNoiseBand([0.03, 0.02, 0.04, 0.03])).toBeLessThan(0.1);
    expect(driftNoiseBand([0.2, 0.2, 0.2])).toBeUndefined();
  });

  it('the band reaches a heavy tail: a standardized feature whose healthy runs now and then jump (one whale customer)', () => {
    // encode_features.avg_amount on the pandas set (cross_pipeline): 16 healthy statistics, most ~0.05, a few
    // ~0.1; later healthy runs showed 0.19-0.25. The largest seen (0.116) and median + 4 MADs (0.08) miss them.
    const hist = [
      0.046, 0.047, 0.097, 0.037, 0.116, 0.037, 0.059, 0.071, 0.043, 0.047, 0.058, 0.039, 0.031, 0.036, 0.109, 0.066,
    ];
    expect(driftNoiseBand(hist)).toBeGreaterThan(0.25);
    // A tight column keeps a tight band: fraud_score's healthy statistics (~0.034), and its real fault at 0.206.
    const tight = [
      0.036, 0.032, 0.035, 0.044, 0.033, 0.053, 0.043, 0.032, 0.02, 0.04, 0.03, 0.037, 0.04, 0.021, 0.025, 0.025, 0.059,
      0.029, 0.017, 0.036,
    ];
    expect(driftNoiseBand(tight)).toBeLessThan(0.12);
  });

  it('healthy statistics past the band from 20 healthy runs: under 1%, for normal, exponential and lognormal movement (0.03%, 0.5%, 0.27% measured; the largest alone lets ~5% through)', () => {
    const rnd = mulberry32(17);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    const draws: Record<string, () => number> = {
      normal: () => Math.max(0, 0.1 + 0.02 * gauss()),
      exponential: () => 0.03 - 0.02 * Math.log(1 - rnd()),
      lognormal: () => 0.05 * Math.exp(0.4 * gauss()),
    };
    for (const [name, draw] of Object.entries(draws)) {
      let past = 0;
      const trials = 20_000;
      for (let i = 0; i < trials; i++) {
        const hist = Array.from({ length: 20 }, draw);
        if (draw() > driftNoiseBand(hist)!) past++;
      }
      expect(past / trials, name).toBeLessThan(0.01);
    }
  });

  it("past the band on the effect's lower bound, not the point estimate: a small table just past it is not drift", () => {
    const rule = { effect_floor: 0.1, alpha: 0.05 } as Rule;
    // daily_kpis.n_txn on the pandas set: a few dozen rows, D 0.343 with a sampling error of 0.23.
    const small: DriftMetrics = {
      test: 'ks',
      statistic: 0.343,
      effect: 0.112,
      pvalue: 3e-5,
      n_current: 40,
      n_baseline: 800,
      noise_band: 0.247,
    };
    expect(withinNoise(small)).toBe(true);
    expect(driftViolated(rule, small)).toBe(false);
    // The same distance measured on 4,000 rows (error 0.03) is surely past the band.
    const large: DriftMetrics = { ...small, effect: 0.31, n_current: 4000 };
    expect(driftViolated(rule, large)).toBe(true);
  });

  it('a shift far beyond that movement is still drift', () => {
    const h = harness(2);
    for (let r = 0; r < 25; r++) h.run();
    const shifted = h.run(3);
    expect(shifted.map((f) => [f.metric, f.column])).toEqual([['drift', 'score']]);
    expect(shifted[0]!.message).toMatch(/healthy level up to 0\.\d+/);
  });

  it('a steady column keeps its sensitivity: a 0.6 sd shift (KS D ~0.24) is drift', () => {
    const h = harness(3);
    for (let r = 0; r < 25; r++) h.run();
    expect(h.run(0, 0.6).map((f) => [f.metric, f.column])).toEqual([['drift', 'amount']]);
  });
});
