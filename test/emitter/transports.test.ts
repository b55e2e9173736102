import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { REPORT_AVRO_SCHEMA, decodeReportAvro, encodeReportAvro, type Report } from '../../src/contract/index.js';
import {
  HttpTransport,
  buildReport,
  confluentFrame,
  isPermanentKafkaError,
  parseRetryAfter,
  type Envelope,
} from '../../src/emitter/index.js';

function env(i: number): Envelope {
  return {
    report: buildReport({
      pipeline: 'p',
      node: 'n',
      event_id: `e-${i}`,
      outputs: [{ dataset: 'd', profile: { row_count: i } }],
    }),
    attempts: 0,
  };
}

interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function serve(
  reply: Reply,
): Promise<{ url: string; requests: { path: string; headers: IncomingHttpHeaders; body: string }[] }> {
  const requests: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', headers: req.headers, body });
      res
        .writeHead(reply.status, { 'content-type': 'application/json', ...(reply.headers ?? {}) })
        .end(reply.body ?? '');
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, requests };
}

describe('HttpTransport', () => {
  it('POSTs the batch as a JSON array to <url>/api/v1/reports with the bearer token', async () => {
    const s = await serve({ status: 202, body: '{"accepted":2,"rejected":[]}' });
    const t = new HttpTransport({ url: s.url, token: 'tok' });
    const r = await t.send([env(1), env(2)]);
    expect(r).toEqual({ delivered: 2, retry: [], rejected: [] });
    expect(s.requests[0]!.path).toBe('/api/v1/reports');
    expect(s.requests[0]!.headers.authorization).toBe('Bearer tok');
    expect(s.requests[0]!.headers['content-type']).toBe('application/json');
    expect((JSON.parse(s.requests[0]!.body) as Report[]).map((x) => x.event_id)).toEqual(['e-1', 'e-2']);
  });

  it('drops the items a 202 lists as rejected, with their errors', async () => {
    const s = await serve({
      status: 202,
      body: JSON.stringify({
        accepted: 1,
        rejected: [{ index: 1, errors: [{ path: '/outputs', message: 'is required' }] }],
      }),
    });
    const batch = [env(1), env(2)];
    const r = await new HttpTransport({ url: s.url }).send(batch);
    expect(r.delivered).toBe(1);
    expect(r.rejected).toHaveLength(1);
    expect(r.rejected[0]!.envelope).toBe(batch[1]);
    expect(r.rejected[0]!.reason).toMatch(/item rejected: \/outputs: is required/);
  });

  it('retries 503 and 429 (with Retry-After), drops other 4xx with the status and body', async () => {
    let s = await serve({ status: 503, body: 'down' });
    let r = await new HttpTransport({ url: s.url }).send([env(1)]);
    expect(r.retry).toHaveLength(1);
    expect(r.error).toMatch(/HTTP 503 .*: down/);
    await new Promise<void>((res) => server!.close(() => res()));
    s = await serve({ status: 429, headers: { 'retry-after': '7' } });
    r = await new HttpTransport({ url: s.url }).send([env(1)]);
    expect([r.retry.length, r.retryAfterMs]).toEqual([1, 7000]);
    await new Promise<void>((res) => server!.close(() => res()));
    s = await serve({ status: 401, body: '{"error":"bad token"}' });
    r = await new HttpTransport({ url: s.url }).send([env(1), env(2)]);
    expect(r.delivered).toBe(0);
    expect(r.rejected.map((x) => x.reason)).toEqual([
      expect.stringMatching(/HTTP 401 .*bad token/),
      expect.stringMatching(/HTTP 401/),
    ]);
  });

  it('retries when the server cannot be reached', async () => {
    const s = await serve({ status: 200 });
    const url = s.url;
    await new Promise<void>((res) => server!.close(() => res()));
    server = undefined;
    const r = await new HttpTransport({ url, timeoutMs: 2000 }).send([env(1)]);
    expect(r.retry).toHaveLength(1);
    expect(r.error).toMatch(/POST .*api\/v1\/reports: fetch failed/);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    const now = Date.parse('2026-11-21T10:00:00Z');
    expect(parseRetryAfter('Sat, 21 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('Kafka helpers', () => {
  it('frames Avro in the Confluent wire format', () => {
    const avro = Buffer.from([1, 2, 3]);
    const framed = confluentFrame(258, avro);
    expect([...framed]).toEqual([0, 0, 0, 1, 2, 1, 2, 3]);
    expect(REPORT_AVRO_SCHEMA.name).toBe('Report');
    const r = env(3).report;
    const message = confluentFrame(7, encodeReportAvro(r));
    expect(message.readInt32BE(1)).toBe(7);
    expect(decodeReportAvro(message.subarray(5))).toEqual(r);
  });

  it('tells message errors (dropped) from connection errors (retried), also when kafkajs wraps them', () => {
    expect(isPermanentKafkaError({ type: 'MESSAGE_TOO_LARGE' })).toBe(true);
    expect(
      isPermanentKafkaError({
        name: 'KafkaJSNumberOfRetriesExceeded',
        retriable: false,
        originalError: { type: 'INVALID_RECORD' },
      }),
    ).toBe(true);
    expect(
      isPermanentKafkaError({
        name: 'KafkaJSNumberOfRetriesExceeded',
        retriable: false,
        originalError: { name: 'KafkaJSConnectionError' },
      }),
    ).toBe(false);
    expect(isPermanentKafkaError({ type: 'NOT_LEADER_FOR_PARTITION' })).toBe(false);
    expect(isPermanentKafkaError(new Error('ECONNREFUSED'))).toBe(false);
  });
});
