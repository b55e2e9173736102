import { PassThrough } from 'node:stream';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { quietOnEpipe } from '../../src/cli/main.js';
import { runCli } from './run-cli.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('every command answers --help with its usage and exit 0', () => {
  for (const cmd of [['config'], ['rules'], ['dev'], ['monitor'], ['replay'], ['lineage']]) {
    it(`rootline ${cmd.join(' ')} --help`, async () => {
      const r = await runCli([...cmd, '--help']);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^usage: rootline /);
      expect(r.code).toBe(0);
    });
  }
});

describe('the offline commands use the installed rules when no folder is given', () => {
  it('rules check, replay and lineage --from work from a directory without rules/', async () => {
    const check = await runCli(['rules', 'check'], process.env, 60_000, tmpdir());
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(join(root, 'rules'));
    const reports = join(root, 'test/vectors/reports/valid/minimal.json');
    const file = join(mkdtempSync(join(tmpdir(), 'rootline-rules-')), 'one.jsonl');
    writeFileSync(file, `${JSON.stringify(JSON.parse(readFileSync(reports, 'utf8')))}\n`);
    const replay = await runCli(['replay', file, '--quiet'], process.env, 60_000, dirname(file));
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(0);
    const lineage = await runCli(
      ['lineage', 'graph', '--from', file, '--pipeline', 'p', '--json'],
      process.env,
      60_000,
      dirname(file),
    );
    expect(lineage.stderr).toBe('');
    expect(lineage.code).toBe(0);
  });
});

describe('a closed stdout pipe', () => {
  it('ends the command quietly on EPIPE (`rootline lineage ... | head -1`), other errors still throw', () => {
    const stream = new PassThrough() as unknown as NodeJS.WriteStream;
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    try {
      quietOnEpipe(stream);
      stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      expect(exit).toHaveBeenCalledWith(0);
      expect(() => stream.emit('error', Object.assign(new Error('boom'), { code: 'EIO' }))).toThrow('boom');
    } finally {
      exit.mockRestore();
    }
  });
});

describe('documentation links', () => {
  it('point to files that exist (docs/*.md and the doc comments in src/)', () => {
    const files = [
      ...readdirSync(join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => join('docs', f)),
      ...(readdirSync(join(root, 'src'), { recursive: true }) as string[])
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join('src', f)),
    ];
    const missing: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(root, f), 'utf8');
      for (const m of text.matchAll(/(?:\]\(|\b)((?:\.\.?\/|docs\/|shared\/)?[\w./-]*[A-Za-z]\.md)\b/g)) {
        const ref = m[1]!;
        const candidates = [resolve(root, dirname(f), ref), resolve(root, ref), resolve(root, 'docs', ref)];
        if (!candidates.some((c) => existsSync(c))) missing.push(`${f}: ${ref}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
