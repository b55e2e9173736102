import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { TokenStore } from '../../src/adapters/http/auth.js';
import { tokenCommand } from '../../src/cli/token.js';
import { describeConfig, loadConfig } from '../../src/config/index.js';
import { grants, hashToken, newToken, parseTokenEntries } from '../../src/config/tokens.js';
import { isRootlineError, type RootlineError } from '../../src/errors/index.js';
import { runCli } from '../cli/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'rootline-tokens-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(options: Parameters<typeof loadConfig>[0]): string[] {
  try {
    loadConfig(options);
  } catch (err: unknown) {
    expect(isRootlineError(err, 'CONFIG_INVALID')).toBe(true);
    return ((err as RootlineError).details!.problems as { message: string }[]).map((p) => p.message);
  }
  throw new Error('loadConfig accepted an invalid configuration');
}

const H = hashToken('rl_some-token');

describe('roles', () => {
  it('admin implies every role, operate implies read, ingest and read imply nothing else', () => {
    expect(['read', 'ingest', 'operate', 'admin'].every((r) => grants(['admin'], r as 'read'))).toBe(true);
    expect(grants(['operate'], 'read')).toBe(true);
    expect(grants(['operate'], 'ingest')).toBe(false);
    expect(grants(['operate'], 'admin')).toBe(false);
    expect(grants(['read'], 'operate')).toBe(false);
    expect(grants(['read'], 'ingest')).toBe(false);
    expect(grants(['ingest'], 'read')).toBe(false);
    expect(grants(['read', 'ingest'], 'ingest')).toBe(true);
  });
});

describe('hashToken and newToken', () => {
  it('sha256 of the UTF-8 token, hex', () => {
    expect(hashToken('abc')).toBe(`sha256:${createHash('sha256').update('abc').digest('hex')}`);
    expect(hashToken('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it('new tokens are 256-bit random, base64url', () => {
    const a = newToken();
    expect(a).toMatch(/^rl_[A-Za-z0-9_-]{43}$/);
    expect(newToken()).not.toBe(a);
  });
});

describe('http.tokens in the config', () => {
  it('from YAML: a list of entries, with or without a pipeline scope', () => {
    const f = join(dir, 'ok.yaml');
    writeFileSync(
      f,
      `http:\n  tokens:\n    - name: airflow\n      hash: ${H}\n      roles: [ingest]\n      pipelines: ['churn*', 'billing_{a,b}']\n    - name: ops\n      hash: ${hashToken('x')}\n      roles: [operate]\n`,
    );
    const cfg = loadConfig({ file: f, env: {} });
    expect(cfg.http.tokens).toEqual([
      { name: 'airflow', hash: H, roles: ['ingest'], pipelines: ['churn*', 'billing_{a,b}'] },
      { name: 'ops', hash: hashToken('x'), roles: ['operate'] },
    ]);
    // rootline config shows who holds which role, never a hash.
    const text = describeConfig(cfg);
    expect(text).toContain('http.tokens = ["airflow (ingest; pipelines churn*,billing_{a,b})","ops (operate)"]');
    expect(text).not.toContain(H.slice(7, 20));
  });

  it('from the environment: JSON', () => {
    const cfg = loadConfig({
      env: { ROOTLINE_HTTP_TOKENS: JSON.stringify([{ name: 'reader', hash: H, roles: ['read'] }]) },
    });
    expect(cfg.http.tokens).toEqual([{ name: 'reader', hash: H, roles: ['read'] }]);
    expect(problems({ env: { ROOTLINE_HTTP_TOKENS: '[{' } })).toEqual([
      'http.tokens must be a JSON array of {name, hash, roles, pipelines} in the environment',
    ]);
  });

  it('every mistake is reported, and a token pasted as its hash is never echoed', () => {
    const pasted = 'rl_THIS-IS-A-PLAIN-TOKEN-NOT-A-HASH-0000';
    const p = problems({
      env: {
        ROOTLINE_HTTP_TOKENS: JSON.stringify([
          { name: 'a', hash: pasted, roles: ['read'] },
          { name: 'b', hash: hashToken('b'), roles: ['reader'] },
          { name: 'c', hash: H.toUpperCase().replace('SHA256', 'sha256'), roles: ['read'] },
          { name: 'd d', hash: H, roles: ['read'] },
          { name: 'e', hash: hashToken('e'), roles: ['read'], pipelines: [] },
          { name: 'f', hash: hashToken('f'), roles: ['read'], pipelines: ['{x'] },
          { name: 'g', hash: hashToken('g'), roles: ['read'], scope: 'x' },
          { name: 'g', hash: hashToken('g'), roles: ['read'] },
          { name: 'h', hash: hashToken('h'), roles: [] },
          'just-a-token',
        ]),
      },
    });
    expect(p).toEqual([
      'http.tokens[0] (a).hash must be sha256:<64 lowercase hex> (the hash, never the token: `rootline token hash` prints it)',
      'http.tokens[1] (b).roles must be a non-empty list of read, ingest, operate, admin',
      'http.tokens[2] (c).hash must be sha256:<64 lowercase hex> (the hash, never the token: `rootline token hash` prints it)',
      'http.tokens[3].name must be 1-64 characters of letters, digits, . _ @ -',
      'http.tokens[4] (e).pipelines must be a non-empty list of pipeline globs (omit it for every pipeline)',
      'http.tokens[5] (f).pipelines: unclosed "{" in glob "{x"',
      'http.tokens[6]: unknown key "scope" (expected name, hash, roles, pipelines)',
      'http.tokens[7]: the name g is used twice',
      'http.tokens[7] (g): the same token hash is listed twice',
      'http.tokens[8] (h).roles must be a non-empty list of read, ingest, operate, admin',
      'http.tokens[9] must be a mapping {name, hash, roles, pipelines}',
    ]);
    expect(p.join('\n')).not.toContain(pasted);
    expect(p.join('\n')).not.toContain('just-a-token');
  });

  it('http.token keeps working as an admin token beside http.tokens', () => {
    const cfg = loadConfig({
      env: {
        ROOTLINE_HTTP_TOKEN: 'legacy-secret',
        ROOTLINE_HTTP_TOKENS: JSON.stringify([{ name: 'r', hash: H, roles: ['read'] }]),
      },
    });
    const store = new TokenStore(cfg.http.tokens, cfg.http.token);
    expect(store.authenticate('Bearer legacy-secret')).toMatchObject({ kind: 'ok', principal: { roles: ['admin'] } });
    expect(store.authenticate('Bearer rl_some-token')).toMatchObject({ kind: 'ok', principal: { name: 'r' } });
    expect(describeConfig(cfg)).not.toContain('legacy-secret');
  });

  it('parseTokenEntries drops duplicate roles', () => {
    expect(parseTokenEntries([{ name: 'x', hash: H, roles: ['read', 'read'] }]).entries).toEqual([
      { name: 'x', hash: H, roles: ['read'] },
    ]);
  });
});

describe('rootline token', () => {
  const out: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    out.length = 0;
  });
  const capture = () =>
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out.push(String(s));
      return true;
    });

  it('create prints a new token once and an entry that loads and accepts exactly that token', async () => {
    const r = await runCli(['token', 'create', '--role', 'read', '--pipelines', 'churn*,billing_{a,b}', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { token, entry } = JSON.parse(r.stdout) as { token: string; entry: { name: string; hash: string } };
    expect(token).toMatch(/^rl_/);
    expect(entry).toEqual({
      name: `read-${hashToken(token).slice(7, 15)}`,
      hash: hashToken(token),
      roles: ['read'],
      pipelines: ['churn*', 'billing_{a,b}'],
    });
    const cfg = loadConfig({ env: { ROOTLINE_HTTP_TOKENS: JSON.stringify([entry]) } });
    const store = new TokenStore(cfg.http.tokens);
    expect(store.authenticate(`Bearer ${token}`)).toMatchObject({
      kind: 'ok',
      principal: { pipelines: ['churn*', 'billing_{a,b}'] },
    });
  });

  it('create (text): the token once, and a YAML entry that loadConfig accepts', async () => {
    capture();
    expect(await tokenCommand(['create', '--role', 'ingest,read', '--name', 'airflow'])).toBe(0);
    const text = out.join('');
    const token = /^ {2}(rl_\S+)$/m.exec(text)![1]!;
    expect(text.split(token)).toHaveLength(2);
    const yaml = text.slice(text.indexOf('http:\n'), text.indexOf('\n\nor in the environment'));
    const f = join(dir, 'created.yaml');
    writeFileSync(f, `${yaml}\n`);
    expect(loadConfig({ file: f, env: {} }).http.tokens).toEqual([
      { name: 'airflow', hash: hashToken(token), roles: ['ingest', 'read'] },
    ]);
  });

  it('hash reads the token from stdin and never prints it', async () => {
    capture();
    const code = await tokenCommand(['hash', '--role', 'admin', '--name', 'ops'], () =>
      Promise.resolve('my-existing-token-1234\n'),
    );
    expect(code).toBe(0);
    const text = out.join('');
    expect(text).toContain(`hash: ${hashToken('my-existing-token-1234')}`);
    expect(text).not.toContain('my-existing-token-1234');
  });

  it('refuses a missing or unknown role and an empty stdin', async () => {
    await expect(tokenCommand(['create'])).rejects.toThrow('--role is required');
    await expect(tokenCommand(['create', '--role', 'root'])).rejects.toThrow('roles must be a non-empty list');
    await expect(tokenCommand(['hash', '--role', 'read'], () => Promise.resolve('  \n'))).rejects.toThrow(
      'give the token on stdin',
    );
  });
});
