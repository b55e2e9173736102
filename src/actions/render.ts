import type { Incident, IncidentEvent } from '../monitor/incident-types.js';
import { text } from './rollback.js';

/** Block Kit blocks (plain objects; the Slack client sends them as JSON). */
export type Block = Record<string, unknown>;

export interface RenderOptions {
  /** Drill-down URL template; {pipeline} {node} {column} {incident_id} {from} {to} are filled in. */
  grafanaUrlTemplate?: string | undefined;
}

const METRIC_NAMES: Record<string, string> = {
  row_count: 'row count',
  null_ratio: 'null ratio',
  schema: 'schema',
  drift: 'distribution drift',
  freshness: 'freshness',
  status: 'run status',
};

function fmt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return 'n/a';
  if (Number.isInteger(x) && Math.abs(x) >= 1000) return x.toLocaleString('en-US');
  if (Math.abs(x) < 1 && x !== 0) return x.toFixed(2);
  return Number(x.toPrecision(4)).toString();
}

/** Escapes text for Slack mrkdwn (&, <, >). */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
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

/** The headline: what broke, where, by how much. */
export function headline(i: Incident): string {
  const f = i.findings[0];
  const metric = METRIC_NAMES[i.metric] ?? i.metric;
  const col = i.column ? ` of \`${i.column}\`` : '';
  if (f && (i.metric === 'null_ratio' || i.metric === 'row_count' || i.metric === 'drift')) {
    const change =
      i.metric === 'drift'
        ? `shifted (D = ${fmt(f.value)})`
        : `${f.baseline !== undefined ? `${fmt(f.baseline)} -> ` : ''}${fmt(f.value)}`;
    return `${metric}${col} ${i.metric === 'drift' ? change : `changed ${change}`} at \`${i.culprit}\``;
  }
  if (f) return `${metric} at \`${i.culprit}\`: ${f.message}`;
  return `${metric} at \`${i.culprit}\``;
}

function actionLine(i: Incident): string {
  if (i.actions.length === 0) return 'none';
  return i.actions
    .filter((a) => a.action !== 'log')
    .map((a) => {
      if (a.action === 'slack') return 'alerted in Slack';
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

/** The incident's parent message: names the culprit transformation, evidence and blast radius. */
export function renderIncident(i: Incident, o: RenderOptions = {}): { text: string; blocks: Block[] } {
  const status =
    i.status === 'resolved'
      ? ':white_check_mark: RESOLVED'
      : i.escalated
        ? ':rotating_light: ESCALATED'
        : i.severity === 'critical'
          ? ':red_circle: INCIDENT'
          : ':large_orange_circle: INCIDENT';
  const culprit =
    i.candidates.length > 1
      ? `one of ${i.candidates.map((c) => `\`${c}\``).join(', ')} (ambiguous)`
      : `\`${i.culprit}\``;
  const text = `${status.replace(/:[a-z_]+: /, '')}: ${headline(i).replace(/`/g, '')} (pipeline ${i.pipeline})`;
  const f = i.findings[0];
  const evidence = i.evidence
    .map((e) => {
      if (e.role === 'input') return `• \`${e.node}\` healthy (input, run ${e.run_id})`;
      const what = `${METRIC_NAMES[e.metric] ?? e.metric}${e.column ? ` of \`${e.column}\`` : ''}`;
      const numbers =
        e.value !== undefined
          ? `: ${e.baseline !== undefined ? `baseline ${fmt(e.baseline)}, ` : ''}now ${fmt(e.value)}`
          : '';
      return `• \`${e.node}\`${e.role === 'root' ? ' (root)' : ''}: ${what}${numbers}`;
    })
    .join('\n');
  const symptoms = [...new Set(i.symptoms.map((s) => s.node))];
  const link = grafanaLink(i, o.grafanaUrlTemplate);
  const fields = [
    { type: 'mrkdwn', text: `*Culprit transformation*\n${culprit} in pipeline \`${i.pipeline}\`` },
    {
      type: 'mrkdwn',
      text: `*Failing metric*\n${METRIC_NAMES[i.metric] ?? i.metric}${i.column ? ` of \`${i.column}\`` : ''}: baseline ${fmt(f?.baseline)} vs current ${fmt(f?.value)}`,
    },
    { type: 'mrkdwn', text: `*Likely cause*\n${esc(i.cause.summary)}` },
    {
      type: 'mrkdwn',
      text: `*Confidence*\n${Math.round(i.confidence * 100)}%${i.escalated ? ' (escalated: root ambiguous)' : ''}`,
    },
  ];
  const blocks: Block[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: `${status.replace(/:[a-z_]+: /, '')}: ${i.culprit} (${i.pipeline})`.slice(0, 150),
        emoji: true,
      },
    },
    { type: 'section', text: { type: 'mrkdwn', text: `${status} ${headline(i)}${f ? `\n${esc(f.message)}` : ''}` } },
    { type: 'section', fields },
    { type: 'section', text: { type: 'mrkdwn', text: `*Evidence path*\n${evidence || 'n/a'}` } },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Blast radius*: ${i.blast_radius.length} downstream node${i.blast_radius.length === 1 ? '' : 's'}${i.blast_radius.length ? `: ${i.blast_radius.map((n) => `\`${n}\``).join(', ')}` : ''}\n*Symptoms seen*: ${symptoms.length ? symptoms.map((n) => `\`${n}\``).join(', ') : 'none yet'}`,
      },
    },
    { type: 'section', text: { type: 'mrkdwn', text: `*Action taken*: ${esc(actionLine(i))}` } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `${i.incident_id} · opened ${i.opened_at} (run ${i.opened_run_id}) · ${i.runs_affected} run${i.runs_affected === 1 ? '' : 's'} affected${i.resolved_at ? ` · resolved ${i.resolved_at}` : ''}${link ? ` · <${link}|Grafana drill-down>` : ''}`,
        },
      ],
    },
  ];
  if (link) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Open in Grafana' },
          url: link,
          action_id: 'rootline_grafana',
        },
      ],
    });
  }
  return { text, blocks };
}

/** The thread reply for an update or the resolution. */
export function renderThreadReply(e: IncidentEvent): { text: string } | undefined {
  const i = e.incident;
  if (e.type === 'resolved')
    return {
      text: `:white_check_mark: Resolved: \`${i.culprit}\` has had ${i.healthy_streak} healthy runs in a row (after ${i.runs_affected} bad run${i.runs_affected === 1 ? '' : 's'}).`,
    };
  const lines: string[] = [];
  for (const s of e.changes.new_symptoms ?? [])
    lines.push(`:arrow_down: Symptom downstream at \`${s.node}\`: ${esc(s.message)}`);
  for (const f of e.changes.new_findings ?? []) lines.push(`:warning: Also at \`${i.culprit}\`: ${esc(f)}`);
  if (lines.length === 0) return undefined;
  return { text: lines.join('\n') };
}
