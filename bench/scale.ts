/**
 * State size against nodes x columns: the core's RSS with full baselines, the state topic's size (the
 * records of a full snapshot), and the reload of that state in a fresh process (what an instance does
 * after a rebalance or restart), then one more run per node (the first reports after a reload rebuild
 * the baseline caches).
 *
 * Each node writes one dataset of C numeric columns, each a KLL sketch (k=200) of 5,000 values, for R
 * healthy runs (R > baselineRuns fills the baselines); pipelines of 10 nodes in a chain. Every report is
 * JSON text parsed before the core sees it, as the monitor decodes it from Kafka (no string shared
 * between reports). Each measurement runs in its own process, one after the other.
 *
 * Usage: npx tsx bench/scale.ts [--nodes 100,1000,5000] [--columns 20] [--runs 21] [--heap 8192] [--out bench/results/scale.md]
 *
 * The table (with the date, commit, machine and load average) goes to stdout and, unless `--out -`, into
 * the out file between the markers `<!-- scale.ts: latest -->` and `<!-- /scale.ts -->` (appended at the end
 * when the file has none): the history above it is kept.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { schemaFingerprint, type ColumnProfile, type Report, type Schema } from '../src/contract/index.js';
import { MonitorCore } from '../src/monitor/index.js';
import { loadRules } from '../src/rules/index.js';
import { KllDoublesSketch, seededRandom } from '../src/sketch/index.js';

const { values } = parseArgs({
  options: {
    phase: { type: 'string', default: 'main' },
    nodes: { type: 'string', default: '100,1000,5000' },
    columns: { type: 'string', default: '20' },
    runs: { type: 'string', default: '21' },
    state: { type: 'string' },
    out: { type: 'string', default: 'bench/results/scale.md' },
    /** V8's old-space limit (MiB) of the measured processes, as NODE_OPTIONS would set it for the monitor. */
    heap: { type: 'string', default: '8192' },
  },
});
const COLUMNS = Number(values.columns);
const RUNS = Number(values.runs);
const PER_PIPELINE = 10;
const VARIANTS = 6;
const K = 200;
const VALUES = 5000;

function mib(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

function settledRss(): number {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
  return process.memoryUsage().rss;
}

/**
 * The RSS after 2 s idle and another full GC: what an instance between batches holds. Right after a GC,
 * V8 and the allocator have not yet given back all the pages it freed (concurrent sweeping, the memory
 * reducer), so the immediate figure is higher.
 */
async function idleRss(): Promise<number> {
  await new Promise((r) => setTimeout(r, 2000));
  return settledRss();
}

/** A few sketch variants per column (same distribution, other draws), as base64. */
function sketchPool(): string[][] {
  const pool: string[][] = [];
  for (let c = 0; c < COLUMNS; c++) {
    const rng = seededRandom(1000 + c);
    const variants: string[] = [];
    for (let v = 0; v < VARIANTS; v++) {
      const s = new KllDoublesSketch(K, { random: seededRandom(c * 97 + v) });
      const xs = new Float64Array(VALUES);
      for (let j = 0; j < xs.length; j++) xs[j] = c * 10 + rng() * 10 + rng() * 10;
      s.updateMany(xs);
      variants.push(s.toBase64());
    }
    pool.push(variants);
  }
  return pool;
}

function reportText(pool: string[][], nodes: number, i: number, run: number, schema: Schema, fp: string): string {
  const p = Math.floor(i / PER_PIPELINE);
  const n = i % PER_PIPELINE;
  const columns: Record<string, ColumnProfile> = {};
  for (let c = 0; c < COLUMNS; c++) {
    columns[`c${c}`] = {
      kind: 'numeric',
      count: VALUES,
      null_count: 0,
      min: c * 10,
      max: c * 10 + 20,
      mean: c * 10 + 10,
      sketch: { type: 'kll_doubles', k: K, data: pool[c]![(run + i + c) % VARIANTS]! },
    };
  }
  const r: Report = {
    spec: 'rootline.report/v1',
    event_id: `e-${nodes}-${i}-${run}`,
    pipeline: `scale-${p}`,
    node: `n${n}`,
    run_id: `r${run}`,
    event_time: new Date(Date.UTC(2026, 0, 1) + run * 3_600_000 + n * 1000).toISOString(),
    status: 'success',
    ...(n > 0 ? { upstream: [{ node: `n${n - 1}`, run_id: `r${run}` }] } : {}),
    outputs: [
      {
        dataset: `lake/${p}/n${n}`,
        profile: { row_count: VALUES + (run % 7), schema, schema_fingerprint: fp, columns },
      },
    ],
  };
  return JSON.stringify(r);
}

/** Wall and CPU time (ms) of the core's work, and the mean report size. */
function runReports(
  core: MonitorCore,
  nodes: number,
  runs: readonly number[],
): { ms: number; cpuMs: number; bytes: number } {
  const pool = sketchPool();
  const schema: Schema = Array.from({ length: COLUMNS }, (_, c) => ({ name: `c${c}`, type: 'double', nullable: true }));
  const fp = schemaFingerprint(schema);
  let ms = 0;
  let cpuMs = 0;
  let bytes = 0;
  for (const run of runs) {
    for (let i = 0; i < nodes; i++) {
      const text = reportText(pool, nodes, i, run, schema, fp);
      bytes += text.length;
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      core.processReport(JSON.parse(text) as Report);
      const c = process.cpuUsage(c0);
      ms += performance.now() - t0;
      cpuMs += (c.user + c.system) / 1000;
    }
  }
  return { ms, cpuMs, bytes: bytes / (runs.length * nodes) };
}

async function build(nodes: number, statePath: string): Promise<Record<string, number>> {
  const core = new MonitorCore({ rules: loadRules('rules') });
  const runs = Array.from({ length: RUNS }, (_, r) => r);
  const { ms, cpuMs, bytes } = runReports(core, nodes, runs);
  const rss = settledRss();
  const heap = process.memoryUsage().heapUsed;
  const keys = core.allStateKeys();
  const out = createWriteStream(statePath);
  let stateBytes = 0;
  let records = 0;
  let largest = 0;
  const byKind: Record<string, number> = {};
  for (let i = 0; i < keys.length; i += 1000) {
    for (const rec of core.exportState(keys.slice(i, i + 1000))) {
      if (rec.value === undefined) continue;
      const size = Buffer.byteLength(rec.key) + Buffer.byteLength(rec.value);
      stateBytes += size;
      const kind = `bytes_${rec.key[0]}`;
      byKind[kind] = (byKind[kind] ?? 0) + size;
      largest = Math.max(largest, size);
      records++;
      if (!out.write(`${JSON.stringify(rec)}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
  }
  await new Promise<void>((r) => out.end(() => r()));
  return {
    reports: nodes * RUNS,
    reportBytes: bytes,
    reportsPerSec: ((nodes * RUNS) / ms) * 1000,
    reportsPerCpuSec: ((nodes * RUNS) / cpuMs) * 1000,
    rss,
    heap,
    stateBytes,
    records,
    largestRecord: largest,
    ...byKind,
  };
}

async function reload(nodes: number, statePath: string): Promise<Record<string, number>> {
  const core = new MonitorCore({ rules: loadRules('rules') });
  const t0 = performance.now();
  const lines = createInterface({ input: createReadStream(statePath), crlfDelay: Infinity });
  let chunk: { key: string; value: string }[] = [];
  for await (const line of lines) {
    chunk.push(JSON.parse(line) as { key: string; value: string });
    if (chunk.length >= 1000) {
      core.importState(chunk);
      chunk = [];
    }
  }
  core.importState(chunk);
  // Not held past the import (the last chunk's text, up to 1,000 records of ~107 KB, was counted as state).
  chunk.length = 0;
  const loadMs = performance.now() - t0;
  const loadCpuMs = (process.cpuUsage().user + process.cpuUsage().system) / 1000;
  const rssLoaded = settledRss();
  const mem = process.memoryUsage();
  const rssLoadedIdle = await idleRss();
  const { ms } = runReports(core, nodes, [RUNS]);
  const rssAfter = settledRss();
  const rssAfterIdle = await idleRss();
  const incidents = core.incidents({ status: 'open' }).length;
  return {
    loadMs,
    loadCpuMs,
    rssLoaded,
    heapLoaded: mem.heapUsed,
    heapTotalLoaded: mem.heapTotal,
    arrayBuffersLoaded: mem.arrayBuffers,
    firstRunMs: ms,
    rssAfter,
    rssLoadedIdle,
    rssAfterIdle,
    incidents,
  };
}

function child(phase: string, nodes: number, statePath: string): Record<string, number> {
  const r = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      '--expose-gc',
      `--max-old-space-size=${values.heap}`,
      process.argv[1]!,
      '--phase',
      phase,
      '--nodes',
      String(nodes),
      '--columns',
      String(COLUMNS),
      '--runs',
      String(RUNS),
      '--state',
      statePath,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
  );
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) {
    return { failed: 1, status: r.status ?? -1 };
  }
  return JSON.parse(last) as Record<string, number>;
}

if (values.phase === 'build' || values.phase === 'reload') {
  const nodes = Number(values.nodes);
  const res = values.phase === 'build' ? await build(nodes, values.state!) : await reload(nodes, values.state!);
  process.stdout.write(`${JSON.stringify(res)}\n`);
} else {
  const loadStart = loadavg();
  const sizes = values.nodes.split(',').map(Number);
  const rows: string[] = [];
  for (const nodes of sizes) {
    const statePath = join(tmpdir(), `rootline-scale-${process.pid}-${nodes}.jsonl`);
    process.stderr.write(`[scale] ${nodes} nodes x ${COLUMNS} columns: build\n`);
    const b = child('build', nodes, statePath);
    process.stderr.write(`[scale] ${JSON.stringify(b)}\n[scale] reload\n`);
    const l = b.failed ? { failed: 1 } : child('reload', nodes, statePath);
    process.stderr.write(`[scale] ${JSON.stringify(l)}\n`);
    rmSync(statePath, { force: true });
    const f = (x: number | undefined, d = 0) => (x === undefined ? 'failed' : x.toFixed(d));
    rows.push(
      `| ${nodes} x ${COLUMNS} | ${f(b.reports)} | ${f(b.reportsPerSec)} (${f(b.reportsPerCpuSec)}) | ${b.rss ? mib(b.rss) : 'failed'} | ` +
        `${b.stateBytes ? mib(b.stateBytes) : 'failed'} | ${b.bytes_n ? mib(b.bytes_n) : '-'} | ${f(b.records)} | ${b.largestRecord ? (b.largestRecord / 1024).toFixed(1) : '-'} | ` +
        `${l.loadMs !== undefined ? `${(l.loadMs / 1000).toFixed(1)} (${((l.loadCpuMs ?? 0) / 1000).toFixed(1)})` : 'failed'} | ${l.rssLoaded ? `${mib(l.rssLoaded)} (${mib(l.rssLoadedIdle ?? 0)})` : 'failed'} | ` +
        `${l.heapLoaded ? `${mib(l.heapLoaded)} / ${mib(l.arrayBuffersLoaded ?? 0)}` : '-'} | ` +
        `${l.firstRunMs !== undefined ? (l.firstRunMs / 1000).toFixed(1) : 'failed'} | ${l.rssAfter ? `${mib(l.rssAfter)} (${mib(l.rssAfterIdle ?? 0)})` : 'failed'} | ${f(l.incidents)} |`,
    );
  }
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
  const table = [
    `${new Date().toISOString().slice(0, 16)}Z, commit ${commit()}, ${cpus().length} x ${cpus()[0]?.model.trim() ?? '?'}, ` +
      `${mib(totalmem()).toFixed(0)} MiB, load average (1, 5, 15 min) ${load(loadStart)} at the start, ${load(loadavg())} at the end`,
    '',
    `| nodes x numeric columns | reports | core reports/s wall (per CPU s) | RSS after build (MiB) | state (MiB) | node records (MiB) | state records | largest record (KiB) | reload wall s (process CPU s) | RSS after reload (MiB; after 2 s idle) | heap used / ArrayBuffers after reload (MiB) | next run of every node (s) | RSS after it (MiB; after 2 s idle) | open incidents |`,
    `|---|---|---|---|---|---|---|---|---|---|---|---|---|---|`,
    ...rows,
  ].join('\n');
  process.stdout.write(`${table}\n`);
  if (values.out !== '-')
    writeFileSync(values.out, withLatest(existsSync(values.out) ? readFileSync(values.out, 'utf8') : '', table));
}

/** The commit measured (with `+` when the work tree has changes), or `?` outside a git checkout. */
function commit(): string {
  const git = (...args: string[]) => spawnSync('git', args, { encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return '?';
  return `${head.stdout.trim()}${git('diff', '--quiet', 'HEAD', '--', 'src', 'bench', 'rules').status === 0 ? '' : '+'}`;
}

/** The file with its marked latest section replaced by `table` (appended when there is none). */
function withLatest(text: string, table: string): string {
  const begin = '<!-- scale.ts: latest -->';
  const end = '<!-- /scale.ts -->';
  const section = `${begin}\n${table}\n${end}`;
  const a = text.indexOf(begin);
  const b = text.indexOf(end, a);
  if (a >= 0 && b >= 0) return `${text.slice(0, a)}${section}${text.slice(b + end.length)}`;
  return `${text}${text === '' || text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n'}${section}\n`;
}
