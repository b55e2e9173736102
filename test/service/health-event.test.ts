// A run of 100,000 columns made the health record larger than the broker's message limit after the health
// topic began carrying the whole run (cross-instance RCA): the batch's transaction failed on every restart.
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/monitor/state.js';
import { remoteRunOf } from '../../src/monitor/remote-view.js';
import { healthRecordValue } from '../../src/service/health-event.js';

function run(columns: number): RunRecord {
  const findings = Array.from({ length: columns }, (_, i) => ({
    rule: 'null_ratio',
    metric: 'null_ratio',
    severity: 'critical',
    column: `column_${i}_with_a_long_name`,
    message: `null ratio of column_${i} jumped`,
  }));
  return {
    seq: 1,
    run_id: 'r1',
    event_time: Date.UTC(2026, 0, 1),
    status: 'success',
    healthy: false,
    upstream: [],
    inputs: [],
    outputs: ['lake/wide'],
    findings,
    input_findings: [],
  } as unknown as RunRecord;
}

describe('the health record fits the broker limit', () => {
  it('a small run goes whole, and the view reads it', () => {
    const v = healthRecordValue('p', 'n', run(3), 1_000_000);
    expect(remoteRunOf(JSON.parse(v))?.run.run_id).toBe('r1');
    expect(JSON.parse(v)).not.toHaveProperty('trimmed');
  });

  it('a run too large goes without it (the view skips it), then without findings, always under the limit', () => {
    const mid = healthRecordValue('p', 'n', run(2_000), 400_000);
    expect(Buffer.byteLength(mid)).toBeLessThanOrEqual(400_000);
    expect(JSON.parse(mid)).toMatchObject({ trimmed: 'run', run_id: 'r1', healthy: false });
    expect((JSON.parse(mid) as { findings: unknown[] }).findings).toHaveLength(2_000);
    expect(remoteRunOf(JSON.parse(mid))).toBeUndefined();
    const huge = healthRecordValue('p', 'n', run(100_000), 1_000_000);
    expect(Buffer.byteLength(huge)).toBeLessThanOrEqual(1_000_000);
    expect(JSON.parse(huge)).toMatchObject({ trimmed: 'details', run_id: 'r1', findings: [] });
  });
});
