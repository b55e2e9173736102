// Vectors in the other direction: KLL doubles sketches built and serialized by Rootline's TypeScript
// sketch, for python/tests/test_kll_vectors.py to load with the official datasketches package.
//
// Writes test/vectors/kll/ts/<name>.bin and test/vectors/kll/ts/manifest.json, in the same layout as
// scripts/vectors/kll_vectors.py writes for DataSketches' own sketches: n, k, min, max, num_retained,
// the retained items with their weights, and ranks / quantiles / CDF / PMF as TypeScript answers them.
// Data and compaction bits come from seeded generators, so a re-run writes identical files.
//
// Run: npx tsx scripts/vectors/kll_ts_vectors.ts
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KllDoublesSketch, seededRandom } from '../../src/sketch/index.js';
import type { RandomSource } from '../../src/sketch/index.js';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'vectors', 'kll', 'ts');
const QUANTILE_RANKS = [0.0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.333, 0.5, 0.667, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0];

type Encoded = number | string;

function enc(x: number): Encoded {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Object.is(x, -0)) return '-0';
  return x;
}

function sortKey(a: [number, number], b: [number, number]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  const sa = Object.is(a[0], -0) ? 0 : 1;
  const sb = Object.is(b[0], -0) ? 0 : 1;
  return sa !== sb ? sa - sb : a[1] - b[1];
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function header(data: Uint8Array): Record<string, number> {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: Record<string, number> = {
    preamble_ints: data[0]!,
    serial_version: data[1]!,
    family: data[2]!,
    flags: data[3]!,
    k: dv.getUint16(4, true),
    m: data[6]!,
  };
  if (data[0] === 5) {
    out.min_k = dv.getUint16(16, true);
    out.num_levels = data[18]!;
  } else {
    out.min_k = out.k!;
    out.num_levels = 1;
  }
  return out;
}

function rankPoints(sk: KllDoublesSketch, values: number[]): number[] {
  const step = Math.max(1, Math.floor(values.length / 60));
  const pts = new Set<number>();
  for (let i = 0; i < values.length; i += step) pts.add(values[i]!);
  pts.add(values[values.length - 1]!);
  for (let i = 0; i + step < values.length; i += step) {
    const mid = values[i]! / 2 + values[i + step]! / 2;
    if (Number.isFinite(mid)) pts.add(mid);
  }
  for (const extra of [sk.min, sk.max, sk.min - 1, sk.max + 1, 0]) if (Number.isFinite(extra)) pts.add(extra);
  return [...pts].sort((a, b) => a - b);
}

function splitPoints(sk: KllDoublesSketch): number[] {
  const out: number[] = [];
  for (const q of sk.getQuantiles([0.1, 0.3, 0.5, 0.7, 0.9])) {
    if (Number.isFinite(q) && (out.length === 0 || q > out[out.length - 1]!)) out.push(q);
  }
  return out;
}

function describe(name: string, sk: KllDoublesSketch, note: string): Record<string, unknown> {
  const data = sk.serialize();
  writeFileSync(join(OUT, `${name}.bin`), data);
  const entry: Record<string, unknown> = {
    name,
    file: `${name}.bin`,
    note,
    serialized_size: data.length,
    sha256: sha256(data),
    header: header(data),
    k: sk.k,
    n: sk.n,
    num_retained: sk.numRetained,
    is_empty: sk.isEmpty,
    is_estimation_mode: sk.isEstimationMode,
    normalized_rank_error: sk.normalizedRankError(false),
    normalized_rank_error_pmf: sk.normalizedRankError(true),
  };
  if (sk.isEmpty) return { ...entry, min: null, max: null, retained: [], value_weights: [], queries: null };
  const items = [...sk.entries()].sort(sortKey);
  const values = [...new Set(items.map(([v]) => v))].sort((a, b) => a - b);
  const points = rankPoints(sk, values);
  const splits = splitPoints(sk);
  const view = sk.sortedView();
  const perValue = new Map<number, number>();
  view.items.forEach((v, i) => perValue.set(v, (perValue.get(v) ?? 0) + view.weights[i]!));
  Object.assign(entry, {
    min: enc(sk.min),
    max: enc(sk.max),
    retained: items.map(([v, w]) => [enc(v), w]),
    value_weights: [...perValue.entries()].map(([v, w]) => [enc(v), w]),
    queries: {
      rank_points: points.map(enc),
      ranks_inclusive: points.map((p) => sk.getRank(p, true)),
      ranks_exclusive: points.map((p) => sk.getRank(p, false)),
      quantile_ranks: QUANTILE_RANKS,
      quantiles_inclusive: sk.getQuantiles(QUANTILE_RANKS, true).map(enc),
      quantiles_exclusive: sk.getQuantiles(QUANTILE_RANKS, false).map(enc),
      split_points: splits.map(enc),
      cdf_inclusive: sk.getCDF(splits, true),
      cdf_exclusive: sk.getCDF(splits, false),
      pmf_inclusive: sk.getPMF(splits, true),
      pmf_exclusive: sk.getPMF(splits, false),
    },
    sha256_after_queries: sha256(sk.serialize()),
  });
  return entry;
}

/** Seeded data: uniform, normal (Box-Muller), exponential, lognormal. */
class Data {
  private readonly rnd: RandomSource;
  constructor(seed: number) {
    this.rnd = seededRandom(seed);
  }
  uniform(lo: number, hi: number, n: number): Float64Array {
    return Float64Array.from({ length: n }, () => lo + (hi - lo) * this.rnd());
  }
  normal(mu: number, sigma: number, n: number): Float64Array {
    return Float64Array.from({ length: n }, () => {
      const u = 1 - this.rnd();
      return mu + sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.rnd());
    });
  }
  exponential(scale: number, n: number): Float64Array {
    return Float64Array.from({ length: n }, () => -scale * Math.log(1 - this.rnd()));
  }
  integers(lo: number, hi: number, n: number): Float64Array {
    return Float64Array.from({ length: n }, () => lo + Math.floor((hi - lo) * this.rnd()));
  }
  choice(options: readonly number[], n: number): Float64Array {
    return Float64Array.from({ length: n }, () => options[Math.floor(options.length * this.rnd())]!);
  }
}

function main(): void {
  mkdirSync(OUT, { recursive: true });
  for (const f of readdirSync(OUT)) if (f.endsWith('.bin')) rmSync(join(OUT, f));
  const data = new Data(20261121);
  let sketchSeed = 1;
  const build = (k: number, values: ArrayLike<number>): KllDoublesSketch => {
    const sk = new KllDoublesSketch(k, { random: seededRandom(sketchSeed++) });
    sk.updateMany(Float64Array.from(values));
    return sk;
  };
  const entries: Record<string, unknown>[] = [];
  const add = (name: string, sk: KllDoublesSketch, note: string): void => {
    entries.push(describe(name, sk, note));
  };

  add('empty_k200', build(200, []), 'empty sketch, k=200');
  add('single_item', build(200, [42.5]), 'one item (single-item form)');
  add('few_items', build(200, [3, 1, 2, 5, 4, 2]), 'a few items, exact mode');
  add('n201_first_compaction', build(200, data.uniform(0, 1, 201)), 'first compaction');
  add('uniform_1000', build(200, data.uniform(-5, 5, 1000)), 'n=1000 uniform(-5,5)');
  add('normal_100k', build(200, data.normal(10, 3, 100_000)), 'n=100k normal(10,3)');
  add('uniform_1m', build(200, data.uniform(0, 1000, 1_000_000)), 'n=1M uniform(0,1000)');
  add('duplicates_1m', build(200, data.integers(0, 10, 1_000_000)), 'n=1M with 10 distinct values');
  add(
    'negative_zeros_10k',
    build(200, data.choice([-0, 0, 1, -1, 1e-300], 10_000)),
    '-0 and 0 mixed with other values',
  );
  const extremes = [Infinity, -Infinity, Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324, -5e-324, 2.2250738585072014e-308];
  add(
    'extremes_6k',
    build(200, [...extremes, ...data.normal(0, 1e300, 3000), ...data.normal(0, 1e-300, 3000)]),
    'infinities, the largest and smallest doubles, subnormals',
  );
  add('k8_100k', build(8, data.exponential(2, 100_000)), 'minimum k=8');
  add('k20_100k', build(20, data.normal(0, 1, 100_000)), 'k=20');
  add('k400_100k', build(400, data.uniform(0, 1, 100_000)), 'k=400');
  add('nan_ignored', build(200, [1, NaN, 2, NaN, 3]), 'NaN updates are ignored: n=3');

  const merged = new KllDoublesSketch(200, { random: seededRandom(sketchSeed++) });
  for (const mu of [0, 1, 2, 3]) merged.merge(build(200, data.normal(mu, 1, 50_000)));
  add('merged_4x50k', merged, 'four k=200 sketches of 50k normal values merged into an empty one');
  const a = build(200, data.uniform(0, 1, 100_000));
  a.merge(build(50, data.uniform(0.5, 1.5, 30_000)));
  add('merged_k200_k50', a, 'k=200 merged with a k=50 sketch in estimation mode: min_k=50');
  const c = build(200, data.uniform(0, 1, 150));
  c.merge(build(200, data.uniform(0, 1, 100)));
  add('merged_small_exact', c, 'two exact sketches whose union overflows level zero');
  const sorted = build(200, data.uniform(0, 1, 5000));
  sorted.getRank(0.5);
  add('level_zero_sorted_flag', sorted, 'serialized after a query: level zero sorted, flag bit 1 set');

  const head = {
    generator: 'scripts/vectors/kll_ts_vectors.ts',
    float_encoding: "JSON numbers, except '-0', 'Infinity', '-Infinity' as strings",
  };
  const text =
    JSON.stringify(head, null, 1).slice(0, -2) +
    ',\n "sketches": [\n' +
    entries.map((e) => JSON.stringify(e)).join(',\n') +
    '\n ]\n}\n';
  JSON.parse(text);
  writeFileSync(join(OUT, 'manifest.json'), text);
  console.log(`wrote ${entries.length} sketches to ${OUT}`);
}

main();
