import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRootlineError, RootlineError } from '../../src/errors/index.js';
import {
  DEFAULT_MIN_BASELINE_RUNS,
  DEFAULT_ROUTES,
  compileRules,
  formatProblems,
  loadRules,
  ruleFiles,
  type RuleProblem,
} from '../../src/rules/index.js';

/** The problems compileRules reports for the given files (it must throw RULES_INVALID). */
function problemsOf(files: { file: string; text: string }[]): RuleProblem[] {
  try {
    compileRules(files);
  } catch (err: unknown) {
    expect(isRootlineError(err, 'RULES_INVALID')).toBe(true);
    const problems = (err as RootlineError).details?.problems as RuleProblem[];
    expect((err as Error).message).toContain(formatProblems(problems));
    return problems;
  }
  throw new Error('compileRules accepted invalid rules');
}

function one(text: string, file = 'rules.yaml'): RuleProblem[] {
  return problemsOf([{ file, text }]);
}

const yaml = (lines: string[]) => `${lines.join('\n')}\n`;

describe('the shipped rules (rules/defaults.yaml)', () => {
  const set = loadRules('rules');

  it('load without problems, one rule per metric (two for schema: breaking and compatible)', () => {
    expect(set.files).toEqual([join('rules', 'defaults.yaml')]);
    expect(set.rules.map((r) => r.metric).sort()).toEqual([
      'assertion',
      'drift',
      'duration',
      'freshness',
      'long_drift',
      'null_ratio',
      'repeats',
      'row_count',
      'schema',
      'schema',
      'status',
      'unchanged',
    ]);
  });

  it('carry the documented seed thresholds', () => {
    const byId = new Map(set.rules.map((r) => [r.id, r]));
    expect(byId.get('row_count_deviation')).toMatchObject({
      metric: 'row_count',
      max_deviation: 0.05,
      severity: 'critical',
      min_baseline_runs: 5,
      enabled: true,
    });
    expect(byId.get('null_ratio')).toMatchObject({ max: 0.02, max_jump: 0.02, severity: 'critical' });
    // Breaking schema changes are critical; compatible ones are an info notice that re-baselines at once.
    expect(byId.get('schema_changed')).toMatchObject({
      breaking_only: true,
      severity: 'critical',
      min_baseline_runs: 1,
    });
    expect(byId.get('schema_compatible')).toMatchObject({
      compatible_only: true,
      rebaseline: true,
      severity: 'info',
      min_baseline_runs: 1,
    });
    expect(byId.get('distribution_drift')).toMatchObject({
      effect_floor: 0.1,
      alpha: 0.05,
      fdr: 'bh',
      severity: 'warning',
    });
    expect(byId.get('freshness')).toMatchObject({ factor: 3, min_silence_ms: 300_000 });
    expect(byId.get('stalled_run')).toMatchObject({ metric: 'duration', factor: 3, min_duration_ms: 600_000 });
    expect(byId.get('stale_content')).toMatchObject({ metric: 'unchanged', min_changes: 20, severity: 'warning' });
    // A status rule needs no baseline: a failed run is a failed run.
    expect(byId.get('run_failed')).toMatchObject({ metric: 'status', min_baseline_runs: 0 });
    expect(set.routes).toEqual({ critical: ['slack'], warning: ['slack'], info: ['log'] });
  });

  it('record where each rule was defined', () => {
    expect(set.rules[0]!.source).toMatch(/defaults\.yaml:\d+$/);
  });

  it('are frozen', () => {
    expect(Object.isFrozen(set)).toBe(true);
    expect(Object.isFrozen(set.rules)).toBe(true);
  });
});

describe('compileRules: valid files', () => {
  it('applies defaults for enabled, min_baseline_runs and routes', () => {
    const set = compileRules([
      {
        file: 'a.yaml',
        text: yaml([
          'rules:',
          '  - id: rows',
          '    metric: row_count',
          '    max_deviation: 0.1',
          '    severity: warning',
          '  - id: sch',
          '    metric: schema',
          '    severity: info',
        ]),
      },
    ]);
    expect(set.rules[0]).toMatchObject({
      id: 'rows',
      enabled: true,
      min_baseline_runs: DEFAULT_MIN_BASELINE_RUNS,
      source: 'a.yaml:2',
    });
    expect(set.rules[1]).toMatchObject({ id: 'sch', min_baseline_runs: 1, source: 'a.yaml:6' });
    expect(set.routes).toEqual(DEFAULT_ROUTES);
  });

  it('loads several files in order: later files add rules, override earlier ones and replace routes per severity', () => {
    const set = compileRules([
      {
        file: '10-base.yaml',
        text: yaml([
          'rules:',
          '  - id: nulls',
          '    metric: null_ratio',
          '    max: 0.02',
          '    severity: critical',
          'routes:',
          '  critical: [slack, rollback]',
          '  info: [log]',
        ]),
      },
      {
        file: '20-team.yaml',
        text: yaml([
          'rules:',
          '  - id: rows',
          '    metric: row_count',
          '    max_deviation: 0.2',
          '    severity: warning',
          'overrides:',
          '  - match: { pipeline: "churn" }',
          '    rules:',
          '      nulls: { max: 0.1 }',
          'routes:',
          '  critical: [log]',
        ]),
      },
    ]);
    expect(set.files).toEqual(['10-base.yaml', '20-team.yaml']);
    expect(set.rules.map((r) => r.id)).toEqual(['nulls', 'rows']);
    expect(set.overrides).toHaveLength(1);
    expect(set.overrides[0]).toMatchObject({
      match: { pipeline: 'churn' },
      rules: { nulls: { max: 0.1 } },
      source: '20-team.yaml:7',
    });
    // critical replaced by the later file, info kept from the earlier one, warning from the defaults.
    expect(set.routes).toEqual({ critical: ['log'], warning: ['slack'], info: ['log'] });
  });

  it('accepts an empty file and a file of comments', () => {
    const set = compileRules([
      { file: 'empty.yaml', text: '' },
      { file: 'comments.yaml', text: '# nothing here\n' },
    ]);
    expect(set.rules).toEqual([]);
  });
});

describe('compileRules: every mistake is a problem with file:line:column', () => {
  it('unknown top-level key', () => {
    expect(one(yaml(['version: 1', 'rulez: []']))).toEqual([
      { file: 'rules.yaml', line: 2, column: 1, message: expect.stringContaining('unknown key "rulez"') as string },
    ]);
  });

  it('unknown key in a rule names the keys allowed for its metric', () => {
    const [p] = one(
      yaml([
        'rules:',
        '  - id: r',
        '    metric: row_count',
        '    max_deviation: 0.1',
        '    max: 0.2',
        '    severity: info',
      ]),
    );
    expect(p).toMatchObject({ line: 5, column: 5 });
    expect(p!.message).toContain('unknown key "max" for a row_count rule');
    expect(p!.message).toContain('max_deviation');
  });

  it('wrong types and out-of-range values, each at the value', () => {
    const problems = one(
      yaml([
        'rules:',
        '  - id: n',
        '    metric: null_ratio',
        '    max: 1.5', // line 4
        '    max_jump: "a lot"', // line 5
        '    severity: high', // line 6
        '    enabled: yes', // line 7: YAML 1.2 reads "yes" as a string
        '    min_baseline_runs: 2.5', // line 8
        '  - id: d',
        '    metric: drift',
        '    effect_floor: 0.1',
        '    alpha: 0.05',
        '    fdr: holm', // line 13
        '    severity: warning',
        '  - id: f',
        '    metric: freshness',
        '    factor: -3', // line 17
        '    min_silence_ms: .inf', // line 18
        '    severity: warning',
        '  - id: s',
        '    metric: schema',
        '    breaking_only: 1', // line 22
        '    severity: info',
      ]),
    );
    expect(problems.map((p) => [p.line, p.column])).toEqual([
      [4, 10],
      [5, 15],
      [6, 15],
      [7, 14],
      [8, 24],
      [13, 10],
      [17, 13],
      [18, 21],
      [22, 20],
    ]);
    expect(problems[0]!.message).toBe('max must be a number between 0 and 1, got 1.5');
    expect(problems[1]!.message).toBe('max_jump must be a number between 0 and 1, got "a lot"');
    expect(problems[2]!.message).toContain('severity must be one of critical, warning, info');
    expect(problems[3]!.message).toBe('enabled must be true or false, got "yes"');
    expect(problems[4]!.message).toBe('min_baseline_runs must be an integer >= 0, got 2.5');
    expect(problems[5]!.message).toBe('fdr must be "bh" or "none", got "holm"');
    expect(problems[6]!.message).toBe('factor must be a number >= 0, got -3');
    expect(problems[7]!.message).toBe('min_silence_ms must be a number >= 0, got Infinity');
    expect(problems[8]!.message).toBe('breaking_only must be true or false, got 1');
  });

  it('an empty value is called an empty value', () => {
    const [p] = one(yaml(['rules:', '  - id: r', '    metric: row_count', '    max_deviation:', '    severity: info']));
    expect(p!.message).toBe('max_deviation must be a number >= 0, got an empty value');
    expect(p!.line).toBe(4);
  });

  it('unknown metric, missing id, missing severity, missing required parameter', () => {
    const problems = one(
      yaml([
        'rules:',
        '  - id: m', // 2
        '    metric: latency', // 3
        '    severity: info',
        '  - metric: status', // 5
        '    severity: info',
        '  - id: nosev', // 7
        '    metric: status',
        '  - id: noparam', // 9
        '    metric: drift',
        '    alpha: 0.05',
        '    severity: info',
      ]),
    );
    expect(problems).toEqual([
      {
        file: 'rules.yaml',
        line: 3,
        column: 13,
        message: expect.stringContaining(
          'metric must be one of row_count, null_ratio, schema, drift, freshness, status, duration, long_drift, assertion, unchanged, repeats, got "latency"',
        ) as string,
      },
      { file: 'rules.yaml', line: 5, column: 5, message: expect.stringContaining('rule id must be a name') as string },
      {
        file: 'rules.yaml',
        line: 7,
        column: 5,
        message: expect.stringContaining('rule "nosev" needs a severity') as string,
      },
      { file: 'rules.yaml', line: 9, column: 5, message: 'a drift rule needs effect_floor' },
    ]);
  });

  it('rejects ids that are not simple names', () => {
    const [p] = one(yaml(['rules:', '  - id: "has space"', '    metric: status', '    severity: info']));
    expect(p).toMatchObject({ line: 2, column: 9 });
  });

  it('duplicate ids, in one file and across files, name the first definition', () => {
    const status = (id: string) => [`  - id: ${id}`, '    metric: status', '    severity: info'];
    expect(one(yaml(['rules:', ...status('a'), ...status('a')]))).toEqual([
      { file: 'rules.yaml', line: 5, column: 9, message: 'rule id "a" is already defined at rules.yaml:2' },
    ]);
    const across = problemsOf([
      { file: 'one.yaml', text: yaml(['rules:', ...status('a')]) },
      { file: 'two.yaml', text: yaml(['version: 1', 'rules:', ...status('a')]) },
    ]);
    expect(across).toEqual([
      { file: 'two.yaml', line: 3, column: 9, message: 'rule id "a" is already defined at one.yaml:2' },
    ]);
  });

  it('a duplicate of a rule that itself has a problem is still a duplicate (not a cascade of "unknown rule")', () => {
    const problems = one(
      yaml([
        'rules:',
        '  - id: a',
        '    metric: row_count',
        '    max_deviation: 0.1',
        '    severity: info',
        '    extra: 1', // 6
        '  - id: a', // 7
        '    metric: status',
        '    severity: info',
        'overrides:',
        '  - match: { node: "*" }',
        '    rules:',
        '      a: { max_deviation: 0.3 }', // accepted: a is a row_count rule
      ]),
    );
    expect(problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
      expect.stringMatching(/^6: unknown key "extra"/),
      '7: rule id "a" is already defined at rules.yaml:2',
    ]);
  });

  it('overrides: unknown rule, a setting the rule does not take, bad glob, unknown match key, missing match, unknown key', () => {
    const problems = one(
      yaml([
        'rules:',
        '  - id: rows',
        '    metric: row_count',
        '    max_deviation: 0.05',
        '    severity: critical',
        'overrides:',
        '  - match: { pipeline: "{a,b", nodes: "x" }', // 7
        '    rules:',
        '      ghost: { max: 0.1 }', // 9
        '      rows: { max: 0.1, severity: loud }', // 10
        '  - rules: { rows: { enabled: false } }', // 11
        '  - match: { column: "" }', // 12
        '    priority: 1', // 13
      ]),
    );
    expect(problems.map((p) => [p.line, p.column, p.message])).toEqual([
      [7, 24, 'unclosed "{" in glob "{a,b"'],
      [7, 32, 'unknown match key "nodes" (expected pipeline, node, column)'],
      [9, 7, expect.stringContaining('override for unknown rule "ghost" (known: rows;')],
      [10, 15, expect.stringContaining('"max" is not a setting of row_count rule "rows"')],
      [10, 35, expect.stringContaining('severity must be one of')],
      [11, 5, expect.stringContaining('an override needs match')],
      [12, 22, 'match.column must be a glob string'],
      [13, 5, expect.stringContaining('unknown key "priority" in an override')],
    ]);
  });

  it('an override of a rule defined only in a later file is an unknown rule', () => {
    const problems = problemsOf([
      {
        file: 'a.yaml',
        text: yaml(['overrides:', '  - match: { node: "*" }', '    rules:', '      late: { enabled: false }']),
      },
      { file: 'b.yaml', text: yaml(['rules:', '  - id: late', '    metric: status', '    severity: info']) },
    ]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'a.yaml', line: 4, column: 7 });
    expect(problems[0]!.message).toContain('known: none');
  });

  it('routes: unknown severity, unknown action, not a list, not a mapping', () => {
    expect(
      one(yaml(['routes:', '  urgent: [slack]', '  critical: [slack, pager]', '  warning: slack'])).map((p) => [
        p.line,
        p.column,
        p.message,
      ]),
    ).toEqual([
      [2, 3, expect.stringContaining('unknown severity "urgent"')],
      [3, 21, expect.stringContaining('unknown action "pager"')],
      [4, 12, expect.stringContaining('routes.warning must be a list')],
    ]);
    expect(one(yaml(['routes: [slack]']))[0]).toMatchObject({
      line: 1,
      column: 9,
      message: expect.stringContaining('routes must be a mapping') as string,
    });
  });

  it('structure: rules not a list, a rule not a mapping, the file not a mapping, a wrong version', () => {
    expect(one(yaml(['rules: {}']))[0]).toMatchObject({ line: 1, column: 8, message: 'rules must be a list' });
    expect(one(yaml(['rules:', '  - just a string']))[0]).toMatchObject({
      line: 2,
      column: 5,
      message: expect.stringContaining('each rule must be a mapping') as string,
    });
    expect(one(yaml(['- a', '- b']))[0]).toMatchObject({
      line: 1,
      column: 1,
      message: expect.stringContaining('a rule file must be a mapping') as string,
    });
    expect(one(yaml(['version: 2']))[0]).toMatchObject({ line: 1, column: 10, message: 'version must be 1, got 2' });
  });

  it('YAML syntax errors and duplicate keys', () => {
    const syntax = one(yaml(['rules:', '  - id: a', '    metric: [status', '    severity: info']));
    expect(syntax.length).toBeGreaterThan(0);
    expect(syntax[0]!.message).toMatch(/^YAML: /);
    expect(syntax[0]!.line).toBeGreaterThanOrEqual(3);
    const dup = one(
      yaml(['rules:', '  - id: a', '    metric: status', '    severity: critical', '    severity: info']),
    );
    expect(dup).toEqual([{ file: 'rules.yaml', line: 5, column: 5, message: 'YAML: Map keys must be unique' }]);
  });

  it('collects the problems of every file, in file order', () => {
    const problems = problemsOf([
      { file: 'a.yaml', text: 'bogus: 1\n' },
      { file: 'b.yaml', text: 'version: 1\nalso_bogus: 2\n' },
    ]);
    expect(problems.map((p) => `${p.file}:${p.line}`)).toEqual(['a.yaml:1', 'b.yaml:2']);
  });
});

describe('formatProblems', () => {
  it('formats file:line:col: message lines', () => {
    expect(
      formatProblems([
        { file: 'a.yaml', line: 3, column: 7, message: 'x' },
        { file: 'b.yaml', line: 1, column: 1, message: 'y' },
      ]),
    ).toBe('a.yaml:3:7: x\nb.yaml:1:1: y');
  });
});

describe('loadRules and ruleFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rootline-rules-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const status = (id: string) => yaml(['rules:', `  - id: ${id}`, '    metric: status', '    severity: info']);

  it('loads *.yaml and *.yml of a folder in name order, ignoring other files and folders', () => {
    const d = join(dir, 'ok');
    mkdirSync(d);
    writeFileSync(join(d, 'b.yml'), status('from_b'));
    writeFileSync(join(d, 'a.yaml'), status('from_a'));
    writeFileSync(join(d, 'README.md'), 'not rules');
    mkdirSync(join(d, 'sub.yaml'));
    expect(ruleFiles(d)).toEqual([join(d, 'a.yaml'), join(d, 'b.yml')]);
    const set = loadRules(d);
    expect(set.rules.map((r) => r.id)).toEqual(['from_a', 'from_b']);
    expect(set.rules[1]!.source).toBe(`${join(d, 'b.yml')}:2`);
  });

  it('loads a single file', () => {
    const f = join(dir, 'single.yaml');
    writeFileSync(f, status('only'));
    expect(loadRules(f).rules.map((r) => r.id)).toEqual(['only']);
  });

  it('reports problems with the real file path', () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'nope: 1\n');
    expect(() => loadRules(f)).toThrow(`${f}:1:1: unknown key "nope"`);
  });

  it('refuses a missing path and a folder without rule files', () => {
    expect(() => loadRules(join(dir, 'missing'))).toThrow(/cannot read rules at/);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(() => loadRules(empty)).toThrow(/no rule files/);
    expect(() => ruleFiles(join(dir, 'missing'))).toThrow(RootlineError);
  });
});
