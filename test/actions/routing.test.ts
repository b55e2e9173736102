// Ownership routing in Slack: an incident goes to the channel its route names (the owner's or the
// escalation channel) and mentions its people; without a route, to the default channel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackNotifier, renderIncident } from '../../src/actions/index.js';
import { mentionText, ownerLine } from '../../src/actions/owner.js';
import { startSlackMockServer, type SlackMockServer } from '../../src/dev/slack/server.js';
import type { Incident, IncidentEvent } from '../../src/monitor/index.js';
import { createLogger } from '../../src/service/log.js';
import { scenarioEvents } from './fixtures.js';

const DEFAULT = 'C0DEFAULT';
let server: SlackMockServer;
beforeAll(async () => (server = await startSlackMockServer({ port: 0 })));
afterAll(() => server.close());
let n = 0;
const newToken = () => `xoxb-routing-${process.pid}-${n++}`;
const notifier = (token: string) =>
  new SlackNotifier({
    token,
    channel: DEFAULT,
    apiUrl: `${server.url}/api/`,
    logger: createLogger('silent'),
    retries: 1,
    maxRetryDelayMs: 500,
  });

interface Stored {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  blocks?: { type: string; text?: { text: string } }[];
}
async function messages(token: string): Promise<Stored[]> {
  return (await (await fetch(`${server.url}/_mock/messages?token=${encodeURIComponent(token)}`)).json()) as Stored[];
}

const events = scenarioEvents({ bad: 2, after: 3 }).flat();
const route = { team: 'feature-team', channel: 'C0FEATURES', mention: ['U0ALICE', 'S0ONCALL', '@bob'], why: 'owner' };
const routed = (e: IncidentEvent, r: Incident['route'] = route): IncidentEvent => ({
  ...e,
  incident: { ...e.incident, route: r },
});

describe('rendering the owner', () => {
  it('mentions user ids and groups as Slack pings, handles as text', () => {
    expect(mentionText('U0ALICE')).toBe('<@U0ALICE>');
    expect(mentionText('W0ENTERPRISE')).toBe('<@W0ENTERPRISE>');
    expect(mentionText('S0ONCALL')).toBe('<!subteam^S0ONCALL>');
    expect(mentionText('@bob')).toBe('@bob');
    // Only ids the rules loader accepts ever get here; anything else is shown escaped, never as a ping.
    expect(mentionText('<!channel>')).toBe('&lt;!channel&gt;');
  });

  it('an owner line with the team (escaped) and the people, in the parent message', () => {
    const i = routed(events[0]!, { ...route, team: 'a<b>&c' }).incident;
    expect(ownerLine(i)).toBe('*Owner*: a&lt;b&gt;&amp;c · <@U0ALICE> <!subteam^S0ONCALL> @bob');
    const texts = renderIncident(i).blocks.map((b) => (b.text as { text?: string } | undefined)?.text ?? '');
    expect(texts).toContain('*Owner*: a&lt;b&gt;&amp;c · <@U0ALICE> <!subteam^S0ONCALL> @bob');
    // Nobody to name: no owner line.
    expect(ownerLine({ ...i, route: { mention: [], why: 'no owner matches' } })).toBeUndefined();
    const bare: Incident = { ...i };
    delete bare.route;
    expect(ownerLine(bare)).toBeUndefined();
    expect(renderIncident(bare).blocks.some((b) => JSON.stringify(b).includes('*Owner*'))).toBe(false);
  });
});

describe('SlackNotifier routes by the incident', () => {
  it("posts, updates and threads in the owner's channel, mentioning its people", async () => {
    const token = newToken();
    const slack = notifier(token);
    for (const e of events) await slack.handle(routed(e));
    const all = await messages(token);
    expect(new Set(all.map((m) => m.channel))).toEqual(new Set(['C0FEATURES']));
    const parent = all.find((m) => !m.thread_ts)!;
    expect(JSON.stringify(parent.blocks)).toContain('<@U0ALICE> <!subteam^S0ONCALL> @bob');
    expect(all.filter((m) => m.thread_ts === parent.ts).length).toBeGreaterThan(0);
  });

  it('without a route (or a channel in it), the default channel', async () => {
    const token = newToken();
    const slack = notifier(token);
    await slack.handle(events[0]!);
    await slack.handle(
      routed(
        { ...events[0]!, incident: { ...events[0]!.incident, incident_id: 'inc-other' } },
        { team: 't', mention: ['U0X'], why: 'owner without a channel' },
      ),
    );
    expect((await messages(token)).map((m) => m.channel)).toEqual([DEFAULT, DEFAULT]);
  });

  it("a restarted notifier finds the parent in the incident's channel", async () => {
    const token = newToken();
    await notifier(token).handle(routed(events[0]!));
    const restarted = notifier(token);
    expect(await restarted.handle(routed(events[0]!))).toBe('skipped');
    expect(await restarted.handle(routed(events[1]!))).toBe('updated');
    const parents = (await messages(token)).filter((m) => !m.thread_ts);
    expect(parents.map((m) => m.channel)).toEqual(['C0FEATURES']);
  });
});
