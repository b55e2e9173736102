import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenLineageConverter } from '../../../src/adapters/decode/decode.js';
import { TokenStore } from '../../../src/adapters/http/auth.js';
import { requiredRole, startHttpServer } from '../../../src/adapters/http/server.js';
import { hashToken, type TokenEntry } from '../../../src/config/tokens.js';
import type { Report } from '../../../src/contract/index.js';
import { MonitorCore, type IncidentCommand } from '../../../src/monitor/index.js';
import { loadRules } from '../../../src/rules/index.js';
import { apiQueries } from '../../../src/service/api.js';
import { incidentActions, slackInteractivity } from '../../../src/service/incident-commands.js';
import { slackSignature } from '../../../src/adapters/http/slack-verify.js';
import { createLogger } from '../../../src/service/log.js';
import { monitorMetrics } from '../../../src/service/metrics.js';
import { PipelineSim, makeDag } from '../../../src/sim/index.js';

const churn = new PipelineSim(makeDag('chain', 3, 'churn', 1), { seed: 1 });
const billing = new PipelineSim(makeDag('chain', 2, 'billing', 2), { seed: 2 });

/** The plain tokens the clients hold; the server is given only their hashes. */
const PLAIN = {
  admin: 'rl_admin-0123456789abcdef0123456789',
  operate: 'rl_operate-0123456789abcdef01234567',
  read: 'rl_read-0123456789abcdef0123456789ab',
  ingest: 'rl_ingest-0123456789abcdef012345678',
  readChurn: 'rl_readchurn-0123456789abcdef012345',
  readBilling: 'rl_readbilling-0123456789abcdef0123',
  ingestBilling: 'rl_ingestbilling-0123456789abcdef01',
  legacy: 'legacy-plain-http-token-value-42',
};
const ENTRIES: TokenEntry[] = [
  { name: 'admin', hash: hashToken(PLAIN.admin), roles: ['admin'] },
  { name: 'operate', hash: hashToken(PLAIN.operate), roles: ['operate'] },
  { name: 'read', hash: hashToken(PLAIN.read), roles: ['read'] },
  { name: 'ingest', hash: hashToken(PLAIN.ingest), roles: ['ingest'] },
  { name: 'read-churn', hash: hashToken(PLAIN.readChurn), roles: ['read'], pipelines: ['churn*'] },
  { name: 'read-billing', hash: hashToken(PLAIN.readBilling), roles: ['read'], pipelines: ['bill*', 'x'] },
  { name: 'ingest-billing', hash: hashToken(PLAIN.ingestBilling), roles: ['ingest'], pipelines: ['billing'] },
];

const CALLERS = [
  'none',
  'bad',
  'basic',
  'admin',
  'operate',
  'read',
  'ingest',
  'readChurn',
  'readBilling',
  'ingestBilling',
  'legacy',
] as const;
type Caller = (typeof CALLERS)[number];

function authHeader(c: Caller): Record<string, string> {
  if (c === 'none') return {};
  if (c === 'bad') return { authorization: 'Bearer rl_not-a-token-anyone-holds-000000' };
  if (c === 'basic') return { authorization: `Basic ${Buffer.from(`u:${PLAIN.admin}`).toString('base64')}` };
  return { authorization: `Bearer ${PLAIN[c]}` };
}

const core = new MonitorCore({ rules: loadRules('rules') });
// churn's first node reads billing's last output: lineage crosses from churn into billing.
const crossing = (r: number, faults: Parameters<PipelineSim['run']>[1] = []) => {
  const b = billing.run(r);
  const c = churn
    .run(r, faults)
    .map((x) => (x.node === 'n00' ? { ...x, inputs: [{ dataset: b[1]!.outputs![0]!.dataset }] } : x));
  return [...b, ...c];
};
for (let r = 0; r < 8; r++) core.processBatch(crossing(r));
core.processBatch(crossing(8, [{ node: 'n01', kind: 'null_spike' }]));
const incident = core.incidents()[0]!;
const dv = encodeURIComponent(churn.run(3)[1]!.data_version!);

const OL = (namespace: string) => ({
  eventType: 'COMPLETE',
  eventTime: '2026-11-01T00:00:00Z',
  producer: 'test',
  run: { runId: 'r' },
  job: { namespace, name: 'n00' },
  inputs: [],
  outputs: [],
});
const converter: OpenLineageConverter = (e) => {
  const job = e.job as { namespace: string };
  return { reports: [{ ...(job.namespace === 'churn' ? churn : billing).run(20)[0]!, pipeline: job.namespace }] };
};

interface Row {
  what: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** Expected status per caller, in the order of CALLERS. */
  expect: number[];
}

//              none bad basic admin operate read ingest readChurn readBilling ingestBilling legacy
const PUBLIC = [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200];
const READ_ANY = [401, 401, 401, 200, 200, 200, 403, 200, 200, 403, 200];
const READ_CHURN = [401, 401, 401, 200, 200, 200, 403, 200, 403, 403, 200];
const READ_BILLING = [401, 401, 401, 200, 200, 200, 403, 403, 200, 403, 200];
const OPERATE_CHURN = [401, 401, 401, 202, 202, 403, 403, 403, 403, 403, 202];

const TABLE: Row[] = [
  { what: 'health', method: 'GET', path: '/healthz', expect: PUBLIC },
  { what: 'liveness', method: 'GET', path: '/livez', expect: PUBLIC },
  { what: 'metrics', method: 'GET', path: '/metrics', expect: READ_ANY },
  { what: 'pipelines (filtered to the scope)', method: 'GET', path: '/api/v1/pipelines', expect: READ_ANY },
  { what: 'upstream', method: 'GET', path: '/api/v1/lineage/upstream?pipeline=churn&node=n02', expect: READ_CHURN },
  {
    what: 'downstream',
    method: 'GET',
    path: '/api/v1/lineage/downstream?pipeline=churn&node=n01',
    expect: READ_CHURN,
  },
  { what: 'graph', method: 'GET', path: '/api/v1/lineage/graph?pipeline=churn', expect: READ_CHURN },
  { what: 'runs', method: 'GET', path: `/api/v1/lineage/runs?pipeline=churn&data_version=${dv}`, expect: READ_CHURN },
  { what: 'nodes', method: 'GET', path: '/api/v1/nodes?pipeline=churn', expect: READ_CHURN },
  { what: 'graph of billing', method: 'GET', path: '/api/v1/lineage/graph?pipeline=billing', expect: READ_BILLING },
  { what: 'nodes of billing', method: 'GET', path: '/api/v1/nodes?pipeline=billing', expect: READ_BILLING },
  {
    what: 'a pipeline that does not exist: 403 out of scope, 404 in scope',
    method: 'GET',
    path: '/api/v1/nodes?pipeline=xyz',
    expect: [401, 401, 401, 404, 404, 404, 403, 403, 403, 403, 404],
  },
  { what: 'incidents (filtered to the scope)', method: 'GET', path: '/api/v1/incidents', expect: READ_ANY },
  { what: 'incidents of churn', method: 'GET', path: '/api/v1/incidents?pipeline=churn', expect: READ_CHURN },
  {
    what: 'an incident by id (out of scope: 404, its existence not revealed)',
    method: 'GET',
    path: `/api/v1/incidents/${incident.incident_id}`,
    expect: [401, 401, 401, 200, 200, 200, 403, 200, 404, 403, 200],
  },
  {
    what: 'POST reports of churn',
    method: 'POST',
    path: '/api/v1/reports',
    body: [churn.run(20)[0]],
    expect: [401, 401, 401, 202, 403, 403, 202, 403, 403, 403, 202],
  },
  {
    what: 'POST reports of billing',
    method: 'POST',
    path: '/api/v1/reports',
    body: [billing.run(20)[0]],
    expect: [401, 401, 401, 202, 403, 403, 202, 403, 403, 202, 202],
  },
  {
    what: 'POST reports of both: all or nothing for a scoped token',
    method: 'POST',
    path: '/api/v1/reports',
    body: [billing.run(21)[0], churn.run(21)[0]],
    expect: [401, 401, 401, 202, 403, 403, 202, 403, 403, 403, 202],
  },
  {
    what: 'POST an OpenLineage event of churn',
    method: 'POST',
    path: '/api/v1/lineage',
    body: OL('churn'),
    expect: [401, 401, 401, 201, 403, 403, 201, 403, 403, 403, 201],
  },
  {
    what: 'POST an OpenLineage event of billing',
    method: 'POST',
    path: '/api/v1/lineage',
    body: OL('billing'),
    expect: [401, 401, 401, 201, 403, 403, 201, 403, 403, 201, 201],
  },
  {
    what: 'acknowledge an incident of churn (operate; out of scope: 404)',
    method: 'POST',
    path: `/api/v1/incidents/${incident.incident_id}/ack`,
    body: { why: 'on it' },
    expect: OPERATE_CHURN,
  },
  {
    what: 'snooze an incident of churn for 2h',
    method: 'POST',
    path: `/api/v1/incidents/${incident.incident_id}/snooze`,
    body: { for: '2h' },
    expect: OPERATE_CHURN,
  },
  {
    what: 'accept the change of an incident of churn',
    method: 'POST',
    path: `/api/v1/incidents/${incident.incident_id}/accept`,
    body: { why: 'intended' },
    expect: OPERATE_CHURN,
  },
  {
    what: 'resolve an incident of churn',
    method: 'POST',
    path: `/api/v1/incidents/${incident.incident_id}/resolve`,
    expect: OPERATE_CHURN,
  },
  {
    what: 'reopen an open incident: 409 once allowed',
    method: 'POST',
    path: `/api/v1/incidents/${incident.incident_id}/reopen`,
    expect: [401, 401, 401, 409, 409, 403, 403, 403, 403, 403, 409],
  },
  {
    what: 'acknowledge an incident no instance holds: 404 once allowed',
    method: 'POST',
    path: '/api/v1/incidents/inc-000000000000/ack',
    expect: [401, 401, 401, 404, 404, 403, 403, 403, 403, 403, 404],
  },
  {
    what: "an incident's audit log (read; out of scope: 404)",
    method: 'GET',
    path: `/api/v1/incidents/${incident.incident_id}/audit`,
    expect: [401, 401, 401, 200, 200, 200, 403, 200, 404, 403, 200],
  },
  {
    what: 'a path that is no endpoint (404 only once authenticated)',
    method: 'GET',
    path: '/api/v2/anything',
    expect: [401, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404],
  },
  {
    what: 'GET on a POST endpoint',
    method: 'GET',
    path: '/api/v1/reports',
    expect: [401, 401, 401, 404, 404, 404, 403, 404, 404, 403, 404],
  },
  {
    what: 'POST on a GET endpoint',
    method: 'POST',
    path: '/metrics',
    body: {},
    expect: [401, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404],
  },
];

let logText = '';
const logSink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    logText += chunk.toString('utf8');
    cb();
  },
});
const ingested: { reports: Report[]; source: string }[] = [];
/** Incident commands the API and the Slack endpoint sent on (to Kafka, in the monitor). */
const sent: IncidentCommand[] = [];
const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const metrics = monitorMetrics();
let url = '';
let close: () => Promise<void> = () => Promise.resolve();

beforeAll(async () => {
  const s = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    tokens: ENTRIES,
    token: PLAIN.legacy,
    maxBodyBytes: 1_000_000,
    ingest: {
      ingest: (reports, source) => {
        ingested.push({ reports, source });
        return Promise.resolve();
      },
    },
    openLineage: converter,
    health: () => Promise.resolve({ ok: true, details: { kafka: 'ok' } }),
    metrics: metrics.registry,
    requests: metrics.httpRequests,
    queries: apiQueries(core),
    act: incidentActions(core, (cmd) => {
      sent.push(cmd);
      return Promise.resolve();
    }),
    slack: slackInteractivity({
      signingSecret: SIGNING_SECRET,
      snoozeMs: 3_600_000,
      send: (cmd) => {
        sent.push(cmd);
        return Promise.resolve();
      },
      logger: createLogger('trace', logSink),
    }),
    logger: createLogger('trace', logSink),
  });
  url = s.url;
  close = s.close;
});
afterAll(() => close());

async function call(c: Caller, row: Row): Promise<Response> {
  return fetch(`${url}${row.path}`, {
    method: row.method,
    headers: { ...authHeader(c), ...(row.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(row.body !== undefined ? { body: JSON.stringify(row.body) } : {}),
  });
}

describe('access control: every endpoint x every caller', () => {
  it('the table covers every caller in every row', () => {
    for (const row of TABLE) expect(row.expect, row.what).toHaveLength(CALLERS.length);
  });

  for (const row of TABLE) {
    it(`${row.method} ${row.what}`, async () => {
      const got: Record<string, number> = {};
      const want: Record<string, number> = {};
      for (const [i, c] of CALLERS.entries()) {
        const before = ingested.length;
        const res = await call(c, row);
        got[c] = res.status;
        want[c] = row.expect[i]!;
        const challenge = res.headers.get('www-authenticate');
        if (res.status === 401) {
          expect(challenge, `${c}: 401 carries a Bearer challenge`).toMatch(/^Bearer realm="rootline"/);
          if (c === 'bad' || c === 'basic') expect(challenge).toContain('error="invalid_token"');
          else expect(challenge).not.toContain('error=');
        } else if (res.status === 403) expect(challenge).toContain('error="insufficient_scope"');
        else expect(challenge, `${c}: no challenge on ${res.status}`).toBeNull();
        // A refused write ingests nothing.
        if (res.status === 401 || res.status === 403) expect(ingested.length, c).toBe(before);
        await res.arrayBuffer();
      }
      expect(got).toEqual(want);
    });
  }

  it('lists are filtered to the scope', async () => {
    const list = async (c: Caller, path: string) =>
      (await (await fetch(`${url}/api/v1/${path}`, { headers: authHeader(c) })).json()) as Record<string, unknown>;
    expect((await list('read', 'pipelines')).pipelines).toEqual(['billing', 'churn']);
    expect((await list('readChurn', 'pipelines')).pipelines).toEqual(['churn']);
    expect((await list('readBilling', 'pipelines')).pipelines).toEqual(['billing']);
    const ids = (r: Record<string, unknown>) => (r.incidents as { incident_id: string }[]).map((i) => i.incident_id);
    expect(ids(await list('readChurn', 'incidents'))).toEqual([incident.incident_id]);
    expect(ids(await list('readBilling', 'incidents'))).toEqual([]);
    expect(ids(await list('operate', 'incidents'))).toEqual([incident.incident_id]);
  });

  it("a lineage walk into a pipeline outside the scope shows none of that pipeline's versions, runs or findings", async () => {
    type Up = { nodes: { pipeline: string; node: string; versions: unknown; run: unknown; health: string }[] };
    const up = async (c: Caller) =>
      (await (
        await fetch(`${url}/api/v1/lineage/upstream?pipeline=churn&node=n02`, { headers: authHeader(c) })
      ).json()) as Up;
    const full = await up('read');
    expect(full.nodes.map((n) => `${n.pipeline}/${n.node}:${n.health}`)).toEqual([
      'churn/n02:unhealthy',
      'churn/n01:unhealthy',
      'churn/n00:healthy',
      'billing/n01:healthy',
      'billing/n00:healthy',
    ]);
    const scoped = await up('readChurn');
    expect(scoped.nodes.map((n) => `${n.pipeline}/${n.node}:${n.health}`)).toEqual([
      'churn/n02:unhealthy',
      'churn/n01:unhealthy',
      'churn/n00:healthy',
      'billing/n01:unknown',
    ]);
    expect(scoped.nodes[3]).toMatchObject({ versions: null, run: null });
  });

  it('an action sends one command naming the token, its why and the snooze', async () => {
    const before = sent.length;
    const r = await fetch(`${url}/api/v1/incidents/${incident.incident_id}/snooze`, {
      method: 'POST',
      headers: authHeader('operate'),
      body: JSON.stringify({ for: '90m', why: 'deploy window', source: 'cli', as: 'alice' }),
    });
    expect(r.status).toBe(202);
    const body = (await r.json()) as { command_id: string; snoozed_until: string };
    expect(sent.slice(before)).toEqual([
      expect.objectContaining({
        command_id: body.command_id,
        pipeline: 'churn',
        incident_id: incident.incident_id,
        action: 'snooze',
        who: 'alice (token operate)',
        source: 'cli',
        why: 'deploy window',
        snooze_ms: 90 * 60_000,
      }),
    ]);
    const bad = await fetch(`${url}/api/v1/incidents/${incident.incident_id}/snooze`, {
      method: 'POST',
      headers: authHeader('operate'),
      body: JSON.stringify({ for: '60d' }),
    });
    expect(bad.status).toBe(400);
    expect(sent.length).toBe(before + 1);
  });

  it("the audit log answers the incident's entries", async () => {
    const r = await fetch(`${url}/api/v1/incidents/${incident.incident_id}/audit`, { headers: authHeader('read') });
    const body = (await r.json()) as { audit: { action: string; source: string }[] };
    expect(body.audit[0]).toMatchObject({ action: 'opened', source: 'auto' });
  });

  it('a 403 names the token and what it lacks; a 401 names nothing', async () => {
    const r = await fetch(`${url}/api/v1/reports`, {
      method: 'POST',
      headers: authHeader('ingestBilling'),
      body: JSON.stringify([churn.run(22)[0]]),
    });
    expect(r.status).toBe(403);
    expect(((await r.json()) as { error: string }).error).toMatch(/ingest-billing may not write pipeline churn/);
    const role = await fetch(`${url}/api/v1/pipelines`, { headers: authHeader('ingest') });
    expect(((await role.json()) as { error: string }).error).toBe('the token ingest does not have the read role');
  });

  it('no token, signing secret or webhook secret in a log line or in /metrics', async () => {
    const m = await (await fetch(`${url}/metrics`, { headers: authHeader('admin') })).text();
    expect(m).toContain('rootline_http_requests_total{route="/api/v1/reports",status="403"}');
    expect(m).toContain('rootline_http_requests_total{route="/api/v1/reports",status="401"}');
    expect(logText).toContain('request refused');
    for (const [name, secret] of Object.entries(PLAIN)) {
      expect(logText, name).not.toContain(secret);
      expect(m, name).not.toContain(secret);
      // Nor the hashes, nor a recognisable part of a token.
      expect(logText, name).not.toContain(hashToken(secret).slice(7, 23));
      expect(logText, name).not.toContain(secret.slice(-12));
      expect(m, name).not.toContain(secret.slice(-12));
    }
    expect(logText).not.toMatch(/authorization/i);
  });
});

describe('Slack interactivity (POST /slack/interactions)', () => {
  const value = JSON.stringify({ i: incident.incident_id, p: 'churn' });
  const payload = (action: string) =>
    `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: 'U0ALICE' }, actions: [{ action_id: action, value }] }))}`;
  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${url}/slack/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });
  const signed = (body: string, ts = Math.floor(Date.now() / 1000), secret = SIGNING_SECRET) => ({
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': slackSignature(secret, String(ts), body),
  });

  it('a signed click acknowledges (one command, named after the request); a replay of it is refused', async () => {
    const body = payload('rootline_ack');
    const headers = signed(body);
    const before = sent.length;
    const r = await post(body, headers);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('');
    expect(sent.slice(before)).toEqual([
      expect.objectContaining({ action: 'ack', who: 'U0ALICE', source: 'slack', incident_id: incident.incident_id }),
    ]);
    expect(sent.at(-1)!.command_id).toMatch(/^slack-[0-9a-f]{32}$/);
    const replay = await post(body, headers);
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: string }).error).toContain('replayed');
    expect(sent.length).toBe(before + 1);
  });

  it.each([
    ['forged (another secret)', (b: string) => signed(b, undefined, 'not-the-secret')],
    ['stale (six minutes old)', (b: string) => signed(b, Math.floor(Date.now() / 1000) - 360)],
    ['from the future (six minutes ahead)', (b: string) => signed(b, Math.floor(Date.now() / 1000) + 360)],
    ['unsigned', () => ({})],
    ['signed for another body', (b: string) => signed(b.replace('rootline_ack', 'rootline_resolve'))],
  ])('%s: 401, nothing sent', async (_what, headersOf) => {
    const body = payload('rootline_ack');
    const before = sent.length;
    const r = await post(body, headersOf(body));
    expect(r.status).toBe(401);
    expect(sent.length).toBe(before);
  });

  it('a click on the Grafana link button is answered and ignored', async () => {
    const body = payload('rootline_grafana');
    const before = sent.length;
    expect((await post(body, signed(body))).status).toBe(200);
    expect(sent.length).toBe(before);
  });

  it('the signing secret is in no log line and not in /metrics', async () => {
    const m = await (await fetch(`${url}/metrics`, { headers: authHeader('admin') })).text();
    expect(m).toContain('route="/slack/interactions",status="401"');
    expect(logText).toContain('Slack request refused');
    expect(logText).not.toContain(SIGNING_SECRET);
    expect(m).not.toContain(SIGNING_SECRET);
  });
});

describe('requiredRole', () => {
  it('maps each endpoint to the role it needs', () => {
    expect(requiredRole('GET', '/healthz')).toBe('public');
    expect(requiredRole('GET', '/livez')).toBe('public');
    expect(requiredRole('HEAD', '/healthz')).toBe('any');
    expect(requiredRole('GET', '/metrics')).toBe('read');
    expect(requiredRole('POST', '/api/v1/reports')).toBe('ingest');
    expect(requiredRole('POST', '/api/v1/lineage')).toBe('ingest');
    expect(requiredRole('GET', '/api/v1/incidents/x')).toBe('read');
    expect(requiredRole('DELETE', '/api/v1/incidents/x')).toBe('any');
    for (const a of ['ack', 'snooze', 'accept', 'resolve', 'reopen'])
      expect(requiredRole('POST', `/api/v1/incidents/inc-1/${a}`)).toBe('operate');
    expect(requiredRole('POST', '/api/v1/incidents/inc-1/delete')).toBe('any');
    expect(requiredRole('GET', '/api/v1/incidents/inc-1/ack')).toBe('read');
    expect(requiredRole('GET', '/api/v1/incidents/inc-1/audit')).toBe('read');
    expect(requiredRole('POST', '/slack/interactions')).toBe('public');
    expect(requiredRole('GET', '/slack/interactions')).toBe('any');
  });
});

describe('TokenStore', () => {
  it('is off without tokens; http.token alone is an admin token', () => {
    expect(new TokenStore([]).authenticate(undefined)).toEqual({ kind: 'off' });
    const legacy = new TokenStore([], 'abc');
    expect(legacy.authenticate(undefined)).toEqual({ kind: 'missing' });
    expect(legacy.authenticate('Bearer abd')).toEqual({ kind: 'invalid' });
    expect(legacy.authenticate('bearer abc')).toMatchObject({ kind: 'ok', principal: { roles: ['admin'] } });
    expect(legacy.authenticate('abc')).toEqual({ kind: 'invalid' });
    expect(legacy.authenticate('Bearer abc extra')).toEqual({ kind: 'invalid' });
  });

  it('refuses an entry without a SHA-256 hash (a token given where its hash belongs)', () => {
    expect(() => new TokenStore([{ name: 'x', hash: 'sha256:abcd', roles: ['read'] }])).toThrow(
      'the token x has no sha256:<64 hex> hash',
    );
    expect(() => new TokenStore([{ name: 'y', hash: PLAIN.read, roles: ['read'] }])).toThrow('the token y');
  });

  it('matches a token to its entry by hash, never by prefix or length', () => {
    const s = new TokenStore(ENTRIES);
    expect(s.authenticate(`Bearer ${PLAIN.readChurn}`)).toEqual({
      kind: 'ok',
      principal: { name: 'read-churn', roles: ['read'], pipelines: ['churn*'] },
    });
    expect(s.authenticate(`Bearer ${PLAIN.readChurn.slice(0, -1)}`)).toEqual({ kind: 'invalid' });
    expect(s.authenticate(`Bearer ${PLAIN.readChurn}x`)).toEqual({ kind: 'invalid' });
    // The stored hash itself is not a token.
    expect(s.authenticate(`Bearer ${hashToken(PLAIN.readChurn)}`)).toEqual({ kind: 'invalid' });
  });
});

describe('without tokens (access control off)', () => {
  it('every endpoint answers as before', async () => {
    const m = monitorMetrics();
    const s = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 1_000_000,
      ingest: { ingest: () => Promise.resolve() },
      health: () => Promise.resolve({ ok: true, details: {} }),
      metrics: m.registry,
      requests: m.httpRequests,
      queries: apiQueries(core),
      logger: createLogger('silent'),
    });
    try {
      expect((await fetch(`${s.url}/api/v1/pipelines`)).status).toBe(200);
      expect((await fetch(`${s.url}/metrics`)).status).toBe(200);
      const post = await fetch(`${s.url}/api/v1/reports`, { method: 'POST', body: JSON.stringify(churn.run(30)[0]) });
      expect(post.status).toBe(202);
    } finally {
      await s.close();
    }
  });
});
