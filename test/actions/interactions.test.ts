import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackNotifier, renderIncident, renderThreadReply, type Block } from '../../src/actions/index.js';
import { ACTION_IDS, commandFromInteraction, incidentButtons } from '../../src/actions/interactions.js';
import { checkMessage } from '../../src/dev/slack/limits.js';
import { startSlackMockServer, type SlackMockServer } from '../../src/dev/slack/server.js';
import {
  INCIDENT_COMMAND_SPEC,
  MonitorCore,
  emptyOutput,
  type IncidentCommand,
  type IncidentEvent,
} from '../../src/monitor/index.js';
import { createLogger } from '../../src/service/log.js';
import { PipelineSim, makeDag } from '../../src/sim/index.js';
import { RULES } from './fixtures.js';

/** A core with one open incident at n01 of `churn`, and the events of what follows. */
function scenario() {
  const sim = new PipelineSim(makeDag('chain', 4, 'churn', 3), { seed: 3 });
  const core = new MonitorCore({ rules: RULES });
  const events: IncidentEvent[] = [];
  for (let r = 0; r < 9; r++)
    events.push(...core.processBatch(sim.run(r, r === 8 ? [{ node: 'n01', kind: 'null_spike' }] : [])).incidentEvents);
  const inc = core.incidents({ status: 'open' })[0]!;
  let n = 0;
  const act = (action: IncidentCommand['action'], extra: Partial<IncidentCommand> = {}) => {
    const out = emptyOutput();
    core.applyCommand(
      {
        spec: INCIDENT_COMMAND_SPEC,
        command_id: `c${n++}`,
        pipeline: inc.pipeline,
        incident_id: inc.incident_id,
        action,
        who: 'U0ALICE',
        source: 'slack',
        at: new Date(Date.parse(inc.updated_at) + 60_000 * n).toISOString(),
        ...(action === 'snooze' ? { snooze_ms: 4 * 3_600_000 } : {}),
        ...extra,
      },
      out,
    );
    return out.incidentEvents;
  };
  const more = (r: number) =>
    core.processBatch(
      sim.run(r, [
        { node: 'n01', kind: 'null_spike' },
        { node: 'n02', kind: 'row_drop' },
      ]),
    ).incidentEvents;
  return { core, inc, events, act, more };
}

const actionsBlock = (blocks: Block[]) => blocks.find((b) => b.type === 'actions') as { elements: Block[] } | undefined;

describe('incident buttons', () => {
  it('an open incident offers acknowledge, snooze, accept and resolve (accept asks to confirm); a resolved one reopen', () => {
    const { inc, act } = scenario();
    const open = renderIncident(inc, { buttons: true, snoozeMs: 2 * 3_600_000 });
    const ids = actionsBlock(open.blocks)!.elements.map((e) => e.action_id);
    expect(ids).toEqual(['rootline_ack', 'rootline_snooze', 'rootline_accept', 'rootline_resolve']);
    const snooze = actionsBlock(open.blocks)!.elements[1] as { text: { text: string }; value: string };
    expect(snooze.text.text).toBe('Snooze 2h');
    expect(JSON.parse(snooze.value)).toEqual({ i: inc.incident_id, p: 'churn' });
    expect(actionsBlock(open.blocks)!.elements[2]).toHaveProperty('confirm');
    expect(checkMessage({ text: open.text, blocks: open.blocks })).toBeUndefined();
    const [resolved] = act('resolve');
    const after = renderIncident(resolved!.incident, { buttons: true });
    expect(actionsBlock(after.blocks)!.elements.map((e) => e.action_id)).toEqual(['rootline_reopen']);
  });

  it('without interactivity (no signing secret) there are no buttons', () => {
    const { inc } = scenario();
    expect(actionsBlock(renderIncident(inc).blocks)).toBeUndefined();
  });

  it('a pipeline name of 512 characters still fits a button value', () => {
    const { inc } = scenario();
    const long = { ...inc, pipeline: 'p'.repeat(512) };
    expect(incidentButtons(long)).toHaveLength(4);
    const r = renderIncident(long, { buttons: true });
    expect(checkMessage({ text: r.text, blocks: r.blocks })).toBeUndefined();
  });
});

describe('a click becomes a command', () => {
  const payload = (action_id: string, value = '{"i":"inc-1","p":"churn"}') => ({
    type: 'block_actions',
    user: { id: 'U0ALICE' },
    actions: [{ action_id, value }],
  });
  it('names the incident, the pipeline, the user and the request', () => {
    expect(commandFromInteraction(payload(ACTION_IDS.snooze), 'abc', '2026-12-01T00:00:00.000Z', 3_600_000)).toEqual({
      command: {
        spec: INCIDENT_COMMAND_SPEC,
        command_id: 'slack-abc',
        pipeline: 'churn',
        incident_id: 'inc-1',
        action: 'snooze',
        who: 'U0ALICE',
        source: 'slack',
        at: '2026-12-01T00:00:00.000Z',
        snooze_ms: 3_600_000,
      },
    });
  });
  it.each([
    ['the Grafana link', payload('rootline_grafana')],
    ['another app', payload('other_ack')],
    ['a value that is not ours', payload(ACTION_IDS.ack, 'x')],
    ['no user', { ...payload(ACTION_IDS.ack), user: {} }],
    ['a view submission', { type: 'view_submission' }],
  ])('ignores %s', (_what, p) => {
    expect(commandFromInteraction(p, 'abc', '2026-12-01T00:00:00.000Z')).toHaveProperty('ignored');
  });
});

describe('the message and its thread say who did what', () => {
  it('acknowledged: the message shows who; the thread says it', () => {
    const { act } = scenario();
    const [ev] = act('ack', { why: 'looking <!channel>' });
    const { blocks } = renderIncident(ev!.incident);
    expect(JSON.stringify(blocks)).toContain(':eyes: Acknowledged by <@U0ALICE>');
    const reply = renderThreadReply(ev!)!.text;
    expect(reply).toContain(':eyes: Acknowledged by <@U0ALICE> (Slack): looking &lt;!channel&gt;');
  });

  it('an API caller is shown as a code span, escaped (a name cannot ping)', () => {
    const { act } = scenario();
    const [ev] = act('resolve', { who: '<!channel> bot', source: 'api', why: 'done' });
    expect(renderThreadReply(ev!)!.text).toBe(':white_check_mark: Resolved by `&lt;!channel&gt; bot` (the API): done');
    expect(JSON.stringify(renderIncident(ev!.incident).blocks)).toContain('Resolved by `&lt;!channel&gt; bot`');
  });

  it('snoozed: until when; the first change after it says the snooze is over', () => {
    const { act, more } = scenario();
    const [ev] = act('snooze');
    expect(renderThreadReply(ev!)!.text).toMatch(/^:zzz: Snoozed by <@U0ALICE> \(Slack\) until \d{4}-/);
    expect(JSON.stringify(renderIncident(ev!.incident).blocks)).toContain(':zzz: Snoozed until');
    // Runs are an hour apart in the sim: 5 runs later the 4 h snooze is over.
    const texts: string[] = [];
    for (let r = 9; r < 15; r++) for (const e of more(r)) texts.push(renderThreadReply(e)?.text ?? '');
    expect(texts.join('\n')).toContain(':alarm_clock: Snooze over');
  });
});

describe('SlackNotifier: a snoozed incident does not re-alert', () => {
  let server: SlackMockServer;
  beforeAll(async () => (server = await startSlackMockServer({ port: 0 })));
  afterAll(() => server.close());

  it('updates the message in place, posts no thread reply while snoozed, and posts again after', async () => {
    const token = `xoxb-snooze-${process.pid}`;
    const slack = new SlackNotifier({
      token,
      channel: 'C1',
      apiUrl: `${server.url}/api/`,
      logger: createLogger('silent'),
      buttons: true,
    });
    const { events, act, more } = scenario();
    for (const e of events) await slack.handle(e);
    const replies = () => server.calls.filter((c) => c.token === token && c.args.thread_ts !== undefined);
    const updates = () => server.calls.filter((c) => c.token === token && c.method === 'chat.update');
    for (const e of act('snooze')) await slack.handle(e);
    expect(replies().map((c) => c.args.text)).toEqual([expect.stringContaining(':zzz: Snoozed by <@U0ALICE>')]);
    const during = more(9);
    expect(during.some((e) => e.changes.new_symptoms || e.changes.new_findings)).toBe(true);
    const u0 = updates().length;
    for (const e of during) await slack.handle(e);
    expect(updates().length).toBeGreaterThan(u0);
    expect(replies()).toHaveLength(1);
    for (let r = 10; r < 15; r++) for (const e of more(r)) await slack.handle(e);
    expect(replies().length).toBeGreaterThan(1);
    expect(replies().at(-1)!.args.text).toBeDefined();
    expect(
      replies()
        .map((c) => String(c.args.text))
        .join('\n'),
    ).toContain(':alarm_clock: Snooze over');
  });
});
