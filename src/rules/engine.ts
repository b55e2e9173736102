import { benjaminiHochberg } from '../stats/index.js';
import { compositeKey } from '../keys.js';
import { globMatch } from './glob.js';
import { ownerOf } from './owners.js';
import { METRICS, assertionVerdict, holdsFirstWeek, usesFdr, type Verdict } from './metrics/index.js';
import {
  SEVERITIES,
  isColumnMetric,
  type ColumnMetrics,
  type EffectiveRules,
  type Finding,
  type NodeRunMetrics,
  type Rule,
  type RuleMetric,
  type RuleOverride,
  type RuleSet,
  type Severity,
} from './types.js';

export interface RuleTarget {
  pipeline: string;
  node: string;
  /** For column rules: the column. */
  column?: string;
}

/**
 * The rules in force for a node (or one of its columns): the rule set with its owner's routes and every
 * matching override applied in order (later overrides win). An override that names a column applies only to column rules.
 */
export function effectiveRules(set: RuleSet, target: RuleTarget): EffectiveRules {
  // A column no column-scoped override matches has its node's rules: one shared entry per node rather
  // than one per column (~1.7 KB each: 36 MiB of memo for 1,000 nodes x 20 columns, bench/results/scale.md).
  if (target.column !== undefined && !columnOverridden(set, target))
    return effectiveRules(set, { pipeline: target.pipeline, node: target.node });
  // Evaluated for every column of every report: memoized per rule set (rule sets are immutable; a
  // reload makes a new one). The result is shared: read it, never change it.
  let cache = EFFECTIVE.get(set);
  if (!cache) EFFECTIVE.set(set, (cache = new Map<string, EffectiveRules>()));
  const key = compositeKey(target.pipeline, target.node, target.column ?? '\u0000');
  const hit = cache.get(key);
  if (hit) return hit;
  if (cache.size >= EFFECTIVE_CACHE_LIMIT) cache.clear();
  const computed = computeEffectiveRules(set, target);
  cache.set(key, computed);
  return computed;
}

const EFFECTIVE = new WeakMap<RuleSet, Map<string, EffectiveRules>>();

/** Whether a column-scoped override matches the target's column (only then do its rules differ from its node's). */
function columnOverridden(set: RuleSet, target: RuleTarget): boolean {
  let scoped = COLUMN_SCOPED.get(set);
  if (!scoped) COLUMN_SCOPED.set(set, (scoped = set.overrides.filter((o) => o.match.column !== undefined)));
  for (const o of scoped) {
    if (o.match.pipeline !== undefined && !globMatch(o.match.pipeline, target.pipeline)) continue;
    if (o.match.node !== undefined && !globMatch(o.match.node, target.node)) continue;
    if (globMatch(o.match.column!, target.column!)) return true;
  }
  return false;
}

const COLUMN_SCOPED = new WeakMap<RuleSet, readonly RuleOverride[]>();
/**
 * Whether a rule of this metric is enabled for the target (after overrides). For state a rule alone needs
 * (the long horizon's reference epoch): a metric no rule or override enables anywhere is off for every
 * target without evaluating the overrides.
 */
export function metricEnabled(set: RuleSet, metric: RuleMetric, target: RuleTarget): boolean {
  let anywhere = ENABLED_ANYWHERE.get(set);
  if (!anywhere) {
    anywhere = new Set<RuleMetric>();
    for (const r of set.rules) if (r.enabled) anywhere.add(r.metric);
    for (const o of set.overrides)
      for (const [id, change] of Object.entries(o.rules)) {
        const r = set.rules.find((x) => x.id === id);
        if (r && change.enabled === true) anywhere.add(r.metric);
      }
    ENABLED_ANYWHERE.set(set, anywhere);
  }
  if (!anywhere.has(metric)) return false;
  return effectiveRules(set, target).rules.some((r) => r.metric === metric && r.enabled);
}

const ENABLED_ANYWHERE = new WeakMap<RuleSet, Set<RuleMetric>>();

const EFFECTIVE_CACHE_LIMIT = 100_000;

function computeEffectiveRules(set: RuleSet, target: RuleTarget): EffectiveRules {
  const rules = set.rules.map((r) => ({ ...r }));
  const routes: Record<Severity, string[]> = {
    critical: [...set.routes.critical],
    warning: [...set.routes.warning],
    info: [...set.routes.info],
  };
  const baseline: EffectiveRules['baseline'] = {};
  // The owner's routes come between the global routes and the overrides (which stay the finer tool).
  const owner = ownerOf(set, target);
  if (owner?.routes) Object.assign(routes, owner.routes);
  for (const o of set.overrides) {
    if (o.match.pipeline !== undefined && !globMatch(o.match.pipeline, target.pipeline)) continue;
    if (o.match.node !== undefined && !globMatch(o.match.node, target.node)) continue;
    // A column-scoped override changes only column rules, and only for the columns it matches.
    const columnScoped = o.match.column !== undefined;
    if (columnScoped && (target.column === undefined || !globMatch(o.match.column!, target.column))) continue;
    for (const rule of rules) {
      const change = o.rules[rule.id];
      if (!change) continue;
      if (columnScoped && !isColumnMetric(rule.metric)) continue;
      Object.assign(rule, change);
    }
    if (o.routes && !columnScoped) Object.assign(routes, o.routes);
    if (o.baseline && !columnScoped) Object.assign(baseline, o.baseline);
  }
  return { rules, routes, baseline };
}

/**
 * Evaluates the rules against one node-run's metrics. Fills `pvalue_adjusted` of each drift metric
 * (Benjamini-Hochberg across the run's columns whose drift rule uses it) and returns the findings,
 * most severe first. What each metric checks lives in its descriptor (./metrics/).
 */
export function evaluateRules(set: RuleSet, m: NodeRunMetrics): Finding[] {
  const base = { pipeline: m.pipeline, node: m.node, run_id: m.run_id, event_time: m.event_time };
  const armed = (r: Rule) => r.enabled && m.baseline_runs >= r.min_baseline_runs;
  const finding = (r: Rule, v: Verdict | undefined): Finding[] =>
    v ? [{ ...base, rule: r.id, severity: r.severity, ...v }] : [];

  const findings: Finding[] = [];
  for (const r of effectiveRules(set, { pipeline: m.pipeline, node: m.node }).rules)
    if (armed(r) && !METRICS[r.metric].column)
      findings.push(...finding(r, METRICS[r.metric].violation(r, m, undefined)));

  // Column rules: each column has its own effective rules.
  const perColumn = m.columns.map((c) =>
    effectiveRules(set, { pipeline: m.pipeline, node: m.node, column: c.column }).rules.filter(
      (r) => armed(r) && METRICS[r.metric].column,
    ),
  );
  adjustDriftPvalues(m, perColumn);
  const columnFindings: Finding[] = [];
  m.columns.forEach((c, i) => {
    for (const r of perColumn[i]!) {
      const v = METRICS[r.metric].violation(r, m, c);
      columnFindings.push(...finding(r, ofDataset(v, c)));
      // What a first week's new weekday held: the monitor keeps the column's state (a weekend's distribution
      // is a state the column returns to), as it does for a run flagged for drift alone.
      if (!v && m.young_week === true && holdsFirstWeek(r, m)) {
        const w = METRICS[r.metric].violation({ ...r, first_week: 'judge' }, m, c);
        if (w) {
          (m.held ??= []).push(...finding(r, ofDataset(w, c)));
          if (r.metric === 'drift' && c.drift) c.drift.held = true;
        }
      }
      // A median fill that moved with its median is no finding, but it is a state the column visits: kept as
      // one, so that a later run there whose fill check does not hold (the rest moved a little more) is known.
      const d = c.drift;
      if (!v && r.metric === 'drift' && d?.fill_moved !== undefined && d.recurring !== true) {
        const { fill_moved: _, ...without } = d;
        const w = METRICS.drift.violation({ ...r, first_week: 'judge' }, m, { ...c, drift: without });
        if (w) (m.held ??= []).push(...finding(r, ofDataset(w, c)));
      }
    }
  });
  // Drift findings after the other column findings (stable): the order they were always reported in.
  findings.push(
    ...columnFindings.filter((f) => f.metric !== 'drift'),
    ...columnFindings.filter((f) => f.metric === 'drift'),
  );
  // Failed data-quality tests: one finding per failed assertion and rule, the rules in force for its column.
  for (const a of m.assertions ?? []) {
    if (a.success) continue;
    const target = { pipeline: m.pipeline, node: m.node, ...(a.column !== undefined ? { column: a.column } : {}) };
    for (const r of effectiveRules(set, target).rules)
      if (r.metric === 'assertion' && armed(r)) findings.push(...finding(r, assertionVerdict(a)));
  }
  const rank = (s: Severity) => SEVERITIES.indexOf(s);
  return findings.sort((a, b) => rank(a.severity) - rank(b.severity));
}

/** A column's verdict names the column's dataset (column lineage keys by dataset and column: `t1.id` is not `t2.id`). */
function ofDataset(v: Verdict | undefined, c: ColumnMetrics): Verdict | undefined {
  return v === undefined || v.dataset !== undefined ? v : { ...v, dataset: c.dataset };
}

/**
 * False discovery control across the run's columns (those whose drift rule asks for it). The family
 * is the columns, not (column, rule) pairs: two drift rules on a column do not test it twice. Columns
 * judged without it keep their raw p-value as the adjusted one.
 */
function adjustDriftPvalues(m: NodeRunMetrics, perColumn: Rule[][]): void {
  const judged = m.columns.map((c, i) => (c.drift ? perColumn[i]!.filter((r) => r.metric === 'drift') : []));
  const bhColumns = judged.flatMap((rules, i) => (rules.some(usesFdr) ? [i] : []));
  if (bhColumns.length > 0) {
    const adjusted = benjaminiHochberg(bhColumns.map((i) => m.columns[i]!.drift!.pvalue)).adjusted;
    bhColumns.forEach((i, j) => (m.columns[i]!.drift!.pvalue_adjusted = adjusted[j]!));
    // A value that appeared or vanished is a second hypothesis per column ("its values changed"), in a family
    // of its own over the same columns: judged at the column's raw p-value it was a 5% test per column-run,
    // and a value at 1.2% of a 500-row table that was absent once opened an incident at p = 0.04.
    const least = bhColumns.map((i) => {
      const c = m.columns[i]!.drift!.candidates;
      return c && c.length > 0 ? Math.min(...c.map((x) => x.pvalue ?? 1)) : 1;
    });
    if (least.some((p) => p < 1)) {
      const q = benjaminiHochberg(least).adjusted;
      bhColumns.forEach((i, j) => {
        const d = m.columns[i]!.drift!;
        if (d.candidates && d.candidates.length > 0)
          d.candidates = d.candidates.map((c) => ({ ...c, pvalue_adjusted: Math.max(c.pvalue ?? 1, q[j]!) }));
      });
    }
  }
  judged.forEach((rules, i) => {
    const d = m.columns[i]!.drift;
    if (d && rules.length > 0 && !bhColumns.includes(i)) d.pvalue_adjusted = d.pvalue;
  });
}

/** Routes (actions) for a severity at a node. */
export function routeFor(set: RuleSet, target: RuleTarget, severity: Severity): string[] {
  return effectiveRules(set, target).routes[severity];
}

export interface FreshnessInput {
  pipeline: string;
  node: string;
  /** Event time (ms) of the node's latest run. */
  lastRunAt: number;
  /** Median interval (ms) between its recent runs; undefined when unknown. */
  usualIntervalMs: number | undefined;
  /** Runs seen (freshness arms after min_baseline_runs intervals). */
  runs: number;
  now: number;
}

/**
 * A node silent for longer than `factor` times its usual interval (`freshness`), or a run going on for longer
 * than `factor` times the node's usual duration (`duration`, with `lastRunAt` the run's start): at most one
 * finding, from the first enabled and armed rule of that metric.
 */
export function evaluateFreshness(
  set: RuleSet,
  f: FreshnessInput,
  metric: 'freshness' | 'duration' = 'freshness',
): Finding | undefined {
  for (const r of effectiveRules(set, f).rules) {
    if (r.metric !== metric) continue;
    const overdue = METRICS[r.metric].overdue;
    if (!overdue || !r.enabled || f.usualIntervalMs === undefined || f.runs < r.min_baseline_runs) continue;
    const v = overdue(r, f);
    if (v)
      return {
        pipeline: f.pipeline,
        node: f.node,
        run_id: '',
        event_time: new Date(f.now).toISOString(),
        rule: r.id,
        severity: r.severity,
        ...v,
      };
  }
  return undefined;
}

/** Signals start at this fraction of a rule's threshold. */
export const DEFAULT_SIGNAL_FRACTION = 0.5;

/**
 * Movements that stay under the rules' thresholds but reach `fraction` of them (drift also
 * significant at the rule's alpha): never alerts, only evidence for root-cause analysis, where a
 * parent just under a threshold can explain a child just over it. Call after evaluateRules (which
 * fills the adjusted p-values). Violations themselves are not repeated here.
 */
export function elevatedSignals(set: RuleSet, m: NodeRunMetrics, fraction = DEFAULT_SIGNAL_FRACTION): Finding[] {
  const base = { pipeline: m.pipeline, node: m.node, run_id: m.run_id, event_time: m.event_time };
  const armed = (r: Rule) => r.enabled && m.baseline_runs >= r.min_baseline_runs;
  const out: Finding[] = [];
  const signal = (r: Rule, c: ColumnMetrics | undefined) => {
    const v =
      c === undefined
        ? METRICS[r.metric].signal(r, m, c, fraction)
        : ofDataset(METRICS[r.metric].signal(r, m, c, fraction), c);
    // A long-horizon signal may be a root on its own (lineage/rca.ts): it carries its rule's severity.
    if (v) out.push({ ...base, rule: r.id, severity: r.metric === 'long_drift' ? r.severity : 'info', ...v });
  };
  for (const r of effectiveRules(set, { pipeline: m.pipeline, node: m.node }).rules)
    if (armed(r) && !METRICS[r.metric].column) signal(r, undefined);
  for (const c of m.columns)
    for (const r of effectiveRules(set, { pipeline: m.pipeline, node: m.node, column: c.column }).rules)
      if (armed(r) && METRICS[r.metric].column) signal(r, c);
  return out;
}
