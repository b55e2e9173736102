import { describe, expect, it } from 'vitest';
import {
  compileRules,
  effectiveRules,
  evaluateFreshness,
  evaluateRules,
  loadRules,
  routeFor,
  type ColumnMetrics,
  type NodeRunMetrics,
  type RuleSet,
} from '../../src/rules/index.js';

const yaml = (lines: string[]) => `${lines.join('\n')}\n`;
const rulesOf = (...lines: string[]) => compileRules([{ file: 't.yaml', text: yaml(lines) }]);

function metrics(over: Partial<NodeRunMetrics> = {}): NodeRunMetrics {
  return {
    pipeline: 'churn',
    node: 'compute',
    run_id: 'r1',
    event_time: '2026-11-01T00:00:00.000Z',
    status: 'success',
    baseline_runs: 10,
    row_count: { value: 1000, baseline: 1000, deviation: 0 },
    schema: { changed: false, breaking: false, changes: [] },
    columns: [],
    ...over,
  };
}

function column(name: string, over: Partial<ColumnMetrics> = {}): ColumnMetrics {
  return {
    column: name,
    kind: 'numeric',
    dataset: 'lake/x',
    count: 1000,
    null_count: 0,
    null_ratio: 0,
    null_ratio_baseline: 0,
    ...over,
  };
}

function drifting(name: string, pvalue: number, effect = 0.3): ColumnMetrics {
  return column(name, {
    drift: { test: 'ks', statistic: effect + 0.02, effect, pvalue, n_current: 1000, n_baseline: 20000 },
  });
}

const defaults = loadRules('rules');

describe('effectiveRules: overrides', () => {
  const set = rulesOf(
    'rules:',
    '  - id: rows',
    '    metric: row_count',
    '    max_deviation: 0.05',
    '    severity: critical',
    '  - id: nulls',
    '    metric: null_ratio',
    '    max: 0.02',
    '    severity: critical',
    'overrides:',
    '  - match: { pipeline: "churn" }',
    '    rules:',
    '      rows: { max_deviation: 0.1 }',
    '      nulls: { max: 0.05 }',
    '    routes:',
    '      critical: [slack, rollback]',
    '  - match: { pipeline: "churn", node: "stg_*" }',
    '    rules:',
    '      rows: { max_deviation: 0.5, severity: warning }',
    '  - match: { pipeline: "*", column: "{notes,comment*}" }',
    '    rules:',
    '      rows: { max_deviation: 0.9 }',
    '      nulls: { max: 0.8, severity: info }',
    '    routes:',
    '      critical: [log]',
  );
  const rule = (target: Parameters<typeof effectiveRules>[1], id: string) =>
    effectiveRules(set, target).rules.find((r) => r.id === id)!;

  it('leave other pipelines alone', () => {
    expect(rule({ pipeline: 'billing', node: 'stg_orders' }, 'rows').max_deviation).toBe(0.05);
    expect(effectiveRules(set, { pipeline: 'billing', node: 'x' }).routes.critical).toEqual(['slack']);
  });

  it('apply by pipeline, then by node glob, later overrides winning', () => {
    expect(rule({ pipeline: 'churn', node: 'features' }, 'rows')).toMatchObject({
      max_deviation: 0.1,
      severity: 'critical',
    });
    expect(rule({ pipeline: 'churn', node: 'stg_orders' }, 'rows')).toMatchObject({
      max_deviation: 0.5,
      severity: 'warning',
    });
    expect(rule({ pipeline: 'churn', node: 'stg_orders' }, 'nulls').max).toBe(0.05);
  });

  it('route overrides apply to the nodes they match', () => {
    expect(routeFor(set, { pipeline: 'churn', node: 'features' }, 'critical')).toEqual(['slack', 'rollback']);
    expect(routeFor(set, { pipeline: 'churn', node: 'features' }, 'warning')).toEqual(['slack']);
  });

  it('a column-scoped override changes only column rules, and only for matching columns', () => {
    // The row count rule is node-level: the column override does not touch it, even for a matching column.
    expect(rule({ pipeline: 'churn', node: 'features', column: 'notes' }, 'rows').max_deviation).toBe(0.1);
    expect(rule({ pipeline: 'churn', node: 'features', column: 'notes' }, 'nulls')).toMatchObject({
      max: 0.8,
      severity: 'info',
    });
    expect(rule({ pipeline: 'churn', node: 'features', column: 'comment_text' }, 'nulls').max).toBe(0.8);
    expect(rule({ pipeline: 'churn', node: 'features', column: 'amount' }, 'nulls')).toMatchObject({
      max: 0.05,
      severity: 'critical',
    });
    // Without a column (node-level evaluation) the column override does not apply at all.
    expect(rule({ pipeline: 'churn', node: 'features' }, 'nulls').max).toBe(0.05);
    // Nor do its routes, which would otherwise change how the whole node's incidents are sent.
    expect(routeFor(set, { pipeline: 'churn', node: 'features', column: 'notes' }, 'critical')).toEqual([
      'slack',
      'rollback',
    ]);
  });

  it("a column no column-scoped override matches shares its node's rules (one memo entry per node, not per column)", () => {
    const node = effectiveRules(set, { pipeline: 'churn', node: 'features' });
    expect(effectiveRules(set, { pipeline: 'churn', node: 'features', column: 'amount' })).toBe(node);
    expect(effectiveRules(set, { pipeline: 'churn', node: 'features', column: 'score' })).toBe(node);
    // A matching column has rules of its own.
    const notes = effectiveRules(set, { pipeline: 'churn', node: 'features', column: 'notes' });
    expect(notes).not.toBe(node);
    expect(notes.rules.find((r) => r.id === 'nulls')!.max).toBe(0.8);
  });

  it('does not change the rule set itself', () => {
    effectiveRules(set, { pipeline: 'churn', node: 'stg_x', column: 'notes' });
    expect(set.rules.find((r) => r.id === 'rows')!.max_deviation).toBe(0.05);
    expect(set.routes.critical).toEqual(['slack']);
  });
});

describe('evaluateRules: arming', () => {
  const failed = metrics({
    status: 'failed',
    baseline_runs: 0,
    row_count: { value: 10, baseline: 1000, deviation: -0.99 },
  });

  it('a rule fires only with min_baseline_runs healthy runs in the baseline', () => {
    expect(
      evaluateRules(
        defaults,
        metrics({ baseline_runs: 4, row_count: { value: 10, baseline: 1000, deviation: -0.99 } }),
      ),
    ).toEqual([]);
    expect(
      evaluateRules(
        defaults,
        metrics({ baseline_runs: 5, row_count: { value: 10, baseline: 1000, deviation: -0.99 } }),
      ).map((f) => f.rule),
    ).toEqual(['row_count_deviation']);
  });

  it('a failed run is a finding from the very first run', () => {
    expect(evaluateRules(defaults, failed).map((f) => f.rule)).toEqual(['run_failed']);
    expect(evaluateRules(defaults, failed)[0]).toMatchObject({
      metric: 'status',
      severity: 'critical',
      value: 1,
      pipeline: 'churn',
      node: 'compute',
      run_id: 'r1',
    });
  });

  it('a disabled rule never fires', () => {
    const set = rulesOf('rules:', '  - id: f', '    metric: status', '    severity: info', '    enabled: false');
    expect(evaluateRules(set, failed)).toEqual([]);
  });
});

describe('evaluateRules: row_count', () => {
  const set = rulesOf(
    'rules:',
    '  - id: rows',
    '    metric: row_count',
    '    max_deviation: 0.05',
    '    severity: critical',
    '    min_baseline_runs: 1',
  );

  it('flags a deviation beyond max_deviation either way, not at the limit', () => {
    const at = (deviation: number, value: number) =>
      evaluateRules(set, metrics({ row_count: { value, baseline: 1000, deviation } }));
    expect(at(0.05, 1050)).toEqual([]);
    expect(at(-0.049, 951)).toEqual([]);
    const up = at(0.2, 1200);
    expect(up).toHaveLength(1);
    expect(up[0]).toMatchObject({
      metric: 'row_count',
      value: 1200,
      baseline: 1000,
      threshold: 0.05,
      details: { deviation: 0.2 },
    });
    expect(up[0]!.message).toContain('rose 20.0%');
    const down = at(-0.3, 700);
    expect(down[0]!.message).toBe('row count dropped 30.0%: 700 rows vs baseline 1,000 (max deviation 5.0%)');
  });

  it('says nothing without a baseline', () => {
    expect(evaluateRules(set, metrics({ row_count: { value: 5 } }))).toEqual([]);
  });
});

describe('evaluateRules: null_ratio', () => {
  const set = rulesOf(
    'rules:',
    '  - id: nulls',
    '    metric: null_ratio',
    '    max: 0.02',
    '    max_jump: 0.02',
    '    severity: critical',
    '    min_baseline_runs: 1',
  );
  const ceilingOnly = rulesOf(
    'rules:',
    '  - id: nulls',
    '    metric: null_ratio',
    '    max: 0.02',
    '    severity: critical',
    '    min_baseline_runs: 1',
  );
  const run = (s: RuleSet, ratio: number, baseline?: number) => {
    const c = column('avg_amount', { null_ratio: ratio, null_count: ratio * 1000 });
    if (baseline === undefined) delete c.null_ratio_baseline;
    else c.null_ratio_baseline = baseline;
    return evaluateRules(s, metrics({ columns: [c] }));
  };

  it('needs both the ceiling and the jump over the baseline', () => {
    expect(run(set, 0.1, 0)).toHaveLength(1);
    expect(run(set, 0.02, 0)).toEqual([]); // at the ceiling, not above
    expect(run(set, 0.1, 0.09)).toEqual([]); // a column that is always 9% null is not news
    expect(run(set, 0.1, 0.07)).toHaveLength(1); // jump 0.03 > 0.02
  });

  it('without max_jump the ceiling alone decides', () => {
    expect(run(ceilingOnly, 0.1, 0.09)).toHaveLength(1);
    expect(run(ceilingOnly, 0.01, 0)).toEqual([]);
  });

  it('a column without baseline counts from 0', () => {
    expect(run(set, 0.05)).toHaveLength(1);
  });

  it('describes the jump with the numbers', () => {
    const [f] = run(set, 0.1, 0);
    expect(f).toMatchObject({
      metric: 'null_ratio',
      column: 'avg_amount',
      value: 0.1,
      baseline: 0,
      threshold: 0.02,
      details: { null_count: 100, count: 1000, dataset: 'lake/x' },
    });
    expect(f!.message).toBe('null ratio of avg_amount jumped 0.00 -> 0.10 (max 0.02, max jump 0.02)');
  });
});

describe('evaluateRules: schema', () => {
  const set = (breakingOnly: boolean) =>
    rulesOf(
      'rules:',
      '  - id: sch',
      '    metric: schema',
      `    breaking_only: ${breakingOnly}`,
      '    severity: critical',
    );
  const compatible = metrics({
    schema: {
      changed: true,
      breaking: false,
      fingerprint: 'sha256:b',
      previous: 'sha256:a',
      changes: [{ kind: 'added', path: 'note', breaking: false } as never],
    },
  });
  const breaking = metrics({
    schema: {
      changed: true,
      breaking: true,
      fingerprint: 'sha256:b',
      previous: 'sha256:a',
      changes: [{ kind: 'removed', path: 'score', breaking: true } as never],
    },
  });

  it('any change fires unless breaking_only', () => {
    expect(evaluateRules(set(false), compatible)).toHaveLength(1);
    expect(evaluateRules(set(true), compatible)).toEqual([]);
    expect(evaluateRules(set(true), breaking)).toHaveLength(1);
    expect(evaluateRules(set(false), metrics())).toEqual([]);
  });

  it('summarizes the diff', () => {
    const [f] = evaluateRules(set(false), breaking);
    expect(f).toMatchObject({
      metric: 'schema',
      value: 1,
      details: { breaking: true, before: 'sha256:a', after: 'sha256:b' },
    });
    expect(f!.message).toBe('schema changed (breaking): removed score');
  });
});

describe('evaluateRules: drift', () => {
  const set = (fdr: 'bh' | 'none') =>
    rulesOf(
      'rules:',
      '  - id: drift',
      '    metric: drift',
      '    effect_floor: 0.1',
      '    alpha: 0.05',
      `    fdr: ${fdr}`,
      '    severity: warning',
    );

  it('a median fill that moved with its median is no finding, but held as a state when it would have been one', () => {
    const fill = { from: 3, to: 2, rest: 0.01 };
    const big = drifting('q', 1e-30, 0.2);
    big.drift!.fill_moved = fill;
    const m = metrics({ columns: [big] });
    expect(evaluateRules(set('none'), m)).toEqual([]);
    expect(m.held?.map((f) => [f.metric, f.column])).toEqual([['drift', 'q']]);
    // Under the floor without the fill too: nothing to keep.
    const small = drifting('q', 1e-30, 0.05);
    small.drift!.fill_moved = fill;
    const quiet = metrics({ columns: [small] });
    expect(evaluateRules(set('none'), quiet)).toEqual([]);
    expect(quiet.held).toBeUndefined();
  });

  it('needs an effect above the floor, however significant', () => {
    expect(evaluateRules(set('none'), metrics({ columns: [drifting('a', 1e-30, 0.1)] }))).toEqual([]);
    expect(evaluateRules(set('none'), metrics({ columns: [drifting('a', 1e-30, 0.11)] }))).toHaveLength(1);
  });

  it("controls the false discovery rate across the run's columns (Benjamini-Hochberg)", () => {
    const m = metrics({ columns: [drifting('a', 0.04), drifting('b', 0.5), drifting('c', 0.6)] });
    expect(evaluateRules(set('bh'), m)).toEqual([]);
    // 0.04 * 3 / 1 = 0.12
    expect(m.columns[0]!.drift!.pvalue_adjusted).toBeCloseTo(0.12, 12);
    expect(m.columns[1]!.drift!.pvalue_adjusted).toBeCloseTo(0.6, 12);
    // Without FDR control the first column alone is significant.
    const raw = metrics({ columns: [drifting('a', 0.04), drifting('b', 0.5), drifting('c', 0.6)] });
    const found = evaluateRules(set('none'), raw);
    expect(found.map((f) => f.column)).toEqual(['a']);
    expect(raw.columns[0]!.drift!.pvalue_adjusted).toBe(0.04);
    expect(found[0]!.message).not.toContain('FDR');
  });

  it('rejects at the BH step-up threshold', () => {
    // Sorted p: 0.01, 0.02, 0.03 -> adjusted 0.03 each: all three rejected at alpha 0.05.
    const m = metrics({ columns: [drifting('a', 0.03), drifting('b', 0.01), drifting('c', 0.02)] });
    const found = evaluateRules(set('bh'), m);
    expect(found.map((f) => f.column).sort()).toEqual(['a', 'b', 'c']);
    expect(found[0]).toMatchObject({ metric: 'drift', severity: 'warning', threshold: 0.1 });
    expect((found[0]!.details as { pvalue_adjusted: number }).pvalue_adjusted).toBeCloseTo(0.03, 12);
    expect(found[0]!.message).toContain('after FDR control');
  });

  it('a p-value equal to alpha is significant', () => {
    expect(evaluateRules(set('none'), metrics({ columns: [drifting('a', 0.05)] }))).toHaveLength(1);
  });

  it('the family is the columns: a column with two drift rules is tested once', () => {
    // drift_strict applies to column a only (a column-scoped override enables it there).
    const two = rulesOf(
      'rules:',
      '  - id: drift',
      '    metric: drift',
      '    effect_floor: 0.1',
      '    alpha: 0.05',
      '    severity: warning',
      '  - id: drift_strict',
      '    metric: drift',
      '    effect_floor: 0.2',
      '    alpha: 0.05',
      '    severity: critical',
      '    enabled: false',
      'overrides:',
      '  - match: { column: a }',
      '    rules:',
      '      drift_strict: { enabled: true }',
    );
    // Two columns: BH adjusts 0.03 to 0.06 > 0.05. Counting column a twice would make it 0.045.
    const m = metrics({ columns: [drifting('a', 0.03), drifting('b', 0.5)] });
    expect(evaluateRules(two, m)).toEqual([]);
    expect(m.columns[0]!.drift!.pvalue_adjusted).toBeCloseTo(0.06, 12);
  });

  it('chi-squared drift is described as categories shifting', () => {
    const m = metrics({
      columns: [
        column('segment', {
          kind: 'categorical',
          drift: { test: 'chi2', statistic: 0.4, effect: 0.35, pvalue: 1e-40, n_current: 1000, n_baseline: 1000 },
        }),
      ],
    });
    const [f] = evaluateRules(set('bh'), m);
    expect(f!.message).toMatch(/^categories of segment shifted: total variation 0\.400 \(effect 0\.350 > 0\.1\)/);
  });

  it('columns without drift metrics are not tested', () => {
    expect(evaluateRules(set('bh'), metrics({ columns: [column('a')] }))).toEqual([]);
  });
});

describe('evaluateRules: order', () => {
  it('returns findings most severe first', () => {
    const set = rulesOf(
      'rules:',
      '  - id: drift',
      '    metric: drift',
      '    effect_floor: 0.1',
      '    alpha: 0.05',
      '    severity: info',
      '    min_baseline_runs: 0',
      '  - id: sch',
      '    metric: schema',
      '    severity: warning',
      '  - id: nulls',
      '    metric: null_ratio',
      '    max: 0.02',
      '    severity: critical',
      '    min_baseline_runs: 0',
    );
    const m = metrics({
      schema: { changed: true, breaking: true, changes: [] },
      columns: [drifting('a', 1e-9), column('b', { null_ratio: 0.5 })],
    });
    expect(evaluateRules(set, m).map((f) => f.severity)).toEqual(['critical', 'warning', 'info']);
  });
});

describe('evaluateFreshness', () => {
  const hour = 3_600_000;
  const input = { pipeline: 'churn', node: 'compute', lastRunAt: 0, usualIntervalMs: hour, runs: 10 };

  it('flags silence beyond factor x the usual interval', () => {
    expect(evaluateFreshness(defaults, { ...input, now: 3 * hour })).toBeUndefined();
    const f = evaluateFreshness(defaults, { ...input, now: 3 * hour + 1 });
    expect(f).toMatchObject({
      rule: 'freshness',
      metric: 'freshness',
      severity: 'warning',
      value: 3 * hour + 1,
      baseline: hour,
      threshold: 3 * hour,
      event_time: new Date(3 * hour + 1).toISOString(),
    });
    expect(f!.message).toContain('silent for 180 min');
  });

  it('never before min_silence_ms', () => {
    // Runs every minute: 3x is 3 min, but the floor is 5 min.
    expect(evaluateFreshness(defaults, { ...input, usualIntervalMs: 60_000, now: 299_000 })).toBeUndefined();
    expect(evaluateFreshness(defaults, { ...input, usualIntervalMs: 60_000, now: 300_001 })?.threshold).toBe(300_000);
  });

  it('is not armed without enough runs or a known interval', () => {
    expect(evaluateFreshness(defaults, { ...input, runs: 4, now: 100 * hour })).toBeUndefined();
    expect(evaluateFreshness(defaults, { ...input, usualIntervalMs: undefined, now: 100 * hour })).toBeUndefined();
  });

  it('follows overrides (a node can be exempt)', () => {
    const set = compileRules([
      {
        file: 'a.yaml',
        text: yaml([
          'rules:',
          '  - id: fresh',
          '    metric: freshness',
          '    factor: 2',
          '    severity: critical',
          'overrides:',
          '  - match: { node: "adhoc_*" }',
          '    rules:',
          '      fresh: { enabled: false }',
        ]),
      },
    ]);
    expect(evaluateFreshness(set, { ...input, now: 2 * hour + 1 })?.severity).toBe('critical');
    expect(evaluateFreshness(set, { ...input, node: 'adhoc_report', now: 100 * hour })).toBeUndefined();
  });
});
