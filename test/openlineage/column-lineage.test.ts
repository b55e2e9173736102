// Column lineage keyed by dataset and column (OpenLineage's columnLineage facet as an output's column_lineage) in
// the monitor's core and RCA: an upstream column finding explains a downstream column finding only when the
// downstream column derives from that dataset's column, so t1.id and t2.id (one writer) stay apart.
import { describe, expect, it } from 'vitest';
import type { OutputRef, Report } from '../../src/contract/index.js';
import { MonitorCore, emptyOutput } from '../../src/monitor/index.js';
import { convertRunEvent } from '../../src/openlineage/index.js';
import { RULES } from '../monitor/drive.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const HOUR = 3_600_000;

const table = (dataset: string, nullIds: number): OutputRef => ({
  dataset,
  profile: {
    row_count: 1000,
    columns: { id: { kind: 'numeric', count: 1000, null_count: nullIds, min: 1, max: 1000, mean: 500 } },
  },
});

/** `load` writes pg/t1 and pg/t2, both with a column `id`. */
function load(i: number, nulls: { t1?: number; t2?: number } = {}): Report {
  return {
    spec: 'rootline.report/v1',
    event_id: `load-${i}`,
    pipeline: 'shop',
    node: 'load',
    run_id: `load-${i}`,
    event_time: new Date(T0 + i * HOUR).toISOString(),
    outputs: [table('pg/t1', nulls.t1 ?? 0), table('pg/t2', nulls.t2 ?? 0)],
  };
}

/** `join` reads both and writes pg/out, whose `id` derives from pg/t1.id (when `lineage`). */
function join(i: number, nullIds: number, lineage: boolean): Report {
  return {
    spec: 'rootline.report/v1',
    event_id: `join-${i}`,
    pipeline: 'shop',
    node: 'join',
    run_id: `join-${i}`,
    event_time: new Date(T0 + i * HOUR + 60_000).toISOString(),
    inputs: [{ dataset: 'pg/t1' }, { dataset: 'pg/t2' }],
    outputs: [
      {
        ...table('pg/out', nullIds),
        ...(lineage ? { column_lineage: { id: [{ dataset: 'pg/t1', column: 'id' }] } } : {}),
      },
    ],
  };
}

function culprits(fault: { t1?: number; t2?: number }, lineage: boolean): string[] {
  const core = new MonitorCore({ rules: RULES });
  for (let i = 0; i < 8; i++) core.processBatch([load(i), join(i, 0, lineage)], emptyOutput());
  core.processBatch([load(8, fault), join(8, 400, lineage)], emptyOutput());
  return core
    .incidents({ status: 'open' })
    .map((i) => `${i.culprit}:${i.column ?? ''}`)
    .sort();
}

describe('RCA with column lineage keyed by dataset and column', () => {
  it('the writer of t1.id, where out.id comes from, is the cause of out.id', () => {
    expect(culprits({ t1: 400 }, true)).toEqual(['load:id']);
  });

  it('a finding on t2.id (same writer, same column name) does not explain out.id', () => {
    expect(culprits({ t2: 400 }, true)).toEqual(['join:id', 'load:id']);
  });

  it('without column lineage any upstream anomaly may explain it (the control)', () => {
    expect(culprits({ t2: 400 }, false)).toEqual(['load:id']);
  });

  it('a finding names its dataset, and the run keeps the lineage', () => {
    const core = new MonitorCore({ rules: RULES });
    for (let i = 0; i < 8; i++) core.processBatch([load(i), join(i, 0, true)], emptyOutput());
    const out = core.processBatch([load(8, { t2: 400 }), join(8, 0, true)], emptyOutput());
    expect(out.findings.filter((f) => f.metric === 'null_ratio').map((f) => `${f.dataset}.${f.column}`)).toEqual([
      'pg/t2.id',
    ]);
    const run = core.node({ pipeline: 'shop', node: 'join' })!.history.at(-1)!;
    expect(run.output_lineage).toEqual({ 'pg/out': { id: [{ dataset: 'pg/t1', column: 'id' }] } });
  });
});

describe('the converter: columnLineage as the output column_lineage', () => {
  it('keys sources by dataset and field, without knowing producers; t1.id and t2.id stay apart', () => {
    const res = convertRunEvent({
      eventType: 'COMPLETE',
      eventTime: '2026-03-01T00:00:00Z',
      producer: 'https://github.com/OpenLineage/OpenLineage/tree/1.39.0/integration/spark',
      run: { runId: '00000000-0000-4000-8000-000000000001' },
      job: { namespace: 'spark', name: 'join' },
      inputs: [
        { namespace: 'pg', name: 't1' },
        { namespace: 'pg', name: 't2' },
      ],
      outputs: [
        {
          namespace: 'pg',
          name: 'out',
          facets: {
            schema: {
              fields: [
                { name: 'id', type: 'BIGINT' },
                { name: 'other_id', type: 'BIGINT' },
              ],
            },
            columnLineage: {
              fields: {
                id: { inputFields: [{ namespace: 'pg', name: 't1', field: 'id' }] },
                other_id: {
                  inputFields: [
                    { namespace: 'pg', name: 't2', field: 'id' },
                    { namespace: 'pg', name: 't2', field: 'id' },
                  ],
                },
                not_in_schema: { inputFields: [{ namespace: 'pg', name: 't1', field: 'x' }] },
              },
            },
          },
        },
      ],
    });
    if ('errors' in res) throw new Error(res.errors.join('; '));
    expect(res.reports[0]!.outputs![0]!.column_lineage).toEqual({
      id: [{ dataset: 'pg/t1', column: 'id' }],
      other_id: [{ dataset: 'pg/t2', column: 'id' }],
    });
    // no producer resolver: the node-keyed report-level column_lineage stays out
    expect(res.reports[0]!.column_lineage).toBeUndefined();
  });
});

describe('the provenance catalog', () => {
  it('stores an output column lineage under its dataset and column', async () => {
    const { catalogRunOf } = await import('../../src/service/catalog.js');
    const run = catalogRunOf(join(0, 0, true), true);
    expect(run.column_lineage).toEqual([
      { dataset: 'pg/out', column: 'id', sources: [{ dataset: 'pg/t1', column: 'id' }] },
    ]);
  });
});
