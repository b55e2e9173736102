import { errorMessage } from '../errors/index.js';
import { retry } from '../errors/retry.js';
import type { Logger } from './log.js';

/** Thrown by {@link retryStartup} when the stop signal came first. */
export class StoppedDuringStartup extends Error {}

/** Retries a start-up step while the other side is not reachable yet; gives up at once on a stop signal. */
export async function retryStartup<T>(
  what: string,
  log: Logger,
  fn: () => Promise<T>,
  stop: Promise<unknown>,
  attempts = 30,
): Promise<T> {
  const stopped = new AbortController();
  void stop.then(() => stopped.abort());
  if (stopped.signal.aborted) throw new StoppedDuringStartup(what);
  return retry(fn, {
    backoff: { initialMs: 500, maxMs: 10_000 },
    attempts,
    signal: stopped.signal,
    stopError: () => new StoppedDuringStartup(what),
    onRetry: (err, attempt) => log.warn({ what, attempt, err: errorMessage(err) }, 'not reachable yet; retrying'),
  });
}
