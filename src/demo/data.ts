import type { MonitorCore } from '../monitor/index.js';
import type { SimDag } from '../sim/index.js';
import type { NodeHealth, ReportData } from './html.js';

/**
 * Collects the report's data from a monitor core after a run: health per node and run from the run
 * histories (culprit / symptom from the incidents), row counts from the runs, null ratios from the
 * given lookup (the in-process point store, or InfluxDB).
 */
export function reportData(opts: {
  core: MonitorCore;
  dag: SimDag;
  runs: number;
  column: string;
  nullRatio: (node: string, runId: string) => number | null;
  mode: string;
}): ReportData {
  const { core, dag } = opts;
  const incidents = core.incidents({ pipeline: dag.pipeline });
  const culpritOf = new Map(incidents.map((i) => [i.incident_id, i.culprit]));
  const nodes = dag.nodes.map((n) => n.name);
  const health: Record<string, NodeHealth[]> = {};
  const rowCounts: Record<string, (number | null)[]> = {};
  const nullRatios: Record<string, (number | null)[]> = {};
  const runIds: string[] = [];
  for (const n of nodes) {
    const hist = core.node({ pipeline: dag.pipeline, node: n })?.history ?? [];
    const byIndex = new Map(hist.map((h) => [h.seq, h]));
    health[n] = [];
    rowCounts[n] = [];
    nullRatios[n] = [];
    for (let r = 0; r < opts.runs; r++) {
      const h = byIndex.get(r);
      if (h && runIds[r] === undefined) runIds[r] = h.run_id;
      let state: NodeHealth = 'none';
      if (h)
        state = h.healthy
          ? 'healthy'
          : h.incident_id && culpritOf.get(h.incident_id) === n
            ? 'culprit'
            : h.incident_id
              ? 'symptom'
              : 'unhealthy';
      health[n].push(state);
      rowCounts[n].push(h?.row_count ?? null);
      nullRatios[n].push(h ? opts.nullRatio(n, h.run_id) : null);
    }
  }
  const first = incidents[0];
  const snapshotRun = first ? Math.max(0, runIds.indexOf(first.opened_run_id)) : opts.runs - 1;
  return {
    pipeline: dag.pipeline,
    generatedAt: new Date().toISOString(),
    nodes,
    edges: dag.nodes.flatMap((n) => n.parents.map((p) => ({ source: p, target: n.name }))),
    runs: Array.from({ length: opts.runs }, (_, i) => runIds[i] ?? String(i)),
    health,
    rowCounts,
    nullRatios,
    column: opts.column,
    snapshotRun,
    incidents: [],
    mode: opts.mode,
  };
}
