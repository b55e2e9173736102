import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { simulateCommand, type SimulateIo } from '../../src/cli/simulate.js';
import { validateReport, type Report } from '../../src/contract/index.js';
import { MonitorCore } from '../../src/monitor/index.js';
import { loadRules } from '../../src/rules/index.js';

const dir = mkdtempSync(join(tmpdir(), 'rootline-cli-simulate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const START = '2026-11-01T00:00:00Z';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += String(chunk);
    cb();
  }
}

async function run(
  args: string[],
  io: Partial<SimulateIo> = {},
): Promise<{ code: number; stdout: string; stderr: string; reports: Report[] }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await simulateCommand(args, { stdout, stderr, env: {}, signal: new AbortController().signal, ...io });
  const reports = stdout.text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Report);
  return { code, stdout: stdout.text, stderr: stderr.text, reports };
}

const nullRatio = (r: Report, column: string) => {
  const c = r.outputs![0]!.profile!.columns![column]!;
  return c.null_count / c.count;
};

describe('rootline simulate --emit stdout', () => {
  it('prints runs x nodes valid reports, in run order, at the given times', async () => {
    const r = await run(['--runs', '4', '--shape', 'chain', '--nodes', '3', '--pipeline', 'orders', '--start', START]);
    expect(r.code).toBe(0);
    expect(r.reports).toHaveLength(12);
    for (const rep of r.reports) {
      const v = validateReport(rep);
      expect(v.ok, JSON.stringify(v.ok ? [] : v.errors)).toBe(true);
    }
    expect(r.reports.map((x) => x.node)).toEqual([
      'n00',
      'n01',
      'n02',
      'n00',
      'n01',
      'n02',
      'n00',
      'n01',
      'n02',
      'n00',
      'n01',
      'n02',
    ]);
    expect(new Set(r.reports.map((x) => x.pipeline))).toEqual(new Set(['orders']));
    // one hour apart by default, from --start
    expect([...new Set(r.reports.map((x) => x.run_id))]).toEqual([
      '2026-11-01T00:00:00.000Z',
      '2026-11-01T01:00:00.000Z',
      '2026-11-01T02:00:00.000Z',
      '2026-11-01T03:00:00.000Z',
    ]);
    expect(r.reports[1]).toMatchObject({
      upstream: [{ node: 'n00', run_id: '2026-11-01T00:00:00.000Z' }],
      inputs: [{ dataset: 'lake/orders/n00' }],
    });
    expect(new Set(r.reports.map((x) => x.event_id)).size).toBe(12);
    expect(r.stderr).toContain('chain DAG of 3 nodes');
    expect(r.stderr).toContain('emitted 12 reports');
  });

  it('is reproducible: the same seed and start give the same lines; another seed gives other data', async () => {
    const a = await run(['--runs', '2', '--start', START, '--seed', '7', '--quiet']);
    const b = await run(['--runs', '2', '--start', START, '--seed', '7', '--quiet']);
    const c = await run(['--runs', '2', '--start', START, '--seed', '8', '--quiet']);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toBe(c.stdout);
    expect(a.reports).toHaveLength(12); // diamond of 6 by default
    expect(a.stderr).not.toMatch(/run 0/); // --quiet
  });

  it('injects --fault at --fault-at and keeps it for --fault-runs runs; other runs are untouched', async () => {
    const args = ['--runs', '8', '--shape', 'chain', '--nodes', '4', '--start', START];
    const healthy = await run(args);
    const faulty = await run([...args, '--fault', 'n01:null_spike:score', '--fault-at', '5', '--fault-runs', '2']);
    expect(faulty.code).toBe(0);
    const at = (rs: Report[], run: number, node: string) =>
      rs.find((x) => x.node === node && x.run_id === new Date(Date.parse(START) + run * 3_600_000).toISOString())!;
    for (const run of [0, 1, 2, 3, 4, 7]) {
      for (const node of ['n00', 'n01', 'n02', 'n03'])
        expect(at(faulty.reports, run, node)).toEqual(at(healthy.reports, run, node));
    }
    for (const run of [5, 6]) {
      // the node itself and everything downstream get the nulls; its input does not
      expect(nullRatio(at(faulty.reports, run, 'n00'), 'score')).toBeLessThan(0.02);
      for (const node of ['n01', 'n02', 'n03'])
        expect(nullRatio(at(faulty.reports, run, node), 'score')).toBeGreaterThan(0.1);
      expect(nullRatio(at(healthy.reports, run, 'n01'), 'score')).toBeLessThan(0.02);
    }
    expect(faulty.stderr).toContain('run 5 (2026-11-01T05:00:00.000Z): 4 reports; fault: null_spike at n01 (score)');
    expect(faulty.stderr).not.toMatch(/run 7 .*fault/);
  });

  it('makes a file that the monitor core turns into one incident naming the faulty node', async () => {
    const r = await run(['--runs', '14', '--fault', 'n02:row_drop', '--fault-at', '10', '--start', START, '--quiet']);
    const core = new MonitorCore({ rules: loadRules('rules') });
    for (const rep of r.reports) core.processReport(rep);
    const incidents = core.incidents();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ pipeline: 'demo', culprit: 'n02', metric: 'row_count', status: 'open' });
  });

  it('--fault-every N puts a random fault in runs N, N+1, 2N, 2N+1 ... and nowhere else', async () => {
    const args = ['--runs', '12', '--nodes', '5', '--shape', 'chain', '--start', START, '--seed', '3'];
    const healthy = await run(args);
    const faulty = await run([...args, '--fault-every', '5']);
    const faultRuns = [...faulty.stderr.matchAll(/run (\d+) \([^)]*\): 5 reports; fault: (\w+) at (n\d\d)/g)].map((m) =>
      Number(m[1]),
    );
    expect(faultRuns).toEqual([5, 6, 10, 11]);
    const byRun = (rs: Report[]) => {
      const m = new Map<string, string>();
      for (const x of rs) m.set(x.run_id, (m.get(x.run_id) ?? '') + JSON.stringify(x));
      return [...m.values()];
    };
    const h = byRun(healthy.reports);
    const f = byRun(faulty.reports);
    for (let i = 0; i < 12; i++) {
      if (faultRuns.includes(i)) expect(f[i], `run ${i}`).not.toBe(h[i]);
      else expect(f[i], `run ${i}`).toBe(h[i]);
    }
    // the two runs of a window carry the same fault
    const described = [...faulty.stderr.matchAll(/fault: (.*)$/gm)].map((m) => m[1]);
    expect(described[0]).toBe(described[1]);
    expect(described[2]).toBe(described[3]);
  });

  it('live mode: emits a run per --interval until stopped, with wall-clock times, and writes the health file', async () => {
    const ac = new AbortController();
    const stdout = new Sink();
    const stderr = new Sink();
    const health = join(dir, 'health.json');
    const t0 = Date.now();
    const done = simulateCommand(['--interval', '50ms', '--nodes', '4', '--shape', 'chain', '--health-file', health], {
      stdout,
      stderr,
      env: {},
      signal: ac.signal,
    });
    await new Promise((r) => setTimeout(r, 600));
    // The timer may fire late on a loaded machine: the bound below is from the time actually elapsed.
    const elapsed = Date.now() - t0;
    ac.abort();
    expect(await done).toBe(0);
    const reports = stdout.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Report);
    const runs = reports.length / 4;
    expect(Number.isInteger(runs)).toBe(true);
    // one run at once, then one per 50 ms until the abort (fewer on a loaded machine, never more)
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(runs).toBeLessThanOrEqual(1 + Math.floor(elapsed / 50));
    for (const rep of reports) {
      expect(Date.parse(rep.event_time)).toBeLessThanOrEqual(Date.now());
      expect(Date.parse(rep.event_time)).toBeGreaterThan(t0 - 10_000);
    }
    const h = JSON.parse(readFileSync(health, 'utf8')) as { at: string; next_by: number; run: number };
    expect(h.run).toBe(runs - 1);
    expect(h.next_by).toBeGreaterThan(Date.now());
    expect(stderr.text).toContain('(stopped)');
  });
});

interface Received {
  path: string | undefined;
  headers: IncomingHttpHeaders;
  body: unknown;
}

async function startServer(status: number): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(text) as unknown;
      received.push({ path: req.url, headers: req.headers, body });
      const n = Array.isArray(body) ? body.length : 0;
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(status < 300 ? JSON.stringify({ accepted: n, rejected: [] }) : '{"error":"unavailable"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise((r) => server.close(() => r())) };
}

describe('rootline simulate --emit http', () => {
  it('POSTs the reports as JSON arrays to <url>/api/v1/reports with the bearer token', async () => {
    const srv = await startServer(202);
    try {
      const r = await run([
        '--emit',
        'http',
        '--url',
        `${srv.url}/`,
        '--token',
        's3cret',
        '--runs',
        '3',
        '--nodes',
        '4',
        '--shape',
        'fan_out',
        '--start',
        START,
        '--quiet',
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
      expect(srv.received.length).toBeGreaterThan(0);
      for (const req of srv.received) {
        expect(req.path).toBe('/api/v1/reports');
        expect(req.headers.authorization).toBe('Bearer s3cret');
        expect(req.headers['content-type']).toBe('application/json');
        expect(Array.isArray(req.body)).toBe(true);
      }
      const reports = srv.received.flatMap((x) => x.body as Report[]);
      expect(reports).toHaveLength(12);
      for (const rep of reports) expect(validateReport(rep).ok).toBe(true);
      expect(reports.map((x) => x.node).slice(0, 4)).toEqual(['n00', 'n01', 'n02', 'n03']);
      expect(r.stderr).toContain(`sent 12 reports to ${srv.url}/`);
    } finally {
      await srv.close();
    }
  });

  it('takes the URL and token from ROOTLINE_HTTP_URL / ROOTLINE_HTTP_TOKEN', async () => {
    const srv = await startServer(202);
    try {
      const r = await run(['--emit', 'http', '--runs', '1', '--start', START], {
        env: { ROOTLINE_HTTP_URL: srv.url, ROOTLINE_HTTP_TOKEN: 'from-env' },
      });
      expect(r.code).toBe(0);
      expect(srv.received.flatMap((x) => x.body as Report[])).toHaveLength(6);
      expect(srv.received[0]!.headers.authorization).toBe('Bearer from-env');
    } finally {
      await srv.close();
    }
  });

  it('exits 1 and says why when the monitor does not take the reports', async () => {
    const srv = await startServer(503);
    try {
      const r = await run(['--emit', 'http', '--url', srv.url, '--runs', '1', '--start', START, '--timeout', '300ms']);
      expect(r.code).toBe(1);
      expect(srv.received.length).toBeGreaterThan(0);
      expect(r.stderr).toMatch(/sent 0 of 6 reports .*not delivered: 6 .*HTTP 503/);
    } finally {
      await srv.close();
    }
  });
});

describe('rootline simulate: bad options', () => {
  const cases: [string[], RegExp][] = [
    [['--bogus'], /Unknown option '--bogus'/],
    [['--runs'], /'--runs <value>' argument missing/],
    [['extra'], /Unexpected argument 'extra'|positional/i],
    [['--shape', 'star'], /--shape must be one of chain, diamond, fan_in, fan_out, random, got "star"/],
    [['--nodes', '1'], /--nodes must be from 2 to 500, got 1/],
    [['--nodes', 'six'], /--nodes must be a whole number, got "six"/],
    [['--runs', '0'], /--runs must be from 1/],
    [['--interval', '5'], /--interval must be a duration with a unit \(500ms, 5s, 1m, 1h\), got "5"/],
    [['--start', 'yesterday'], /--start must be an RFC 3339 time/],
    [['--interval', '1s', '--start', START], /--start is for runs without --interval/],
    [['--fault', 'n01'], /--fault must be NODE:KIND\[:COLUMN\], got "n01"/],
    [['--fault', 'n42:null_spike'], /no node "n42" in this pipeline \(nodes: n00, n01, n02, n03, n04, n05\)/],
    [
      ['--fault', 'n01:meltdown'],
      /unknown fault kind "meltdown" \(kinds: null_spike, shift, row_drop, schema_change, code_change, category_shift\)/,
    ],
    [['--fault', 'n01:row_drop:amount'], /row_drop takes no column/],
    [['--fault', 'n01:shift:segment'], /shift takes a column among amount, score, got "segment"/],
    [['--fault-at', '3'], /--fault-at and --fault-runs go with --fault/],
    [['--fault-every', '2'], /--fault-every must be from 3/],
    [['--emit', 'pigeon'], /--emit must be one of stdout, kafka, http, got "pigeon"/],
    [['--emit', 'kafka'], /--emit kafka needs --brokers \(or ROOTLINE_KAFKA_BROKERS\)/],
    [['--emit', 'http'], /--emit http needs --url \(or ROOTLINE_HTTP_URL\)/],
    [['--emit', 'http', '--url', 'not a url'], /--url must be a URL/],
    [['--brokers', 'k:9092'], /--brokers goes with --emit kafka/],
    [['--health-file', '/tmp/x'], /--health-file goes with --interval/],
  ];
  for (const [args, message] of cases) {
    it(`${args.join(' ')} -> exit 2: ${message.source.slice(0, 60)}`, async () => {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('rootline simulate --help');
      expect(r.stdout).toBe('');
    });
  }

  it('--help prints the options and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: rootline simulate [options]');
    expect(r.stdout).toContain('--fault-every N');
  });

  it('is a command of the rootline CLI', async () => {
    const writes: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      expect(await main(['--help'])).toBe(0);
      expect(await main(['simulate', '--help'])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(writes.join('')).toMatch(/simulate {3}run a simulated pipeline/);
    expect(writes.join('')).toContain('usage: rootline simulate [options]');
  });
});
