import { RootlineError } from '../errors/index.js';

/** Number of healthy runs a baseline keeps by default. */
export const DEFAULT_BASELINE_RUNS = 20;
/** MAD * 1.4826 estimates the standard deviation of normally distributed data (1 / Phi^-1(3/4)). */
export const MAD_NORMAL_SCALE = 1.4826;
/** Mean absolute deviation * sqrt(pi/2) estimates the standard deviation of normal data. */
export const MEANAD_NORMAL_SCALE = 1.2533141373155001;

function finiteSorted(values: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) out.push(v);
  }
  return out.sort((a, b) => a - b);
}

function medianOfSorted(s: readonly number[]): number {
  const n = s.length;
  if (n === 0) return NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Median of the finite values (NaN and ±Infinity are ignored); NaN when none is left.
 * For an even count, the mean of the two middle values.
 */
export function median(values: ArrayLike<number>): number {
  return medianOfSorted(finiteSorted(values));
}

export interface MadOptions {
  /** Multiply by {@link MAD_NORMAL_SCALE} so the result estimates a standard deviation. Default false. */
  scaled?: boolean;
}

/**
 * Median absolute deviation from the median, median(|x - median(x)|), over the finite values;
 * NaN when there is none. Raw by default; `scaled: true` multiplies by 1.4826.
 * It is 0 when more than half of the values are equal (see {@link robustZ} for that case).
 */
export function mad(values: ArrayLike<number>, options: MadOptions = {}): number {
  const s = finiteSorted(values);
  const m = medianOfSorted(s);
  if (Number.isNaN(m)) return NaN;
  const dev = s.map((v) => Math.abs(v - m)).sort((a, b) => a - b);
  const raw = medianOfSorted(dev);
  return options.scaled === true ? raw * MAD_NORMAL_SCALE : raw;
}

/**
 * Robust z-score of `value` against `history`: (value - median) / (1.4826 * MAD).
 * - empty history (no finite value): NaN, meaning "no baseline yet";
 * - MAD = 0 (over half the history identical): the mean absolute deviation from the median, scaled by
 *   sqrt(pi/2), is used instead (Iglewicz & Hoaglin's fallback);
 * - both 0 (a constant history): 0 when value equals it, else ±Infinity (any change from a constant is
 *   infinitely many spreads away; rules should prefer {@link relativeDeviation} for such series).
 * NaN `value` gives NaN.
 */
export function robustZ(value: number, history: ArrayLike<number>): number {
  if (Number.isNaN(value)) return NaN;
  const s = finiteSorted(history);
  const m = medianOfSorted(s);
  if (Number.isNaN(m)) return NaN;
  const diff = value - m;
  const dev = s.map((v) => Math.abs(v - m)).sort((a, b) => a - b);
  const madRaw = medianOfSorted(dev);
  let spread = madRaw * MAD_NORMAL_SCALE;
  if (spread === 0) {
    let sum = 0;
    for (const d of dev) sum += d;
    spread = (sum / dev.length) * MEANAD_NORMAL_SCALE;
  }
  if (spread === 0) return diff === 0 ? 0 : diff > 0 ? Infinity : -Infinity;
  return diff / spread;
}

/**
 * (value - median) / |median|: the signed relative change from the baseline (0.05 = 5% above).
 * When median is 0: 0 if value is 0 too, else ±Infinity. NaN in, NaN out.
 */
export function relativeDeviation(value: number, median: number): number {
  if (Number.isNaN(value) || Number.isNaN(median)) return NaN;
  const diff = value - median;
  if (median === 0) return diff === 0 ? 0 : diff > 0 ? Infinity : -Infinity;
  return diff / Math.abs(median);
}

/** Serialized form of a {@link RollingWindow} (`toJSON` / `fromJSON`). */
export interface RollingWindowState {
  version: 1;
  capacity: number;
  /** Oldest first. */
  values: number[];
}

/**
 * The last N values of a series (N = `capacity`, default {@link DEFAULT_BASELINE_RUNS}), oldest first, for
 * baselines built from healthy runs. Push only values that should teach the baseline (healthy runs).
 * Its state survives restarts through `toJSON()` / `RollingWindow.fromJSON()`.
 */
export class RollingWindow {
  readonly capacity: number;
  private readonly items: number[] = [];

  /** @param capacity how many values to keep, an integer >= 1. Default 20. */
  constructor(capacity: number = DEFAULT_BASELINE_RUNS, values: Iterable<number> = []) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RootlineError('INVALID_ARGUMENT', `RollingWindow: capacity must be an integer >= 1, got ${capacity}`);
    }
    this.capacity = capacity;
    for (const v of values) this.push(v);
  }

  /**
   * Appends a value, evicting the oldest when full. Non-finite values (NaN, ±Infinity) are not added;
   * the return value says whether `value` was added.
   */
  push(value: number): boolean {
    if (!Number.isFinite(value)) return false;
    this.items.push(value);
    if (this.items.length > this.capacity) this.items.shift();
    return true;
  }

  /** Number of values held (0 .. capacity). */
  get size(): number {
    return this.items.length;
  }

  /** True once `capacity` values are held. */
  get full(): boolean {
    return this.items.length === this.capacity;
  }

  /** A copy of the values, oldest first. */
  values(): number[] {
    return [...this.items];
  }

  clear(): void {
    this.items.length = 0;
  }

  /** Median of the window; NaN when empty. */
  median(): number {
    return median(this.items);
  }

  /** MAD of the window (see {@link mad}); NaN when empty. */
  mad(options: MadOptions = {}): number {
    return mad(this.items, options);
  }

  /** {@link robustZ} of `value` against the window. */
  robustZ(value: number): number {
    return robustZ(value, this.items);
  }

  /** {@link relativeDeviation} of `value` from the window's median (NaN when empty). */
  relativeDeviation(value: number): number {
    return relativeDeviation(value, this.median());
  }

  toJSON(): RollingWindowState {
    return { version: 1, capacity: this.capacity, values: [...this.items] };
  }

  /**
   * Restores a window from `toJSON()` output (e.g. parsed from the state topic). Keeps the newest
   * `capacity` values if more are given. Throws RootlineError('INVALID_ARGUMENT') for anything else.
   */
  static fromJSON(state: unknown): RollingWindow {
    const fail = (why: string): never => {
      throw new RootlineError('INVALID_ARGUMENT', `RollingWindow.fromJSON: ${why}`);
    };
    if (typeof state !== 'object' || state === null) return fail('state is not an object');
    const s = state as Record<string, unknown>;
    if (s.version !== 1) return fail(`unsupported version ${JSON.stringify(s.version)}`);
    const capacity = s.capacity;
    if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 1) {
      return fail('capacity must be an integer >= 1');
    }
    const values = s.values;
    if (!Array.isArray(values)) return fail('values must be an array');
    const nums: number[] = [];
    for (const v of values as unknown[]) {
      if (typeof v !== 'number' || !Number.isFinite(v)) return fail('values must be finite numbers');
      nums.push(v);
    }
    return new RollingWindow(capacity, nums.slice(Math.max(0, nums.length - capacity)));
  }
}
