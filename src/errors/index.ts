import { redactText } from '../redact.js';

/**
 * The one error type Rootline throws. Every failure has a code from a closed set, says whether
 * retrying the same operation may succeed, and keeps the underlying error as `cause`.
 * Errors from kafkajs, the InfluxDB client and the Slack client are mapped into it at the adapter
 * that calls them (src/io, src/actions), nowhere else.
 */
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'PREREQUISITE_MISSING',
  'SERVICE_INSTALL_FAILED',
  'SERVICE_START_FAILED',
  'PORT_IN_USE',
  'SERVICE_UNAVAILABLE',
  'REPORT_INVALID',
  'DECODE_FAILED',
  'MESSAGE_TOO_LARGE',
  'SKETCH_INVALID',
  'INVALID_ARGUMENT',
  'FILE_INVALID',
  'RULES_INVALID',
  'KAFKA_ERROR',
  'INFLUX_ERROR',
  'SLACK_ERROR',
  'WEBHOOK_ERROR',
  'NOT_FOUND',
  'FORBIDDEN',
  'SINK_REJECTED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface RootlineErrorOptions {
  /** Whether the same operation may succeed if tried again later. Default false. */
  retriable?: boolean;
  /** The underlying error. */
  cause?: unknown;
  /** Structured details for logs and API answers (never secrets). */
  details?: Record<string, unknown>;
  /** For retriable errors: how long the other side asked us to wait, in milliseconds. */
  retryAfterMs?: number;
}

export class RootlineError extends Error {
  override readonly name = 'RootlineError';
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: RootlineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.details = options.details;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isRootlineError(err: unknown, code?: ErrorCode): err is RootlineError {
  return err instanceof RootlineError && (code === undefined || err.code === code);
}

/** A short human message for any thrown value, credentials in URLs redacted (src/redact.ts). */
export function errorMessage(err: unknown): string {
  return redactText(err instanceof Error ? err.message : String(err));
}
