import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel as KafkaLogLevel, type KafkaConfig, type LogEntry, type Producer } from 'kafkajs';
import { REPORT_AVRO_SCHEMA, REPORT_SPEC, encodeReportAvro } from '../contract/index.js';
import { RootlineError, errorMessage } from '../errors/index.js';
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_TOPIC, type EmitterLogger, type KafkaEmitterOptions } from './options.js';
import { SPEC_HEADER, encodeJson, retryAll, type Envelope, type SendResult, type Transport } from './transport.js';

// Broker answers that no retry fixes: the message itself is wrong (Kafka protocol error names).
const PERMANENT_KAFKA_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_REQUIRED_ACKS',
  'INVALID_TIMESTAMP',
  'TOPIC_AUTHORIZATION_FAILED',
  'INVALID_TOPIC_EXCEPTION',
]);

/** The Kafka protocol error name behind a kafkajs error (also when wrapped by its retrier), if any. */
function kafkaErrorType(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const o = e as { type?: unknown; originalError?: unknown; cause?: unknown };
    if (typeof o.type === 'string') return o.type;
    e = o.originalError ?? o.cause;
  }
  return undefined;
}

/** True when a produce error is about the messages (dropped) rather than the connection (retried). */
export function isPermanentKafkaError(err: unknown): boolean {
  const type = kafkaErrorType(err);
  return type !== undefined && PERMANENT_KAFKA_ERRORS.has(type);
}

function logCreator(logger: EmitterLogger | undefined) {
  return () =>
    ({ level, log }: LogEntry) => {
      if (logger === undefined) return;
      const { message, ...rest } = log;
      const fields = { component: 'kafkajs', ...rest };
      if (level <= KafkaLogLevel.WARN) logger.debug?.(fields, message);
    };
}

/** Confluent wire format: magic byte 0, the schema id (4 bytes, big-endian), the Avro binary. */
export function confluentFrame(schemaId: number, avro: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeInt32BE(schemaId, 1);
  return Buffer.concat([head, avro]);
}

/**
 * Produces each report to a topic with kafkajs: key = the pipeline (so a pipeline's reports stay in
 * order on one partition), header `rootline-spec: rootline.report/v1`, value = the report as UTF-8 JSON
 * or, with `format: 'avro'`, Avro in the Confluent wire format with the schema registered under
 * `<topic>-value`. Idempotent producer, acks from all in-sync replicas. A connection or broker failure
 * retries the batch; a message the broker refuses (too large, invalid) is dropped with the reason.
 */
export class KafkaTransport implements Transport {
  readonly name = 'kafka';
  readonly topic: string;
  private readonly kafka: Kafka;
  private readonly format: 'json' | 'avro';
  private readonly registry: SchemaRegistry | undefined;
  private readonly options: KafkaEmitterOptions;
  private readonly maxMessageBytes: number;
  private producer: Producer | undefined;
  private connecting: Promise<Producer> | undefined;
  private schemaId: number | undefined;

  constructor(options: KafkaEmitterOptions, logger?: EmitterLogger) {
    const brokers =
      typeof options.brokers === 'string'
        ? options.brokers
            .split(',')
            .map((b) => b.trim())
            .filter((b) => b !== '')
        : [...options.brokers];
    if (brokers.length === 0)
      throw new RootlineError('CONFIG_INVALID', 'emitter option kafka.brokers must name at least one broker');
    this.options = options;
    this.topic = options.topic ?? DEFAULT_TOPIC;
    this.format = options.format ?? 'json';
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (this.format !== 'json' && this.format !== 'avro')
      throw new RootlineError(
        'CONFIG_INVALID',
        `emitter option kafka.format must be "json" or "avro", got ${String(this.format)}`,
      );
    if (this.format === 'avro') {
      if (options.schemaRegistry === undefined)
        throw new RootlineError('CONFIG_INVALID', 'emitter option kafka.format "avro" needs kafka.schemaRegistry.url');
      this.registry = new SchemaRegistry({
        host: options.schemaRegistry.url,
        ...(options.schemaRegistry.auth ? { auth: options.schemaRegistry.auth } : {}),
        retry: { retries: 1 },
      });
    }
    const config: KafkaConfig = {
      clientId: options.clientId ?? 'rootline-emitter',
      brokers,
      logLevel: KafkaLogLevel.WARN,
      logCreator: logCreator(logger),
      connectionTimeout: 3000,
      requestTimeout: 30_000,
      // a short retry inside kafkajs; the emitter's own backoff takes over after that
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 },
    };
    if (options.ssl !== undefined) config.ssl = options.ssl;
    if (options.sasl !== undefined) config.sasl = options.sasl;
    this.kafka = new Kafka(config);
  }

  private connect(): Promise<Producer> {
    if (this.producer !== undefined) return Promise.resolve(this.producer);
    this.connecting ??= (async () => {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 },
      });
      try {
        await producer.connect();
      } catch (err: unknown) {
        await producer.disconnect().catch(() => undefined);
        throw err;
      }
      this.producer = producer;
      return producer;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async encode(env: Envelope): Promise<Buffer> {
    if (env.payload !== undefined) return env.payload;
    if (this.format === 'json') return (env.payload = encodeJson(env.report));
    if (this.schemaId === undefined) {
      const registered = await this.registry!.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(REPORT_AVRO_SCHEMA) },
        {
          subject: `${this.topic}-value`,
          ...(this.options.schemaRegistry?.compatibility
            ? { compatibility: this.options.schemaRegistry.compatibility as never }
            : {}),
        },
      );
      this.schemaId = registered.id;
    }
    return (env.payload = confluentFrame(this.schemaId, encodeReportAvro(env.report)));
  }

  async send(batch: readonly Envelope[]): Promise<SendResult> {
    const rejected: SendResult['rejected'] = [];
    const ready: { env: Envelope; value: Buffer }[] = [];
    for (const env of batch) {
      let value: Buffer;
      try {
        value = await this.encode(env);
      } catch (err: unknown) {
        if (env.payload === undefined && this.schemaId === undefined && this.format === 'avro') {
          const status = (err as { status?: unknown }).status;
          // 4xx from the registry (other than 408/429): the schema is refused, retrying will not help
          if (typeof status === 'number' && status >= 400 && status < 500 && status !== 408 && status !== 429) {
            return {
              delivered: 0,
              retry: [],
              rejected: batch.map((envelope) => ({
                envelope,
                reason: `schema registry refused the report schema (subject ${this.topic}-value): ${errorMessage(err)}`,
              })),
            };
          }
          return retryAll(batch, `schema registry: ${errorMessage(err)}`);
        }
        rejected.push({ envelope: env, reason: `cannot encode the report as ${this.format}: ${errorMessage(err)}` });
        continue;
      }
      if (value.length > this.maxMessageBytes) {
        rejected.push({
          envelope: env,
          reason: `the encoded report is ${value.length} bytes, more than kafka.maxMessageBytes (${this.maxMessageBytes})`,
        });
        continue;
      }
      ready.push({ env, value });
    }
    if (ready.length === 0) return { delivered: 0, retry: [], rejected };
    let producer: Producer;
    try {
      producer = await this.connect();
    } catch (err: unknown) {
      return {
        ...retryAll(
          ready.map((r) => r.env),
          `cannot connect to Kafka: ${errorMessage(err)}`,
        ),
        rejected,
      };
    }
    const result = await this.produce(producer, ready);
    return { ...result, rejected: [...rejected, ...result.rejected] };
  }

  private async produce(producer: Producer, ready: { env: Envelope; value: Buffer }[]): Promise<SendResult> {
    try {
      await producer.send({
        topic: this.topic,
        acks: -1,
        messages: ready.map(({ env, value }) => ({
          key: env.report.pipeline,
          value,
          headers: { [SPEC_HEADER]: REPORT_SPEC },
        })),
      });
      return { delivered: ready.length, retry: [], rejected: [] };
    } catch (err: unknown) {
      if (!isPermanentKafkaError(err))
        return retryAll(
          ready.map((r) => r.env),
          `Kafka produce to ${this.topic}: ${errorMessage(err)}`,
        );
      if (ready.length === 1)
        return {
          delivered: 0,
          retry: [],
          rejected: [{ envelope: ready[0]!.env, reason: `Kafka refused the message: ${errorMessage(err)}` }],
        };
      // one bad message fails the whole request: send one by one to find it
      const out: SendResult = { delivered: 0, retry: [], rejected: [] };
      for (const item of ready) {
        const r = await this.produce(producer, [item]);
        out.delivered += r.delivered;
        out.retry.push(...r.retry);
        out.rejected.push(...r.rejected);
        if (r.error !== undefined) out.error = r.error;
      }
      return out;
    }
  }

  async close(): Promise<void> {
    const producer = this.producer ?? (await this.connecting?.catch(() => undefined));
    this.producer = undefined;
    await producer?.disconnect().catch(() => undefined);
  }
}
