import type { Logger } from 'pino';
import { isRetriable, classify, transientStatus } from '../errors/classify.js';
import { RootlineError, errorMessage } from '../errors/index.js';
import { retry } from '../errors/retry.js';
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

/**
 * POSTs a rollback command to an allow-listed webhook, with an `Idempotency-Key` header, retrying
 * 429 (honouring Retry-After), 5xx and network errors with backoff. A 4xx other than 429 is final.
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
          res = await fetch(o.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'idempotency-key': cmd.idempotency_key,
              ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
            },
            body,
            signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
          });
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
