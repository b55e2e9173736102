import { pino, type Logger } from 'pino';

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
  'schemaRegistry.password',
  'http.token',
];

/** Structured JSON logs on stdout (or the given stream), secrets redacted. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'rootline' },
      redact: { paths: REDACT_PATHS, censor: '<redacted>' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? process.stdout,
  );
}

export type { Logger };
