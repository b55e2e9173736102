import { splitKey } from '../../keys.js';
import { DEFAULT_ROW_MIN_Z, type RowExpectation } from '../../stats/seasonal.js';
import { THROUGH_GAIN, THROUGH_LEVEL_Z } from '../../stats/pass-through.js';
import { DEFAULT_MIN_BASELINE_RUNS, holdsFirstEdge } from './types.js';
import type { NodeRunMetrics, Rule } from '../types.js';
import { fmt, pct, type RuleMetricDescriptor } from './types.js';

/** The expectation the rule judges with: its seasonality's (default auto). */
function expectationFor(r: Rule, m: NodeRunMetrics): RowExpectation | undefined {
  // A run without a row count has nothing to judge.
  if (m.row_count.value === undefined) return undefined;
  const e = m.row_count.expectations;
  if (!e) {
    // Metrics made without the seasonal history (hand-built): the plain deviation, its noise unknown.
    const { baseline, deviation, z } = m.row_count;
    if (baseline === undefined || deviation === undefined) return undefined;
    const zz = z ?? (deviation === 0 ? 0 : deviation > 0 ? Infinity : -Infinity);
    return { seasonality: 'none', expected: baseline, runs: m.baseline_runs, deviation, spread: 0, z: zz };
  }
  const x = e[r.seasonality ?? 'auto'];
  return x.undetermined ? undefined : x;
}

/** THE row-count verdict: over the business threshold AND beyond the node's own noise. */
function violated(r: Rule, e: RowExpectation): boolean {
  return Math.abs(e.deviation) > r.max_deviation! && Math.abs(e.z) > (r.min_z ?? DEFAULT_ROW_MIN_Z);
}

/**
 * THE pass-through verdict (stats/pass-through.ts), for a node whose share of its input is at most
 * {@link THROUGH_GAIN} as noisy as its count: against what its inputs' rows and its usual share of them
 * predict, the count is over the business threshold and beyond the share's noise; unless the share moved
 * because an input moved its own level the other way (a row-count finding or signal there) while the output
 * stayed within {@link THROUGH_LEVEL_Z} of its own spreads: a dedupe that removed a day's surge of duplicates
 * did its job.
 */
function throughViolated(
  r: Rule,
  m: NodeRunMetrics,
  e: RowExpectation,
  /** The level is held (a first month edge): the share is judged even where the level would be. */
  held = false,
): NonNullable<NodeRunMetrics['row_count']['through']> | undefined {
  const t = m.row_count.through;
  // Only where the share predicted the count better than its own history did: a group-by over a steady set
  // of merchants writes ~200 rows whatever it reads, and its share of the payments halves on a month's first day.
  if (t === undefined || (!held && violated(r, e)) || !(t.spread <= THROUGH_GAIN * e.spread)) return undefined;
  const k = r.min_z ?? DEFAULT_ROW_MIN_Z;
  if (!(Math.abs(t.deviation) > r.max_deviation!) || !(Math.abs(t.z) > k)) return undefined;
  // Absorbed: an input that moved its own level the other way, and an output at its usual level.
  const absorbed = m.row_count.input_moved === -Math.sign(t.z) && Math.abs(e.z) < THROUGH_LEVEL_Z;
  return absorbed ? undefined : t;
}

/** A pass-through input's node as people read it (its key is pipeline and node). */
function inputName(key: string): string {
  const [pipeline, node] = splitKey(key);
  return node === undefined ? key : `${pipeline}/${node}`;
}

/**
 * A level that moved with the keys it read: the count's own history would flag it, but a group-by's rows per
 * key of an input (stats/pass-through.ts, groupExpectation), steadier than that history by
 * {@link THROUGH_GAIN}, predict it within the rule's noise. A rollup that writes one row per device reporting
 * writes fewer when a gateway's devices are offline; the devices it read moved, not what it does with them.
 * Where that input's keys moved is not judged here: a step that dropped devices drops their rows too. Only
 * where the run read was healthy: below a fault (a fraud filter over-flagging, its transactions enriched one row
 * each) the level is the fault's symptom, a finding that RCA walks through to it.
 */
function movedWithKeys(r: Rule, m: NodeRunMetrics, e: RowExpectation): boolean {
  const t = m.row_count.keys;
  if (t === undefined || t.anomalous === true || !(t.spread <= THROUGH_GAIN * e.spread)) return false;
  return Math.abs(t.z) <= (r.min_z ?? DEFAULT_ROW_MIN_Z) || Math.abs(t.deviation) <= r.max_deviation!;
}

/** The count a pass-through finding read, as people read it: rows of a node, or a column's distinct values. */
function inputWhat(t: { input: string; input_rows: number; group?: string }): string {
  return t.group === undefined
    ? `the ${fmt(t.input_rows)} of ${inputName(t.input)}`
    : `the ${fmt(t.input_rows)} distinct ${t.group} of ${inputName(t.input)}`;
}

function seasonNote(e: RowExpectation): string {
  return e.seasonality === 'none' ? '' : ` (${e.seasonality} baseline of ${e.runs} runs)`;
}

/**
 * A rise on a node's first month edge (`young_edge`, `first_week: hold`): month-end closes and first-of-month
 * runs add rows, and how many cannot be known before a month has been seen. A drop there is judged as on any
 * day (a filter over-flagging on the 31st is a fault, whatever the calendar).
 */
function heldEdge(r: Rule, m: NodeRunMetrics, e: RowExpectation): boolean {
  return holdsFirstEdge(r, m) && e.deviation > 0;
}

/**
 * `row_count`: the relative deviation from the expected row count exceeds `max_deviation` and stands out
 * from the node's own noise (|z| > `min_z`); the expected count is the median of the healthy runs in the
 * same calendar slot when the node is seasonal (`seasonality`), else of its recent healthy runs.
 */
export const rowCount: RuleMetricDescriptor = {
  params: {
    max_deviation: 'number',
    min_z: 'number',
    seasonality: 'seasonality',
    persistence: 'count',
    first_week: 'first_week',
  },
  required: ['max_deviation'],
  minBaselineRuns: DEFAULT_MIN_BASELINE_RUNS,
  column: false,
  violation: (r, m) => {
    const e = expectationFor(r, m);
    if (r.max_deviation === undefined || !e) return undefined;
    // A rise on a node's first month edge is learned, not judged: a close's volume cannot be known yet. Its
    // share of what it read is judged all the same (the input's close moves the expectation with it).
    const held = heldEdge(r, m, e);
    const t = throughViolated(r, m, e, held);
    if (t) {
      const d = t.deviation;
      return {
        metric: 'row_count',
        value: m.row_count.value!,
        baseline: t.expected,
        threshold: r.max_deviation,
        message:
          t.group === undefined
            ? `row count ${d < 0 ? 'dropped' : 'rose'} ${pct(Math.abs(d))} against its inputs: ${fmt(m.row_count.value)} rows from ${inputWhat(t)}, where its history predicts ${fmt(Math.round(t.expected))} (${pct(t.ratio)} of them; max deviation ${pct(r.max_deviation)})`
            : `row count ${d < 0 ? 'dropped' : 'rose'} ${pct(Math.abs(d))} against its inputs: ${fmt(m.row_count.value)} rows from ${inputWhat(t)}, where its history predicts ${fmt(Math.round(t.expected))} (${fmt(Math.round(t.ratio * 100) / 100)} per value; max deviation ${pct(r.max_deviation)})`,
        details: {
          deviation: d,
          z: t.z,
          seasonality: 'pass-through',
          baseline_runs: t.runs,
          input: inputName(t.input),
          input_rows: t.input_rows,
          ...(t.group !== undefined ? { group: t.group } : {}),
          share: t.ratio,
          slope: t.slope,
          level_deviation: e.deviation,
        },
      };
    }
    if (held || !violated(r, e) || movedWithKeys(r, m, e)) return undefined;
    const dev = e.deviation;
    return {
      metric: 'row_count',
      value: m.row_count.value!,
      baseline: e.expected,
      threshold: r.max_deviation,
      message: `row count ${dev < 0 ? 'dropped' : 'rose'} ${pct(Math.abs(dev))}: ${fmt(m.row_count.value)} rows vs baseline ${fmt(e.expected)}${seasonNote(e)} (max deviation ${pct(r.max_deviation)})`,
      details: { deviation: dev, z: e.z, seasonality: e.seasonality, baseline_runs: e.runs },
    };
  },
  signal: (r, m, _c, fraction) => {
    const e = expectationFor(r, m);
    if (r.max_deviation === undefined || !e || heldEdge(r, m, e) || throughViolated(r, m, e)) return undefined;
    const dev = Math.abs(e.deviation);
    if (violated(r, e)) {
      // Excused as a finding (its keys moved), and still evidence: the level moved.
      if (!movedWithKeys(r, m, e)) return undefined;
      const t = m.row_count.keys!;
      return {
        metric: 'row_count',
        value: m.row_count.value!,
        baseline: e.expected,
        threshold: r.max_deviation,
        message: `row count moved ${(dev * 100).toFixed(1)}% with ${inputWhat(t)} (${fmt(Math.round(t.expected))} rows expected from them)`,
      };
    }
    if (dev <= r.max_deviation * fraction || Math.abs(e.z) <= (r.min_z ?? DEFAULT_ROW_MIN_Z) * fraction)
      return undefined;
    return {
      metric: 'row_count',
      value: m.row_count.value!,
      baseline: e.expected,
      threshold: r.max_deviation,
      message: `row count moved ${(dev * 100).toFixed(1)}% (under the ${(r.max_deviation * 100).toFixed(1)}% threshold or within its noise)`,
    };
  },
};
