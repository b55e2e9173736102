import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { harnessConfig, servicesDown, servicesUp } from '../../../src/dev/services/index.js';
import type { ComponentHealth } from '../../../src/service/supervisor.js';
import { eventually, quietPorts, services } from '../helpers.js';
import { monitorConfig, recentSim, sendReports, startMonitor, type RunningMonitor } from './harness.js';

interface Health {
  status: string;
  kafka: string;
  influxdb: string;
  components: Record<string, ComponentHealth>;
}

async function healthz(url: string): Promise<{ status: number; body: Health }> {
  const res = await fetch(`${url}/healthz`);
  return { status: res.status, body: (await res.json()) as Health };
}

async function slackCalls(token: string, method: string): Promise<{ status: number }[]> {
  const res = await fetch(`${services().slackControlUrl}/calls?token=${token}&method=${method}`);
  return (await res.json()) as { status: number }[];
}

/** Every state the component passed through, sampled every 100 ms until the returned stop is called. */
function watch(m: RunningMonitor, name: string): { states: Set<string>; stop: () => void } {
  const states = new Set<string>();
  const t = setInterval(() => {
    const c = m.supervisor.health().components[name];
    if (c) states.add(c.state);
  }, 100);
  onTestFinished(() => clearInterval(t));
  return { states, stop: () => clearInterval(t) };
}

/** Eight healthy runs then a null spike on n02 of a 4-node chain: one incident. */
async function openIncident(cfg: ReturnType<typeof monitorConfig>, pipeline: string): Promise<void> {
  const sim = recentSim('chain', 4, pipeline, 17);
  for (let r = 0; r < 8; r++) await sendReports(cfg, sim.run(r));
  await sendReports(cfg, sim.run(8, [{ node: 'n02', kind: 'null_spike' }]));
}

describe('supervision and truthful health on the real services', () => {
  it('Slack 429 with a Retry-After longer than the session timeout: waited out heartbeating, one message, no crash', async () => {
    // The field case is Retry-After 45 s against a 30 s session; the same ratio, shorter.
    const cfg = monitorConfig({ 'kafka.sessionTimeoutMs': 6000, 'slack.maxRetryDelayMs': 60_000 });
    const token = cfg.slack.token!;
    const res = await fetch(`${services().slackControlUrl}/faults`, {
      method: 'POST',
      body: JSON.stringify({ token, method: 'chat.postMessage', status: 429, retryAfterSec: 9, count: 2 }),
    });
    expect(res.ok).toBe(true);
    const m = await startMonitor(cfg);
    const actions = watch(m, 'actions-consumer');
    await openIncident(cfg, 'slow-slack');

    const posted = await eventually(
      async () => {
        const calls = await slackCalls(token, 'chat.postMessage');
        return calls.some((c) => c.status === 200) ? calls : undefined;
      },
      80_000,
      'the Slack message after two 429s',
    );
    expect(posted.map((c) => c.status)).toEqual([429, 429, 200]);
    // Nothing posted twice afterwards (no redelivery after an eviction).
    await new Promise((r) => setTimeout(r, 3000));
    expect((await slackCalls(token, 'chat.postMessage')).filter((c) => c.status === 200)).toHaveLength(1);
    actions.stop();
    expect([...actions.states]).toEqual(['ok']);
    expect(m.supervisor.health().components['actions-consumer']).toMatchObject({ state: 'ok', restarts: 0 });
    expect(m.logs.join('')).not.toContain('incidents consumer crashed');
    expect((await healthz(m.httpUrl!)).status).toBe(200);
  });

  it('the actions consumer, evicted and crashed, is restarted; health shows it; the incident is posted once', async () => {
    const cfg = monitorConfig({ 'kafka.sessionTimeoutMs': 6000 });
    const token = cfg.slack.token!;
    const m = await startMonitor(cfg);
    // The first event's handling blocks the consumer past its session timeout without heartbeats
    // (what a client sleeping inside the handler did): the group evicts it and its commit fails.
    const handle = m.dispatcher.handle.bind(m.dispatcher);
    let blocked = false;
    m.dispatcher.handle = async (e, tick) => {
      if (!blocked) {
        blocked = true;
        await new Promise((r) => setTimeout(r, 10_000));
      }
      return handle(e, tick);
    };
    await openIncident(cfg, 'evicted');
    await eventually(
      () => (m.supervisor.health().components['actions-consumer']!.restarts >= 1 ? true : undefined),
      60_000,
      'a restart of the actions consumer',
    );
    await eventually(
      async () => ((await slackCalls(token, 'chat.postMessage')).length >= 1 ? true : undefined),
      60_000,
      'the Slack message',
    );
    await eventually(
      () => (m.supervisor.health().components['actions-consumer']!.state === 'ok' ? true : undefined),
      30_000,
      'the actions consumer ok again',
    );
    expect(m.logs.join('')).toContain('actions-consumer crashed; restarting');
    expect(m.metrics.componentRestarts.get({ component: 'actions-consumer' })).toBeGreaterThanOrEqual(1);
    const metrics = await (await fetch(`${m.httpUrl!}/metrics`)).text();
    expect(metrics).toMatch(/rootline_component_restarts_total\{component="actions-consumer"\} [1-9]/);
    expect(metrics).toContain('rootline_component_health{component="actions-consumer"} 1');
    expect((await slackCalls(token, 'chat.postMessage')).filter((c) => c.status === 200)).toHaveLength(1);
  });

  it('/healthz checks the broker for real: 503 with the reason while it is down, 200 once it is back', async () => {
    // A broker of its own, so stopping it disturbs no other test, on ports below the range of outgoing
    // connections' local ports (its restart found one of 33000-35000 taken meanwhile: 'Address already in use').
    const base = await quietPorts(2);
    const hcfg = harnessConfig({
      ...process.env,
      ROOTLINE_RUN_DIR: mkdtempSync(join(tmpdir(), 'rootline-broker-outage-')),
      ROOTLINE_KAFKA_PORT: String(base),
      ROOTLINE_KAFKA_CONTROLLER_PORT: String(base + 1),
    });
    const quiet = () => undefined;
    await servicesUp({ cfg: hcfg, log: quiet, only: ['kafka'] });
    onTestFinished(() => servicesDown({ cfg: hcfg, log: quiet, only: ['kafka'] }));
    const cfg = monitorConfig({ 'kafka.brokers': [`127.0.0.1:${base}`], 'monitor.healthCheckMs': 500 });
    const m = await startMonitor(cfg);
    await eventually(
      async () => ((await healthz(m.httpUrl!)).status === 200 ? true : undefined),
      30_000,
      'healthy at first',
    );

    await servicesDown({ cfg: hcfg, log: quiet, only: ['kafka'] });
    const t0 = Date.now();
    const down = await eventually(
      async () => {
        const h = await healthz(m.httpUrl!);
        // Another component (the consumer losing the broker) may say so first; wait for the check's own verdict.
        return h.status === 503 && h.body.components.kafka?.state === 'down' ? h.body : undefined;
      },
      20_000,
      '503 while the broker is down',
    );
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(down).toMatchObject({
      status: 'unavailable',
      kafka: 'unavailable',
      components: { kafka: { state: 'down' } },
    });
    expect(down.components.kafka!.reason).toBeTruthy();
    const metrics = await (await fetch(`${m.httpUrl!}/metrics`)).text();
    expect(metrics).toContain('rootline_component_health{component="kafka"} 0');

    await servicesUp({ cfg: hcfg, log: quiet, only: ['kafka'] });
    const up = await eventually(
      async () => {
        const h = await healthz(m.httpUrl!);
        return h.status === 200 ? h.body : undefined;
      },
      60_000,
      '200 once the broker is back',
    );
    expect(up.components.kafka).toMatchObject({ state: 'ok' });
  });
});
