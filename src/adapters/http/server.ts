import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { formatIssues, validateReport, type Report } from '../../contract/index.js';
import { RootlineError, errorMessage } from '../../errors/index.js';
import type { Registry } from '../../service/metrics.js';
import type { Counter } from '../../service/metrics.js';
import { isOpenLineageEvent, type OpenLineageConverter } from '../decode/decode.js';

/** Where accepted reports go: the reports topic (Kafka mode) or the core directly (embedded). */
export interface Ingest {
  ingest(reports: Report[], source: 'http' | 'openlineage'): Promise<void>;
}

export interface HealthStatus {
  ok: boolean;
  details: Record<string, unknown>;
}

/** Read-only queries the API answers (lineage, incidents); each returns a JSON-able value or throws NOT_FOUND. */
export type QueryHandler = (path: string, params: URLSearchParams) => Promise<unknown>;

export interface HttpServerOptions {
  host: string;
  port: number;
  /** Required as `Authorization: Bearer <token>` on POST endpoints when set. */
  token?: string | undefined;
  maxBodyBytes: number;
  ingest: Ingest;
  openLineage?: OpenLineageConverter | undefined;
  health: () => Promise<HealthStatus>;
  metrics: Registry;
  requests: Counter;
  queries?: QueryHandler | undefined;
  logger: Logger;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json; charset=utf-8',
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(text);
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > max)
    return Promise.reject(new HttpProblem(413, `the body is ${declared} bytes, more than the ${max} allowed`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    // Past the limit the rest is read and dropped, not the socket destroyed: the client (still sending)
    // then reads the 413 instead of a connection reset. The server's requestTimeout bounds the drain.
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        reject(new HttpProblem(413, `the body is more than the ${max} bytes allowed`));
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

const ROUTES = new Set([
  '/healthz',
  '/metrics',
  '/api/v1/reports',
  '/api/v1/lineage',
  '/api/v1/pipelines',
  '/api/v1/incidents',
]);

/**
 * The `route` label of the request counter: a known route, a family (`/api/v1/lineage/*`,
 * `/api/v1/incidents/*`), or `other`. Never the raw path: ids and scanners' paths would make a new
 * series each.
 */
export function routeLabel(pathname: string): string {
  if (ROUTES.has(pathname)) return pathname;
  if (pathname.startsWith('/api/v1/lineage/')) return '/api/v1/lineage/*';
  if (pathname.startsWith('/api/v1/incidents/')) return '/api/v1/incidents/*';
  return 'other';
}

function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) return true;
  const h = req.headers.authorization ?? '';
  const given = Buffer.from(h.startsWith('Bearer ') ? h.slice(7) : '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/**
 * The monitor's HTTP API:
 *   POST /api/v1/reports   a report, a JSON array of reports, or {"reports": [...]}; 202 with what was accepted
 *   POST /api/v1/lineage   an OpenLineage RunEvent (Marquez-compatible path); 201
 *   GET  /healthz          200 when the monitor can do its work, 503 otherwise
 *   GET  /metrics          Prometheus metrics
 *   GET  /api/v1/...       lineage and incident queries (see docs/api.md)
 */
export function startHttpServer(
  o: HttpServerOptions,
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const log = o.logger.child({ component: 'http' });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = `${req.method} ${url.pathname}`;
    const done = (status: number, body: unknown, type?: string) => {
      o.requests.inc({ route: routeLabel(url.pathname), status: String(status) });
      send(res, status, body, type);
    };
    void (async () => {
      try {
        if (route === 'GET /healthz') {
          const h = await o.health();
          return done(h.ok ? 200 : 503, { status: h.ok ? 'ok' : 'unavailable', ...h.details });
        }
        if (route === 'GET /metrics') return done(200, o.metrics.render(), 'text/plain; version=0.0.4');
        if (req.method === 'POST' && (url.pathname === '/api/v1/reports' || url.pathname === '/api/v1/lineage')) {
          if (!authorized(req, o.token))
            return done(401, { error: 'a valid bearer token is required (Authorization: Bearer <token>)' });
          const text = await readBody(req, o.maxBodyBytes);
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch (err: unknown) {
            return done(400, { error: `the body is not JSON: ${errorMessage(err)}` });
          }
          if (url.pathname === '/api/v1/reports') return done(...(await postReports(body)));
          return done(...(await postLineage(body)));
        }
        if (req.method === 'GET' && url.pathname.startsWith('/api/v1/') && o.queries) {
          return done(200, await o.queries(url.pathname.slice('/api/v1/'.length), url.searchParams));
        }
        return done(404, { error: `no route ${route}` });
      } catch (err: unknown) {
        if (err instanceof HttpProblem) return done(err.status, err.body ?? { error: err.message });
        if (err instanceof RootlineError && err.code === 'NOT_FOUND') return done(404, { error: err.message });
        if (err instanceof RootlineError && (err.code === 'CONFIG_INVALID' || err.code === 'REPORT_INVALID'))
          return done(400, { error: err.message });
        if (err instanceof RootlineError && err.retriable) {
          log.warn({ err: err.message, route }, 'request failed (retriable)');
          res.setHeader('retry-after', '5');
          return done(503, { error: err.message, retriable: true });
        }
        log.error({ err, route }, 'request failed');
        return done(500, { error: errorMessage(err) });
      }
    })();
  });

  async function postReports(body: unknown): Promise<[number, unknown]> {
    const items = Array.isArray(body)
      ? body
      : typeof body === 'object' && body !== null && Array.isArray((body as { reports?: unknown }).reports)
        ? (body as { reports: unknown[] }).reports
        : [body];
    if (items.length === 0) return [400, { error: 'no reports in the body' }];
    const accepted: Report[] = [];
    const rejected: { index: number; event_id?: unknown; errors: { path: string; message: string }[] }[] = [];
    items.forEach((item, index) => {
      if (isOpenLineageEvent(item)) {
        rejected.push({
          index,
          errors: [{ path: '', message: 'is an OpenLineage event: POST it to /api/v1/lineage' }],
        });
        return;
      }
      const v = validateReport(item, { unknownKeys: 'allow' });
      if (v.ok) accepted.push(v.report);
      else rejected.push({ index, event_id: (item as { event_id?: unknown } | null)?.event_id, errors: v.errors });
    });
    if (accepted.length > 0) await o.ingest.ingest(accepted, 'http');
    if (rejected.length > 0)
      log.warn({ rejected: rejected.length, first: formatIssues(rejected[0]!.errors, 3) }, 'rejected reports');
    return [accepted.length > 0 ? 202 : 400, { accepted: accepted.length, rejected }];
  }

  async function postLineage(body: unknown): Promise<[number, unknown]> {
    if (!o.openLineage) return [404, { error: 'OpenLineage ingest is not enabled' }];
    if (!isOpenLineageEvent(body))
      return [400, { error: 'the body is not an OpenLineage RunEvent (job, run and eventType are required)' }];
    const res = o.openLineage(body);
    if ('errors' in res) return [400, { error: 'invalid OpenLineage event', errors: res.errors }];
    const reports: Report[] = [];
    const problems: string[] = [];
    for (const r of res.reports) {
      const v = validateReport(r, { unknownKeys: 'allow' });
      if (v.ok) reports.push(v.report);
      else problems.push(formatIssues(v.errors));
    }
    if (problems.length > 0) return [400, { error: 'the converted report is invalid', errors: problems }];
    if (reports.length > 0) await o.ingest.ingest(reports, 'openlineage');
    return [201, { accepted: reports.length, ...(res.ignored ? { ignored: res.ignored } : {}) }];
  }

  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new RootlineError(
              'PORT_IN_USE',
              `the HTTP port ${o.host}:${o.port} is already in use (http.port / ROOTLINE_HTTP_PORT)`,
              { cause: err },
            )
          : err,
      );
    });
    server.listen(o.port, o.host, () => {
      const addr = server.address() as AddressInfo;
      const url = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
      resolve({ server, url, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
