import { globMatch } from '../rules/glob.js';

/**
 * How the orchestrator is asked to rerun a culprit:
 * - `clear`: clear the culprit's task instance in the DAG run that produced the bad run (Airflow reruns it
 *   and, with `reset_dag_runs`, sets the DAG run going again);
 * - `trigger`: trigger a new DAG run of the culprit's DAG, with a run id derived from the incident.
 */
export type RerunMode = 'clear' | 'trigger';

/** An explicit culprit -> Airflow task mapping (first match wins). */
export interface RerunTarget {
  /** Glob on `pipeline/node` (see docs/rules.md for the glob syntax). */
  match: string;
  dagId: string;
  taskId: string;
}

/** Rerun decisions the core makes (the dispatcher executes them against Airflow). */
export interface RerunPolicy {
  /** Ask Airflow for a dry run (the clear call with `dry_run: true`); false reruns for real. Default: a dry run. */
  dryRun: boolean;
  /** No second rerun of the same node within this many ms (event time). Default one hour. */
  cooldownMs: number;
  /** Rerun even when the root is ambiguous. Default false. */
  allowAmbiguous: boolean;
  mode: RerunMode;
  /** Mappings tried before the naming convention (see {@link airflowTaskOf}). */
  targets: readonly RerunTarget[];
  /** The parameter of the culprit's run (report `params`) holding Airflow's DAG run id. Default `dag_run_id`. */
  dagRunIdParam: string;
}

export const DEFAULT_RERUN_POLICY: RerunPolicy = {
  dryRun: true,
  cooldownMs: 3_600_000,
  allowAmbiguous: false,
  mode: 'clear',
  targets: [],
  dagRunIdParam: 'dag_run_id',
};

/**
 * The Airflow DAG and task of a culprit: the first `targets` entry whose glob matches `pipeline/node`,
 * else the OpenLineage naming Airflow uses (the pipeline is `<namespace>/<dag_id>` or the DAG, the node is
 * `<dag_id>.<task_id>`),
 * else the node name itself as the task of the pipeline's DAG.
 */
export function airflowTaskOf(
  policy: Pick<RerunPolicy, 'targets'>,
  pipeline: string,
  node: string,
): { dagId: string; taskId: string; via: string } {
  for (const t of policy.targets)
    if (globMatch(t.match, `${pipeline}/${node}`))
      return { dagId: t.dagId, taskId: t.taskId, via: `target ${t.match}` };
  // OpenLineage pipelines of Airflow tasks are `<namespace>/<dag_id>` (a DAG id holds no `/`)
  const dag = pipeline.slice(pipeline.lastIndexOf('/') + 1);
  const prefix = `${dag}.`;
  if (dag !== '' && node.startsWith(prefix) && node.length > prefix.length)
    return { dagId: dag, taskId: node.slice(prefix.length), via: 'the OpenLineage naming <dag_id>.<task_id>' };
  return { dagId: pipeline, taskId: node, via: 'the pipeline as DAG and the node as task' };
}

/**
 * Parses `rerun.targets` entries, `<glob on pipeline/node>=<dag_id>/<task_id>` (Airflow ids hold no
 * `/`). Throws an Error naming the bad entry.
 */
export function parseRerunTargets(entries: readonly string[]): RerunTarget[] {
  return entries.map((e) => {
    const eq = e.lastIndexOf('=');
    const ids = eq < 0 ? [] : e.slice(eq + 1).split('/');
    const match = eq < 0 ? '' : e.slice(0, eq).trim();
    if (match === '' || ids.length !== 2 || ids.some((x) => x.trim() === ''))
      throw new Error(`rerun target ${JSON.stringify(e)} is not <glob on pipeline/node>=<dag_id>/<task_id>`);
    return { match, dagId: ids[0]!.trim(), taskId: ids[1]!.trim() };
  });
}

/** The DAG run id a `trigger` rerun creates: derived from the incident, so a second trigger is a conflict. */
export function rerunDagRunId(incidentId: string): string {
  return `rootline__${incidentId}`;
}

/** When `node` was last rerun, per the pipeline's record. */
export function lastRerun(
  reruns: readonly { node: string; at: number }[] | undefined,
  node: string,
): number | undefined {
  return reruns?.find((r) => r.node === node)?.at;
}

/** Records a rerun of `node` at `at` (one entry per node). */
export function recordRerun(
  reruns: { node: string; at: number }[] | undefined,
  node: string,
  at: number,
): { node: string; at: number }[] {
  const out = (reruns ?? []).filter((r) => r.node !== node);
  out.push({ node, at });
  return out;
}
