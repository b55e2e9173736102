// Fault injection through the HTTP channel on the real broker: every 'http-report' and 'http-lineage' attack of
// attacks.ts against a monitor running in this process. For each attack: the status it expects (never a 5xx), a
// reason in every 4xx body, then a good report (and, for the lineage endpoint, a good RunEvent) accepted and
// processed within seconds; the monitor never crashes and /healthz stays 200 (issue 14). The attacks that need a
// raw socket (slow bodies, slowloris, a declared length without a body, a chunked body) run at the same time as
// the others, so the server is seen answering everyone else while they hold their connections.
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually } from '../helpers.js';
import { monitorConfig, startMonitor, type RunningMonitor } from '../monitor/harness.js';
import {
  ATTACKS,
  FAULT_HTTP_TOKEN,
  FAULT_PIPELINE,
  goodReport,
  validRunEvent,
  type Attack,
  type BuiltMessage,
  type HttpExpectation,
} from './attacks.js';

/** How long the good report after an attack may take to be processed. */
const FOLLOW_UP_MS = 30_000;

const PATHS = { 'http-report': '/api/v1/reports', 'http-lineage': '/api/v1/lineage' } as const;

interface Answer {
  status: number | undefined;
  body: string;
  ms: number;
}

function bodyOf(m: BuiltMessage): Buffer {
  if (m.value === null) return Buffer.alloc(0);
  return typeof m.value === 'string' ? Buffer.from(m.value) : m.value;
}

/** The request headers of an attack: the runner's defaults, its own over them, its omissions removed. */
function headersOf(m: BuiltMessage, bytes?: number): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': 'application/json',
    authorization: `Bearer ${FAULT_HTTP_TOKEN}`,
    ...(m.contentEncoding ? { 'content-encoding': m.contentEncoding } : {}),
    ...m.headers,
  };
  for (const k of m.omitHeaders ?? []) delete h[k];
  if (bytes !== undefined) h['content-length'] = String(bytes);
  return h;
}

async function request(base: string, a: Attack, m: BuiltMessage): Promise<Answer> {
  const t0 = Date.now();
  const method = m.method ?? 'POST';
  const body = bodyOf(m);
  const res = await fetch(`${base}${m.path ?? PATHS[a.channel as keyof typeof PATHS]}`, {
    method,
    headers: headersOf(m),
    ...(method === 'POST' ? { body: new Uint8Array(body) } : {}),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, body: await res.text(), ms: Date.now() - t0 };
}

/** The body of a raw HTTP/1.1 answer, chunked transfer coding undone. */
function bodyText(answer: string): string {
  const at = answer.indexOf('\r\n\r\n');
  if (at < 0) return '';
  let rest = answer.slice(at + 4);
  if (!/\r\ntransfer-encoding: *chunked/i.test(answer.slice(0, at))) return rest;
  let out = '';
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, eol), 16);
    if (eol < 0 || !(size > 0)) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

/**
 * One request over a raw socket: the head (all at once, or a byte every `headIntervalMs`), then the body as
 * `chunks` every `chunkIntervalMs`. Resolves with the status line's code, or undefined when the server closed
 * the connection without an answer; stops sending as soon as anything comes back.
 */
function rawRequest(
  url: URL,
  head: string,
  chunks: Buffer[],
  o: { headIntervalMs?: number; chunkIntervalMs?: number; timeoutMs: number },
): Promise<Answer> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let received = '';
    let done = false;
    const timers = new Set<NodeJS.Timeout>();
    const finish = () => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      resolve({ status: m ? Number(m[1]) : undefined, body: bodyText(received), ms: Date.now() - t0 });
    };
    const later = (ms: number, fn: () => void) => {
      const t = setTimeout(() => {
        timers.delete(t);
        if (!done && !socket.destroyed) fn();
      }, ms);
      timers.add(t);
    };
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      const at = received.indexOf('\r\n\r\n');
      if (at < 0) return;
      const head = received.slice(0, at);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (length && received.length - at - 4 >= Number(length[1])) finish();
      if (/\r\ntransfer-encoding: *chunked/i.test(head) && received.endsWith('0\r\n\r\n')) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    later(o.timeoutMs, finish);
    const sendBody = (i: number) => {
      if (i >= chunks.length) return;
      socket.write(chunks[i]!);
      if (o.chunkIntervalMs) later(o.chunkIntervalMs, () => sendBody(i + 1));
      else setImmediate(() => !done && sendBody(i + 1));
    };
    socket.once('connect', () => {
      if (!o.headIntervalMs) {
        socket.write(head);
        sendBody(0);
        return;
      }
      const sendHead = (i: number) => {
        if (i >= head.length) return sendBody(0);
        socket.write(head[i]!);
        later(o.headIntervalMs!, () => sendHead(i + 1));
      };
      sendHead(0);
    });
  });
}

/** Runs an attack that needs a raw socket; returns one answer per connection. */
async function rawAttack(base: string, a: Attack, m: BuiltMessage): Promise<Answer[]> {
  const url = new URL(base);
  const d = a.delivery!;
  const path = m.path ?? PATHS[a.channel as keyof typeof PATHS];
  const body = bodyOf(m);
  const timeoutMs = (a.expect as HttpExpectation).withinMs ?? 60_000;
  const headOf = (h: Record<string, string>) =>
    `POST ${path} HTTP/1.1\r\nhost: ${url.host}\r\n${Object.entries(h)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n`;
  switch (d.mode) {
    case 'declared-length-only':
      return [await rawRequest(url, headOf(headersOf(m, d.declaredBytes)), [], { timeoutMs })];
    case 'chunked': {
      const chunks: Buffer[] = [];
      for (let i = 0; i < body.length; i += d.chunkBytes) {
        const c = body.subarray(i, i + d.chunkBytes);
        chunks.push(Buffer.concat([Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n')]));
      }
      chunks.push(Buffer.from('0\r\n\r\n'));
      const h = { ...headersOf(m), 'transfer-encoding': 'chunked' };
      return [await rawRequest(url, headOf(h), chunks, { timeoutMs })];
    }
    case 'slow-body': {
      const chunks: Buffer[] = [];
      for (let i = 0; i < body.length; i += d.chunkBytes) chunks.push(body.subarray(i, i + d.chunkBytes));
      const head = headOf(headersOf(m, body.length));
      return Promise.all(
        Array.from({ length: d.connections }, () =>
          rawRequest(url, head, chunks, { chunkIntervalMs: d.intervalMs, timeoutMs }),
        ),
      );
    }
    case 'slow-headers': {
      const head = headOf(headersOf(m, body.length));
      return Promise.all(
        Array.from({ length: d.connections }, () =>
          rawRequest(url, head, [body], { headIntervalMs: d.intervalMs, timeoutMs }),
        ),
      );
    }
  }
}

/** What is wrong with an answer, or undefined when it is what the attack expects. */
function judge(a: Attack, ans: Answer): string | undefined {
  const e = a.expect as HttpExpectation;
  const allowed = typeof e.status === 'number' ? [e.status] : e.status;
  if (ans.status === undefined) {
    if (e.connectionCloseAccepted) return undefined;
    return `no answer (connection closed) after ${ans.ms} ms, expected ${allowed.join('|')}`;
  }
  if (ans.status >= 500) return `${ans.status}: ${ans.body.slice(0, 300)}`;
  if (!allowed.includes(ans.status)) return `${ans.status}, expected ${allowed.join('|')}: ${ans.body.slice(0, 300)}`;
  if (e.bodyMatches && !e.bodyMatches.test(ans.body))
    return `body does not match ${String(e.bodyMatches)}: ${ans.body.slice(0, 300)}`;
  if (ans.status >= 400) {
    // A refusal says why: an `error` (and, per report, `rejected` with the problems).
    let reason = '';
    try {
      const b = JSON.parse(ans.body) as { error?: unknown; rejected?: { errors?: unknown[] }[] };
      reason = typeof b.error === 'string' ? b.error : JSON.stringify(b.rejected?.[0]?.errors ?? '');
    } catch {
      /* not JSON: no reason */
    }
    if (reason.length < 5) return `${ans.status} without a reason: ${ans.body.slice(0, 300)}`;
  }
  if (e.withinMs !== undefined && ans.ms > e.withinMs) return `answered after ${ans.ms} ms (limit ${e.withinMs})`;
  return undefined;
}

function processedReport(mon: RunningMonitor, r: { pipeline: string; node: string; event_id: string }): boolean {
  return mon.core.node({ pipeline: r.pipeline, node: r.node })?.event_ids.includes(r.event_id) ?? false;
}

/** True once a node named `name` (of any pipeline) holds a run: what an OpenLineage job became. */
function processedJob(mon: RunningMonitor, name: string): boolean {
  return mon.core.pipelineNames().some((p) => mon.core.nodes(p).some((n) => n.node === name && n.runs > 0));
}

async function post(base: string, path: string, body: unknown): Promise<Answer> {
  const t0 = Date.now();
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${FAULT_HTTP_TOKEN}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.text(), ms: Date.now() - t0 };
}

describe('fault injection: every HTTP attack against a real monitor', () => {
  it('answers each hostile request with its 4xx and a reason, never a 5xx; the next good report is accepted and processed', async () => {
    const httpAttacks = ATTACKS.filter((a) => a.channel !== 'kafka');
    expect(httpAttacks.length).toBeGreaterThan(60);
    const cfg = monitorConfig({ 'kafka.partitions': 1, 'http.token': FAULT_HTTP_TOKEN });
    const mon = await startMonitor(cfg);
    const base = mon.httpUrl!;
    const failures: string[] = [];

    // The raw-socket attacks hold their connections for up to a minute: started first, judged at the end.
    const raw = httpAttacks.filter((a) => a.delivery);
    const held = raw.map((a) =>
      rawAttack(base, a, a.build()).then(
        (answers) => ({ a, answers }),
        (err: unknown) => ({ a, answers: [{ status: undefined, body: String(err), ms: 0 }] }),
      ),
    );

    let seq = 20_000;
    const slowest: { id: string; ms: number }[] = [];
    for (const a of httpAttacks.filter((x) => !x.delivery)) {
      const ans = await request(base, a, a.build()).catch((err: unknown): Answer => ({
        status: undefined,
        body: String(err),
        ms: 0,
      }));
      const wrong = judge(a, ans);
      if (wrong) failures.push(`${a.id}: ${wrong}`);
      slowest.push({ id: a.id, ms: ans.ms });

      const good = goodReport(FAULT_PIPELINE, `after-${a.id}`, (seq += 1)) as {
        pipeline: string;
        node: string;
        event_id: string;
      };
      const accepted = await post(base, '/api/v1/reports', good);
      if (accepted.status !== 202) failures.push(`${a.id}: the next good report answered ${accepted.status}`);
      const job = `after-${a.id}`;
      if (a.channel === 'http-lineage') {
        const ev = await post(base, '/api/v1/lineage', validRunEvent({ name: job, tag: `follow-${a.id}` }));
        if (ev.status !== 201) failures.push(`${a.id}: the next good RunEvent answered ${ev.status}: ${ev.body}`);
      }
      const ok = await eventually(
        () =>
          processedReport(mon, good) && (a.channel !== 'http-lineage' || processedJob(mon, job)) ? true : undefined,
        FOLLOW_UP_MS,
        `the good report after ${a.id}`,
      ).then(
        () => true,
        () => false,
      );
      if (!ok) failures.push(`${a.id}: the next good report not processed within ${FOLLOW_UP_MS} ms`);
      if (mon.kafka.status.crashed) failures.push(`${a.id}: consumer crashed: ${mon.kafka.status.crashed}`);
    }

    for (const { a, answers } of await Promise.all(held)) {
      const wrong = [...new Set(answers.map((ans) => judge(a, ans)).filter((w) => w !== undefined))];
      if (wrong.length > 0) failures.push(`${a.id}: ${wrong.join('; ')}`);
      slowest.push({ id: a.id, ms: Math.max(...answers.map((x) => x.ms)) });
    }
    // The server still serves a normal request once the held connections are gone.
    const last = goodReport(FAULT_PIPELINE, 'after-everything', seq + 1) as {
      pipeline: string;
      node: string;
      event_id: string;
    };
    expect((await post(base, '/api/v1/reports', last)).status).toBe(202);
    await eventually(() => (processedReport(mon, last) ? true : undefined), FOLLOW_UP_MS, 'the last good report');

    slowest.sort((x, y) => y.ms - x.ms);
    process.stderr.write(
      `[faults-http] ${httpAttacks.length} HTTP attacks; slowest answers: ${slowest
        .slice(0, 5)
        .map((s) => `${s.id} ${s.ms} ms`)
        .join(', ')}\n${failures.map((f) => `[faults-http] ${f}\n`).join('')}`,
    );
    const health = await fetch(`${base}/healthz`);
    expect(health.status, await health.text()).toBe(200);
    expect(mon.kafka.status.crashed).toBeUndefined();
    expect(failures).toEqual([]);
  }, 600_000);
});
