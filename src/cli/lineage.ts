import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { parseReport } from '../contract/index.js';
import { RootlineError, errorMessage } from '../errors/index.js';
import { apiQueries } from '../service/api.js';
import type { NodeAtTime } from '../lineage/index.js';
import { MonitorCore } from '../monitor/index.js';
import { DEFAULT_RULES_DIR, loadRules } from '../rules/index.js';

const USAGE = `usage: rootline lineage upstream|downstream NODE --pipeline P [--at TIME] [--url URL [--token T] | --from FILE.jsonl] [--json]
       rootline lineage graph --pipeline P [--at TIME] [...]
       rootline lineage runs --pipeline P --data-version V [...]

upstream:   the path from NODE back to its sources, with each node's versions, params and health at TIME
downstream: NODE's blast radius (every node downstream of it) and their health at TIME
graph:      the pipeline's graph as it stood at TIME
runs:       which run produced a data_version, and from which inputs

Answers come from a running monitor's HTTP API (--url, default $ROOTLINE_URL or http://127.0.0.1:8080),
or from a file of reports replayed offline (--from). TIME is RFC 3339 (default: now). A monitor with
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
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [what, node] = positionals;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
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
    const base = values.url ?? process.env.ROOTLINE_URL ?? 'http://127.0.0.1:8080';
    let res: Response;
    try {
      const token = values.token ?? process.env.ROOTLINE_HTTP_TOKEN;
      res = await fetch(`${base.replace(/\/$/, '')}/api/v1/${path}?${params.toString()}`, {
        signal: AbortSignal.timeout(15_000),
        ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
      });
    } catch (err: unknown) {
      throw new RootlineError(
        'SERVICE_UNAVAILABLE',
        `cannot reach the monitor at ${base} (${errorMessage(err)}); start it, or pass --url, or --from FILE.jsonl to answer offline`,
        { retriable: true },
      );
    }
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    if (!res.ok)
      throw new RootlineError(
        res.status === 404 ? 'NOT_FOUND' : res.status === 401 || res.status === 403 ? 'FORBIDDEN' : 'CONFIG_INVALID',
        `${base}: ${body.error ?? `HTTP ${res.status}`}`,
      );
    answer = body;
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
