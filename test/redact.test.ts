import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { describeConfig, loadConfig } from '../src/config/index.js';
import { RootlineError, errorMessage } from '../src/errors/index.js';
import { REDACTED, redactText, redactUrl } from '../src/redact.js';
import { createLogger } from '../src/service/log.js';
import { monitorMetrics } from '../src/service/metrics.js';

const SECRET_URL = 'https://ops:hunter2@hooks.example.com/rollback?team=data&token=abc123&X-Amz-Signature=f00';

describe('redactUrl', () => {
  it('replaces the user information and secret query values, keeping the rest', () => {
    expect(redactUrl(SECRET_URL)).toBe(
      `https://${REDACTED}@hooks.example.com/rollback?team=data&token=${REDACTED}&X-Amz-Signature=${REDACTED}`,
    );
    expect(redactUrl('http://user@h:8080/p#frag')).toBe(`http://${REDACTED}@h:8080/p#frag`);
    expect(redactUrl('http://h/p?access_token=1&api_key=2&apikey=3&password=4&page=5#t')).toBe(
      `http://h/p?access_token=${REDACTED}&api_key=${REDACTED}&apikey=${REDACTED}&password=${REDACTED}&page=5#t`,
    );
    expect(redactUrl('http://h/a@b?q=1')).toBe('http://h/a@b?q=1');
    expect(redactUrl('http://h/p?%zz=1&tok%65n=2')).toBe(`http://h/p?%zz=1&tok%65n=${REDACTED}`);
  });

  it('leaves URLs without credentials as they are', () => {
    for (const u of ['http://127.0.0.1:8086', 'https://slack.com/api/', 'http://h/p?pipeline=churn&node=n01'])
      expect(redactUrl(u)).toBe(u);
  });
});

describe('redactText', () => {
  it('redacts every URL inside a text', () => {
    expect(redactText(`POST ${SECRET_URL} failed; retry "http://a:b@c/d"`)).toBe(
      `POST https://${REDACTED}@hooks.example.com/rollback?team=data&token=${REDACTED}&X-Amz-Signature=${REDACTED} failed; retry "http://${REDACTED}@c/d"`,
    );
    expect(redactText('no url here: user:pass@host')).toBe('no url here: user:pass@host');
  });
});

describe('redaction everywhere a URL leaves the process', () => {
  it('rootline config and the start-up log line', () => {
    const cfg = loadConfig({
      env: {},
      overrides: {
        'rollback.webhookUrl': SECRET_URL,
        'rollback.webhookAllowHosts': ['hooks.example.com'],
        'schemaRegistry.url': 'http://reg:s3cret@registry:8081',
      },
    });
    const text = describeConfig(cfg);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('abc123');
    expect(text).not.toContain('s3cret');
    expect(text).toContain(`rollback.webhookUrl = "https://${REDACTED}@hooks.example.com/rollback?team=data`);

    const lines: string[] = [];
    const log = createLogger(
      'info',
      new Writable({
        write(c: Buffer, _e, cb) {
          lines.push(c.toString('utf8'));
          cb();
        },
      }),
    );
    log.info({ config: text.split('\n'), url: SECRET_URL, err: new Error(`fetch ${SECRET_URL}`) }, `at ${SECRET_URL}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/hunter2|abc123|f00/);
    expect(lines[0]).toContain('hooks.example.com/rollback');
  });

  it('a config error names the URL without its credentials', () => {
    let err: unknown;
    try {
      loadConfig({
        env: {},
        overrides: { 'rollback.webhookUrl': 'https://a:hunter2@', 'rollback.webhookAllowHosts': [] },
      });
    } catch (e: unknown) {
      err = e;
    }
    expect(err).toBeInstanceOf(RootlineError);
    expect(errorMessage(err)).not.toContain('hunter2');
  });

  it('error messages and /metrics', () => {
    expect(errorMessage(new Error(`cannot reach ${SECRET_URL}`))).not.toMatch(/hunter2|abc123/);
    expect(errorMessage(`cannot reach ${SECRET_URL}`)).not.toMatch(/hunter2|abc123/);
    const m = monitorMetrics();
    m.errors.inc({ component: `webhook ${SECRET_URL}` });
    const text = m.registry.render();
    expect(text).toContain('hooks.example.com');
    expect(text).not.toMatch(/hunter2|abc123/);
  });
});
