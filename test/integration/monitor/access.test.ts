// Access control on a real monitor (Kafka, InfluxDB): the TypeScript emitter ingests with an ingest
// token (Bearer), reads need a read token, and no token reaches a log line or /metrics.
import { describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/config/tokens.js';
import { createEmitter } from '../../../src/emitter/index.js';
import { PipelineSim, makeDag } from '../../../src/sim/index.js';
import { eventually, unique } from '../helpers.js';
import { monitorConfig, startMonitor } from './harness.js';

describe('access control on a running monitor', () => {
  it(
    'emitters ingest with an ingest token; reads need read; refused writes are not ingested',
    { timeout: 120_000 },
    async () => {
      const pipeline = unique('acl');
      const tokens = {
        ingest: 'rl_integration-ingest-token-0000000000000',
        other: 'rl_integration-other-scope-token-00000000',
        read: 'rl_integration-read-token-00000000000000',
        legacy: 'integration-legacy-admin-token',
        webhook: 'integration-webhook-secret-0000000000',
      };
      const cfg = monitorConfig({
        'log.level': 'debug',
        'http.token': tokens.legacy,
        'rollback.webhookToken': tokens.webhook,
        'http.tokens': [
          { name: 'emitter', hash: hashToken(tokens.ingest), roles: ['ingest'], pipelines: [`${pipeline}*`] },
          { name: 'other-team', hash: hashToken(tokens.other), roles: ['ingest', 'read'], pipelines: ['billing*'] },
          { name: 'dashboard', hash: hashToken(tokens.read), roles: ['read'] },
        ],
      });
      const m = await startMonitor(cfg);
      const url = m.httpUrl!;
      const sim = new PipelineSim(makeDag('chain', 2, pipeline, 3), { seed: 3 });

      // Out of scope: the emitter's batch is refused (403, final) and nothing reaches Kafka.
      const wrong = createEmitter({ http: { url, token: tokens.other }, flushIntervalMs: 10 });
      for (const r of sim.run(0)) wrong.report(r);
      await wrong.flush(10_000);
      expect(wrong.stats).toMatchObject({ sent: 0 });
      expect(wrong.lastError).toContain('HTTP 403');
      await wrong.close();

      const em = createEmitter({ http: { url, token: tokens.ingest }, flushIntervalMs: 10 });
      for (let run = 0; run < 3; run++) for (const r of sim.run(run)) em.report(r);
      expect(await em.flush(20_000)).toBe(true);
      expect(em.stats).toMatchObject({ sent: 6, dropped: 0 });
      await em.close();

      const get = (path: string, token?: string) =>
        fetch(`${url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      expect((await get(`/api/v1/nodes?pipeline=${pipeline}`)).status).toBe(401);
      expect((await get(`/api/v1/nodes?pipeline=${pipeline}`, tokens.ingest)).status).toBe(403);
      expect((await get(`/api/v1/nodes?pipeline=${pipeline}`, tokens.other)).status).toBe(403);
      expect((await get('/metrics')).status).toBe(401);
      expect((await get('/healthz')).status).toBe(200);
      const runs = await eventually(
        async () => {
          const res = await get(`/api/v1/nodes?pipeline=${pipeline}`, tokens.read);
          if (!res.ok) return undefined;
          const body = (await res.json()) as { nodes: { runs: number }[] };
          const total = body.nodes.reduce((s, n) => s + n.runs, 0);
          return total === 6 ? total : undefined;
        },
        60_000,
        'six runs ingested',
      );
      expect(runs).toBe(6);
      // The compatibility token is an admin: it reads too.
      expect((await get(`/api/v1/pipelines`, tokens.legacy)).status).toBe(200);

      const metrics = await (await get('/metrics', tokens.read)).text();
      expect(metrics).toMatch(/rootline_http_requests_total\{route="\/api\/v1\/reports",status="403"\} 1/);
      const logs = m.logs.join('');
      expect(logs).toContain('request refused: pipeline scope');
      for (const t of [...Object.values(tokens), cfg.slack.token!]) {
        expect(logs).not.toContain(t);
        expect(metrics).not.toContain(t);
      }
    },
  );
});
