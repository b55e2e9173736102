import { describe, expect, it } from 'vitest';
import { toLineProtocol, toPoint } from '../../../src/adapters/influx/sink.js';
import type { MetricPoint } from '../../../src/monitor/index.js';

const cases: MetricPoint[] = [
  {
    measurement: 'rootline_column',
    tags: { pipeline: 'churn', node: 'n 1', column: 'a,b=c', dataset: 'lake/x' },
    fields: { null_ratio: 0.25, run_id: 'r "1" \\ x', healthy: 1 },
    time: 1_795_000_000_123,
  },
  { measurement: 'm,x y', tags: { empty: '', k: 'v' }, fields: { ok: true, n: 3, s: 'a\nb' }, time: 5 },
];

describe('line protocol', () => {
  it("serializes like the InfluxDB client's Point (sorted tags, escapes, floats, ms time)", () => {
    for (const p of cases) {
      const ours = toLineProtocol(p)!;
      const theirs = toPoint(p).toLineProtocol()!;
      // The client writes numbers without an `i` suffix only when floatField is used, as we do; tag order is sorted by both.
      expect(ours).toBe(theirs.replace(/ (\d+)$/, (_m, t: string) => ` ${Math.round(Number(t) / 1e6)}`));
    }
  });
  it('leaves out non-finite numbers and gives nothing for a point without fields', () => {
    expect(toLineProtocol({ measurement: 'm', tags: {}, fields: { a: Number.NaN }, time: 1 })).toBeUndefined();
    expect(toLineProtocol({ measurement: 'm', tags: {}, fields: { a: Infinity, b: 2 }, time: 1 })).toBe('m b=2 1');
  });
  it('escapes names as InfluxDB reads them back: backslashes kept, line breaks and a trailing backslash replaced', () => {
    const line = (v: string) => toLineProtocol({ measurement: 'm', tags: { t: v }, fields: { f: 1 }, time: 1 });
    expect(line('a\\b')).toBe('m,t=a\\b f=1 1');
    expect(line('a b,c=d')).toBe('m,t=a\\ b\\,c\\=d f=1 1');
    expect(line('a\\,b')).toBe('m,t=a\\\\,b f=1 1');
    expect(line('a\\')).toBe('m,t=a\\\\  f=1 1');
    expect(line('a\nb\r\nc')).toBe('m,t=a\\ b\\ \\ c f=1 1');
    expect(toLineProtocol({ measurement: 'm', tags: { 'k\\': 'v' }, fields: { 'f x': 1 }, time: 1 })).toBe(
      'm,k\\\\ =v f\\ x=1 1',
    );
  });
});
