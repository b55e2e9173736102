import { parseArgs } from 'node:util';
import { configDocs, describeConfig, loadConfig } from '../config/index.js';
import { createLogger } from '../service/log.js';
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
