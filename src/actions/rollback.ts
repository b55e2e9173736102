import type { Logger } from 'pino';
import { isRetriable, classify, transientStatus } from '../errors/classify.js';
import { RootlineError, errorMessage } from '../errors/index.js';
import { retry } from '../errors/retry.js';
import { redactUrl } from '../redact.js';
import type { ActionDecision, Incident } from '../monitor/incident-types.js';

/** A rollback command, as sent to the commands topic and (templated) to the webhook. */
export interface RollbackCommand {
  type: 'rollback';
  idempotency_key: string;
  incident_id: string;
  pipeline: string;
  node: string;
  to_run_id: string;
  to_data_version?: string;
  to_code_version?: string;
  dry_run: boolean;
  reason: string;
  decided_at: string;
  decided_by: string;
}

/** A detail value as text: strings as they are, anything else as JSON. */
export function text(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
}

export function rollbackCommandOf(i: Incident, d: ActionDecision): RollbackCommand {
  const det = d.details ?? {};
  return {
    type: 'rollback',
    idempotency_key: text(det.idempotency_key),
    incident_id: i.incident_id,
    pipeline: i.pipeline,
    node: i.culprit,
    to_run_id: text(det.to_run_id),
    ...(det.to_data_version !== undefined ? { to_data_version: text(det.to_data_version) } : {}),
    ...(det.to_code_version !== undefined ? { to_code_version: text(det.to_code_version) } : {}),
    dry_run: d.decision !== 'dispatch',
    reason: `${i.cause.summary} (${i.incident_id})`,
    decided_at: d.at,
    decided_by: d.who,
  };
}

/** Fills a JSON body template: each {{name}} becomes the command's value, JSON-escaped (no code runs). */
export function fillTemplate(template: string, cmd: RollbackCommand): string {
  const values = cmd as unknown as Record<string, unknown>;
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, k: string) => {
    const v = values[k];
    if (v === undefined) return '';
    return JSON.stringify(text(v)).slice(1, -1);
  });
}

export interface WebhookOptions {
  url: string;
  allowHosts: readonly string[];
  bodyTemplate?: string | undefined;
  token?: string | undefined;
  /** Attempts before giving up. Default 8. */
  attempts?: number;
  /** Longest wait between attempts, ms. Default 30000. */
  maxRetryDelayMs?: number;
  timeoutMs?: number;
}

/** Redirects the webhook call follows (307 and 308 only, each to an allow-listed host). */
export const MAX_WEBHOOK_REDIRECTS = 3;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * One POST to the webhook, following redirects by hand: only 307/308 (which keep the method and the
 * body), at most {@link MAX_WEBHOOK_REDIRECTS}, each hop's host checked against the allow-list
 * before anything is sent to it. The bearer token goes only to the configured URL's origin. A
 * redirect that is not followed is a final error: its target never sees the body or the
 * Idempotency-Key.
 */
async function postFollowing(o: WebhookOptions, idempotencyKey: string, body: string): Promise<Response> {
  const origin = new URL(o.url).origin;
  let url = new URL(o.url);
  for (let hop = 0; ; hop++) {
    const res = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': idempotencyKey,
        ...(o.token && url.origin === origin ? { authorization: `Bearer ${o.token}` } : {}),
      },
      body,
      signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
    });
    if (!REDIRECTS.has(res.status)) return res;
    await res.body?.cancel().catch(() => undefined);
    const location = res.headers.get('location');
    const refuse = (why: string) =>
      new RootlineError('WEBHOOK_ERROR', `rollback webhook answered ${res.status} ${why}; not followed`, {
        details: { status: res.status },
      });
    if (!location) throw refuse('without a Location');
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw refuse(`to an invalid location ${redactUrl(location)}`);
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') throw refuse(`to a ${next.protocol} URL`);
    if (!o.allowHosts.includes(next.hostname)) throw refuse(`to host ${next.hostname}, which is not allow-listed`);
    if (res.status !== 307 && res.status !== 308)
      throw refuse('(a redirect that turns the POST into a GET; only 307 and 308 are followed)');
    if (hop >= MAX_WEBHOOK_REDIRECTS) throw refuse(`after ${MAX_WEBHOOK_REDIRECTS} redirects`);
    url = next;
  }
}

/**
 * POSTs a rollback command to an allow-listed webhook, with an `Idempotency-Key` header, retrying
 * 429 (honouring Retry-After), 5xx and network errors with backoff. A 4xx other than 429 is final, and
 * so is a redirect it does not follow (see {@link MAX_WEBHOOK_REDIRECTS}).
 */
export async function postWebhook(
  o: WebhookOptions,
  cmd: RollbackCommand,
  logger: Logger,
): Promise<{ status: number; attempts: number }> {
  const host = new URL(o.url).hostname;
  if (!o.allowHosts.includes(host))
    throw new RootlineError('WEBHOOK_ERROR', `rollback webhook host ${host} is not allow-listed`);
  const body = o.bodyTemplate ? fillTemplate(o.bodyTemplate, cmd) : JSON.stringify(cmd);
  try {
    JSON.parse(body);
  } catch (err: unknown) {
    throw new RootlineError(
      'CONFIG_INVALID',
      `the rollback webhook body template does not give JSON: ${errorMessage(err)}`,
    );
  }
  const attempts = o.attempts ?? 8;
  let last = '';
  try {
    return await retry(
      async (attempt) => {
        let res: Response;
        try {
          res = await postFollowing(o, cmd.idempotency_key, body);
        } catch (err: unknown) {
          last = errorMessage(err);
          throw classify(err, 'WEBHOOK_ERROR', 'rollback webhook');
        }
        const detail = (await res.text().catch(() => '')).slice(0, 300);
        if (res.ok) return { status: res.status, attempts: attempt };
        last = String(res.status);
        const retryAfterMs = Number(res.headers.get('retry-after') ?? '') * 1000 || 0;
        throw new RootlineError('WEBHOOK_ERROR', `rollback webhook answered ${res.status}: ${detail}`, {
          retriable: transientStatus(res.status),
          ...(retryAfterMs > 0 ? { retryAfterMs } : {}),
        });
      },
      {
        backoff: { initialMs: 500, maxMs: o.maxRetryDelayMs ?? 30_000 },
        attempts,
        onRetry: (err, attempt) =>
          logger.warn(
            { attempt, detail: errorMessage(err), incident: cmd.incident_id },
            'rollback webhook failed; retrying',
          ),
      },
    );
  } catch (err: unknown) {
    if (!isRetriable(err)) throw err;
    throw new RootlineError('WEBHOOK_ERROR', `rollback webhook failed after ${attempts} attempts (last: ${last})`, {
      retriable: true,
      cause: err,
    });
  }
}
