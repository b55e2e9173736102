import {
  avroToReport,
  formatIssues,
  parseReport,
  validateReport,
  type AvroReport,
  type Report,
} from '../../contract/index.js';
import { errorMessage } from '../../errors/index.js';

/** Why a message went to the dead-letter topic (the `rootline-error` header). */
export type DeadLetterCode =
  | 'MESSAGE_TOO_LARGE'
  | 'EMPTY'
  | 'MALFORMED_JSON'
  | 'REPORT_INVALID'
  | 'UNKNOWN_SCHEMA_ID'
  | 'AVRO_DECODE_FAILED'
  | 'NO_SCHEMA_REGISTRY'
  | 'OPENLINEAGE_INVALID';

export type Decoded =
  | { kind: 'report'; report: Report; format: 'json' | 'avro' | 'openlineage' }
  /** A message that carries no report (an OpenLineage START event): skipped, not an error. */
  | { kind: 'ignored'; reason: string }
  | { kind: 'dead'; code: DeadLetterCode; reason: string };

/** Decodes Confluent-framed Avro given a schema id (the registry client); throws on unknown ids. */
export interface AvroDecoder {
  decode(buffer: Buffer): Promise<unknown>;
}

/** Converts an OpenLineage RunEvent into reports (none for events that carry no run outcome). */
export type OpenLineageConverter = (
  event: Record<string, unknown>,
) => { reports: Report[]; ignored?: string } | { errors: string[] };

export interface DecoderOptions {
  maxMessageBytes: number;
  avro?: AvroDecoder | undefined;
  openLineage?: OpenLineageConverter | undefined;
}

export function isOpenLineageEvent(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  // A RunEvent, DatasetEvent or JobEvent: a `producer` or `eventType` with a run, job or dataset (a missing one is
  // then the converter's to name, not a report's validation errors).
  return (
    !('spec' in o) &&
    ('eventType' in o || 'producer' in o || 'schemaURL' in o) &&
    ('job' in o || 'run' in o || 'dataset' in o)
  );
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The monitor reads tolerantly: keys a newer emitter added to v1 are ignored, not rejected. */
const TOLERANT = { unknownKeys: 'allow' } as const;

/**
 * Turns one Kafka message value (or HTTP body) into a report, or into a dead letter with its reason.
 * Never throws: bad input is data. A value with magic byte 0 is Confluent-framed Avro; anything else
 * is JSON: a `rootline.report/v1` report or an OpenLineage RunEvent.
 */
export async function decodeMessage(value: Buffer | null, options: DecoderOptions): Promise<Decoded[]> {
  if (value === null || value.length === 0)
    return [{ kind: 'dead', code: 'EMPTY', reason: 'the message has no value' }];
  if (value.length > options.maxMessageBytes) {
    return [
      {
        kind: 'dead',
        code: 'MESSAGE_TOO_LARGE',
        reason: `the message is ${value.length} bytes, more than the ${options.maxMessageBytes} allowed (kafka.maxMessageBytes)`,
      },
    ];
  }
  if (value[0] === 0 && value.length >= 5) {
    const id = value.readInt32BE(1);
    if (!options.avro)
      return [
        {
          kind: 'dead',
          code: 'NO_SCHEMA_REGISTRY',
          reason: `Avro message (schema id ${id}) but no schema registry is configured (schemaRegistry.url)`,
        },
      ];
    let record: unknown;
    try {
      record = await options.avro.decode(value);
    } catch (err: unknown) {
      const msg = errorMessage(err);
      const status = typeof err === 'object' && err !== null && 'status' in err ? err.status : undefined;
      if (status === 404 || /not found|no content with id|40403/i.test(msg))
        return [
          {
            kind: 'dead',
            code: 'UNKNOWN_SCHEMA_ID',
            reason: `schema id ${id} is not known to the schema registry: ${msg}`,
          },
        ];
      return [
        { kind: 'dead', code: 'AVRO_DECODE_FAILED', reason: `Avro decoding with schema id ${id} failed: ${msg}` },
      ];
    }
    let report: unknown;
    try {
      report = avroToReport(record as AvroReport);
    } catch (err: unknown) {
      return [
        {
          kind: 'dead',
          code: 'AVRO_DECODE_FAILED',
          reason: `the Avro record (schema id ${id}) is not a rootline report: ${errorMessage(err)}`,
        },
      ];
    }
    const v = validateReport(report, TOLERANT);
    if (!v.ok) return [{ kind: 'dead', code: 'REPORT_INVALID', reason: formatIssues(v.errors) }];
    return [{ kind: 'report', report: v.report, format: 'avro' }];
  }

  // JSON: parse once, then tell a report from an OpenLineage event.
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return [
      { kind: 'dead', code: 'MALFORMED_JSON', reason: 'the message is neither Avro (magic byte 0) nor UTF-8 JSON' },
    ];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const r = parseReport(text);
    return [{ kind: 'dead', code: 'MALFORMED_JSON', reason: r.ok ? 'malformed JSON' : formatIssues(r.errors) }];
  }
  if (isOpenLineageEvent(parsed)) {
    if (!options.openLineage)
      return [{ kind: 'dead', code: 'OPENLINEAGE_INVALID', reason: 'OpenLineage events are not accepted here' }];
    const res = options.openLineage(parsed);
    if ('errors' in res) return [{ kind: 'dead', code: 'OPENLINEAGE_INVALID', reason: res.errors.join('; ') }];
    if (res.reports.length === 0)
      return [{ kind: 'ignored', reason: res.ignored ?? 'the event carries no run outcome' }];
    const out: Decoded[] = [];
    for (const r of res.reports) {
      const v = validateReport(r, TOLERANT);
      out.push(
        v.ok
          ? { kind: 'report', report: v.report, format: 'openlineage' }
          : {
              kind: 'dead',
              code: 'OPENLINEAGE_INVALID',
              reason: `converted report is invalid: ${formatIssues(v.errors)}`,
            },
      );
    }
    return out;
  }
  const v = validateReport(parsed, TOLERANT);
  if (!v.ok) return [{ kind: 'dead', code: 'REPORT_INVALID', reason: formatIssues(v.errors) }];
  return [{ kind: 'report', report: v.report, format: 'json' }];
}
