import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { slackSignature } from '../../adapters/http/slack-verify.js';
import { checkMessage } from './limits.js';

/**
 * A local server that speaks the parts of the Slack Web API Rootline uses (chat.postMessage,
 * chat.update, chat.getPermalink, auth.test, conversations.history), records every call, and can
 * be told to fail: answer 429 with Retry-After, or a 5xx, for the next N calls, or refuse them with a
 * Slack error. Like Slack, it refuses messages over Slack's documented limits (./limits.ts):
 * `invalid_blocks` with `response_metadata.messages`, `msg_too_long`, `msg_blocks_too_long`.
 *
 * Control API (JSON), for tests:
 *   GET    /_mock/health
 *   GET    /_mock/calls[?token=T&method=M]    every recorded call, oldest first
 *   DELETE /_mock/calls[?token=T]             forget recorded calls (and messages) of a token, or all
 *   POST   /_mock/faults  {method?, token?, status, retryAfterSec?, error?, withBlocks?, count | durationMs}
 *          (`count`: the next N matching calls; `durationMs`: every matching call for that long, e.g. a rate
 *          limit that lasts longer than a client's Retry-After)
 *   DELETE /_mock/faults[?token=T]
 *   POST   /_mock/interact  {url, signing_secret, channel, ts, action_id, user?, timestamp_offset_sec?}
 *          clicks a button of a stored message as Slack does: a `block_actions` payload (the message, the
 *          button's action_id and value, the user), form-encoded as `payload=`, signed with the signing
 *          secret (v0 HMAC-SHA256 of `v0:{timestamp}:{body}`, X-Slack-Signature and
 *          X-Slack-Request-Timestamp), POSTed to `url` (the app's interactivity request URL). Answers
 *          the app's status and body, and the request as sent (`request.headers`, `request.body`), so a
 *          test can send it again (a replay). `timestamp_offset_sec` moves the timestamp (a stale request).
 * Calls carry the bot token they were made with, so parallel tests can each use their own token.
 */

export interface RecordedCall {
  seq: number;
  at: string;
  method: string;
  token: string | undefined;
  args: Record<string, unknown>;
  /** The HTTP status answered (200 for a Slack-level `ok: false`). */
  status: number;
  response: Record<string, unknown> | undefined;
}

export interface Fault {
  method?: string | undefined;
  token?: string | undefined;
  /** HTTP status answered; with 200, `error` is the Slack error (`ok: false`). */
  status: number;
  retryAfterSec?: number | undefined;
  /** The Slack error to answer (default `fatal_error`, or `ratelimited` for 429). */
  error?: string | undefined;
  /** Only calls that carry blocks (a refusal of the blocks, e.g. `invalid_blocks`). */
  withBlocks?: boolean | undefined;
  /** How many matching calls it answers (ignored with `durationMs`). */
  count: number;
  /** Instead of a count: every matching call for this long after the fault was set. */
  durationMs?: number | undefined;
  /** @internal when a `durationMs` fault ends (epoch ms). */
  until?: number | undefined;
}

interface StoredMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: unknown;
  blocks: unknown;
  metadata: unknown;
  token: string | undefined;
  updates: number;
}

/** A button click to send (POST /_mock/interact). */
export interface Interaction {
  /** The app's interactivity request URL. */
  url: string;
  signing_secret: string;
  channel: string;
  ts: string;
  action_id: string;
  /** The clicking user's id. Default U0TESTER. */
  user?: string;
  /** Added to the request's timestamp, s (negative: an old request). Default 0. */
  timestamp_offset_sec?: number;
}

export interface SlackMockServer {
  readonly url: string;
  readonly port: number;
  readonly calls: RecordedCall[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Slack clients send form-encoded bodies whose complex values are JSON strings, or JSON bodies. */
function parseArgs(body: string, contentType: string | undefined, query: URLSearchParams): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [k, v] of query) args[k] = v;
  if (!body) return args;
  if (contentType?.includes('application/json')) {
    Object.assign(args, JSON.parse(body) as Record<string, unknown>);
    return args;
  }
  for (const [k, v] of new URLSearchParams(body)) {
    if ((k === 'blocks' || k === 'attachments' || k === 'metadata') && (v.startsWith('[') || v.startsWith('{'))) {
      try {
        args[k] = JSON.parse(v);
        continue;
      } catch {
        /* keep the string */
      }
    }
    args[k] = v;
  }
  return args;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

export function startSlackMockServer(options: { port?: number; host?: string } = {}): Promise<SlackMockServer> {
  const calls: RecordedCall[] = [];
  let faults: Fault[] = [];
  const messages = new Map<string, StoredMessage>(); // key: channel + ts
  let seq = 0;
  let tsCounter = 0;
  const nextTs = () => {
    tsCounter += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(tsCounter).padStart(6, '0')}`;
  };

  function takeFault(method: string, token: string | undefined, args: Record<string, unknown>): Fault | undefined {
    const now = Date.now();
    faults = faults.filter((f) => f.until === undefined || f.until > now);
    const i = faults.findIndex(
      (f) =>
        (f.until !== undefined || f.count > 0) &&
        (!f.method || f.method === method) &&
        (!f.token || f.token === token) &&
        (!f.withBlocks || args.blocks !== undefined),
    );
    if (i < 0) return undefined;
    const f = faults[i]!;
    if (f.until !== undefined) return f;
    f.count -= 1;
    if (f.count <= 0) faults.splice(i, 1);
    return f;
  }

  function api(method: string, token: string | undefined, args: Record<string, unknown>): Record<string, unknown> {
    if (!token) return { ok: false, error: 'not_authed' };
    if (token === 'xoxb-invalid') return { ok: false, error: 'invalid_auth' };
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://rootline-test.slack.com/',
          team: 'Rootline Test',
          user: 'rootline',
          team_id: 'T0001',
          user_id: 'U0001',
          bot_id: 'B0001',
        };
      case 'chat.postMessage': {
        const channel = typeof args.channel === 'string' ? args.channel : '';
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (args.text === undefined && args.blocks === undefined) return { ok: false, error: 'no_text' };
        const refused = checkMessage(args);
        if (refused) return { ...refused };
        const ts = nextTs();
        const msg: StoredMessage = {
          channel,
          ts,
          text: args.text,
          blocks: args.blocks,
          metadata: args.metadata,
          token,
          updates: 0,
        };
        if (typeof args.thread_ts === 'string') {
          if (!messages.has(`${channel}/${args.thread_ts}`)) return { ok: false, error: 'thread_not_found' };
          msg.thread_ts = args.thread_ts;
        }
        messages.set(`${channel}/${ts}`, msg);
        return {
          ok: true,
          channel,
          ts,
          message: {
            type: 'message',
            text: args.text,
            blocks: args.blocks,
            ts,
            thread_ts: msg.thread_ts,
            bot_id: 'B0001',
          },
        };
      }
      case 'chat.update': {
        const channel = typeof args.channel === 'string' ? args.channel : '';
        const ts = typeof args.ts === 'string' ? args.ts : '';
        const msg = messages.get(`${channel}/${ts}`);
        if (!msg) return { ok: false, error: 'message_not_found' };
        const refused = checkMessage(args, { update: true });
        if (refused) return { ...refused };
        if (args.text !== undefined) msg.text = args.text;
        if (args.blocks !== undefined) msg.blocks = args.blocks;
        if (args.metadata !== undefined) msg.metadata = args.metadata;
        msg.updates += 1;
        return { ok: true, channel, ts, text: msg.text, message: { text: msg.text, blocks: msg.blocks } };
      }
      case 'chat.getPermalink': {
        const channel = typeof args.channel === 'string' ? args.channel : '';
        const ts = typeof args.message_ts === 'string' ? args.message_ts : '';
        if (!messages.has(`${channel}/${ts}`)) return { ok: false, error: 'message_not_found' };
        return {
          ok: true,
          channel,
          permalink: `https://rootline-test.slack.com/archives/${channel}/p${ts.replace('.', '')}`,
        };
      }
      case 'conversations.history': {
        const channel = typeof args.channel === 'string' ? args.channel : '';
        const list = [...messages.values()]
          .filter((m) => m.channel === channel && m.token === token && !m.thread_ts)
          .sort((a, b) => (a.ts < b.ts ? 1 : -1))
          .map((m) => ({ type: 'message', ts: m.ts, text: m.text, blocks: m.blocks, metadata: m.metadata }));
        return { ok: true, messages: list, has_more: false };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  /** Clicks a button of a stored message, as Slack would: see the control API above. */
  async function interact(o: Interaction): Promise<Record<string, unknown>> {
    const msg = messages.get(`${o.channel}/${o.ts}`);
    if (!msg) return { ok: false, error: 'message_not_found' };
    const blocks = Array.isArray(msg.blocks) ? (msg.blocks as Record<string, unknown>[]) : [];
    let button: Record<string, unknown> | undefined;
    let blockId: unknown;
    for (const b of blocks) {
      if (b.type !== 'actions' || !Array.isArray(b.elements)) continue;
      const found = (b.elements as Record<string, unknown>[]).find((e) => e.action_id === o.action_id);
      if (found) {
        button = found;
        blockId = b.block_id;
        break;
      }
    }
    if (!button) return { ok: false, error: 'no_such_button' };
    const user = o.user ?? 'U0TESTER';
    const payload = {
      type: 'block_actions',
      user: { id: user, username: user.toLowerCase(), team_id: 'T0001' },
      api_app_id: 'A0001',
      team: { id: 'T0001', domain: 'rootline-test' },
      container: { type: 'message', message_ts: msg.ts, channel_id: msg.channel, is_ephemeral: false },
      channel: { id: msg.channel },
      message: { type: 'message', ts: msg.ts, text: msg.text, blocks: msg.blocks },
      trigger_id: `${Date.now()}.1.abc`,
      response_url: `http://127.0.0.1/actions/T0001/${msg.ts}`,
      actions: [
        {
          type: 'button',
          action_id: button.action_id,
          block_id: blockId ?? 'b',
          text: button.text,
          value: button.value,
          action_ts: `${Date.now() / 1000}`,
        },
      ],
    };
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const timestamp = String(Math.floor(Date.now() / 1000) + (o.timestamp_offset_sec ?? 0));
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': slackSignature(o.signing_secret, timestamp, body),
    };
    const res = await fetch(o.url, { method: 'POST', headers, body });
    return { ok: true, status: res.status, body: await res.text(), request: { headers, body } };
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      try {
        if (url.pathname.startsWith('/_mock/')) {
          const what = url.pathname.slice('/_mock/'.length);
          const token = url.searchParams.get('token') ?? undefined;
          if (what === 'health') return send(res, 200, { ok: true, calls: calls.length });
          if (what === 'calls' && req.method === 'GET') {
            const method = url.searchParams.get('method') ?? undefined;
            return send(
              res,
              200,
              calls.filter((c) => (!token || c.token === token) && (!method || c.method === method)),
            );
          }
          if (what === 'calls' && req.method === 'DELETE') {
            for (let i = calls.length - 1; i >= 0; i--) if (!token || calls[i]!.token === token) calls.splice(i, 1);
            for (const [k, m] of messages) if (!token || m.token === token) messages.delete(k);
            return send(res, 200, { ok: true });
          }
          if (what === 'messages' && req.method === 'GET') {
            return send(
              res,
              200,
              [...messages.values()].filter((m) => !token || m.token === token),
            );
          }
          if (what === 'faults' && req.method === 'POST') {
            const f = JSON.parse(await readBody(req)) as Fault;
            const timed = typeof f.durationMs === 'number';
            if (typeof f.status !== 'number' || (!timed && typeof f.count !== 'number'))
              return send(res, 400, { error: 'status and count (or durationMs) are required' });
            faults.push({ ...f, count: f.count ?? 0, until: timed ? Date.now() + f.durationMs! : undefined });
            return send(res, 200, { ok: true, pending: faults.length });
          }
          if (what === 'interact' && req.method === 'POST')
            return send(res, 200, await interact(JSON.parse(await readBody(req)) as Interaction));
          if (what === 'faults' && req.method === 'DELETE') {
            faults = token ? faults.filter((f) => f.token !== token) : [];
            return send(res, 200, { ok: true });
          }
          return send(res, 404, { error: `no control endpoint ${req.method} ${url.pathname}` });
        }
        if (!url.pathname.startsWith('/api/')) return send(res, 404, { ok: false, error: 'unknown_method' });
        const method = url.pathname.slice('/api/'.length);
        const body = await readBody(req);
        const args = parseArgs(body, req.headers['content-type'], url.searchParams);
        const auth = req.headers.authorization;
        const token = auth?.startsWith('Bearer ')
          ? auth.slice(7)
          : typeof args.token === 'string'
            ? args.token
            : undefined;
        delete args.token;
        seq += 1;
        const call: RecordedCall = {
          seq,
          at: new Date().toISOString(),
          method,
          token,
          args,
          status: 200,
          response: undefined,
        };
        calls.push(call);
        const fault = takeFault(method, token, args);
        if (fault) {
          call.status = fault.status;
          if (fault.status === 429) {
            call.response = { ok: false, error: fault.error ?? 'ratelimited' };
            return send(res, 429, call.response, { 'retry-after': String(fault.retryAfterSec ?? 1) });
          }
          call.response = { ok: false, error: fault.error ?? 'fatal_error' };
          return send(res, fault.status, call.response);
        }
        call.response = api(method, token, args);
        return send(res, 200, call.response);
      } catch (err: unknown) {
        return send(res, 400, { ok: false, error: 'invalid_request', detail: String(err) });
      }
    })();
  });

  return new Promise((resolveStart, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolveStart({
        url: `http://127.0.0.1:${port}`,
        port,
        calls,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}
