// `rootline serve --embedded` (the CLI in a child process: in-process bus and state store, no Kafka, no InfluxDB)
// fed by the real openlineage-python client's HTTP transport, with compression off and on: every event lands as a
// run (the job without statistics too), and the FAIL is a failed run whose error the incident quotes, posted to
// Slack (the local Slack server).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlackMockServer, type SlackMockServer } from '../../src/dev/slack/server.js';
import { projectPython, runCommand } from '../python/run.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const entry = fileURLToPath(new URL('../../src/cli/entry.ts', import.meta.url));

interface Served {
  url: string;
  child: ChildProcess;
  logs: string[];
}

/** Starts `rootline serve --embedded --port 0` and resolves with its URL once it logs that it started. */
function serve(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, ['--import', tsx, entry, 'serve', '--embedded', '--port', '0', ...args], {
    env: {
      ...process.env,
      ROOTLINE_LOG_LEVEL: 'info',
      ROOTLINE_SLACK_TOKEN: SLACK_TOKEN,
      ROOTLINE_SLACK_CHANNEL: 'C0EMBEDDED',
      ROOTLINE_SLACK_API_URL: `${slack.url}/api/`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stderr.on('data', (b: Buffer) => logs.push(b.toString('utf8')));
    child.stdout.on('data', (b: Buffer) => {
      buffered += b.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        logs.push(line);
        try {
          const rec = JSON.parse(line) as { msg?: string; http?: string };
          if (rec.msg === 'embedded monitor started' && rec.http) resolve({ url: rec.http, child, logs });
        } catch {
          // not a log line
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`rootline serve exited with ${code}: ${logs.join('\n')}`)));
  });
}

async function stop(s: Served): Promise<number | null> {
  if (s.child.exitCode !== null) return s.child.exitCode;
  const exited = new Promise<number | null>((r) => s.child.once('exit', (code) => r(code)));
  s.child.kill('SIGTERM');
  return exited;
}

interface NodeAnswer {
  node: string;
  runs: number;
  last_run: { status: string; error?: { message: string; language?: string; stack?: string } } | null;
}

async function get<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return (await res.json()) as T;
}

const SLACK_TOKEN = 'xoxb-serve-embedded-test';
let slack: SlackMockServer;
let served: Served;
let dir: string;
beforeAll(async () => {
  slack = await startSlackMockServer({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'rootline-serve-'));
  served = await serve(['--data', dir]);
}, 120_000);
afterAll(async () => {
  if (served) expect(await stop(served)).toBe(0);
  rmSync(dir, { recursive: true, force: true });
  await slack?.close();
}, 60_000);

describe('the openlineage-python HTTP transport into `rootline serve --embedded`', () => {
  for (const [mode, dag, encoding] of [
    ['http-plain', 'ol_plain', 'identity'],
    ['http-gzip', 'ol_zipped', 'gzip'],
  ] as const)
    it(`${mode}: every event is a run; the FAIL is a failed run with its error`, { timeout: 180_000 }, async () => {
      const bodiesBefore = await bodies(served.url, encoding);
      const py = await projectPython();
      const r = await runCommand(
        py,
        ['test/integration/openlineage/emit_to_monitor.py', mode, served.url, '3', dag],
        120_000,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ emitted: 9 });
      // the client sent what the mode says: 9 bodies of that encoding
      expect((await bodies(served.url, encoding)) - bodiesBefore).toBe(9);
      const pipeline = `airflow/${dag}`;
      const { nodes } = await get<{ nodes: NodeAnswer[] }>(`${served.url}/api/v1/nodes?pipeline=${pipeline}`);
      expect(nodes.map((n) => `${n.node}:${n.runs}`).sort()).toEqual([
        `${dag}.clean:3`,
        `${dag}.extract:3`,
        `${dag}.publish:3`,
      ]);
      const publish = nodes.find((n) => n.node === `${dag}.publish`)!;
      expect(publish.last_run!.status).toBe('failed');
      expect(publish.last_run!.error).toMatchObject({
        message: 'relation "clean.transactions" does not exist',
        language: 'SQL',
      });
      expect(publish.last_run!.error!.stack).toContain('UndefinedTable');
      const { incidents } = await get<{ incidents: { culprit: string; error?: { message: string } }[] }>(
        `${served.url}/api/v1/incidents?pipeline=${pipeline}`,
      );
      expect(incidents.filter((i) => i.culprit === `${dag}.publish`).map((i) => i.error?.message)).toEqual([
        'relation "clean.transactions" does not exist',
      ]);
      // the Slack action: one message for the incident, quoting the error (the dispatcher runs in the background)
      const posted = await eventually(() => {
        const calls = slack.calls.filter(
          (c) =>
            c.method === 'chat.postMessage' &&
            c.token === SLACK_TOKEN &&
            JSON.stringify(c.args).includes(`${dag}.publish`) &&
            c.args.thread_ts === undefined,
        );
        return calls.length > 0 ? calls : undefined;
      });
      expect(posted).toHaveLength(1);
      expect(posted[0]!.args.channel).toBe('C0EMBEDDED');
      expect(JSON.stringify(posted[0]!.args.blocks)).toContain('relation \\"clean.transactions\\" does not exist');
    });
});

describe('`rootline serve --embedded --data DIR`', () => {
  it('keeps the state across a restart: the runs and the incident are still there', { timeout: 180_000 }, async () => {
    expect(await stop(served)).toBe(0);
    served = await serve(['--data', dir]);
    const { nodes } = await get<{ nodes: NodeAnswer[] }>(`${served.url}/api/v1/nodes?pipeline=airflow/ol_plain`);
    expect(nodes.map((n) => `${n.node}:${n.runs}`).sort()).toEqual([
      'ol_plain.clean:3',
      'ol_plain.extract:3',
      'ol_plain.publish:3',
    ]);
    const { incidents } = await get<{ incidents: { culprit: string }[] }>(
      `${served.url}/api/v1/incidents?pipeline=airflow/ol_plain`,
    );
    expect(incidents.map((i) => i.culprit)).toContain('ol_plain.publish');
  });
});

/** Polls `probe` until it answers (at most 30 s): the Slack dispatch runs after the ingest is answered. */
async function eventually<T>(probe: () => T | undefined): Promise<T> {
  const until = Date.now() + 30_000;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('not within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `rootline_http_request_bodies_total{encoding}` from /metrics. */
async function bodies(url: string, encoding: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`rootline_http_request_bodies_total{encoding="${encoding}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}
