import { own } from '../dict.js';
import {
  AUDIT_KEPT,
  INCIDENT_ACTIONS,
  type AuditEntry,
  type AuditSource,
  type Incident,
  type IncidentAction,
  type IncidentEvent,
} from './incident-types.js';
import type { PipelineState } from './state.js';

/** The `spec` of a person's action on an incident, as it travels on the reports topic. */
export const INCIDENT_COMMAND_SPEC = 'rootline.incident-action/v1';

/** Longest snooze: 30 days. */
export const MAX_SNOOZE_MS = 30 * 24 * 3_600_000;
/** Default snooze (a Slack button, `--for` omitted): 4 hours. */
export const DEFAULT_SNOOZE_MS = 4 * 3_600_000;
/** Command ids remembered per pipeline: a command seen again (a replayed Slack request, a redelivery) is ignored. */
export const COMMAND_IDS_KEPT = 256;

/**
 * A person's action on an incident: acknowledge, snooze, accept the change, resolve, reopen. It is a
 * state-changing input of the core like a report: produced to the reports topic keyed by the
 * incident's pipeline (so it lands in the partition, and the instance, that holds the incident, in
 * order with the pipeline's reports), applied in the batch's transaction, replayed after a restart.
 * The core takes its time from `at` (stamped where the request arrived), never from a clock.
 */
export interface IncidentCommand {
  spec: typeof INCIDENT_COMMAND_SPEC;
  /** Unique per request (a Slack request's is derived from its signature): a repeat is ignored. */
  command_id: string;
  pipeline: string;
  incident_id: string;
  action: IncidentAction;
  /** Who: a Slack user id, an API token's name (and the name the CLI user gave). */
  who: string;
  source: Exclude<AuditSource, 'auto'>;
  /** RFC 3339, when the request arrived. */
  at: string;
  why?: string;
  /** For `snooze`: how long, ms (at most {@link MAX_SNOOZE_MS}). */
  snooze_ms?: number;
}

const MAX_TEXT = 2000;
const MAX_NAME = 512;

/** True when a decoded JSON value claims to be an incident command (then it is validated as one). */
export function isIncidentCommand(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as { spec?: unknown }).spec === INCIDENT_COMMAND_SPEC;
}

/** Validates an incident command; the errors name the field. */
export function parseIncidentCommand(
  v: unknown,
): { ok: true; command: IncidentCommand } | { ok: false; error: string } {
  if (!isIncidentCommand(v)) return { ok: false, error: `spec must be ${INCIDENT_COMMAND_SPEC}` };
  const o = v as Record<string, unknown>;
  const str = (k: string, max: number, optional = false): string | undefined => {
    const x = o[k];
    if (x === undefined && optional) return undefined;
    if (typeof x !== 'string' || x === '' || x.length > max)
      throw new Error(`${k} must be a non-empty string of at most ${max} characters`);
    return x;
  };
  try {
    const allowed = new Set([
      'spec',
      'command_id',
      'pipeline',
      'incident_id',
      'action',
      'who',
      'source',
      'at',
      'why',
      'snooze_ms',
    ]);
    for (const k of Object.keys(o)) if (!allowed.has(k)) throw new Error(`unknown field ${k}`);
    const action = str('action', 20) as IncidentAction;
    if (!INCIDENT_ACTIONS.includes(action)) throw new Error(`action must be one of ${INCIDENT_ACTIONS.join(', ')}`);
    const source = str('source', 10);
    if (source !== 'slack' && source !== 'cli' && source !== 'api') throw new Error('source must be slack, cli or api');
    const at = str('at', 64)!;
    if (!Number.isFinite(Date.parse(at))) throw new Error('at must be an RFC 3339 time');
    const snooze = o.snooze_ms;
    if (
      action === 'snooze' &&
      (typeof snooze !== 'number' || !Number.isInteger(snooze) || snooze <= 0 || snooze > MAX_SNOOZE_MS)
    )
      throw new Error(`snooze_ms must be a whole number of ms in (0, ${MAX_SNOOZE_MS}]`);
    if (action !== 'snooze' && snooze !== undefined) throw new Error('snooze_ms is only for snooze');
    const why = str('why', MAX_TEXT, true);
    const command: IncidentCommand = {
      spec: INCIDENT_COMMAND_SPEC,
      command_id: str('command_id', 200)!,
      pipeline: str('pipeline', MAX_NAME)!,
      incident_id: str('incident_id', 200)!,
      action,
      who: str('who', 300)!,
      source,
      at: new Date(Date.parse(at)).toISOString(),
      ...(why !== undefined ? { why } : {}),
      ...(action === 'snooze' ? { snooze_ms: snooze as number } : {}),
    };
    return { ok: true, command };
  } catch (err: unknown) {
    return { ok: false, error: (err as Error).message };
  }
}

/** What applying a command did (`applied`, or why nothing changed). */
export type CommandOutcome =
  | { kind: 'applied'; events: IncidentEvent[] }
  | { kind: 'duplicate' | 'not_found' | 'no_change' | 'conflict'; reason: string };

/** Appends to an incident's audit log (bounded to the last {@link AUDIT_KEPT}). */
export function appendAudit(inc: Incident, entry: AuditEntry): AuditEntry {
  const log = (inc.audit ??= []);
  log.push(entry);
  if (log.length > AUDIT_KEPT) log.splice(0, log.length - AUDIT_KEPT);
  return entry;
}

/** The audit entry of a person's command. */
export function commandAudit(cmd: IncidentCommand, details?: Record<string, unknown>): AuditEntry {
  return {
    at: cmd.at,
    who: cmd.who,
    source: cmd.source,
    action: cmd.action,
    ...(cmd.why !== undefined ? { why: cmd.why } : {}),
    ...(details ? { details } : {}),
  };
}

/** Whether a command id was seen in the pipeline (and remembers it when not). */
export function seenCommand(p: PipelineState, id: string): boolean {
  const ids = (p.commands ??= []);
  if (ids.includes(id)) return true;
  ids.push(id);
  if (ids.length > COMMAND_IDS_KEPT) ids.splice(0, ids.length - COMMAND_IDS_KEPT);
  return false;
}

/** Whether `action` can apply to the incident as it is: undefined when it can, else why not. */
export function refusal(inc: Incident, action: IncidentAction, incidents: readonly Incident[]): string | undefined {
  if (action === 'reopen') {
    if (inc.status === 'open') return `${inc.incident_id} is open`;
    const other = incidents.find(
      (i) => i.status === 'open' && i.culprit === inc.culprit && i.pipeline === inc.pipeline && i !== inc,
    );
    if (other) return `${inc.culprit} has an open incident already (${other.incident_id})`;
    return undefined;
  }
  if (inc.status === 'resolved') return `${inc.incident_id} is resolved`;
  return undefined;
}

/**
 * Applies ack, snooze, resolve or reopen to an incident of `p` (accept is the core's: it re-baselines
 * first). Deterministic: the time is the command's.
 */
export function applySimpleCommand(p: PipelineState, cmd: IncidentCommand): CommandOutcome {
  const inc = p.incidents.find((i) => i.incident_id === cmd.incident_id);
  if (!inc) return { kind: 'not_found', reason: `no incident ${cmd.incident_id} in pipeline ${cmd.pipeline}` };
  const refused = refusal(inc, cmd.action, p.incidents);
  if (refused)
    return { kind: cmd.action === 'reopen' && inc.status === 'open' ? 'no_change' : 'conflict', reason: refused };
  const at = cmd.at;
  let type: IncidentEvent['type'] = 'updated';
  let details: Record<string, unknown> | undefined;
  switch (cmd.action) {
    case 'ack':
      inc.acknowledged = { who: cmd.who, at, source: cmd.source };
      break;
    case 'snooze': {
      const until = new Date(Date.parse(at) + cmd.snooze_ms!).toISOString();
      inc.snoozed_until = until;
      details = { until };
      break;
    }
    case 'resolve':
      resolveByHand(inc, cmd);
      type = 'resolved';
      break;
    case 'reopen':
      inc.status = 'open';
      delete inc.resolved_at;
      delete inc.resolved_by;
      inc.healthy_streak = 0;
      break;
    case 'accept':
      return { kind: 'conflict', reason: 'accept re-baselines the culprit: the core applies it' };
  }
  const entry = appendAudit(inc, commandAudit(cmd, details));
  return { kind: 'applied', events: [bump(inc, type, at, entry)] };
}

/** Marks an incident resolved by a person (resolve, or accept after the re-baselining). */
export function resolveByHand(inc: Incident, cmd: IncidentCommand): void {
  inc.status = 'resolved';
  inc.resolved_at = cmd.at;
  inc.resolved_by = { who: cmd.who, source: cmd.source, ...(cmd.why !== undefined ? { why: cmd.why } : {}) };
  delete inc.snoozed_until;
}

/** A new version of the incident, as an event carrying the audit entry. */
export function bump(inc: Incident, type: IncidentEvent['type'], at: string, entry: AuditEntry): IncidentEvent {
  inc.version += 1;
  inc.updated_at = at;
  return { type, incident: inc, changes: { audit: [entry] }, at };
}

/** The incident's snooze, if it is in force at `at` (ms). */
export function snoozedAt(inc: Pick<Incident, 'snoozed_until'>, at: number): boolean {
  return inc.snoozed_until !== undefined && at < Date.parse(inc.snoozed_until);
}

/** Parses a duration such as `4h`, `30m`, `2d`, `90s` or plain ms into ms; undefined when it is none. */
export function parseDurationMs(s: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(s);
  if (!m) return undefined;
  const unit = own({ ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }, m[2] ?? 'ms') ?? 1;
  const ms = Math.round(Number(m[1]) * unit);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
