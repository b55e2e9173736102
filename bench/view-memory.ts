/**
 * The memory of the cross-instance view (src/monitor/remote-view.ts) at its bounds, and how fast it reads
 * health events: N nodes x R runs, each run a health-topic record as the monitor writes it (JSON text,
 * parsed one by one as the view consumer does), with C columns of column lineage, one parent, versions,
 * and a finding on every tenth run. Heap measured after a forced GC, before and after.
 *
 * Usage: node --expose-gc --import tsx bench/view-memory.ts [--nodes 1000,20000] [--runs 8] [--columns 20]
 *        [--out bench/results/view-memory.md]
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { RemoteView, remoteRunOf, type RunRecord } from '../src/monitor/index.js';
import { healthEvent } from '../src/service/health-event.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000,20000' },
    runs: { type: 'string', default: '8' },
    columns: { type: 'string', default: '20' },
    out: { type: 'string' },
    /** Internal: measure one size in this process and print its row. */
    one: { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const COLUMNS = Number(values.columns);
const maybeGc = (globalThis as { gc?: () => void }).gc;
if (!maybeGc) throw new Error('run with node --expose-gc');
const gc: () => void = maybeGc;

function healthRecord(i: number, r: number): string {
  const pipeline = `pipeline-${Math.floor(i / 10)}`;
  const node = `node-${i % 10}`;
  const parent = `node-${(i % 10) - 1}`;
  const cols = Array.from({ length: COLUMNS }, (_, c) => `column_${c}`);
  const bad = r % 10 === 9;
  const run = {
    seq: r,
    run_id: `scheduled__2026-01-01T${String(r).padStart(2, '0')}:00:00+00:00`,
    event_id: `00000000-0000-4000-8000-${String(i * 100 + r).padStart(12, '0')}`,
    event_time: Date.UTC(2026, 0, 1, r),
    status: 'success',
    healthy: !bad,
    row_count: 100_000 + r,
    code_version: 'git:3f2a9c1',
    data_version: `${node}@${r}`,
    params: { window: '1h' },
    upstream: i % 10 === 0 ? [] : [{ pipeline, node: parent, run_id: `scheduled__2026-01-01T${r}` }],
    inputs: i % 10 === 0 ? [] : [`lake/${pipeline}/${parent}`],
    outputs: [`lake/${pipeline}/${node}`],
    findings: bad
      ? [
          {
            rule: 'null_ratio',
            metric: 'null_ratio',
            severity: 'warning',
            column: 'column_3',
            value: 0.2,
            threshold: 0.02,
            baseline: 0.001,
            message: 'null ratio of column_3 is 0.2, above 0.02',
          },
        ]
      : [],
    input_findings: [],
    ...(i % 10 === 0
      ? {}
      : { column_lineage: Object.fromEntries(cols.map((c) => [c, [{ node: parent, column: c }]])) }),
  };
  return JSON.stringify(healthEvent(pipeline, node, run as unknown as RunRecord));
}

/** Measures one size (in a process of its own: nothing left over from another size in the heap). */
function measure(nodes: number): string {
  gc();
  const before = process.memoryUsage().heapUsed;
  const view = new RemoteView({ runsPerNode: RUNS, maxNodes: nodes });
  let bytes = 0;
  const t0 = performance.now();
  for (let r = 0; r < RUNS; r++)
    for (let i = 0; i < nodes; i++) {
      const text = healthRecord(i, r);
      bytes += text.length;
      const rec = remoteRunOf(JSON.parse(text));
      if (!rec) throw new Error('unreadable record');
      view.observe(rec);
    }
  const ms = performance.now() - t0;
  gc();
  const heap = process.memoryUsage().heapUsed - before;
  const size = view.size;
  if (size.nodes !== nodes || size.runs !== nodes * RUNS) throw new Error('the view lost runs');
  const row = `| ${nodes.toLocaleString('en')} | ${RUNS} | ${COLUMNS} | ${(bytes / size.runs).toFixed(0)} | ${(heap / 2 ** 20).toFixed(0)} | ${(heap / size.runs).toFixed(0)} | ${Math.round((size.runs / ms) * 1000).toLocaleString('en')} |`;
  return row;
}

const rows: string[] = [];
if (values.one) console.log(measure(Number(values.nodes)));
else
  for (const nodes of values.nodes.split(',')) {
    const r = spawnSync(
      process.execPath,
      [
        ...process.execArgv,
        process.argv[1]!,
        '--one',
        '--nodes',
        nodes,
        '--runs',
        String(RUNS),
        '--columns',
        String(COLUMNS),
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`measuring ${nodes} nodes failed: ${r.stderr}`);
    const row = r.stdout.trim().split('\n').at(-1)!;
    rows.push(row);
    console.log(row);
  }

if (values.out && !values.one) {
  const text = `# The cross-instance view: memory at its bounds

\`node --expose-gc --import tsx bench/view-memory.ts --nodes ${values.nodes} --runs ${RUNS} --columns ${COLUMNS}\`
(${new Date().toISOString().slice(0, 10)}, Node ${process.version}, one process per size, shared 2-core machine).

Each instance keeps the last \`monitor.viewRunsPerNode\` runs of at most \`monitor.viewMaxNodes\` nodes it does not
hold (docs/architecture.md, "Scaling out"). A run here is a health-topic record as the monitor writes it: one
parent, ${COLUMNS} columns of column lineage, versions and params, a finding on one run in ten; the view consumer
parses each record and adds it. Heap: after a forced GC, less the heap before.

| nodes | runs per node | columns | record (bytes) | heap (MiB) | heap per run (bytes) | runs read per second |
|---|---|---|---|---|---|---|
${rows.join('\n')}
`;
  writeFileSync(values.out, text);
}
