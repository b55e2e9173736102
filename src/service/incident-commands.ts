import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { commandFromInteraction } from '../actions/interactions.js';
import type { Principal, PipelineAccess } from '../adapters/http/auth.js';
import type { IncidentActHandler, SlackInteractivity } from '../adapters/http/server.js';
import { SlackRequestVerifier } from '../adapters/http/slack-verify.js';
import { RootlineError } from '../errors/index.js';
import {
  DEFAULT_SNOOZE_MS,
  INCIDENT_COMMAND_SPEC,
  MAX_SNOOZE_MS,
  parseDurationMs,
  parseIncidentCommand,
  refusal,
  type IncidentCommand,
  type MonitorCore,
} from '../monitor/index.js';

/** Sends a command on its way: the reports topic, keyed by its pipeline (Kafka), or the core (embedded). */
export type CommandSink = (cmd: IncidentCommand) => Promise<void>;

interface ActBody {
  why?: unknown;
  for?: unknown;
  pipeline?: unknown;
  source?: unknown;
  as?: unknown;
}

function snoozeOf(v: unknown): number {
  if (v === undefined) return DEFAULT_SNOOZE_MS;
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? parseDurationMs(v) : undefined;
  if (ms === undefined || !Number.isInteger(ms) || ms <= 0 || ms > MAX_SNOOZE_MS)
    throw new RootlineError('CONFIG_INVALID', `for must be a duration (4h, 30m, 2d or ms) of at most 30 days`);
  return ms;
}

/**
 * The API's incident actions (`POST /api/v1/incidents/<id>/ack|snooze|accept|resolve|reopen`, body
 * `{"why": "...", "for": "4h", "pipeline": "...", "source": "cli", "as": "alice"}`, all optional). The
 * incident is looked up on this instance to check the caller's scope and that the action can apply
 * (404, 409); an incident held by another instance needs `pipeline` and is checked there. The command
 * goes through Kafka (202): the instance that holds the incident applies it, in order with its reports.
 */
export function incidentActions(
  core: MonitorCore,
  send: CommandSink,
  now: () => number = Date.now,
): IncidentActHandler {
  return async ({ id, action, body }, access: PipelineAccess, principal: Principal | undefined) => {
    const b = (typeof body === 'object' && body !== null ? body : {}) as ActBody;
    const inc = core.incidents().find((i) => i.incident_id === id);
    const pipeline = inc?.pipeline ?? (typeof b.pipeline === 'string' && b.pipeline !== '' ? b.pipeline : undefined);
    if (pipeline === undefined || (inc === undefined && !access.allows(pipeline)))
      return [
        404,
        { error: `no incident ${id} on this instance (name its pipeline to send the action to the one that holds it)` },
      ];
    if (!access.allows(pipeline))
      throw new RootlineError('FORBIDDEN', `this token's pipeline scope does not cover pipeline ${pipeline}`);
    if (inc) {
      const refused = refusal(inc, action, core.incidents({ pipeline }));
      if (refused) return [409, { error: `cannot ${action}: ${refused}` }];
    }
    const as = typeof b.as === 'string' && b.as.trim() !== '' ? b.as.trim().slice(0, 100) : undefined;
    const name = principal?.name ?? 'anonymous';
    const candidate = {
      spec: INCIDENT_COMMAND_SPEC,
      command_id: `api-${randomUUID()}`,
      pipeline,
      incident_id: id,
      action,
      who: as !== undefined && as !== name ? `${as} (token ${name})` : name,
      source: b.source === 'cli' ? 'cli' : 'api',
      at: new Date(now()).toISOString(),
      ...(typeof b.why === 'string' && b.why.trim() !== '' ? { why: b.why.trim() } : {}),
      ...(action === 'snooze' ? { snooze_ms: snoozeOf(b.for) } : {}),
    };
    const parsed = parseIncidentCommand(candidate);
    if (!parsed.ok) return [400, { error: parsed.error }];
    await send(parsed.command);
    return [
      202,
      {
        accepted: true,
        command_id: parsed.command.command_id,
        incident_id: id,
        pipeline,
        action,
        ...(parsed.command.snooze_ms !== undefined
          ? { snoozed_until: new Date(Date.parse(parsed.command.at) + parsed.command.snooze_ms).toISOString() }
          : {}),
      },
    ];
  };
}

/**
 * Slack interactivity: clicks on the incident buttons, verified with the signing secret, become
 * incident commands named after the request (a replay that passed another instance's check is
 * still applied once: the core ignores a command id it has seen).
 */
export function slackInteractivity(o: {
  signingSecret: string;
  snoozeMs: number;
  send: CommandSink;
  logger: Logger;
  now?: () => number;
}): SlackInteractivity {
  const now = o.now ?? Date.now;
  return {
    verifier: new SlackRequestVerifier({ signingSecret: o.signingSecret, now }),
    interact: async (payload, requestId) => {
      const r = commandFromInteraction(payload, requestId, new Date(now()).toISOString(), o.snoozeMs);
      if ('ignored' in r) {
        o.logger.debug({ why: r.ignored }, 'Slack interaction ignored');
        return;
      }
      const parsed = parseIncidentCommand(r.command);
      if (!parsed.ok) {
        o.logger.warn({ error: parsed.error }, 'Slack interaction ignored: not a valid command');
        return;
      }
      await o.send(parsed.command);
      o.logger.info(
        { incident: parsed.command.incident_id, action: parsed.command.action, who: parsed.command.who },
        'Slack interaction: incident command sent',
      );
    },
  };
}

/** The HTTP server's `slack` option when a signing secret is configured (interactivity on), else none. */
export function slackInteractivityOption(
  slack: { signingSecret?: string | undefined; snoozeMs: number },
  send: CommandSink,
  logger: Logger,
): { slack?: SlackInteractivity } {
  return slack.signingSecret !== undefined
    ? { slack: slackInteractivity({ signingSecret: slack.signingSecret, snoozeMs: slack.snoozeMs, send, logger }) }
    : {};
}

/** Logs whether the HTTP API listening at `url` has access control (its token names), or warns it is open. */
export function logAccessControl(
  http: { tokens: readonly { name: string }[]; token?: string | undefined },
  url: string,
  log: Logger,
): void {
  const tokenNames = [...http.tokens.map((t) => t.name), ...(http.token ? ['http.token'] : [])];
  if (tokenNames.length === 0)
    log.warn(
      { url },
      'HTTP API listening WITHOUT access control: no http.tokens configured, every endpoint is open (docs/api.md)',
    );
  else log.info({ url, tokens: tokenNames }, 'HTTP API listening; access control on');
}
