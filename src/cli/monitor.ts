import { parseArgs } from 'node:util';
import { configDocs, describeConfig, loadConfig } from '../config/index.js';
import { createLogger } from '../service/log.js';
import { runEmbedded } from '../service/embedded.js';
import { runMonitor } from '../service/monitor.js';

const USAGE = `usage: rootline monitor [--config FILE] [--print-config]

Consumes reports from Kafka, evaluates them against each node's healthy baseline, writes metrics to
InfluxDB, raises one incident per root cause (Slack / rollback), and serves the HTTP API.
Settings: the config file, then ROOTLINE_* environment variables (docs/configuration.md).`;

const CONFIG_USAGE = `usage: rootline config [--config FILE] [--docs]

Prints the effective configuration (secrets redacted), or with --docs the reference of every setting
as Markdown (docs/configuration.md).`;

/** `rootline config`: the effective configuration (secrets redacted), or the reference as Markdown. */
export function configCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      docs: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${CONFIG_USAGE}\n`);
    return Promise.resolve(0);
  }
  if (values.docs) {
    process.stdout.write(configDocs());
    return Promise.resolve(0);
  }
  const cfg = loadConfig(values.config !== undefined ? { file: values.config } : {});
  process.stdout.write(`${describeConfig(cfg)}\n`);
  return Promise.resolve(0);
}

/** `rootline monitor`: loads the configuration and runs the monitor until SIGTERM / SIGINT. */
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
  // Everything the monitor owns is closed; a client's pending reconnect timer (kafkajs backs off for
  // seconds against an unreachable broker) must not hold the process open after that.
  setTimeout(() => process.exit(process.exitCode ?? 0), 1000).unref();
  return 0;
}

const SERVE_USAGE = `usage: rootline serve --embedded [--config FILE] [--data DIR] [--port N] [--print-config]

The monitor without Kafka or InfluxDB, for a laptop and for tests: the same core, HTTP ingest and API as
\`rootline monitor\` (POST /api/v1/reports, POST /api/v1/lineage for OpenLineage clients, gzip included, the
queries and incident actions, Slack interactivity), the same Slack, rollback (webhook) and rerun actions, with an
in-process bus and state store. The provenance catalog is the embedded PGlite one (catalog.url, default pglite:).
--data DIR keeps the state (DIR/state.json) and the embedded catalog (DIR/catalog) across restarts; without it
everything is in memory. --port overrides http.port (0: any free port; the URL is logged).
Settings: the config file, then ROOTLINE_* environment variables (docs/configuration.md); Kafka and InfluxDB
settings are ignored.`;

/** `rootline serve --embedded`: the monitor with an in-process bus and state store, until SIGTERM / SIGINT. */
export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      embedded: { type: 'boolean', default: false },
      config: { type: 'string' },
      data: { type: 'string' },
      port: { type: 'string' },
      'print-config': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return 0;
  }
  if (!values.embedded) {
    process.stderr.write(
      `rootline serve: only --embedded is supported (rootline monitor runs with Kafka and InfluxDB)\n${SERVE_USAGE}\n`,
    );
    return 2;
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      process.stderr.write(`rootline serve: --port must be 0..65535, got ${JSON.stringify(values.port)}\n`);
      return 2;
    }
  }
  const cfg = loadConfig({
    ...(values.config !== undefined ? { file: values.config } : {}),
    ...(port !== undefined ? { overrides: { 'http.port': port } } : {}),
  });
  if (values['print-config']) {
    process.stdout.write(`${describeConfig(cfg)}\n`);
    return 0;
  }
  const log = createLogger(cfg.log.level);
  const stop = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  await runEmbedded(cfg, log, stop, undefined, { dataDir: values.data });
  return 0;
}
