// Categorical columns whose values come and go (campaign codes, promotions, weekly labels). Found on the pandas
// evaluation set (bench/eval/pandas): a source's `campaign` column replaced one campaign by a new one every two
// or three runs; the first replacement after the rules armed was flagged as a value appearing (and one
// vanishing), the run was not learned, the baseline froze, and every later run of the source and of the three
// steps that carry the column kept the incident open. A column that brought new values in its healthy runs
// is judged on its distribution (total variation, noise band), not on each value's arrival; a column whose
// values were stable keeps the appearance test.
import { describe, expect, it } from 'vitest';
import type { Profile } from '../../src/contract/index.js';
import { valuesComeAndGo } from '../../src/monitor/evaluate.js';
import type { Finding } from '../../src/rules/index.js';
import { dailyRuns } from './daily-runs.js';
import { seededRandom } from '../../src/sketch/index.js';

const ROWS = 2000;

/** Counts of `rows` draws from `weights` (value -> weight), as a categorical profile with every value listed. */
function categorical(rng: () => number, weights: Record<string, number>, rows: number) {
  const entries = Object.entries(weights);
  const total = entries.reduce((a, [, w]) => a + w, 0);
  const frequent: Record<string, number> = {};
  for (let i = 0; i < rows; i++) {
    let u = rng() * total;
    for (const [v, w] of entries) {
      u -= w;
      if (u <= 0) {
        frequent[v] = (frequent[v] ?? 0) + 1;
        break;
      }
    }
  }
  return { kind: 'categorical' as const, count: rows, null_count: 0, frequent, other_count: 0 };
}

function harness(seed: number) {
  const runs = dailyRuns('feed', 'lake/events');
  const rng = seededRandom(seed);
  // 20 campaigns: a few big ones and a tail of ~2% each; every third run one tail campaign is replaced.
  const campaigns: Record<string, number> = { 'cmp-0': 30, 'cmp-1': 14, 'cmp-2': 8, 'cmp-3': 8, 'cmp-4': 5 };
  for (let k = 5; k < 20; k++) campaigns[`cmp-${k}-g0`] = 2.3;
  let generation = 0;
  const run = (opts: { events?: Record<string, number>; campaignBoost?: [string, number] } = {}): Finding[] => {
    const i = runs.count;
    if (i > 0 && i % 3 === 0) {
      const k = 5 + ((i / 3) % 15);
      const old = Object.keys(campaigns).find((c) => c.startsWith(`cmp-${k}-`))!;
      delete campaigns[old];
      campaigns[`cmp-${k}-g${++generation}`] = 2.3;
    }
    const weights = { ...campaigns };
    if (opts.campaignBoost) weights[opts.campaignBoost[0]] = opts.campaignBoost[1];
    const profile: Profile = {
      row_count: ROWS,
      columns: {
        campaign: categorical(rng, weights, ROWS),
        event_type: categorical(rng, opts.events ?? { view: 60, click: 25, cart: 10, purchase: 5 }, ROWS),
      },
    };
    return runs.judge(profile);
  };
  return { run, node: runs.node };
}

describe('categorical columns whose values come and go', () => {
  it('campaigns replaced every third run raise nothing in 60 runs, and the column is known to turn over', () => {
    const h = harness(1);
    const findings = Array.from({ length: 60 }, () => h.run()).flat();
    expect(findings.map((f) => `${f.column}: ${f.message}`)).toEqual([]);
    const b = h.node.outputs['lake/events']!;
    expect(valuesComeAndGo(b.columns.campaign, b.healthy_runs)).toBe(true);
    expect(valuesComeAndGo(b.columns.event_type, b.healthy_runs)).toBe(false);
  });

  it('a stable column beside it still alerts on a rare new value (`scroll` at 2.5%)', () => {
    const h = harness(2);
    for (let r = 0; r < 30; r++) expect(h.run()).toEqual([]);
    const findings = h.run({ events: { view: 58, click: 24.5, cart: 10, purchase: 5, scroll: 2.5 } });
    expect(findings.map((f) => f.column)).toEqual(['event_type']);
    expect(findings[0]!.message).toContain('"scroll" appeared');
  });

  it('a turnover column whose distribution moves (one campaign takes 40% of the rows) still alerts', () => {
    const h = harness(3);
    for (let r = 0; r < 30; r++) expect(h.run()).toEqual([]);
    const findings = h.run({ campaignBoost: ['cmp-1', 60] });
    expect(findings.map((f) => f.column)).toEqual(['campaign']);
  });
});
