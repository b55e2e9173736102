import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { RootlineError, errorMessage } from '../errors/index.js';
import { INCIDENT_ACTIONS, type AuditEntry, type IncidentAction } from '../monitor/index.js';

const USAGE = `usage: rootline incident ack|snooze|accept|resolve|reopen ID [--why TEXT] [--for 4h] [--pipeline P]
       rootline incident audit ID [--json]
       [--url URL] [--token T] [--as NAME]

ack       acknowledge: a person is on it (the Slack message shows who)
snooze    no re-alerts (thread replies for new findings and symptoms) for --for (default 4h, at most 30d)
accept    accept the change: the culprit is re-baselined from its latest run on, and the incident resolved
resolve   resolve by hand
reopen    open a resolved incident again
audit     every human and automatic action on the incident: who, what, when, why, from where

The action goes to a running monitor's HTTP API (--url, default $ROOTLINE_URL or http://127.0.0.1:8080)
with a token that has the operate role (audit: read): --token T or $ROOTLINE_HTTP_TOKEN. It travels
through Kafka to the instance that holds the incident; an incident of a pipeline held by another
instance needs --pipeline. --as names you in the audit log (default: your login name), beside the token.`;

async function call(base: string, path: string, token: string | undefined, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${base.replace(/\/$/, '')}/api/v1/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      signal: AbortSignal.timeout(15_000),
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err: unknown) {
    throw new RootlineError('SERVICE_UNAVAILABLE', `cannot reach the monitor at ${base} (${errorMessage(err)})`, {
      retriable: true,
    });
  }
  const answer = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok)
    throw new RootlineError(
      res.status === 404
        ? 'NOT_FOUND'
        : res.status === 401 || res.status === 403
          ? 'FORBIDDEN'
          : res.status === 409
            ? 'INVALID_ARGUMENT'
            : 'CONFIG_INVALID',
      `${base}: ${answer.error ?? `HTTP ${res.status}`}`,
    );
  return answer;
}

function auditLine(a: AuditEntry): string {
  const why = a.why !== undefined ? `: ${a.why}` : '';
  const decision = typeof a.details?.decision === 'string' ? ` (${a.details.decision})` : '';
  return `${a.at}  ${a.source.padEnd(5)} ${a.who}  ${a.action}${decision}${why}`;
}

/** `rootline incident ack|snooze|accept|resolve|reopen|audit ID`: people's actions on an incident. */
export async function incidentCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      why: { type: 'string' },
      for: { type: 'string' },
      pipeline: { type: 'string' },
      as: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [what, id] = positionals;
  const isAction = (INCIDENT_ACTIONS as readonly string[]).includes(what ?? '');
  if (!id || (!isAction && what !== 'audit') || (values.for !== undefined && what !== 'snooze')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const base = values.url ?? process.env.ROOTLINE_URL ?? 'http://127.0.0.1:8080';
  const token = values.token ?? process.env.ROOTLINE_HTTP_TOKEN;
  const path = `incidents/${encodeURIComponent(id)}`;
  if (what === 'audit') {
    const a = (await call(base, `${path}/audit`, token)) as { audit: AuditEntry[]; status: string; pipeline: string };
    if (values.json) process.stdout.write(`${JSON.stringify(a, null, 2)}\n`);
    else {
      process.stdout.write(`${id} (${a.pipeline}, ${a.status})\n`);
      for (const e of a.audit) process.stdout.write(`${auditLine(e)}\n`);
    }
    return 0;
  }
  let me: string | undefined;
  try {
    me = userInfo().username;
  } catch {
    me = process.env.USER;
  }
  const answer = (await call(base, `${path}/${what as IncidentAction}`, token, {
    source: 'cli',
    ...(values.why !== undefined ? { why: values.why } : {}),
    ...(values.for !== undefined ? { for: values.for } : {}),
    ...(values.pipeline !== undefined ? { pipeline: values.pipeline } : {}),
    ...((values.as ?? me) ? { as: values.as ?? me } : {}),
  })) as { command_id: string; snoozed_until?: string };
  if (values.json) process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
  else
    process.stdout.write(
      `${what} ${id}: sent (${answer.command_id})${answer.snoozed_until ? `; snoozed until ${answer.snoozed_until}` : ''}\n`,
    );
  return 0;
}
