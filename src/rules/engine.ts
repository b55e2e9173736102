import { benjaminiHochberg } from '../stats/index.js';
import { globMatch } from './glob.js';
import {
  SEVERITIES,
  isColumnMetric,
  type EffectiveRules,
  type Finding,
  type NodeRunMetrics,
  type Rule,
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
 * The rules in force for a node (or one of its columns): the rule set with every matching override
 * applied in order (later overrides win). An override that names a column applies only to column rules.
 */
export function effectiveRules(set: RuleSet, target: RuleTarget): EffectiveRules {
  // Evaluated for every column of every report: memoized per rule set (rule sets are immutable; a
  // reload makes a new one). The result is shared: read it, never change it.
  let cache = EFFECTIVE.get(set);
  if (!cache) EFFECTIVE.set(set, (cache = new Map<string, EffectiveRules>()));
  const key = `${target.pipeline}\u001f${target.node}\u001f${target.column ?? '\u0000'}`;
  const hit = cache.get(key);
  if (hit) return hit;
  if (cache.size >= EFFECTIVE_CACHE_LIMIT) cache.clear();
  const computed = computeEffectiveRules(set, target);
  cache.set(key, computed);
  return computed;
}

const EFFECTIVE = new WeakMap<RuleSet, Map<string, EffectiveRules>>();
const EFFECTIVE_CACHE_LIMIT = 100_000;

function computeEffectiveRules(set: RuleSet, target: RuleTarget): EffectiveRules {
  const rules = set.rules.map((r) => ({ ...r }));
  const routes: Record<Severity, string[]> = {
    critical: [...set.routes.critical],
    warning: [...set.routes.warning],
    info: [...set.routes.info],
  };
  const baseline: EffectiveRules['baseline'] = {};
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

function fmt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return 'n/a';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return Number(x.toPrecision(3)).toString();
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/**
 * Evaluates the rules against one node-run's metrics. Fills `pvalue_adjusted` of each drift metric
 * (Benjamini-Hochberg across the run's columns whose drift rule uses it) and returns the findings,
 * most severe first.
 */
export function evaluateRules(set: RuleSet, m: NodeRunMetrics): Finding[] {
  const findings: Finding[] = [];
  const base = { pipeline: m.pipeline, node: m.node, run_id: m.run_id, event_time: m.event_time };
  const nodeRules = effectiveRules(set, { pipeline: m.pipeline, node: m.node }).rules;
  const armed = (r: Rule) => r.enabled && m.baseline_runs >= r.min_baseline_runs;

  for (const r of nodeRules) {
    if (!armed(r)) continue;
    if (r.metric === 'status' && m.status === 'failed') {
      findings.push({
        ...base,
        rule: r.id,
        metric: 'status',
        severity: r.severity,
        value: 1,
        threshold: 0,
        message: `run ${m.run_id} of ${m.node} failed`,
      });
    } else if (r.metric === 'row_count' && m.row_count.deviation !== undefined && r.max_deviation !== undefined) {
      const dev = m.row_count.deviation;
      if (Math.abs(dev) > r.max_deviation) {
        findings.push({
          ...base,
          rule: r.id,
          metric: 'row_count',
          severity: r.severity,
          value: m.row_count.value,
          ...(m.row_count.baseline !== undefined ? { baseline: m.row_count.baseline } : {}),
          threshold: r.max_deviation,
          message: `row count ${dev < 0 ? 'dropped' : 'rose'} ${pct(Math.abs(dev))}: ${fmt(m.row_count.value)} rows vs baseline ${fmt(m.row_count.baseline)} (max deviation ${pct(r.max_deviation)})`,
          details: { deviation: dev, ...(m.row_count.z !== undefined ? { z: m.row_count.z } : {}) },
        });
      }
    } else if (r.metric === 'schema' && m.schema.changed && (!r.breaking_only || m.schema.breaking)) {
      const summary = m.schema.changes.map((c) => `${c.kind.replace('_', ' ')} ${c.path}`).join(', ');
      findings.push({
        ...base,
        rule: r.id,
        metric: 'schema',
        severity: r.severity,
        value: m.schema.changes.length,
        threshold: 0,
        message: `schema changed (${m.schema.breaking ? 'breaking' : 'compatible'}): ${summary || 'fingerprint differs'}`,
        details: {
          breaking: m.schema.breaking,
          changes: m.schema.changes,
          before: m.schema.previous,
          after: m.schema.fingerprint,
        },
      });
    }
  }

  // Column rules: each column has its own effective rules.
  const driftCandidates: { index: number; rule: Rule }[] = [];
  const perColumn = m.columns.map(
    (c) => effectiveRules(set, { pipeline: m.pipeline, node: m.node, column: c.column }).rules,
  );
  m.columns.forEach((c, i) => {
    for (const r of perColumn[i]!) {
      if (!armed(r)) continue;
      if (r.metric === 'null_ratio' && r.max !== undefined) {
        const baseline = c.null_ratio_baseline ?? 0;
        const jump = c.null_ratio - baseline;
        if (
          c.null_ratio > r.max &&
          (r.max_jump === undefined || jump > r.max_jump) &&
          nullJumpSignificant(c, r.min_z)
        ) {
          findings.push({
            ...base,
            rule: r.id,
            metric: 'null_ratio',
            severity: r.severity,
            column: c.column,
            value: c.null_ratio,
            baseline,
            threshold: r.max,
            message: `null ratio of ${c.column} jumped ${baseline.toFixed(2)} -> ${c.null_ratio.toFixed(2)} (max ${r.max}${r.max_jump !== undefined ? `, max jump ${r.max_jump}` : ''})`,
            details: {
              null_count: c.null_count,
              count: c.count,
              dataset: c.dataset,
              ...(c.null_ratio_z !== undefined ? { z: c.null_ratio_z } : {}),
            },
          });
        }
      } else if (r.metric === 'drift' && c.drift) {
        driftCandidates.push({ index: i, rule: r });
      }
    }
  });

  // False discovery control across the run's columns (those whose drift rule asks for it). The family
  // is the columns, not (column, rule) pairs: two drift rules on a column do not test it twice.
  const bhColumns = [...new Set(driftCandidates.filter((d) => (d.rule.fdr ?? 'bh') === 'bh').map((d) => d.index))];
  const adjustedOf = new Map<number, number>();
  if (bhColumns.length > 0) {
    const adjusted = benjaminiHochberg(bhColumns.map((i) => m.columns[i]!.drift!.pvalue)).adjusted;
    bhColumns.forEach((i, j) => {
      adjustedOf.set(i, adjusted[j]!);
      m.columns[i]!.drift!.pvalue_adjusted = adjusted[j]!;
    });
  }
  for (const d of driftCandidates) {
    const c = m.columns[d.index]!;
    const drift = c.drift!;
    const bh = (d.rule.fdr ?? 'bh') === 'bh';
    const p = bh ? adjustedOf.get(d.index)! : drift.pvalue;
    if (!adjustedOf.has(d.index)) drift.pvalue_adjusted = drift.pvalue;
    const after = bh ? ' after FDR control' : '';
    // Significant at p <= alpha, as the stats module's drift verdicts and scipy-style tests decide.
    if (drift.effect > d.rule.effect_floor! && p <= d.rule.alpha!) {
      findings.push({
        ...base,
        rule: d.rule.id,
        metric: 'drift',
        severity: d.rule.severity,
        column: c.column,
        value: drift.statistic,
        threshold: d.rule.effect_floor!,
        message:
          drift.test === 'ks'
            ? `distribution of ${c.column} shifted: KS D = ${drift.statistic.toFixed(3)} (effect ${drift.effect.toFixed(3)} > ${d.rule.effect_floor}), p = ${p.toExponential(2)}${after}`
            : `categories of ${c.column} shifted: total variation ${drift.statistic.toFixed(3)} > ${d.rule.effect_floor}, chi-squared p = ${p.toExponential(2)}${after}`,
        details: {
          test: drift.test,
          effect: drift.effect,
          pvalue: drift.pvalue,
          pvalue_adjusted: p,
          n_current: drift.n_current,
          n_baseline: drift.n_baseline,
          dataset: c.dataset,
        },
      });
    }
  }
  const rank = (s: Severity) => SEVERITIES.indexOf(s);
  return findings.sort((a, b) => rank(a.severity) - rank(b.severity));
}

/**
 * Whether a null-ratio jump stands out from the column's own noise: its z-score (jump over the larger of
 * the binomial spread at the baseline ratio and the baseline's observed spread) exceeds `minZ`. Without
 * `minZ` (or without a z-score: no baseline yet) only the thresholds decide.
 */
function nullJumpSignificant(c: { null_ratio_z?: number | undefined }, minZ: number | undefined): boolean {
  return minZ === undefined || c.null_ratio_z === undefined || c.null_ratio_z > minZ;
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

/** A node silent for longer than `factor` times its usual interval: at most one finding. */
export function evaluateFreshness(set: RuleSet, f: FreshnessInput): Finding | undefined {
  for (const r of effectiveRules(set, f).rules) {
    if (r.metric !== 'freshness' || !r.enabled || f.usualIntervalMs === undefined || f.runs < r.min_baseline_runs)
      continue;
    const limit = Math.max(r.factor! * f.usualIntervalMs, r.min_silence_ms ?? 0);
    const silent = f.now - f.lastRunAt;
    if (silent > limit) {
      return {
        pipeline: f.pipeline,
        node: f.node,
        run_id: '',
        event_time: new Date(f.now).toISOString(),
        rule: r.id,
        metric: 'freshness',
        severity: r.severity,
        value: silent,
        baseline: f.usualIntervalMs,
        threshold: limit,
        message: `${f.node} has been silent for ${Math.round(silent / 60000)} min, more than ${r.factor}x its usual interval of ${Math.round(f.usualIntervalMs / 60000)} min`,
      };
    }
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
  const out: Finding[] = [];
  const base = {
    pipeline: m.pipeline,
    node: m.node,
    run_id: m.run_id,
    event_time: m.event_time,
    severity: 'info' as const,
  };
  const armed = (r: Rule) => r.enabled && m.baseline_runs >= r.min_baseline_runs;
  for (const r of effectiveRules(set, { pipeline: m.pipeline, node: m.node }).rules) {
    if (!armed(r) || r.metric !== 'row_count' || r.max_deviation === undefined || m.row_count.deviation === undefined)
      continue;
    const dev = Math.abs(m.row_count.deviation);
    if (dev > r.max_deviation * fraction && dev <= r.max_deviation) {
      out.push({
        ...base,
        rule: r.id,
        metric: 'row_count',
        value: m.row_count.value,
        ...(m.row_count.baseline !== undefined ? { baseline: m.row_count.baseline } : {}),
        threshold: r.max_deviation,
        message: `row count moved ${(dev * 100).toFixed(1)}% (under the ${(r.max_deviation * 100).toFixed(1)}% threshold)`,
      });
    }
  }
  for (const c of m.columns) {
    for (const r of effectiveRules(set, { pipeline: m.pipeline, node: m.node, column: c.column }).rules) {
      if (!armed(r)) continue;
      if (r.metric === 'null_ratio' && r.max !== undefined) {
        const baseline = c.null_ratio_baseline ?? 0;
        const jump = c.null_ratio - baseline;
        const jumpLimit = r.max_jump ?? r.max;
        const violated =
          c.null_ratio > r.max && (r.max_jump === undefined || jump > r.max_jump) && nullJumpSignificant(c, r.min_z);
        if (
          !violated &&
          jump > jumpLimit * fraction &&
          nullJumpSignificant(c, r.min_z === undefined ? undefined : r.min_z * fraction)
        ) {
          out.push({
            ...base,
            rule: r.id,
            metric: 'null_ratio',
            column: c.column,
            value: c.null_ratio,
            baseline,
            threshold: r.max,
            message: `null ratio of ${c.column} rose ${baseline.toFixed(3)} -> ${c.null_ratio.toFixed(3)} (under the threshold)`,
          });
        }
      } else if (r.metric === 'drift' && c.drift && r.effect_floor !== undefined && r.alpha !== undefined) {
        const p = c.drift.pvalue_adjusted ?? c.drift.pvalue;
        const violated = c.drift.effect > r.effect_floor && p < r.alpha;
        if (!violated && c.drift.effect > r.effect_floor * fraction && c.drift.pvalue < r.alpha) {
          out.push({
            ...base,
            rule: r.id,
            metric: 'drift',
            column: c.column,
            value: c.drift.statistic,
            threshold: r.effect_floor,
            message: `distribution of ${c.column} moved (effect ${c.drift.effect.toFixed(3)}, under the ${r.effect_floor} floor)`,
          });
        }
      }
    }
  }
  return out;
}
