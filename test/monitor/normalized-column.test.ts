// Columns a producer normalizes run by run (standardized features: z-scores with the run's own mean and sd).
// Found on the pandas evaluation set (bench/eval/pandas): an `encode_features` step that standardizes a
// heavy-tailed spend feature showed KS D of 0.17-0.40 on healthy runs against a usual 0.03-0.09, whenever
// one big customer widened the run's sd and so compressed every other value: false drift incidents at a step
// whose input had not moved. Such a column (its mean pinned run after run) is compared by shape, each side at
// its own median and interquartile range.
import { describe, expect, it } from 'vitest';
import type { Profile } from '../../src/contract/index.js';
import { normalizedPerRun, PINNED_MEAN_RUNS } from '../../src/monitor/evaluate.js';
import type { Finding } from '../../src/rules/index.js';
import { dailyRuns } from './daily-runs.js';
import { KllDoublesSketch, seededRandom } from '../../src/sketch/index.js';

const ROWS = 350;

/** (x - mean) / sd, rounded to 6 decimals, as pandas code standardizing a feature writes it. */
function zscores(x: number[]): number[] {
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  const sd = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / (x.length - 1));
  return x.map((v) => Math.round(((v - mean) / sd) * 1e6) / 1e6);
}

function numeric(values: number[], asSketch: boolean) {
  let lo = Infinity;
  let hi = -Infinity;
  let sum = 0;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
    sum += v;
  }
  const base = {
    kind: 'numeric' as const,
    count: values.length,
    null_count: 0,
    min: lo,
    max: hi,
    mean: sum / values.length,
  };
  if (!asSketch) return { ...base, sample: values };
  const s = new KllDoublesSketch(200);
  for (const v of values) s.update(v);
  return {
    ...base,
    sketch: { type: 'kll_doubles' as const, k: 200, data: Buffer.from(s.serialize()).toString('base64') },
  };
}

function harness(seed: number, asSketch: boolean, rows = ROWS) {
  const runs = dailyRuns('encode', 'lake/encoded');
  const rng = seededRandom(seed);
  const normal = () => rng() + rng() + rng() + rng() - 2;
  /**
   * One run of a standardized spend feature (log-normal spend per customer): `whale` adds one customer
   * spending that many times the median; `transform` changes the raw values before standardizing (a fault).
   */
  const run = (opts: { whale?: number; transform?: (x: number[]) => number[]; raw?: boolean } = {}): Finding[] => {
    let spend = Array.from({ length: rows }, () => Math.exp(3 + 1.2 * normal()));
    if (opts.whale !== undefined) spend[0] = Math.exp(3) * opts.whale;
    if (opts.transform) spend = opts.transform(spend);
    const z = opts.raw ? spend : zscores(spend);
    const profile: Profile = { row_count: rows, columns: { total_amount: numeric(z, asSketch) } };
    return runs.judge(profile);
  };
  return { run, node: runs.node };
}

describe.each([
  ['raw samples', false],
  ['KLL sketches', true],
])('a column standardized by its producer every run (%s)', (_label, asSketch) => {
  it('is recognized by its pinned mean after a few healthy runs', () => {
    const h = harness(3, asSketch);
    for (let r = 0; r < PINNED_MEAN_RUNS + 2; r++) h.run();
    const c = h.node.outputs['lake/encoded']!.columns.total_amount!;
    expect(normalizedPerRun(c, 0, [-1, 5])).toBe(true);
    expect(normalizedPerRun(c, 0.3, [-1, 5])).toBe(false); // a run not centered is compared as it is
  });

  it('a run with one very large customer (its sd widened, every other value compressed) is not drift', () => {
    const h = harness(4, asSketch);
    const findings: Finding[] = [];
    for (let r = 0; r < 40; r++) findings.push(...h.run(r >= 10 && r % 6 === 0 ? { whale: 400 + 100 * (r % 5) } : {}));
    expect(findings.map((f) => `${f.column}: ${f.message}`)).toEqual([]);
  });

  it('a real change of the shape is still drift: half of the values imputed with the mean', () => {
    const h = harness(5, asSketch);
    for (let r = 0; r < 15; r++) expect(h.run()).toEqual([]);
    const findings = h.run({
      transform: (x) => {
        const mean = x.reduce((a, b) => a + b, 0) / x.length;
        return x.map((v, k) => (k % 2 === 0 ? mean : v));
      },
    });
    expect(findings.map((f) => f.column)).toEqual(['total_amount']);
  });

  it('a real change of the shape is still drift: a join lost half of the customers, their spend filled with 0', () => {
    // 1,500 customers: at 350 this change is within the column's own healthy movement, by shape or as it is.
    const h = harness(6, asSketch, 1500);
    for (let r = 0; r < 15; r++) expect(h.run()).toEqual([]);
    const findings = h.run({ transform: (x) => x.map((v, k) => (k % 2 === 0 ? 0 : v)) });
    expect(findings.map((f) => f.column)).toEqual(['total_amount']);
  });

  it('a step that stops standardizing (its mean no longer pinned) is compared as it is: drift', () => {
    const h = harness(7, asSketch);
    for (let r = 0; r < 15; r++) expect(h.run()).toEqual([]);
    const findings = h.run({ raw: true });
    expect(findings.map((f) => f.column)).toEqual(['total_amount']);
  });
});
