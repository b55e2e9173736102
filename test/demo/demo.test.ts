import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from './png.js';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { screenshotReport } from './screenshot.js';

describe('rootline demo (embedded)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rootline-demo-'));
  const out = join(dir, 'report.html');

  it(
    'runs the sample pipeline, prints the incident naming the injected culprit, and exits 0',
    { timeout: 60_000 },
    async () => {
      const r = await runCli(['demo', '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('Culprit transformation: `compute_avg_amount` in pipeline `churn`');
      expect(r.stdout).toContain('code changed at compute_avg_amount');
      expect(r.stdout).toMatch(/Blast radius: 2 downstream nodes: `churn_features`, `churn_model_scores`/);
      expect(r.stdout).toMatch(/culprit compute_avg_amount \(pipeline churn\).*resolved/);
      // Exactly one new Slack message.
      expect(r.stdout.match(/Slack #data-incidents \(new message\)/g)).toHaveLength(1);
      const html = readFileSync(out, 'utf8');
      expect(html).toContain('<svg');
      // Self-contained: no script and nothing loaded from elsewhere.
      expect(html).not.toMatch(/<script|(src|href)=["']https?:|@import|url\(\s*["']?https?:/i);
    },
  );

  it(
    'writes a report whose graph a headless Chromium renders: 8 nodes, the culprit red, a non-empty picture',
    { timeout: 60_000 },
    async () => {
      const png = join(dir, 'graph.png');
      const { nodes, edges, shot } = await screenshotReport(out, png);
      expect(nodes.map((n) => n.name).sort()).toEqual([
        'churn_features',
        'churn_model_scores',
        'clean_customers',
        'clean_transactions',
        'compute_avg_amount',
        'join_customer_txn',
        'raw_customers',
        'raw_transactions',
      ]);
      for (const n of nodes) expect(n.box.width).toBeGreaterThan(50);
      expect(edges).toBe(8);
      const byName: Record<string, string | null> = Object.fromEntries(nodes.map((n) => [n.name ?? '', n.health]));
      expect(byName.compute_avg_amount).toBe('culprit');
      expect(byName.churn_features).toBe('symptom');
      expect(byName.raw_transactions).toBe('healthy');
      // The picture is not blank: many distinct colors, and the culprit's red is in it.
      const img = PNG.decode(shot);
      expect(img.width).toBeGreaterThan(500);
      const colors = new Set<number>();
      let red = 0;
      for (let i = 0; i < img.data.length; i += 4) {
        const [r, g, b] = [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
        colors.add((r << 16) | (g << 8) | b);
        if (r === 0xd1 && g === 0x33 && b === 0x2e) red++;
      }
      expect(colors.size).toBeGreaterThan(50);
      expect(red).toBeGreaterThan(1000);
    },
  );
});
