import { describe, expect, it } from 'vitest';
import {
  LineageNotFound,
  PipelineGraph,
  downstreamOf,
  graphAt,
  nodeKey,
  producersOf,
  upstreamOf,
  type NodeRef,
  type QueryRun,
  type RunSource,
} from '../../src/lineage/index.js';
import { at, report, type ReportSpec } from './reports.js';

/** A graph and run history built from report specs; each spec is also a run (healthy unless listed). */
function source(specs: ReportSpec[], unhealthy: string[] = []): RunSource {
  const graphs = new Map<string, PipelineGraph>();
  const runs = new Map<string, QueryRun[]>();
  for (const s of specs) {
    const r = report(s);
    let g = graphs.get(r.pipeline);
    if (!g) graphs.set(r.pipeline, (g = new PipelineGraph(r.pipeline)));
    g.apply(r);
    const key = nodeKey({ pipeline: r.pipeline, node: r.node });
    const bad = unhealthy.includes(`${r.node}@${s.minute}`);
    const list = runs.get(key) ?? [];
    list.push({
      run_id: r.run_id,
      event_time: Date.parse(r.event_time),
      healthy: !bad,
      status: 'success',
      ...(r.code_version !== undefined ? { code_version: r.code_version } : {}),
      ...(r.data_version !== undefined ? { data_version: r.data_version } : {}),
      upstream: (r.upstream ?? []).map((u) => ({
        pipeline: u.pipeline ?? r.pipeline,
        node: u.node,
        ...(u.run_id !== undefined ? { run_id: u.run_id } : {}),
      })),
      inputs: (r.inputs ?? []).map((i) => i.dataset),
      outputs: r.outputs!.map((o) => o.dataset),
      findings: bad
        ? [{ metric: 'null_ratio', column: 'amount', message: `nulls at ${r.node}`, severity: 'critical' }]
        : [],
      ...(bad ? { incident_id: 'inc-1' } : {}),
    });
    runs.set(key, list);
  }
  return { graph: (p) => graphs.get(p), runs: (ref: NodeRef) => runs.get(nodeKey(ref)) ?? [] };
}

// raw -> clean -> features; clean's code changes at minute 10 and features goes bad at minute 11.
const history: ReportSpec[] = [
  { node: 'raw', minute: 0, code_version: 'r1', data_version: 'raw@0' },
  {
    node: 'clean',
    minute: 1,
    upstream: [{ node: 'raw', run_id: 'run-0' }],
    code_version: 'c1',
    data_version: 'clean@1',
  },
  {
    node: 'features',
    minute: 2,
    upstream: [{ node: 'clean', run_id: 'run-1' }],
    code_version: 'f1',
    data_version: 'features@2',
  },
  { node: 'raw', minute: 9, code_version: 'r1', data_version: 'raw@9' },
  {
    node: 'clean',
    minute: 10,
    upstream: [{ node: 'raw', run_id: 'run-9' }],
    code_version: 'c2',
    data_version: 'clean@10',
  },
  {
    node: 'features',
    minute: 11,
    upstream: [{ node: 'clean', run_id: 'run-10' }],
    code_version: 'f1',
    data_version: 'features@11',
  },
];
const p = (node: string): NodeRef => ({ pipeline: 'p', node });

describe('upstreamOf', () => {
  const src = source(history, ['clean@10', 'features@11']);

  it('lists the path back to the sources, nearest first, with versions and health now', () => {
    const up = upstreamOf(src, p('features'));
    expect(up.at).toBeNull();
    expect(up.nodes.map((n) => [n.node, n.depth, n.next, n.health])).toEqual([
      ['features', 0, ['clean'], 'unhealthy'],
      ['clean', 1, ['raw'], 'unhealthy'],
      ['raw', 2, [], 'healthy'],
    ]);
    expect(up.sources).toEqual(['raw']);
    expect(up.nodes[1]!.versions).toMatchObject({
      code_version: 'c2',
      data_version: 'clean@10',
      since: at(10),
      run_id: 'run-10',
    });
    expect(up.nodes[1]!.run).toEqual({
      run_id: 'run-10',
      event_time: new Date(at(10)).toISOString(),
      healthy: false,
      status: 'success',
      findings: ['nulls at clean'],
      incident_id: 'inc-1',
    });
  });

  it('answers as of a past time: the versions and runs then', () => {
    const up = upstreamOf(src, p('features'), at(5));
    expect(up.at).toBe(new Date(at(5)).toISOString());
    expect(up.nodes.map((n) => n.health)).toEqual(['healthy', 'healthy', 'healthy']);
    expect(up.nodes[1]!.versions!.code_version).toBe('c1');
    expect(up.nodes[1]!.run!.run_id).toBe('run-1');
  });

  it('a node without a run by then has unknown health', () => {
    const up = upstreamOf(src, p('features'), at(2));
    expect(up.nodes.find((n) => n.node === 'features')!.health).toBe('healthy');
    const early = upstreamOf(src, p('raw'), at(0) - 1);
    expect(early.nodes[0]).toMatchObject({ health: 'unknown', run: null, versions: null });
  });

  it('an unknown node or pipeline is LineageNotFound', () => {
    expect(() => upstreamOf(src, p('nope'))).toThrow(LineageNotFound);
    expect(() => upstreamOf(src, { pipeline: 'q', node: 'raw' })).toThrow(LineageNotFound);
  });
});

describe('downstreamOf', () => {
  it("gives the blast radius with each node's health", () => {
    const src = source(
      [
        { node: 's', minute: 0 },
        { node: 'l', minute: 1, upstream: ['s'] },
        { node: 'r', minute: 1, upstream: ['s'] },
        { node: 'j', minute: 2, upstream: ['l', 'r'] },
      ],
      ['l@1'],
    );
    const down = downstreamOf(src, p('s'));
    expect(down.blast_radius.slice(0, 2).sort()).toEqual(['l', 'r']);
    expect(down.blast_radius[2]).toBe('j');
    expect(down.blast_radius).toHaveLength(3);
    expect(down.nodes[0]).toMatchObject({ node: 's', depth: 0 });
    expect(down.nodes.find((n) => n.node === 'l')!.health).toBe('unhealthy');
    expect(down.nodes.find((n) => n.node === 'j')!.next).toEqual([]);
    expect(downstreamOf(src, p('j')).blast_radius).toEqual([]);
  });
});

describe('producersOf', () => {
  const src = source(history);

  it('names the run that produced a data_version and the parent runs (and their data versions) it read', () => {
    const r = producersOf(src, 'p', 'features@11');
    expect(r.runs).toEqual([
      {
        node: 'features',
        run_id: 'run-11',
        event_time: new Date(at(11)).toISOString(),
        code_version: 'f1',
        healthy: true,
        inputs: [{ node: 'clean', run_id: 'run-10', data_version: 'clean@10' }],
        datasets_read: [],
      },
    ]);
  });

  it('an unknown data version or pipeline is LineageNotFound', () => {
    expect(() => producersOf(src, 'p', 'nope')).toThrow(/no run in pipeline p produced data_version nope/);
    expect(() => producersOf(src, 'q', 'x')).toThrow(LineageNotFound);
  });
});

describe('graphAt', () => {
  it('shows the graph as it stood, cross-pipeline sources labelled with their pipeline', () => {
    const src = source([
      { node: 'a', minute: 0 },
      { node: 'b', minute: 1, upstream: ['a'] },
      { node: 'b', minute: 5, upstream: [{ node: 'x', pipeline: 'q' }] },
    ]);
    const before = graphAt(src, 'p', at(2));
    expect(before.nodes.map((n) => [n.node, n.next])).toEqual([
      ['a', []],
      ['b', ['a']],
    ]);
    expect(before.edges).toEqual([{ source: 'a', target: 'b', via: 'upstream', datasets: [] }]);
    const now = graphAt(src, 'p');
    expect(now.edges).toEqual([{ source: 'q/x', target: 'b', via: 'upstream', datasets: [] }]);
    expect(now.nodes.find((n) => n.node === 'b')!.next).toEqual(['q/x']);
    expect(graphAt(src, 'p', at(0) - 1).nodes).toEqual([]);
    expect(() => graphAt(src, 'nope')).toThrow(LineageNotFound);
  });
});
