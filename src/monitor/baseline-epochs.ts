import { own, parseJsonDict } from '../dict.js';
import { compositeKey } from '../keys.js';
import { KllDoublesSketch, peekDecodedSketch, seededRandom } from '../sketch/index.js';
import { FrequentBounds, type FrequentBoundsState } from '../stats/index.js';
import type { CompiledCoreOptions } from './options.js';
import { stateKey } from './state-keys.js';
import type { DatasetBaseline, SlotColumn } from './state.js';

/**
 * The distribution baselines, stored by epoch (docs/statistics.md, "The baseline window"): a dataset's
 * healthy runs are grouped in epochs of B = N/2 runs (N = `baselineRuns`), and each epoch keeps one
 * merged summary per column: a KLL sketch of k = `sketchK` (numeric), the run samples (numeric columns
 * sent as samples), or the frequent lists merged with their error bounds (categorical). The window is the
 * last E = (N - 1) / B (rounded down) closed epochs plus the open one, between E B and E B + B - 1 runs
 * (10 to 19 for N = 20); E + 1 epoch records per dataset are kept, whatever N, so the state no longer
 * grows with the runs of the window (it held one record of every column per run).
 */

/** One column's distribution over an epoch's healthy runs (in memory: sketches as serialized bytes). */
export type EpochColumn =
  { kind: 'numeric'; sketch?: Uint8Array; sample?: number[] } | { kind: 'categorical'; bounds: FrequentBounds };

/** The merged distributions of one epoch of a dataset's healthy runs. */
export interface BaselineEpoch {
  /** Index of the epoch: runs seq B e .. B e + B - 1 of the dataset's runs with distributions. */
  epoch: number;
  /** Healthy runs merged so far (B once closed). */
  runs: number;
  /** Their run ids, oldest first (a pinned reference run is found through them). */
  run_ids: string[];
  columns: Map<string, EpochColumn>;
}

/** An epoch as its state record holds it (JSON; sketches as base64). */
interface EpochRecord {
  epoch: number;
  runs: number;
  run_ids: string[];
  columns: Record<string, { kind: 'numeric'; sketch?: string; sample?: number[] } | RecordCategorical>;
}
type RecordCategorical = { kind: 'categorical' } & FrequentBoundsState;

/** Epoch size B, closed epochs in the window E, and epoch records kept per dataset (E + 1). */
export function epochGeometry(baselineRuns: number): { size: number; closed: number; ring: number } {
  const size = Math.max(1, Math.floor(baselineRuns / 2));
  const closed = Math.floor((baselineRuns - 1) / size);
  return { size, closed, ring: closed + 1 };
}

/** Healthy runs in the window once `seq` runs with distributions were learned. */
export function windowRuns(baselineRuns: number, seq: number): number {
  const { size, closed } = epochGeometry(baselineRuns);
  return Math.min(seq, closed * size + (seq % size));
}

/** The state key of a dataset's epoch records without the ring position. */
export function epochPrefix(pipeline: string, node: string, role: 'out' | 'in', dataset: string): string {
  return stateKey.epoch(pipeline, node, role, dataset, 0).slice(0, -1);
}

function hash32(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function decodeSketch(bytes: Uint8Array, seed: string): KllDoublesSketch {
  return KllDoublesSketch.deserialize(bytes, { random: seededRandom(hash32(seed)) });
}

/**
 * The open epochs' sketches the window decoded for the report being judged, by their bytes: learning the
 * report then merges into the decoded one instead of decoding the same bytes again. Each was only merged
 * into the window (read, never changed), so it is what a fresh decode of its bytes gives; learning reseeds
 * it as it would seed that decode. Bounded: {@link BaselineCache.endReport} empties it after every report
 * (memory keeps the epochs serialized), and it never holds more than {@link MAX_DECODED} sketches.
 */
const decodedOpen = new Map<Uint8Array, KllDoublesSketch>();
const MAX_DECODED = 4096;

/** The epoch sketch of `bytes` for learning to merge into: the window's decode of them if kept, else a new one. */
function openForLearning(bytes: Uint8Array, seed: string): KllDoublesSketch {
  const kept = decodedOpen.get(bytes);
  if (kept === undefined) return decodeSketch(bytes, seed);
  decodedOpen.delete(bytes);
  kept.reseed(seededRandom(hash32(seed)));
  return kept;
}

/**
 * A slot column's sketch, decoded: the one validation decoded for the report it came from (sketch/shared.ts),
 * else decoded now. Read-only either way (merged into others, never into).
 */
export function slotSketch(col: { sketch?: string }): KllDoublesSketch | undefined {
  if (col.sketch === undefined) return undefined;
  return peekDecodedSketch(col) ?? KllDoublesSketch.deserialize(new Uint8Array(Buffer.from(col.sketch, 'base64')));
}

/**
 * Merges one healthy run's distributions into the dataset's open epoch (run `seq` of those with
 * distributions), starting a new epoch over the oldest record of the ring when `seq` opens one. Merges
 * draw from a random source seeded by the record key, column and seq: a restarted monitor merges the
 * same. Returns the key of the record written.
 */
export function learnEpoch(
  epochs: Map<string, BaselineEpoch>,
  prefix: string,
  seq: number,
  runId: string,
  columns: Readonly<Record<string, SlotColumn>>,
  options: CompiledCoreOptions,
): string {
  const { size, ring } = epochGeometry(options.baselineRuns);
  const e = Math.floor(seq / size);
  const key = `${prefix}${e % ring}`;
  let rec = epochs.get(key);
  if (!rec || rec.epoch !== e) epochs.set(key, (rec = { epoch: e, runs: 0, run_ids: [], columns: new Map() }));
  rec.runs += 1;
  rec.run_ids.push(runId);
  for (const [name, col] of Object.entries(columns)) {
    const have = rec.columns.get(name);
    if (col.kind === 'categorical') {
      const bounds = have?.kind === 'categorical' ? have.bounds : new FrequentBounds();
      bounds.add({ frequent: col.frequent, otherCount: col.other_count });
      rec.columns.set(name, { kind: 'categorical', bounds });
      continue;
    }
    const next: EpochColumn & { kind: 'numeric' } = have?.kind === 'numeric' ? have : { kind: 'numeric' };
    if (col.sketch) {
      const seed = compositeKey(key, name, seq);
      const merged = next.sketch
        ? openForLearning(next.sketch, seed)
        : new KllDoublesSketch(options.sketchK, { random: seededRandom(hash32(seed)) });
      // The report was validated when it arrived; no second base64 check here.
      merged.merge(slotSketch(col)!);
      next.sketch = merged.serialize();
    }
    if (col.sample) next.sample = [...(next.sample ?? []), ...col.sample];
    rec.columns.set(name, next);
  }
  return key;
}

/** The window's epochs, oldest first. */
function windowEpochs(
  epochs: ReadonlyMap<string, BaselineEpoch>,
  prefix: string,
  seq: number,
  baselineRuns: number,
): BaselineEpoch[] {
  const { size, closed, ring } = epochGeometry(baselineRuns);
  const cur = Math.floor(seq / size);
  const out: BaselineEpoch[] = [];
  for (let e = Math.max(0, cur - closed); e <= cur; e++) {
    const rec = epochs.get(`${prefix}${e % ring}`);
    if (rec && rec.epoch === e) out.push(rec);
  }
  return out;
}

/**
 * The window's distributions of a dataset's columns: the epochs' summaries merged when asked (nothing of
 * it is kept between reports, so memory holds only the epochs). The window sketch merges the epochs'
 * sketches with a random source seeded by the dataset, column and seq: deterministic.
 */
export class BaselineCache {
  /** The window sketch, decoded into again for every comparison (see {@link numeric}). */
  private readonly window: KllDoublesSketch;

  constructor(
    private readonly epochs: Map<string, BaselineEpoch>,
    private readonly options: CompiledCoreOptions,
  ) {
    this.window = KllDoublesSketch.reusable(options.sketchK);
  }

  /** Nothing is cached between reports; kept for the state codec's contract. */
  clear(): void {
    decodedOpen.clear();
  }

  /** Drops what was kept for learning the report just processed (see {@link decodedOpen}). */
  endReport(): void {
    decodedOpen.clear();
  }

  /**
   * The merged window sketch of a numeric column, or its samples, or nothing. The sketch is valid until the next
   * call (its arrays are reused: nothing is allocated for it once warm); read it, never keep it.
   */
  numeric(
    prefix: string,
    b: DatasetBaseline,
    column: string,
  ): { kind: 'sketch'; sketch: KllDoublesSketch } | { kind: 'sample'; values: Float64Array } | undefined {
    const parts = windowEpochs(this.epochs, prefix, b.slot_seq, this.options.baselineRuns);
    let sketch: KllDoublesSketch | undefined;
    const samples: number[] = [];
    const seed = compositeKey(prefix, column, b.slot_seq);
    for (let i = 0; i < parts.length; i++) {
      const col = parts[i]!.columns.get(column);
      if (col?.kind !== 'numeric') continue;
      if (col.sketch) {
        if (!sketch) {
          sketch = KllDoublesSketch.deserialize(col.sketch, { random: seededRandom(hash32(seed)), into: this.window });
          // The open epoch alone (no closed one yet): learning gets a copy (the window's view sorts it in place).
          if (i === parts.length - 1 && decodedOpen.size < MAX_DECODED) decodedOpen.set(col.sketch, sketch.clone());
        } else {
          // Only merged from (the window's random source draws): the same sketch as a fresh decode of the bytes,
          // kept for learning when it is the last epoch (the open one).
          const s = decodeSketch(col.sketch, seed);
          sketch.merge(s);
          if (i === parts.length - 1 && decodedOpen.size < MAX_DECODED) decodedOpen.set(col.sketch, s);
        }
      }
      if (col.sample) for (const v of col.sample) samples.push(v);
    }
    if (sketch && !sketch.isEmpty) return { kind: 'sketch', sketch };
    return samples.length > 0 ? { kind: 'sample', values: Float64Array.from(samples) } : undefined;
  }

  /**
   * The frequent lists of a column over the window, merged with their error bounds: a value a run does
   * not list adds between 0 and that run's smallest listed count, never a part of its count as if exact.
   * Each epoch holds its runs' lists already merged, so this adds E + 1 summaries, not one list per run.
   */
  categorical(prefix: string, b: DatasetBaseline, column: string): FrequentBounds | undefined {
    let merged: FrequentBounds | undefined;
    for (const ep of windowEpochs(this.epochs, prefix, b.slot_seq, this.options.baselineRuns)) {
      const col = ep.columns.get(column);
      if (col?.kind === 'categorical') (merged ??= new FrequentBounds()).merge(col.bounds);
    }
    return merged;
  }
}

/**
 * The distributions of a run still in the window, for pinning it as a reference: the epoch that holds it
 * (its merged runs, the run among them: the state keeps no single run's distributions). Categorical
 * columns become one list of the values' listed counts, the rest in `other_count`.
 */
export function epochOfRun(
  epochs: ReadonlyMap<string, BaselineEpoch>,
  prefix: string,
  b: DatasetBaseline,
  runId: string,
  options: CompiledCoreOptions,
): Record<string, SlotColumn> | undefined {
  const ep = windowEpochs(epochs, prefix, b.slot_seq, options.baselineRuns).find((e) => e.run_ids.includes(runId));
  if (!ep) return undefined;
  const out = Object.create(null) as Record<string, SlotColumn>;
  for (const [name, col] of ep.columns) {
    if (col.kind === 'numeric') {
      out[name] = {
        kind: 'numeric',
        ...(col.sketch ? { sketch: Buffer.from(col.sketch).toString('base64'), k: options.sketchK } : {}),
        ...(col.sample ? { sample: col.sample } : {}),
      };
    } else {
      const s = col.bounds.toJSON();
      const frequent = Object.create(null) as Record<string, number>;
      let listed = 0;
      for (const [v, c] of s.values) {
        frequent[v] = c;
        listed += c;
      }
      out[name] = { kind: 'categorical', frequent, other_count: Math.max(0, s.total - listed) };
    }
  }
  return out;
}

/** A property name JSON.stringify puts first (an array index: it orders those numerically, before the others). */
const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;
function isArrayIndex(name: string): boolean {
  return ARRAY_INDEX.test(name) && Number(name) < 4294967295;
}

/** A sketch's bytes as base64, without copying them first. */
function base64Of(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * An epoch as the JSON value of its state record: the text JSON.stringify makes of it, put together without
 * making JSON.stringify scan the sketches' base64 (a string of the base64 alphabet needs no escaping: it is
 * quoted as it is). It is the open epoch's record, rewritten at every healthy run: 125 KB for 20 columns, where
 * JSON.stringify took 150 us. Columns named like array indexes (which JSON.stringify puts first, in numeric
 * order) take JSON.stringify itself.
 */
export function epochToJSON(ep: BaselineEpoch): string {
  const parts: string[] = [];
  for (const [name, col] of ep.columns) {
    if (isArrayIndex(name)) return epochToJSONSlow(ep);
    let value: string;
    if (col.kind === 'numeric') {
      value = '{"kind":"numeric"';
      if (col.sketch) value += `,"sketch":"${base64Of(col.sketch)}"`;
      if (col.sample) value += `,"sample":${JSON.stringify(col.sample)}`;
      value += '}';
    } else value = JSON.stringify({ kind: 'categorical', ...col.bounds.toJSON() });
    parts.push(`${JSON.stringify(name)}:${value}`);
  }
  const head = JSON.stringify({ epoch: ep.epoch, runs: ep.runs, run_ids: ep.run_ids });
  return `${head.slice(0, -1)},"columns":{${parts.join(',')}}}`;
}

/** {@link epochToJSON} by JSON.stringify (the reference: the same text). */
export function epochToJSONSlow(ep: BaselineEpoch): string {
  const columns = Object.create(null) as EpochRecord['columns'];
  for (const [name, col] of ep.columns) {
    columns[name] =
      col.kind === 'numeric'
        ? {
            kind: 'numeric',
            ...(col.sketch ? { sketch: Buffer.from(col.sketch).toString('base64') } : {}),
            ...(col.sample ? { sample: col.sample } : {}),
          }
        : { kind: 'categorical', ...col.bounds.toJSON() };
  }
  const rec: EpochRecord = { epoch: ep.epoch, runs: ep.runs, run_ids: ep.run_ids, columns };
  return JSON.stringify(rec);
}

/** An epoch from the JSON value of its state record. */
export function epochFromJSON(text: string): BaselineEpoch {
  const rec = parseJsonDict(text) as EpochRecord;
  const columns = new Map<string, EpochColumn>();
  for (const name of Object.keys(rec.columns)) {
    const col = own(rec.columns, name)!;
    if (col.kind === 'numeric') {
      columns.set(name, {
        kind: 'numeric',
        ...(col.sketch ? { sketch: new Uint8Array(Buffer.from(col.sketch, 'base64')) } : {}),
        ...(col.sample ? { sample: col.sample } : {}),
      });
    } else columns.set(name, { kind: 'categorical', bounds: FrequentBounds.fromJSON(col) });
  }
  return { epoch: rec.epoch, runs: rec.runs, run_ids: rec.run_ids, columns };
}
