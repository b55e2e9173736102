import {
  WebClient,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  LogLevel,
  type Logger as SlackLogger,
} from '@slack/web-api';
import type { Logger } from 'pino';
import { classify } from '../errors/classify.js';
import { RootlineError, errorMessage } from '../errors/index.js';
import { snoozedAt, type Incident, type IncidentEvent } from '../monitor/index.js';
import { METADATA_EVENT, truncate } from './mrkdwn.js';
import { renderIncident, renderIncidentPlain, renderThreadReply, type RenderOptions } from './render.js';

export interface SlackOptions extends RenderOptions {
  token: string;
  channel: string;
  /** Slack Web API base URL. Default https://slack.com/api/. */
  apiUrl?: string | undefined;
  /**
   * Retries of a failed call (5xx, network) inside the client, which sleeps without heartbeats.
   * Default 0: the dispatcher retries instead, through src/errors/retry.ts, heartbeating its consumer.
   * A 429 is never waited out inside the client: it surfaces at once with its Retry-After.
   */
  retries?: number;
  /** Longest wait between retries, ms. Default 60000. */
  maxRetryDelayMs?: number;
  logger: Logger;
}

/** Maps @slack/web-api errors into RootlineError; whether they are retriable is decided by errors/classify. */
export function slackError(err: unknown, what: string): RootlineError {
  const message =
    err instanceof WebAPIRateLimitedError
      ? 'rate limited'
      : err instanceof WebAPIHTTPError
        ? `HTTP ${err.statusCode}`
        : err instanceof WebAPIRequestError
          ? errorMessage(err.original)
          : err instanceof WebAPIPlatformError
            ? `Slack said ${err.data.error}`
            : errorMessage(err);
  return classify(err, 'SLACK_ERROR', what, message);
}

interface Parent {
  channel: string;
  ts: string;
  /** The incident version the parent message shows. */
  version: number;
}

/**
 * Slack errors that say the payload itself was refused (Block Kit or text over a limit, malformed
 * metadata): sending the same again would fail again, so a plain-text message goes instead.
 */
const PAYLOAD_ERRORS = new Set([
  'invalid_blocks',
  'invalid_blocks_format',
  'msg_too_long',
  'msg_blocks_too_long',
  'invalid_arguments',
  'invalid_attachments',
  'too_many_attachments',
  'no_text',
  'invalid_metadata_format',
  'invalid_metadata_schema',
  'metadata_too_large',
  'metadata_must_be_sent_from_app',
]);

/** The refusal of a payload, if `err` is one: Slack's error and its explanations. */
function payloadRefusal(err: unknown): { error: string; messages: string[]; metadata: boolean } | undefined {
  const cause = err instanceof RootlineError ? err.cause : err;
  if (cause instanceof WebAPIPlatformError && PAYLOAD_ERRORS.has(cause.data.error)) {
    const data = cause.data as { error: string; response_metadata?: { messages?: unknown } };
    const messages = Array.isArray(data.response_metadata?.messages) ? data.response_metadata.messages.map(String) : [];
    return { error: data.error, messages: messages.slice(0, 10), metadata: data.error.includes('metadata') };
  }
  if (cause instanceof WebAPIHTTPError && (cause.statusCode === 400 || cause.statusCode === 413))
    return { error: `HTTP ${cause.statusCode}`, messages: [], metadata: false };
  return undefined;
}

/** The message metadata that lets a restarted notifier find the incident's message again. */
function metadataOf(i: Incident) {
  return { event_type: METADATA_EVENT, event_payload: { incident_id: i.incident_id, version: i.version } };
}

/** Longest thread reply sent as the fallback when Slack refuses the reply as rendered. */
const FALLBACK_REPLY_CHARS = 1000;

/** What handling one event did; `*_plain` when Slack refused the blocks and a plain text went instead. */
export type SlackOutcome = 'posted' | 'updated' | 'skipped' | 'posted_plain' | 'updated_plain';

function quietLogger(log: Logger): SlackLogger {
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (...m: unknown[]) => log.debug({ component: 'slack-client' }, m.map(String).join(' ')),
    error: (...m: unknown[]) => log.debug({ component: 'slack-client' }, m.map(String).join(' ')),
    setLevel: () => undefined,
    getLevel: () => LogLevel.WARN,
    setName: () => undefined,
  };
}

/**
 * One Slack message per incident, in Block Kit, updated in place as the incident changes; symptoms,
 * new findings and the resolution go into its thread. Idempotent: each message carries the incident
 * id and version in its metadata, and a notifier that does not know an incident (after a restart)
 * looks for its message in the channel before posting, so a retried event never posts a duplicate.
 * Messages are rendered within Slack's limits; if Slack still refuses one (the payload, not the call),
 * it goes again as plain text rather than not at all, and `handle` says so (`posted_plain`, `updated_plain`).
 */
export class SlackNotifier {
  private readonly client: WebClient;
  private readonly parents = new Map<string, Parent>();
  /** Channel as configured (a #name or an id) -> the id Slack answered with. */
  private readonly channelIds = new Map<string, string>();

  constructor(private readonly o: SlackOptions) {
    this.client = new WebClient(o.token, {
      slackApiUrl: o.apiUrl ?? 'https://slack.com/api/',
      // A Retry-After of 45 s slept in here would outlast the consumer's session: the dispatcher waits
      // it out instead, heartbeating (src/errors/retry.ts honours the Retry-After).
      rejectRateLimitedCalls: true,
      retryConfig: {
        retries: o.retries ?? 0,
        factor: 2,
        minTimeout: 250,
        maxTimeout: o.maxRetryDelayMs ?? 60_000,
        randomize: true,
      },
      logger: quietLogger(o.logger),
      logLevel: LogLevel.ERROR,
    });
  }

  /** Calls counted by method and outcome, for metrics. */
  onCall: (method: string, outcome: 'ok' | 'error') => void = () => undefined;

  private async call<T>(method: string, fn: () => Promise<T>): Promise<T> {
    try {
      const r = await fn();
      this.onCall(method, 'ok');
      return r;
    } catch (err: unknown) {
      this.onCall(method, 'error');
      throw slackError(err, method);
    }
  }

  /** The incident's channel: its owner's or the escalation channel (decided by the core), else slack.channel. */
  private target(i: Incident): string {
    return i.route?.channel ?? this.o.channel;
  }

  private channelOf(i: Incident): string {
    const t = this.target(i);
    return this.channelIds.get(t) ?? t;
  }

  /** Finds the incident's parent message in the channel (after a restart). */
  private async lookup(i: Incident): Promise<Parent | undefined> {
    const cached = this.parents.get(i.incident_id);
    if (cached) return cached;
    const oldest = String(Math.floor(Date.parse(i.opened_at) / 1000) - 24 * 3600);
    const res = await this.call('conversations.history', () =>
      this.client.conversations.history({
        channel: this.channelOf(i),
        oldest,
        limit: 200,
        include_all_metadata: true,
      }),
    );
    for (const m of res.messages ?? []) {
      const meta = (
        m as { metadata?: { event_type?: string; event_payload?: { incident_id?: string; version?: number } } }
      ).metadata;
      if (meta?.event_type === METADATA_EVENT && meta.event_payload?.incident_id === i.incident_id && m.ts) {
        const p: Parent = {
          channel: this.channelOf(i),
          ts: m.ts,
          version: Number(meta.event_payload.version ?? 0),
        };
        this.parents.set(i.incident_id, p);
        return p;
      }
    }
    return undefined;
  }

  /**
   * Sends a message (`blocks` as rendered); if Slack refuses the payload itself, sends `plain` instead
   * (no blocks, and no metadata when the metadata was the problem), logs why and says so.
   */
  private async withFallback<T>(
    i: Incident,
    method: string,
    send: (fallback: { metadata: boolean } | undefined) => Promise<T>,
  ): Promise<{ res: T; plain: boolean }> {
    try {
      return { res: await send(undefined), plain: false };
    } catch (err: unknown) {
      const refused = payloadRefusal(err);
      if (!refused) throw err;
      this.o.logger.warn(
        { incident: i.incident_id, method, slackError: refused.error, slackMessages: refused.messages },
        'Slack refused the message; sending it as plain text',
      );
      return { res: await send({ metadata: !refused.metadata }), plain: true };
    }
  }

  /** The message's content as rendered, or as plain text (with or without metadata) after a refusal. */
  private content(i: Incident, fallback: { metadata: boolean } | undefined, opts: { update?: boolean } = {}) {
    const metadata = metadataOf(i);
    if (!fallback) {
      const rendered = renderIncident(i, this.o);
      return { text: rendered.text, blocks: rendered.blocks as never, metadata };
    }
    return {
      text: renderIncidentPlain(i, this.o).text,
      // On an update, an empty blocks array removes the earlier version's blocks, which would be stale.
      ...(opts.update ? { blocks: [] } : {}),
      ...(fallback.metadata ? { metadata } : {}),
    };
  }

  private async post(i: Incident): Promise<SlackOutcome> {
    const { res, plain } = await this.withFallback(i, 'chat.postMessage', (fallback) =>
      this.call('chat.postMessage', () =>
        this.client.chat.postMessage({ channel: this.channelOf(i), unfurl_links: false, ...this.content(i, fallback) }),
      ),
    );
    if (res.channel) this.channelIds.set(this.target(i), res.channel);
    this.parents.set(i.incident_id, { channel: res.channel ?? this.channelOf(i), ts: res.ts!, version: i.version });
    this.o.logger.info(
      { incident: i.incident_id, ts: res.ts, culprit: i.culprit, channel: res.channel, plain },
      'Slack: incident posted',
    );
    return plain ? 'posted_plain' : 'posted';
  }

  private async reply(e: IncidentEvent, parent: Parent): Promise<boolean> {
    const i = e.incident;
    const reply = renderThreadReply(e, this.o);
    if (!reply) return false;
    const metadata = metadataOf(i);
    const { plain } = await this.withFallback(i, 'chat.postMessage', (fallback) =>
      this.call('chat.postMessage', () =>
        this.client.chat.postMessage({
          channel: parent.channel,
          thread_ts: parent.ts,
          unfurl_links: false,
          ...(fallback
            ? {
                text: truncate(reply.text, FALLBACK_REPLY_CHARS, { mrkdwn: true }),
                ...(fallback.metadata ? { metadata } : {}),
              }
            : { text: reply.text, metadata }),
        }),
      ),
    );
    return plain;
  }

  /** Applies one incident event to Slack. Throws a RootlineError (retriable or not) on failure. */
  async handle(e: IncidentEvent): Promise<SlackOutcome> {
    const i = e.incident;
    const parent = await this.lookup(i);
    if (!parent) return this.post(i);
    if (parent.version >= i.version) return 'skipped';
    // Update the parent first (it records the version), then the thread: a crash in between loses a
    // reply rather than posting one twice.
    const updated = await this.withFallback(i, 'chat.update', (fallback) =>
      this.call('chat.update', () =>
        this.client.chat.update({
          channel: parent.channel,
          ts: parent.ts,
          ...this.content(i, fallback, { update: true }),
        }),
      ),
    );
    parent.version = i.version;
    // Snoozed: the message stays current, but only a person's action is said in the thread (no re-alert).
    const quiet = snoozedAt(i, Date.parse(e.at)) && !(e.changes.audit ?? []).some((a) => a.source !== 'auto');
    const replyPlain = quiet ? false : await this.reply(e, parent);
    return updated.plain || replyPlain ? 'updated_plain' : 'updated';
  }
}
