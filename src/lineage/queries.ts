import type { FindingBrief } from '../rules/index.js';
import { nodeKey, type NodeRef, type NodeVersion, type PipelineGraph } from './graph.js';
import type { NodeRun } from './run.js';

/**
 * Lineage questions for the people debugging, answered from the monitor's state: the path from a node
 * back to its sources (each node's versions, params and health at the time), the blast radius of a
 * node, the graph as it stood at a time, and which run produced a data_version from which inputs.
 * The same answers serve `rootline lineage ...` and `GET /api/v1/lineage/...`.
 */

/** What the queries need to know about runs (the monitor core provides it). */
export interface RunSource {
  graph(pipeline: string): PipelineGraph | undefined;
  runs(ref: NodeRef): readonly QueryRun[];
}

/** A run as the queries read it: the run type of lineage/run.ts, findings reduced to what they show. */
export type QueryRun = Pick<
  NodeRun,
  | 'run_id'
  | 'event_time'
  | 'healthy'
  | 'code_version'
  | 'data_version'
  | 'params'
  | 'upstream'
  | 'inputs'
  | 'outputs'
  | 'incident_id'
> & {
  status: string;
  findings: Pick<FindingBrief, 'metric' | 'column' | 'message' | 'severity'>[];
};

export interface NodeAtTime {
  pipeline: string;
  node: string;
  /** Hops from the node asked about (0 = itself). */
  depth: number;
  /** Its direct parents (upstream) or children (downstream) at the time. */
  next: string[];
  versions: Pick<NodeVersion, 'code_version' | 'data_version' | 'params' | 'since' | 'run_id'> | null;
  /** Its latest run at or before the time, with its health. */
  run: {
    run_id: string;
    event_time: string;
    healthy: boolean;
    status: string;
    findings: string[];
    incident_id?: string;
  } | null;
  health: 'healthy' | 'unhealthy' | 'unknown';
}

function label(ref: NodeRef, pipeline: string): string {
  return ref.pipeline === pipeline ? ref.node : `${ref.pipeline}/${ref.node}`;
}

function runAt(src: RunSource, ref: NodeRef, at: number | undefined): QueryRun | undefined {
  const runs = src.runs(ref);
  for (let i = runs.length - 1; i >= 0; i--) if (at === undefined || runs[i]!.event_time <= at) return runs[i];
  return undefined;
}

function describe(
  src: RunSource,
  ref: NodeRef,
  depth: number,
  next: NodeRef[],
  at: number | undefined,
  pipeline: string,
): NodeAtTime {
  const g = src.graph(ref.pipeline);
  const v = g?.versionAt(ref, at);
  const r = runAt(src, ref, at);
  return {
    pipeline: ref.pipeline,
    node: ref.node,
    depth,
    next: next.map((n) => label(n, pipeline)),
    versions: v
      ? {
          since: v.since,
          run_id: v.run_id,
          ...(v.code_version !== undefined ? { code_version: v.code_version } : {}),
          ...(v.data_version !== undefined ? { data_version: v.data_version } : {}),
          ...(v.params !== undefined ? { params: v.params } : {}),
        }
      : null,
    run: r
      ? {
          run_id: r.run_id,
          event_time: new Date(r.event_time).toISOString(),
          healthy: r.healthy,
          status: r.status,
          findings: r.findings.map((f) => f.message),
          ...(r.incident_id !== undefined ? { incident_id: r.incident_id } : {}),
        }
      : null,
    health: r ? (r.healthy ? 'healthy' : 'unhealthy') : 'unknown',
  };
}

export class LineageNotFound extends Error {}

function walk(src: RunSource, start: NodeRef, at: number | undefined, dir: 'up' | 'down'): NodeAtTime[] {
  const g = src.graph(start.pipeline);
  if (!g || !g.node(start)) throw new LineageNotFound(`no node ${start.node} in pipeline ${start.pipeline}`);
  const out: NodeAtTime[] = [];
  const seen = new Set<string>([nodeKey(start)]);
  let frontier: NodeRef[] = [start];
  let depth = 0;
  while (frontier.length > 0) {
    const following: NodeRef[] = [];
    for (const ref of frontier) {
      const graph = src.graph(ref.pipeline);
      const next = graph
        ? dir === 'up'
          ? graph.parents(ref, at).map((e) => e.source)
          : graph.children(ref, at).map((e) => e.target)
        : [];
      out.push(describe(src, ref, depth, next, at, start.pipeline));
      for (const n of next) {
        const k = nodeKey(n);
        if (!seen.has(k)) {
          seen.add(k);
          following.push(n);
        }
      }
    }
    frontier = following;
    depth++;
  }
  return out;
}

/** The path from a node back to its sources at time `at` (default now), nearest first. */
export function upstreamOf(
  src: RunSource,
  ref: NodeRef,
  at?: number,
): { node: string; pipeline: string; at: string | null; nodes: NodeAtTime[]; sources: string[] } {
  const nodes = walk(src, ref, at, 'up');
  return {
    pipeline: ref.pipeline,
    node: ref.node,
    at: at === undefined ? null : new Date(at).toISOString(),
    nodes,
    sources: nodes.filter((n) => n.next.length === 0).map((n) => label(n, ref.pipeline)),
  };
}

/** The blast radius: every node downstream of `ref` at time `at`, with its health then. */
export function downstreamOf(
  src: RunSource,
  ref: NodeRef,
  at?: number,
): { node: string; pipeline: string; at: string | null; nodes: NodeAtTime[]; blast_radius: string[] } {
  const nodes = walk(src, ref, at, 'down');
  return {
    pipeline: ref.pipeline,
    node: ref.node,
    at: at === undefined ? null : new Date(at).toISOString(),
    nodes,
    blast_radius: nodes.filter((n) => n.depth > 0).map((n) => label(n, ref.pipeline)),
  };
}

/** Which run(s) produced a data_version, and from which inputs (the parent runs it read). */
export function producersOf(
  src: RunSource,
  pipeline: string,
  dataVersion: string,
): {
  data_version: string;
  runs: {
    node: string;
    run_id: string;
    event_time: string;
    code_version?: string;
    params?: Record<string, unknown>;
    healthy: boolean;
    inputs: { node: string; run_id?: string; data_version?: string }[];
    datasets_read: string[];
  }[];
} {
  const g = src.graph(pipeline);
  if (!g) throw new LineageNotFound(`no pipeline ${pipeline}`);
  const runs = [];
  for (const n of g.allNodes()) {
    for (const r of src.runs(n.ref)) {
      if (r.data_version !== dataVersion) continue;
      runs.push({
        node: n.ref.node,
        run_id: r.run_id,
        event_time: new Date(r.event_time).toISOString(),
        ...(r.code_version !== undefined ? { code_version: r.code_version } : {}),
        ...(r.params !== undefined ? { params: r.params } : {}),
        healthy: r.healthy,
        inputs: r.upstream.map((u) => {
          const ur = u.run_id !== undefined ? src.runs(u).find((x) => x.run_id === u.run_id) : undefined;
          return {
            node: label(u, pipeline),
            ...(u.run_id !== undefined ? { run_id: u.run_id } : {}),
            ...(ur?.data_version !== undefined ? { data_version: ur.data_version } : {}),
          };
        }),
        datasets_read: r.inputs,
      });
    }
  }
  if (runs.length === 0)
    throw new LineageNotFound(
      `no run in pipeline ${pipeline} produced data_version ${dataVersion} (among the runs kept: monitor.runHistory)`,
    );
  return { data_version: dataVersion, runs };
}

/** The graph as it stood at `at`, with each node's health then. */
export function graphAt(
  src: RunSource,
  pipeline: string,
  at?: number,
): {
  pipeline: string;
  at: string | null;
  nodes: NodeAtTime[];
  edges: { source: string; target: string; via: string; datasets: string[] }[];
} {
  const g = src.graph(pipeline);
  if (!g) throw new LineageNotFound(`no pipeline ${pipeline}`);
  const snap = g.snapshot(at);
  return {
    pipeline,
    at: at === undefined ? null : new Date(at).toISOString(),
    nodes: snap.nodes.map((n) =>
      describe(
        src,
        n,
        0,
        g.parents(n, at).map((e) => e.source),
        at,
        pipeline,
      ),
    ),
    edges: snap.edges.map((e) => ({
      source: label(e.source, pipeline),
      target: label(e.target, pipeline),
      via: e.via,
      datasets: e.datasets,
    })),
  };
}
