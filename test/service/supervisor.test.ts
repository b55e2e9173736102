import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/service/log.js';
import { monitorMetrics } from '../../src/service/metrics.js';
import { Supervisor } from '../../src/service/supervisor.js';

const logger = createLogger('silent');
const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('Supervisor', () => {
  it('restarts a crashed component with backoff until it starts; health and metrics show it', async () => {
    const metrics = monitorMetrics();
    const sup = new Supervisor({ logger, metrics, backoff: { initialMs: 20, maxMs: 50 } });
    let starts = 0;
    let stops = 0;
    const part = {
      start: () => {
        starts += 1;
        // The first restart fails (the broker still down), the second succeeds.
        return starts === 1 ? Promise.reject(new Error('broker still down')) : Promise.resolve();
      },
      stop: () => {
        stops += 1;
        return Promise.resolve();
      },
    };
    const c = sup.supervise('actions-consumer', part);
    expect(sup.health()).toMatchObject({ ok: true, components: { 'actions-consumer': { state: 'ok', restarts: 0 } } });
    c.crashed(new Error('The coordinator is not aware of this member'));
    expect(sup.health().ok).toBe(false);
    expect(sup.health().components['actions-consumer']).toMatchObject({
      state: 'down',
      reason: 'The coordinator is not aware of this member',
    });
    c.crashed(new Error('a second report of the same crash starts no second restart'));
    await until(() => sup.health().components['actions-consumer']!.state === 'ok');
    expect(starts).toBe(2);
    expect(stops).toBe(2);
    expect(sup.health().components['actions-consumer']!.restarts).toBe(1);
    expect(metrics.componentRestarts.get({ component: 'actions-consumer' })).toBe(1);
    expect(metrics.componentHealth.get({ component: 'actions-consumer' })).toBe(1);
    expect(metrics.registry.render()).toContain('rootline_component_health{component="actions-consumer"} 1');
    await sup.stop();
  });

  it('degraded keeps /healthz ok; a component without a sign of life is down', async () => {
    let now = 1_000_000;
    const metrics = monitorMetrics();
    const sup = new Supervisor({ logger, metrics, now: () => now });
    const writer = sup.component('influx-writer');
    const ticker = sup.component('ops-ticker', { staleAfterMs: 30_000 });
    writer.degraded(new Error('InfluxDB: connect ECONNREFUSED'));
    expect(sup.health()).toMatchObject({
      ok: true,
      components: { 'influx-writer': { state: 'degraded', since: new Date(1_000_000).toISOString() } },
    });
    expect(metrics.componentHealth.get({ component: 'influx-writer' })).toBe(0.5);
    now += 20_000;
    ticker.ok();
    now += 29_000;
    expect(sup.health().ok).toBe(true);
    now += 2000;
    const h = sup.health();
    expect(h.ok).toBe(false);
    expect(h.components['ops-ticker']).toMatchObject({ state: 'down', reason: 'no sign of life for 31 s' });
    expect(metrics.componentHealth.get({ component: 'ops-ticker' })).toBe(0);
    ticker.ok();
    expect(sup.health().ok).toBe(true);
    await sup.stop();
  });

  it('a probe is down when its check fails or does not answer in time, ok again when it answers', async () => {
    const sup = new Supervisor({ logger, metrics: monitorMetrics() });
    let mode: 'ok' | 'fail' | 'hang' = 'fail';
    sup.probe(
      'kafka',
      () =>
        mode === 'ok'
          ? Promise.resolve()
          : mode === 'fail'
            ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9092'))
            : new Promise(() => undefined),
      { intervalMs: 20, timeoutMs: 50 },
    );
    await until(() => sup.health().components.kafka?.state === 'down');
    expect(sup.health().components.kafka!.reason).toBe('connect ECONNREFUSED 127.0.0.1:9092');
    mode = 'ok';
    await until(() => sup.health().components.kafka?.state === 'ok');
    mode = 'hang';
    await until(() => sup.health().components.kafka?.state === 'down');
    expect(sup.health().components.kafka!.reason).toBe('kafka did not answer within 50 ms');
    await sup.stop();
  });
});
