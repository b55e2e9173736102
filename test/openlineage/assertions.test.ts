// OpenLineage's dataQualityAssertions facet (dbt tests, Great Expectations): the converter carries each result on
// its dataset, the core turns every failed one into a finding of rule assertion_failed naming the test, the column
// and the dataset, and RCA walks from a failed test of an input to the run that wrote it.
import { describe, expect, it } from 'vitest';
import { decodeReportAvro, encodeReportAvro, validateReport, type Report } from '../../src/contract/index.js';
import { MonitorCore, emptyOutput } from '../../src/monitor/index.js';
import { convertRunEvent } from '../../src/openlineage/index.js';
import { RULES } from '../monitor/drive.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const HOUR = 3_600_000;
const uuid = (n: number, k = 0) => `00000000-0000-4000-8000-${(k * 1_000_000 + n).toString(16).padStart(12, '0')}`;

function olEvent(over: Record<string, unknown>): Record<string, unknown> {
  return {
    eventType: 'COMPLETE',
    eventTime: '2026-03-01T00:00:00Z',
    producer: 'https://github.com/OpenLineage/OpenLineage/tree/1.39.0/integration/dbt',
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
    run: { runId: uuid(1) },
    job: { namespace: 'dbt', name: 'shop.orders.test' },
    ...over,
  };
}

const assertionsFacet = (assertions: unknown[]) => ({
  _producer: 'https://github.com/OpenLineage/OpenLineage/tree/1.39.0/integration/dbt',
  _schemaURL: 'https://openlineage.io/spec/facets/1-0-1/DataQualityAssertionsDatasetFacet.json',
  assertions,
});

function convert(e: unknown): Report {
  const res = convertRunEvent(e);
  if ('errors' in res) throw new Error(res.errors.join('; '));
  expect(res.reports).toHaveLength(1);
  return res.reports[0]!;
}

describe('the converter', () => {
  it('carries dataQualityAssertions of inputs (input facet) and outputs (dataset facet) on the datasets', () => {
    const r = convert(
      olEvent({
        inputs: [
          {
            namespace: 'postgres://db:5432',
            name: 'shop.orders',
            inputFacets: {
              dataQualityAssertions: assertionsFacet([
                { assertion: 'not_null', success: false, column: 'id' },
                { assertion: 'unique', success: true, column: 'id' },
                { assertion: 'row_count_between', success: true },
              ]),
            },
          },
        ],
        outputs: [
          {
            namespace: 'postgres://db:5432',
            name: 'shop.orders_clean',
            facets: {
              dataQualityAssertions: assertionsFacet([
                { assertion: 'accepted_values', success: false, column: 'status' },
              ]),
            },
          },
        ],
      }),
    );
    expect(validateReport(r).ok).toBe(true);
    expect(r.inputs).toEqual([
      {
        dataset: 'postgres://db:5432/shop.orders',
        assertions: [
          { assertion: 'not_null', success: false, column: 'id' },
          { assertion: 'unique', success: true, column: 'id' },
          { assertion: 'row_count_between', success: true },
        ],
      },
    ]);
    expect(r.outputs).toEqual([
      {
        dataset: 'postgres://db:5432/shop.orders_clean',
        assertions: [{ assertion: 'accepted_values', success: false, column: 'status' }],
      },
    ]);
  });

  it('leaves out entries without an assertion name or a boolean success, and keeps the rest', () => {
    const r = convert(
      olEvent({
        inputs: [
          {
            namespace: 'pg',
            name: 't',
            inputFacets: {
              dataQualityAssertions: assertionsFacet([
                { assertion: 'not_null', success: 'no', column: 'id' },
                { success: false },
                { assertion: 'unique', success: false, column: 'id' },
              ]),
            },
          },
        ],
      }),
    );
    expect(r.inputs![0]!.assertions).toEqual([{ assertion: 'unique', success: false, column: 'id' }]);
  });

  it('a report with assertions passes the contract and survives Avro', () => {
    const r = convert(
      olEvent({
        inputs: [
          {
            namespace: 'pg',
            name: 't',
            inputFacets: {
              dataQualityAssertions: assertionsFacet([
                { assertion: 'not_null', success: false, column: 'id' },
                { assertion: 'row_count', success: true },
              ]),
            },
          },
        ],
      }),
    );
    expect(decodeReportAvro(encodeReportAvro(r))).toEqual(r);
    const bad = structuredClone(r) as unknown as { inputs: { assertions: unknown[] }[] };
    bad.inputs[0]!.assertions[0] = { assertion: 'not_null', success: 'false' };
    const v = validateReport(bad);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.errors.map((e) => e.path)).toContain('/inputs/0/assertions/0/success');
  });
});

/** A run of `writer` writing dataset `orders` (columns id, status) with `nullIds` null ids of 1000. */
function writerRun(i: number, nullIds: number): Report {
  return {
    spec: 'rootline.report/v1',
    event_id: `w-${i}`,
    pipeline: 'shop',
    node: 'build_orders',
    run_id: uuid(i, 1),
    event_time: new Date(T0 + i * HOUR).toISOString(),
    outputs: [
      {
        dataset: 'pg/shop.orders',
        profile: {
          row_count: 1000,
          columns: {
            id: { kind: 'numeric', count: 1000, null_count: nullIds, min: 1, max: 1000, mean: 500 },
            status: { kind: 'categorical', count: 1000, null_count: 0 },
          },
        },
      },
    ],
  };
}

/** A run of the test job reading `orders`, with one not_null test on `column`. */
function testRun(i: number, column: string, success: boolean): Report {
  return {
    spec: 'rootline.report/v1',
    event_id: `t-${i}`,
    pipeline: 'shop',
    node: 'orders.test',
    run_id: uuid(i, 2),
    event_time: new Date(T0 + i * HOUR + 60_000).toISOString(),
    inputs: [{ dataset: 'pg/shop.orders', assertions: [{ assertion: 'not_null', success, column }] }],
    outputs: [],
  };
}

describe('the core', () => {
  it('a failed assertion is a finding of rule assertion_failed naming the test, column and dataset', () => {
    const core = new MonitorCore({ rules: RULES });
    const out = core.processBatch([testRun(0, 'id', false)], emptyOutput());
    const f = out.findings.filter((x) => x.metric === 'assertion');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      rule: 'assertion_failed',
      severity: 'critical',
      column: 'id',
      dataset: 'pg/shop.orders',
      message: 'assertion not_null failed on column id of pg/shop.orders (as read)',
    });
    expect(out.runs[0]!.run.healthy).toBe(false);
    const incident = core.incidents().find((i) => i.culprit === 'orders.test');
    expect(incident?.metric).toBe('assertion');
    expect(incident?.cause.kind).toBe('test_failed');
  });

  it('a passing assertion is no finding', () => {
    const core = new MonitorCore({ rules: RULES });
    const out = core.processBatch([testRun(0, 'id', true)], emptyOutput());
    expect(out.findings).toEqual([]);
    expect(out.runs[0]!.run.healthy).toBe(true);
  });

  it('RCA: a failed test of an input is caused by its writer when the writer shows a finding on that column', () => {
    const core = new MonitorCore({ rules: RULES });
    for (let i = 0; i < 8; i++) core.processBatch([writerRun(i, 0), testRun(i, 'id', true)], emptyOutput());
    core.processBatch([writerRun(8, 400), testRun(8, 'id', false)], emptyOutput());
    const open = core.incidents().filter((i) => i.status === 'open');
    expect(open.map((i) => i.culprit)).toEqual(['build_orders']);
    expect(open[0]!.column).toBe('id');
    expect(open[0]!.symptoms.some((s) => s.node === 'orders.test' && s.metric === 'assertion')).toBe(true);
  });

  it('RCA: a finding of the writer on another column does not explain the failed test', () => {
    const core = new MonitorCore({ rules: RULES });
    for (let i = 0; i < 8; i++) core.processBatch([writerRun(i, 0), testRun(i, 'status', true)], emptyOutput());
    core.processBatch([writerRun(8, 400), testRun(8, 'status', false)], emptyOutput());
    const open = core.incidents().filter((i) => i.status === 'open');
    expect(open.map((i) => i.culprit).sort()).toEqual(['build_orders', 'orders.test']);
    expect(open.find((i) => i.culprit === 'orders.test')!.metric).toBe('assertion');
  });

  it('a failed test on a START is taken over by the COMPLETE that closes the run', () => {
    const core = new MonitorCore({ rules: RULES });
    const dataset = {
      namespace: 'pg',
      name: 'shop.orders',
      inputFacets: { dataQualityAssertions: assertionsFacet([{ assertion: 'unique', success: false, column: 'id' }]) },
    };
    const start = convertRunEvent(olEvent({ eventType: 'START', inputs: [dataset] }));
    if ('errors' in start || start.progress === undefined) throw new Error('no progress');
    core.processProgress(start.progress);
    const end = convert(
      olEvent({ eventTime: '2026-03-01T00:05:00Z', inputs: [{ namespace: 'pg', name: 'shop.orders' }] }),
    );
    const out = core.processBatch([end], emptyOutput());
    expect(out.findings.filter((f) => f.metric === 'assertion').map((f) => f.message)).toEqual([
      'assertion unique failed on column id of pg/shop.orders (as read)',
    ]);
  });
});
