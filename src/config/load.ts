import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { RootlineError } from '../errors/index.js';
import { parseRerunTargets } from '../monitor/rerun.js';
import { redactText, redactUrl } from '../redact.js';
import { SETTINGS, type Setting } from './spec.js';
import { describeTokenEntry, parseTokenEntries, type TokenEntry } from './tokens.js';

export type ConfigValue = string | number | boolean | string[] | TokenEntry[] | undefined;

/** The monitor's compiled configuration (immutable). See src/config/spec.ts for every key. */
export interface MonitorConfig {
  kafka: {
    brokers: string[];
    clientId: string;
    groupId: string;
    instanceId: string;
    topics: {
      reports: string;
      ingest: string[];
      dlq: string;
      state: string;
      incidents: string;
      health: string;
      commands: string;
    };
    partitions: number;
    replicationFactor: number;
    maxMessageBytes: number;
    brokerMaxMessageBytes: number;
    maxWaitMs: number;
    sessionTimeoutMs: number;
    transactionTimeoutMs: number;
    ssl: boolean;
    sslCaFile?: string;
    sslRejectUnauthorized: boolean;
    sasl: { mechanism: 'none' | 'plain' | 'scram-sha-256' | 'scram-sha-512'; username?: string; password?: string };
  };
  schemaRegistry: { url?: string; username?: string; password?: string };
  influx: {
    url: string;
    token: string;
    org: string;
    bucket: string;
    createBucket: boolean;
    timeoutMs: number;
    maxRetryDelayMs: number;
  };
  catalog: {
    url: string;
    schema?: string;
    maxRetryDelayMs: number;
    retention: number;
    retentionCheckMs: number;
    healthCheckMs: number;
    exportDir?: string;
    exportFormat: 'jsonl' | 'parquet';
  };
  http: {
    enabled: boolean;
    host: string;
    port: number;
    tokens: TokenEntry[];
    token?: string;
    maxBodyBytes: number;
    requestTimeoutMs: number;
    headersTimeoutMs: number;
    maxConnections: number;
  };
  monitor: {
    rules: string;
    baselineRuns: number;
    runHistory: number;
    resolveAfterHealthyRuns: number;
    newNormalRuns: number;
    viewRunsPerNode: number;
    viewMaxNodes: number;
    freshnessCheckMs: number;
    opsIntervalMs: number;
    healthCheckMs: number;
    /** Decoding worker threads; undefined: chosen from the cores (adapters/decode/pool.ts). */
    decodeWorkers?: number;
  };
  slack: {
    token?: string;
    channel: string;
    apiUrl: string;
    grafanaUrlTemplate: string;
    maxRetryDelayMs: number;
    signingSecret?: string;
    snoozeMs: number;
  };
  rollback: {
    dryRun: boolean;
    cooldownMs: number;
    allowAmbiguous: boolean;
    kafka: boolean;
    webhookUrl?: string;
    webhookAllowHosts: string[];
    webhookBodyTemplate?: string;
    webhookToken?: string;
  };
  rerun: {
    dryRun: boolean;
    cooldownMs: number;
    allowAmbiguous: boolean;
    mode: 'clear' | 'trigger';
    targets: string[];
    dagRunIdParam: string;
    airflowUrl?: string;
    allowHosts: string[];
    username?: string;
    password?: string;
    token?: string;
    maxRetryDelayMs: number;
  };
  log: { level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent' };
}

interface Problem {
  where: string;
  message: string;
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function coerce(s: Setting, raw: unknown, where: string, problems: Problem[]): ConfigValue {
  const bad = (what: string) => {
    problems.push({ where, message: `${s.key} must be ${what}, got ${JSON.stringify(raw)}` });
    return undefined;
  };
  switch (s.type) {
    case 'string':
      if (typeof raw === 'number') return String(raw);
      return typeof raw === 'string' ? raw : bad('a string');
    case 'int':
    case 'number': {
      const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof n !== 'number' || !Number.isFinite(n) || (s.type === 'int' && !Number.isInteger(n)))
        return bad(s.type === 'int' ? 'an integer' : 'a number');
      if (s.min !== undefined && n < s.min) return bad(`>= ${s.min}`);
      if (s.max !== undefined && n > s.max) return bad(`<= ${s.max}`);
      return n;
    }
    case 'duration': {
      if (typeof raw === 'number' && raw >= 0) return raw;
      const m = typeof raw === 'string' ? DURATION.exec(raw.trim()) : null;
      if (!m) return bad('a duration in ms or with a unit (500ms, 10s, 5m, 1h)');
      return Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
    }
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1' || raw === 'yes') return true;
      if (raw === 'false' || raw === '0' || raw === 'no') return false;
      return bad('true or false');
    case 'list':
      if (Array.isArray(raw) && raw.every((x) => typeof x === 'string')) return raw;
      if (typeof raw === 'string')
        return raw
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x !== '');
      return bad('a list of strings');
    case 'enum':
      if (typeof raw === 'string' && s.values!.includes(raw)) return raw;
      return bad(`one of ${s.values!.join(', ')}`);
    case 'tokens': {
      // Never through bad(): the raw value may hold a token pasted where its hash belongs.
      const r = parseTokenEntries(raw);
      for (const message of r.errors) problems.push({ where, message });
      return r.entries;
    }
  }
}

function plain(node: YamlNode | null | undefined): unknown {
  if (node === null || node === undefined) return null;
  if (isScalar(node)) return node.value;
  if (isSeq(node)) return (node.items as YamlNode[]).map(plain);
  return node.toJSON() as unknown;
}

/**
 * Loads the monitor's configuration: defaults, then the YAML file (if any), then environment
 * variables, each validated. Unknown keys and bad values are errors naming the file, line and key;
 * every problem is reported at once.
 */
export function loadConfig(
  options: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Record<string, ConfigValue> } = {},
): MonitorConfig {
  const env = options.env ?? process.env;
  const problems: Problem[] = [];
  const values = new Map<string, ConfigValue>();
  const byKey = new Map(SETTINGS.map((s) => [s.key, s]));
  for (const s of SETTINGS) values.set(s.key, s.default);

  if (options.file) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (err: unknown) {
      throw new RootlineError(
        'CONFIG_INVALID',
        `cannot read the config file ${options.file}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
    const at = (node: YamlNode | null | undefined) => `${options.file}:${lc.linePos(node?.range?.[0] ?? 0).line}`;
    for (const e of doc.errors)
      problems.push({
        where: `${options.file}:${lc.linePos(e.pos[0]).line}`,
        message: `YAML: ${e.message.split('\n')[0]}`,
      });
    const walk = (node: YamlNode, prefix: string) => {
      if (!isMap(node)) {
        problems.push({ where: at(node), message: `${prefix || 'the config file'} must be a mapping` });
        return;
      }
      for (const pair of node.items) {
        const keyNode = pair.key as YamlNode;
        const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        const full = prefix ? `${prefix}.${key}` : key;
        const value = pair.value as YamlNode;
        const setting = byKey.get(full);
        if (setting) {
          const v = coerce(setting, plain(value), at(value), problems);
          if (v !== undefined) values.set(full, v);
        } else if ([...byKey.keys()].some((k) => k.startsWith(`${full}.`))) {
          if (isMap(value)) walk(value, full);
          else {
            const first = [...byKey.keys()].find((k) => k.startsWith(`${full}.`))!;
            problems.push({
              where: at(value ?? keyNode),
              message: `${full} must be a mapping of its settings (${first}, ...), got ${JSON.stringify(plain(value))}`,
            });
          }
        } else {
          const near = [...byKey.keys()]
            .filter((k) => k.startsWith(prefix ? `${prefix}.` : ''))
            .map((k) => k.slice(prefix ? prefix.length + 1 : 0).split('.')[0]);
          problems.push({
            where: at(keyNode),
            message: `unknown key "${full}"${near.length ? ` (expected one of: ${[...new Set(near)].join(', ')})` : ''}`,
          });
        }
      }
    };
    if (doc.errors.length === 0 && doc.contents) walk(doc.contents, '');
  }

  for (const s of SETTINGS) {
    const raw = env[s.env];
    if (raw === undefined || raw === '') continue;
    const v = coerce(s, raw, `environment ${s.env}`, problems);
    if (v !== undefined) values.set(s.key, v);
  }
  for (const [k, v] of Object.entries(options.overrides ?? {})) {
    const s = byKey.get(k);
    if (!s) problems.push({ where: 'option', message: `unknown key "${k}"` });
    else if (v !== undefined) {
      const c = coerce(s, v, 'option', problems);
      if (c !== undefined) values.set(k, c);
    }
  }

  const cfg = build(values);
  // Cross-field checks.
  if (cfg.kafka.sasl.mechanism !== 'none' && (!cfg.kafka.sasl.username || !cfg.kafka.sasl.password)) {
    problems.push({
      where: 'kafka.sasl',
      message: `kafka.sasl.mechanism ${cfg.kafka.sasl.mechanism} needs kafka.sasl.username and kafka.sasl.password`,
    });
  }
  if (cfg.rollback.webhookUrl) {
    try {
      const host = new URL(cfg.rollback.webhookUrl).hostname;
      if (!cfg.rollback.webhookAllowHosts.includes(host)) {
        problems.push({
          where: 'rollback.webhookUrl',
          message: `the rollback webhook host "${host}" is not in rollback.webhookAllowHosts (${cfg.rollback.webhookAllowHosts.join(', ') || 'empty'})`,
        });
      }
    } catch {
      problems.push({
        where: 'rollback.webhookUrl',
        message: `rollback.webhookUrl is not a URL: ${redactUrl(cfg.rollback.webhookUrl)}`,
      });
    }
  }
  if (cfg.rerun.airflowUrl) {
    try {
      const host = new URL(cfg.rerun.airflowUrl).hostname;
      if (!cfg.rerun.allowHosts.includes(host)) {
        problems.push({
          where: 'rerun.airflowUrl',
          message: `the Airflow host "${host}" is not in rerun.allowHosts (${cfg.rerun.allowHosts.join(', ') || 'empty'})`,
        });
      }
    } catch {
      problems.push({
        where: 'rerun.airflowUrl',
        message: `rerun.airflowUrl is not a URL: ${redactUrl(cfg.rerun.airflowUrl)}`,
      });
    }
  }
  try {
    parseRerunTargets(cfg.rerun.targets);
  } catch (err: unknown) {
    problems.push({ where: 'rerun.targets', message: (err as Error).message });
  }
  if (cfg.kafka.brokers.length === 0)
    problems.push({ where: 'kafka.brokers', message: 'kafka.brokers must name at least one broker' });
  if (problems.length > 0) {
    throw new RootlineError(
      'CONFIG_INVALID',
      `invalid configuration:\n${problems.map((p) => `  ${p.where}: ${p.message}`).join('\n')}`,
      { details: { problems } },
    );
  }
  return deepFreeze(cfg);
}

function build(v: Map<string, ConfigValue>): MonitorConfig {
  const s = (k: string) => v.get(k) as string;
  const o = (k: string) => (v.get(k) === undefined || v.get(k) === '' ? undefined : (v.get(k) as string));
  const n = (k: string) => v.get(k) as number;
  const b = (k: string) => v.get(k) as boolean;
  const l = (k: string) => (v.get(k) as string[] | undefined) ?? [];
  const opt = <T extends object>(obj: T): T => {
    for (const key of Object.keys(obj) as (keyof T)[]) if (obj[key] === undefined) delete obj[key];
    return obj;
  };
  return {
    kafka: opt({
      brokers: l('kafka.brokers'),
      clientId: s('kafka.clientId'),
      groupId: s('kafka.groupId'),
      instanceId: o('kafka.instanceId') ?? hostname(),
      topics: {
        reports: s('kafka.topics.reports'),
        ingest: l('kafka.topics.ingest'),
        dlq: s('kafka.topics.dlq'),
        state: s('kafka.topics.state'),
        incidents: s('kafka.topics.incidents'),
        health: s('kafka.topics.health'),
        commands: s('kafka.topics.commands'),
      },
      partitions: n('kafka.partitions'),
      replicationFactor: n('kafka.replicationFactor'),
      maxMessageBytes: n('kafka.maxMessageBytes'),
      brokerMaxMessageBytes: n('kafka.brokerMaxMessageBytes'),
      maxWaitMs: n('kafka.maxWaitMs'),
      sessionTimeoutMs: n('kafka.sessionTimeoutMs'),
      transactionTimeoutMs: n('kafka.transactionTimeoutMs'),
      ssl: b('kafka.ssl'),
      sslCaFile: o('kafka.sslCaFile'),
      sslRejectUnauthorized: b('kafka.sslRejectUnauthorized'),
      sasl: opt({
        mechanism: s('kafka.sasl.mechanism') as MonitorConfig['kafka']['sasl']['mechanism'],
        username: o('kafka.sasl.username'),
        password: o('kafka.sasl.password'),
      }),
    }) as MonitorConfig['kafka'],
    schemaRegistry: opt({
      url: o('schemaRegistry.url'),
      username: o('schemaRegistry.username'),
      password: o('schemaRegistry.password'),
    }) as MonitorConfig['schemaRegistry'],
    influx: {
      url: s('influx.url'),
      token: s('influx.token'),
      org: s('influx.org'),
      bucket: s('influx.bucket'),
      createBucket: b('influx.createBucket'),
      timeoutMs: n('influx.timeoutMs'),
      maxRetryDelayMs: n('influx.maxRetryDelayMs'),
    },
    catalog: opt({
      url: s('catalog.url'),
      schema: o('catalog.schema'),
      maxRetryDelayMs: n('catalog.maxRetryDelayMs'),
      retention: n('catalog.retention'),
      retentionCheckMs: n('catalog.retentionCheckMs'),
      healthCheckMs: n('catalog.healthCheckMs'),
      exportDir: o('catalog.exportDir'),
      exportFormat: s('catalog.exportFormat'),
    }) as MonitorConfig['catalog'],
    http: opt({
      enabled: b('http.enabled'),
      host: s('http.host'),
      port: n('http.port'),
      tokens: v.get('http.tokens') as TokenEntry[],
      token: o('http.token'),
      maxBodyBytes: n('http.maxBodyBytes'),
      requestTimeoutMs: n('http.requestTimeoutMs'),
      headersTimeoutMs: n('http.headersTimeoutMs'),
      maxConnections: n('http.maxConnections'),
    }) as MonitorConfig['http'],
    monitor: {
      rules: s('monitor.rules'),
      baselineRuns: n('monitor.baselineRuns'),
      runHistory: n('monitor.runHistory'),
      resolveAfterHealthyRuns: n('monitor.resolveAfterHealthyRuns'),
      newNormalRuns: n('monitor.newNormalRuns'),
      viewRunsPerNode: n('monitor.viewRunsPerNode'),
      viewMaxNodes: n('monitor.viewMaxNodes'),
      freshnessCheckMs: n('monitor.freshnessCheckMs'),
      opsIntervalMs: n('monitor.opsIntervalMs'),
      healthCheckMs: n('monitor.healthCheckMs'),
      ...(v.get('monitor.decodeWorkers') !== undefined ? { decodeWorkers: n('monitor.decodeWorkers') } : {}),
    },
    slack: opt({
      token: o('slack.token'),
      channel: s('slack.channel'),
      apiUrl: s('slack.apiUrl'),
      grafanaUrlTemplate: s('slack.grafanaUrlTemplate'),
      maxRetryDelayMs: n('slack.maxRetryDelayMs'),
      signingSecret: o('slack.signingSecret'),
      snoozeMs: n('slack.snoozeMs'),
    }) as MonitorConfig['slack'],
    rollback: opt({
      dryRun: b('rollback.dryRun'),
      cooldownMs: n('rollback.cooldownMs'),
      allowAmbiguous: b('rollback.allowAmbiguous'),
      kafka: b('rollback.kafka'),
      webhookUrl: o('rollback.webhookUrl'),
      webhookAllowHosts: l('rollback.webhookAllowHosts'),
      webhookBodyTemplate: o('rollback.webhookBodyTemplate'),
      webhookToken: o('rollback.webhookToken'),
    }) as MonitorConfig['rollback'],
    rerun: opt({
      dryRun: b('rerun.dryRun'),
      cooldownMs: n('rerun.cooldownMs'),
      allowAmbiguous: b('rerun.allowAmbiguous'),
      mode: s('rerun.mode') as MonitorConfig['rerun']['mode'],
      targets: l('rerun.targets'),
      dagRunIdParam: s('rerun.dagRunIdParam'),
      airflowUrl: o('rerun.airflowUrl'),
      allowHosts: l('rerun.allowHosts'),
      username: o('rerun.username'),
      password: o('rerun.password'),
      token: o('rerun.token'),
      maxRetryDelayMs: n('rerun.maxRetryDelayMs'),
    }) as MonitorConfig['rerun'],
    log: { level: s('log.level') as MonitorConfig['log']['level'] },
  };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** The effective configuration as flat key = value lines, secrets and credentials in URLs redacted. */
export function describeConfig(cfg: MonitorConfig): string {
  const lines: string[] = [];
  for (const s of SETTINGS) {
    let v: unknown = s.key
      .split('.')
      .reduce<unknown>((acc, k) => (acc as Record<string, unknown> | undefined)?.[k], cfg);
    if (s.secret && v !== undefined && v !== '') v = '<redacted>';
    if (s.type === 'tokens') v = (v as TokenEntry[]).map(describeTokenEntry);
    lines.push(`${s.key} = ${v === undefined ? '(unset)' : redactText(JSON.stringify(v))}`);
  }
  return lines.join('\n');
}

/** docs/configuration.md, generated from the settings table. */
export function configDocs(): string {
  const rows = SETTINGS.map(
    (s) =>
      `| \`${s.key}\` | \`${s.env}\` | ${s.type}${s.values ? ` (${s.values.join(', ')})` : ''} | ${s.default === undefined ? '' : `\`${JSON.stringify(s.default)}\``} | ${s.doc}${s.secret ? ' (secret: never logged)' : ''} |`,
  );
  return [
    '# Configuration reference',
    '',
    'Generated by `rootline config --docs` from src/config/spec.ts. Settings come from defaults, then the YAML file',
    'given with `--config` (nested keys: `kafka: { brokers: [...] }`), then environment variables, which win.',
    'Durations take a number of milliseconds or a unit: `500ms`, `10s`, `5m`, `1h`.',
    '',
    '| key | environment | type | default | meaning |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

/**
 * Setting overrides that give a monitor names of its own: consumer group, instance id and every topic
 * prefixed with `id` (tests, benchmarks and the local demo run beside others on one broker).
 */
export function isolatedNames(id: string): Record<string, ConfigValue> {
  return {
    'kafka.groupId': `${id}-group`,
    'kafka.instanceId': `${id}-a`,
    'kafka.topics.reports': `${id}.reports`,
    'kafka.topics.dlq': `${id}.dlq`,
    'kafka.topics.state': `${id}.state`,
    'kafka.topics.incidents': `${id}.incidents`,
    'kafka.topics.health': `${id}.health`,
    'kafka.topics.commands': `${id}.commands`,
  };
}
