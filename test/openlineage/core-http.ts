// The monitor's HTTP endpoint (POST /api/v1/lineage with the real converter) in front of a monitor core, for
// the OpenLineage tests: what the monitor serves, without Kafka.
import { startHttpServer } from '../../src/adapters/http/server.js';
import { MonitorCore, emptyOutput } from '../../src/monitor/index.js';
import { convertRunEvent } from '../../src/openlineage/index.js';
import { createLogger } from '../../src/service/log.js';
import { monitorMetrics } from '../../src/service/metrics.js';
import { RULES } from '../monitor/drive.js';

export async function coreBehindHttp(): Promise<{ url: string; core: MonitorCore; close: () => Promise<void> }> {
  const core = new MonitorCore({ rules: RULES });
  const metrics = monitorMetrics();
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 1_000_000,
    ingest: {
      ingest: (reports) => {
        core.processBatch(reports, emptyOutput());
        return Promise.resolve();
      },
    },
    openLineage: convertRunEvent,
    health: () => Promise.resolve({ ok: true, details: {} }),
    metrics: metrics.registry,
    requests: metrics.httpRequests,
    logger: createLogger('silent'),
  });
  return { url: server.url, core, close: server.close };
}
