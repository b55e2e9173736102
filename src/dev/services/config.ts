import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { RootlineError } from '../../errors/index.js';

/** Versions the harness installs. Changing one makes a new cache entry; old ones are left alone. */
export const KAFKA_VERSION = '3.9.1';
export const KAFKA_SCALA = '2.13';
export const SLF4J_RELOAD4J_VERSION = '1.7.36';
/** Apicurio 3.3.x is compiled for Java 21; 3.0.9 is the newest that runs on Java 17. */
export const APICURIO_VERSION = '3.0.9';
export const INFLUXDB_VERSION = '1.8.10';
/** Debian's PostgreSQL major version (bookworm ships 15); its binaries live in /usr/lib/postgresql/<major>/bin. */
export const POSTGRES_MAJOR = 15;

/** Default ports; each can be overridden by the environment variable named beside it. */
export const DEFAULT_PORTS = {
  kafka: 19092, // ROOTLINE_KAFKA_PORT
  kafkaController: 19093, // ROOTLINE_KAFKA_CONTROLLER_PORT
  registry: 18081, // ROOTLINE_REGISTRY_PORT
  influx: 18086, // ROOTLINE_INFLUX_PORT
  influxRpc: 18088, // ROOTLINE_INFLUX_RPC_PORT
  slack: 18090, // ROOTLINE_SLACK_PORT
  postgres: 15432, // ROOTLINE_POSTGRES_PORT
} as const;

export type PortName = keyof typeof DEFAULT_PORTS;

const PORT_ENV: Record<PortName, string> = {
  kafka: 'ROOTLINE_KAFKA_PORT',
  kafkaController: 'ROOTLINE_KAFKA_CONTROLLER_PORT',
  registry: 'ROOTLINE_REGISTRY_PORT',
  influx: 'ROOTLINE_INFLUX_PORT',
  influxRpc: 'ROOTLINE_INFLUX_RPC_PORT',
  slack: 'ROOTLINE_SLACK_PORT',
  postgres: 'ROOTLINE_POSTGRES_PORT',
};

export interface HarnessConfig {
  /** Where downloads and builds are kept between runs (outside the repository). ROOTLINE_CACHE_DIR, default ~/.cache/rootline. */
  readonly cacheDir: string;
  /** Where the running services keep data, logs and pid files. ROOTLINE_RUN_DIR, default <cacheDir>/run/<kafka port>. */
  readonly runDir: string;
  readonly ports: Readonly<Record<PortName, number>>;
  /** The InfluxDB database (v2 bucket) tests and the monitor use. ROOTLINE_INFLUX_DB, default "rootline". */
  readonly influxDatabase: string;
  /** The PostgreSQL database the catalog uses (created at start). ROOTLINE_POSTGRES_DB, default "rootline". */
  readonly postgresDatabase: string;
  /** Folder holding initdb, pg_ctl and postgres. ROOTLINE_POSTGRES_BIN, default /usr/lib/postgresql/15/bin. */
  readonly postgresBin: string;
  /** How long to wait for one service to become healthy. ROOTLINE_SERVICE_START_TIMEOUT_MS, default 120000. */
  readonly startTimeoutMs: number;
}

function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new RootlineError(
      'CONFIG_INVALID',
      `${name}=${JSON.stringify(raw)} is not an integer between ${min} and ${max}`,
    );
  }
  return n;
}

export function harnessConfig(env: NodeJS.ProcessEnv = process.env): HarnessConfig {
  const ports = {} as Record<PortName, number>;
  for (const name of Object.keys(DEFAULT_PORTS) as PortName[]) {
    ports[name] = envInt(env, PORT_ENV[name], DEFAULT_PORTS[name], 1, 65535);
  }
  const seen = new Map<number, PortName>();
  for (const [name, port] of Object.entries(ports) as [PortName, number][]) {
    const other = seen.get(port);
    if (other) throw new RootlineError('CONFIG_INVALID', `${PORT_ENV[name]} and ${PORT_ENV[other]} are both ${port}`);
    seen.set(port, name);
  }
  const cacheDir = resolve(env.ROOTLINE_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'rootline'));
  const runDir = resolve(env.ROOTLINE_RUN_DIR || join(cacheDir, 'run', String(ports.kafka)));
  return {
    cacheDir,
    runDir,
    ports,
    influxDatabase: env.ROOTLINE_INFLUX_DB || 'rootline',
    postgresDatabase: env.ROOTLINE_POSTGRES_DB || 'rootline',
    postgresBin: resolve(env.ROOTLINE_POSTGRES_BIN || `/usr/lib/postgresql/${POSTGRES_MAJOR}/bin`),
    startTimeoutMs: envInt(env, 'ROOTLINE_SERVICE_START_TIMEOUT_MS', 120_000, 1000, 3_600_000),
  };
}

export function portEnvName(name: PortName): string {
  return PORT_ENV[name];
}

/** Addresses of the running services, as clients need them. */
export interface ServiceAddresses {
  kafkaBrokers: string[];
  registryUrl: string;
  influxUrl: string;
  influxDatabase: string;
  slackApiUrl: string;
  slackControlUrl: string;
  /** node-postgres connection string of the catalog database (superuser `rootline`, trust auth on 127.0.0.1). */
  postgresUrl: string;
}

export function addresses(cfg: HarnessConfig): ServiceAddresses {
  return {
    kafkaBrokers: [`127.0.0.1:${cfg.ports.kafka}`],
    registryUrl: `http://127.0.0.1:${cfg.ports.registry}/apis/ccompat/v7`,
    influxUrl: `http://127.0.0.1:${cfg.ports.influx}`,
    influxDatabase: cfg.influxDatabase,
    slackApiUrl: `http://127.0.0.1:${cfg.ports.slack}/api/`,
    slackControlUrl: `http://127.0.0.1:${cfg.ports.slack}/_mock`,
    postgresUrl: postgresUrl(cfg, cfg.postgresDatabase),
  };
}

/** The superuser the harness's initdb creates; it owns the catalog database. */
export const POSTGRES_USER = 'rootline';

/** A connection string for one database of the harness's PostgreSQL. */
export function postgresUrl(cfg: HarnessConfig, database: string): string {
  return `postgres://${POSTGRES_USER}@127.0.0.1:${cfg.ports.postgres}/${encodeURIComponent(database)}`;
}
