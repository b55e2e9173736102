import { DEFAULT_MIN_BASELINE_RUNS } from './types.js';
import type { ColumnMetrics, DriftMetrics, Rule } from '../types.js';
import type { RuleMetricDescriptor } from './types.js';

/** Whether the rule controls false discoveries across the run's columns (Benjamini-Hochberg, the default). */
export function usesFdr(r: Rule): boolean {
  return (r.fdr ?? 'bh') === 'bh';
}

/** The p-value the rule judges: adjusted across the run's columns under FDR control, else the raw one. */
function pvalueFor(r: Rule, d: DriftMetrics): number {
  return usesFdr(r) ? (d.pvalue_adjusted ?? d.pvalue) : d.pvalue;
}

/**
 * THE drift verdict: the effect exceeds `effect_floor` and the test is significant at p <= alpha (as the
 * stats module's drift verdicts and scipy-style tests decide).
 */
export function driftViolated(r: Rule, d: DriftMetrics): boolean {
  return d.effect > r.effect_floor! && pvalueFor(r, d) <= r.alpha!;
}

/** `drift`: a column's distribution moved by more than `effect_floor`, significant at `alpha`. */
export const drift: RuleMetricDescriptor = {
  params: { effect_floor: 'fraction', alpha: 'fraction', fdr: 'fdr', persistence: 'count' },
  required: ['effect_floor', 'alpha'],
  minBaselineRuns: DEFAULT_MIN_BASELINE_RUNS,
  column: true,
  violation: (r, _m, c?: ColumnMetrics) => {
    const d = c?.drift;
    if (!c || !d || r.effect_floor === undefined || r.alpha === undefined || !driftViolated(r, d)) return undefined;
    const p = pvalueFor(r, d);
    const after = usesFdr(r) ? ' after FDR control' : '';
    return {
      metric: 'drift',
      column: c.column,
      value: d.statistic,
      threshold: r.effect_floor,
      message:
        d.test === 'ks'
          ? `distribution of ${c.column} shifted: KS D = ${d.statistic.toFixed(3)} (effect ${d.effect.toFixed(3)} > ${r.effect_floor}), p = ${p.toExponential(2)}${after}`
          : `categories of ${c.column} shifted: total variation ${d.statistic.toFixed(3)} > ${r.effect_floor}, chi-squared p = ${p.toExponential(2)}${after}`,
      details: {
        test: d.test,
        effect: d.effect,
        pvalue: d.pvalue,
        pvalue_adjusted: p,
        n_current: d.n_current,
        n_baseline: d.n_baseline,
        dataset: c.dataset,
      },
    };
  },
  signal: (r, _m, c, fraction) => {
    const d = c?.drift;
    if (!c || !d || r.effect_floor === undefined || r.alpha === undefined || driftViolated(r, d)) return undefined;
    // A signal is significant on its own (raw p-value), at the same p <= alpha as a violation.
    if (d.effect <= r.effect_floor * fraction || d.pvalue > r.alpha) return undefined;
    return {
      metric: 'drift',
      column: c.column,
      value: d.statistic,
      threshold: r.effect_floor,
      message: `distribution of ${c.column} moved (effect ${d.effect.toFixed(3)}, under the ${r.effect_floor} floor)`,
    };
  },
};
