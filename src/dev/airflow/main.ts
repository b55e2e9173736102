/** Runs the local Airflow API server as its own process: `node main.js <port>` (spec from ROOTLINE_CACHE_DIR). */
import { harnessConfig } from '../services/config.js';
import { startAirflowMockServer } from './server.js';
import { ensureAirflowSpec, loadAirflowSpec } from './spec.js';

const port = Number(process.argv[2] ?? process.env.ROOTLINE_AIRFLOW_PORT ?? 18091);
ensureAirflowSpec(harnessConfig().cacheDir, (m) => process.stdout.write(`${m}\n`))
  .then((file) => startAirflowMockServer({ spec: loadAirflowSpec(file), port }))
  .then(
    (s) => {
      process.stdout.write(`airflow mock listening on ${s.url}\n`);
      const stop = () => void s.close().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
    (err: unknown) => {
      process.stderr.write(`airflow mock could not start on port ${port}: ${String(err)}\n`);
      process.exit(1);
    },
  );
