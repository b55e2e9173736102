import { LogLevel, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlackMockServer, type SlackMockServer } from '../../../src/dev/slack/server.js';

let server: SlackMockServer;
let slack: WebClient;
const quiet = () => undefined;
beforeAll(async () => {
  server = await startSlackMockServer({ port: 0 });
  slack = new WebClient(`xoxb-limits-${process.pid}`, {
    slackApiUrl: `${server.url}/api/`,
    retryConfig: { retries: 0 },
    // The client logs Slack's response_metadata.messages as errors; the tests assert them instead.
    logger: {
      debug: quiet,
      info: quiet,
      warn: quiet,
      error: quiet,
      setLevel: quiet,
      getLevel: () => LogLevel.ERROR,
      setName: quiet,
    },
  });
});
afterAll(() => server.close());

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

/** What Slack answers to a chat.postMessage with these arguments (its `data` when it refuses). */
async function post(args: Record<string, unknown>): Promise<Record<string, unknown>> {
  try {
    return (await slack.chat.postMessage({ channel: 'C1', ...args } as never)) as unknown as Record<string, unknown>;
  } catch (err: unknown) {
    return (err as { data: Record<string, unknown> }).data;
  }
}

describe('the local Slack server refuses what Slack refuses', () => {
  it('takes a message within every limit', async () => {
    const res = await post({
      text: 'x'.repeat(40_000),
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(150) } },
        section('s'.repeat(3000)),
        { type: 'section', fields: Array.from({ length: 10 }, () => ({ type: 'mrkdwn', text: 'f'.repeat(200) })) },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'c' }] },
        {
          type: 'actions',
          block_id: 'b'.repeat(255),
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Open' },
              url: 'http://x',
              action_id: 'a'.repeat(255),
              value: 'v'.repeat(2000),
            },
          ],
        },
      ],
      metadata: { event_type: 'rootline_incident', event_payload: { incident_id: 'inc-1', version: 1 } },
    });
    expect(res.ok).toBe(true);
  });

  it.each([
    [
      'a section text over 3,000',
      [section('s'.repeat(3001))],
      'must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
    ],
    ['an empty section text', [section('')], 'must be more than 0 characters [json-pointer:/blocks/0/text/text]'],
    [
      'a header over 150',
      [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }],
      'must be less than 151 characters [json-pointer:/blocks/0/text/text]',
    ],
    [
      'a mrkdwn header',
      [{ type: 'header', text: { type: 'mrkdwn', text: 'h' } }],
      'must be one of [plain_text] [json-pointer:/blocks/0/text/type]',
    ],
    [
      '11 fields',
      [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) }],
      'no more than 10 items allowed [json-pointer:/blocks/0/fields]',
    ],
    [
      'a field over 2,000',
      [{ type: 'section', fields: [{ type: 'mrkdwn', text: 'f'.repeat(2001) }] }],
      'must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]',
    ],
    [
      '51 blocks',
      Array.from({ length: 51 }, () => section('s')),
      'no more than 50 items allowed [json-pointer:/blocks]',
    ],
    [
      '11 context elements',
      [{ type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' })) }],
      'no more than 10 items allowed [json-pointer:/blocks/0/elements]',
    ],
    [
      'a block_id over 255',
      [{ ...section('s'), block_id: 'b'.repeat(256) }],
      'must be less than 256 characters [json-pointer:/blocks/0/block_id]',
    ],
    [
      'an action_id over 255',
      [
        {
          type: 'actions',
          elements: [{ type: 'button', text: { type: 'plain_text', text: 'x' }, action_id: 'a'.repeat(256) }],
        },
      ],
      'must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]',
    ],
    [
      'a button value over 2,000',
      [
        {
          type: 'actions',
          elements: [{ type: 'button', text: { type: 'plain_text', text: 'x' }, value: 'v'.repeat(2001) }],
        },
      ],
      'must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]',
    ],
  ])('invalid_blocks for %s, explained in response_metadata.messages', async (_what, blocks, message) => {
    const res = await post({ text: 'fallback', blocks });
    expect(res).toMatchObject({
      ok: false,
      error: 'invalid_blocks',
      response_metadata: { messages: [`[ERROR] ${message}`] },
    });
  });

  it('msg_too_long past 40,000 characters of text; msg_blocks_too_long past 12,000 across blocks', async () => {
    expect(await post({ text: 'x'.repeat(40_001) })).toMatchObject({ ok: false, error: 'msg_too_long' });
    const blocks = Array.from({ length: 5 }, () => section('s'.repeat(2500)));
    expect(await post({ text: 'x', blocks })).toMatchObject({ ok: false, error: 'msg_blocks_too_long' });
  });

  it('invalid_metadata_format for metadata without an event type or payload', async () => {
    expect(await post({ text: 'x', metadata: { event_payload: {} } })).toMatchObject({
      error: 'invalid_metadata_format',
    });
  });

  it('chat.update checks the same limits and takes an empty blocks array (removing the blocks)', async () => {
    const posted = await post({ text: 'x', blocks: [section('s')] });
    const ts = String(posted.ts);
    await expect(
      slack.chat.update({ channel: 'C1', ts, text: 'x', blocks: [section('s'.repeat(3001))] as never }),
    ).rejects.toMatchObject({
      data: { error: 'invalid_blocks' },
    });
    expect((await slack.chat.update({ channel: 'C1', ts, text: 'plain', blocks: [] })).ok).toBe(true);
  });
});

describe('POST /_mock/interact: a button click, as Slack sends it', () => {
  it('sends a block_actions payload signed with the signing secret to the request URL', async () => {
    const { createServer } = await import('node:http');
    const { SlackRequestVerifier } = await import('../../../src/adapters/http/slack-verify.js');
    const verifier = new SlackRequestVerifier({ signingSecret: 'shh-secret' });
    const got: { verdict: unknown; payload: Record<string, unknown> }[] = [];
    const app = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const verdict = verifier.verify(
          req.headers['x-slack-request-timestamp'] as string,
          req.headers['x-slack-signature'] as string,
          raw,
        );
        got.push({
          verdict,
          payload: JSON.parse(new URLSearchParams(raw.toString()).get('payload')!) as Record<string, unknown>,
        });
        res.writeHead(verdict.ok ? 200 : 401).end();
      });
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const appUrl = `http://127.0.0.1:${(app.address() as { port: number }).port}/slack/interactions`;
    try {
      const posted = (await post({
        text: 'incident',
        blocks: [
          section('x'),
          {
            type: 'actions',
            elements: [
              {
                type: 'button',
                action_id: 'rootline_ack',
                text: { type: 'plain_text', text: 'Ack' },
                value: '{"i":"a"}',
              },
            ],
          },
        ],
      })) as { ts: string; channel: string };
      const click = async (extra: Record<string, unknown> = {}) =>
        (await (
          await fetch(`${server.url}/_mock/interact`, {
            method: 'POST',
            body: JSON.stringify({
              url: appUrl,
              signing_secret: 'shh-secret',
              channel: posted.channel,
              ts: posted.ts,
              action_id: 'rootline_ack',
              user: 'U0BOB',
              ...extra,
            }),
          })
        ).json()) as { status: number; request: { headers: Record<string, string>; body: string } };
      const ok = await click();
      expect(ok.status).toBe(200);
      expect(got[0]!.verdict).toMatchObject({ ok: true });
      expect(got[0]!.payload).toMatchObject({
        type: 'block_actions',
        user: { id: 'U0BOB' },
        container: { message_ts: posted.ts, channel_id: posted.channel },
        actions: [{ action_id: 'rootline_ack', value: '{"i":"a"}' }],
      });
      expect((await click({ timestamp_offset_sec: -600 })).status).toBe(401);
      expect((await click({ signing_secret: 'wrong' })).status).toBe(401);
      expect(((await click({ action_id: 'nope' })) as unknown as { error: string }).error).toBe('no_such_button');
      // The request as sent, sent again: a replay.
      const again = await fetch(appUrl, { method: 'POST', headers: ok.request.headers, body: ok.request.body });
      expect(again.status).toBe(401);
      expect(got.at(-1)!.verdict).toEqual({ ok: false, reason: 'replayed' });
    } finally {
      await new Promise((r) => app.close(r));
    }
  });
});

describe('faults of the local Slack server', () => {
  it('a fault with durationMs answers every matching call for that long, then normally', async () => {
    const token = `xoxb-timed-${process.pid}`;
    const call = () =>
      fetch(`${server.url}/api/chat.postMessage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'C1', text: 'x' }),
      });
    const set = await fetch(`${server.url}/_mock/faults`, {
      method: 'POST',
      body: JSON.stringify({ token, status: 429, retryAfterSec: 45, durationMs: 700 }),
    });
    expect(set.status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const r = await call();
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toBe('45');
    }
    // Another token is not affected.
    const other = await fetch(`${server.url}/api/auth.test`, { headers: { authorization: 'Bearer xoxb-other' } });
    expect(other.status).toBe(200);
    await new Promise((r) => setTimeout(r, 800));
    expect((await call()).status).toBe(200);
  });
});
