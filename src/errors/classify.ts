import { HttpError, canRetryHttpCall } from '@influxdata/influxdb-client';
import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError } from '@slack/web-api';
import { RootlineError, errorMessage, type ErrorCode } from './index.js';

/**
 * Whether retrying may help, decided once for every foreign error Rootline meets (kafkajs, the
 * InfluxDB client, fetch/undici, @slack/web-api, Node sockets).
 *
 * The rule: an error is retriable only when it is (or wraps, through `cause`) a network failure, a
 * timeout, an HTTP 5xx, 408 or 429, a Slack rate limit or outage, or a kafkajs error that kafkajs
 * itself marks retriable. Anything else - programming errors, 4xx answers, unknown errors - is final.
 * A RootlineError keeps the decision made when it was created.
 */
export interface Transience {
  retriable: boolean;
  /** How long the other side asked us to wait, when it said so. */
  retryAfterMs?: number;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const NETWORK_MESSAGE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up|timed out|fetch failed/i;
const SLACK_TRANSIENT = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/** True for an HTTP status where the same request may succeed later. */
export function transientStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

function own(err: unknown): Transience | undefined {
  if (err instanceof RootlineError)
    return { retriable: err.retriable, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) };
  if (err instanceof HttpError) {
    const retriable = err.canRetry() || transientStatus(err.statusCode);
    // The client reports Retry-After in seconds.
    return retriable ? { retriable, retryAfterMs: err.retryAfter() * 1000 } : { retriable };
  }
  if (err instanceof WebAPIRateLimitedError) return { retriable: true, retryAfterMs: err.retryAfter * 1000 };
  if (err instanceof WebAPIHTTPError) return { retriable: transientStatus(err.statusCode) };
  if (err instanceof WebAPIRequestError) return { retriable: true };
  if (err instanceof WebAPIPlatformError) return { retriable: SLACK_TRANSIENT.has(err.data.error) };
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { name?: unknown; code?: unknown; retriable?: unknown; statusCode?: unknown; status?: unknown };
  if (typeof e.name === 'string' && e.name.startsWith('KafkaJS') && typeof e.retriable === 'boolean')
    return e.retriable ? { retriable: true } : undefined;
  if (e.name === 'TimeoutError') return { retriable: true };
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return { retriable: true };
  const status = typeof e.statusCode === 'number' ? e.statusCode : typeof e.status === 'number' ? e.status : undefined;
  if (status !== undefined) return { retriable: transientStatus(status) };
  if (canRetryHttpCall(err) || NETWORK_MESSAGE.test(errorMessage(err))) return { retriable: true };
  return undefined;
}

/** Decides whether `err` is worth retrying (see {@link Transience}); looks through `cause` chains. */
export function transience(err: unknown): Transience {
  let e: unknown = err;
  for (let depth = 0; depth < 8 && e !== undefined && e !== null; depth++) {
    const t = own(e);
    if (t?.retriable || err instanceof RootlineError) return t ?? { retriable: false };
    e = (e as { cause?: unknown }).cause;
  }
  return { retriable: false };
}

/** Whether retrying `err` may help. */
export function isRetriable(err: unknown): boolean {
  return transience(err).retriable;
}

/**
 * Maps any thrown value to a RootlineError with `retriable` and `retryAfterMs` decided by
 * {@link transience}; a RootlineError is returned as it is. `what` prefixes the message.
 */
export function classify(err: unknown, code: ErrorCode, what: string, message = errorMessage(err)): RootlineError {
  if (err instanceof RootlineError) return err;
  const t = transience(err);
  return new RootlineError(code, `${what}: ${message}`, {
    retriable: t.retriable,
    cause: err,
    ...(t.retryAfterMs !== undefined ? { retryAfterMs: t.retryAfterMs } : {}),
  });
}
