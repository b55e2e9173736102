import { RULE_METRICS } from '../rules/index.js';
import type { FindingBrief } from './state.js';

/** The `spec` of a symptom forwarded to the instance that owns its root's incident. */
export const SYMPTOM_SPEC = 'rootline.symptom/v1';

/**
 * A symptom whose root lives in a pipeline another instance holds (cross-instance RCA): the instance
 * that judged the downstream run walked, through its view of the other instances' runs, to a root in
 * pipeline `pipeline`; it opens no incident itself but sends this message to the reports topic keyed by
 * that pipeline, in the same transaction as the run. It reaches the instance that holds the root's
 * pipeline, in order with that pipeline's reports, and there joins the root run's incident (the owner's:
 * one incident per root cause across the group, one Slack message).
 */
export interface SymptomMessage {
  spec: typeof SYMPTOM_SPEC;
  /** The root's pipeline: the message's key. */
  pipeline: string;
  /** The root node and the run of it the walk ended on. */
  root: { node: string; run_id: string };
  /** The root run's incident, when the sender's view already named it. */
  incident_id?: string;
  /** The downstream run whose findings are the symptoms. */
  from: { pipeline: string; node: string; run_id: string; event_time: string };
  findings: FindingBrief[];
}

/** True when a decoded JSON value claims to be a forwarded symptom (then it is validated as one). */
export function isSymptomMessage(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as { spec?: unknown }).spec === SYMPTOM_SPEC;
}

const MAX_NAME = 512;
const MAX_FINDINGS = 256;

/** Validates a forwarded symptom; the error names the field. */
export function parseSymptomMessage(v: unknown): { ok: true; message: SymptomMessage } | { ok: false; error: string } {
  if (!isSymptomMessage(v)) return { ok: false, error: `spec must be ${SYMPTOM_SPEC}` };
  const o = v as Record<string, unknown>;
  const name = (x: unknown, what: string): string => {
    if (typeof x !== 'string' || x === '' || x.length > MAX_NAME)
      throw new Error(`${what} must be a non-empty string of at most ${MAX_NAME} characters`);
    return x;
  };
  const obj = (x: unknown, what: string): Record<string, unknown> => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new Error(`${what} must be an object`);
    return x as Record<string, unknown>;
  };
  try {
    const root = obj(o['root'], 'root');
    const from = obj(o['from'], 'from');
    const eventTime = name(from['event_time'], 'from.event_time');
    if (!Number.isFinite(Date.parse(eventTime))) throw new Error('from.event_time must be an RFC 3339 time');
    const findings = o['findings'];
    if (!Array.isArray(findings) || findings.length === 0 || findings.length > MAX_FINDINGS)
      throw new Error(`findings must be a list of 1 to ${MAX_FINDINGS} findings`);
    findings.forEach((f, i) => {
      const g = obj(f, `findings[${i}]`);
      if (typeof g['metric'] !== 'string' || !RULE_METRICS.includes(g['metric'] as never))
        throw new Error(`findings[${i}].metric is not a rule metric`);
      if (typeof g['message'] !== 'string') throw new Error(`findings[${i}].message must be a string`);
      if (typeof g['value'] !== 'number' || typeof g['threshold'] !== 'number')
        throw new Error(`findings[${i}].value and threshold must be numbers`);
      if (g['column'] !== undefined && typeof g['column'] !== 'string')
        throw new Error(`findings[${i}].column must be a string`);
    });
    const message: SymptomMessage = {
      spec: SYMPTOM_SPEC,
      pipeline: name(o['pipeline'], 'pipeline'),
      root: { node: name(root['node'], 'root.node'), run_id: name(root['run_id'], 'root.run_id') },
      from: {
        pipeline: name(from['pipeline'], 'from.pipeline'),
        node: name(from['node'], 'from.node'),
        run_id: name(from['run_id'], 'from.run_id'),
        event_time: eventTime,
      },
      findings: findings as FindingBrief[],
    };
    if (o['incident_id'] !== undefined) message.incident_id = name(o['incident_id'], 'incident_id');
    return { ok: true, message };
  } catch (err: unknown) {
    return { ok: false, error: (err as Error).message };
  }
}
