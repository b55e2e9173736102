import { describe, expect, it } from 'vitest';
import { validateReport, type Report } from '../../src/contract/index.js';
import {
  buildReport,
  compileEmitterOptions,
  createEmitter,
  type Envelope,
  type SendResult,
  type Transport,
} from '../../src/emitter/index.js';
import { isRootlineError } from '../../src/errors/index.js';
import { profileColumns, profileRows } from '../../src/profile/index.js';

function report(i: number, pipeline = 'churn'): Report {
  return buildReport({
    pipeline,
    node: 'compute',
    run_id: `run-${i}`,
    event_id: `e-${i}`,
    event_time: new Date(Date.UTC(2026, 10, 21, 10, 0, i)),
    outputs: [{ dataset: 'lake/out', profile: { row_count: i } }],
  });
}

/** A transport that records batches and answers from a script (default: delivered). */
class FakeTransport implements Transport {
  readonly name = 'fake';
  readonly batches: string[][] = [];
  closed = false;
  script: ((batch: readonly Envelope[]) => SendResult | Promise<SendResult>)[] = [];

  send(batch: readonly Envelope[]): Promise<SendResult> {
    this.batches.push(batch.map((e) => e.report.event_id));
    const next = this.script.shift();
    return Promise.resolve(next ? next(batch) : { delivered: batch.length, retry: [], rejected: [] });
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  get delivered(): string[] {
    return this.batches.flat();
  }
}

const retry =
  (error = 'broker unavailable', retryAfterMs?: number) =>
  (batch: readonly Envelope[]): SendResult => ({
    delivered: 0,
    retry: [...batch],
    rejected: [],
    error,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });

const fast = { flushIntervalMs: 5, backoff: { initialMs: 5, maxMs: 20, jitter: 0 } };

describe('createEmitter', () => {
  it('sends full batches at once and a partial batch after flushIntervalMs, in order', async () => {
    const t = new FakeTransport();
    const em = createEmitter({ transport: t, batchSize: 3, flushIntervalMs: 30 });
    for (let i = 0; i < 7; i++) expect(em.report(report(i))).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(t.batches).toEqual([
      ['e-0', 'e-1', 'e-2'],
      ['e-3', 'e-4', 'e-5'],
    ]);
    expect(em.stats.buffered).toBe(1);
    await new Promise((r) => setTimeout(r, 60));
    expect(t.batches.at(-1)).toEqual(['e-6']);
    expect(em.stats).toMatchObject({ sent: 7, dropped: 0, buffered: 0 });
    expect(await em.close()).toBe(true);
    expect(t.closed).toBe(true);
  });

  it('counts an invalid report, keeps the reason, and never throws', () => {
    const t = new FakeTransport();
    const em = createEmitter({ transport: t });
    const bad = { ...report(1), event_time: 'yesterday' };
    expect(em.report(bad)).toBe(false);
    expect(em.report(null)).toBe(false);
    expect(em.stats).toMatchObject({ invalid: 2, dropped: 2, buffered: 0 });
    expect(em.lastError).toMatch(/invalid report dropped/);
    expect(em.recentProblems.map((p) => p.kind)).toEqual(['invalid', 'invalid']);
    expect(em.recentProblems[0]!.reason).toMatch(/event_time/);
    void em.close();
  });

  it('retries a failed batch with backoff until it is delivered, counting failed attempts', async () => {
    const t = new FakeTransport();
    t.script = [retry(), retry()];
    const em = createEmitter({ transport: t, ...fast });
    em.report(report(1));
    em.report(report(2));
    expect(await em.flush(2000)).toBe(true);
    expect(t.batches).toEqual([
      ['e-1', 'e-2'],
      ['e-1', 'e-2'],
      ['e-1', 'e-2'],
    ]);
    expect(em.stats).toMatchObject({ sent: 2, failedAttempts: 2, dropped: 0 });
    expect(em.lastError).toBe('broker unavailable');
    await em.close();
  });

  it('waits what the server asked (Retry-After) before retrying', async () => {
    const t = new FakeTransport();
    t.script = [retry('429', 150)];
    const em = createEmitter({ transport: t, ...fast });
    const t0 = Date.now();
    em.report(report(1));
    expect(await em.flush(3000)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(t.batches).toHaveLength(2);
    await em.close();
  });

  it('drops a report after maxRetries failed sends (expired)', async () => {
    const t = new FakeTransport();
    t.script = [retry(), retry(), retry(), retry()];
    const em = createEmitter({ transport: t, ...fast, maxRetries: 2 });
    em.report(report(1));
    expect(await em.flush(2000)).toBe(true);
    expect(t.batches).toHaveLength(3);
    expect(em.stats).toMatchObject({ sent: 0, expired: 1, dropped: 1, failedAttempts: 3, buffered: 0 });
    expect(em.lastError).toMatch(/gave up after 3 failed sends: broker unavailable/);
    await em.close();
  });

  it('counts reports the other side rejects, with the reason, and delivers the rest', async () => {
    const t = new FakeTransport();
    t.script = [
      (b) => ({ delivered: b.length - 1, retry: [], rejected: [{ envelope: b[0]!, reason: 'HTTP 400: bad' }] }),
    ];
    const em = createEmitter({ transport: t, ...fast });
    em.report(report(1));
    em.report(report(2));
    await em.flush(1000);
    expect(em.stats).toMatchObject({ sent: 1, rejected: 1, dropped: 1 });
    expect(em.lastError).toBe('HTTP 400: bad');
    await em.close();
  });

  it('drops the oldest reports when the buffer is full, and counts them', async () => {
    const t = new FakeTransport();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    t.script = [
      async (b) => {
        await gate;
        return { delivered: b.length, retry: [], rejected: [] };
      },
    ];
    const em = createEmitter({ transport: t, maxBuffer: 3, batchSize: 2, flushIntervalMs: 1 });
    em.report(report(0));
    em.report(report(1));
    await new Promise((r) => setTimeout(r, 20));
    // e-0, e-1 in flight; the buffer holds 3 of the next 5
    for (let i = 2; i < 7; i++) em.report(report(i));
    expect(em.stats).toMatchObject({ overflow: 2, dropped: 2, buffered: 5 });
    release();
    expect(await em.flush(2000)).toBe(true);
    expect(t.delivered).toEqual(['e-0', 'e-1', 'e-4', 'e-5', 'e-6']);
    expect(em.lastError).toMatch(/buffer full \(maxBuffer 3\)/);
    await em.close();
  });

  it('a transport that throws is a transient failure, not a crash', async () => {
    const t = new FakeTransport();
    t.script = [() => Promise.reject(new Error('boom'))];
    const em = createEmitter({ transport: t, ...fast });
    em.report(report(1));
    expect(await em.flush(2000)).toBe(true);
    expect(em.stats).toMatchObject({ sent: 1, failedAttempts: 1 });
    await em.close();
  });

  it('close() delivers what it can in time, drops the rest (expired) and refuses new reports', async () => {
    const t = new FakeTransport();
    t.script = Array.from({ length: 1000 }, () => retry('down'));
    const em = createEmitter({ transport: t, ...fast });
    em.report(report(1));
    expect(await em.close(100)).toBe(false);
    expect(em.stats).toMatchObject({ sent: 0, expired: 1, dropped: 1, buffered: 0 });
    expect(em.lastError).toMatch(/undelivered at close \(last failure: down\)/);
    expect(em.report(report(2))).toBe(false);
    expect(em.stats.expired).toBe(2);
    expect(await em.close()).toBe(false);
    expect(t.closed).toBe(true);
  });

  it('profileAndReport profiles rows or columns into a valid report and queues it', async () => {
    const t = new FakeTransport();
    const sent: Report[] = [];
    t.script = [
      (b) => {
        sent.push(...b.map((e) => e.report));
        return { delivered: b.length, retry: [], rejected: [] };
      },
    ];
    const em = createEmitter({ transport: t, ...fast, profile: { topK: 1 } });
    const r = em.profileAndReport({
      pipeline: 'churn',
      node: 'clean',
      dataset: 'lake/clean',
      rows: [
        { a: 1, c: 'x' },
        { a: 2, c: 'x' },
        { a: null, c: 'y' },
      ],
      upstream: ['load'],
      code_version: 'git:1',
    });
    expect(r).toBeDefined();
    expect(validateReport(r).ok).toBe(true);
    expect(r).toMatchObject({
      pipeline: 'churn',
      node: 'clean',
      upstream: [{ node: 'load' }],
      code_version: 'git:1',
      status: 'success',
    });
    expect(r!.outputs![0]!.profile).toEqual(
      profileRows(
        [
          { a: 1, c: 'x' },
          { a: 2, c: 'x' },
          { a: null, c: 'y' },
        ],
        { topK: 1 },
      ),
    );
    const c = em.profileAndReport({
      pipeline: 'churn',
      node: 'clean',
      dataset: 'lake/clean',
      columns: { a: Float64Array.of(1, 2) },
      version: 'delta:17',
    });
    expect(c!.outputs![0]!.profile!.row_count).toBe(2);
    expect(c!.outputs![0]!.version).toBe('delta:17');
    expect(c!.outputs![0]!.profile!.content_hash).toBe(profileColumns({ a: Float64Array.of(2, 1) }).content_hash);
    expect('version' in r!.outputs![0]!).toBe(false);
    await em.flush(1000);
    expect(sent.map((s) => s.event_id)).toEqual([r!.event_id, c!.event_id]);
    // profiling failure: counted as invalid, not thrown
    expect(
      em.profileAndReport({ pipeline: 'churn', node: 'clean', dataset: 'd', columns: { a: [1], b: [1, 2] } }),
    ).toBeUndefined();
    expect(em.stats.invalid).toBe(1);
    expect(em.lastError).toMatch(/profileAndReport\(churn\/clean\): columns have different lengths/);
    await em.close();
  });
});

describe('emitter options', () => {
  it('needs exactly one destination and rejects unknown keys and bad numbers', () => {
    const t = new FakeTransport();
    const bad: unknown[] = [
      {},
      { transport: t, http: { url: 'http://x' } },
      { transport: t, batchSise: 3 },
      { transport: t, maxBuffer: 0 },
      { transport: t, backoff: { jitter: 2 } },
      { kafka: { brokers: [] } },
      { kafka: { brokers: 'b:1', format: 'avro' } },
    ];
    for (const o of bad) {
      let caught: unknown;
      try {
        createEmitter(o as never);
      } catch (err: unknown) {
        caught = err;
      }
      expect(isRootlineError(caught, 'CONFIG_INVALID'), JSON.stringify(o)).toBe(true);
    }
  });

  it('has the documented defaults', () => {
    const o = compileEmitterOptions({ transport: new FakeTransport() });
    expect(o).toMatchObject({
      maxBuffer: 10_000,
      batchSize: 100,
      flushIntervalMs: 100,
      maxRetries: Infinity,
      retryAfterMaxMs: 300_000,
      closeTimeoutMs: 10_000,
    });
    expect(o.backoff).toEqual({ initialMs: 500, maxMs: 30_000, multiplier: 2, jitter: 0.5 });
  });
});

describe('buildReport', () => {
  it('fills event_id, event_time, run_id and status; turns names into refs', () => {
    const r = buildReport({
      pipeline: 'p',
      node: 'n',
      outputs: [{ dataset: 'd', profile: { row_count: 1 } }],
      inputs: ['in'],
      upstream: ['u', { node: 'v', run_id: 'r' }],
    });
    expect(r.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(r.run_id).toBe(r.event_time);
    expect(Date.now() - Date.parse(r.event_time)).toBeLessThan(5000);
    expect(r).toMatchObject({
      status: 'success',
      inputs: [{ dataset: 'in' }],
      upstream: [{ node: 'u' }, { node: 'v', run_id: 'r' }],
    });
    expect(Object.keys(r)).toEqual([
      'spec',
      'event_id',
      'pipeline',
      'node',
      'run_id',
      'event_time',
      'status',
      'upstream',
      'inputs',
      'outputs',
    ]);
    expect(validateReport(r).ok).toBe(true);
  });
});
