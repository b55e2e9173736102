import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { profileCommand } from '../../src/cli/profile.js';
import { validateReport, type Report } from '../../src/contract/index.js';

const dir = mkdtempSync(join(tmpdir(), 'rootline-cli-profile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const csv = join(dir, 'orders.csv');
writeFileSync(csv, 'id,amount,city\n1,10.5,Paris\n2,,Lyon\n3,7,Paris\n');

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const code = await profileCommand(args);
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}

async function server(
  handler: (req: IncomingMessage, body: string) => [number, string],
): Promise<{ url: string; close: () => Promise<void>; bodies: string[] }> {
  const bodies: string[] = [];
  const s: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      bodies.push(body);
      const [status, text] = handler(req, body);
      res.writeHead(status, { 'content-type': 'application/json' }).end(text);
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, bodies, close: () => new Promise((r) => s.close(() => r())) };
}

describe('rootline profile', () => {
  it('prints a valid report with the given identity and the profile of the file', async () => {
    const r = await run([
      csv,
      '--pipeline',
      'shop',
      '--node',
      'load_orders',
      '--dataset',
      'lake/orders',
      '--run-id',
      'r-1',
      '--code-version',
      'git:abc',
      '--no-progress',
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(validateReport(report).ok).toBe(true);
    expect(report).toMatchObject({
      pipeline: 'shop',
      node: 'load_orders',
      run_id: 'r-1',
      code_version: 'git:abc',
      outputs: [{ dataset: 'lake/orders' }],
    });
    const p = report.outputs![0]!.profile;
    expect(p!.row_count).toBe(3);
    expect(p!.columns!.amount).toMatchObject({ kind: 'numeric', null_count: 1, min: 7, max: 10.5 });
    expect(p!.columns!.city).toMatchObject({ kind: 'categorical', frequent: { Paris: 2, Lyon: 1 } });
    expect(r.stderr).toBe('');
  });

  it('defaults the identity to local / the file name / the path, writes --out, and takes --sketch sample', async () => {
    const out = join(dir, 'report.json');
    const r = await run([csv, '--out', out, '--sketch=sample', '--no-progress']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(report).toMatchObject({ pipeline: 'local', node: 'orders', outputs: [{ dataset: csv }] });
    expect(report.outputs![0]!.profile!.columns!.amount).toMatchObject({ sample: [10.5, 7] });
  });

  it('puts the content hash of the rows in the profile, and --dataset-version on the output', async () => {
    const shuffled = join(dir, 'orders-shuffled.csv');
    writeFileSync(shuffled, 'city,amount,id\nParis,7,3\nParis,10.5,1\nLyon,,2\n');
    const a = await run([csv, '--dataset-version', 'sha256:feed']);
    const b = await run([shuffled]);
    const ra = JSON.parse(a.stdout) as Report;
    const rb = JSON.parse(b.stdout) as Report;
    expect(ra.outputs![0]?.profile!.content_hash).toMatch(/^rch1:[0-9a-f]{32}$/);
    expect(rb.outputs![0]?.profile!.content_hash).toBe(ra.outputs![0]?.profile!.content_hash);
    expect(ra.outputs![0]?.version).toBe('sha256:feed');
    expect(rb.outputs![0]?.version).toBeUndefined();
    const none = JSON.parse((await run([csv, '--no-content-hash'])).stdout) as Report;
    expect(none.outputs![0]?.profile!.content_hash).toBeUndefined();
  });

  it('draws a progress bar on stderr with --progress', async () => {
    const r = await run([csv, '--progress', '--out', join(dir, 'p.json')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\r\[#+\] 100\.0% {2}\d+ B \/ \d+ B/);
  });

  it('exits 2 with a clear message for bad input', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'a,b\n1,2\n3\n');
    const cases: [string[], RegExp][] = [
      [[bad], /bad\.csv: line 3: 1 field, expected 2/],
      [[join(dir, 'nope.csv')], /cannot read .*nope\.csv/],
      [[csv, '--bogus'], /unknown option --bogus/],
      [[csv, '--sketch', 'tdigest'], /--sketch must be one of kll, sample/],
      [[csv, '--emit', 'kafka', '--brokers', 'x:1'], /--emit needs --pipeline and --node/],
      [[join(dir, 'file.xyz')], /cannot tell the format/],
      [[], /no FILE given/],
    ];
    for (const [args, message] of cases) {
      const r = await run([...args, '--no-progress']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('sends the report over HTTP with --emit http (bearer token), and exits 1 when it cannot be delivered', async () => {
    const ok = await server(() => [202, '{"accepted":1,"rejected":[]}']);
    const auth: (string | undefined)[] = [];
    try {
      const r = await run([
        csv,
        '--emit',
        'http',
        '--url',
        ok.url,
        '--token',
        's3cret',
        '--pipeline',
        'shop',
        '--node',
        'load_orders',
        '--no-progress',
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/sent report/);
      const sent = JSON.parse(ok.bodies[0]!) as Report[];
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ pipeline: 'shop', node: 'load_orders' });
    } finally {
      await ok.close();
    }
    const down = await server((req) => {
      auth.push(req.headers.authorization);
      return [503, 'unavailable'];
    });
    try {
      const r = await run([
        csv,
        '--emit',
        'http',
        '--url',
        down.url,
        '--pipeline',
        'shop',
        '--node',
        'load_orders',
        '--timeout-ms',
        '1500',
        '--no-progress',
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/not delivered: .*HTTP 503/);
      expect(down.bodies.length).toBeGreaterThan(1);
    } finally {
      await down.close();
    }
  });
});
