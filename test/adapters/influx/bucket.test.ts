import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxSink } from '../../../src/adapters/influx/sink.js';

/**
 * The two bucket set-ups the monitor meets: InfluxDB 2.x (buckets API; org looked up by name) is
 * answered here by a server that speaks those endpoints as documented for 2.7; InfluxDB 1.8 (no buckets
 * API, CREATE DATABASE) is covered against the real 1.8 in the integration tests.
 */
const calls: { method: string; url: string; auth: string | undefined; body: string }[] = [];
const buckets = new Set<string>(['existing']);
let server: ReturnType<typeof createServer>;
let url = '';

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      calls.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
      if (req.headers.authorization !== 'Token secret-token')
        return reply(res, 401, { code: 'unauthorized', message: 'unauthorized access' });
      if (req.method === 'GET' && u.pathname === '/api/v2/buckets') {
        const name = u.searchParams.get('name') ?? '';
        return reply(res, 200, { buckets: buckets.has(name) ? [{ id: 'b1', name }] : [] });
      }
      if (req.method === 'GET' && u.pathname === '/api/v2/orgs') {
        return reply(res, 200, {
          orgs: u.searchParams.get('org') === 'rootline' ? [{ id: 'org123', name: 'rootline' }] : [],
        });
      }
      if (req.method === 'POST' && u.pathname === '/api/v2/buckets') {
        const b = JSON.parse(body) as { name: string; orgID: string };
        if (b.orgID !== 'org123') return reply(res, 400, { code: 'invalid', message: 'bad org' });
        buckets.add(b.name);
        return reply(res, 201, { id: 'b2', name: b.name });
      }
      return reply(res, 404, { code: 'not found', message: 'path not found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('InfluxSink.ensureBucket on the InfluxDB 2.x API', () => {
  it('leaves an existing bucket alone', async () => {
    calls.length = 0;
    const sink = new InfluxSink({ url, token: 'secret-token', org: 'rootline', bucket: 'existing' });
    expect(await sink.ensureBucket()).toBe('v2');
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['GET /api/v2/buckets?name=existing']);
  });

  it('creates a missing bucket in the named organization, with the token', async () => {
    calls.length = 0;
    const sink = new InfluxSink({ url, token: 'secret-token', org: 'rootline', bucket: 'rootline' });
    expect(await sink.ensureBucket()).toBe('v2');
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET /api/v2/buckets?name=rootline',
      'GET /api/v2/orgs?org=rootline',
      'POST /api/v2/buckets',
    ]);
    expect(JSON.parse(calls[2]!.body)).toEqual({ name: 'rootline', orgID: 'org123', retentionRules: [] });
    expect(buckets.has('rootline')).toBe(true);
  });

  it('says which setting is wrong when the organization does not exist, or the token is refused', async () => {
    await expect(
      new InfluxSink({ url, token: 'secret-token', org: 'nope', bucket: 'x' }).ensureBucket(),
    ).rejects.toThrow(/no organization named "nope" \(influx\.org\)/);
    await expect(new InfluxSink({ url, token: 'wrong', org: 'rootline', bucket: 'x' }).ensureBucket()).rejects.toThrow(
      /401/,
    );
  });
});
