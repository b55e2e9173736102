import { isColumnMetric, type FindingBrief } from '../rules/index.js';
import { canonicalJson, nodeKey, type NodeRef } from './graph.js';
import type { DatasetColumn } from '../contract/types.js';
import { own } from '../dict.js';
import type { NodeRun } from './run.js';

/**
 * Root-cause analysis: from an anomalous node-run, walk upstream through the runs that fed it to the
 * node where the damage first appeared (docs/architecture.md, "Root cause").
 *
 * - An upstream run U explains a finding f at X when U is anomalous and: f is on a column whose column
 *   lineage names columns of U and U has a finding on one of them (or a node-level finding: row count,
 *   schema, failed run); or no column lineage is known for f and U has any finding. Column lineage that
 *   does not mention U means U cannot explain f: the walk is narrowed.
 * - The root is an anomalous node none of whose inputs explains it. Its parents observed healthy make
 *   it the culprit transformation; parents never observed make the root ambiguous (candidates, lower
 *   confidence), never a silent guess.
 * - A walk that continues through sub-threshold signals ends at the nearest real finding, unless nothing on the
 *   way changed (every node from that finding up to the top signal runs its last healthy run's code and
 *   parameters) and the top signal moved at least half as far as the finding (drift, null ratio): then the top
 *   signal's node is the root (an unchanged step passes its input's movement on; see findRoots).
 * - Findings on the profile of an input as the node read it stand in for an unobserved producer.
 * - Column lineage keyed by dataset and column (a run's `output_lineage`, from OpenLineage's `columnLineage`
 *   facet) narrows the same way: U explains a column finding f only through a finding on a column of a dataset
 *   U wrote that f's column derives from (`t1.id` and `t2.id` stay apart), or a node-level finding. The
 *   node-keyed `column_lineage` of a report, when it has the column, is used first.
 * - A failed data-quality test (metric `assertion`) of an input is explained only by the run that wrote that
 *   dataset, by a node-level finding or one on the tested column; a failed test of an output is a column
 *   finding like any other.
 */

/**
 * A finding as RCA reads it: THE finding (rules/types.ts), whose rule and severity may be unknown
 * (findings on input profiles).
 */
export type RcaFinding = Omit<FindingBrief, 'rule' | 'severity'> & Partial<Pick<FindingBrief, 'rule' | 'severity'>>;

/** The facts about one node-run that RCA uses: a run (lineage/run.ts) with its node. */
export interface RcaRun
  extends
    Pick<
      NodeRun,
      | 'run_id'
      | 'event_time'
      | 'healthy'
      | 'status'
      | 'column_lineage'
      | 'code_version'
      | 'params'
      | 'inputs'
      | 'error'
      | 'changes'
    >,
    Partial<Pick<NodeRun, 'outputs' | 'output_lineage'>> {
  ref: NodeRef;
  findings: RcaFinding[];
  /** Findings on input profiles (the dataset as this run read it). */
  input_findings: (RcaFinding & { dataset: string })[];
  /**
   * Movements below the rules' thresholds but well above noise (at least half of a threshold, and
   * significant for drift): not alerts, but evidence that a healthy-looking parent carried a fault
   * that its child, a little further from the threshold, shows.
   */
  signals?: RcaFinding[];
}

/** The RCA view of a node's run. */
export function rcaRunOf(ref: NodeRef, r: NodeRun): RcaRun {
  return { ...r, ref };
}

/** What RCA may ask about the world. */
export interface RcaWorld {
  /** The parents of a run: nodes it read from at the time (explicit upstream refs and dataset edges). */
  parents(run: RcaRun): { ref: NodeRef; run_id?: string; datasets: string[] }[];
  /** The run of `ref` that fed a run at time `at` (the exact run when `runId` is given); undefined if never observed. */
  runOf(ref: NodeRef, runId: string | undefined, at: number): RcaRun | undefined;
  /** The last healthy run of `ref` before `at`. */
  lastHealthy(ref: NodeRef, at: number): RcaRun | undefined;
  /** Datasets the run read that no monitored node produces. */
  externalInputs(run: RcaRun): string[];
}

export interface PathStep {
  run: RcaRun;
  finding: RcaFinding;
  /** The step is a sub-threshold signal, not a finding. */
  soft?: boolean;
}

export interface RootVerdict {
  root: RcaRun;
  /** The root's findings that started the chain (and any others of the same run). */
  rootFindings: RcaFinding[];
  /** From the symptom (first) to the root (last). */
  path: PathStep[];
  /** Parents of the root observed healthy, with the run that showed it. */
  healthyParents: RcaRun[];
  /** Parents of the root with no observed run: the root cannot be told apart from them. */
  unobservedParents: NodeRef[];
  /** Inputs read anomalous from outside the monitored graph. */
  anomalousExternalInputs: string[];
  candidates: NodeRef[];
  confidence: number;
}

function matching(x: RcaRun, f: RcaFinding, upstream: RcaRun, candidates: RcaFinding[]): RcaFinding[] {
  if (candidates.length === 0) return [];
  if (f.metric === 'assertion' && f.dataset !== undefined && x.inputs.includes(f.dataset)) {
    // A failed test of a dataset the run read: only the run that wrote it can explain it, by a node-level
    // finding or one on the tested column (the run's own column lineage is about its outputs).
    if (upstream.outputs !== undefined && !upstream.outputs.includes(f.dataset)) return [];
    if (f.column === undefined) return candidates;
    return candidates.filter(
      (g) =>
        !isColumnMetric(g.metric) || (g.column === f.column && (g.dataset === undefined || g.dataset === f.dataset)),
    );
  }
  if (f.column === undefined || !isColumnMetric(f.metric)) return candidates;
  const lineage = x.column_lineage?.[f.column];
  if (lineage && lineage.length > 0) {
    const sources = new Set(lineage.filter((s) => s.node === upstream.ref.node).map((s) => s.column));
    if (sources.size === 0) return [];
    return candidates.filter((g) => !isColumnMetric(g.metric) || (g.column !== undefined && sources.has(g.column)));
  }
  const derived = datasetSources(x, f);
  // Without the upstream's outputs the dataset sources cannot be matched to it: no narrowing.
  if (derived === undefined || upstream.outputs === undefined) return candidates;
  const written = new Set(upstream.outputs);
  const sources = derived.filter((s) => written.has(s.dataset));
  if (sources.length === 0) return [];
  return candidates.filter(
    (g) =>
      !isColumnMetric(g.metric) ||
      (g.column !== undefined &&
        sources.some((s) => s.column === g.column && (g.dataset === undefined || g.dataset === s.dataset))),
  );
}

/**
 * The dataset columns finding `f`'s column derives from, by the run's dataset-keyed column lineage: of the
 * finding's dataset when it names one, else of every output that has lineage for the column. Undefined when no
 * such lineage is known (then nothing narrows).
 */
function datasetSources(x: RcaRun, f: RcaFinding): DatasetColumn[] | undefined {
  if (x.output_lineage === undefined || f.column === undefined) return undefined;
  const maps = f.dataset !== undefined ? [own(x.output_lineage, f.dataset)] : Object.values(x.output_lineage);
  let found: DatasetColumn[] | undefined;
  for (const m of maps) {
    const list = m === undefined ? undefined : own(m, f.column);
    if (list !== undefined && list.length > 0) (found ??= []).push(...list);
  }
  return found;
}

/**
 * The kinds of findings a compatible change upstream can explain: a shape that follows the new schema (row
 * counts, the reader's own schema) and distributions. Never null ratios (lost values), failed runs, failed
 * tests or staleness: those stay faults of their own.
 */
const CHANGE_CONSEQUENCES: ReadonlySet<string> = new Set(['row_count', 'schema', 'drift']);

/** The compatible changes of an upstream run that can explain finding `f` (see {@link CHANGE_CONSEQUENCES}). */
function changeExplains(x: RcaRun, f: RcaFinding, upstream: RcaRun): RcaFinding[] {
  if (!upstream.changes || upstream.changes.length === 0 || !CHANGE_CONSEQUENCES.has(f.metric)) return [];
  return matching(x, f, upstream, upstream.changes);
}

/**
 * Whether an upstream run explains finding `f` at run `x` (see the module comment): an anomalous run by its
 * findings; any run by the compatible changes it carried or passed on (a column added upstream explains the
 * reader's row count moving with it), so the walk reaches the changed node.
 */
export function explains(x: RcaRun, f: RcaFinding, upstream: RcaRun): RcaFinding[] {
  const changed = changeExplains(x, f, upstream);
  if (upstream.healthy) return changed;
  const found = matching(x, f, upstream, upstream.findings);
  return found.length > 0 ? found : changed;
}

/** A long-horizon signal: a creep of the column's mean, evidence for a creep downstream and a possible root. */
function slow(g: RcaFinding): boolean {
  return g.metric === 'long_drift';
}

/**
 * Whether a healthy-looking upstream run carried a sub-threshold movement of the same kind on the
 * column `f` derives from (a drift or null-ratio change that stayed under its rule's threshold; a creep
 * under the size floor for a creep downstream). A creep does not explain a drift finding below it: that is a
 * change within the rolling baseline's runs, which a creep (followed by the rolling baseline) does not make.
 */
export function softlyExplains(x: RcaRun, f: RcaFinding, upstream: RcaRun): RcaFinding[] {
  const same = (upstream.signals ?? []).filter((g) => g.metric === f.metric);
  return matching(x, f, upstream, same);
}

/**
 * Whether a run came with a deliberate change of its own, within its node's last {@link DELIBERATE_CHANGE_RUNS}
 * healthy runs: a code version or parameters other than those held before, which had been stable (parameters
 * that change every run, a run date, are not a change). A sub-threshold movement at such a run is where the movement its child
 * shows past the threshold most likely started (a filter's threshold raised: 20% fewer rows, within the
 * filter's own noise, and 20% fewer below it past the child's), so it may end the walk as the root.
 */
function deliberatelyChanged(world: RcaWorld, run: RcaRun): boolean {
  const version = runVersion;
  const now = version(run);
  // The change may be a few runs back (the runs since moved within the node's noise and were learned).
  let newer = run;
  for (let i = 0; i < DELIBERATE_CHANGE_RUNS; i++) {
    const last = world.lastHealthy(run.ref, newer.event_time);
    if (!last) return false;
    if (version(last) !== now) {
      if (version(newer) !== now) return false;
      const before = world.lastHealthy(run.ref, last.event_time);
      return before !== undefined && version(before) === version(last);
    }
    newer = last;
  }
  return false;
}

/** A run's code version (and parameters, when it has them) for people. */
function describeVersion(r: RcaRun): string {
  const code = r.code_version !== undefined ? `code ${r.code_version}` : undefined;
  const params = r.params !== undefined ? `parameters ${JSON.stringify(r.params)}` : undefined;
  return [code, params].filter((x) => x !== undefined).join(', ') || 'its version';
}

/** A run's code version and parameters as one comparable string (what a deliberate change changes). */
export function runVersion(r: {
  code_version?: string | undefined;
  params?: Record<string, unknown> | undefined;
}): string {
  return canonicalJson([r.code_version ?? null, r.params ?? null]);
}

/** How many healthy runs back a deliberate change may lie (the new-normal window's default K). */
const DELIBERATE_CHANGE_RUNS = 5;

/**
 * The kinds of findings a deliberate change of an input can make in its reader while the input itself looks
 * healthy: rows lost or gained (a re-keyed dimension an inner join no longer matches), values moved, values
 * lost (the same join, left). Never a failed run, a failed test, a schema or staleness: those are the
 * reader's own to explain.
 */
const INPUT_CHANGE_CONSEQUENCES: ReadonlySet<string> = new Set(['row_count', 'drift', 'null_ratio']);

/** Confidence of a root named by its deliberate change alone (as a walk that ended on a signal). */
export const CHANGED_INPUT_CONFIDENCE = 0.7;

/**
 * The one input of a run that changed deliberately since the run was last healthy, when nothing else did
 * ("what changed between the last good run and this one"): the run's own code version and parameters are
 * those of its last healthy run, every parent was observed healthy, and exactly one parent's run it read
 * carries a code version or parameters other than the parent's run its last healthy run read, which had been
 * stable before (a parent whose parameters change every run, a run date, changes nothing). A device
 * registry re-keyed by a new CMDB export keeps its rows and looks healthy; the inner join below it loses a
 * third of its rows; the join's code did not change, the registry's did: the registry is the culprit.
 */
function changedInput(
  world: RcaWorld,
  run: RcaRun,
  finding: RcaFinding,
  healthyParents: readonly RcaRun[],
  parentCount: number,
): { run: RcaRun; from: RcaRun } | undefined {
  if (!INPUT_CHANGE_CONSEQUENCES.has(finding.metric) || healthyParents.length !== parentCount) return undefined;
  const last = world.lastHealthy(run.ref, run.event_time);
  if (!last || runVersion(last) !== runVersion(run)) return undefined;
  const before = new Map(world.parents(last).map((p) => [nodeKey(p.ref), p]));
  const changed: { run: RcaRun; from: RcaRun }[] = [];
  for (const up of healthyParents) {
    const p = before.get(nodeKey(up.ref));
    if (p === undefined) continue;
    const prev = world.runOf(p.ref, p.run_id, last.event_time);
    if (!prev || prev.run_id === up.run_id || runVersion(prev) === runVersion(up)) continue;
    const older = world.lastHealthy(prev.ref, prev.event_time);
    if (older && runVersion(older) === runVersion(prev)) changed.push({ run: up, from: prev });
  }
  return changed.length === 1 ? changed[0] : undefined;
}

/** The findings whose origin a chain of signals may name (see {@link findRoots}, the walk's end). */
const SIGNAL_ORIGIN_METRICS: ReadonlySet<string> = new Set(['drift', 'null_ratio']);

/**
 * How far a signal at the origin must have moved, as a share of the finding it explains (see {@link movement}):
 * a source that moved as far as the step that shows it is where it started; one that barely moved (a source's
 * chance wobble under a filter that dropped a sensor type) is not.
 */
const SIGNAL_ORIGIN_SHARE = 0.5;

/** A finding's or signal's size: a drift's statistic, a null ratio's rise over its baseline. */
function movement(f: RcaFinding): number {
  return f.metric === 'null_ratio' ? f.value - (f.baseline ?? 0) : f.value;
}

/** Whether a run ran the code version and parameters of its node's last healthy run before it. */
function unchangedSinceHealthy(world: RcaWorld, run: RcaRun): boolean {
  const last = world.lastHealthy(run.ref, run.event_time);
  return last !== undefined && runVersion(last) === runVersion(run);
}

export interface RcaOptions {
  /** Longest path walked (guards against cycles in bad lineage). Default 64. */
  maxDepth?: number;
}

/**
 * Walks upstream from finding `f` of run `x` and returns one verdict per root reached (usually one;
 * several when independent upstream faults both explain it).
 */
export function findRoots(world: RcaWorld, x: RcaRun, f: RcaFinding, options: RcaOptions = {}): RootVerdict[] {
  const maxDepth = options.maxDepth ?? 64;
  const verdicts = new Map<string, RootVerdict>();
  const visited = new Set<string>();

  const visit = (run: RcaRun, finding: RcaFinding, path: PathStep[], soft: boolean): void => {
    const key = `${nodeKey(run.ref)}\u001e${run.run_id}\u001e${finding.metric}\u001e${finding.column ?? ''}`;
    if (visited.has(key)) return;
    visited.add(key);
    const here: PathStep[] = [...path, { run, finding, ...(soft ? { soft: true } : {}) }];
    const parents = world.parents(run);
    const explaining: { up: RcaRun; by: RcaFinding[]; soft: boolean }[] = [];
    const healthyParents: RcaRun[] = [];
    const unobserved: NodeRef[] = [];
    // Anomalous parents already on the path (a cycle in bad lineage): they cannot be told apart from
    // this node, so they become candidates instead of being walked again (which would find no root).
    const cyclic: NodeRef[] = [];
    const onPath = (r: RcaRun) =>
      here.some((st) => st.run.run_id === r.run_id && nodeKey(st.run.ref) === nodeKey(r.ref));
    for (const p of parents) {
      const up = world.runOf(p.ref, p.run_id, run.event_time);
      if (!up) {
        unobserved.push(p.ref);
        continue;
      }
      if (here.length >= maxDepth) continue;
      const hard = explains(run, finding, up);
      if (onPath(up)) {
        if (hard.length > 0 && nodeKey(up.ref) !== nodeKey(run.ref)) cyclic.push(up.ref);
        continue;
      }
      if (hard.length > 0) {
        explaining.push({ up, by: hard, soft: false });
        continue;
      }
      const weak = softlyExplains(run, finding, up);
      if (weak.length > 0) explaining.push({ up, by: weak, soft: true });
      else if (up.healthy) healthyParents.push(up);
    }
    // Sub-threshold signals are weak evidence: a parent's real finding that explains this one is followed
    // and other parents' signals are not; among signals alone, where the run's column lineage does not say
    // which parent's column this one derives from and some are on a column of this one's name (a join or a
    // select keeps names), those are followed and the others are not.
    const named = (e: (typeof explaining)[number]) => e.by.some((g) => g.column !== undefined && g.column === f.column);
    const keepSoft = explaining.some((e) => !e.soft) ? () => false : explaining.some(named) ? named : () => true;
    for (let i = explaining.length - 1; i >= 0; i--)
      if (explaining[i]!.soft && !keepSoft(explaining[i]!)) explaining.splice(i, 1);
    if (explaining.length > 0) {
      // Follow the explaining finding most specific to this one: a column finding before a node-level one.
      for (const e of explaining) visit(e.up, e.by.find((g) => g.column !== undefined) ?? e.by[0]!, here, e.soft);
      return;
    }
    // Nothing upstream explains it, but one input changed deliberately since this node was last healthy and
    // nothing else did: that input is the root, named by its change (its own runs look healthy).
    const change =
      !soft && explaining.length === 0 && cyclic.length === 0 && unobserved.length === 0
        ? changedInput(world, run, finding, healthyParents, parents.length)
        : undefined;
    if (change) {
      const changed = change.run;
      const rootFinding: RcaFinding = {
        ...finding,
        message: `${changed.ref.node} changed (${describeVersion(change.from)} -> ${describeVersion(changed)}) since ${run.ref.node} was last healthy, and nothing else did: ${finding.message}`,
      };
      const rkey = nodeKey(changed.ref) + '\u001e' + changed.run_id;
      const existing = verdicts.get(rkey);
      if (existing) existing.rootFindings.push(rootFinding);
      else
        verdicts.set(rkey, {
          root: changed,
          rootFindings: [rootFinding],
          path: [...here, { run: changed, finding: rootFinding, soft: true }],
          healthyParents: [],
          unobservedParents: [],
          anomalousExternalInputs: [],
          candidates: [changed.ref],
          confidence: CHANGED_INPUT_CONFIDENCE,
        });
      return;
    }
    // The walk ends here. A sub-threshold signal cannot be a root on its own: the root is then the
    // nearest node on the path with a real finding (the signal stays in the evidence). A long-horizon
    // signal can: its CUSUM is past its alarm level (statistically certain), only its size per value is
    // under the floor, so the source where a creep starts is named rather than the aggregate that shows it larger.
    let rootIndex = here.length - 1;
    while (
      rootIndex > 0 &&
      here[rootIndex]!.soft &&
      !slow(here[rootIndex]!.finding) &&
      !deliberatelyChanged(world, here[rootIndex]!.run)
    )
      rootIndex--;
    // The movement started where the signals start when nothing it went through changed: every node from the
    // nearest real finding up to the top signal runs the code and parameters of its last healthy run. An
    // unchanged step passes its input's movement on (and may show it larger: a conversion that separates
    // what the source mixed); it does not make one.
    const origin =
      rootIndex < here.length - 1 &&
      SIGNAL_ORIGIN_METRICS.has(here[rootIndex]!.finding.metric) &&
      movement(here.at(-1)!.finding) >= SIGNAL_ORIGIN_SHARE * movement(here[rootIndex]!.finding) &&
      here.slice(rootIndex, -1).every((st) => unchangedSinceHealthy(world, st.run));
    const nearest = rootIndex;
    if (origin) rootIndex = here.length - 1;
    const root = here[rootIndex]!;
    const rootRun = root.run;
    const endedSoft = origin || rootIndex < here.length - 1;
    // No monitored parent explains it. An input read anomalous from outside the graph stands in for
    // the unobserved producer.
    const external = new Set(world.externalInputs(rootRun));
    const anomalousExternal = [
      ...new Set(rootRun.input_findings.filter((g) => external.has(g.dataset)).map((g) => g.dataset)),
    ];
    const rkey = nodeKey(rootRun.ref) + '\u001e' + rootRun.run_id;
    const existing = verdicts.get(rkey);
    if (existing) {
      if (!existing.rootFindings.includes(root.finding)) existing.rootFindings.push(root.finding);
      return;
    }
    let confidence: number;
    if (!endedSoft && (unobserved.length > 0 || cyclic.length > 0)) confidence = 0.5;
    else if (origin) confidence = unobserved.length > 0 || cyclic.length > 0 ? 0.5 : 0.7;
    else if (endedSoft) confidence = 0.7;
    else if (anomalousExternal.length > 0) confidence = 0.8;
    else confidence = 0.9;
    verdicts.set(rkey, {
      root: rootRun,
      rootFindings: [root.finding],
      path: endedSoft ? here : here.slice(0, rootIndex + 1),
      healthyParents: endedSoft && !origin ? [] : healthyParents,
      unobservedParents: endedSoft && !origin ? [] : unobserved,
      anomalousExternalInputs: anomalousExternal,
      candidates: origin
        ? [rootRun.ref, ...here.slice(nearest, -1).map((st) => st.run.ref)]
        : endedSoft
          ? [rootRun.ref, ...here.slice(rootIndex + 1).map((st) => st.run.ref)]
          : [rootRun.ref, ...unobserved, ...cyclic],
      confidence,
    });
  };

  visit(x, f, [], false);
  return [...verdicts.values()];
}
