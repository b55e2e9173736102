import { describe, expect, it } from 'vitest';
import {
  INCIDENT_COMMAND_SPEC,
  emptyOutput,
  parseDurationMs,
  parseIncidentCommand,
  type Incident,
  type IncidentAction,
  type IncidentCommand,
  type MonitorCore,
} from '../../src/monitor/index.js';
import { Scenario, WARMUP, feed, newCore, snapshot } from './drive.js';

const HOUR = 3_600_000;
const chain = Scenario.of('chain', 3, 61);
const spike = [{ node: 'n01', kind: 'null_spike' as const }];

/** A core with one open incident at n01 (its run WARMUP broke); the incident. */
function broken(core = newCore()): { core: MonitorCore; inc: Incident } {
  feed(core, chain.batches(0, WARMUP));
  feed(
    core,
    chain.batches(WARMUP, WARMUP + 1, () => spike),
  );
  const inc = core.incidents({ status: 'open' })[0]!;
  return { core, inc };
}

/** The event time of pipeline run `r` of the scenario (the sim spaces runs an hour apart). */
const runTime = (r: number) => Date.parse(chain.reports(r)[0]!.event_time);

let seq = 0;
function cmd(inc: Incident, action: IncidentAction, at: number, extra: Partial<IncidentCommand> = {}): IncidentCommand {
  seq += 1;
  return {
    spec: INCIDENT_COMMAND_SPEC,
    command_id: `t-${seq}`,
    pipeline: inc.pipeline,
    incident_id: inc.incident_id,
    action,
    who: 'U0ALICE',
    source: 'slack',
    at: new Date(at).toISOString(),
    ...(action === 'snooze' ? { snooze_ms: 4 * HOUR } : {}),
    ...extra,
  };
}

describe('incident commands in the core', () => {
  it('the audit log starts with what the monitor did: opened, and each action decided', () => {
    const { inc } = broken();
    expect(inc.audit?.map((a) => [a.action, a.source, a.who])).toEqual([
      ['opened', 'auto', 'rootline-monitor'],
      ...inc.actions.map((d) => [d.action, 'auto', 'rootline-monitor']),
    ]);
    expect(inc.audit?.[0]?.why).toBe(inc.cause.summary);
  });

  it('acknowledge records who and when, bumps the version, and says so in one event', () => {
    const { core, inc } = broken();
    const at = runTime(WARMUP) + 60_000;
    const version = inc.version;
    const out = emptyOutput();
    const res = core.applyCommand(cmd(inc, 'ack', at, { why: 'looking' }), out);
    expect(res.kind).toBe('applied');
    const now = core.incidents()[0]!;
    expect(now.acknowledged).toEqual({ who: 'U0ALICE', at: new Date(at).toISOString(), source: 'slack' });
    expect(now.version).toBe(version + 1);
    expect(out.incidentEvents).toHaveLength(1);
    expect(out.incidentEvents[0]).toMatchObject({
      type: 'updated',
      changes: { audit: [{ action: 'ack', who: 'U0ALICE', source: 'slack', why: 'looking' }] },
    });
    expect(out.dirty.has(`p\u001f${inc.pipeline}`)).toBe(true);
    expect(now.audit?.at(-1)).toMatchObject({ action: 'ack', at: new Date(at).toISOString() });
  });

  it('a command id seen before is ignored (a replayed Slack request, a redelivered message)', () => {
    const { core, inc } = broken();
    const c = cmd(inc, 'ack', runTime(WARMUP) + 1000);
    expect(core.applyCommand(c).kind).toBe('applied');
    const out = emptyOutput();
    expect(core.applyCommand({ ...c, who: 'U0MALLORY' }, out).kind).toBe('duplicate');
    expect(out.incidentEvents).toEqual([]);
    expect(core.incidents()[0]!.acknowledged?.who).toBe('U0ALICE');
  });

  it('an unknown incident or pipeline changes nothing', () => {
    const { core, inc } = broken();
    const version = inc.version;
    expect(core.applyCommand(cmd(inc, 'ack', 0, { incident_id: 'inc-nope' })).kind).toBe('not_found');
    expect(core.applyCommand(cmd(inc, 'ack', 0, { pipeline: 'nope' })).kind).toBe('not_found');
    expect(core.incidents()[0]!.version).toBe(version);
  });

  it('a snooze holds until its expiry; the first change after it lifts the snooze and says so', () => {
    const { core, inc } = broken();
    const at = runTime(WARMUP) + 60_000;
    core.applyCommand(cmd(inc, 'snooze', at, { snooze_ms: 2 * HOUR + 30 * 60_000 }));
    expect(core.incidents()[0]!.snoozed_until).toBe(new Date(at + 2.5 * HOUR).toISOString());
    // Run WARMUP+1 is an hour later: still snoozed; the event carries no audit (nothing to say).
    const [during] = feed(
      core,
      chain.batches(WARMUP + 1, WARMUP + 2, () => spike),
    );
    const ev = during!.incidentEvents.find((e) => e.incident.incident_id === inc.incident_id)!;
    expect(ev.incident.snoozed_until).toBeDefined();
    expect(ev.changes.audit).toBeUndefined();
    // Runs WARMUP+2, +3 are 2 and 3 hours later: the second is past the snooze.
    const [, after] = feed(
      core,
      chain.batches(WARMUP + 2, WARMUP + 4, () => spike),
    );
    const ev2 = after!.incidentEvents.find((e) => e.incident.incident_id === inc.incident_id)!;
    expect(ev2.incident.snoozed_until).toBeUndefined();
    expect(ev2.changes.audit).toEqual([expect.objectContaining({ action: 'snooze_expired', source: 'auto' })]);
  });

  it('resolve by hand: resolved by whom; the culprit breaking again opens a new incident', () => {
    const { core, inc } = broken();
    const out = emptyOutput();
    core.applyCommand(cmd(inc, 'resolve', runTime(WARMUP) + 1000, { source: 'cli', who: 'ops', why: 'fixed' }), out);
    expect(out.incidentEvents[0]).toMatchObject({ type: 'resolved' });
    const r = core.incidents()[0]!;
    expect(r).toMatchObject({ status: 'resolved', resolved_by: { who: 'ops', source: 'cli', why: 'fixed' } });
    expect(core.applyCommand(cmd(inc, 'ack', runTime(WARMUP) + 2000)).kind).toBe('conflict');
    feed(
      core,
      chain.batches(WARMUP + 1, WARMUP + 2, () => spike),
    );
    const open = core.incidents({ status: 'open' });
    expect(open).toHaveLength(1);
    expect(open[0]!.incident_id).not.toBe(inc.incident_id);
  });

  it('reopen: a resolved incident opens again; refused while it is open or while another is open for the culprit', () => {
    const { core, inc } = broken();
    expect(core.applyCommand(cmd(inc, 'reopen', runTime(WARMUP) + 500)).kind).toBe('no_change');
    core.applyCommand(cmd(inc, 'resolve', runTime(WARMUP) + 1000));
    const out = emptyOutput();
    expect(core.applyCommand(cmd(inc, 'reopen', runTime(WARMUP) + 2000, { why: 'not fixed' }), out).kind).toBe(
      'applied',
    );
    const r = core.incidents()[0]!;
    expect(r.status).toBe('open');
    expect(r.resolved_at).toBeUndefined();
    expect(r.resolved_by).toBeUndefined();
    expect(out.incidentEvents[0]!.changes.audit?.[0]).toMatchObject({ action: 'reopen', why: 'not fixed' });
    // Resolved again, and the culprit breaks: a new incident is open, so the old one cannot reopen.
    core.applyCommand(cmd(inc, 'resolve', runTime(WARMUP) + 3000));
    feed(
      core,
      chain.batches(WARMUP + 1, WARMUP + 2, () => spike),
    );
    expect(core.applyCommand(cmd(inc, 'reopen', runTime(WARMUP + 1) + 1000)).kind).toBe('conflict');
  });

  it('accept: the culprit is re-baselined, the incident resolved by whom, and the same change later is healthy', () => {
    const { core, inc } = broken();
    const out = emptyOutput();
    const res = core.applyCommand(
      cmd(inc, 'accept', runTime(WARMUP) + 1000, { source: 'api', who: 'oncall', why: 'intended' }),
      out,
    );
    expect(res.kind).toBe('applied');
    expect(out.incidentEvents).toHaveLength(1);
    expect(out.incidentEvents[0]).toMatchObject({
      type: 'resolved',
      changes: { audit: [{ action: 'accept', who: 'oncall', source: 'api', why: 'intended' }] },
    });
    const r = core.incidents()[0]!;
    expect(r).toMatchObject({ status: 'resolved', resolved_by: { who: 'oncall', source: 'api', why: 'intended' } });
    expect(r.audit?.at(-1)).toMatchObject({
      action: 'accept',
      details: { node: 'n01', from_run_id: inc.opened_run_id },
    });
    const later = feed(
      core,
      chain.batches(WARMUP + 1, WARMUP + 5, () => spike),
    );
    expect(later.flatMap((o) => o.incidentEvents)).toEqual([]);
    expect(
      core
        .node({ pipeline: inc.pipeline, node: 'n01' })!
        .history.slice(-4)
        .map((h) => h.healthy),
    ).toEqual([true, true, true, true]);
    // Accepting again is refused: it is resolved.
    expect(core.applyCommand(cmd(inc, 'accept', runTime(WARMUP + 5))).kind).toBe('conflict');
  });

  it('an event shows the incident as that event left it, though a later command in the batch changes it', () => {
    const { core, inc } = broken();
    const out = emptyOutput();
    core.applyCommand(cmd(inc, 'accept', runTime(WARMUP) + 1000, { why: 'intended' }), out);
    core.applyCommand(cmd(inc, 'reopen', runTime(WARMUP) + 2000), out);
    expect(out.incidentEvents.map((e) => [e.type, e.incident.status])).toEqual([
      ['resolved', 'resolved'],
      ['updated', 'open'],
    ]);
    expect(out.incidentEvents[0]!.incident.version).toBe(out.incidentEvents[1]!.incident.version - 1);
  });

  it('commands survive a restart: the state carries the audit, the acknowledgement and the seen command ids', () => {
    const { core, inc } = broken();
    const c = cmd(inc, 'ack', runTime(WARMUP) + 1000);
    core.applyCommand(c);
    const restarted = newCore();
    restarted.importState(core.exportState(core.allStateKeys()));
    const back = restarted.incidents()[0]!;
    expect(back.acknowledged?.who).toBe('U0ALICE');
    expect(back.audit).toEqual(core.incidents()[0]!.audit);
    expect(restarted.applyCommand(c).kind).toBe('duplicate');
  });

  it('is deterministic: the same reports and commands in the same order give the same state', () => {
    const a = broken();
    const b = broken();
    const cmds = (inc: Incident) => [
      { ...cmd(inc, 'ack', runTime(WARMUP) + 1000), command_id: 'c1' },
      { ...cmd(inc, 'snooze', runTime(WARMUP) + 2000), command_id: 'c2' },
    ];
    for (const c of cmds(a.inc)) a.core.applyCommand(c);
    for (const c of cmds(b.inc)) b.core.applyCommand(c);
    feed(
      a.core,
      chain.batches(WARMUP + 1, WARMUP + 3, () => spike),
    );
    feed(
      b.core,
      chain.batches(WARMUP + 1, WARMUP + 3, () => spike),
    );
    expect(snapshot(a.core)).toEqual(snapshot(b.core));
  });
});

describe('parseIncidentCommand', () => {
  const base = {
    spec: INCIDENT_COMMAND_SPEC,
    command_id: 'x',
    pipeline: 'p',
    incident_id: 'inc-1',
    action: 'ack',
    who: 'U1',
    source: 'api',
    at: '2026-12-01T00:00:00Z',
  };
  it('accepts a valid command and normalizes its time', () => {
    expect(parseIncidentCommand(base)).toEqual({
      ok: true,
      command: { ...base, at: '2026-12-01T00:00:00.000Z' },
    });
  });
  it.each([
    [{ action: 'delete' }, 'action must be one of'],
    [{ source: 'auto' }, 'source must be slack, cli or api'],
    [{ action: 'snooze' }, 'snooze_ms'],
    [{ action: 'snooze', snooze_ms: 31 * 24 * HOUR }, 'snooze_ms'],
    [{ snooze_ms: 1000 }, 'only for snooze'],
    [{ at: 'yesterday' }, 'at must be'],
    [{ who: '' }, 'who must be'],
    [{ extra: 1 }, 'unknown field extra'],
    [{ pipeline: 'x'.repeat(513) }, 'pipeline must be'],
  ])('refuses %j', (change, message) => {
    const r = parseIncidentCommand({ ...base, ...change });
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error).toContain(message);
  });
  it('parses durations', () => {
    expect(parseDurationMs('4h')).toBe(4 * HOUR);
    expect(parseDurationMs('90m')).toBe(90 * 60_000);
    expect(parseDurationMs('1500')).toBe(1500);
    expect(parseDurationMs('2d')).toBe(48 * HOUR);
    expect(parseDurationMs('soon')).toBeUndefined();
    expect(parseDurationMs('0h')).toBeUndefined();
  });
});
