/**
 * The TypeScript emitter SDK: build and profile `rootline.report/v1` reports and send them to the
 * monitor over Kafka (JSON or Avro with a schema registry) or HTTP, in the background, with a bounded
 * buffer, batching and retries. docs/emitters.md has examples.
 */
export {
  createEmitter,
  type Emitter,
  type EmitterProblem,
  type EmitterStats,
  type ProfileAndReportArgs,
} from './emitter.js';
export {
  DEFAULT_BACKOFF_INITIAL_MS,
  DEFAULT_BACKOFF_MAX_MS,
  DEFAULT_BATCH_SIZE,
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_FLUSH_INTERVAL_MS,
  DEFAULT_HTTP_TIMEOUT_MS,
  DEFAULT_MAX_BUFFER,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_RETRY_AFTER_MAX_MS,
  DEFAULT_TOPIC,
  compileEmitterOptions,
  type BackoffOptions,
  type CompiledEmitterOptions,
  type EmitterLogger,
  type EmitterOptions,
  type HttpEmitterOptions,
  type KafkaEmitterOptions,
} from './options.js';
export { buildReport, formatTime, type BuildReportArgs, type ReportFields } from './report.js';
export { HttpTransport, REPORTS_PATH, parseRetryAfter } from './http.js';
export { KafkaTransport, confluentFrame, isPermanentKafkaError } from './kafka.js';
export { SPEC_HEADER, encodeJson, retryAll, type Envelope, type SendResult, type Transport } from './transport.js';
