import { describe, expect, it } from 'vitest';
import {
  mad,
  median,
  relativeDeviation,
  RollingWindow,
  robustZ,
  MAD_NORMAL_SCALE,
  DEFAULT_BASELINE_RUNS,
} from '../../src/stats/index.js';
import { isRootlineError } from '../../src/errors/index.js';

describe('median and mad', () => {
  it('computes odd and even medians and ignores non-finite values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([NaN, 5, Infinity, 1])).toBe(3);
    expect(median([])).toBeNaN();
    expect(median(new Float64Array([2, 8]))).toBe(5);
  });

  it('computes raw and scaled MAD', () => {
    // median 3; |x - 3| = 2 1 0 1 6 -> median 1
    expect(mad([1, 2, 3, 4, 9])).toBe(1);
    expect(mad([1, 2, 3, 4, 9], { scaled: true })).toBe(MAD_NORMAL_SCALE);
    expect(mad([7, 7, 7, 1])).toBe(0);
    expect(mad([])).toBeNaN();
  });
});

describe('robustZ', () => {
  it('is (value - median) / (1.4826 MAD)', () => {
    expect(robustZ(13, [1, 2, 3, 4, 9])).toBeCloseTo(10 / 1.4826, 12);
    expect(robustZ(-2, [1, 2, 3, 4, 9])).toBeCloseTo(-5 / 1.4826, 12);
  });

  it('is NaN for an empty history or a NaN value', () => {
    expect(robustZ(3, [])).toBeNaN();
    expect(robustZ(3, [NaN])).toBeNaN();
    expect(robustZ(NaN, [1, 2])).toBeNaN();
  });

  it('falls back to the mean absolute deviation when MAD is 0', () => {
    // median 10, MAD 0, mean |x - 10| = 4 / 5
    const z = robustZ(12, [10, 10, 10, 10, 14]);
    expect(z).toBeCloseTo(2 / (0.8 * 1.2533141373155001), 12);
  });

  it('is 0 or ±Infinity against a constant history', () => {
    expect(robustZ(5, [5, 5, 5])).toBe(0);
    expect(robustZ(6, [5, 5, 5])).toBe(Infinity);
    expect(robustZ(4, [5, 5, 5])).toBe(-Infinity);
  });
});

describe('relativeDeviation', () => {
  it('is the signed relative change', () => {
    expect(relativeDeviation(105, 100)).toBeCloseTo(0.05, 15);
    expect(relativeDeviation(90, 100)).toBeCloseTo(-0.1, 15);
    expect(relativeDeviation(-90, -100)).toBeCloseTo(0.1, 15);
  });
  it('handles a zero median and NaN', () => {
    expect(relativeDeviation(0, 0)).toBe(0);
    expect(relativeDeviation(1, 0)).toBe(Infinity);
    expect(relativeDeviation(-1, 0)).toBe(-Infinity);
    expect(relativeDeviation(NaN, 1)).toBeNaN();
    expect(relativeDeviation(1, NaN)).toBeNaN();
  });
});

describe('RollingWindow', () => {
  it('keeps the last N values, default 20', () => {
    const w = new RollingWindow();
    expect(w.capacity).toBe(DEFAULT_BASELINE_RUNS);
    for (let i = 1; i <= 25; i++) w.push(i);
    expect(w.size).toBe(20);
    expect(w.full).toBe(true);
    expect(w.values()).toEqual(Array.from({ length: 20 }, (_, i) => i + 6));
    expect(w.median()).toBe(15.5);
  });

  it('does not add non-finite values', () => {
    const w = new RollingWindow(3);
    expect(w.push(NaN)).toBe(false);
    expect(w.push(Infinity)).toBe(false);
    expect(w.push(1)).toBe(true);
    expect(w.values()).toEqual([1]);
  });

  it('answers baseline questions and is NaN while empty', () => {
    const w = new RollingWindow(5, [100, 102, 98, 101, 99]);
    expect(w.relativeDeviation(110)).toBeCloseTo(0.1, 15);
    expect(w.mad()).toBe(1);
    expect(w.robustZ(103)).toBeCloseTo(3 / 1.4826, 12);
    w.clear();
    expect(w.median()).toBeNaN();
    expect(w.relativeDeviation(1)).toBeNaN();
    expect(w.robustZ(1)).toBeNaN();
  });

  it('round-trips through JSON', () => {
    const w = new RollingWindow(4, [1, 2, 3, 4, 5]);
    const text = JSON.stringify(w);
    expect(JSON.parse(text)).toEqual({ version: 1, capacity: 4, values: [2, 3, 4, 5] });
    const back = RollingWindow.fromJSON(JSON.parse(text));
    expect(back.capacity).toBe(4);
    expect(back.values()).toEqual([2, 3, 4, 5]);
    back.push(6);
    expect(back.values()).toEqual([3, 4, 5, 6]);
  });

  it('fromJSON keeps the newest values and rejects bad state', () => {
    expect(RollingWindow.fromJSON({ version: 1, capacity: 2, values: [1, 2, 3] }).values()).toEqual([2, 3]);
    for (const bad of [
      null,
      'x',
      { version: 2, capacity: 2, values: [] },
      { version: 1, capacity: 0, values: [] },
      { version: 1, capacity: 2.5, values: [] },
      { version: 1, capacity: 2, values: 'no' },
      { version: 1, capacity: 2, values: [1, null] },
    ]) {
      try {
        RollingWindow.fromJSON(bad);
        expect.unreachable();
      } catch (err) {
        expect(isRootlineError(err, 'INVALID_ARGUMENT')).toBe(true);
      }
    }
    expect(() => new RollingWindow(0)).toThrow(/capacity/);
  });
});
