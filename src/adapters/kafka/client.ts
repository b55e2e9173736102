import { readFileSync } from 'node:fs';
import { Kafka, logLevel as KafkaLogLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { MonitorConfig } from '../../config/index.js';
import { classify } from '../../errors/classify.js';
import type { RootlineError } from '../../errors/index.js';
import { useFastCrc32c } from './crc32c.js';

// Before any client encodes a record batch: kafkajs checksums them with the faster CRC-32C.
useFastCrc32c();

/** kafkajs' log lines go to our logger (structured), at the matching level. */
function logCreator(logger: Logger | undefined) {
  return () =>
    ({ level, log }: LogEntry) => {
      if (!logger) return;
      const { message, ...rest } = log;
      const fields = { component: 'kafkajs', ...rest };
      if (level === KafkaLogLevel.ERROR) logger.warn(fields, message);
      else if (level === KafkaLogLevel.WARN) logger.info(fields, message);
      else logger.debug(fields, message);
    };
}

/** A kafkajs client from the monitor's configuration (TLS and SASL passed through). */
export function createKafka(cfg: MonitorConfig['kafka'], logger?: Logger, clientIdSuffix = ''): Kafka {
  const config: KafkaConfig = {
    clientId: `${cfg.clientId}${clientIdSuffix}`,
    brokers: cfg.brokers,
    logLevel: KafkaLogLevel.WARN,
    logCreator: logCreator(logger),
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, maxRetryTime: 10_000, retries: 10 },
  };
  if (cfg.ssl) {
    config.ssl = {
      rejectUnauthorized: cfg.sslRejectUnauthorized,
      ...(cfg.sslCaFile ? { ca: [readFileSync(cfg.sslCaFile, 'utf8')] } : {}),
    };
  }
  if (cfg.sasl.mechanism !== 'none') {
    config.sasl = {
      mechanism: cfg.sasl.mechanism,
      username: cfg.sasl.username ?? '',
      password: cfg.sasl.password ?? '',
    } as SASLOptions;
  }
  return new Kafka(config);
}

/** Maps kafkajs errors into RootlineError; whether they are retriable is decided by errors/classify. */
export function kafkaError(err: unknown, what: string): RootlineError {
  return classify(err, 'KAFKA_ERROR', what);
}
