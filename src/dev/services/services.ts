import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { RootlineError, errorMessage } from '../../errors/index.js';
import {
  addresses,
  harnessConfig,
  portEnvName,
  type HarnessConfig,
  type PortName,
  type ServiceAddresses,
} from './config.js';
import { installAll, installPaths } from './install.js';
import { createPostgresDatabase, postgresHealthy, preparePostgres } from './postgres.js';
import { pidAlive, portOpen, readPid, run, sleep, startDetached, stopProcess, tailFile, type Log } from './proc.js';

export type ServiceName = 'kafka' | 'registry' | 'influx' | 'slack' | 'postgres';
export const SERVICE_NAMES: readonly ServiceName[] = ['kafka', 'registry', 'influx', 'slack', 'postgres'];

interface Launch {
  cmd: string;
  args: string[];
  cwd: string;
}

interface ServiceDef {
  name: ServiceName;
  title: string;
  ports: PortName[];
  prepare(cfg: HarnessConfig, dir: string): Promise<Launch>;
  /** One quick health probe; true when the service answers as itself. */
  healthy(cfg: HarnessConfig): Promise<boolean>;
  /** Run once the service is healthy (e.g. create the database). */
  ready?(cfg: HarnessConfig): Promise<void>;
  /** The signal that shuts it down cleanly; SIGTERM unless set. */
  stopSignal?: NodeJS.Signals;
  /**
   * The data a failed start may be stuck on (the harness's own test data, disposable): removed once, and the
   * service started again, when it does not become healthy on it. Undefined: no second start.
   */
  resettableData?(dir: string): string | undefined;
}

async function httpOk(url: string, init: RequestInit = {}, timeoutMs = 1500): Promise<Response | undefined> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? res : undefined;
  } catch {
    return undefined;
  }
}

const KAFKA: ServiceDef = {
  name: 'kafka',
  title: 'Kafka (KRaft)',
  ports: ['kafka', 'kafkaController'],
  // A KRaft log directory left by a start that was killed half-way can keep the controller from ever
  // registering its broker ("NotControllerException: the active controller appears to be node 1" forever).
  resettableData: (dir) => {
    const data = join(dir, 'data');
    return existsSync(join(data, 'meta.properties')) ? data : undefined;
  },
  async prepare(cfg, dir) {
    const { kafkaLibs } = installPaths(cfg.cacheDir);
    const dataDir = join(dir, 'data');
    const { kafka, kafkaController } = cfg.ports;
    const props = [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${kafkaController}`,
      `listeners=PLAINTEXT://127.0.0.1:${kafka},CONTROLLER://127.0.0.1:${kafkaController}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${kafka}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${dataDir}`,
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=10',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=true',
      'log.retention.hours=24',
      '',
    ].join('\n');
    await writeFile(join(dir, 'server.properties'), props);
    await writeFile(
      join(dir, 'log4j.properties'),
      [
        'log4j.rootLogger=INFO, stdout',
        'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
        'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
        'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
        'log4j.logger.kafka.request.logger=WARN',
        'log4j.logger.state.change.logger=WARN',
        '',
      ].join('\n'),
    );
    const classpath = `${kafkaLibs}/*`;
    const log4j = `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`;
    if (!existsSync(join(dataDir, 'meta.properties'))) {
      // A KRaft log directory must be formatted once with a cluster id (22 chars of base64url).
      const clusterId = randomBytes(16).toString('base64url');
      await run('java', [
        '-cp',
        classpath,
        log4j,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        join(dir, 'server.properties'),
        '--ignore-formatted',
      ]);
    }
    return {
      cmd: 'java',
      args: ['-Xms256m', '-Xmx768m', '-cp', classpath, log4j, 'kafka.Kafka', join(dir, 'server.properties')],
      cwd: dir,
    };
  },
  async healthy(cfg) {
    if (!(await portOpen(cfg.ports.kafka))) return false;
    const kafka = new Kafka({
      clientId: 'rootline-harness',
      brokers: [`127.0.0.1:${cfg.ports.kafka}`],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1500,
      requestTimeout: 3000,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0 && cluster.controller !== null;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  },
};

const REGISTRY: ServiceDef = {
  name: 'registry',
  title: 'Schema registry (Apicurio, Confluent API)',
  ports: ['registry'],
  prepare(cfg, dir) {
    const { apicurioJar } = installPaths(cfg.cacheDir);
    return Promise.resolve({
      cmd: 'java',
      args: [
        '-Xms128m',
        '-Xmx512m',
        '-Dquarkus.http.host=127.0.0.1',
        `-Dquarkus.http.port=${cfg.ports.registry}`,
        // Schema evolution in the registry follows Confluent's default rule.
        '-Dapicurio.rules.global.compatibility=BACKWARD',
        '-Dquarkus.log.console.color=false',
        '-jar',
        apicurioJar,
      ],
      cwd: dir,
    });
  },
  async healthy(cfg) {
    const ready = await httpOk(`http://127.0.0.1:${cfg.ports.registry}/health/ready`);
    if (!ready) return false;
    return (await httpOk(`${addresses(cfg).registryUrl}/subjects`)) !== undefined;
  },
};

const INFLUX: ServiceDef = {
  name: 'influx',
  title: 'InfluxDB 1.8 (v2 API, Flux)',
  ports: ['influx', 'influxRpc'],
  async prepare(cfg, dir) {
    const { influxd } = installPaths(cfg.cacheDir);
    const conf = `reporting-disabled = true
bind-address = "127.0.0.1:${cfg.ports.influxRpc}"

[meta]
  dir = "${join(dir, 'meta')}"

[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false

[http]
  bind-address = "127.0.0.1:${cfg.ports.influx}"
  flux-enabled = true
  auth-enabled = false
  log-enabled = false

[logging]
  level = "warn"
`;
    await writeFile(join(dir, 'influxdb.conf'), conf);
    return { cmd: influxd, args: ['run', '-config', join(dir, 'influxdb.conf')], cwd: dir };
  },
  async healthy(cfg) {
    const res = await httpOk(`http://127.0.0.1:${cfg.ports.influx}/health`);
    if (!res) return false;
    const body = (await res.json().catch(() => ({}))) as { name?: string; status?: string };
    return body.name === 'influxdb' && body.status === 'pass';
  },
  async ready(cfg) {
    // InfluxDB 1.8 has no /api/v2/buckets: the database behind the bucket is created with InfluxQL.
    const res = await fetch(`http://127.0.0.1:${cfg.ports.influx}/query`, {
      method: 'POST',
      body: new URLSearchParams({ q: `CREATE DATABASE "${cfg.influxDatabase}"` }),
    });
    if (!res.ok) throw new Error(`CREATE DATABASE ${cfg.influxDatabase} answered ${res.status}: ${await res.text()}`);
  },
};

const here = dirname(fileURLToPath(import.meta.url));

const SLACK: ServiceDef = {
  name: 'slack',
  title: 'Slack Web API (local)',
  ports: ['slack'],
  prepare(cfg, dir) {
    // Runs from TypeScript sources (tests, tsx) or from the compiled dist/.
    const fromSource = import.meta.url.endsWith('.ts');
    const main = join(here, '..', 'slack', fromSource ? 'main.ts' : 'main.js');
    const args = fromSource
      ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, main, String(cfg.ports.slack)]
      : [main, String(cfg.ports.slack)];
    return Promise.resolve({ cmd: process.execPath, args, cwd: dir });
  },
  async healthy(cfg) {
    return (await httpOk(`http://127.0.0.1:${cfg.ports.slack}/_mock/health`)) !== undefined;
  },
};

const POSTGRES: ServiceDef = {
  name: 'postgres',
  title: 'PostgreSQL (provenance catalog)',
  ports: ['postgres'],
  prepare: preparePostgres,
  healthy: postgresHealthy,
  ready: createPostgresDatabase,
  // SIGTERM is PostgreSQL's "smart" shutdown, which waits for every client to leave; SIGINT is "fast".
  stopSignal: 'SIGINT',
};

const DEFS: Record<ServiceName, ServiceDef> = {
  kafka: KAFKA,
  registry: REGISTRY,
  influx: INFLUX,
  slack: SLACK,
  postgres: POSTGRES,
};

export interface UpResult {
  addresses: ServiceAddresses;
  /** Services this call started (the others were already running and are reused). */
  started: ServiceName[];
  reused: ServiceName[];
}

function files(cfg: HarnessConfig, name: ServiceName) {
  const dir = join(cfg.runDir, name);
  return { dir, pidFile: join(cfg.runDir, `${name}.pid`), logFile: join(cfg.runDir, `${name}.log`) };
}

async function waitHealthy(cfg: HarnessConfig, def: ServiceDef, pid: number, logFile: string): Promise<void> {
  const deadline = Date.now() + cfg.startTimeoutMs;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) {
      throw new RootlineError(
        'SERVICE_START_FAILED',
        `${def.title} exited during start-up. Last lines of ${logFile}:\n${tailFile(logFile)}`,
      );
    }
    if (await def.healthy(cfg)) return;
    await sleep(300);
  }
  await stopProcess(pid, 5000, def.stopSignal);
  throw new RootlineError(
    'SERVICE_START_FAILED',
    `${def.title} did not become healthy within ${cfg.startTimeoutMs} ms (raise ROOTLINE_SERVICE_START_TIMEOUT_MS on a slow machine). Last lines of ${logFile}:\n${tailFile(logFile)}`,
  );
}

async function ensureRunning(cfg: HarnessConfig, def: ServiceDef, log: Log): Promise<'started' | 'reused'> {
  const f = files(cfg, def.name);
  const rec = readPid(f.pidFile);
  if (rec && pidAlive(rec.pid)) {
    if (!(await def.healthy(cfg))) {
      log(`${def.title} (pid ${rec.pid}) is running but not healthy yet; waiting`);
      await waitHealthy(cfg, def, rec.pid, f.logFile);
    }
    await def.ready?.(cfg);
    return 'reused';
  }
  if (rec) {
    log(`${def.title}: the previous process (pid ${rec.pid}) is gone; starting a new one`);
    rmSync(f.pidFile, { force: true });
  }
  for (const port of def.ports) {
    if (await portOpen(cfg.ports[port])) {
      throw new RootlineError(
        'PORT_IN_USE',
        `${def.title}: port ${cfg.ports[port]} on 127.0.0.1 is already in use by a program the harness did not start. ` +
          `Stop that program, or run on other ports, e.g. ${portEnvName(port)}=${cfg.ports[port] + 10000}.`,
        { details: { port: cfg.ports[port], env: portEnvName(port) } },
      );
    }
  }
  await mkdir(f.dir, { recursive: true });
  const start = async (): Promise<void> => {
    const launch = await def.prepare(cfg, f.dir);
    const pid = startDetached({
      service: def.name,
      ...launch,
      logFile: f.logFile,
      pidFile: f.pidFile,
      ports: def.ports.map((p) => cfg.ports[p]),
    });
    log(`${def.title}: started (pid ${pid}), waiting until healthy`);
    try {
      await waitHealthy(cfg, def, pid, f.logFile);
      await def.ready?.(cfg);
    } catch (err: unknown) {
      await stopProcess(pid, 5000, def.stopSignal);
      rmSync(f.pidFile, { force: true });
      throw err;
    }
  };
  const stale = def.resettableData?.(f.dir);
  try {
    await start();
  } catch (err: unknown) {
    if (stale === undefined || !(err instanceof RootlineError) || err.code !== 'SERVICE_START_FAILED') throw err;
    log(`${def.title} did not start on the data it kept in ${stale}; removing that data and starting it once more`);
    rmSync(stale, { recursive: true, force: true });
    await start();
  }
  return 'started';
}

const stderrLog: Log = (m) => process.stderr.write(`[services] ${m}\n`);

/** Installs what is missing, then starts (or reuses) every service and waits until each is healthy. */
export async function servicesUp(
  options: { cfg?: HarnessConfig; log?: Log; only?: ServiceName[] } = {},
): Promise<UpResult> {
  const cfg = options.cfg ?? harnessConfig();
  const log = options.log ?? stderrLog;
  await installAll(cfg, log);
  await mkdir(cfg.runDir, { recursive: true });
  const names = options.only ?? [...SERVICE_NAMES];
  const outcomes = await Promise.allSettled(names.map((n) => ensureRunning(cfg, DEFS[n], log)));
  const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
  const started = names.filter(
    (_, i) =>
      outcomes[i]!.status === 'fulfilled' && (outcomes[i] as PromiseFulfilledResult<string>).value === 'started',
  );
  if (failures.length > 0) {
    // Leave nothing half-up that this call started.
    await servicesDown({ cfg, log: () => undefined, only: started });
    if (failures.length === 1) throw failures[0];
    throw new RootlineError('SERVICE_START_FAILED', failures.map((e) => errorMessage(e)).join('\n\n'));
  }
  return { addresses: addresses(cfg), started, reused: names.filter((n) => !started.includes(n)) };
}

/** Stops the services started by the harness (all, or `only`). */
export async function servicesDown(
  options: { cfg?: HarnessConfig; log?: Log; only?: ServiceName[] } = {},
): Promise<void> {
  const cfg = options.cfg ?? harnessConfig();
  const log = options.log ?? stderrLog;
  await Promise.all(
    (options.only ?? [...SERVICE_NAMES]).map(async (name) => {
      const f = files(cfg, name);
      const rec = readPid(f.pidFile);
      if (!rec) return;
      const how = await stopProcess(rec.pid, undefined, DEFS[name].stopSignal);
      rmSync(f.pidFile, { force: true });
      if (how !== 'absent') log(`${DEFS[name].title}: ${how} (pid ${rec.pid})`);
    }),
  );
}

export interface ServiceStatus {
  name: ServiceName;
  title: string;
  state: 'running' | 'unhealthy' | 'stopped' | 'stale';
  pid?: number;
  ports: number[];
  logFile: string;
}

export async function servicesStatus(cfg: HarnessConfig = harnessConfig()): Promise<ServiceStatus[]> {
  return Promise.all(
    SERVICE_NAMES.map(async (name) => {
      const def = DEFS[name];
      const f = files(cfg, name);
      const rec = readPid(f.pidFile);
      const ports = def.ports.map((p) => cfg.ports[p]);
      if (!rec) return { name, title: def.title, state: 'stopped' as const, ports, logFile: f.logFile };
      if (!pidAlive(rec.pid))
        return { name, title: def.title, state: 'stale' as const, pid: rec.pid, ports, logFile: f.logFile };
      const ok = await def.healthy(cfg);
      return {
        name,
        title: def.title,
        state: ok ? ('running' as const) : ('unhealthy' as const),
        pid: rec.pid,
        ports,
        logFile: f.logFile,
      };
    }),
  );
}

/** The service addresses as lines for people. */
export function describeAddresses(a: ServiceAddresses): string {
  return [
    `  Kafka bootstrap      ${a.kafkaBrokers.join(',')}`,
    `  Schema registry      ${a.registryUrl}`,
    `  InfluxDB (v2 API)    ${a.influxUrl}  bucket=${a.influxDatabase}`,
    `  Slack Web API        ${a.slackApiUrl}  (calls: ${a.slackControlUrl}/calls)`,
    `  PostgreSQL           ${a.postgresUrl}`,
  ].join('\n');
}
