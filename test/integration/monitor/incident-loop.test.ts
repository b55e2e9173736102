// The incident loop with people, end to end: the monitor (real Kafka, InfluxDB) posts an incident to the
// local Slack server through the real @slack/web-api client; the local Slack server clicks its buttons as
// Slack does (a signed block_actions request to the monitor's interactivity URL); the action travels
// through Kafka (the reports topic) to the core, which updates the incident; the notifier updates the
// message and says it in the thread; the CLI and the API act too; the audit log records everything.
import { describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/config/tokens.js';
import type { Report } from '../../../src/contract/index.js';
import type { AuditEntry, Incident } from '../../../src/monitor/index.js';
import { runCli } from '../../cli/run-cli.js';
import { eventually, services, unique } from '../helpers.js';
import { monitorConfig, recentSim, sendReports, startMonitor, type RunningMonitor } from './harness.js';

const SECRET = 'e2e-signing-secret-5f0c1a9b7d3e2f41';
const OPERATE = 'rl_e2e-operate-token-000000000000000000';
const READ = 'rl_e2e-read-token-00000000000000000000000';

interface Stored {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  blocks: unknown;
}
interface Clicked {
  ok: boolean;
  status: number;
  body: string;
  request: { headers: Record<string, string>; body: string };
}

const FAULT = [{ node: 'n01', kind: 'null_spike' as const }];

/**
 * A monitor with Slack interactivity and an operate and a read token, a pipeline whose n01 broke at
 * run 7 (its incident posted to Slack), and helpers to click the message's buttons and call the API.
 */
async function brokenPipeline() {
  const pipeline = unique('loop');
  const cfg = monitorConfig({
    'log.level': 'debug',
    'slack.signingSecret': SECRET,
    'slack.channel': 'C0LOOP',
    'http.tokens': [
      { name: 'oncall', hash: hashToken(OPERATE), roles: ['operate'] },
      { name: 'dashboard', hash: hashToken(READ), roles: ['read'] },
    ],
  });
  const token = cfg.slack.token!;
  const control = services().slackControlUrl;
  const m: RunningMonitor = await startMonitor(cfg);
  const { run } = recentSim('chain', 3, pipeline, 81);
  for (let r = 0; r < 7; r++) await sendReports(cfg, run(r));
  await sendReports(cfg, run(7, FAULT));
  const incident = await eventually(() => m.core.incidents({ status: 'open', pipeline })[0], 60_000, 'the incident');
  expect(incident.culprit).toBe('n01');
  const messages = async () => (await (await fetch(`${control}/messages?token=${token}`)).json()) as Stored[];
  const parent = await eventually(
    async () => (await messages()).find((x) => x.thread_ts === undefined),
    30_000,
    'the incident message',
  );
  expect(JSON.stringify(parent.blocks)).toContain('rootline_ack');
  return {
    cfg,
    m,
    pipeline,
    incident,
    messages,
    parent,
    send: (reports: Report[]) => sendReports(cfg, reports),
    run,
    /** The parent message as it is now. */
    current: async () => (await messages()).find((x) => x.ts === parent.ts)!,
    replies: async () => (await messages()).filter((x) => x.thread_ts === parent.ts).map((x) => x.text),
    click: async (action_id: string, extra: Record<string, unknown> = {}) =>
      (await (
        await fetch(`${control}/interact`, {
          method: 'POST',
          body: JSON.stringify({
            url: `${m.httpUrl}/slack/interactions`,
            signing_secret: SECRET,
            channel: parent.channel,
            ts: parent.ts,
            action_id,
            user: 'U0ALICE',
            ...extra,
          }),
        })
      ).json()) as Clicked,
    api: (path: string, t: string, body?: unknown) =>
      fetch(`${m.httpUrl}/api/v1/${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      }),
    now: (): Incident => m.core.incidents({ pipeline }).find((i) => i.incident_id === incident.incident_id)!,
  };
}

/** Waits until a thread reply contains `text`. */
async function replied(replies: () => Promise<string[]>, text: string): Promise<void> {
  await eventually(
    async () => ((await replies()).some((t) => t.includes(text)) ? true : undefined),
    30_000,
    `a thread reply with ${text}`,
  );
}

describe('the incident loop with people', () => {
  it('a signed click acknowledges; forged, stale and replayed clicks are refused; the CLI snoozes; the API resolves; a click reopens; the audit log has it all', async () => {
    const t = await brokenPipeline();
    const { m, incident, now, click, api, replies } = t;

    // A signed click acknowledges: the incident, the message and its thread say who.
    const ack = await click('rootline_ack');
    expect(ack.status).toBe(200);
    await eventually(() => now().acknowledged, 30_000, 'acknowledged');
    expect(now().acknowledged).toMatchObject({ who: 'U0ALICE', source: 'slack' });
    await replied(replies, ':eyes: Acknowledged by <@U0ALICE>');
    expect(JSON.stringify((await t.current()).blocks)).toContain('Acknowledged by <@U0ALICE>');

    // Forged, stale and replayed requests are refused (401) and change nothing.
    expect((await click('rootline_resolve', { signing_secret: 'not-the-secret' })).status).toBe(401);
    expect((await click('rootline_resolve', { timestamp_offset_sec: -400 })).status).toBe(401);
    const replay = await fetch(`${m.httpUrl}/slack/interactions`, {
      method: 'POST',
      headers: ack.request.headers,
      body: ack.request.body,
    });
    expect(replay.status).toBe(401);
    // A read token cannot act.
    expect((await api(`incidents/${incident.incident_id}/resolve`, READ, {})).status).toBe(403);

    // The CLI snoozes (operate token), naming the person.
    const env = { ...process.env, ROOTLINE_URL: m.httpUrl!, ROOTLINE_HTTP_TOKEN: OPERATE };
    const snooze = await runCli(
      ['incident', 'snooze', incident.incident_id, '--for', '2h', '--why', 'deploy window', '--as', 'bob'],
      env,
    );
    expect(snooze.stderr).toBe('');
    expect(snooze.code).toBe(0);
    expect(snooze.stdout).toMatch(/^snooze inc-[0-9a-f]+: sent \(api-.+\); snoozed until /);
    await eventually(() => now().snoozed_until, 30_000, 'snoozed');
    await replied(replies, ':zzz: Snoozed by `bob (token oncall)`');

    // The API resolves; the resolved message offers reopen only; a click on it reopens.
    expect((await api(`incidents/${incident.incident_id}/resolve`, OPERATE, { why: 'fixed upstream' })).status).toBe(
      202,
    );
    await eventually(() => (now().status === 'resolved' ? true : undefined), 30_000, 'resolved');
    expect(now().resolved_by).toMatchObject({ who: 'oncall', source: 'api', why: 'fixed upstream' });
    await eventually(
      async () => (JSON.stringify((await t.current()).blocks).includes('rootline_reopen') ? true : undefined),
      30_000,
      'the reopen button',
    );
    expect(JSON.stringify((await t.current()).blocks)).not.toContain('rootline_ack');
    expect((await click('rootline_reopen', { user: 'U0CAROL' })).status).toBe(200);
    await eventually(() => (now().status === 'open' ? true : undefined), 30_000, 'reopened');
    await replied(replies, ':arrows_counterclockwise: Reopened by <@U0CAROL>');

    // The audit log: what the monitor did, then each person's action, in order, from where.
    const audit = (await (await api(`incidents/${incident.incident_id}/audit`, READ)).json()) as {
      audit: AuditEntry[];
    };
    const people = audit.audit.filter((a) => a.source !== 'auto');
    expect(audit.audit[0]).toMatchObject({ action: 'opened', source: 'auto', who: 'rootline-monitor' });
    expect(people.map((a) => [a.action, a.source, a.who])).toEqual([
      ['ack', 'slack', 'U0ALICE'],
      ['snooze', 'cli', 'bob (token oncall)'],
      ['resolve', 'api', 'oncall'],
      ['reopen', 'slack', 'U0CAROL'],
    ]);
    expect(people[1]!.why).toBe('deploy window');
    const cliAudit = await runCli(['incident', 'audit', incident.incident_id], { ...env, ROOTLINE_HTTP_TOKEN: READ });
    expect(cliAudit.code).toBe(0);
    expect(cliAudit.stdout).toContain('slack U0ALICE  ack');
    expect(now().audit!.filter((a) => a.action === 'ack')).toHaveLength(1);

    // The signing secret and the tokens are in no log line and not in /metrics.
    const metrics = await (
      await fetch(`${m.httpUrl}/metrics`, { headers: { authorization: `Bearer ${READ}` } })
    ).text();
    expect(metrics).toContain('route="/slack/interactions",status="401"');
    expect(metrics).toContain('rootline_incident_commands_total{action="ack",outcome="applied",source="slack"} 1');
    expect(metrics).toContain('rootline_incident_commands_total{action="snooze",outcome="applied",source="cli"} 1');
    const logs = m.logs.join('');
    expect(logs).toContain('Slack request refused');
    for (const s of [SECRET, OPERATE, READ]) {
      expect(logs).not.toContain(s);
      expect(metrics).not.toContain(s);
    }
  }, 240_000);

  it('"Accept the change" from its Slack button re-baselines the culprit: the next runs with the same change are healthy, and the incident is resolved', async () => {
    const t = await brokenPipeline();
    const { m, pipeline, incident, now } = t;
    expect((await t.click('rootline_accept')).status).toBe(200);
    await eventually(() => (now().status === 'resolved' ? true : undefined), 30_000, 'resolved by the accept');
    expect(now().resolved_by).toMatchObject({ who: 'U0ALICE', source: 'slack' });
    expect(now().accepted).toMatchObject({ who: 'U0ALICE', via: 'slack', run_id: incident.opened_run_id });
    // The change stays (the same null spike at n01 every run): the culprit's runs are healthy now.
    for (let r = 8; r < 12; r++) await t.send(t.run(r, FAULT));
    await eventually(
      () => (m.core.node({ pipeline, node: 'n01' })!.runs === 12 ? true : undefined),
      60_000,
      'the later runs',
    );
    const later = m.core.node({ pipeline, node: 'n01' })!.history.slice(-4);
    expect(later.map((h) => [h.run_id, h.healthy])).toEqual(later.map((h) => [h.run_id, true]));
    expect(m.core.incidents({ status: 'open', pipeline })).toEqual([]);
    await replied(t.replies, 'Change accepted by <@U0ALICE>');
    expect(
      now()
        .audit!.filter((a) => a.source !== 'auto')
        .map((a) => [a.action, a.who]),
    ).toEqual([['accept', 'U0ALICE']]);
  }, 240_000);
});
