import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActionDispatcher,
  SlackNotifier,
  renderIncident,
  renderIncidentPlain,
  slackError,
} from '../../src/actions/index.js';
import { startSlackMockServer, type RecordedCall, type SlackMockServer } from '../../src/dev/slack/server.js';
import { RootlineError, isRootlineError } from '../../src/errors/index.js';
import { createLogger } from '../../src/service/log.js';
import type { Incident, IncidentEvent } from '../../src/monitor/index.js';
import { scenarioEvents } from './fixtures.js';

const logger = createLogger('silent');
const CHANNEL = 'C-INCIDENTS';
const GRAFANA = 'http://grafana.local/d/x?var-node={node}';
let server: SlackMockServer;
beforeAll(async () => (server = await startSlackMockServer({ port: 0 })));
afterAll(() => server.close());

let tokens = 0;
const newToken = () => `xoxb-test-${process.pid}-${tokens++}`;

function notifier(token: string, over: Partial<ConstructorParameters<typeof SlackNotifier>[0]> = {}): SlackNotifier {
  return new SlackNotifier({
    token,
    channel: CHANNEL,
    apiUrl: `${server.url}/api/`,
    logger,
    retries: 3,
    maxRetryDelayMs: 2000,
    grafanaUrlTemplate: GRAFANA,
    ...over,
  });
}

const calls = (token: string, method?: string): RecordedCall[] =>
  server.calls.filter((c) => c.token === token && (method === undefined || c.method === method));

interface StoredMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  metadata: { event_type: string; event_payload: { incident_id: string; version: number } };
  updates: number;
}
async function messages(token: string): Promise<StoredMessage[]> {
  const res = await fetch(`${server.url}/_mock/messages?token=${encodeURIComponent(token)}`);
  return (await res.json()) as StoredMessage[];
}
async function fault(body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${server.url}/_mock/faults`, { method: 'POST', body: JSON.stringify(body) });
  expect(res.ok).toBe(true);
}

// One incident's life: opened (with its symptoms), updated by a second bad run, resolved.
const events: IncidentEvent[] = scenarioEvents({ bad: 2, after: 3 }).flat();
const opened = events.find((e) => e.type === 'opened')!;
const updated = events.find((e) => e.type === 'updated')!;
const resolved = events.find((e) => e.type === 'resolved')!;

describe('SlackNotifier with @slack/web-api against the local Slack server', () => {
  it('the scenario has the three events of one incident', () => {
    expect(new Set(events.map((e) => e.incident.incident_id)).size).toBe(1);
    expect(events.map((e) => e.type)).toEqual(['opened', 'updated', 'resolved']);
  });

  it('posts one parent message per incident, with the rendered blocks and the incident in its metadata', async () => {
    const token = newToken();
    expect(await notifier(token).handle(opened)).toBe('posted');
    const posts = calls(token, 'chat.postMessage');
    expect(posts).toHaveLength(1);
    const rendered = renderIncident(opened.incident, {
      grafanaUrlTemplate: 'http://grafana.local/d/x?var-node={node}',
    });
    expect(posts[0]!.args).toMatchObject({
      channel: CHANNEL,
      text: rendered.text,
      blocks: rendered.blocks,
      metadata: {
        event_type: 'rootline_incident',
        event_payload: { incident_id: opened.incident.incident_id, version: opened.incident.version },
      },
    });
    expect(posts[0]!.args.thread_ts).toBeUndefined();
  });

  it('updates the parent in place; new symptoms and the resolution go to its thread', async () => {
    const token = newToken();
    const slack = notifier(token);
    // Report by report, the incident opens at n01 and gains symptoms at n02, then n03.
    const steps = scenarioEvents({ bad: 1, oneByOne: true }).flat();
    expect(steps.map((e) => [e.type, e.changes.new_symptoms?.map((x) => x.node)])).toEqual([
      ['opened', undefined],
      ['updated', ['n02']],
      ['updated', ['n03']],
    ]);
    for (const e of steps) await slack.handle(e);
    // A second bad run changes only the count: the parent is updated, no reply.
    expect(
      await slack.handle({ ...updated, incident: { ...updated.incident, version: steps[2]!.incident.version + 1 } }),
    ).toBe('updated');
    expect(
      await slack.handle({ ...resolved, incident: { ...resolved.incident, version: steps[2]!.incident.version + 2 } }),
    ).toBe('updated');
    const all = await messages(token);
    const parents = all.filter((m) => !m.thread_ts);
    expect(parents).toHaveLength(1);
    expect(parents[0]!.updates).toBe(4);
    expect(parents[0]!.text).toMatch(/^RESOLVED: /);
    const replies = all.filter((m) => m.thread_ts === parents[0]!.ts).map((m) => m.text);
    expect(replies).toHaveLength(3);
    expect(replies[0]).toMatch(/^:arrow_down: Symptom downstream at `n02`/);
    expect(replies[1]).toMatch(/^:arrow_down: Symptom downstream at `n03`/);
    expect(replies[2]).toMatch(/^:white_check_mark: Resolved: `n01`/);
    expect(calls(token).map((c) => c.method)).toEqual([
      'conversations.history',
      'chat.postMessage',
      'chat.update',
      'chat.postMessage',
      'chat.update',
      'chat.postMessage',
      'chat.update',
      'chat.update',
      'chat.postMessage',
    ]);
  });

  it('an event it has already applied (same or older version) is skipped', async () => {
    const token = newToken();
    const slack = notifier(token);
    await slack.handle(opened);
    await slack.handle(updated);
    expect(await slack.handle(updated)).toBe('skipped');
    expect(await slack.handle(opened)).toBe('skipped');
    expect(calls(token, 'chat.postMessage').filter((c) => c.args.thread_ts === undefined)).toHaveLength(1);
  });

  it('a restarted notifier finds the parent through conversations.history metadata: no duplicate', async () => {
    const token = newToken();
    await notifier(token).handle(opened);
    const restarted = notifier(token);
    // The same event retried after the restart (its offset was not committed): nothing to do.
    expect(await restarted.handle(opened)).toBe('skipped');
    expect(await restarted.handle(updated)).toBe('updated');
    const history = calls(token, 'conversations.history');
    expect(history).toHaveLength(2);
    expect(history[1]!.args).toMatchObject({ channel: CHANNEL, include_all_metadata: 'true' });
    const parents = (await messages(token)).filter((m) => !m.thread_ts);
    expect(parents).toHaveLength(1);
    expect(parents[0]!.updates).toBe(1);
  });

  it('a 429 is not slept in the client: a retriable error with its Retry-After, at once', async () => {
    const token = newToken();
    await fault({ token, method: 'chat.postMessage', status: 429, retryAfterSec: 45, count: 1 });
    const t0 = Date.now();
    const err = await notifier(token)
      .handle(opened)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(err).toMatchObject({ code: 'SLACK_ERROR', retriable: true, retryAfterMs: 45_000 });
    expect(calls(token, 'chat.postMessage').map((c) => c.status)).toEqual([429]);
  });

  it('a 429 with Retry-After is waited out by the dispatcher, ticking while it waits: one message', async () => {
    const token = newToken();
    await fault({ token, method: 'chat.postMessage', status: 429, retryAfterSec: 2, count: 1 });
    const d = new ActionDispatcher({ slack: notifier(token), logger, maxRetryDelayMs: 5000 });
    let ticks = 0;
    const t0 = Date.now();
    await d.handle(opened, () => {
      ticks += 1;
      return Promise.resolve();
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1950);
    expect(ticks).toBeGreaterThanOrEqual(1);
    expect(d.outcomes.map((o) => o.outcome)).toContain('posted');
    expect(calls(token, 'chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
    expect(await messages(token)).toHaveLength(1);
  });

  it('a 503 outage is retried until Slack is back: one message', async () => {
    const token = newToken();
    await fault({ token, status: 503, count: 2 });
    expect(await notifier(token).handle(opened)).toBe('posted');
    expect(calls(token).map((c) => `${c.method} ${c.status}`)).toEqual([
      'conversations.history 503',
      'conversations.history 503',
      'conversations.history 200',
      'chat.postMessage 200',
    ]);
    expect(await messages(token)).toHaveLength(1);
  });

  it("an outage longer than the client's retries surfaces as a retriable error", async () => {
    const token = newToken();
    await fault({ token, status: 503, count: 10 });
    const err = await notifier(token, { retries: 1 })
      .handle(opened)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isRootlineError(err, 'SLACK_ERROR')).toBe(true);
    expect((err as RootlineError).retriable).toBe(true);
    await fetch(`${server.url}/_mock/faults?token=${encodeURIComponent(token)}`, { method: 'DELETE' });
  });

  it('an invalid token is a non-retriable error', async () => {
    const err = await notifier('xoxb-invalid')
      .handle(opened)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(RootlineError);
    expect(err).toMatchObject({
      code: 'SLACK_ERROR',
      retriable: false,
      message: 'conversations.history: Slack said invalid_auth',
    });
  });

  it('counts calls by method and outcome', async () => {
    const token = newToken();
    const slack = notifier(token);
    const seen: string[] = [];
    slack.onCall = (m, o) => seen.push(`${m} ${o}`);
    await slack.handle(opened);
    expect(seen).toEqual(['conversations.history ok', 'chat.postMessage ok']);
  });
});

describe('ActionDispatcher driving the real client', () => {
  it('posts, updates and resolves one thread; outcomes recorded', async () => {
    const token = newToken();
    const d = new ActionDispatcher({ slack: notifier(token), logger });
    d.push(events);
    await d.drain();
    expect(d.pending).toBe(0);
    expect(d.outcomes.filter((o) => o.action === 'slack').map((o) => o.outcome)).toEqual([
      'posted',
      'updated',
      'updated',
    ]);
    expect((await messages(token)).filter((m) => !m.thread_ts)).toHaveLength(1);
  });

  it('an invalid token is recorded as failed and not retried', async () => {
    const d = new ActionDispatcher({ slack: notifier('xoxb-invalid'), logger, maxRetryDelayMs: 10 });
    const before = calls('xoxb-invalid').length;
    await d.handle(opened);
    expect(d.outcomes.filter((o) => o.action === 'slack')).toEqual([
      expect.objectContaining({ outcome: 'failed', detail: 'conversations.history: Slack said invalid_auth' }),
    ]);
    expect(calls('xoxb-invalid').length - before).toBe(1);
  });

  it('a long outage is retried by the dispatcher (after the client gives up) with no duplicate', async () => {
    const token = newToken();
    // The client tries twice (retries: 1) per dispatcher attempt; 3 failures span two attempts.
    await fault({ token, method: 'chat.postMessage', status: 503, count: 3 });
    const d = new ActionDispatcher({ slack: notifier(token, { retries: 1 }), logger, maxRetryDelayMs: 20 });
    await d.handle(opened);
    expect(d.outcomes.map((o) => o.outcome)).toContain('posted');
    expect(calls(token, 'chat.postMessage').map((c) => c.status)).toEqual([503, 503, 503, 200]);
    expect((await messages(token)).filter((m) => !m.thread_ts)).toHaveLength(1);
  });
});

describe('slackError', () => {
  it('keeps a RootlineError and maps anything else to a retriable SLACK_ERROR', () => {
    const e = new RootlineError('SLACK_ERROR', 'x');
    expect(slackError(e, 'm')).toBe(e);
    expect(slackError(new Error('socket hang up'), 'chat.update')).toMatchObject({
      code: 'SLACK_ERROR',
      retriable: true,
      message: 'chat.update: socket hang up',
    });
  });
});

describe('messages that always arrive (real client, local server enforcing Slack limits)', () => {
  const base = opened.incident;
  const long = (prefix: string, k = 0) => `${prefix}_${k}_${'x'.repeat(10_000)}`;
  const huge: Incident = {
    ...base,
    culprit: long('culprit'),
    column: long('column'),
    candidates: Array.from({ length: 50 }, (_, k) => long('candidate', k)),
    escalated: true,
    cause: { kind: 'code_change', summary: `code changed: ${'<c&>'.repeat(500)}` },
    findings: [{ ...base.findings[0]!, message: 'm'.repeat(2000) }],
    blast_radius: Array.from({ length: 300 }, (_, k) => long('node', k)),
    symptoms: Array.from({ length: 500 }, (_, k) => ({ ...base.symptoms[0]!, node: long('symptom', k) })),
  };
  const hugeOpened: IncidentEvent = { ...opened, incident: huge };
  const hugeUpdated: IncidentEvent = {
    ...updated,
    incident: { ...huge, version: huge.version + 1 },
    changes: { new_symptoms: huge.symptoms, new_findings: ['f'.repeat(2000)] },
  };

  it('the server refuses what the old renderer sent for a 50-node blast radius, as Slack does', async () => {
    const token = newToken();
    const section = `*Blast radius*: ${Array.from({ length: 50 }, (_, k) => `\`${long('n', k).slice(0, 700)}\``).join(', ')}`;
    const res = await fetch(`${server.url}/api/chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        channel: CHANNEL,
        text: 'x',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: section } }],
      }),
    });
    expect(await res.json()).toEqual({
      ok: false,
      error: 'invalid_blocks',
      errors: ['must be less than 3001 characters [json-pointer:/blocks/0/text/text]'],
      response_metadata: { messages: ['[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]'] },
    });
  });

  it('a 300-node blast radius, 10 kB names, a 2,000-char cause, 500 symptoms and 50 candidates: ONE valid message', async () => {
    const token = newToken();
    const slack = notifier(token);
    expect(await slack.handle(hugeOpened)).toBe('posted');
    expect(await slack.handle(hugeUpdated)).toBe('updated');
    const all = calls(token).filter((c) => c.method !== 'conversations.history');
    expect(all.map((c) => `${c.method} ${String(c.response?.ok)}`)).toEqual([
      'chat.postMessage true',
      'chat.update true',
      'chat.postMessage true',
    ]);
    expect(all[0]!.args.blocks).toEqual(renderIncident(huge, { grafanaUrlTemplate: GRAFANA }).blocks);
    const stored = await messages(token);
    expect(stored.filter((m) => !m.thread_ts)).toHaveLength(1);
    expect(stored.find((m) => m.thread_ts)!.text).toMatch(/… and \d+ more$/);
  });

  it('a node named with <!channel> pings nobody and a name cannot make a link', async () => {
    const token = newToken();
    const evil: IncidentEvent = {
      ...opened,
      incident: {
        ...base,
        culprit: 'load_<!channel>_orders',
        pipeline: '<https://evil.example|click here>',
        blast_radius: ['<https://evil.example|x>', '<!here>'],
      },
    };
    expect(await notifier(token).handle(evil)).toBe('posted');
    const args = calls(token, 'chat.postMessage')[0]!.args as { text: string; blocks: { type: string }[] };
    // The header is plain_text, where Slack parses nothing: it shows the name as it is.
    expect(args.blocks[0]!.type).toBe('header');
    const sent = JSON.stringify([args.text, args.blocks.slice(1)]);
    expect(sent).not.toContain('<!channel>');
    expect(sent).not.toContain('<!here>');
    expect(sent).not.toContain('<https://evil.example');
    expect(sent).toContain('load_&lt;!channel&gt;_orders');
  });

  it('blocks Slack still refuses fall back to a plain-text message; the dispatcher counts it', async () => {
    const token = newToken();
    await fault({
      token,
      method: 'chat.postMessage',
      status: 200,
      error: 'invalid_blocks',
      withBlocks: true,
      count: 1,
    });
    const d = new ActionDispatcher({ slack: notifier(token), logger });
    await d.handle(opened);
    expect(d.outcomes.filter((o) => o.action === 'slack').map((o) => o.outcome)).toEqual(['posted_plain']);
    const posts = calls(token, 'chat.postMessage');
    expect(posts.map((c) => c.response?.error ?? 'ok')).toEqual(['invalid_blocks', 'ok']);
    expect(posts[1]!.args.blocks).toBeUndefined();
    expect(posts[1]!.args.text).toBe(renderIncidentPlain(base, { grafanaUrlTemplate: GRAFANA }).text);
    expect(posts[1]!.args.metadata).toMatchObject({ event_payload: { incident_id: base.incident_id } });
    // The message is found again after a restart, and the next version goes out with blocks again.
    expect(await notifier(token).handle(updated)).toBe('updated');
    const parents = (await messages(token)).filter((m) => !m.thread_ts);
    expect(parents).toHaveLength(1);
    expect(calls(token, 'chat.update')[0]!.args.blocks).toBeDefined();
  });

  it('an update and a thread reply Slack refuses fall back too', async () => {
    const token = newToken();
    const slack = notifier(token);
    await slack.handle(opened);
    await fault({
      token,
      method: 'chat.update',
      status: 200,
      error: 'msg_blocks_too_long',
      withBlocks: true,
      count: 1,
    });
    await fault({ token, method: 'chat.postMessage', status: 200, error: 'msg_too_long', count: 1 });
    const withReply: IncidentEvent = { ...updated, changes: { new_findings: ['row count dropped'] } };
    expect(await slack.handle(withReply)).toBe('updated_plain');
    const updates = calls(token, 'chat.update');
    expect(updates.map((c) => c.response?.error ?? 'ok')).toEqual(['msg_blocks_too_long', 'ok']);
    expect(updates[1]!.args.blocks).toEqual([]);
    const replies = calls(token, 'chat.postMessage').filter((c) => c.args.thread_ts);
    expect(replies.map((c) => c.response?.error ?? 'ok')).toEqual(['msg_too_long', 'ok']);
    expect(replies[1]!.args.text).toMatch(/^:warning: Also at `n01`: row count dropped/);
  });

  it('an error that is not about the payload does not fall back', async () => {
    const token = newToken();
    await fault({ token, method: 'chat.postMessage', status: 200, error: 'channel_not_found', count: 1 });
    await expect(notifier(token).handle(opened)).rejects.toMatchObject({
      retriable: false,
      message: 'chat.postMessage: Slack said channel_not_found',
    });
    expect(calls(token, 'chat.postMessage')).toHaveLength(1);
  });
});
