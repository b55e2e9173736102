import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { ActionDispatcher, SlackNotifier, type RollbackCommand } from '../actions/index.js';
import { startHttpServer } from '../adapters/http/server.js';
import { InfluxSink } from '../adapters/influx/sink.js';
import { createKafka } from '../adapters/kafka/client.js';
import type { MonitorConfig } from '../config/index.js';
import { MonitorCore, RemoteView, parseRerunTargets, type MetricPoint } from '../monitor/index.js';
import { convertRunEvent } from '../openlineage/index.js';
import { loadRules } from '../rules/index.js';
import { IncidentsConsumer } from './actions-loop.js';
import { ViewConsumer } from './view-loop.js';
import type { Catalog } from '../adapters/catalog/index.js';
import { openCatalog, startLineageHealth, startRetention } from './catalog.js';
import { withCatalogQueries } from './catalog-api.js';
import { apiQueries } from './api.js';
import { incidentActions, logAccessControl, slackInteractivityOption } from './incident-commands.js';
import { KafkaMonitor } from './batch-loop.js';
import type { Logger } from './log.js';
import { monitorMetrics } from './metrics.js';
import { splitBySize } from '../adapters/kafka/limits.js';
import { actionPoint, startOpsTicker } from './ops.js';
import { kafkaCheck, observedSink, registryCheck } from './probes.js';
import { watchRules } from './rules-watcher.js';
import { StoppedDuringStartup, retryStartup } from './startup.js';
import { Supervisor } from './supervisor.js';

/** Room left in a Kafka message (and a produce request) for the key, the headers and the framing. */
export const MESSAGE_OVERHEAD_BYTES = 1024;

/**
 * Messages grouped so that one produce request stays under the broker's limit (kafkajs sends each
 * call's messages for a partition as one record batch, which the broker measures whole).
 */
export function sendChunks<T extends { value: string }>(messages: readonly T[], maxBytes: number): T[][] {
  return splitBySize(messages, (m) => Buffer.byteLength(m.value, 'utf8') + MESSAGE_OVERHEAD_BYTES, maxBytes);
}

/** The running parts, for tests and embedding. */
export interface MonitorHandles {
  core: MonitorCore;
  kafka: KafkaMonitor;
  dispatcher: ActionDispatcher;
  httpUrl: string | undefined;
  metrics: ReturnType<typeof monitorMetrics>;
  supervisor: Supervisor;
  /** The provenance catalog the batch loop writes (undefined with `catalog.url: none`). */
  catalog: Catalog | undefined;
}

/**
 * The monitor's core as the configuration sets it up (rules, baselines, rollback and rerun policies), with the
 * other instances' nodes (`view`) when there is one.
 */
export function createMonitorCore(cfg: MonitorConfig, view?: RemoteView): MonitorCore {
  return new MonitorCore({
    ...(view ? { view } : {}),
    rules: loadRules(cfg.monitor.rules),
    baselineRuns: cfg.monitor.baselineRuns,
    runHistory: cfg.monitor.runHistory,
    resolveAfterHealthyRuns: cfg.monitor.resolveAfterHealthyRuns,
    newNormalRuns: cfg.monitor.newNormalRuns,
    rollback: {
      dryRun: cfg.rollback.dryRun,
      cooldownMs: cfg.rollback.cooldownMs,
      allowAmbiguous: cfg.rollback.allowAmbiguous,
    },
    rerun: {
      dryRun: cfg.rerun.dryRun,
      cooldownMs: cfg.rerun.cooldownMs,
      allowAmbiguous: cfg.rerun.allowAmbiguous,
      mode: cfg.rerun.mode,
      targets: parseRerunTargets(cfg.rerun.targets),
      dagRunIdParam: cfg.rerun.dagRunIdParam,
    },
  });
}

/**
 * The action dispatcher as the configuration sets it up: Slack, the rollback command (`sendCommand`: the commands
 * topic, Kafka mode only) and webhook, the Airflow rerun; outcomes counted and, with `actionPoints`, kept as points.
 */
export function createActionDispatcher(
  cfg: MonitorConfig,
  log: Logger,
  metrics: ReturnType<typeof monitorMetrics>,
  sendCommand: ((cmd: RollbackCommand) => Promise<void>) | undefined,
  actionPoints?: MetricPoint[],
): ActionDispatcher {
  const slack = cfg.slack.token
    ? new SlackNotifier({
        token: cfg.slack.token,
        channel: cfg.slack.channel,
        apiUrl: cfg.slack.apiUrl,
        grafanaUrlTemplate: cfg.slack.grafanaUrlTemplate,
        maxRetryDelayMs: cfg.slack.maxRetryDelayMs,
        buttons: cfg.slack.signingSecret !== undefined,
        snoozeMs: cfg.slack.snoozeMs,
        logger: log,
      })
    : undefined;
  if (slack) slack.onCall = (method, outcome) => metrics.slackCalls.inc({ method, outcome });
  return new ActionDispatcher({
    slack,
    logger: log,
    maxRetryDelayMs: cfg.slack.maxRetryDelayMs,
    ...(sendCommand ? { sendCommand } : {}),
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
    ...(cfg.rerun.airflowUrl
      ? {
          airflow: {
            url: cfg.rerun.airflowUrl,
            allowHosts: cfg.rerun.allowHosts,
            username: cfg.rerun.username,
            password: cfg.rerun.password,
            token: cfg.rerun.token,
            maxRetryDelayMs: cfg.rerun.maxRetryDelayMs,
          },
        }
      : {}),
    onOutcome: (o) => {
      if (o.action === 'rollback') metrics.rollbackCalls.inc({ outcome: o.outcome });
      if (o.action === 'rerun') metrics.rerunCalls.inc({ outcome: o.outcome });
      actionPoints?.push(actionPoint(o));
    },
  });
}

/** The whole `rootline monitor` process; resolves when it has shut down. */
export async function runMonitor(
  cfg: MonitorConfig,
  log: Logger,
  stopSignal: Promise<unknown>,
  onStarted?: (h: MonitorHandles) => void,
): Promise<void> {
  // The other instances' nodes, from the health topic: RCA walks into pipelines held elsewhere.
  const view =
    cfg.monitor.viewRunsPerNode > 0
      ? new RemoteView({ runsPerNode: cfg.monitor.viewRunsPerNode, maxNodes: cfg.monitor.viewMaxNodes })
      : undefined;
  const core = createMonitorCore(cfg, view);
  const metrics = monitorMetrics();
  const supervisor = new Supervisor({ logger: log, metrics });
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
  let catalog: Catalog | undefined;
  try {
    catalog = await retryStartup('catalog', log, () => openCatalog(cfg.catalog.url, cfg.catalog.schema), stopSignal);
    if (catalog) log.info({ driver: catalog.sql.driver }, 'provenance catalog ready');
  } catch (err: unknown) {
    if (!(err instanceof StoppedDuringStartup)) throw err;
    log.info('stopped during start-up');
    return;
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
  const dispatcher = createActionDispatcher(
    cfg,
    log,
    metrics,
    cfg.rollback.kafka
      ? async (cmd) => {
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
        }
      : undefined,
    actionPoints,
  );

  const km = new KafkaMonitor({
    config: cfg,
    core,
    sink: observedSink(influx, supervisor.component('influx-writer')),
    decoder: { avro: registry, openLineage: convertRunEvent },
    metrics,
    logger: log,
    ...(catalog ? { catalog, catalogHealth: supervisor.component('catalog-writer') } : {}),
  });
  const incidents = new IncidentsConsumer(kafka, cfg.kafka, dispatcher, log);
  const viewConsumer = view
    ? new ViewConsumer(kafka, cfg.kafka, core, view, () => km.settle(), metrics, log)
    : undefined;
  const kafkaHealth = startProbes(cfg, supervisor, influx, log, catalog);

  let http: Awaited<ReturnType<typeof startHttpServer>> | undefined;
  if (cfg.http.enabled) {
    http = await startHttpServer({
      host: cfg.http.host,
      port: cfg.http.port,
      tokens: cfg.http.tokens,
      token: cfg.http.token,
      maxBodyBytes: cfg.http.maxBodyBytes,
      maxReportBytes: cfg.kafka.maxMessageBytes - MESSAGE_OVERHEAD_BYTES,
      requestTimeoutMs: cfg.http.requestTimeoutMs,
      headersTimeoutMs: cfg.http.headersTimeoutMs,
      maxConnections: cfg.http.maxConnections,
      ingest: {
        ingest: async (reports, source) => {
          const messages = reports.map((r) => ({ pipeline: r.pipeline, value: JSON.stringify(r), source }));
          for (const chunk of sendChunks(messages, cfg.kafka.maxMessageBytes)) await km.produceReports(chunk);
        },
        progress: (event, progress) =>
          km.produceReports([
            { pipeline: progress.pipeline, value: JSON.stringify(event), source: 'openlineage', spec: 'openlineage' },
          ]),
      },
      openLineage: convertRunEvent,
      health: () => {
        const h = supervisor.health();
        const up = (name: string) => (h.components[name]?.state === 'ok' ? 'ok' : 'unavailable');
        return Promise.resolve({
          ok: h.ok,
          details: {
            kafka: up('kafka'),
            influxdb: up('influxdb'),
            ...(catalog ? { catalog: up('catalog') } : {}),
            components: h.components,
            ...km.status,
            instance: cfg.kafka.instanceId,
          },
        });
      },
      metrics: metrics.registry,
      requests: metrics.httpRequests,
      bodies: metrics.httpBodies,
      queries: withCatalogQueries(apiQueries(core, `instance ${cfg.kafka.instanceId}`), catalog, () => core.ruleSet),
      act: incidentActions(core, (cmd) => km.produceCommand(cmd)),
      ...slackInteractivityOption(cfg.slack, (cmd) => km.produceCommand(cmd), log),
      logger: log,
    });
    logAccessControl(cfg.http, http.url, log);
  }

  const staleAfterMs = Math.max(cfg.kafka.sessionTimeoutMs, 10_000);
  km.health = supervisor.supervise('reports-consumer', km, { staleAfterMs });
  try {
    await retryStartup(
      'Kafka',
      log,
      async () => {
        await incidents.anchor();
        await km.start();
      },
      stopSignal,
    );
  } catch (err: unknown) {
    if (!(err instanceof StoppedDuringStartup)) throw err;
    log.info('stopped during start-up');
    await supervisor.stop();
    await kafkaHealth.close();
    await km.stop();
    await http?.close();
    await catalog?.close().catch(() => undefined);
    return;
  }
  await commandsProducer.connect();
  incidents.health = supervisor.supervise('actions-consumer', incidents, { staleAfterMs });
  await incidents.start();
  if (viewConsumer) {
    viewConsumer.health = supervisor.supervise('view-consumer', viewConsumer, { staleAfterMs });
    await viewConsumer.start();
  }
  log.info(
    { instance: cfg.kafka.instanceId, group: cfg.kafka.groupId, topics: cfg.kafka.topics, http: http?.url },
    'monitor started',
  );
  onStarted?.({ core, kafka: km, dispatcher, httpUrl: http?.url, metrics, supervisor, catalog });
  const stopRetention =
    catalog && cfg.catalog.retention > 0
      ? startRetention(catalog, {
          retentionMs: cfg.catalog.retention,
          intervalMs: cfg.catalog.retentionCheckMs,
          exportDir: cfg.catalog.exportDir,
          exportFormat: cfg.catalog.exportFormat,
          logger: log,
          onError: () => metrics.errors.inc({ component: 'catalog-retention' }),
        })
      : undefined;
  const stopLineageHealth = catalog
    ? startLineageHealth(catalog, {
        intervalMs: cfg.catalog.healthCheckMs,
        instance: cfg.kafka.instanceId,
        sink: influx,
        rules: () => core.ruleSet,
        logger: log,
        onError: () => metrics.errors.inc({ component: 'catalog-health' }),
      })
    : undefined;

  const rulesWatcher = watchRules(cfg.monitor.rules, (r) => core.setRules(r), log);

  const tickMs = Math.min(cfg.monitor.freshnessCheckMs, cfg.monitor.opsIntervalMs);
  const stopTicker = startOpsTicker({
    instanceId: cfg.kafka.instanceId,
    intervalMs: tickMs,
    health: supervisor.component('ops-ticker', { staleAfterMs: Math.max(3 * tickMs, 30_000) }),
    core,
    kafka: km,
    sink: influx,
    metrics,
    logger: log,
    pending: actionPoints,
  });

  await stopSignal;
  log.info('stopping: finishing the batch in progress');
  await supervisor.stop();
  await kafkaHealth.close();
  stopTicker();
  rulesWatcher?.close();
  await km.stop();
  await viewConsumer?.stop();
  await incidents.stop();
  await dispatcher.stop();
  await commandsProducer.disconnect().catch(() => undefined);
  await http?.close();
  await stopRetention?.();
  await stopLineageHealth?.();
  await catalog?.close().catch((err: unknown) => log.warn({ err }, 'closing the catalog failed'));
  log.info('stopped');
}

/**
 * The dependency checks behind /healthz: Kafka, InfluxDB and the catalog (down when they do not answer) and the
 * schema registry (degraded: only Avro reports wait for it). Returns the Kafka check's closer.
 */
function startProbes(
  cfg: MonitorConfig,
  supervisor: Supervisor,
  influx: InfluxSink,
  log: Logger,
  catalog: Catalog | undefined,
) {
  const intervalMs = cfg.monitor.healthCheckMs;
  const timeoutMs = Math.min(intervalMs, 3000);
  const kafka = kafkaCheck(cfg.kafka, log);
  supervisor.probe('kafka', kafka.check, { intervalMs, timeoutMs });
  supervisor.probe(
    'influxdb',
    async () => {
      if (!(await influx.healthy())) throw new Error(`InfluxDB at ${cfg.influx.url} is not healthy`);
    },
    { intervalMs, timeoutMs },
  );
  if (catalog)
    supervisor.probe(
      'catalog',
      async () => {
        await catalog.sql.query('SELECT 1');
      },
      { intervalMs, timeoutMs },
    );
  if (cfg.schemaRegistry.url)
    supervisor.probe('schema-registry', registryCheck(cfg.schemaRegistry, timeoutMs), {
      intervalMs,
      timeoutMs,
      failState: 'degraded',
    });
  return kafka;
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
