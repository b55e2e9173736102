import { ALL_PIPELINES, type PipelineAccess } from '../adapters/http/auth.js';
import { RootlineError } from '../errors/index.js';
import { LineageNotFound, downstreamOf, graphAt, producersOf, upstreamOf, type RunSource } from '../lineage/index.js';
import type { MonitorCore } from '../monitor/index.js';

/**
 * A run source limited to a token's pipelines: another pipeline's graph and runs are not there, so a
 * lineage walk that crosses into it names the node it reads from (an edge of the pipeline in scope)
 * but shows none of its versions, parameters, runs or findings, and goes no further.
 */
export function scopedSource(src: RunSource, access: PipelineAccess): RunSource {
  if (access === ALL_PIPELINES) return src;
  return {
    graph: (p) => (access.allows(p) ? src.graph(p) : undefined),
    runs: (ref) => (access.allows(ref.pipeline) ? src.runs(ref) : []),
  };
}

/** The lineage queries' view of a monitor core. */
export function runSource(core: MonitorCore): RunSource {
  return {
    graph: (p) => core.graph(p),
    runs: (ref) => core.node(ref)?.history ?? [],
  };
}

function parseAt(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t))
    throw new RootlineError('CONFIG_INVALID', `at=${v} is not a time (RFC 3339 or ms since the epoch)`);
  return t;
}

function need(params: URLSearchParams, name: string): string {
  const v = params.get(name);
  if (!v) throw new RootlineError('CONFIG_INVALID', `the query parameter ${name} is required`);
  return v;
}

/**
 * Answers `GET /api/v1/<path>`:
 *   pipelines
 *   lineage/upstream?pipeline=P&node=N[&at=T]     path back to the sources, versions and health at T
 *   lineage/downstream?pipeline=P&node=N[&at=T]   blast radius
 *   lineage/graph?pipeline=P[&at=T]               the graph as it stood at T
 *   lineage/runs?pipeline=P&data_version=V        which run produced V, from which inputs
 *   nodes?pipeline=P[&node=N]                     runs, healthy runs and baselines of nodes
 *   incidents[?status=open|resolved&pipeline=P]   incidents held by this instance
 *   incidents/<id>
 *   incidents/<id>/audit                          who did what to it, when, why and from where
 * An instance answers for the pipelines whose partitions it holds. `access` is the caller's pipeline
 * scope: a named pipeline outside it is FORBIDDEN (before asking whether it exists, so a scoped token
 * cannot probe other pipelines' names); lists are filtered to it.
 */
export function apiQueries(core: MonitorCore, where = 'this instance') {
  const all = runSource(core);
  return (path: string, params: URLSearchParams, access: PipelineAccess = ALL_PIPELINES): Promise<unknown> => {
    const src = scopedSource(all, access);
    try {
      const allowed = (p: string) => {
        if (!access.allows(p))
          throw new RootlineError('FORBIDDEN', `this token's pipeline scope does not cover pipeline ${p}`);
        return p;
      };
      const pipelineParam = () => {
        const p = allowed(need(params, 'pipeline'));
        if (!core.graph(p))
          throw new RootlineError(
            'NOT_FOUND',
            `pipeline ${p} is not known to ${where} (with several instances, each holds the pipelines of its partitions)`,
          );
        return p;
      };
      switch (path) {
        case 'pipelines':
          return Promise.resolve({ pipelines: core.pipelineNames().filter((p) => access.allows(p)) });
        case 'lineage/upstream':
          return Promise.resolve(
            upstreamOf(src, { pipeline: pipelineParam(), node: need(params, 'node') }, parseAt(params.get('at'))),
          );
        case 'lineage/downstream':
          return Promise.resolve(
            downstreamOf(src, { pipeline: pipelineParam(), node: need(params, 'node') }, parseAt(params.get('at'))),
          );
        case 'lineage/graph':
          return Promise.resolve(graphAt(src, pipelineParam(), parseAt(params.get('at'))));
        case 'lineage/runs':
          return Promise.resolve(producersOf(src, pipelineParam(), need(params, 'data_version')));
        case 'nodes': {
          const pipeline = pipelineParam();
          const only = params.get('node');
          const nodes = core
            .nodes(pipeline)
            .filter((n) => only === null || n.node === only)
            .map((n) => ({
              node: n.node,
              runs: n.runs,
              healthy_runs: n.healthy_runs,
              last_event_time: new Date(n.last_event_time).toISOString(),
              outputs: Object.values(n.outputs).map((b) => ({
                dataset: b.dataset,
                healthy_runs: b.healthy_runs,
                row_counts: b.row_counts,
                schema_fingerprint: b.schema?.fingerprint ?? null,
                baseline_slots: b.slot_count,
              })),
              last_run:
                n.history.length > 0
                  ? {
                      ...n.history[n.history.length - 1]!,
                      event_time: new Date(n.history[n.history.length - 1]!.event_time).toISOString(),
                    }
                  : null,
            }));
          if (only !== null && nodes.length === 0)
            throw new RootlineError('NOT_FOUND', `no node ${only} in pipeline ${pipeline}`);
          return Promise.resolve({ pipeline, nodes });
        }
        case 'incidents': {
          const status = params.get('status');
          if (status !== null && status !== 'open' && status !== 'resolved')
            throw new RootlineError('CONFIG_INVALID', 'status must be open or resolved');
          const pipeline = params.get('pipeline');
          if (pipeline) allowed(pipeline);
          return Promise.resolve({
            incidents: core
              .incidents({ ...(status ? { status } : {}), ...(pipeline ? { pipeline } : {}) })
              .filter((i) => access.allows(i.pipeline)),
          });
        }
        default: {
          const audit = /^incidents\/([^/]+)\/audit$/.exec(path);
          if (audit) {
            const id = decodeURIComponent(audit[1]!);
            const inc = core.incidents().find((i) => i.incident_id === id);
            if (!inc || !access.allows(inc.pipeline))
              throw new RootlineError('NOT_FOUND', `no incident ${id} on ${where}`);
            return Promise.resolve({
              incident_id: inc.incident_id,
              pipeline: inc.pipeline,
              status: inc.status,
              audit: inc.audit ?? [],
            });
          }
          if (path.startsWith('incidents/')) {
            const id = decodeURIComponent(path.slice('incidents/'.length));
            const inc = core.incidents().find((i) => i.incident_id === id);
            if (!inc || !access.allows(inc.pipeline))
              throw new RootlineError('NOT_FOUND', `no incident ${id} on ${where}`);
            return Promise.resolve(inc);
          }
          throw new RootlineError('NOT_FOUND', `no API endpoint /api/v1/${path}`);
        }
      }
    } catch (err: unknown) {
      if (err instanceof LineageNotFound) return Promise.reject(new RootlineError('NOT_FOUND', err.message));
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  };
}
