import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionDispatcher, type ActionOutcome, type RollbackCommand } from '../../src/actions/index.js';
import { RootlineError } from '../../src/errors/index.js';
import { createLogger } from '../../src/service/log.js';
import type { IncidentEvent } from '../../src/monitor/index.js';
import { scenarioEvents } from './fixtures.js';

const logger = createLogger('silent');
const NOW = Date.parse('2030-01-01T00:00:00.000Z');
const byAction = (outcomes: ActionOutcome[], action: ActionOutcome['action']) =>
  outcomes.filter((o) => o.action === action).map((o) => o.outcome);

// One incident (dry run by default), opened then resolved; and the same with rollback dispatch on.
const dryRun = scenarioEvents({ bad: 1, after: 3 }).flat();
const live = scenarioEvents({ bad: 1, after: 3, rollback: { dryRun: false } }).flat();

describe('ActionDispatcher', () => {
  it('logs, notes Slack as not configured, and records a dry-run rollback without dispatching it', async () => {
    const commands: RollbackCommand[] = [];
    const seen: ActionOutcome[] = [];
    const d = new ActionDispatcher({
      logger,
      now: () => NOW,
      sendCommand: (c) => (commands.push(c), Promise.resolve()),
      onOutcome: (o) => seen.push(o),
    });
    d.push(dryRun);
    await d.drain();
    expect(byAction(d.outcomes, 'log')).toEqual(['logged', 'logged']);
    expect(byAction(d.outcomes, 'slack')).toEqual(['not_configured', 'not_configured']);
    expect(byAction(d.outcomes, 'rollback')).toEqual(['dry_run']);
    expect(commands).toEqual([]);
    expect(seen).toEqual(d.outcomes);
    expect(d.outcomes[0]!.at).toBe('2030-01-01T00:00:00.000Z');
    expect(d.outcomes[0]!.incident_id).toBe(dryRun[0]!.incident.incident_id);
  });

  it('dispatches a rollback command once, when the incident opens', async () => {
    const commands: RollbackCommand[] = [];
    const d = new ActionDispatcher({ logger, sendCommand: (c) => (commands.push(c), Promise.resolve()) });
    d.push(live);
    await d.drain();
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatchObject({
      type: 'rollback',
      node: 'n01',
      pipeline: 'churn',
      dry_run: false,
      idempotency_key: `${live[0]!.incident.incident_id}:rollback`,
    });
    expect(d.outcomes.find((o) => o.outcome === 'command_sent')!.detail).toBe(commands[0]!.idempotency_key);
  });

  it('retries a retriable failure (calling tick while it waits), gives up on the rest', async () => {
    let failures = 2;
    let ticks = 0;
    const d = new ActionDispatcher({
      logger,
      maxRetryDelayMs: 10,
      sendCommand: () =>
        failures-- > 0
          ? Promise.reject(new RootlineError('KAFKA_ERROR', 'not leader', { retriable: true }))
          : Promise.resolve(),
    });
    await d.handle(live[0]!, () => {
      ticks++;
      return Promise.resolve();
    });
    expect(byAction(d.outcomes, 'rollback')).toEqual(['command_sent']);
    expect(ticks).toBeGreaterThanOrEqual(2);

    const e = new ActionDispatcher({
      logger,
      maxRetryDelayMs: 10,
      sendCommand: () => Promise.reject(new RootlineError('KAFKA_ERROR', 'topic authorization failed')),
    });
    await e.handle(live[0]!);
    expect(e.outcomes.filter((o) => o.action === 'rollback')).toEqual([
      expect.objectContaining({ outcome: 'failed', detail: 'topic authorization failed' }),
    ]);
  });

  it('skipped decisions are not carried out', async () => {
    const opened = live[0]!;
    const skipped: IncidentEvent = {
      ...opened,
      incident: { ...opened.incident, actions: opened.incident.actions.map((a) => ({ ...a, decision: 'skipped' })) },
    };
    const commands: RollbackCommand[] = [];
    const d = new ActionDispatcher({ logger, sendCommand: (c) => (commands.push(c), Promise.resolve()) });
    await d.handle(skipped);
    expect(commands).toEqual([]);
    expect(d.outcomes.map((o) => `${o.action} ${o.outcome}`)).toEqual(['rollback skipped']);
  });

  it('stop ends a retry loop', async () => {
    const d = new ActionDispatcher({
      logger,
      maxRetryDelayMs: 60_000,
      sendCommand: () => Promise.reject(new RootlineError('KAFKA_ERROR', 'down', { retriable: true })),
    });
    d.push([live[0]!]);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await d.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(byAction(d.outcomes, 'rollback')).toEqual(['failed']);
  });

  describe('with a webhook', () => {
    let server: Server;
    let url: string;
    const bodies: string[] = [];
    let status = 200;
    beforeAll(async () => {
      server = createServer((req, res) => {
        let b = '';
        req.on('data', (c: Buffer) => (b += c.toString()));
        req.on('end', () => {
          bodies.push(b);
          res.writeHead(status);
          res.end();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('posts the command and records the answer; a failure is recorded, not thrown', async () => {
      const d = new ActionDispatcher({
        logger,
        webhook: { url, allowHosts: ['127.0.0.1'], maxRetryDelayMs: 10, attempts: 2 },
      });
      await d.handle(live[0]!);
      expect(d.outcomes.find((o) => o.action === 'rollback')).toMatchObject({
        outcome: 'webhook_ok',
        detail: 'HTTP 200 after 1 attempt(s)',
      });
      expect(JSON.parse(bodies[0]!)).toMatchObject({ node: 'n01', dry_run: false });
      status = 400;
      await d.handle(live[0]!);
      expect(d.outcomes.filter((o) => o.action === 'rollback').at(-1)).toMatchObject({ outcome: 'webhook_failed' });
      status = 200;
    });
  });
});
