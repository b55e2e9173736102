import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionDispatcher } from '../actions/index.js';
import { startHttpServer } from '../adapters/http/server.js';
import type { Catalog } from '../adapters/catalog/index.js';
import type { MonitorConfig } from '../config/index.js';
import type { LineageDeclaration, Report, RunProgress } from '../contract/index.js';
import { errorMessage } from '../errors/index.js';
import { emptyOutput, type CoreOutput, type IncidentCommand, type MonitorCore } from '../monitor/index.js';
import { convertRunEvent } from '../openlineage/index.js';
import { apiQueries } from './api.js';
import { catalogErrorText, catalogRunsOf, openCatalog, writeCatalog } from './catalog.js';
import { withCatalogQueries } from './catalog-api.js';
import { incidentActions, logAccessControl, slackInteractivityOption } from './incident-commands.js';
import type { Logger } from './log.js';
import { monitorMetrics } from './metrics.js';
import { createActionDispatcher, createMonitorCore } from './monitor.js';
import { watchRules } from './rules-watcher.js';

/** What the in-process bus carries, in order: the same inputs the Kafka batch loop feeds the core. */
export type BusInput =
  | { kind: 'report'; report: Report }
  | { kind: 'progress'; progress: RunProgress }
  | { kind: 'lineage'; lineage: LineageDeclaration }
  | { kind: 'command'; command: IncidentCommand };

/** The running parts of `rootline serve --embedded`, for tests. */
export interface EmbeddedHandles {
  core: MonitorCore;
  dispatcher: ActionDispatcher;
  httpUrl: string;
  metrics: ReturnType<typeof monitorMetrics>;
  catalog: Catalog | undefined;
  bus: InProcessBus;
}

export interface InProcessBusDeps {
  core: MonitorCore;
  dispatcher: ActionDispatcher;
  catalog: Catalog | undefined;
  metrics: ReturnType<typeof monitorMetrics>;
  logger: Logger;
  maxCatalogRetryDelayMs: number;
  /** After each step whose state changed (the state store). */
  onDirty?: (core: MonitorCore) => void;
  stopped: () => boolean;
}

/**
 * The in-process bus of the embedded monitor, in place of the reports topic: inputs are processed one step at a
 * time, in the order they were sent, by the same core `rootline monitor` runs. A step: the core processes the
 * inputs (an input it throws on is set aside and logged, as the batch loop does), the runs go to the provenance
 * catalog (retried while it fails), the state store takes the changed state, and the incident events go to the
 * action dispatcher (Slack, rollback, rerun), which handles them in the background. `send` resolves once the step
 * is done, so an HTTP ingest is answered after its runs are recorded. Metric points are not kept (no InfluxDB).
 */
export class InProcessBus {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly d: InProcessBusDeps) {}

  send(inputs: readonly BusInput[]): Promise<void> {
    const step = this.chain.then(() => this.step(inputs));
    this.chain = step.catch(() => undefined);
    return step;
  }

  /** The wall-clock checks (freshness of a pipeline gone silent), as the Kafka monitor's ticker runs them. */
  tick(now: number): Promise<void> {
    const step = this.chain.then(() => this.finish([], this.d.core.checkFreshness(now)));
    this.chain = step.catch(() => undefined);
    return step;
  }

  /** Resolves when every input sent so far has been processed. */
  idle(): Promise<void> {
    return this.chain;
  }

  private async step(inputs: readonly BusInput[]): Promise<void> {
    const { core, metrics: m, logger } = this.d;
    const out = emptyOutput();
    const reports: Report[] = [];
    for (const input of inputs) {
      try {
        if (input.kind === 'report') {
          core.processReport(input.report, out);
          reports.push(input.report);
          m.reports.inc({ result: 'ok' });
        } else if (input.kind === 'progress') core.processProgress(input.progress, out);
        else if (input.kind === 'lineage') core.processLineage(input.lineage, out);
        else core.applyCommand(input.command, out);
      } catch (err: unknown) {
        m.errors.inc({ component: 'core' });
        logger.error({ err, kind: input.kind }, 'the core failed on an input; set aside');
      }
    }
    await this.finish(reports, out);
  }

  private async finish(reports: readonly Report[], out: CoreOutput): Promise<void> {
    const { core, catalog, logger } = this.d;
    if (catalog && out.runs.length > 0) {
      const runs = catalogRunsOf(reports, out, (ref, at) => core.latestRun(ref, at)?.outputs);
      await writeCatalog(catalog, runs, {
        maxDelayMs: this.d.maxCatalogRetryDelayMs,
        stopped: this.d.stopped,
        onRetry: (err, attempt) => {
          if (attempt === 1 || attempt % 10 === 0)
            logger.warn({ err: catalogErrorText(err), attempt }, 'catalog write failed; retrying');
        },
        onRejected: (err) => logger.warn({ err: catalogErrorText(err) }, 'a run the catalog refuses was left out'),
      });
    }
    if (out.dirty.size > 0) this.d.onDirty?.(core);
    this.d.dispatcher.push(out.incidentEvents);
  }
}

/**
 * The state store of the embedded monitor: the core's state records in one JSON file (`DIR/state.json`, written
 * whole and renamed into place after each step that changed state), read back at start. Without a folder the
 * state lives in memory only.
 */
function fileStateStore(dir: string, log: Logger): { load(core: MonitorCore): void; save(core: MonitorCore): void } {
  const file = join(dir, 'state.json');
  return {
    load(core) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        return;
      }
      const records = JSON.parse(text) as { key: string; value: string }[];
      core.importState(records);
      log.info({ file, records: records.length }, 'state loaded');
    },
    save(core) {
      const records = core.exportState(core.allStateKeys()).filter((r) => r.value !== undefined);
      writeFileSync(`${file}.tmp`, JSON.stringify(records));
      renameSync(`${file}.tmp`, file);
    },
  };
}

/** Options of {@link runEmbedded} beyond the configuration. */
export interface EmbeddedOptions {
  /**
   * A folder for what should outlive the process: the state (`state.json`) and, when `catalog.url` is the
   * in-memory default `pglite:`, the embedded catalog (`catalog/`). Default: everything in memory.
   */
  dataDir?: string | undefined;
}

/**
 * `rootline serve --embedded`: the monitor's core with an in-process bus and state store instead of Kafka, no
 * InfluxDB; the same HTTP ingest and API as `rootline monitor` (reports, OpenLineage with gzip, queries, incident
 * actions, Slack interactivity), the same Slack, rollback (webhook) and rerun actions, the same rules (reloaded on
 * change). The provenance catalog is the embedded PGlite one unless `catalog.url` names another. Resolves when it
 * has shut down.
 */
export async function runEmbedded(
  cfg: MonitorConfig,
  log: Logger,
  stopSignal: Promise<unknown>,
  onStarted?: (h: EmbeddedHandles) => void,
  options: EmbeddedOptions = {},
): Promise<void> {
  const core = createMonitorCore(cfg);
  const metrics = monitorMetrics();
  const dataDir = options.dataDir;
  const store = dataDir !== undefined ? fileStateStore(dataDir, log) : undefined;
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  store?.load(core);
  const catalogUrl =
    dataDir !== undefined && cfg.catalog.url.trim() === 'pglite:'
      ? `pglite:${join(dataDir, 'catalog')}`
      : cfg.catalog.url;
  const catalog = await openCatalog(catalogUrl, cfg.catalog.schema);
  if (catalog) log.info({ driver: catalog.sql.driver }, 'provenance catalog ready');
  if (cfg.rollback.kafka)
    log.info('rollback.kafka: there is no commands topic in embedded mode; rollbacks go to the webhook only');
  const dispatcher = createActionDispatcher(cfg, log, metrics, undefined);
  let stopping = false;
  const bus = new InProcessBus({
    core,
    dispatcher,
    catalog,
    metrics,
    logger: log,
    maxCatalogRetryDelayMs: cfg.catalog.maxRetryDelayMs,
    stopped: () => stopping,
    ...(store
      ? {
          onDirty: (c: MonitorCore) => {
            try {
              store.save(c);
            } catch (err: unknown) {
              log.error({ err: errorMessage(err) }, 'state not saved');
            }
          },
        }
      : {}),
  });
  const command = (cmd: IncidentCommand) => bus.send([{ kind: 'command', command: cmd }]);
  const http = await startHttpServer({
    host: cfg.http.host,
    port: cfg.http.port,
    tokens: cfg.http.tokens,
    token: cfg.http.token,
    maxBodyBytes: cfg.http.maxBodyBytes,
    requestTimeoutMs: cfg.http.requestTimeoutMs,
    headersTimeoutMs: cfg.http.headersTimeoutMs,
    maxConnections: cfg.http.maxConnections,
    ingest: {
      ingest: (reports) => bus.send(reports.map((report) => ({ kind: 'report', report }))),
      progress: (_event, routed) =>
        bus.send(['phase' in routed ? { kind: 'progress', progress: routed } : { kind: 'lineage', lineage: routed }]),
    },
    openLineage: convertRunEvent,
    health: () =>
      Promise.resolve({
        ok: true,
        details: { mode: 'embedded', ...(catalog ? { catalog: catalog.sql.driver } : {}) },
      }),
    metrics: metrics.registry,
    requests: metrics.httpRequests,
    bodies: metrics.httpBodies,
    queries: withCatalogQueries(apiQueries(core, 'this embedded monitor'), catalog, () => core.ruleSet),
    act: incidentActions(core, command),
    ...slackInteractivityOption(cfg.slack, command, log),
    logger: log,
  });
  logAccessControl(cfg.http, http.url, log);
  const rulesWatcher = watchRules(cfg.monitor.rules, (r) => core.setRules(r), log);
  const timer = setInterval(() => {
    bus.tick(Date.now()).catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'freshness check failed'));
  }, cfg.monitor.freshnessCheckMs);
  log.info(
    { http: http.url, catalog: catalog?.sql.driver ?? 'none', state: dataDir ?? 'memory' },
    'embedded monitor started',
  );
  onStarted?.({ core, dispatcher, httpUrl: http.url, metrics, catalog, bus });

  await stopSignal;
  log.info('stopping: finishing the inputs in progress');
  clearInterval(timer);
  rulesWatcher?.close();
  await http.close();
  await bus.idle();
  stopping = true;
  await dispatcher.drain().catch(() => undefined);
  await dispatcher.stop();
  await catalog?.close().catch((err: unknown) => log.warn({ err }, 'closing the catalog failed'));
  log.info('stopped');
}
