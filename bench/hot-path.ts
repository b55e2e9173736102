/**
 * The core's hot path on 20-column sketch reports (issue 15 item 3): a JSONL file of reports, then
 *   - the core alone: every line decoded as the monitor decodes a Kafka message (JSON, validation), then
 *     `MonitorCore.processReport`, in this process on one core; reports per second of wall time and per
 *     CPU second of this process;
 *   - `rootline replay FILE --no-findings` in a fresh Node process (dist/: `npm run build` first): wall time
 *     and the process's CPU time (user + system).
 *
 * Reports: P pipelines x N nodes in a chain, R runs each, every output one dataset of C numeric columns, each a
 * KLL sketch (k = 200) of 5,000 values drawn afresh for every report (as bench/throughput.ts makes them; 107 KB
 * reports at C = 20). With R > baselineRuns (20) the baselines are full, so every report is judged against them.
 *
 * Usage: npx tsx bench/hot-path.ts [--pipelines 20] [--nodes 5] [--runs 30] [--columns 20] [--file PATH]
 *                                  [--keep] [--no-replay] [--profile DIR] [--decode-workers N] [--out -]
 * --decode-workers N: passed to the replay (its decoding worker threads; default: the replay's own).
 * --profile DIR: also runs the replay under `node --cpu-prof --cpu-prof-dir DIR`.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { schemaFingerprint, type ColumnProfile, type Report, type Schema } from '../src/contract/index.js';
import { decodeMessage } from '../src/adapters/decode/decode.js';
import { MonitorCore } from '../src/monitor/index.js';
import { loadRules } from '../src/rules/index.js';
import { KllDoublesSketch, seededRandom } from '../src/sketch/index.js';

const { values } = parseArgs({
  options: {
    pipelines: { type: 'string', default: '20' },
    nodes: { type: 'string', default: '5' },
    runs: { type: 'string', default: '30' },
    columns: { type: 'string', default: '20' },
    file: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'no-replay': { type: 'boolean', default: false },
    'no-core': { type: 'boolean', default: false },
    profile: { type: 'string' },
    repeat: { type: 'string', default: '1' },
    'decode-workers': { type: 'string' },
    out: { type: 'string', default: '-' },
  },
});
const PIPELINES = Number(values.pipelines);
const NODES = Number(values.nodes);
const RUNS = Number(values.runs);
const COLUMNS = Number(values.columns);
const file = values.file ?? join(tmpdir(), `rootline-hot-${PIPELINES}x${NODES}x${RUNS}x${COLUMNS}.jsonl`);

async function writeReports(path: string): Promise<number> {
  const rng = seededRandom(2);
  const schema: Schema = Array.from({ length: COLUMNS }, (_, i) => ({ name: `c${i}`, type: 'double', nullable: true }));
  const fp = schemaFingerprint(schema);
  const start = Date.UTC(2026, 0, 1);
  const out = createWriteStream(path);
  let n = 0;
  const v = new Float64Array(5000);
  for (let run = 0; run < RUNS; run++)
    for (let p = 0; p < PIPELINES; p++)
      for (let node = 0; node < NODES; node++) {
        const rows = 10_000 + Math.floor(rng() * 50);
        const columns: Record<string, ColumnProfile> = {};
        for (let c = 0; c < COLUMNS; c++) {
          const s = new KllDoublesSketch(200, { random: seededRandom(n * 31 + c) });
          for (let j = 0; j < v.length; j++) v[j] = c * 10 + rng() * 10;
          s.updateMany(v);
          columns[`c${c}`] = {
            kind: 'numeric',
            count: rows,
            null_count: Math.floor(rng() * 20),
            min: s.min,
            max: s.max,
            // the values' own mean, as a profiler reports it (a constant would make every column look standardized per run)
            mean: v.reduce((a, x) => a + x, 0) / v.length,
            sketch: { type: 'kll_doubles', k: 200, data: s.toBase64() },
          };
        }
        const r: Report = {
          spec: 'rootline.report/v1',
          event_id: `hot-${n}`,
          pipeline: `hot-${p}`,
          node: `n${node}`,
          run_id: `r${run}`,
          event_time: new Date(start + run * 3_600_000 + node * 1000).toISOString(),
          ...(node > 0 ? { upstream: [{ node: `n${node - 1}`, run_id: `r${run}` }] } : {}),
          outputs: [
            {
              dataset: `lake/${p}/n${node}`,
              profile: { row_count: rows, schema, schema_fingerprint: fp, columns },
            },
          ],
        };
        if (!out.write(`${JSON.stringify(r)}\n`)) await new Promise<void>((res) => out.once('drain', () => res()));
        n++;
      }
  await new Promise<void>((res) => out.end(() => res()));
  return n;
}

/** The core alone: decode (JSON + validation, as from Kafka) and processReport, line by line. */
async function coreAlone(path: string): Promise<{ reports: number; wall: number; cpu: number; incidents: number }> {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  const bufs = lines.map((l) => Buffer.from(l));
  const core = new MonitorCore({ rules: loadRules('rules') });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let reports = 0;
  for (const b of bufs) {
    const d = await decodeMessage(b, { maxMessageBytes: 4 * 1024 * 1024 });
    if (d[0]!.kind !== 'report') throw new Error(`not a report: ${JSON.stringify(d[0]).slice(0, 200)}`);
    core.processReport(d[0]!.report);
    reports++;
  }
  const c = process.cpuUsage(c0);
  return {
    reports,
    wall: performance.now() - t0,
    cpu: (c.user + c.system) / 1000,
    incidents: core.incidents().length,
  };
}

/** `rootline replay FILE` in a fresh process: wall time, and its CPU time (user + system, the shell's `times`). */
function replay(path: string, profileDir?: string): { wall: number; cpu: number; status: number; stderr: string } {
  const args = [
    process.execPath,
    ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
    'bin/rootline.js',
    'replay',
    path,
    '--no-findings',
    ...(values['decode-workers'] !== undefined ? ['--decode-workers', values['decode-workers']] : []),
  ];
  const t0 = performance.now();
  const r = spawnSync('/bin/sh', ['-c', `"$@" >/dev/null; s=$?; times >&2; exit $s`, 'sh', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const wall = performance.now() - t0;
  const lines = r.stderr.trim().split('\n');
  // `times`: the shell's own user/system time, then its children's ("0m1.234s 0m0.056s").
  const secs = (t: string) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  };
  const [u, s] = (lines[lines.length - 1] ?? '').split(/\s+/);
  return {
    wall,
    cpu: (secs(u ?? '') + secs(s ?? '')) * 1000,
    status: r.status ?? -1,
    stderr: lines[lines.length - 3] ?? '',
  };
}

const reuse = values.file !== undefined && existsSync(file);
if (!reuse) process.stderr.write(`[hot-path] writing ${PIPELINES * NODES * RUNS} reports to ${file}\n`);
const n = reuse ? readFileSync(file, 'utf8').split('\n').length - 1 : await writeReports(file);
const size = Math.round(readFileSync(file).length / n);
process.stderr.write(`[hot-path] ${n} reports, ${size} bytes each\n`);
const rows: string[] = [];
for (let i = 0; i < Number(values.repeat); i++) {
  if (!values['no-core']) {
    const c = await coreAlone(file);
    process.stderr.write(
      `[hot-path] core alone: ${((c.reports / c.wall) * 1000).toFixed(0)}/s wall, ${((c.reports / c.cpu) * 1000).toFixed(0)}/CPU s, ${c.incidents} incidents\n`,
    );
    rows.push(`core ${((c.reports / c.wall) * 1000).toFixed(0)} ${((c.reports / c.cpu) * 1000).toFixed(0)}`);
  }
  if (!values['no-replay']) {
    const r = replay(file, values.profile);
    process.stderr.write(
      `[hot-path] replay: ${((n / r.wall) * 1000).toFixed(0)}/s wall, ${((n / r.cpu) * 1000).toFixed(0)}/CPU s (exit ${r.status}): ${r.stderr}\n`,
    );
    rows.push(`replay ${((n / r.wall) * 1000).toFixed(0)} ${((n / r.cpu) * 1000).toFixed(0)}`);
  }
}
if (values.out !== '-') writeFileSync(values.out, `${rows.join('\n')}\n`);
process.stdout.write(`${cpus().length} cores\n${rows.join('\n')}\n`);
if (!values.keep && !values.file) rmSync(file, { force: true });
