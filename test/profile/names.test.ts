import { describe, expect, it } from 'vitest';
import { validateReport } from '../../src/contract/index.js';
import { profileRows } from '../../src/profile/index.js';

describe('profileRows: column names that are keys of Object.prototype', () => {
  it('profiles __proto__, constructor and toString like any column, and leaves Object.prototype alone', () => {
    const rows = JSON.parse(
      '[{"__proto__": 1, "constructor": "a", "toString": 2.5}, {"__proto__": 2, "constructor": "b", "toString": null}]',
    ) as Record<string, unknown>[];
    const p = profileRows(rows);
    expect(Object.keys(p.columns ?? {}).sort()).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.hasOwn(p.columns!, '__proto__')).toBe(true);
    expect(p.columns!['__proto__']).toMatchObject({ kind: 'numeric', count: 2, null_count: 0, min: 1, max: 2 });
    expect(p.columns!['constructor']).toMatchObject({ kind: 'categorical', count: 2 });
    expect(p.columns!['toString']).toMatchObject({ kind: 'numeric', null_count: 1 });
    // As JSON, the profile is a valid part of a report with the same three columns.
    const text = JSON.stringify({
      spec: 'rootline.report/v1',
      event_id: 'e',
      pipeline: 'p',
      node: 'n',
      run_id: 'r',
      event_time: '2026-01-01T00:00:00Z',
      outputs: [{ dataset: 'd', profile: p }],
    });
    expect(validateReport(JSON.parse(text))).toMatchObject({ ok: true });
    expect(({} as Record<string, unknown>)['kind']).toBeUndefined();
  });
});
