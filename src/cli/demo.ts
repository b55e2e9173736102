import { addresses, describeAddresses, harnessConfig, servicesStatus } from '../dev/services/index.js';

/** `rootline demo`: for now, what Rootline will do and where the local services are. */
export async function demoCommand(_args: string[]): Promise<number> {
  const cfg = harnessConfig();
  const status = await servicesStatus(cfg);
  const lines = [
    'Rootline: the plan for a run',
    '  1. pipeline steps send a report per run (rows, nulls, schema, sketches) to Kafka topic rootline.reports',
    '  2. the monitor compares each run with the node\'s healthy baseline and writes metrics to InfluxDB',
    '  3. rules flag violations; RCA walks the lineage upstream to the node where the damage began',
    '  4. one Slack alert per root cause (or a rollback), updated in its thread until resolved',
    '',
    'Local services (start with `npm run services:up`):',
    describeAddresses(addresses(cfg)),
    '',
    ...status.map((s) => `  ${s.name.padEnd(9)} ${s.state}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
