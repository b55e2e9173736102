import { ALL_PIPELINES, type PipelineAccess } from '../adapters/http/auth.js';
import type { QueryHandler } from '../adapters/http/server.js';
import type { Catalog, CatalogInput, Provenance, ProvenanceTreeNode } from '../adapters/catalog/index.js';
import { provenanceTree } from '../adapters/catalog/index.js';
import { RootlineError } from '../errors/index.js';
import { lineageHealthReport } from '../adapters/catalog/health.js';
import { ownerOf, type RuleSet } from '../rules/index.js';

/** The API paths the catalog answers (under /api/v1/). */
export const CATALOG_PATHS = [
  'lineage/provenance',
  'lineage/consumers',
  'lineage/column',
  'lineage/diff',
  'lineage/health',
] as const;

/** A time parameter: RFC 3339 or milliseconds since the epoch; undefined when absent. */
export function parseTime(v: string | null | undefined, name = 'at'): number | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t))
    throw new RootlineError('CONFIG_INVALID', `${name}=${v} is not a time (RFC 3339 or ms since the epoch)`);
  return t;
}

function need(params: URLSearchParams, name: string): string {
  const v = params.get(name);
  if (!v) throw new RootlineError('CONFIG_INVALID', `the query parameter ${name} is required`);
  return v;
}

function maxDepthOf(params: URLSearchParams): number | undefined {
  const v = params.get('max_depth');
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new RootlineError('CONFIG_INVALID', `max_depth must be an integer from 1 to 10000, got ${v}`);
  return n;
}

/**
 * A provenance answer limited to a token's pipelines: runs of other pipelines are left out and the inputs
 * that came from them name no producer (`producer_hidden`), so a scoped token learns nothing of them.
 */
export function scopedProvenance(p: Provenance, access: PipelineAccess): Provenance {
  if (access === ALL_PIPELINES) return p;
  const runs: Provenance['runs'] = Object.create(null) as Provenance['runs'];
  for (const [id, r] of Object.entries(p.runs)) if (access.allows(r.pipeline)) runs[Number(id)] = r;
  for (const r of Object.values(runs))
    r.inputs = r.inputs.map((i) =>
      i.producer !== null && runs[i.producer] === undefined ? { ...i, producer: null, producer_hidden: true } : i,
    );
  const root = p.root !== undefined && runs[p.root] !== undefined ? p.root : undefined;
  // The sources are those the visible runs read; what is behind a hidden producer stays hidden.
  const sources = new Map<string, CatalogInput>();
  for (const r of Object.values(runs))
    for (const i of r.inputs)
      if (i.producer === null && !('producer_hidden' in i)) {
        const { producer: _producer, ...input } = i;
        sources.set(JSON.stringify([input.dataset, input.content_hash, input.version]), input);
      }
  return {
    ...p,
    root,
    runs,
    sources: root === undefined ? [] : [...sources.values()].sort((a, b) => a.dataset.localeCompare(b.dataset)),
  };
}

/**
 * Answers the catalog's queries (`GET /api/v1/<path>`, the read role), every one with `at` (RFC 3339 or ms;
 * default now) for time travel:
 *   lineage/provenance?key=K[&at=T][&max_depth=N]   the run that produced a content hash, output version or
 *                                                   data_version, and recursively every run and input behind it
 *                                                   (`provenance`, a DAG by run id, and `tree`)
 *   lineage/consumers?key=K[&at=T][&max_depth=N]    every run downstream that read it
 *   lineage/column?node=N&column=C[&pipeline=P][&at=T]   the column's sources through column lineage
 *   lineage/diff?pipeline=P&node=N&a=RUN&b=RUN[&b_node=N2][&at=T]   what differs between two runs
 *   lineage/health[?at=T][&since=T0]                lineage health: coverage, gaps, orphans (nodes without an owner
 *                                                   in `rules`), lineage changes in [since, at] (default 7 days)
 * Returns undefined for any other path. `access` limits answers to a token's pipelines.
 */
export function catalogQueries(catalog: Catalog, options: { rules?: () => RuleSet } = {}) {
  return async (path: string, params: URLSearchParams, access: PipelineAccess = ALL_PIPELINES): Promise<unknown> => {
    const at = parseTime(params.get('at'));
    const maxDepth = maxDepthOf(params);
    const opts = { ...(at !== undefined ? { at } : {}), ...(maxDepth !== undefined ? { maxDepth } : {}) };
    const allowed = (p: string) => {
      if (!access.allows(p))
        throw new RootlineError('FORBIDDEN', `this token's pipeline scope does not cover pipeline ${p}`);
      return p;
    };
    switch (path) {
      case 'lineage/provenance': {
        const key = need(params, 'key');
        const p = scopedProvenance(await catalog.provenance(key, opts), access);
        if (p.root === undefined)
          throw new RootlineError(
            'NOT_FOUND',
            `no stored run produced ${key}${at ? ` by ${new Date(at).toISOString()}` : ''}`,
          );
        return { provenance: p, tree: provenanceTree(p) };
      }
      case 'lineage/consumers': {
        const key = need(params, 'key');
        const consumers = (await catalog.consumers(key, opts)).filter((c) => access.allows(c.run.pipeline));
        return { key, at: new Date(at ?? Date.now()).toISOString(), consumers };
      }
      case 'lineage/column': {
        const pipeline = params.get('pipeline') ?? undefined;
        if (pipeline !== undefined) allowed(pipeline);
        const target = {
          node: need(params, 'node'),
          column: need(params, 'column'),
          ...(pipeline ? { pipeline } : {}),
        };
        const steps = (await catalog.columnSources(target, opts)).filter((s) => access.allows(s.pipeline));
        if (steps.length === 0)
          throw new RootlineError(
            'NOT_FOUND',
            `no stored run of ${target.node} has column lineage for ${target.column}`,
          );
        return { ...target, at: new Date(at ?? Date.now()).toISOString(), steps };
      }
      case 'lineage/diff': {
        const pipeline = allowed(need(params, 'pipeline'));
        const node = need(params, 'node');
        const a = { pipeline, node, run_id: need(params, 'a') };
        const b = { pipeline, node: params.get('b_node') ?? node, run_id: need(params, 'b') };
        const diff = await catalog.diffRuns(a, b);
        if (at !== undefined)
          for (const r of [diff.a, diff.b])
            if (r.event_time > at)
              throw new RootlineError(
                'NOT_FOUND',
                `run ${r.node}/${r.run_id} came after ${new Date(at).toISOString()}`,
              );
        return diff;
      }
      case 'lineage/health': {
        if (access !== ALL_PIPELINES)
          throw new RootlineError(
            'FORBIDDEN',
            'lineage health covers every pipeline: it needs a token without a pipeline scope',
          );
        const since = parseTime(params.get('since'), 'since');
        const rules = options.rules?.();
        return lineageHealthReport(catalog.sql, {
          ...(at !== undefined ? { at } : {}),
          ...(since !== undefined ? { since } : {}),
          ...(rules ? { ownerOf: (t: { pipeline: string; node: string }) => ownerOf(rules, t)?.team } : {}),
        });
      }
      default:
        return undefined;
    }
  };
}

/** The monitor's queries with the catalog's in front: catalog paths go to the catalog, the rest to `core`. */
export function withCatalogQueries(
  core: QueryHandler,
  catalog: Catalog | undefined,
  rules?: () => RuleSet,
): QueryHandler {
  if (!catalog) return core;
  const cat = catalogQueries(catalog, rules ? { rules } : {});
  const paths = new Set<string>(CATALOG_PATHS);
  return (path, params, access) => (paths.has(path) ? cat(path, params, access) : core(path, params, access));
}

/** A provenance tree as indented text: each run with its versions and params, each input with its hash. */
export function provenanceText(tree: ProvenanceTreeNode): string {
  const lines: string[] = [];
  const walk = (n: ProvenanceTreeNode, depth: number) => {
    const pad = '  '.repeat(depth);
    const r = n.run;
    const versions = [
      r.code_version && `code ${r.code_version}`,
      r.data_version && `data ${r.data_version}`,
      r.params && Object.keys(r.params).length > 0 && `params ${JSON.stringify(r.params)}`,
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(
      `${pad}${r.pipeline}/${r.node} run ${r.run_id} at ${new Date(r.event_time).toISOString()} [${r.healthy ? 'healthy' : 'UNHEALTHY'}, ${r.status}]${versions ? `  ${versions}` : ''}`,
    );
    for (const o of r.outputs)
      lines.push(`${pad}  wrote ${o.dataset}  ${o.content_hash ?? ''}${o.version ? ` version ${o.version}` : ''}`);
    for (const i of n.inputs) {
      const id = `${i.dataset}  ${i.content_hash ?? ''}${i.version ? ` version ${i.version}` : ''}`;
      if (i.producer === null) lines.push(`${pad}  read ${id}  (source)`);
      else if ('ref' in i.producer) lines.push(`${pad}  read ${id}  (from run #${i.producer.ref}, shown above)`);
      else {
        lines.push(`${pad}  read ${id}  from:`);
        walk(i.producer, depth + 2);
      }
    }
  };
  walk(tree, 0);
  return lines.join('\n');
}
