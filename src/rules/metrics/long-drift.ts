import { fmt } from './types.js';
import type { RuleMetricDescriptor } from './types.js';
import type { ColumnMetrics, QuantileHorizon } from '../types.js';
import { normalSf } from '../../stats/beta.js';

/**
 * The quantile track's practical size for a rule's `effect_floor` (in standard deviations of a mean shift):
 * the KS distance of two normals that far apart, 2 Phi(floor / 2) - 1 (0.25 sd: 0.0995, the drift rule's
 * own floor of 0.1).
 */
export function quantileFloor(effectFloor: number): number {
  return 1 - 2 * normalSf(effectFloor / 2);
}

/**
 * A decile must have moved at least this share of the reference's spacing of the deciles around it: in a
 * discrete column (fee tiers, a currency's rate) a decile's value barely moving past a value that a tenth of
 * the rows hold moves that tenth in rank; that is no creep.
 */
export const QUANTILE_MIN_SPACING = 0.25;

function quantileFinding(q: QuantileHorizon | undefined, cusumH: number, effectFloor: number): boolean {
  return (
    q !== undefined && q.cusum >= cusumH && q.effect >= quantileFloor(effectFloor) && q.spacing >= QUANTILE_MIN_SPACING
  );
}

/** A long-horizon finding's or signal's common fields. */
function longDriftOf(c: ColumnMetrics, value: number, baseline: number, threshold: number, message: string) {
  return { metric: 'long_drift' as const, column: c.column, value, baseline, threshold, message };
}

function pct(level: number): string {
  return `${Math.round(level * 100)}%`;
}

function quantileMessage(c: ColumnMetrics, q: QuantileHorizon, runs: number, cusumH: number): string {
  return `the ${pct(q.level)} quantile of ${c.column} drifted ${q.value > q.reference ? 'up' : 'down'} from ${fmt(q.reference)} to ${fmt(q.value)} since its reference epoch (${runs} runs): ${(q.size * 100).toFixed(0)}% of the rows moved past it, CUSUM ${q.cusum.toFixed(1)} > ${cusumH}`;
}

/**
 * `long_drift`: a column's per-run mean has moved away from the node's frozen reference epoch for long
 * enough that a CUSUM of its standardized distance passes `cusum_h`, and by at least `effect_floor`
 * within-run standard deviations: slow drift that the rolling baseline follows. The same for its deciles
 * (the quantile track: a creep of one kind of row in a mixed column, of skewed values whose tails make the
 * mean's noise): a decile's CUSUM past `cusum_h` and the share of rows that moved past its reference value at
 * least the KS distance `effect_floor` makes ({@link quantileFloor}). Its signal (RCA evidence) is either CUSUM
 * alone past `cusum_h`, under the size floor: the statistical evidence without the size, so a source whose
 * creep is still small per value is preferred over the aggregate downstream that shows it larger.
 */
export const longDrift: RuleMetricDescriptor = {
  params: { cusum_h: 'number', effect_floor: 'fraction', persistence: 'count' },
  required: ['cusum_h', 'effect_floor'],
  minBaselineRuns: 0,
  column: true,
  violation: (r, _m, c) => {
    const lh = c?.long_horizon;
    if (!c || !lh || r.cusum_h === undefined || r.effect_floor === undefined) return undefined;
    if (lh.cusum >= r.cusum_h && Math.abs(lh.shift) >= r.effect_floor)
      return {
        ...longDriftOf(
          c,
          lh.cusum,
          lh.reference_mean,
          r.cusum_h,
          `mean of ${c.column} drifted ${lh.shift > 0 ? 'up' : 'down'} from ${fmt(lh.reference_mean)} to ${fmt(lh.mean)} since its reference epoch (${lh.reference_runs} runs): ${Math.abs(lh.shift).toFixed(2)} sd, CUSUM ${lh.cusum.toFixed(1)} > ${r.cusum_h}`,
        ),
        details: { dataset: c.dataset, shift: lh.shift, z: lh.z, cusum: lh.cusum, reference_mean: lh.reference_mean },
      };
    const q = lh.quantile;
    if (!q || !quantileFinding(q, r.cusum_h, r.effect_floor)) return undefined;
    return {
      ...longDriftOf(c, q.cusum, q.reference, r.cusum_h, quantileMessage(c, q, lh.reference_runs, r.cusum_h)),
      details: {
        dataset: c.dataset,
        quantile: q.level,
        value: q.value,
        reference: q.reference,
        rows_moved: q.size,
        z: q.z,
        cusum: q.cusum,
      },
    };
  },
  signal: (r, _m, c, fraction) => {
    const lh = c?.long_horizon;
    if (!c || !lh || r.cusum_h === undefined || r.effect_floor === undefined) return undefined;
    const meanFinding = lh.cusum >= r.cusum_h && Math.abs(lh.shift) >= r.effect_floor;
    const q = lh.quantile;
    if (meanFinding || quantileFinding(q, r.cusum_h, r.effect_floor)) return undefined;
    // A decile's CUSUM is a signal from half of `fraction` of the alarm level: a column passed on unchanged (a
    // filter that keeps it) shows its source's creep with its own noise, and its CUSUM crosses the alarm level a
    // few runs before or after its source's; the source's CUSUM on its way is evidence for the reader's
    // finding. The mean's, at its alarm level (its spread is an estimate, not a bound: under it, chance). Only
    // a signal at the alarm level keeps an incident open, unless the node is a long-horizon culprit (core.ts).
    const mean = lh.cusum >= r.cusum_h;
    // Both at a quarter (the CUSUM of its alarm level, the rows moved of the floor): a registry re-read every run
    // moves its deciles by a new device or two, many times their (tiny) run-to-run spread, and a 1% move is no
    // evidence of a creep.
    const quantile =
      q !== undefined &&
      q.cusum >= (r.cusum_h * fraction) / 2 &&
      q.size >= (quantileFloor(r.effect_floor) * fraction) / 2;
    if (!mean && !quantile) return undefined;
    if (mean && (!quantile || lh.cusum >= q.cusum))
      return longDriftOf(
        c,
        lh.cusum,
        lh.reference_mean,
        r.cusum_h,
        `mean of ${c.column} creeping ${lh.z > 0 ? 'up' : 'down'} from ${fmt(lh.reference_mean)} to ${fmt(lh.mean)} (CUSUM ${lh.cusum.toFixed(1)}, ${Math.abs(lh.shift).toFixed(2)} sd, under the ${r.effect_floor} sd floor)`,
      );
    return longDriftOf(
      c,
      q!.cusum,
      q!.reference,
      r.cusum_h,
      `the ${pct(q!.level)} quantile of ${c.column} creeping ${q!.value > q!.reference ? 'up' : 'down'} from ${fmt(q!.reference)} to ${fmt(q!.value)} (CUSUM ${q!.cusum.toFixed(1)}, ${(q!.size * 100).toFixed(0)}% of the rows moved past it, under the ${(quantileFloor(r.effect_floor) * 100).toFixed(0)}% floor)`,
    );
  },
};
