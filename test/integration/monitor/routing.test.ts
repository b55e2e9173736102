// Ownership routing end to end: reports on the real broker, the monitor's core decides each incident's
// route from the rules' owners, and the notifier (the real @slack/web-api client) posts it to the
// owner's channel through the local Slack server; an escalated (ambiguous) incident goes to the
// escalation channel; a node nobody owns to the default channel.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually, services } from '../helpers.js';
import { monitorConfig, recentSim, sendReports, startMonitor } from './harness.js';

interface Call {
  args: { channel?: string; text?: string; blocks?: unknown; thread_ts?: string };
}

describe('ownership routing', () => {
  it("a node's incident goes to its owner's channel, mentioning its people; an escalated one to the escalation channel", async () => {
    const rules = mkdtempSync(join(tmpdir(), 'rootline-rules-'));
    cpSync('rules/defaults.yaml', join(rules, 'defaults.yaml'));
    writeFileSync(
      join(rules, 'owners.yaml'),
      [
        'version: 1',
        'owners:',
        '  - match: { pipeline: "own-*" }',
        '    team: platform',
        '    slack_channel: C0PLATFORM',
        '  - match: { pipeline: "own-*", node: "n01" }',
        '    team: features',
        '    slack_channel: C0FEATURES',
        '    mention: [U0ALICE, "@bob"]',
        'escalation:',
        '  slack_channel: C0ESCALATE',
        '  mention: [S0SRE]',
        '',
      ].join('\n'),
    );
    const cfg = monitorConfig({ 'monitor.rules': rules, 'slack.channel': 'C0DEFAULT' });
    const m = await startMonitor(cfg);
    const owned = recentSim('chain', 3, 'own-a', 71);
    // n00 never reports in own-b: n01's parent is unobserved, so its root is ambiguous (escalated).
    const ambiguous = recentSim('chain', 3, 'own-b', 72);
    const nobody = recentSim('chain', 3, 'unowned', 73);
    const ambiguousRun = (r: number, faults: Parameters<typeof ambiguous.run>[1] = []) =>
      ambiguous.run(r, faults).filter((x) => x.node !== 'n00');
    for (let r = 0; r < 7; r++) await sendReports(cfg, [...owned.run(r), ...ambiguousRun(r), ...nobody.run(r)]);
    const fault = [{ node: 'n01', kind: 'null_spike' as const }];
    await sendReports(cfg, [...owned.run(7, fault), ...ambiguousRun(7, fault), ...nobody.run(7, fault)]);
    // The ambiguous verdict waits (bounded by event time: the hold grace, 10 min) for the parent run it
    // names; a later run of the pipeline passes the bound, and it is decided with the parent unobserved
    // (docs/architecture.md, arrival order).
    const later = Date.now() + 11 * 60_000;
    await sendReports(
      cfg,
      ambiguous.sim.run(8, [], later).filter((x) => x.node !== 'n00'),
    );

    const token = cfg.slack.token!;
    const parents = await eventually(
      async () => {
        const calls = (await (
          await fetch(`${services().slackControlUrl}/calls?token=${token}&method=chat.postMessage`)
        ).json()) as Call[];
        const top = calls.filter((c) => c.args.thread_ts === undefined);
        return top.length >= 3 ? top : undefined;
      },
      60_000,
      'three incident messages',
    );
    expect(parents).toHaveLength(3);
    const incidents = m.core.incidents({ status: 'open' });
    const byPipeline = new Map(incidents.map((i) => [i.pipeline, i]));
    expect(byPipeline.get('own-a')).toMatchObject({
      culprit: 'n01',
      escalated: false,
      route: { team: 'features', channel: 'C0FEATURES', mention: ['U0ALICE', '@bob'] },
    });
    expect(byPipeline.get('own-b')).toMatchObject({
      culprit: 'n01',
      escalated: true,
      route: { channel: 'C0ESCALATE', mention: ['S0SRE'] },
    });
    expect(byPipeline.get('unowned')!.route).toEqual({ mention: [], why: 'no owner matches: the default channel' });

    const inChannel = (channel: string) => parents.filter((c) => c.args.channel === channel);
    const features = inChannel('C0FEATURES');
    expect(features).toHaveLength(1);
    expect(features[0]!.args.text).toContain('own-a');
    expect(JSON.stringify(features[0]!.args.blocks)).toContain('<@U0ALICE> @bob');
    const escalated = inChannel('C0ESCALATE');
    expect(escalated).toHaveLength(1);
    expect(escalated[0]!.args.text).toContain('own-b');
    expect(JSON.stringify(escalated[0]!.args.blocks)).toContain('<!subteam^S0SRE>');
    const fallback = inChannel('C0DEFAULT');
    expect(fallback).toHaveLength(1);
    expect(fallback[0]!.args.text).toContain('unowned');
    expect(JSON.stringify(fallback[0]!.args.blocks)).not.toContain('*Owner*');
    expect(inChannel('C0PLATFORM')).toEqual([]);
  });
});
