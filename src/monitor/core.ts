import type {
  AssertionResult,
  DatasetColumn,
  DatasetRef,
  LineageDeclaration,
  Report,
  RunProgress,
} from '../contract/types.js';
import { validateReport } from '../contract/index.js';
import { dict } from '../dict.js';
import {
  PipelineGraph,
  findRoots,
  nodeKey,
  rcaRunOf,
  type LineageChange,
  type NodeRef,
  type RcaRun,
  type RcaWorld,
} from '../lineage/index.js';
import {
  APART_STATISTIC,
  effectiveRules,
  metricEnabled,
  elevatedSignals,
  evaluateFreshness,
  evaluateRules,
  type Finding,
  type FindingBrief,
  type AssertionMetrics,
  type NodeRunMetrics,
  type RuleSet,
} from '../rules/index.js';
import { RUN_DISTINCT_MAX, runVersion } from '../lineage/index.js';
import { compositeKey } from '../keys.js';
import { median } from '../stats/index.js';
import type { InputRows } from '../stats/pass-through.js';
import { own } from '../dict.js';
import { allStateKeys, exportState, importState, type PipelineRuntime, type StateHost } from './state-codec.js';
import { pipelineOfKey, stateKey } from './state-keys.js';
import {
  applyPersistence,
  BaselineCache,
  columnsAgree,
  freshRangesEveryRun,
  evaluateProfile,
  holdReference,
  columnState,
  keepColumnState,
  learnBaseline,
  learnRowCount,
  learnCalendarLevels,
  shiftRowCounts,
  raiseRowCounts,
  learnSummary,
  resetBaseline,
  summarize,
} from './evaluate.js';
import type { BaselineEpoch } from './baseline-epochs.js';
import { awaitedKey, heldOrder, type HeldVerdict } from './hold.js';
import type { Incident, IncidentAcceptance, IncidentEvent } from './incident-types.js';
import {
  applySimpleCommand,
  refusal,
  seenCommand,
  type CommandOutcome,
  type IncidentCommand,
} from './incident-actions.js';
import {
  DEFAULT_ROLLBACK_POLICY,
  acceptIncident,
  attachSymptoms,
  attributeRun,
  healthyRun,
  openIncidentFor,
  type IncidentContext,
  type RollbackPolicy,
} from './incidents.js';
import { DEFAULT_RERUN_POLICY, type RerunPolicy } from './rerun.js';
import type { RemoteView } from './remote-view.js';
import { SYMPTOM_SPEC, type SymptomMessage } from './symptom-forward.js';
import { compileCoreOptions, type CompiledCoreOptions, type CoreOptions } from './options.js';
import {
  MEASUREMENTS,
  findingPoints,
  incidentPoints,
  lineagePoints,
  nodeRunPoints,
  type MetricPoint,
} from './points.js';
import {
  briefOf,
  newNodeState,
  pushBounded,
  HORIZON_LEVEL_RUNS,
  type CandidateRun,
  type NodeState,
  type OpenRun,
  type PipelineState,
  type RunRecord,
} from './state.js';

/** What processing a batch of reports produced, for the sinks. */
export interface CoreOutput {
  points: MetricPoint[];
  findings: Finding[];
  incidentEvents: IncidentEvent[];
  lineageChanges: LineageChange[];
  /** The runs recorded, in order (for health events and replies). */
  runs: { pipeline: string; node: string; run: RunRecord }[];
  /** Reports processed (not counting duplicates). */
  processed: number;
  duplicates: number;
  /** State keys changed by the batch (see stateKey). */
  dirty: Set<string>;
  /** Incident commands applied or ignored, in order (for the log). */
  commands: { command: IncidentCommand; outcome: CommandOutcome['kind']; reason?: string }[];
  /**
   * Symptoms whose root is in a pipeline another instance holds (cross-instance RCA): to the reports topic,
   * keyed by the root's pipeline, in the batch's transaction.
   */
  symptoms: SymptomMessage[];
  /** Forwarded symptoms received and what became of them, in order (for the log). */
  symptomOutcomes: { message: SymptomMessage; outcome: SymptomOutcome; reason?: string }[];
  /**
   * Runs recorded earlier whose verdict was decided now (a held verdict, re-attributed): their health
   * events are published again, naming the incident.
   */
  healthUpdates: { pipeline: string; node: string; run: RunRecord }[];
}

/** What a forwarded symptom became at the instance holding its root's pipeline. */
export type SymptomOutcome = 'attached' | 'held' | 'forwarded' | 'not_found';

export function emptyOutput(): CoreOutput {
  return {
    points: [],
    findings: [],
    incidentEvents: [],
    lineageChanges: [],
    runs: [],
    processed: 0,
    duplicates: 0,
    dirty: new Set(),
    commands: [],
    symptoms: [],
    symptomOutcomes: [],
    healthUpdates: [],
  };
}

/** Watermark jumps longer than this are remembered as pipeline pauses (freshness), the last PAUSES_KEPT. */
const PAUSE_MIN_MS = 60_000;
const PAUSES_KEPT = 64;
/** Runs started and not ended kept per node (START/RUNNING buffer): beyond it the one that started first goes. */
export const OPEN_RUNS_KEPT = 16;

export interface MonitorCoreOptions extends CoreOptions {
  rules: RuleSet;
  rollback?: Partial<RollbackPolicy>;
  rerun?: Partial<RerunPolicy>;
  /**
   * The read-only view of the nodes other instances hold (their health events): RCA walks into their
   * pipelines, and a root found there is forwarded to its owner as a symptom. None: one instance sees
   * only the pipelines it holds (replay, the demo, the benchmarks).
   */
  view?: RemoteView;
}

/**
 * The monitor's processing core: reports in, metrics, findings and incidents out. It knows no
 * transport: the Kafka consumer, the HTTP ingest, the embedded demo and `rootline replay` all feed it.
 * It is deterministic (no wall clock, no randomness): the same reports in the same order from the same
 * state give the same outputs and the same state, which is what makes replays and restarts safe.
 */
/** What evaluating a run against the rules gave. */
interface RunVerdict {
  metrics: NodeRunMetrics;
  findings: Finding[];
  inputFindings: (FindingBrief & { dataset: string })[];
  status: 'success' | 'failed';
  healthy: boolean;
  /** Findings wait for their rule's persistence: the run is healthy but does not teach the baseline. */
  pending: boolean;
  /** Findings of `rebaseline` rules (a compatible schema change): reported, the run stays healthy. */
  notices: Finding[];
}

/** How far up the runs a run read are searched for a fault in progress (creepUnderFault). */
const ANOMALY_DEPTH = 16;

/** What to accept as a node's new normal (see {@link MonitorCore.acceptChange}). */
export interface AcceptChangeInput {
  pipeline: string;
  node: string;
  /**
   * The first run of the new normal: it and the node's later runs are learned. Default: the first run
   * of the node's open incident, else the first of its runs not learned since its last healthy one.
   */
  fromRunId?: string;
  /** Who accepted (a person, an API token's name). */
  who: string;
  why: string;
  /** Where from: `slack`, `cli`, `api` (default `api`). */
  via?: string;
  /**
   * When it was accepted (ISO 8601), carried with the input so a replay decides the same. Default: the
   * node's latest event time.
   */
  at?: string;
}

/** What accepting a change did. */
export interface AcceptChangeResult {
  ok: boolean;
  /** Why nothing was done (ok false): unknown node, unknown run. */
  reason?: string;
  /** The nodes re-baselined: the node and the nodes downstream whose findings were symptoms of its incident. */
  rebaselined: NodeRef[];
  /** The first run learned as the new normal, when one was held. */
  from_run_id?: string;
  /** Runs of the node learned at once (the others restart from their next runs). */
  learned_runs: number;
  /** The incident resolved, if one was open. */
  incident_id?: string;
}

export class MonitorCore {
  private rules: RuleSet;
  readonly options: CompiledCoreOptions;
  readonly rollback: RollbackPolicy;
  readonly rerun: RerunPolicy;
  private readonly pipelines = new Map<string, PipelineRuntime>();
  /** Baseline distribution epochs (baseline-epochs.ts), by state key. */
  readonly epochs = new Map<string, BaselineEpoch>();
  /** Candidate runs of the nodes' new-normal rings, by state key (`c|...`). */
  readonly candidates = new Map<string, CandidateRun>();
  private readonly cache: BaselineCache;
  /** The other instances' nodes (cross-instance RCA); undefined on a lone core. */
  readonly view: RemoteView | undefined;

  constructor(options: MonitorCoreOptions) {
    this.rules = options.rules;
    this.view = options.view;
    this.options = compileCoreOptions(options);
    this.rollback = { ...DEFAULT_ROLLBACK_POLICY, ...options.rollback };
    this.rerun = { ...DEFAULT_RERUN_POLICY, ...options.rerun };
    this.cache = new BaselineCache(this.epochs, this.options);
  }

  /** Replaces the rules (hot reload); the next report is evaluated with them. */
  setRules(rules: RuleSet): void {
    this.rules = rules;
  }

  /**
   * Which of a node's output columns keep long-horizon state: those a long_drift rule is enabled for (the
   * seed rule is on; where overrides turn it off the reference epoch and CUSUM would be state no verdict reads).
   */
  private longHorizonFor(node: NodeState): (column: string) => boolean {
    const rules = this.rules;
    return (column) => metricEnabled(rules, 'long_drift', { pipeline: node.pipeline, node: node.node, column });
  }

  get ruleSet(): RuleSet {
    return this.rules;
  }

  private runtime(pipeline: string): PipelineRuntime {
    let rt = this.pipelines.get(pipeline);
    if (!rt) {
      const graph = new PipelineGraph(pipeline);
      rt = {
        state: { pipeline, graph: graph.toJSON(), incidents: [], watermark: 0, rollbacks: dict<number>() },
        graph,
        nodes: new Map(),
      };
      this.attachExternal(graph);
      this.pipelines.set(pipeline, rt);
    }
    return rt;
  }

  private attachExternal(graph: PipelineGraph): void {
    // Datasets written by nodes of other pipelines held by this instance.
    graph.externalProducers = (dataset) => {
      const out: NodeRef[] = [];
      for (const [name, rt] of this.pipelines) {
        if (name === graph.pipeline) continue;
        out.push(...rt.graph.producersOf(dataset));
      }
      // ... and by nodes of pipelines other instances hold, as their health events tell.
      for (const ref of this.view?.producersOf(dataset) ?? [])
        if (ref.pipeline !== graph.pipeline && !this.pipelines.has(ref.pipeline)) out.push(ref);
      return out;
    };
  }

  private nodeState(ref: NodeRef): NodeState | undefined {
    return this.pipelines.get(ref.pipeline)?.nodes.get(ref.node);
  }

  /** Whether a node belongs to a pipeline another instance holds (seen through the view). */
  private isRemote(ref: NodeRef): boolean {
    return this.view !== undefined && !this.pipelines.has(ref.pipeline);
  }

  /** Processes reports in order. */
  processBatch(reports: Iterable<Report>, out: CoreOutput = emptyOutput()): CoreOutput {
    for (const r of reports) this.processReport(r, out);
    return out;
  }

  processReport(received: Report, out: CoreOutput = emptyOutput()): CoreOutput {
    const rt = this.runtime(received.pipeline);
    const node = this.nodeOf(rt, received);
    if (node.event_ids.includes(received.event_id)) {
      out.duplicates += 1;
      return out;
    }
    const ref: NodeRef = { pipeline: received.pipeline, node: received.node };
    const at = Date.parse(received.event_time);
    const report = this.closeOpenRun(node, received, at, out);
    const changes = rt.graph.apply(report);
    out.lineageChanges.push(...changes);

    const watermark = rt.state.watermark;
    const parents = this.parentRuns(rt, report, ref, at);
    const verdict = this.evaluateRun(report, node, ref, out, this.inputRows(parents.upstream));
    this.inputStaleness(report, node, at, parents.upstream, verdict);
    this.creepUnderFault(verdict, parents.upstream);
    const run = this.recordRun(report, node, ref, at, verdict, parents.upstream, out);
    this.learn(report, rt, node, at, verdict, run, out);
    // What the judging kept for learning goes now, learned or not.
    this.cache.endReport();
    const events = this.attribute(rt, ref, run, verdict.healthy);
    // A deliberate change (code version, parameters) sets a new level on purpose: the slow references of the
    // node and of every node below it start again from it (else its level would count as a creep against
    // them, weeks later). Sudden faults of the change are the other rules' to find.
    if (this.deliberateChange(rt, ref, run)) this.restartHorizons([ref, ...this.descendants(ref)], out.dirty);
    this.takeForwarded(out);
    pushCoalesced(out.incidentEvents, events);
    this.emit(out, report, ref, at, run, verdict, parents.edges, changes, events);
    this.newSteadyLevel(rt, node, ref, run, out);
    this.settleHeld(rt, ref, report.run_id, out);
    if (rt.state.watermark > watermark) {
      this.raiseStale(rt, this.silentNodes(rt, rt.state.watermark), out);
      this.raiseStalled(rt, rt.state.watermark, out);
    }
    return out;
  }

  /**
   * Applies a person's action on an incident (incident-actions.ts): acknowledge, snooze, accept the
   * change, resolve, reopen. Like a report it changes state and is replayed after a restart; the time
   * is the command's own, and a command id seen before is ignored.
   */
  applyCommand(cmd: IncidentCommand, out: CoreOutput = emptyOutput()): CommandOutcome {
    const rt = this.pipelines.get(cmd.pipeline);
    let res: CommandOutcome;
    if (!rt) res = { kind: 'not_found', reason: `pipeline ${cmd.pipeline} is not held here` };
    else if (seenCommand(rt.state, cmd.command_id))
      res = { kind: 'duplicate', reason: `command ${cmd.command_id} was applied before` };
    else {
      out.dirty.add(stateKey.pipeline(cmd.pipeline));
      res = cmd.action === 'accept' ? this.acceptCommand(rt, cmd, out) : applySimpleCommand(rt.state, cmd);
    }
    if (res.kind === 'applied') {
      const events = cloneEvents(res.events);
      pushCoalesced(out.incidentEvents, events);
      out.points.push(...incidentPoints(events));
      out.commands.push({ command: cmd, outcome: res.kind });
    } else out.commands.push({ command: cmd, outcome: res.kind, reason: res.reason });
    return res;
  }

  /**
   * Accept the change: the culprit (and its incident's symptoms) is re-baselined from the incident's
   * first bad run on ({@link acceptChange}), which resolves the incident with who and why.
   */
  private acceptCommand(rt: PipelineRuntime, cmd: IncidentCommand, out: CoreOutput): CommandOutcome {
    const inc = rt.state.incidents.find((i) => i.incident_id === cmd.incident_id);
    if (!inc) return { kind: 'not_found', reason: `no incident ${cmd.incident_id} in pipeline ${cmd.pipeline}` };
    const refused = refusal(inc, 'accept', rt.state.incidents);
    if (refused) return { kind: 'conflict', reason: refused };
    const res = this.acceptChange(
      { pipeline: inc.pipeline, node: inc.culprit, who: cmd.who, why: cmd.why ?? '', via: cmd.source, at: cmd.at },
      out,
    );
    if (!res.ok) return { kind: 'conflict', reason: res.reason ?? 'the change could not be accepted' };
    // acceptChange put the incident's event in `out` itself.
    return { kind: 'applied', events: [] };
  }

  /**
   * A run that has not ended (an OpenLineage START or RUNNING event): its start is remembered, and the
   * statistics it carries are kept (per dataset, the latest event that has a row count) until the report that
   * closes the run takes them over. At most {@link OPEN_RUNS_KEPT} open runs per node: beyond that the run that
   * started first is forgotten. A run already closed here is left alone. Runs open for longer than the node's
   * usual duration at the pipeline's event time are stalled-run findings.
   */
  processProgress(p: RunProgress, out: CoreOutput = emptyOutput()): CoreOutput {
    const rt = this.runtime(p.pipeline);
    const node = this.nodeOf(rt, p);
    const at = Date.parse(p.event_time);
    if (node.history.some((h) => h.run_id === p.run_id)) return out;
    const open = (node.open_runs ??= []);
    let run = open.find((r) => r.run_id === p.run_id);
    if (run === undefined) {
      run = { run_id: p.run_id, started: at, start_seen: p.phase === 'START' };
      open.push(run);
    } else if (p.phase === 'START') {
      run.started = at;
      run.start_seen = true;
    } else if (!run.start_seen) run.started = Math.min(run.started, at);
    const inputs = mergeRefs(run.inputs, p.inputs);
    const outputs = mergeRefs(run.outputs, p.outputs);
    if (inputs !== undefined) run.inputs = inputs;
    if (outputs !== undefined) run.outputs = outputs;
    if (open.length > OPEN_RUNS_KEPT) {
      open.sort((a, b) => a.started - b.started || (a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0));
      open.splice(0, open.length - OPEN_RUNS_KEPT);
    }
    out.dirty.add(stateKey.node(p.pipeline, p.node));
    this.raiseStalled(rt, Math.max(rt.state.watermark, at), out);
    return out;
  }

  /**
   * Lineage without a run (an OpenLineage JobEvent or DatasetEvent). A JobEvent: its node reads and writes the
   * datasets it names from now on, on top of what its runs read and write (edges open now, kept in the graph). A
   * DatasetEvent: every node held here that writes the dataset reads the datasets it is derived from.
   */
  processLineage(d: LineageDeclaration, out: CoreOutput = emptyOutput()): CoreOutput {
    const at = Date.parse(d.event_time);
    const apply = (rt: PipelineRuntime, ref: NodeRef, inputs: string[], outputs: string[], replace: boolean) => {
      const changes = rt.graph.declare(ref, inputs, outputs, at, replace);
      out.lineageChanges.push(...changes);
      out.points.push(...lineagePoints(changes));
      out.dirty.add(stateKey.pipeline(rt.state.pipeline));
    };
    if (d.kind === 'job') {
      apply(this.runtime(d.pipeline), { pipeline: d.pipeline, node: d.node }, d.inputs, d.outputs, true);
      return out;
    }
    for (const rt of this.pipelines.values())
      for (const ref of rt.graph.producersOf(d.dataset)) apply(rt, ref, d.inputs, [], false);
    return out;
  }

  /**
   * Step 0b: the run's START/RUNNING buffer, if any, is taken over by the report that closes it: a dataset the
   * report gives no row count for takes the profile the run's progress carried (datasets only the progress
   * named are added), and a successful run whose START was seen teaches the node its usual duration.
   */
  private closeOpenRun(node: NodeState, report: Report, at: number, out: CoreOutput): Report {
    const i = node.open_runs?.findIndex((r) => r.run_id === report.run_id) ?? -1;
    if (i < 0) return report;
    const run = node.open_runs!.splice(i, 1)[0]!;
    if (node.open_runs!.length === 0) delete node.open_runs;
    out.dirty.add(stateKey.node(report.pipeline, report.node));
    if (run.start_seen && at >= run.started && (report.status ?? 'success') === 'success')
      pushBounded((node.durations ??= []), at - run.started, this.options.baselineRuns);
    const inputs = takeOver(report.inputs, run.inputs);
    const outputs = takeOver(report.outputs, run.outputs);
    if (inputs === report.inputs && outputs === report.outputs) return report;
    const merged: Report = { ...report };
    if (inputs !== undefined) merged.inputs = inputs;
    if (outputs !== undefined) merged.outputs = outputs;
    // The progress's profiles passed the same checks; together with the report's they must still be one report.
    const v = validateReport(merged);
    return v.ok ? v.report : report;
  }

  /**
   * Step 9 (stalled runs): runs of the pipeline's nodes open for longer than the node's usual duration at event
   * time `now` (the `duration` rules), each raised once, as its own incident rooted at the node.
   */
  private raiseStalled(rt: PipelineRuntime, now: number, out: CoreOutput): void {
    for (const node of rt.nodes.values()) {
      const durations = node.durations ?? [];
      if (node.open_runs === undefined || durations.length === 0) continue;
      const usual = median(durations);
      const open = [...node.open_runs].sort(
        (a, b) => a.started - b.started || (a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0),
      );
      for (const o of open) {
        if (o.stalled === true) continue;
        const f = evaluateFreshness(
          this.rules,
          {
            pipeline: node.pipeline,
            node: node.node,
            lastRunAt: o.started,
            usualIntervalMs: usual,
            runs: durations.length,
            now,
          },
          'duration',
        );
        if (!f) continue;
        o.stalled = true;
        this.raiseOpenRunFinding(
          rt,
          node,
          o,
          { ...f, run_id: o.run_id, details: { started: new Date(o.started).toISOString() } },
          out,
        );
      }
    }
  }

  private raiseOpenRunFinding(rt: PipelineRuntime, node: NodeState, o: OpenRun, f: Finding, out: CoreOutput): void {
    const at = Date.parse(f.event_time);
    const ref = { pipeline: node.pipeline, node: node.node };
    const run: RunRecord = {
      seq: -1,
      run_id: o.run_id,
      event_id: '',
      event_time: at,
      status: 'success',
      healthy: false,
      upstream: [],
      inputs: (o.inputs ?? []).map((d) => d.dataset),
      outputs: (o.outputs ?? []).map((d) => d.dataset),
      findings: [briefOf(f)],
      input_findings: [],
    };
    const root = rcaRunOf(ref, run);
    const verdicts = [
      {
        finding: run.findings[0]!,
        roots: [
          {
            root,
            rootFindings: run.findings,
            path: [],
            healthyParents: [],
            unobservedParents: [],
            anomalousExternalInputs: [],
            candidates: [ref],
            confidence: 0.9,
          },
        ],
      },
    ];
    const events = cloneEvents(attributeRun(this.incidentContext(rt), run, ref, verdicts));
    out.findings.push(f);
    pushCoalesced(out.incidentEvents, events);
    out.points.push(...findingPoints([f], run.incident_id, at), ...incidentPoints(events));
    out.dirty.add(stateKey.node(node.pipeline, node.node));
    out.dirty.add(stateKey.pipeline(node.pipeline));
  }

  /** Step 0: the node's state, created on its first report (or START). */
  private nodeOf(rt: PipelineRuntime, report: { pipeline: string; node: string }): NodeState {
    let node = rt.nodes.get(report.node);
    if (!node) {
      node = newNodeState(report.pipeline, report.node);
      rt.nodes.set(report.node, node);
    }
    return node;
  }

  /** Step 1: evaluate the outputs (and every output's columns), then the inputs as read, against the rules. */
  private evaluateRun(
    report: Report,
    node: NodeState,
    ref: NodeRef,
    out: CoreOutput,
    /** The rows of the runs it read (see {@link inputRows}). */
    inputRows?: InputRows,
  ): RunVerdict {
    // A pinned reference run, when the rules name one: held as soon as it is seen (this run or the ring).
    const referenceRun = effectiveRules(this.rules, ref).baseline.reference_run;
    if (referenceRun !== undefined && holdReference(node, referenceRun, report, this.epochs, this.options))
      out.dirty.add(stateKey.node(ref.pipeline, ref.node));
    const metrics: NodeRunMetrics = evaluateProfile(
      report,
      report.outputs ?? [],
      node,
      'out',
      this.cache,
      referenceRun,
      inputRows,
    );
    const status = report.status ?? 'success';
    if (status === 'failed' && report.error !== undefined) metrics.error_message = firstLine(report.error.message);
    const assertions = reportAssertions(report);
    if (assertions.length > 0) metrics.assertions = assertions;
    // A finding of a rule with persistence N waits for N runs in a row; meanwhile the run is not learned.
    const all = evaluateRules(this.rules, metrics);
    // New entities (a registry's onboarded customer, a new site's rows and first values) are said once: notices.
    for (const f of all) markNewEntities(f, report, node, metrics);
    // Notices: reported, never an incident, and the run is learned with them. A compatible schema change (its
    // rule's `rebaseline`), and values that appeared with the column's distance under the floor and its band
    // (`appeared_only`: a new site, a new event type), and a version rolling out (`rollout`: firmware 4.3.0 taking
    // over from 4.2.1 over two weeks): said, then part of the column. As findings, a
    // new site in a device fleet, steady from its first day, was flagged on every run of every step it went
    // through, its incident never resolved, the node's baselines froze, and the next fault there (a gap fill
    // writing NaN four days later) was hidden inside it (docs/statistics.md, "Categorical columns").
    const rebaselines = (f: Finding) =>
      effectiveRules(this.rules, ref).rules.find((r) => r.id === f.rule)?.rebaseline === true ||
      (f.metric === 'drift' && (f.details?.['appeared_only'] === true || f.details?.['rollout'] !== undefined)) ||
      (f.metric === 'row_count' && f.details?.['growth'] !== undefined) ||
      (f.metric === 'null_ratio' && f.details?.['new_entities'] === true);
    const notices = all.filter(rebaselines);
    const { findings, pending } = applyPersistence(
      this.rules,
      node,
      all.filter((f) => !rebaselines(f)),
    );
    const inputFindings: (FindingBrief & { dataset: string })[] = [];
    for (const input of report.inputs ?? []) {
      if (!input.profile) continue;
      const im = evaluateProfile(report, [{ dataset: input.dataset, profile: input.profile }], node, 'in', this.cache);
      for (const f of evaluateRules(this.rules, im))
        if (f.metric !== 'status' && !rebaselines(f)) inputFindings.push({ ...briefOf(f), dataset: input.dataset });
    }
    // A failed test of an input is a finding of this run and, like an anomalous profile, about the dataset as read.
    for (const f of findings)
      if (
        f.metric === 'assertion' &&
        f.dataset !== undefined &&
        (report.inputs ?? []).some((i) => i.dataset === f.dataset)
      )
        inputFindings.push({ ...briefOf(f), dataset: f.dataset });
    const healthy = findings.length === 0 && status === 'success';
    return { metrics, findings, inputFindings, status, healthy, pending: pending > 0, notices };
  }

  /** Step 2: the parent runs that fed this run (explicit upstream refs, else the parents' latest runs). */
  private parentRuns(
    rt: PipelineRuntime,
    report: Report,
    ref: NodeRef,
    at: number,
  ): { edges: ReturnType<PipelineGraph['parents']>; upstream: RunRecord['upstream'] } {
    const explicit = new Map(
      (report.upstream ?? []).map((u) => [
        nodeKey({ pipeline: u.pipeline ?? report.pipeline, node: u.node }),
        u.run_id,
      ]),
    );
    const edges = rt.graph.parents(ref, at);
    const upstream: RunRecord['upstream'] = edges.map((e) => {
      const runId = explicit.get(nodeKey(e.source)) ?? this.latestRun(e.source, at)?.run_id;
      return { ...e.source, ...(runId !== undefined ? { run_id: runId } : {}) };
    });

    return { edges, upstream };
  }

  /**
   * Step 2b (freshness of inputs): the run read an upstream run far older than usual, in event time: the
   * largest gap between this run and an upstream run it names, against the node's usual gap, judged by
   * the freshness rule (factor x usual, at least min_silence_ms). An upstream already flagged silent
   * carries it (its own incident); a gap with an upstream run not (yet) held here is not judged.
   */
  private inputStaleness(
    report: Report,
    node: NodeState,
    at: number,
    upstream: RunRecord['upstream'],
    v: RunVerdict,
  ): void {
    let lag: number | undefined;
    let from: string | undefined;
    for (const u of upstream) {
      if (u.run_id === undefined) continue;
      const up = this.nodeState(u);
      if (!up || up.late) return;
      const rec = up.history.find((h) => h.run_id === u.run_id);
      if (!rec) return;
      const gap = at - rec.event_time;
      if (lag === undefined || gap > lag) {
        lag = gap;
        from = u.pipeline === report.pipeline ? u.node : `${u.pipeline}/${u.node}`;
      }
    }
    if (lag === undefined || lag < 0) return;
    const lags = (node.input_lags ??= []);
    const f = evaluateFreshness(this.rules, {
      pipeline: report.pipeline,
      node: report.node,
      lastRunAt: at - lag,
      usualIntervalMs: lags.length > 0 ? median(lags) : undefined,
      runs: lags.length,
      now: at,
    });
    if (!f) {
      pushBounded(lags, lag, this.options.baselineRuns);
      return;
    }
    const usual = median(lags);
    v.findings.push({
      ...f,
      run_id: report.run_id,
      event_time: report.event_time,
      message: `${report.node} read a run of ${from} ${Math.round(lag / 60000)} min old, more than ${Math.round(f.threshold / 60000)} min (usually ${Math.round(usual / 60000)} min)`,
      details: { stale_input: from },
    });
    v.healthy = false;
  }

  /** Step 3: the run record, pushed to the node's history ring. */
  private recordRun(
    report: Report,
    node: NodeState,
    ref: NodeRef,
    at: number,
    v: RunVerdict,
    upstream: RunRecord['upstream'],
    out: CoreOutput,
  ): RunRecord {
    const { metrics, findings, inputFindings, status, healthy } = v;
    const opts = this.options;
    const run: RunRecord = {
      seq: node.run_seq,
      run_id: report.run_id,
      event_id: report.event_id,
      event_time: at,
      status,
      healthy,
      ...(metrics.row_count.value !== undefined ? { row_count: metrics.row_count.value } : {}),
      ...distinctOf(report),
      upstream,
      inputs: (report.inputs ?? []).map((i) => i.dataset),
      outputs: (report.outputs ?? []).map((o) => o.dataset),
      findings: findings.map(briefOf),
      input_findings: inputFindings,
    };
    const signals = elevatedSignals(this.rules, metrics);
    if (signals.length > 0) run.signals = signals.map(briefOf);
    const changes = v.notices.filter((f) => f.metric === 'schema');
    if (changes.length > 0) run.changes = changes.map(briefOf);
    if (report.code_version !== undefined) run.code_version = report.code_version;
    if (report.data_version !== undefined) run.data_version = report.data_version;
    if (report.params !== undefined) run.params = report.params;
    if (report.column_lineage !== undefined) run.column_lineage = report.column_lineage;
    const outputLineage = dict<Record<string, DatasetColumn[]>>();
    for (const o of report.outputs ?? [])
      if (o.column_lineage !== undefined) outputLineage[o.dataset] = o.column_lineage;
    if (Object.keys(outputLineage).length > 0) run.output_lineage = outputLineage;
    if (report.error !== undefined && status === 'failed') run.error = report.error;
    pushBounded(node.history, run, opts.runHistory);
    node.run_seq += 1;
    out.dirty.add(stateKey.run(ref.pipeline, ref.node, run.seq % opts.runHistory));

    return run;
  }

  /** Step 4: baselines learn from healthy runs only, input baselines from inputs read healthy; counters. */
  private learn(
    report: Report,
    rt: PipelineRuntime,
    node: NodeState,
    at: number,
    v: RunVerdict,
    run: RunRecord,
    out: CoreOutput,
  ): void {
    const opts = this.options;
    // The long-horizon CUSUMs move with every successful run whose only findings are long-horizon ones
    // (a fault's runs do not count towards a creep, nor does the creep stop counting once it is found).
    // Nor do the runs of a node that read an anomalous upstream run: a fault's effect downstream, sub-threshold
    // there, is the fault's (its incident), not the start of a creep that would alarm after it ended.
    if (
      v.status === 'success' &&
      v.findings.every((f) => f.metric === 'long_drift') &&
      v.metrics.columns.some((c) => c.long_horizon !== undefined) &&
      !this.readAnomalous(run.upstream)
    )
      for (const c of v.metrics.columns) {
        const h = c.long_horizon ? own(own(node.outputs, c.dataset)?.columns, c.column)?.horizon : undefined;
        if (h && c.long_horizon) {
          h.up = c.long_horizon.up;
          h.down = c.long_horizon.down;
          pushBounded((h.recent ??= []), c.long_horizon.distance, HORIZON_LEVEL_RUNS - 1);
          const qh = c.long_horizon.quantile;
          if (qh) {
            h.qup = qh.up;
            h.qdown = qh.down;
            pushBounded((h.qrecent ??= []), qh.distance, HORIZON_LEVEL_RUNS - 1);
          }
        }
      }
    const follows = !v.healthy && !v.pending && this.followsUpstreamChange(v, run);
    if (follows) {
      // The row count moved with a compatible change in a run it read: the new level is the normal at once,
      // as the change itself is (its history is moved to it, seasons and spread kept), and the run is learned.
      // RCA still walks through it to the changed node, whose incident names this run as a symptom.
      const o = (report.outputs ?? [])[0];
      const b = o ? own(node.outputs, o.dataset) : undefined;
      const expected = v.metrics.row_count.baseline;
      const rows = v.metrics.row_count.value;
      const through = v.metrics.row_count.through;
      if (b && expected !== undefined && expected > 0 && rows !== undefined)
        shiftRowCounts(
          b,
          rows / expected,
          through && through.group === undefined && through.expected > 0
            ? (1 + rows) / (1 + through.expected)
            : undefined,
        );
      run.changes = [...(run.changes ?? []), ...run.findings];
    }
    // A run whose only findings are long-horizon ones teaches the rolling baselines: they are there to follow a
    // creep (the slow reference catches it); frozen at the creep's first finding, they would report the same
    // creep as a sudden drift weeks later, a second incident for one fault.
    const creepOnly =
      v.status === 'success' && v.findings.length > 0 && v.findings.every((f) => f.metric === 'long_drift');
    if ((v.healthy || follows || creepOnly) && !v.pending) {
      // Growth: the history moves up to the new level (an accumulating table's kept in order, by the step;
      // another's by the factor, seasons kept), then the run joins it.
      const grown = v.notices.find((f) => f.metric === 'row_count' && f.details?.['growth'] !== undefined);
      const g = grown ? (report.outputs ?? [])[0] : undefined;
      const gb = g ? own(node.outputs, g.dataset) : undefined;
      if (gb && g?.profile?.row_count !== undefined) {
        const rows = g.profile.row_count;
        if (grown!.details?.['growth'] === 'keys') raiseRowCounts(gb, rows);
        else if (grown!.baseline !== undefined && grown!.baseline > 0) shiftRowCounts(gb, rows / grown!.baseline);
      }
      for (const [i, o] of (report.outputs ?? []).entries())
        if (o.profile !== undefined)
          learnBaseline(
            node,
            'out',
            o.dataset,
            o.profile,
            report,
            this.epochs,
            opts,
            out.dirty,
            v.metrics.columns,
            this.longHorizonFor(node),
            i === 0 ? inputsOf(v.metrics) : undefined,
          );
      node.healthy_runs += 1;
      this.clearCandidates(node, out.dirty);
      if (v.metrics.held && this.keepStates(node, run, { ...v, findings: v.metrics.held }))
        out.dirty.add(stateKey.node(node.pipeline, node.node));
    } else if (v.status === 'failed') this.clearCandidates(node, out.dirty);
    else {
      this.keepCandidate(report, node, run, v, out.dirty);
      if (!v.pending && this.keepStates(node, run, v)) out.dirty.add(stateKey.node(node.pipeline, node.node));
      // A row count that passed its own check is learned even when another check flagged the run (a
      // column's drift): otherwise the weekend a drift fell on is missing from the seasonal history and the
      // next weekend is judged against weekdays. Not while a row-count finding waits for its persistence.
      if (!v.pending && !v.findings.some((f) => f.metric === 'row_count' || f.metric === 'schema'))
        for (const [i, o] of (report.outputs ?? []).entries())
          if (
            o.profile?.row_count !== undefined &&
            learnRowCount(
              node,
              'out',
              o.dataset,
              o.profile.row_count,
              at,
              opts,
              i === 0 ? inputsOf(v.metrics) : undefined,
            )
          )
            out.dirty.add(stateKey.node(node.pipeline, node.node));
      // A flagged row count still teaches the month-edge history and a sub-daily node's weekday levels (the
      // first month-end of a month-end pattern, an hourly feed's first weekend, are flagged; unlearned, every
      // later one would be).
      if (!v.pending && v.findings.some((f) => f.metric === 'row_count')) {
        const o = (report.outputs ?? [])[0];
        const b = o ? own(node.outputs, o.dataset) : undefined;
        if (b && o?.profile?.row_count !== undefined && learnCalendarLevels(b, at, o.profile.row_count))
          out.dirty.add(stateKey.node(node.pipeline, node.node));
      }
      // A compatible schema change is the baseline at once, whatever else the run shows.
      if (v.notices.some((f) => f.metric === 'schema')) {
        const o = (report.outputs ?? [])[0];
        const b = o?.profile !== undefined ? own(node.outputs, o.dataset) : undefined;
        const s = o?.profile !== undefined ? summarize(o.dataset, o.profile).schema : undefined;
        if (b && s) b.schema = s;
      }
    }
    const anomalousInputs = new Set(v.inputFindings.map((f) => f.dataset));
    for (const input of report.inputs ?? []) {
      if (input.profile && !anomalousInputs.has(input.dataset)) {
        learnBaseline(node, 'in', input.dataset, input.profile, report, this.epochs, opts, out.dirty);
      }
    }
    if (node.last_event_time > 0 && at > node.last_event_time)
      pushBounded(node.intervals, at - node.last_event_time, opts.baselineRuns);
    // How far the rest of the pipeline is usually ahead of this node when it reports (the source of a long
    // run reports while the previous run's last steps are still landing): silence counts beyond that lead.
    if (node.runs > 0) pushBounded((node.leads ??= []), Math.max(0, rt.state.watermark - at), opts.baselineRuns);
    node.last_event_time = Math.max(node.last_event_time, at);
    node.runs += 1;
    node.late = false;
    pushBounded(node.event_ids, report.event_id, opts.eventIdMemory);
    if (rt.state.watermark > 0 && at - rt.state.watermark > PAUSE_MIN_MS)
      pushBounded((rt.state.pauses ??= []), [rt.state.watermark, at], PAUSES_KEPT);
    rt.state.watermark = Math.max(rt.state.watermark, at);
  }

  /**
   * Whether a run read, directly or through the runs it read (up to {@link ANOMALY_DEPTH} hops), an anomalous
   * upstream run: one with findings other than long-horizon ones (a fault in progress above it).
   */
  private readAnomalous(upstream: RunRecord['upstream']): boolean {
    const seen = new Set<string>();
    let frontier = upstream;
    for (let depth = 0; depth < ANOMALY_DEPTH && frontier.length > 0; depth++) {
      const next: RunRecord['upstream'] = [];
      for (const u of frontier) {
        const rec = this.upstreamRun(u);
        if (!rec) continue;
        const k = `${nodeKey(u)}\u001e${rec.run_id}`;
        if (seen.has(k)) continue;
        seen.add(k);
        if (!rec.healthy && rec.findings.some((f) => f.metric !== 'long_drift')) return true;
        next.push(...rec.upstream);
      }
      frontier = next;
    }
    return false;
  }

  /**
   * A long-horizon finding of a run that read a fault in progress above it is that fault's effect, not a
   * creep starting here: dropped (the fault has its incident; the CUSUM does not move either: learn).
   */
  private creepUnderFault(v: RunVerdict, upstream: RunRecord['upstream']): void {
    if (!v.findings.some((f) => f.metric === 'long_drift') || !this.readAnomalous(upstream)) return;
    v.findings = v.findings.filter((f) => f.metric !== 'long_drift');
    if (v.findings.length === 0 && v.status === 'success' && !v.pending) v.healthy = true;
  }

  /**
   * The rows of each upstream run a run read, by parent: the pass-through's inputs (stats/pass-through.ts).
   * Undefined when it read nothing, or any of them (or its row count) is not known here: a parent whose report
   * has not arrived (here, or in the view when another instance holds it).
   */
  private inputRows(upstream: RunRecord['upstream']): InputRows | undefined {
    if (upstream.length === 0) return undefined;
    const inputs: InputRows = [];
    for (const u of upstream) {
      const rec = u.run_id !== undefined ? this.upstreamRun(u) : undefined;
      if (rec?.row_count === undefined) return undefined;
      // The parent's own judgement of its level: a row-count finding or signal says which way it moved.
      const f = [...rec.findings, ...(rec.signals ?? [])].find(
        (g) => g.metric === 'row_count' && g.baseline !== undefined && g.value !== g.baseline,
      );
      inputs.push({
        key: nodeKey(u),
        rows: rec.row_count,
        ...(f ? { moved: f.value > f.baseline! ? (1 as const) : (-1 as const) } : {}),
        ...(rec.distinct !== undefined ? { groups: rec.distinct } : {}),
        ...(!rec.healthy ? { anomalous: true as const } : {}),
      });
    }
    return inputs;
  }

  /** An upstream run a run names: held here, or (named) through the view. */
  private upstreamRun(u: RunRecord['upstream'][number]): RunRecord | undefined {
    const ref: NodeRef = { pipeline: u.pipeline, node: u.node };
    const node = this.nodeState(ref);
    if (node) return u.run_id !== undefined ? node.history.find((h) => h.run_id === u.run_id) : node.history.at(-1);
    return u.run_id !== undefined && this.isRemote(ref) ? this.view!.run(ref, u.run_id) : undefined;
  }

  /**
   * Whether a run's findings are only its row count following a compatible change upstream: every finding is a
   * row-count one, and a run it read (the exact one it names, or the parent's latest) carried or passed on a
   * compatible change (RunRecord.changes). A row count that moves with a change of schema upstream (a model
   * gaining a coefficient row, a wide-to-long step gaining rows) is the change's consequence, not a fault here.
   */
  private followsUpstreamChange(v: RunVerdict, run: RunRecord): boolean {
    if (v.status !== 'success' || v.findings.length === 0 || !v.findings.every((f) => f.metric === 'row_count'))
      return false;
    return run.upstream.some((u) => {
      const rec = this.upstreamRun(u);
      return rec?.changes !== undefined && rec.changes.length > 0;
    });
  }

  /**
   * Step 5: incidents: RCA for every finding, or a healthy run towards resolution. A verdict whose walk
   * needs an upstream run the reports name but that has not arrived is held (hold.ts), not guessed.
   */
  private attribute(rt: PipelineRuntime, ref: NodeRef, run: RunRecord, healthy: boolean): IncidentEvent[] {
    if (healthy) {
      // A creep found here through its downstream is not over while it goes on: a long-horizon signal at its
      // alarm level, or any while the node is the culprit of an open long-horizon incident (a CUSUM on its way
      // elsewhere is evidence, not a creep going on).
      const creeping = (run.signals ?? []).filter((s) => s.metric === 'long_drift');
      if (
        creeping.length > 0 &&
        (creeping.some((s) => s.value >= s.threshold) ||
          rt.state.incidents.some((i) => i.status === 'open' && i.metric === 'long_drift' && i.culprit === ref.node))
      )
        return [];
      return cloneEvents(healthyRun(this.incidentContext(rt), ref, run));
    }
    const judged = this.judge(ref, run);
    if (judged.missing.length > 0) {
      (rt.state.held ??= []).push({
        node: ref.node,
        run_id: run.run_id,
        seq: run.seq,
        event_time: run.event_time,
        waiting: judged.missing,
      });
      return [];
    }
    return this.decide(rt, ref, run, judged.verdicts);
  }

  /**
   * Attributes a judged run: roots in pipelines held here open or join incidents (attributeRun); a root
   * in a pipeline another instance holds (seen through the view) opens nothing here: the findings it
   * explains are forwarded to that instance as a symptom (SymptomMessage), and the run names the root
   * run's incident when the view already knows it.
   */
  private decide(
    rt: PipelineRuntime,
    ref: NodeRef,
    run: RunRecord,
    verdicts: Parameters<typeof attributeRun>[3],
  ): IncidentEvent[] {
    const local: Parameters<typeof attributeRun>[3] = [];
    const away = new Map<string, { root: RcaRun; findings: FindingBrief[] }>();
    for (const { finding, roots } of verdicts) {
      const remote = roots.filter((v) => this.isRemote(v.root.ref));
      if (remote.length === 0 || remote.length < roots.length)
        local.push({ finding, roots: roots.filter((v) => !this.isRemote(v.root.ref)) });
      for (const v of remote) {
        const k = awaitedKey(v.root.ref, v.root.run_id);
        const g = away.get(k);
        if (g) g.findings.push(finding);
        else away.set(k, { root: v.root, findings: [finding] });
      }
    }
    for (const { root, findings } of away.values()) {
      const incidentId = this.view?.run(root.ref, root.run_id)?.incident_id;
      this.forwarded.push({
        spec: SYMPTOM_SPEC,
        pipeline: root.ref.pipeline,
        root: { node: root.ref.node, run_id: root.run_id },
        ...(incidentId !== undefined ? { incident_id: incidentId } : {}),
        from: { pipeline: ref.pipeline, node: ref.node, run_id: run.run_id, event_time: iso(run.event_time) },
        findings,
      });
      if (incidentId !== undefined) run.incident_id ??= incidentId;
      run.remote_root ??= { pipeline: root.ref.pipeline, node: root.ref.node, run_id: root.run_id };
    }
    return cloneEvents(attributeRun(this.incidentContext(rt), run, ref, local));
  }

  /** Symptoms forwarded by {@link decide} since the last {@link takeForwarded} (moved into the output). */
  private forwarded: SymptomMessage[] = [];

  private takeForwarded(out: CoreOutput): void {
    if (this.forwarded.length === 0) return;
    out.symptoms.push(...this.forwarded);
    this.forwarded = [];
  }

  /** RCA for every finding of an anomalous run; `missing`: named upstream runs not (yet) held here. */
  private judge(
    ref: NodeRef,
    run: RunRecord,
  ): { verdicts: Parameters<typeof attributeRun>[3]; missing: HeldVerdict['waiting'] } {
    const briefs =
      run.findings.length > 0
        ? run.findings
        : [
            {
              rule: 'run_failed',
              metric: 'status' as const,
              severity: 'critical' as const,
              value: 1,
              threshold: 0,
              message: `run ${run.run_id} failed${run.error !== undefined ? `: ${firstLine(run.error.message)}` : ''}`,
            },
          ];
    const missing = new Map<string, HeldVerdict['waiting'][number]>();
    const world = this.rcaWorld(missing);
    const rcaRun = rcaRunOf(ref, run);
    const verdicts = briefs.map((f) => ({ finding: f, roots: findRoots(world, rcaRun, f) }));
    return { verdicts, missing: [...missing.values()] };
  }

  /**
   * Step 7: held verdicts. Those waiting for the run that just arrived (in any pipeline held here) are
   * judged again; then the arriving pipeline's bounds: a verdict its watermark has passed by the grace
   * (see holdGrace),
   * and the oldest beyond the count, are decided with what is known (a missing run is unobserved).
   */
  private settleHeld(rt: PipelineRuntime, ref: NodeRef, runId: string, out: CoreOutput): void {
    const key = awaitedKey(ref, runId);
    for (const other of this.pipelines.values()) {
      const due = (other.state.held ?? []).filter((h) => h.waiting.some((w) => awaitedKey(w, w.run_id) === key));
      for (const h of due.sort(heldOrder)) this.decideHeld(other, h, false, out);
    }
    const expired = (rt.state.held ?? []).filter((h) => h.event_time < rt.state.watermark - this.holdGrace(rt, h));
    for (const h of expired.sort(heldOrder)) this.decideHeld(rt, h, true, out);
    while ((rt.state.held ?? []).length > this.options.maxHeldVerdicts)
      this.decideHeld(rt, [...rt.state.held!].sort(heldOrder)[0]!, true, out);
  }

  /**
   * How far the watermark must pass a held run: the grace, and at least the node's usual interval between
   * runs (a late report may come after the rest of its pipeline run, so within about one cycle).
   */
  private holdGrace(rt: PipelineRuntime, h: HeldVerdict): number {
    const intervals = rt.nodes.get(h.node)?.intervals ?? [];
    return Math.max(this.options.holdGraceMs, intervals.length > 0 ? median(intervals) : 0);
  }

  /** Judges a held verdict again: holds it on (still missing a run, not forced) or decides it. */
  private decideHeld(rt: PipelineRuntime, h: HeldVerdict, force: boolean, out: CoreOutput): void {
    rt.state.held = (rt.state.held ?? []).filter((x) => x !== h);
    out.dirty.add(stateKey.pipeline(rt.state.pipeline));
    const ref: NodeRef = { pipeline: rt.state.pipeline, node: h.node };
    const run = rt.nodes.get(h.node)?.history.find((r) => r.seq === h.seq && r.run_id === h.run_id);
    if (!run) return; // Fell out of the run history: nothing left to attribute.
    const judged = this.judge(ref, run);
    if (judged.missing.length > 0 && !force) {
      rt.state.held.push({ ...h, waiting: judged.missing });
      return;
    }
    const events = this.decide(rt, ref, run, judged.verdicts);
    this.takeForwarded(out);
    pushCoalesced(out.incidentEvents, events);
    out.points.push(...incidentPoints(events));
    out.dirty.add(stateKey.run(ref.pipeline, ref.node, run.seq % this.options.runHistory));
    for (const e of events) out.dirty.add(stateKey.pipeline(e.incident.pipeline));
    // Re-attributed: the run's health event is published again, naming its incident (or remote root).
    out.healthUpdates.push({ pipeline: ref.pipeline, node: ref.node, run });
    // Symptoms forwarded to this run while it was held follow it now.
    for (const msg of h.symptoms ?? []) this.placeSymptom(rt, msg, out);
  }

  /**
   * Held verdicts (in every pipeline held here) waiting for a run that is now known, locally or through the
   * view: judged again. The service calls it when the view received runs that {@link awaits} reported.
   */
  settleAwaited(out: CoreOutput = emptyOutput()): CoreOutput {
    for (const rt of [...this.pipelines.values()]) {
      const ready = (rt.state.held ?? []).filter((h) => h.waiting.some((w) => this.known(w, w.run_id)));
      for (const h of ready.sort(heldOrder)) this.decideHeld(rt, h, false, out);
    }
    return out;
  }

  /** Whether a held verdict here waits for this run. */
  awaits(ref: NodeRef, runId: string): boolean {
    const key = awaitedKey(ref, runId);
    for (const rt of this.pipelines.values())
      if ((rt.state.held ?? []).some((h) => h.waiting.some((w) => awaitedKey(w, w.run_id) === key))) return true;
    return false;
  }

  private known(ref: NodeRef, runId: string): boolean {
    if (this.nodeState(ref)?.history.some((h) => h.run_id === runId) === true) return true;
    return this.isRemote(ref) && this.view!.run(ref, runId) !== undefined;
  }

  /**
   * A symptom forwarded by another instance whose RCA walked (through its view) to a root in a pipeline
   * held here: it joins the root run's incident, in order with the pipeline's reports. A root run whose
   * verdict is held keeps it until decided; a root run that was itself attributed to a root on another
   * instance passes it on; no run and no open incident of the root node: not found (logged).
   */
  applySymptom(msg: SymptomMessage, out: CoreOutput = emptyOutput()): SymptomOutcome {
    const rt = this.pipelines.get(msg.pipeline);
    if (!rt) {
      out.symptomOutcomes.push({
        message: msg,
        outcome: 'not_found',
        reason: `pipeline ${msg.pipeline} is not held here`,
      });
      return 'not_found';
    }
    return this.placeSymptom(rt, msg, out);
  }

  private placeSymptom(rt: PipelineRuntime, msg: SymptomMessage, out: CoreOutput): SymptomOutcome {
    const result = (outcome: SymptomOutcome, reason?: string): SymptomOutcome => {
      out.symptomOutcomes.push({ message: msg, outcome, ...(reason !== undefined ? { reason } : {}) });
      return outcome;
    };
    const rootRef: NodeRef = { pipeline: rt.state.pipeline, node: msg.root.node };
    const held = (rt.state.held ?? []).find((h) => h.node === msg.root.node && h.run_id === msg.root.run_id);
    if (held) {
      pushBounded((held.symptoms ??= []), msg, HELD_SYMPTOMS_KEPT);
      out.dirty.add(stateKey.pipeline(rt.state.pipeline));
      return result('held');
    }
    const run = rt.nodes.get(msg.root.node)?.history.find((h) => h.run_id === msg.root.run_id);
    if (run?.remote_root !== undefined) {
      out.symptoms.push({
        ...msg,
        pipeline: run.remote_root.pipeline,
        root: { node: run.remote_root.node, run_id: run.remote_root.run_id },
        ...(run.incident_id !== undefined ? { incident_id: run.incident_id } : {}),
      });
      return result('forwarded');
    }
    const byId = (id: string | undefined) => (id === undefined ? undefined : this.findIncident(id));
    const inc = byId(run?.incident_id) ?? byId(msg.incident_id) ?? openIncidentFor(rt.state, rootRef);
    if (!inc) return result('not_found', `no incident for run ${msg.root.run_id} of ${msg.pipeline}/${msg.root.node}`);
    const at = Date.parse(msg.from.event_time);
    const events = cloneEvents(
      attachSymptoms(inc, { pipeline: msg.from.pipeline, node: msg.from.node }, msg.from.run_id, at, msg.findings),
    );
    pushCoalesced(out.incidentEvents, events);
    out.points.push(...incidentPoints(events));
    out.dirty.add(stateKey.pipeline(inc.pipeline));
    return result('attached');
  }

  private findIncident(id: string): Incident | undefined {
    for (const rt of this.pipelines.values()) {
      const inc = rt.state.incidents.find((i) => i.incident_id === id);
      if (inc) return inc;
    }
    return undefined;
  }

  // ---- the new normal: candidate runs, accepted changes, new steady levels ----

  /** The node's held candidate runs (consecutive unlearned runs), oldest first. */
  private candidateRuns(node: NodeState): CandidateRun[] {
    const k = this.options.newNormalRuns;
    const ring = node.candidates;
    if (!ring || k <= 0) return [];
    const out: CandidateRun[] = [];
    for (let i = Math.max(ring.from, ring.to - k); i < ring.to; i++) {
      const c = this.candidates.get(stateKey.candidate(node.pipeline, node.node, i % k));
      if (c?.ring_seq === i) out.push(c);
    }
    return out;
  }

  /** Empties the node's candidate ring (a run was learned, failed, or the change was accepted). */
  private clearCandidates(node: NodeState, dirty: Set<string>): void {
    const ring = node.candidates;
    if (!ring || ring.from === ring.to) return;
    const k = this.options.newNormalRuns;
    for (let i = 0; i < k; i++) {
      const key = stateKey.candidate(node.pipeline, node.node, i);
      if (this.candidates.delete(key)) dirty.add(key);
    }
    ring.from = ring.to;
  }

  /**
   * A successful run flagged for drift alone (no other finding, nothing anomalous read above it) keeps each
   * flagged column's state, so that the column's return to it, after a healthy run, is known as a recurring
   * state (evaluate.ts, `recurringState`). A column moved apart (a unit change) is never kept. So does a run
   * learned on a first week's new weekday for the drift its rules held (`first_week: hold`): a weekend's
   * distribution is a state the column comes back to, not a step of a slow drift. Returns whether the state
   * changed.
   */
  private keepStates(node: NodeState, run: RunRecord, v: RunVerdict): boolean {
    if (v.findings.length === 0 || !v.findings.every((f) => f.metric === 'drift') || v.findings.some(movedApart))
      return false;
    if (this.readAnomalous(run.upstream)) return false;
    let kept = false;
    for (const f of v.findings) {
      const cm = v.metrics.columns.find((c) => c.column === f.column && c.dataset === f.dataset);
      const c = cm?.drift ? own(own(node.outputs, cm.dataset)?.columns, cm.column) : undefined;
      if (!cm?.drift || !c) continue;
      keepColumnState(c, columnState(cm.drift, cm.mean, new Date(run.event_time).getUTCDay()));
      kept = true;
    }
    return kept;
  }

  /** Keeps a successful run that did not teach the baseline in the node's candidate ring. */
  private keepCandidate(report: Report, node: NodeState, run: RunRecord, v: RunVerdict, dirty: Set<string>): void {
    const k = this.options.newNormalRuns;
    if (k <= 0) return;
    const ring = (node.candidates ??= { from: 0, to: 0 });
    const c: CandidateRun = {
      ring_seq: ring.to,
      seq: run.seq,
      run_id: run.run_id,
      event_time: run.event_time,
      ...(report.code_version !== undefined ? { code_version: report.code_version } : {}),
      ...(report.params !== undefined ? { params: report.params } : {}),
      finding_metrics: [...new Set(v.findings.map((f) => f.metric))].sort(),
      breaking_schema: v.findings.some((f) => f.metric === 'schema') && v.metrics.schema.breaking,
      ...(v.findings.some(movedApart) ? { moved_apart: true as const } : {}),
      outputs: (report.outputs ?? []).flatMap((o, i) =>
        o.profile ? [summarize(o.dataset, o.profile, i === 0 ? inputsOf(v.metrics) : undefined)] : [],
      ),
    };
    const key = stateKey.candidate(node.pipeline, node.node, ring.to % k);
    this.candidates.set(key, c);
    dirty.add(key);
    ring.to += 1;
  }

  /**
   * Accepts a change of a node as its new normal (a person's "accept the change", or the monitor's own
   * for a new steady level): the node's output baselines restart from the accepted run (schema, levels,
   * null ratios, distributions; the candidate runs held since it are learned at once, the rules arm
   * again after their minimum baseline runs), the accepted runs count as good runs (rollback target,
   * cause), the nodes downstream whose findings were symptoms of its open incident are re-baselined
   * the same way, and the incident resolves with an event carrying who and why. Deterministic: the
   * input carries its time, so a replay of the same reports and inputs in the same order decides the
   * same. The changed state is in `out.dirty`, the resolution in `out.incidentEvents`.
   */
  acceptChange(input: AcceptChangeInput, out: CoreOutput = emptyOutput()): AcceptChangeResult {
    const rt = this.pipelines.get(input.pipeline);
    const node = rt?.nodes.get(input.node);
    const ref: NodeRef = { pipeline: input.pipeline, node: input.node };
    if (!rt || !node)
      return { ok: false, reason: `unknown node ${input.pipeline}/${input.node}`, rebaselined: [], learned_runs: 0 };
    const inc = openIncidentFor(rt.state, ref);
    const held = this.candidateRuns(node);
    let fromSeq: number;
    let fromRun: RunRecord | undefined;
    if (input.fromRunId !== undefined) {
      fromRun = node.history.find((h) => h.run_id === input.fromRunId);
      if (!fromRun)
        return {
          ok: false,
          reason: `run ${input.fromRunId} of ${input.pipeline}/${input.node} is not in its recent history`,
          rebaselined: [],
          learned_runs: 0,
        };
      fromSeq = fromRun.seq;
    } else {
      const opened = inc ? node.history.find((h) => h.run_id === inc.opened_run_id) : undefined;
      fromRun = opened ?? (held[0] ? node.history.find((h) => h.seq === held[0]!.seq) : undefined);
      fromSeq = fromRun?.seq ?? node.run_seq;
    }
    const at = input.at ?? new Date(node.last_event_time).toISOString();
    const acceptance: IncidentAcceptance = {
      ...(fromRun ? { run_id: fromRun.run_id } : {}),
      at,
      who: input.who,
      why: input.why,
      via: input.via ?? 'api',
      automatic: input.via === 'auto',
    };
    const since = fromRun?.event_time ?? node.last_event_time;
    const learned = this.rebaseline(node, fromSeq, out.dirty);
    const rebaselined: NodeRef[] = [ref];
    // Downstream nodes whose findings were this change's symptoms learn it too, from the same time on.
    const seen = new Set([nodeKey(ref)]);
    for (const s of inc?.symptoms ?? []) {
      const sref = { pipeline: s.pipeline, node: s.node };
      if (seen.has(nodeKey(sref))) continue;
      seen.add(nodeKey(sref));
      const sn = this.nodeState(sref);
      if (!sn) continue;
      const first = sn.history.find((h) => h.event_time >= since);
      this.rebaseline(sn, first?.seq ?? sn.run_seq, out.dirty);
      rebaselined.push(sref);
    }
    // Every node below the change restarts its slow (long-horizon) references: the accepted level moves them
    // all, also those whose movement stayed under the thresholds (no symptom), which would creep otherwise.
    this.restartHorizons(this.descendants(ref), out.dirty);
    // Every reader of a re-baselined output restarts that input's baseline too.
    const datasets = new Set<string>();
    for (const r of rebaselined) for (const ds of Object.keys(this.nodeState(r)?.outputs ?? {})) datasets.add(ds);
    for (const other of this.pipelines.values())
      for (const n of other.nodes.values())
        for (const ds of Object.keys(n.inputs))
          if (datasets.has(ds)) {
            resetBaseline(n, 'in', ds, this.epochs, this.options, out.dirty);
            out.dirty.add(stateKey.node(n.pipeline, n.node));
          }
    node.accepted = { ...acceptance, ...(inc ? { incident_id: inc.incident_id } : {}) };
    if (inc) {
      const events = cloneEvents(acceptIncident(rt.state, inc, acceptance));
      pushCoalesced(out.incidentEvents, events);
      out.points.push(...incidentPoints(events));
      out.dirty.add(stateKey.pipeline(inc.pipeline));
    }
    return {
      ok: true,
      rebaselined,
      ...(fromRun ? { from_run_id: fromRun.run_id } : {}),
      learned_runs: learned,
      ...(inc ? { incident_id: inc.incident_id } : {}),
    };
  }

  /**
   * Restarts a node's output baselines from its run `fromSeq` on: forgets them, learns the held
   * candidate runs from that run on, marks the runs since as accepted. Returns the runs learned.
   */
  private rebaseline(node: NodeState, fromSeq: number, dirty: Set<string>): number {
    const learn = this.candidateRuns(node).filter((c) => c.seq >= fromSeq);
    for (const ds of Object.keys(node.outputs)) resetBaseline(node, 'out', ds, this.epochs, this.options, dirty);
    const horizon = this.longHorizonFor(node);
    for (const c of learn)
      for (const o of c.outputs) learnSummary(node, 'out', o, c, this.epochs, this.options, dirty, horizon);
    for (const h of node.history)
      if (h.seq >= fromSeq && !h.healthy && h.status === 'success') {
        h.accepted = true;
        dirty.add(stateKey.run(node.pipeline, node.node, h.seq % this.options.runHistory));
      }
    this.clearCandidates(node, dirty);
    delete node.streaks;
    dirty.add(stateKey.node(node.pipeline, node.node));
    return learn.length;
  }

  /**
   * A new steady level becomes the normal on its own, only when all of these hold: the node's last
   * `newNormalRuns` runs were all unlearned and successful; the first of them came with a code_version
   * or params change against the node's last good run, and all of them carry that same version and
   * params; their findings are only row-count levels or distributions (never null ratios, breaking
   * schema changes, failed runs or staleness); they agree with each other (row counts within the
   * row-count rule's deviation or the node's own former spread, distributions under the drift floor);
   * the incident, if any, is the node's own; and every node downstream with findings in its latest run
   * shows only this incident's symptoms, steady and of the same allowed kinds (re-baselined with it).
   */
  private newSteadyLevel(rt: PipelineRuntime, node: NodeState, ref: NodeRef, run: RunRecord, out: CoreOutput): void {
    const k = this.options.newNormalRuns;
    const held = this.candidateRuns(node);
    if (k <= 0 || held.length < k || held[held.length - 1]!.seq !== run.seq) return;
    const first = held[0]!;
    if (!mayBecomeNormal(held)) return;
    const version = runVersion;
    const good = this.incidentContext(rt).lastHealthy(ref, first.event_time);
    if (!good || version(good) === version(first) || held.some((c) => version(c) !== version(first))) return;
    // A daily (or rarer) node's level must have held for a week, its weekly cycle, since the change: five
    // weekday runs are not a steady level, and a bad deploy (a fraud model flagging 30% for six days, then rolled
    // back) was taken as the normal, its rollback then opening a second incident.
    const cadence = (held[held.length - 1]!.event_time - held[0]!.event_time) / Math.max(1, held.length - 1);
    if (cadence >= NEW_NORMAL_DAILY_CADENCE_MS && run.event_time - good.event_time < NEW_NORMAL_DAILY_SPAN_MS) return;
    const inc =
      run.incident_id !== undefined ? rt.state.incidents.find((i) => i.incident_id === run.incident_id) : undefined;
    if (inc && nodeKey(inc.culprit_ref) !== nodeKey(ref)) return;
    if (!this.candidatesAgree(ref, node, held)) return;
    // Downstream: findings there must be this change's own symptoms, steady and of kinds that may become
    // normal (they are re-baselined with it); anything else waits for a person.
    for (const d of this.descendants(ref)) {
      const dn = this.nodeState(d);
      const latest = dn?.history.at(-1);
      if (!dn || !latest || latest.findings.length === 0 || latest.accepted === true) continue;
      if (!inc || latest.incident_id !== inc.incident_id) return;
      const since = this.candidateRuns(dn).filter((c) => c.event_time >= first.event_time);
      if (since.length < Math.max(2, k - 1) || !mayBecomeNormal(since) || !this.candidatesAgree(d, dn, since)) return;
    }
    const what =
      good.code_version !== first.code_version
        ? `code ${good.code_version ?? '(none)'} -> ${first.code_version ?? '(none)'}`
        : `parameters ${JSON.stringify(good.params ?? {})} -> ${JSON.stringify(first.params ?? {})}`;
    this.acceptChange(
      {
        pipeline: ref.pipeline,
        node: ref.node,
        fromRunId: first.run_id,
        who: 'rootline-monitor',
        why: `accepted automatically: new steady level (${held.length} runs agree since ${what})`,
        via: 'auto',
        at: new Date(run.event_time).toISOString(),
      },
      out,
    );
  }

  /**
   * Whether a successful run came with a deliberate change: a code version or parameters other than its
   * node's last healthy run's, which had held for the run before it too (parameters that change every run, a
   * run date, are no change).
   */
  private deliberateChange(rt: PipelineRuntime, ref: NodeRef, run: RunRecord): boolean {
    if (run.status !== 'success') return false;
    const ctx = this.incidentContext(rt);
    const last = ctx.lastHealthy(ref, run.event_time);
    if (!last || runVersion(last) === runVersion(run)) return false;
    const before = ctx.lastHealthy(ref, last.event_time);
    return before !== undefined && runVersion(before) === runVersion(last);
  }

  /** The nodes' long-horizon references start again (a new epoch from their next healthy runs). */
  private restartHorizons(refs: Iterable<NodeRef>, dirty: Set<string>): void {
    for (const d of refs) {
      const dn = this.nodeState(d);
      if (!dn) continue;
      let reset = false;
      for (const b of Object.values(dn.outputs))
        for (const c of Object.values(b.columns))
          if (c.horizon !== undefined) {
            delete c.horizon;
            reset = true;
          }
      if (reset) dirty.add(stateKey.node(d.pipeline, d.node));
    }
  }

  /** Whether the candidate runs agree with each other: one level of rows, one distribution per column. */
  private candidatesAgree(ref: NodeRef, node: NodeState, held: CandidateRun[]): boolean {
    const rules = effectiveRules(this.rules, ref).rules;
    const maxDev = rules.find((r) => r.metric === 'row_count' && r.enabled)?.max_deviation ?? 0.05;
    const datasets = new Set(held.flatMap((c) => c.outputs.map((o) => o.dataset)));
    for (const ds of datasets) {
      const per = held.map((c) => c.outputs.find((o) => o.dataset === ds));
      if (per.some((o) => o === undefined)) return false;
      const rows = per.flatMap((o) => (o!.row_count !== undefined ? [o!.row_count] : []));
      if (rows.length > 0) {
        const mid = median(rows);
        const old = own(node.outputs, ds)?.row_counts ?? [];
        const oldSpread = old.length > 1 ? (Math.max(...old) - Math.min(...old)) / Math.max(1, median(old)) : 0;
        if ((Math.max(...rows) - Math.min(...rows)) / Math.max(1, mid) > Math.max(maxDev, oldSpread)) return false;
      }
      const base = per[0]!;
      const baseline = own(node.outputs, ds);
      for (const [column, a] of Object.entries(base.columns)) {
        // A key or a clock (txn_id, an event time: a fresh range every run) never agrees between two runs; its
        // drift is not judged either (evaluate.ts, `freshRangeEveryRun`). Left in, it kept a node with an
        // increasing id from ever taking a deliberate new level as its normal.
        const ranges = per.map((o) => own(o!.nulls, column)?.range);
        const known = own(baseline?.columns, column)?.ranges;
        if (known && ranges.every((r) => r !== undefined) && freshRangesEveryRun(known, ranges)) continue;
        const floor =
          effectiveRules(this.rules, { ...ref, column }).rules.find((r) => r.metric === 'drift' && r.enabled)
            ?.effect_floor ?? 0.1;
        for (const o of per.slice(1)) {
          const b = own(o!.columns, column);
          if (!b || !columnsAgree(a, b, floor)) return false;
        }
      }
    }
    return true;
  }

  /** Verdicts held in a pipeline, waiting for upstream runs (oldest first). */
  heldVerdicts(pipeline: string): readonly HeldVerdict[] {
    return [...(this.pipelines.get(pipeline)?.state.held ?? [])].sort(heldOrder);
  }

  /** Step 6: the points, findings, run and dirty state keys the report produced. */
  private emit(
    out: CoreOutput,
    report: Report,
    ref: NodeRef,
    at: number,
    run: RunRecord,
    v: RunVerdict,
    parentEdges: ReturnType<PipelineGraph['parents']>,
    changes: LineageChange[],
    events: IncidentEvent[],
  ): void {
    const { metrics, findings, healthy } = v;
    // Points.
    out.points.push(
      ...nodeRunPoints(
        metrics,
        {
          healthy,
          findings: findings.length,
          code_version: report.code_version,
          data_version: report.data_version,
          incident_id: run.incident_id,
        },
        at,
      ),
      ...findingPoints(findings, run.incident_id, at),
      ...findingPoints(v.notices, undefined, at),
      ...incidentPoints(events),
      ...lineagePoints(changes),
    );
    for (const e of parentEdges) {
      out.points.push({
        measurement: MEASUREMENTS.lineageEdge,
        tags: {
          pipeline: ref.pipeline,
          source: e.source.pipeline === ref.pipeline ? e.source.node : `${e.source.pipeline}/${e.source.node}`,
          target: ref.node,
        },
        time: at,
        fields: { present: 1, via: e.via },
      });
    }
    out.findings.push(...findings, ...v.notices);
    out.runs.push({ pipeline: ref.pipeline, node: ref.node, run });
    out.processed += 1;
    out.dirty.add(stateKey.node(ref.pipeline, ref.node));
    out.dirty.add(stateKey.pipeline(ref.pipeline));
    for (const e of events) {
      // An incident rooted in another (local) pipeline changes that pipeline's state too.
      out.dirty.add(stateKey.pipeline(e.incident.pipeline));
    }
  }

  private incidentContext(rt: PipelineRuntime): IncidentContext {
    return {
      pipeline: rt.state,
      graph: rt.graph,
      pipelineOf: (name) => {
        const other = this.pipelines.get(name);
        return other ? { state: other.state, graph: other.graph } : undefined;
      },
      // Edges belong to their target's graph: a node's children in other pipelines are in theirs.
      descendants: (ref) => this.descendants(ref),
      rules: this.rules,
      options: this.options,
      rollback: this.rollback,
      rerun: this.rerun,
      lastHealthy: (ref, before) => {
        const hist = this.nodeState(ref)?.history ?? [];
        for (let i = hist.length - 1; i >= 0; i--)
          if ((hist[i]!.healthy || hist[i]!.accepted === true) && hist[i]!.event_time < before) return hist[i];
        return undefined;
      },
    };
  }

  /** Every node downstream of `ref` across the pipelines held here, nearest first. */
  private descendants(ref: NodeRef): NodeRef[] {
    const seen = new Set([nodeKey(ref)]);
    const out: NodeRef[] = [];
    let frontier = [ref];
    while (frontier.length > 0) {
      const next: NodeRef[] = [];
      for (const r of frontier) {
        const targets: NodeRef[] = [];
        for (const rt of this.pipelines.values()) for (const e of rt.graph.children(r)) targets.push(e.target);
        // Children in pipelines other instances hold, as their runs name their upstream.
        for (const c of this.view?.childrenOf(r) ?? []) if (!this.pipelines.has(c.pipeline)) targets.push(c);
        for (const t of targets) {
          const k = nodeKey(t);
          if (seen.has(k)) continue;
          seen.add(k);
          out.push(t);
          next.push(t);
        }
      }
      frontier = next;
    }
    return out;
  }

  /** The latest run of a node at or before `at`. */
  latestRun(ref: NodeRef, at: number): RunRecord | undefined {
    if (this.isRemote(ref)) return this.view!.latest(ref, at);
    const hist = this.nodeState(ref)?.history ?? [];
    for (let i = hist.length - 1; i >= 0; i--) if (hist[i]!.event_time <= at) return hist[i];
    return undefined;
  }

  /** What RCA sees; a run named by id that is not held here is unobserved, and noted in `missing`. */
  private rcaWorld(missing: Map<string, HeldVerdict['waiting'][number]>): RcaWorld {
    return {
      parents: (run: RcaRun) => {
        const rt = this.pipelines.get(run.ref.pipeline);
        if (!rt && this.isRemote(run.ref)) {
          // A run another instance judged: its parents are the upstream runs it recorded.
          const seen = new Set<string>();
          return (this.view!.run(run.ref, run.run_id)?.upstream ?? []).flatMap((u) => {
            const k = nodeKey(u);
            if (seen.has(k) || k === nodeKey(run.ref)) return [];
            seen.add(k);
            const p: NodeRef = { pipeline: u.pipeline, node: u.node };
            return [{ ref: p, datasets: [], ...(u.run_id !== undefined ? { run_id: u.run_id } : {}) }];
          });
        }
        const rec = this.nodeState(run.ref)?.history.find((h) => h.run_id === run.run_id);
        const edges = rt ? rt.graph.parents(run.ref, run.event_time) : [];
        // First entry per parent, as a search from the front would find it.
        const runIds = new Map<string, string | undefined>();
        for (const u of rec?.upstream ?? []) {
          const k = nodeKey(u);
          if (!runIds.has(k)) runIds.set(k, u.run_id);
        }
        return edges.map((e) => {
          const runId = runIds.get(nodeKey(e.source));
          return { ref: e.source, datasets: e.datasets, ...(runId !== undefined ? { run_id: runId } : {}) };
        });
      },
      runOf: (ref, runId, at) => {
        const node = this.nodeState(ref);
        if (!node && this.isRemote(ref)) {
          // Held by another instance: its run as the view has it; a named run not there yet is waited for.
          const rec = runId !== undefined ? this.view!.run(ref, runId) : this.view!.latest(ref, at);
          if (!rec && runId !== undefined) missing.set(awaitedKey(ref, runId), { ...ref, run_id: runId });
          return rec ? rcaRunOf(ref, rec) : undefined;
        }
        if (!node) {
          if (runId !== undefined) missing.set(awaitedKey(ref, runId), { ...ref, run_id: runId });
          return undefined;
        }
        if (runId !== undefined) {
          // The exact run read: never the parent's previous run in its place (the named one may be late).
          const rec = node.history.find((h) => h.run_id === runId);
          if (!rec) missing.set(awaitedKey(ref, runId), { ...ref, run_id: runId });
          return rec ? rcaRunOf(ref, rec) : undefined;
        }
        const rec = this.latestRun(ref, at);
        return rec ? rcaRunOf(ref, rec) : undefined;
      },
      lastHealthy: (ref, at) => {
        if (this.isRemote(ref)) {
          const rec = this.view!.lastHealthy(ref, at);
          return rec ? rcaRunOf(ref, rec) : undefined;
        }
        const hist = this.nodeState(ref)?.history ?? [];
        for (let i = hist.length - 1; i >= 0; i--)
          if ((hist[i]!.healthy || hist[i]!.accepted === true) && hist[i]!.event_time < at)
            return rcaRunOf(ref, hist[i]!);
        return undefined;
      },
      externalInputs: (run) => {
        const rt = this.pipelines.get(run.ref.pipeline);
        if (!rt) {
          const produced = (ds: string) =>
            (this.view?.producersOf(ds).length ?? 0) > 0 ||
            [...this.pipelines.values()].some((o) => o.graph.producersOf(ds).length > 0);
          return run.inputs.filter((ds) => !produced(ds));
        }
        return run.inputs.filter(
          (ds) => rt.graph.producersOf(ds).length === 0 && rt.graph.externalProducers(ds).length === 0,
        );
      },
    };
  }

  /**
   * Step 8 (freshness against event time): the nodes of a pipeline silent at its watermark `at`, the
   * event time its other nodes have reached, for longer than their rules allow; not yet flagged.
   * Longest silence first, so an upstream that stopped first is flagged before what stopped with it.
   */
  private silentNodes(rt: PipelineRuntime, at: number): { node: NodeState; finding: Finding }[] {
    const out: { node: NodeState; finding: Finding }[] = [];
    for (const node of rt.nodes.values()) {
      if (node.runs === 0) continue;
      const usual = node.intervals.length > 0 ? median(node.intervals) : undefined;
      // Quiet periods of the whole pipeline longer than the node's usual interval (a weekend, an outage)
      // are not the node's silence: nothing ran then.
      let paused = 0;
      if (usual !== undefined)
        for (const [from, to] of rt.state.pauses ?? [])
          if (from >= node.last_event_time && to - from > usual) paused += to - from;
      const lead = node.leads && node.leads.length > 0 ? Math.max(...node.leads) : 0;
      const f = evaluateFreshness(this.rules, {
        pipeline: node.pipeline,
        node: node.node,
        lastRunAt: node.last_event_time + paused + lead,
        usualIntervalMs: usual,
        runs: node.runs,
        now: at,
      });
      if (f && !node.late) out.push({ node, finding: f });
    }
    return out.sort((a, b) => a.node.last_event_time - b.node.last_event_time || (a.node.node < b.node.node ? -1 : 1));
  }

  /**
   * Raises a freshness finding (once per silence; the node's next run clears it) for each silent node at
   * event time `at`. A node whose parent is silent too is a symptom of the parent's silence, not a new
   * incident.
   */
  private raiseStale(rt: PipelineRuntime, silent: { node: NodeState; finding: Finding }[], out: CoreOutput): void {
    const stale = new Map<string, RunRecord>();
    for (const { node, finding: f } of silent) {
      const at = Date.parse(f.event_time);
      node.late = true;
      const ref = { pipeline: node.pipeline, node: node.node };
      const run: RunRecord = {
        seq: -1,
        run_id: `stale@${f.event_time}`,
        event_id: '',
        event_time: at,
        status: 'success',
        healthy: false,
        row_count: 0,
        upstream: [],
        inputs: [],
        outputs: [],
        findings: [briefOf(f)],
        input_findings: [],
      };
      // The root: up through parents flagged silent (in this pass, or earlier) that went silent first.
      let rootRef: NodeRef = ref;
      let rootRun = run;
      let since = node.last_event_time;
      for (let hop = 0; hop < 64; hop++) {
        const parent = rt.graph
          .parents(rootRef, at)
          .map((e) => e.source)
          .find((p) => {
            const st = this.nodeState(p);
            return (stale.has(nodeKey(p)) || st?.late === true) && st !== undefined && st.last_event_time <= since;
          });
        if (!parent) break;
        since = this.nodeState(parent)!.last_event_time;
        rootRef = parent;
        rootRun = stale.get(nodeKey(parent)) ?? { ...run, run_id: `stale@${parent.node}`, findings: [] };
      }
      stale.set(nodeKey(ref), run);
      const root = rcaRunOf(rootRef, rootRun);
      const verdicts = [
        {
          finding: run.findings[0]!,
          roots: [
            {
              root,
              rootFindings: rootRun.findings.length > 0 ? rootRun.findings : run.findings,
              path: [],
              healthyParents: [],
              unobservedParents: [],
              anomalousExternalInputs: [],
              candidates: [rootRef],
              confidence: 0.9,
            },
          ],
        },
      ];
      const events = cloneEvents(attributeRun(this.incidentContext(rt), run, ref, verdicts));
      out.findings.push(f);
      pushCoalesced(out.incidentEvents, events);
      out.points.push(...findingPoints([f], run.incident_id, at), ...incidentPoints(events));
      out.dirty.add(stateKey.node(node.pipeline, node.node));
      out.dirty.add(stateKey.pipeline(node.pipeline));
    }
  }

  /**
   * The wall-clock freshness check, only for a pipeline gone silent as a whole (every node that reported
   * is overdue at wall-clock `now`), which no report can reveal. A node silent while the rest of its
   * pipeline reports is found in report processing, against event time (so replays agree).
   */
  checkFreshness(now: number, out: CoreOutput = emptyOutput()): CoreOutput {
    for (const rt of this.pipelines.values()) {
      if (now <= rt.state.watermark) continue;
      const silent = this.silentNodes(rt, now);
      const reported = [...rt.nodes.values()].filter((n) => n.runs > 0);
      const overdue = new Set(silent.map((x) => x.node));
      this.raiseStalled(rt, now, out);
      if (!reported.every((n) => n.late === true || overdue.has(n))) continue;
      this.raiseStale(rt, silent, out);
    }
    return out;
  }

  // ---- state: export and import for persistence (compacted topic); the codec is state-codec.ts ----

  private get stateHost(): StateHost {
    return {
      pipelines: this.pipelines,
      epochs: this.epochs,
      candidates: this.candidates,
      runHistory: this.options.runHistory,
      runtime: (p) => this.runtime(p),
      attachExternal: (g) => this.attachExternal(g),
      clearCache: () => this.cache.clear(),
    };
  }

  /** The serialized records of the given state keys (value undefined = delete). */
  exportState(keys: Iterable<string>): { key: string; value: string | undefined }[] {
    return exportState(this.stateHost, keys);
  }

  /** Every state key the core holds (for a full snapshot). */
  allStateKeys(): string[] {
    return allStateKeys(this.stateHost);
  }

  /** Loads state records (as exported); later records for a key replace earlier ones. */
  importState(records: Iterable<{ key: string; value: string | undefined | null }>): void {
    importState(this.stateHost, records);
  }

  /** Forgets the state of the given pipelines (e.g. partitions revoked from this instance). */
  dropPipelines(names: Iterable<string>): void {
    for (const n of names) {
      const rt = this.pipelines.get(n);
      if (!rt) continue;
      for (const key of [...this.epochs.keys()]) if (pipelineOfKey(key) === n) this.epochs.delete(key);
      for (const key of [...this.candidates.keys()]) if (pipelineOfKey(key) === n) this.candidates.delete(key);
      this.pipelines.delete(n);
    }
    this.cache.clear();
  }

  // ---- queries ----

  pipelineNames(): string[] {
    return [...this.pipelines.keys()].sort();
  }

  graph(pipeline: string): PipelineGraph | undefined {
    return this.pipelines.get(pipeline)?.graph;
  }

  pipelineState(pipeline: string): PipelineState | undefined {
    return this.pipelines.get(pipeline)?.state;
  }

  node(ref: NodeRef): NodeState | undefined {
    return this.nodeState(ref);
  }

  nodes(pipeline: string): NodeState[] {
    return [...(this.pipelines.get(pipeline)?.nodes.values() ?? [])];
  }

  incidents(filter: { pipeline?: string; status?: 'open' | 'resolved' } = {}): Incident[] {
    const out: Incident[] = [];
    for (const rt of this.pipelines.values()) {
      if (filter.pipeline !== undefined && rt.state.pipeline !== filter.pipeline) continue;
      for (const i of rt.state.incidents) if (filter.status === undefined || i.status === filter.status) out.push(i);
    }
    return out;
  }
}

/**
 * Whether findings of these runs may become normal on their own: row-count levels and distributions
 * (short and long horizon) only; never null ratios, breaking schema changes, failed runs or staleness (docs/statistics.md).
 */
function mayBecomeNormal(runs: readonly CandidateRun[]): boolean {
  return runs.every(
    (c) =>
      !c.breaking_schema &&
      c.moved_apart !== true &&
      c.finding_metrics.every((m) => m === 'row_count' || m === 'drift' || m === 'long_drift'),
  );
}

/** Whether a finding is a drift that moved its column apart from the baseline (see {@link APART_STATISTIC}). */
function movedApart(f: Finding): boolean {
  return f.metric === 'drift' && typeof f.value === 'number' && f.value >= APART_STATISTIC;
}

/** A node whose candidate runs are this far apart or more runs about daily (or more rarely). */
const NEW_NORMAL_DAILY_CADENCE_MS = 12 * 3_600_000;
/** How long a daily node's new level must have held since its change before it becomes normal on its own. */
const NEW_NORMAL_DAILY_SPAN_MS = 7 * 86_400_000;

/** Forwarded symptoms kept on a held verdict until it is decided. */
const HELD_SYMPTOMS_KEPT = 64;

const iso = (ms: number) => new Date(ms).toISOString();

/** Events carry the incident as it is now (it changes with later reports). */
function cloneEvents(events: IncidentEvent[]): IncidentEvent[] {
  return events.map((e) => ({ ...e, incident: structuredClone(e.incident) }));
}

/**
 * Adds incident events to a batch's list, folding an update into the batch's previous event of the
 * same incident (opened or updated): one Slack update per incident per batch, not one per report.
 */
export function pushCoalesced(list: IncidentEvent[], events: readonly IncidentEvent[]): void {
  for (const e of events) {
    const prevIndex = list.findLastIndex((x) => x.incident.incident_id === e.incident.incident_id);
    const prev = prevIndex >= 0 ? list[prevIndex]! : undefined;
    if (prev && e.type === 'updated' && prev.type !== 'resolved') {
      const changes = { ...prev.changes };
      if (e.changes.new_symptoms) changes.new_symptoms = [...(changes.new_symptoms ?? []), ...e.changes.new_symptoms];
      if (e.changes.new_findings) changes.new_findings = [...(changes.new_findings ?? []), ...e.changes.new_findings];
      if (e.changes.runs_affected !== undefined) changes.runs_affected = e.changes.runs_affected;
      if (e.changes.audit) changes.audit = [...(changes.audit ?? []), ...e.changes.audit];
      list[prevIndex] = { type: prev.type, incident: e.incident, changes, at: e.at };
    } else list.push(e);
  }
}

/** The first line of an error message: what a finding's one-line message can quote. */
function firstLine(message: string): string {
  const line = message.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

/**
 * Datasets of a run's progress, updated by a later START/RUNNING event: a dataset's profile is replaced by a
 * later one that has a row count (or when it had none); its test results are merged (a later result of the same
 * test and column wins); datasets seen first later are added.
 */
function mergeRefs<T extends DatasetRef>(prev: T[] | undefined, next: T[] | undefined): T[] | undefined {
  if (next === undefined || next.length === 0) return prev;
  const out = [...(prev ?? [])];
  for (const n of next) {
    const i = out.findIndex((x) => x.dataset === n.dataset);
    if (i < 0) {
      out.push(n);
      continue;
    }
    const old = out[i]!;
    const base = n.profile !== undefined && (n.profile.row_count !== undefined || old.profile === undefined) ? n : old;
    const assertions = mergeAssertions(old.assertions, n.assertions);
    out[i] = assertions === base.assertions ? base : { ...base, ...(assertions ? { assertions } : {}) };
  }
  return out;
}

/** Test results of `base` with those of `later` (a later result of the same test and column replaces it). */
function mergeAssertions(
  base: AssertionResult[] | undefined,
  later: AssertionResult[] | undefined,
): AssertionResult[] | undefined {
  if (later === undefined || later.length === 0) return base;
  if (base === undefined || base.length === 0) return later;
  const key = (a: AssertionResult) => `${a.assertion}\u0000${a.column ?? ''}`;
  const keys = new Set(later.map(key));
  return [...base.filter((a) => !keys.has(key(a))), ...later];
}

/**
 * The report's datasets with what the run's progress knew: a dataset without a row count takes the progress's
 * profile when that has one (the report's own schema kept when the progress has none and no columns); test
 * results the progress carried are kept unless the report has a result of the same test and column; datasets
 * only the progress named are added. The report's own list (same object) when nothing changes.
 */
function takeOver<T extends DatasetRef>(own: T[] | undefined, progress: T[] | undefined): T[] | undefined {
  if (progress === undefined || progress.length === 0) return own;
  let changed = false;
  const out = (own ?? []).map((o) => {
    const from = progress.find((x) => x.dataset === o.dataset);
    const assertions = mergeAssertions(from?.assertions, o.assertions);
    const tested = assertions === o.assertions ? o : { ...o, ...(assertions ? { assertions } : {}) };
    if (tested !== o) changed = true;
    const p = from?.profile;
    if (o.profile?.row_count !== undefined || p?.row_count === undefined) return tested;
    changed = true;
    const schema =
      p.schema === undefined && p.columns === undefined && o.profile?.schema !== undefined
        ? { schema: o.profile.schema, schema_fingerprint: o.profile.schema_fingerprint }
        : {};
    return { ...tested, profile: { ...p, ...schema } };
  });
  for (const p of progress)
    if (!out.some((o) => o.dataset === p.dataset)) {
      out.push(p);
      changed = true;
    }
  return changed ? out : own;
}

/** The data-quality tests a report carries: its outputs' (as written), then its inputs' (as read). */
function reportAssertions(report: Report): AssertionMetrics[] {
  const out: AssertionMetrics[] = [];
  for (const [side, list] of [
    ['out', report.outputs],
    ['in', report.inputs],
  ] as const)
    for (const d of list ?? [])
      for (const a of d.assertions ?? [])
        out.push({
          dataset: d.dataset,
          side,
          assertion: a.assertion,
          success: a.success,
          ...(a.column !== undefined ? { column: a.column } : {}),
        });
  return out;
}

/**
 * Marks a finding that new entities explain as a notice (severity info, learned; see `rebaselines`): a growing
 * table's step ({@link growthOf}, `growth: 'keys'`), a rise the new values' rows account for
 * ({@link newEntitiesOf}, `growth: 'entities'`), nulls they could hold ({@link newEntityNulls}, `new_entities`).
 */
function markNewEntities(f: Finding, report: Report, node: NodeState, m: NodeRunMetrics): void {
  let why: string;
  if (newEntityNulls(f, m)) {
    f.details = { ...f.details, new_entities: true };
    why = 'in the rows of values new in the run (new entities, their first values not computed yet)';
  } else if (growthOf(f, report, node)) {
    f.details = { ...f.details, growth: 'keys' };
    why = 'the table only ever grew and a column is still a key (new entities), learned as its new level';
  } else if (newEntitiesOf(f, report, m)) {
    f.details = { ...f.details, growth: 'entities' };
    why = 'the rows of values new in the run account for the rise (new entities), learned as its new level';
  } else return;
  f.severity = 'info';
  f.message += `: ${why}`;
}

/** The largest rise a growing table may take in one run and still be growth (a tripling is not onboarding). */
export const GROWTH_MAX_RISE = 0.5;

/** Healthy runs of non-decreasing row counts that make a table an accumulating one (a registry, a customer list). */
export const GROWTH_MIN_RUNS = 5;

/**
 * Whether a row-count finding is a growing table's step, a notice rather than a fault: a rise of at most
 * {@link GROWTH_MAX_RISE} on a dataset whose last healthy row counts (at least {@link GROWTH_MIN_RUNS}) never
 * decreased (an accumulating table: a device registry, a customer list), while a column of the run is still a
 * key (a categorical column whose distinct values are at least 99% of its rows): the new rows are new
 * entities. A device registry that grew by 1-2 devices a day and then by the 24 devices of a customer's new
 * site opened an incident on that day and every day after (the pandas set's telemetry domain: 8 of its 27
 * false incidents at one step, seed 1); a double load of the same rows keeps no column a key and is judged;
 * a drop is always judged.
 */
function growthOf(f: Finding, report: Report, node: NodeState): boolean {
  if (f.metric !== 'row_count' || f.baseline === undefined || !(f.value > f.baseline)) return false;
  if (f.value > f.baseline * (1 + GROWTH_MAX_RISE)) return false;
  const o = (report.outputs ?? [])[0];
  const b = o ? own(node.outputs, o.dataset) : undefined;
  const history = b?.row_counts ?? [];
  if (history.length < GROWTH_MIN_RUNS || f.value < history.at(-1)!) return false;
  for (let i = 1; i < history.length; i++) if (history[i]! < history[i - 1]!) return false;
  const rows = o?.profile?.row_count;
  if (rows === undefined || rows <= 0) return false;
  return Object.values(o?.profile?.columns ?? {}).some(
    (c) =>
      c.kind === 'categorical' &&
      c.count === rows &&
      c.distinct_estimate !== undefined &&
      c.distinct_estimate >= 0.99 * rows,
  );
}

/**
 * The rows of each run a run read, by parent, as a baseline learns them (absent: not all known); and each
 * parent's key columns' distinct values, by parent and column (groups).
 */
function inputsOf(m: NodeRunMetrics): { rows: Record<string, number>; groups: Record<string, number> } | undefined {
  const inputs = m.row_count.inputs;
  if (inputs === undefined) return undefined;
  const rows = dict<number>();
  const groups = dict<number>();
  for (const i of inputs) {
    rows[i.key] = i.rows;
    for (const [column, d] of Object.entries(i.groups ?? {})) groups[compositeKey(i.key, column)] = d;
  }
  return { rows, groups };
}

/** A run's first output's categorical columns' distinct values (NodeRun.distinct), none under two. */
function distinctOf(report: Report): { distinct?: Record<string, number> } {
  const columns = (report.outputs ?? [])[0]?.profile?.columns;
  if (columns === undefined) return {};
  let out: Record<string, number> | undefined;
  let n = 0;
  for (const [name, c] of Object.entries(columns)) {
    if (c.kind !== 'categorical' || c.distinct_estimate === undefined) continue;
    const d = c.distinct_estimate;
    if (!Number.isFinite(d) || d < 2) continue;
    (out ??= dict<number>())[name] = d;
    if (++n >= RUN_DISTINCT_MAX) break;
  }
  return out === undefined ? {} : { distinct: out };
}

/**
 * Whether a row-count rise is new entities' rows, a notice rather than a fault: values that appeared in a
 * categorical column of the run's first output (never in its baseline) hold rows enough that the rest are
 * within the rule's deviation of the expectation. A new site's first day adds its devices' hours to an
 * hourly temperature table (12.7% more rows, a new site at 11.8% of them: the pandas set's telemetry domain,
 * seed 2). Lower bounds of the new values' shares are used; a rise the new values do not account for, and
 * any drop, is judged.
 */
function newEntitiesOf(f: Finding, report: Report, m: NodeRunMetrics): boolean {
  if (f.metric !== 'row_count' || f.baseline === undefined || !(f.value > f.baseline) || !(f.baseline > 0))
    return false;
  const dataset = (report.outputs ?? [])[0]?.dataset;
  const appeared = appearedRows(m, dataset, 0);
  if (!(appeared > 0)) return false;
  return Math.abs(f.value - appeared - f.baseline) / f.baseline <= f.threshold;
}

/** The rows of values new in the run (appeared, never in the baseline) of a dataset: the most of any column's. */
function appearedRows(m: NodeRunMetrics, dataset: string | undefined, bound: 0 | 1): number {
  let rows = 0;
  for (const c of m.columns) {
    if (c.dataset !== dataset || c.drift?.candidates === undefined) continue;
    const share = c.drift.candidates.filter((s) => s.change === 'appeared').reduce((a, s) => a + s.current[bound], 0);
    rows = Math.max(rows, share * (c.drift.n_current ?? 0));
  }
  return rows;
}

/**
 * Whether a null-ratio finding is new entities' first values, a notice rather than a fault: the nulls beyond
 * the column's baseline ratio are no more than the rows of values new in the run (the upper bounds of their
 * shares) in a categorical column of the same dataset. A rolling feature (an EWMA, a z-score) has no value
 * for a device's first reading: a new site's devices made 9% of an anomaly-feature table null on its first
 * day, a false incident in each telemetry set (6 on seed 1, 7 on seed 2, of 21 and 13). More nulls than the
 * new rows hold, or nulls without new values, are judged.
 */
function newEntityNulls(f: Finding, m: NodeRunMetrics): boolean {
  if (f.metric !== 'null_ratio' || f.column === undefined) return false;
  const nulls = f.details?.['null_count'];
  const count = f.details?.['count'];
  if (typeof nulls !== 'number' || typeof count !== 'number' || !(count > 0)) return false;
  const dataset = f.dataset ?? (typeof f.details?.['dataset'] === 'string' ? f.details['dataset'] : undefined);
  const excess = nulls - (f.baseline ?? 0) * count;
  const fresh = appearedRows(m, dataset, 1);
  return fresh > 0 && excess <= fresh;
}
