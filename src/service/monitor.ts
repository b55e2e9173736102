import { watch, type FSWatcher } from 'node:fs';
import { parseArgs } from 'node:util';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { ActionDispatcher, SlackNotifier } from '../actions/index.js';
import { configDocs, describeConfig, loadConfig, type MonitorConfig } from '../config/index.js';
import { RootlineError, errorMessage } from '../errors/index.js';
import { apiQueries } from './api.js';
import { startHttpServer } from '../adapters/http/server.js';
import { InfluxSink } from '../adapters/influx/sink.js';
import { createKafka } from '../adapters/kafka/client.js';
import { IncidentsConsumer } from './actions-loop.js';
import { KafkaMonitor } from './batch-loop.js';
import { createLogger, type Logger } from './log.js';
import { monitorMetrics } from './metrics.js';
import { MonitorCore, MEASUREMENTS, type MetricPoint } from '../monitor/index.js';
import { convertRunEvent } from '../openlineage/index.js';
import { formatProblems, loadRules, type RuleProblem } from '../rules/index.js';

const USAGE = `usage: rootline monitor [--config FILE] [--print-config]
       rootline config [--config FILE] [--docs]

Consumes reports from Kafka, evaluates them against each node's healthy baseline, writes metrics to
InfluxDB, raises one incident per root cause (Slack / rollback), and serves the HTTP API.
Settings: the config file, then ROOTLINE_* environment variables (docs/configuration.md).`;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `rootline config`: the effective configuration (secrets redacted), or the reference as Markdown. */
export function configCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string' }, docs: { type: 'boolean', default: false } },
  });
  if (values.docs) {
    process.stdout.write(configDocs());
    return Promise.resolve(0);
  }
  const cfg = loadConfig(values.config !== undefined ? { file: values.config } : {});
  process.stdout.write(`${describeConfig(cfg)}\n`);
  return Promise.resolve(0);
}

class StoppedDuringStartup extends Error {}

/** Retries a start-up step while the other side is not reachable yet; gives up at once on a stop signal. */
async function retryStartup<T>(
  what: string,
  log: Logger,
  fn: () => Promise<T>,
  stop: Promise<unknown>,
  attempts = 30,
): Promise<T> {
  let stopped = false;
  void stop.then(() => (stopped = true));
  let delay = 500;
  for (let i = 1; ; i++) {
    if (stopped) throw new StoppedDuringStartup(what);
    try {
      return await fn();
    } catch (err: unknown) {
      const retriable = !(err instanceof RootlineError) || err.retriable;
      if (!retriable || i >= attempts || stopped) throw stopped ? new StoppedDuringStartup(what) : err;
      log.warn({ what, attempt: i, err: errorMessage(err) }, 'not reachable yet; retrying');
      await Promise.race([sleep(delay), stop]);
      delay = Math.min(delay * 2, 10_000);
    }
  }
}

/** Watches the rules folder and swaps the rules in when they change and are valid. */
function watchRules(
  dir: string,
  onRules: (r: ReturnType<typeof loadRules>) => void,
  log: Logger,
): FSWatcher | undefined {
  let timer: NodeJS.Timeout | undefined;
  try {
    return watch(dir, () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        try {
          const rules = loadRules(dir);
          onRules(rules);
          log.info({ rules: rules.rules.length, files: rules.files }, 'rules reloaded');
        } catch (err: unknown) {
          const problems = (err as RootlineError).details?.problems as RuleProblem[] | undefined;
          log.error(
            { problems: problems ? formatProblems(problems) : errorMessage(err) },
            'rules changed but are invalid; keeping the previous rules',
          );
        }
      }, 300);
    });
  } catch (err: unknown) {
    log.warn({ dir, err: errorMessage(err) }, 'cannot watch the rules folder; rules will not reload');
    return undefined;
  }
}

/** The running parts, for tests and embedding. */
export interface MonitorHandles {
  core: MonitorCore;
  kafka: KafkaMonitor;
  dispatcher: ActionDispatcher;
  httpUrl: string | undefined;
  metrics: ReturnType<typeof monitorMetrics>;
}

/** The whole `rootline monitor` process; resolves when it has shut down. */
export async function runMonitor(
  cfg: MonitorConfig,
  log: Logger,
  stopSignal: Promise<unknown>,
  onStarted?: (h: MonitorHandles) => void,
): Promise<void> {
  const rules = loadRules(cfg.monitor.rules);
  const core = new MonitorCore({
    rules,
    baselineRuns: cfg.monitor.baselineRuns,
    runHistory: cfg.monitor.runHistory,
    resolveAfterHealthyRuns: cfg.monitor.resolveAfterHealthyRuns,
    rollback: {
      dryRun: cfg.rollback.dryRun,
      cooldownMs: cfg.rollback.cooldownMs,
      allowAmbiguous: cfg.rollback.allowAmbiguous,
    },
  });
  const metrics = monitorMetrics();
  const influx = new InfluxSink({
    url: cfg.influx.url,
    token: cfg.influx.token,
    org: cfg.influx.org,
    bucket: cfg.influx.bucket,
    timeoutMs: cfg.influx.timeoutMs,
  });
  if (cfg.influx.createBucket) {
    try {
      const api = await retryStartup('InfluxDB', log, () => influx.ensureBucket(), stopSignal);
      log.info({ bucket: cfg.influx.bucket, api }, 'InfluxDB bucket ready');
    } catch (err: unknown) {
      if (!(err instanceof StoppedDuringStartup)) throw err;
      log.info('stopped during start-up');
      return;
    }
  }
  const registry = cfg.schemaRegistry.url
    ? new SchemaRegistry({
        host: cfg.schemaRegistry.url,
        ...(cfg.schemaRegistry.username
          ? { auth: { username: cfg.schemaRegistry.username, password: cfg.schemaRegistry.password ?? '' } }
          : {}),
      })
    : undefined;

  const kafka = createKafka(cfg.kafka, log, '-actions');
  const commandsProducer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  const actionPoints: MetricPoint[] = [];
  const slack = cfg.slack.token
    ? new SlackNotifier({
        token: cfg.slack.token,
        channel: cfg.slack.channel,
        apiUrl: cfg.slack.apiUrl,
        grafanaUrlTemplate: cfg.slack.grafanaUrlTemplate,
        maxRetryDelayMs: cfg.slack.maxRetryDelayMs,
        logger: log,
      })
    : undefined;
  if (slack) slack.onCall = (method, outcome) => metrics.slackCalls.inc({ method, outcome });
  const dispatcher = new ActionDispatcher({
    slack,
    logger: log,
    maxRetryDelayMs: cfg.slack.maxRetryDelayMs,
    ...(cfg.rollback.kafka
      ? {
          sendCommand: async (cmd) => {
            await commandsProducer.send({
              topic: cfg.kafka.topics.commands,
              messages: [
                {
                  key: cmd.idempotency_key,
                  value: JSON.stringify(cmd),
                  headers: { 'idempotency-key': cmd.idempotency_key },
                },
              ],
            });
          },
        }
      : {}),
    ...(cfg.rollback.webhookUrl
      ? {
          webhook: {
            url: cfg.rollback.webhookUrl,
            allowHosts: cfg.rollback.webhookAllowHosts,
            bodyTemplate: cfg.rollback.webhookBodyTemplate,
            token: cfg.rollback.webhookToken,
          },
        }
      : {}),
    onOutcome: (o) => {
      if (o.action === 'rollback') metrics.rollbackCalls.inc({ outcome: o.outcome });
      actionPoints.push({
        measurement: 'rootline_action',
        tags: { action: o.action, outcome: o.outcome },
        fields: { incident_id: o.incident_id, version: o.version, count: 1, ...(o.detail ? { detail: o.detail } : {}) },
        time: Date.parse(o.at),
      });
    },
  });

  const km = new KafkaMonitor({
    config: cfg,
    core,
    sink: influx,
    decoder: { avro: registry, openLineage: convertRunEvent },
    metrics,
    logger: log,
  });
  const incidents = new IncidentsConsumer(kafka, cfg.kafka, dispatcher, log);

  let http: Awaited<ReturnType<typeof startHttpServer>> | undefined;
  if (cfg.http.enabled) {
    http = await startHttpServer({
      host: cfg.http.host,
      port: cfg.http.port,
      token: cfg.http.token,
      maxBodyBytes: cfg.http.maxBodyBytes,
      ingest: {
        ingest: (reports, source) =>
          km.produceReports(reports.map((r) => ({ pipeline: r.pipeline, value: JSON.stringify(r), source }))),
      },
      openLineage: convertRunEvent,
      health: async () => {
        const influxOk = await influx.healthy();
        const kafkaOk = km.ready;
        return {
          ok: influxOk && kafkaOk,
          details: {
            kafka: kafkaOk ? 'ok' : 'unavailable',
            influxdb: influxOk ? 'ok' : 'unavailable',
            ...km.status,
            instance: cfg.kafka.instanceId,
          },
        };
      },
      metrics: metrics.registry,
      requests: metrics.httpRequests,
      queries: apiQueries(core, `instance ${cfg.kafka.instanceId}`),
      logger: log,
    });
    log.info({ url: http.url }, 'HTTP API listening');
  }

  try {
    await retryStartup('Kafka', log, () => km.start(), stopSignal);
  } catch (err: unknown) {
    if (!(err instanceof StoppedDuringStartup)) throw err;
    log.info('stopped during start-up');
    await km.stop();
    await http?.close();
    return;
  }
  await commandsProducer.connect();
  await incidents.start();
  log.info(
    { instance: cfg.kafka.instanceId, group: cfg.kafka.groupId, topics: cfg.kafka.topics, http: http?.url },
    'monitor started',
  );
  onStarted?.({ core, kafka: km, dispatcher, httpUrl: http?.url, metrics });

  const rulesWatcher = watchRules(cfg.monitor.rules, (r) => core.setRules(r), log);

  // Background ticks: guarded, never overlapping, errors to the log.
  let lastReports = 0;
  let lastTick = Date.now();
  let busy = false;
  const ticker = setInterval(
    () => {
      if (busy) return;
      busy = true;
      void (async () => {
        try {
          await km.tick(Date.now());
          const now = Date.now();
          const total = metrics.reports.total();
          const rate = ((total - lastReports) * 1000) / Math.max(1, now - lastTick);
          metrics.reportsPerSecond.set(rate);
          lastReports = total;
          lastTick = now;
          const lag = [...km.lag.values()].reduce((a, b) => a + b, 0);
          const ops: MetricPoint = {
            measurement: MEASUREMENTS.ops,
            tags: { instance: cfg.kafka.instanceId },
            time: now,
            fields: {
              reports_per_second: rate,
              reports_total: total,
              consumer_lag: lag,
              dead_letters_total: metrics.deadLetters.total(),
              duplicates_total: metrics.duplicates.total(),
              influx_write_seconds_avg: metrics.influxWrite.observations
                ? metrics.influxWrite.total / metrics.influxWrite.observations
                : 0,
              influx_retries_total: metrics.influxRetries.total(),
              slack_calls_total: metrics.slackCalls.total(),
              rollback_calls_total: metrics.rollbackCalls.total(),
              errors_total: metrics.errors.total(),
              open_incidents: core.incidents({ status: 'open' }).length,
            },
          };
          await influx
            .write([ops, ...actionPoints.splice(0)])
            .catch((err: unknown) => log.debug({ err: errorMessage(err) }, 'ops metrics not written'));
        } catch (err: unknown) {
          metrics.errors.inc({ component: 'tick' });
          log.warn({ err: errorMessage(err) }, 'background tick failed');
        } finally {
          busy = false;
        }
      })();
    },
    Math.min(cfg.monitor.freshnessCheckMs, cfg.monitor.opsIntervalMs),
  );

  await stopSignal;
  log.info('stopping: finishing the batch in progress');
  clearInterval(ticker);
  rulesWatcher?.close();
  await km.stop();
  await incidents.stop();
  await dispatcher.stop();
  await commandsProducer.disconnect().catch(() => undefined);
  await http?.close();
  log.info('stopped');
}

/** A monitor running in this process (tests, benchmarks, the local demo). */
export interface InProcessMonitor extends MonitorHandles {
  /** Stops it (finishing the batch in progress) and resolves when it has shut down. */
  stop(): Promise<void>;
}

/** Starts a monitor in this process and resolves once it consumes; rejects if it fails to start. */
export async function startInProcess(cfg: MonitorConfig, log: Logger): Promise<InProcessMonitor> {
  let signal!: () => void;
  const stopped = new Promise<void>((r) => (signal = r));
  let done: Promise<void> = Promise.resolve();
  const handles = await new Promise<MonitorHandles>((resolve, reject) => {
    done = runMonitor(cfg, log, stopped, resolve);
    done.then(() => reject(new Error('the monitor stopped before it started')), reject);
  });
  return {
    ...handles,
    stop: async () => {
      signal();
      await done;
    },
  };
}

export async function monitorCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      'print-config': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const cfg = loadConfig(values.config !== undefined ? { file: values.config } : {});
  if (values['print-config']) {
    process.stdout.write(`${describeConfig(cfg)}\n`);
    return 0;
  }
  const log = createLogger(cfg.log.level);
  log.info({ config: describeConfig(cfg).split('\n') }, 'configuration');
  const stop = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  await runMonitor(cfg, log, stop);
  return 0;
}
