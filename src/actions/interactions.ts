import {
  DEFAULT_SNOOZE_MS,
  INCIDENT_COMMAND_SPEC,
  type Incident,
  type IncidentAction,
  type IncidentCommand,
} from '../monitor/index.js';
import { SLACK_LIMITS } from './mrkdwn.js';

/** The `action_id` of each incident button; the Grafana link button is `rootline_grafana` (no action). */
export const ACTION_IDS: Readonly<Record<IncidentAction, string>> = {
  ack: 'rootline_ack',
  snooze: 'rootline_snooze',
  accept: 'rootline_accept',
  resolve: 'rootline_resolve',
  reopen: 'rootline_reopen',
};

const LABELS: Readonly<Record<IncidentAction, string>> = {
  ack: 'Acknowledge',
  snooze: 'Snooze',
  accept: 'Accept the change',
  resolve: 'Resolve',
  reopen: 'Reopen',
};

/** What a button carries: the incident and its pipeline (the Kafka key of the command). */
interface ButtonValue {
  i: string;
  p: string;
}

/**
 * The incident's buttons (a Block Kit `actions` block): acknowledge, snooze, accept the change and
 * resolve while it is open, reopen once resolved. None when the value would not fit a button's
 * 2,000 characters (pipeline names are at most 512, so it always does).
 */
export function incidentButtons(i: Incident, snoozeMs = DEFAULT_SNOOZE_MS): Record<string, unknown>[] {
  const value = JSON.stringify({ i: i.incident_id, p: i.pipeline } satisfies ButtonValue);
  if (value.length > SLACK_LIMITS.buttonValue) return [];
  const actions: IncidentAction[] = i.status === 'open' ? ['ack', 'snooze', 'accept', 'resolve'] : ['reopen'];
  return actions.map((a) => ({
    type: 'button',
    action_id: ACTION_IDS[a],
    text: { type: 'plain_text', text: a === 'snooze' ? `Snooze ${durationLabel(snoozeMs)}` : LABELS[a] },
    value,
    ...(a === 'accept'
      ? {
          confirm: {
            title: { type: 'plain_text', text: 'Accept the change?' },
            text: {
              type: 'plain_text',
              text: 'The culprit is re-baselined from its latest run on: what it produces now becomes its normal.',
            },
            confirm: { type: 'plain_text', text: 'Accept' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        }
      : {}),
  }));
}

/** A duration as a button says it: `4h`, `90m`, `2d`. */
export function durationLabel(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  return `${Math.round(ms / 60_000)}m`;
}

/** The parts of Slack's `block_actions` payload Rootline reads. */
interface BlockActionsPayload {
  type?: unknown;
  user?: { id?: unknown; username?: unknown; name?: unknown };
  actions?: { action_id?: unknown; value?: unknown }[];
}

/**
 * The incident command a Slack interaction asks for, or why there is none (a click on a link button,
 * an unknown action). `requestId` identifies the verified request: the command id is derived from it.
 */
export function commandFromInteraction(
  payload: unknown,
  requestId: string,
  at: string,
  snoozeMs = DEFAULT_SNOOZE_MS,
): { command: IncidentCommand } | { ignored: string } {
  const p = (typeof payload === 'object' && payload !== null ? payload : {}) as BlockActionsPayload;
  if (p.type !== 'block_actions') return { ignored: `interaction type ${String(p.type)} is not handled` };
  const action = Array.isArray(p.actions) ? p.actions[0] : undefined;
  const kind = (Object.keys(ACTION_IDS) as IncidentAction[]).find((k) => ACTION_IDS[k] === action?.action_id);
  if (!kind || typeof action?.value !== 'string')
    return { ignored: `action ${String(action?.action_id)} is not one of Rootline's` };
  let value: Partial<ButtonValue>;
  try {
    value = JSON.parse(action.value) as Partial<ButtonValue>;
  } catch {
    return { ignored: 'the button value is not Rootline JSON' };
  }
  const user = typeof p.user?.id === 'string' && p.user.id !== '' ? p.user.id : undefined;
  if (typeof value.i !== 'string' || typeof value.p !== 'string' || !user)
    return { ignored: 'the interaction names no incident or no user' };
  return {
    command: {
      spec: INCIDENT_COMMAND_SPEC,
      command_id: `slack-${requestId}`,
      pipeline: value.p,
      incident_id: value.i,
      action: kind,
      who: user.slice(0, 300),
      source: 'slack',
      at,
      ...(kind === 'snooze' ? { snooze_ms: snoozeMs } : {}),
    },
  };
}
