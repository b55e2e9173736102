import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addresses, checkPrerequisites, harnessConfig, installPostgres } from '../../../src/dev/services/index.js';
import { isRootlineError } from '../../../src/errors/index.js';

describe('services prerequisites', () => {
  it('names every missing tool and how to install it, before downloading anything', async () => {
    const cfg = harnessConfig({ ROOTLINE_CACHE_DIR: mkdtempSync(join(tmpdir(), 'rootline-empty-cache-')) });
    const err = await checkPrerequisites(cfg, { PATH: '/nonexistent' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isRootlineError(err, 'PREREQUISITE_MISSING')).toBe(true);
    const msg = (err as Error).message;
    expect(msg).toContain('Java 17');
    expect(msg).toContain('Apache Maven');
    expect(msg).toContain('Go');
    expect(msg).toContain('apt-get install maven');
  });

  it('passes on this machine', async () => {
    const cfg = harnessConfig({ ROOTLINE_CACHE_DIR: mkdtempSync(join(tmpdir(), 'rootline-empty-cache-')) });
    await expect(checkPrerequisites(cfg)).resolves.toBeUndefined();
  });

  it('rejects a port that is not a number, naming the variable', () => {
    expect(() => harnessConfig({ ROOTLINE_KAFKA_PORT: 'abc' })).toThrow(/ROOTLINE_KAFKA_PORT="abc"/);
    expect(() => harnessConfig({ ROOTLINE_KAFKA_PORT: '18086' })).toThrow(/both 18086/);
    expect(() => harnessConfig({ ROOTLINE_POSTGRES_PORT: '18090' })).toThrow(
      /ROOTLINE_POSTGRES_PORT and ROOTLINE_SLACK_PORT are both 18090|ROOTLINE_SLACK_PORT and ROOTLINE_POSTGRES_PORT are both 18090/,
    );
  });

  it('gives PostgreSQL its own port and database, each movable by a variable', () => {
    const cfg = harnessConfig({ ROOTLINE_POSTGRES_PORT: '24006', ROOTLINE_POSTGRES_DB: 'cat' });
    expect(cfg.ports.postgres).toBe(24006);
    expect(addresses(cfg).postgresUrl).toBe('postgres://rootline@127.0.0.1:24006/cat');
    expect(addresses(harnessConfig({})).postgresUrl).toBe('postgres://rootline@127.0.0.1:15432/rootline');
  });

  it('says how to install PostgreSQL when its binaries are missing and apt-get cannot run', async () => {
    const cfg = harnessConfig({
      ROOTLINE_CACHE_DIR: mkdtempSync(join(tmpdir(), 'rootline-empty-cache-')),
      ROOTLINE_POSTGRES_BIN: '/nonexistent/postgresql/bin',
    });
    const log: string[] = [];
    const err = await installPostgres(cfg, (m) => log.push(m), { PATH: '/nonexistent' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isRootlineError(err, 'SERVICE_INSTALL_FAILED')).toBe(true);
    expect((err as Error).message).toContain('apt-get install -y postgresql');
    expect((err as Error).message).toContain('ROOTLINE_POSTGRES_BIN');
    expect(log.join('\n')).toMatch(/installing Debian's PostgreSQL 15 with apt-get/);
  });
});
