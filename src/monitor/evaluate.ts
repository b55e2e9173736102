import { diffSchemas, schemaFingerprint, type Profile, type Report } from '../contract/index.js';
import type { ColumnMetrics, DriftMetrics, NodeRunMetrics } from '../rules/index.js';
import { KllDoublesSketch } from '../sketch/index.js';
import {
  categoricalCounts,
  chiSquaredTest,
  driftEvidence,
  ks2samp,
  ksSummaries,
  median,
  relativeDeviation,
  robustZ,
  sampleSummary,
  totalVariationDistance,
  weightedSummary,
  type CdfSummary,
} from '../stats/index.js';
import type { CompiledCoreOptions } from './options.js';
import { newDatasetBaseline, pushBounded, type DatasetBaseline, type DistributionSlot, type NodeState, type SlotColumn } from './state.js';

const SEP = '\u001f';

/** Key of a baseline slot in the state (see core.stateKey.slot). */
export function slotKey(pipeline: string, node: string, role: 'out' | 'in', dataset: string, slot: number): string {
  return `s${SEP}${pipeline}${SEP}${node}${SEP}${role}${SEP}${dataset}${SEP}${slot}`;
}

type NumericBaseline = { kind: 'sketch'; sketch: KllDoublesSketch; summary: CdfSummary } | { kind: 'sample'; values: Float64Array } | undefined;
type CategoricalBaseline = Record<string, number> | undefined;

/**
 * The merged baseline distributions of a dataset's columns (the last N healthy runs' sketches merged,
 * samples concatenated, categorical counts summed), built from the state's slots on first use and
 * dropped when a new healthy run changes them.
 */
export class BaselineCache {
  private readonly numeric = new Map<string, NumericBaseline>();
  private readonly categorical = new Map<string, CategoricalBaseline>();
  private readonly sketches = new Map<string, KllDoublesSketch>();

  constructor(
    private readonly slots: Map<string, DistributionSlot>,
    private readonly options: CompiledCoreOptions,
  ) {}

  clear(): void {
    this.numeric.clear();
    this.categorical.clear();
    this.sketches.clear();
  }

  /** Forgets the merged baselines of one dataset (its slots changed). */
  invalidate(prefix: string): void {
    for (const m of [this.numeric, this.categorical] as Map<string, unknown>[]) for (const k of [...m.keys()]) if (k.startsWith(prefix)) m.delete(k);
  }

  forgetSlot(key: string): void {
    for (const k of [...this.sketches.keys()]) if (k.startsWith(`${key}${SEP}`)) this.sketches.delete(k);
  }

  private slotList(prefix: string, b: DatasetBaseline): DistributionSlot[] {
    const out: DistributionSlot[] = [];
    for (let i = 0; i < b.slot_count; i++) {
      const s = this.slots.get(`${prefix}${i}`);
      if (s) out.push(s);
    }
    return out;
  }

  private slotSketch(slotKeyStr: string, column: string, col: { sketch?: string }): KllDoublesSketch | undefined {
    const key = `${slotKeyStr}${SEP}${column}`;
    let s = this.sketches.get(key);
    if (!s && col.sketch) {
      s = KllDoublesSketch.fromBase64(col.sketch);
      this.sketches.set(key, s);
    }
    return s;
  }

  numericBaseline(prefix: string, b: DatasetBaseline, column: string): NumericBaseline {
    const key = `${prefix}${SEP}${column}`;
    if (this.numeric.has(key)) return this.numeric.get(key);
    let merged: KllDoublesSketch | undefined;
    const samples: number[][] = [];
    for (let i = 0; i < b.slot_count; i++) {
      const sk = `${prefix}${i}`;
      const col = this.slots.get(sk)?.columns[column];
      if (!col || col.kind !== 'numeric') continue;
      if (col.sketch) {
        const s = this.slotSketch(sk, column, col);
        if (s && !s.isEmpty) {
          merged ??= new KllDoublesSketch(Math.max(s.k, this.options.sketchK));
          merged.merge(s);
        }
      } else if (col.sample && col.sample.length > 0) samples.push(col.sample);
    }
    let result: NumericBaseline;
    if (merged && !merged.isEmpty) {
      // Samples of other runs (a node that switched representation) join the merged sketch.
      for (const s of samples) merged.updateMany(s);
      const view = merged.sortedView();
      result = { kind: 'sketch', sketch: merged, summary: weightedSummary(view.items, view.weights, merged.normalizedRankError(false)) };
    } else if (samples.length > 0) {
      result = { kind: 'sample', values: Float64Array.from(samples.flat()) };
    }
    this.numeric.set(key, result);
    return result;
  }

  categoricalBaseline(prefix: string, b: DatasetBaseline, column: string): CategoricalBaseline {
    const key = `${prefix}${SEP}${column}`;
    if (this.categorical.has(key)) return this.categorical.get(key);
    let total: Record<string, number> | undefined;
    for (const slot of this.slotList(prefix, b)) {
      const col = slot.columns[column];
      if (!col || col.kind !== 'categorical') continue;
      total ??= {};
      for (const [v, c] of Object.entries(categoricalCounts(col.frequent, col.other_count))) total[v] = (total[v] ?? 0) + c;
    }
    this.categorical.set(key, total);
    return total;
  }
}

function finite(x: number | null | undefined): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

function numericDrift(cache: BaselineCache, prefix: string, b: DatasetBaseline, column: string, col: { sketch?: { data: string }; sample?: number[] }): DriftMetrics | undefined {
  const base = cache.numericBaseline(prefix, b, column);
  if (!base) return undefined;
  if (col.sample && base.kind === 'sample') {
    if (col.sample.length === 0 || base.values.length === 0) return undefined;
    const r = ks2samp(col.sample, base.values);
    return { test: 'ks', statistic: r.statistic, effect: r.statistic, pvalue: r.pvalue, n_current: col.sample.length, n_baseline: base.values.length };
  }
  let current: CdfSummary;
  if (col.sketch) {
    const s = KllDoublesSketch.fromBase64(col.sketch.data);
    if (s.isEmpty) return undefined;
    const view = s.sortedView();
    current = weightedSummary(view.items, view.weights, s.normalizedRankError(false));
  } else if (col.sample && col.sample.length > 0) {
    current = sampleSummary(col.sample);
  } else return undefined;
  const baseSummary = base.kind === 'sketch' ? base.summary : sampleSummary(base.values);
  const ks = ksSummaries(current, baseSummary);
  const ev = driftEvidence({ d: ks.d, n1: ks.n1, n2: ks.n2, rankErrorA: ks.rankErrorA, rankErrorB: ks.rankErrorB });
  return { test: 'ks', statistic: ks.d, effect: ev.dLow, pvalue: ev.pvalue, n_current: ks.n1, n_baseline: ks.n2 };
}

function categoricalDrift(cache: BaselineCache, prefix: string, b: DatasetBaseline, column: string, col: { frequent?: Record<string, number>; other_count?: number }): DriftMetrics | undefined {
  const base = cache.categoricalBaseline(prefix, b, column);
  if (!base || !col.frequent) return undefined;
  const current = categoricalCounts(col.frequent, col.other_count ?? 0);
  const nCur = Object.values(current).reduce((a, c) => a + c, 0);
  const nBase = Object.values(base).reduce((a, c) => a + c, 0);
  if (nCur === 0 || nBase === 0) return undefined;
  const chi = chiSquaredTest(base, current);
  const tvd = totalVariationDistance(base, current);
  return { test: 'chi2', statistic: tvd, effect: tvd, pvalue: chi.pvalue, n_current: nCur, n_baseline: nBase };
}

/**
 * The metrics of one node-run against the node's healthy baseline: row count deviation (median/MAD),
 * schema change with its diff, per column null ratio and drift (KS on sketches or samples, chi-squared
 * and total variation on categories). The first dataset gives the row count and schema; every
 * dataset's columns are evaluated. `role` picks the outputs' or the inputs' baselines.
 */
export function evaluateProfile(
  report: Pick<Report, 'pipeline' | 'node' | 'run_id' | 'event_time' | 'status'>,
  datasets: readonly { dataset: string; profile: Profile }[],
  node: NodeState,
  role: 'out' | 'in',
  cache: BaselineCache,
): NodeRunMetrics {
  const baselines = role === 'out' ? node.outputs : node.inputs;
  const primary = datasets[0]!;
  const pb = baselines[primary.dataset];
  const rows = primary.profile.row_count;
  const m: NodeRunMetrics = {
    pipeline: report.pipeline,
    node: report.node,
    run_id: report.run_id,
    event_time: report.event_time,
    status: report.status ?? 'success',
    baseline_runs: pb?.healthy_runs ?? 0,
    row_count: { value: rows },
    schema: { changed: false, breaking: false, changes: [] },
    columns: [],
  };
  if (pb && pb.row_counts.length > 0) {
    const med = median(pb.row_counts);
    m.row_count.baseline = med;
    const dev = relativeDeviation(rows, med);
    m.row_count.deviation = Number.isFinite(dev) ? dev : dev > 0 ? 1e9 : -1;
    const z = robustZ(rows, pb.row_counts);
    if (Number.isFinite(z)) m.row_count.z = z;
  }
  const fp = primary.profile.schema_fingerprint ?? (primary.profile.schema ? schemaFingerprint(primary.profile.schema) : undefined);
  if (fp !== undefined) m.schema.fingerprint = fp;
  if (pb?.schema && fp !== undefined && pb.schema.fingerprint !== fp) {
    m.schema.previous = pb.schema.fingerprint;
    m.schema.changed = true;
    if (pb.schema.schema && primary.profile.schema) {
      m.schema.changes = diffSchemas(pb.schema.schema, primary.profile.schema);
      m.schema.breaking = m.schema.changes.some((c) => c.breaking);
    } else m.schema.breaking = true; // without both schemas the change cannot be classified
  }

  for (const { dataset, profile } of datasets) {
    const b = baselines[dataset];
    const prefix = slotKey(report.pipeline, report.node, role, dataset, 0).slice(0, -1);
    for (const [column, col] of Object.entries(profile.columns ?? {})) {
      const ratio = col.count > 0 ? col.null_count / col.count : 0;
      const cm: ColumnMetrics = { column, kind: col.kind, dataset, count: col.count, null_count: col.null_count, null_ratio: ratio };
      const hist = b?.columns[column]?.null_ratios;
      if (hist && hist.length > 0) cm.null_ratio_baseline = median(hist);
      if (col.kind === 'numeric') {
        const mean = finite(col.mean);
        if (mean !== undefined) cm.mean = mean;
        if (b && b.slot_count > 0) {
          const d = numericDrift(cache, prefix, b, column, col);
          if (d) cm.drift = d;
        }
      } else if (b && b.slot_count > 0) {
        const d = categoricalDrift(cache, prefix, b, column, col);
        if (d) cm.drift = d;
      }
      m.columns.push(cm);
    }
  }
  return m;
}

function slotColumns(profile: Profile): Record<string, SlotColumn> {
  const out: Record<string, SlotColumn> = {};
  for (const [name, col] of Object.entries(profile.columns ?? {})) {
    if (col.kind === 'numeric') {
      if (col.sketch) out[name] = { kind: 'numeric', sketch: col.sketch.data, k: col.sketch.k };
      else if (col.sample) out[name] = { kind: 'numeric', sample: col.sample };
    } else if (col.frequent) {
      out[name] = { kind: 'categorical', frequent: col.frequent, other_count: col.other_count ?? 0 };
    }
  }
  return out;
}

/** A healthy run teaches the dataset's baseline: row count, null ratios, schema, one distribution slot. */
export function learnBaseline(
  node: NodeState,
  role: 'out' | 'in',
  dataset: string,
  profile: Profile,
  report: Pick<Report, 'run_id' | 'event_time'>,
  slots: Map<string, DistributionSlot>,
  cache: BaselineCache,
  options: CompiledCoreOptions,
  dirty: Set<string>,
): void {
  const map = role === 'out' ? node.outputs : node.inputs;
  const b = (map[dataset] ??= newDatasetBaseline(dataset));
  const n = options.baselineRuns;
  b.healthy_runs += 1;
  pushBounded(b.row_counts, profile.row_count, n);
  for (const [name, col] of Object.entries(profile.columns ?? {})) {
    const c = (b.columns[name] ??= { kind: col.kind, null_ratios: [] });
    c.kind = col.kind;
    pushBounded(c.null_ratios, col.count > 0 ? col.null_count / col.count : 0, n);
  }
  const fp = profile.schema_fingerprint ?? (profile.schema ? schemaFingerprint(profile.schema) : undefined);
  if (fp !== undefined) b.schema = { fingerprint: fp, ...(profile.schema ? { schema: profile.schema } : {}) };
  const columns = slotColumns(profile);
  if (Object.keys(columns).length > 0) {
    const i = b.slot_next % n;
    const key = slotKey(node.pipeline, node.node, role, dataset, i);
    slots.set(key, { run_id: report.run_id, event_time: Date.parse(report.event_time), columns });
    cache.forgetSlot(key);
    b.slot_next = (i + 1) % n;
    b.slot_count = Math.min(b.slot_count + 1, n);
    dirty.add(key);
    cache.invalidate(key.slice(0, key.lastIndexOf(SEP) + 1));
  }
}
