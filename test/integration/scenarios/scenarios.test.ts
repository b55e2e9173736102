import { describe, expect, it } from 'vitest';
import type { RecordedCall } from '../../../src/dev/slack/server.js';
import type { Fault } from '../../../src/sim/index.js';
import { eventually, services } from '../helpers.js';
import { monitorConfig, nodeRunCount, recentSim, sendReports, startMonitor } from '../monitor/harness.js';

interface Scenario {
  name: string;
  shape: 'chain' | 'diamond' | 'fan_in' | 'fan_out' | 'random';
  size: number;
  seed: number;
  faults: Fault[];
  /** The culprits the Slack messages must name (one message each), with words the message must contain. */
  expect: { culprit: string; mentions: string[] }[];
}

const WARMUP = 7;

const SCENARIOS: Scenario[] = [
  {
    name: 'null spike introduced mid-pipeline by a transformation with healthy inputs',
    shape: 'chain',
    size: 6,
    seed: 1,
    faults: [{ node: 'n03', kind: 'null_spike', column: 'amount' }],
    expect: [{ culprit: 'n03', mentions: ['null ratio', 'amount', 'inputs were healthy'] }],
  },
  {
    name: 'upstream source schema change',
    shape: 'diamond',
    size: 8,
    seed: 2,
    faults: [{ node: 'n00', kind: 'schema_change', column: 'score' }],
    expect: [{ culprit: 'n00', mentions: ['schema', 'score'] }],
  },
  {
    name: 'row-count drop at a source',
    shape: 'fan_in',
    size: 10,
    seed: 3,
    faults: [{ node: 'n02', kind: 'row_drop', magnitude: 0.4 }],
    expect: [{ culprit: 'n02', mentions: ['row count', 'source'] }],
  },
  {
    name: 'distribution shift at a source',
    shape: 'fan_out',
    size: 12,
    seed: 4,
    faults: [{ node: 'n00', kind: 'shift', column: 'amount', magnitude: 2 }],
    expect: [{ culprit: 'n00', mentions: ['distribution', 'amount'] }],
  },
  {
    name: 'code change at a transform',
    shape: 'chain',
    size: 8,
    seed: 5,
    faults: [{ node: 'n04', kind: 'code_change', column: 'score' }],
    expect: [{ culprit: 'n04', mentions: ['code changed', 'git:c0ffee1'] }],
  },
  {
    name: 'two independent faults at once',
    shape: 'fan_in',
    size: 9,
    seed: 6,
    faults: [
      { node: 'n01', kind: 'null_spike', column: 'score' },
      { node: 'n04', kind: 'row_drop' },
    ],
    expect: [
      { culprit: 'n01', mentions: ['null ratio', 'score'] },
      { culprit: 'n04', mentions: ['row count'] },
    ],
  },
  { name: 'a healthy run of noise only', shape: 'random', size: 30, seed: 7, faults: [], expect: [] },
];

async function slackCalls(token: string): Promise<RecordedCall[]> {
  return (await (
    await fetch(`${services().slackControlUrl}/calls?token=${encodeURIComponent(token)}`)
  ).json()) as RecordedCall[];
}

function blocksText(call: RecordedCall): string {
  return `${String(call.args.text)}\n${JSON.stringify(call.args.blocks ?? [])}`;
}

describe('scenarios: exactly one Slack alert per root cause, naming the culprit', () => {
  for (const sc of SCENARIOS) {
    it(sc.name, { timeout: 120_000 }, async () => {
      const cfg = monitorConfig();
      const m = await startMonitor(cfg);
      const { sim, run } = recentSim(sc.shape, sc.size, `sc-${sc.seed}`, sc.seed);
      const nodes = sim.dag.nodes.length;
      for (let r = 0; r < WARMUP; r++) await sendReports(cfg, run(r));
      // The faulty run, then one more in which the fault persists (the same incident must be updated, not duplicated).
      await sendReports(cfg, run(WARMUP, sc.faults));
      await sendReports(cfg, run(WARMUP + 1, sc.faults));
      const total = nodes * (WARMUP + 2);
      await eventually(
        async () => ((await nodeRunCount(cfg, sim.dag.pipeline)) === total ? true : undefined),
        60_000,
        `${total} node runs`,
      );
      await m.dispatcher.drain();
      const token = cfg.slack.token!;
      // Give any (wrong) extra alert time to arrive before counting.
      await new Promise((r) => setTimeout(r, 1500));
      const calls = await eventually(
        async () => {
          const c = await slackCalls(token);
          const parents = c.filter(
            (x) => x.method === 'chat.postMessage' && x.args.thread_ts === undefined && x.status === 200,
          );
          return parents.length >= sc.expect.length ? c : undefined;
        },
        30_000,
        'the Slack messages',
      );
      const parents = calls.filter((x) => x.method === 'chat.postMessage' && x.args.thread_ts === undefined);
      expect(parents.map((p) => String(p.args.text))).toHaveLength(sc.expect.length);
      for (const e of sc.expect) {
        const msg = parents.find(
          (p) => String(p.args.text).includes(`at ${e.culprit} `) || String(p.args.text).includes(`at ${e.culprit}`),
        );
        expect(
          msg,
          `a message naming ${e.culprit}; got:\n${parents.map((p) => String(p.args.text)).join('\n')}`,
        ).toBeDefined();
        const text = blocksText(msg!);
        expect(text).toContain(`Culprit transformation*\\n\`${e.culprit}\` in pipeline \`${sim.dag.pipeline}\``);
        for (const word of e.mentions) expect(text.toLowerCase()).toContain(word.toLowerCase());
      }
      // The incidents agree: one per root cause, the culprit named, the second bad run an update of the same one.
      const incidents = m.core.incidents({ status: 'open' });
      expect(incidents.map((i) => i.culprit).sort()).toEqual(sc.expect.map((e) => e.culprit).sort());
      for (const i of incidents) expect(i.runs_affected).toBe(2);
      if (sc.expect.length === 0) {
        expect(calls).toEqual([]);
        expect(m.metrics.findings.total()).toBe(0);
      }
    });
  }
});
