import type { Incident } from '../monitor/incident-types.js';
import { esc, truncate } from './mrkdwn.js';

/** Mentions shown on one message at most (a longer list ends in "and N more"). */
export const OWNER_MENTIONS_MAX = 20;

/**
 * A mention as Slack mrkdwn: a user id pings the user (`<@U…>`), a user group id the group
 * (`<!subteam^S…>`); an @handle is shown as written (Slack's API pings ids only). The rules loader
 * lets nothing else through (SLACK_MENTION), and the handle is escaped all the same.
 */
export function mentionText(m: string): string {
  if (/^[UW][A-Z0-9]+$/.test(m)) return `<@${m}>`;
  if (/^S[A-Z0-9]+$/.test(m)) return `<!subteam^${m}>`;
  return esc(m);
}

/** "*Owner*: team · @people", or undefined when nobody owns the culprit and nobody is to be mentioned. */
export function ownerLine(i: Incident): string | undefined {
  const r = i.route;
  if (!r || (r.team === undefined && r.mention.length === 0)) return undefined;
  const shown = r.mention.slice(0, OWNER_MENTIONS_MAX).map(mentionText);
  if (r.mention.length > OWNER_MENTIONS_MAX) shown.push(`and ${r.mention.length - OWNER_MENTIONS_MAX} more`);
  const who = shown.join(' ');
  return `*Owner*: ${r.team !== undefined ? esc(truncate(r.team, 80)) : 'none'}${who ? ` · ${who}` : ''}`;
}
