import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillTemplate, postWebhook, rollbackCommandOf, type RollbackCommand } from '../../src/actions/index.js';
import { isRootlineError, type RootlineError } from '../../src/errors/index.js';
import { createLogger } from '../../src/service/log.js';
import { scenarioEvents } from './fixtures.js';

const logger = createLogger('silent');

const CMD: RollbackCommand = {
  type: 'rollback',
  idempotency_key: 'inc-abc:rollback',
  incident_id: 'inc-abc',
  pipeline: 'churn',
  node: 'n01',
  to_run_id: 'run-7',
  to_data_version: 'snap "7"\n\\ {{node}}',
  dry_run: false,
  reason: 'nulls',
  decided_at: '2026-11-01T00:00:00.000Z',
  decided_by: 'rootline-monitor',
};

describe('rollbackCommandOf', () => {
  it('builds the command from the incident and its rollback decision', () => {
    const i = scenarioEvents({ bad: 1, rollback: { dryRun: false } }).flat()[0]!.incident;
    const d = i.actions.find((a) => a.action === 'rollback')!;
    const cmd = rollbackCommandOf(i, d);
    expect(cmd).toEqual({
      type: 'rollback',
      idempotency_key: `${i.incident_id}:rollback`,
      incident_id: i.incident_id,
      pipeline: 'churn',
      node: 'n01',
      to_run_id: i.last_good!.run_id,
      to_data_version: i.last_good!.data_version,
      to_code_version: i.last_good!.code_version,
      dry_run: false,
      reason: `${i.cause.summary} (${i.incident_id})`,
      decided_at: d.at,
      decided_by: 'rootline-monitor',
    });
    expect(rollbackCommandOf(i, { ...d, decision: 'dry_run' }).dry_run).toBe(true);
  });
});

describe('fillTemplate', () => {
  it('fills each {{name}} with the JSON-escaped value: the result is always JSON', () => {
    const t =
      '{"job": "rollback-{{node}}", "to": "{{ to_data_version }}", "dry": {{dry_run}}, "key": "{{idempotency_key}}", "code": "{{to_code_version}}", "x": "{{nope}}"}';
    const body = fillTemplate(t, CMD);
    expect(JSON.parse(body)).toEqual({
      job: 'rollback-n01',
      to: 'snap "7"\n\\ {{node}}',
      dry: false,
      key: 'inc-abc:rollback',
      code: '',
      x: '',
    });
  });

  it('a value cannot break out of its string', () => {
    const evil: RollbackCommand = { ...CMD, node: '", "admin": true, "x": "' };
    expect(JSON.parse(fillTemplate('{"node": "{{node}}"}', evil))).toEqual({ node: '", "admin": true, "x": "' });
  });
});

interface Hit {
  headers: IncomingHttpHeaders;
  body: string;
  path?: string;
}

/** A server that records what reaches it (the target of a redirect). */
async function recorder(): Promise<{ port: number; hits: Hit[]; close: () => Promise<void> }> {
  const hits: Hit[] = [];
  const s = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      hits.push({ headers: req.headers, body, path: req.url ?? '' });
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    port: (s.address() as AddressInfo).port,
    hits,
    close: () => new Promise<void>((r) => s.close(() => r())),
  };
}

describe('postWebhook against a local server', () => {
  let server: Server;
  let url: string;
  const hits: Hit[] = [];
  /** Statuses to answer, in order (200 once they run out), with an optional Retry-After. */
  let script: { status: number; retryAfter?: string; location?: string }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        hits.push({ headers: req.headers, body, path: req.url ?? '' });
        const next = script.shift() ?? { status: 200 };
        res.writeHead(next.status, {
          'content-type': 'application/json',
          ...(next.retryAfter ? { 'retry-after': next.retryAfter } : {}),
          ...(next.location ? { location: next.location } : {}),
        });
        res.end(JSON.stringify({ status: next.status }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rollback`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const reset = (s: typeof script) => {
    hits.length = 0;
    script = s;
  };
  const options = (over: Partial<Parameters<typeof postWebhook>[0]> = {}) => ({
    url,
    allowHosts: ['127.0.0.1'],
    maxRetryDelayMs: 20,
    ...over,
  });

  it('POSTs the command as JSON with its Idempotency-Key and the bearer token', async () => {
    reset([]);
    expect(await postWebhook(options({ token: 'hook-token' }), CMD, logger)).toEqual({ status: 200, attempts: 1 });
    expect(hits).toHaveLength(1);
    expect(JSON.parse(hits[0]!.body)).toEqual(CMD);
    expect(hits[0]!.headers['idempotency-key']).toBe('inc-abc:rollback');
    expect(hits[0]!.headers.authorization).toBe('Bearer hook-token');
    expect(hits[0]!.headers['content-type']).toBe('application/json');
  });

  it('sends the filled template when one is set', async () => {
    reset([]);
    await postWebhook(
      options({ bodyTemplate: '{"target": "{{pipeline}}/{{node}}", "version": "{{to_data_version}}"}' }),
      CMD,
      logger,
    );
    expect(JSON.parse(hits[0]!.body)).toEqual({ target: 'churn/n01', version: CMD.to_data_version });
    expect(hits[0]!.headers.authorization).toBeUndefined();
  });

  it('retries 503 and 429 with the same Idempotency-Key until it succeeds', async () => {
    reset([{ status: 503 }, { status: 429, retryAfter: '1' }, { status: 502 }]);
    expect(await postWebhook(options(), CMD, logger)).toEqual({ status: 200, attempts: 4 });
    expect(hits.map((h) => h.headers['idempotency-key'])).toEqual(Array(4).fill('inc-abc:rollback'));
  });

  it('honours Retry-After (up to the longest wait allowed)', async () => {
    reset([{ status: 429, retryAfter: '1' }]);
    const t0 = Date.now();
    await postWebhook(options({ maxRetryDelayMs: 5000 }), CMD, logger);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(hits).toHaveLength(2);
  });

  it('a 4xx other than 429 is final: no retry, a non-retriable error', async () => {
    reset([{ status: 400 }]);
    const err = (await postWebhook(options(), CMD, logger).catch((e: unknown) => e)) as RootlineError;
    expect(isRootlineError(err, 'WEBHOOK_ERROR')).toBe(true);
    expect(err.retriable).toBe(false);
    expect(err.message).toBe('rollback webhook answered 400: {"status":400}');
    expect(hits).toHaveLength(1);
  });

  it('gives up after the attempts allowed, with a retriable error', async () => {
    reset([{ status: 500 }, { status: 500 }, { status: 500 }]);
    const err = (await postWebhook(options({ attempts: 3 }), CMD, logger).catch((e: unknown) => e)) as RootlineError;
    expect(err).toMatchObject({
      code: 'WEBHOOK_ERROR',
      retriable: true,
      message: 'rollback webhook failed after 3 attempts (last: 500)',
    });
    expect(hits).toHaveLength(3);
  });

  it('a network error is retried', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const err = (await postWebhook(options({ url: `http://127.0.0.1:${port}/x`, attempts: 2 }), CMD, logger).catch(
      (e: unknown) => e,
    )) as RootlineError;
    expect(err).toMatchObject({ code: 'WEBHOOK_ERROR', retriable: true });
    expect(err.message).toMatch(/^rollback webhook failed after 2 attempts \(last: .+\)$/);
  });

  it('refuses a host that is not allow-listed, without calling it', async () => {
    reset([]);
    const err = (await postWebhook(options({ allowHosts: ['ops.example'] }), CMD, logger).catch(
      (e: unknown) => e,
    )) as RootlineError;
    expect(err).toMatchObject({
      code: 'WEBHOOK_ERROR',
      message: 'rollback webhook host 127.0.0.1 is not allow-listed',
    });
    const sneaky = (await postWebhook(options({ url: 'http://127.0.0.1.evil.example/x' }), CMD, logger).catch(
      (e: unknown) => e,
    )) as RootlineError;
    expect(sneaky.code).toBe('WEBHOOK_ERROR');
    expect(hits).toEqual([]);
  });

  it('never follows a redirect to a host outside the allow-list: nothing reaches it, the error is final', async () => {
    const outside = await recorder();
    try {
      for (const status of [307, 308, 302, 301, 303]) {
        reset([{ status, location: `http://localhost:${outside.port}/steal` }]);
        const err = (await postWebhook(options({ token: 'hook-token' }), CMD, logger).catch(
          (e: unknown) => e,
        )) as RootlineError;
        expect(err).toMatchObject({ code: 'WEBHOOK_ERROR', retriable: false });
        expect(err.message).toContain('to host localhost, which is not allow-listed');
        expect(hits).toHaveLength(1);
      }
      expect(outside.hits).toEqual([]);
    } finally {
      await outside.close();
    }
  });

  it('follows 307/308 within the allow-list, re-checking each hop, at most 3 times; the token stays on its origin', async () => {
    const other = await recorder();
    try {
      const otherUrl = `http://127.0.0.1:${other.port}/moved`;
      reset([
        { status: 307, location: '/rollback-2' },
        { status: 308, location: otherUrl },
      ]);
      expect(await postWebhook(options({ token: 'hook-token' }), CMD, logger)).toEqual({ status: 200, attempts: 1 });
      expect(hits.map((h) => h.path)).toEqual(['/rollback', '/rollback-2']);
      expect(hits.map((h) => h.headers.authorization)).toEqual(['Bearer hook-token', 'Bearer hook-token']);
      expect(other.hits).toHaveLength(1);
      // Another origin (same allow-listed host, another port) gets the body and the key, not the token.
      expect(JSON.parse(other.hits[0]!.body)).toEqual(CMD);
      expect(other.hits[0]!.headers['idempotency-key']).toBe(CMD.idempotency_key);
      expect(other.hits[0]!.headers.authorization).toBeUndefined();

      // A later hop to an outside host is refused even after an allowed one.
      reset([
        { status: 307, location: '/hop' },
        { status: 307, location: 'http://localhost:1/x' },
      ]);
      const err = (await postWebhook(options(), CMD, logger).catch((e: unknown) => e)) as RootlineError;
      expect(err.message).toContain('to host localhost, which is not allow-listed');
      expect(hits).toHaveLength(2);

      reset(Array.from({ length: 10 }, (_, i) => ({ status: 307, location: `/loop-${i}` })));
      const loop = (await postWebhook(options(), CMD, logger).catch((e: unknown) => e)) as RootlineError;
      expect(loop).toMatchObject({ code: 'WEBHOOK_ERROR', retriable: false });
      expect(loop.message).toContain('after 3 redirects');
      expect(hits).toHaveLength(4);
    } finally {
      await other.close();
    }
  });

  it('a 307 to a non-HTTP scheme or without a Location is final', async () => {
    reset([{ status: 307, location: 'file:///etc/passwd' }]);
    expect(((await postWebhook(options(), CMD, logger).catch((e: unknown) => e)) as Error).message).toContain(
      'to a file: URL',
    );
    reset([{ status: 307 }]);
    expect(((await postWebhook(options(), CMD, logger).catch((e: unknown) => e)) as Error).message).toContain(
      'without a Location',
    );
  });

  it('refuses a template that does not give JSON', async () => {
    reset([]);
    const err = (await postWebhook(options({ bodyTemplate: '{"node": {{node}}}' }), CMD, logger).catch(
      (e: unknown) => e,
    )) as RootlineError;
    expect(err.code).toBe('CONFIG_INVALID');
    expect(hits).toEqual([]);
  });
});
