import { describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/config/tokens.js';
import { projectPython, runCommand } from '../../python/run.js';
import { eventually, services, unique } from '../helpers.js';
import { monitorConfig, startMonitor } from '../monitor/harness.js';

interface NodesAnswer {
  nodes: { node: string; runs: number; last_run: { upstream: { node: string }[] } | null }[];
}

async function nodes(url: string, pipeline: string, token?: string): Promise<NodesAnswer | undefined> {
  const res = await fetch(`${url}/api/v1/nodes?pipeline=${pipeline}`, {
    ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });
  return res.ok ? ((await res.json()) as NodesAnswer) : undefined;
}

describe('OpenLineage into the monitor with the real openlineage-python client', () => {
  it(
    'through its HTTP transport to POST /api/v1/lineage with an api_key (Bearer) ingest token: COMPLETE events become reports, the pipeline named after the DAG',
    { timeout: 180_000 },
    async () => {
      const ingestToken = 'rl_ol-ingest-token-for-the-integration-test';
      const readToken = 'rl_ol-read-token-for-the-integration-test';
      const cfg = monitorConfig({
        'log.level': 'debug',
        'http.tokens': [
          { name: 'ol-ingest', hash: hashToken(ingestToken), roles: ['ingest'], pipelines: ['airflow/ol_*'] },
          { name: 'reader', hash: hashToken(readToken), roles: ['read'] },
        ],
      });
      const m = await startMonitor(cfg);
      const py = await projectPython();
      // A read token may not ingest: the client's transport raises on the 403.
      const refused = await runCommand(
        py,
        ['test/integration/openlineage/emit_to_monitor.py', 'http', m.httpUrl!, '1', readToken],
        120_000,
      );
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('403');
      const r = await runCommand(
        py,
        ['test/integration/openlineage/emit_to_monitor.py', 'http', m.httpUrl!, '4', ingestToken],
        120_000,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ emitted: 8 });
      expect((await fetch(`${m.httpUrl!}/api/v1/nodes?pipeline=airflow/ol_daily`)).status).toBe(401);
      const answer = await eventually(
        async () => {
          const a = await nodes(m.httpUrl!, 'airflow/ol_daily', readToken);
          return a && a.nodes.reduce((s, n) => s + n.runs, 0) === 8 ? a : undefined;
        },
        60_000,
        'eight runs of airflow/ol_daily',
      );
      expect(answer.nodes.map((n) => n.node).sort()).toEqual(['ol_daily.clean', 'ol_daily.extract']);
      // The dataset written by extract and read by clean is a lineage edge.
      expect(answer.nodes.find((n) => n.node === 'ol_daily.clean')!.last_run!.upstream.map((u) => u.node)).toEqual([
        'ol_daily.extract',
      ]);
      // Neither token reached a log line (debug level, every request).
      const logs = m.logs.join('');
      expect(logs).toContain('access control on');
      for (const t of [ingestToken, readToken]) expect(logs).not.toContain(t);
    },
  );

  it(
    'through its HTTP transport with compression off and on (HttpConfig compression gzip): every event is a run, the FAIL a failed run with its error',
    { timeout: 240_000 },
    async () => {
      const m = await startMonitor(monitorConfig());
      const py = await projectPython();
      for (const [mode, dag, encoding] of [
        ['http-plain', unique('ol_plain'), 'identity'],
        ['http-gzip', unique('ol_gzip'), 'gzip'],
      ] as const) {
        const before = m.metrics.httpBodies.get({ encoding });
        const r = await runCommand(
          py,
          ['test/integration/openlineage/emit_to_monitor.py', mode, m.httpUrl!, '3', dag],
          120_000,
        );
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ emitted: 9 });
        // the client sent what the mode says
        expect(m.metrics.httpBodies.get({ encoding }) - before, mode).toBe(9);
        const pipeline = `airflow/${dag}`;
        const answer = await eventually(
          async () => {
            const a = await nodes(m.httpUrl!, pipeline);
            return a && a.nodes.reduce((s, n) => s + n.runs, 0) === 9 ? a : undefined;
          },
          60_000,
          `nine runs of ${pipeline}`,
        );
        expect(answer.nodes.map((n) => `${n.node}:${n.runs}`).sort(), mode).toEqual([
          `${dag}.clean:3`,
          `${dag}.extract:3`,
          `${dag}.publish:3`,
        ]);
        const publish = m.core.node({ pipeline, node: `${dag}.publish` })!.history.at(-1)!;
        expect(publish.status, mode).toBe('failed');
        expect(publish.error, mode).toMatchObject({
          message: 'relation "clean.transactions" does not exist',
          language: 'SQL',
        });
        const incident = await eventually(
          () => m.core.incidents({ pipeline }).find((i) => i.culprit === `${dag}.publish`),
          60_000,
          `the incident of ${dag}.publish`,
        );
        expect(incident.error?.message, mode).toBe('relation "clean.transactions" does not exist');
      }
    },
  );

  it(
    'through its Kafka transport to an ingest topic: converted and forwarded to the reports topic, keyed by pipeline',
    { timeout: 180_000 },
    async () => {
      const ingest = unique('openlineage');
      const cfg = monitorConfig({ 'kafka.topics.ingest': [ingest] });
      const m = await startMonitor(cfg);
      const py = await projectPython();
      const r = await runCommand(
        py,
        ['test/integration/openlineage/emit_to_monitor.py', 'kafka', services().kafkaBrokers.join(','), ingest, '3'],
        120_000,
      );
      expect(r.code, r.stderr).toBe(0);
      await eventually(() => (m.metrics.reports.total() === 6 ? true : undefined), 60_000, 'six reports');
      const answer = (await nodes(m.httpUrl!, 'airflow/ol_daily'))!;
      expect(answer.nodes.map((n) => `${n.node}:${n.runs}`).sort()).toEqual(['ol_daily.clean:3', 'ol_daily.extract:3']);
      expect(m.metrics.deadLetters.total()).toBe(0);
    },
  );
});
