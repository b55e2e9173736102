import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LineageHealthReport, Provenance, RunDiff } from '../../src/adapters/catalog/index.js';
import type { Report } from '../../src/contract/index.js';
import { PipelineSim, makeDag } from '../../src/sim/index.js';
import { runCli } from './run-cli.js';

// A diamond of 5 nodes (n00 -> n01, n02 -> n03 -> n04) run 3 times, replayed into an embedded catalog folder.
const dir = mkdtempSync(join(tmpdir(), 'rootline-cli-catalog-'));
const catalogDir = join(dir, 'catalog');
const sim = new PipelineSim(makeDag('diamond', 5, 'shop'), { seed: 4, contentHashes: true });
const reports: Report[] = [0, 1, 2].flatMap((r) => sim.run(r));
const last = reports[reports.length - 1]!;
const key = last.outputs![0]!.profile!.content_hash!;

beforeAll(async () => {
  const file = join(dir, 'reports.jsonl');
  writeFileSync(file, reports.map((r) => JSON.stringify(r)).join('\n'));
  const r = await runCli(['replay', file, '--catalog', catalogDir, '--no-findings']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toContain('15 runs stored in the catalog');
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) => runCli(['lineage', ...args, '--catalog', catalogDir]);

describe('rootline lineage, catalog queries on the catalog rootline replay --catalog wrote', () => {
  it('provenance as a tree: every run, input hash and parameter back to the source', async () => {
    const r = await cli('provenance', key);
    expect(r.code, r.stderr).toBe(0);
    for (const n of ['n00', 'n01', 'n02', 'n03', 'n04']) expect(r.stdout).toContain(`shop/${n} run ${last.run_id}`);
    const source = reports.find((x) => x.node === 'n00' && x.run_id === last.run_id)!.inputs![0]!;
    expect(r.stdout).toContain(`read ${source.dataset}  ${source.profile!.content_hash!} version v2  (source)`);
    expect(r.stdout).toContain('params {"window":"1h"}');
    // n00 feeds n03 through two branches: the second time it is a reference.
    expect(r.stdout).toMatch(/shown above/);
  }, 60_000);

  it('provenance --json, and --at before the run: not found', async () => {
    const r = await cli('provenance', key, '--json');
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout) as { provenance: Provenance };
    expect(Object.values(a.provenance.runs)).toHaveLength(5);
    expect(a.provenance.sources).toHaveLength(1);
    const before = new Date(Date.parse(last.event_time) - 1).toISOString();
    const old = await cli('provenance', key, '--at', before);
    expect(old.code).not.toBe(0);
    expect(old.stderr).toContain(`no stored run produced ${key}`);
  }, 60_000);

  it('consumers of the source: every run downstream of it', async () => {
    const source = reports.find((x) => x.node === 'n00' && x.run_id === last.run_id)!.inputs![0]!;
    const r = await cli('consumers', source.profile!.content_hash!, '--json');
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout) as { consumers: { run: { node: string } }[] };
    expect(a.consumers.map((c) => c.run.node).sort()).toEqual(['n00', 'n01', 'n02', 'n03', 'n04']);
  }, 60_000);

  it('column sources through column lineage', async () => {
    const r = await cli('column', 'n04.amount', '--pipeline', 'shop');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('n04: lake/shop/n04.amount <- lake/shop/n03.amount');
    expect(r.stdout).toContain('[source column]');
  }, 60_000);

  it('diff of two runs of a node', async () => {
    const [a, b] = [reports[4]!.run_id, last.run_id];
    const r = await cli('diff', a, b, '--pipeline', 'shop', '--node', 'n04', '--json');
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as RunDiff;
    expect(Object.keys(d.outputs)).toEqual(['lake/shop/n04']);
    expect(d.fields.data_version).toEqual({ a: `n04@${a}`, b: `n04@${b}` });
    const text = await cli('diff', a, b, '--pipeline', 'shop', '--node', 'n04');
    expect(text.stdout).toContain(`field data_version: "n04@${a}" -> "n04@${b}"`);
  }, 60_000);

  it('health: coverage, orphans (nodes without an owner in the rules), gaps and changes', async () => {
    const at = new Date(Date.parse(last.event_time) + 1000).toISOString();
    const r = await cli('health', '--at', at, '--since', '2026-01-01T00:00:00Z', '--json');
    expect(r.code, r.stderr).toBe(0);
    const h = JSON.parse(r.stdout) as LineageHealthReport;
    expect(h.nodes).toBe(5);
    expect(h.coverage).toMatchObject({ nodes_reporting: 5, nodes_known: 5, node_coverage: 1 });
    expect(h.orphans.produced_never_read).toEqual(['lake/shop/n04']);
    expect(h.orphans.nodes_without_owner).toHaveLength(5);
    expect(h.changes).toEqual([]);
    const text = await cli('health', '--at', at);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('coverage: 5/5 nodes report (100.0%)');
    expect(text.stdout).toContain('produced never read: lake/shop/n04');
  }, 60_000);

  it('usage errors', async () => {
    expect((await cli('column', 'n04')).code).toBe(2);
    expect((await cli('diff', 'a', 'b')).code).toBe(2);
  });
});
