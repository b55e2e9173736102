// The OpenLineage adapter on events emitted by the real openlineage-python client
// (test/vectors/openlineage, written by scripts/vectors/openlineage_events.py), checked field by field,
// plus edge cases on hand-made events.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { schemaFingerprint, validateReport, type Report } from '../../src/contract/index.js';
import {
  OPENLINEAGE_UUID_NAMESPACE,
  convertRunEvent,
  createRunEventConverter,
  openLineageEventId,
  uuidV5,
  type ConvertResult,
} from '../../src/openlineage/index.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors', 'openlineage');

interface Manifest {
  openlineage_python: string;
  event_id_namespace: string;
  events: Record<string, { file: string; eventType: string; expected_event_id: string }>;
}

const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as Manifest;

function event(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(DIR, manifest.events[name]!.file), 'utf8')) as Record<string, unknown>;
}

function single(res: ConvertResult): Report {
  if ('errors' in res) throw new Error(res.errors.join('; '));
  expect(res.reports).toHaveLength(1);
  expect(res.ignored).toBeUndefined();
  const r = res.reports[0]!;
  expect(validateReport(r).ok).toBe(true);
  return r;
}

describe('convertRunEvent on the openlineage-python client vectors', () => {
  it('has every event the script wrote', () => {
    expect(Object.keys(manifest.events).sort()).toEqual([
      'abort',
      'complete_full',
      'complete_nested_spark',
      'complete_no_stats',
      'fail_sql',
      'running',
      'start',
    ]);
    expect(manifest.event_id_namespace).toBe(OPENLINEAGE_UUID_NAMESPACE);
  });

  it('COMPLETE with parent, source code, statistics and schema facets -> one report, field by field', () => {
    const e = event('complete_full');
    const r = single(convertRunEvent(e));
    const run = e.run as { runId: string };
    expect(r.event_id).toBe(manifest.events.complete_full!.expected_event_id);
    expect(r).toMatchObject({
      spec: 'rootline.report/v1',
      // the parent facet's root job (the Airflow DAG) names the pipeline; the job is the node
      pipeline: 'airflow-prod/churn_daily',
      node: 'churn_daily.compute_avg_amount',
      run_id: run.runId,
      event_time: '2026-11-21T10:00:05.123456+00:00',
      status: 'success',
      code_version: 'git:3f2a9c1',
      data_version: 'snapshot-2026-11-21T10',
    });
    // the parent is the orchestrating run, not a data dependency: no upstream edge
    expect(r.upstream).toBeUndefined();
    // without a producer resolver, column lineage is left out
    expect(r.column_lineage).toBeUndefined();

    expect(r.inputs!.map((i) => i.dataset)).toEqual([
      'postgres://db.internal:5432/lake.clean.transactions',
      'postgres://db.internal:5432/lake.clean.customers',
    ]);
    expect(r.inputs![1]!.profile).toBeUndefined();
    const input = r.inputs![0]!.profile!;
    expect(input.row_count).toBe(10_000);
    expect(input.schema).toEqual([
      { name: 'customer_id', type: 'string', nullable: true },
      { name: 'amount', type: 'decimal', nullable: true },
      { name: 'ts', type: 'timestamp', nullable: true },
      { name: 'country', type: 'string', nullable: true },
    ]);
    expect(input.schema_fingerprint).toBe(schemaFingerprint(input.schema!));
    expect(input.columns).toEqual({
      amount: { kind: 'numeric', count: 10_000, null_count: 12, min: 0.5, max: 912, mean: 541_359.5 / 9_988 },
      country: { kind: 'categorical', count: 10_000, null_count: 40, distinct_estimate: 31 },
      customer_id: { kind: 'categorical', count: 10_000, null_count: 0, distinct_estimate: 9_000 },
    });

    expect(r.outputs).toHaveLength(1);
    const out = r.outputs![0]!;
    expect(out.dataset).toBe('s3://lake/features/avg_amount');
    expect(out.profile!.row_count).toBe(9_000);
    expect(out.profile!.schema).toEqual([
      { name: 'customer_id', type: 'string', nullable: true },
      { name: 'avg_amount', type: 'double', nullable: true },
      { name: 'n_tx', type: 'long', nullable: true },
    ]);
    expect(out.profile!.schema_fingerprint).toBe(schemaFingerprint(out.profile!.schema!));
    expect(out.profile!.columns).toBeUndefined();
  });

  it('maps column lineage when every input field has a known producer, and leaves out the columns that do not', () => {
    const e = event('complete_full');
    const producers: Record<string, string> = {
      'postgres://db.internal:5432/lake.clean.transactions': 'clean_transactions',
    };
    const partial = single(createRunEventConverter({ producerOf: (d) => producers[d] })(e));
    // customer_id also derives from lake.clean.customers, whose producer is unknown: left out
    expect(partial.column_lineage).toEqual({ avg_amount: [{ node: 'clean_transactions', column: 'amount' }] });
    producers['postgres://db.internal:5432/lake.clean.customers'] = 'load_customers';
    const full = single(createRunEventConverter({ producerOf: (d) => producers[d] })(e));
    expect(full.column_lineage).toEqual({
      avg_amount: [{ node: 'clean_transactions', column: 'amount' }],
      customer_id: [
        { node: 'clean_transactions', column: 'customer_id' },
        { node: 'load_customers', column: 'id' },
      ],
    });
  });

  it('pipelineFrom "namespace" keeps the job namespace even with a parent', () => {
    const r = single(createRunEventConverter({ pipelineFrom: 'namespace' })(event('complete_full')));
    expect(r.pipeline).toBe('airflow-prod');
  });

  it('FAIL -> status failed; no parent -> the job namespace is the pipeline; a SQL job facet -> a code version', () => {
    const e = event('fail_sql');
    const r = single(convertRunEvent(e));
    expect(r.event_id).toBe(manifest.events.fail_sql!.expected_event_id);
    expect(r).toMatchObject({
      pipeline: 'dbt-analytics',
      node: 'models.orders_enriched',
      status: 'failed',
      event_time: '2026-11-21T11:30:00Z',
    });
    expect(r.code_version).toMatch(/^sql:sha256:[0-9a-f]{12}$/);
    expect(r.inputs).toEqual([{ dataset: 'postgres://db.internal:5432/analytics.orders' }]);
    expect(r.outputs).toEqual([
      { dataset: 'postgres://db.internal:5432/analytics.orders_enriched', profile: { row_count: 0 } },
    ]);
    expect(r.data_version).toBeUndefined();
  });

  it('a nested schema facet becomes struct / array fields; a sourceCode facet a hashed code version', () => {
    const r = single(convertRunEvent(event('complete_nested_spark')));
    expect(r.event_id).toBe(manifest.events.complete_nested_spark!.expected_event_id);
    expect(r).toMatchObject({
      pipeline: 'spark-cluster',
      node: 'users_enrich.execute_insert_into',
      event_time: '2026-11-21T13:00:00.5+01:00',
    });
    expect(r.code_version).toMatch(/^python:sha256:[0-9a-f]{12}$/);
    expect(r.outputs![0]!.profile).toMatchObject({ row_count: 1500 });
    expect(r.outputs![0]!.profile!.schema).toEqual([
      { name: 'id', type: 'long', nullable: true },
      { name: 'tags', type: 'array', nullable: true, items: { type: 'string' } },
      {
        name: 'address',
        type: 'struct',
        nullable: true,
        fields: [
          { name: 'city', type: 'string', nullable: true },
          { name: 'zip', type: 'int', nullable: true },
        ],
      },
      { name: 'score', type: 'float', nullable: true },
      { name: 'created', type: 'date', nullable: true },
    ]);
    // the input has a schema but no row count: the dataset is kept (a lineage edge) with its schema only
    expect(r.inputs).toHaveLength(1);
    expect(r.inputs![0]!.dataset).toBe('hive://metastore/raw.users');
    expect(r.inputs![0]!.profile?.row_count).toBeUndefined();
    expect(r.inputs![0]!.profile?.schema_fingerprint).toMatch(/^sha256:/);
  });

  it('START and RUNNING carry no outcome: no report, the progress of the run (its start and datasets)', () => {
    const start = convertRunEvent(event('start'));
    if ('errors' in start) throw new Error(start.errors.join('; '));
    expect(start.reports).toEqual([]);
    expect(start.ignored).toBeUndefined();
    expect(start.progress).toMatchObject({
      pipeline: 'airflow-prod/churn_daily',
      node: 'churn_daily.compute_avg_amount',
      run_id: 'ea80c76e-827b-5a30-b8a8-ff9077886a86',
      event_time: '2026-11-21T10:00:00.000000+00:00',
      phase: 'START',
    });
    expect(start.progress!.inputs!.length).toBeGreaterThan(0);
    const running = convertRunEvent(event('running'));
    if ('errors' in running) throw new Error(running.errors.join('; '));
    expect(running).toEqual({
      reports: [],
      progress: {
        // no parent facet on this one: the namespace is its pipeline
        pipeline: 'airflow-prod',
        node: 'churn_daily.compute_avg_amount',
        run_id: 'ea80c76e-827b-5a30-b8a8-ff9077886a86',
        event_time: '2026-11-21T10:00:02.500000+00:00',
        phase: 'RUNNING',
      },
    });
  });

  it('OTHER carries no outcome: ignored with the reason', () => {
    const res = convertRunEvent({ ...event('running'), eventType: 'OTHER' });
    expect(res).toEqual({
      reports: [],
      ignored: expect.stringMatching(/^eventType OTHER: only COMPLETE, FAIL and ABORT/) as unknown,
    });
  });

  it('RUNNING with statistics (as Spark sends them): the progress carries the outputs row count', () => {
    const res = convertRunEvent({
      ...event('running'),
      outputs: [
        { namespace: 's3://lake', name: 'clean', outputFacets: { outputStatistics: { rowCount: 1234, size: 99 } } },
      ],
    });
    if ('errors' in res) throw new Error(res.errors.join('; '));
    expect(res.progress?.outputs).toEqual([{ dataset: 's3://lake/clean', profile: { row_count: 1234 } }]);
  });

  it('ABORT ends the run: a failed run', () => {
    const r = single(convertRunEvent(event('abort')));
    expect(r.status).toBe('failed');
    expect(r.error?.message).toBeTruthy();
  });

  it('a COMPLETE whose outputs carry no row count is still a run: its outputs without statistics', () => {
    const r = single(convertRunEvent(event('complete_no_stats')));
    expect(r).toMatchObject({ pipeline: 'batch', node: 'export_report', status: 'success' });
    expect(r.outputs!.map((o) => o.dataset)).toEqual(['s3://exports/reports/daily.csv']);
    expect(r.outputs![0]!.profile?.row_count).toBeUndefined();
  });

  it('derives the same event id as Python uuid5 for every vector (so a re-sent event dedupes)', () => {
    for (const [name, m] of Object.entries(manifest.events)) {
      const e = event(name);
      expect(openLineageEventId((e.run as { runId: string }).runId, m.eventType), name).toBe(m.expected_event_id);
    }
    // RFC 9562 / Python: uuid5(NAMESPACE_URL, "https://rootline.dev/openlineage")
    expect(uuidV5('6ba7b811-9dad-11d1-80b4-00c04fd430c8', 'https://rootline.dev/openlineage')).toBe(
      OPENLINEAGE_UUID_NAMESPACE,
    );
  });
});

describe('convertRunEvent on hand-made events', () => {
  const base = () => ({
    eventType: 'COMPLETE',
    eventTime: '2026-11-21T10:00:00Z',
    producer: 'test',
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
    run: { runId: '3f1b6a2e-1c1d-4b7a-9d55-0e4bb7d0b001', facets: {} as Record<string, unknown> },
    job: { namespace: 'ns', name: 'job' },
    inputs: [] as unknown[],
    outputs: [{ namespace: 'db', name: 't', outputFacets: { outputStatistics: { rowCount: 5 } } }] as unknown[],
  });

  it('lists what is missing', () => {
    expect(convertRunEvent({ eventType: 'COMPLETE', run: {}, job: { namespace: '' } })).toEqual({
      errors: [
        'producer is required (a URI)',
        'job.namespace must not be empty',
        'job.name is required (a non-empty string)',
        'run.runId is required (a UUID)',
        'eventTime is required (a date-time string)',
      ],
    });
    expect(convertRunEvent([])).toEqual({ errors: ['an OpenLineage RunEvent must be a JSON object'] });
    const e = { ...base(), eventTime: 'yesterday' };
    const res = convertRunEvent(e);
    expect('errors' in res && res.errors[0]).toMatch(/^eventTime "yesterday"/);
  });

  it('takes an eventTime without an offset as UTC', () => {
    const r = single(convertRunEvent({ ...base(), eventTime: '2026-11-21T10:00:00.123456' }));
    expect(r.event_time).toBe('2026-11-21T10:00:00.123456Z');
  });

  it('uses the parent job (namespace and name) when the parent facet has no root', () => {
    const e = base();
    e.run.facets.parent = {
      run: { runId: '3f1b6a2e-1c1d-4b7a-9d55-0e4bb7d0b002' },
      job: { namespace: 'airflow', name: 'my_dag' },
    };
    expect(single(convertRunEvent(e)).pipeline).toBe('airflow/my_dag');
  });

  it('a JobEvent is lineage without a run: the datasets its job reads and writes', () => {
    const res = convertRunEvent({
      eventTime: '2026-11-21T10:00:00Z',
      producer: 'https://example.com/p',
      schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent',
      job: { namespace: 'dbt-prod', name: 'model.shop.orders' },
      inputs: [{ namespace: 'pg://db', name: 'raw.orders' }],
      outputs: [
        { namespace: 'pg://db', name: 'shop.orders' },
        { namespace: 'pg://db', name: 'shop.orders' },
      ],
    });
    expect(res).toEqual({
      reports: [],
      lineage: {
        kind: 'job',
        pipeline: 'dbt-prod',
        node: 'model.shop.orders',
        event_time: '2026-11-21T10:00:00Z',
        inputs: ['pg://db/raw.orders'],
        outputs: ['pg://db/shop.orders'],
      },
    });
  });

  it('a DatasetEvent: the datasets its columnLineage derives it from; without namespace an error naming it', () => {
    const dataset = {
      namespace: 'pg://db',
      name: 'shop.orders',
      facets: {
        columnLineage: {
          fields: {
            id: { inputFields: [{ namespace: 'pg://db', name: 'raw.orders', field: 'id' }] },
            total: { inputFields: [{ namespace: 'pg://db', name: 'raw.items', field: 'price' }] },
          },
        },
      },
    };
    const res = convertRunEvent({ eventTime: '2026-11-21T10:00:00Z', producer: 'https://example.com/p', dataset });
    expect(res).toEqual({
      reports: [],
      lineage: {
        kind: 'dataset',
        pipeline: 'pg://db',
        dataset: 'pg://db/shop.orders',
        event_time: '2026-11-21T10:00:00Z',
        inputs: ['pg://db/raw.items', 'pg://db/raw.orders'],
      },
    });
    const bad = convertRunEvent({
      eventTime: '2026-11-21T10:00:00Z',
      producer: 'https://example.com/p',
      dataset: { name: 'x' },
    });
    expect('errors' in bad && bad.errors.join('; ')).toContain('dataset.namespace');
  });

  it('two Airflow instances (namespaces) running a DAG of the same id are two pipelines', () => {
    const pipelines = ['airflow-eu', 'airflow-us'].map((ns) => {
      const e = base();
      e.run.facets.parent = {
        run: { runId: '3f1b6a2e-1c1d-4b7a-9d55-0e4bb7d0b002' },
        job: { namespace: ns, name: 'my_dag' },
        root: { run: { runId: '3f1b6a2e-1c1d-4b7a-9d55-0e4bb7d0b002' }, job: { namespace: ns, name: 'my_dag' } },
      };
      return single(convertRunEvent(e)).pipeline;
    });
    expect(pipelines).toEqual(['airflow-eu/my_dag', 'airflow-us/my_dag']);
  });

  it('leaves out metrics it cannot trust, and a schema with duplicate names', () => {
    const e = base();
    e.outputs = [
      {
        namespace: 'db',
        name: 't',
        facets: {
          schema: {
            fields: [
              { name: 'a', type: 'int' },
              { name: 'b', type: 'varchar' },
              { name: 'd', type: 'double' },
              { name: 'n', type: 'struct', fields: [{ name: 'x', type: 'int' }] },
            ],
          },
          dataQualityMetrics: {
            rowCount: 10,
            columnMetrics: {
              a: { nullCount: 2, min: 5, max: 1, sum: 30 },
              b: { distinctCount: 3 },
              d: { nullCount: 1, min: 0.5, max: 9.5, distinctCount: 7 },
              c: { nullCount: 0 },
              n: { nullCount: 0 },
              z: { nullCount: 11 },
            },
          },
        },
      },
      {
        namespace: 'db',
        name: 'dup',
        facets: {
          schema: {
            fields: [
              { name: 'a', type: 'int' },
              { name: 'a', type: 'int' },
            ],
          },
        },
        outputFacets: { outputStatistics: { rowCount: 1 } },
      },
    ];
    const r = single(convertRunEvent(e));
    // min > max: kept the counts and the mean, not the range; b: no nullCount; c: not in the schema; n: nested; z: nulls > rows;
    // d: a numeric column's distinctCount is kept (the repeats rule's input)
    expect(r.outputs![0]!.profile!.columns).toEqual({
      a: { kind: 'numeric', count: 10, null_count: 2, mean: 30 / 8 },
      d: { kind: 'numeric', count: 10, null_count: 1, min: 0.5, max: 9.5, distinct_estimate: 7 },
    });
    expect(r.outputs![1]!.profile).toEqual({ row_count: 1 });
  });

  it('de-duplicates datasets and is deterministic', () => {
    const e = base();
    e.outputs.push(e.outputs[0]);
    e.inputs = [
      { namespace: 'db', name: 'src' },
      { namespace: 'db', name: 'src' },
    ];
    const a = single(convertRunEvent(e));
    expect(a.outputs).toHaveLength(1);
    expect(a.inputs).toEqual([{ dataset: 'db/src' }]);
    expect(single(convertRunEvent(e))).toEqual(a);
  });

  // 100,000 inputs blocked the event loop for 33 s when each was compared with every earlier one.
  it('100,000 inputs (10,000 distinct, the cap, each repeated) convert in one linear pass', () => {
    const e = base();
    e.inputs = Array.from({ length: 100_000 }, (_, i) => ({ namespace: 'db', name: `src_${i % 10_000}` }));
    e.outputs = Array.from({ length: 100_000 }, (_, i) => ({
      namespace: 'db',
      name: `out_${i % 3}`,
      outputFacets: { outputStatistics: { rowCount: 5 } },
    }));
    const r = single(convertRunEvent(e));
    expect(r.inputs).toHaveLength(10_000);
    expect(r.inputs!.slice(0, 3)).toEqual([{ dataset: 'db/src_0' }, { dataset: 'db/src_1' }, { dataset: 'db/src_2' }]);
    expect(r.inputs![9_999]).toEqual({ dataset: 'db/src_9999' });
    expect(r.outputs!.map((o) => o.dataset)).toEqual(['db/out_0', 'db/out_1', 'db/out_2']);
  });

  // Before the fix this one took 76 s (a quadratic dedup), far beyond the test timeout.
  it('100,000 distinct inputs convert in linear time; one more than the contract cap is an error naming it', () => {
    const e = base();
    e.inputs = Array.from({ length: 100_000 }, (_, i) => ({ namespace: 'db', name: `src_${i}` }));
    const ok = convertRunEvent(e);
    expect('reports' in ok && ok.reports[0]!.inputs).toHaveLength(100_000);
    e.inputs.push({ namespace: 'db', name: 'one_more' });
    expect(convertRunEvent(e)).toEqual({
      errors: ['the converted report is invalid: /inputs: has 100001 items; at most 100000 are allowed'],
    });
  });

  it('column lineage from many input fields is merged linearly, each source once', () => {
    const fields = Array.from({ length: 100_000 }, (_, i) => ({
      namespace: 'db',
      name: 'src',
      field: `c${i % 10_000}`,
    }));
    const e = base();
    e.outputs = [
      {
        namespace: 'db',
        name: 't',
        outputFacets: { outputStatistics: { rowCount: 5 } },
        facets: { columnLineage: { fields: { total: { inputFields: fields } } } },
      },
      {
        namespace: 'db',
        name: 't2',
        outputFacets: { outputStatistics: { rowCount: 5 } },
        facets: { columnLineage: { fields: { total: { inputFields: fields.slice(0, 2_000) } } } },
      },
    ];
    const r = single(createRunEventConverter({ producerOf: () => 'load' })(e));
    expect(r.column_lineage?.['total']).toHaveLength(10_000);
    expect(r.column_lineage?.['total']?.[9_999]).toEqual({ node: 'load', column: 'c9999' });
  });
});
