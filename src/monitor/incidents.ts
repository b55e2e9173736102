import { createHash } from 'node:crypto';
import { own } from '../dict.js';
import { canonicalJson, nodeKey, type NodeRef, type PipelineGraph, type RootVerdict } from '../lineage/index.js';
import { compositeKey } from '../keys.js';
import { SEVERITIES, routeFor, routeIncident, type RuleSet, type Severity } from '../rules/index.js';
import type {
  ActionDecision,
  AuditEntry,
  AuditSource,
  Cause,
  EvidenceStep,
  Incident,
  IncidentAcceptance,
  IncidentEvent,
  IncidentFinding,
  Symptom,
} from './incident-types.js';
import { appendAudit, snoozedAt } from './incident-actions.js';
import type { CompiledCoreOptions } from './options.js';
import { airflowTaskOf, lastRerun, recordRerun, rerunDagRunId, type RerunPolicy } from './rerun.js';
import type { FindingBrief, PipelineState, RunRecord } from './state.js';

/** Rollback decisions the core makes (the dispatcher executes them). */
export interface RollbackPolicy {
  /** Record a dry run instead of dispatching; false dispatches for real. Default: a dry run. */
  dryRun: boolean;
  /** No second rollback of the same node within this many ms (event time). Default one hour. */
  cooldownMs: number;
  /** Roll back even when the root is ambiguous. Default false. */
  allowAmbiguous: boolean;
}

export const DEFAULT_ROLLBACK_POLICY: RollbackPolicy = { dryRun: true, cooldownMs: 3_600_000, allowAmbiguous: false };

export interface IncidentContext {
  /** The state and graph of the pipeline whose report is being attributed. */
  pipeline: PipelineState;
  graph: PipelineGraph;
  /**
   * The state and graph of another pipeline held by this instance: an incident lives in its root's
   * pipeline, so a root found upstream in another local pipeline joins (or opens) the incident there.
   */
  pipelineOf?: (name: string) => { state: PipelineState; graph: PipelineGraph } | undefined;
  /** Nodes downstream of a node across the pipelines held here (default: the report's graph only). */
  descendants?: (ref: NodeRef) => NodeRef[];
  rules: RuleSet;
  options: CompiledCoreOptions;
  rollback: RollbackPolicy;
  rerun: RerunPolicy;
  /** The last healthy run of a node before a time. */
  lastHealthy(ref: NodeRef, before: number): RunRecord | undefined;
}

/** Resolved incidents kept in state for queries (the oldest are dropped). */
export const RESOLVED_INCIDENTS_KEPT = 50;

export function incidentId(pipeline: string, culprit: string, openedRunId: string): string {
  return `inc-${createHash('sha256').update(`${pipeline}\u0000${culprit}\u0000${openedRunId}`).digest('hex').slice(0, 12)}`;
}

const iso = (ms: number) => new Date(ms).toISOString();

function worst(findings: { severity?: Severity | undefined }[]): Severity {
  let best: Severity = 'info';
  for (const f of findings)
    if (f.severity && SEVERITIES.indexOf(f.severity) < SEVERITIES.indexOf(best)) best = f.severity;
  return best;
}

/**
 * An incident's opening severity: its root findings'. A root that is a compatible change, not a fault (a
 * healthy run whose schema grew: RunRecord.changes), takes its consequences' severity downstream, but at most
 * `warning`: a change that moved its readers deserves a look (and an accept), never a page.
 */
function openingSeverity(v: RootVerdict, findings: { severity?: Severity | undefined }[]): Severity {
  const own = worst(v.rootFindings);
  if (!v.root.healthy || !v.root.changes || v.root.changes.length === 0) return own;
  const downstream = worst(findings);
  const capped = SEVERITIES.indexOf(downstream) < SEVERITIES.indexOf('warning') ? 'warning' : downstream;
  return SEVERITIES.indexOf(capped) < SEVERITIES.indexOf(own) ? capped : own;
}

/** The likely cause at the root, from what changed there since its last healthy run. */
export function causeOf(v: RootVerdict, lastGood: RunRecord | undefined, hasParents: boolean): Cause {
  const r = v.root;
  const findings = v.rootFindings;
  if (r.status === 'failed') return { kind: 'run_failed', summary: `run ${r.run_id} of ${r.ref.node} failed` };
  const stalled = findings.find((f) => f.metric === 'duration');
  if (stalled) return { kind: 'stalled', summary: stalled.message };
  const fresh = findings.find((f) => f.metric === 'freshness');
  if (fresh)
    return {
      kind: 'stale',
      // A silence has no run of its own (stale@...); a run that read stale inputs has.
      summary: r.run_id.startsWith('stale@') ? `${r.ref.node} stopped reporting` : fresh.message,
    };
  const same = findings.find((f) => f.metric === 'unchanged');
  if (same) return { kind: 'stale', summary: `${r.ref.node} ${same.message}` };
  if (
    lastGood &&
    lastGood.code_version !== undefined &&
    r.code_version !== undefined &&
    lastGood.code_version !== r.code_version
  ) {
    return {
      kind: 'code_change',
      summary: `code changed at ${r.ref.node}: ${lastGood.code_version} -> ${r.code_version}`,
      from: lastGood.code_version,
      to: r.code_version,
    };
  }
  if (lastGood && canonicalJson(lastGood.params ?? null) !== canonicalJson(r.params ?? null)) {
    return {
      kind: 'params_change',
      summary: `parameters changed at ${r.ref.node}: ${JSON.stringify(lastGood.params ?? {})} -> ${JSON.stringify(r.params ?? {})}`,
      from: JSON.stringify(lastGood.params ?? {}),
      to: JSON.stringify(r.params ?? {}),
    };
  }
  const schema = findings.find((f) => f.metric === 'schema');
  if (schema)
    return {
      kind: 'schema_change',
      summary: `output schema of ${r.ref.node} changed: ${schema.message.replace(/^schema changed /, '')}`,
    };
  const test = findings.find((f) => f.metric === 'assertion');
  if (test) return { kind: 'test_failed', summary: test.message };
  if (v.anomalousExternalInputs.length > 0) {
    return {
      kind: 'input_data',
      summary: `${r.ref.node} read anomalous data from outside the monitored graph: ${v.anomalousExternalInputs.join(', ')}`,
    };
  }
  if (!hasParents)
    return { kind: 'source_data', summary: `source ${r.ref.node} produced anomalous data (no monitored upstream)` };
  return {
    kind: 'transformation',
    summary: `${r.ref.node} broke the data: its inputs were healthy and its output is not`,
  };
}

function evidenceOf(v: RootVerdict): EvidenceStep[] {
  const steps: EvidenceStep[] = v.path.map((s, i) => ({
    pipeline: s.run.ref.pipeline,
    node: s.run.ref.node,
    run_id: s.run.run_id,
    metric: s.finding.metric,
    ...(s.finding.column !== undefined ? { column: s.finding.column } : {}),
    value: s.finding.value,
    ...(s.finding.baseline !== undefined ? { baseline: s.finding.baseline } : {}),
    threshold: s.finding.threshold,
    message: s.finding.message,
    role: i === v.path.length - 1 ? ('root' as const) : ('path' as const),
  }));
  for (const p of v.healthyParents) {
    steps.push({
      pipeline: p.ref.pipeline,
      node: p.ref.node,
      run_id: p.run_id,
      metric: 'healthy',
      message: `input ${p.ref.node} was healthy (run ${p.run_id})`,
      role: 'input',
    });
  }
  return steps;
}

function symptomKey(s: { pipeline: string; node: string; metric: string; column?: string | undefined }): string {
  return compositeKey(s.pipeline, s.node, s.metric, s.column ?? '');
}

/** The open incident whose culprit is `culprit`, if any. */
export function openIncidentFor(p: PipelineState, culprit: NodeRef): Incident | undefined {
  return p.incidents.find((i) => i.status === 'open' && nodeKey(i.culprit_ref) === nodeKey(culprit));
}

/** The rerun decision for a new incident (see {@link RerunPolicy}); `rootParams` are the culprit's bad run's. */
function decideRerun(
  ctx: IncidentContext,
  home: PipelineState,
  inc: Incident,
  at: number,
  rootParams: Record<string, unknown> | undefined,
): ActionDecision {
  const policy = ctx.rerun;
  const base = { action: 'rerun' as const, who: 'rootline-monitor', at: iso(at) };
  const last = lastRerun(home.reruns, inc.culprit);
  if (inc.escalated && !policy.allowAmbiguous) {
    return {
      ...base,
      decision: 'skipped',
      why: `the root is ambiguous (candidates ${inc.candidates.join(', ')}, confidence ${inc.confidence}); a rerun needs an unambiguous culprit`,
    };
  }
  if (last !== undefined && at - last < policy.cooldownMs) {
    return {
      ...base,
      decision: 'skipped',
      why: `cooldown: ${inc.culprit} was rerun ${Math.round((at - last) / 60000)} min ago (cooldown ${Math.round(policy.cooldownMs / 60000)} min)`,
    };
  }
  const task = airflowTaskOf(policy, inc.pipeline, inc.culprit);
  const param =
    rootParams && Object.hasOwn(rootParams, policy.dagRunIdParam) ? rootParams[policy.dagRunIdParam] : undefined;
  const dagRunId =
    policy.mode === 'trigger'
      ? rerunDagRunId(inc.incident_id)
      : typeof param === 'string' && param !== ''
        ? param
        : inc.opened_run_id;
  home.reruns = recordRerun(home.reruns, inc.culprit, at);
  const what =
    policy.mode === 'trigger'
      ? `trigger DAG run ${dagRunId} of ${task.dagId}`
      : `clear task ${task.taskId} of DAG run ${dagRunId} of ${task.dagId}`;
  return {
    ...base,
    decision: policy.dryRun ? 'dry_run' : 'dispatch',
    why: `severity ${inc.severity} routes to rerun: ${what} (mapped by ${task.via})${policy.dryRun ? ' (dry run: rerun.dryRun is on)' : ''}`,
    details: {
      idempotency_key: `${inc.incident_id}:rerun`,
      mode: policy.mode,
      dag_id: task.dagId,
      task_id: task.taskId,
      dag_run_id: dagRunId,
      culprit_run_id: inc.opened_run_id,
    },
  };
}

function decideActions(
  ctx: IncidentContext,
  home: PipelineState,
  inc: Incident,
  at: number,
  rootParams: Record<string, unknown> | undefined,
): ActionDecision[] {
  const routes = routeFor(ctx.rules, { pipeline: inc.pipeline, node: inc.culprit }, inc.severity);
  const who = 'rootline-monitor';
  const decisions: ActionDecision[] = [];
  for (const action of routes) {
    if (action === 'slack' || action === 'log') {
      decisions.push({
        action,
        decision: 'notify',
        why: `severity ${inc.severity} routes to ${action}`,
        who,
        at: iso(at),
      });
    } else if (action === 'rerun') {
      decisions.push(decideRerun(ctx, home, inc, at, rootParams));
    } else if (action === 'rollback') {
      const base = { action: 'rollback' as const, who, at: iso(at) };
      const last = own(home.rollbacks, inc.culprit);
      if (inc.escalated && !ctx.rollback.allowAmbiguous) {
        decisions.push({
          ...base,
          decision: 'skipped',
          why: `the root is ambiguous (candidates ${inc.candidates.join(', ')}, confidence ${inc.confidence}); rollback needs an unambiguous culprit`,
        });
      } else if (!inc.last_good) {
        decisions.push({
          ...base,
          decision: 'skipped',
          why: `${inc.culprit} has no healthy run on record to roll back to`,
        });
      } else if (last !== undefined && at - last < ctx.rollback.cooldownMs) {
        decisions.push({
          ...base,
          decision: 'skipped',
          why: `cooldown: ${inc.culprit} was rolled back ${Math.round((at - last) / 60000)} min ago (cooldown ${Math.round(ctx.rollback.cooldownMs / 60000)} min)`,
        });
      } else {
        home.rollbacks[inc.culprit] = at;
        decisions.push({
          ...base,
          decision: ctx.rollback.dryRun ? 'dry_run' : 'dispatch',
          why: `severity ${inc.severity} routes to rollback; last known good run ${inc.last_good.run_id}${ctx.rollback.dryRun ? ' (dry run: rollback.dryRun is on)' : ''}`,
          details: {
            idempotency_key: `${inc.incident_id}:rollback`,
            node: inc.culprit,
            pipeline: inc.pipeline,
            to_run_id: inc.last_good.run_id,
            ...(inc.last_good.data_version !== undefined ? { to_data_version: inc.last_good.data_version } : {}),
            ...(inc.last_good.code_version !== undefined ? { to_code_version: inc.last_good.code_version } : {}),
          },
        });
      }
    }
  }
  return decisions;
}

/**
 * Attributes one anomalous run's findings to incidents: opens an incident per new root cause, updates
 * the open one of a still-broken culprit, and attaches downstream findings as symptoms.
 */
export function attributeRun(
  ctx: IncidentContext,
  run: RunRecord,
  ref: NodeRef,
  verdicts: { finding: FindingBrief; roots: RootVerdict[] }[],
): IncidentEvent[] {
  const events = new Map<string, IncidentEvent>();
  const at = run.event_time;
  const touch = (inc: Incident, type: IncidentEvent['type']) => {
    inc.updated_at = iso(at);
    const prev = events.get(inc.incident_id);
    if (!prev) {
      inc.version += 1;
      const changes: IncidentEvent['changes'] = {};
      const expired = expireSnooze(inc, at);
      if (expired) changes.audit = [expired];
      events.set(inc.incident_id, { type, incident: inc, changes, at: iso(at) });
    } else if (type === 'opened') prev.type = 'opened';
    return events.get(inc.incident_id)!;
  };

  // Group the verdicts by root node.
  const byRoot = new Map<string, { verdict: RootVerdict; findings: FindingBrief[] }>();
  for (const { finding, roots } of verdicts) {
    for (const v of roots) {
      const k = nodeKey(v.root.ref);
      const g = byRoot.get(k);
      if (g) g.findings.push(finding);
      else byRoot.set(k, { verdict: v, findings: [finding] });
    }
  }

  for (const { verdict: v, findings } of byRoot.values()) {
    const rootRef = v.root.ref;
    const isSelf = nodeKey(rootRef) === nodeKey(ref);
    const home = (rootRef.pipeline !== ref.pipeline ? ctx.pipelineOf?.(rootRef.pipeline) : undefined) ?? {
      state: ctx.pipeline,
      graph: ctx.graph,
    };
    let inc = openIncidentFor(home.state, rootRef);
    if (!inc) {
      const lastGood = ctx.lastHealthy(rootRef, v.root.event_time);
      // The root's own parents (the path runs downstream of it: no evidence of parents).
      const hasParents = v.healthyParents.length > 0 || v.unobservedParents.length > 0;
      const cause = causeOf(v, lastGood, hasParents || home.graph.parents(rootRef, v.root.event_time).length > 0);
      // Every parent as read was healthy (not merely unexplaining: a parent anomalous on another column, which
      // column lineage says this one does not derive from, leaves the root its own).
      const parents = new Set(home.graph.parents(rootRef, v.root.event_time).map((e) => nodeKey(e.source)));
      const inputsHealthy =
        v.unobservedParents.length === 0 &&
        parents.size > 0 &&
        [...parents].every((k) => v.healthyParents.some((p) => nodeKey(p.ref) === k));
      const upstream =
        cause.kind === 'transformation' && inputsHealthy
          ? openUpstreamIncident(ctx, rootRef, v.root.event_time)
          : undefined;
      if (upstream) {
        // Nothing changed at the root and its inputs looked healthy, but a node upstream of it is the culprit
        // of an open incident: a consequence that outlived its cause's visible symptoms (a rolling window, a
        // model retrained on the bad days, a slow drift felt further down). It joins that incident.
        const added = mergeSymptoms(upstream, ref, run.run_id, at, findings);
        if (added.length > 0) {
          const ev = touch(upstream, 'updated');
          ev.changes.new_symptoms = [...(ev.changes.new_symptoms ?? []), ...added];
          const entry = appendAudit(upstream, {
            at: iso(at),
            who: AUTO,
            source: 'auto',
            action: 'symptom_attached',
            why: `${nodeLabel(rootRef, upstream.pipeline)} changed with healthy inputs and no change of its own while ${upstream.culprit} upstream is open (run ${v.root.run_id})`,
          });
          ev.changes.audit = [...(ev.changes.audit ?? []), entry];
        }
        run.incident_id ??= upstream.incident_id;
        continue;
      }
      const rootFindings = v.rootFindings as FindingBrief[];
      const first = rootFindings[0]!;
      const escalated = v.confidence < ctx.options.escalateBelowConfidence || v.candidates.length > 1;
      inc = {
        incident_id: incidentId(rootRef.pipeline, rootRef.node, v.root.run_id),
        pipeline: rootRef.pipeline,
        culprit: rootRef.node,
        culprit_ref: rootRef,
        candidates: v.candidates.map((c) => nodeLabel(c, rootRef.pipeline)),
        confidence: v.confidence,
        escalated,
        cause,
        metric: first.metric,
        ...(first.column !== undefined ? { column: first.column } : {}),
        severity: openingSeverity(v, findings),
        status: 'open',
        opened_at: iso(v.root.event_time),
        updated_at: iso(at),
        opened_run_id: v.root.run_id,
        last_run_id: v.root.run_id,
        runs_affected: 1,
        healthy_streak: 0,
        findings: rootFindings.map(incidentFindingOf),
        ...(v.root.error !== undefined ? { error: v.root.error } : {}),
        evidence: evidenceOf(v),
        symptoms: [],
        blast_radius: (ctx.descendants ?? ((r: NodeRef) => home.graph.descendants(r)))(rootRef).map((n) =>
          nodeLabel(n, rootRef.pipeline),
        ),
        actions: [],
        ...(lastGood
          ? {
              last_good: {
                run_id: lastGood.run_id,
                event_time: iso(lastGood.event_time),
                ...(lastGood.data_version !== undefined ? { data_version: lastGood.data_version } : {}),
                ...(lastGood.code_version !== undefined ? { code_version: lastGood.code_version } : {}),
              },
            }
          : {}),
        route: routeIncident(ctx.rules, rootRef, escalated),
        version: 0,
      };
      home.state.incidents.push(inc);
      touch(inc, 'opened');
      appendAudit(inc, {
        at: iso(at),
        who: AUTO,
        source: 'auto',
        action: 'opened',
        why: inc.cause.summary,
        details: { severity: inc.severity, confidence: inc.confidence, escalated: inc.escalated },
      });
      const decided = decideActions(ctx, home.state, inc, at, v.root.params);
      inc.actions.push(...decided);
      for (const d of decided)
        appendAudit(inc, {
          at: d.at,
          who: d.who,
          source: 'auto',
          action: d.action,
          why: d.why,
          details: { decision: d.decision },
        });
    } else if (isSelf) {
      // The culprit is still broken: the same incident, updated.
      const ev = touch(inc, 'updated');
      const known = new Set(inc.findings.map((f) => compositeKey(f.metric, f.column ?? '')));
      const fresh = findings.filter((f) => !known.has(compositeKey(f.metric, f.column ?? '')));
      if (run.run_id !== inc.last_run_id) {
        inc.runs_affected += 1;
        ev.changes.runs_affected = inc.runs_affected;
      }
      inc.last_run_id = run.run_id;
      inc.healthy_streak = 0;
      if (fresh.length > 0)
        ev.changes.new_findings = [...(ev.changes.new_findings ?? []), ...fresh.map((f) => f.message)];
      inc.findings = findings.map(incidentFindingOf);
      if (run.error !== undefined) inc.error = run.error;
      else delete inc.error;
      const sev = worst([inc, ...findings]);
      if (SEVERITIES.indexOf(sev) < SEVERITIES.indexOf(inc.severity)) inc.severity = sev;
    }
    if (!isSelf) {
      // A symptom downstream of the culprit.
      const added = mergeSymptoms(inc, ref, run.run_id, at, findings);
      if (added.length > 0) {
        const ev = touch(inc, 'updated');
        ev.changes.new_symptoms = [...(ev.changes.new_symptoms ?? []), ...added];
      }
      // A culprit whose own runs look healthy (named by its change: a compatible schema change, a deliberate
      // change its reader broke on) shows the fault only downstream: a new symptom there means it goes on,
      // and its healthy runs count towards resolving it from there.
      if (v.root.healthy && findings.length > 0) inc.healthy_streak = 0;
    }
    run.incident_id ??= inc.incident_id;
  }
  return [...events.values()];
}

const nodeLabel = (r: NodeRef, pipeline: string) => (r.pipeline === pipeline ? r.node : `${r.pipeline}/${r.node}`);

/**
 * The open incident of the nearest node upstream of `root` (across the pipelines held here) that is the
 * culprit of one, nearest first; undefined when none is. Incidents held by other instances are not seen.
 */
export function openUpstreamIncident(ctx: IncidentContext, root: NodeRef, at: number): Incident | undefined {
  const local = (name: string) =>
    ctx.pipelineOf?.(name) ?? (name === ctx.pipeline.pipeline ? { state: ctx.pipeline, graph: ctx.graph } : undefined);
  const seen = new Set([nodeKey(root)]);
  let frontier = [root];
  while (frontier.length > 0) {
    const next: NodeRef[] = [];
    for (const r of frontier) {
      // Edges belong to their target's graph: a node's parents in other pipelines are in its own.
      for (const e of local(r.pipeline)?.graph.parents(r, at) ?? []) {
        const k = nodeKey(e.source);
        if (seen.has(k)) continue;
        seen.add(k);
        next.push(e.source);
      }
    }
    // Nearest first; among nodes at one distance, in a fixed order.
    next.sort((a, b) => (nodeKey(a) < nodeKey(b) ? -1 : nodeKey(a) > nodeKey(b) ? 1 : 0));
    for (const a of next) {
      const home = local(a.pipeline);
      const inc = home ? openIncidentFor(home.state, a) : undefined;
      if (inc) return inc;
    }
    frontier = next;
  }
  return undefined;
}

/** Adds a downstream run's findings to an incident's symptoms; returns the new ones (a known one is refreshed). */
function mergeSymptoms(inc: Incident, ref: NodeRef, runId: string, at: number, findings: FindingBrief[]): Symptom[] {
  const known = new Map(inc.symptoms.map((s) => [symptomKey(s), s]));
  const added: Symptom[] = [];
  for (const f of findings) {
    const k = symptomKey({ pipeline: ref.pipeline, node: ref.node, metric: f.metric, column: f.column });
    const s = known.get(k);
    if (s) {
      s.last_run_id = runId;
      s.last_seen = iso(at);
    } else {
      const sym: Symptom = {
        pipeline: ref.pipeline,
        node: ref.node,
        metric: f.metric,
        ...(f.column !== undefined ? { column: f.column } : {}),
        message: f.message,
        first_run_id: runId,
        last_run_id: runId,
        first_seen: iso(at),
        last_seen: iso(at),
      };
      inc.symptoms.push(sym);
      known.set(k, sym);
      added.push(sym);
    }
  }
  return added;
}

/**
 * Symptoms another instance forwarded (cross-instance RCA: its run's root is this incident's culprit): they
 * join the incident like a local downstream run's; an update event when any is new.
 */
export function attachSymptoms(
  inc: Incident,
  ref: NodeRef,
  runId: string,
  at: number,
  findings: FindingBrief[],
): IncidentEvent[] {
  const added = mergeSymptoms(inc, ref, runId, at, findings);
  if (added.length === 0) return [];
  inc.version += 1;
  if (Date.parse(inc.updated_at) < at) inc.updated_at = iso(at);
  const changes: IncidentEvent['changes'] = { new_symptoms: added };
  const expired = expireSnooze(inc, at);
  if (expired) changes.audit = [expired];
  return [{ type: 'updated', incident: inc, changes, at: iso(at) }];
}

/** A healthy run of a culprit counts towards resolving its incident. */
export function healthyRun(ctx: IncidentContext, ref: NodeRef, run: RunRecord): IncidentEvent[] {
  const inc = openIncidentFor(ctx.pipeline, ref);
  if (!inc) return [];
  inc.healthy_streak += 1;
  if (inc.healthy_streak < ctx.options.resolveAfterHealthyRuns) return [];
  inc.status = 'resolved';
  inc.resolved_at = iso(run.event_time);
  inc.updated_at = inc.resolved_at;
  inc.version += 1;
  delete inc.snoozed_until;
  const entry = appendAudit(inc, {
    at: inc.resolved_at,
    who: AUTO,
    source: 'auto',
    action: 'resolved',
    why: `${inc.healthy_streak} healthy runs of ${inc.culprit} in a row (run ${run.run_id})`,
  });
  pruneResolved(ctx.pipeline);
  return [{ type: 'resolved', incident: inc, changes: { audit: [entry] }, at: inc.resolved_at }];
}

/** Who the monitor's own actions are by. */
const AUTO = 'rootline-monitor';

/**
 * A snooze whose time has come (`at`, event time, reached its end) is lifted when the incident next
 * changes: that change alerts again, and the audit log says the snooze ran out.
 */
function expireSnooze(inc: Incident, at: number): AuditEntry | undefined {
  if (inc.snoozed_until === undefined || snoozedAt(inc, at)) return undefined;
  const until = inc.snoozed_until;
  delete inc.snoozed_until;
  return appendAudit(inc, {
    at: iso(at),
    who: AUTO,
    source: 'auto',
    action: 'snooze_expired',
    why: `snoozed until ${until}`,
  });
}

/**
 * Resolves an open incident because its change was accepted as the new normal (explicitly by a person,
 * or automatically: a new steady level). The event carries the acceptance (who, why, from where).
 */
export function acceptIncident(p: PipelineState, inc: Incident, acceptance: IncidentAcceptance): IncidentEvent[] {
  if (inc.status !== 'open') return [];
  inc.status = 'resolved';
  inc.resolved_at = acceptance.at;
  inc.updated_at = acceptance.at;
  inc.accepted = acceptance;
  inc.version += 1;
  delete inc.snoozed_until;
  const source = acceptance.automatic ? 'auto' : sourceOf(acceptance.via);
  if (!acceptance.automatic)
    inc.resolved_by = { who: acceptance.who, source, ...(acceptance.why !== '' ? { why: acceptance.why } : {}) };
  const entry = appendAudit(inc, {
    at: acceptance.at,
    who: acceptance.who,
    source,
    action: acceptance.automatic ? 'accepted_automatically' : 'accept',
    ...(acceptance.why !== '' ? { why: acceptance.why } : {}),
    details: { node: inc.culprit, ...(acceptance.run_id !== undefined ? { from_run_id: acceptance.run_id } : {}) },
  });
  pruneResolved(p);
  return [{ type: 'resolved', incident: inc, changes: { accepted: acceptance, audit: [entry] }, at: acceptance.at }];
}

/** The audit source of an acceptance's `via` (a person's: slack, cli or api). */
function sourceOf(via: string): Exclude<AuditSource, 'auto'> {
  return via === 'slack' || via === 'cli' ? via : 'api';
}

function pruneResolved(p: PipelineState): void {
  const resolved = p.incidents.filter((i) => i.status === 'resolved');
  if (resolved.length <= RESOLVED_INCIDENTS_KEPT) return;
  const drop = new Set(resolved.slice(0, resolved.length - RESOLVED_INCIDENTS_KEPT).map((i) => i.incident_id));
  p.incidents = p.incidents.filter((i) => !drop.has(i.incident_id));
}

/** A finding as an incident lists it (the incident carries the severity). */
function incidentFindingOf(f: FindingBrief): IncidentFinding {
  return {
    rule: f.rule,
    metric: f.metric,
    ...(f.column !== undefined ? { column: f.column } : {}),
    value: f.value,
    ...(f.baseline !== undefined ? { baseline: f.baseline } : {}),
    threshold: f.threshold,
    message: f.message,
  };
}
