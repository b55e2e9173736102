import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { parseReport } from '../contract/index.js';
import { RootlineError, errorMessage } from '../errors/index.js';
import { apiQueries } from '../service/api.js';
import type { NodeAtTime } from '../lineage/index.js';
import { MonitorCore } from '../monitor/index.js';
import { DEFAULT_RULES_DIR, loadRules } from '../rules/index.js';
import type {
  ColumnSource,
  Consumer,
  LineageHealthReport,
  Provenance,
  ProvenanceTreeNode,
  RunDiff,
} from '../adapters/catalog/index.js';
import { catalogQueries, provenanceText } from '../service/catalog-api.js';
import { openCatalog } from '../service/catalog.js';
import { catalogUrlArg } from './replay.js';

const CATALOG_COMMANDS = ['provenance', 'consumers', 'column', 'diff', 'health'];

const USAGE = `usage: rootline lineage upstream|downstream NODE --pipeline P [--at TIME] [--url URL [--token T] | --from FILE.jsonl] [--json]
       rootline lineage graph --pipeline P [--at TIME] [...]
       rootline lineage runs --pipeline P --data-version V [...]
       rootline lineage provenance KEY [--at TIME] [--max-depth N] [--json] [--url URL [--token T] | --catalog URL]
       rootline lineage consumers KEY [--at TIME] [--max-depth N] [...]
       rootline lineage column NODE.COLUMN [--pipeline P] [--at TIME] [...]
       rootline lineage diff RUN_A RUN_B --pipeline P --node N [--b-node N2] [--at TIME] [...]
       rootline lineage health [--at TIME] [--since TIME] [--rules DIR] [...]

upstream:   the path from NODE back to its sources, with each node's versions, params and health at TIME
downstream: NODE's blast radius (every node downstream of it) and their health at TIME
graph:      the pipeline's graph as it stood at TIME
runs:       which run produced a data_version, and from which inputs
provenance: from the provenance catalog: the run that produced KEY (a content hash, an output version or a
            data_version) and, recursively, every input hash and version, parameter and code version behind it
consumers:  every run downstream that read KEY (directly or through what was made from it)
column:     the column's sources through column lineage, hop by hop
diff:       what differs between two runs of a node: inputs, versions, params, schema, metrics
health:     lineage health of the catalog: coverage (nodes that report, datasets with a known producer), gaps
            (expected runs that never came), orphans (datasets read never produced, produced never read, nodes
            without an owner in the rules) and lineage changes (an upstream edge appearing or disappearing: info)
            between --since (default 7 days before TIME) and TIME

Answers come from a running monitor's HTTP API (--url, default $ROOTLINE_URL or http://127.0.0.1:8080),
or from a file of reports replayed offline (--from); the catalog queries read a catalog directly with --catalog
(postgres://..., pglite:DIR, or a bare folder: the embedded catalog rootline replay --catalog wrote). TIME is
RFC 3339 (default: now). A monitor with
access control needs a token with the read role: --token T or $ROOTLINE_HTTP_TOKEN (sent as
Authorization: Bearer T).`;

async function offlineCore(file: string, rules: string): Promise<MonitorCore> {
  const core = new MonitorCore({ rules: loadRules(rules) });
  const stream = createReadStream(file, { encoding: 'utf8' });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err) =>
      reject(new RootlineError('FILE_INVALID', `cannot read ${file}: ${err.message}`, { cause: err })),
    );
  });
  let n = 0;
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    n++;
    if (line.trim() === '') continue;
    const r = parseReport(line, { unknownKeys: 'allow' });
    if (r.ok) core.processReport(r.report);
    else process.stderr.write(`${file}:${n}: skipped an invalid report\n`);
  }
  return core;
}

function printNodes(nodes: NodeAtTime[], dir: 'upstream' | 'downstream'): void {
  for (const n of nodes) {
    const v = n.versions;
    const versions = v
      ? [
          v.code_version && `code ${v.code_version}`,
          v.data_version && `data ${v.data_version}`,
          v.params && `params ${JSON.stringify(v.params)}`,
        ]
          .filter(Boolean)
          .join(', ')
      : 'no versions seen';
    const health =
      n.health === 'healthy'
        ? 'healthy'
        : n.health === 'unhealthy'
          ? `UNHEALTHY${n.run?.incident_id ? ` (${n.run.incident_id})` : ''}`
          : 'unknown';
    process.stdout.write(
      `${'  '.repeat(n.depth)}${n.node}  [${health}]  ${n.run ? `run ${n.run.run_id}` : 'no run'}  ${versions}\n`,
    );
    for (const f of n.run?.findings ?? []) process.stdout.write(`${'  '.repeat(n.depth)}  ! ${f}\n`);
    if (n.next.length > 0)
      process.stdout.write(
        `${'  '.repeat(n.depth)}  ${dir === 'upstream' ? 'reads' : 'feeds'}: ${n.next.join(', ')}\n`,
      );
  }
}

export async function lineageCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      pipeline: { type: 'string' },
      at: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      from: { type: 'string' },
      rules: { type: 'string', default: DEFAULT_RULES_DIR },
      'data-version': { type: 'string' },
      catalog: { type: 'string' },
      'catalog-schema': { type: 'string' },
      'max-depth': { type: 'string' },
      node: { type: 'string' },
      'b-node': { type: 'string' },
      since: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [what, node] = positionals;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (what && CATALOG_COMMANDS.includes(what)) return catalogCommand(what, positionals.slice(1), values);
  if (
    !what ||
    !['upstream', 'downstream', 'graph', 'runs'].includes(what) ||
    !values.pipeline ||
    ((what === 'upstream' || what === 'downstream') && !node) ||
    (what === 'runs' && !values['data-version'])
  ) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const params = new URLSearchParams({ pipeline: values.pipeline });
  if (node) params.set('node', node);
  if (values.at) params.set('at', values.at);
  if (values['data-version']) params.set('data_version', values['data-version']);
  const path = `lineage/${what}`;
  let answer: unknown;
  if (values.from) {
    const core = await offlineCore(values.from, values.rules);
    answer = await apiQueries(core, values.from)(path, params);
  } else {
    answer = await fetchApi(values.url, values.token, path, params);
  }
  if (values.json || what === 'runs') {
    process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    return 0;
  }
  const a = answer as {
    nodes: NodeAtTime[];
    sources?: string[];
    blast_radius?: string[];
    edges?: { source: string; target: string }[];
    at: string | null;
  };
  process.stdout.write(`pipeline ${values.pipeline}${node ? `, ${what} of ${node}` : ''}, as of ${a.at ?? 'now'}\n`);
  if (what === 'graph') {
    for (const n of a.nodes) process.stdout.write(`${n.node}  [${n.health}]\n`);
    for (const e of a.edges ?? []) process.stdout.write(`  ${e.source} -> ${e.target}\n`);
    return 0;
  }
  printNodes(a.nodes, what as 'upstream' | 'downstream');
  if (a.sources) process.stdout.write(`sources: ${a.sources.join(', ') || 'none'}\n`);
  if (a.blast_radius)
    process.stdout.write(
      `blast radius: ${a.blast_radius.length} node(s)${a.blast_radius.length ? `: ${a.blast_radius.join(', ')}` : ''}\n`,
    );
  return 0;
}

/** `GET /api/v1/<path>` of a running monitor (`url`, default $ROOTLINE_URL or http://127.0.0.1:8080). */
async function fetchApi(
  url: string | undefined,
  tokenArg: string | undefined,
  path: string,
  params: URLSearchParams,
): Promise<unknown> {
  const base = url ?? process.env.ROOTLINE_URL ?? 'http://127.0.0.1:8080';
  let res: Response;
  try {
    const token = tokenArg ?? process.env.ROOTLINE_HTTP_TOKEN;
    res = await fetch(`${base.replace(/\/$/, '')}/api/v1/${path}?${params.toString()}`, {
      signal: AbortSignal.timeout(15_000),
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });
  } catch (err: unknown) {
    throw new RootlineError(
      'SERVICE_UNAVAILABLE',
      `cannot reach the monitor at ${base} (${errorMessage(err)}); start it, or pass --url, or --from FILE.jsonl (--catalog URL for the catalog queries) to answer offline`,
      { retriable: true },
    );
  }
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok)
    throw new RootlineError(
      res.status === 404 ? 'NOT_FOUND' : res.status === 401 || res.status === 403 ? 'FORBIDDEN' : 'CONFIG_INVALID',
      `${base}: ${body.error ?? `HTTP ${res.status}`}`,
    );
  return body;
}

interface CatalogCommandValues {
  at?: string | undefined;
  url?: string | undefined;
  token?: string | undefined;
  catalog?: string | undefined;
  'catalog-schema'?: string | undefined;
  'max-depth'?: string | undefined;
  pipeline?: string | undefined;
  node?: string | undefined;
  'b-node'?: string | undefined;
  since?: string | undefined;
  rules?: string | undefined;
  json: boolean;
}

/** The catalog queries: parameters from the command line, answers from the catalog (--catalog) or the API. */
async function catalogCommand(what: string, args: string[], values: CatalogCommandValues): Promise<number> {
  const params = new URLSearchParams();
  const usage = () => {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  };
  if (what === 'provenance' || what === 'consumers') {
    if (args.length !== 1) return usage();
    params.set('key', args[0]!);
  } else if (what === 'column') {
    const spec = args[0] ?? '';
    const dot = spec.indexOf('.');
    if (args.length !== 1 || dot <= 0 || dot === spec.length - 1) return usage();
    params.set('node', spec.slice(0, dot));
    params.set('column', spec.slice(dot + 1));
    if (values.pipeline) params.set('pipeline', values.pipeline);
  } else if (what === 'diff') {
    if (args.length !== 2 || !values.pipeline || !values.node) return usage();
    params.set('pipeline', values.pipeline);
    params.set('node', values.node);
    params.set('a', args[0]!);
    params.set('b', args[1]!);
    if (values['b-node']) params.set('b_node', values['b-node']);
  } else if (args.length > 0) return usage();
  if (values.at) params.set('at', values.at);
  if (values.since) params.set('since', values.since);
  if (values['max-depth']) params.set('max_depth', values['max-depth']);
  const path = `lineage/${what}`;
  let answer: unknown;
  if (values.catalog) {
    const catalog = await openCatalog(catalogUrlArg(values.catalog), values['catalog-schema']);
    if (!catalog) throw new RootlineError('CONFIG_INVALID', '--catalog none: there is no catalog to ask');
    try {
      answer = await catalogQueries(catalog, { rules: () => loadRules(values.rules ?? DEFAULT_RULES_DIR) })(
        path,
        params,
      );
    } finally {
      await catalog.close();
    }
  } else answer = await fetchApi(values.url, values.token, path, params);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(`${catalogText(what, answer)}\n`);
  return 0;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A catalog answer as text. */
export function catalogText(what: string, answer: unknown): string {
  switch (what) {
    case 'provenance': {
      const a = answer as { provenance: Provenance; tree: ProvenanceTreeNode };
      const p = a.provenance;
      return [
        `provenance of ${p.key} as of ${iso(p.at)}: ${Object.keys(p.runs).length} run(s)${p.truncated ? ' (cut at the depth limit)' : ''}`,
        provenanceText(a.tree),
        `sources: ${p.sources.map((s) => `${s.dataset}${s.version ? ` version ${s.version}` : ''}${s.content_hash ? ` ${s.content_hash}` : ''}`).join('; ') || 'none'}`,
      ].join('\n');
    }
    case 'consumers': {
      const a = answer as { key: string; at: string; consumers: Consumer[] };
      return [
        `consumers of ${a.key} as of ${a.at}: ${a.consumers.length} run(s)`,
        ...a.consumers.map(
          (c) =>
            `${'  '.repeat(c.depth - 1)}${c.run.pipeline}/${c.run.node} run ${c.run.run_id} at ${iso(c.run.event_time)} read ${c.via_dataset}`,
        ),
      ].join('\n');
    }
    case 'column': {
      const a = answer as { node: string; column: string; at: string; steps: ColumnSource[] };
      return [
        `sources of ${a.node}.${a.column} as of ${a.at}:`,
        ...a.steps.map(
          (s) =>
            `${'  '.repeat(s.depth - 1)}${s.node}: ${s.dataset}.${s.column} <- ${s.source_dataset}.${s.source_column}${s.transformation ? ` (${s.transformation})` : ''}${s.terminal ? '  [source column]' : ''}`,
        ),
      ].join('\n');
    }
    case 'diff': {
      const d = answer as RunDiff;
      const lines = [`${d.a.node} run ${d.a.run_id} vs ${d.b.node} run ${d.b.run_id}:`];
      const show = (label: string, changes: Record<string, { a: unknown; b: unknown }>) => {
        for (const [k, c] of Object.entries(changes))
          lines.push(`  ${label} ${k}: ${JSON.stringify(c.a) ?? '(none)'} -> ${JSON.stringify(c.b) ?? '(none)'}`);
      };
      show('field', d.fields);
      show('param', d.params);
      show('input', d.inputs);
      show('output', d.outputs);
      show('metric', d.metrics);
      if (lines.length === 1) lines.push('  no difference');
      return lines.join('\n');
    }
    default: {
      const h = answer as LineageHealthReport;
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
      const list = (xs: string[]) => (xs.length === 0 ? 'none' : xs.join(', '));
      return [
        `lineage health from ${iso(h.since)} to ${iso(h.at)}:`,
        `coverage: ${h.coverage.nodes_reporting}/${h.coverage.nodes_known} nodes report (${pct(h.coverage.node_coverage)}); ${h.datasetsWithProducer}/${h.datasets} datasets have a known producer (${pct(h.coverage.dataset_coverage)})`,
        `silent nodes (named upstream, never reported): ${list(h.silent_nodes)}`,
        `gaps: ${h.missed_runs} expected run(s) never came${h.gaps.length ? '' : '; no node is overdue'}`,
        ...h.gaps.map(
          (g) =>
            `  ${g.pipeline}/${g.node}: every ${Math.round(g.interval_ms / 1000)} s usually; ${g.missed_runs} missed, ${g.overdue_runs} overdue since ${iso(g.last_run)}`,
        ),
        `orphans: read never produced: ${list(h.orphans.read_never_produced)}`,
        `         produced never read: ${list(h.orphans.produced_never_read)}`,
        `         nodes without an owner: ${list(h.orphans.nodes_without_owner)}`,
        `lineage changes: ${h.changes.length}`,
        ...h.findings.map((f) => `  [${f.severity}] ${f.pipeline}/${f.node}: ${f.message}`),
      ].join('\n');
    }
  }
}
