import { it } from 'vitest';
import { PipelineSim, makeDag } from '../../../src/sim/index.js';
import { eventually } from '../helpers.js';
import { monitorConfig, nodeRunCount, sendReports, startMonitor } from '../monitor/harness.js';

it('scratch', async () => {
  const cfg = monitorConfig();
  const m = await startMonitor(cfg);
  const sim = new PipelineSim(makeDag('diamond', 8, 'demo'));
  for (let r = 0; r < 8; r++) await sendReports(cfg, sim.run(r));
  await sendReports(cfg, sim.run(8, [{ node: 'n02', kind: 'null_spike' }]));
  for (let r = 9; r < 12; r++) await sendReports(cfg, sim.run(r));
  await sendReports(cfg, sim.run(12, [{ node: 'n04', kind: 'code_change' }]));
  await eventually(async () => ((await nodeRunCount(cfg, 'demo')) === 104 ? true : undefined), 60_000, 'runs');
  await new Promise((r) => setTimeout(r, 2000));
  console.log('BUCKET', cfg.influx.bucket, JSON.stringify(m.core.incidents({}).map((i) => [i.culprit, i.status, i.cause.kind])));
});
