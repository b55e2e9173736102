import type { RunError } from '../contract/types.js';
import type { NodeRef } from '../lineage/index.js';
import type { FindingBrief, IncidentRoute, RuleMetric, Severity } from '../rules/index.js';

/** Why the culprit broke, as far as the evidence tells. */
export type CauseKind =
  | 'code_change' // code_version changed at the culprit since its last healthy run
  | 'schema_change' // the culprit's output schema changed
  | 'params_change' // the culprit's params changed
  | 'source_data' // a source node (no upstream) produced anomalous data
  | 'input_data' // the data arrived anomalous from outside the monitored graph (input profile)
  | 'transformation' // inputs healthy, output not, nothing changed that we can see
  | 'run_failed' // the node reported a failed run
  | 'stale' // the node stopped reporting (freshness)
  | 'stalled' // a run of the node started and has not ended within its usual duration
  | 'test_failed' // a data-quality test (dbt, Great Expectations) of the node's data failed
  | 'unknown';

export interface Cause {
  kind: CauseKind;
  /** One sentence for people. */
  summary: string;
  from?: string;
  to?: string;
}

/** One step of the evidence chain: what was seen at a node on the path from the symptom to the root. */
export interface EvidenceStep {
  pipeline: string;
  node: string;
  run_id: string;
  metric: RuleMetric | 'healthy';
  column?: string;
  value?: number;
  baseline?: number;
  threshold?: number;
  message: string;
  /** 'root', 'path' (anomalous, explained by its upstream), 'input' (observed healthy input of the root). */
  role: 'root' | 'path' | 'input';
}

export interface Symptom {
  pipeline: string;
  node: string;
  metric: RuleMetric;
  column?: string;
  message: string;
  first_run_id: string;
  last_run_id: string;
  first_seen: string;
  last_seen: string;
}

/** An action decided for an incident: who decided, what, why, and (once known) what happened. */
export interface ActionDecision {
  action: 'slack' | 'rollback' | 'rerun' | 'log';
  /** e.g. 'dispatch', 'dry_run', 'skipped' */
  decision: string;
  why: string;
  /** 'rootline-monitor' for automatic decisions, or the person/API caller. */
  who: string;
  at: string;
  details?: Record<string, unknown>;
}

export interface Incident {
  incident_id: string;
  pipeline: string;
  /** The culprit node (the root cause). */
  culprit: string;
  culprit_ref: NodeRef;
  /** When the root is ambiguous: every candidate (culprit first). */
  candidates: string[];
  confidence: number;
  escalated: boolean;
  cause: Cause;
  /** The metric and column of the first root finding. */
  metric: RuleMetric;
  column?: string;
  severity: Severity;
  status: 'open' | 'resolved';
  opened_at: string;
  updated_at: string;
  resolved_at?: string;
  opened_run_id: string;
  last_run_id: string;
  /** Root runs that showed the fault. */
  runs_affected: number;
  /** Consecutive healthy runs of the culprit since the last bad one. */
  healthy_streak: number;
  /** The culprit's current findings (latest bad run). */
  findings: IncidentFinding[];
  /** Why the culprit's latest bad run failed, as its report said (OpenLineage's errorMessage facet). */
  error?: RunError;
  evidence: EvidenceStep[];
  symptoms: Symptom[];
  /** Nodes downstream of the culprit (all of them, affected or not). */
  blast_radius: string[];
  actions: ActionDecision[];
  /** The culprit's last known good run (for rollback). */
  last_good?: { run_id: string; data_version?: string; code_version?: string; event_time: string };
  /**
   * Where its notifications go, decided from the rules (`owners:`, `escalation:`) when it opens: the
   * owning team, the Slack channel (absent: the default slack.channel) and the people to mention.
   * Absent on incidents opened before ownership existed (the default channel).
   */
  route?: IncidentRoute;
  /** The change accepted as the new normal that resolved the incident (explicit or automatic). */
  accepted?: IncidentAcceptance;
  /** Who acknowledged it (a person is on it), when and from where; absent until someone does. */
  acknowledged?: { who: string; at: string; source: AuditSource };
  /** Re-alerts (thread replies for new findings and symptoms) are held until this time (RFC 3339). */
  snoozed_until?: string;
  /** Who resolved it by hand or by accepting the change; absent when it resolved on healthy runs. */
  resolved_by?: { who: string; source: AuditSource; why?: string };
  /**
   * Every human and automatic action on the incident, oldest first (the last {@link AUDIT_KEPT}); absent
   * on incidents opened before the audit log existed.
   */
  audit?: AuditEntry[];
  /** Increments on every change; events carry it so consumers can drop stale or repeated ones. */
  version: number;
}

/** A change accepted as a node's new normal: who, why, from where, and the first run learned. */
export interface IncidentAcceptance {
  /** The first run learned as the new normal (absent: none held, the baseline restarts with the next run). */
  run_id?: string;
  /** Event time (ISO) of the acceptance. */
  at: string;
  /** A person or API caller; `rootline-monitor` for an automatic acceptance. */
  who: string;
  why: string;
  /** Where it came from: `slack`, `cli`, `api`, or `auto` (a new steady level). */
  via: string;
  automatic: boolean;
}

/** Audit entries kept per incident (the oldest are dropped). */
export const AUDIT_KEPT = 200;

/** Where an action came from: a Slack button, `rootline incident`, the HTTP API, or the monitor itself. */
export type AuditSource = 'slack' | 'cli' | 'api' | 'auto';

/** What a person can do to an incident (`rootline incident <action>`, the Slack buttons, the HTTP API). */
export type IncidentAction = 'ack' | 'snooze' | 'accept' | 'resolve' | 'reopen';

export const INCIDENT_ACTIONS: readonly IncidentAction[] = ['ack', 'snooze', 'accept', 'resolve', 'reopen'];

/** One line of an incident's audit log: who did what, when, why and from where. */
export interface AuditEntry {
  /** RFC 3339: the event time of the report for automatic actions, the time the request arrived for a person's. */
  at: string;
  /** A person (Slack user id, token name) or `rootline-monitor`. */
  who: string;
  source: AuditSource;
  /**
   * A person's {@link IncidentAction}, or what the monitor did: `opened`, `resolved` (healthy runs),
   * `snooze_expired`, `symptom_attached` (a consequence whose inputs looked healthy, joined to the open incident
   * upstream of it), or an action decision (`slack`, `rollback`, `rerun`: `details.decision`).
   */
  action: string;
  why?: string;
  details?: Record<string, unknown>;
}

export type IncidentEventType = 'opened' | 'updated' | 'resolved';

/** What changed in an incident, for the Slack thread and the incidents topic. */
export interface IncidentEvent {
  type: IncidentEventType;
  incident: Incident;
  /** For 'updated': what is new. */
  changes: {
    new_symptoms?: Symptom[];
    new_findings?: string[];
    runs_affected?: number;
    /** For 'resolved' by an accepted change: the acceptance. */
    accepted?: IncidentAcceptance;
    /** Audit entries added by this event (a person's action, a snooze that expired). */
    audit?: AuditEntry[];
  };
  at: string;
}

/** A finding of an incident's culprit: THE finding (rules/types.ts); the incident carries the severity. */
export type IncidentFinding = Omit<FindingBrief, 'severity'>;
