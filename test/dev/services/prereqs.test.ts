import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPrerequisites, harnessConfig } from '../../../src/dev/services/index.js';
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
  });
});
