import { HttpError } from '@influxdata/influxdb-client';
import { describe, expect, it } from 'vitest';
import { classify, isRetriable, transience } from '../../src/errors/classify.js';
import { RootlineError } from '../../src/errors/index.js';
import { backoffDelay, retry, retryWait, sleep } from '../../src/errors/retry.js';

describe('classify', () => {
  it('treats unknown errors as final and network, timeout, 5xx and 429 errors as retriable', () => {
    expect(isRetriable(new Error('boom'))).toBe(false);
    expect(isRetriable(new TypeError('undefined is not a function'))).toBe(false);
    expect(isRetriable(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRetriable(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } }))).toBe(true);
    expect(isRetriable(new DOMException('timed out', 'TimeoutError'))).toBe(true);
    expect(isRetriable(new HttpError(503, 'Service Unavailable'))).toBe(true);
    expect(isRetriable(new HttpError(400, 'Bad Request'))).toBe(false);
    expect(transience(new HttpError(429, 'Too Many', undefined, '7'))).toEqual({
      retriable: true,
      retryAfterMs: 7000,
    });
  });

  it('follows kafkajs: its own flag, and a non-retriable wrapper of a connection error is retriable', () => {
    const conn = Object.assign(new Error('Connection refused'), { name: 'KafkaJSConnectionError', retriable: true });
    const exceeded = Object.assign(new Error('retries exceeded'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      retriable: false,
      cause: conn,
    });
    const nonRetriable = Object.assign(new Error('invalid'), { name: 'KafkaJSNonRetriableError', retriable: false });
    expect(isRetriable(conn)).toBe(true);
    expect(isRetriable(exceeded)).toBe(true);
    expect(isRetriable(nonRetriable)).toBe(false);
  });

  it('keeps a RootlineError and maps the rest once, with the decision and the cause', () => {
    const own = new RootlineError('KAFKA_ERROR', 'x', { retriable: true });
    expect(classify(own, 'INFLUX_ERROR', 'w')).toBe(own);
    const e = classify(new Error('socket hang up'), 'INFLUX_ERROR', 'writing');
    expect(e).toMatchObject({ code: 'INFLUX_ERROR', retriable: true, message: 'writing: socket hang up' });
    expect(classify(new Error('bug'), 'INFLUX_ERROR', 'writing').retriable).toBe(false);
  });
});

describe('retry', () => {
  it('backs off exponentially up to the cap and honours Retry-After', () => {
    const b = { initialMs: 200, maxMs: 1000 };
    expect([1, 2, 3, 4].map((a) => backoffDelay(b, a))).toEqual([200, 400, 800, 1000]);
    const limited = new RootlineError('SLACK_ERROR', 'rate', { retriable: true, retryAfterMs: 5000 });
    expect(retryWait(limited, 200, 3000)).toBe(3000);
    expect(retryWait(limited, 200, 60_000)).toBe(5000);
  });

  it('retries retriable failures, stops at a final one, and at the attempt limit', async () => {
    let n = 0;
    const fast = { initialMs: 1, maxMs: 2 };
    const transient = () => new RootlineError('KAFKA_ERROR', 'down', { retriable: true });
    await expect(
      retry(() => (++n < 3 ? Promise.reject(transient()) : Promise.resolve(n)), { backoff: fast }),
    ).resolves.toBe(3);
    n = 0;
    await expect(retry(() => (++n, Promise.reject(new Error('bug'))), { backoff: fast })).rejects.toThrow('bug');
    expect(n).toBe(1);
    n = 0;
    await expect(retry(() => (++n, Promise.reject(transient())), { backoff: fast, attempts: 4 })).rejects.toThrow(
      'down',
    );
    expect(n).toBe(4);
  });

  it('ends a long wait at once when aborted, with the stop error', async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    const p = retry(() => Promise.reject(new RootlineError('KAFKA_ERROR', 'down', { retriable: true })), {
      backoff: { initialMs: 60_000, maxMs: 60_000 },
      signal: ac.signal,
      stopError: () => new Error('stopped'),
    });
    await sleep(20);
    ac.abort();
    await expect(p).rejects.toThrow('stopped');
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
