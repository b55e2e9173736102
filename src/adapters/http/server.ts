import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import type { Logger } from 'pino';
import type { Role, TokenEntry } from '../../config/tokens.js';
import {
  formatIssues,
  validateReport,
  type LineageDeclaration,
  type Report,
  type RunProgress,
} from '../../contract/index.js';
import { RootlineError, errorMessage } from '../../errors/index.js';
import type { Registry } from '../../service/metrics.js';
import type { Counter } from '../../service/metrics.js';
import { redactText } from '../../redact.js';
import { isOpenLineageEvent, type OpenLineageConverter } from '../decode/decode.js';
import { ALL_PIPELINES, TokenStore, hasRole, pipelineAccess, type PipelineAccess, type Principal } from './auth.js';
import type { SlackRequestVerifier } from './slack-verify.js';

/** What a person may do to an incident through the API (`POST /api/v1/incidents/<id>/<action>`). */
export const INCIDENT_ACTION_PATHS = ['ack', 'snooze', 'accept', 'resolve', 'reopen'] as const;

/** `POST /api/v1/incidents/<id>/<action>`: the id and action, or undefined for another path. */
export function incidentActionPath(
  pathname: string,
): { id: string; action: (typeof INCIDENT_ACTION_PATHS)[number] } | undefined {
  const m = /^\/api\/v1\/incidents\/([^/]+)\/([a-z]+)$/.exec(pathname);
  if (!m || !(INCIDENT_ACTION_PATHS as readonly string[]).includes(m[2]!)) return undefined;
  return { id: decodeURIComponent(m[1]!), action: m[2] as (typeof INCIDENT_ACTION_PATHS)[number] };
}

/**
 * A person's action on an incident from the API: answers [status, body] (202 once the command is on
 * its way through Kafka; 404, 409 when it cannot apply; FORBIDDEN outside the token's scope).
 */
export type IncidentActHandler = (
  request: { id: string; action: (typeof INCIDENT_ACTION_PATHS)[number]; body: unknown },
  access: PipelineAccess,
  principal: Principal | undefined,
) => Promise<[number, unknown]>;

/** Slack interactivity: the request verifier and what to do with a verified interaction payload. */
export interface SlackInteractivity {
  verifier: SlackRequestVerifier;
  /** Handles a verified payload; `requestId` identifies the request (replays of it carry the same). */
  interact(payload: unknown, requestId: string): Promise<void>;
}

/** Default of {@link HttpServerOptions.requestTimeoutMs}. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Default of {@link HttpServerOptions.headersTimeoutMs}. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** Default of {@link HttpServerOptions.maxConnections}. */
export const DEFAULT_MAX_CONNECTIONS = 256;

/** True when every `%` in the request target starts a valid UTF-8 escape. */
function wellEscaped(target: string): boolean {
  try {
    decodeURIComponent(target);
    return true;
  } catch {
    return false;
  }
}

/** Where accepted reports go: the reports topic (Kafka mode) or the core directly (embedded). */
export interface Ingest {
  ingest(reports: Report[], source: 'http' | 'openlineage'): Promise<void>;
  /**
   * An OpenLineage START or RUNNING event, DatasetEvent or JobEvent (`routed`: what the monitor makes of it): to
   * the reports topic as the event itself, keyed by `routed.pipeline` (Kafka mode), or to the core. Without it
   * such events are answered 201 and dropped.
   */
  progress?(event: Record<string, unknown>, routed: RunProgress | LineageDeclaration): Promise<void>;
}

export interface HealthStatus {
  ok: boolean;
  details: Record<string, unknown>;
}

/**
 * Read-only queries the API answers (lineage, incidents); each returns a JSON-able value or throws
 * NOT_FOUND, or FORBIDDEN for a pipeline outside `access`.
 */
export type QueryHandler = (path: string, params: URLSearchParams, access: PipelineAccess) => Promise<unknown>;

export interface HttpServerOptions {
  host: string;
  port: number;
  /** API tokens (hashed) with roles and pipeline scopes; with none (and no `token`), access control is off. */
  tokens?: readonly TokenEntry[] | undefined;
  /** `http.token`: one plain-text token with the admin role (compatibility). */
  token?: string | undefined;
  maxBodyBytes: number;
  /**
   * Largest report accepted, serialized (the Kafka message limit, less room for the key, headers and
   * batch framing): a bigger one is refused with 413 here rather than by the broker. Default: no limit.
   */
  maxReportBytes?: number | undefined;
  /** Longest a client may take to send a whole request; then 408. Default 30000. */
  requestTimeoutMs?: number | undefined;
  /** Longest a client may take to send the headers (at most requestTimeoutMs). Default 10000. */
  headersTimeoutMs?: number | undefined;
  /** Connections served at once; further ones are closed at once. Default 256. */
  maxConnections?: number | undefined;
  ingest: Ingest;
  openLineage?: OpenLineageConverter | undefined;
  health: () => Promise<HealthStatus>;
  metrics: Registry;
  requests: Counter;
  /** Ingest bodies read, by `encoding` (identity, gzip, deflate). */
  bodies?: Counter | undefined;
  queries?: QueryHandler | undefined;
  /** People's actions on incidents (`operate` role); without it those endpoints are 404. */
  act?: IncidentActHandler | undefined;
  /** Slack's interactivity request URL, `POST /slack/interactions`; without it 404. */
  slack?: SlackInteractivity | undefined;
  logger: Logger;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json; charset=utf-8',
): void {
  if (res.destroyed || res.writableEnded) return;
  const text = redactText(typeof body === 'string' ? body : JSON.stringify(body));
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

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/**
 * The body as text: read up to `max` bytes, then decoded per `Content-Encoding` (`gzip`, as the
 * OpenLineage Python and Java clients send with `compression: gzip`, or `deflate`), the decoded size
 * capped at `max` too: a small body that inflates past it (a gzip bomb) is a 413, never a 500.
 */
async function readBody(req: IncomingMessage, max: number, bodies?: Counter): Promise<string> {
  const encoding = String(req.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  if (
    encoding !== 'identity' &&
    encoding !== '' &&
    encoding !== 'gzip' &&
    encoding !== 'x-gzip' &&
    encoding !== 'deflate'
  )
    throw new HttpProblem(415, `Content-Encoding ${JSON.stringify(encoding)} is not supported (gzip, deflate or none)`);
  const raw = await readRaw(req, max);
  bodies?.inc({ encoding: encoding === '' ? 'identity' : encoding === 'x-gzip' ? 'gzip' : encoding });
  if (encoding === 'identity' || encoding === '') return utf8Text(raw);
  let decoded: Buffer;
  try {
    decoded = await (encoding === 'deflate' ? inflateAsync : gunzipAsync)(raw, { maxOutputLength: max });
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new HttpProblem(413, `the ${encoding} body inflates to more than the ${max} bytes allowed`);
    throw new HttpProblem(400, `the body is not valid ${encoding}: ${errorMessage(err)}`);
  }
  return utf8Text(decoded);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The body's text, as `parseReport` reads a Kafka message: bytes that are not UTF-8 are a 400 (never replaced by
 * U+FFFD, which would store a name the emitter never sent), a leading byte order mark is dropped.
 */
function utf8Text(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new HttpProblem(400, 'the body is not valid UTF-8');
  }
}

/**
 * A 415 unless the body is declared JSON: `application/json`, `*\/*+json`, `text/json`, `text/plain` (what
 * `fetch` and simple clients send for a string) or no Content-Type at all. A form (`curl -d`) or XML body is
 * refused naming the type expected, rather than read as JSON by accident.
 */
function checkContentType(req: IncomingMessage): void {
  const raw = req.headers['content-type'];
  if (raw === undefined || raw.trim() === '') return;
  const type = raw.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json') || type === 'text/json' || type === 'text/plain') return;
  throw new HttpProblem(415, `Content-Type ${JSON.stringify(type)} is not supported: send application/json`);
}

/** Answers of the HTTP parser's own refusals (sent before any handler runs), each with a reason. */
const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'the request was not received in time (http.requestTimeoutMs)'],
  HPE_HEADER_OVERFLOW: [
    431,
    'Request Header Fields Too Large',
    'the request headers are larger than the server accepts (16 KiB)',
  ],
  HPE_HEADERS_TIMEOUT: [
    408,
    'Request Timeout',
    'the request headers were not received in time (http.headersTimeoutMs)',
  ],
};

/**
 * The answer to a request the HTTP parser refused (malformed, headers too large, too slow): its status and a
 * JSON reason, as every other refusal has; Node's default writes the status line only.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, text, reason] = CLIENT_ERRORS[err.code ?? ''] ?? [
    400,
    'Bad Request',
    `the request is not valid HTTP/1.1 (${err.code ?? 'parse error'})`,
  ];
  const body = JSON.stringify({ error: reason });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function readRaw(req: IncomingMessage, max: number): Promise<Buffer> {
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
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
    // Cut off by the request timeout (or the client gone): nothing will come.
    req.on('close', () => {
      if (!req.complete) reject(new HttpProblem(408, 'the request body was not received in time'));
    });
  });
}

const ROUTES = new Set([
  '/healthz',
  '/livez',
  '/metrics',
  '/api/v1/reports',
  '/api/v1/lineage',
  '/api/v1/pipelines',
  '/api/v1/incidents',
  '/slack/interactions',
]);

/**
 * The `route` label of the request counter: a known route, a family (`/api/v1/lineage/*`,
 * `/api/v1/incidents/*`), or `other`. Never the raw path: ids and scanners' paths would make a new
 * series each.
 */
export function routeLabel(pathname: string): string {
  if (ROUTES.has(pathname)) return pathname;
  if (pathname.startsWith('/api/v1/lineage/')) return '/api/v1/lineage/*';
  const act = pathname.startsWith('/api/v1/incidents/') ? incidentActionPath(pathname) : undefined;
  if (act) return `/api/v1/incidents/*/${act.action}`;
  if (pathname.startsWith('/api/v1/incidents/')) return '/api/v1/incidents/*';
  return 'other';
}

/**
 * The role an endpoint needs: `public` for the health probes, `any` (a valid token of any role) for a
 * path that is no endpoint, so that unauthenticated callers cannot tell which paths exist.
 */
export function requiredRole(method: string, pathname: string): Role | 'public' | 'any' {
  if (method === 'GET' && (pathname === '/healthz' || pathname === '/livez')) return 'public';
  if (method === 'GET' && pathname === '/metrics') return 'read';
  // Slack signs its requests (the signing secret) and sends no bearer token.
  if (method === 'POST' && pathname === '/slack/interactions') return 'public';
  if (method === 'POST' && (pathname === '/api/v1/reports' || pathname === '/api/v1/lineage')) return 'ingest';
  if (method === 'POST' && incidentActionPath(pathname)) return 'operate';
  if (method === 'GET' && pathname.startsWith('/api/v1/')) return 'read';
  return 'any';
}

const REALM = 'Bearer realm="rootline"';

/**
 * The monitor's HTTP API:
 *   POST /api/v1/reports   a report, a JSON array of reports, or {"reports": [...]}; 202 with what was accepted
 *   POST /api/v1/lineage   an OpenLineage RunEvent (Marquez-compatible path); 201
 *   GET  /healthz          200 when the monitor can do its work, 503 otherwise (no token needed)
 *   GET  /livez            200 while the process serves requests (no token needed)
 *   GET  /metrics          Prometheus metrics
 * With tokens configured, every other request needs `Authorization: Bearer <token>` with the role the
 * endpoint needs (requiredRole) and, for a pipeline, a scope that covers it: 401 without a valid
 * token, 403 with a valid one that may not do this.
 *   GET  /api/v1/...       lineage and incident queries (see docs/api.md)
 */
export function startHttpServer(
  o: HttpServerOptions,
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const log = o.logger.child({ component: 'http' });
  const tokens = new TokenStore(o.tokens ?? [], o.token);
  const requestTimeout = o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const options = {
    requestTimeout,
    headersTimeout: Math.min(requestTimeout, o.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS),
    // Node checks the two timeouts on this period (30 s by default, longer than a short timeout).
    connectionsCheckingInterval: Math.max(100, Math.min(5000, Math.floor(requestTimeout / 4))),
  };
  const server = createServer(options, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = `${req.method} ${url.pathname}`;
    const done = (status: number, body: unknown, type?: string) => {
      o.requests.inc({ route: routeLabel(url.pathname), status: String(status) });
      send(res, status, body, type);
    };
    const deny = (status: 401 | 403, error: string, challenge: string) => {
      // The body is not read: drain it so the client reads the answer rather than a reset.
      req.resume();
      res.setHeader('www-authenticate', challenge);
      done(status, { error });
    };
    void (async () => {
      try {
        if (!wellEscaped(req.url ?? '/'))
          return done(400, { error: 'the request path or query has a malformed % escape' });
        const need = requiredRole(req.method ?? '', url.pathname);
        let principal: Principal | undefined;
        if (need !== 'public') {
          const a = tokens.authenticate(req.headers.authorization);
          if (a.kind === 'missing')
            return deny(401, 'a bearer token is required (Authorization: Bearer <token>)', REALM);
          if (a.kind === 'invalid')
            return deny(401, 'the bearer token is not valid', `${REALM}, error="invalid_token"`);
          if (a.kind === 'ok') {
            principal = a.principal;
            if (need !== 'any' && !hasRole(principal, need)) {
              log.info({ principal: principal.name, route: routeLabel(url.pathname), need }, 'request refused: role');
              return deny(
                403,
                `the token ${principal.name} does not have the ${need} role`,
                `${REALM}, error="insufficient_scope"`,
              );
            }
          }
        }
        const access = pipelineAccess(principal);
        if (route === 'GET /healthz') {
          const h = await o.health();
          return done(h.ok ? 200 : 503, { status: h.ok ? 'ok' : 'unavailable', ...h.details });
        }
        if (route === 'GET /livez') return done(200, { status: 'ok' });
        if (route === 'GET /metrics') return done(200, o.metrics.render(), 'text/plain; version=0.0.4');
        if (req.method === 'POST' && (url.pathname === '/api/v1/reports' || url.pathname === '/api/v1/lineage')) {
          checkContentType(req);
          const text = await readBody(req, o.maxBodyBytes, o.bodies);
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch (err: unknown) {
            return done(400, { error: `the body is not JSON: ${errorMessage(err)}` });
          }
          if (url.pathname === '/api/v1/reports') return done(...(await postReports(body, access, principal)));
          return done(...(await postLineage(body, access, principal)));
        }
        if (route === 'POST /slack/interactions' && o.slack) {
          const [status, body] = await slackInteraction(req, o.slack);
          if (status === 401) res.setHeader('www-authenticate', 'Slack-Signature');
          return status === 200 ? done(200, '', 'text/plain; charset=utf-8') : done(status, body);
        }
        const act = req.method === 'POST' ? incidentActionPath(url.pathname) : undefined;
        if (act && o.act) {
          const text = await readBody(req, o.maxBodyBytes, o.bodies);
          let body: unknown = {};
          try {
            if (text.trim() !== '') body = JSON.parse(text);
          } catch (err: unknown) {
            return done(400, { error: `the body is not JSON: ${errorMessage(err)}` });
          }
          return done(...(await o.act({ ...act, body }, access, principal)));
        }
        if (req.method === 'GET' && url.pathname.startsWith('/api/v1/') && o.queries) {
          return done(200, await o.queries(url.pathname.slice('/api/v1/'.length), url.searchParams, access));
        }
        return done(404, { error: `no route ${route}` });
      } catch (err: unknown) {
        if (err instanceof HttpProblem) {
          // Refused before (or while) reading the body: drain the rest so the client reads the answer.
          req.resume();
          return done(err.status, err.body ?? { error: err.message });
        }
        if (err instanceof URIError) return done(400, { error: `malformed escape: ${err.message}` });
        if (err instanceof RootlineError && err.code === 'MESSAGE_TOO_LARGE') return done(413, { error: err.message });
        if (err instanceof RootlineError && err.code === 'NOT_FOUND') return done(404, { error: err.message });
        if (err instanceof RootlineError && err.code === 'FORBIDDEN') {
          res.setHeader('www-authenticate', `${REALM}, error="insufficient_scope"`);
          return done(403, { error: err.message });
        }
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

  /**
   * Slack's interactivity request: verified (signature, timestamp, replay) on the raw body before
   * anything is parsed; a refused one is a 401 and is logged without its headers.
   */
  async function slackInteraction(req: IncomingMessage, slack: SlackInteractivity): Promise<[number, unknown]> {
    const raw = await readRaw(req, o.maxBodyBytes);
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const verdict = slack.verifier.verify(header('x-slack-request-timestamp'), header('x-slack-signature'), raw);
    if (!verdict.ok) {
      log.warn({ reason: verdict.reason }, 'Slack request refused');
      return [401, { error: `the Slack request is refused (${verdict.reason})` }];
    }
    const payload = new URLSearchParams(raw.toString('utf8')).get('payload');
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload ?? '');
    } catch {
      return [400, { error: 'the request carries no JSON payload' }];
    }
    await slack.interact(parsed, verdict.id);
    return [200, ''];
  }

  /** FORBIDDEN (403) when a report names a pipeline outside the token's scope: nothing of the request is ingested. */
  function checkScope(reports: { pipeline: string }[], access: PipelineAccess, principal: Principal | undefined): void {
    if (access === ALL_PIPELINES) return;
    const outside = [...new Set(reports.map((r) => r.pipeline).filter((p) => !access.allows(p)))];
    if (outside.length === 0) return;
    log.info({ principal: principal?.name, pipelines: outside.length }, 'request refused: pipeline scope');
    throw new RootlineError(
      'FORBIDDEN',
      `the token ${principal?.name ?? ''} may not write pipeline ${outside.join(', ')} (scope ${principal?.pipelines?.join(', ') ?? ''}); nothing was accepted`,
    );
  }

  async function postReports(
    body: unknown,
    access: PipelineAccess,
    principal: Principal | undefined,
  ): Promise<[number, unknown]> {
    const items = Array.isArray(body)
      ? body
      : typeof body === 'object' && body !== null && Array.isArray((body as { reports?: unknown }).reports)
        ? (body as { reports: unknown[] }).reports
        : [body];
    if (items.length === 0) return [400, { error: 'no reports in the body' }];
    const accepted: Report[] = [];
    const rejected: { index: number; event_id?: unknown; errors: { path: string; message: string }[] }[] = [];
    let tooBig = 0;
    items.forEach((item, index) => {
      if (isOpenLineageEvent(item)) {
        rejected.push({
          index,
          errors: [{ path: '', message: 'is an OpenLineage event: POST it to /api/v1/lineage' }],
        });
        return;
      }
      const v = validateReport(item, { unknownKeys: 'allow' });
      const event_id = (item as { event_id?: unknown } | null)?.event_id;
      if (!v.ok) rejected.push({ index, event_id, errors: v.errors });
      else if (tooLarge(v.report)) {
        tooBig += 1;
        rejected.push({ index, event_id, errors: [{ path: '', message: tooLarge(v.report)! }] });
      } else accepted.push(v.report);
    });
    checkScope(accepted, access, principal);
    if (accepted.length > 0) await o.ingest.ingest(accepted, 'http');
    if (rejected.length > 0)
      log.warn({ rejected: rejected.length, first: formatIssues(rejected[0]!.errors, 3) }, 'rejected reports');
    const status = accepted.length > 0 ? 202 : tooBig === rejected.length ? 413 : 400;
    return [status, { accepted: accepted.length, rejected }];
  }

  /** Why the report cannot go to Kafka whole, or undefined when it can. */
  function tooLarge(r: Report): string | undefined {
    if (o.maxReportBytes === undefined) return undefined;
    const bytes = Buffer.byteLength(JSON.stringify(r), 'utf8');
    return bytes > o.maxReportBytes
      ? `the report is ${bytes} bytes, more than the ${o.maxReportBytes} a Kafka message may carry`
      : undefined;
  }

  async function postLineage(
    body: unknown,
    access: PipelineAccess,
    principal: Principal | undefined,
  ): Promise<[number, unknown]> {
    if (!o.openLineage) return [404, { error: 'OpenLineage ingest is not enabled' }];
    if (!isOpenLineageEvent(body))
      return [400, { error: 'the body is not an OpenLineage RunEvent (job, run and eventType are required)' }];
    const res = o.openLineage(body);
    if ('errors' in res) return [400, { error: 'invalid OpenLineage event', errors: res.errors }];
    const reports: Report[] = [];
    const problems: string[] = [];
    const big: string[] = [];
    for (const r of res.reports) {
      const v = validateReport(r, { unknownKeys: 'allow' });
      if (!v.ok) problems.push(formatIssues(v.errors));
      else if (tooLarge(v.report)) big.push(tooLarge(v.report)!);
      else reports.push(v.report);
    }
    if (problems.length > 0) return [400, { error: 'the converted report is invalid', errors: problems }];
    if (big.length > 0) return [413, { error: 'the converted report is too large', errors: big }];
    const routed = res.progress ?? res.lineage;
    if (routed !== undefined && o.ingest.progress !== undefined) {
      checkScope([routed], access, principal);
      const bytes = Buffer.byteLength(JSON.stringify(body), 'utf8');
      if (o.maxReportBytes !== undefined && bytes > o.maxReportBytes)
        return [
          413,
          {
            error: 'the event is too large',
            errors: [`the event is ${bytes} bytes, more than the ${o.maxReportBytes} a Kafka message may carry`],
          },
        ];
      await o.ingest.progress(body, routed);
      return [
        201,
        res.progress !== undefined
          ? { accepted: 0, progress: res.progress.phase }
          : { accepted: 0, lineage: res.lineage!.kind === 'job' ? 'JobEvent' : 'DatasetEvent' },
      ];
    }
    checkScope(reports, access, principal);
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
    server.on('clientError', answerClientError);
    server.maxConnections = o.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    server.listen(o.port, o.host, () => {
      const addr = server.address() as AddressInfo;
      const url = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
      resolve({ server, url, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
