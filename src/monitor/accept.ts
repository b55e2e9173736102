import type { AcceptChangeInput } from './core.js';

/** The `spec` of an accept-the-change input as a JSON message or line (`rootline replay`, a commands topic). */
export const ACCEPT_SPEC = 'rootline.accept/v1';

/**
 * The wire form of {@link AcceptChangeInput}: `{"spec": "rootline.accept/v1", "pipeline", "node",
 * "from_run_id"?, "who", "why", "via"?, "at"?}` (`at` an RFC 3339 time). It travels and is replayed
 * like a report, so a replay decides the same.
 */
export interface AcceptMessage {
  spec: typeof ACCEPT_SPEC;
  pipeline: string;
  node: string;
  from_run_id?: string;
  who: string;
  why: string;
  via?: string;
  at?: string;
}

/** Whether a parsed JSON value claims to be an accept message (its `spec`). */
export function isAcceptMessage(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { spec?: unknown }).spec === ACCEPT_SPEC;
}

/** An accept message checked and turned into the core's input, or what is wrong with it. */
export function parseAcceptMessage(
  value: unknown,
): { ok: true; input: AcceptChangeInput } | { ok: false; errors: string[] } {
  if (!isAcceptMessage(value)) return { ok: false, errors: [`spec must be ${ACCEPT_SPEC}`] };
  const v = value as Record<string, unknown>;
  const errors: string[] = [];
  const str = (k: string, required: boolean): string | undefined => {
    const x = v[k];
    if (x === undefined && !required) return undefined;
    if (typeof x !== 'string' || x === '') {
      errors.push(`${k} must be a non-empty string`);
      return undefined;
    }
    return x;
  };
  const pipeline = str('pipeline', true);
  const node = str('node', true);
  const fromRunId = str('from_run_id', false);
  const who = str('who', true);
  const why = typeof v.why === 'string' ? v.why : (errors.push('why must be a string'), undefined);
  const via = str('via', false);
  const at = str('at', false);
  if (at !== undefined && !Number.isFinite(Date.parse(at))) errors.push(`at must be an RFC 3339 time, got ${at}`);
  for (const k of Object.keys(v))
    if (!['spec', 'pipeline', 'node', 'from_run_id', 'who', 'why', 'via', 'at'].includes(k))
      errors.push(`unknown field ${k}`);
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    input: {
      pipeline: pipeline!,
      node: node!,
      who: who!,
      why: why!,
      ...(fromRunId !== undefined ? { fromRunId } : {}),
      ...(via !== undefined ? { via } : {}),
      ...(at !== undefined ? { at: new Date(Date.parse(at)).toISOString() } : {}),
    },
  };
}
