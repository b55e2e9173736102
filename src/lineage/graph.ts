import type { Report } from '../contract/types.js';
import { KEY_SEP, compositeKey } from '../keys.js';

/**
 * The lineage graph of one pipeline, built from reports as they arrive: nodes, edges (from explicit
 * `upstream` entries and from datasets one node writes and another reads), each node's versions over
 * time, and every edge's lifetime, so the graph can be seen as it stood at any past time.
 *
 * An edge belongs to its target: it is (re)computed from each run of the target node, so an edge
 * "vanishes" when a run of the target no longer reads from the source. Times are event times (ms).
 */

/** A node anywhere: the pipeline and node name. */
export interface NodeRef {
  pipeline: string;
  node: string;
}

export type EdgeVia = 'upstream' | 'dataset';

export interface EdgeInterval {
  /** Event time (ms) of the first run of the target that read from the source. */
  from: number;
  /** Event time (ms) of the first run that no longer did; absent while the edge exists. */
  to?: number;
}

export interface Edge {
  source: NodeRef;
  target: NodeRef;
  /** How the edge is known; `dataset` names the dataset written by source and read by target. */
  via: EdgeVia;
  datasets: string[];
  intervals: EdgeInterval[];
}

export interface NodeVersion {
  /** Event time (ms) from which these versions hold (code, params, schema); data_version is the one seen then. */
  since: number;
  run_id: string;
  code_version?: string;
  data_version?: string;
  params?: Record<string, unknown>;
  schema_fingerprints?: string[];
}

export interface NodeInfo {
  ref: NodeRef;
  firstSeen: number;
  lastSeen: number;
  /** Datasets the node wrote in its latest run. */
  outputs: string[];
  /** Datasets the node read in its latest run. */
  inputs: string[];
  /** Version changes, oldest first (bounded). */
  versions: NodeVersion[];
}

export interface LineageChange {
  kind: 'edge_added' | 'edge_removed' | 'node_added';
  at: number;
  source?: NodeRef;
  target: NodeRef;
  via?: EdgeVia;
  run_id: string;
}

/** Options for one pipeline's graph. */
export interface LineageOptions {
  /** Version changes kept per node. Default 100. */
  maxVersionsPerNode?: number;
  /** Lifetime intervals kept per edge. Default 50. */
  maxIntervalsPerEdge?: number;
}

export const DEFAULT_MAX_VERSIONS_PER_NODE = 100;
export const DEFAULT_MAX_INTERVALS_PER_EDGE = 50;

/** A stable string key for a node (pipeline and node names may hold any character but U+001F). */
export function nodeKey(ref: NodeRef): string {
  return compositeKey(ref.pipeline, ref.node);
}

export function parseNodeKey(key: string): NodeRef {
  const i = key.indexOf(KEY_SEP);
  return { pipeline: key.slice(0, i), node: key.slice(i + 1) };
}

export function edgeKey(source: NodeRef, target: NodeRef): string {
  return `${nodeKey(source)}\u001e${nodeKey(target)}`;
}

/**
 * JSON text with object keys sorted (at every depth), so that values that differ only in key order
 * (params from an emitter that builds them in another order) compare equal.
 */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : x,
  );
}

function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

export interface GraphSnapshot {
  nodes: NodeRef[];
  edges: { source: NodeRef; target: NodeRef; via: EdgeVia; datasets: string[] }[];
}

/**
 * Lineage stated without a run (an OpenLineage JobEvent, or a DatasetEvent naming the datasets one is derived
 * from): datasets the node reads and writes, kept across its runs (a run's own datasets come on top).
 */
export interface DeclaredLineage {
  node: string;
  inputs: string[];
  outputs: string[];
}

/** Datasets kept per node in declared lineage, each side (beyond it the first declared go). */
export const MAX_DECLARED_DATASETS = 1000;

/** The serializable form of a pipeline graph (kept in the monitor's state). */
export interface LineageState {
  pipeline: string;
  nodes: NodeInfo[];
  edges: Edge[];
  /** dataset -> the local nodes that wrote it in their latest run. */
  producers: Record<string, string[]>;
  /** Lineage declared without runs, per node; absent in older state = none. */
  declared?: DeclaredLineage[];
}

export class PipelineGraph {
  readonly pipeline: string;
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly edges = new Map<string, Edge>();
  /** dataset -> node keys (this pipeline) whose latest run wrote it. */
  private readonly producers = new Map<string, Set<string>>();
  private readonly maxVersions: number;
  private readonly maxIntervals: number;
  /** node key -> the lineage it declared without a run. */
  private readonly declared = new Map<string, { inputs: string[]; outputs: string[] }>();
  /** Producers of datasets in other pipelines (cross-pipeline lineage), consulted after local ones. */
  externalProducers: (dataset: string) => NodeRef[] = () => [];

  constructor(pipeline: string, options: LineageOptions = {}) {
    this.pipeline = pipeline;
    this.maxVersions = options.maxVersionsPerNode ?? DEFAULT_MAX_VERSIONS_PER_NODE;
    this.maxIntervals = options.maxIntervalsPerEdge ?? DEFAULT_MAX_INTERVALS_PER_EDGE;
  }

  /** Applies one run's report; returns the lineage changes it caused (new node, edges added or removed). */
  apply(report: Report): LineageChange[] {
    const at = Date.parse(report.event_time);
    const target: NodeRef = { pipeline: report.pipeline, node: report.node };
    const tkey = nodeKey(target);
    const changes: LineageChange[] = [];
    const outputs = (report.outputs ?? []).map((o) => o.dataset);
    const inputs = (report.inputs ?? []).map((i) => i.dataset);
    const declared = this.declared.get(tkey);

    let info = this.nodes.get(tkey);
    if (!info) {
      info = { ref: target, firstSeen: at, lastSeen: at, outputs: [], inputs: [], versions: [] };
      this.nodes.set(tkey, info);
      changes.push({ kind: 'node_added', at, target, run_id: report.run_id });
    }
    info.firstSeen = Math.min(info.firstSeen, at);
    info.lastSeen = Math.max(info.lastSeen, at);

    // Versions: a new entry whenever code, data version, params or output schema change.
    const fingerprints = (report.outputs ?? []).map((o) => o.profile?.schema_fingerprint ?? '').filter((f) => f !== '');
    const version: NodeVersion = { since: at, run_id: report.run_id };
    const last = info.versions[info.versions.length - 1];
    // A run that states no schema (no statistics) did not change it: the last known fingerprints stand.
    if (fingerprints.length === 0 && last?.schema_fingerprints !== undefined)
      fingerprints.push(...last.schema_fingerprints);
    if (report.code_version !== undefined) version.code_version = report.code_version;
    if (report.data_version !== undefined) version.data_version = report.data_version;
    if (report.params !== undefined) version.params = report.params;
    if (fingerprints.length > 0) version.schema_fingerprints = fingerprints;
    if (
      !last ||
      last.code_version !== version.code_version ||
      !sameJson(last.params, version.params) ||
      !sameJson(last.schema_fingerprints, version.schema_fingerprints)
    ) {
      // A new entry when what produces the data changes; a data_version that changes every run is
      // normal and lives in the run history, not here.
      info.versions.push(version);
      if (info.versions.length > this.maxVersions) info.versions.splice(0, info.versions.length - this.maxVersions);
    }

    // Datasets written: this node becomes (one of) their producers (declared outputs stay its own).
    const written = new Set([...outputs, ...(declared?.outputs ?? [])]);
    for (const ds of info.outputs) {
      if (!written.has(ds)) this.producers.get(ds)?.delete(tkey);
    }
    for (const ds of written) this.addProducer(ds, tkey);
    info.outputs = outputs;
    info.inputs = inputs;

    // The sources this run read from.
    const sources = new Map<string, { ref: NodeRef; via: EdgeVia; datasets: Set<string> }>();
    for (const up of report.upstream ?? []) {
      const ref: NodeRef = { pipeline: up.pipeline ?? report.pipeline, node: up.node };
      const k = nodeKey(ref);
      if (k === tkey) continue;
      sources.set(k, { ref, via: 'upstream', datasets: new Set() });
    }
    this.datasetSources(tkey, [...new Set([...inputs, ...(declared?.inputs ?? [])])], sources);

    // Edges into this node: open the new ones, close the ones this run no longer has.
    this.openEdges(target, tkey, sources, at, report.run_id, changes);
    for (const [ek, edge] of this.edges) {
      if (nodeKey(edge.target) !== tkey) continue;
      const skey = ek.slice(0, ek.indexOf('\u001e'));
      const open = edge.intervals[edge.intervals.length - 1];
      if (open && open.to === undefined && !sources.has(skey)) {
        open.to = at;
        changes.push({ kind: 'edge_removed', at, source: edge.source, target, via: edge.via, run_id: report.run_id });
      }
    }
    return changes;
  }

  private addProducer(ds: string, tkey: string): void {
    let set = this.producers.get(ds);
    if (!set) this.producers.set(ds, (set = new Set()));
    set.add(tkey);
  }

  /** The nodes that write `inputs` (local ones, else other pipelines'), as sources of `tkey`. */
  private datasetSources(
    tkey: string,
    inputs: readonly string[],
    sources: Map<string, { ref: NodeRef; via: EdgeVia; datasets: Set<string> }>,
  ): void {
    for (const ds of inputs) {
      const local = [...(this.producers.get(ds) ?? [])].map(parseNodeKey);
      const refs = local.length > 0 ? local : this.externalProducers(ds);
      for (const ref of refs) {
        const k = nodeKey(ref);
        if (k === tkey) continue;
        const s = sources.get(k);
        if (s) s.datasets.add(ds);
        else sources.set(k, { ref, via: 'dataset', datasets: new Set([ds]) });
      }
    }
  }

  /**
   * Lineage without a run (an OpenLineage JobEvent or DatasetEvent): the node reads `inputs` and writes
   * `outputs` from now on, on top of what its runs read and write. `replace`: the declaration is the node's whole
   * declared lineage (a JobEvent); otherwise it adds to it (a DatasetEvent naming what a dataset is derived
   * from). Edges it implies are opened (none closed: the node's next run recomputes its edges with it).
   */
  declare(
    ref: NodeRef,
    inputs: readonly string[],
    outputs: readonly string[],
    at: number,
    replace: boolean,
  ): LineageChange[] {
    const tkey = nodeKey(ref);
    const changes: LineageChange[] = [];
    let info = this.nodes.get(tkey);
    if (!info) {
      info = { ref, firstSeen: at, lastSeen: at, outputs: [], inputs: [], versions: [] };
      this.nodes.set(tkey, info);
      changes.push({ kind: 'node_added', at, target: ref, run_id: '' });
    }
    const prev = this.declared.get(tkey) ?? { inputs: [], outputs: [] };
    const cap = (xs: string[]) => [...new Set(xs)].slice(-MAX_DECLARED_DATASETS);
    const next = replace
      ? { inputs: cap([...inputs]), outputs: cap([...outputs]) }
      : { inputs: cap([...prev.inputs, ...inputs]), outputs: cap([...prev.outputs, ...outputs]) };
    const kept = new Set([...next.outputs, ...info.outputs]);
    for (const ds of prev.outputs) if (!kept.has(ds)) this.producers.get(ds)?.delete(tkey);
    for (const ds of next.outputs) this.addProducer(ds, tkey);
    if (next.inputs.length === 0 && next.outputs.length === 0) this.declared.delete(tkey);
    else this.declared.set(tkey, next);
    const sources = new Map<string, { ref: NodeRef; via: EdgeVia; datasets: Set<string> }>();
    this.datasetSources(tkey, next.inputs, sources);
    this.openEdges(ref, tkey, sources, at, '', changes);
    // Nodes that read what this one now declares it writes: edges from it.
    for (const n of this.nodes.values()) {
      const nkey = nodeKey(n.ref);
      if (nkey === tkey) continue;
      const reads = [...n.inputs, ...(this.declared.get(nkey)?.inputs ?? [])].filter((ds) => next.outputs.includes(ds));
      if (reads.length === 0) continue;
      this.openEdges(
        n.ref,
        nkey,
        new Map([[tkey, { ref, via: 'dataset', datasets: new Set(reads) }]]),
        at,
        '',
        changes,
      );
    }
    return changes;
  }

  /** The lineage a node declared without a run (JobEvent, DatasetEvent), if any. */
  declaredOf(ref: NodeRef): { inputs: string[]; outputs: string[] } | undefined {
    return this.declared.get(nodeKey(ref));
  }

  /** Opens the edges from `sources` into `target` that are not open (a run's or a declaration's). */
  private openEdges(
    target: NodeRef,
    tkey: string,
    sources: Map<string, { ref: NodeRef; via: EdgeVia; datasets: Set<string> }>,
    at: number,
    runId: string,
    changes: LineageChange[],
  ): void {
    for (const [skey, s] of sources) {
      const ek = `${skey}\u001e${tkey}`;
      let edge = this.edges.get(ek);
      if (!edge) {
        edge = { source: s.ref, target, via: s.via, datasets: [...s.datasets].sort(), intervals: [] };
        this.edges.set(ek, edge);
      } else {
        edge.datasets = [...new Set([...edge.datasets, ...s.datasets])].sort();
        if (s.via === 'upstream') edge.via = 'upstream';
      }
      const open = edge.intervals[edge.intervals.length - 1];
      if (!open || open.to !== undefined) {
        edge.intervals.push({ from: at });
        if (edge.intervals.length > this.maxIntervals)
          edge.intervals.splice(0, edge.intervals.length - this.maxIntervals);
        changes.push({ kind: 'edge_added', at, source: s.ref, target, via: edge.via, run_id: runId });
      }
    }
  }

  /** The nodes of this pipeline whose latest run wrote `dataset`. */
  producersOf(dataset: string): NodeRef[] {
    return [...(this.producers.get(dataset) ?? [])].map(parseNodeKey);
  }

  node(ref: NodeRef | string): NodeInfo | undefined {
    return this.nodes.get(typeof ref === 'string' ? nodeKey({ pipeline: this.pipeline, node: ref }) : nodeKey(ref));
  }

  allNodes(): NodeInfo[] {
    return [...this.nodes.values()];
  }

  allEdges(): Edge[] {
    return [...this.edges.values()];
  }

  /** Whether an edge is alive at time `at` (ms); `undefined` means now. */
  static edgeAlive(edge: Edge, at?: number): boolean {
    return edge.intervals.some((iv) =>
      at === undefined ? iv.to === undefined : iv.from <= at && (iv.to === undefined || at < iv.to),
    );
  }

  /** The direct upstream nodes of `ref` at time `at` (default: now). */
  parents(ref: NodeRef, at?: number): Edge[] {
    const k = nodeKey(ref);
    return this.allEdges().filter((e) => nodeKey(e.target) === k && PipelineGraph.edgeAlive(e, at));
  }

  /** The direct downstream nodes of `ref` at time `at` (default: now). */
  children(ref: NodeRef, at?: number): Edge[] {
    const k = nodeKey(ref);
    return this.allEdges().filter((e) => nodeKey(e.source) === k && PipelineGraph.edgeAlive(e, at));
  }

  /** Every node reachable downstream of `ref` (its blast radius), nearest first. */
  descendants(ref: NodeRef, at?: number): NodeRef[] {
    return this.walk(ref, at, (r, t) => this.children(r, t).map((e) => e.target));
  }

  /** Every node reachable upstream of `ref`, nearest first. */
  ancestors(ref: NodeRef, at?: number): NodeRef[] {
    return this.walk(ref, at, (r, t) => this.parents(r, t).map((e) => e.source));
  }

  private walk(ref: NodeRef, at: number | undefined, next: (r: NodeRef, at?: number) => NodeRef[]): NodeRef[] {
    const seen = new Set([nodeKey(ref)]);
    const out: NodeRef[] = [];
    let frontier = [ref];
    while (frontier.length > 0) {
      const following: NodeRef[] = [];
      for (const r of frontier) {
        for (const n of next(r, at)) {
          const k = nodeKey(n);
          if (seen.has(k)) continue;
          seen.add(k);
          out.push(n);
          following.push(n);
        }
      }
      frontier = following;
    }
    return out;
  }

  /** The versions of a node in force at time `at` (default: the latest). */
  versionAt(ref: NodeRef | string, at?: number): NodeVersion | undefined {
    const info = this.node(ref);
    if (!info) return undefined;
    if (at === undefined) return info.versions[info.versions.length - 1];
    let found: NodeVersion | undefined;
    for (const v of info.versions) {
      if (v.since <= at) found = v;
      else break;
    }
    return found;
  }

  /** The graph as it stood at time `at` (ms): nodes first seen by then, edges alive then. */
  snapshot(at?: number): GraphSnapshot {
    const nodes = this.allNodes()
      .filter((n) => at === undefined || n.firstSeen <= at)
      .map((n) => n.ref);
    const edges = this.allEdges()
      .filter((e) => PipelineGraph.edgeAlive(e, at))
      .map((e) => ({ source: e.source, target: e.target, via: e.via, datasets: e.datasets }));
    return { nodes, edges };
  }

  /** Every lineage change recorded in the edges' lifetimes, oldest first. */
  history(): LineageChange[] {
    const out: LineageChange[] = [];
    for (const e of this.edges.values()) {
      for (const iv of e.intervals) {
        out.push({ kind: 'edge_added', at: iv.from, source: e.source, target: e.target, via: e.via, run_id: '' });
        if (iv.to !== undefined)
          out.push({ kind: 'edge_removed', at: iv.to, source: e.source, target: e.target, via: e.via, run_id: '' });
      }
    }
    return out.sort((a, b) => a.at - b.at);
  }

  toJSON(): LineageState {
    const producers = Object.create(null) as Record<string, string[]>;
    // In insertion order, not sorted: the order decides the order of new edges (and so of parents and
    // RCA verdicts), and a restored graph must evolve exactly like the one that never stopped.
    for (const [ds, set] of this.producers) if (set.size > 0) producers[ds] = [...set].map((k) => parseNodeKey(k).node);
    const declared: DeclaredLineage[] = [...this.declared].map(([k, d]) => ({
      node: parseNodeKey(k).node,
      inputs: [...d.inputs],
      outputs: [...d.outputs],
    }));
    return {
      pipeline: this.pipeline,
      nodes: this.allNodes(),
      edges: this.allEdges(),
      producers,
      ...(declared.length > 0 ? { declared } : {}),
    };
  }

  static fromJSON(state: LineageState, options: LineageOptions = {}): PipelineGraph {
    const g = new PipelineGraph(state.pipeline, options);
    for (const n of state.nodes) g.nodes.set(nodeKey(n.ref), structuredClone(n));
    for (const e of state.edges) g.edges.set(edgeKey(e.source, e.target), structuredClone(e));
    for (const [ds, nodes] of Object.entries(state.producers)) {
      g.producers.set(ds, new Set(nodes.map((node) => nodeKey({ pipeline: state.pipeline, node }))));
    }
    for (const d of state.declared ?? [])
      g.declared.set(nodeKey({ pipeline: state.pipeline, node: d.node }), {
        inputs: [...d.inputs],
        outputs: [...d.outputs],
      });
    return g;
  }
}
