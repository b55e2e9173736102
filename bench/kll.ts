// Benchmark of the KLL doubles sketch (src/sketch/kll.ts) against the official datasketches package.
//
// Work (the profiler's budget: 1,000,000 rows x 20 numeric columns):
//   - 20 sketches (k = 200), each fed the same 1,000,000 normal doubles: 20 M updates, one `update` call
//     per value, then again through `updateMany` (one call per column);
//   - serialize / deserialize of one such sketch (10,000 times each);
//   - merging the 20 sketches (1 M values each) into an empty one.
// The Python side (bench/kll_python.py) does the same with datasketches on the very same values
// (passed as a float64 file); its per-value loop runs 1 M updates, since Python calls dominate there.
// Each measurement runs REPEATS times; the table shows the best and the median.
//
// Run: npx tsx bench/kll.ts        (writes bench/results/kll.md)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem, tmpdir, type as osType, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KllDoublesSketch, seededRandom } from '../src/sketch/index.js';

const ROWS = 1_000_000;
const COLUMNS = 20;
const REPEATS = 5;
const SERDE_ITERATIONS = 10_000;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function normalData(n: number, seed: number): Float64Array {
  const rnd = seededRandom(seed);
  return Float64Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd()));
}

type Timing = [best: number, median: number];

function measure(fn: () => void, repeats = REPEATS): Timing {
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return [times[0]!, times[Math.floor(times.length / 2)]!];
}

const values = normalData(ROWS, 1);
let sink = 0;

const single = measure(() => {
  for (let c = 0; c < COLUMNS; c++) {
    const s = new KllDoublesSketch(200);
    for (let i = 0; i < ROWS; i++) s.update(values[i]!);
    sink += s.numRetained;
  }
});
const bulk = measure(() => {
  for (let c = 0; c < COLUMNS; c++) {
    const s = new KllDoublesSketch(200);
    s.updateMany(values);
    sink += s.numRetained;
  }
});

const one = new KllDoublesSketch(200);
one.updateMany(values);
const blob = one.serialize();
const serialize = measure(() => {
  for (let i = 0; i < SERDE_ITERATIONS; i++) sink += one.serialize().length;
});
const deserialize = measure(() => {
  for (let i = 0; i < SERDE_ITERATIONS; i++) sink += KllDoublesSketch.deserialize(blob).n;
});
const parts = Array.from({ length: COLUMNS }, (_, c) => {
  const s = new KllDoublesSketch(200);
  s.updateMany(values.map((x) => x + c));
  return s;
});
const mergeAll = measure(() => {
  const target = new KllDoublesSketch(200);
  for (const p of parts) target.merge(p);
  sink += target.n;
});
const query = measure(() => {
  for (let i = 0; i < 1000; i++) {
    const s = parts[i % COLUMNS]!.clone();
    sink += s.getRank(0.5) + s.getQuantile(0.9);
  }
});

// the same work in Python (datasketches), on the same values
let python: Record<string, unknown> | null = null;
let pythonError = '';
const dir = mkdtempSync(join(tmpdir(), 'rootline-kll-bench-'));
try {
  const file = join(dir, 'values.f64');
  writeFileSync(file, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  const py = execFileSync(join(ROOT, 'scripts', 'pyenv.sh'), { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop()!;
  const out = execFileSync(py, [join(ROOT, 'bench', 'kll_python.py'), file, String(COLUMNS), String(REPEATS)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  python = JSON.parse(out) as Record<string, unknown>;
} catch (err) {
  pythonError = err instanceof Error ? err.message : String(err);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const updates = ROWS * COLUMNS;
const rate = (count: number, seconds: number): string => `${(count / seconds / 1e6).toFixed(1)} M/s`;
const s = (t: number): string => `${t.toFixed(3)} s`;
const us = (t: number, n: number): string => `${((t / n) * 1e6).toFixed(2)} µs`;
const pyTiming = (key: string): Timing | null =>
  python && Array.isArray(python[key]) ? (python[key] as Timing) : null;

const rows: string[][] = [
  ['20 M updates, `update` per value', `${s(single[0])} / ${s(single[1])}`, rate(updates, single[0]), '—', '—'],
  ['20 M updates, `updateMany` per column', `${s(bulk[0])} / ${s(bulk[1])}`, rate(updates, bulk[0]), '', ''],
  ['serialize (k=200, n=1M)', us(serialize[0], SERDE_ITERATIONS), '', '', ''],
  ['deserialize (k=200, n=1M)', us(deserialize[0], SERDE_ITERATIONS), '', '', ''],
  ['merge 20 sketches of 1M into one', `${(mergeAll[0] * 1000).toFixed(2)} ms`, '', '', ''],
  ['clone + getRank + getQuantile (sorted view)', us(query[0], 1000), '', '', ''],
];
const pa = pyTiming('array_update');
const pl = pyTiming('loop_update_1m');
const ps = pyTiming('serialize_each');
const pd = pyTiming('deserialize_each');
const pm = pyTiming('merge_all');
if (pa) {
  rows[1]![3] = `${s(pa[0])} / ${s(pa[1])} (\`update(ndarray)\`)`;
  rows[1]![4] = rate(updates, pa[0]);
}
if (pl) {
  rows[0]![3] = `${s(pl[0])} / ${s(pl[1])} for 1 M (Python loop)`;
  rows[0]![4] = rate(ROWS, pl[0]);
}
if (ps) rows[2]![3] = us(ps[0], SERDE_ITERATIONS);
if (pd) rows[3]![3] = us(pd[0], SERDE_ITERATIONS);
if (pm) rows[4]![3] = `${(pm[0] * 1000).toFixed(2)} ms`;

const cpu = cpus();
const md = [
  '# KLL doubles sketch benchmark',
  '',
  `Produced by \`npx tsx bench/kll.ts\` on ${new Date().toISOString().slice(0, 10)}.`,
  '',
  '## Machine',
  '',
  `- CPU: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} cores (shared; other work may run beside the benchmark)`,
  `- Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB; OS: ${osType()} ${release()}`,
  `- Node.js ${process.version}` +
    (python
      ? `; Python ${String(python.python)}, datasketches ${String(python.datasketches)}, numpy ${String(python.numpy)}`
      : ''),
  '',
  '## Parameters',
  '',
  `- ${COLUMNS} sketches (k = 200) x ${ROWS.toLocaleString('en-US')} normal doubles each = ${(updates / 1e6).toFixed(0)} M updates`,
  `- serialize / deserialize: one sketch of 1 M values (${blob.length} bytes), ${SERDE_ITERATIONS.toLocaleString('en-US')} times`,
  `- merge: ${COLUMNS} sketches of 1 M values each into an empty one`,
  `- ${REPEATS} repeats; times are best / median, rates from the best`,
  '',
  '## Results',
  '',
  '| work | TypeScript time | TypeScript rate | datasketches (Python, C++) time | datasketches rate |',
  '|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
  '',
  python
    ? "Python columns: the same values; `update(ndarray)` is the package's vectorized path (the loop runs in C++), " +
      'the per-value loop calls `update` from Python for 1 M values. Python serialize/deserialize times include ' +
      'the list comprehension that calls them.'
    : `Python side not run: ${pythonError}`,
  '',
].join('\n');

mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', 'kll.md'), md);
console.log(md);
if (sink === 42) console.log('');
