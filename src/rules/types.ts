import type { CategoryShift } from '../stats/index.js';
import type { RepeatJudgement } from '../stats/repeats.js';
import type { SchemaChange } from '../contract/index.js';
import type { RowExpectation, Seasonality } from '../stats/seasonal.js';
import type { InputRows, ThroughExpectation } from '../stats/pass-through.js';
import { METRICS } from './metrics/index.js';

/** Severities, most severe first. */
export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What a rule watches. */
export const RULE_METRICS = [
  'row_count',
  'null_ratio',
  'schema',
  'drift',
  'freshness',
  'status',
  'duration',
  'long_drift',
  'assertion',
  'unchanged',
  'repeats',
] as const;
export type RuleMetric = (typeof RULE_METRICS)[number];

/** drift: the default `category_floor` (1% of rows). */
export const DEFAULT_CATEGORY_FLOOR = 0.01;

/** Whether a metric is evaluated per column (overrides may then match on `column`). */
export function isColumnMetric(m: RuleMetric): boolean {
  return METRICS[m].column;
}

/** The parameters a rule may take; which apply depends on its metric (see docs/rules.md). */
export interface RuleParams {
  /** row_count: the largest allowed relative deviation from the baseline median (0.05 = 5%). */
  max_deviation?: number;
  /** null_ratio: the ceiling on null_count / count. */
  max?: number;
  /**
   * null_ratio: the jump over the baseline null ratio that must also be exceeded. repeats: how far the share of
   * values that repeat another must rise above the highest level of the column's healthy history.
   */
  max_jump?: number;
  /**
   * null_ratio: the jump must also stand out from the column's noise: z = jump / max(binomial sd at the
   * baseline ratio, 1.4826 x MAD of the baseline ratios) above this; repeats likewise for the repeated share.
   * row_count: the deviation must also stand out from the node's own noise: |z| of log(1 + rows) against the
   * expected value's prediction spread above this (default 4).
   */
  min_z?: number;
  /**
   * row_count: where the expected row count comes from: the same UTC hour of day (`daily`) or day of
   * week (`weekly`) of the healthy history, the overall history (`none`), or what the history shows
   * (`auto`, the default).
   */
  seasonality?: 'auto' | 'weekly' | 'daily' | 'none';
  /**
   * drift, null_ratio, repeats: a node that runs daily or less often, in its first week, on a weekday it has not run
   * on yet (`young_week` in its metrics): `hold` (the default) learns the run without judging its
   * distributions and null ratios, as the row-count rule's `auto` seasonality does its row count (a weekend's
   * data can differ by design, which a first week cannot tell); `judge` judges it as any other run. null_ratio
   * also: a node that runs several times a day, in its first day, at an hour it has not run at yet, whose row
   * counts already moved from hour to hour (`young_hour`).
   */
  first_week?: 'hold' | 'judge';
  /** schema: only breaking changes count. */
  breaking_only?: boolean;
  /** schema: only compatible changes count (a column added, a type widened, nullability relaxed). */
  compatible_only?: boolean;
  /**
   * schema: the change is reported and becomes the new baseline at once: the finding is a notice, the
   * run stays healthy and teaches the baseline (meant for `compatible_only` rules).
   */
  rebaseline?: boolean;
  /** drift: the effect size (KS D lower bound, or total variation distance) that must be exceeded. */
  effect_floor?: number;
  /** drift: significance level after false discovery control. */
  alpha?: number;
  /** drift: false discovery control across a run's columns. */
  fdr?: 'bh' | 'none';
  /**
   * Any run-judged rule: a finding needs this many runs of the node in a row with the same finding
   * (rule, column, dataset) before it stands; the runs before are pending (not learned). Default 1.
   */
  persistence?: number;
  /**
   * drift (categorical): a value whose share now is at least this while its baseline share is at most a
   * tenth of it (or the reverse: a value that vanished) is a finding on its own, however small the total
   * variation. Default {@link DEFAULT_CATEGORY_FLOOR}.
   */
  category_floor?: number;
  /**
   * freshness: a node is late after `factor` times its usual interval between runs. duration: a run is stalled
   * after `factor` times the node's usual run duration.
   */
  factor?: number;
  /** freshness: never late before this many milliseconds. */
  min_silence_ms?: number;
  /** duration: never stalled before this many milliseconds. */
  min_duration_ms?: number;
  /**
   * long_drift: the alarm level of the robust CUSUM of the column's per-run mean against the node's frozen
   * reference epoch, in units of the reference's run-to-run spread (reference k = 0.5, increments clipped at 3).
   */
  cusum_h?: number;
  /**
   * unchanged: how many healthy runs in a row must each have written other rows than the one before (another
   * content hash) before a run that writes exactly its last healthy run's rows is judged.
   */
  min_changes?: number;
}

export interface Rule extends RuleParams {
  id: string;
  metric: RuleMetric;
  severity: Severity;
  enabled: boolean;
  /** Healthy runs needed in the baseline before the rule arms. */
  min_baseline_runs: number;
  /** Where the rule was defined (file:line), for messages. */
  source: string;
}

export interface OverrideMatch {
  pipeline?: string;
  node?: string;
  column?: string;
}

export interface RuleOverride {
  match: OverrideMatch;
  /** Rule id -> changed parameters (any of RuleParams, `severity`, `enabled`, `min_baseline_runs`). */
  rules: Record<string, Partial<Omit<Rule, 'id' | 'metric' | 'source'>>>;
  routes?: Partial<Record<Severity, string[]>>;
  /** Baseline settings for the matching nodes (not column-scoped). */
  baseline?: BaselineSettings;
  source: string;
}

/**
 * Who owns the nodes a match selects (rules `owners:`): the team, the Slack channel its incidents go to
 * and the people to mention. The last matching entry wins, as with overrides.
 */
export interface OwnerEntry {
  match: { pipeline?: string; node?: string };
  team: string;
  /** A Slack channel id (C0123ABC) or #name; absent: the default channel (slack.channel). */
  slack_channel?: string;
  /** Slack user ids (U0123ABC), user group ids (S0123ABC) or @handles. */
  mention: string[];
  /** Actions per severity for this owner's nodes (between the global routes and the overrides). */
  routes?: Partial<Record<Severity, string[]>>;
  source: string;
}

/** Where escalated (ambiguous root) incidents go instead of the owner's channel (rules `escalation:`). */
export interface EscalationRoute {
  slack_channel: string;
  mention: string[];
  source: string;
}

/** The compiled, validated rule set (immutable once loaded). */
export interface RuleSet {
  readonly rules: readonly Rule[];
  readonly overrides: readonly RuleOverride[];
  readonly routes: Readonly<Record<Severity, readonly string[]>>;
  /** Ownership entries, in file order (absent in rule sets built by hand: nobody owns anything). */
  readonly owners?: readonly OwnerEntry[];
  readonly escalation?: EscalationRoute | undefined;
  /** Files it was loaded from, in order. */
  readonly files: readonly string[];
}

/** Rules in force for one node (and optionally one column), after overrides. */
export interface BaselineSettings {
  /**
   * Compare distributions with this run of the node (its run_id), pinned as the reference, instead of
   * the rolling window of the last N healthy runs: slow drift that the window would follow shows.
   */
  reference_run?: string;
}

export interface EffectiveRules {
  rules: Rule[];
  routes: Record<Severity, string[]>;
  baseline: BaselineSettings;
}

/** The metrics of one node-run, as the monitor's evaluation computes them: the rules' input. */
export interface NodeRunMetrics {
  pipeline: string;
  node: string;
  run_id: string;
  event_time: string;
  status: 'success' | 'failed';
  /** Healthy runs in the node's baseline when this run was evaluated. */
  baseline_runs: number;
  /**
   * The node runs daily or less often, is in its first week, and has not run on this weekday yet (its
   * healthy history cannot tell whether this day differs by design): rules with `first_week: hold` wait.
   */
  young_week?: true;
  /**
   * The node runs daily or less often and has not run on this edge of a month (its last, first or second day) in
   * any other month: the row-count rule with `first_week: hold` waits (stats `youngMonthEdge`).
   */
  young_edge?: true;
  /**
   * The node runs several times a day, is in its first day, and has not run at this UTC hour yet: the null-ratio
   * rule with `first_week: hold` waits (stats `youngHour`).
   */
  young_hour?: true;
  /**
   * Set by the rules: the drift or null-ratio findings held on this run, each a state the monitor keeps: what
   * `first_week: hold` rules held (a young week's), and a median fill that moved with its median (`fill_moved`),
   * which would have been a finding without it.
   */
  held?: Finding[];
  /** The first line of the error a failed run reported (its report's `error.message`). */
  error_message?: string;
  /** Empty when the run carries no row count (then no row count rule applies). */
  row_count: {
    value?: number;
    /** The expected row count (seasonality `auto`): median of the healthy runs of its season slot, or of all. */
    baseline?: number;
    /** (value - baseline) / baseline. */
    deviation?: number;
    /** (log(1 + value) - log(1 + baseline)) / prediction spread of the history (seasonality `auto`). */
    z?: number;
    /** The expectation per seasonality (`auto` included): what row_count rules choose from. */
    expectations?: Record<Seasonality, RowExpectation>;
    /** Each run it read (by parent) and its rows, when every run it read and its row count is known. */
    inputs?: InputRows;
    /** Which way the run `through` was judged against moved its own level (a finding or signal there). */
    input_moved?: 1 | -1;
    /**
     * The expectation from the rows a run it read wrote (stats/pass-through.ts), and that run's parent (its
     * node key): of the parents, the one whose history predicts this run most tightly.
     */
    through?: ThroughExpectation & { input: string };
    /**
     * The tightest expectation from the distinct values of a column of a run it read, whether or not they
     * explained the count's moves so far (stats/pass-through.ts, groupExpectation): the rule's "moved with its
     * keys".
     */
    keys?: ThroughExpectation & {
      input: string;
      group: string;
      /** The run read was not healthy: a level that moved with its keys is then its fault's symptom. */
      anomalous?: true;
    };
  };
  /**
   * The first output's content against its last healthy run's (profiles with a `content_hash`): `repeated`
   * when the hashes are equal, and how many healthy runs in a row before had each changed it.
   */
  content?: { repeated: boolean; changed_runs: number };
  schema: {
    fingerprint?: string;
    previous?: string;
    changed: boolean;
    breaking: boolean;
    changes: SchemaChange[];
  };
  columns: ColumnMetrics[];
  /** The data-quality tests the report carries on its outputs and inputs (absent: none). */
  assertions?: AssertionMetrics[];
}

/** One data-quality test's result on a dataset the run wrote (`out`) or read (`in`). */
export interface AssertionMetrics {
  dataset: string;
  side: 'in' | 'out';
  assertion: string;
  success: boolean;
  column?: string;
}

export interface ColumnMetrics {
  column: string;
  kind: 'numeric' | 'categorical';
  /** The dataset the column belongs to (an output of the node). */
  dataset: string;
  count: number;
  null_count: number;
  null_ratio: number;
  null_ratio_baseline?: number;
  /** (null_ratio - baseline) / spread, the spread being the larger of the binomial sd and the baseline's MAD. */
  null_ratio_z?: number;
  /** The baseline is the null level of the run's weekday (a daily node whose weekdays differ). */
  null_ratio_weekday?: true;
  mean?: number;
  drift?: DriftMetrics;
  /** Outputs' numeric columns once the node's reference epoch is frozen: the long-horizon comparison. */
  long_horizon?: LongHorizonMetrics;
  /** Numeric columns with a distinct count: the share of values that repeat another, against its healthy level. */
  repeats?: RepeatJudgement;
}

/**
 * A numeric column's per-run mean against the node's reference epoch (the first healthy runs after it was
 * armed or its last accepted change; docs/statistics.md, "Long-horizon drift").
 */
export interface LongHorizonMetrics {
  mean: number;
  reference_mean: number;
  /** (mean - reference mean) / the reference's run-to-run spread of the mean (at least the sampling error). */
  z: number;
  /**
   * The practical size: the level's distance from the reference, the median of this run's and the last few
   * runs' (mean - reference mean), over the within-run standard deviation (robust, from quartiles). One
   * run's noise is not a level.
   */
  shift: number;
  /** This run's mean - reference mean. */
  distance: number;
  /** The CUSUM after this run, upward and downward (what the node keeps when the run is otherwise healthy). */
  up: number;
  down: number;
  /** max(up, down). */
  cusum: number;
  /** Runs in the reference epoch. */
  reference_runs: number;
  /** The quantile track (where the reference has one): the decile whose CUSUM stands highest. */
  quantile?: QuantileHorizon;
}

/**
 * The long horizon's quantile track (docs/statistics.md, "Quantiles on the long horizon"): each decile of the
 * run against the mean of the reference epoch's runs' deciles, a two-sided CUSUM per decile; reported for the
 * decile whose CUSUM stands highest.
 */
export interface QuantileHorizon {
  /** The decile's level (0.1..0.9). */
  level: number;
  /** The run's value at it, and the reference's. */
  value: number;
  reference: number;
  /** (value - reference) / the reference's run-to-run spread of the decile. */
  z: number;
  /**
   * The practical size: the median over this run and the last few of the share of rows that moved past the
   * reference decile (level - the run's rank of the reference value, absolute): a KS distance at that point.
   */
  size: number;
  /**
   * The size less its sampling error (the 99% one-sided bound of a binomial share at the decile over the run's
   * values): a few rows of a small table crossing the reference are no creep.
   */
  effect: number;
  /** |value - reference| over the reference's spacing of the deciles around it (a discrete column's guard). */
  spacing: number;
  /** The CUSUMs after this run, one per decile (what the node keeps when the run is otherwise healthy). */
  up: number[];
  down: number[];
  /** This run's rank distance (what joins the recent ones). */
  distance: number;
  /** max over the deciles and sides. */
  cusum: number;
}

/** Robust z above the column's own healthy drift statistics before a drift stands (docs/statistics.md). */
export const DRIFT_NOISE_Z = 4;
/**
 * The share of healthy runs allowed above a column's noise band under its exponential tail model
 * (docs/statistics.md, "The column's own movement"): 1 in 1,000 column-runs.
 */
export const DRIFT_NOISE_TAIL_P = 1e-3;
/** Healthy runs with a drift statistic before the column's own noise band applies. */
export const DRIFT_NOISE_MIN_RUNS = 4;

/** How far a run's values moved in scale (monitor/evaluate.ts, scaleShift). */
export interface ScaleShift {
  /** Mean log10 distance of the quantiles 2%..98% from the baseline's (monitor/evaluate.ts, scaleShift). */
  shift: number;
  /** The largest of those distances, at one quantile level. */
  most: number;
  /** The column's healthy level of the shift (as `noise_band` for the statistic); absent without history. */
  band?: number;
  /** The 10%, 50% and 90% quantiles of the baseline and of the run. */
  baseline: [number, number, number];
  current: [number, number, number];
}

export interface DriftMetrics {
  test: 'ks' | 'chi2';
  /** KS: D; chi2: total variation distance. */
  statistic: number;
  /**
   * KS: the effect's lower confidence bound, D minus the sketches' rank error and minus the sampling
   * error (the 99% KS critical value at the effective size); chi2: the distance less its sampling margin
   * (the 99% quantile of the distance between two samples of one distribution, stats `tvdSamplingMargin`).
   */
  effect: number;
  pvalue: number;
  /** After false discovery control across the run's columns; filled by the rules engine. */
  pvalue_adjusted?: number;
  n_current: number;
  n_baseline: number;
  /** Numeric: how far the run's values moved in scale. */
  scale?: ScaleShift;
  /**
   * The column's own healthy level of the statistic: median + {@link DRIFT_NOISE_Z} scaled MADs of the
   * statistic its last healthy runs showed, and at least their largest (at least
   * {@link DRIFT_NOISE_MIN_RUNS} of them); a statistic at
   * or below it is the column's usual run-to-run movement, not drift. Absent without enough history.
   */
  noise_band?: number;
  /** The pinned reference run compared with, when one is (else the rolling window of healthy runs). */
  reference_run?: string;
  /** KS on a per-run normalized column: compared by shape, each side at its median and interquartile range. */
  by_shape?: boolean;
  /**
   * chi2: the column's values come and go in its healthy runs (monitor/evaluate.ts, valuesComeAndGo): a value
   * appearing or vanishing is not a finding by itself.
   */
  turnover?: boolean;
  /**
   * chi2: a version column in a rollout (monitor/evaluate.ts, versionRollout): the versions that gained share
   * are all newer than every version the baseline established. Their share now and in the baseline.
   */
  rollout?: { values: string[]; share: number; baseline: number };
  /**
   * The run is in a state the column was in before on a run flagged for drift alone, and left again (a
   * recurring state: monitor/evaluate.ts, `recurringState`): within the column's own movement.
   */
  recurring?: boolean;
  /**
   * Numeric: the column's median fill moved with its median (a point mass at the median, moved to the next
   * value, nothing else changed: monitor/evaluate.ts, `fillFollowedMedian`): within the column's own movement.
   */
  fill_moved?: {
    from: number;
    to: number;
    /** How far the rest of the column moved (sup |dF| outside them). */ rest: number;
  };
  /** The index of the recurring state matched, in the column's kept states. */
  recurring_state?: number;
  /**
   * Set by the rules: a drift rule held this run's finding (a first week's new weekday, `first_week: hold`).
   * Like a recurring state's, its statistic is a state's distance, not the column's run-to-run noise.
   */
  held?: boolean;
  /** chi2: the values whose shares moved most (at most 5), with their share bounds. */
  shifts?: CategoryMove[];
  /** chi2: values that appeared or vanished beyond a factor 10 in share, with one-sided p-values. */
  candidates?: CategoryMove[];
}

/** How one category's share compares (the stats module's comparison, named once there). */
export type CategoryMove = CategoryShift;

/**
 * THE finding: what a rule says about a run. Its identity (which node-run) is carried by the run that
 * holds it; {@link Finding} adds it where a finding travels alone.
 */
export interface FindingBrief {
  rule: string;
  metric: RuleMetric;
  severity: Severity;
  column?: string;
  /** The dataset the finding is about, when the metric names one (assertions: the dataset tested). */
  dataset?: string;
  value: number;
  baseline?: number;
  threshold: number;
  /** A sentence for people: "null ratio of avg_amount is 0.10 (baseline 0.00, max 0.02)". */
  message: string;
}

/** Which node-run a finding is about. */
export interface NodeRunIdentity {
  pipeline: string;
  node: string;
  run_id: string;
  event_time: string;
}

/** A finding with its node-run identity (and details), as the rules engine returns it. */
export interface Finding extends FindingBrief, NodeRunIdentity {
  details?: Record<string, unknown>;
}

/** A finding without its identity and details (what a run record holds). */
export function briefOf(f: Finding): FindingBrief {
  const b: FindingBrief = {
    rule: f.rule,
    metric: f.metric,
    severity: f.severity,
    value: f.value,
    threshold: f.threshold,
    message: f.message,
  };
  if (f.column !== undefined) b.column = f.column;
  if (f.dataset !== undefined) b.dataset = f.dataset;
  if (f.baseline !== undefined) b.baseline = f.baseline;
  return b;
}
