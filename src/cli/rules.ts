import { parseArgs } from 'node:util';
import { RootlineError } from '../errors/index.js';
import {
  DEFAULT_RULES_DIR,
  effectiveRules,
  globMatch,
  isColumnMetric,
  loadRules,
  ownerOf,
  routeIncident,
  type IncidentRoute,
  type Rule,
  type RuleParams,
} from '../rules/index.js';

const USAGE = `usage: rootline rules check [DIR] [--pipeline P --node N [--column C]] [--json]

Validates the rule files of DIR (default: the rules installed with Rootline) and prints a summary; with --pipeline and --node,
prints the rules in force for that node (and column) after overrides, its routes, its owner and where its
incidents go (the Slack channel and mentions; escalated ones to the escalation route). Invalid files
are reported as file:line:column: reason, and the exit code is 2.`;

/** Every rule parameter, in the order the summary prints them (a rule shows those it sets). */
const PARAM_KEYS = [
  'max_deviation',
  'max',
  'max_jump',
  'min_z',
  'seasonality',
  'breaking_only',
  'compatible_only',
  'rebaseline',
  'effect_floor',
  'alpha',
  'fdr',
  'category_floor',
  'cusum_h',
  'factor',
  'min_silence_ms',
  'min_duration_ms',
  'persistence',
  'first_week',
] as const satisfies readonly (keyof RuleParams)[];

function describeRoute(r: IncidentRoute): string {
  return `${r.channel ?? 'the default channel (slack.channel)'}${r.mention.length ? `, mentioning ${r.mention.join(' ')}` : ''} (${r.why})`;
}

function describeRule(r: Rule): string {
  const params = PARAM_KEYS.filter((k) => r[k] !== undefined).map((k) => `${k}=${String(r[k])}`);
  return `${r.enabled ? ' ' : 'x'} ${r.id.padEnd(22)} ${r.metric.padEnd(10)} ${r.severity.padEnd(8)} arms after ${String(r.min_baseline_runs).padStart(2)} runs  ${params.join(' ')}${r.enabled ? '' : '  (disabled)'}`;
}

export function rulesCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return Promise.resolve(0);
  }
  if (sub !== 'check') {
    process.stderr.write(`${USAGE}\n`);
    return Promise.resolve(2);
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      pipeline: { type: 'string' },
      node: { type: 'string' },
      column: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return Promise.resolve(0);
  }
  const dir = positionals[0] ?? DEFAULT_RULES_DIR;
  const set = loadRules(dir); // RULES_INVALID: every problem with file:line:column, exit 2
  if ((values.pipeline === undefined) !== (values.node === undefined)) {
    throw new RootlineError('CONFIG_INVALID', '--pipeline and --node go together');
  }
  if (values.pipeline === undefined) {
    if (values.json)
      process.stdout.write(
        `${JSON.stringify({ valid: true, files: set.files, rules: set.rules, overrides: set.overrides, routes: set.routes, owners: set.owners ?? [], escalation: set.escalation ?? null }, null, 2)}\n`,
      );
    else {
      process.stdout.write(
        `${dir}: valid (${set.files.length} file${set.files.length === 1 ? '' : 's'}: ${set.files.join(', ')})\n`,
      );
      process.stdout.write(
        `${set.rules.length} rules, ${set.overrides.length} overrides, ${(set.owners ?? []).length} owners${set.escalation ? `, escalation to ${set.escalation.slack_channel}` : ''}\n`,
      );
      for (const r of set.rules) process.stdout.write(`${describeRule(r)}\n`);
      process.stdout.write(
        `routes: ${Object.entries(set.routes)
          .map(([s, a]) => `${s} -> [${a.join(', ')}]`)
          .join('; ')}\n`,
      );
    }
    return Promise.resolve(0);
  }
  const target = {
    pipeline: values.pipeline,
    node: values.node!,
    ...(values.column !== undefined ? { column: values.column } : {}),
  };
  const eff = effectiveRules(set, target);
  const rules = values.column !== undefined ? eff.rules.filter((r) => isColumnMetric(r.metric)) : eff.rules;
  const applied = set.overrides.filter(
    (o) =>
      (o.match.pipeline === undefined || globMatch(o.match.pipeline, target.pipeline)) &&
      (o.match.node === undefined || globMatch(o.match.node, target.node)) &&
      (o.match.column === undefined || (values.column !== undefined && globMatch(o.match.column, values.column))),
  );
  const owner = ownerOf(set, target);
  const incident = routeIncident(set, target, false);
  const escalated = routeIncident(set, target, true);
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          target,
          rules,
          routes: eff.routes,
          overrides: applied.map((o) => o.source),
          owner: owner ?? null,
          incident_route: incident,
          escalated_route: escalated,
        },
        null,
        2,
      )}\n`,
    );
    return Promise.resolve(0);
  }
  process.stdout.write(
    `rules in force for pipeline ${target.pipeline}, node ${target.node}${values.column !== undefined ? `, column ${values.column}` : ''}:\n`,
  );
  for (const r of rules) process.stdout.write(`${describeRule(r)}\n`);
  process.stdout.write(
    `routes: ${Object.entries(eff.routes)
      .map(([s, a]) => `${s} -> [${a.join(', ')}]`)
      .join('; ')}\n`,
  );
  process.stdout.write(
    applied.length
      ? `overrides matching the node: ${applied.map((o) => o.source).join(', ')}\n`
      : 'no override matches the node\n',
  );
  process.stdout.write(
    `owner: ${owner ? `${owner.team} (${owner.source})` : 'none (no owners entry matches the node)'}\n` +
      `incidents go to: ${describeRoute(incident)}\n` +
      `escalated incidents go to: ${describeRoute(escalated)}\n`,
  );
  return Promise.resolve(0);
}
