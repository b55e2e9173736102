// Reads the KLL vector manifests (test/vectors/kll/manifest.json from DataSketches,
// test/vectors/kll/ts/manifest.json from TypeScript); both share one layout.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const VECTOR_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors', 'kll');

/** A double in the manifest: a JSON number, or '-0' / 'Infinity' / '-Infinity' / 'NaN' as a string. */
export type EncodedDouble = number | string;

export interface ManifestQueries {
  rank_points: EncodedDouble[];
  ranks_inclusive: number[];
  ranks_exclusive: number[];
  quantile_ranks: number[];
  quantiles_inclusive: EncodedDouble[];
  quantiles_exclusive: EncodedDouble[];
  split_points: EncodedDouble[];
  cdf_inclusive: number[];
  cdf_exclusive: number[];
  pmf_inclusive: number[];
  pmf_exclusive: number[];
}

export interface ManifestEntry {
  name: string;
  file: string;
  note: string;
  serialized_size: number;
  sha256: string;
  header: {
    preamble_ints: number;
    serial_version: number;
    family: number;
    flags: number;
    k: number;
    m: number;
    min_k: number;
    num_levels: number;
  };
  k: number;
  n: number;
  num_retained: number;
  is_empty: boolean;
  is_estimation_mode: boolean;
  normalized_rank_error: number;
  normalized_rank_error_pmf: number;
  min: EncodedDouble | null;
  max: EncodedDouble | null;
  /** (item, weight) sorted; weights from the item's level. */
  retained: [EncodedDouble, number][];
  /** Total weight per distinct value, from DataSketches' ranks: n * (inclusive - exclusive rank). */
  value_weights?: [EncodedDouble, number][];
  queries: ManifestQueries | null;
  sha256_after_queries?: string;
}

export interface Manifest {
  generator: string;
  sketches: ManifestEntry[];
}

export function decodeDouble(x: EncodedDouble): number {
  if (typeof x === 'number') return x;
  switch (x) {
    case '-0':
      return -0;
    case 'Infinity':
      return Infinity;
    case '-Infinity':
      return -Infinity;
    case 'NaN':
      return NaN;
    default:
      throw new Error(`bad encoded double ${x}`);
  }
}

export function encodeDouble(x: number): EncodedDouble {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Object.is(x, -0)) return '-0';
  return x;
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
}

export function readVector(dir: string, file: string): Uint8Array {
  return new Uint8Array(readFileSync(join(dir, file)));
}

/** Total order for (item, weight) pairs: by value, -0 before +0, then by weight. */
export function comparePairs(a: readonly [number, number], b: readonly [number, number]): number {
  if (a[0] < b[0]) return -1;
  if (a[0] > b[0]) return 1;
  const sa = Object.is(a[0], -0) ? 0 : 1;
  const sb = Object.is(b[0], -0) ? 0 : 1;
  if (sa !== sb) return sa - sb;
  return a[1] - b[1];
}
