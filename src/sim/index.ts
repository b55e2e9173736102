import { createHash } from 'node:crypto';
import { schemaFingerprint, type ColumnProfile, type Profile, type Report, type Schema } from '../contract/index.js';
import { KllDoublesSketch, seededRandom, type RandomSource } from '../sketch/index.js';

/**
 * Simulated pipelines: DAGs of nodes whose reports look like real ones (row counts, null counts,
 * KLL sketches of real values, categorical counts, schemas, column lineage, versions), with
 * measurement noise and faults that propagate downstream the way real ones do. Used by the demo,
 * the scenario tests and the RCA accuracy benchmark.
 */

export interface SimNode {
  name: string;
  parents: string[];
  /** Rows the node writes in a normal run. */
  baseRows: number;
}

export interface SimDag {
  pipeline: string;
  shape: string;
  /** In topological order. */
  nodes: SimNode[];
}

export type FaultKind = 'null_spike' | 'shift' | 'row_drop' | 'schema_change' | 'code_change' | 'category_shift';
export const FAULT_KINDS: readonly FaultKind[] = [
  'null_spike',
  'shift',
  'row_drop',
  'schema_change',
  'code_change',
  'category_shift',
];

export interface Fault {
  node: string;
  kind: FaultKind;
  /** Column affected (null_spike, shift, code_change); default per kind. */
  column?: string;
  /** Size: null_spike extra null ratio (0.15), shift in standard deviations (2), row_drop fraction (0.3). */
  magnitude?: number;
}

export interface SimOptions {
  seed?: number;
  /** Relative standard deviation of row counts between runs. Default 0.005. */
  rowNoise?: number;
  /** Null ratio of every column in normal runs. Default 0.002. */
  baseNullRatio?: number;
  /** Time of run 0 (ms). Default 2026-11-01T00:00:00Z. */
  startTime?: number;
  /** Time between runs (ms). Default 1 hour. */
  intervalMs?: number;
  /** KLL k of the sketches. Default 200. */
  k?: number;
  /**
   * Provenance: each output's profile carries a content hash (`rch1:`, derived from the profile, so it changes
   * with the data), each input the hash of the parent output it read, and every root node reads a versioned,
   * hashed source dataset (`source/<pipeline>/<node>`). Default false (the reports stay as they were).
   */
  contentHashes?: boolean;
}

export const SIM_COLUMNS = ['amount', 'score', 'segment'] as const;
const SEGMENTS = ['retail', 'smb', 'enterprise', 'partner'];
const BASE_SEGMENT_P = [0.45, 0.3, 0.17, 0.08];

function hash32(s: string): number {
  return createHash('sha1').update(s).digest().readUInt32LE(0);
}

function uuidFrom(s: string): string {
  const h = createHash('sha1').update(s).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function normal(rng: RandomSource): number {
  let u = 0;
  while (u === 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** DAG shapes used by the scenario suite and the benchmark. */
export function makeDag(
  shape: 'chain' | 'diamond' | 'fan_in' | 'fan_out' | 'random',
  size: number,
  pipeline: string,
  seed = 1,
): SimDag {
  const rng = seededRandom(seed);
  const n = Math.max(shape === 'diamond' ? 4 : 2, size);
  const nodes: SimNode[] = [];
  const rows = () => 2000 + Math.floor(rng() * 3000);
  const name = (i: number) => `n${String(i).padStart(2, '0')}`;
  if (shape === 'chain') {
    for (let i = 0; i < n; i++) nodes.push({ name: name(i), parents: i === 0 ? [] : [name(i - 1)], baseRows: rows() });
  } else if (shape === 'diamond') {
    // source -> two branches -> join -> a tail chain
    nodes.push({ name: name(0), parents: [], baseRows: rows() });
    nodes.push({ name: name(1), parents: [name(0)], baseRows: rows() });
    nodes.push({ name: name(2), parents: [name(0)], baseRows: rows() });
    nodes.push({ name: name(3), parents: [name(1), name(2)], baseRows: rows() });
    for (let i = 4; i < n; i++) nodes.push({ name: name(i), parents: [name(i - 1)], baseRows: rows() });
  } else if (shape === 'fan_in') {
    const sources = Math.max(2, n - 2);
    for (let i = 0; i < sources; i++) nodes.push({ name: name(i), parents: [], baseRows: rows() });
    nodes.push({ name: name(sources), parents: nodes.map((x) => x.name), baseRows: rows() });
    for (let i = sources + 1; i < n; i++) nodes.push({ name: name(i), parents: [name(i - 1)], baseRows: rows() });
  } else if (shape === 'fan_out') {
    nodes.push({ name: name(0), parents: [], baseRows: rows() });
    nodes.push({ name: name(1), parents: [name(0)], baseRows: rows() });
    for (let i = 2; i < n; i++) nodes.push({ name: name(i), parents: [name(1)], baseRows: rows() });
  } else {
    // Random DAG: each node reads 1-3 earlier nodes (a few sources have none).
    for (let i = 0; i < n; i++) {
      const parents: string[] = [];
      if (i > 0 && !(i < 3 && rng() < 0.5)) {
        const want = 1 + Math.floor(rng() * Math.min(3, i));
        while (parents.length < want) {
          const p = name(Math.floor(rng() * i));
          if (!parents.includes(p)) parents.push(p);
        }
      }
      nodes.push({ name: name(i), parents, baseRows: rows() });
    }
  }
  return { pipeline, shape, nodes };
}

interface ColState {
  mu: number;
  sigma: number;
  nullRatio: number;
}

interface NodeState {
  rowsFactor: number;
  amount: ColState;
  score: ColState;
  segment: { p: number[]; nullRatio: number };
  /** Columns missing from the node's output schema. */
  missing: Set<string>;
  codeVersion: string;
}

function schemaOf(missing: Set<string>): Schema {
  const all: Schema = [
    { name: 'amount', type: 'double', nullable: true },
    { name: 'score', type: 'double', nullable: true },
    { name: 'segment', type: 'string', nullable: true },
  ];
  return all.filter((f) => !missing.has(f.name));
}

/** Runs a simulated pipeline: one call per pipeline run gives the reports of its nodes, in order. */
export class PipelineSim {
  readonly dag: SimDag;
  private readonly o: Required<SimOptions>;
  private readonly offsets = new Map<string, { amount: number; score: number }>();

  constructor(dag: SimDag, options: SimOptions = {}) {
    this.dag = dag;
    this.o = {
      seed: options.seed ?? 1,
      rowNoise: options.rowNoise ?? 0.005,
      baseNullRatio: options.baseNullRatio ?? 0.002,
      startTime: options.startTime ?? Date.parse('2026-11-01T00:00:00Z'),
      intervalMs: options.intervalMs ?? 3_600_000,
      k: options.k ?? 200,
      contentHashes: options.contentHashes ?? false,
    };
    for (const n of dag.nodes) {
      const h = hash32(`${dag.pipeline}/${n.name}`);
      this.offsets.set(n.name, {
        amount: ((h % 1000) / 1000) * 20 - 10,
        score: (((h >>> 10) % 1000) / 1000) * 0.1 - 0.05,
      });
    }
  }

  dataset(node: string): string {
    return `lake/${this.dag.pipeline}/${node}`;
  }

  runTime(run: number): number {
    return this.o.startTime + run * this.o.intervalMs;
  }

  /**
   * The reports of pipeline run `run`, with the given faults injected. `at` (ms) overrides the run's
   * time (default: startTime + run * intervalMs); the data does not depend on it.
   */
  run(run: number, faults: readonly Fault[] = [], at?: number): Report[] {
    const states = new Map<string, NodeState>();
    const hashes = new Map<string, string>();
    const reports: Report[] = [];
    const t0 = at ?? this.runTime(run);
    const runId = new Date(t0).toISOString();
    this.dag.nodes.forEach((node, idx) => {
      const rng = seededRandom(hash32(`${this.o.seed}/${this.dag.pipeline}/${node.name}/${run}`));
      const off = this.offsets.get(node.name)!;
      const parents = node.parents.map((p) => states.get(p)!);
      const avg = (f: (s: NodeState) => number, dflt: number) =>
        parents.length ? parents.reduce((a, s) => a + f(s), 0) / parents.length : dflt;
      const anyNull = (f: (s: NodeState) => number) => 1 - parents.reduce((a, s) => a * (1 - f(s)), 1);
      const st: NodeState = {
        rowsFactor: parents.length ? Math.min(...parents.map((s) => s.rowsFactor)) : 1,
        amount: {
          mu: avg((s) => s.amount.mu, 100) + off.amount,
          sigma: avg((s) => s.amount.sigma, 15),
          nullRatio: Math.max(
            this.o.baseNullRatio,
            anyNull((s) => s.amount.nullRatio),
          ),
        },
        score: {
          mu: avg((s) => s.score.mu, 0.5) + off.score,
          sigma: avg((s) => s.score.sigma, 0.1),
          nullRatio: Math.max(
            this.o.baseNullRatio,
            anyNull((s) => s.score.nullRatio),
          ),
        },
        segment: {
          p: parents.length ? SEGMENTS.map((_, i) => avg((s) => s.segment.p[i]!, 0)) : [...BASE_SEGMENT_P],
          nullRatio: Math.max(
            this.o.baseNullRatio,
            anyNull((s) => s.segment.nullRatio),
          ),
        },
        missing: new Set(),
        codeVersion: `git:${(hash32(`code/${this.dag.pipeline}/${node.name}`) >>> 0).toString(16).padStart(8, '0').slice(0, 7)}`,
      };
      // A column missing upstream arrives as nulls here.
      for (const p of parents) for (const c of p.missing) if (c === 'amount' || c === 'score') st[c].nullRatio = 1;
      for (const f of faults.filter((x) => x.node === node.name)) this.inject(st, f);
      states.set(node.name, st);

      const rows = Math.max(1, Math.round(node.baseRows * st.rowsFactor * (1 + this.o.rowNoise * normal(rng))));
      const columns: Record<string, ColumnProfile> = {};
      for (const c of ['amount', 'score'] as const) {
        if (st.missing.has(c)) continue;
        columns[c] = this.numericColumn(rows, st[c], rng, `${node.name}/${c}/${run}`);
      }
      if (!st.missing.has('segment')) columns.segment = this.categoricalColumn(rows, st.segment, rng);
      const schema = schemaOf(st.missing);
      const profile: Profile = { row_count: rows, schema, schema_fingerprint: schemaFingerprint(schema), columns };
      const report: Report = {
        spec: 'rootline.report/v1',
        event_id: uuidFrom(`${this.o.seed}/${this.dag.pipeline}/${node.name}/${run}`),
        pipeline: this.dag.pipeline,
        node: node.name,
        run_id: runId,
        event_time: new Date(t0 + (idx + 1) * 1000).toISOString(),
        status: 'success',
        upstream: node.parents.map((p) => ({ node: p, run_id: runId })),
        inputs: node.parents.map((p) => ({ dataset: this.dataset(p) })),
        outputs: [{ dataset: this.dataset(node.name), profile }],
        code_version: st.codeVersion,
        data_version: `${node.name}@${runId}`,
        params: { window: '1h' },
      };
      if (this.o.contentHashes) {
        const contentHash = `rch1:${createHash('sha256').update(JSON.stringify(profile)).digest('hex').slice(0, 32)}`;
        profile.content_hash = contentHash;
        hashes.set(node.name, contentHash);
        report.inputs =
          node.parents.length > 0
            ? node.parents.map((p) => ({ dataset: this.dataset(p), profile: { content_hash: hashes.get(p)! } }))
            : [
                {
                  dataset: `source/${this.dag.pipeline}/${node.name}`,
                  version: `v${run}`,
                  profile: {
                    content_hash: `rch1:${createHash('sha256').update(`${this.o.seed}/${this.dag.pipeline}/${node.name}/source/${run}`).digest('hex').slice(0, 32)}`,
                  },
                },
              ];
      }
      if (node.parents.length > 0) {
        report.column_lineage = Object.fromEntries(
          SIM_COLUMNS.filter((c) => !st.missing.has(c)).map((c) => [
            c,
            node.parents.map((p) => ({ node: p, column: c })),
          ]),
        );
      }
      reports.push(report);
    });
    return reports;
  }

  private inject(st: NodeState, f: Fault): void {
    switch (f.kind) {
      case 'null_spike': {
        const c = (f.column ?? 'amount') as 'amount' | 'score';
        const col = c === 'amount' || c === 'score' ? st[c] : st.segment;
        col.nullRatio = Math.min(1, col.nullRatio + (f.magnitude ?? 0.15));
        break;
      }
      case 'shift': {
        const c = (f.column ?? 'amount') as 'amount' | 'score';
        st[c].mu += (f.magnitude ?? 2) * st[c].sigma;
        break;
      }
      case 'category_shift':
        st.segment.p = [...st.segment.p].reverse();
        break;
      case 'row_drop':
        st.rowsFactor *= 1 - (f.magnitude ?? 0.3);
        break;
      case 'schema_change':
        st.missing.add(f.column ?? 'score');
        break;
      case 'code_change': {
        st.codeVersion = 'git:c0ffee1';
        const c = (f.column ?? 'amount') as 'amount' | 'score';
        st[c].nullRatio = Math.min(1, st[c].nullRatio + (f.magnitude ?? 0.1));
        break;
      }
    }
  }

  private numericColumn(rows: number, c: ColState, rng: RandomSource, seedKey: string): ColumnProfile {
    const nulls = Math.min(
      rows,
      Math.max(0, Math.round(rows * c.nullRatio + Math.sqrt(rows * c.nullRatio * (1 - c.nullRatio)) * normal(rng))),
    );
    const n = rows - nulls;
    const values = new Float64Array(n);
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = c.mu + c.sigma * normal(rng);
      values[i] = v;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const sketch = new KllDoublesSketch(this.o.k, { random: seededRandom(hash32(seedKey)) });
    sketch.updateMany(values);
    return {
      kind: 'numeric',
      count: rows,
      null_count: nulls,
      ...(n > 0 ? { min, max, mean: sum / n } : {}),
      sketch: { type: 'kll_doubles', k: this.o.k, data: sketch.toBase64() },
    };
  }

  private categoricalColumn(rows: number, c: { p: number[]; nullRatio: number }, rng: RandomSource): ColumnProfile {
    const nulls = Math.min(
      rows,
      Math.max(0, Math.round(rows * c.nullRatio + Math.sqrt(rows * c.nullRatio * (1 - c.nullRatio)) * normal(rng))),
    );
    const n = rows - nulls;
    const frequent: Record<string, number> = {};
    let left = n;
    SEGMENTS.forEach((s, i) => {
      const expect = n * c.p[i]!;
      const cnt =
        i === SEGMENTS.length - 1
          ? left
          : Math.max(0, Math.min(left, Math.round(expect + Math.sqrt(expect * (1 - c.p[i]!)) * normal(rng))));
      left -= cnt;
      if (cnt > 0) frequent[s] = cnt;
    });
    return {
      kind: 'categorical',
      count: rows,
      null_count: nulls,
      frequent,
      other_count: 0,
      distinct_estimate: Object.keys(frequent).length,
    };
  }
}
