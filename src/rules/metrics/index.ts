import type { RuleMetric } from '../types.js';
import { assertion } from './assertion.js';
import { drift } from './drift.js';
import { duration } from './duration.js';
import { freshness } from './freshness.js';
import { longDrift } from './long-drift.js';
import { nullRatio } from './null-ratio.js';
import { repeats } from './repeats.js';
import { rowCount } from './row-count.js';
import { schema } from './schema.js';
import { status } from './status.js';
import { unchanged } from './unchanged.js';
import type { RuleMetricDescriptor } from './types.js';

/** The registry of rule metrics: one descriptor per metric (parameters, violation test, signal test). */
export const METRICS: Readonly<Record<RuleMetric, RuleMetricDescriptor>> = {
  row_count: rowCount,
  null_ratio: nullRatio,
  schema,
  drift,
  freshness,
  status,
  duration,
  long_drift: longDrift,
  assertion,
  unchanged,
  repeats,
};

export { assertionVerdict } from './assertion.js';
export { driftViolated, usesFdr } from './drift.js';
export { holdsFirstWeek } from './types.js';
export type { ParamKind, RuleMetricDescriptor, Verdict } from './types.js';
