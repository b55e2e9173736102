import { fmt } from './types.js';
import type { RuleMetricDescriptor } from './types.js';

/**
 * `long_drift`: a column's per-run mean has moved away from the node's frozen reference epoch for long
 * enough that a CUSUM of its standardized distance passes `cusum_h`, and by at least `effect_floor`
 * within-run standard deviations: slow drift that the rolling baseline follows. Its signal (RCA evidence)
 * is the CUSUM alone past `cusum_h`, under the size floor: the statistical evidence without the size, so a
 * source whose creep is still small per value is preferred over the aggregate downstream that shows it larger.
 */
export const longDrift: RuleMetricDescriptor = {
  params: { cusum_h: 'number', effect_floor: 'fraction', persistence: 'count' },
  required: ['cusum_h', 'effect_floor'],
  minBaselineRuns: 0,
  column: true,
  violation: (r, _m, c) => {
    const lh = c?.long_horizon;
    if (!c || !lh || r.cusum_h === undefined || r.effect_floor === undefined) return undefined;
    if (lh.cusum < r.cusum_h || Math.abs(lh.shift) < r.effect_floor) return undefined;
    return {
      metric: 'long_drift',
      column: c.column,
      value: lh.cusum,
      baseline: lh.reference_mean,
      threshold: r.cusum_h,
      message: `mean of ${c.column} drifted ${lh.shift > 0 ? 'up' : 'down'} from ${fmt(lh.reference_mean)} to ${fmt(lh.mean)} since its reference epoch (${lh.reference_runs} runs): ${Math.abs(lh.shift).toFixed(2)} sd, CUSUM ${lh.cusum.toFixed(1)} > ${r.cusum_h}`,
      details: { dataset: c.dataset, shift: lh.shift, z: lh.z, cusum: lh.cusum, reference_mean: lh.reference_mean },
    };
  },
  signal: (r, _m, c, fraction) => {
    const lh = c?.long_horizon;
    if (!c || !lh || r.cusum_h === undefined || r.effect_floor === undefined) return undefined;
    void fraction; // The CUSUM is evidence only past its own alarm level: no fraction of it is significant.
    if (lh.cusum < r.cusum_h || Math.abs(lh.shift) >= r.effect_floor) return undefined;
    return {
      metric: 'long_drift',
      column: c.column,
      value: lh.cusum,
      baseline: lh.reference_mean,
      threshold: r.cusum_h,
      message: `mean of ${c.column} creeping ${lh.z > 0 ? 'up' : 'down'} from ${fmt(lh.reference_mean)} to ${fmt(lh.mean)} (CUSUM ${lh.cusum.toFixed(1)}, ${Math.abs(lh.shift).toFixed(2)} sd, under the ${r.effect_floor} sd floor)`,
    };
  },
};
