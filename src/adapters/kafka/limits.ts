import { createHash } from 'node:crypto';
import type { IHeaders, Message } from 'kafkajs';

/**
 * Keeping what the monitor produces inside the broker's record-batch limit (`message.max.bytes`, 1 MiB by
 * default, `kafka.brokerMaxMessageBytes`): a dead letter's value is truncated, and a transaction's sends are
 * split into requests whose messages together stay under the limit, so no record batch can exceed it.
 */

/** Bytes of a dead letter's value kept when the original is larger (the rest is named by size and sha256). */
export const DEAD_LETTER_VALUE_BYTES = 64 * 1024;
/** Bytes of the original message's headers copied into its dead letter; more and they are left out. */
export const DEAD_LETTER_COPIED_HEADER_BYTES = 16 * 1024;
/** Bytes of the original key kept in a dead letter. */
export const DEAD_LETTER_KEY_BYTES = 1024;
/**
 * Room per record for the record framing (varints, attributes, timestamps and offset deltas) and per batch for
 * the batch header (61 bytes), rounded up.
 */
const RECORD_OVERHEAD = 32;
const BATCH_OVERHEAD = 128;

function bytes(v: Buffer | string | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

function headerBytes(h: IHeaders | undefined): number {
  if (!h) return 0;
  let n = 0;
  for (const [k, v] of Object.entries(h)) {
    n += Buffer.byteLength(k) + RECORD_OVERHEAD / 4;
    for (const x of Array.isArray(v) ? v : [v]) n += bytes(x);
  }
  return n;
}

/** An upper bound of the bytes `m` takes in an uncompressed record batch. */
export function recordBytes(m: Message): number {
  return RECORD_OVERHEAD + bytes(m.key) + bytes(m.value) + headerBytes(m.headers);
}

/**
 * Splits items (in order) into groups whose sizes, plus `overhead` per group, fit `limit`. An item larger
 * than the limit on its own is a group alone (the broker will refuse it; callers keep items smaller).
 */
export function splitBySize<T>(items: readonly T[], sizeOf: (item: T) => number, limit: number, overhead = 0): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let size = overhead;
  for (const item of items) {
    const n = sizeOf(item);
    if (current.length > 0 && size + n > limit) {
      groups.push(current);
      current = [];
      size = overhead;
    }
    current.push(item);
    size += n;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Splits messages (in order) into groups whose records together fit `limit` bytes of record batch. */
export function splitToFit(messages: readonly Message[], limit: number): Message[][] {
  return splitBySize(messages, recordBytes, limit, BATCH_OVERHEAD);
}

/** Where a dead letter came from and why it is one. */
export interface DeadLetterSource {
  topic: string;
  partition: number;
  offset: string;
  code: string;
  reason: string;
}

function toBuffer(v: Buffer | string | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

/**
 * The dead letter of one message: the original key and headers (when small), the value (its first
 * {@link DEAD_LETTER_VALUE_BYTES} when larger, with `rootline-original-size` and `rootline-original-sha256`),
 * and the `rootline-error`, `rootline-error-message` and source topic/partition/offset headers. Always far
 * below any broker's limit. The `rootline-*` headers are set last: an input's forged ones never survive.
 */
export function deadLetterMessage(
  original: { key?: Buffer | string | null; value: Buffer | string | null; headers?: IHeaders | undefined },
  src: DeadLetterSource,
): Message {
  const value = toBuffer(original.value);
  const key = toBuffer(original.key);
  const copied = headerBytes(original.headers) <= DEAD_LETTER_COPIED_HEADER_BYTES ? (original.headers ?? {}) : {};
  const headers: IHeaders = Object.assign(Object.create(null) as IHeaders, copied);
  if (copied !== original.headers && original.headers)
    headers['rootline-headers-dropped'] = String(headerBytes(original.headers));
  headers['rootline-error'] = src.code;
  headers['rootline-error-message'] = src.reason.slice(0, 4000);
  headers['rootline-source-topic'] = src.topic;
  headers['rootline-source-partition'] = String(src.partition);
  headers['rootline-source-offset'] = src.offset;
  let kept = value;
  if (value !== null && value.length > DEAD_LETTER_VALUE_BYTES) {
    kept = value.subarray(0, DEAD_LETTER_VALUE_BYTES);
    headers['rootline-truncated'] = 'true';
    headers['rootline-original-size'] = String(value.length);
    headers['rootline-original-sha256'] = createHash('sha256').update(value).digest('hex');
  }
  return {
    key: key !== null && key.length > DEAD_LETTER_KEY_BYTES ? key.subarray(0, DEAD_LETTER_KEY_BYTES) : key,
    value: kept,
    headers: { ...headers },
  };
}
