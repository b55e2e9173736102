import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { RootlineError } from '../errors/index.js';
import { globToRegExp } from './glob.js';
import { METRICS } from './metrics/index.js';
import { DEFAULT_MIN_BASELINE_RUNS } from './metrics/types.js';
import {
  RULE_METRICS,
  SEVERITIES,
  type EscalationRoute,
  type OwnerEntry,
  type Rule,
  type RuleMetric,
  type RuleOverride,
  type RuleParams,
  type RuleSet,
  type Severity,
} from './types.js';

/** Defaults for a rule's common settings when the file does not give them. */
export { DEFAULT_MIN_BASELINE_RUNS };
export const DEFAULT_ROUTES: Record<Severity, string[]> = { critical: ['slack'], warning: ['slack'], info: [] };
/** The actions a route may name. */
export const ACTIONS = ['slack', 'rollback', 'rerun', 'log'] as const;

const COMMON = new Set(['id', 'metric', 'severity', 'enabled', 'min_baseline_runs', 'description']);

export interface RuleProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

class Problems {
  readonly list: RuleProblem[] = [];
  constructor(
    private readonly file: string,
    private readonly lc: LineCounter,
  ) {}
  add(node: YamlNode | null | undefined, message: string): void {
    const offset = node?.range?.[0] ?? 0;
    const pos = this.lc.linePos(offset);
    this.list.push({ file: this.file, line: pos.line, column: pos.col, message });
  }
  where(node: YamlNode | null | undefined): string {
    const pos = this.lc.linePos(node?.range?.[0] ?? 0);
    return `${this.file}:${pos.line}`;
  }
}

function mapEntries(node: unknown): [string, YamlNode, YamlNode][] {
  if (!isMap(node)) return [];
  return node.items.map((pair) => {
    const key = pair.key as YamlNode;
    return [isScalar(key) ? String(key.value) : String(key), key, pair.value as YamlNode];
  });
}

function scalar(node: YamlNode | null | undefined): unknown {
  return isScalar(node) ? node.value : undefined;
}

/** A value as a problem message shows it (an empty value and a list or mapping said in words). */
function show(v: unknown): string {
  if (v === undefined) return 'a list or mapping';
  if (v === null) return 'an empty value';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return JSON.stringify(v);
}

function checkParam(kind: string, node: YamlNode, name: string, p: Problems): unknown {
  const v = scalar(node);
  switch (kind) {
    case 'number':
    case 'ms':
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        return p.add(node, `${name} must be a number >= 0, got ${show(v)}`);
      return v;
    case 'fraction':
      if (typeof v !== 'number' || !(v >= 0 && v <= 1))
        return p.add(node, `${name} must be a number between 0 and 1, got ${show(v)}`);
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') return p.add(node, `${name} must be true or false, got ${show(v)}`);
      return v;
    case 'fdr':
      if (v !== 'bh' && v !== 'none') return p.add(node, `${name} must be "bh" or "none", got ${show(v)}`);
      return v;
    case 'count':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
        return p.add(node, `${name} must be an integer >= 1, got ${show(v)}`);
      return v;
    case 'first_week':
      if (v !== 'hold' && v !== 'judge') return p.add(node, `${name} must be "hold" or "judge", got ${show(v)}`);
      return v;
    case 'seasonality':
      if (v !== 'auto' && v !== 'weekly' && v !== 'daily' && v !== 'none')
        return p.add(node, `${name} must be one of auto, weekly, daily, none, got ${show(v)}`);
      return v;
    default:
      return undefined;
  }
}

function checkCommon(key: string, node: YamlNode, p: Problems): unknown {
  const v = scalar(node);
  switch (key) {
    case 'severity':
      if (!SEVERITIES.includes(v as Severity))
        return p.add(node, `severity must be one of ${SEVERITIES.join(', ')}, got ${show(v)}`);
      return v;
    case 'enabled':
      if (typeof v !== 'boolean') return p.add(node, `enabled must be true or false, got ${show(v)}`);
      return v;
    case 'min_baseline_runs':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
        return p.add(node, `min_baseline_runs must be an integer >= 0, got ${show(v)}`);
      return v;
    case 'description':
      if (typeof v !== 'string') return p.add(node, 'description must be a string');
      return v;
    default:
      return undefined;
  }
}

function parseRoutes(node: YamlNode, p: Problems): Partial<Record<Severity, string[]>> | undefined {
  if (!isMap(node)) {
    p.add(node, 'routes must be a mapping from severity to a list of actions, e.g. { critical: [slack, rollback] }');
    return undefined;
  }
  const out: Partial<Record<Severity, string[]>> = {};
  for (const [sev, keyNode, value] of mapEntries(node)) {
    if (!SEVERITIES.includes(sev as Severity)) {
      p.add(keyNode, `unknown severity "${sev}" in routes (expected ${SEVERITIES.join(', ')})`);
      continue;
    }
    if (!isSeq(value)) {
      p.add(value, `routes.${sev} must be a list of actions (${ACTIONS.join(', ')})`);
      continue;
    }
    const actions: string[] = [];
    for (const item of value.items as YamlNode[]) {
      const a = scalar(item);
      if (typeof a !== 'string' || !(ACTIONS as readonly string[]).includes(a))
        p.add(item, `unknown action ${JSON.stringify(a)} (expected ${ACTIONS.join(', ')})`);
      else actions.push(a);
    }
    out[sev as Severity] = actions;
  }
  return out;
}

interface ParsedFile {
  rules: Rule[];
  overrides: RuleOverride[];
  routes: Partial<Record<Severity, string[]>> | undefined;
  owners: OwnerEntry[];
  escalation: EscalationRoute | undefined;
}

/** A Slack channel id (C…, G… for private) or a #name as Slack allows it. */
export const SLACK_CHANNEL = /^(?:[CG][A-Z0-9]{2,20}|#[a-z0-9][a-z0-9._-]{0,79})$/;
/** A Slack user id (U…, W…), user group id (S…) or an @handle. */
export const SLACK_MENTION = /^(?:[UW][A-Z0-9]{2,20}|S[A-Z0-9]{2,20}|@[A-Za-z0-9][A-Za-z0-9._-]{0,79})$/;

function parseChannel(node: YamlNode, where: string, p: Problems): string | undefined {
  const v = scalar(node);
  if (typeof v !== 'string' || !SLACK_CHANNEL.test(v)) {
    p.add(node, `${where} must be a Slack channel id (C0123ABC) or #name, got ${show(v)}`);
    return undefined;
  }
  return v;
}

function parseMentions(node: YamlNode, where: string, p: Problems): string[] | undefined {
  if (!isSeq(node)) {
    p.add(node, `${where} must be a list of Slack user ids (U0123ABC), group ids (S0123ABC) or @handles`);
    return undefined;
  }
  const out: string[] = [];
  for (const item of node.items as YamlNode[]) {
    const v = scalar(item);
    if (typeof v !== 'string' || !SLACK_MENTION.test(v))
      p.add(item, `${where}: ${show(v)} is not a Slack user id (U0123ABC), group id (S0123ABC) or @handle`);
    else out.push(v);
  }
  return out;
}

/** A `match:` mapping of globs (owners, overrides): each key one of `keys`, each value a valid glob. */
function parseMatch<K extends string>(
  value: YamlNode,
  keys: readonly K[],
  what: string,
  p: Problems,
  into: Partial<Record<K, string>>,
): void {
  if (!isMap(value)) {
    p.add(value, `${what} must be a mapping of ${keys.join(', ')} globs`);
    return;
  }
  for (const [mk, mkNode, mv] of mapEntries(value)) {
    if (!(keys as readonly string[]).includes(mk)) {
      p.add(mkNode, `unknown ${what} key "${mk}" (expected ${keys.join(', ')})`);
      continue;
    }
    const g = scalar(mv);
    if (typeof g !== 'string' || g === '') {
      p.add(mv, `match.${mk} must be a glob string`);
      continue;
    }
    try {
      globToRegExp(g);
      into[mk as K] = g;
    } catch (err: unknown) {
      p.add(mv, (err as Error).message);
    }
  }
}

function parseOwner(node: YamlNode, p: Problems): OwnerEntry | undefined {
  if (!isMap(node)) {
    p.add(node, 'each owner must be a mapping with match and team (and slack_channel, mention, routes)');
    return undefined;
  }
  const before = p.list.length;
  const o: Partial<OwnerEntry> & { match: OwnerEntry['match'] } = { match: {}, mention: [], source: p.where(node) };
  let hasMatch = false;
  for (const [key, keyNode, value] of mapEntries(node)) {
    if (key === 'match') {
      hasMatch = true;
      parseMatch(value, ['pipeline', 'node'], 'owners match', p, o.match);
    } else if (key === 'team') {
      const v = scalar(value);
      if (typeof v !== 'string' || v.trim() === '' || v.length > 80)
        p.add(value, `team must be a name of 1 to 80 characters, got ${show(v)}`);
      else o.team = v;
    } else if (key === 'slack_channel') {
      const c = parseChannel(value, 'slack_channel', p);
      if (c) o.slack_channel = c;
    } else if (key === 'mention') {
      const m = parseMentions(value, 'mention', p);
      if (m) o.mention = m;
    } else if (key === 'routes') {
      const r = parseRoutes(value, p);
      if (r) o.routes = r;
    } else if (key === 'description') {
      /* free text */
    } else {
      p.add(keyNode, `unknown key "${key}" in an owner (expected match, team, slack_channel, mention, routes)`);
    }
  }
  if (!hasMatch) p.add(node, 'an owner needs match (e.g. match: { pipeline: "churn", node: "raw_*" })');
  if (o.team === undefined) p.add(node, 'an owner needs team');
  return p.list.length > before ? undefined : (o as OwnerEntry);
}

function parseEscalation(node: YamlNode, p: Problems): EscalationRoute | undefined {
  if (!isMap(node)) {
    p.add(node, 'escalation must be a mapping: { slack_channel: C0123ABC, mention: [...] }');
    return undefined;
  }
  const before = p.list.length;
  const e: Partial<EscalationRoute> = { mention: [], source: p.where(node) };
  for (const [key, keyNode, value] of mapEntries(node)) {
    if (key === 'slack_channel') {
      const c = parseChannel(value, 'escalation.slack_channel', p);
      if (c) e.slack_channel = c;
    } else if (key === 'mention') {
      const m = parseMentions(value, 'escalation.mention', p);
      if (m) e.mention = m;
    } else if (key !== 'description') {
      p.add(keyNode, `unknown key "${key}" in escalation (expected slack_channel, mention)`);
    }
  }
  if (e.slack_channel === undefined) p.add(node, 'escalation needs slack_channel');
  return p.list.length > before ? undefined : (e as EscalationRoute);
}

/** Parses and validates one rule file's text. Problems are collected, not thrown. */
export function parseRuleFile(
  text: string,
  file: string,
  problems: RuleProblem[],
  knownRules: Map<string, Rule>,
): ParsedFile {
  const lc = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const p = new Problems(file, lc);
  const out: ParsedFile = { rules: [], overrides: [], routes: undefined, owners: [], escalation: undefined };
  for (const err of doc.errors) {
    const pos = lc.linePos(err.pos[0]);
    problems.push({ file, line: pos.line, column: pos.col, message: `YAML: ${err.message.split('\n')[0]}` });
  }
  if (doc.errors.length > 0) return out;
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return out;
  if (!isMap(root)) {
    p.add(root, 'a rule file must be a mapping with keys version, rules, overrides, routes, owners, escalation');
    problems.push(...p.list);
    return out;
  }
  for (const [key, keyNode, value] of mapEntries(root)) {
    if (key === 'version') {
      if (scalar(value) !== 1) p.add(value, `version must be 1, got ${JSON.stringify(scalar(value))}`);
    } else if (key === 'rules') {
      if (!isSeq(value)) {
        p.add(value, 'rules must be a list');
        continue;
      }
      for (const item of value.items as YamlNode[]) {
        const rule = parseRule(item, p, knownRules);
        if (rule) {
          knownRules.set(rule.id, rule);
          out.rules.push(rule);
        }
      }
    } else if (key === 'overrides') {
      if (!isSeq(value)) {
        p.add(value, 'overrides must be a list');
        continue;
      }
      for (const item of value.items as YamlNode[]) {
        const o = parseOverride(item, p, knownRules);
        if (o) out.overrides.push(o);
      }
    } else if (key === 'routes') {
      out.routes = parseRoutes(value, p);
    } else if (key === 'owners') {
      if (!isSeq(value)) {
        p.add(value, 'owners must be a list');
        continue;
      }
      for (const item of value.items as YamlNode[]) {
        const o = parseOwner(item, p);
        if (o) out.owners.push(o);
      }
    } else if (key === 'escalation') {
      out.escalation = parseEscalation(value, p);
    } else {
      p.add(keyNode, `unknown key "${key}" (expected version, rules, overrides, routes, owners, escalation)`);
    }
  }
  problems.push(...p.list);
  return out;
}

function parseRule(node: YamlNode, p: Problems, known: Map<string, Rule>): Rule | undefined {
  if (!isMap(node)) {
    p.add(node, 'each rule must be a mapping with at least id, metric and severity');
    return undefined;
  }
  const entries = mapEntries(node);
  const get = (k: string) => entries.find((e) => e[0] === k)?.[2];
  const before = p.list.length;
  const idNode = get('id');
  const id = scalar(idNode);
  if (typeof id !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(id))
    p.add(idNode ?? node, `rule id must be a name of letters, digits, "_", "-" or ".", got ${JSON.stringify(id)}`);
  else if (known.has(id)) p.add(idNode, `rule id "${id}" is already defined at ${known.get(id)!.source}`);
  const metricNode = get('metric');
  const metric = scalar(metricNode) as RuleMetric;
  if (!RULE_METRICS.includes(metric)) {
    p.add(
      metricNode ?? node,
      `metric must be one of ${RULE_METRICS.join(', ')}, got ${JSON.stringify(metric ?? null)}`,
    );
    return undefined;
  }
  if (!get('severity')) p.add(node, `rule "${String(id)}" needs a severity (${SEVERITIES.join(', ')})`);
  const rule: Record<string, unknown> = {
    id,
    metric,
    enabled: true,
    min_baseline_runs: METRICS[metric].minBaselineRuns,
    source: p.where(node),
  };
  for (const [key, keyNode, value] of entries) {
    if (COMMON.has(key)) {
      if (key === 'id' || key === 'metric') continue;
      const v = checkCommon(key, value, p);
      if (v !== undefined) rule[key] = v;
    } else if (key in METRICS[metric].params) {
      const v = checkParam(METRICS[metric].params[key as keyof RuleParams]!, value, key, p);
      if (v !== undefined) rule[key] = v;
    } else {
      const allowed = [
        ...Object.keys(METRICS[metric].params),
        'severity',
        'enabled',
        'min_baseline_runs',
        'description',
      ];
      p.add(keyNode, `unknown key "${key}" for a ${metric} rule (allowed: ${allowed.join(', ')})`);
    }
  }
  for (const req of METRICS[metric].required) if (!get(req)) p.add(node, `a ${metric} rule needs ${req}`);
  if (p.list.length > before) {
    // Still known by its id (with its defaults), so that a second definition is reported as a duplicate
    // and its overrides are checked, rather than reported as overrides of an unknown rule.
    if (typeof id === 'string' && !known.has(id)) known.set(id, rule as unknown as Rule);
    return undefined;
  }
  return rule as unknown as Rule;
}

function parseOverride(node: YamlNode, p: Problems, known: Map<string, Rule>): RuleOverride | undefined {
  if (!isMap(node)) {
    p.add(node, 'each override must be a mapping with match and rules (and optionally routes)');
    return undefined;
  }
  const before = p.list.length;
  const o: RuleOverride = { match: {}, rules: {}, source: p.where(node) };
  let hasMatch = false;
  for (const [key, keyNode, value] of mapEntries(node)) {
    if (key === 'match') {
      hasMatch = true;
      parseMatch(value, ['pipeline', 'node', 'column'], 'match', p, o.match);
    } else if (key === 'rules') {
      if (!isMap(value)) {
        p.add(value, 'override rules must map rule ids to changed settings, e.g. { null_ratio: { max: 0.1 } }');
        continue;
      }
      for (const [rid, ridNode, settings] of mapEntries(value)) {
        const rule = known.get(rid);
        if (!rule) {
          p.add(
            ridNode,
            `override for unknown rule "${rid}" (known: ${[...known.keys()].join(', ') || 'none'}; rules must be defined before they are overridden)`,
          );
          continue;
        }
        if (!isMap(settings)) {
          p.add(settings, `settings for "${rid}" must be a mapping`);
          continue;
        }
        const changed: Record<string, unknown> = {};
        for (const [sk, skNode, sv] of mapEntries(settings)) {
          if (sk === 'severity' || sk === 'enabled' || sk === 'min_baseline_runs') {
            const v = checkCommon(sk, sv, p);
            if (v !== undefined) changed[sk] = v;
          } else if (sk in METRICS[rule.metric].params) {
            const v = checkParam(METRICS[rule.metric].params[sk as keyof RuleParams]!, sv, sk, p);
            if (v !== undefined) changed[sk] = v;
          } else {
            p.add(
              skNode,
              `"${sk}" is not a setting of ${rule.metric} rule "${rid}" (allowed: ${[...Object.keys(METRICS[rule.metric].params), 'severity', 'enabled', 'min_baseline_runs'].join(', ')})`,
            );
          }
        }
        o.rules[rid] = changed;
      }
    } else if (key === 'routes') {
      const r = parseRoutes(value, p);
      if (r) o.routes = r;
    } else if (key === 'baseline') {
      if (!isMap(value)) {
        p.add(value, 'baseline must be a mapping, e.g. { reference_run: "2026-11-01T00:00:00Z" }');
        continue;
      }
      for (const [bk, bkNode, bv] of mapEntries(value)) {
        if (bk !== 'reference_run') {
          p.add(bkNode, `unknown baseline setting "${bk}" (expected reference_run)`);
          continue;
        }
        const v = scalar(bv);
        if (typeof v !== 'string' || v === '') p.add(bv, 'baseline.reference_run must be a run id (a string)');
        else o.baseline = { reference_run: v };
      }
    } else if (key === 'description') {
      /* free text */
    } else {
      p.add(keyNode, `unknown key "${key}" in an override (expected match, rules, routes, baseline, description)`);
    }
  }
  if (!hasMatch) p.add(node, 'an override needs match (use match: { pipeline: "*" } for everything)');
  return p.list.length > before ? undefined : o;
}

/** Formats problems as `file:line:col: message` lines. */
export function formatProblems(problems: RuleProblem[]): string {
  return problems.map((q) => `${q.file}:${q.line}:${q.column}: ${q.message}`).join('\n');
}

/** Compiles rule texts (in order) into a rule set; throws RULES_INVALID listing every problem. */
export function compileRules(sources: { file: string; text: string }[]): RuleSet {
  const problems: RuleProblem[] = [];
  const known = new Map<string, Rule>();
  const rules: Rule[] = [];
  const overrides: RuleOverride[] = [];
  const owners: OwnerEntry[] = [];
  let escalation: EscalationRoute | undefined;
  const routes: Record<Severity, string[]> = {
    critical: [...DEFAULT_ROUTES.critical],
    warning: [...DEFAULT_ROUTES.warning],
    info: [...DEFAULT_ROUTES.info],
  };
  for (const s of sources) {
    const parsed = parseRuleFile(s.text, s.file, problems, known);
    rules.push(...parsed.rules);
    overrides.push(...parsed.overrides);
    if (parsed.routes) Object.assign(routes, parsed.routes);
    owners.push(...parsed.owners);
    if (parsed.escalation) escalation = parsed.escalation;
  }
  if (problems.length > 0) {
    throw new RootlineError('RULES_INVALID', `invalid rules:\n${formatProblems(problems)}`, { details: { problems } });
  }
  return Object.freeze({
    rules: Object.freeze(rules),
    overrides: Object.freeze(overrides),
    routes: Object.freeze(routes),
    owners: Object.freeze(owners),
    escalation,
    files: sources.map((s) => s.file),
  });
}

/** The rule files of a folder: `*.yaml` and `*.yml`, in name order. */
export function ruleFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err: unknown) {
    throw new RootlineError('RULES_INVALID', `cannot read the rules folder ${dir}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return names
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .map((n) => join(dir, n))
    .filter((f) => statSync(f).isFile());
}

/** Loads a folder (or a single file) of rules. */
export function loadRules(path: string): RuleSet {
  let files: string[];
  try {
    files = statSync(path).isDirectory() ? ruleFiles(path) : [path];
  } catch (err: unknown) {
    throw new RootlineError('RULES_INVALID', `cannot read rules at ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (files.length === 0) throw new RootlineError('RULES_INVALID', `no rule files (*.yaml) in ${path}`);
  return compileRules(files.map((file) => ({ file, text: readFileSync(file, 'utf8') })));
}
