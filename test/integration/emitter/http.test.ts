// The TypeScript emitter over HTTP against a small local server that answers as the monitor's
// POST /api/v1/reports does (202 {accepted, rejected}), or fails on purpose.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { validateReport, type Report } from '../../../src/contract/index.js';
import { buildReport, createEmitter } from '../../../src/emitter/index.js';

type Handler = (req: IncomingMessage, body: Report[], res: ServerResponse) => void;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function monitor(handler: Handler): Promise<{ url: string; received: Report[][]; times: number[] }> {
  const received: Report[][] = [];
  const times: number[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      times.push(Date.now());
      const body = JSON.parse(text) as Report[];
      received.push(body);
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, times };
}

function accept(res: ServerResponse, body: Report[]): void {
  const rejected: { index: number; errors: unknown[] }[] = [];
  body.forEach((r, index) => {
    const v = validateReport(r);
    if (!v.ok) rejected.push({ index, errors: v.errors });
  });
  res
    .writeHead(rejected.length === body.length ? 400 : 202, { 'content-type': 'application/json' })
    .end(JSON.stringify({ accepted: body.length - rejected.length, rejected }));
}

function report(i: number): Report {
  return buildReport({
    pipeline: 'churn',
    node: 'clean',
    run_id: `run-${i}`,
    event_id: `e-${i}`,
    outputs: [{ dataset: 'lake/clean', profile: { row_count: i } }],
  });
}

describe('TypeScript emitter over HTTP', () => {
  it('retries on 503 until the monitor accepts, with the bearer token', async () => {
    let calls = 0;
    const auth: (string | undefined)[] = [];
    const m = await monitor((req, body, res) => {
      auth.push(req.headers.authorization);
      if (++calls <= 2) res.writeHead(503).end('warming up');
      else accept(res, body);
    });
    const em = createEmitter({
      http: { url: m.url, token: 'tkn' },
      flushIntervalMs: 10,
      backoff: { initialMs: 20, maxMs: 50 },
    });
    em.report(report(1));
    em.report(report(2));
    expect(await em.flush(10_000)).toBe(true);
    expect(em.stats).toMatchObject({ sent: 2, failedAttempts: 2, dropped: 0 });
    expect(m.received.map((b) => b.map((r) => r.event_id))).toEqual([
      ['e-1', 'e-2'],
      ['e-1', 'e-2'],
      ['e-1', 'e-2'],
    ]);
    expect(new Set(auth)).toEqual(new Set(['Bearer tkn']));
    await em.close();
  });

  it('honours 429 Retry-After before the retry', async () => {
    let calls = 0;
    const m = await monitor((_req, body, res) => {
      if (++calls === 1) res.writeHead(429, { 'retry-after': '1' }).end('slow down');
      else accept(res, body);
    });
    const em = createEmitter({ http: { url: m.url }, flushIntervalMs: 10, backoff: { initialMs: 10 } });
    em.report(report(1));
    expect(await em.flush(10_000)).toBe(true);
    expect(m.times).toHaveLength(2);
    expect(m.times[1]! - m.times[0]!).toBeGreaterThanOrEqual(950);
    expect(em.stats).toMatchObject({ sent: 1, failedAttempts: 1 });
    await em.close();
  });

  it('drops a batch the monitor answers 400 for, keeping its reason, and does not retry it', async () => {
    const m = await monitor((_req, body, res) => {
      res.writeHead(400, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          accepted: 0,
          rejected: body.map((_, index) => ({ index, errors: [{ path: '/node', message: 'unknown node' }] })),
        }),
      );
    });
    const em = createEmitter({ http: { url: m.url }, flushIntervalMs: 10 });
    em.report(report(1));
    expect(await em.flush(10_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(m.received).toHaveLength(1);
    expect(em.stats).toMatchObject({ sent: 0, rejected: 1, dropped: 1, failedAttempts: 0 });
    expect(em.lastError).toMatch(/HTTP 400 .*item rejected: \/node: unknown node/);
    await em.close();
  });

  it('delivers what a 202 accepts and drops the items it rejects', async () => {
    const m = await monitor((_req, body, res) => accept(res, body));
    const em = createEmitter({ http: { url: m.url }, flushIntervalMs: 10 });
    em.report(report(1));
    // invalid for the monitor (a valid report for the emitter would not reach it otherwise): tamper after validation
    const r2 = report(2);
    em.report(r2);
    (r2.outputs![0]!.profile as { row_count: unknown }).row_count = -1;
    expect(await em.flush(10_000)).toBe(true);
    expect(em.stats).toMatchObject({ sent: 1, rejected: 1 });
    expect(em.lastError).toMatch(/item rejected: \/outputs\/0\/profile\/row_count/);
    await em.close();
  });

  it('counts the oldest reports dropped when the buffer overflows while the monitor is down', async () => {
    let down = true;
    const m = await monitor((_req, body, res) => {
      if (down) res.writeHead(503).end('down');
      else accept(res, body);
    });
    const em = createEmitter({
      http: { url: m.url },
      maxBuffer: 5,
      batchSize: 5,
      flushIntervalMs: 5,
      backoff: { initialMs: 30, maxMs: 60, jitter: 0 },
    });
    for (let i = 0; i < 12; i++) em.report(report(i));
    await new Promise((r) => setTimeout(r, 200));
    expect(em.stats.overflow).toBe(7);
    expect(em.stats.failedAttempts).toBeGreaterThan(0);
    down = false;
    expect(await em.flush(10_000)).toBe(true);
    expect(em.stats).toMatchObject({ sent: 5, overflow: 7, dropped: 7 });
    // the newest five survive
    expect(m.received.at(-1)!.map((r) => r.event_id)).toEqual(['e-7', 'e-8', 'e-9', 'e-10', 'e-11']);
    await em.close();
  });
});
