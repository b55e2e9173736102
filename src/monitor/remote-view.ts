import { nodeKey, parseNodeKey, type NodeRef } from '../lineage/index.js';
import type { RunRecord } from './state.js';

/**
 * The read-only view of the runs of nodes this instance does not hold (docs/architecture.md, "Scaling
 * out"): every instance publishes each node-run it records to `rootline.health`; every instance reads that
 * topic into this view, so root-cause analysis can walk into pipelines held by other instances. It is
 * bounded: the last `runsPerNode` runs of at most `maxNodes` nodes (the least recently updated node goes
 * first). A run seen again (the same run id: its verdict was decided later and it now names its incident)
 * replaces the earlier copy.
 *
 * What it is not: a second copy of the state. It holds no baselines; RCA reads the verdicts the node's
 * owner reached (healthy or not, findings, signals, the upstream runs it read), which are final once
 * published, so reading them a little later gives the same walk.
 */
export interface RemoteRun {
  pipeline: string;
  node: string;
  run: RunRecord;
}

export interface RemoteViewOptions {
  /** Runs kept per node (default 8). */
  runsPerNode?: number;
  /** Nodes kept (default 10,000); beyond it the node updated longest ago is forgotten. */
  maxNodes?: number;
}

export const DEFAULT_REMOTE_VIEW = { runsPerNode: 8, maxNodes: 10_000 } as const;

interface ViewNode {
  ref: NodeRef;
  /** Oldest first (by event time, then arrival). */
  runs: RunRecord[];
  /** Datasets the node's latest run wrote (indexed in `producers`). */
  outputs: string[];
}

export class RemoteView {
  readonly runsPerNode: number;
  readonly maxNodes: number;
  /** By node key; Map order = least recently updated first. */
  private readonly nodes = new Map<string, ViewNode>();
  /** dataset -> node keys whose latest run wrote it. */
  private readonly producers = new Map<string, Set<string>>();
  /** Runs observed (new or replaced), for metrics. */
  observed = 0;

  constructor(options: RemoteViewOptions = {}) {
    this.runsPerNode = Math.max(1, options.runsPerNode ?? DEFAULT_REMOTE_VIEW.runsPerNode);
    this.maxNodes = Math.max(1, options.maxNodes ?? DEFAULT_REMOTE_VIEW.maxNodes);
  }

  /** Adds a node's run, or replaces the copy with the same run id. */
  observe(e: RemoteRun): void {
    const ref: NodeRef = { pipeline: e.pipeline, node: e.node };
    const k = nodeKey(ref);
    let n = this.nodes.get(k);
    if (n) this.nodes.delete(k);
    else n = { ref, runs: [], outputs: [] };
    this.nodes.set(k, n);
    this.observed += 1;
    const run = compact(e.run, n.runs[n.runs.length - 1]);
    const i = n.runs.findIndex((r) => r.run_id === run.run_id);
    if (i >= 0) n.runs[i] = run;
    else {
      let at = n.runs.length;
      while (at > 0 && n.runs[at - 1]!.event_time > run.event_time) at--;
      n.runs.splice(at, 0, run);
      if (n.runs.length > this.runsPerNode) n.runs.splice(0, n.runs.length - this.runsPerNode);
    }
    this.index(k, n);
    while (this.nodes.size > this.maxNodes) {
      const [oldest, victim] = this.nodes.entries().next().value as [string, ViewNode];
      this.nodes.delete(oldest);
      this.unindex(oldest, victim.outputs);
    }
  }

  /** The producers index follows the node's latest run's outputs. */
  private index(k: string, n: ViewNode): void {
    const latest = n.runs[n.runs.length - 1]!;
    const now = [...new Set(latest.outputs)];
    this.unindex(
      k,
      n.outputs.filter((d) => !now.includes(d)),
    );
    for (const ds of now) {
      let set = this.producers.get(ds);
      if (!set) this.producers.set(ds, (set = new Set()));
      set.add(k);
    }
    n.outputs = now;
  }

  private unindex(k: string, datasets: readonly string[]): void {
    for (const ds of datasets) {
      const set = this.producers.get(ds);
      set?.delete(k);
      if (set?.size === 0) this.producers.delete(ds);
    }
  }

  /** Whether the view knows the node at all. */
  has(ref: NodeRef): boolean {
    return this.nodes.has(nodeKey(ref));
  }

  /** The node's run with this id, if the view holds it. */
  run(ref: NodeRef, runId: string): RunRecord | undefined {
    return this.nodes.get(nodeKey(ref))?.runs.find((r) => r.run_id === runId);
  }

  /** The node's latest run at or before `at`. */
  latest(ref: NodeRef, at: number): RunRecord | undefined {
    const runs = this.nodes.get(nodeKey(ref))?.runs ?? [];
    for (let i = runs.length - 1; i >= 0; i--) if (runs[i]!.event_time <= at) return runs[i];
    return undefined;
  }

  /** The node's last healthy (or accepted) run before `at`. */
  lastHealthy(ref: NodeRef, at: number): RunRecord | undefined {
    const runs = this.nodes.get(nodeKey(ref))?.runs ?? [];
    for (let i = runs.length - 1; i >= 0; i--)
      if ((runs[i]!.healthy || runs[i]!.accepted === true) && runs[i]!.event_time < at) return runs[i];
    return undefined;
  }

  /** Nodes whose latest run wrote `dataset`. */
  producersOf(dataset: string): NodeRef[] {
    return [...(this.producers.get(dataset) ?? [])].sort().map(parseNodeKey);
  }

  /** Nodes the view holds a run of whose upstream names `ref` (its children outside this instance). */
  childrenOf(ref: NodeRef): NodeRef[] {
    const k = nodeKey(ref);
    const out: NodeRef[] = [];
    for (const [ck, n] of this.nodes) {
      const latest = n.runs[n.runs.length - 1];
      if (latest?.upstream.some((u) => nodeKey(u) === k) && ck !== k) out.push(n.ref);
    }
    return out.sort((a, b) => (nodeKey(a) < nodeKey(b) ? -1 : 1));
  }

  /** Nodes and runs held (for metrics and the bound's tests). */
  get size(): { nodes: number; runs: number } {
    let runs = 0;
    for (const n of this.nodes.values()) runs += n.runs.length;
    return { nodes: this.nodes.size, runs };
  }
}

/**
 * What the view keeps of a run: what RCA, the cause and a reader's pass-through read (its row count: the rows a
 * reader held here read from it; not the event id or data version),
 * with the column lineage and parameters shared with the node's previous run when they are the same (they
 * rarely change between runs, and they are most of a run's size).
 */
function compact(run: RunRecord, prev: RunRecord | undefined): RunRecord {
  const { event_id: _e, data_version: _d, ...kept } = run;
  const out = { ...kept, event_id: '' } as RunRecord;
  if (
    prev?.column_lineage !== undefined &&
    out.column_lineage !== undefined &&
    sameLineage(prev.column_lineage, out.column_lineage)
  )
    out.column_lineage = prev.column_lineage;
  if (
    prev?.params !== undefined &&
    out.params !== undefined &&
    JSON.stringify(prev.params) === JSON.stringify(out.params)
  )
    out.params = prev.params;
  return out;
}

function sameLineage(
  a: NonNullable<RunRecord['column_lineage']>,
  b: NonNullable<RunRecord['column_lineage']>,
): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) {
    const x = a[k]!;
    const y = Object.hasOwn(b, k) ? b[k] : undefined;
    if (!Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i]!.node !== y[i]!.node || x[i]!.column !== y[i]!.column) return false;
  }
  return true;
}

/**
 * A health-topic record as the view reads it: the run record it carries (`run`, written since
 * cross-instance RCA), else nothing usable. Returns undefined for anything malformed.
 */
export function remoteRunOf(value: unknown): RemoteRun | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  const run = o['run'] as Record<string, unknown> | undefined;
  if (typeof o['pipeline'] !== 'string' || typeof o['node'] !== 'string') return undefined;
  if (typeof run !== 'object' || run === null) return undefined;
  if (
    typeof run['run_id'] !== 'string' ||
    typeof run['event_time'] !== 'number' ||
    !Number.isFinite(run['event_time']) ||
    typeof run['healthy'] !== 'boolean' ||
    (run['status'] !== 'success' && run['status'] !== 'failed') ||
    !Array.isArray(run['upstream']) ||
    !Array.isArray(run['inputs']) ||
    !Array.isArray(run['outputs']) ||
    !Array.isArray(run['findings']) ||
    !Array.isArray(run['input_findings'])
  )
    return undefined;
  return { pipeline: o['pipeline'], node: o['node'], run: run as unknown as RunRecord };
}
