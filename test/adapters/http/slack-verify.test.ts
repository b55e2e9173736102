import { describe, expect, it } from 'vitest';
import { SlackRequestVerifier, slackSignature } from '../../../src/adapters/http/slack-verify.js';

// The worked example of Slack's "Verifying requests from Slack" (api.slack.com/authentication/verifying-requests-from-slack).
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TS = '1531420618';
const BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const SIG = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

describe('Slack request signatures', () => {
  it("computes Slack's documented example", () => {
    expect(slackSignature(SECRET, TS, BODY)).toBe(SIG);
  });

  const at = (sec: number) => new SlackRequestVerifier({ signingSecret: SECRET, now: () => sec * 1000 });

  it('accepts the example at its time and up to five minutes either side', () => {
    expect(at(Number(TS)).verify(TS, SIG, Buffer.from(BODY))).toMatchObject({ ok: true });
    expect(at(Number(TS) + 300).verify(TS, SIG, Buffer.from(BODY))).toMatchObject({ ok: true });
    expect(at(Number(TS) - 300).verify(TS, SIG, Buffer.from(BODY))).toMatchObject({ ok: true });
  });

  it('refuses a stale or future timestamp, a changed body, another secret, a missing header', () => {
    expect(at(Number(TS) + 301).verify(TS, SIG, Buffer.from(BODY))).toEqual({ ok: false, reason: 'stale' });
    expect(at(Number(TS) - 301).verify(TS, SIG, Buffer.from(BODY))).toEqual({ ok: false, reason: 'stale' });
    expect(at(Number(TS)).verify(TS, SIG, Buffer.from(`${BODY}&x=1`))).toEqual({ ok: false, reason: 'forged' });
    expect(at(Number(TS)).verify(TS, slackSignature('other', TS, BODY), Buffer.from(BODY))).toEqual({
      ok: false,
      reason: 'forged',
    });
    expect(at(Number(TS)).verify(TS, SIG.slice(0, -1), Buffer.from(BODY))).toEqual({ ok: false, reason: 'forged' });
    expect(at(Number(TS)).verify(TS, SIG.toUpperCase(), Buffer.from(BODY))).toEqual({ ok: false, reason: 'forged' });
    // The timestamp is part of what is signed: the same signature with another (fresh) timestamp is forged.
    expect(at(Number(TS)).verify(String(Number(TS) + 1), SIG, Buffer.from(BODY))).toEqual({
      ok: false,
      reason: 'forged',
    });
    expect(at(Number(TS)).verify(undefined, SIG, Buffer.from(BODY))).toEqual({ ok: false, reason: 'missing' });
    expect(at(Number(TS)).verify(TS, undefined, Buffer.from(BODY))).toEqual({ ok: false, reason: 'missing' });
    expect(at(Number(TS)).verify('1e9', SIG, Buffer.from(BODY))).toEqual({ ok: false, reason: 'stale' });
  });

  it('refuses a replay while it is fresh, and names each request by a stable digest', () => {
    let now = Number(TS) * 1000;
    const v = new SlackRequestVerifier({ signingSecret: SECRET, now: () => now });
    const first = v.verify(TS, SIG, Buffer.from(BODY));
    expect(first.ok).toBe(true);
    expect(first.ok && first.id).toMatch(/^[0-9a-f]{32}$/);
    expect(v.verify(TS, SIG, Buffer.from(BODY))).toEqual({ ok: false, reason: 'replayed' });
    now += 299_000;
    expect(v.verify(TS, SIG, Buffer.from(BODY))).toEqual({ ok: false, reason: 'replayed' });
    // Once stale it is refused as stale, and its memory is gone.
    now += 2000;
    expect(v.verify(TS, SIG, Buffer.from(BODY))).toEqual({ ok: false, reason: 'stale' });
    const other = new SlackRequestVerifier({ signingSecret: SECRET, now: () => Number(TS) * 1000 });
    expect(other.verify(TS, SIG, Buffer.from(BODY))).toEqual(first);
  });
});
