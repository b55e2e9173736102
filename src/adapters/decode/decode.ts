import {
  avroToReport,
  formatIssues,
  parseReport,
  validateReport,
  type AvroReport,
  type LineageDeclaration,
  type Report,
  type RunProgress,
} from '../../contract/index.js';
import { isRetriable, transientStatus } from '../../errors/classify.js';
import {
  isIncidentCommand,
  isSymptomMessage,
  parseIncidentCommand,
  parseSymptomMessage,
  type IncidentCommand,
  type SymptomMessage,
} from '../../monitor/index.js';
import { RootlineError, errorMessage } from '../../errors/index.js';

/** Why a message went to the dead-letter topic (the `rootline-error` header). */
export type DeadLetterCode =
  | 'MESSAGE_TOO_LARGE'
  | 'EMPTY'
  | 'MALFORMED_JSON'
  | 'REPORT_INVALID'
  | 'UNKNOWN_SCHEMA_ID'
  | 'AVRO_DECODE_FAILED'
  | 'NO_SCHEMA_REGISTRY'
  | 'OPENLINEAGE_INVALID'
  /** A `rootline.incident-action/v1` message that is not a valid incident command. */
  | 'COMMAND_INVALID'
  /** A `rootline.symptom/v1` message (another instance's forwarded symptom) that is not valid. */
  | 'SYMPTOM_INVALID'
  /** The core failed on a valid report (a defect; the report is set aside so the partition moves on). */
  | 'PROCESSING_FAILED'
  /** InfluxDB refused the points the report produced (a 4xx about the points). */
  | 'SINK_REJECTED';

export type Decoded =
  | { kind: 'report'; report: Report; format: 'json' | 'avro' | 'openlineage' }
  /** An OpenLineage START or RUNNING event: a run that has not ended yet. */
  | { kind: 'progress'; progress: RunProgress }
  /** An OpenLineage DatasetEvent or JobEvent: lineage without a run. */
  | { kind: 'lineage'; lineage: LineageDeclaration }
  /** A person's action on an incident (acknowledge, snooze, ...), applied by the core in order with reports. */
  | { kind: 'command'; command: IncidentCommand }
  /** A symptom another instance traced to a root in a pipeline held here (cross-instance RCA). */
  | { kind: 'symptom'; symptom: SymptomMessage }
  /** A message that carries no report (an OpenLineage OTHER event, a DatasetEvent): skipped, not an error. */
  | { kind: 'ignored'; reason: string }
  | { kind: 'dead'; code: DeadLetterCode; reason: string };

/** Decodes Confluent-framed Avro given a schema id (the registry client); throws on unknown ids. */
export interface AvroDecoder {
  decode(buffer: Buffer): Promise<unknown>;
}

/** Converts an OpenLineage RunEvent into reports (none for events that carry no run outcome), or a run's progress. */
export type OpenLineageConverter = (
  event: Record<string, unknown>,
) =>
  { reports: Report[]; ignored?: string; progress?: RunProgress; lineage?: LineageDeclaration } | { errors: string[] };

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

/**
 * The deepest nesting of arrays and objects a message may have. Far above what a report needs (a schema nested
 * the contract's 64 levels is about 70 deep) and far below what recursive serializers survive: a report nested
 * 100,000 levels (free-form `params`, field metadata) would pass validation and then overflow the stack where
 * it is written back as JSON (state records, Avro).
 */
export const MAX_JSON_DEPTH = 256;

/** A UTF-16 surrogate without its pair: valid in JSON text (`\\ud800`), not encodable in UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether a string has a lone surrogate: `!isWellFormed()` where the runtime has it (native, no regular
 * expression over the kilobytes of every sketch's base64), else the expression.
 */
const hasLoneSurrogate: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (s) => !(s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (s) => LONE_SURROGATE.test(s);

/**
 * What makes a parsed document unusable whatever its shape, found without recursion: nesting deeper than `limit`
 * (arrays and objects), or a string or key with a lone surrogate (it would reach Kafka and InfluxDB as U+FFFD,
 * so a name would silently change). Returns the problem with its JSON path, or undefined.
 */
export function documentProblem(value: unknown, limit = MAX_JSON_DEPTH, strings = true): string | undefined {
  const stack: { v: unknown; depth: number; path: string }[] = [{ v: value, depth: 0, path: '' }];
  const at = (path: string) => (path === '' ? '/' : path.length > 200 ? `${path.slice(0, 200)}...` : path);
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (strings && hasLoneSurrogate(v)) return `${at(path)}: is not valid Unicode (contains a lone surrogate)`;
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > limit) return `${at(path)}: is nested deeper than ${limit} levels (arrays and objects)`;
    if (Array.isArray(v)) v.forEach((x, i) => stack.push({ v: x, depth: depth + 1, path: `${path}/${i}` }));
    else
      for (const k of Object.keys(v)) {
        if (strings && hasLoneSurrogate(k))
          return `${at(path)}: a key is not valid Unicode (contains a lone surrogate)`;
        stack.push({ v: (v as Record<string, unknown>)[k], depth: depth + 1, path: `${path}/${k}` });
      }
  }
  return undefined;
}

/**
 * The nesting is checked before validation (which must not walk 100,000 levels), the strings after it (the
 * contract names its own problems, such as a column name, more precisely).
 */
function depthProblem(value: unknown, strings = false): Decoded | undefined {
  const problem = documentProblem(value, MAX_JSON_DEPTH, strings);
  return problem === undefined ? undefined : { kind: 'dead', code: 'REPORT_INVALID', reason: problem };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The monitor reads tolerantly: keys a newer emitter added to v1 are ignored, not rejected. */
const TOLERANT = { unknownKeys: 'allow' } as const;

/** Transport failures the registry client (mappersmith) reports as a status-400 response without a body. */
const REGISTRY_NETWORK =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|socket hang up|timeout|timed out|fetch failed|network/i;

/**
 * Whose fault a failed Avro decode is. `outage`: the registry could not answer (connection refused, timeout,
 * 5xx, 408, 429, 401/403: the message may be fine, wait for the registry). `unknown-id`: the registry answered
 * that it has no such schema (404, 422, another 4xx about the id). `bad-bytes`: the schema was found and the
 * bytes do not decode with it.
 */
export function registryVerdict(err: unknown): 'outage' | 'unknown-id' | 'bad-bytes' {
  const status =
    typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number'
      ? err.status
      : undefined;
  if (status === undefined) {
    if (isRetriable(err)) return 'outage';
    return /not found|no content with id|40403/i.test(errorMessage(err)) ? 'unknown-id' : 'bad-bytes';
  }
  if (transientStatus(status) || status === 401 || status === 403) return 'outage';
  if (status === 400 && REGISTRY_NETWORK.test(errorMessage(err))) return 'outage';
  return 'unknown-id';
}

/**
 * Turns one Kafka message value (or HTTP body) into a report, or into a dead letter with its reason.
 * Bad input is data and never throws; the one exception is a schema registry that cannot be reached: the
 * message may be valid, so a retriable `SERVICE_UNAVAILABLE` RootlineError is thrown for the caller to wait. A value with magic byte 0 is Confluent-framed Avro; anything else
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
    const id = value.readUInt32BE(1);
    if (!options.avro)
      return [
        {
          kind: 'dead',
          code: 'NO_SCHEMA_REGISTRY',
          reason: `Avro message (schema id ${id}) but no schema registry is configured (schemaRegistry.url)`,
        },
      ];
    // Registry ids are positive 32-bit signed integers: anything else cannot name a schema.
    if (id < 1 || id > 0x7fff_ffff)
      return [{ kind: 'dead', code: 'UNKNOWN_SCHEMA_ID', reason: `schema id ${id} cannot be a registry id` }];
    let record: unknown;
    try {
      record = await options.avro.decode(value);
    } catch (err: unknown) {
      const verdict = registryVerdict(err);
      if (verdict === 'outage')
        throw new RootlineError(
          'SERVICE_UNAVAILABLE',
          `the schema registry could not be asked for schema id ${id}: ${errorMessage(err)}`,
          { retriable: true, cause: err },
        );
      if (verdict === 'unknown-id')
        return [
          {
            kind: 'dead',
            code: 'UNKNOWN_SCHEMA_ID',
            reason: `schema id ${id} is not known to the schema registry: ${errorMessage(err)}`,
          },
        ];
      return [
        {
          kind: 'dead',
          code: 'AVRO_DECODE_FAILED',
          reason: `Avro decoding with schema id ${id} failed: ${errorMessage(err)}`,
        },
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
    const deep = depthProblem(report);
    if (deep) return [deep];
    const v = validateReport(report, TOLERANT);
    if (!v.ok) return [{ kind: 'dead', code: 'REPORT_INVALID', reason: formatIssues(v.errors) }];
    return [depthProblem(v.report, true) ?? { kind: 'report', report: v.report, format: 'avro' }];
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
  const deep = depthProblem(parsed);
  if (deep) return [deep];
  if (isIncidentCommand(parsed)) {
    const c = parseIncidentCommand(parsed);
    return [
      c.ok ? { kind: 'command', command: c.command } : { kind: 'dead', code: 'COMMAND_INVALID', reason: c.error },
    ];
  }
  if (isSymptomMessage(parsed)) {
    const m = parseSymptomMessage(parsed);
    return [
      m.ok ? { kind: 'symptom', symptom: m.message } : { kind: 'dead', code: 'SYMPTOM_INVALID', reason: m.error },
    ];
  }
  if (isOpenLineageEvent(parsed)) {
    if (!options.openLineage)
      return [{ kind: 'dead', code: 'OPENLINEAGE_INVALID', reason: 'OpenLineage events are not accepted here' }];
    const unusable = depthProblem(parsed, true);
    if (unusable) return [unusable];
    const res = options.openLineage(parsed);
    if ('errors' in res) return [{ kind: 'dead', code: 'OPENLINEAGE_INVALID', reason: res.errors.join('; ') }];
    if (res.progress !== undefined) return [{ kind: 'progress', progress: res.progress }];
    if (res.lineage !== undefined) return [{ kind: 'lineage', lineage: res.lineage }];
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
  return [depthProblem(v.report, true) ?? { kind: 'report', report: v.report, format: 'json' }];
}
