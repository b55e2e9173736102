import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import { RootlineError } from '../errors/index.js';
import type { ProfileOptions } from '../profile/index.js';
import type { Transport } from './transport.js';

/** Default Kafka topic reports are produced to. */
export const DEFAULT_TOPIC = 'rootline.reports';
/** Default number of reports held (waiting or being retried) before the oldest is dropped. */
export const DEFAULT_MAX_BUFFER = 10_000;
/** Default number of reports sent in one batch (one Kafka produce request, one HTTP POST). */
export const DEFAULT_BATCH_SIZE = 100;
/** Default time a partial batch waits for more reports before it is sent. */
export const DEFAULT_FLUSH_INTERVAL_MS = 100;
/** Default first retry delay; it doubles on each consecutive failure (with jitter) up to `DEFAULT_BACKOFF_MAX_MS`. */
export const DEFAULT_BACKOFF_INITIAL_MS = 500;
/** Default longest retry delay. */
export const DEFAULT_BACKOFF_MAX_MS = 30_000;
/** Default longest wait honoured from a server's `Retry-After`. */
export const DEFAULT_RETRY_AFTER_MAX_MS = 300_000;
/** Default time `close()` waits for buffered reports to be delivered. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
/** Default timeout of one HTTP request. */
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;
/** Default largest encoded report sent (the monitor's default `kafka.maxMessageBytes`, 1 MiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_576;

/** Kafka transport options. */
export interface KafkaEmitterOptions {
  /** Bootstrap brokers, `host:port` (a list or a comma-separated string). Required. */
  brokers: string | readonly string[];
  /** Topic. Default `rootline.reports`. */
  topic?: string;
  /** Value encoding: `json` (default) or `avro` (Confluent wire format; needs `schemaRegistry`). */
  format?: 'json' | 'avro';
  /** Schema registry for `avro`: the report schema is registered under the subject `<topic>-value`. */
  schemaRegistry?: {
    /** Base URL (Confluent, or Apicurio's `/apis/ccompat/v7`). */
    url: string;
    /** Basic auth. */
    auth?: { username: string; password: string };
    /** Compatibility level the subject is expected to have (set on first registration). Default `BACKWARD`. */
    compatibility?:
      'NONE' | 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE';
  };
  /** TLS: true, or Node TLS options. Default off. */
  ssl?: boolean | ConnectionOptions;
  /** SASL (plain, scram-sha-256/512), as kafkajs takes it. Default none. */
  sasl?: SASLOptions;
  /** Kafka client id. Default `rootline-emitter`. */
  clientId?: string;
  /** Largest encoded report; a larger one is dropped (rejected) with the reason. Default 1 MiB. */
  maxMessageBytes?: number;
}

/** HTTP transport options (the monitor's `POST /api/v1/reports`). */
export interface HttpEmitterOptions {
  /** The monitor's base URL; reports go to `<url>/api/v1/reports`. Required. */
  url: string;
  /** Bearer token. Default none. */
  token?: string;
  /** Timeout of one request. Default 10 s. */
  timeoutMs?: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** Retry delays after a failed send. */
export interface BackoffOptions {
  /** First delay. Default 500 ms. */
  initialMs?: number;
  /** Longest delay. Default 30 s. */
  maxMs?: number;
  /** Growth per consecutive failure. Default 2. */
  multiplier?: number;
  /** Random fraction taken off each delay (0..1), so that many emitters do not retry in step. Default 0.5. */
  jitter?: number;
}

/** Where the emitter logs (a pino logger fits). Default: nothing is logged; `stats` and `lastError` tell. */
export interface EmitterLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
  info?(obj: Record<string, unknown>, msg: string): void;
  debug?(obj: Record<string, unknown>, msg: string): void;
}

/** Options of {@link createEmitter}: exactly one of `kafka`, `http` or `transport`. */
export interface EmitterOptions {
  kafka?: KafkaEmitterOptions;
  http?: HttpEmitterOptions;
  /** A custom transport (tests, other sinks). */
  transport?: Transport;
  /** Reports held before the oldest is dropped (counted in `overflow`). Default 10,000. */
  maxBuffer?: number;
  /** Reports per send. Default 100. */
  batchSize?: number;
  /** How long a partial batch waits for more reports. Default 100 ms. */
  flushIntervalMs?: number;
  /** Failed sends of one report before it is dropped (counted in `expired`). Default unlimited (until evicted by newer reports). */
  maxRetries?: number;
  /** Retry delays. */
  backoff?: BackoffOptions;
  /** Longest wait honoured from an HTTP `Retry-After`. Default 300 s. */
  retryAfterMaxMs?: number;
  /** How long `close()` waits by default. Default 10 s. */
  closeTimeoutMs?: number;
  /** Default profiling options of `profileAndReport`. */
  profile?: ProfileOptions;
  logger?: EmitterLogger;
}

/** The validated, defaulted form of {@link EmitterOptions}. */
export interface CompiledEmitterOptions {
  readonly maxBuffer: number;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly maxRetries: number;
  readonly backoff: Readonly<Required<BackoffOptions>>;
  readonly retryAfterMaxMs: number;
  readonly closeTimeoutMs: number;
  readonly profile: ProfileOptions;
  readonly logger: EmitterLogger | undefined;
}

const KNOWN_KEYS = new Set([
  'kafka',
  'http',
  'transport',
  'maxBuffer',
  'batchSize',
  'flushIntervalMs',
  'maxRetries',
  'backoff',
  'retryAfterMaxMs',
  'closeTimeoutMs',
  'profile',
  'logger',
]);

function positive(name: string, v: number | undefined, fallback: number, min = 1): number {
  const x = v ?? fallback;
  if (typeof x !== 'number' || Number.isNaN(x) || x < min)
    throw new RootlineError('CONFIG_INVALID', `emitter option ${name} must be a number >= ${min}, got ${String(x)}`);
  return x;
}

/** Validates the emitter options into their compiled form (unknown keys are errors). */
export function compileEmitterOptions(options: EmitterOptions): CompiledEmitterOptions {
  for (const key of Object.keys(options)) {
    if (!KNOWN_KEYS.has(key))
      throw new RootlineError(
        'CONFIG_INVALID',
        `unknown emitter option ${JSON.stringify(key)} (known: ${[...KNOWN_KEYS].join(', ')})`,
      );
  }
  const sinks = [options.kafka, options.http, options.transport].filter((x) => x !== undefined).length;
  if (sinks !== 1)
    throw new RootlineError('CONFIG_INVALID', 'give the emitter exactly one of kafka, http or transport');
  const b = options.backoff ?? {};
  const jitter = b.jitter ?? 0.5;
  if (!(jitter >= 0 && jitter <= 1))
    throw new RootlineError('CONFIG_INVALID', `emitter option backoff.jitter must be from 0 to 1, got ${jitter}`);
  const maxBuffer = positive('maxBuffer', options.maxBuffer, DEFAULT_MAX_BUFFER);
  return Object.freeze({
    maxBuffer,
    batchSize: positive('batchSize', options.batchSize, DEFAULT_BATCH_SIZE),
    flushIntervalMs: positive('flushIntervalMs', options.flushIntervalMs, DEFAULT_FLUSH_INTERVAL_MS, 0),
    maxRetries: positive('maxRetries', options.maxRetries, Infinity, 0),
    backoff: Object.freeze({
      initialMs: positive('backoff.initialMs', b.initialMs, DEFAULT_BACKOFF_INITIAL_MS, 0),
      maxMs: positive('backoff.maxMs', b.maxMs, DEFAULT_BACKOFF_MAX_MS, 0),
      multiplier: positive('backoff.multiplier', b.multiplier, 2, 1),
      jitter,
    }),
    retryAfterMaxMs: positive('retryAfterMaxMs', options.retryAfterMaxMs, DEFAULT_RETRY_AFTER_MAX_MS, 0),
    closeTimeoutMs: positive('closeTimeoutMs', options.closeTimeoutMs, DEFAULT_CLOSE_TIMEOUT_MS, 0),
    profile: options.profile ?? {},
    logger: options.logger,
  });
}
