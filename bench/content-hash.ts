// Benchmark of the content hash's cost (docs/content-hash.md): profiling alone vs profiling + hash, in the
// same run, alternately, for the TypeScript profiler and the Python emitter. Target (issue 13): the hash
// within 10% of the profiling time.
//
// TypeScript cases (data built before timing):
//   numeric  1,000,000 x 20 Float64Array columns (normal values, 1% NaN = null), profileColumns (KLL);
//   strings  1,000,000 x 20: 10 Float64Array + 10 JavaScript arrays of strings with 10 ... 1,000,000
//            distinct values (1% null), profileColumns;
//   rows     the same 1,000,000 x 20 as row objects, profileRows;
//   csv      a generated CSV of 1,000,000 rows x 10 (the columns of bench/profile.ts), profileFile in process.
// Python cases: python/bench/bench_content_hash.py (numeric, strings, unique strings, mixed object column),
// run with scripts/pyenv.sh's interpreter.
//
// Each case runs with `contentHash: false` and with the hash alternately, REPEATS times each. Times are CPU
// time of the process (process.cpuUsage, user + system; Python's time.process_time): on a machine shared
// with other work, CPU time is what the profiler itself spent, which the other processes disturb much less
// than the wall time (also recorded). The overhead is (with - without) / without, on the best of each.
//
// Run: npx tsx bench/content-hash.ts [--skip-python] [--rows N] [--repeats N]   (writes bench/results/content-hash.md)
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type as osType } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { profileColumns, profileFile, profileRows, type Row } from '../src/profile/index.js';
import { seededRandom } from '../src/sketch/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const ROWS = arg('--rows', 1_000_000);
const REPEATS = arg('--repeats', 5);
const CARDINALITIES = [10, 50, 100, 500, 1_000, 5_000, 10_000, 50_000, 100_000, 1_000_000];

interface Stat {
  cpu: number[];
  wall: number[];
}

interface CaseResult {
  name: string;
  data: string;
  off: Stat;
  on: Stat;
}

function numericColumns(rnd: () => number, count: number): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (let j = 0; j < count; j++) {
    const a = new Float64Array(ROWS);
    for (let i = 0; i < ROWS; i++) {
      const z = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
      a[i] = rnd() < 0.01 ? NaN : 10 * j + (j + 1) * z;
    }
    out[`n${j}`] = a;
  }
  return out;
}

function stringColumns(rnd: () => number): Record<string, (string | null)[]> {
  const out: Record<string, (string | null)[]> = {};
  CARDINALITIES.forEach((card, j) => {
    const a = new Array<string | null>(ROWS);
    for (let i = 0; i < ROWS; i++) a[i] = rnd() < 0.01 ? null : `v${j}-${Math.floor(rnd() * card)}`;
    out[`s${j}`] = a;
  });
  return out;
}

async function writeCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  const rnd = seededRandom(7);
  const cities = ['Paris', 'Lyon', 'Berlin', 'Zürich', 'São Paulo', 'Oslo', 'New York, NY', 'Tokyo'];
  const segments = ['gold', 'silver', 'bronze'];
  out.write('id,amount,qty,city,segment,active,created_at,score,note,ratio\n');
  for (let id = 1; id <= rows;) {
    let s = '';
    for (let r = 0; r < 1000 && id <= rows; r++, id++) {
      const city = cities[Math.floor(rnd() * cities.length)]!;
      s += `${id},${(rnd() * 1000).toFixed(2)},${rnd() < 0.05 ? '' : Math.floor(rnd() * 20)},${city.includes(',') ? `"${city}"` : city},${segments[Math.floor(rnd() * 3)]},${rnd() < 0.7},2026-11-${String(1 + Math.floor(rnd() * 28)).padStart(2, '0')}T10:00:00Z,${(rnd() * 2 - 1).toExponential(6)},user-${Math.floor(rnd() * 100000)},${rnd().toFixed(6)}\n`;
    }
    if (!out.write(s)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

async function timed(fn: () => unknown, into: Stat): Promise<void> {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  await fn();
  const c = process.cpuUsage(c0);
  into.wall.push((performance.now() - w0) / 1000);
  into.cpu.push((c.user + c.system) / 1e6);
}

async function run(name: string, data: string, off: () => unknown, on: () => unknown): Promise<CaseResult> {
  const result: CaseResult = { name, data, off: { cpu: [], wall: [] }, on: { cpu: [], wall: [] } };
  for (let r = 0; r < REPEATS; r++) {
    await timed(off, result.off);
    await timed(on, result.on);
  }
  console.log(`${name}: without ${fmt(result.off.cpu)}, with ${fmt(result.on.cpu)} (CPU s)`);
  return result;
}

const best = (xs: number[]): number => Math.min(...xs);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]): string => `${best(xs).toFixed(3)} / ${median(xs).toFixed(3)}`;
const pct = (off: number[], on: number[]): string => {
  const p = ((best(on) - best(off)) / best(off)) * 100;
  return `${p >= 0 ? '+' : ''}${p.toFixed(1)}%`;
};

function row(c: CaseResult): string {
  return `| ${c.name} | ${c.data} | ${fmt(c.off.cpu)} | ${fmt(c.on.cpu)} | **${pct(c.off.cpu, c.on.cpu)}** | ${pct(c.off.wall, c.on.wall)} |`;
}

interface PythonCase {
  columns: number;
  [k: string]: number;
}

const PY_DATA: Record<string, string> = {
  numeric: '10 float64 (5% NaN), 5 int64, 5 nullable Int64 (5% NA)',
  strings: '10 float64 (1% NaN) + 10 `str` columns of 10 ... 1,000,000 distinct values (1% missing)',
  unique: '1 `str` column, every value distinct (worst case)',
  object: '1 object column of mixed Python types (int, str, float, bool, None)',
};

async function main(): Promise<void> {
  const loadStart = loadavg()[0]!;
  const rnd = seededRandom(20261204);
  const numeric = numericColumns(rnd, 20);
  const mixed: Record<string, Float64Array | (string | null)[]> = {
    ...numericColumns(rnd, 10),
    ...stringColumns(rnd),
  };
  const names = Object.keys(mixed);
  const rows: Row[] = Array.from({ length: ROWS }, (_, i) => {
    const r: Record<string, unknown> = {};
    for (const n of names) r[n] = mixed[n]![i];
    return r;
  });
  const tmp = mkdtempSync(join(tmpdir(), 'rootline-bench-hash-'));
  const results: CaseResult[] = [];
  let python: { versions: Record<string, string>; cases: Record<string, PythonCase> } | undefined;
  try {
    const csv = join(tmp, 'data.csv');
    await writeCsv(csv, ROWS);
    // warm-up (JIT, the kernel's compilation)
    profileColumns(Object.fromEntries(Object.entries(mixed).map(([k, v]) => [k, v.slice(0, 20_000)])));
    profileRows(rows.slice(0, 20_000));
    const m = `${(ROWS / 1e6).toLocaleString('en-US')} M`;
    results.push(
      await run(
        'TypeScript `profileColumns`, numeric',
        `${m} x 20 Float64Array (1% NaN)`,
        () => profileColumns(numeric, { contentHash: false }),
        () => profileColumns(numeric),
      ),
      await run(
        'TypeScript `profileColumns`, strings',
        `${m} x 20: 10 Float64Array + 10 string arrays of 10 ... 1,000,000 distinct values (1% null)`,
        () => profileColumns(mixed, { contentHash: false }),
        () => profileColumns(mixed),
      ),
      await run(
        'TypeScript `profileRows`',
        `the same ${m} x 20 as row objects`,
        () => profileRows(rows, { contentHash: false }),
        () => profileRows(rows),
      ),
      await run(
        'TypeScript `profileFile` (CSV)',
        `${m} rows x 10 (ids, decimals, small ints with empty fields, cities, categories, booleans, ISO times, doubles, 100,000 distinct notes, ratios)`,
        () => profileFile(csv, { contentHash: false }),
        () => profileFile(csv),
      ),
    );
    if (!argv.includes('--skip-python')) {
      const py = execFileSync(join(ROOT, 'scripts', 'pyenv.sh'), [], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .pop()!;
      const out = execFileSync(
        py,
        [join(ROOT, 'python', 'bench', 'bench_content_hash.py'), String(ROWS), String(REPEATS)],
        {
          encoding: 'utf8',
          maxBuffer: 1 << 24,
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      python = JSON.parse(out.trim().split('\n').pop()!) as typeof python;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const pyRow = (name: string, c: PythonCase): string => {
    const s = (prefix: string): number[] => [c[`${prefix}_best`]!, c[`${prefix}_median`]!];
    const f = ([b, m]: number[]): string => `${b!.toFixed(3)} / ${m!.toFixed(3)}`;
    const p = (off: string, on: string): string => {
      const v = ((c[`${on}_best`]! - c[`${off}_best`]!) / c[`${off}_best`]!) * 100;
      return `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`;
    };
    return `| Python \`profile_dataframe\`, ${name} | ${PY_DATA[name] ?? ''} | ${f(s('off_cpu'))} | ${f(s('on_cpu'))} | **${p('off_cpu', 'on_cpu')}** | ${p('off_wall', 'on_wall')} |`;
  };
  const lines = [
    '# Content hash: cost on the profiling',
    '',
    `Produced by \`npx tsx bench/content-hash.ts\` on ${new Date().toISOString().slice(0, 10)}. Target (issue 13): the content hash within 10% of the profiling time.`,
    '',
    '## Machine',
    '',
    `- CPU: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, shared with other work; memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB; ${osType()} ${release()}`,
    `- Load average (1 min) at the start / end: ${loadStart.toFixed(1)} / ${loadavg()[0]!.toFixed(1)} (on ${cpus().length} cores: above ${cpus().length}, other processes competed for the CPU)`,
    `- Node.js ${process.version}${python ? `; Python ${python.versions.python}, pandas ${python.versions.pandas}, numpy ${python.versions.numpy}` : ''}`,
    '',
    '## Results',
    '',
    `Each case profiled without the hash (\`contentHash: false\` / \`content_hash=False\`) and with it, alternately, ${REPEATS} times each. Times: CPU seconds of the process, best / median; overhead: (with - without) / without on the best CPU times, and the same on the best wall times for reference.`,
    '',
    '| case | data | without the hash (CPU s) | with the hash (CPU s) | overhead (CPU) | overhead (wall) |',
    '|---|---|---|---|---|---|',
    ...results.map(row),
    ...(python ? Object.entries(python.cases).map(([n, c]) => pyRow(n, c)) : []),
    '',
  ];
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'content-hash.md'), `${lines.join('\n')}\n`);
  console.log('wrote bench/results/content-hash.md');
}

await main();
