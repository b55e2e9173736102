import { describe, expect, it } from 'vitest';
import {
  epochFromJSON,
  epochToJSON,
  epochToJSONSlow,
  type BaselineEpoch,
  type EpochColumn,
} from '../../src/monitor/baseline-epochs.js';
import { KllDoublesSketch, seededRandom } from '../../src/sketch/index.js';
import { FrequentBounds } from '../../src/stats/index.js';

function sketch(seed: number, n: number): Uint8Array {
  const rng = seededRandom(seed);
  const s = new KllDoublesSketch(200, { random: seededRandom(seed + 1) });
  for (let i = 0; i < n; i++) s.update(rng() * 100 - 50);
  return s.serialize();
}

function epoch(columns: [string, EpochColumn][]): BaselineEpoch {
  return { epoch: 7, runs: 3, run_ids: ['r1', 'r"2', 'run/3'], columns: new Map(columns) };
}

describe("an epoch's state record", () => {
  it('is the text JSON.stringify makes of it: sketches, samples, categories, odd names, array-index names', () => {
    const bounds = new FrequentBounds();
    bounds.add({ frequent: { a: 5, 'b"\\': 3, é: 2 }, otherCount: 4 });
    const cases: BaselineEpoch[] = [
      epoch([]),
      epoch([
        ['x', { kind: 'numeric', sketch: sketch(1, 5000) }],
        ['y', { kind: 'numeric', sample: [1, 2.5, -0, 1e-300, NaN] }],
        ['z', { kind: 'numeric', sketch: sketch(2, 1), sample: [] }],
        ['w', { kind: 'numeric' }],
        ['seg', { kind: 'categorical', bounds }],
        ['quote"and\\back\nslash \u2028 ü', { kind: 'numeric', sketch: sketch(3, 0) }],
        ['__proto__', { kind: 'numeric', sketch: sketch(4, 300) }],
      ]),
      // Array-index names come first in JSON.stringify's order, whatever their place in the epoch.
      epoch([
        ['b', { kind: 'numeric', sketch: sketch(5, 50) }],
        ['10', { kind: 'numeric', sketch: sketch(6, 50) }],
        ['2', { kind: 'categorical', bounds }],
        ['01', { kind: 'numeric', sample: [3] }],
      ]),
    ];
    for (const ep of cases) {
      const text = epochToJSON(ep);
      expect(text).toBe(epochToJSONSlow(ep));
      expect(epochToJSON(epochFromJSON(text))).toBe(text);
    }
    // A sketch that is a view into a larger buffer: only its own bytes.
    const bytes = sketch(8, 700);
    const big = new Uint8Array(bytes.length + 16);
    big.set(bytes, 8);
    const view = epoch([['v', { kind: 'numeric', sketch: big.subarray(8, 8 + bytes.length) }]]);
    expect(epochToJSON(view)).toBe(epochToJSONSlow(view));
    expect(epochToJSON(view)).toBe(epochToJSON(epoch([['v', { kind: 'numeric', sketch: bytes }]])));
  });
});
