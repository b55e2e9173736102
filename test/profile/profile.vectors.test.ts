// The cross-language profile check: TypeScript profiles test/vectors/profile/dataset.json (the dataset the
// Python side wrote, read as test/profile/dataset-vectors.ts describes) and must agree with the Python
// emitter's python_profile.json; and the committed ts_profile.json (read by python/tests/
// test_ts_profile_vectors.py) must be what scripts/vectors/profile_ts_vectors.ts writes today.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ColumnProfile, Profile } from '../../src/contract/index.js';
import { KllDoublesSketch } from '../../src/sketch/index.js';
import { TS_PROFILE_PATH, tsProfileDocument, tsProfileOf } from '../../scripts/vectors/profile_ts_vectors.js';
import { readDataset, readPythonProfile } from './dataset-vectors.js';

function closeTo(actual: number | null | undefined, expected: number | null | undefined, what: string): void {
  if (expected === null || expected === undefined) {
    expect(actual ?? null, what).toBeNull();
    return;
  }
  expect(typeof actual, what).toBe('number');
  const scale = Math.max(Math.abs(expected), Number.MIN_VALUE);
  expect(Math.abs((actual as number) - expected) / scale, what).toBeLessThanOrEqual(1e-12);
}

describe('profile vectors shared with the Python emitter', () => {
  const ds = readDataset();
  const py = readPythonProfile();
  const ts: Profile = tsProfileOf(ds);

  it('uses the profile options the dataset names', () => {
    expect(py.profile_options).toEqual(ds.profile_options);
  });

  it('has the same schema (by name) and the same fingerprint', () => {
    expect(ts.schema_fingerprint).toBe(py.profile.schema_fingerprint);
    expect(ts.row_count).toBe(py.profile.row_count);
    const byName = (p: Profile) => Object.fromEntries((p.schema ?? []).map((f) => [f.name, f]));
    expect(byName(ts)).toEqual(byName(py.profile));
  });

  it('has the same counts, null counts, min / max / mean, frequent values, other_count and distinct_estimate', () => {
    const pyCols = py.profile.columns!;
    expect(Object.keys(ts.columns!).sort()).toEqual(Object.keys(pyCols).sort());
    for (const [name, p] of Object.entries(pyCols)) {
      const t: ColumnProfile = ts.columns![name]!;
      expect(t.kind, name).toBe(p.kind);
      expect([t.count, t.null_count], name).toEqual([p.count, p.null_count]);
      if (p.kind === 'numeric' && t.kind === 'numeric') {
        closeTo(t.min, p.min, `${name}.min`);
        closeTo(t.max, p.max, `${name}.max`);
        closeTo(t.mean, p.mean, `${name}.mean`);
        expect(t.sketch?.k, name).toBe(p.sketch?.k);
      } else if (p.kind === 'categorical' && t.kind === 'categorical') {
        expect(t.frequent, name).toEqual(p.frequent);
        expect(t.other_count, name).toBe(p.other_count);
        expect(t.distinct_estimate, name).toBe(p.distinct_estimate);
      }
    }
  });

  it("deserializes Python's KLL sketches to the same n, min and max as TypeScript's", () => {
    let checked = 0;
    for (const [name, p] of Object.entries(py.profile.columns!)) {
      if (p.kind !== 'numeric') continue;
      const t = ts.columns![name];
      if (t?.kind !== 'numeric') throw new Error(`${name} is not numeric in TypeScript`);
      const fromPython = KllDoublesSketch.fromBase64(p.sketch!.data);
      const fromTs = KllDoublesSketch.fromBase64(t.sketch!.data);
      expect(fromPython.n, name).toBe(p.count - p.null_count);
      expect([fromPython.n, fromPython.min, fromPython.max], name).toEqual([fromTs.n, fromTs.min, fromTs.max]);
      expect([fromPython.min, fromPython.max], name).toEqual([p.min, p.max]);
      // the same data: TypeScript's median sits at rank 0.5 in Python's sketch, within both sketches' rank
      // error (between the exclusive and inclusive ranks: the data may repeat values)
      const eps = fromPython.normalizedRankError(false) + fromTs.normalizedRankError(false);
      const median = fromTs.getQuantile(0.5);
      expect(fromPython.getRank(median, false) - eps, name).toBeLessThanOrEqual(0.5);
      expect(fromPython.getRank(median, true) + eps, name).toBeGreaterThanOrEqual(0.5);
      checked++;
    }
    expect(checked).toBe(3);
  });

  it('the committed ts_profile.json is what scripts/vectors/profile_ts_vectors.ts writes', () => {
    expect(readFileSync(TS_PROFILE_PATH, 'utf8')).toBe(tsProfileDocument(ds));
  });
});
