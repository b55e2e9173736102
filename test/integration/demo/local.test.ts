import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run-cli.js';

describe('rootline demo --stack local', () => {
  it(
    'runs the sample pipeline through Kafka, InfluxDB and the local Slack server, and names the culprit',
    { timeout: 180_000 },
    async () => {
      const out = join(mkdtempSync(join(tmpdir(), 'rootline-demo-local-')), 'report.html');
      // The suite's services are running on the configured ports: the demo reuses them.
      const r = await runCli(
        ['demo', '--stack', 'local', '--runs', '16', '--fault-at', '8', '--out', out],
        process.env,
        170_000,
      );
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('Slack (local server) received chat.postMessage');
      expect(r.stdout).toContain('Culprit transformation: `compute_avg_amount` in pipeline `churn`');
      expect(r.stdout).toMatch(/culprit compute_avg_amount \(pipeline churn\)/);
      expect(existsSync(out)).toBe(true);
      const html = readFileSync(out, 'utf8');
      expect(html).toContain('local services');
      expect(html.match(/class="node"/g)).toHaveLength(8);
      // The null-ratio series came back from InfluxDB: the culprit's row shows the spike (max ~10%).
      const row = /<tr><th>compute_avg_amount<\/th><td>.*?<\/td><td>(.*?)<\/td><\/tr>/s.exec(html)![1]!;
      expect(Number(/max (\d+(?:\.\d+)?)%/.exec(row)![1])).toBeGreaterThan(5);
    },
  );
});
