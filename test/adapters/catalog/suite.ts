import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../../../src/adapters/catalog/index.js';
import {
  SCHEMA_VERSION,
  migrate,
  provenanceTree,
  type CatalogRun,
  type ProvenanceTreeNode,
  type StoredRun,
} from '../../../src/adapters/catalog/index.js';
import { isRootlineError } from '../../../src/errors/index.js';

/**
 * The catalog's behaviour, written once and run against every driver: PGlite in the unit project,
 * the harness's PostgreSQL in the integration project. `open` gives a fresh, empty catalog.
 */
export function catalogSuite(driver: string, open: () => Promise<Catalog>): void {
  describe(`provenance catalog on ${driver}`, () => {
    let catalog: Catalog;
    beforeAll(async () => {
      catalog = await open();
    }, 120_000);
    afterAll(async () => {
      await catalog?.close();
    });

    it('applies its migrations once, however often it is opened', async () => {
      expect(await migrate(catalog.sql)).toEqual([]);
      const rows = await catalog.sql.query<{ version: number }>('SELECT version FROM catalog_schema_version');
      expect(rows.map((r) => r.version)).toEqual([SCHEMA_VERSION]);
    });

    it('stores a run and gives it back field for field', async () => {
      const run = chainRun('roundtrip', 0, 0, T0);
      run.metrics = { rows: 1200, null_rate: 0.25 };
      run.column_lineage = [
        { column: 'c', sources: [{ dataset: 'raw-roundtrip', column: 'value' }], transformation: 'cast' },
      ];
      expect(await catalog.writeRuns([run])).toEqual({ written: 1, duplicates: 0 });
      const stored = await catalog.getRun(run);
      expect(stored).toBeDefined();
      expect(withoutCatalogFields(stored!)).toEqual({
        ...run,
        column_lineage: [{ dataset: 'd00-roundtrip', ...run.column_lineage[0] }],
      });
      expect(await catalog.getRun({ ...run, run_id: 'nope' })).toBeUndefined();
    });

    it('changes nothing when a batch is redelivered, or a run comes again under its event_id or run_id', async () => {
      const runs = chain('idem', 30, 2);
      expect(await catalog.writeRuns(runs)).toEqual({ written: 60, duplicates: 0 });
      const before = await counts(catalog, 'idem');
      expect(before).toEqual({ runs: 60, inputs: 60 + 2, outputs: 60, edges: 58 });

      expect(await catalog.writeRuns(runs)).toEqual({ written: 0, duplicates: 60 });
      const first = runs[0]!;
      const sameEvent = { ...first, status: 'failed', healthy: false, params: { lr: 99 } };
      const sameRunId = { ...first, event_id: 'another-event', code_version: 'v-other' };
      const inBatchTwice = chainRun('idem', 0, 7, T0 + 7 * RUN_GAP_MS);
      expect(await catalog.writeRuns([sameEvent, sameRunId, inBatchTwice, { ...inBatchTwice }])).toEqual({
        written: 1,
        duplicates: 3,
      });
      expect(await counts(catalog, 'idem')).toEqual({ runs: 61, inputs: 63, outputs: 61, edges: 58 });
      expect(withoutCatalogFields((await catalog.getRun(first))!)).toEqual(first);
    });

    it('rejects a run without identifiers, writing nothing of its batch', async () => {
      const good = chainRun('reject', 0, 0, T0);
      const bad = { ...chainRun('reject', 1, 0, T0), event_id: '' };
      const err = await catalog.writeRuns([good, bad]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isRootlineError(err, 'INVALID_ARGUMENT')).toBe(true);
      expect(await catalog.getRun(good)).toBeUndefined();
    });

    describe('a 30-node pipeline run 12 times', () => {
      const N = 12;
      const runs = chain('chain', 30, N);
      beforeAll(async () => {
        // Three batches, the last one first: the catalog must not depend on arrival order.
        await catalog.writeRuns(runs.slice(20 * 30));
        await catalog.writeRuns(runs.slice(0, 10 * 30));
        await catalog.writeRuns(runs.slice(10 * 30, 20 * 30));
      });

      it('traces the last output back through all 30 nodes to its source hashes, params and code versions', async () => {
        const p = await catalog.provenance(hashOf('chain', 29, N - 1));
        expect(p.truncated).toBe(false);
        const list = Object.values(p.runs).sort((a, b) => a.depth - b.depth);
        expect(list.map((r) => [r.node, r.run_id, r.depth])).toEqual(
          Array.from({ length: 30 }, (_, k) => [nodeName(29 - k), `run-${N - 1}`, k]),
        );
        expect(p.runs[p.root!]!.node).toBe('n29');
        for (const r of list) {
          const k = Number(r.node.slice(1));
          expect(r.params).toEqual({ lr: N - 1, layer: k });
          expect(r.code_version).toBe(`git-${(N - 1) % 3}`);
          const main = r.inputs.find((i) => i.dataset !== 'lookup-chain')!;
          expect(main.content_hash).toBe(k === 0 ? `raw-hash-chain-${N - 1}` : hashOf('chain', k - 1, N - 1));
          expect(main.producer === null).toBe(k === 0);
        }
        expect(p.sources).toEqual([
          { dataset: 'lookup-chain', version: 'lookup-v2' },
          { dataset: 'raw-chain', content_hash: `raw-hash-chain-${N - 1}` },
        ]);
        expect(treeDepth(provenanceTree(p)!)).toBe(30);
      });

      it('finds the producer by data_version as by content hash', async () => {
        const byVersion = await catalog.provenance(`dv-chain-n15-${N - 2}`);
        expect(byVersion.runs[byVersion.root!]!.node).toBe('n15');
        expect(byVersion.runs[byVersion.root!]!.run_id).toBe(`run-${N - 2}`);
        expect(Object.keys(byVersion.runs)).toHaveLength(16);
      });

      it('stops at maxDepth and says so', async () => {
        const p = await catalog.provenance(hashOf('chain', 29, 3), { maxDepth: 10 });
        expect(p.truncated).toBe(true);
        expect(Object.keys(p.runs)).toHaveLength(11);
        expect(Math.max(...Object.values(p.runs).map((r) => r.depth))).toBe(10);
      });

      it('lists every run downstream of a source hash, and of a version read by one node', async () => {
        const down = await catalog.consumers(`raw-hash-chain-5`);
        expect(down.map((c) => [c.run.node, c.run.run_id, c.depth])).toEqual(
          Array.from({ length: 30 }, (_, k) => [nodeName(k), 'run-5', k + 1]),
        );
        const fromMiddle = await catalog.consumers(hashOf('chain', 19, 5));
        expect(fromMiddle.map((c) => c.run.node)).toEqual(Array.from({ length: 10 }, (_, k) => nodeName(20 + k)));
        expect(fromMiddle[0]!.via_dataset).toBe('d19-chain');
        // lookup-v2 is read by n10 in runs 6..11: each run's n10..n29 is downstream.
        const lookup = await catalog.consumers('lookup-v2');
        expect(lookup).toHaveLength(6 * 20);
        expect(new Set(lookup.filter((c) => c.depth === 1).map((c) => c.run.run_id)).size).toBe(6);
      });

      it('answers as of an earlier time', async () => {
        const lastStart = T0 + (N - 1) * RUN_GAP_MS;
        const before = await catalog.provenance(hashOf('chain', 29, N - 1), { at: lastStart - 1 });
        expect(before.root).toBeUndefined();
        // Half-way through the last run: its first 10 nodes exist, the rest do not yet.
        const midway = lastStart + 9 * NODE_GAP_MS;
        const half = await catalog.consumers(`raw-hash-chain-${N - 1}`, { at: midway });
        expect(half.map((c) => c.run.node)).toEqual(Array.from({ length: 10 }, (_, k) => nodeName(k)));
        const p = await catalog.provenance(hashOf('chain', 9, N - 1), { at: midway });
        expect(Object.keys(p.runs)).toHaveLength(10);
      });

      it('follows a column back through column lineage to its source column', async () => {
        const steps = await catalog.columnSources({ node: 'n29', column: 'c' });
        expect(steps).toHaveLength(30);
        expect(steps[0]).toMatchObject({ depth: 1, node: 'n29', dataset: 'd29-chain', source_dataset: 'd28-chain' });
        expect(steps.at(-1)).toMatchObject({
          depth: 30,
          node: 'n00',
          source_dataset: 'raw-chain',
          source_column: 'value',
          terminal: true,
        });
        expect(steps.filter((s) => s.terminal)).toHaveLength(1);
        expect(await catalog.columnSources({ node: 'n29', column: 'missing' })).toEqual([]);
      });

      it('diffs two runs of a node: params, code, inputs and outputs', async () => {
        const d = await catalog.diffRuns(
          { pipeline: 'chain', node: 'n10', run_id: 'run-4' },
          { pipeline: 'chain', node: 'n10', run_id: 'run-8' },
        );
        expect(d.params).toEqual({ lr: { a: 4, b: 8 } });
        expect(d.fields).toEqual({
          code_version: { a: 'git-1', b: 'git-2' },
          data_version: { a: 'dv-chain-n10-4', b: 'dv-chain-n10-8' },
        });
        expect(d.inputs['lookup-chain']).toEqual({
          a: { dataset: 'lookup-chain', version: 'lookup-v1' },
          b: { dataset: 'lookup-chain', version: 'lookup-v2' },
        });
        expect(d.outputs['d10-chain']!.b!.content_hash).toBe(hashOf('chain', 10, 8));
        const err = await catalog
          .diffRuns(
            { pipeline: 'chain', node: 'n10', run_id: 'run-4' },
            { pipeline: 'chain', node: 'n10', run_id: 'x' },
          )
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(isRootlineError(err, 'NOT_FOUND')).toBe(true);
      });
    });

    it('resolves an input with no hash or version to the latest write of that dataset before the read', async () => {
      const w = (run: number, t: number): CatalogRun => ({
        ...base('plain', 'writer', run, t),
        outputs: [{ dataset: 'plain-x', row_count: 10 + run }],
      });
      const r = (run: number, t: number): CatalogRun => ({
        ...base('plain', 'reader', run, t),
        inputs: [{ dataset: 'plain-x' }],
        outputs: [{ dataset: 'plain-y', content_hash: `plain-y-${run}` }],
      });
      await catalog.writeRuns([w(0, T0), r(0, T0 + 10), w(1, T0 + 20), r(1, T0 + 30), r(2, T0 + 31)]);
      const p = await catalog.provenance('plain-y-0');
      const writer = Object.values(p.runs).find((x) => x.node === 'writer');
      expect(writer?.run_id).toBe('run-0');
      const p2 = await catalog.provenance('plain-y-2');
      expect(Object.values(p2.runs).find((x) => x.node === 'writer')?.run_id).toBe('run-1');
      const down = await catalog.consumers('dv-plain-writer-1');
      expect(down.map((c) => c.run.run_id).sort()).toEqual(['run-1', 'run-2']);
      // Reads after writer run-1 read run-1's data, not run-0's.
      expect((await catalog.consumers('dv-plain-writer-0')).map((c) => c.run.run_id)).toEqual(['run-0']);
    });

    it('exports expired runs as Parquet, one file per batch, readable back to the stored runs', async () => {
      const fresh = await open();
      const dir = mkdtempSync(join(tmpdir(), 'rootline-retention-pq-'));
      try {
        const runs = chain('pq', 5, 4);
        await fresh.writeRuns(runs);
        const horizon = T0 + 2 * RUN_GAP_MS;
        const res = await fresh.applyRetention({ before: horizon, exportPath: join(dir, 'x.parquet'), batchSize: 4 });
        expect(res.deleted).toBe(10);
        expect(res.exported).toBe(10);
        expect(res.exportFiles.map((f) => f.slice(dir.length + 1))).toEqual([
          'x-00001.parquet',
          'x-00002.parquet',
          'x-00003.parquet',
        ]);
        expect(readdirSync(dir).sort()).toEqual(['x-00001.parquet', 'x-00002.parquet', 'x-00003.parquet']);
        const rows: Record<string, unknown>[] = [];
        for (const f of res.exportFiles) {
          const buf = readFileSync(f);
          rows.push(
            ...(await parquetReadObjects({
              file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength),
            })),
          );
        }
        const expired = runs.filter((r) => r.event_time < horizon);
        expect(rows.map((r) => r.event_id).sort()).toEqual(expired.map((r) => r.event_id).sort());
        for (const r of expired) {
          const row = rows.find((x) => x.event_id === r.event_id)!;
          expect((row.event_time as Date).getTime()).toBe(r.event_time);
          expect(typeof row.id).toBe('bigint');
          expect(row).toMatchObject({ pipeline: r.pipeline, node: r.node, run_id: r.run_id, status: r.status });
          expect(row.healthy).toBe(r.healthy);
          // JSON columns (converted type JSON) come back as their text
          const json = (v: unknown): unknown => (v === null || v === undefined ? undefined : JSON.parse(v as string));
          expect(json(row.inputs)).toEqual(r.inputs);
          expect(json(row.outputs)).toEqual(r.outputs);
          expect(json(row.upstream)).toEqual(r.upstream);
          expect(json(row.params)).toEqual(r.params);
          expect(row.code_version ?? undefined).toEqual(r.code_version);
        }
        expect(await counts(fresh, 'pq')).toEqual({ runs: 10, inputs: 10, outputs: 10, edges: 8 });
      } finally {
        await fresh.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('exports expired runs as JSON Lines, then deletes them with their inputs and outputs', async () => {
      const fresh = await open();
      const dir = mkdtempSync(join(tmpdir(), 'rootline-retention-'));
      try {
        const runs = chain('ret', 5, 4);
        await fresh.writeRuns(runs);
        const horizon = T0 + 2 * RUN_GAP_MS;
        const file = join(dir, 'expired', 'runs.jsonl');
        const res = await fresh.applyRetention({ before: horizon, exportPath: file, batchSize: 3 });
        expect(res).toEqual({ deleted: 10, exported: 10, exportPath: file, exportFiles: [file] });
        const lines = readFileSync(file, 'utf8')
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l) as StoredRun);
        expect(lines.map((l) => l.event_id).sort()).toEqual(
          runs
            .filter((r) => r.event_time < horizon)
            .map((r) => r.event_id)
            .sort(),
        );
        expect(withoutCatalogFields(lines.find((l) => l.event_id === runs[0]!.event_id)!)).toEqual(runs[0]);
        expect(await counts(fresh, 'ret')).toEqual({ runs: 10, inputs: 10, outputs: 10, edges: 8 });
        expect(Object.keys((await fresh.provenance(hashOf('ret', 4, 3))).runs)).toHaveLength(5);
        expect(await fresh.applyRetention({ before: horizon })).toEqual({
          deleted: 0,
          exported: 0,
          exportPath: undefined,
          exportFiles: [],
        });

        const health = await fresh.lineageHealth();
        expect(health).toMatchObject({
          nodes: 5,
          datasets: 6,
          datasetsWithProducer: 5,
          readNeverProduced: ['raw-ret'],
          producedNeverRead: ['d04-ret'],
        });
        expect((await fresh.lineageHealth({ at: T0 })).nodes).toBe(0);
      } finally {
        await fresh.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

const T0 = Date.UTC(2026, 0, 1);
const RUN_GAP_MS = 3_600_000;
const NODE_GAP_MS = 60_000;

const nodeName = (k: number) => `n${String(k).padStart(2, '0')}`;
const hashOf = (pipeline: string, k: number, run: number) => `h-${pipeline}-${nodeName(k)}-${run}`;

function base(pipeline: string, node: string, run: number, t: number): CatalogRun {
  return {
    pipeline,
    node,
    run_id: `run-${run}`,
    event_id: `${pipeline}/${node}/${run}`,
    event_time: t,
    status: 'succeeded',
    healthy: true,
    data_version: `dv-${pipeline}-${node}-${run}`,
    params: {},
    metrics: {},
    inputs: [],
    outputs: [],
    upstream: [],
  };
}

/** Node k of run `run` of a chain: reads node k-1's output (node 0 reads a source); node 10 also reads a lookup. */
function chainRun(
  pipeline: string,
  k: number,
  run: number,
  t: number,
): CatalogRun & { column_lineage: NonNullable<CatalogRun['column_lineage']> } {
  const prev = k === 0 ? `raw-${pipeline}` : `d${nodeName(k - 1).slice(1)}-${pipeline}`;
  const out = `d${nodeName(k).slice(1)}-${pipeline}`;
  const inputs: CatalogRun['inputs'] = [
    { dataset: prev, content_hash: k === 0 ? `raw-hash-${pipeline}-${run}` : hashOf(pipeline, k - 1, run) },
  ];
  if (k === 10) inputs.push({ dataset: `lookup-${pipeline}`, version: run < 6 ? 'lookup-v1' : 'lookup-v2' });
  return {
    ...base(pipeline, nodeName(k), run, t),
    code_version: `git-${run % 3}`,
    params: { lr: run, layer: k },
    inputs: inputs.sort((a, b) => a.dataset.localeCompare(b.dataset)),
    outputs: [
      { dataset: out, content_hash: hashOf(pipeline, k, run), row_count: 1000 + k, schema_fingerprint: 'fp-1' },
    ],
    upstream: k === 0 ? [] : [{ pipeline, node: nodeName(k - 1), run_id: `run-${run}` }],
    column_lineage: [{ dataset: out, column: 'c', sources: [{ dataset: prev, column: k === 0 ? 'value' : 'c' }] }],
  };
}

function chain(pipeline: string, nodes: number, runs: number): CatalogRun[] {
  const out: CatalogRun[] = [];
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k < nodes; k++) out.push(chainRun(pipeline, k, run, T0 + run * RUN_GAP_MS + k * NODE_GAP_MS));
  }
  return out;
}

function withoutCatalogFields(run: StoredRun): CatalogRun {
  const { id: _id, recorded_at: _recordedAt, ...rest } = run;
  return rest;
}

function treeDepth(node: ProvenanceTreeNode): number {
  let deepest = 0;
  for (const i of node.inputs) {
    if (i.producer !== null && !('ref' in i.producer)) deepest = Math.max(deepest, treeDepth(i.producer));
  }
  return deepest + 1;
}

async function counts(catalog: Catalog, pipeline: string) {
  const [row] = await catalog.sql.query<{ runs: number; inputs: number; outputs: number; edges: number }>(
    `SELECT (SELECT count(*)::int FROM runs WHERE pipeline = $1) AS runs,
            (SELECT count(*)::int FROM run_inputs i JOIN runs r ON r.id = i.run_pk WHERE r.pipeline = $1) AS inputs,
            (SELECT count(*)::int FROM run_outputs o JOIN runs r ON r.id = o.run_pk WHERE r.pipeline = $1) AS outputs,
            (SELECT count(*)::int FROM lineage_edges e JOIN runs r ON r.id = e.run_pk WHERE r.pipeline = $1) AS edges`,
    [pipeline],
  );
  return row;
}
