import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SETTINGS, configDocs, describeConfig, loadConfig } from '../../src/config/index.js';
import { isRootlineError, type RootlineError } from '../../src/errors/index.js';

const dir = mkdtempSync(join(tmpdir(), 'rootline-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(text: string): string {
  const f = join(dir, `c${n++}.yaml`);
  writeFileSync(f, text);
  return f;
}

/** The problems loadConfig reports (it must throw CONFIG_INVALID). */
function problems(options: Parameters<typeof loadConfig>[0]): { where: string; message: string }[] {
  try {
    loadConfig(options);
  } catch (err: unknown) {
    expect(isRootlineError(err, 'CONFIG_INVALID')).toBe(true);
    return (err as RootlineError).details!.problems as { where: string; message: string }[];
  }
  throw new Error('loadConfig accepted an invalid configuration');
}

describe('loadConfig: defaults', () => {
  const cfg = loadConfig({ env: {} });

  it('gives every setting its documented default', () => {
    expect(cfg.kafka.brokers).toEqual(['127.0.0.1:19092']);
    expect(cfg.kafka.topics).toEqual({
      reports: 'rootline.reports',
      ingest: [],
      dlq: 'rootline.dlq',
      state: 'rootline.state',
      incidents: 'rootline.incidents',
      health: 'rootline.health',
      commands: 'rootline.commands',
    });
    expect(cfg.kafka.sasl).toEqual({ mechanism: 'none' });
    expect(cfg.kafka.instanceId).toBe(hostname());
    expect(cfg.http).toEqual({
      enabled: true,
      host: '127.0.0.1',
      tokens: [],
      port: 8080,
      maxBodyBytes: 10_485_760,
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      maxConnections: 256,
    });
    expect(cfg.monitor).toEqual({
      rules: 'rules',
      baselineRuns: 20,
      runHistory: 50,
      resolveAfterHealthyRuns: 3,
      newNormalRuns: 5,
      viewRunsPerNode: 8,
      viewMaxNodes: 10_000,
      freshnessCheckMs: 60_000,
      opsIntervalMs: 10_000,
      healthCheckMs: 5000,
    });
    expect(cfg.rollback).toEqual({
      dryRun: true,
      cooldownMs: 3_600_000,
      allowAmbiguous: false,
      kafka: true,
      webhookAllowHosts: [],
    });
    expect(cfg.slack.token).toBeUndefined();
    expect(cfg.log.level).toBe('info');
  });

  it('is deeply frozen', () => {
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.kafka.topics)).toBe(true);
    expect(Object.isFrozen(cfg.kafka.brokers)).toBe(true);
  });

  it('every default in the table passes its own validation', () => {
    for (const s of SETTINGS) expect(s.env).toMatch(/^ROOTLINE_[A-Z0-9_]+$/);
    expect(new Set(SETTINGS.map((s) => s.key)).size).toBe(SETTINGS.length);
    expect(new Set(SETTINGS.map((s) => s.env)).size).toBe(SETTINGS.length);
  });
});

describe('loadConfig: the YAML file', () => {
  it('sets nested keys; durations take units', () => {
    const cfg = loadConfig({
      env: {},
      file: file(
        [
          'kafka:',
          '  brokers: [a:9092, b:9092]',
          '  topics:',
          '    reports: my.reports',
          '  maxWaitMs: 250ms',
          '  transactionTimeoutMs: 1.5s',
          'monitor:',
          '  freshnessCheckMs: 5m',
          '  opsIntervalMs: 2000',
          'rollback:',
          '  cooldownMs: 2h',
          '  dryRun: false',
          'influx:',
          '  timeoutMs: 1d',
          'http:',
          '  port: "9090"',
        ].join('\n'),
      ),
    });
    expect(cfg.kafka.brokers).toEqual(['a:9092', 'b:9092']);
    expect(cfg.kafka.topics.reports).toBe('my.reports');
    expect(cfg.kafka.topics.dlq).toBe('rootline.dlq');
    expect(cfg.kafka.maxWaitMs).toBe(250);
    expect(cfg.kafka.transactionTimeoutMs).toBe(1500);
    expect(cfg.monitor.freshnessCheckMs).toBe(300_000);
    expect(cfg.monitor.opsIntervalMs).toBe(2000);
    expect(cfg.rollback.cooldownMs).toBe(7_200_000);
    expect(cfg.rollback.dryRun).toBe(false);
    expect(cfg.influx.timeoutMs).toBe(86_400_000);
    expect(cfg.http.port).toBe(9090);
  });

  it('unknown keys are errors naming the file and line, with the keys expected there', () => {
    const f = file(['kafka:', '  brokers: [a:1]', '  topic:', '    reports: x', 'monitr:', '  rules: r'].join('\n'));
    const p = problems({ env: {}, file: f });
    expect(p).toHaveLength(2);
    expect(p[0]!.where).toBe(`${f}:3`);
    expect(p[0]!.message).toMatch(/^unknown key "kafka.topic" \(expected one of: .*topics/);
    expect(p[1]).toEqual({
      where: `${f}:5`,
      message: expect.stringMatching(
        /^unknown key "monitr" \(expected one of: kafka, schemaRegistry, influx, catalog, http, monitor, slack, rollback, rerun, log\)$/,
      ) as string,
    });
  });

  it('a section given as a value is an error that says so', () => {
    const f = file(['kafka: localhost:9092', 'http:'].join('\n'));
    const p = problems({ env: {}, file: f });
    expect(p).toEqual([
      {
        where: `${f}:1`,
        message: 'kafka must be a mapping of its settings (kafka.brokers, ...), got "localhost:9092"',
      },
      { where: `${f}:2`, message: 'http must be a mapping of its settings (http.enabled, ...), got null' },
    ]);
  });

  it("bad types are errors at the value's line, all reported at once", () => {
    const f = file(
      [
        'http:',
        '  port: eighty',
        '  enabled: maybe',
        'monitor:',
        '  baselineRuns: 0',
        '  runHistory: 2.5',
        'kafka:',
        '  maxWaitMs: soon',
        '  brokers: 5',
        'log:',
        '  level: loud',
      ].join('\n'),
    );
    const p = problems({ env: {}, file: f });
    expect(p.map((x) => x.where)).toEqual([`${f}:2`, `${f}:3`, `${f}:5`, `${f}:6`, `${f}:8`, `${f}:9`, `${f}:11`]);
    expect(p.map((x) => x.message)).toEqual([
      'http.port must be an integer, got "eighty"',
      'http.enabled must be true or false, got "maybe"',
      'monitor.baselineRuns must be >= 1, got 0',
      'monitor.runHistory must be an integer, got 2.5',
      'kafka.maxWaitMs must be a duration in ms or with a unit (500ms, 10s, 5m, 1h), got "soon"',
      'kafka.brokers must be a list of strings, got 5',
      'log.level must be one of trace, debug, info, warn, error, fatal, silent, got "loud"',
    ]);
  });

  it('YAML syntax errors and duplicate keys are errors with their line', () => {
    const f = file(['http:', '  port: 1', '  port: 2'].join('\n'));
    expect(problems({ env: {}, file: f })).toEqual([
      { where: `${f}:3`, message: expect.stringContaining('YAML: Map keys must be unique') as string },
    ]);
    const g = file('http: [1\n');
    expect(problems({ env: {}, file: g })[0]!.message).toMatch(/^YAML: /);
  });

  it('a missing file is an error', () => {
    expect(() => loadConfig({ env: {}, file: join(dir, 'missing.yaml') })).toThrow(/cannot read the config file/);
  });

  it('an empty file changes nothing', () => {
    expect(loadConfig({ env: {}, file: file('') }).http.port).toBe(8080);
  });
});

describe('loadConfig: environment variables', () => {
  it('override the file', () => {
    const f = file(['http:', '  port: 9090', 'kafka:', '  brokers: [a:1]'].join('\n'));
    const cfg = loadConfig({
      file: f,
      env: {
        ROOTLINE_HTTP_PORT: '7070',
        ROOTLINE_KAFKA_BROKERS: 'x:1, y:2 ,',
        ROOTLINE_ROLLBACK_DRY_RUN: 'false',
        ROOTLINE_FRESHNESS_CHECK_MS: '30s',
        ROOTLINE_LOG_LEVEL: 'debug',
      },
    });
    expect(cfg.http.port).toBe(7070);
    expect(cfg.kafka.brokers).toEqual(['x:1', 'y:2']);
    expect(cfg.rollback.dryRun).toBe(false);
    expect(cfg.monitor.freshnessCheckMs).toBe(30_000);
    expect(cfg.log.level).toBe('debug');
  });

  it('an empty variable is unset', () => {
    expect(loadConfig({ env: { ROOTLINE_HTTP_PORT: '' } }).http.port).toBe(8080);
  });

  it('bad values name the variable', () => {
    expect(problems({ env: { ROOTLINE_HTTP_PORT: '70000', ROOTLINE_ROLLBACK_DRY_RUN: 'perhaps' } })).toEqual([
      { where: 'environment ROOTLINE_HTTP_PORT', message: 'http.port must be <= 65535, got "70000"' },
      {
        where: 'environment ROOTLINE_ROLLBACK_DRY_RUN',
        message: 'rollback.dryRun must be true or false, got "perhaps"',
      },
    ]);
  });

  it('booleans accept true/false, 1/0, yes/no', () => {
    for (const [v, want] of [
      ['1', true],
      ['yes', true],
      ['true', true],
      ['0', false],
      ['no', false],
      ['false', false],
    ] as const) {
      expect(loadConfig({ env: { ROOTLINE_HTTP_ENABLED: v } }).http.enabled).toBe(want);
    }
  });

  it('programmatic overrides win over both and are checked too', () => {
    expect(loadConfig({ env: { ROOTLINE_HTTP_PORT: '7070' }, overrides: { 'http.port': 0 } }).http.port).toBe(0);
    expect(problems({ env: {}, overrides: { 'http.nope': 1 } })).toEqual([
      { where: 'option', message: 'unknown key "http.nope"' },
    ]);
  });
});

describe('loadConfig: cross-field checks', () => {
  it('SASL needs a user name and a password', () => {
    expect(
      problems({ env: { ROOTLINE_KAFKA_SASL_MECHANISM: 'scram-sha-256', ROOTLINE_KAFKA_SASL_USERNAME: 'u' } }),
    ).toEqual([
      {
        where: 'kafka.sasl',
        message: 'kafka.sasl.mechanism scram-sha-256 needs kafka.sasl.username and kafka.sasl.password',
      },
    ]);
    const cfg = loadConfig({
      env: {
        ROOTLINE_KAFKA_SASL_MECHANISM: 'plain',
        ROOTLINE_KAFKA_SASL_USERNAME: 'u',
        ROOTLINE_KAFKA_SASL_PASSWORD: 'p',
      },
    });
    expect(cfg.kafka.sasl).toEqual({ mechanism: 'plain', username: 'u', password: 'p' });
  });

  it('the rollback webhook host must be allow-listed', () => {
    expect(problems({ env: { ROOTLINE_ROLLBACK_WEBHOOK_URL: 'https://evil.example/hook' } })[0]!.message).toBe(
      'the rollback webhook host "evil.example" is not in rollback.webhookAllowHosts (empty)',
    );
    expect(
      problems({
        env: {
          ROOTLINE_ROLLBACK_WEBHOOK_URL: 'https://evil.example/hook',
          ROOTLINE_ROLLBACK_WEBHOOK_ALLOW_HOSTS: 'ops.example',
        },
      })[0]!.message,
    ).toContain('(ops.example)');
    expect(problems({ env: { ROOTLINE_ROLLBACK_WEBHOOK_URL: 'not a url' } })[0]!.message).toBe(
      'rollback.webhookUrl is not a URL: not a url',
    );
    const cfg = loadConfig({
      env: {
        ROOTLINE_ROLLBACK_WEBHOOK_URL: 'https://ops.example:8443/rollback',
        ROOTLINE_ROLLBACK_WEBHOOK_ALLOW_HOSTS: 'ops.example,other.example',
      },
    });
    expect(cfg.rollback.webhookUrl).toBe('https://ops.example:8443/rollback');
  });

  it('at least one broker', () => {
    expect(problems({ env: { ROOTLINE_KAFKA_BROKERS: ' , ' } })).toEqual([
      { where: 'kafka.brokers', message: 'kafka.brokers must name at least one broker' },
    ]);
  });
});

describe('describeConfig', () => {
  it('prints every setting, secrets redacted', () => {
    const cfg = loadConfig({
      env: {
        ROOTLINE_SLACK_TOKEN: 'xoxb-very-secret',
        ROOTLINE_HTTP_TOKEN: 'http-secret',
        ROOTLINE_INFLUX_TOKEN: 'influx-secret',
        ROOTLINE_KAFKA_SASL_MECHANISM: 'plain',
        ROOTLINE_KAFKA_SASL_USERNAME: 'user1',
        ROOTLINE_KAFKA_SASL_PASSWORD: 'pw-secret',
        ROOTLINE_SCHEMA_REGISTRY_PASSWORD: 'sr-secret',
        ROOTLINE_ROLLBACK_WEBHOOK_TOKEN: 'hook-secret',
        ROOTLINE_SLACK_SIGNING_SECRET: 'signing-secret-123',
      },
    });
    const text = describeConfig(cfg);
    expect(text.split('\n')).toHaveLength(SETTINGS.length);
    for (const secret of [
      'xoxb-very-secret',
      'http-secret',
      'influx-secret',
      'pw-secret',
      'sr-secret',
      'hook-secret',
      'signing-secret-123',
    ])
      expect(text).not.toContain(secret);
    expect(text).toContain('slack.signingSecret = "<redacted>"');
    expect(text).toContain('slack.token = "<redacted>"');
    expect(text).toContain('kafka.sasl.username = "user1"');
    expect(text).toContain('http.port = 8080');
    expect(text).toContain('kafka.brokers = ["127.0.0.1:19092"]');
    expect(text).toContain('schemaRegistry.url = (unset)');
  });
});

describe('configDocs', () => {
  it('documents every setting with its variable, type and default', () => {
    const doc = configDocs();
    for (const s of SETTINGS) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${s.key}\` |`));
      expect(row, s.key).toBeDefined();
      expect(row).toContain(`\`${s.env}\``);
      if (s.default !== undefined) expect(row).toContain(JSON.stringify(s.default));
      if (s.secret) expect(row).toContain('secret');
    }
    expect(doc).toMatch(/^# Configuration reference/);
  });
});
