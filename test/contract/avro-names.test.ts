import { describe, expect, it } from 'vitest';
import { decodeReportAvro, encodeReportAvro, validateReport, type Report } from '../../src/contract/index.js';

const report = (): Report =>
  JSON.parse(`{
  "spec": "rootline.report/v1", "event_id": "e", "pipeline": "constructor", "node": "__proto__", "run_id": "r",
  "event_time": "2026-01-01T00:00:00Z",
  "outputs": [{ "dataset": "__proto__", "profile": { "row_count": 3, "columns": {
    "__proto__": { "kind": "numeric", "count": 3, "null_count": 1, "min": 1, "max": 2 },
    "constructor": { "kind": "categorical", "count": 3, "null_count": 0, "frequent": { "toString": 2 }, "other_count": 1 }
  } } }],
  "column_lineage": { "__proto__": [{ "node": "constructor", "column": "__proto__" }], "constructor": [] }
}`) as Report;

describe('Avro round trip of names that are keys of Object.prototype', () => {
  it('keeps a column and a column_lineage entry named __proto__ (avsc makes them the map prototype)', () => {
    const r = report();
    expect(validateReport(r)).toMatchObject({ ok: true });
    const back = decodeReportAvro(encodeReportAvro(r));
    expect(Object.keys(back.outputs![0]!.profile!.columns!).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.hasOwn(back.outputs![0]!.profile!.columns!, '__proto__')).toBe(true);
    expect(back.outputs![0]!.profile!.columns!['__proto__']).toEqual(r.outputs![0]!.profile!.columns!['__proto__']);
    expect(Object.hasOwn(back.column_lineage!, '__proto__')).toBe(true);
    expect(back.column_lineage!['__proto__']).toEqual([{ node: 'constructor', column: '__proto__' }]);
    expect(back).toEqual(r);
    expect(({} as Record<string, unknown>)['kind']).toBeUndefined();
  });
});
