import { describe, expect, it } from 'vitest';
import { compileRules, elevatedSignals, evaluateRules, type NodeRunMetrics } from '../../../src/rules/index.js';
import { METRICS } from '../../../src/rules/metrics/index.js';

const set = compileRules([
  {
    file: 't.yaml',
    text: [
      'rules:',
      '  - id: drift',
      '    metric: drift',
      '    effect_floor: 0.1',
      '    alpha: 0.05',
      '    fdr: none',
      '    severity: warning',
      '',
    ].join('\n'),
  },
]);

function run(pvalue: number, effect: number): NodeRunMetrics {
  return {
    pipeline: 'churn',
    node: 'compute',
    run_id: 'r1',
    event_time: '2026-11-01T00:00:00.000Z',
    status: 'success',
    baseline_runs: 10,
    row_count: { value: 1000, baseline: 1000, deviation: 0 },
    schema: { changed: false, breaking: false, changes: [] },
    columns: [
      {
        column: 'a',
        kind: 'numeric',
        dataset: 'lake/x',
        count: 1000,
        null_count: 0,
        null_ratio: 0,
        null_ratio_baseline: 0,
        drift: { test: 'ks', statistic: effect, effect, pvalue, n_current: 1000, n_baseline: 20000 },
      },
    ],
  };
}

describe('drift: the violation test and the signal test agree on significance', () => {
  it('at p == alpha a run above the floor is a violation (and no signal)', () => {
    const m = run(0.05, 0.2);
    expect(evaluateRules(set, m).map((f) => f.rule)).toEqual(['drift']);
    expect(elevatedSignals(set, m)).toEqual([]);
  });

  it('at p == alpha a run under the floor (above half of it) is a signal, as significant as a violation', () => {
    const m = run(0.05, 0.07);
    expect(evaluateRules(set, m)).toEqual([]);
    expect(elevatedSignals(set, m).map((f) => [f.rule, f.severity])).toEqual([['drift', 'info']]);
  });

  it('just above alpha neither', () => {
    for (const effect of [0.2, 0.07]) {
      const m = run(0.0500001, effect);
      expect(evaluateRules(set, m)).toEqual([]);
      expect(elevatedSignals(set, m)).toEqual([]);
    }
  });
});

/**
 * A move in scale weakens as it travels too: converted amounts 1.9 times their healthy level of scale shift at the
 * conversion (under the margin of 2), 2.1 times at the fees step that reads them. The conversion's move is a
 * signal, so the walk from the fees step's finding reaches it (one incident, not one per step).
 */
function scaled(shift: number, band: number, effect = 0.03, pvalue = 3e-6): NodeRunMetrics {
  const m = run(pvalue, effect);
  m.columns[0]!.drift = {
    ...m.columns[0]!.drift!,
    statistic: 0.107,
    effect,
    scale: { shift, most: 3.1, band, baseline: [11.8, 60.4, 338], current: [10.7, 54.1, 2277] },
  };
  return m;
}

describe('drift: a move in scale under its margin is a signal', () => {
  it('past twice its healthy level: a finding, no signal', () => {
    const m = scaled(0.167, 0.079);
    expect(evaluateRules(set, m).map((f) => f.message)).toEqual([expect.stringMatching(/^values of a moved in scale/)]);
    expect(elevatedSignals(set, m)).toEqual([]);
  });

  it('past its healthy level, under twice it: a signal naming the move in scale', () => {
    const m = scaled(0.164, 0.0865);
    expect(evaluateRules(set, m)).toEqual([]);
    expect(elevatedSignals(set, m).map((f) => [f.severity, f.message])).toEqual([
      ['info', expect.stringMatching(/^values of a moving in scale \(0\.16 orders of magnitude/)],
    ]);
  });

  it('within its healthy level, not significant, or KS not surely apart: neither', () => {
    for (const m of [scaled(0.08, 0.0865), scaled(0.164, 0.0865, 0.03, 0.06), scaled(0.164, 0.0865, 0)]) {
      expect(evaluateRules(set, m)).toEqual([]);
      expect(elevatedSignals(set, m)).toEqual([]);
    }
  });
});

describe('the metric registry', () => {
  it('gives every metric its parameters, the required ones among them, and both tests', () => {
    for (const [name, d] of Object.entries(METRICS)) {
      for (const req of d.required) expect(d.params, `${name} requires ${req}`).toHaveProperty(req);
      expect(typeof d.violation).toBe('function');
      expect(typeof d.signal).toBe('function');
    }
    expect(METRICS.null_ratio.column && METRICS.drift.column).toBe(true);
    expect(METRICS.status.minBaselineRuns).toBe(0);
  });
});
