import { isRetriable, transience } from './classify.js';

/**
 * The one backoff policy: every retry loop in Rootline (InfluxDB writes in the batch loop, Slack and
 * rollback actions, the rollback webhook, start-up connections, the emitter) waits through here.
 * Whether an error is worth retrying is decided by {@link isRetriable} (./classify.ts).
 */

/** Waits `ms` milliseconds; resolves early (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Exponential backoff: `initialMs * multiplier^(attempt-1)`, at most `maxMs`. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
  /** Default 2. */
  multiplier?: number;
}

/** The delay before retry number `attempt` (1 = the first retry). */
export function backoffDelay(b: Backoff, attempt: number): number {
  return Math.min(b.maxMs, b.initialMs * (b.multiplier ?? 2) ** Math.min(Math.max(0, attempt - 1), 60));
}

/** The wait before the next try: the backoff delay, or longer when the other side asked for it, at most `maxMs`. */
export function retryWait(err: unknown, delayMs: number, maxMs: number): number {
  return Math.min(Math.max(delayMs, transience(err).retryAfterMs ?? 0), maxMs);
}

export interface RetryOptions {
  backoff: Backoff;
  /** Tries in all (the first included). Default: unlimited. */
  attempts?: number;
  /** Whether a failure is worth another try. Default {@link isRetriable}. */
  retriable?: (err: unknown) => boolean;
  /** Checked after each failure and while waiting: when true, the loop ends with the last error. */
  stopped?: () => boolean;
  /** Ends a wait at once (and the loop, with the last error). */
  signal?: AbortSignal;
  /** The error thrown when the loop ends because it was stopped. Default: the last error. */
  stopError?: (err: unknown) => unknown;
  /** Called before each wait, e.g. to log. */
  onRetry?: (err: unknown, attempt: number, waitMs: number) => void;
  /** Called about once a second while waiting (heartbeats); its errors are ignored. */
  onWait?: () => Promise<unknown> | undefined;
}

/**
 * Runs `fn` until it succeeds; after a failure that is retriable (and while tries remain and the loop
 * is not stopped) waits per the backoff, honouring the other side's Retry-After, and tries again.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  const retriable = o.retriable ?? isRetriable;
  const isStopped = () => (o.stopped?.() ?? false) || (o.signal?.aborted ?? false);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err: unknown) {
      if (isStopped()) throw o.stopError ? o.stopError(err) : err;
      if (!retriable(err) || (o.attempts !== undefined && attempt >= o.attempts)) throw err;
      const wait = retryWait(err, backoffDelay(o.backoff, attempt), o.backoff.maxMs);
      o.onRetry?.(err, attempt, wait);
      const until = Date.now() + wait;
      while (Date.now() < until && !isStopped()) {
        await sleep(Math.min(o.onWait ? 1000 : wait, until - Date.now()), o.signal);
        await o.onWait?.()?.catch(() => undefined);
      }
      if (isStopped() && o.stopError) throw o.stopError(err);
    }
  }
}
