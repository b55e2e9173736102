import { describe, expect, it } from 'vitest';
import { compileRules, evaluateRules, type NodeRunMetrics } from '../../src/rules/index.js';

const rules = compileRules([
  {
    file: 'r.yaml',
    text: 'version: 1\nrules:\n  - { id: nulls, metric: null_ratio, max: 0.02, max_jump: 0.02, min_z: 5, severity: critical, min_baseline_runs: 0 }\n',
  },
]);

function metrics(ratio: number, baseline: number, z: number | undefined): NodeRunMetrics {
  return {
    pipeline: 'p',
    node: 'n',
    run_id: 'r',
    event_time: '2026-11-21T00:00:00Z',
    status: 'success',
    baseline_runs: 10,
    row_count: { value: 1000 },
    schema: { changed: false, breaking: false, changes: [] },
    columns: [
      {
        column: 'c',
        kind: 'numeric',
        dataset: 'd',
        count: 2300,
        null_count: Math.round(2300 * ratio),
        null_ratio: ratio,
        null_ratio_baseline: baseline,
        ...(z !== undefined ? { null_ratio_z: z } : {}),
      },
    ],
  };
}

describe("null ratio: the jump must stand out from the column's noise (min_z)", () => {
  it('a column that is 10% null moving to 12.5% on 2,300 rows is noise (z 3.3), not a finding', () => {
    expect(evaluateRules(rules, metrics(0.125, 0.104, 3.3))).toEqual([]);
  });
  it('the same jump far beyond the noise is a finding', () => {
    expect(evaluateRules(rules, metrics(0.125, 0.104, 9)).map((f) => f.rule)).toEqual(['nulls']);
  });
  it('a clean column that starts writing 10% nulls is a finding', () => {
    expect(evaluateRules(rules, metrics(0.1, 0.001, 160)).map((f) => f.rule)).toEqual(['nulls']);
  });
  it('without min_z the thresholds alone decide', () => {
    const plain = compileRules([
      {
        file: 'r.yaml',
        text: 'version: 1\nrules:\n  - { id: nulls, metric: null_ratio, max: 0.02, max_jump: 0.02, severity: critical, min_baseline_runs: 0 }\n',
      },
    ]);
    expect(evaluateRules(plain, metrics(0.125, 0.104, 3.3)).map((f) => f.rule)).toEqual(['nulls']);
  });
});
