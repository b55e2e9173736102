import { describe, expect, it } from 'vitest';
import type { ColumnSource } from '../../src/contract/index.js';
import {
  explains,
  findRoots,
  type NodeRef,
  type RcaFinding,
  type RcaRun,
  type RcaWorld,
  type RootVerdict,
} from '../../src/lineage/index.js';

interface FakeNode {
  /** Default: anomalous when it has findings. */
  healthy?: boolean;
  findings?: RcaFinding[];
  /** Sub-threshold movements (not findings). */
  signals?: RcaFinding[];
  parents?: string[];
  lineage?: Record<string, ColumnSource[]>;
  inputs?: string[];
  input_findings?: (RcaFinding & { dataset: string })[];
  status?: 'success' | 'failed';
  params?: Record<string, unknown>;
  /** The params of the node's earlier healthy runs, oldest first (event times 100, 200, ...). */
  before?: Record<string, unknown>[];
}

const nulls = (column: string, value = 0.1): RcaFinding => ({
  metric: 'null_ratio',
  column,
  value,
  baseline: 0,
  threshold: 0.02,
  message: `null ratio of ${column} is ${value}`,
});
const drift = (column: string): RcaFinding => ({
  metric: 'drift',
  column,
  value: 0.3,
  threshold: 0.1,
  message: `${column} shifted`,
});
const rows = (): RcaFinding => ({
  metric: 'row_count',
  value: 700,
  baseline: 1000,
  threshold: 0.05,
  message: 'row count dropped 30%',
});
const schema = (): RcaFinding => ({ metric: 'schema', value: 1, threshold: 0, message: 'schema changed' });

/** A world of named nodes (pipeline "p"); nodes not listed (or listed in `unobserved`) were never observed. */
function world(nodes: Record<string, FakeNode>, options: { unobserved?: string[]; produced?: string[] } = {}) {
  const calls: { ref: NodeRef; runId: string | undefined }[] = [];
  const runOfNode = (name: string): RcaRun | undefined => {
    const n = nodes[name];
    if (!n || options.unobserved?.includes(name)) return undefined;
    const findings = n.findings ?? [];
    const run: RcaRun = {
      ref: { pipeline: 'p', node: name },
      run_id: `${name}-run`,
      event_time: 1000,
      healthy: n.healthy ?? findings.length === 0,
      status: n.status ?? 'success',
      findings,
      input_findings: n.input_findings ?? [],
      inputs: n.inputs ?? [],
    };
    if (n.lineage) run.column_lineage = n.lineage;
    if (n.signals) run.signals = n.signals;
    if (n.params) run.params = n.params;
    return run;
  };
  const w: RcaWorld = {
    parents: (run) =>
      (nodes[run.ref.node]?.parents ?? []).map((p) => ({
        ref: { pipeline: 'p', node: p },
        run_id: `${p}-run`,
        datasets: [],
      })),
    runOf: (ref, runId) => {
      calls.push({ ref, runId });
      return runOfNode(ref.node);
    },
    lastHealthy: (ref, at) => {
      const before = nodes[ref.node]?.before ?? [];
      for (let i = before.length - 1; i >= 0; i--) {
        const t = (i + 1) * 100;
        if (t < at)
          return {
            ref,
            run_id: `${ref.node}-good-${i}`,
            event_time: t,
            healthy: true,
            status: 'success',
            findings: [],
            input_findings: [],
            inputs: [],
            params: before[i]!,
          };
      }
      return undefined;
    },
    externalInputs: (run) => run.inputs.filter((d) => !(options.produced ?? []).includes(d)),
  };
  return { w, run: (name: string) => runOfNode(name)!, calls };
}

const rootsOf = (v: RootVerdict[]) => v.map((x) => x.root.ref.node).sort();
const pathOf = (v: RootVerdict) => v.path.map((s) => s.run.ref.node);

describe('findRoots', () => {
  it('walks a chain to the first anomalous node', () => {
    const { w, run } = world({
      a: { findings: [nulls('amount')] },
      b: { parents: ['a'], findings: [nulls('amount')] },
      c: { parents: ['b'], findings: [nulls('amount')] },
    });
    const v = findRoots(w, run('c'), nulls('amount'));
    expect(v).toHaveLength(1);
    expect(v[0]!.root.ref.node).toBe('a');
    expect(pathOf(v[0]!)).toEqual(['c', 'b', 'a']);
    expect(v[0]).toMatchObject({
      confidence: 0.9,
      candidates: [{ pipeline: 'p', node: 'a' }],
      unobservedParents: [],
      healthyParents: [],
      anomalousExternalInputs: [],
    });
    expect(v[0]!.rootFindings).toEqual([nulls('amount')]);
  });

  it('stops at a node whose inputs were healthy: the culprit transformation', () => {
    const { w, run } = world({
      a: {},
      b: { parents: ['a'], findings: [nulls('amount')] },
      c: { parents: ['b'], findings: [nulls('amount')] },
    });
    const [v] = findRoots(w, run('c'), nulls('amount'));
    expect(v!.root.ref.node).toBe('b');
    expect(v!.healthyParents.map((r) => r.ref.node)).toEqual(['a']);
    expect(v!.confidence).toBe(0.9);
  });

  it('asks for the exact parent run when it is known', () => {
    const { w, run, calls } = world({ a: {}, b: { parents: ['a'], findings: [nulls('x')] } });
    findRoots(w, run('b'), nulls('x'));
    expect(calls).toEqual([{ ref: { pipeline: 'p', node: 'a' }, runId: 'a-run' }]);
  });

  it('a diamond finds the common root once', () => {
    const f = nulls('amount');
    const { w, run } = world({
      s: { findings: [f] },
      l: { parents: ['s'], findings: [f] },
      r: { parents: ['s'], findings: [f] },
      j: { parents: ['l', 'r'], findings: [f] },
    });
    const v = findRoots(w, run('j'), f);
    expect(rootsOf(v)).toEqual(['s']);
    expect(pathOf(v[0]!)).toEqual(['j', 'l', 's']);
  });

  it('fan-in with two independent faulty parents gives two roots', () => {
    const { w, run } = world({
      x: { findings: [nulls('amount')] },
      y: { findings: [nulls('amount')] },
      z: {},
      j: { parents: ['x', 'y', 'z'], findings: [nulls('amount')] },
    });
    const v = findRoots(w, run('j'), nulls('amount'));
    expect(rootsOf(v)).toEqual(['x', 'y']);
    for (const r of v) expect(r.confidence).toBe(0.9);
  });

  describe('column lineage narrows the walk', () => {
    it('a parent anomalous on an unrelated column does not explain', () => {
      const { w, run } = world({
        l: {},
        r: { findings: [nulls('score')] },
        j: {
          parents: ['l', 'r'],
          findings: [nulls('amount')],
          lineage: { amount: [{ node: 'l', column: 'amount' }], score: [{ node: 'r', column: 'score' }] },
        },
      });
      const [v, ...rest] = findRoots(w, run('j'), nulls('amount'));
      expect(rest).toEqual([]);
      expect(v!.root.ref.node).toBe('j');
      expect(v!.healthyParents.map((p) => p.ref.node)).toEqual(['l']);
    });

    it('a parent the column does not derive from does not explain, even anomalous on the same column name', () => {
      const { w, run } = world({
        l: {},
        r: { findings: [nulls('amount')] },
        j: { parents: ['l', 'r'], findings: [nulls('amount')], lineage: { amount: [{ node: 'l', column: 'amount' }] } },
      });
      expect(rootsOf(findRoots(w, run('j'), nulls('amount')))).toEqual(['j']);
    });

    it('follows the lineage to the source column under another name', () => {
      const { w, run } = world({
        raw: { findings: [nulls('amt')] },
        j: {
          parents: ['raw'],
          findings: [nulls('avg_amount')],
          lineage: { avg_amount: [{ node: 'raw', column: 'amt' }] },
        },
      });
      const [v] = findRoots(w, run('j'), nulls('avg_amount'));
      expect(v!.root.ref.node).toBe('raw');
      expect(v!.rootFindings).toEqual([nulls('amt')]);
    });

    it('without column lineage any anomaly of the parent explains', () => {
      const { w, run } = world({
        r: { findings: [drift('score')] },
        j: { parents: ['r'], findings: [nulls('amount')] },
      });
      expect(rootsOf(findRoots(w, run('j'), nulls('amount')))).toEqual(['r']);
    });
  });

  describe('node-level findings', () => {
    it('a row count, schema or failed-run finding upstream explains a column finding', () => {
      for (const f of [rows(), schema(), { metric: 'status' as const, value: 1, threshold: 0, message: 'failed' }]) {
        const { w, run } = world({
          u: { findings: [f] },
          x: { parents: ['u'], findings: [nulls('amount')], lineage: { amount: [{ node: 'u', column: 'amount' }] } },
        });
        const [v] = findRoots(w, run('x'), nulls('amount'));
        expect(v!.root.ref.node).toBe('u');
        expect(v!.rootFindings).toEqual([f]);
      }
    });

    it('a node-level finding downstream is explained by any upstream anomaly', () => {
      const { w, run } = world({
        u: { findings: [drift('score')] },
        x: { parents: ['u'], findings: [rows()], lineage: { amount: [{ node: 'x0', column: 'amount' }] } },
      });
      expect(rootsOf(findRoots(w, run('x'), rows()))).toEqual(['u']);
    });

    it('the walk follows the most specific finding: a column one before a node-level one', () => {
      const { w, run } = world({
        s: { findings: [nulls('amount')] },
        u: {
          parents: ['s'],
          findings: [rows(), nulls('amount')],
          lineage: { amount: [{ node: 's', column: 'amount' }] },
        },
        x: { parents: ['u'], findings: [nulls('amount')] },
      });
      const [v] = findRoots(w, run('x'), nulls('amount'));
      expect(v!.root.ref.node).toBe('s');
      expect(v!.path[1]!.finding).toEqual(nulls('amount'));
    });
  });

  it('an unobserved parent makes the root ambiguous: candidates and confidence 0.5', () => {
    const { w, run } = world(
      { ghost: {}, ok: {}, x: { parents: ['ghost', 'ok'], findings: [nulls('amount')] } },
      { unobserved: ['ghost'] },
    );
    const [v] = findRoots(w, run('x'), nulls('amount'));
    expect(v!.root.ref.node).toBe('x');
    expect(v!.confidence).toBe(0.5);
    expect(v!.candidates).toEqual([
      { pipeline: 'p', node: 'x' },
      { pipeline: 'p', node: 'ghost' },
    ]);
    expect(v!.unobservedParents).toEqual([{ pipeline: 'p', node: 'ghost' }]);
    expect(v!.healthyParents.map((p) => p.ref.node)).toEqual(['ok']);
  });

  it('an input read anomalous from outside the graph stands in for its producer', () => {
    const inputFinding = { ...nulls('amount'), dataset: 's3://vendor/feed' };
    const { w, run } = world({
      x: { findings: [nulls('amount')], inputs: ['s3://vendor/feed', 'lake/ok'], input_findings: [inputFinding] },
    });
    const [v] = findRoots(w, run('x'), nulls('amount'));
    expect(v!.root.ref.node).toBe('x');
    expect(v!.anomalousExternalInputs).toEqual(['s3://vendor/feed']);
    expect(v!.confidence).toBe(0.8);
  });

  it('an anomalous input produced inside the graph is not external', () => {
    const { w, run } = world(
      {
        x: {
          findings: [nulls('amount')],
          inputs: ['lake/inner'],
          input_findings: [{ ...nulls('amount'), dataset: 'lake/inner' }],
        },
      },
      { produced: ['lake/inner'] },
    );
    const [v] = findRoots(w, run('x'), nulls('amount'));
    expect(v!.anomalousExternalInputs).toEqual([]);
    expect(v!.confidence).toBe(0.9);
  });

  it('several findings reaching the same root run are gathered in one verdict', () => {
    const { w, run } = world({
      s: { findings: [nulls('amount'), nulls('score')] },
      l: { parents: ['s'], findings: [nulls('amount')], lineage: { amount: [{ node: 's', column: 'amount' }] } },
      r: { parents: ['s'], findings: [nulls('score')], lineage: { score: [{ node: 's', column: 'score' }] } },
      j: { parents: ['l', 'r'], findings: [rows()] },
    });
    const v = findRoots(w, run('j'), rows());
    expect(rootsOf(v)).toEqual(['s']);
    expect(v[0]!.rootFindings).toEqual([nulls('amount'), nulls('score')]);
  });

  it('a cycle of anomalous nodes (bad lineage) gives an ambiguous root, never no root', () => {
    const { w, run } = world({
      a: { parents: ['b'], findings: [nulls('x')] },
      b: { parents: ['a'], findings: [nulls('x')] },
      c: { parents: ['a'], findings: [nulls('x')] },
    });
    const v = findRoots(w, run('c'), nulls('x'));
    expect(v).toHaveLength(1);
    expect(pathOf(v[0]!)).toEqual(['c', 'a', 'b']);
    expect(v[0]!.root.ref.node).toBe('b');
    expect(v[0]!.candidates.map((r) => r.node)).toEqual(['b', 'a']);
    expect(v[0]!.confidence).toBe(0.5);
  });

  it('stops at maxDepth', () => {
    const nodes: Record<string, FakeNode> = {};
    for (let i = 0; i < 10; i++) nodes[`n${i}`] = { parents: i === 0 ? [] : [`n${i - 1}`], findings: [nulls('x')] };
    const { w, run } = world(nodes);
    expect(findRoots(w, run('n9'), nulls('x'))[0]!.root.ref.node).toBe('n0');
    const [v] = findRoots(w, run('n9'), nulls('x'), { maxDepth: 3 });
    expect(v!.path).toHaveLength(3);
    expect(v!.root.ref.node).toBe('n7');
  });
});

describe('findRoots: sub-threshold signals', () => {
  it('a healthy parent whose same column moved just under the threshold carries the walk to the real root', () => {
    const { w, run } = world({
      s: { findings: [nulls('amount', 0.05)] },
      p: { parents: ['s'], signals: [nulls('amount', 0.015)] },
      x: { parents: ['p'], findings: [nulls('amount', 0.03)] },
    });
    const [v, ...rest] = findRoots(w, run('x'), nulls('amount', 0.03));
    expect(rest).toEqual([]);
    expect(v!.root.ref.node).toBe('s');
    expect(v!.path.map((st) => [st.run.ref.node, st.soft ?? false])).toEqual([
      ['x', false],
      ['p', true],
      ['s', false],
    ]);
    expect(v!.confidence).toBe(0.9);
  });

  it('a signal that leads nowhere is not a root: the nearest real finding is, with less confidence', () => {
    const { w, run } = world({
      p: { signals: [nulls('amount', 0.015)] },
      x: { parents: ['p'], findings: [nulls('amount', 0.03)] },
    });
    const [v] = findRoots(w, run('x'), nulls('amount', 0.03));
    expect(v!.root.ref.node).toBe('x');
    expect(v!.confidence).toBe(0.7);
    expect(v!.candidates.map((r) => r.node)).toEqual(['x', 'p']);
    expect(v!.path.map((st) => st.run.ref.node)).toEqual(['x', 'p']);
  });

  it('where nothing it went through changed, a chain of signals names the node where the movement starts', () => {
    // Firmware on some sensors sends Fahrenheit labelled Celsius: the raw feed's mixed-unit column moves under
    // the floor, the dedupe passes it on, and the unit conversion (which separates what the feed mixed) shows
    // it past the floor. Neither step changed its code or parameters since its last healthy run.
    const same = { params: { v: 1 }, before: [{ v: 1 }, { v: 1 }] };
    const { w, run } = world({
      raw: { signals: [drift('value')], ...same },
      dedupe: { parents: ['raw'], signals: [drift('value')], ...same },
      convert: { parents: ['dedupe'], findings: [drift('value')], ...same },
    });
    const [v, ...rest] = findRoots(w, run('convert'), drift('value'));
    expect(rest).toEqual([]);
    expect(v!.root.ref.node).toBe('raw');
    expect(v!.confidence).toBe(0.7);
    expect(v!.candidates.map((r) => r.node)).toEqual(['raw', 'convert', 'dedupe']);
    expect(v!.path.map((st) => [st.run.ref.node, st.soft ?? false])).toEqual([
      ['convert', false],
      ['dedupe', true],
      ['raw', true],
    ]);
    // The step that shows it changed since it was last healthy (a deploy): the step is named, as before.
    const changed = world({
      raw: { signals: [drift('value')], ...same },
      convert: { parents: ['raw'], findings: [drift('value')], params: { v: 2 }, before: [{ v: 1 }, { v: 1 }] },
    });
    expect(findRoots(changed.w, changed.run('convert'), drift('value'))[0]!.root.ref.node).toBe('convert');
    // A source that barely moved (a third as far as the step that shows it) is not where it started.
    const weak = world({
      raw: { signals: [{ ...drift('value'), value: 0.1 }], ...same },
      convert: { parents: ['raw'], findings: [drift('value')], ...same },
    });
    expect(findRoots(weak.w, weak.run('convert'), drift('value'))[0]!.root.ref.node).toBe('convert');
    // A row count is not followed to a signal's origin (a step's own rows are its own doing).
    const counted = world({
      raw: { signals: [rows()], ...same },
      convert: { parents: ['raw'], findings: [rows()], ...same },
    });
    expect(findRoots(counted.w, counted.run('convert'), rows())[0]!.root.ref.node).toBe('convert');
  });

  it('a signal at a run that came with a deliberate change (its parameters changed) is the root', () => {
    // A filter's threshold raised: 20% fewer rows there, within the filter's own noise; 20% fewer below it,
    // past the child's threshold. The change is where it started.
    const { w, run } = world({
      p: { signals: [rows()], params: { min_amount: 8 }, before: [{ min_amount: 0 }, { min_amount: 0 }] },
      x: { parents: ['p'], findings: [rows()] },
    });
    const [v] = findRoots(w, run('x'), rows());
    expect(v!.root.ref.node).toBe('p');
    expect(v!.path.map((st) => [st.run.ref.node, st.soft ?? false])).toEqual([
      ['x', false],
      ['p', true],
    ]);
  });

  it("so is a signal a few runs after such a change (the runs between moved within the node's noise)", () => {
    const { w, run } = world({
      p: {
        signals: [rows()],
        params: { min_amount: 8 },
        before: [{ min_amount: 0 }, { min_amount: 0 }, { min_amount: 8 }, { min_amount: 8 }],
      },
      x: { parents: ['p'], findings: [rows()] },
    });
    expect(findRoots(w, run('x'), rows())[0]!.root.ref.node).toBe('p');
  });

  it('parameters that change every run (a run date) are not a deliberate change: the signal is not a root', () => {
    const { w, run } = world({
      p: { signals: [rows()], params: { ds: '2026-01-03' }, before: [{ ds: '2026-01-01' }, { ds: '2026-01-02' }] },
      x: { parents: ['p'], findings: [rows()] },
    });
    const [v] = findRoots(w, run('x'), rows());
    expect(v!.root.ref.node).toBe('x');
    expect(v!.confidence).toBe(0.7);
  });

  it('a signal of another metric explains nothing', () => {
    const { w, run } = world({ p: { signals: [drift('amount')] }, x: { parents: ['p'], findings: [nulls('amount')] } });
    const [v] = findRoots(w, run('x'), nulls('amount'));
    expect(v).toMatchObject({ confidence: 0.9, candidates: [{ pipeline: 'p', node: 'x' }] });
    expect(v!.healthyParents.map((r) => r.ref.node)).toEqual(['p']);
  });

  const creep = (column: string, cusum = 12): RcaFinding => ({
    metric: 'long_drift',
    column,
    value: cusum,
    threshold: 10,
    message: `mean of ${column} creeping`,
  });

  it('a creep upstream explains a creep below it, and its source is the root', () => {
    const { w, run } = world({
      src: { signals: [creep('amount')] },
      agg: { parents: ['src'], findings: [creep('avg_amount')] },
    });
    const [v] = findRoots(w, run('agg'), creep('avg_amount'));
    expect(v!.root.ref.node).toBe('src');
  });

  it('a creep upstream under its floor does not explain a drift finding (a sudden change) below it', () => {
    const { w, run } = world({
      src: { signals: [creep('amount')] },
      filter: { parents: ['src'], findings: [drift('fraud_score')] },
    });
    const v = findRoots(w, run('filter'), drift('fraud_score'));
    expect(rootsOf(v)).toEqual(['filter']);
    expect(v[0]!.confidence).toBe(0.9);
  });

  it("among parents' weak signals without column lineage, one on a column of the finding's name is followed", () => {
    const { w, run } = world({
      transactions: { signals: [creep('amount')] },
      customers: { signals: [creep('age')] },
      join: { parents: ['customers', 'transactions'], findings: [creep('amount')] },
    });
    const v = findRoots(w, run('join'), creep('amount'));
    expect(rootsOf(v)).toEqual(['transactions']);
    // With no signal of that name, both still explain (nothing says which column it derives from).
    const other = world({
      transactions: { signals: [creep('price')] },
      customers: { signals: [creep('age')] },
      join: { parents: ['customers', 'transactions'], findings: [creep('amount')] },
    });
    expect(rootsOf(findRoots(other.w, other.run('join'), creep('amount')))).toEqual(['customers', 'transactions']);
  });

  it("a parent's real finding that explains is followed, not another parent's weak signal", () => {
    const { w, run } = world({
      transactions: { findings: [creep('amount', 25)] },
      customers: { signals: [creep('age')] },
      join: { parents: ['customers', 'transactions'], findings: [creep('amount')] },
    });
    expect(rootsOf(findRoots(w, run('join'), creep('amount')))).toEqual(['transactions']);
  });
});

describe('explains', () => {
  const x: RcaRun = {
    ref: { pipeline: 'p', node: 'x' },
    run_id: 'r',
    event_time: 0,
    healthy: false,
    status: 'success',
    findings: [],
    input_findings: [],
    inputs: [],
    column_lineage: { a: [{ node: 'u', column: 'a' }] },
  };
  const up = (findings: RcaFinding[], healthy = false): RcaRun => ({
    ...x,
    ref: { pipeline: 'p', node: 'u' },
    healthy,
    findings,
    column_lineage: {},
  });

  it('a healthy parent explains nothing, even with findings on record', () => {
    expect(explains(x, nulls('a'), up([nulls('a')], true))).toEqual([]);
    expect(explains(x, nulls('a'), up([]))).toEqual([]);
  });

  it('returns the parent findings that explain, by column lineage', () => {
    expect(explains(x, nulls('a'), up([nulls('a'), nulls('b'), rows()]))).toEqual([nulls('a'), rows()]);
    expect(explains(x, nulls('a'), up([nulls('b')]))).toEqual([]);
  });
});
