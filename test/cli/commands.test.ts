import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PipelineSim, makeDag } from '../../src/sim/index.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'rootline-cli-'));
const reportsFile = join(dir, 'reports.jsonl');
{
  const sim = new PipelineSim(makeDag('chain', 4, 'churn'), { seed: 3 });
  const lines: string[] = [];
  for (let r = 0; r < 10; r++)
    for (const rep of sim.run(r, r >= 8 ? [{ node: 'n01', kind: 'null_spike', column: 'score' }] : []))
      lines.push(JSON.stringify(rep));
  lines.splice(5, 0, '{"spec": "rootline.report/v1", "oops"');
  writeFileSync(reportsFile, `${lines.join('\n')}\n`);
}

describe('rootline replay', () => {
  it('prints findings and one incident per root cause as JSON lines; an invalid line is reported with its number (exit 2)', async () => {
    const r = await runCli(['replay', reportsFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${reportsFile}:6: invalid report`);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const incidents = lines.filter((l) => l.type === 'incident');
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      pipeline: 'churn',
      culprit: 'n01',
      cause: 'transformation',
      metric: 'null_ratio',
      column: 'score',
      symptoms: ['n02', 'n03'],
    });
    for (const k of ['incident_id', 'confidence', 'actions']) expect(incidents[0]).toHaveProperty(k);
    expect(lines.filter((l) => l.type === 'finding').every((f) => ['n01', 'n02', 'n03'].includes(String(f.node)))).toBe(
      true,
    );
  });

  it('names an unreadable file', async () => {
    const r = await runCli(['replay', join(dir, 'missing.jsonl')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read');
  });
});

describe('rootline rules check', () => {
  it('validates the shipped rules and prints the rules in force for a column', async () => {
    const r = await runCli(['rules', 'check', 'rules', '--pipeline', 'churn', '--node', 'n01', '--column', 'amount']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('rules in force for pipeline churn, node n01, column amount');
    expect(r.stdout).toMatch(/null_ratio\s+null_ratio critical/);
  });

  it("prints every parameter a rule sets (seasonality, persistence, first_week, the long horizon's cusum_h)", async () => {
    const r = await runCli(['rules', 'check', 'rules']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/row_count_deviation .* seasonality=auto/);
    expect(r.stdout).toMatch(/distribution_drift .* persistence=1 first_week=hold/);
    expect(r.stdout).toMatch(/long_horizon_drift .* cusum_h=10/);
    expect(r.stdout).toMatch(/stalled_run .* min_duration_ms=600000/);
  });

  it('rejects an invalid file with file, line and reason (exit 2)', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'rootline-rules-'));
    writeFileSync(
      join(bad, 'r.yaml'),
      'version: 1\nrules:\n  - id: x\n    metric: row_count\n    max_deviation: lots\n    severity: critical\n',
    );
    const r = await runCli(['rules', 'check', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/r\.yaml:5:\d+: max_deviation must be a number/);
  });
});

describe('rootline lineage (offline, from a file of reports)', () => {
  it('walks upstream with health and versions, at a past time too', async () => {
    const r = await runCli(['lineage', 'upstream', 'n03', '--pipeline', 'churn', '--from', reportsFile, '--json']);
    expect(r.code).toBe(0);
    const a = JSON.parse(r.stdout) as { nodes: { node: string; depth: number; health: string }[]; sources: string[] };
    expect(a.nodes.map((n) => `${n.node}@${n.depth}:${n.health}`)).toEqual([
      'n03@0:unhealthy',
      'n02@1:unhealthy',
      'n01@2:unhealthy',
      'n00@3:healthy',
    ]);
    expect(a.sources).toEqual(['n00']);
    const past = await runCli([
      'lineage',
      'upstream',
      'n03',
      '--pipeline',
      'churn',
      '--from',
      reportsFile,
      '--at',
      '2026-11-01T03:30:00Z',
      '--json',
    ]);
    const p = JSON.parse(past.stdout) as { nodes: { node: string; health: string }[] };
    expect(p.nodes.every((n) => n.health === 'healthy')).toBe(true);
  });

  it('gives the blast radius downstream', async () => {
    const r = await runCli(['lineage', 'downstream', 'n01', '--pipeline', 'churn', '--from', reportsFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('blast radius: 2 node(s): n02, n03');
  });

  it('says clearly when no monitor answers', async () => {
    const r = await runCli(['lineage', 'upstream', 'n03', '--pipeline', 'churn', '--url', 'http://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot reach the monitor at http://127.0.0.1:1');
  });
});
