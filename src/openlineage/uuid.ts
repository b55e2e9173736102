import { createHash } from 'node:crypto';

/**
 * The namespace of the event ids Rootline derives from OpenLineage runs:
 * `uuid5(NAMESPACE_URL, "https://rootline.dev/openlineage")`.
 */
export const OPENLINEAGE_UUID_NAMESPACE = '6cdcb77c-fcd5-5815-ac91-7f6206bf1c8b';

function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${uuid}`);
  return Buffer.from(hex, 'hex');
}

/** A name-based UUID, version 5 (RFC 9562: SHA-1 of the namespace's 16 bytes and the name's UTF-8), as Python's `uuid.uuid5`. */
export function uuidV5(namespace: string, name: string): string {
  const digest = createHash('sha1').update(uuidBytes(namespace)).update(name, 'utf8').digest();
  const b = digest.subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The report `event_id` of an OpenLineage run event: deterministic, so a re-sent event is processed once. */
export function openLineageEventId(runId: string, eventType: string): string {
  return uuidV5(OPENLINEAGE_UUID_NAMESPACE, `${runId}:${eventType}`);
}
