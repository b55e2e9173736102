import { globMatch } from './glob.js';
import type { OwnerEntry, RuleSet } from './types.js';

/** The owner of a node: the last `owners:` entry whose match covers it (undefined: nobody). */
export function ownerOf(set: RuleSet, target: { pipeline: string; node: string }): OwnerEntry | undefined {
  const owners = set.owners ?? [];
  for (let i = owners.length - 1; i >= 0; i--) {
    const o = owners[i]!;
    if (o.match.pipeline !== undefined && !globMatch(o.match.pipeline, target.pipeline)) continue;
    if (o.match.node !== undefined && !globMatch(o.match.node, target.node)) continue;
    return o;
  }
  return undefined;
}

/**
 * Where an incident's notifications go, decided once when it opens. `channel` absent means the
 * notifier's default channel (slack.channel).
 */
export interface IncidentRoute {
  /** The owning team, when an `owners:` entry matches the culprit. */
  team?: string;
  channel?: string;
  /** Slack user ids, group ids or @handles to mention. */
  mention: string[];
  /** Why this channel: which entry matched, or that none did. */
  why: string;
}

/**
 * The route of an incident at `culprit`: an escalated (ambiguous root) incident goes to the
 * `escalation:` route when there is one, mentioning its people, since the owner of the top
 * candidate may not be the owner of the real root; otherwise to the culprit owner's channel,
 * mentioning its people; otherwise to the default channel. Pure: same rules, same route.
 */
export function routeIncident(
  set: RuleSet,
  culprit: { pipeline: string; node: string },
  escalated: boolean,
): IncidentRoute {
  const owner = ownerOf(set, culprit);
  const team = owner ? { team: owner.team } : {};
  if (escalated && set.escalation)
    return {
      ...team,
      channel: set.escalation.slack_channel,
      mention: [...set.escalation.mention],
      why: `escalated (ambiguous root): the escalation route (${set.escalation.source})`,
    };
  const note = escalated ? ' (escalated, but the rules have no escalation route)' : '';
  if (!owner) return { mention: [], why: `no owner matches: the default channel${note}` };
  return {
    ...team,
    ...(owner.slack_channel !== undefined ? { channel: owner.slack_channel } : {}),
    mention: [...owner.mention],
    why: `owner ${owner.team} (${owner.source})${owner.slack_channel === undefined ? ': the default channel' : ''}${note}`,
  };
}
