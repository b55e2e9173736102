// Benchmark of the profiler (src/profile) against whylogs and Rootline's own Python emitter, and of
// `rootline profile` on large CSV files (time and peak memory).
//
// 1. Columns: 1,000,000 rows x 20 numeric columns (Float64Array, normal values, 1% NaN = null), profiled
//    by profileColumns with a KLL sketch (k = 200) per column, with a uniform sample instead, and by the
//    streaming profiler fed 10 batches of 100,000 rows. Target: under 4 s.
//    The same values (written to a float64 file) go to bench/profile_whylogs.py, which builds a pandas
//    DataFrame of them and times whylogs.log(df) and rootline_emitter.profile_dataframe(df).
// 2. Files: generated CSVs of 100 MB and 1 GB in the temp folder (10 columns: ids, amounts, small ints
//    with empty fields, quoted cities, categories, booleans, timestamps, scientific-notation doubles,
//    high-cardinality strings, ratios), profiled by `rootline profile FILE --out ...` in a fresh Node
//    process under /usr/bin/time -v: wall time and maximum resident set size. The files are deleted after.
// Each in-process measurement runs REPEATS times; the table shows the best and the median.
//
// The content hash's cost is measured by bench/content-hash.ts.
//
// Run: npx tsx bench/profile.ts [--skip-files] [--skip-python]   (writes bench/results/profile.md)
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type as osType } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProfiler, profileColumns } from '../src/profile/index.js';
import { seededRandom } from '../src/sketch/index.js';

const ROWS = 1_000_000;
const COLUMNS = 20;
const REPEATS = 5;
const FILE_SIZES_MB = [100, 1000];
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));

function makeColumns(): Float64Array[] {
  const rnd = seededRandom(20261121);
  const out: Float64Array[] = [];
  for (let j = 0; j < COLUMNS; j++) {
    const a = new Float64Array(ROWS);
    for (let i = 0; i < ROWS; i++) {
      const z = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
      a[i] = rnd() < 0.01 ? NaN : 10 * j + (j + 1) * z;
    }
    out.push(a);
  }
  return out;
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

function fmt([best, median]: Timing): string {
  return `${best.toFixed(3)} s / ${median.toFixed(3)} s`;
}

async function writeCsv(path: string, targetBytes: number): Promise<number> {
  const out = createWriteStream(path);
  const rnd = seededRandom(7);
  const cities = ['Paris', 'Lyon', 'Berlin', 'Zürich', 'São Paulo', 'Oslo', 'New York, NY', 'Tokyo'];
  const segments = ['gold', 'silver', 'bronze'];
  let bytes = 0;
  let id = 0;
  const header = 'id,amount,qty,city,segment,active,created_at,score,note,ratio\n';
  out.write(header);
  bytes += header.length;
  while (bytes < targetBytes) {
    let s = '';
    for (let r = 0; r < 1000; r++) {
      id++;
      const city = cities[Math.floor(rnd() * cities.length)]!;
      s += `${id},${(rnd() * 1000).toFixed(2)},${rnd() < 0.05 ? '' : Math.floor(rnd() * 20)},${city.includes(',') ? `"${city}"` : city},${segments[Math.floor(rnd() * 3)]},${rnd() < 0.7},2026-11-${String(1 + Math.floor(rnd() * 28)).padStart(2, '0')}T10:00:00Z,${(rnd() * 2 - 1).toExponential(6)},user-${Math.floor(rnd() * 100000)},${rnd().toFixed(6)}\n`;
    }
    bytes += Buffer.byteLength(s);
    if (!out.write(s)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return id;
}

interface FileRun {
  sizeMb: number;
  rows: number;
  seconds: number;
  maxRssMb: number;
}

function timeV(path: string, out: string): { seconds: number; maxRssKb: number } {
  let text: string;
  try {
    execFileSync(
      '/usr/bin/time',
      [
        '-v',
        '-o',
        `${out}.time`,
        process.execPath,
        '--import',
        'tsx',
        join(ROOT, 'bench', 'profile_cli.ts'),
        path,
        '--no-progress',
        '--out',
        out,
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
  } finally {
    text = execFileSync('cat', [`${out}.time`], { encoding: 'utf8' });
  }
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(text);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(text);
  if (rss === null || wall === null) throw new Error(`cannot read /usr/bin/time output:\n${text}`);
  const seconds = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
  return { seconds, maxRssKb: Number(rss[1]) };
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0]!;
  const columns = makeColumns();
  const named: Record<string, Float64Array> = {};
  columns.forEach((c, j) => (named[`c${j}`] = c));

  // warm-up
  profileColumns(Object.fromEntries(Object.entries(named).map(([k, v]) => [k, v.subarray(0, 10_000)])));

  const kll = measure(() => profileColumns(named));
  const sample = measure(() => profileColumns(named, { sketch: 'sample' }));
  const streaming = measure(() => {
    const p = createProfiler();
    for (let start = 0; start < ROWS; start += 100_000) {
      p.addColumns(Object.fromEntries(Object.entries(named).map(([k, v]) => [k, v.subarray(start, start + 100_000)])));
    }
    p.finish();
  });
  console.log(`TypeScript: kll ${fmt(kll)}, sample ${fmt(sample)}, streaming ${fmt(streaming)}`);

  const tmp = mkdtempSync(join(tmpdir(), 'rootline-bench-profile-'));
  let python:
    | {
        whylogs: { best: number; median: number };
        rootline_emitter: { best: number; median: number };
        versions: Record<string, string>;
      }
    | undefined;
  try {
    if (!args.has('--skip-python')) {
      const dataPath = join(tmp, 'columns.f64');
      const all = new Float64Array(ROWS * COLUMNS);
      columns.forEach((c, j) => all.set(c, j * ROWS));
      writeFileSync(dataPath, Buffer.from(all.buffer));
      const py = execFileSync(join(ROOT, 'scripts', 'pyenv.sh'), ['bench'], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .pop()!;
      const out = execFileSync(
        py,
        [join(ROOT, 'bench', 'profile_whylogs.py'), dataPath, String(ROWS), String(COLUMNS), String(REPEATS)],
        {
          encoding: 'utf8',
          maxBuffer: 1 << 24,
        },
      );
      python = JSON.parse(out.trim().split('\n').pop()!) as typeof python;
      console.log(`Python: ${out.trim()}`);
    }

    const files: FileRun[] = [];
    if (!args.has('--skip-files')) {
      for (const mb of FILE_SIZES_MB) {
        const path = join(tmp, `data-${mb}mb.csv`);
        const rows = await writeCsv(path, mb * 1e6);
        const size = statSync(path).size;
        const { seconds, maxRssKb } = timeV(path, join(tmp, `report-${mb}.json`));
        files.push({ sizeMb: size / 1e6, rows, seconds, maxRssMb: maxRssKb / 1024 });
        console.log(
          `file ${(size / 1e6).toFixed(0)} MB, ${rows} rows: ${seconds.toFixed(1)} s, max RSS ${(maxRssKb / 1024).toFixed(0)} MiB`,
        );
        rmSync(path);
      }
    }

    const pyVersions = python?.versions;
    const lines = [
      '# Profiler benchmark',
      '',
      `Produced by \`npx tsx bench/profile.ts\` on ${new Date().toISOString().slice(0, 10)}.`,
      '',
      '## Machine',
      '',
      `- CPU: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores (shared; other work may run beside the benchmark)`,
      `- Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB; OS: ${osType()} ${release()}`,
      `- Load average (1 min) at the start / end of the run: ${loadAtStart.toFixed(1)} / ${loadavg()[0]!.toFixed(1)} (on 2 cores: above 2 means other processes competed for the CPU, and times are longer than on an idle machine)`,
      `- Node.js ${process.version}${pyVersions ? `; Python ${pyVersions.python}, whylogs ${pyVersions.whylogs}, pandas ${pyVersions.pandas}, numpy ${pyVersions.numpy}` : ''}`,
      '',
      '## 1,000,000 rows x 20 numeric columns',
      '',
      `Float64Array columns of normal values with 1% NaN (nulls); ${REPEATS} repeats, best / median. Target: under 4 s.`,
      '',
      '| profiler | work per column | time (best / median) | rows x columns per second (best) |',
      '|---|---|---|---|',
      `| TypeScript \`profileColumns\` | count, nulls, min/max/mean, KLL sketch (k = 200) | ${fmt(kll)} | ${((ROWS * COLUMNS) / kll[0] / 1e6).toFixed(1)} M/s |`,
      `| TypeScript \`profileColumns\`, \`sketch: 'sample'\` | count, nulls, min/max/mean, uniform sample of 10,000 | ${fmt(sample)} | ${((ROWS * COLUMNS) / sample[0] / 1e6).toFixed(1)} M/s |`,
      `| TypeScript \`createProfiler\`, 10 batches of 100,000 rows | as the first row | ${fmt(streaming)} | ${((ROWS * COLUMNS) / streaming[0] / 1e6).toFixed(1)} M/s |`,
    ];
    if (python !== undefined) {
      const w: Timing = [python.whylogs.best, python.whylogs.median];
      const r: Timing = [python.rootline_emitter.best, python.rootline_emitter.median];
      lines.push(
        `| whylogs \`why.log(df)\` (Python) | counts, types, KLL distribution sketch, HLL cardinality sketch | ${fmt(w)} | ${((ROWS * COLUMNS) / w[0] / 1e6).toFixed(1)} M/s |`,
        `| Rootline Python emitter \`profile_dataframe(df)\` | as the first row (numpy + datasketches) | ${fmt(r)} | ${((ROWS * COLUMNS) / r[0] / 1e6).toFixed(1)} M/s |`,
      );
    }
    lines.push(
      '',
      'Python rows: the same values, as a pandas DataFrame of float64 columns built before timing (`bench/profile_whylogs.py`, run with `scripts/pyenv.sh bench`). whylogs keeps a little more per numeric column than Rootline (also a HyperLogLog cardinality sketch and type counts) and goes through its own Python layers per column, so it is a reference point rather than a like-for-like race; the Rootline Python emitter is the like-for-like one (numpy passes plus the vectorized C++ `update` of datasketches).',
    );
    if (files.length > 0) {
      lines.push(
        '',
        '## `rootline profile` on CSV files',
        '',
        'Generated CSVs (10 columns: integer ids, 2-decimal amounts, small integers with 5% empty fields, quoted cities, three categories, booleans, ISO timestamps, scientific-notation doubles, a high-cardinality string, 6-decimal ratios). One fresh Node process per file (`node --import tsx bench/profile_cli.ts FILE --out ...`, TypeScript compiled on the fly), measured with `/usr/bin/time -v`. Type inference, numeric sketches and categorical summaries for every column (a numeric-looking column keeps its categorical summaries until the end, in case a later value makes it categorical).',
        '',
        '| file | rows | wall time | throughput | maximum resident set size |',
        '|---|---|---|---|---|',
        ...files.map(
          (f) =>
            `| ${f.sizeMb.toFixed(0)} MB | ${f.rows.toLocaleString('en-US')} | ${f.seconds.toFixed(1)} s | ${(f.sizeMb / f.seconds).toFixed(1)} MB/s | ${f.maxRssMb.toFixed(0)} MiB |`,
        ),
        '',
        'Memory does not grow with the file: the file is read in 1 MiB chunks, and each column keeps a KLL sketch (about 600 doubles), at most 512 frequent-value counters and at most 1,024 distinct values (then a 16 KiB HyperLogLog sketch). What is left is V8 heap headroom.',
      );
    }
    lines.push(
      '',
      '## Content hash',
      '',
      'Measured by `npx tsx bench/content-hash.ts`: [content-hash.md](content-hash.md) (profile alone vs profile + hash, TypeScript and Python).',
    );
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'results', 'profile.md'), `${lines.join('\n')}\n`);
    console.log('wrote bench/results/profile.md');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
