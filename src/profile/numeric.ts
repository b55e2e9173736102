import type { NumericColumnProfile } from '../contract/index.js';
import { KllDoublesSketch, type RandomSource } from '../sketch/index.js';

/**
 * A uniform sample without replacement of at most `size` values (reservoir sampling, Algorithm R),
 * drawn with a seeded generator so the same data and seed give the same sample; the values are
 * returned in the order they arrived (as the Python emitter keeps them in row order).
 */
export class Reservoir {
  private readonly items: Float64Array;
  private readonly order: Float64Array;
  private seen = 0;

  constructor(
    private readonly size: number,
    private readonly random: RandomSource,
  ) {
    this.items = new Float64Array(size);
    this.order = new Float64Array(size);
  }

  add(x: number): void {
    const t = this.seen++;
    if (t < this.size) {
      this.items[t] = x;
      this.order[t] = t;
      return;
    }
    const j = Math.floor(this.random() * (t + 1));
    if (j < this.size) {
      this.items[j] = x;
      this.order[j] = t;
    }
  }

  /** The sampled values in arrival order. */
  values(): number[] {
    const n = Math.min(this.seen, this.size);
    const idx = Array.from({ length: n }, (_, i) => i);
    idx.sort((a, b) => this.order[a]! - this.order[b]!);
    return idx.map((i) => this.items[i]!);
  }
}

/** What a numeric column keeps: count, min, max, an exact sum for the mean, and a KLL sketch or a sample. */
export class NumericSummary {
  /** Non-null values seen (±Infinity included). */
  n = 0;
  private min = Infinity;
  private max = -Infinity;
  // Neumaier-compensated sum of the finite values: the mean agrees with numpy's pairwise sum to ~1 ulp.
  private sum = 0;
  private comp = 0;
  private posInf = 0;
  private negInf = 0;
  /** The finite values' sum overflowed: the mean is infinite (written as null). */
  private overflow = false;
  private readonly sketch: KllDoublesSketch | null;
  private readonly reservoir: Reservoir | null;

  constructor(
    mode: { sketch: 'kll'; k: number; random: RandomSource } | { sketch: 'sample'; size: number; random: RandomSource },
  ) {
    if (mode.sketch === 'kll') {
      this.sketch = new KllDoublesSketch(mode.k, { random: mode.random });
      this.reservoir = null;
    } else {
      this.sketch = null;
      this.reservoir = new Reservoir(mode.size, mode.random);
    }
  }

  /** Adds one value; NaN is a null and is skipped. */
  add(x: number): void {
    if (x !== x) return;
    this.n++;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (x === Infinity) this.posInf++;
    else if (x === -Infinity) this.negInf++;
    else {
      const s = this.sum;
      const t = s + x;
      if (t - t !== 0) this.overflow = true;
      else {
        this.comp += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
        this.sum = t;
      }
      this.reservoir?.add(x);
    }
    this.sketch?.update(x);
  }

  /** Adds a column of values; NaN entries are nulls. The fast path for typed columns. */
  addArray(values: Float64Array): void {
    let n = 0;
    let min = this.min;
    let max = this.max;
    let sum = this.sum;
    let comp = this.comp;
    let infinities = 0;
    const len = values.length;
    for (let i = 0; i < len; i++) {
      const x = values[i]!;
      if (x !== x) continue;
      n++;
      if (x < min) min = x;
      if (x > max) max = x;
      const t = sum + x;
      if (t - t !== 0) {
        // x (or the sum) is infinite: keep it out of the sum, count it apart
        infinities++;
        continue;
      }
      comp += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
      sum = t;
    }
    if (infinities > 0) {
      // rare: recount exactly which infinities were seen (the fast loop only knows that some were)
      let found = 0;
      for (let i = 0; i < len; i++) {
        const x = values[i]!;
        if (x === Infinity) this.posInf++;
        else if (x === -Infinity) this.negInf++;
        else continue;
        found++;
      }
      if (found < infinities) this.overflow = true;
    }
    this.n += n;
    this.min = min;
    this.max = max;
    this.sum = sum;
    this.comp = comp;
    if (this.sketch !== null) this.sketch.updateMany(values);
    else if (this.reservoir !== null) {
      const r = this.reservoir;
      for (let i = 0; i < len; i++) {
        const x = values[i]!;
        if (x - x === 0) r.add(x);
      }
    }
  }

  /**
   * The column's report entry. ±Infinity are values, not nulls, but JSON cannot carry them: a
   * non-finite min, max or mean is written as null (as the Python emitter does); the sample holds
   * finite values only.
   */
  toProfile(count: number): NumericColumnProfile {
    const out: NumericColumnProfile = { kind: 'numeric', count, null_count: count - this.n };
    if (this.n === 0) {
      out.min = null;
      out.max = null;
      out.mean = null;
    } else {
      out.min = Number.isFinite(this.min) ? this.min : null;
      out.max = Number.isFinite(this.max) ? this.max : null;
      const finite = this.n - this.posInf - this.negInf;
      const mean = this.posInf > 0 || this.negInf > 0 || this.overflow ? NaN : (this.sum + this.comp) / finite;
      out.mean = Number.isFinite(mean) ? mean : null;
    }
    if (this.sketch !== null) out.sketch = { type: 'kll_doubles', k: this.sketch.k, data: this.sketch.toBase64() };
    else if (this.reservoir !== null) out.sample = this.reservoir.values();
    return out;
  }
}
