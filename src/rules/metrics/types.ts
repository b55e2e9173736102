import type { FreshnessInput } from '../engine.js';
import type { ColumnMetrics, Finding, NodeRunMetrics, Rule, RuleParams } from '../types.js';

/** How a rule parameter is validated when rule files are loaded. */
export type ParamKind = 'number' | 'fraction' | 'boolean' | 'fdr' | 'ms' | 'seasonality' | 'count' | 'first_week';

/** What a metric says about a run: a finding without the identity (pipeline, node, run, rule, severity). */
export type Verdict = Omit<Finding, 'pipeline' | 'node' | 'run_id' | 'event_time' | 'rule' | 'severity'>;

/**
 * Everything about one rule metric in one place: the parameters its rules take (kinds, required
 * ones, the default arming), whether it is judged per column, its violation test and its signal test
 * (movements under the threshold, evidence for root-cause analysis). A signal is never also a
 * violation: the signal test calls the violation test.
 */
export interface RuleMetricDescriptor {
  /** The parameters a rule of this metric may set, with their kinds. */
  params: Readonly<Partial<Record<keyof RuleParams, ParamKind>>>;
  /** The parameters a rule of this metric must set. */
  required: readonly (keyof RuleParams)[];
  /** Healthy baseline runs before a rule arms, when the rule file does not say. */
  minBaselineRuns: number;
  /** Judged per column (overrides may then match on `column`). */
  column: boolean;
  /** The violation of rule `r` by a run (column metrics: by column `c`), if any. */
  violation: (r: Rule, m: NodeRunMetrics, c: ColumnMetrics | undefined) => Verdict | undefined;
  /** A sub-threshold movement reaching `fraction` of the threshold (not a violation), if any. */
  signal: (r: Rule, m: NodeRunMetrics, c: ColumnMetrics | undefined, fraction: number) => Verdict | undefined;
  /** Judged on a timer instead of on a run (freshness). */
  overdue?: (r: Rule, f: FreshnessInput) => Verdict | undefined;
}

/** Healthy baseline runs before a rule arms, when neither the rule file nor its metric says otherwise. */
export const DEFAULT_MIN_BASELINE_RUNS = 5;

export const none = (): undefined => undefined;

/**
 * A run the rule holds (neither a violation nor a signal): `first_week: hold` (the default) and a node in its
 * first week on a weekday it has not run on yet (`young_week`). The run is learned, so the node's second week
 * is judged against a baseline that has seen every weekday once.
 */
export function holdsFirstWeek(r: Rule, m: NodeRunMetrics): boolean {
  return m.young_week === true && (r.first_week ?? 'hold') === 'hold';
}

/**
 * The null-ratio rule's hold on a sub-daily node's first day at an hour it has not run at yet (`young_hour`):
 * `first_week: hold`. The run is learned, so the second day is judged against a history that has seen every
 * hour once.
 */
export function holdsFirstDay(r: Rule, m: NodeRunMetrics): boolean {
  return m.young_hour === true && (r.first_week ?? 'hold') === 'hold';
}

/**
 * The row count's hold: a node's first month edge (`young_edge`), its volume not known yet; its first weekend is
 * judged. The distributions and null ratios of that run are judged as any day's: held too, a fault that began
 * on a node's first month edge was learned as its normal.
 */
export function holdsFirstEdge(r: Rule, m: NodeRunMetrics): boolean {
  return m.young_edge === true && (r.first_week ?? 'hold') === 'hold';
}

/** A number for messages: thousands grouped, else 3 significant digits. */
export function fmt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return 'n/a';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return Number(x.toPrecision(3)).toString();
}

/** A fraction as a percentage for messages. */
export function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
