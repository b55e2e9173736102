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
