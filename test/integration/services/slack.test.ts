import { describe, expect, it } from 'vitest';
import { WebClient, retryPolicies } from '@slack/web-api';
import type { RecordedCall } from '../../../src/dev/slack/server.js';
import { services, unique } from '../helpers.js';

async function calls(token: string): Promise<RecordedCall[]> {
  const res = await fetch(`${services().slackControlUrl}/calls?token=${encodeURIComponent(token)}`);
  return (await res.json()) as RecordedCall[];
}

async function fault(body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${services().slackControlUrl}/faults`, { method: 'POST', body: JSON.stringify(body) });
  expect(res.ok).toBe(true);
}

function client(token: string): WebClient {
  return new WebClient(token, {
    slackApiUrl: services().slackApiUrl,
    retryConfig: { retries: 3, factor: 1, minTimeout: 50, maxTimeout: 200 },
  });
}

describe('local Slack Web API server with @slack/web-api', () => {
  it('answers auth.test, chat.postMessage and chat.update, and records each call', async () => {
    const token = unique('xoxb');
    const slack = client(token);
    const auth = await slack.auth.test();
    expect(auth.ok).toBe(true);
    expect(auth.bot_id).toBe('B0001');

    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*null ratio* jumped at `compute_avg_amount`' } }];
    const posted = await slack.chat.postMessage({ channel: 'C-ALERTS', text: 'incident', blocks });
    expect(posted.ok).toBe(true);
    expect(posted.ts).toMatch(/^\d+\.\d{6}$/);

    const reply = await slack.chat.postMessage({ channel: 'C-ALERTS', text: 'symptom', thread_ts: posted.ts! });
    expect(reply.ok).toBe(true);
    const updated = await slack.chat.update({ channel: 'C-ALERTS', ts: posted.ts!, text: 'incident (resolved)' });
    expect(updated.ok).toBe(true);

    const recorded = await calls(token);
    expect(recorded.map((c) => c.method)).toEqual(['auth.test', 'chat.postMessage', 'chat.postMessage', 'chat.update']);
    expect(recorded[1]!.args.blocks).toEqual(blocks);
    expect(recorded[2]!.args.thread_ts).toBe(posted.ts);
    expect(recorded[3]!.args.text).toBe('incident (resolved)');
  });

  it('reports Slack-level errors like the real API (unknown message, bad token)', async () => {
    const token = unique('xoxb');
    const slack = new WebClient(token, {
      slackApiUrl: services().slackApiUrl,
      retryConfig: retryPolicies.fiveRetriesInFiveMinutes,
    });
    await expect(slack.chat.update({ channel: 'C1', ts: '1.000001', text: 'x' })).rejects.toMatchObject({
      data: { error: 'message_not_found' },
    });
    const bad = new WebClient('xoxb-invalid', { slackApiUrl: services().slackApiUrl });
    await expect(bad.auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
  });

  it('survives a 429 with Retry-After: the client waits and retries, and one message is posted', async () => {
    const token = unique('xoxb');
    await fault({ token, method: 'chat.postMessage', status: 429, retryAfterSec: 1, count: 1 });
    const slack = client(token);
    const t0 = Date.now();
    const res = await slack.chat.postMessage({ channel: 'C-ALERTS', text: 'after a rate limit' });
    expect(res.ok).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    const recorded = await calls(token);
    expect(recorded.map((c) => c.status)).toEqual([429, 200]);
  });

  it('retries a 503 and then succeeds', async () => {
    const token = unique('xoxb');
    await fault({ token, status: 503, count: 2 });
    const res = await client(token).chat.postMessage({ channel: 'C-ALERTS', text: 'after an outage' });
    expect(res.ok).toBe(true);
    expect((await calls(token)).map((c) => c.status)).toEqual([503, 503, 200]);
  });
});
