import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REPORT_SPEC, type Report } from '../../src/contract/index.js';
import { MonitorCore } from '../../src/monitor/index.js';
import { compileRules, type Finding } from '../../src/rules/index.js';
import { mulberry32 } from '../stats/prng.js';

/**
 * An hourly feed with a daily cycle and quiet weekends (docs/statistics.md, "Weekdays of a sub-daily node"):
 * the hour-of-day slots hold mostly weekdays, the day-of-week slots every hour; the weekend is each hour's level
 * moved by its weekday's.
 */
const DEFAULTS = { file: 'rules/defaults.yaml', text: readFileSync('rules/defaults.yaml', 'utf8') };
const HOUR = 3_600_000;
/** Monday 2026-09-07 00:10 UTC. */
const START = Date.UTC(2026, 8, 7, 0, 10);

function report(t: number, rows: number): Report {
  const time = new Date(t).toISOString();
  return {
    spec: REPORT_SPEC,
    event_id: `events-${time}`,
    pipeline: 'web',
    node: 'events',
    run_id: time,
    event_time: time,
    status: 'success',
    outputs: [{ dataset: 'web/events', profile: { row_count: rows } }],
  };
}

/** The hour's level: nights ~450, afternoons ~2,600 (the pandas set's hourly transactions), weekends 60% of it. */
function level(t: number): number {
  const h = new Date(t).getUTCHours();
  const day = 450 + 2150 * Math.max(0, Math.sin(((h - 6) / 18) * Math.PI));
  const w = new Date(t).getUTCDay();
  return w === 0 || w === 6 ? 0.6 * day : day;
}

/** Hourly runs for `days` days, Poisson-like noise; `fault(hour index)` multiplies a run. */
function run(days: number, seed: number, fault: (i: number) => number = () => 1) {
  const core = new MonitorCore({ rules: compileRules([DEFAULTS]) });
  const rnd = mulberry32(seed);
  const found: (Finding & { i: number })[] = [];
  for (let i = 0; i < days * 24; i++) {
    const t = START + i * HOUR;
    const mean = level(t) * fault(i);
    const rows = Math.max(0, Math.round(mean + Math.sqrt(mean) * (rnd() + rnd() + rnd() - 1.5) * 2));
    const out = core.processBatch([report(t, rows)]);
    for (const f of out.findings) if (f.metric === 'row_count') found.push({ ...f, i });
  }
  return { core, found };
}

const dayOf = (i: number) => Math.floor(i / 24);

describe('an hourly node with quiet weekends', () => {
  it('only its first weekend is flagged: later ones are its hours moved by their weekday (5 seeds)', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const { found, core } = run(28, seed);
      // Days 5 and 6 are the first Saturday and Sunday.
      expect([seed, found.filter((f) => dayOf(f.i) > 6).map((f) => f.i)]).toEqual([seed, []]);
      expect(core.incidents().length).toBeLessThanOrEqual(2);
    }
  });

  it('later weekends are judged against the weekend: a 30% drop on the fourth Saturday afternoon is caught', () => {
    // Day 26 is the fourth Saturday; its 14:10 run is hour index 26 x 24 + 14.
    const at = 26 * 24 + 14;
    const { found } = run(28, 3, (i) => (i === at ? 0.7 : 1));
    const late = found.filter((f) => dayOf(f.i) > 6);
    expect(late.map((f) => f.i)).toEqual([at]);
    expect(late[0]!.message).toContain('hour-and-weekday baseline');
  });

  it('a weekday afternoon 30% short is still caught against its hour', () => {
    const at = 16 * 24 + 14; // the third Tuesday
    const { found } = run(21, 3, (i) => (i === at ? 0.7 : 1));
    expect(found.filter((f) => dayOf(f.i) > 6).map((f) => f.i)).toEqual([at]);
  });
});
