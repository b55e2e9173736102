import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Default of {@link SlackVerifierOptions.toleranceSec}: Slack's five minutes. */
export const DEFAULT_SLACK_TOLERANCE_SEC = 300;

export interface SlackVerifierOptions {
  /** The Slack app's signing secret (Basic Information > App Credentials). Never logged. */
  signingSecret: string;
  /** Largest difference between the request's timestamp and now, s. Default 300. */
  toleranceSec?: number;
  /** The clock, ms (tests). Default Date.now. */
  now?: () => number;
}

/** Why a request was refused (each is a 401). */
export type SlackRefusal = 'missing' | 'stale' | 'forged' | 'replayed';

/** `v0=` and the hex HMAC-SHA256 of `v0:{timestamp}:{body}` under the signing secret, as Slack signs. */
export function slackSignature(signingSecret: string, timestamp: string, body: Buffer | string): string {
  const mac = createHmac('sha256', signingSecret);
  mac.update(`v0:${timestamp}:`, 'utf8');
  mac.update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  return `v0=${mac.digest('hex')}`;
}

/**
 * Verifies requests from Slack the way Slack specifies ("Verifying requests from Slack"): the
 * `X-Slack-Signature` header must be `v0=` + HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{raw body}`
 * under the signing secret (compared in constant time), and the timestamp within five minutes of now.
 * A signature accepted once is refused if it comes again while its timestamp is still fresh (a
 * replay); older ones are refused as stale anyway, so the memory holds five minutes of requests.
 */
export class SlackRequestVerifier {
  private readonly secret: string;
  private readonly toleranceMs: number;
  private readonly now: () => number;
  /** Accepted signatures -> when they go stale (ms). */
  private readonly seen = new Map<string, number>();

  constructor(o: SlackVerifierOptions) {
    this.secret = o.signingSecret;
    this.toleranceMs = (o.toleranceSec ?? DEFAULT_SLACK_TOLERANCE_SEC) * 1000;
    this.now = o.now ?? Date.now;
  }

  /**
   * Verifies one request. On success `id` identifies it (a digest of its signature): the incident
   * command it carries is named after it, so a replay that reached another instance is still applied
   * once (the core ignores a command id it has seen).
   */
  verify(
    timestamp: string | undefined,
    signature: string | undefined,
    body: Buffer,
  ): { ok: true; id: string } | { ok: false; reason: SlackRefusal } {
    if (!timestamp || !signature) return { ok: false, reason: 'missing' };
    if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'stale' };
    const now = this.now();
    const sentMs = Number(timestamp) * 1000;
    if (Math.abs(now - sentMs) > this.toleranceMs) return { ok: false, reason: 'stale' };
    const expected = Buffer.from(slackSignature(this.secret, timestamp, body), 'utf8');
    const given = Buffer.from(signature, 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };
    this.prune(now);
    if (this.seen.has(signature)) return { ok: false, reason: 'replayed' };
    this.seen.set(signature, sentMs + this.toleranceMs);
    return { ok: true, id: createHash('sha256').update(signature).digest('hex').slice(0, 32) };
  }

  private prune(now: number): void {
    for (const [sig, staleAt] of this.seen) if (staleAt < now) this.seen.delete(sig);
  }
}
