import { DEFAULT_ROLLBACK_POLICY } from '../monitor/incidents.js';
import { DEFAULT_BASELINE_RUNS, DEFAULT_RESOLVE_AFTER_HEALTHY_RUNS, DEFAULT_RUN_HISTORY } from '../monitor/options.js';

/**
 * Every setting of the monitor, in one table: its key in the config file, its environment variable,
 * its type, its default and what it does. `rootline config` prints the effective values (secrets
 * redacted); docs/configuration.md is generated from this table (`rootline config --docs`).
 * The monitor core's own options take their defaults from the core (monitor/options.ts,
 * monitor/incidents.ts), the one place they are stated.
 */
export type SettingType = 'string' | 'int' | 'number' | 'boolean' | 'list' | 'duration' | 'enum' | 'tokens';

export interface Setting {
  key: string;
  env: string;
  type: SettingType;
  default?: string | number | boolean | string[];
  doc: string;
  secret?: boolean;
  values?: readonly string[];
  min?: number;
  max?: number;
}

export const SETTINGS: readonly Setting[] = [
  // Kafka
  {
    key: 'kafka.brokers',
    env: 'ROOTLINE_KAFKA_BROKERS',
    type: 'list',
    default: ['127.0.0.1:19092'],
    doc: 'Bootstrap brokers, host:port, comma-separated in the environment.',
  },
  {
    key: 'kafka.clientId',
    env: 'ROOTLINE_KAFKA_CLIENT_ID',
    type: 'string',
    default: 'rootline-monitor',
    doc: 'Kafka client id.',
  },
  {
    key: 'kafka.groupId',
    env: 'ROOTLINE_KAFKA_GROUP_ID',
    type: 'string',
    default: 'rootline-monitor',
    doc: 'Consumer group shared by all monitor instances.',
  },
  {
    key: 'kafka.instanceId',
    env: 'ROOTLINE_INSTANCE_ID',
    type: 'string',
    doc: 'Stable id of this instance (default: the host name). Names its transactional producer, so a restarted instance fences its predecessor; two instances must never share it.',
  },
  {
    key: 'kafka.topics.reports',
    env: 'ROOTLINE_TOPIC_REPORTS',
    type: 'string',
    default: 'rootline.reports',
    doc: 'Reports topic (key = pipeline).',
  },
  {
    key: 'kafka.topics.ingest',
    env: 'ROOTLINE_TOPIC_INGEST',
    type: 'list',
    default: [],
    doc: 'Further topics to consume (e.g. an OpenLineage events topic); their messages are converted and forwarded to the reports topic keyed by pipeline.',
  },
  {
    key: 'kafka.topics.dlq',
    env: 'ROOTLINE_TOPIC_DLQ',
    type: 'string',
    default: 'rootline.dlq',
    doc: 'Dead-letter topic; the reason is in the `rootline-error` header.',
  },
  {
    key: 'kafka.topics.state',
    env: 'ROOTLINE_TOPIC_STATE',
    type: 'string',
    default: 'rootline.state',
    doc: 'Compacted state topic (baselines, lineage, incidents).',
  },
  {
    key: 'kafka.topics.incidents',
    env: 'ROOTLINE_TOPIC_INCIDENTS',
    type: 'string',
    default: 'rootline.incidents',
    doc: 'Incident events (key = incident id).',
  },
  {
    key: 'kafka.topics.health',
    env: 'ROOTLINE_TOPIC_HEALTH',
    type: 'string',
    default: 'rootline.health',
    doc: 'Per node-run health events, read by every instance for cross-pipeline lineage.',
  },
  {
    key: 'kafka.topics.commands',
    env: 'ROOTLINE_TOPIC_COMMANDS',
    type: 'string',
    default: 'rootline.commands',
    doc: 'Rollback commands (when rollback.kafka is on).',
  },
  {
    key: 'kafka.partitions',
    env: 'ROOTLINE_KAFKA_PARTITIONS',
    type: 'int',
    default: 6,
    min: 1,
    max: 10000,
    doc: 'Partitions of the topics the monitor creates when they are missing.',
  },
  {
    key: 'kafka.replicationFactor',
    env: 'ROOTLINE_KAFKA_REPLICATION_FACTOR',
    type: 'int',
    default: 1,
    min: 1,
    max: 10,
    doc: 'Replication factor of topics the monitor creates.',
  },
  {
    key: 'kafka.maxMessageBytes',
    env: 'ROOTLINE_MAX_MESSAGE_BYTES',
    type: 'int',
    default: 1_048_576,
    min: 1024,
    doc: 'Reports larger than this go to the dead-letter topic (MESSAGE_TOO_LARGE).',
  },
  {
    key: 'kafka.maxWaitMs',
    env: 'ROOTLINE_KAFKA_MAX_WAIT_MS',
    type: 'duration',
    default: 100,
    doc: 'Longest the broker holds a fetch waiting for data (latency vs batching).',
  },
  {
    key: 'kafka.sessionTimeoutMs',
    env: 'ROOTLINE_KAFKA_SESSION_TIMEOUT_MS',
    type: 'duration',
    default: 30_000,
    doc: 'Consumer group session timeout: how long a dead instance holds its partitions before the group moves them.',
  },
  {
    key: 'kafka.transactionTimeoutMs',
    env: 'ROOTLINE_KAFKA_TRANSACTION_TIMEOUT_MS',
    type: 'duration',
    default: 15_000,
    doc: 'Transaction timeout of the batch commit.',
  },
  { key: 'kafka.ssl', env: 'ROOTLINE_KAFKA_SSL', type: 'boolean', default: false, doc: 'Connect with TLS.' },
  { key: 'kafka.sslCaFile', env: 'ROOTLINE_KAFKA_SSL_CA_FILE', type: 'string', doc: 'CA bundle (PEM) for TLS.' },
  {
    key: 'kafka.sslRejectUnauthorized',
    env: 'ROOTLINE_KAFKA_SSL_REJECT_UNAUTHORIZED',
    type: 'boolean',
    default: true,
    doc: "Verify the brokers' certificates.",
  },
  {
    key: 'kafka.sasl.mechanism',
    env: 'ROOTLINE_KAFKA_SASL_MECHANISM',
    type: 'enum',
    values: ['none', 'plain', 'scram-sha-256', 'scram-sha-512'],
    default: 'none',
    doc: 'SASL mechanism.',
  },
  { key: 'kafka.sasl.username', env: 'ROOTLINE_KAFKA_SASL_USERNAME', type: 'string', doc: 'SASL user name.' },
  {
    key: 'kafka.sasl.password',
    env: 'ROOTLINE_KAFKA_SASL_PASSWORD',
    type: 'string',
    secret: true,
    doc: 'SASL password.',
  },
  // Schema registry
  {
    key: 'schemaRegistry.url',
    env: 'ROOTLINE_SCHEMA_REGISTRY_URL',
    type: 'string',
    doc: 'Confluent-compatible schema registry (Avro reports). Without it, Avro messages go to the dead-letter topic.',
  },
  { key: 'schemaRegistry.username', env: 'ROOTLINE_SCHEMA_REGISTRY_USERNAME', type: 'string', doc: 'Basic auth user.' },
  {
    key: 'schemaRegistry.password',
    env: 'ROOTLINE_SCHEMA_REGISTRY_PASSWORD',
    type: 'string',
    secret: true,
    doc: 'Basic auth password.',
  },
  // InfluxDB
  {
    key: 'influx.url',
    env: 'ROOTLINE_INFLUX_URL',
    type: 'string',
    default: 'http://127.0.0.1:18086',
    doc: 'InfluxDB (2.x, or 1.8 with the v2 API).',
  },
  {
    key: 'influx.token',
    env: 'ROOTLINE_INFLUX_TOKEN',
    type: 'string',
    default: '',
    secret: true,
    doc: 'API token (any value for 1.8 without auth).',
  },
  {
    key: 'influx.org',
    env: 'ROOTLINE_INFLUX_ORG',
    type: 'string',
    default: 'rootline',
    doc: 'Organization (ignored by 1.8).',
  },
  {
    key: 'influx.bucket',
    env: 'ROOTLINE_INFLUX_BUCKET',
    type: 'string',
    default: 'rootline',
    doc: 'Bucket (1.8: database or database/retention-policy).',
  },
  {
    key: 'influx.createBucket',
    env: 'ROOTLINE_INFLUX_CREATE_BUCKET',
    type: 'boolean',
    default: true,
    doc: 'Create the bucket at start-up if it is missing (2.x API, or CREATE DATABASE on 1.8).',
  },
  {
    key: 'influx.timeoutMs',
    env: 'ROOTLINE_INFLUX_TIMEOUT_MS',
    type: 'duration',
    default: 10_000,
    doc: 'Timeout of one write.',
  },
  {
    key: 'influx.maxRetryDelayMs',
    env: 'ROOTLINE_INFLUX_MAX_RETRY_DELAY_MS',
    type: 'duration',
    default: 30_000,
    doc: 'Longest pause between write retries while InfluxDB is down (consumption pauses meanwhile).',
  },
  // HTTP
  {
    key: 'http.enabled',
    env: 'ROOTLINE_HTTP_ENABLED',
    type: 'boolean',
    default: true,
    doc: 'Serve the HTTP API (ingest, lineage, health, metrics).',
  },
  {
    key: 'http.host',
    env: 'ROOTLINE_HTTP_HOST',
    type: 'string',
    default: '127.0.0.1',
    doc: 'Address to listen on (0.0.0.0 in containers).',
  },
  {
    key: 'http.port',
    env: 'ROOTLINE_HTTP_PORT',
    type: 'int',
    default: 8080,
    min: 0,
    max: 65535,
    doc: 'HTTP port (0: any free port).',
  },
  {
    key: 'http.tokens',
    env: 'ROOTLINE_HTTP_TOKENS',
    type: 'tokens',
    default: [],
    doc: 'API tokens, stored hashed: a list of `{name, hash: sha256:<hex>, roles: [read, ingest, operate, admin], pipelines: [glob, ...]}` (JSON in the environment); `rootline token create` prints an entry. With any token configured, every endpoint but /healthz and /livez needs one (docs/api.md).',
  },
  {
    key: 'http.token',
    env: 'ROOTLINE_HTTP_TOKEN',
    type: 'string',
    secret: true,
    doc: 'A single plain-text token with the admin role (kept for compatibility; prefer http.tokens, which stores hashes).',
  },
  {
    key: 'http.maxBodyBytes',
    env: 'ROOTLINE_HTTP_MAX_BODY_BYTES',
    type: 'int',
    default: 10_485_760,
    min: 1024,
    doc: 'Largest request body accepted.',
  },
  // Monitor
  {
    key: 'monitor.rules',
    env: 'ROOTLINE_RULES',
    type: 'string',
    default: 'rules',
    doc: 'Rules folder (or file); reloaded on change.',
  },
  {
    key: 'monitor.baselineRuns',
    env: 'ROOTLINE_BASELINE_RUNS',
    type: 'int',
    default: DEFAULT_BASELINE_RUNS,
    min: 1,
    max: 1000,
    doc: "Healthy runs kept in each node's baseline.",
  },
  {
    key: 'monitor.runHistory',
    env: 'ROOTLINE_RUN_HISTORY',
    type: 'int',
    default: DEFAULT_RUN_HISTORY,
    min: 1,
    max: 10000,
    doc: 'Runs kept per node for lineage queries and RCA.',
  },
  {
    key: 'monitor.resolveAfterHealthyRuns',
    env: 'ROOTLINE_RESOLVE_AFTER',
    type: 'int',
    default: DEFAULT_RESOLVE_AFTER_HEALTHY_RUNS,
    min: 1,
    max: 1000,
    doc: 'Healthy runs of the culprit that resolve its incident.',
  },
  {
    key: 'monitor.freshnessCheckMs',
    env: 'ROOTLINE_FRESHNESS_CHECK_MS',
    type: 'duration',
    default: 60_000,
    doc: 'How often silent nodes are checked (freshness rules).',
  },
  {
    key: 'monitor.opsIntervalMs',
    env: 'ROOTLINE_OPS_INTERVAL_MS',
    type: 'duration',
    default: 10_000,
    doc: 'How often the monitor writes its own operational metrics to InfluxDB.',
  },
  // Slack
  {
    key: 'slack.token',
    env: 'ROOTLINE_SLACK_TOKEN',
    type: 'string',
    secret: true,
    doc: 'Bot token (xoxb-...). Without it, Slack actions are logged only.',
  },
  {
    key: 'slack.channel',
    env: 'ROOTLINE_SLACK_CHANNEL',
    type: 'string',
    default: '#data-incidents',
    doc: 'Channel for incident messages. Use the channel id (C0123ABC): after a restart the notifier looks up its earlier messages with conversations.history, which takes ids, not names.',
  },
  {
    key: 'slack.apiUrl',
    env: 'ROOTLINE_SLACK_API_URL',
    type: 'string',
    default: 'https://slack.com/api/',
    doc: 'Slack Web API base URL.',
  },
  {
    key: 'slack.grafanaUrlTemplate',
    env: 'ROOTLINE_GRAFANA_URL_TEMPLATE',
    type: 'string',
    default:
      'http://localhost:3000/d/rootline-node/node-drill-down?var-pipeline={pipeline}&var-node={node}&from={from}&to={to}',
    doc: 'Drill-down link in alerts; {pipeline}, {node}, {column}, {incident_id}, {from}, {to} are filled in.',
  },
  {
    key: 'slack.maxRetryDelayMs',
    env: 'ROOTLINE_SLACK_MAX_RETRY_DELAY_MS',
    type: 'duration',
    default: 60_000,
    doc: 'Longest pause between retries of a Slack call.',
  },
  // Rollback
  {
    key: 'rollback.dryRun',
    env: 'ROOTLINE_ROLLBACK_DRY_RUN',
    type: 'boolean',
    default: DEFAULT_ROLLBACK_POLICY.dryRun,
    doc: 'Record rollback decisions without dispatching them.',
  },
  {
    key: 'rollback.cooldownMs',
    env: 'ROOTLINE_ROLLBACK_COOLDOWN_MS',
    type: 'duration',
    default: DEFAULT_ROLLBACK_POLICY.cooldownMs,
    doc: 'No second rollback of a node within this time.',
  },
  {
    key: 'rollback.allowAmbiguous',
    env: 'ROOTLINE_ROLLBACK_ALLOW_AMBIGUOUS',
    type: 'boolean',
    default: DEFAULT_ROLLBACK_POLICY.allowAmbiguous,
    doc: 'Roll back even when the root is ambiguous.',
  },
  {
    key: 'rollback.kafka',
    env: 'ROOTLINE_ROLLBACK_KAFKA',
    type: 'boolean',
    default: true,
    doc: 'Dispatch rollback commands to the commands topic.',
  },
  {
    key: 'rollback.webhookUrl',
    env: 'ROOTLINE_ROLLBACK_WEBHOOK_URL',
    type: 'string',
    doc: 'Dispatch rollback commands to this URL (POST).',
  },
  {
    key: 'rollback.webhookAllowHosts',
    env: 'ROOTLINE_ROLLBACK_WEBHOOK_ALLOW_HOSTS',
    type: 'list',
    default: [],
    doc: 'Hosts the webhook may call; a URL on another host is refused at start-up.',
  },
  {
    key: 'rollback.webhookBodyTemplate',
    env: 'ROOTLINE_ROLLBACK_WEBHOOK_BODY',
    type: 'string',
    doc: 'JSON body template; {{incident_id}}, {{pipeline}}, {{node}}, {{to_data_version}}, {{to_code_version}}, {{to_run_id}}, {{idempotency_key}}, {{dry_run}} are filled in (JSON-escaped).',
  },
  {
    key: 'rollback.webhookToken',
    env: 'ROOTLINE_ROLLBACK_WEBHOOK_TOKEN',
    type: 'string',
    secret: true,
    doc: 'Bearer token sent to the webhook.',
  },
  // Logging
  {
    key: 'log.level',
    env: 'ROOTLINE_LOG_LEVEL',
    type: 'enum',
    values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
    default: 'info',
    doc: 'Log level (pino, JSON lines on stdout).',
  },
];
