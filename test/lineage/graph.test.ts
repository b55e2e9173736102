import { describe, expect, it } from 'vitest';
import { PipelineGraph, canonicalJson, edgeKey, nodeKey, parseNodeKey, type NodeRef } from '../../src/lineage/index.js';
import { at, report } from './reports.js';

const ref = (node: string, pipeline = 'p'): NodeRef => ({ pipeline, node });
const names = (refs: NodeRef[]) => refs.map((r) => r.node);
const sources = (g: PipelineGraph, node: string, t?: number) =>
  g
    .parents(ref(node), t)
    .map((e) => e.source.node)
    .sort();

describe('PipelineGraph: edges', () => {
  it('come from explicit upstream entries', () => {
    const g = new PipelineGraph('p');
    g.apply(report({ node: 'a', minute: 0 }));
    const changes = g.apply(report({ node: 'b', minute: 1, upstream: ['a'] }));
    expect(changes.map((c) => c.kind)).toEqual(['node_added', 'edge_added']);
    expect(changes[1]).toMatchObject({
      source: ref('a'),
      target: ref('b'),
      via: 'upstream',
      at: at(1),
      run_id: 'run-1',
    });
    const [e] = g.parents(ref('b'));
    expect(e).toMatchObject({ via: 'upstream', datasets: [], intervals: [{ from: at(1) }] });
  });

  it('come from a dataset one node writes and another reads', () => {
    const g = new PipelineGraph('p');
    g.apply(report({ node: 'a', minute: 0, outputs: ['lake/raw'] }));
    g.apply(report({ node: 'b', minute: 1, inputs: ['lake/raw', 'lake/external'] }));
    const [e] = g.parents(ref('b'));
    expect(e).toMatchObject({ source: ref('a'), via: 'dataset', datasets: ['lake/raw'] });
    expect(g.children(ref('a')).map((x) => x.target.node)).toEqual(['b']);
  });

  it('an upstream entry and a dataset on the same pair make one edge via upstream, with the dataset', () => {
    const g = new PipelineGraph('p');
    g.apply(report({ node: 'a', minute: 0, outputs: ['lake/raw'] }));
    g.apply(report({ node: 'b', minute: 1, upstream: ['a'], inputs: ['lake/raw'] }));
    expect(g.allEdges()).toHaveLength(1);
    expect(g.allEdges()[0]).toMatchObject({ via: 'upstream', datasets: ['lake/raw'] });
  });

  it('a dataset read before any producer reported gives no edge until the reader runs again', () => {
    const g = new PipelineGraph('p');
    expect(g.apply(report({ node: 'b', minute: 0, inputs: ['lake/raw'] })).map((c) => c.kind)).toEqual(['node_added']);
    g.apply(report({ node: 'a', minute: 1, outputs: ['lake/raw'] }));
    expect(g.parents(ref('b'))).toEqual([]);
    const changes = g.apply(report({ node: 'b', minute: 2, inputs: ['lake/raw'] }));
    expect(changes).toEqual([
      { kind: 'edge_added', at: at(2), source: ref('a'), target: ref('b'), via: 'dataset', run_id: 'run-2' },
    ]);
  });

  it('ignores a node reading its own output or naming itself upstream', () => {
    const g = new PipelineGraph('p');
    g.apply(report({ node: 'a', minute: 0, outputs: ['lake/state'] }));
    g.apply(report({ node: 'a', minute: 1, outputs: ['lake/state'], inputs: ['lake/state'], upstream: ['a'] }));
    expect(g.allEdges()).toEqual([]);
  });

  it('uses external producers (other pipelines) only when no local node writes the dataset', () => {
    const g = new PipelineGraph('p');
    g.externalProducers = (ds) => (ds === 'lake/shared' ? [ref('ingest', 'other')] : []);
    g.apply(report({ node: 'b', minute: 0, inputs: ['lake/shared'] }));
    expect(g.parents(ref('b')).map((e) => nodeKey(e.source))).toEqual([nodeKey(ref('ingest', 'other'))]);
    g.apply(report({ node: 'local', minute: 1, outputs: ['lake/shared'] }));
    g.apply(report({ node: 'b', minute: 2, inputs: ['lake/shared'] }));
    expect(sources(g, 'b')).toEqual(['local']);
  });

  it('cross-pipeline upstream entries name the other pipeline', () => {
    const g = new PipelineGraph('p');
    g.apply(report({ node: 'b', minute: 0, upstream: [{ node: 'x', pipeline: 'q' }] }));
    expect(g.parents(ref('b'))[0]!.source).toEqual(ref('x', 'q'));
  });
});

describe('PipelineGraph: lineage changes over time', () => {
  function evolving() {
    const g = new PipelineGraph('p');
    g.apply(report({ node: 'a', minute: 0 }));
    g.apply(report({ node: 'c', minute: 0 }));
    g.apply(report({ node: 'b', minute: 1, upstream: ['a'] }));
    // At minute 10 b switches from a to c; at minute 20 it reads a again (and keeps c).
    const switched = g.apply(report({ node: 'b', minute: 10, upstream: ['c'] }));
    const back = g.apply(report({ node: 'b', minute: 20, upstream: ['a', 'c'] }));
    return { g, switched, back };
  }

  it('reports new and vanished edges', () => {
    const { switched, back } = evolving();
    expect(switched.map((c) => `${c.kind} ${c.source!.node}`).sort()).toEqual(['edge_added c', 'edge_removed a']);
    expect(switched.find((c) => c.kind === 'edge_removed')).toMatchObject({
      at: at(10),
      target: ref('b'),
      via: 'upstream',
      run_id: 'run-10',
    });
    expect(back.map((c) => `${c.kind} ${c.source!.node}`)).toEqual(['edge_added a']);
  });

  it("keeps each edge's lifetime intervals", () => {
    const { g } = evolving();
    const ab = g.allEdges().find((e) => e.source.node === 'a')!;
    expect(ab.intervals).toEqual([{ from: at(1), to: at(10) }, { from: at(20) }]);
  });

  it('answers parents and children as they were at a time', () => {
    const { g } = evolving();
    expect(sources(g, 'b', at(0))).toEqual([]);
    expect(sources(g, 'b', at(1))).toEqual(['a']);
    expect(sources(g, 'b', at(9))).toEqual(['a']);
    expect(sources(g, 'b', at(10))).toEqual(['c']);
    expect(sources(g, 'b', at(25))).toEqual(['a', 'c']);
    expect(sources(g, 'b')).toEqual(['a', 'c']);
    expect(g.children(ref('a'), at(15))).toEqual([]);
    expect(g.children(ref('a'), at(5)).map((e) => e.target.node)).toEqual(['b']);
  });

  it('snapshot(at) shows the nodes first seen by then and the edges alive then', () => {
    const { g } = evolving();
    expect(g.snapshot(at(0))).toEqual({ nodes: [ref('a'), ref('c')], edges: [] });
    const mid = g.snapshot(at(12));
    expect(names(mid.nodes).sort()).toEqual(['a', 'b', 'c']);
    expect(mid.edges.map((e) => `${e.source.node}->${e.target.node}`)).toEqual(['c->b']);
    expect(g.snapshot().edges).toHaveLength(2);
  });

  it('history lists every change in time order', () => {
    const { g } = evolving();
    const h = g.history();
    expect(h.map((c) => c.at)).toEqual([at(1), at(10), at(10), at(20)]);
    expect(h.map((c) => `${(c.at - at(0)) / 60_000} ${c.kind} ${c.source!.node}`).sort()).toEqual([
      '1 edge_added a',
      '10 edge_added c',
      '10 edge_removed a',
      '20 edge_added a',
    ]);
  });

  it('a node that stops writing a dataset stops being its producer', () => {
    const g = new PipelineGraph('p');
    g.apply(report({ node: 'a', minute: 0, outputs: ['lake/x'] }));
    g.apply(report({ node: 'a', minute: 1, outputs: ['lake/y'] }));
    g.apply(report({ node: 'b', minute: 2, inputs: ['lake/x'] }));
    expect(g.parents(ref('b'))).toEqual([]);
    expect(g.toJSON().producers).toEqual({ 'lake/y': ['a'], 'ds/b': ['b'] });
  });

  it('bounds the intervals kept per edge', () => {
    const g = new PipelineGraph('p', { maxIntervalsPerEdge: 3 });
    g.apply(report({ node: 'a', minute: 0 }));
    for (let m = 1; m <= 10; m++) g.apply(report({ node: 'b', minute: m, upstream: m % 2 === 1 ? ['a'] : [] }));
    const [e] = g.allEdges();
    expect(e!.intervals).toHaveLength(3);
    expect(e!.intervals[2]).toEqual({ from: at(9), to: at(10) });
  });
});

describe('PipelineGraph: versions', () => {
  function versioned() {
    const g = new PipelineGraph('p');
    g.apply(report({ node: 'a', minute: 0, code_version: 'git:1', params: { w: 1 }, fingerprint: 'sha256:s1' }));
    g.apply(report({ node: 'a', minute: 1, code_version: 'git:1', params: { w: 1 }, fingerprint: 'sha256:s1' }));
    g.apply(report({ node: 'a', minute: 2, code_version: 'git:2', params: { w: 1 }, fingerprint: 'sha256:s1' }));
    g.apply(report({ node: 'a', minute: 3, code_version: 'git:2', params: { w: 2 }, fingerprint: 'sha256:s1' }));
    g.apply(report({ node: 'a', minute: 4, code_version: 'git:2', params: { w: 2 }, fingerprint: 'sha256:s2' }));
    return g;
  }

  it('records a version whenever code, params or the output schema change', () => {
    const g = versioned();
    expect(g.node('a')!.versions.map((v) => [v.since, v.code_version, v.params, v.schema_fingerprints])).toEqual([
      [at(0), 'git:1', { w: 1 }, ['sha256:s1']],
      [at(2), 'git:2', { w: 1 }, ['sha256:s1']],
      [at(3), 'git:2', { w: 2 }, ['sha256:s1']],
      [at(4), 'git:2', { w: 2 }, ['sha256:s2']],
    ]);
  });

  it('params in another key order are the same params', () => {
    const g = new PipelineGraph('p');
    g.apply(report({ node: 'a', minute: 0, params: { w: 1, opts: { x: 1, y: [2, 3] } } }));
    g.apply(report({ node: 'a', minute: 1, params: { opts: { y: [2, 3], x: 1 }, w: 1 } }));
    expect(g.node('a')!.versions).toHaveLength(1);
    g.apply(report({ node: 'a', minute: 2, params: { opts: { y: [3, 2], x: 1 }, w: 1 } }));
    expect(g.node('a')!.versions).toHaveLength(2);
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });

  it('versionAt gives the versions in force at a time', () => {
    const g = versioned();
    expect(g.versionAt('a', at(0) - 1)).toBeUndefined();
    expect(g.versionAt('a', at(1))!.code_version).toBe('git:1');
    expect(g.versionAt(ref('a'), at(2))!.code_version).toBe('git:2');
    expect(g.versionAt('a', at(3) + 30_000)!.params).toEqual({ w: 2 });
    expect(g.versionAt('a')!.run_id).toBe('run-4');
    expect(g.versionAt('nope')).toBeUndefined();
  });

  it('a data_version that changes every run is no new version (it lives in the run history)', () => {
    const g = new PipelineGraph('p');
    for (let m = 0; m < 5; m++)
      g.apply(report({ node: 'a', minute: m, code_version: 'v1', data_version: `snap-${m}` }));
    expect(g.node('a')!.versions.map((v) => [v.since, v.data_version])).toEqual([[at(0), 'snap-0']]);
  });

  it('keeps a bounded number of versions, the latest', () => {
    const g = new PipelineGraph('p', { maxVersionsPerNode: 5 });
    for (let m = 0; m < 12; m++) g.apply(report({ node: 'a', minute: m, code_version: `v${m}` }));
    const versions = g.node('a')!.versions;
    expect(versions.map((v) => v.code_version)).toEqual(['v7', 'v8', 'v9', 'v10', 'v11']);
    expect(g.versionAt('a', at(9))!.code_version).toBe('v9');
    // Before the oldest version kept, nothing is known.
    expect(g.versionAt('a', at(6))).toBeUndefined();
  });

  it('tracks first and last seen', () => {
    const g = versioned();
    expect(g.node('a')).toMatchObject({ firstSeen: at(0), lastSeen: at(4) });
    expect(g.apply(report({ node: 'a', minute: 5 })).map((c) => c.kind)).toEqual([]);
  });
});

describe('PipelineGraph: walks', () => {
  //   s -> l -> j -> t
  //   s -> r -> j
  function diamond() {
    const g = new PipelineGraph('p');
    g.apply(report({ node: 's', minute: 0 }));
    g.apply(report({ node: 'l', minute: 1, upstream: ['s'] }));
    g.apply(report({ node: 'r', minute: 1, upstream: ['s'] }));
    g.apply(report({ node: 'j', minute: 2, upstream: ['l', 'r'] }));
    g.apply(report({ node: 't', minute: 3, upstream: ['j'] }));
    return g;
  }

  it('descendants: every node downstream once, nearest first', () => {
    const d = names(diamond().descendants(ref('s')));
    expect(d).toHaveLength(4);
    expect(d.slice(0, 2).sort()).toEqual(['l', 'r']);
    expect(d.slice(2)).toEqual(['j', 't']);
    expect(diamond().descendants(ref('t'))).toEqual([]);
  });

  it('ancestors: every node upstream once, nearest first', () => {
    const a = names(diamond().ancestors(ref('t')));
    expect(a[0]).toBe('j');
    expect(a.slice(1, 3).sort()).toEqual(['l', 'r']);
    expect(a[3]).toBe('s');
  });

  it('walks at a past time use the graph as it was', () => {
    const g = diamond();
    expect(names(g.descendants(ref('s'), at(1)))).toEqual(['l', 'r']);
  });

  it('terminates on cycles in bad lineage', () => {
    const g = new PipelineGraph('p');
    g.apply(report({ node: 'a', minute: 0, upstream: ['b'] }));
    g.apply(report({ node: 'b', minute: 1, upstream: ['a'] }));
    expect(names(g.descendants(ref('a')))).toEqual(['b']);
    expect(names(g.ancestors(ref('a')))).toEqual(['b']);
  });
});

describe('PipelineGraph: serialization', () => {
  function busy() {
    const g = new PipelineGraph('p');
    g.apply(report({ node: 'zeta', minute: 0, outputs: ['lake/shared'], code_version: 'v1' }));
    g.apply(report({ node: 'alpha', minute: 0, outputs: ['lake/shared', 'lake/a'] }));
    g.apply(report({ node: 'b', minute: 1, inputs: ['lake/shared'], upstream: [{ node: 'x', pipeline: 'q' }] }));
    g.apply(report({ node: 'b', minute: 5, inputs: ['lake/a'] }));
    return g;
  }

  it('toJSON / fromJSON round trip (through JSON text) keeps every answer', () => {
    const g = busy();
    const copy = PipelineGraph.fromJSON(JSON.parse(JSON.stringify(g.toJSON())) as ReturnType<PipelineGraph['toJSON']>);
    expect(copy.toJSON()).toEqual(g.toJSON());
    for (const t of [at(0), at(1), at(3), at(5), undefined]) {
      expect(copy.snapshot(t)).toEqual(g.snapshot(t));
      expect(copy.parents(ref('b'), t)).toEqual(g.parents(ref('b'), t));
    }
    expect(copy.versionAt('zeta')).toEqual(g.versionAt('zeta'));
    expect(copy.history()).toEqual(g.history());
  });

  it('a restored graph evolves exactly like the original, edge order included', () => {
    const g = busy();
    const copy = PipelineGraph.fromJSON(JSON.parse(JSON.stringify(g.toJSON())) as ReturnType<PipelineGraph['toJSON']>);
    const next = [
      report({ node: 'c', minute: 6, inputs: ['lake/shared'] }),
      report({ node: 'b', minute: 7, inputs: ['lake/shared'] }),
    ];
    for (const r of next) expect(copy.apply(r)).toEqual(g.apply(r));
    expect(copy.parents(ref('c'))).toEqual(g.parents(ref('c')));
    expect(JSON.stringify(copy.toJSON())).toBe(JSON.stringify(g.toJSON()));
  });

  it('fromJSON copies: changing the restored graph leaves the state it came from alone', () => {
    const state = busy().toJSON();
    const before = JSON.stringify(state);
    const copy = PipelineGraph.fromJSON(state);
    copy.apply(report({ node: 'b', minute: 9, upstream: ['zeta'] }));
    expect(JSON.stringify(state)).toBe(before);
  });
});

describe('node keys', () => {
  it('round trip and keep pipeline and node apart', () => {
    const r = ref('node with spaces/and:colons', 'pipe.line');
    expect(parseNodeKey(nodeKey(r))).toEqual(r);
    expect(nodeKey(ref('x.y', 'p'))).not.toBe(nodeKey(ref('y', 'p.x')));
    expect(edgeKey(ref('a'), ref('b'))).not.toBe(edgeKey(ref('b'), ref('a')));
  });
});
