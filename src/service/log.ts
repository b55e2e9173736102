import { pino, type Logger } from 'pino';
import { redactText } from '../redact.js';

/** Paths never logged in clear, wherever they appear in a log line. */
export const REDACT_PATHS = [
  'password',
  'token',
  '*.password',
  '*.token',
  '*.*.password',
  '*.*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'sasl.password',
  'kafka.sasl.password',
  'influx.token',
  'slack.token',
  'rollback.webhookToken',
  'rerun.password',
  'rerun.token',
  'schemaRegistry.password',
  'http.token',
];

/**
 * Structured JSON logs on stdout (or the given stream), secrets redacted: the fields above by name,
 * and credentials inside any URL anywhere in the line (src/redact.ts).
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const out = destination ?? process.stdout;
  // Applied to the serialized line, so messages, error stacks and nested fields are all covered.
  const redacting = { write: (line: string) => out.write(redactText(line)) };
  return pino(
    {
      level,
      base: { service: 'rootline' },
      redact: { paths: REDACT_PATHS, censor: '<redacted>' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    redacting,
  );
}

export type { Logger };
