import { describe, expect, it } from 'vitest';
import type { Profile } from '../../src/contract/index.js';
import {
  BaselineCache,
  epochFromJSON,
  epochGeometry,
  epochPrefix,
  epochToJSON,
  windowRuns,
  type BaselineEpoch,
} from '../../src/monitor/baseline-epochs.js';
import { evaluateProfile, holdReference, learnBaseline } from '../../src/monitor/evaluate.js';
import { MonitorCore, stateKey } from '../../src/monitor/index.js';
import { compileCoreOptions } from '../../src/monitor/options.js';
import { newNodeState } from '../../src/monitor/state.js';
import { loadRules } from '../../src/rules/index.js';
import { KllDoublesSketch, seededRandom } from '../../src/sketch/index.js';

function normals(n: number, mu: number, rng: () => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = mu + Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return out;
}

/** A run's profile: `x` a KLL sketch (k = 200) of 5,000 values, `seg` a categorical top list. */
function runProfile(values: Float64Array, seed: number, frequent: Record<string, number> = { a: 60, b: 40 }): Profile {
  const s = new KllDoublesSketch(200, { random: seededRandom(seed) });
  s.updateMany(values);
  return {
    row_count: values.length,
    columns: {
      x: {
        kind: 'numeric',
        count: values.length,
        null_count: 0,
        sketch: { type: 'kll_doubles', k: 200, data: s.toBase64() },
      },
      seg: { kind: 'categorical', count: 100, null_count: 0, frequent, other_count: 0 },
    },
  };
}

function setup(baselineRuns = 20) {
  const options = compileCoreOptions({ baselineRuns });
  const epochs = new Map<string, BaselineEpoch>();
  const cache = new BaselineCache(epochs, options);
  const node = newNodeState('p', 'x');
  const dirty = new Set<string>();
  const report = (i: number) => ({
    pipeline: 'p',
    node: 'x',
    run_id: `r${i}`,
    event_time: new Date(Date.UTC(2026, 10, 1, i)).toISOString(),
  });
  const learn = (i: number, pr: Profile) => learnBaseline(node, 'out', 'lake/x', pr, report(i), epochs, options, dirty);
  const evaluate = (i: number, pr: Profile) =>
    evaluateProfile(report(i), [{ dataset: 'lake/x', profile: pr }], node, 'out', cache);
  return { options, epochs, cache, node, dirty, learn, evaluate };
}

describe('baseline epochs: storage bounded whatever the number of runs', () => {
  it('geometry: epochs of N/2 runs, a window of the last closed epochs and the open one', () => {
    expect(epochGeometry(20)).toEqual({ size: 10, closed: 1, ring: 2 });
    expect(epochGeometry(10)).toEqual({ size: 5, closed: 1, ring: 2 });
    expect(epochGeometry(3)).toEqual({ size: 1, closed: 2, ring: 3 });
    expect(epochGeometry(1)).toEqual({ size: 1, closed: 0, ring: 1 });
    expect([0, 1, 9, 10, 11, 19, 20, 21, 29, 30].map((s) => windowRuns(20, s))).toEqual([
      0, 1, 9, 10, 11, 19, 10, 11, 19, 10,
    ]);
    // N = 3: the last two runs, then the open one (the old ring of N slots kept N - 1 to N runs too).
    expect([1, 2, 3, 7].map((s) => windowRuns(3, s))).toEqual([1, 2, 2, 2]);
  });

  it('100 healthy runs keep two epoch records, one sketch per numeric column each', () => {
    const { learn, epochs, node, evaluate } = setup(20);
    const rng = seededRandom(1);
    for (let i = 0; i < 100; i++) learn(i, runProfile(normals(5000, 0, rng), i));
    expect(epochs.size).toBe(2);
    const b = node.outputs['lake/x']!;
    expect(b.slot_seq).toBe(100);
    expect(b.slot_count).toBe(10);
    const eps = [...epochs.values()].sort((x, y) => x.epoch - y.epoch);
    expect(eps.map((e) => [e.epoch, e.runs, e.run_ids[0], e.run_ids.at(-1)])).toEqual([
      [8, 10, 'r80', 'r89'],
      [9, 10, 'r90', 'r99'],
    ]);
    // The window now is epoch 9 only (epoch 10 is empty): 10 runs of 5,000 values.
    const d = evaluate(100, runProfile(normals(5000, 0, rng), 100)).columns.find((c) => c.column === 'x')!.drift!;
    expect(d.n_baseline).toBe(50_000);
    expect(d.effect).toBe(0);
    // A closed epoch's sketch is one k = 200 sketch, not ten.
    const one = runProfile(normals(5000, 0, rng), 7).columns!.x!;
    const oneBytes = Buffer.from((one as { sketch: { data: string } }).sketch.data, 'base64').length;
    const col = eps[0]!.columns.get('x');
    expect(col?.kind).toBe('numeric');
    expect((col as { sketch: Uint8Array }).sketch.length).toBeLessThan(2 * oneBytes);
  });

  it('the window holds the last closed epoch and the open one, and drift is measured against all of it', () => {
    const { learn, evaluate } = setup(20);
    const rng = seededRandom(2);
    // Ten runs around 0 (epoch 0), then ten around 3 (epoch 1): at run 20 epoch 0 has left the window.
    for (let i = 0; i < 10; i++) learn(i, runProfile(normals(5000, 0, rng), i));
    const mid = evaluate(10, runProfile(normals(5000, 3, rng), 10)).columns.find((c) => c.column === 'x')!.drift!;
    expect(mid.n_baseline).toBe(50_000);
    expect(mid.effect).toBeGreaterThan(0.8);
    for (let i = 10; i < 20; i++) learn(i, runProfile(normals(5000, 3, rng), i));
    const late = evaluate(20, runProfile(normals(5000, 3, rng), 20)).columns.find((c) => c.column === 'x')!.drift!;
    expect(late.n_baseline).toBe(50_000);
    expect(late.effect).toBe(0);
  });

  it('categorical epochs merge the runs lists with their bounds: the window is what adding every list gives', () => {
    const { learn, cache, node, epochs } = setup(20);
    const rng = seededRandom(3);
    const lists = [
      { a: 50, b: 30, c: 20 },
      { a: 55, b: 45 },
      { a: 40, c: 35, d: 25 },
    ];
    for (let i = 0; i < 13; i++) learn(i, runProfile(normals(200, 0, rng), i, lists[i % 3]));
    const merged = cache.categorical(epochPrefix('p', 'x', 'out', 'lake/x'), node.outputs['lake/x']!, 'seg')!;
    expect(merged.lists).toBe(13);
    // Through the state codec the same.
    const copy = new Map([...epochs].map(([k, e]) => [k, epochFromJSON(epochToJSON(e))]));
    const again = new BaselineCache(copy, compileCoreOptions({ baselineRuns: 20 })).categorical(
      epochPrefix('p', 'x', 'out', 'lake/x'),
      node.outputs['lake/x']!,
      'seg',
    )!;
    expect(again.toJSON()).toEqual(merged.toJSON());
  });

  it('a pinned run already learned is found through its epoch', () => {
    const { learn, node, epochs, options } = setup(20);
    const rng = seededRandom(4);
    for (let i = 0; i < 14; i++) learn(i, runProfile(normals(1000, 0, rng), i));
    expect(holdReference(node, 'r12', { run_id: 'r14', outputs: [{ dataset: 'lake/x' }] }, epochs, options)).toBe(true);
    const ref = node.outputs['lake/x']!.reference!;
    expect(ref.run_id).toBe('r12');
    expect(ref.columns.x).toMatchObject({ kind: 'numeric', k: 200 });
    expect(ref.columns.seg).toEqual({ kind: 'categorical', frequent: { a: 240, b: 160 }, other_count: 0 });
    // A run that left the window cannot be pinned after the fact.
    expect(holdReference(node, 'r3', { run_id: 'r14', outputs: [{ dataset: 'lake/y' }] }, epochs, options)).toBe(false);
  });
});

describe('baseline epochs: learning merges into the open epoch the window decoded', () => {
  it('the same epochs, drift and window whether a run is judged before it is learned or not', () => {
    const judged = setup(20);
    const plain = setup(20);
    const rng = seededRandom(5);
    // two numeric columns: what the window keeps for learning one column outlives the window of the next
    const twoColumns = (values: Float64Array, seed: number): Profile => {
      const pr = runProfile(values, seed);
      const y = runProfile(
        values.map((v) => v * 2 + 1),
        seed + 1000,
      ).columns!['x']!;
      return { ...pr, columns: { ...pr.columns, y } };
    };
    for (let i = 0; i < 35; i++) {
      const pr = twoColumns(normals(5000, i % 7 === 3 ? 0.4 : 0, rng), i);
      const m = i > 0 ? judged.evaluate(i, pr) : undefined;
      judged.learn(i, pr);
      // learning after the report's end too (what the window kept is dropped): still the same
      if (i % 5 === 0) judged.cache.endReport();
      plain.learn(i, pr);
      if (m) expect(m.columns.find((c) => c.column === 'x')!.drift).toBeDefined();
      expect([...judged.epochs.keys()]).toEqual([...plain.epochs.keys()]);
      for (const [k, ep] of plain.epochs) expect(epochToJSON(judged.epochs.get(k)!)).toBe(epochToJSON(ep));
    }
    // and the next run is judged the same against either
    const pr = twoColumns(normals(5000, 0.2, rng), 99);
    expect(judged.evaluate(35, pr).columns).toEqual(plain.evaluate(35, pr).columns);
  });
});

describe('baseline epochs: the window sketch keeps the k = 200 rank-error bound', () => {
  it('sup |window sketch cdf - exact cdf of the window values| <= the normalized rank error, 12 seeds', () => {
    const eps = KllDoublesSketch.normalizedRankErrorFor(200, false);
    let worst = 0;
    for (let seed = 0; seed < 12; seed++) {
      const { learn, cache, node } = setup(20);
      const rng = seededRandom(100 + seed);
      const all: Float64Array[] = [];
      // 19 runs: a closed epoch of 10 and 9 in the open one; runs differ in location (heterogeneous window).
      for (let i = 0; i < 19; i++) {
        const v = normals(5000, (i % 4) * 0.3, rng);
        all.push(v);
        learn(i, runProfile(v, seed * 100 + i));
      }
      const base = cache.numeric(epochPrefix('p', 'x', 'out', 'lake/x'), node.outputs['lake/x']!, 'x');
      expect(base?.kind).toBe('sketch');
      const sketch = (base as { sketch: KllDoublesSketch }).sketch;
      expect(sketch.n).toBe(19 * 5000);
      expect(sketch.normalizedRankError(false)).toBe(eps);
      const exact = Float64Array.from(all.flatMap((a) => [...a])).sort();
      const view = sketch.sortedView();
      // Both cdfs are step functions: compare at every point where either jumps.
      let j = 0;
      for (let i = 0; i < view.items.length; i++) {
        const x = view.items[i]!;
        while (j < exact.length && exact[j]! <= x) j++;
        const g = view.cumulativeWeights[i]! / view.totalWeight;
        const gBefore = i === 0 ? 0 : view.cumulativeWeights[i - 1]! / view.totalWeight;
        let lo = j;
        while (lo > 0 && exact[lo - 1]! >= x) lo--;
        worst = Math.max(worst, Math.abs(g - j / exact.length), Math.abs(gBefore - lo / exact.length));
      }
    }
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(eps);
  });
});

describe('baseline epochs in the core: state records', () => {
  function report(p: number, run: number, rng: () => number) {
    const pr = runProfile(normals(2000, 0, rng), run * 7 + p);
    return {
      spec: 'rootline.report/v1' as const,
      event_id: `e${p}-${run}`,
      pipeline: `p${p}`,
      node: 'n',
      run_id: `r${run}`,
      event_time: new Date(Date.UTC(2026, 0, 1) + run * 3_600_000).toISOString(),
      outputs: [{ dataset: `d${p}`, profile: pr }],
    };
  }

  it('a full snapshot holds two epoch records per dataset after 45 runs, and a reload decides the same', () => {
    const rng = seededRandom(5);
    const reports = Array.from({ length: 46 }, (_, r) => report(0, r, rng));
    const core = new MonitorCore({ rules: loadRules('rules') });
    core.processBatch(reports.slice(0, 45));
    const keys = core.allStateKeys();
    expect(keys.filter((k) => k.startsWith('e\u001f')).sort()).toEqual([
      stateKey.epoch('p0', 'n', 'out', 'd0', 0),
      stateKey.epoch('p0', 'n', 'out', 'd0', 1),
    ]);
    const restored = new MonitorCore({ rules: loadRules('rules') });
    restored.importState(core.exportState(keys));
    const a = core.processReport(reports[45]!);
    const b = restored.processReport(reports[45]!);
    expect(b.points).toEqual(a.points);
    expect(restored.exportState(keys)).toEqual(core.exportState(keys));
  });

  it('baseline slots of state written before the epochs are ignored when read and deleted when written', () => {
    const core = new MonitorCore({ rules: loadRules('rules') });
    const legacy = stateKey.slot('p0', 'n', 'out', 'd0', 3);
    core.importState([{ key: legacy, value: JSON.stringify({ seq: 3, run_id: 'r3', event_time: 0, columns: {} }) }]);
    expect(core.allStateKeys()).not.toContain(legacy);
    expect(core.exportState([legacy])).toEqual([{ key: legacy, value: undefined }]);
  });
});
