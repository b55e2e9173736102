import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REPORT_SPEC, type Report } from '../../src/contract/index.js';
import { MonitorCore } from '../../src/monitor/index.js';
import { compileRules, type Finding } from '../../src/rules/index.js';
import { profileColumns } from '../../src/profile/index.js';
import { mulberry32 } from '../stats/prng.js';

/**
 * A daily node's first week (docs/statistics.md, "The first week"): a weekend's data differs from a weekday's
 * by design (other customers, other baskets), which a node's first five weekday runs cannot tell. The drift and
 * null-ratio rules hold such a run (`first_week: hold`, the default), as the row-count rule's `auto`
 * seasonality does: it is learned, and the column's weekend state is kept, so later weekends are the column's
 * own movement, not a drift and not a step of a slow one.
 */
const DEFAULTS = { file: 'rules/defaults.yaml', text: readFileSync('rules/defaults.yaml', 'utf8') };
const DAY = 86_400_000;
/** Monday 2026-09-07 02:00 UTC. */
const START = Date.UTC(2026, 8, 7, 2);
const ROWS = 3000;

interface Day {
  /** Added to every value of `basket` (a weekend's larger baskets, or a fault). */
  shift: number;
  /** Multiplies every value (a unit change). */
  scale?: number;
}

/** One run of node `orders`: a numeric column `basket` (normal, sd 1) of ROWS values, profiled as the SDK does. */
function report(d: number, day: Day, rnd: () => number): Report {
  const time = new Date(START + d * DAY).toISOString();
  const basket = new Float64Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    // Box-Muller: a standard normal from two uniforms.
    const z = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    basket[i] = (10 + z + day.shift) * (day.scale ?? 1);
  }
  return {
    spec: REPORT_SPEC,
    event_id: `orders-${time}`,
    pipeline: 'shop',
    node: 'orders',
    run_id: time,
    event_time: time,
    status: 'success',
    outputs: [{ dataset: 'shop/orders', profile: profileColumns({ basket }, { seed: d + 1 }) }],
  };
}

const weekend = (d: number) => {
  const w = new Date(START + d * DAY).getUTCDay();
  return w === 0 || w === 6;
};

/** Daily runs from Monday for `days` days; weekends' baskets 0.8 sd larger; `fault(d)` overrides a day. */
function run(days: number, fault: (d: number) => Day | undefined = () => undefined, extra?: string) {
  const files = extra ? [DEFAULTS, { file: 'extra.yaml', text: extra }] : [DEFAULTS];
  const core = new MonitorCore({ rules: compileRules(files) });
  const rnd = mulberry32(7);
  const found: (Finding & { day: number })[] = [];
  for (let d = 0; d < days; d++) {
    const day = fault(d) ?? { shift: weekend(d) ? 0.8 : 0 };
    const o = core.processBatch([report(d, day, rnd)]);
    for (const f of o.findings) found.push({ ...f, day: d });
  }
  return { core, found };
}

describe('a daily node’s first week: a new weekday is learned, not judged', () => {
  it('nine weeks of weekend baskets: no drift, no slow drift, no incident', () => {
    const { core, found } = run(63);
    expect(found.map((f) => `${f.day} ${f.metric}`)).toEqual([]);
    expect(core.incidents()).toHaveLength(0);
  });

  it('judged from the first week (first_week: judge), the first Saturday is a drift', () => {
    const { found } = run(
      14,
      undefined,
      'version: 1\noverrides:\n  - match: { node: orders }\n    rules:\n      distribution_drift: { first_week: judge }\n',
    );
    // Day 5 is the first Saturday (the rules arm after 5 runs).
    expect(found.filter((f) => f.metric === 'drift').map((f) => f.day)[0]).toBe(5);
  });

  // As large as the weekends' difference, the other way: the weekend states' distances are not in the column's
  // noise band (they widened it until this shift read as noise, flagged only by the long horizon 5 runs later).
  it('a weekday shift after the first week (baskets 0.8 sd smaller) is still found, on its first run', () => {
    const { found } = run(35, (d) => (d >= 23 && !weekend(d) ? { shift: -0.8 } : undefined));
    const drift = found.filter((f) => f.metric === 'drift').map((f) => f.day);
    expect(drift[0]).toBe(23);
    expect(found.filter((f) => f.day < 23)).toEqual([]);
  });

  it('a column moved apart on the first Saturday (a unit change) is not held', () => {
    const { found } = run(8, (d) => (d === 5 ? { shift: 0.8, scale: 100 } : undefined));
    expect(found.filter((f) => f.metric === 'drift').map((f) => f.day)).toEqual([5]);
  });
});

describe('first_week in rule files', () => {
  it('is "hold" or "judge", nothing else', () => {
    const bad =
      'version: 1\noverrides:\n  - match: { node: orders }\n    rules:\n      distribution_drift: { first_week: later }\n';
    expect(() => compileRules([DEFAULTS, { file: 'extra.yaml', text: bad }])).toThrow(
      /first_week must be "hold" or "judge", got "later"/,
    );
  });
});
