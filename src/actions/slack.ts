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
import type { RootlineError } from '../errors/index.js';
import { errorMessage } from '../errors/index.js';
import type { Incident, IncidentEvent } from '../monitor/incident-types.js';
import { renderIncident, renderThreadReply, type RenderOptions } from './render.js';

export interface SlackOptions extends RenderOptions {
  token: string;
  channel: string;
  /** Slack Web API base URL. Default https://slack.com/api/. */
  apiUrl?: string | undefined;
  /** Retries of one call inside the client (429 waits for Retry-After). Default 5. */
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

const METADATA_EVENT = 'rootline_incident';

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
 */
export class SlackNotifier {
  private readonly client: WebClient;
  private readonly parents = new Map<string, Parent>();
  private channelId: string | undefined;

  constructor(private readonly o: SlackOptions) {
    this.client = new WebClient(o.token, {
      slackApiUrl: o.apiUrl ?? 'https://slack.com/api/',
      rejectRateLimitedCalls: false,
      retryConfig: {
        retries: o.retries ?? 5,
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

  /** Finds the incident's parent message in the channel (after a restart). */
  private async lookup(i: Incident): Promise<Parent | undefined> {
    const cached = this.parents.get(i.incident_id);
    if (cached) return cached;
    const oldest = String(Math.floor(Date.parse(i.opened_at) / 1000) - 24 * 3600);
    const res = await this.call('conversations.history', () =>
      this.client.conversations.history({
        channel: this.channelId ?? this.o.channel,
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
          channel: this.channelId ?? this.o.channel,
          ts: m.ts,
          version: Number(meta.event_payload.version ?? 0),
        };
        this.parents.set(i.incident_id, p);
        return p;
      }
    }
    return undefined;
  }

  /** Applies one incident event to Slack. Throws a RootlineError (retriable or not) on failure. */
  async handle(e: IncidentEvent): Promise<'posted' | 'updated' | 'skipped'> {
    const i = e.incident;
    const rendered = renderIncident(i, this.o);
    const metadata = { event_type: METADATA_EVENT, event_payload: { incident_id: i.incident_id, version: i.version } };
    const parent = await this.lookup(i);
    if (!parent) {
      const res = await this.call('chat.postMessage', () =>
        this.client.chat.postMessage({
          channel: this.o.channel,
          text: rendered.text,
          blocks: rendered.blocks as never,
          metadata,
          unfurl_links: false,
        }),
      );
      this.channelId ??= res.channel;
      this.parents.set(i.incident_id, { channel: res.channel ?? this.o.channel, ts: res.ts!, version: i.version });
      this.o.logger.info({ incident: i.incident_id, ts: res.ts, culprit: i.culprit }, 'Slack: incident posted');
      return 'posted';
    }
    if (parent.version >= i.version) return 'skipped';
    // Update the parent first (it records the version), then the thread: a crash in between loses a
    // reply rather than posting one twice.
    await this.call('chat.update', () =>
      this.client.chat.update({
        channel: parent.channel,
        ts: parent.ts,
        text: rendered.text,
        blocks: rendered.blocks as never,
        metadata,
      }),
    );
    parent.version = i.version;
    const reply = renderThreadReply(e);
    if (reply) {
      await this.call('chat.postMessage', () =>
        this.client.chat.postMessage({
          channel: parent.channel,
          thread_ts: parent.ts,
          text: reply.text,
          metadata,
          unfurl_links: false,
        }),
      );
    }
    return 'updated';
  }
}
