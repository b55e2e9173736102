import type { Report } from '../contract/index.js';

/** Kafka header naming the payload's format. */
export const SPEC_HEADER = 'rootline-spec';

/** One report on its way: the (validated) report, its encoded form once encoded, and failed sends so far. */
export interface Envelope {
  readonly report: Report;
  /** The encoded value (set by the transport on first send, reused by retries). */
  payload?: Buffer;
  /** Failed sends of this report. */
  attempts: number;
}

/** What became of a batch. A transport never throws for a delivery problem: it sorts the batch. */
export interface SendResult {
  /** Reports delivered. */
  delivered: number;
  /** Reports to send again (a transient failure: network, 5xx, 429, broker unavailable). */
  retry: Envelope[];
  /** Reports refused for good (4xx, a message too large, an invalid record), each with the reason. */
  rejected: { envelope: Envelope; reason: string }[];
  /** How long the other side asked to wait before the retry (HTTP `Retry-After`). */
  retryAfterMs?: number;
  /** The failure behind `retry`. */
  error?: string;
}

/** Sends batches of reports somewhere. One batch at a time is in flight. */
export interface Transport {
  readonly name: string;
  send(batch: readonly Envelope[]): Promise<SendResult>;
  close(): Promise<void>;
}

/** A result that retries the whole batch. */
export function retryAll(batch: readonly Envelope[], error: string, retryAfterMs?: number): SendResult {
  return {
    delivered: 0,
    retry: [...batch],
    rejected: [],
    error,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

/** The JSON encoding of a report (UTF-8). */
export function encodeJson(report: Report): Buffer {
  return Buffer.from(JSON.stringify(report), 'utf8');
}
