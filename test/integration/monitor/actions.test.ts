import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { eventually, readTopic, services } from '../helpers.js';
import { monitorConfig, nodeRunCount, recentSim, sendReports, startMonitor } from './harness.js';

async function webhookServer() {
  const received: { headers: IncomingMessage['headers']; body: unknown }[] = [];
  let failFirst = 1;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(body) as unknown });
      // The first call fails: the dispatcher must retry.
      if (failFirst-- > 0) {
        res.writeHead(503).end('busy');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/rollback`, received };
}

describe('actions and rules at run time', () => {
  it('rolls the culprit back to its last known good data_version: a command on the commands topic and the webhook, once', async () => {
    const rules = mkdtempSync(join(tmpdir(), 'rootline-rules-'));
    cpSync('rules/defaults.yaml', join(rules, 'defaults.yaml'));
    writeFileSync(
      join(rules, 'zz-rollback.yaml'),
      'version: 1\noverrides:\n  - match: { pipeline: "rb-*" }\n    routes: { critical: [slack, rollback] }\n',
    );
    const hook = await webhookServer();
    const cfg = monitorConfig({
      'monitor.rules': rules,
      'rollback.dryRun': false,
      'rollback.webhookUrl': hook.url,
      'rollback.webhookAllowHosts': ['127.0.0.1'],
      'rollback.webhookBodyTemplate':
        '{"pipeline":"{{pipeline}}","node":"{{node}}","restore":"{{to_data_version}}","key":"{{idempotency_key}}"}',
    });
    const m = await startMonitor(cfg);
    const { sim, run } = recentSim('chain', 4, 'rb-pipe', 61);
    for (let r = 0; r < 7; r++) await sendReports(cfg, run(r));
    const goodRun = run(6).find((x) => x.node === 'n01')!;
    await sendReports(cfg, run(7, [{ node: 'n01', kind: 'row_drop' }]));
    await sendReports(cfg, run(8, [{ node: 'n01', kind: 'row_drop' }]));
    await eventually(
      async () => ((await nodeRunCount(cfg, sim.dag.pipeline)) === 36 ? true : undefined),
      60_000,
      'all reports',
    );

    const incident = m.core.incidents({ status: 'open' })[0]!;
    expect(incident.culprit).toBe('n01');
    const decision = incident.actions.find((a) => a.action === 'rollback')!;
    expect(decision).toMatchObject({ decision: 'dispatch', who: 'rootline-monitor' });
    expect(decision.details).toMatchObject({
      to_data_version: goodRun.data_version,
      idempotency_key: `${incident.incident_id}:rollback`,
    });

    const commands = await readTopic(cfg.kafka.topics.commands, (msgs) => msgs.length >= 1);
    expect(commands).toHaveLength(1);
    expect(JSON.parse(commands[0]!.value!)).toMatchObject({
      type: 'rollback',
      node: 'n01',
      to_data_version: goodRun.data_version,
      dry_run: false,
      incident_id: incident.incident_id,
    });
    await eventually(() => (hook.received.length >= 2 ? true : undefined), 30_000, 'the webhook (after a retry)');
    expect(hook.received[1]!.body).toEqual({
      pipeline: 'rb-pipe',
      node: 'n01',
      restore: goodRun.data_version,
      key: `${incident.incident_id}:rollback`,
    });
    expect(hook.received[1]!.headers['idempotency-key']).toBe(`${incident.incident_id}:rollback`);
    // The second bad run updated the incident: no second rollback.
    await m.dispatcher.drain();
    await new Promise((r) => setTimeout(r, 500));
    expect(hook.received).toHaveLength(2);
  });

  it('reloads rules when the folder changes, keeping the old rules when the new ones are invalid', async () => {
    const rules = mkdtempSync(join(tmpdir(), 'rootline-rules-'));
    cpSync('rules/defaults.yaml', join(rules, 'defaults.yaml'));
    const cfg = monitorConfig({ 'monitor.rules': rules });
    const m = await startMonitor(cfg);
    const { run } = recentSim('chain', 3, 'reload', 62);
    for (let r = 0; r < 7; r++) await sendReports(cfg, run(r));
    await eventually(() => (m.metrics.reports.total() === 21 ? true : undefined), 60_000, 'warm-up');

    // A broken file: logged, the previous rules stay.
    writeFileSync(
      join(rules, 'zz-broken.yaml'),
      'version: 1\nrules:\n  - { id: x, metric: row_count, severity: loud }\n',
    );
    await eventually(
      () => (m.logs.some((l) => l.includes('rules changed but are invalid')) ? true : undefined),
      10_000,
      'the rejection',
    );
    expect(m.logs.join('')).toContain('zz-broken.yaml:3');
    expect(m.core.ruleSet.rules.find((r) => r.id === 'x')).toBeUndefined();

    // A valid change: row counts may now move 50%, so a 30% drop is no finding.
    writeFileSync(
      join(rules, 'zz-broken.yaml'),
      'version: 1\noverrides:\n  - match: { pipeline: "reload" }\n    rules: { row_count_deviation: { max_deviation: 0.5 } }\n',
    );
    await eventually(() => (m.core.ruleSet.overrides.length === 1 ? true : undefined), 10_000, 'the reload');
    await sendReports(cfg, run(7, [{ node: 'n00', kind: 'row_drop', magnitude: 0.3 }]));
    await eventually(() => (m.metrics.reports.total() === 24 ? true : undefined), 30_000, 'the run');
    expect(m.metrics.findings.total()).toBe(0);
    expect(m.core.incidents()).toEqual([]);
  });
});

describe('Slack outages and rate limits', () => {
  it('are retried beside the reports: consumption goes on, and exactly one message is posted in the end', async () => {
    const cfg = monitorConfig();
    const token = cfg.slack.token!;
    const control = services().slackControlUrl;
    // Slack answers 503 five times, then 429 (Retry-After 1 s) twice, then works.
    for (const fault of [
      { token, method: 'chat.postMessage', status: 503, count: 5 },
      { token, method: 'chat.postMessage', status: 429, retryAfterSec: 1, count: 2 },
    ]) {
      await fetch(`${control}/faults`, { method: 'POST', body: JSON.stringify(fault) });
    }
    const m = await startMonitor(cfg);
    const { run } = recentSim('chain', 3, 'slack-outage', 63);
    for (let r = 0; r < 7; r++) await sendReports(cfg, run(r));
    await sendReports(cfg, run(7, [{ node: 'n01', kind: 'null_spike' }]));
    // While Slack keeps failing, reports keep flowing.
    for (let r = 8; r < 12; r++) await sendReports(cfg, run(r, [{ node: 'n01', kind: 'null_spike' }]));
    await eventually(
      () => (m.metrics.reports.total() === 36 ? true : undefined),
      60_000,
      'all reports while Slack fails',
    );
    const posted = await eventually(
      async () => {
        const calls = (await (await fetch(`${control}/calls?token=${token}&method=chat.postMessage`)).json()) as {
          status: number;
          args: { text: string; thread_ts?: string };
        }[];
        return calls.some((c) => c.status === 200) ? calls : undefined;
      },
      90_000,
      'the message once Slack recovers',
    );
    await m.dispatcher.drain();
    const ok = posted.filter((c) => c.status === 200 && c.args.thread_ts === undefined);
    expect(ok).toHaveLength(1);
    expect(ok[0]!.args.text).toContain('n01');
    expect(posted.filter((c) => c.status !== 200).map((c) => c.status)).toEqual([503, 503, 503, 503, 503, 429, 429]);
  });
});
