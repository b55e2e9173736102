import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog, type CatalogRun } from '../../../src/adapters/catalog/index.js';
import { lineageHealthReport } from '../../../src/adapters/catalog/health.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);

function run(node: string, r: number, over: Partial<CatalogRun> = {}): CatalogRun {
  return {
    pipeline: 'p',
    node,
    run_id: `r${r}`,
    event_id: `${node}/${r}`,
    event_time: T0 + r * H + (node === 'b' ? 1000 : 0),
    status: 'success',
    healthy: true,
    inputs: node === 'a' ? [{ dataset: 'raw' }] : [{ dataset: 'A' }],
    outputs: [{ dataset: node === 'a' ? 'A' : 'B' }],
    upstream: node === 'a' ? [] : [{ pipeline: 'p', node: 'a', run_id: `r${r}` }],
    ...over,
  };
}

let catalog: Catalog;
beforeAll(async () => {
  catalog = await Catalog.open({ driver: 'pglite' });
  const runs: CatalogRun[] = [];
  // a: hourly, runs 0..19 but 8, 9 and 10 never came (3 missed runs).
  for (let r = 0; r < 20; r++) if (r < 8 || r > 10) runs.push(run('a', r));
  // b: hourly, reads a; from run 15 on it also reads x (a node that never reports): an edge appears.
  for (let r = 0; r < 20; r++)
    runs.push(
      run(
        'b',
        r,
        r >= 15
          ? {
              upstream: [
                { pipeline: 'p', node: 'a' },
                { pipeline: 'p', node: 'x' },
              ],
            }
          : {},
      ),
    );
  await catalog.writeRuns(runs);
}, 60_000);
afterAll(() => catalog.close());

describe('lineageHealthReport', () => {
  it('gaps: expected runs that never came, from the usual interval', async () => {
    const h = await lineageHealthReport(catalog.sql, { at: T0 + 19 * H + 5000, since: T0 });
    expect(h.gaps).toEqual([
      expect.objectContaining({ pipeline: 'p', node: 'a', missed_runs: 3, interval_ms: H, longest_pause_ms: 4 * H }),
    ]);
    expect(h.missed_runs).toBe(3);
    expect(h.findings.filter((f) => f.kind === 'missed_runs').map((f) => f.node)).toEqual(['a']);
  });

  it('overdue: a node that stopped reporting', async () => {
    const h = await lineageHealthReport(catalog.sql, { at: T0 + 25 * H, since: T0 });
    const b = h.gaps.find((g) => g.node === 'b')!;
    expect(b.missed_runs).toBe(0);
    expect(b.overdue_runs).toBe(5);
  });

  it('coverage and orphans: a node named upstream that never reports; datasets without a producer or reader', async () => {
    const h = await lineageHealthReport(catalog.sql, {
      at: T0 + 19 * H + 5000,
      since: T0,
      ownerOf: (t) => (t.node === 'a' ? 'team-a' : undefined),
    });
    expect(h.silent_nodes).toEqual(['p/x']);
    expect(h.coverage).toEqual({ nodes_reporting: 2, nodes_known: 3, node_coverage: 2 / 3, dataset_coverage: 2 / 3 });
    expect(h.orphans).toEqual({
      read_never_produced: ['raw'],
      produced_never_read: ['B'],
      nodes_without_owner: ['p/b'],
    });
  });

  it('lineage changes: an edge appearing is an info finding; before it appeared, none', async () => {
    const h = await lineageHealthReport(catalog.sql, { at: T0 + 19 * H + 5000, since: T0 });
    expect(h.changes).toEqual([
      { pipeline: 'p', node: 'b', upstream: 'p/x', change: 'appeared', run_id: 'r15', at: T0 + 15 * H + 1000 },
    ]);
    expect(h.findings.filter((f) => f.severity === 'info')).toEqual([
      expect.objectContaining({ kind: 'edge_appeared', node: 'b', message: expect.stringContaining('p/x') as string }),
    ]);
    const before = await lineageHealthReport(catalog.sql, { at: T0 + 14 * H, since: T0 });
    expect(before.changes).toEqual([]);
    expect(before.silent_nodes).toEqual([]);
  });

  it('refuses a window that ends before it starts', async () => {
    await expect(lineageHealthReport(catalog.sql, { at: T0, since: T0 + 1 })).rejects.toThrow(/since <= at/);
  });
});
