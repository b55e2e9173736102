// The real openlineage-python client's HTTP transport, with compression off and on (gzip), pointed at the
// monitor's HTTP endpoint (POST /api/v1/lineage, the real converter) whose ingest is the monitor's core:
// every event becomes a run, the job without statistics too, and its FAIL opens an incident quoting the error.
import { describe, expect, it } from 'vitest';
import type { Incident, MonitorCore } from '../../src/monitor/index.js';
import { projectPython, runCommand } from '../python/run.js';
import { coreBehindHttp } from './core-http.js';

const monitor = coreBehindHttp;

const runsOf = (core: MonitorCore, pipeline: string, node: string): number => core.node({ pipeline, node })?.runs ?? 0;

describe('the openlineage-python HTTP transport into the monitor', () => {
  it('without compression: every COMPLETE is a run', { timeout: 180_000 }, async () => {
    const m = await monitor();
    try {
      const py = await projectPython();
      const r = await runCommand(py, ['test/integration/openlineage/emit_to_monitor.py', 'http', m.url, '3'], 120_000);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ emitted: 6 });
      expect(runsOf(m.core, 'airflow/ol_daily', 'ol_daily.extract')).toBe(3);
      expect(runsOf(m.core, 'airflow/ol_daily', 'ol_daily.clean')).toBe(3);
    } finally {
      await m.close();
    }
  });

  it(
    'with gzip: runs without statistics are runs, and the FAIL opens an incident quoting the error',
    {
      timeout: 180_000,
    },
    async () => {
      const m = await monitor();
      try {
        const py = await projectPython();
        const r = await runCommand(
          py,
          ['test/integration/openlineage/emit_to_monitor.py', 'http-gzip', m.url, '4', 'ol_gzip'],
          120_000,
        );
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ emitted: 12 });
        for (const node of ['ol_gzip.extract', 'ol_gzip.clean', 'ol_gzip.publish'])
          expect(runsOf(m.core, 'airflow/ol_gzip', node), node).toBe(4);
        const incidents: Incident[] = m.core.incidents().filter((i) => i.culprit === 'ol_gzip.publish');
        expect(incidents).toHaveLength(1);
        expect(incidents[0]!.error).toMatchObject({
          message: 'relation "clean.transactions" does not exist',
          language: 'SQL',
        });
        expect(incidents[0]!.error!.stack).toContain('UndefinedTable');
      } finally {
        await m.close();
      }
    },
  );
});
