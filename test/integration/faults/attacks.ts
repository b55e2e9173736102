/**
 * Fault injection: an evaluation set of hostile inputs and dependency faults for the monitor, written blind
 * (from docs/ and issue 14 only, without reading src/ or the tests), so that it judges the implementation
 * instead of mirroring it.
 *
 * Each {@link Attack} is one message (Kafka) or one request (HTTP) with the outcome the docs promise. Where the
 * docs are silent the outcome is the one a serious data tool must give, and the description says "chosen".
 *
 * How a runner uses it:
 * - Reports topic with ONE partition for the single-message attacks, so that a partition stuck behind an attack
 *   is seen by the next report; the topic's `max.message.bytes` at least {@link SUITE_TOPIC_MAX_MESSAGE_BYTES}
 *   (the over-the-limit attacks must reach the monitor to be dead-lettered); the dead-letter topic with the
 *   broker's default limit (1 MiB), so that dead letters of large messages must be truncated to fit.
 * - The monitor with its defaults (`kafka.maxMessageBytes` 1 MiB, `http.maxBodyBytes` 10 MiB) and
 *   `http.token` = {@link FAULT_HTTP_TOKEN}; a schema registry holding the report schema (its id passed as
 *   {@link BuildContext.reportSchemaId}) and one unrelated schema ({@link BuildContext.otherSchemaId}).
 * - For each attack: send `build(ctx)` on its channel, check `expect`, then send {@link followUps} (good
 *   reports) and check each is processed within seconds, that the monitor did not crash and `/healthz` is 200.
 *   Dead letters carry the headers `rootline-error` (a code), `rootline-error-message` (every problem with its
 *   JSON path) and the source topic, partition and offset (docs/architecture.md).
 * - {@link CHAOS_SCENARIO} describes the dependency faults of the chaos test and the invariants to assert.
 *
 * Sizes: "1 MB" is the monitor's `kafka.maxMessageBytes` default, 1,048,576 bytes of message value.
 *
 * Not expressible as one message, left to the chaos test or a runner with sequences: a report re-sent with
 * the same event_id (counted once), state-key collisions through U+001F across two pipelines (`a\u001fb`/`c`
 * against `a`/`b\u001fc`), two-node upstream cycles, and an OpenLineage FAIL without outputs on Kafka (ignored
 * per docs/emitters.md: neither dead-lettered nor a run; its HTTP variant is here).
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { encodeReportAvro } from '../../../src/contract/index.js';
import { EMPTY_K200, FULL_K200_N10000, FULL_K8_N100, SINGLE_K200 } from './kll-sketches.js';

// ---------------------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------------------

/** Where an attack is delivered: the reports topic, `POST /api/v1/reports`, or `POST /api/v1/lineage`. */
export type Channel = 'kafka' | 'http-report' | 'http-lineage';

/** Values the runner provides at build time (ids assigned by the schema registry). */
export interface BuildContext {
  /** Registry id of the report schema (`dev.rootline.Report`, registered under `<reports topic>-value`). */
  readonly reportSchemaId: number;
  /** Registry id of a registered schema that is not the report's (e.g. the Avro `"string"` schema). */
  readonly otherSchemaId: number;
}

/** The ids {@link Attack.build} uses when called without a context. */
export const DEFAULT_BUILD_CONTEXT: BuildContext = { reportSchemaId: 1, otherSchemaId: 2 };

/**
 * One message or request. Kafka: `key`, `value` (`null` is a tombstone), `headers`. HTTP: `value` is the body,
 * `headers` are merged over the runner's defaults (`content-type: application/json`,
 * `authorization: Bearer <FAULT_HTTP_TOKEN>`), `omitHeaders` removes defaults, `contentEncoding: 'gzip'` means
 * the body is already gzip-compressed and goes with `Content-Encoding: gzip`, `method`/`path` override
 * `POST` and the channel's path.
 */
export interface BuiltMessage {
  readonly key?: string;
  readonly value: Buffer | string | null;
  readonly headers?: Readonly<Record<string, string>>;
  readonly contentEncoding?: 'gzip';
  readonly method?: 'POST' | 'GET';
  readonly path?: string;
  readonly omitHeaders?: readonly string[];
}

/** The message lands in the dead-letter topic with one of `codes` (when given) and a message matching `reasonMatches`. */
export interface DeadLetterExpectation {
  readonly outcome: 'dead-letter';
  /** Acceptable `rootline-error` codes, given only where the docs name the code. */
  readonly codes?: readonly string[];
  /** What `rootline-error-message` must say (e.g. the JSON path of the offending value). */
  readonly reasonMatches?: RegExp;
}

/** A valid (if hostile) message: processed as a run of its node, nothing dead-lettered. */
export interface ProcessedExpectation {
  readonly outcome: 'processed';
}

/** The HTTP answer: one of `status`, a body matching `bodyMatches`. Never a 5xx for a client's mistake. */
export interface HttpExpectation {
  readonly outcome: 'http';
  readonly status: number | readonly number[];
  readonly bodyMatches?: RegExp;
  /** For slow or endless requests: the server closing the connection (no status) is acceptable too. */
  readonly connectionCloseAccepted?: boolean;
  /** The answer (or the close) must come within this time from the first byte sent. */
  readonly withinMs?: number;
}

export type Expectation = DeadLetterExpectation | ProcessedExpectation | HttpExpectation;

/** How the runner sends a request when not all at once (the timing is the runner's). */
export type Delivery =
  | {
      /** Headers at once, then the body `chunkBytes` at a time every `intervalMs`, over `connections` sockets at once. */
      readonly mode: 'slow-body';
      readonly chunkBytes: number;
      readonly intervalMs: number;
      readonly connections: number;
    }
  | {
      /** The request line and headers one byte every `intervalMs` (slowloris), over `connections` sockets. */
      readonly mode: 'slow-headers';
      readonly intervalMs: number;
      readonly connections: number;
    }
  | {
      /** Headers only, with `Content-Length: declaredBytes`, then wait for the answer without sending the body. */
      readonly mode: 'declared-length-only';
      readonly declaredBytes: number;
    }
  | {
      /** The body with `Transfer-Encoding: chunked` (no Content-Length), in chunks of `chunkBytes`. */
      readonly mode: 'chunked';
      readonly chunkBytes: number;
    };

/** Bytes of `build().value` (after gzip when `contentEncoding` is set), and of the decompressed body. */
export interface SizeClaim {
  readonly minBytes?: number;
  readonly maxBytes?: number;
  readonly decompressedMinBytes?: number;
}

/** What an attack needs from the runner beyond a broker and a monitor. */
export type Need = 'schema-registry' | 'raw-socket';

/** One hostile input and what the monitor must do with it. */
export interface Attack {
  /** Unique, kebab-case, stable (a test name). */
  readonly id: string;
  readonly description: string;
  readonly channel: Channel;
  /** Deterministic: the same context gives the same bytes. */
  readonly build: (ctx?: BuildContext) => BuiltMessage;
  readonly expect: Expectation;
  /**
   * The node the attack named, when a later good report of that same node must still be processed (a bad
   * report must not poison the node's state; a hostile but valid name must keep working). See {@link followUps}.
   */
  readonly target?: { readonly pipeline: string; readonly node: string };
  readonly size?: SizeClaim;
  readonly needs?: readonly Need[];
  readonly delivery?: Delivery;
  /**
   * True when the docs do not promise this outcome and it is this suite's choice (the description says why):
   * a failure there is a design question as much as a defect.
   */
  readonly chosen?: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------------------

/** The monitor's `kafka.maxMessageBytes` default: larger reports are dead-lettered `MESSAGE_TOO_LARGE`. */
export const KAFKA_MAX_MESSAGE_BYTES = 1_048_576;
/** The monitor's `http.maxBodyBytes` default. */
export const HTTP_MAX_BODY_BYTES = 10_485_760;
/** `max.message.bytes` the runner gives its reports topic so every Kafka attack reaches the monitor. */
export const SUITE_TOPIC_MAX_MESSAGE_BYTES = 8 * 1_048_576;
/** The bearer token the runner configures as `http.token`. */
export const FAULT_HTTP_TOKEN = 'rootline-fault-suite-token';
/** Pipeline of the attacks that do not attack the pipeline name (all keyed alike: one partition). */
export const FAULT_PIPELINE = 'faults';
/** Pipeline (job namespace) of the OpenLineage attacks. */
export const FAULT_OL_NAMESPACE = 'faults-ol';

/** Reason codes the docs name (docs/architecture.md, docs/sketches.md, docs/configuration.md). */
export const REASON = {
  MALFORMED_JSON: 'MALFORMED_JSON',
  REPORT_INVALID: 'REPORT_INVALID',
  UNKNOWN_SCHEMA_ID: 'UNKNOWN_SCHEMA_ID',
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  SKETCH_INVALID: 'SKETCH_INVALID',
} as const;

const BASE_TIME_MS = Date.UTC(2026, 10, 21, 13, 0, 0);
const ATTACK_TIME = '2026-11-21T12:00:00.000Z';
const OL_PRODUCER = 'https://github.com/rootline/rootline/tree/main/test/integration/faults';
const OL_RUN_EVENT_SCHEMA = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';

// ---------------------------------------------------------------------------------------------------------
// Helpers: determinism, JSON text, reports
// ---------------------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

/** A deterministic RFC 4122 UUID (version 5 layout) from a seed. */
export function uuidFrom(seed: string): string {
  const h = createHash('sha1').update(seed).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** Deterministic pseudo-random bytes (mulberry32). */
export function pseudoRandomBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let a = seed >>> 0;
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return out;
}

/** An object whose keys are own data properties, whatever they are called (`__proto__` included). */
function own(entries: readonly (readonly [string, unknown])[]): Obj {
  return Object.fromEntries<unknown>(entries);
}

/** JSON text of `value` with each `"@@name@@"` string (or `"@@name@@":"@@name@@"` entry) replaced by raw text. */
function jsonWithRaw(value: unknown, raw: Readonly<Record<string, string>>): string {
  let text = JSON.stringify(value);
  for (const [name, replacement] of Object.entries(raw)) {
    const marker = `"@@${name}@@"`;
    const entry = `${marker}:${marker}`;
    const target = text.includes(entry) ? entry : marker;
    if (!text.includes(target)) throw new Error(`marker ${name} not found`);
    text = text.replace(target, () => replacement);
  }
  return text;
}

function columnsOf(report: Obj): Obj {
  const outputs = report.outputs as Obj[];
  return (outputs[0]?.profile as Obj).columns as Obj;
}

function profileOf(report: Obj): Obj {
  return (report.outputs as Obj[])[0]?.profile as Obj;
}

function numericColumn(sketch: Obj | undefined = kll(FULL_K200_N10000.base64)): Obj {
  const column: Obj = { kind: 'numeric', count: 10_000, null_count: 0, min: 0, max: 100, mean: 50 };
  if (sketch) column.sketch = sketch;
  return column;
}

function kll(data: string, k = 200): Obj {
  return { type: 'kll_doubles', k, data };
}

/**
 * A valid `rootline.report/v1` report: one output of 10,000 rows with a numeric column `amount` (a real KLL
 * sketch) and a categorical column `category`. No `schema_fingerprint`: the monitor computes it.
 */
export function validReport(opts: { pipeline: string; node: string; tag: string; eventTime?: string }): Obj {
  return {
    spec: 'rootline.report/v1',
    event_id: uuidFrom(`event:${opts.tag}`),
    pipeline: opts.pipeline,
    node: opts.node,
    run_id: `run-${opts.tag}`,
    event_time: opts.eventTime ?? ATTACK_TIME,
    status: 'success',
    inputs: [{ dataset: `in/${opts.tag}` }],
    outputs: [
      {
        dataset: `out/${opts.tag}`,
        profile: {
          row_count: 10_000,
          schema: [
            { name: 'amount', type: 'double', nullable: true },
            { name: 'category', type: 'string', nullable: true },
          ],
          columns: {
            amount: numericColumn(),
            category: {
              kind: 'categorical',
              count: 10_000,
              null_count: 0,
              distinct_estimate: 2,
              frequent: { a: 6_000, b: 4_000 },
              other_count: 0,
            },
          },
        },
      },
    ],
    code_version: 'git:fau1t00',
    data_version: `data-${opts.tag}`,
    params: { threshold: 0.5 },
  };
}

/**
 * The good report number `seq` of a node: valid, event times one second apart from 2026-11-21T13:00Z (after
 * every attack's), the same datasets on every run (`dataset` overrides them), a unique event_id and run_id.
 */
export function goodReport(pipeline: string, node: string, seq: number, dataset?: string): Obj {
  const id = createHash('sha1').update(`${pipeline}\u0000${node}`).digest('hex').slice(0, 12);
  const r = validReport({
    pipeline,
    node,
    tag: dataset ?? id,
    eventTime: new Date(BASE_TIME_MS + seq * 1000).toISOString(),
  });
  r.event_id = uuidFrom(`good:${id}:${seq}`);
  r.run_id = `run-good-${seq}`;
  return r;
}

/**
 * The good reports the runner sends after an attack, each of which must be processed within seconds:
 * a report of a fresh node of {@link FAULT_PIPELINE} (the partition moved on), then, when the attack has a
 * `target`, a report of that very node writing the attack's datasets (its state was not poisoned; a hostile
 * valid name still works). `seq` must grow from attack to attack (it makes event ids and times unique).
 */
export function followUps(attack: Attack, seq: number): BuiltMessage[] {
  const fresh = goodReport(FAULT_PIPELINE, `after-${attack.id}`, seq);
  const out: BuiltMessage[] = [{ key: FAULT_PIPELINE, value: JSON.stringify(fresh) }];
  if (attack.target) {
    // The attack's own datasets (out/<id>), so a baseline the attack may have poisoned is read again.
    const again = goodReport(attack.target.pipeline, attack.target.node, seq + 1, attack.id);
    out.push({ key: attack.target.pipeline, value: JSON.stringify(again) });
  }
  return out;
}

/** Pads a report with a `params.pad` string so that its JSON text is exactly `bytes` long. */
function padTo(report: Obj, bytes: number): string {
  const params = (report.params ?? {}) as Obj;
  report.params = { ...params, pad: '' };
  const base = Buffer.byteLength(JSON.stringify(report));
  if (base > bytes) throw new Error(`report already ${base} bytes`);
  report.params = { ...params, pad: 'x'.repeat(bytes - base) };
  return JSON.stringify(report);
}

/** Confluent wire format: magic byte 0, 4-byte big-endian schema id, the Avro binary. */
function confluentFrame(schemaId: number, body: Uint8Array): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(0, 0);
  header.writeUInt32BE(schemaId >>> 0, 1);
  return Buffer.concat([header, body]);
}

function avroOf(report: Obj): Buffer {
  return Buffer.from(encodeReportAvro(report as unknown as Parameters<typeof encodeReportAvro>[0]));
}

// ---------------------------------------------------------------------------------------------------------
// Helpers: KLL sketch corruption (layout in docs/sketches.md)
// ---------------------------------------------------------------------------------------------------------

interface KllLayout {
  readonly levels: number;
  readonly levelOffsets: readonly number[];
  readonly itemsStart: number;
  readonly retained: number;
}

function kllLayout(b: Buffer): KllLayout {
  const levels = b.readUInt8(18);
  const levelOffsets = Array.from({ length: levels }, (_, i) => b.readUInt32LE(20 + 4 * i));
  const minAt = 20 + 4 * levels;
  const itemsStart = minAt + 16;
  return { levels, levelOffsets, itemsStart, retained: (b.length - itemsStart) / 8 };
}

/** Base64 of the full k=200 sketch after `mutate` changed its bytes. */
function corruptKll(mutate: (b: Buffer, layout: KllLayout) => Buffer | void): string {
  const bytes = Buffer.from(FULL_K200_N10000.base64, 'base64');
  const result = mutate(bytes, kllLayout(bytes)) ?? bytes;
  return result.toString('base64');
}

/** Swaps the two last items of the top level (sorted in a valid sketch), making it unsorted. */
function unsortTopLevel(b: Buffer, l: KllLayout): void {
  const last = b.length - 8;
  const before = last - 8;
  const topStart = l.itemsStart + 8 * ((l.levelOffsets[l.levels - 1] ?? 0) - (l.levelOffsets[0] ?? 0));
  if (before < topStart) throw new Error('top level holds fewer than 2 items');
  const x = b.readDoubleLE(last);
  const y = b.readDoubleLE(before);
  if (x === y) throw new Error('top level ends with equal items');
  b.writeDoubleLE(y, last);
  b.writeDoubleLE(x, before);
}

// ---------------------------------------------------------------------------------------------------------
// Helpers: OpenLineage RunEvents
// ---------------------------------------------------------------------------------------------------------

function olFacet(schema: string, fields: Obj): Obj {
  return { _producer: OL_PRODUCER, _schemaURL: `https://openlineage.io/spec/facets/${schema}`, ...fields };
}

/** A valid OpenLineage COMPLETE RunEvent with one output that has a row count and a schema facet. */
export function validRunEvent(opts: { name: string; tag: string; namespace?: string }): Obj {
  return {
    eventType: 'COMPLETE',
    eventTime: ATTACK_TIME,
    producer: OL_PRODUCER,
    schemaURL: OL_RUN_EVENT_SCHEMA,
    run: { runId: uuidFrom(`ol-run:${opts.tag}`), facets: {} },
    job: { namespace: opts.namespace ?? FAULT_OL_NAMESPACE, name: opts.name, facets: {} },
    inputs: [{ namespace: 'lake', name: `in.${opts.tag}`, facets: {} }],
    outputs: [
      {
        namespace: 'lake',
        name: `out.${opts.tag}`,
        facets: {
          schema: olFacet('1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet', {
            fields: [
              { name: 'amount', type: 'double' },
              { name: 'category', type: 'varchar(20)' },
            ],
          }),
        },
        outputFacets: {
          outputStatistics: olFacet(
            '1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet',
            { rowCount: 1_000 },
          ),
        },
      },
    ],
  };
}

function olInputs(count: number, distinct: boolean): Obj[] {
  return Array.from({ length: count }, (_, i) => ({ namespace: 'n', name: distinct ? i.toString(36) : 'same' }));
}

// ---------------------------------------------------------------------------------------------------------
// Expectations
// ---------------------------------------------------------------------------------------------------------

const PROCESSED: ProcessedExpectation = { outcome: 'processed' };

function deadLetter(codes?: readonly string[], reasonMatches?: RegExp): DeadLetterExpectation {
  return {
    outcome: 'dead-letter',
    ...(codes ? { codes } : {}),
    ...(reasonMatches ? { reasonMatches } : {}),
  };
}

const INVALID = (pathMatches?: RegExp): DeadLetterExpectation => deadLetter([REASON.REPORT_INVALID], pathMatches);
const MALFORMED: DeadLetterExpectation = deadLetter([REASON.MALFORMED_JSON]);
const TOO_LARGE: DeadLetterExpectation = deadLetter([REASON.MESSAGE_TOO_LARGE]);
const BAD_SKETCH: DeadLetterExpectation = deadLetter([REASON.SKETCH_INVALID, REASON.REPORT_INVALID], /sketch/);
const BAD_UTF8: DeadLetterExpectation = deadLetter(undefined, /utf-?8/i);

function http(status: number | readonly number[], bodyMatches?: RegExp): HttpExpectation {
  return { outcome: 'http', status, ...(bodyMatches ? { bodyMatches } : {}) };
}

const ACCEPTED_ONE = http(202, /"accepted"\s*:\s*1\b/);

// ---------------------------------------------------------------------------------------------------------
// Attack builders
// ---------------------------------------------------------------------------------------------------------

/** A Kafka attack whose value is a report built for node `id` of {@link FAULT_PIPELINE}, changed by `mutate`. */
function reportAttack(
  id: string,
  description: string,
  expect: Expectation,
  mutate: (r: Obj) => void,
  opts: { target?: boolean; size?: SizeClaim } = {},
): Attack {
  return {
    id,
    description,
    channel: 'kafka',
    build: () => {
      const r = validReport({ pipeline: FAULT_PIPELINE, node: id, tag: id });
      mutate(r);
      return { key: FAULT_PIPELINE, value: JSON.stringify(r) };
    },
    expect,
    ...(opts.target === false ? {} : { target: { pipeline: FAULT_PIPELINE, node: id } }),
    ...(opts.size ? { size: opts.size } : {}),
  };
}

/** A Kafka attack with a raw value (text or bytes). */
function rawAttack(
  id: string,
  description: string,
  expect: Expectation,
  value: () => Buffer | string | null,
  opts: { key?: string; size?: SizeClaim; needs?: readonly Need[]; target?: boolean } = {},
): Attack {
  return {
    id,
    description,
    channel: 'kafka',
    build: () => ({ key: opts.key ?? FAULT_PIPELINE, value: value() }),
    expect,
    ...(opts.target ? { target: { pipeline: FAULT_PIPELINE, node: id } } : {}),
    ...(opts.size ? { size: opts.size } : {}),
    ...(opts.needs ? { needs: opts.needs } : {}),
  };
}

/** The JSON text of the valid report of node `id`, handed to `f` to make raw text from. */
function reportText(id: string, f: (r: Obj) => string): () => string {
  return () => f(validReport({ pipeline: FAULT_PIPELINE, node: id, tag: id }));
}

// --- Bytes, shapes and JSON syntax ------------------------------------------------------------------------

function bytesAndShapes(): Attack[] {
  const valid = (id: string): string => JSON.stringify(validReport({ pipeline: FAULT_PIPELINE, node: id, tag: id }));
  return [
    rawAttack(
      'random-bytes',
      '4 KiB of pseudo-random bytes not starting with 0 (not Avro-framed): not UTF-8 JSON. Dead-lettered, docs name no code for it.',
      deadLetter(),
      () => {
        const b = pseudoRandomBytes(4096, 1);
        b[0] = 0x9c;
        return b;
      },
      { size: { minBytes: 4096, maxBytes: 4096 } },
    ),
    rawAttack(
      'random-bytes-magic-zero',
      'Pseudo-random bytes whose first byte is 0: read as a Confluent frame with a random schema id. Dead-lettered (unknown schema id, or an Avro decode failure).',
      deadLetter(),
      () => {
        const b = pseudoRandomBytes(4096, 2);
        b[0] = 0;
        b.writeUInt32BE(0x7a3b2c1d, 1);
        return b;
      },
      { needs: ['schema-registry'] },
    ),
    rawAttack('random-ascii', 'Printable pseudo-random ASCII: UTF-8 but not JSON.', MALFORMED, () =>
      Buffer.from(pseudoRandomBytes(2048, 3).map((x) => 0x21 + (x % 94))),
    ),
    rawAttack(
      'empty-value',
      'A zero-byte value: no JSON document. Dead-lettered (chosen: docs silent on the code; MALFORMED_JSON natural).',
      deadLetter(),
      () => Buffer.alloc(0),
    ),
    rawAttack(
      'tombstone',
      'A null value (a tombstone) on the reports topic, which is not compacted: not a report. Chosen: dead-lettered with a reason, never a crash or a silent stall.',
      deadLetter(),
      () => null,
    ),
    rawAttack('whitespace-only', 'Only spaces and newlines: no JSON document.', deadLetter(), () => ' \n\t\r\n  '),
    rawAttack(
      'json-empty-array',
      'The JSON `[]`: a wrong shape (a Kafka message carries one report).',
      deadLetter(),
      () => '[]',
    ),
    rawAttack('json-array-of-numbers', 'The JSON `[1,2,3]`: a wrong shape.', deadLetter(), () => '[1,2,3]'),
    rawAttack('json-string', 'A JSON string: a wrong shape.', deadLetter(), () => '"rootline.report/v1"'),
    rawAttack('json-number', 'A JSON number: a wrong shape.', deadLetter(), () => '42'),
    rawAttack('json-null', 'The JSON text `null` (not a tombstone): a wrong shape.', deadLetter(), () => 'null'),
    rawAttack('json-true', 'The JSON `true`: a wrong shape.', deadLetter(), () => 'true'),
    rawAttack(
      'json-empty-object',
      '`{}`: every required field missing.',
      INVALID(/spec|event_id|pipeline/),
      () => '{}',
    ),
    rawAttack(
      'json-spec-only',
      'Only `spec`: the other required fields missing.',
      INVALID(),
      () => '{"spec":"rootline.report/v1"}',
    ),
    rawAttack(
      'json-nan-literal',
      '`"min": NaN`: NaN is not JSON.',
      MALFORMED,
      reportText('json-nan-literal', (r) => {
        const t = JSON.stringify(r);
        return t.replace('"min":0', '"min":NaN');
      }),
    ),
    rawAttack(
      'json-infinity-literal',
      '`"max": Infinity`: not JSON.',
      MALFORMED,
      reportText('json-infinity-literal', (r) => JSON.stringify(r).replace('"max":100', '"max":Infinity')),
    ),
    rawAttack(
      'json-trailing-comma',
      'A trailing comma in an object: not JSON.',
      MALFORMED,
      reportText('json-trailing-comma', (r) => JSON.stringify(r).replace(/}$/, ',}')),
    ),
    rawAttack(
      'json-comment',
      'A `//` comment before the document: not JSON.',
      MALFORMED,
      reportText('json-comment', (r) => `// a report\n${JSON.stringify(r)}`),
    ),
    rawAttack(
      'json-single-quotes',
      'Single-quoted strings: not JSON.',
      MALFORMED,
      () => "{'spec':'rootline.report/v1'}",
    ),
    rawAttack(
      'json-trailing-garbage',
      'A valid report followed by `xyz`: not one JSON document.',
      MALFORMED,
      reportText('json-trailing-garbage', (r) => `${JSON.stringify(r)}xyz`),
    ),
    rawAttack(
      'json-two-documents',
      'Two valid reports on two lines (JSON Lines) in one message: not one JSON document.',
      MALFORMED,
      () => `${valid('json-two-documents-a')}\n${valid('json-two-documents-b')}`,
    ),
    rawAttack(
      'json-truncated',
      'A valid report cut in the middle.',
      MALFORMED,
      reportText('json-truncated', (r) => {
        const t = JSON.stringify(r);
        return t.slice(0, Math.floor(t.length / 2));
      }),
    ),
    rawAttack(
      'json-surrounding-whitespace',
      'A valid report with leading and trailing whitespace: still one JSON document.',
      PROCESSED,
      () => `\n\t  ${valid('json-surrounding-whitespace')}  \r\n`,
      { target: true },
    ),
  ];
}

// --- Deep nesting -----------------------------------------------------------------------------------------

function nesting(): Attack[] {
  const depth = 100_000;
  const deepArray = (): string => '['.repeat(depth) + ']'.repeat(depth);
  const deepObject = (): string => '{"a":'.repeat(depth) + '0' + '}'.repeat(depth);
  return [
    rawAttack(
      'deep-array-100k',
      'A top-level array nested 100,000 levels (200 KB): valid JSON of the wrong shape; must not overflow any recursive parser or validator.',
      deadLetter(),
      deepArray,
      { size: { minBytes: 200_000, maxBytes: 200_000 } },
    ),
    rawAttack(
      'deep-object-100k',
      'A top-level object nested 100,000 levels (`{"a":{"a":...0}}`, 600 KB).',
      deadLetter(),
      deepObject,
    ),
    rawAttack(
      'deep-array-unterminated',
      '100,000 `[` and nothing else: malformed JSON that a recursive parser walks 100,000 levels into.',
      MALFORMED,
      () => '['.repeat(depth),
    ),
    rawAttack(
      'deep-params-100k',
      'A report whose `params` value is nested 100,000 levels (600 KB). `params` is free-form JSON, but nothing can serialize it back recursively (Avro encodes params values as JSON, state records too). Chosen: dead-lettered with a nesting-depth reason, as JSON parsers with depth limits (Jackson, serde_json) do; never a stack overflow.',
      deadLetter(),
      reportText('deep-params-100k', (r) => {
        r.params = { deep: '@@deep@@' };
        return jsonWithRaw(r, { deep: deepObject() });
      }),
      { target: true },
    ),
    rawAttack(
      'deep-field-metadata-100k',
      'A schema field whose extra key `metadata` (allowed, carried through Avro as JSON) is nested 100,000 levels deep. Chosen: dead-lettered (as deep-params-100k).',
      deadLetter(),
      reportText('deep-field-metadata-100k', (r) => {
        const schema = profileOf(r).schema as Obj[];
        (schema[0] as Obj).metadata = '@@deep@@';
        return jsonWithRaw(r, { deep: deepArray() });
      }),
      { target: true },
    ),
    reportAttack(
      'schema-depth-64',
      'A schema field nested exactly 64 levels (a top-level array field with 63 levels of `items`): the deepest the contract allows (MAX_SCHEMA_DEPTH). Processed.',
      PROCESSED,
      (r) => {
        let t: Obj = { type: 'double' };
        for (let i = 0; i < 63; i++) t = { type: 'array', items: t };
        (profileOf(r).schema as Obj[]).push({ name: 'deep', ...t });
      },
    ),
    reportAttack(
      'schema-depth-65',
      'A schema field nested 65 levels: one more than MAX_SCHEMA_DEPTH. REPORT_INVALID (docs/contract.md).',
      INVALID(/schema/),
      (r) => {
        let t: Obj = { type: 'double' };
        for (let i = 0; i < 64; i++) t = { type: 'array', items: t };
        (profileOf(r).schema as Obj[]).push({ name: 'deep', ...t });
      },
    ),
    rawAttack(
      'schema-depth-20000',
      'A schema field nested 20,000 levels of `items` (within 1 MB): "reported as an error, not a crash" (docs/contract.md). REPORT_INVALID naming the nesting.',
      INVALID(/nest|depth|deep/i),
      reportText('schema-depth-20000', (r) => {
        (profileOf(r).schema as Obj[]).push({ name: 'deep', type: 'array', items: '@@deep@@' });
        const open = '{"type":"array","items":'.repeat(20_000);
        return jsonWithRaw(r, { deep: `${open}{"type":"double"}${'}'.repeat(20_000)}` });
      }),
      { target: true, size: { maxBytes: KAFKA_MAX_MESSAGE_BYTES } },
    ),
  ];
}

// --- Encodings: UTF-8, BOM, duplicate keys ------------------------------------------------------------------

function encodings(): Attack[] {
  const withBytes = (id: string, marker: string, bytes: readonly number[]): (() => Buffer) => {
    return () => {
      const text = JSON.stringify(validReport({ pipeline: FAULT_PIPELINE, node: id, tag: id }));
      const [before, after] = text.split(marker, 2) as [string, string];
      return Buffer.concat([
        Buffer.from(before + marker.slice(0, 2)),
        Buffer.from(bytes),
        Buffer.from(marker.slice(2) + after),
      ]);
    };
  };
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  return [
    rawAttack(
      'utf8-invalid-byte',
      'A byte 0xFF inside the `code_version` string: not UTF-8 ("is not valid UTF-8", docs/contract.md).',
      BAD_UTF8,
      withBytes('utf8-invalid-byte', '"git:fau1t00"', [0xff]),
      { target: true },
    ),
    rawAttack(
      'utf8-overlong',
      'The overlong encoding C0 AF of `/` inside a string: not UTF-8.',
      BAD_UTF8,
      withBytes('utf8-overlong', '"git:fau1t00"', [0xc0, 0xaf]),
      { target: true },
    ),
    rawAttack(
      'utf8-encoded-surrogate',
      'ED A0 80 (a UTF-16 surrogate encoded as UTF-8, CESU-8 style) inside a string: not UTF-8 (RFC 3629).',
      BAD_UTF8,
      withBytes('utf8-encoded-surrogate', '"git:fau1t00"', [0xed, 0xa0, 0x80]),
      { target: true },
    ),
    rawAttack(
      'utf8-truncated-sequence',
      'The first two bytes of a 3-byte sequence (E2 82) followed by ASCII inside a string.',
      BAD_UTF8,
      withBytes('utf8-truncated-sequence', '"git:fau1t00"', [0xe2, 0x82]),
      { target: true },
    ),
    rawAttack('utf8-node-name-latin1', 'The node name `café` in Latin-1 (E9): not UTF-8.', BAD_UTF8, () => {
      const text = JSON.stringify(
        validReport({ pipeline: FAULT_PIPELINE, node: 'caf@', tag: 'utf8-node-name-latin1' }),
      );
      const at = text.indexOf('caf@');
      return Buffer.concat([Buffer.from(text.slice(0, at + 3)), Buffer.from([0xe9]), Buffer.from(text.slice(at + 4))]);
    }),
    rawAttack(
      'bom-utf8',
      'A UTF-8 byte order mark before a valid report: "a leading byte order mark is ignored" (docs/contract.md). Processed.',
      PROCESSED,
      () =>
        Buffer.concat([
          bom,
          Buffer.from(JSON.stringify(validReport({ pipeline: FAULT_PIPELINE, node: 'bom-utf8', tag: 'bom-utf8' }))),
        ]),
      { target: true },
    ),
    rawAttack(
      'bom-twice',
      'Two UTF-8 byte order marks: only one leading BOM is ignored; the second is U+FEFF, not JSON whitespace.',
      MALFORMED,
      () =>
        Buffer.concat([
          bom,
          bom,
          Buffer.from(JSON.stringify(validReport({ pipeline: FAULT_PIPELINE, node: 'bom-twice', tag: 'bom-twice' }))),
        ]),
      { target: true },
    ),
    rawAttack(
      'bom-utf16le',
      'A valid report encoded as UTF-16LE with its BOM (FF FE): not UTF-8.',
      deadLetter(),
      () =>
        Buffer.concat([
          Buffer.from([0xff, 0xfe]),
          Buffer.from(
            JSON.stringify(validReport({ pipeline: FAULT_PIPELINE, node: 'bom-utf16le', tag: 'bom-utf16le' })),
            'utf16le',
          ),
        ]),
      { target: true },
    ),
    rawAttack(
      'duplicate-key-last-valid',
      '`"row_count": -1, "row_count": 10000`: "when an object repeats a key the last value wins" (docs/contract.md), and the last is valid. Processed.',
      PROCESSED,
      reportText('duplicate-key-last-valid', (r) => {
        delete profileOf(r).row_count;
        profileOf(r).dup = '@@dup@@';
        return jsonWithRaw(r, { dup: '"row_count":-1,"row_count":10000' }).replace('"dup":', '');
      }),
      { target: true },
    ),
    rawAttack(
      'duplicate-key-last-invalid',
      '`"row_count": 10000, "row_count": -1`: the last value wins and is invalid. REPORT_INVALID at row_count.',
      INVALID(/row_count/),
      reportText('duplicate-key-last-invalid', (r) => {
        delete profileOf(r).row_count;
        profileOf(r).dup = '@@dup@@';
        return jsonWithRaw(r, { dup: '"row_count":10000,"row_count":-1' }).replace('"dup":', '');
      }),
      { target: true },
    ),
    rawAttack(
      'duplicate-key-node',
      '`"node"` given twice: the report is about the second node (`duplicate-key-node`). Processed.',
      PROCESSED,
      reportText('duplicate-key-node', (r) => {
        delete r.node;
        r.dup = '@@dup@@';
        return jsonWithRaw(r, { dup: '"node":"duplicate-key-node-first","node":"duplicate-key-node"' }).replace(
          '"dup":',
          '',
        );
      }),
      { target: true },
    ),
    rawAttack(
      'duplicate-key-proto-column',
      'A column `__proto__` given twice in `columns` (JSON.parse makes it an own property; the last wins). Processed, without touching Object.prototype.',
      PROCESSED,
      reportText('duplicate-key-proto-column', (r) => {
        (profileOf(r).schema as Obj[]).push({ name: '__proto__', type: 'double' });
        columnsOf(r).dup = '@@dup@@';
        const col = JSON.stringify(numericColumn());
        return jsonWithRaw(r, { dup: `"__proto__":${col},"__proto__":${col}` }).replace('"dup":', '');
      }),
      { target: true },
    ),
  ];
}

// --- Numbers --------------------------------------------------------------------------------------------------

function numbers(): Attack[] {
  const col = (r: Obj): Obj => columnsOf(r).amount as Obj;
  const cat = (r: Obj): Obj => columnsOf(r).category as Obj;
  const rawNumber = (
    id: string,
    description: string,
    expect: Expectation,
    set: (r: Obj) => void,
    raw: string,
  ): Attack =>
    rawAttack(
      id,
      description,
      expect,
      reportText(id, (r) => {
        set(r);
        return jsonWithRaw(r, { n: raw });
      }),
      { target: true },
    );
  return [
    rawNumber(
      'row-count-1e400',
      '`row_count: 1e400`: parses to Infinity, not an integer of at most 2^53 - 1. REPORT_INVALID.',
      INVALID(/row_count/),
      (r) => (profileOf(r).row_count = '@@n@@'),
      '1e400',
    ),
    rawNumber(
      'min-1e400',
      '`min: 1e400` (Infinity after parsing). JSON has no infinity and the profile docs write non-finite min/max as null; InfluxDB cannot store it. Chosen: REPORT_INVALID (or MALFORMED_JSON for a parser that refuses out-of-range numbers).',
      deadLetter([REASON.REPORT_INVALID, REASON.MALFORMED_JSON]),
      (r) => (col(r).min = '@@n@@'),
      '1e400',
    ),
    rawNumber(
      'mean-minus-1e400',
      '`mean: -1e400` (-Infinity). Chosen as min-1e400.',
      deadLetter([REASON.REPORT_INVALID, REASON.MALFORMED_JSON]),
      (r) => (col(r).mean = '@@n@@'),
      '-1e400',
    ),
    rawNumber(
      'min-1e-400',
      '`min: 1e-400`: underflows to 0, a valid number. Processed.',
      PROCESSED,
      (r) => (col(r).min = '@@n@@'),
      '1e-400',
    ),
    rawNumber(
      'row-count-minus-zero',
      '`row_count: -0`: an integer >= 0 (-0 >= 0). Processed; must not appear as "-0" anywhere it matters.',
      PROCESSED,
      (r) => {
        profileOf(r).row_count = '@@n@@';
        Object.assign(col(r), { count: 0, null_count: 0, min: null, max: null, mean: null });
        delete col(r).sketch;
        cat(r).count = 0;
        cat(r).frequent = {};
        cat(r).distinct_estimate = 0;
      },
      '-0',
    ),
    rawNumber(
      'row-count-2p53',
      "`row_count: 9007199254740992` (2^53): above the contract's 2^53 - 1. REPORT_INVALID.",
      INVALID(/row_count/),
      (r) => (profileOf(r).row_count = '@@n@@'),
      '9007199254740992',
    ),
    rawNumber(
      'row-count-2p53-plus-1',
      '`row_count: 9007199254740993`: parses to 2^53 (not representable), above the limit. REPORT_INVALID.',
      INVALID(/row_count/),
      (r) => (profileOf(r).row_count = '@@n@@'),
      '9007199254740993',
    ),
    rawNumber(
      'count-2p64',
      '`count: 18446744073709551616` (2^64) with `row_count` 2^53 - 1: count above row_count. REPORT_INVALID.',
      INVALID(/count/),
      (r) => {
        profileOf(r).row_count = 9007199254740991;
        col(r).count = '@@n@@';
      },
      '18446744073709551616',
    ),
    reportAttack(
      'row-count-max-safe',
      '`row_count`, `count` and `null_count` all 2^53 - 1 (the largest allowed; null ratio 1). Processed.',
      PROCESSED,
      (r) => {
        const max = Number.MAX_SAFE_INTEGER;
        profileOf(r).row_count = max;
        Object.assign(col(r), { count: max, null_count: max, min: null, max: null, mean: null });
        delete col(r).sketch;
        Object.assign(cat(r), { count: max, null_count: max, frequent: {}, other_count: 0, distinct_estimate: 0 });
      },
    ),
    rawNumber(
      'count-exponent-integer',
      '`count: 1.0e4`: an integer written with a fraction and an exponent (10,000). Processed.',
      PROCESSED,
      (r) => (col(r).count = '@@n@@'),
      '1.0e4',
    ),
    rawNumber(
      'params-1e400',
      '`params: {"big": 1e400}`: params are free-form JSON and 1e400 is a JSON number. Chosen: processed (the value may be stored as null, as JSON.stringify does).',
      PROCESSED,
      (r) => (r.params = { big: '@@n@@' }),
      '1e400',
    ),
    rawNumber(
      'params-huge-int',
      '`params: {"id": 123456789012345678901234567890}`: an integer beyond every integer type. Processed.',
      PROCESSED,
      (r) => (r.params = { id: '@@n@@' }),
      '123456789012345678901234567890',
    ),
    reportAttack(
      'frequent-1e20',
      '`frequent: {"a": 1e20}`: an integer beyond 2^53 - 1 (not exact as a JSON number) and beyond Avro\'s long. docs/contract.md bounds only row_count explicitly; chosen: REPORT_INVALID at the value, as the contract\'s JSON Schema bounds every count at 2^53 - 1.',
      INVALID(/frequent/),
      (r) => (cat(r).frequent = { a: 1e20, b: 4000 }),
    ),
    reportAttack(
      'distinct-estimate-1e308',
      '`distinct_estimate: 1e308`: a number >= 0. Processed.',
      PROCESSED,
      (r) => (cat(r).distinct_estimate = 1e308),
    ),
    reportAttack(
      'distinct-estimate-fractional',
      '`distinct_estimate: 2.5`: fractional is allowed (HLL estimates). Processed.',
      PROCESSED,
      (r) => (cat(r).distinct_estimate = 2.5),
    ),
    reportAttack(
      'sample-extremes',
      'A numeric column with `sample: [1.7976931348623157e308, -1.7976931348623157e308, 5e-324]` instead of a sketch (a naive mean overflows to Infinity or NaN). Processed.',
      PROCESSED,
      (r) => {
        delete col(r).sketch;
        Object.assign(col(r), { count: 3, null_count: 0, min: -Number.MAX_VALUE, max: Number.MAX_VALUE, mean: 0 });
        col(r).sample = [Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE];
      },
    ),
    reportAttack('count-negative', '`count: -1`. REPORT_INVALID.', INVALID(/count/), (r) => (col(r).count = -1)),
    reportAttack(
      'null-count-fractional',
      '`null_count: 0.5`. REPORT_INVALID.',
      INVALID(/null_count/),
      (r) => (col(r).null_count = 0.5),
    ),
    reportAttack(
      'row-count-fractional',
      '`row_count: 1.5`. REPORT_INVALID.',
      INVALID(/row_count/),
      (r) => (profileOf(r).row_count = 1.5),
    ),
    reportAttack(
      'row-count-negative',
      '`row_count: -1`. REPORT_INVALID.',
      INVALID(/row_count/),
      (r) => (profileOf(r).row_count = -1),
    ),
    reportAttack(
      'row-count-string',
      '`row_count: "10000"`. REPORT_INVALID.',
      INVALID(/row_count/),
      (r) => (profileOf(r).row_count = '10000'),
    ),
    reportAttack(
      'frequent-negative',
      '`frequent: {"a": -1}`. REPORT_INVALID.',
      INVALID(/frequent/),
      (r) => (cat(r).frequent = { a: -1 }),
    ),
    reportAttack(
      'frequent-fractional',
      '`frequent: {"a": 0.5}`. REPORT_INVALID.',
      INVALID(/frequent/),
      (r) => (cat(r).frequent = { a: 0.5 }),
    ),
    reportAttack(
      'other-count-negative',
      '`other_count: -5`. REPORT_INVALID.',
      INVALID(/other_count/),
      (r) => (cat(r).other_count = -5),
    ),
    reportAttack(
      'distinct-estimate-negative',
      '`distinct_estimate: -0.5`. REPORT_INVALID.',
      INVALID(/distinct_estimate/),
      (r) => (cat(r).distinct_estimate = -0.5),
    ),
    reportAttack(
      'null-count-above-count',
      '`null_count` 12,000 > `count` 10,000. REPORT_INVALID at null_count (docs/contract.md example).',
      INVALID(/null_count/),
      (r) => (col(r).null_count = 12_000),
    ),
    reportAttack(
      'count-above-row-count',
      '`count` 10,001 > `row_count` 10,000. REPORT_INVALID at count.',
      INVALID(/count/),
      (r) => (col(r).count = 10_001),
    ),
    reportAttack('min-above-max', '`min` 100 > `max` 0. REPORT_INVALID at min.', INVALID(/min/), (r) =>
      Object.assign(col(r), { min: 100, max: 0 }),
    ),
    reportAttack(
      'frequent-sum-above-count',
      '`frequent` summing to 1,000,000 with `count` 10,000: "not checked" (docs/contract.md). Processed; no ratio above 1 may break the chi-squared test or the dashboards.',
      PROCESSED,
      (r) => (cat(r).frequent = { a: 600_000, b: 400_000 }),
    ),
    reportAttack(
      'count-zero',
      '`count: 0`, `null_count: 0` for both columns (null ratio 0/0) and no sketch: valid. Processed; the null ratio must not be written as NaN (docs/influxdb.md: unknown fields are left out).',
      PROCESSED,
      (r) => {
        Object.assign(col(r), { count: 0, null_count: 0, min: null, max: null, mean: null });
        delete col(r).sketch;
        Object.assign(cat(r), { count: 0, null_count: 0, frequent: {}, other_count: 0, distinct_estimate: 0 });
      },
    ),
    reportAttack(
      'row-count-zero',
      '`row_count: 0` with columns of count 0: an empty output. Processed (relative deviation from or to 0 must not divide by zero into NaN).',
      PROCESSED,
      (r) => {
        profileOf(r).row_count = 0;
        Object.assign(col(r), { count: 0, null_count: 0, min: null, max: null, mean: null });
        delete col(r).sketch;
        Object.assign(cat(r), { count: 0, null_count: 0, frequent: {}, other_count: 0, distinct_estimate: 0 });
      },
    ),
    reportAttack(
      'sample-too-long',
      'A `sample` of 10,001 numbers (the contract allows at most 10,000). REPORT_INVALID.',
      INVALID(/sample/),
      (r) => {
        delete col(r).sketch;
        col(r).sample = Array.from({ length: 10_001 }, (_, i) => i % 100);
      },
    ),
    reportAttack(
      'sketch-and-sample',
      'Both `sketch` and `sample` on one column. REPORT_INVALID at sample.',
      INVALID(/sample/),
      (r) => (col(r).sample = [1, 2, 3]),
    ),
  ];
}

// --- KLL sketches ---------------------------------------------------------------------------------------------

function sketches(): Attack[] {
  const withSketch = (id: string, description: string, expect: Expectation, data: () => string, k = 200): Attack =>
    reportAttack(id, description, expect, (r) => ((columnsOf(r).amount as Obj).sketch = kll(data(), k)));
  return [
    withSketch(
      'sketch-garbage-bytes',
      'Canonical base64 of 512 pseudo-random bytes: passes the base64 check, is no KLL sketch. SKETCH_INVALID or REPORT_INVALID at the sketch (issue 14: checked at validation, never a throw in the core, never stored in state).',
      BAD_SKETCH,
      () => pseudoRandomBytes(512, 4).toString('base64'),
    ),
    withSketch(
      'sketch-empty-data',
      '`data: ""`: canonical base64 of zero bytes, fewer than the 8 bytes of any sketch.',
      BAD_SKETCH,
      () => '',
    ),
    withSketch(
      'sketch-base64-not-canonical',
      'The real sketch base64 with a line break inside: not canonical base64 (docs/contract.md). REPORT_INVALID at sketch/data.',
      INVALID(/sketch/),
      () => `${FULL_K200_N10000.base64.slice(0, 76)}\n${FULL_K200_N10000.base64.slice(76)}`,
    ),
    withSketch(
      'sketch-base64-url-alphabet',
      'The real sketch in the URL-safe alphabet without padding: not the standard alphabet. REPORT_INVALID.',
      INVALID(/sketch/),
      () => Buffer.from(FULL_K200_N10000.base64, 'base64').toString('base64url') + '-_',
    ),
    withSketch(
      'sketch-family-flipped',
      'A real DataSketches KLL sketch with the family byte (offset 2) 15 -> 14 (a different family).',
      BAD_SKETCH,
      () => corruptKll((b) => void b.writeUInt8(14, 2)),
    ),
    withSketch('sketch-family-inverted', 'The family byte bit-inverted (15 -> 240).', BAD_SKETCH, () =>
      corruptKll((b) => void b.writeUInt8(0xf0, 2)),
    ),
    withSketch('sketch-serial-version-3', 'Serial version (offset 1) 1 -> 3.', BAD_SKETCH, () =>
      corruptKll((b) => void b.writeUInt8(3, 1)),
    ),
    withSketch('sketch-serial-version-0', 'Serial version 0.', BAD_SKETCH, () =>
      corruptKll((b) => void b.writeUInt8(0, 1)),
    ),
    withSketch(
      'sketch-serial-version-single',
      'Serial version 2 (the single-item form) on a full sketch of 10,000 items.',
      BAD_SKETCH,
      () => corruptKll((b) => void b.writeUInt8(2, 1)),
    ),
    withSketch('sketch-k-7', 'k (offset 4, uint16) 200 -> 7: below the minimum 8.', BAD_SKETCH, () =>
      corruptKll((b) => void b.writeUInt16LE(7, 4)),
    ),
    withSketch('sketch-k-0', 'k = 0 (a division by zero in capacity computations).', BAD_SKETCH, () =>
      corruptKll((b) => void b.writeUInt16LE(0, 4)),
    ),
    withSketch(
      'sketch-k-65535',
      'k = 65535: level capacities no longer match the buffer (the size must match exactly).',
      BAD_SKETCH,
      () => corruptKll((b) => void b.writeUInt16LE(0xffff, 4)),
    ),
    withSketch(
      'sketch-k-byte-swapped',
      'k bytes swapped (0x00C8 -> 0xC800 = 51200): an endianness mistake.',
      BAD_SKETCH,
      () => corruptKll((b) => void b.writeUInt16BE(200, 4)),
    ),
    withSketch('sketch-m-4', 'm (offset 6) 8 -> 4.', BAD_SKETCH, () => corruptKll((b) => void b.writeUInt8(4, 6))),
    withSketch(
      'sketch-preamble-2',
      'Preamble ints (offset 0) 5 -> 2 on a full sketch: does not match the flags.',
      BAD_SKETCH,
      () => corruptKll((b) => void b.writeUInt8(2, 0)),
    ),
    withSketch('sketch-flag-empty', 'The "empty" flag bit set on a full sketch of 10,000 items.', BAD_SKETCH, () =>
      corruptKll((b) => void b.writeUInt8(b.readUInt8(3) | 1, 3)),
    ),
    withSketch(
      'sketch-n-plus-one',
      'n (offset 8, uint64) 10,000 -> 10,001: level weights no longer add up to n.',
      BAD_SKETCH,
      () => corruptKll((b) => void b.writeBigUInt64LE(10_001n, 8)),
    ),
    withSketch(
      'sketch-n-max',
      'n = 2^64 - 1 (an unsigned value that does not fit a double or a signed long).',
      BAD_SKETCH,
      () => corruptKll((b) => void b.writeBigUInt64LE(0xffff_ffff_ffff_ffffn, 8)),
    ),
    withSketch('sketch-min-k-above-k', 'min k (offset 16) 300 > k 200.', BAD_SKETCH, () =>
      corruptKll((b) => void b.writeUInt16LE(300, 16)),
    ),
    withSketch('sketch-levels-0', 'Number of levels (offset 18) = 0.', BAD_SKETCH, () =>
      corruptKll((b) => void b.writeUInt8(0, 18)),
    ),
    withSketch(
      'sketch-levels-255',
      'Number of levels = 255 (more than 61; the level array would run past the buffer).',
      BAD_SKETCH,
      () => corruptKll((b) => void b.writeUInt8(255, 18)),
    ),
    withSketch(
      'sketch-level-offsets-decreasing',
      'The second level offset set below the first: offsets decrease.',
      BAD_SKETCH,
      () =>
        corruptKll((b, l) => {
          if (l.levels < 2) throw new Error('sketch has one level');
          b.writeUInt32LE(Math.max(0, (l.levelOffsets[0] ?? 1) - 1), 24);
        }),
    ),
    withSketch(
      'sketch-level-offset-huge',
      'The first level offset 0xFFFFFFFF: an index far outside the buffer.',
      BAD_SKETCH,
      () => corruptKll((b) => void b.writeUInt32LE(0xffff_ffff, 20)),
    ),
    withSketch('sketch-truncated', 'The real sketch without its last 8 bytes (one item missing).', BAD_SKETCH, () =>
      corruptKll((b) => b.subarray(0, b.length - 8)),
    ),
    withSketch(
      'sketch-header-only',
      'Only the first 20 bytes of the full sketch (header, no levels or items).',
      BAD_SKETCH,
      () => corruptKll((b) => b.subarray(0, 20)),
    ),
    withSketch(
      'sketch-trailing-bytes',
      'The real sketch followed by 8 extra bytes (the size must match exactly).',
      BAD_SKETCH,
      () => corruptKll((b) => Buffer.concat([b, Buffer.alloc(8, 0x41)])),
    ),
    withSketch('sketch-nan-item', 'A NaN written over the first retained item.', BAD_SKETCH, () =>
      corruptKll((b, l) => void b.writeDoubleLE(Number.NaN, l.itemsStart)),
    ),
    withSketch('sketch-nan-min', 'A NaN written over the min.', BAD_SKETCH, () =>
      corruptKll((b, l) => void b.writeDoubleLE(Number.NaN, l.itemsStart - 16)),
    ),
    withSketch(
      'sketch-top-level-unsorted',
      'The last two items of the top level swapped: a level above zero is unsorted.',
      BAD_SKETCH,
      () => corruptKll(unsortTopLevel),
    ),
    withSketch(
      'sketch-infinite-items',
      'A real sketch whose min and max are rewritten to -Infinity and +Infinity: "±Infinity are kept" by DataSketches, so valid; the KS statistic must not become NaN. Processed.',
      PROCESSED,
      () =>
        corruptKll((b, l) => {
          b.writeDoubleLE(Number.NEGATIVE_INFINITY, l.itemsStart - 16);
          b.writeDoubleLE(Number.POSITIVE_INFINITY, l.itemsStart - 8);
        }),
    ),
    reportAttack(
      'sketch-type-floats',
      '`sketch.type: "kll_floats"`: not in the enum. REPORT_INVALID.',
      INVALID(/sketch/),
      (r) => (((columnsOf(r).amount as Obj).sketch as Obj).type = 'kll_floats'),
    ),
    reportAttack(
      'sketch-k-field-65536',
      '`sketch.k: 65536`: outside 8..65535. REPORT_INVALID.',
      INVALID(/sketch/),
      (r) => (((columnsOf(r).amount as Obj).sketch as Obj).k = 65_536),
    ),
    reportAttack(
      'sketch-n-above-count',
      "A real sketch of n = 10,000 on a column of count 5 (row_count 5). The docs relate no sketch n to count, and v1 may not tighten a rule: chosen processed (the drift test uses the sketch's own weights).",
      PROCESSED,
      (r) => {
        profileOf(r).row_count = 5;
        Object.assign(columnsOf(r).amount as Obj, { count: 5, null_count: 0 });
        Object.assign(columnsOf(r).category as Obj, { count: 5, frequent: { a: 3, b: 2 } });
      },
    ),
    withSketch(
      'sketch-empty-on-full-column',
      'An empty sketch (n = 0, the 8-byte form) on a column of 10,000 non-null rows. Chosen processed (docs silent); a KS test against an empty sketch must not produce NaN or divide by zero.',
      PROCESSED,
      () => EMPTY_K200.base64,
    ),
    withSketch(
      'sketch-single-item',
      'A single-item sketch (n = 1, 16 bytes) on a column of 10,000 rows. Chosen processed.',
      PROCESSED,
      () => SINGLE_K200.base64,
    ),
    withSketch(
      'sketch-k8',
      'A real k = 8 sketch (the smallest k, rank error about 30%) with `k: 8`. Processed.',
      PROCESSED,
      () => FULL_K8_N100.base64,
      8,
    ),
  ];
}

// --- Names: prototype keys and hostile characters ---------------------------------------------------------------

type NamePosition =
  | 'pipeline'
  | 'node'
  | 'dataset'
  | 'input-dataset'
  | 'column'
  | 'params-key'
  | 'category-value'
  | 'upstream-node'
  | 'upstream-pipeline';

const PROTO_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'] as const;
const PROTO_POSITIONS: readonly NamePosition[] = [
  'pipeline',
  'node',
  'dataset',
  'input-dataset',
  'column',
  'params-key',
  'category-value',
  'upstream-node',
  'upstream-pipeline',
];

/** Puts `name` at `position` of the report (own properties only, so `__proto__` stays a key). */
function placeName(r: Obj, position: NamePosition, name: string): void {
  const columns = columnsOf(r);
  switch (position) {
    case 'pipeline':
      r.pipeline = name;
      return;
    case 'node':
      r.node = name;
      return;
    case 'dataset':
      ((r.outputs as Obj[])[0] as Obj).dataset = name;
      return;
    case 'input-dataset':
      r.inputs = [{ dataset: name, profile: { row_count: 10 } }];
      return;
    case 'column': {
      const schema = profileOf(r).schema as Obj[];
      (schema[0] as Obj).name = name;
      profileOf(r).columns = own([
        [name, columns.amount],
        ['category', columns.category],
      ]);
      r.upstream = [{ node: 'faults-upstream' }];
      r.column_lineage = own([[name, [{ node: 'faults-upstream', column: name }]]]);
      return;
    }
    case 'params-key':
      r.params = own([[name, own([[name, name]])]]);
      return;
    case 'category-value':
      (columns.category as Obj).frequent = own([
        [name, 6_000],
        ['b', 4_000],
      ]);
      return;
    case 'upstream-node':
      r.upstream = [{ node: name, run_id: name }];
      return;
    case 'upstream-pipeline':
      r.upstream = [{ pipeline: name, node: name }];
      return;
  }
}

function nameAttack(
  id: string,
  position: NamePosition,
  name: string,
  description: string,
  expect: Expectation,
): Attack {
  const pipeline = position === 'pipeline' ? name : FAULT_PIPELINE;
  const node = position === 'node' ? name : id;
  return {
    id,
    description,
    channel: 'kafka',
    build: () => {
      const r = validReport({ pipeline: FAULT_PIPELINE, node: id, tag: id });
      placeName(r, position, name);
      return { key: pipeline, value: JSON.stringify(r) };
    },
    expect,
    ...(expect.outcome === 'processed' ? { target: { pipeline, node } } : {}),
  };
}

function protoNames(): Attack[] {
  return PROTO_NAMES.flatMap((name) =>
    PROTO_POSITIONS.map((position) =>
      nameAttack(
        `name-${name.replace(/_/g, '').toLowerCase()}-${position}`,
        position,
        name,
        `\`${name}\` as the ${position}: a valid name. Processed, as the same report with any other name; never used as a plain object's key (no prototype change, no crash, no "is not a function").`,
        PROCESSED,
      ),
    ),
  );
}

interface HostileName {
  readonly id: string;
  readonly name: string;
  readonly note: string;
  /** Set when a valid-looking name must still be dead-lettered. */
  readonly expect?: Expectation;
}

const LONG_NAME = 'n'.repeat(70_000);

const HOSTILE_NAMES: readonly HostileName[] = [
  { id: 'backslash', name: 'a\\b', note: 'a backslash inside (InfluxDB line protocol escapes it)' },
  {
    id: 'trailing-backslash',
    name: 'ab\\',
    note: 'a trailing backslash (escapes the separator after it in line protocol)',
  },
  { id: 'only-backslash', name: '\\', note: 'a single backslash' },
  { id: 'double-backslash', name: 'a\\\\', note: 'two trailing backslashes' },
  { id: 'newline', name: 'a\nb', note: 'a newline (ends a line-protocol line)' },
  { id: 'crlf', name: 'a\r\nb', note: 'CR LF' },
  { id: 'tab', name: 'a\tb', note: 'a tab' },
  { id: 'nul', name: 'a\u0000b', note: 'a NUL character (C strings end there)' },
  { id: 'space-comma-equals', name: 'a b,c=d', note: 'space, comma and equals sign (line-protocol separators)' },
  { id: 'quotes', name: 'a"b\'c', note: 'double and single quotes' },
  {
    id: 'unit-separator',
    name: 'a\u001fb',
    note: 'U+001F, the separator of the state topic keys (docs/architecture.md)',
  },
  { id: 'pipe-slash', name: 'a|b/c', note: '`|` and `/` (`pipeline/node` keys of health events)' },
  { id: 'dot-dot', name: '../..', note: 'a relative path' },
  { id: 'percent', name: 'a%2Fb%', note: 'percent escapes and a lone %' },
  { id: 'whitespace', name: ' ', note: 'a single space (non-empty, so valid)' },
  { id: 'emoji', name: 'sales📈🔥', note: 'emoji outside the BMP (surrogate pairs in UTF-16)' },
  { id: 'zwj-emoji', name: '👩‍👩‍👧', note: 'a zero-width-joiner emoji sequence' },
  { id: 'rtl-override', name: '\u202Eevil\u202C.csv', note: 'U+202E RIGHT-TO-LEFT OVERRIDE' },
  { id: 'rtl-mark', name: 'a\u200Fb\u200E', note: 'RLM and LRM marks' },
  { id: 'arabic', name: 'بيانات_المبيعات', note: 'right-to-left script' },
  {
    id: 'long-70000',
    name: LONG_NAME,
    note: "70,000 characters (the contract sets no length limit, but InfluxDB refuses tag values over 64 KiB). Chosen: dead-lettered with a reason (issue 14: a sink's 4xx is narrowed to the offending report), never retried forever",
    expect: deadLetter(),
  },
  {
    id: 'lone-surrogate',
    name: 'a\uD800b',
    note: 'a lone UTF-16 surrogate (valid JSON `\\ud800`, not encodable in UTF-8). Chosen: dead-lettered, as the contract refuses such field names',
    expect: deadLetter(),
  },
];

const HOSTILE_POSITIONS: readonly NamePosition[] = ['pipeline', 'node', 'dataset', 'column'];

function hostileNames(): Attack[] {
  return HOSTILE_NAMES.flatMap((h) =>
    HOSTILE_POSITIONS.map((position) => {
      if (h.id === 'lone-surrogate' && position === 'column') {
        const description =
          'A column (schema field) name with a lone UTF-16 surrogate: refused by the contract (names must be valid Unicode). REPORT_INVALID.';
        return nameAttack(`name-${h.id}-${position}`, position, h.name, description, INVALID(/name|columns/));
      }
      const expect = h.expect ?? PROCESSED;
      const verdict =
        expect.outcome === 'processed' ? 'Processed; stored and shown unchanged (no doubled `\\`, no `\\n`).' : '';
      return nameAttack(
        `name-${h.id}-${position}`,
        position,
        h.name,
        `A ${position} with ${h.note}. ${verdict}`,
        expect,
      );
    }),
  );
}

// --- Event times ----------------------------------------------------------------------------------------------

function eventTimes(): Attack[] {
  const sinkRange =
    'Valid RFC 3339, but outside 1677-09-21T00:12:43Z..2262-04-11T23:47:16Z, what InfluxDB (int64 nanoseconds) can store. Chosen (issue 14: event times inside the range every sink can store): REPORT_INVALID at /event_time, never a write retried forever.';
  const cases: readonly [string, string, string, Expectation][] = [
    ['year-2300', '2300-01-01T00:00:00Z', sinkRange, INVALID(/event_time/)],
    ['year-2262-after-max', '2262-04-12T00:00:00Z', sinkRange, INVALID(/event_time/)],
    ['year-2262-before-max', '2262-04-11T00:00:00Z', 'The last day InfluxDB can store. Processed.', PROCESSED],
    ['year-1677-before-min', '1677-09-21T00:00:00Z', sinkRange, INVALID(/event_time/)],
    ['year-1678', '1678-01-01T00:00:00Z', 'Inside the storable range. Processed.', PROCESSED],
    ['year-1600', '1600-01-01T00:00:00Z', sinkRange, INVALID(/event_time/)],
    ['year-0000', '0000-01-01T00:00:00Z', sinkRange, INVALID(/event_time/)],
    ['epoch-zero', '1970-01-01T00:00:00Z', 'Epoch 0 (a falsy timestamp). Processed.', PROCESSED],
    ['before-epoch', '1969-12-31T23:59:59.999Z', 'A negative epoch. Processed.', PROCESSED],
    [
      'feb-30',
      '2026-02-30T10:00:00Z',
      'A date that does not exist. REPORT_INVALID (docs/contract.md).',
      INVALID(/event_time/),
    ],
    ['feb-29-non-leap', '2027-02-29T10:00:00Z', '29 February of a common year. REPORT_INVALID.', INVALID(/event_time/)],
    ['feb-29-leap', '2028-02-29T10:00:00Z', '29 February of a leap year. Processed.', PROCESSED],
    [
      'feb-29-1900',
      '1900-02-29T10:00:00Z',
      '1900 is not a leap year (century rule). REPORT_INVALID.',
      INVALID(/event_time/),
    ],
    [
      'leap-second',
      '2016-12-31T23:59:60Z',
      'A real leap second: refused (docs/contract.md). REPORT_INVALID.',
      INVALID(/event_time/),
    ],
    [
      'leap-second-offset',
      '2016-12-31T18:59:60-05:00',
      'A leap second with an offset. REPORT_INVALID.',
      INVALID(/event_time/),
    ],
    [
      'no-timezone',
      '2026-11-21T12:00:00',
      'No offset: required (docs/contract.md). REPORT_INVALID.',
      INVALID(/event_time/),
    ],
    [
      'space-separator',
      '2026-11-21 12:00:00Z',
      'A space instead of T: refused. REPORT_INVALID.',
      INVALID(/event_time/),
    ],
    ['lowercase-t-z', '2026-11-21t12:00:00z', '`t` and `z` lower case: allowed. Processed.', PROCESSED],
    [
      'fraction-12-digits',
      '2026-11-21T12:00:00.123456789123Z',
      'Twelve fraction digits: allowed, truncated to ms. Processed.',
      PROCESSED,
    ],
    ['hour-24', '2026-11-21T24:00:00Z', 'Hour 24. REPORT_INVALID.', INVALID(/event_time/)],
    ['offset-24', '2026-11-21T12:00:00+24:00', 'Offset +24:00: out of range. REPORT_INVALID.', INVALID(/event_time/)],
    ['offset-14', '2026-11-21T12:00:00+14:00', 'Offset +14:00 (Kiribati). Processed.', PROCESSED],
    [
      'offset-minus-zero',
      '2026-11-21T12:00:00-00:00',
      'RFC 3339\'s "unknown local offset" -00:00. Processed.',
      PROCESSED,
    ],
    ['month-13', '2026-13-01T00:00:00Z', 'Month 13. REPORT_INVALID.', INVALID(/event_time/)],
    [
      'expanded-year',
      '+002026-11-21T12:00:00Z',
      'An ISO 8601 expanded year (JavaScript Date parses it). REPORT_INVALID.',
      INVALID(/event_time/),
    ],
    ['epoch-number', '1795262400000', 'Epoch milliseconds as a string. REPORT_INVALID.', INVALID(/event_time/)],
    ['empty', '', 'An empty string. REPORT_INVALID.', INVALID(/event_time/)],
  ];
  return cases.map(([id, time, description, expect]) =>
    reportAttack(`event-time-${id}`, `event_time \`${time}\`: ${description}`, expect, (r) => (r.event_time = time)),
  );
}

// --- Contract rules and lineage shapes ------------------------------------------------------------------------

function contractShapes(): Attack[] {
  return [
    reportAttack(
      'spec-v2',
      '`spec: "rootline.report/v2"`. REPORT_INVALID.',
      INVALID(/spec/),
      (r) => (r.spec = 'rootline.report/v2'),
    ),
    reportAttack(
      'status-upper',
      '`status: "FAILED"`: not in the enum. REPORT_INVALID.',
      INVALID(/status/),
      (r) => (r.status = 'FAILED'),
    ),
    reportAttack(
      'outputs-empty',
      '`outputs: []`: a run without statistics is still a run (lineage, status, timing). Processed.',
      PROCESSED,
      (r) => (r.outputs = []),
    ),
    reportAttack(
      'outputs-missing',
      'No `outputs`: a run without statistics is still a run. Processed.',
      PROCESSED,
      (r) => delete r.outputs,
    ),
    reportAttack('node-empty', '`node: ""`. REPORT_INVALID.', INVALID(/node/), (r) => (r.node = ''), { target: false }),
    reportAttack(
      'outputs-same-dataset',
      'Two outputs with the same dataset. REPORT_INVALID at /outputs/1/dataset.',
      INVALID(/outputs\/1\/dataset/),
      (r) => (r.outputs = [(r.outputs as Obj[])[0], (r.outputs as Obj[])[0]]),
    ),
    reportAttack(
      'column-not-in-schema',
      'A column `ghost` that the schema does not name. REPORT_INVALID at the column.',
      INVALID(/ghost/),
      (r) => (columnsOf(r).ghost = { kind: 'categorical', count: 1, null_count: 0 }),
    ),
    reportAttack(
      'fingerprint-wrong',
      'A `schema_fingerprint` of zeros that does not match the schema. REPORT_INVALID.',
      INVALID(/schema_fingerprint/),
      (r) => (profileOf(r).schema_fingerprint = `sha256:${'0'.repeat(64)}`),
    ),
    reportAttack(
      'schema-duplicate-names',
      'Two schema fields named `amount`. REPORT_INVALID at the second name.',
      INVALID(/schema\/\d+\/name/),
      (r) => (profileOf(r).schema as Obj[]).push({ name: 'amount', type: 'long' }),
    ),
    reportAttack(
      'unknown-top-level-key',
      'An unknown top-level key `future_field`: the monitor reads with unknown keys allowed (docs/contract.md, tolerant readers). Processed.',
      PROCESSED,
      (r) => (r.future_field = { x: 1 }),
    ),
    rawAttack(
      'unknown-key-proto-pollution',
      'A top-level `"__proto__": {"polluted": true}` and `"constructor": {"prototype": {"polluted": true}}` (unknown keys, allowed). Processed; `({}).polluted` stays undefined in the monitor.',
      PROCESSED,
      reportText('unknown-key-proto-pollution', (r) => {
        r.dup = '@@dup@@';
        return jsonWithRaw(r, {
          dup: '"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}',
        }).replace('"dup":', '');
      }),
      { target: true },
    ),
    reportAttack(
      'cycle-self-upstream',
      'A node listing itself as its upstream (same pipeline, node and run). A cycle: "candidates and a confidence below 0.7" (docs/architecture.md), never an endless walk. Processed.',
      PROCESSED,
      (r) => (r.upstream = [{ node: r.node, run_id: r.run_id, pipeline: r.pipeline }]),
    ),
    reportAttack(
      'cycle-self-dataset',
      'A node that reads the dataset it writes (an edge to itself through a dataset). Processed.',
      PROCESSED,
      (r) => (r.inputs = [{ dataset: ((r.outputs as Obj[])[0] as Obj).dataset }]),
    ),
    reportAttack(
      'failed-status',
      '`status: "failed"` with a full profile. Processed (a run_failed finding).',
      PROCESSED,
      (r) => (r.status = 'failed'),
    ),
  ];
}

// --- Sizes ----------------------------------------------------------------------------------------------------

function sizes(): Attack[] {
  const inputs = (count: number, distinct: boolean): Obj[] =>
    Array.from({ length: count }, (_, i) => ({ dataset: distinct ? `i${i.toString(36)}` : 'i' }));
  const columns = (count: number): [string, Obj][] =>
    Array.from({ length: count }, (_, i) => [`c${i}`, { kind: 'numeric', count: 1, null_count: 0 }]);
  const withColumns = (r: Obj, count: number): void => {
    const p = profileOf(r);
    delete p.schema;
    p.row_count = 1;
    p.columns = own(columns(count));
  };
  const under = KAFKA_MAX_MESSAGE_BYTES - 48_576;
  return [
    rawAttack(
      'size-just-under-1mb',
      `A valid report padded (params) to ${under} bytes. Processed; whatever is derived from it (state records, forwarded copies) must fit the broker too.`,
      PROCESSED,
      reportText('size-just-under-1mb', (r) => padTo(r, under)),
      { target: true, size: { minBytes: under, maxBytes: under } },
    ),
    rawAttack(
      'size-exactly-1mb',
      'A valid report of exactly 1,048,576 bytes: not larger than kafka.maxMessageBytes. Processed.',
      PROCESSED,
      reportText('size-exactly-1mb', (r) => padTo(r, KAFKA_MAX_MESSAGE_BYTES)),
      { target: true, size: { minBytes: KAFKA_MAX_MESSAGE_BYTES, maxBytes: KAFKA_MAX_MESSAGE_BYTES } },
    ),
    rawAttack(
      'size-1mb-plus-1',
      'A valid report of 1,048,577 bytes: larger than kafka.maxMessageBytes. MESSAGE_TOO_LARGE; the dead letter must fit the dead-letter topic (truncated, source topic/partition/offset kept).',
      TOO_LARGE,
      reportText('size-1mb-plus-1', (r) => padTo(r, KAFKA_MAX_MESSAGE_BYTES + 1)),
      { target: true, size: { minBytes: KAFKA_MAX_MESSAGE_BYTES + 1, maxBytes: KAFKA_MAX_MESSAGE_BYTES + 1 } },
    ),
    rawAttack(
      'size-4mb',
      'A valid report of 4 MiB. MESSAGE_TOO_LARGE (its dead letter truncated to fit).',
      TOO_LARGE,
      reportText('size-4mb', (r) => padTo(r, 4 * KAFKA_MAX_MESSAGE_BYTES)),
      { target: true, size: { minBytes: 4 * KAFKA_MAX_MESSAGE_BYTES, maxBytes: 4 * KAFKA_MAX_MESSAGE_BYTES } },
    ),
    rawAttack(
      'size-invalid-just-under-1mb',
      `An INVALID report (null_count > count) padded to ${under} bytes: its dead letter (the payload plus headers) must still fit the broker's limit in the batch's transaction (issue 14).`,
      INVALID(/null_count/),
      reportText('size-invalid-just-under-1mb', (r) => {
        (columnsOf(r).amount as Obj).null_count = 20_000;
        return padTo(r, under);
      }),
      { target: true, size: { minBytes: under, maxBytes: under } },
    ),
    rawAttack(
      'size-random-just-under-1mb',
      'Just under 1 MB of pseudo-random bytes: its dead letter must fit too.',
      deadLetter(),
      () => {
        const b = pseudoRandomBytes(under, 5);
        b[0] = 0x7b;
        return b;
      },
      { size: { minBytes: under, maxBytes: under } },
    ),
    reportAttack(
      'inputs-100000',
      '100,000 distinct input datasets (about 2 MB): over 1 MB. MESSAGE_TOO_LARGE.',
      TOO_LARGE,
      (r) => (r.inputs = inputs(100_000, true)),
      { size: { minBytes: KAFKA_MAX_MESSAGE_BYTES + 1, maxBytes: SUITE_TOPIC_MAX_MESSAGE_BYTES } },
    ),
    reportAttack(
      'inputs-45000-distinct',
      '45,000 distinct input datasets within 1 MB: valid. Processed within seconds (linear work per message: 45,000 lineage edges, no quadratic dedup).',
      PROCESSED,
      (r) => (r.inputs = inputs(45_000, true)),
      { size: { maxBytes: KAFKA_MAX_MESSAGE_BYTES } },
    ),
    reportAttack(
      'inputs-60000-same',
      '60,000 inputs naming the same dataset within 1 MB (the contract forbids duplicate outputs, not inputs). Processed within seconds.',
      PROCESSED,
      (r) => (r.inputs = inputs(60_000, false)),
      { size: { maxBytes: KAFKA_MAX_MESSAGE_BYTES } },
    ),
    reportAttack(
      'upstream-40000-distinct',
      '40,000 distinct upstream nodes within 1 MB (none ever reported). Processed within seconds; RCA over 40,000 unobserved parents stays bounded.',
      PROCESSED,
      (r) => (r.upstream = Array.from({ length: 40_000 }, (_, i) => ({ node: `u${i.toString(36)}` }))),
      { size: { maxBytes: KAFKA_MAX_MESSAGE_BYTES } },
    ),
    reportAttack(
      'columns-100000',
      '100,000 profiled columns (about 5 MB): over 1 MB. MESSAGE_TOO_LARGE.',
      TOO_LARGE,
      (r) => withColumns(r, 100_000),
      { size: { minBytes: KAFKA_MAX_MESSAGE_BYTES + 1, maxBytes: SUITE_TOPIC_MAX_MESSAGE_BYTES } },
    ),
    reportAttack(
      'columns-18000',
      '18,000 profiled columns within 1 MB (100,000 do not fit). Processed within seconds (18,000 column points).',
      PROCESSED,
      (r) => withColumns(r, 18_000),
      { size: { minBytes: 900_000, maxBytes: KAFKA_MAX_MESSAGE_BYTES } },
    ),
  ];
}

// --- Confluent-framed Avro -------------------------------------------------------------------------------------

function avro(): Attack[] {
  const reg: readonly Need[] = ['schema-registry'];
  const ctxOf = (ctx?: BuildContext): BuildContext => ctx ?? DEFAULT_BUILD_CONTEXT;
  const avroAttack = (
    id: string,
    description: string,
    expect: Expectation,
    value: (ctx: BuildContext) => Buffer,
    target = false,
  ): Attack => ({
    id,
    description,
    channel: 'kafka',
    build: (ctx) => ({ key: FAULT_PIPELINE, value: value(ctxOf(ctx)) }),
    expect,
    needs: reg,
    ...(target ? { target: { pipeline: FAULT_PIPELINE, node: id } } : {}),
  });
  const body = (id: string, mutate: (r: Obj) => void = () => undefined): Buffer => {
    const r = validReport({ pipeline: FAULT_PIPELINE, node: id, tag: id });
    mutate(r);
    return avroOf(r);
  };
  return [
    avroAttack(
      'avro-valid-control',
      'A valid report as Confluent-framed Avro with the registered id. Processed (the control for the Avro attacks).',
      PROCESSED,
      (ctx) => confluentFrame(ctx.reportSchemaId, body('avro-valid-control')),
      true,
    ),
    avroAttack(
      'avro-unknown-schema-id',
      'Magic byte 0 and schema id 2,147,483,647, which the registry does not know (a 404, not an outage). UNKNOWN_SCHEMA_ID.',
      deadLetter([REASON.UNKNOWN_SCHEMA_ID]),
      () => confluentFrame(0x7fff_ffff, body('avro-unknown-schema-id')),
    ),
    avroAttack(
      'avro-schema-id-zero',
      'Schema id 0 (never assigned). UNKNOWN_SCHEMA_ID.',
      deadLetter([REASON.UNKNOWN_SCHEMA_ID]),
      () => confluentFrame(0, body('avro-schema-id-zero')),
    ),
    avroAttack(
      'avro-schema-id-max-uint',
      'Schema id 0xFFFFFFFF (negative as a signed int). UNKNOWN_SCHEMA_ID.',
      deadLetter([REASON.UNKNOWN_SCHEMA_ID]),
      () => confluentFrame(0xffff_ffff, body('avro-schema-id-max-uint')),
    ),
    avroAttack('avro-magic-only', 'The single byte 0x00: a frame truncated before the schema id.', deadLetter(), () =>
      Buffer.from([0]),
    ),
    avroAttack('avro-truncated-id', 'Bytes 00 00 01: a schema id cut after two of its four bytes.', deadLetter(), () =>
      Buffer.from([0, 0, 1]),
    ),
    avroAttack('avro-header-only', 'Magic byte and the registered schema id, no Avro body.', deadLetter(), (ctx) =>
      confluentFrame(ctx.reportSchemaId, Buffer.alloc(0)),
    ),
    avroAttack(
      'avro-body-truncated',
      "A valid report's Avro body cut in half, with the registered id.",
      deadLetter(),
      (ctx) => {
        const b = body('avro-body-truncated');
        return confluentFrame(ctx.reportSchemaId, b.subarray(0, Math.floor(b.length / 2)));
      },
    ),
    avroAttack(
      'avro-body-random',
      '2 KiB of pseudo-random bytes as the Avro body, with the registered id: bytes that do not match the schema.',
      deadLetter(),
      (ctx) => confluentFrame(ctx.reportSchemaId, pseudoRandomBytes(2048, 6)),
    ),
    avroAttack(
      'avro-huge-length',
      'A valid body whose first varint (a length or union index) claims 2^62: a decoder must fail without allocating it.',
      deadLetter(),
      (ctx) => {
        const b = body('avro-huge-length');
        const huge = Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
        let skip = 0;
        while (skip < b.length && ((b[skip] ?? 0) & 0x80) !== 0) skip++;
        return confluentFrame(ctx.reportSchemaId, Buffer.concat([huge, b.subarray(skip + 1)]));
      },
    ),
    avroAttack(
      'avro-json-body',
      'A valid report as JSON text behind a Confluent header with the registered id: not Avro binary.',
      deadLetter(),
      (ctx) =>
        confluentFrame(
          ctx.reportSchemaId,
          Buffer.from(
            JSON.stringify(validReport({ pipeline: FAULT_PIPELINE, node: 'avro-json-body', tag: 'avro-json-body' })),
          ),
        ),
    ),
    avroAttack(
      'avro-other-schema',
      'An Avro string (`"hello"`, bytes 0A 68 65 6C 6C 6F) framed with the id of a registered schema that is not the report\'s. Dead-lettered (wrong writer schema).',
      deadLetter(),
      (ctx) => confluentFrame(ctx.otherSchemaId, Buffer.from([0x0a, 0x68, 0x65, 0x6c, 0x6c, 0x6f])),
    ),
    avroAttack(
      'avro-contract-invalid',
      'Well-formed Avro of a report that breaks a contract rule (null_count 12,000 > count 10,000): "the decoded report must still pass validateReport" (docs/contract.md). REPORT_INVALID.',
      INVALID(/null_count/),
      (ctx) =>
        confluentFrame(
          ctx.reportSchemaId,
          body('avro-contract-invalid', (r) => ((columnsOf(r).amount as Obj).null_count = 12_000)),
        ),
      true,
    ),
    avroAttack(
      'avro-garbage-sketch',
      'Well-formed Avro whose sketch bytes are garbage (raw bytes in Avro, no base64 check to stop them).',
      BAD_SKETCH,
      (ctx) =>
        confluentFrame(
          ctx.reportSchemaId,
          body(
            'avro-garbage-sketch',
            (r) => ((columnsOf(r).amount as Obj).sketch = kll(pseudoRandomBytes(256, 7).toString('base64'))),
          ),
        ),
      true,
    ),
    avroAttack(
      'avro-proto-column',
      'Well-formed Avro with a column named `__proto__` (an Avro map key; a decoder that fills a plain object sets its prototype). Processed.',
      PROCESSED,
      (ctx) =>
        confluentFrame(
          ctx.reportSchemaId,
          body('avro-proto-column', (r) => placeName(r, 'column', '__proto__')),
        ),
      true,
    ),
    avroAttack(
      'avro-proto-frequent',
      'Well-formed Avro with frequent values `__proto__` and `constructor` (Avro map keys). Processed.',
      PROCESSED,
      (ctx) =>
        confluentFrame(
          ctx.reportSchemaId,
          body('avro-proto-frequent', (r) => {
            (columnsOf(r).category as Obj).frequent = own([
              ['__proto__', 6_000],
              ['constructor', 4_000],
            ]);
          }),
        ),
      true,
    ),
    avroAttack(
      'avro-event-time-2300',
      'Well-formed Avro with event_time 2300-01-01T00:00:00Z. Chosen as for JSON: REPORT_INVALID at /event_time.',
      INVALID(/event_time/),
      (ctx) =>
        confluentFrame(
          ctx.reportSchemaId,
          body('avro-event-time-2300', (r) => (r.event_time = '2300-01-01T00:00:00Z')),
        ),
      true,
    ),
  ];
}

// --- OpenLineage on Kafka ---------------------------------------------------------------------------------------

function openLineageKafka(): Attack[] {
  const olAttack = (
    id: string,
    description: string,
    expect: Expectation,
    mutate: (e: Obj) => void,
    opts: { name?: string; size?: SizeClaim } = {},
  ): Attack => {
    const name = opts.name ?? id;
    return {
      id,
      description,
      channel: 'kafka',
      build: () => {
        const e = validRunEvent({ name, tag: id });
        mutate(e);
        return { key: FAULT_OL_NAMESPACE, value: JSON.stringify(e) };
      },
      expect,
      ...(expect.outcome === 'processed' ? { target: { pipeline: FAULT_OL_NAMESPACE, node: name } } : {}),
      ...(opts.size ? { size: opts.size } : {}),
    };
  };
  return [
    olAttack(
      'ol-valid-control',
      'A valid OpenLineage COMPLETE RunEvent on the reports topic. Processed.',
      PROCESSED,
      () => undefined,
    ),
    olAttack(
      'ol-event-type-lowercase',
      '`eventType: "complete"`: the OpenLineage spec\'s enum is upper case. Chosen: dead-lettered (an event the adapter cannot classify is unusable), not guessed and not silently ignored.',
      deadLetter(),
      (e) => (e.eventType = 'complete'),
    ),
    olAttack(
      'ol-run-id-not-uuid',
      '`run.runId: "run-1"`: the spec requires a UUID (Marquez refuses it). Chosen: dead-lettered with the reason.',
      deadLetter(),
      (e) => ((e.run as Obj).runId = 'run-1'),
    ),
    olAttack(
      'ol-job-missing',
      'No `job`: the event is unusable. Dead-lettered with the reasons (docs/emitters.md).',
      deadLetter(),
      (e) => delete e.job,
    ),
    olAttack(
      'ol-event-time-invalid',
      '`eventTime: "yesterday"`. Dead-lettered.',
      deadLetter(),
      (e) => (e.eventTime = 'yesterday'),
    ),
    olAttack(
      'ol-event-time-2300',
      '`eventTime` 2300-01-01T00:00:00Z. Chosen (sink range, as for reports): dead-lettered.',
      deadLetter(),
      (e) => (e.eventTime = '2300-01-01T00:00:00Z'),
    ),
    olAttack(
      'ol-event-time-no-offset',
      '`eventTime` without an offset: "taken as UTC" (docs/emitters.md). Processed.',
      PROCESSED,
      (e) => (e.eventTime = '2026-11-21T12:00:00'),
    ),
    olAttack(
      'ol-row-count-negative',
      '`outputStatistics.rowCount: -5`: the converted report is invalid ("checked with validateReport"). Dead-lettered.',
      deadLetter(),
      (e) => {
        const out = (e.outputs as Obj[])[0] as Obj;
        ((out.outputFacets as Obj).outputStatistics as Obj).rowCount = -5;
      },
    ),
    olAttack(
      'ol-job-name-proto',
      '`job.name: "__proto__"` (the node). Processed.',
      PROCESSED,
      (e) => ((e.job as Obj).name = '__proto__'),
      { name: '__proto__' },
    ),
    olAttack(
      'ol-schema-field-proto',
      'A schema facet with a field `__proto__` and a `constructor` field of type `struct<__proto__:int>`. Processed.',
      PROCESSED,
      (e) => {
        const out = (e.outputs as Obj[])[0] as Obj;
        ((out.facets as Obj).schema as Obj).fields = [
          { name: '__proto__', type: 'double' },
          { name: 'constructor', type: 'struct<__proto__:int>' },
        ];
      },
    ),
    olAttack(
      'ol-column-metrics-nulls-above-rows',
      'An input `dataQualityMetrics` facet with `nullCount` 50 > `rowCount` 10 for a column: "left out" (docs/emitters.md). Processed.',
      PROCESSED,
      (e) => {
        const input = (e.inputs as Obj[])[0] as Obj;
        input.inputFacets = {
          dataQualityMetrics: olFacet(
            '1-0-2/DataQualityMetricsInputDatasetFacet.json#/$defs/DataQualityMetricsInputDatasetFacet',
            {
              rowCount: 10,
              columnMetrics: { amount: { nullCount: 50 }, __proto__: { nullCount: 1 } },
            },
          ),
        };
      },
    ),
    olAttack(
      'ol-inputs-25000-distinct',
      '25,000 distinct input datasets within 1 MB. Processed within seconds (linear dedup; issue 14 saw an O(n^2) one).',
      PROCESSED,
      (e) => (e.inputs = olInputs(25_000, true)),
      { size: { maxBytes: KAFKA_MAX_MESSAGE_BYTES } },
    ),
    olAttack(
      'ol-inputs-100000',
      '10^5 distinct inputs (about 3 MB): over 1 MB on Kafka. MESSAGE_TOO_LARGE (the HTTP variant is http-lineage-inputs-100000-distinct).',
      TOO_LARGE,
      (e) => (e.inputs = olInputs(100_000, true)),
      { size: { minBytes: KAFKA_MAX_MESSAGE_BYTES + 1, maxBytes: SUITE_TOPIC_MAX_MESSAGE_BYTES } },
    ),
  ];
}

// --- Kafka headers and keys ----------------------------------------------------------------------------------

function kafkaMetadata(): Attack[] {
  const valid = (id: string): string => JSON.stringify(validReport({ pipeline: FAULT_PIPELINE, node: id, tag: id }));
  const at = (id: string, description: string, build: () => BuiltMessage): Attack => ({
    id,
    description,
    channel: 'kafka',
    build,
    expect: PROCESSED,
    target: { pipeline: FAULT_PIPELINE, node: id },
  });
  return [
    at(
      'kafka-forged-error-headers',
      'A valid report carrying forged `rootline-error` / `rootline-error-message` headers. Processed: input headers decide nothing.',
      () => ({
        key: FAULT_PIPELINE,
        value: valid('kafka-forged-error-headers'),
        headers: { 'rootline-error': 'REPORT_INVALID', 'rootline-error-message': 'forged' },
      }),
    ),
    at(
      'kafka-spec-header-v2',
      'A valid v1 report with the header `rootline-spec: rootline.report/v2`. Chosen: processed (the value says v1).',
      () => ({
        key: FAULT_PIPELINE,
        value: valid('kafka-spec-header-v2'),
        headers: { 'rootline-spec': 'rootline.report/v2' },
      }),
    ),
    at('kafka-no-key', 'A valid report without a key. Processed.', () => ({ value: valid('kafka-no-key') })),
  ];
}

// --- HTTP: POST /api/v1/reports ---------------------------------------------------------------------------------

function httpAttack(
  id: string,
  channel: 'http-report' | 'http-lineage',
  description: string,
  expect: Expectation,
  build: () => BuiltMessage,
  extra: { size?: SizeClaim; delivery?: Delivery; needs?: readonly Need[] } = {},
): Attack {
  return { id, description, channel, build, expect, ...extra };
}

function httpReports(): Attack[] {
  const r = (id: string): Obj => validReport({ pipeline: FAULT_PIPELINE, node: id, tag: id });
  const json = (id: string): string => JSON.stringify(r(id));
  const invalid = (id: string): Obj => {
    const x = r(id);
    (columnsOf(x).amount as Obj).null_count = 12_000;
    return x;
  };
  const h = (
    id: string,
    description: string,
    expect: Expectation,
    build: () => BuiltMessage,
    extra: { size?: SizeClaim; delivery?: Delivery; needs?: readonly Need[] } = {},
  ): Attack => httpAttack(`http-report-${id}`, 'http-report', description, expect, build, extra);
  const bomb = (): Buffer => {
    const report = json('http-report-gzip-bomb');
    const inflated = Buffer.alloc(64 * 1_048_576, 0x20);
    inflated.write(report, 0);
    return gzipSync(inflated, { level: 9 });
  };
  const sized = (id: string, bytes: number): string => padTo(r(id), bytes);
  return [
    h('valid-control', 'A valid report. 202 with accepted 1 (the control for the HTTP attacks).', ACCEPTED_ONE, () => ({
      value: json('http-report-valid-control'),
    })),
    h('array-two', 'A JSON array of two valid reports. 202, accepted 2.', http(202, /"accepted"\s*:\s*2\b/), () => ({
      value: JSON.stringify([r('http-report-array-two-a'), r('http-report-array-two-b')]),
    })),
    h('wrapped', '`{"reports": [report]}`. 202.', ACCEPTED_ONE, () => ({
      value: JSON.stringify({ reports: [r('http-report-wrapped')] }),
    })),
    h(
      'mixed',
      '`[valid, invalid]`: 202 with the invalid one listed in `rejected` (index 1, its errors with paths).',
      http(202, /"index"\s*:\s*1\b[\s\S]*null_count/),
      () => ({ value: JSON.stringify([r('http-report-mixed-a'), invalid('http-report-mixed-b')]) }),
    ),
    h('all-invalid', 'One invalid report: 400, naming the problem.', http(400, /null_count/), () => ({
      value: JSON.stringify(invalid('http-report-all-invalid')),
    })),
    h('empty-array', '`[]`: no report. Chosen 400 ("none is valid") or 202 with accepted 0.', http([400, 202]), () => ({
      value: '[]',
    })),
    h('empty-body', 'An empty body. 400.', http(400), () => ({ value: '' })),
    h('random-bytes', '4 KiB of pseudo-random bytes. 400.', http(400), () => ({ value: pseudoRandomBytes(4096, 8) })),
    h('number', 'The JSON `42`. 400.', http(400), () => ({ value: '42' })),
    h('string', 'A JSON string. 400.', http(400), () => ({ value: '"report"' })),
    h('null', 'The JSON `null`. 400.', http(400), () => ({ value: 'null' })),
    h('reports-not-array', '`{"reports": "x"}`. 400.', http(400), () => ({ value: '{"reports":"x"}' })),
    h(
      'invalid-utf8',
      'A valid report with a 0xFF byte inside a string. 400 naming UTF-8.',
      http(400, /utf-?8/i),
      () => {
        const t = json('http-report-invalid-utf8');
        const at = t.indexOf('fau1t00');
        return { value: Buffer.concat([Buffer.from(t.slice(0, at)), Buffer.from([0xff]), Buffer.from(t.slice(at))]) };
      },
    ),
    h('bom', 'A UTF-8 BOM before a valid report: ignored. 202.', ACCEPTED_ONE, () => ({
      value: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json('http-report-bom'))]),
    })),
    h('deep-100k', 'An array nested 100,000 levels. 400, no stack overflow.', http(400), () => ({
      value: '['.repeat(100_000) + ']'.repeat(100_000),
    })),
    h('nan', '`"min": NaN`. 400.', http(400), () => ({
      value: json('http-report-nan').replace('"min":0', '"min":NaN'),
    })),
    h('row-count-1e400', '`row_count: 1e400`. 400 naming row_count.', http(400, /row_count/), () => ({
      value: json('http-report-row-count-1e400').replace('"row_count":10000', '"row_count":1e400'),
    })),
    h(
      'event-time-2300',
      'event_time in 2300. Chosen (sink range): 400 naming event_time.',
      http(400, /event_time/),
      () => {
        const x = r('http-report-event-time-2300');
        x.event_time = '2300-01-01T00:00:00Z';
        return { value: JSON.stringify(x) };
      },
    ),
    h('proto-pipeline', 'A report of pipeline `__proto__`. 202.', ACCEPTED_ONE, () => {
      const x = r('http-report-proto-pipeline');
      x.pipeline = '__proto__';
      return { value: JSON.stringify(x) };
    }),
    h('proto-column', 'A report with a column `__proto__`. 202.', ACCEPTED_ONE, () => {
      const x = r('http-report-proto-column');
      placeName(x, 'column', '__proto__');
      return { value: JSON.stringify(x) };
    }),
    h(
      'proto-wrapper-key',
      '`{"reports": [report], "__proto__": {"reports": []}}`. 202, the one report accepted.',
      ACCEPTED_ONE,
      () => ({
        value: `{"reports":[${json('http-report-proto-wrapper-key')}],"__proto__":{"reports":[]}}`,
      }),
    ),
    h('unknown-key', 'A report with an unknown key `future_field` (tolerant reader). 202.', ACCEPTED_ONE, () => ({
      value: json('http-report-unknown-key').replace(/^\{/, '{"future_field":1,'),
    })),
    h(
      'size-900kb',
      'One valid report of 900,000 bytes: under every limit. 202.',
      ACCEPTED_ONE,
      () => ({ value: sized('http-report-size-900kb', 900_000) }),
      { size: { minBytes: 900_000, maxBytes: 900_000 } },
    ),
    h(
      'size-2mb-single',
      'One valid report of 2 MiB: under http.maxBodyBytes, over the 1 MiB Kafka limit it must be forwarded under. Chosen: 413 naming the limit (issue 14 saw a 500), never a 500.',
      http(413),
      () => ({ value: sized('http-report-size-2mb-single', 2 * 1_048_576) }),
      { size: { minBytes: 2 * 1_048_576, maxBytes: 2 * 1_048_576 } },
    ),
    h(
      'size-three-600kb',
      'An array of three valid reports of 600,000 bytes each (1.8 MB body): each fits Kafka. 202, accepted 3.',
      http(202, /"accepted"\s*:\s*3\b/),
      () => ({
        value: `[${[1, 2, 3].map((i) => sized(`http-report-size-three-600kb-${i}`, 600_000)).join(',')}]`,
      }),
      { size: { minBytes: 1_800_000, maxBytes: 1_800_010 } },
    ),
    h(
      'size-10mb-plus-1',
      'A body of http.maxBodyBytes + 1 bytes. 413.',
      http(413),
      () => ({ value: sized('http-report-size-10mb-plus-1', HTTP_MAX_BODY_BYTES + 1) }),
      { size: { minBytes: HTTP_MAX_BODY_BYTES + 1, maxBytes: HTTP_MAX_BODY_BYTES + 1 } },
    ),
    h(
      'size-20mb',
      'A 20 MiB body. 413, without buffering it all.',
      http(413),
      () => ({ value: sized('http-report-size-20mb', 20 * 1_048_576) }),
      { size: { minBytes: 20 * 1_048_576, maxBytes: 20 * 1_048_576 } },
    ),
    h(
      'size-20mb-chunked',
      'A 20 MiB body sent chunked (no Content-Length). 413 once the limit is passed.',
      http(413),
      () => ({ value: sized('http-report-size-20mb-chunked', 20 * 1_048_576) }),
      { delivery: { mode: 'chunked', chunkBytes: 65_536 }, needs: ['raw-socket'] },
    ),
    h(
      'declared-20mb',
      'Headers declaring Content-Length 20 MiB, no body sent. 413 at once, from the declared length.',
      { ...http(413), withinMs: 5_000 },
      () => ({ value: '' }),
      { delivery: { mode: 'declared-length-only', declaredBytes: 20 * 1_048_576 }, needs: ['raw-socket'] },
    ),
    h(
      'content-type-xml',
      '`Content-Type: application/xml` with an XML body. Chosen: 415 (or 400).',
      http([415, 400]),
      () => ({ value: '<report/>', headers: { 'content-type': 'application/xml' } }),
    ),
    h(
      'content-type-form',
      '`Content-Type: application/x-www-form-urlencoded` with a JSON body (curl -d). Chosen: 415 or 400.',
      http([415, 400]),
      () => ({
        value: json('http-report-content-type-form'),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    ),
    h(
      'content-type-missing',
      'No Content-Type, a valid JSON body. Chosen: 202 (lenient) or 415.',
      http([202, 415]),
      () => ({ value: json('http-report-content-type-missing'), omitHeaders: ['content-type'] }),
    ),
    h('content-type-charset', '`Content-Type: application/json; charset=utf-8`. 202.', ACCEPTED_ONE, () => ({
      value: json('http-report-content-type-charset'),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    })),
    h(
      'content-type-uppercase',
      '`Content-Type: APPLICATION/JSON` (media types are case-insensitive). 202.',
      ACCEPTED_ONE,
      () => ({ value: json('http-report-content-type-uppercase'), headers: { 'content-type': 'APPLICATION/JSON' } }),
    ),
    h(
      'gzip-valid',
      'A valid report, gzip-compressed with `Content-Encoding: gzip`. Chosen: 202 if compressed bodies are supported, else 415.',
      http([202, 415]),
      () => ({ value: gzipSync(json('http-report-gzip-valid')), contentEncoding: 'gzip' }),
    ),
    h(
      'gzip-bomb',
      'A gzip body of about 64 KiB inflating to 64 MiB (a report followed by spaces: valid JSON once inflated). 413 once the inflated size passes http.maxBodyBytes (or 415 without gzip support); memory must stay bounded.',
      http([413, 415]),
      () => ({ value: bomb(), contentEncoding: 'gzip' }),
      { size: { maxBytes: 256 * 1024, decompressedMinBytes: 64 * 1_048_576 } },
    ),
    h('gzip-truncated', 'A gzip stream cut in half. 400 (or 415).', http([400, 415]), () => {
      const z = gzipSync(json('http-report-gzip-truncated'));
      return { value: z.subarray(0, Math.floor(z.length / 2)), contentEncoding: 'gzip' };
    }),
    h('gzip-not-gzip', '`Content-Encoding: gzip` on a plain JSON body. 400 (or 415).', http([400, 415]), () => ({
      value: json('http-report-gzip-not-gzip'),
      contentEncoding: 'gzip',
    })),
    h('encoding-unsupported', '`Content-Encoding: br` on a plain body. 415 (or 400).', http([415, 400]), () => ({
      value: json('http-report-encoding-unsupported'),
      headers: { 'content-encoding': 'br' },
    })),
    h('auth-missing', 'No Authorization header while http.token is set. 401.', http(401), () => ({
      value: json('http-report-auth-missing'),
      omitHeaders: ['authorization'],
    })),
    h('auth-wrong', '`Authorization: Bearer wrong`. 401 (or 403).', http([401, 403]), () => ({
      value: json('http-report-auth-wrong'),
      headers: { authorization: 'Bearer wrong' },
    })),
    h('auth-basic', '`Authorization: Basic` with the token as password. 401 (or 403).', http([401, 403]), () => ({
      value: json('http-report-auth-basic'),
      headers: { authorization: `Basic ${Buffer.from(`x:${FAULT_HTTP_TOKEN}`).toString('base64')}` },
    })),
    h('auth-empty-bearer', '`Authorization: Bearer ` (empty token). 401 (or 403).', http([401, 403]), () => ({
      value: json('http-report-auth-empty-bearer'),
      headers: { authorization: 'Bearer ' },
    })),
    h('auth-token-prefix', 'The right token with one character cut off. 401 (or 403).', http([401, 403]), () => ({
      value: json('http-report-auth-token-prefix'),
      headers: { authorization: `Bearer ${FAULT_HTTP_TOKEN.slice(0, -1)}` },
    })),
    h(
      'auth-lowercase-scheme',
      '`authorization: bearer <token>`: auth schemes are case-insensitive (RFC 9110); chosen 202, 401 tolerated.',
      http([202, 401]),
      () => ({
        value: json('http-report-auth-lowercase-scheme'),
        headers: { authorization: `bearer ${FAULT_HTTP_TOKEN}` },
      }),
    ),
    h(
      'auth-huge-header',
      'An Authorization header of 100,000 characters. 401, 400 or 431; never a 500.',
      http([400, 401, 431]),
      () => ({
        value: json('http-report-auth-huge-header'),
        headers: { authorization: `Bearer ${'A'.repeat(100_000)}` },
      }),
    ),
    h(
      'path-trailing-percent',
      '`POST /api/v1/reports%`: a malformed percent escape. 400 or 404, never 500.',
      http([400, 404]),
      () => ({
        value: json('http-report-path-trailing-percent'),
        path: '/api/v1/reports%',
      }),
    ),
    h('path-bad-escape', '`POST /api/v1/%E0%A4%A`: a truncated escape. 400 or 404.', http([400, 404]), () => ({
      value: json('http-report-path-bad-escape'),
      path: '/api/v1/%E0%A4%A',
    })),
    h(
      'path-invalid-utf8-escape',
      '`POST /api/v1/reports/%FF%FE`: escapes of bytes that are not UTF-8. 400 or 404.',
      http([400, 404]),
      () => ({
        value: json('http-report-path-invalid-utf8-escape'),
        path: '/api/v1/reports/%FF%FE',
      }),
    ),
    h(
      'path-traversal',
      '`POST /api/v1/../../reports`. 400 or 404 (or the normalized path, 202).',
      http([400, 404, 202]),
      () => ({
        value: json('http-report-path-traversal'),
        path: '/api/v1/../../reports',
      }),
    ),
    h('get-query-bad-escape', '`GET /api/v1/nodes?pipeline=%E0%A4%A`. 400.', http(400), () => ({
      value: null,
      method: 'GET',
      path: '/api/v1/nodes?pipeline=%E0%A4%A',
    })),
    h('get-query-lone-percent', '`GET /api/v1/lineage/upstream?pipeline=%&node=%zz`. 400.', http(400), () => ({
      value: null,
      method: 'GET',
      path: '/api/v1/lineage/upstream?pipeline=%&node=%zz',
    })),
    h(
      'get-incident-bad-escape',
      '`GET /api/v1/incidents/%C0%AF` (an overlong UTF-8 escape). 400 or 404.',
      http([400, 404]),
      () => ({
        value: null,
        method: 'GET',
        path: '/api/v1/incidents/%C0%AF',
      }),
    ),
    h(
      'get-proto-pipeline',
      '`GET /api/v1/lineage/graph?pipeline=__proto__`. 200 or 404 (an unknown pipeline), never 500.',
      http([200, 404]),
      () => ({
        value: null,
        method: 'GET',
        path: '/api/v1/lineage/graph?pipeline=__proto__',
      }),
    ),
    h(
      'get-proto-node',
      '`GET /api/v1/nodes?pipeline=constructor&node=toString`. 200 or 404.',
      http([200, 404]),
      () => ({
        value: null,
        method: 'GET',
        path: '/api/v1/nodes?pipeline=constructor&node=toString',
      }),
    ),
    h(
      'slow-body',
      'A valid report sent 1 byte per second on each of 50 connections at once (slow POST). Chosen: each request answered 408 (or closed) within 60 s, the server keeps answering /healthz and a normal POST meanwhile (a connection or header/body timeout), no socket held for 300 s.',
      { outcome: 'http', status: [408, 400], connectionCloseAccepted: true, withinMs: 60_000 },
      () => ({ value: json('http-report-slow-body') }),
      { delivery: { mode: 'slow-body', chunkBytes: 1, intervalMs: 1_000, connections: 50 }, needs: ['raw-socket'] },
    ),
    h(
      'slow-headers',
      'Request line and headers sent 1 byte per 2 s on 50 connections (slowloris). Chosen: closed (or 408) within 60 s; other clients served meanwhile.',
      { outcome: 'http', status: [408, 400], connectionCloseAccepted: true, withinMs: 60_000 },
      () => ({ value: json('http-report-slow-headers') }),
      { delivery: { mode: 'slow-headers', intervalMs: 2_000, connections: 50 }, needs: ['raw-socket'] },
    ),
  ];
}

// --- HTTP: POST /api/v1/lineage ---------------------------------------------------------------------------------

function httpLineage(): Attack[] {
  const ev = (id: string, mutate: (e: Obj) => void = () => undefined): string => {
    const e = validRunEvent({ name: id, tag: id });
    mutate(e);
    return JSON.stringify(e);
  };
  const h = (
    id: string,
    description: string,
    expect: Expectation,
    build: () => BuiltMessage,
    extra: { size?: SizeClaim } = {},
  ): Attack => httpAttack(`http-lineage-${id}`, 'http-lineage', description, expect, build, extra);
  return [
    h('valid-control', 'A valid COMPLETE RunEvent. 201.', http(201), () => ({
      value: ev('http-lineage-valid-control'),
    })),
    h(
      'start-event',
      'A START event: kept as the run progress (no outcome yet), 201 as Marquez answers.',
      http(201),
      () => ({
        value: ev('http-lineage-start-event', (e) => (e.eventType = 'START')),
      }),
    ),
    h('no-event-type', 'No eventType: ignored (docs/emitters.md). 201.', http(201), () => ({
      value: ev('http-lineage-no-event-type', (e) => delete e.eventType),
    })),
    h(
      'fail-no-outputs',
      'A FAIL event without outputs: valid OpenLineage; ignored for want of a row count (docs/emitters.md). 201.',
      http(201),
      () => ({
        value: ev('http-lineage-fail-no-outputs', (e) => {
          e.eventType = 'FAIL';
          e.outputs = [];
        }),
      }),
    ),
    h(
      'event-type-lowercase',
      '`eventType: "complete"`: violates the spec\'s enum. Chosen: 400 (or 422) naming eventType.',
      http([400, 422]),
      () => ({
        value: ev('http-lineage-event-type-lowercase', (e) => (e.eventType = 'complete')),
      }),
    ),
    h('run-id-not-uuid', '`runId: "run-1"`: not a UUID. Chosen: 400 (or 422), as Marquez.', http([400, 422]), () => ({
      value: ev('http-lineage-run-id-not-uuid', (e) => ((e.run as Obj).runId = 'run-1')),
    })),
    h('run-missing', 'No `run`. 400 (or 422).', http([400, 422]), () => ({
      value: ev('http-lineage-run-missing', (e) => delete e.run),
    })),
    h('event-time-invalid', '`eventTime: "yesterday"`. 400 (or 422).', http([400, 422]), () => ({
      value: ev('http-lineage-event-time-invalid', (e) => (e.eventTime = 'yesterday')),
    })),
    h(
      'inputs-100000-distinct',
      '10^5 distinct inputs (about 3 MB, under http.maxBodyBytes): the converted report exceeds the 1 MiB Kafka limit. Chosen: 201 if it is still processed, or 413; answered within seconds (linear dedup), never 500.',
      http([201, 413]),
      () => ({ value: ev('http-lineage-inputs-100000-distinct', (e) => (e.inputs = olInputs(100_000, true))) }),
      { size: { minBytes: 2_000_000, maxBytes: HTTP_MAX_BODY_BYTES } },
    ),
    h(
      'inputs-100000-same',
      '10^5 inputs naming one dataset: dedups to one input. 201, within seconds.',
      http(201),
      () => ({ value: ev('http-lineage-inputs-100000-same', (e) => (e.inputs = olInputs(100_000, false))) }),
      { size: { minBytes: 2_000_000, maxBytes: HTTP_MAX_BODY_BYTES } },
    ),
    h(
      'proto-names',
      'job.namespace `constructor`, job.name `__proto__`, an output named `toString`. 201.',
      http(201),
      () => ({
        value: ev('http-lineage-proto-names', (e) => {
          e.job = { namespace: 'constructor', name: '__proto__', facets: {} };
          ((e.outputs as Obj[])[0] as Obj).name = 'toString';
        }),
      }),
    ),
    h(
      'report-posted',
      'A rootline report posted to the lineage endpoint: not a RunEvent. 400 (or 422).',
      http([400, 422]),
      () => ({
        value: JSON.stringify(
          validReport({
            pipeline: FAULT_PIPELINE,
            node: 'http-lineage-report-posted',
            tag: 'http-lineage-report-posted',
          }),
        ),
      }),
    ),
    h('random-bytes', 'Pseudo-random bytes. 400.', http(400), () => ({ value: pseudoRandomBytes(2048, 9) })),
    h('array', 'A JSON array of two events: the endpoint takes one event. 400 (or 422).', http([400, 422]), () => ({
      value: `[${ev('http-lineage-array-a')},${ev('http-lineage-array-b')}]`,
    })),
    h('empty-body', 'An empty body. 400.', http(400), () => ({ value: '' })),
    h(
      'gzip-valid',
      'A valid event gzip-compressed (`Content-Encoding: gzip`), as the OpenLineage HTTP transport sends with `compression: gzip`. Chosen: 201 (a Marquez-compatible endpoint must take what OpenLineage clients send).',
      http(201),
      () => ({ value: gzipSync(ev('http-lineage-gzip-valid')), contentEncoding: 'gzip' }),
    ),
    h(
      'size-20mb',
      'A 20 MiB event (a padded job facet). 413.',
      http(413),
      () => ({
        value: ev('http-lineage-size-20mb', (e) => {
          (e.job as Obj).facets = {
            pad: { _producer: OL_PRODUCER, _schemaURL: OL_RUN_EVENT_SCHEMA, text: 'x'.repeat(20 * 1_048_576) },
          };
        }),
      }),
      { size: { minBytes: 20 * 1_048_576 } },
    ),
    h('auth-missing', 'No Authorization header while http.token is set. 401.', http(401), () => ({
      value: ev('http-lineage-auth-missing'),
      omitHeaders: ['authorization'],
    })),
    h('auth-wrong', 'A wrong bearer token. 401 (or 403).', http([401, 403]), () => ({
      value: ev('http-lineage-auth-wrong'),
      headers: { authorization: 'Bearer wrong' },
    })),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------------------------------------

/** Every single-message attack, in a stable order; ids are unique. */
export const ATTACKS: readonly Attack[] = markChosen([
  ...bytesAndShapes(),
  ...nesting(),
  ...encodings(),
  ...numbers(),
  ...sketches(),
  ...protoNames(),
  ...hostileNames(),
  ...eventTimes(),
  ...contractShapes(),
  ...sizes(),
  ...avro(),
  ...openLineageKafka(),
  ...kafkaMetadata(),
  ...httpReports(),
  ...httpLineage(),
]);

function markChosen(attacks: readonly Attack[]): Attack[] {
  return attacks.map((a) => (/\bchosen\b/i.test(a.description) ? { ...a, chosen: true } : a));
}

// ---------------------------------------------------------------------------------------------------------
// Dependency faults for the chaos test
// ---------------------------------------------------------------------------------------------------------

/** What `/healthz` must answer while a fault lasts (status, and what the body must name). */
export interface HealthExpectation {
  readonly status: readonly number[];
  readonly bodyMatches?: RegExp;
  /** The monitor is down: connection refused is the truthful answer. */
  readonly unreachable?: boolean;
  /** How long after the fault starts (or ends) `/healthz` may take to tell. */
  readonly withinMs: number;
}

/** One dependency fault injected during the chaos stream. */
export interface DependencyFault {
  readonly id: string;
  readonly dependency: 'influxdb' | 'kafka' | 'schema-registry' | 'slack' | 'monitor';
  readonly description: string;
  /** When the fault starts, counted from the first report produced. */
  readonly atMs: number;
  readonly action:
    | { readonly kind: 'stop'; readonly durationMs: number }
    | { readonly kind: 'restart'; readonly downMs: number }
    | {
        readonly kind: 'respond';
        readonly status: number;
        readonly headers: Readonly<Record<string, string>>;
        readonly durationMs: number;
      }
    | { readonly kind: 'sigkill'; readonly restartAfterMs: number };
  readonly healthDuring: HealthExpectation;
  readonly healthAfter: HealthExpectation;
  /** What must hold for this fault in particular, besides the scenario's invariants. */
  readonly expectations: readonly string[];
}

/** An end-of-run check of the chaos test. */
export interface ChaosInvariant {
  readonly id: string;
  readonly description: string;
}

/** The chaos test: a steady stream of reports with dependency faults mixed in, then invariants. */
export interface ChaosScenario {
  readonly description: string;
  readonly stream: {
    readonly reports: number;
    readonly pipelines: number;
    readonly nodesPerPipeline: number;
    readonly partitions: number;
    readonly reportsPerSecond: number;
    /** Share of reports sent as Confluent-framed Avro (encoded with the registered id before any outage). */
    readonly avroShare: number;
    /** Reports re-sent with the same event_id (the emitter's at-least-once), which must count once. */
    readonly resentDuplicates: number;
    /** Faults injected into the data (row-count drops, null spikes) at known nodes, each one incident. */
    readonly injectedIncidents: number;
    /** Poison messages mixed in (ids of {@link ATTACKS} with a dead-letter outcome), each dead-lettered once. */
    readonly poison: readonly string[];
    /** After the last report, how long the monitor may take to drain before the invariants are checked. */
    readonly drainMs: number;
  };
  readonly faults: readonly DependencyFault[];
  readonly invariants: readonly ChaosInvariant[];
}

const HEALTHY: HealthExpectation = { status: [200], withinMs: 30_000 };

/** The dependency faults of issue 14's chaos test, in the order they are injected. */
export const DEPENDENCY_FAULTS: readonly DependencyFault[] = [
  {
    id: 'influxdb-stopped-40s',
    dependency: 'influxdb',
    description: 'InfluxDB stopped (process killed) for 40 s, then started again on the same data directory.',
    atMs: 30_000,
    action: { kind: 'stop', durationMs: 40_000 },
    healthDuring: { status: [503], bodyMatches: /influx/i, withinMs: 15_000 },
    healthAfter: HEALTHY,
    expectations: [
      'writes are retried with backoff (at most influx.maxRetryDelayMs apart) for as long as the outage lasts, never dropped',
      'no report is dead-lettered because of the outage',
      'consumption resumes by itself; the consumer group keeps its members (no eviction, heartbeats continue)',
      'the retries are counted in /metrics (InfluxDB write retries)',
    ],
  },
  {
    id: 'broker-restart',
    dependency: 'kafka',
    description: 'The Kafka broker stopped (SIGTERM) and started again after 10 s, same log directory and ports.',
    atMs: 90_000,
    action: { kind: 'restart', downMs: 10_000 },
    healthDuring: { status: [503], bodyMatches: /kafka/i, withinMs: 15_000 },
    healthAfter: HEALTHY,
    expectations: [
      'the open transaction is aborted or committed, never half applied: no state record, incident event or offset without the others',
      'the monitor reconnects by itself and resumes from the committed offsets',
      'the HTTP ingest answers 503 (retriable) while the broker is away, never 500, and the emitter retries',
    ],
  },
  {
    id: 'registry-stopped-30s',
    dependency: 'schema-registry',
    description:
      'The schema registry stopped for 30 s while Avro reports keep arriving (framed with ids the monitor has not cached yet: the registry is restarted empty-cache, or the ids are first used during the outage).',
    atMs: 140_000,
    action: { kind: 'stop', durationMs: 30_000 },
    healthDuring: { status: [200, 503], bodyMatches: /registry/i, withinMs: 15_000 },
    healthAfter: HEALTHY,
    expectations: [
      'valid Avro is not dead-lettered during the outage (issue 14, item 4): an unreachable registry is a dependency outage, retried until it answers; only a registry answer "no such id" is UNKNOWN_SCHEMA_ID',
      'JSON reports on other partitions keep flowing; the Avro partition waits and resumes in order',
      '/healthz names the registry as unavailable while the outage blocks a partition',
    ],
  },
  {
    id: 'slack-429-retry-after-45',
    dependency: 'slack',
    description:
      'The local Slack server answers every call 429 with `Retry-After: 45` for 100 s (longer than kafka.sessionTimeoutMs 30 s), then normally.',
    atMs: 190_000,
    action: { kind: 'respond', status: 429, headers: { 'retry-after': '45' }, durationMs: 100_000 },
    healthDuring: { status: [200, 503], bodyMatches: /slack|action/i, withinMs: 60_000 },
    healthAfter: HEALTHY,
    expectations: [
      'the action consumer is not evicted from its group (or, if it is, it rejoins and carries on): no crash, no silent stop (issue 14, item 3)',
      'the reports consumer never waits for Slack: its lag stays bounded during the 429s',
      'every incident opened meanwhile gets exactly one top-level Slack message after the 429s end',
    ],
  },
  {
    id: 'monitor-sigkill',
    dependency: 'monitor',
    description:
      'The monitor process killed with SIGKILL mid-stream (mid-batch), restarted after 5 s with the same instance id.',
    atMs: 220_000,
    action: { kind: 'sigkill', restartAfterMs: 5_000 },
    healthDuring: { status: [], unreachable: true, withinMs: 1_000 },
    healthAfter: HEALTHY,
    expectations: [
      'the restarted instance fences its predecessor and aborts its open transaction',
      'state of every assigned partition is loaded at assignment, before any report arrives (issue 14, item 5): the API lists the open incidents right after the restart',
      'the batch in flight is processed again from the committed offsets: same points, same incident events, nothing counted twice in a baseline',
    ],
  },
];

/** The invariants asserted at the end of the chaos test. */
export const CHAOS_INVARIANTS: readonly ChaosInvariant[] = [
  {
    id: 'runs-recorded-equal-reports',
    description:
      'Distinct event_ids produced (valid reports, duplicates counted once) = runs recorded: rootline_node_run points in InfluxDB (distinct pipeline, node, time) and the run counts of GET /api/v1/nodes.',
  },
  {
    id: 'no-duplicate-runs',
    description:
      "Each run_id appears once per node in InfluxDB and in the node's history; duplicates_total equals the number of re-sent reports.",
  },
  {
    id: 'incidents-equal-slack-messages',
    description:
      "Incidents opened (distinct incident ids with an `opened` event on rootline.incidents) = top-level Slack messages posted (the local Slack server's chat.postMessage log, one per incident id in message metadata).",
  },
  {
    id: 'no-duplicate-slack-messages',
    description:
      'No incident has two top-level Slack messages; thread replies and updates only through chat.update / replies.',
  },
  {
    id: 'injected-incidents-found',
    description: 'Every injected fault opened exactly one incident naming the injected node as culprit.',
  },
  {
    id: 'dead-letters-exact',
    description:
      'The dead-letter topic holds exactly the poison messages mixed in, each once, with its code and source topic/partition/offset; nothing valid was dead-lettered (in particular no Avro during the registry outage).',
  },
  {
    id: 'no-crash',
    description:
      'Apart from the deliberate SIGKILL the monitor process never exited; every loop (reports consumer, actions consumer, freshness, InfluxDB writer) is running at the end (/metrics, /healthz).',
  },
  {
    id: 'healthz-truthful',
    description:
      "During each fault /healthz answered as the fault's healthDuring says, within its time; after each fault it returned to 200; it never said 200 while a partition was stalled on a dependency.",
  },
  {
    id: 'offsets-committed',
    description:
      "At the end the consumer group's lag on the reports topic is 0 and the state topic reloads to the same state (a fresh instance answers the same /api/v1/incidents).",
  },
];

/** The chaos test of issue 14; figures go to bench/results/chaos.md. */
export const CHAOS_SCENARIO: ChaosScenario = {
  description:
    'A steady stream of 3,000 reports over 6 pipelines (5 nodes each, 6 partitions) with data faults injected, poison mixed in, and the dependency faults below one after another; then the invariants.',
  stream: {
    reports: 3_000,
    pipelines: 6,
    nodesPerPipeline: 5,
    partitions: 6,
    reportsPerSecond: 10,
    avroShare: 0.2,
    resentDuplicates: 50,
    injectedIncidents: 12,
    poison: [
      'random-bytes',
      'sketch-garbage-bytes',
      'sketch-family-flipped',
      'size-1mb-plus-1',
      'event-time-year-2300',
    ],
    drainMs: 180_000,
  },
  faults: DEPENDENCY_FAULTS,
  invariants: CHAOS_INVARIANTS,
};
