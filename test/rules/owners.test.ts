import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRootlineError, type RootlineError } from '../../src/errors/index.js';
import { compileRules, effectiveRules, ownerOf, routeIncident, type RuleProblem } from '../../src/rules/index.js';
import { Scenario, WARMUP, feed, newCore } from '../monitor/drive.js';
import { runCli } from '../cli/run-cli.js';

const DEFAULTS = readFileSync('rules/defaults.yaml', 'utf8');

const OWNERS = `
owners:
  - match: { pipeline: "churn*" }
    team: data-platform
    slack_channel: C0PLATFORM
    mention: ["@dana"]
  - match: { pipeline: "churn*", node: "n01" }
    team: feature-team
    slack_channel: "#features"
    mention: [U0ALICE, S0ONCALL, "@bob"]
    routes: { warning: [log], critical: [slack, rollback] }
  - match: { pipeline: "billing" }
    team: billing
    mention: [U0BILL]
escalation:
  slack_channel: C0ESCALATE
  mention: [S0SRE]
`;

const set = compileRules([
  { file: 'rules/defaults.yaml', text: DEFAULTS },
  { file: 'owners.yaml', text: OWNERS },
]);

function problems(text: string): string[] {
  try {
    compileRules([{ file: 'bad.yaml', text }]);
  } catch (err: unknown) {
    expect(isRootlineError(err, 'RULES_INVALID')).toBe(true);
    return ((err as RootlineError).details!.problems as RuleProblem[]).map((p) => `${p.line}: ${p.message}`);
  }
  throw new Error('compileRules accepted invalid rules');
}

describe('owners and escalation in the rule files', () => {
  it('loads them in file order', () => {
    expect(set.owners!.map((o) => [o.team, o.slack_channel, o.mention, o.source])).toEqual([
      ['data-platform', 'C0PLATFORM', ['@dana'], 'owners.yaml:3'],
      ['feature-team', '#features', ['U0ALICE', 'S0ONCALL', '@bob'], 'owners.yaml:7'],
      ['billing', undefined, ['U0BILL'], 'owners.yaml:12'],
    ]);
    expect(set.escalation).toEqual({ slack_channel: 'C0ESCALATE', mention: ['S0SRE'], source: 'owners.yaml:16' });
  });

  it('reports every mistake with its line', () => {
    expect(
      problems(`owners:
  - team: nobody-matched
  - match: { pipeline: x, column: y }
    team: t
  - match: { node: "{a" }
    team: t
  - match: { pipeline: x }
    slack_channel: "data incidents"
    mention: ["<!channel>", "alice", U0OK]
    team: t
  - match: { pipeline: x }
    routes: { critical: [page] }
  - match: { pipeline: x }
    team: t
    channel: C0X
escalation:
  mention: U0X
`),
    ).toEqual([
      '2: an owner needs match (e.g. match: { pipeline: "churn", node: "raw_*" })',
      '3: unknown owners match key "column" (expected pipeline, node)',
      '5: unclosed "{" in glob "{a"',
      '8: slack_channel must be a Slack channel id (C0123ABC) or #name, got "data incidents"',
      '9: mention: "<!channel>" is not a Slack user id (U0123ABC), group id (S0123ABC) or @handle',
      '9: mention: "alice" is not a Slack user id (U0123ABC), group id (S0123ABC) or @handle',
      '12: unknown action "page" (expected slack, rollback, rerun, log)',
      '11: an owner needs team',
      '15: unknown key "channel" in an owner (expected match, team, slack_channel, mention, routes)',
      '17: escalation.mention must be a list of Slack user ids (U0123ABC), group ids (S0123ABC) or @handles',
      '17: escalation needs slack_channel',
    ]);
  });
});

describe('ownerOf and routeIncident', () => {
  it('the last matching owner wins', () => {
    expect(ownerOf(set, { pipeline: 'churn', node: 'n00' })?.team).toBe('data-platform');
    expect(ownerOf(set, { pipeline: 'churn_eu', node: 'n01' })?.team).toBe('feature-team');
    expect(ownerOf(set, { pipeline: 'billing', node: 'n01' })?.team).toBe('billing');
    expect(ownerOf(set, { pipeline: 'other', node: 'n01' })).toBeUndefined();
  });

  it("an incident goes to its owner's channel with its people, or to the default channel", () => {
    expect(routeIncident(set, { pipeline: 'churn', node: 'n01' }, false)).toEqual({
      team: 'feature-team',
      channel: '#features',
      mention: ['U0ALICE', 'S0ONCALL', '@bob'],
      why: 'owner feature-team (owners.yaml:7)',
    });
    expect(routeIncident(set, { pipeline: 'billing', node: 'x' }, false)).toEqual({
      team: 'billing',
      mention: ['U0BILL'],
      why: 'owner billing (owners.yaml:12): the default channel',
    });
    expect(routeIncident(set, { pipeline: 'other', node: 'x' }, false)).toEqual({
      mention: [],
      why: 'no owner matches: the default channel',
    });
  });

  it('an escalated incident goes to the escalation route; without one, to the owner', () => {
    expect(routeIncident(set, { pipeline: 'churn', node: 'n01' }, true)).toEqual({
      team: 'feature-team',
      channel: 'C0ESCALATE',
      mention: ['S0SRE'],
      why: 'escalated (ambiguous root): the escalation route (owners.yaml:16)',
    });
    const noEscalation = compileRules([{ file: 'o.yaml', text: OWNERS.replace(/escalation:[^]*$/, '') }]);
    expect(routeIncident(noEscalation, { pipeline: 'churn', node: 'n00' }, true)).toEqual({
      team: 'data-platform',
      channel: 'C0PLATFORM',
      mention: ['@dana'],
      why: 'owner data-platform (o.yaml:3) (escalated, but the rules have no escalation route)',
    });
  });

  it("an owner's routes apply to its nodes, between the global routes and the overrides", () => {
    expect(effectiveRules(set, { pipeline: 'churn', node: 'n01' }).routes).toEqual({
      critical: ['slack', 'rollback'],
      warning: ['log'],
      info: ['log'],
    });
    expect(effectiveRules(set, { pipeline: 'churn', node: 'n00' }).routes.warning).toEqual(['slack']);
    const overridden = compileRules([
      { file: 'rules/defaults.yaml', text: DEFAULTS },
      { file: 'owners.yaml', text: OWNERS },
      { file: 'z.yaml', text: 'overrides:\n  - match: { node: n01 }\n    routes: { critical: [log] }\n' },
    ]);
    expect(effectiveRules(overridden, { pipeline: 'churn', node: 'n01' }).routes.critical).toEqual(['log']);
  });
});

describe('the core records the route when an incident opens', () => {
  const chain = Scenario.of('chain', 3, 51);
  const rules = compileRules([
    { file: 'rules/defaults.yaml', text: DEFAULTS },
    {
      file: 'owners.yaml',
      text: OWNERS.replaceAll('churn*', chain.dag.pipeline),
    },
  ]);

  it("a node's incident: its owner, channel and people; the same in every core", () => {
    const run = () => {
      const core = newCore({ rules });
      feed(core, chain.batches(0, WARMUP));
      feed(
        core,
        chain.batches(WARMUP, WARMUP + 1, () => [{ node: 'n01', kind: 'null_spike' }]),
      );
      return core.incidents();
    };
    const [inc] = run();
    expect(inc!.escalated).toBe(false);
    expect(inc!.route).toEqual({
      team: 'feature-team',
      channel: '#features',
      mention: ['U0ALICE', 'S0ONCALL', '@bob'],
      why: 'owner feature-team (owners.yaml:7)',
    });
    // The owner's routes decided the actions: critical -> slack and rollback.
    expect(inc!.actions.map((a) => a.action)).toEqual(['slack', 'rollback']);
    expect(run()).toEqual(run().map((i) => ({ ...i })));
  });

  it('an escalated incident: the escalation channel', () => {
    const core = newCore({ rules });
    const without = (run: number, faults: Parameters<Scenario['reports']>[1] = []) =>
      chain.reports(run, faults).filter((r) => r.node !== 'n00');
    for (let r = 0; r < WARMUP; r++) core.processBatch(without(r));
    core.processBatch(without(WARMUP, [{ node: 'n01', kind: 'null_spike' }]));
    // n00's named run never arrives: the verdict is held until the pipeline's next run passes it.
    core.processBatch(without(WARMUP + 1));
    const [inc] = core.incidents();
    expect(inc).toMatchObject({ culprit: 'n01', escalated: true });
    expect(inc!.route).toMatchObject({ channel: 'C0ESCALATE', mention: ['S0SRE'], team: 'feature-team' });
  });
});

describe('rootline rules check --pipeline P --node N', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rootline-owners-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'a-defaults.yaml'), DEFAULTS);
  writeFileSync(join(dir, 'b-owners.yaml'), OWNERS);

  it('shows the owner and where incidents of the node go', async () => {
    const r = await runCli(['rules', 'check', dir, '--pipeline', 'churn', '--node', 'n01']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`owner: feature-team (${join(dir, 'b-owners.yaml')}:7)`);
    expect(r.stdout).toContain(
      `incidents go to: #features, mentioning U0ALICE S0ONCALL @bob (owner feature-team (${join(dir, 'b-owners.yaml')}:7))`,
    );
    expect(r.stdout).toContain(
      `escalated incidents go to: C0ESCALATE, mentioning S0SRE (escalated (ambiguous root): the escalation route (${join(dir, 'b-owners.yaml')}:16))`,
    );
    expect(r.stdout).toContain('routes: critical -> [slack, rollback]; warning -> [log]; info -> [log]');
    const none = await runCli(['rules', 'check', dir, '--pipeline', 'other', '--node', 'x', '--json']);
    const j = JSON.parse(none.stdout) as { owner: unknown; incident_route: unknown };
    expect(j.owner).toBeNull();
    expect(j.incident_route).toEqual({ mention: [], why: 'no owner matches: the default channel' });
  });
});
