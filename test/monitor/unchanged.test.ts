import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/contract/index.js';
import { emptyOutput } from '../../src/monitor/index.js';
import { newCore } from './drive.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-05T03:00:00.000Z');

/** A content hash in the contract's form, one per distinct content. */
const hash = (content: number) => `rch1:${content.toString(16).padStart(32, '0')}`;

function feed(node: string, run: number, content: number, rows = 13): Report {
  return {
    spec: 'rootline.report/v1',
    event_id: `${node}/${run}`,
    pipeline: 'ledger',
    node,
    run_id: `d${run}`,
    event_time: new Date(T0 + run * DAY).toISOString(),
    outputs: [{ dataset: `ds/${node}`, profile: { row_count: rows, content_hash: hash(content) } }],
  };
}

describe('unchanged: a run that wrote exactly its last healthy run rows', () => {
  it('an FX feed stuck on its last good day is found on the first repeated day, one incident until it moves', () => {
    const core = newCore();
    const STUCK = 30;
    const out = [];
    for (let i = 0; i < 40; i++) {
      // Days 30-34 deliver day 29's rates again; day 35 on, new rates.
      const content = i >= STUCK && i < STUCK + 5 ? STUCK - 1 : i;
      out.push(core.processBatch([feed('raw_fx_rates', i, content)], emptyOutput()));
    }
    const found = out.flatMap((o, i) => o.findings.map((f) => [i, f.metric]));
    expect(found).toEqual([30, 31, 32, 33, 34].map((i) => [i, 'unchanged']));
    const incidents = core.incidents();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ culprit: 'raw_fx_rates', metric: 'unchanged', opened_run_id: 'd30' });
    expect(incidents[0]!.cause.kind).toBe('stale');
    expect(incidents[0]!.cause.summary).toMatch(/raw_fx_rates wrote exactly the rows of its last healthy run/);
    expect(incidents[0]!.status).toBe('resolved');
  });

  it('a table that repeats now and then (a dimension with quiet days) is never judged', () => {
    const core = newCore();
    const found = [];
    let content = 0;
    for (let i = 0; i < 80; i++) {
      // New devices on most days, none on every 9th day (and a run of 19 changes at most between quiet days).
      if (i % 9 !== 0) content += 1;
      found.push(...core.processBatch([feed('registry', i, content, 550 + content)], emptyOutput()).findings);
    }
    expect(found).toEqual([]);
  });

  it('fewer changes in a row than min_changes before the repeat: not judged', () => {
    const core = newCore();
    const found = [];
    for (let i = 0; i < 15; i++)
      found.push(...core.processBatch([feed('raw_fx_rates', i, i === 14 ? 13 : i)], emptyOutput()).findings);
    expect(found).toEqual([]);
  });

  it('a table that goes back to earlier contents (a registry whose devices go on and off) is not judged on a repeat', () => {
    // Seen on the blind telemetry sets: a small fleet's device registry changed on 29 days in a row (a device
    // added, one marked inactive, back active), then wrote the same rows on a quiet day: a false "stale".
    const core = newCore();
    const found = [];
    for (let i = 0; i < 40; i++) {
      // Every third day the registry is back in its usual state (1,000); other days one device is flagged.
      const content = i === 39 ? 38 : i % 3 === 0 ? 1000 : i;
      found.push(...core.processBatch([feed('registry', i, content, 60)], emptyOutput()).findings);
    }
    expect(found).toEqual([]);
  });

  it('a return to an earlier content is remembered only among the last 20: a feed new on 25 runs since is judged', () => {
    const core = newCore();
    const out = [];
    for (let i = 0; i < 40; i++) {
      // Day 10 delivers day 8's file again (a return, not a repeat); days 11-38 new; day 39 repeats day 38.
      const content = i === 10 ? 8 : i === 39 ? 38 : i;
      out.push(core.processBatch([feed('raw_fx_rates', i, content)], emptyOutput()).findings);
    }
    const found = out.flatMap((f, i) => f.map((x) => [i, x.metric]));
    expect(found).toEqual([[39, 'unchanged']]);
  });
});
