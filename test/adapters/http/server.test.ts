import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LineageDeclaration, Report, RunProgress } from '../../../src/contract/index.js';
import { RootlineError } from '../../../src/errors/index.js';
import { apiQueries } from '../../../src/service/api.js';
import type { OpenLineageConverter } from '../../../src/adapters/decode/decode.js';
import { startHttpServer, type HealthStatus } from '../../../src/adapters/http/server.js';
import { convertRunEvent } from '../../../src/openlineage/index.js';
import { createLogger } from '../../../src/service/log.js';
import { monitorMetrics } from '../../../src/service/metrics.js';
import { MonitorCore } from '../../../src/monitor/index.js';
import { loadRules } from '../../../src/rules/index.js';
import { PipelineSim, makeDag } from '../../../src/sim/index.js';

const sim = new PipelineSim(makeDag('chain', 3, 'churn', 1), { seed: 1 });
const valid = (run: number, node = 0): Report => sim.run(run)[node]!;

interface Started {
  url: string;
  close: () => Promise<void>;
  ingested: { reports: Report[]; source: string }[];
  progressed: { event: Record<string, unknown>; progress: RunProgress | LineageDeclaration }[];
  health: { value: HealthStatus };
  ingestError: { value: Error | undefined };
  metrics: ReturnType<typeof monitorMetrics>;
}

const OL_EVENT = {
  eventType: 'COMPLETE',
  eventTime: '2026-11-01T00:00:00Z',
  producer: 'test',
  run: { runId: 'r' },
  job: { namespace: 'churn', name: 'n00' },
  inputs: [],
  outputs: [],
};

async function start(
  options: {
    token?: string;
    maxBodyBytes?: number;
    maxReportBytes?: number;
    requestTimeoutMs?: number;
    headersTimeoutMs?: number;
    maxConnections?: number;
    openLineage?: OpenLineageConverter;
    core?: MonitorCore;
  } = {},
): Promise<Started> {
  const ingested: Started['ingested'] = [];
  const progressed: Started['progressed'] = [];
  const health = { value: { ok: true, details: { kafka: 'up' } } as HealthStatus };
  const ingestError: Started['ingestError'] = { value: undefined };
  const metrics = monitorMetrics();
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    token: options.token,
    maxBodyBytes: options.maxBodyBytes ?? 1_000_000,
    maxReportBytes: options.maxReportBytes,
    requestTimeoutMs: options.requestTimeoutMs,
    headersTimeoutMs: options.headersTimeoutMs,
    maxConnections: options.maxConnections,
    ingest: {
      ingest: (reports, source) => {
        if (ingestError.value) return Promise.reject(ingestError.value);
        ingested.push({ reports, source });
        return Promise.resolve();
      },
      progress: (event, progress) => {
        progressed.push({ event, progress });
        return Promise.resolve();
      },
    },
    openLineage: options.openLineage,
    health: () => Promise.resolve(health.value),
    metrics: metrics.registry,
    requests: metrics.httpRequests,
    queries: options.core ? apiQueries(options.core) : undefined,
    logger: createLogger('silent'),
  });
  return { url: server.url, close: server.close, ingested, progressed, health, ingestError, metrics };
}

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

async function get(url: string): Promise<{ status: number; body: unknown; text: string; type: string | null }> {
  const res = await fetch(url);
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text, type: res.headers.get('content-type') };
}

/** A POST whose body is a stream of `chunks` copies of `chunk` (sent chunked, no content-length). */
async function postStreamed(url: string, chunk: string, chunks: number): Promise<{ status: number; body: string }> {
  const bytes = new TextEncoder().encode(chunk);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent++ < chunks) c.enqueue(bytes);
      else c.close();
    },
  });
  const init: RequestInit & { duplex: 'half' } = { method: 'POST', body, duplex: 'half' };
  const res = await fetch(url, init);
  return { status: res.status, body: await res.text() };
}

describe('POST /api/v1/reports', () => {
  let s: Started;
  beforeAll(async () => (s = await start()));
  afterAll(() => s.close());
  const url = () => `${s.url}/api/v1/reports`;

  it('accepts one report', async () => {
    const r = await post(url(), valid(0));
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ accepted: 1, rejected: [] });
    expect(s.ingested.at(-1)).toEqual({ reports: [valid(0)], source: 'http' });
  });

  it('accepts an array and {reports: [...]}', async () => {
    expect((await post(url(), [valid(1, 0), valid(1, 1)])).body).toEqual({ accepted: 2, rejected: [] });
    expect(s.ingested.at(-1)!.reports.map((x) => x.node)).toEqual(['n00', 'n01']);
    expect((await post(url(), { reports: [valid(2, 0), valid(2, 1), valid(2, 2)] })).body).toEqual({
      accepted: 3,
      rejected: [],
    });
  });

  it('rejects invalid reports with 400 and every error path', async () => {
    const bad = { ...valid(3), node: 42, event_time: 'yesterday' } as unknown;
    const before = s.ingested.length;
    const r = await post(url(), [bad]);
    expect(r.status).toBe(400);
    expect(r.body.accepted).toBe(0);
    const [rej] = r.body.rejected as { index: number; event_id: string; errors: { path: string; message: string }[] }[];
    expect(rej!.index).toBe(0);
    expect(rej!.event_id).toBe(valid(3).event_id);
    expect(rej!.errors.map((e) => e.path).sort()).toEqual(['/event_time', '/node']);
    for (const e of rej!.errors) expect(e.message).not.toBe('');
    expect(s.ingested.length).toBe(before);
  });

  it('mixed: 202 with the accepted ones ingested and the rejected indexes', async () => {
    const r = await post(url(), { reports: [valid(4, 0), { spec: 'rootline.report/v1' }, valid(4, 1), 7] });
    expect(r.status).toBe(202);
    expect(r.body.accepted).toBe(2);
    expect((r.body.rejected as { index: number }[]).map((x) => x.index)).toEqual([1, 3]);
    expect(s.ingested.at(-1)!.reports.map((x) => x.node)).toEqual(['n00', 'n01']);
  });

  it('points an OpenLineage event to its endpoint', async () => {
    const r = await post(url(), OL_EVENT);
    expect(r.status).toBe(400);
    expect(r.body.rejected).toEqual([
      { index: 0, errors: [{ path: '', message: 'is an OpenLineage event: POST it to /api/v1/lineage' }] },
    ]);
  });

  it('an empty list is a 400', async () => {
    expect((await post(url(), [])).status).toBe(400);
    expect((await post(url(), { reports: [] })).body).toEqual({ error: 'no reports in the body' });
  });

  it('malformed JSON is a 400', async () => {
    const r = await post(url(), '{"spec": ');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/^the body is not JSON/);
  });

  it('bytes that are not UTF-8 are a 400 naming UTF-8; a leading byte order mark is ignored', async () => {
    const text = JSON.stringify(valid(6));
    const at = text.indexOf(valid(6).node);
    const bad = Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0xff]), Buffer.from(text.slice(at))]);
    const before = s.ingested.length;
    const r = await post(url(), new Uint8Array(bad));
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/UTF-8/);
    expect(s.ingested).toHaveLength(before);
    const bom = await post(url(), new Uint8Array(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])));
    expect(bom).toMatchObject({ status: 202, body: { accepted: 1 } });
  });

  it('a body declared as a form or XML is a 415 naming application/json; JSON, text/plain or no type is read', async () => {
    const body = JSON.stringify(valid(7));
    for (const type of ['application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x']) {
      const r = await post(url(), body, { 'content-type': type });
      expect(r.status, type).toBe(415);
      expect(r.body.error, type).toMatch(/application\/json/);
    }
    for (const type of ['application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain;charset=UTF-8'])
      expect((await post(url(), body, { 'content-type': type })).status, type).toBe(202);
    const res = await fetch(url(), { method: 'POST', body: new TextEncoder().encode(body) });
    expect(res.status).toBe(202);
  });

  it('a retriable ingest failure is a 503 with Retry-After; another failure a 500', async () => {
    s.ingestError.value = new RootlineError('KAFKA_ERROR', 'broker down', { retriable: true });
    const r = await post(url(), valid(5));
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('5');
    expect(r.body).toEqual({ error: 'broker down', retriable: true });
    s.ingestError.value = new Error('boom');
    expect((await post(url(), valid(5))).status).toBe(500);
    s.ingestError.value = undefined;
  });

  it('other routes are 404', async () => {
    expect((await post(`${s.url}/api/v1/nothing`, {})).status).toBe(404);
    expect((await get(`${s.url}/nope`)).status).toBe(404);
  });
});

describe('limits and authentication', () => {
  it('a body over the limit is a 413 (declared length and streamed)', async () => {
    const max = JSON.stringify(valid(0)).length + 100;
    const s = await start({ maxBodyBytes: max });
    try {
      const big = JSON.stringify({ reports: [valid(0)], pad: 'x'.repeat(max) });
      const r = await post(`${s.url}/api/v1/reports`, big);
      expect(r.status).toBe(413);
      expect(r.body.error).toContain(String(max));
      // Streamed (no content-length) and far over the limit: the client must still read the 413
      // rather than have its connection reset while it is sending.
      for (const size of [3 * max, 1_000_000, 20_000_000]) {
        const body = 'x'.repeat(size);
        expect((await fetch(`${s.url}/api/v1/reports`, { method: 'POST', body })).status).toBe(413);
        const streamed = await postStreamed(`${s.url}/api/v1/reports`, body, 1);
        expect(streamed.status).toBe(413);
      }
      expect(s.ingested).toEqual([]);
      // The server still answers afterwards.
      expect((await post(`${s.url}/api/v1/reports`, valid(0))).status).toBe(202);
    } finally {
      await s.close();
    }
  });

  it('a body under the HTTP limit holding a report over the Kafka limit is a 413, not a 500', async () => {
    const s = await start({ maxBodyBytes: 1_000_000, maxReportBytes: 20_000 });
    try {
      const big: Report = { ...valid(0), event_id: 'big', labels: { pad: 'x'.repeat(30_000) } } as Report;
      const r = await post(`${s.url}/api/v1/reports`, big);
      expect(r.status).toBe(413);
      expect(JSON.stringify(r.body)).toContain('more than the 20000 a Kafka message may carry');
      // Mixed: the ones that fit are accepted, the big one named.
      const mixed = await post(`${s.url}/api/v1/reports`, [valid(0), big]);
      expect(mixed.status).toBe(202);
      expect(mixed.body).toMatchObject({ accepted: 1, rejected: [{ index: 1, event_id: 'big' }] });
      expect(s.ingested.map((i) => i.reports.length)).toEqual([1]);
      // The broker refusing a message (MESSAGE_TOO_LARGE from the ingest) is a 413 too.
      s.ingestError.value = new RootlineError('MESSAGE_TOO_LARGE', 'the batch is too large for Kafka');
      expect((await post(`${s.url}/api/v1/reports`, valid(0))).status).toBe(413);
    } finally {
      await s.close();
    }
  });

  it('a malformed % escape in the path or the query is a 400, not a 500', async () => {
    const core = new MonitorCore({ rules: loadRules('rules') });
    const s = await start({ core });
    try {
      for (const path of [
        '/api/v1/incidents/%E0%A4%A',
        '/api/v1/incidents/%zz',
        '/api/v1/incidents?pipeline=%ff',
        '/healthz?x=%',
      ]) {
        const r = await get(`${s.url}${path}`);
        expect(r.status, path).toBe(400);
        expect(r.body).toMatchObject({ error: expect.stringContaining('malformed') as unknown });
      }
      expect((await get(`${s.url}/api/v1/incidents/inc%2Dnope`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });

  it('a slow request body is cut off by the request timeout (408), and the server keeps answering', async () => {
    const s = await start({ requestTimeoutMs: 1000, headersTimeoutMs: 1000 });
    try {
      const { port } = new URL(s.url);
      const sock = connect(Number(port), '127.0.0.1');
      await new Promise((r) => sock.once('connect', r));
      let answer = '';
      sock.on('data', (d: Buffer) => (answer += d.toString('utf8')));
      const closed = new Promise<number>((r) => sock.once('close', () => r(Date.now())));
      const t0 = Date.now();
      sock.write(
        'POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"a":',
      );
      // Trickle a byte now and then: never a whole body.
      const trickle = setInterval(() => sock.write(' '), 200);
      const at = await closed;
      clearInterval(trickle);
      expect(at - t0).toBeLessThan(4000);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
        error: expect.stringMatching(/not received in time/) as unknown,
      });
      expect((await get(`${s.url}/healthz`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('what the HTTP parser refuses (headers too large, not HTTP) is answered with its status and a reason', async () => {
    const s = await start();
    try {
      const big = await fetch(`${s.url}/api/v1/reports`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${'A'.repeat(100_000)}` },
        body: '{}',
      });
      expect(big.status).toBe(431);
      expect(((await big.json()) as { error: string }).error).toMatch(/headers are larger/);
      const { port } = new URL(s.url);
      const sock = connect(Number(port), '127.0.0.1');
      let answer = '';
      sock.on('data', (d: Buffer) => (answer += d.toString('utf8')));
      const closed = new Promise((r) => sock.once('close', r));
      sock.write('NOT HTTP AT ALL\r\n\r\n');
      await closed;
      expect(answer).toMatch(/^HTTP\/1\.1 400/);
      expect(answer).toContain('"error":"the request is not valid HTTP/1.1');
      expect((await get(`${s.url}/healthz`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('connections beyond the cap are closed at once; served again when slots free up', async () => {
    const s = await start({ maxConnections: 2 });
    const { port } = new URL(s.url);
    const open = async (): Promise<Socket> => {
      const sock = connect(Number(port), '127.0.0.1');
      await new Promise((r) => sock.once('connect', r));
      return sock;
    };
    try {
      const slow = [await open(), await open()];
      for (const sock of slow) sock.write('POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n');
      const third = await open();
      const closedAt = await new Promise<number>((r) => third.once('close', () => r(Date.now())));
      expect(closedAt).toBeGreaterThan(0);
      for (const sock of slow) sock.destroy();
      await new Promise((r) => setTimeout(r, 100));
      expect((await get(`${s.url}/healthz`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('http.token set: a bearer token is required on every endpoint but the health probes', async () => {
    const s = await start({ token: 's3cret', core: new MonitorCore({ rules: loadRules('rules') }) });
    try {
      const u = `${s.url}/api/v1/reports`;
      expect((await post(u, valid(0))).status).toBe(401);
      expect((await post(u, valid(0), { authorization: 'Bearer wrong!' })).status).toBe(401);
      expect((await post(u, valid(0), { authorization: 's3cret' })).status).toBe(401);
      expect((await post(`${s.url}/api/v1/lineage`, OL_EVENT)).status).toBe(401);
      expect((await post(u, valid(0), { authorization: 'Bearer s3cret' })).status).toBe(202);
      expect(s.ingested).toHaveLength(1);
      expect((await get(`${s.url}/healthz`)).status).toBe(200);
      expect((await get(`${s.url}/livez`)).status).toBe(200);
      for (const p of ['/metrics', '/api/v1/pipelines', '/api/v1/incidents'])
        expect((await get(`${s.url}${p}`)).status, p).toBe(401);
      const ok = await fetch(`${s.url}/api/v1/pipelines`, { headers: { authorization: 'Bearer s3cret' } });
      expect(ok.status).toBe(200);
    } finally {
      await s.close();
    }
  });
});

describe('POST /api/v1/lineage', () => {
  const converter: OpenLineageConverter = (e) => {
    const job = e.job as { name: string };
    if (job.name === 'broken') return { errors: ['run.facets is not an object'] };
    if (job.name === 'invalid') return { reports: [{ ...valid(0), node: '' }] };
    if (e.eventType === 'START') return { reports: [], ignored: 'START events carry no outcome' };
    return { reports: [{ ...valid(0), node: job.name }] };
  };

  it('converts an OpenLineage event and ingests the reports', async () => {
    const s = await start({ openLineage: converter });
    try {
      const u = `${s.url}/api/v1/lineage`;
      const r = await post(u, OL_EVENT);
      expect(r).toMatchObject({ status: 201, body: { accepted: 1 } });
      expect(s.ingested).toEqual([{ reports: [{ ...valid(0), node: 'n00' }], source: 'openlineage' }]);
      expect((await post(u, { ...OL_EVENT, eventType: 'START' })).body).toEqual({
        accepted: 0,
        ignored: 'START events carry no outcome',
      });
      expect(await post(u, { ...OL_EVENT, job: { namespace: 'x', name: 'broken' } })).toMatchObject({
        status: 400,
        body: { errors: ['run.facets is not an object'] },
      });
      const invalid = await post(u, { ...OL_EVENT, job: { namespace: 'x', name: 'invalid' } });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error).toBe('the converted report is invalid');
      expect(await post(u, valid(0))).toMatchObject({
        status: 400,
        body: { error: expect.stringContaining('not an OpenLineage RunEvent') as string },
      });
      expect(s.ingested).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it('a START or RUNNING event goes on as the run progress (201), keyed by its pipeline, scope checked', async () => {
    const s = await start({ openLineage: convertRunEvent, maxReportBytes: 2000 });
    try {
      const running = {
        ...OL_EVENT,
        eventType: 'RUNNING',
        run: { runId: '11111111-2222-4333-8444-555555555555' },
        outputs: [{ namespace: 's3://lake', name: 'clean', outputFacets: { outputStatistics: { rowCount: 42 } } }],
      };
      const r = await post(`${s.url}/api/v1/lineage`, running);
      expect(r).toMatchObject({ status: 201, body: { accepted: 0, progress: 'RUNNING' } });
      expect(s.ingested).toEqual([]);
      expect(s.progressed).toHaveLength(1);
      expect(s.progressed[0]!.event).toEqual(running);
      expect(s.progressed[0]!.progress).toMatchObject({
        pipeline: 'churn',
        node: 'n00',
        phase: 'RUNNING',
        outputs: [{ dataset: 's3://lake/clean', profile: { row_count: 42 } }],
      });
      const big = await post(`${s.url}/api/v1/lineage`, { ...running, padding: 'x'.repeat(3000) });
      expect(big.status).toBe(413);
      expect(s.progressed).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it('a JobEvent goes on as lineage without a run (201), keyed by its namespace', async () => {
    const s = await start({ openLineage: convertRunEvent });
    try {
      const jobEvent = {
        eventTime: '2026-11-01T00:00:00Z',
        producer: 'test',
        job: { namespace: 'churn', name: 'n01' },
        inputs: [{ namespace: 's3://lake', name: 'raw' }],
        outputs: [],
      };
      const r = await post(`${s.url}/api/v1/lineage`, jobEvent);
      expect(r).toMatchObject({ status: 201, body: { accepted: 0, lineage: 'JobEvent' } });
      expect(s.progressed).toEqual([
        {
          event: jobEvent,
          progress: {
            kind: 'job',
            pipeline: 'churn',
            node: 'n01',
            event_time: '2026-11-01T00:00:00Z',
            inputs: ['s3://lake/raw'],
            outputs: [],
          },
        },
      ]);
    } finally {
      await s.close();
    }
  });

  it('is a 404 when OpenLineage ingest is off', async () => {
    const s = await start();
    try {
      expect((await post(`${s.url}/api/v1/lineage`, OL_EVENT)).status).toBe(404);
    } finally {
      await s.close();
    }
  });
});

describe('GET /healthz and /metrics', () => {
  it('health: 200 when ok, 503 when not, with the details', async () => {
    const s = await start();
    try {
      expect(await get(`${s.url}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok', kafka: 'up' } });
      s.health.value = { ok: false, details: { kafka: 'down' } };
      expect(await get(`${s.url}/healthz`)).toMatchObject({
        status: 503,
        body: { status: 'unavailable', kafka: 'down' },
      });
    } finally {
      await s.close();
    }
  });

  it('metrics: Prometheus text counting requests by route and status', async () => {
    const s = await start();
    try {
      await get(`${s.url}/healthz`);
      await post(`${s.url}/api/v1/reports`, valid(0));
      await post(`${s.url}/api/v1/reports`, '{');
      const m = await get(`${s.url}/metrics`);
      expect(m.status).toBe(200);
      expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(m.text).toContain('# TYPE rootline_http_requests_total counter');
      expect(m.text).toContain('rootline_http_requests_total{route="/healthz",status="200"} 1');
      expect(m.text).toContain('rootline_http_requests_total{route="/api/v1/reports",status="202"} 1');
      expect(m.text).toContain('rootline_http_requests_total{route="/api/v1/reports",status="400"} 1');
      expect(m.text.endsWith('\n')).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('route labels stay bounded: unknown paths and incident ids are not labels of their own', async () => {
    const s = await start({ core: new MonitorCore({ rules: loadRules('rules') }) });
    try {
      for (const p of ['/a', '/b/c', '/api/v1/incidents/inc-1', '/api/v1/incidents/inc-2']) await get(`${s.url}${p}`);
      const text = (await get(`${s.url}/metrics`)).text;
      expect(text).not.toContain('route="/a"');
      expect(text).not.toContain('inc-1');
      expect(text).toContain('rootline_http_requests_total{route="other",status="404"} 2');
      expect(text).toContain('rootline_http_requests_total{route="/api/v1/incidents/*",status="404"} 2');
    } finally {
      await s.close();
    }
  });
});

describe('GET /api/v1 queries', () => {
  const core = new MonitorCore({ rules: loadRules('rules') });
  for (let r = 0; r < 8; r++) core.processBatch(sim.run(r));
  core.processBatch(sim.run(8, [{ node: 'n01', kind: 'null_spike' }]));
  const incident = core.incidents()[0]!;
  let s: Started;
  beforeAll(async () => (s = await start({ core })));
  afterAll(() => s.close());
  const api = (path: string) => get(`${s.url}/api/v1/${path}`);

  it('pipelines', async () => {
    expect(await api('pipelines')).toMatchObject({ status: 200, body: { pipelines: ['churn'] } });
  });

  it('lineage upstream, downstream, graph and runs', async () => {
    const up = await api('lineage/upstream?pipeline=churn&node=n02');
    expect(up.status).toBe(200);
    expect((up.body as { sources: string[] }).sources).toEqual(['n00']);
    const t = encodeURIComponent(new Date(sim.runTime(1)).toISOString());
    const past = (await api(`lineage/upstream?pipeline=churn&node=n01&at=${t}`)).body as {
      nodes: { node: string; health: string }[];
    };
    expect(past.nodes.map((n) => [n.node, n.health])).toEqual([
      ['n01', 'healthy'],
      ['n00', 'healthy'],
    ]);
    const down = await api(`lineage/downstream?pipeline=churn&node=n01&at=${sim.runTime(9)}`);
    expect((down.body as { blast_radius: string[] }).blast_radius).toEqual(['n02']);
    const graph = (await api('lineage/graph?pipeline=churn')).body as { edges: { source: string; target: string }[] };
    expect(graph.edges.map((e) => `${e.source}->${e.target}`).sort()).toEqual(['n00->n01', 'n01->n02']);
    const dv = sim.run(3)[1]!.data_version!;
    const runs = (await api(`lineage/runs?pipeline=churn&data_version=${encodeURIComponent(dv)}`)).body as {
      runs: { node: string; inputs: { node: string; data_version: string }[] }[];
    };
    expect(runs.runs.map((r) => r.node)).toEqual(['n01']);
    expect(runs.runs[0]!.inputs).toEqual([
      { node: 'n00', run_id: sim.run(3)[0]!.run_id, data_version: sim.run(3)[0]!.data_version },
    ]);
  });

  it('incidents, filtered, and one by id', async () => {
    expect(
      ((await api('incidents')).body as { incidents: { incident_id: string }[] }).incidents.map((i) => i.incident_id),
    ).toEqual([incident.incident_id]);
    expect(((await api('incidents?status=resolved')).body as { incidents: unknown[] }).incidents).toEqual([]);
    expect(
      ((await api('incidents?status=open&pipeline=churn')).body as { incidents: unknown[] }).incidents,
    ).toHaveLength(1);
    expect(((await api('incidents?pipeline=other')).body as { incidents: unknown[] }).incidents).toEqual([]);
    expect(await api(`incidents/${incident.incident_id}`)).toMatchObject({
      status: 200,
      body: { incident_id: incident.incident_id, culprit: 'n01' },
    });
  });

  it('404 for what is not known, 400 for bad parameters', async () => {
    expect(await api('incidents/inc-nope')).toMatchObject({
      status: 404,
      body: { error: 'no incident inc-nope on this instance' },
    });
    expect((await api('lineage/upstream?pipeline=other&node=n00')).status).toBe(404);
    expect((await api('lineage/upstream?pipeline=churn&node=ghost')).status).toBe(404);
    expect((await api('lineage/runs?pipeline=churn&data_version=nope')).status).toBe(404);
    expect((await api('nothing/here')).status).toBe(404);
    expect(await api('lineage/upstream?pipeline=churn')).toMatchObject({
      status: 400,
      body: { error: 'the query parameter node is required' },
    });
    expect((await api('lineage/graph?pipeline=churn&at=last-tuesday')).status).toBe(400);
    expect((await api('incidents?status=closed')).status).toBe(400);
  });
});

describe('POST /api/v1/lineage as OpenLineage clients send it', () => {
  const event = {
    eventType: 'COMPLETE',
    eventTime: '2026-11-01T00:00:00Z',
    producer: 'https://github.com/OpenLineage/OpenLineage/tree/1.39.0/client/python',
    run: { runId: '0190b7a5-3c1e-7c59-a1f2-5b1d9e8c4a10' },
    job: { namespace: 'default', name: 'orders.load' },
    inputs: [],
    outputs: [{ namespace: 'postgres://db', name: 'public.orders' }],
  };
  const send = async (url: string, body: Buffer, encoding?: string) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(encoding ? { 'content-encoding': encoding } : {}) },
      body: new Blob([new Uint8Array(body)]),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('takes gzip and deflate bodies (the clients` compression option); a gzip bomb is a 413, bad gzip a 400', async () => {
    const { gzipSync, deflateSync } = await import('node:zlib');
    const s = await start({ openLineage: convertRunEvent, maxBodyBytes: 100_000 });
    try {
      const u = `${s.url}/api/v1/lineage`;
      const json = Buffer.from(JSON.stringify(event));
      expect(await send(u, gzipSync(json), 'gzip')).toMatchObject({ status: 201, body: { accepted: 1 } });
      expect(await send(u, deflateSync(json), 'deflate')).toMatchObject({ status: 201, body: { accepted: 1 } });
      expect(s.ingested.map((i) => i.reports[0]!.node)).toEqual(['orders.load', 'orders.load']);
      // 10 MB of spaces gzip to about 10 kB: under the body limit, far over it inflated
      const bomb = gzipSync(Buffer.concat([json, Buffer.alloc(10_000_000, 0x20)]));
      expect(bomb.length).toBeLessThan(100_000);
      const r = await send(u, bomb, 'gzip');
      expect(r.status).toBe(413);
      expect(r.body.error).toMatch(/inflates to more than the 100000 bytes/);
      expect((await send(u, json, 'gzip')).status).toBe(400);
      expect((await send(u, json, 'br')).status).toBe(415);
      expect(s.ingested).toHaveLength(2);
    } finally {
      await s.close();
    }
  });

  it('a run without statistics is accepted (201 accepted 1); what the spec forbids is a 400 naming it', async () => {
    const s = await start({ openLineage: convertRunEvent });
    try {
      const u = `${s.url}/api/v1/lineage`;
      expect(await post(u, event)).toMatchObject({ status: 201, body: { accepted: 1 } });
      expect(await post(u, { ...event, outputs: [] })).toMatchObject({ status: 201, body: { accepted: 1 } });
      const cases: [Record<string, unknown>, string][] = [
        [{ ...event, eventType: 'complete' }, 'eventType'],
        [{ ...event, run: { runId: 'not-a-uuid' } }, 'run.runId'],
        [
          {
            ...event,
            outputs: [{ namespace: 'n', name: 't', outputFacets: { outputStatistics: { rowCount: -1 } } }],
          },
          'outputStatistics.rowCount must not be negative',
        ],
        [
          {
            ...event,
            outputs: [{ namespace: 'n', name: 't', outputFacets: { outputStatistics: { rowCount: 1.5 } } }],
          },
          'outputStatistics.rowCount must be an integer',
        ],
      ];
      for (const [bad, field] of cases) {
        const r = await post(u, bad);
        expect(r.status, field).toBe(400);
        expect(JSON.stringify(r.body.errors), field).toContain(field);
      }
      expect(s.ingested).toHaveLength(2);
    } finally {
      await s.close();
    }
  });
});
