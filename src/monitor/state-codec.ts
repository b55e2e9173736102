import { parseJsonDict } from '../dict.js';
import { PipelineGraph, nodeKey, parseNodeKey } from '../lineage/index.js';
import { epochFromJSON, epochToJSON, type BaselineEpoch } from './baseline-epochs.js';
import { parseStateKey, stateKey } from './state-keys.js';
import type { CandidateRun, NodeState, PipelineState, RunRecord } from './state.js';

/**
 * The state codec: the core's state as records of the compacted state topic (keys in state-keys.ts,
 * values JSON) and back. An import may be a whole snapshot or just a batch's changed records.
 */

/** One pipeline as the core holds it. */
export interface PipelineRuntime {
  state: PipelineState;
  graph: PipelineGraph;
  nodes: Map<string, NodeState>;
}

/** What the codec reads and fills: the core's pipelines and baseline epochs. */
export interface StateHost {
  pipelines: Map<string, PipelineRuntime>;
  epochs: Map<string, BaselineEpoch>;
  /** Candidate runs of the new-normal rings, by state key (`c|...`). */
  candidates: Map<string, CandidateRun>;
  runHistory: number;
  /** The pipeline's runtime, created empty when missing. */
  runtime(pipeline: string): PipelineRuntime;
  /** Connects a (re)loaded graph to the other pipelines' producers. */
  attachExternal(graph: PipelineGraph): void;
  /** Drops derived baseline caches after an import. */
  clearCache(): void;
}

/** The serialized records of the given state keys (value undefined = delete). */
export function exportState(host: StateHost, keys: Iterable<string>): { key: string; value: string | undefined }[] {
  const out: { key: string; value: string | undefined }[] = [];
  for (const key of keys) {
    const { kind, pipeline, node, pos } = parseStateKey(key);
    const rt = host.pipelines.get(pipeline ?? '');
    if (kind === 'p') {
      if (!rt) continue;
      rt.state.graph = rt.graph.toJSON();
      out.push({ key, value: JSON.stringify(rt.state) });
    } else if (kind === 'n') {
      const n = rt?.nodes.get(node ?? '');
      out.push({ key, value: n ? JSON.stringify({ ...n, history: [] }) : undefined });
    } else if (kind === 'h') {
      const n = rt?.nodes.get(node ?? '');
      const rec = n?.history.find((h) => h.seq % host.runHistory === Number(pos));
      out.push({ key, value: rec ? JSON.stringify(rec) : undefined });
    } else if (kind === 'e') {
      const ep = host.epochs.get(key);
      out.push({ key, value: ep ? epochToJSON(ep) : undefined });
    } else if (kind === 's') out.push({ key, value: undefined });
    else if (kind === 'c') {
      const c = host.candidates.get(key);
      out.push({ key, value: c ? JSON.stringify(c) : undefined });
    }
  }
  return out;
}

/** Every state key the core holds (for a full snapshot). */
export function allStateKeys(host: StateHost): string[] {
  const keys: string[] = [];
  for (const [p, rt] of host.pipelines) {
    keys.push(stateKey.pipeline(p));
    for (const [n, st] of rt.nodes) {
      keys.push(stateKey.node(p, n));
      for (const h of st.history) keys.push(stateKey.run(p, n, h.seq % host.runHistory));
    }
  }
  keys.push(...host.epochs.keys(), ...host.candidates.keys());
  return keys;
}

/** Loads state records (as exported); later records for a key replace earlier ones. */
export function importState(
  host: StateHost,
  records: Iterable<{ key: string; value: string | undefined | null }>,
): void {
  const runs = new Map<string, Map<string, RunRecord | null>>(); // node key -> ring position -> run (null: deleted)
  for (const { key, value } of records) {
    const { kind, pipeline, node, pos } = parseStateKey(key);
    if (kind === 'e') {
      if (value) host.epochs.set(key, epochFromJSON(value));
      else host.epochs.delete(key);
      continue;
    }
    // A baseline slot of state written before the epochs: its distributions are learned again.
    if (kind === 's') continue;
    if (kind === 'c') {
      if (value) host.candidates.set(key, parseJsonDict(value) as CandidateRun);
      else host.candidates.delete(key);
      continue;
    }
    if (!pipeline) continue;
    if (kind === 'h' && node !== undefined && pos !== undefined) {
      const nk = nodeKey({ pipeline, node });
      let m = runs.get(nk);
      if (!m) runs.set(nk, (m = new Map<string, RunRecord | null>()));
      m.set(pos, value ? (parseJsonDict(value) as RunRecord) : null);
      continue;
    }
    const rt = host.runtime(pipeline);
    if (kind === 'p' && value) {
      const st = parseJsonDict(value) as PipelineState;
      rt.state = st;
      rt.graph = PipelineGraph.fromJSON(st.graph);
      host.attachExternal(rt.graph);
    } else if (kind === 'n' && node !== undefined) {
      if (value) {
        // The history lives in its own records: a node record alone keeps the runs already held.
        const st = parseJsonDict(value) as NodeState;
        st.history = rt.nodes.get(node)?.history ?? [];
        rt.nodes.set(node, st);
      } else rt.nodes.delete(node);
    }
  }
  // Reassemble each node's run history: the runs held, updated by the imported ring records (an
  // import may be a whole snapshot or just a batch's changed records), oldest first, current ones only.
  for (const [nk, m] of runs) {
    const { pipeline, node } = parseNodeKey(nk);
    const st = host.pipelines.get(pipeline)?.nodes.get(node);
    if (!st) continue;
    const byPos = new Map<string, RunRecord>(st.history.map((r) => [String(r.seq % host.runHistory), r]));
    for (const [pos, r] of m) {
      if (r) byPos.set(pos, r);
      else byPos.delete(pos);
    }
    st.history = [...byPos.values()]
      .filter((r) => r.seq < st.run_seq && r.seq >= st.run_seq - host.runHistory)
      .sort((a, b) => a.seq - b.seq);
  }
  host.clearCache();
}
