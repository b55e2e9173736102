import type { AuditEntry, Incident, IncidentEvent } from '../monitor/incident-types.js';
import { incidentButtons } from './interactions.js';
import { SLACK_LIMITS, code, esc, listWithin, plain, truncate } from './mrkdwn.js';
import { mentionText, ownerLine } from './owner.js';
import { text } from './rollback.js';

/** Block Kit blocks (plain objects; the Slack client sends them as JSON). */
export type Block = Record<string, unknown>;

export interface RenderOptions {
  /**
   * Show the acknowledge / snooze / accept / resolve / reopen buttons (Slack interactivity must be set
   * up: slack.signingSecret and the app's request URL). Default false.
   */
  buttons?: boolean | undefined;
  /** How long the Snooze button snoozes, ms (its label says it). Default 4 hours. */
  snoozeMs?: number | undefined;
  /** Drill-down URL template; {pipeline} {node} {column} {incident_id} {from} {to} are filled in. */
  grafanaUrlTemplate?: string | undefined;
  /**
   * Where the whole incident can be read (e.g. the HTTP API's `/api/v1/incidents/{incident_id}`); the
   * same placeholders. Linked from every list cut short. Default: the Grafana drill-down.
   */
  incidentUrlTemplate?: string | undefined;
}

/**
 * Characters each part of the parent message may take. Each is below its block's documented limit
 * (section 3,000, field 2,000: SLACK_LIMITS) and together they stay under the ~12,000 characters Slack
 * accepts across all blocks of one message (SLACK_LIMITS.blocksTotalText).
 */
const BUDGET = {
  summary: 1200,
  field: 700,
  evidence: 1800,
  blastRadius: 1200,
  symptoms: 800,
  action: 800,
  /** The failed run's error: message and the first lines of its stack trace. */
  error: 1200,
  context: 600,
  /** The owner line: the team and up to OWNER_MENTIONS_MAX mentions. */
  owner: 600,
  /** The top-level `text` (notifications, screen readers); Slack's own limit is 40,000. */
  text: 3000,
  /** A thread reply (text only). */
  reply: 3000,
  /** Who acknowledged, snoozed or resolved it, and why. */
  people: 500,
  /** Longest link put inside a message; a longer one (a 10 kB node name in the URL) is left out. */
  link: 800,
} as const;

const METRIC_NAMES: Record<string, string> = {
  row_count: 'row count',
  null_ratio: 'null ratio',
  schema: 'schema',
  drift: 'distribution drift',
  freshness: 'freshness',
  status: 'run status',
  duration: 'run duration',
  long_drift: 'long-horizon drift',
  assertion: 'data-quality test',
  repeats: 'repeated values',
};

function fmt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return 'n/a';
  if (Number.isInteger(x) && Math.abs(x) >= 1000) return x.toLocaleString('en-US');
  if (Math.abs(x) < 1 && x !== 0) return x.toFixed(2);
  return Number(x.toPrecision(4)).toString();
}

export function grafanaLink(i: Incident, template: string | undefined): string | undefined {
  if (!template) return undefined;
  const from = Date.parse(i.opened_at) - 3_600_000;
  const to = i.resolved_at ? Date.parse(i.resolved_at) + 3_600_000 : 'now';
  const values: Record<string, string> = {
    pipeline: i.pipeline,
    node: i.culprit,
    column: i.column ?? '',
    incident_id: i.incident_id,
    from: String(from),
    to: String(to),
  };
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? encodeURIComponent(values[k]!) : m));
}

/** The headline, in mrkdwn: what broke, where, by how much (names escaped and cut). */
export function headline(i: Incident): string {
  const f = i.findings[0];
  const metric = METRIC_NAMES[i.metric] ?? i.metric;
  const col = i.column ? ` of ${code(i.column)}` : '';
  if (f && (i.metric === 'null_ratio' || i.metric === 'row_count' || i.metric === 'drift' || i.metric === 'repeats')) {
    const change =
      i.metric === 'drift'
        ? `shifted (D = ${fmt(f.value)})`
        : `${f.baseline !== undefined ? `${fmt(f.baseline)} -> ` : ''}${fmt(f.value)}`;
    return `${metric}${col} ${i.metric === 'drift' ? change : `changed ${change}`} at ${code(i.culprit)}`;
  }
  if (f) return `${metric} at ${code(i.culprit)}: ${plain(f.message, BUDGET.summary / 2)}`;
  return `${metric} at ${code(i.culprit)}`;
}

function actionLine(i: Incident): string {
  if (i.actions.length === 0) return 'none';
  return i.actions
    .filter((a) => a.action !== 'log')
    .map((a) => {
      if (a.action === 'slack') return 'alerted in Slack';
      if (a.action === 'rerun') {
        if (a.decision === 'skipped') return `rerun skipped: ${a.why}`;
        return `rerun of ${i.culprit} asked of Airflow${a.decision === 'dispatch' ? '' : ' (dry run)'}`;
      }
      const d = a.details ?? {};
      const target = d.to_data_version
        ? `data_version ${text(d.to_data_version)}`
        : d.to_code_version
          ? `code_version ${text(d.to_code_version)}`
          : `run ${text(d.to_run_id)}`;
      if (a.decision === 'dispatch') return `rollback of ${i.culprit} to ${target} dispatched`;
      if (a.decision === 'dry_run') return `rollback of ${i.culprit} to ${target} (dry run, not dispatched)`;
      return `rollback skipped: ${a.why}`;
    })
    .join('; ');
}

function statusOf(i: Incident): string {
  return i.status === 'resolved'
    ? ':white_check_mark: RESOLVED'
    : i.escalated
      ? ':rotating_light: ESCALATED'
      : i.severity === 'critical'
        ? ':red_circle: INCIDENT'
        : ':large_orange_circle: INCIDENT';
}

/** A link no longer than `max` (Slack drops or refuses overlong URLs), else undefined. */
function fitting(link: string | undefined, max: number): string | undefined {
  return link !== undefined && link.length <= max ? link : undefined;
}

/** Where the whole incident can be read: the incident URL template, else the Grafana drill-down. */
export function incidentLink(i: Incident, o: RenderOptions): string | undefined {
  return fitting(grafanaLink(i, o.incidentUrlTemplate ?? o.grafanaUrlTemplate), BUDGET.link);
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

function evidenceLines(i: Incident): string[] {
  return i.evidence.map((e) => {
    if (e.role === 'input') return `• ${code(e.node)} healthy (input, run ${plain(e.run_id, 120)})`;
    const what = `${METRIC_NAMES[e.metric] ?? e.metric}${e.column ? ` of ${code(e.column)}` : ''}`;
    const numbers =
      e.value !== undefined
        ? `: ${e.baseline !== undefined ? `baseline ${fmt(e.baseline)}, ` : ''}now ${fmt(e.value)}`
        : '';
    return `• ${code(e.node)}${e.role === 'root' ? ' (root)' : ''}: ${what}${numbers}`;
  });
}

function fieldsOf(i: Incident, full: string | undefined): Block[] {
  const f = i.findings[0];
  const culprit =
    i.candidates.length > 1
      ? `one of ${listWithin(
          i.candidates.map((c) => code(c)),
          BUDGET.field / 2,
          { link: full },
        )} (ambiguous)`
      : code(i.culprit);
  const texts = [
    `*Culprit transformation*\n${culprit} in pipeline ${code(i.pipeline)}`,
    `*Failing metric*\n${METRIC_NAMES[i.metric] ?? i.metric}${i.column ? ` of ${code(i.column)}` : ''}: baseline ${fmt(f?.baseline)} vs current ${fmt(f?.value)}`,
    `*Likely cause*\n${plain(i.cause.summary, BUDGET.field - 20)}`,
    `*Confidence*\n${Math.round(i.confidence * 100)}%${i.escalated ? ' (escalated: root ambiguous)' : ''}`,
  ];
  return texts.map((t) => ({ type: 'mrkdwn', text: truncate(t, BUDGET.field, { mrkdwn: true }) }));
}

function section(mrkdwn: string, max: number): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(mrkdwn, max, { mrkdwn: true }) } };
}

/** The blast radius and the symptoms seen, each list cut to its budget. */
function reachSection(i: Incident, full: string | undefined): Block {
  const symptoms = [...new Set(i.symptoms.map((s) => s.node))];
  const list = (names: string[], max: number) =>
    listWithin(
      names.map((n) => code(n)),
      max,
      { link: full },
    );
  const blast = i.blast_radius.length ? `: ${list(i.blast_radius, BUDGET.blastRadius)}` : '';
  const seen = symptoms.length ? list(symptoms, BUDGET.symptoms) : 'none yet';
  return section(
    `*Blast radius*: ${plural(i.blast_radius.length, 'downstream node')}${blast}\n*Symptoms seen*: ${seen}`,
    BUDGET.blastRadius + BUDGET.symptoms + 100,
  );
}

/** How many lines of a stack trace the message shows (the report carries up to 20). */
const STACK_LINES = 8;

/** The failed run's error (message, language, the first lines of the stack trace), or nothing. */
function errorSection(i: Incident): Block[] {
  const e = i.error;
  if (e === undefined) return [];
  const language = e.language !== undefined ? ` (${plain(e.language, 40)})` : '';
  const message = plain(e.message, BUDGET.error / 2);
  const stack =
    e.stack !== undefined
      ? `\n\`\`\`${esc(
          truncate(e.stack.split('\n').slice(0, STACK_LINES).join('\n'), BUDGET.error / 2 - 20).replace(/`/g, 'ˋ'),
        )}\`\`\``
      : '';
  return [section(`*Error*${language}: ${message}${stack}`, BUDGET.error)];
}

/** The context line (id, times, runs, drill-down link), the incident's buttons and the Grafana button when its URL fits. */
function footer(i: Incident, grafana: string | undefined, buttons: boolean, snoozeMs?: number): Block[] {
  const context = `${esc(i.incident_id)} · opened ${esc(i.opened_at)} (run ${plain(i.opened_run_id, 120)}) · ${plural(i.runs_affected, 'run')} affected${i.resolved_at ? ` · resolved ${esc(i.resolved_at)}` : ''}`;
  const link = grafana ? ` · <${grafana}|Grafana drill-down>` : '';
  const blocks: Block[] = [
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: truncate(context, BUDGET.context, { mrkdwn: true }) + link }],
    },
  ];
  const url = fitting(grafana, SLACK_LIMITS.buttonUrl);
  const elements: Block[] = buttons ? incidentButtons(i, snoozeMs) : [];
  if (url)
    elements.push({
      type: 'button',
      text: { type: 'plain_text', text: 'Open in Grafana' },
      url,
      action_id: 'rootline_grafana',
    });
  if (elements.length > 0) blocks.push({ type: 'actions', elements });
  return blocks;
}

/**
 * The incident's parent message: names the culprit transformation, evidence and blast radius. Always
 * within Slack's limits (SLACK_LIMITS): names are escaped and cut, long lists end in "… and N more" with
 * a link to the full incident, and the header is cut on a character boundary.
 */
export function renderIncident(i: Incident, o: RenderOptions = {}): { text: string; blocks: Block[] } {
  const status = statusOf(i);
  const word = status.replace(/:[a-z_]+: /, '');
  const f = i.findings[0];
  const full = incidentLink(i, o);
  const evidence = listWithin(evidenceLines(i), BUDGET.evidence - 20, { sep: '\n', link: full });
  const header = truncate(`${word}: ${i.culprit} (${i.pipeline})`, SLACK_LIMITS.headerText);
  const owner = ownerLine(i);
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: header, emoji: true } },
    section(`${status} ${headline(i)}${f ? `\n${plain(f.message, BUDGET.summary / 2)}` : ''}`, BUDGET.summary),
    ...(owner ? [section(owner, BUDGET.owner)] : []),
    { type: 'section', fields: fieldsOf(i, full) },
    section(`*Evidence path*\n${evidence || 'n/a'}`, BUDGET.evidence),
    reachSection(i, full),
    ...errorSection(i),
    section(`*Action taken*: ${plain(actionLine(i), BUDGET.action - 20)}`, BUDGET.action),
    ...peopleSection(i),
    ...footer(i, fitting(grafanaLink(i, o.grafanaUrlTemplate), BUDGET.link), o.buttons === true, o.snoozeMs),
  ];
  const text = truncate(
    `${word}: ${headline(i).replace(/`/g, '')} (pipeline ${esc(truncate(i.pipeline, 120))})`,
    BUDGET.text,
  );
  return { text, blocks: blocks.slice(0, SLACK_LIMITS.blocks) };
}

/**
 * The same incident as one plain mrkdwn text, no blocks: what is posted when Slack refuses the blocks
 * (escaped, cut to a few thousand characters, with the link to the full incident).
 */
export function renderIncidentPlain(i: Incident, o: RenderOptions = {}): { text: string } {
  const full = incidentLink(i, o);
  const symptoms = new Set(i.symptoms.map((s) => s.node)).size;
  const lines = [
    `${statusOf(i)} ${headline(i)} (pipeline ${code(i.pipeline)})`,
    `Likely cause: ${plain(i.cause.summary, 500)}`,
    ...(i.error !== undefined ? [`Error: ${plain(i.error.message, 500)}`] : []),
    `Confidence ${Math.round(i.confidence * 100)}%${i.escalated ? ` (escalated: one of ${plural(i.candidates.length, 'candidate')})` : ''}`,
    `Blast radius: ${plural(i.blast_radius.length, 'downstream node')}; symptoms seen at ${plural(symptoms, 'node')}`,
    `${esc(i.incident_id)} · opened ${esc(i.opened_at)} · ${plural(i.runs_affected, 'run')} affected`,
    ...(ownerLine(i) !== undefined ? [ownerLine(i)!] : []),
    ...peopleLines(i),
  ];
  const link = full ? `\n<${full}|Full incident>` : '';
  return { text: truncate(lines.join('\n'), BUDGET.text - link.length, { mrkdwn: true }) + link };
}

/** Who a person is, in mrkdwn: a Slack user id mentions the user; a token name is shown escaped. */
export function whoText(who: string, source: AuditEntry['source']): string {
  if (source === 'slack' && /^[UW][A-Z0-9]+$/.test(who)) return mentionText(who);
  if (source === 'auto') return 'Rootline';
  return code(who, 80);
}

const SOURCE_NAMES: Record<AuditEntry['source'], string> = {
  slack: 'Slack',
  cli: 'rootline incident',
  api: 'the API',
  auto: 'the monitor',
};

/** Who acknowledged, snoozed or resolved the incident (lines of mrkdwn). */
function peopleLines(i: Incident): string[] {
  const lines: string[] = [];
  const a = i.acknowledged;
  if (a) lines.push(`:eyes: Acknowledged by ${whoText(a.who, a.source)} at ${esc(a.at)}`);
  if (i.snoozed_until !== undefined && i.status === 'open')
    lines.push(`:zzz: Snoozed until ${esc(i.snoozed_until)}: no re-alerts until then`);
  const r = i.resolved_by;
  if (r && i.status === 'resolved')
    lines.push(
      `:white_check_mark: Resolved by ${whoText(r.who, r.source)} (${SOURCE_NAMES[r.source]})${r.why !== undefined ? `: ${plain(r.why, 200)}` : ''}`,
    );
  return lines;
}

function peopleSection(i: Incident): Block[] {
  const lines = peopleLines(i);
  return lines.length > 0 ? [section(lines.join('\n'), BUDGET.people)] : [];
}

/** One audit entry as a line of the incident's thread. */
export function auditLine(e: AuditEntry, i: Incident): string {
  const by = `${whoText(e.who, e.source)}${e.source === 'auto' ? '' : ` (${SOURCE_NAMES[e.source]})`}`;
  const why = e.why !== undefined && e.source !== 'auto' ? `: ${plain(e.why, 300)}` : '';
  switch (e.action) {
    case 'ack':
      return `:eyes: Acknowledged by ${by}${why}`;
    case 'snooze':
      return `:zzz: Snoozed by ${by} until ${esc(text(e.details?.until ?? '?'))}${why}`;
    case 'accept':
      return `:white_check_mark: Change accepted by ${by}: ${code(i.culprit)} is re-baselined from run ${plain(text(e.details?.from_run_id ?? '?'), 120)} on; resolved${why}`;
    case 'accepted_automatically':
      return `:white_check_mark: ${plain(e.why ?? 'accepted automatically', 300)}: ${code(i.culprit)} is re-baselined; resolved`;
    case 'resolve':
      return `:white_check_mark: Resolved by ${by}${why}`;
    case 'reopen':
      return `:arrows_counterclockwise: Reopened by ${by}${why}`;
    case 'symptom_attached':
      return `:link: Joined to this incident: ${plain(e.why ?? '', 300)}`;
    case 'snooze_expired':
      return `:alarm_clock: Snooze over (${plain(e.why ?? '', 100)}): alerting again`;
    case 'resolved':
      return `:white_check_mark: Resolved: ${code(i.culprit)} has had ${i.healthy_streak} healthy runs in a row (after ${plural(i.runs_affected, 'bad run')}).`;
    default:
      return `${esc(e.action)} by ${by}${e.why !== undefined ? `: ${plain(e.why, 300)}` : ''}`;
  }
}

/** The thread reply for an update or the resolution (text only, within BUDGET.reply characters). */
export function renderThreadReply(e: IncidentEvent, o: RenderOptions = {}): { text: string } | undefined {
  const i = e.incident;
  const audit = (e.changes.audit ?? []).map((a) => auditLine(a, i));
  if (e.type === 'resolved' && audit.length === 0)
    return {
      text: `:white_check_mark: Resolved: ${code(i.culprit)} has had ${i.healthy_streak} healthy runs in a row (after ${plural(i.runs_affected, 'bad run')}).`,
    };
  const lines: string[] = [...audit];
  for (const s of e.changes.new_symptoms ?? [])
    lines.push(`:arrow_down: Symptom downstream at ${code(s.node)}: ${plain(s.message, 300)}`);
  for (const f of e.changes.new_findings ?? []) lines.push(`:warning: Also at ${code(i.culprit)}: ${plain(f, 300)}`);
  if (lines.length === 0) return undefined;
  return { text: listWithin(lines, BUDGET.reply, { sep: '\n', link: incidentLink(i, o) }) };
}
