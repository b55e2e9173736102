import { readdirSync, readFileSync } from 'node:fs';
import avro from 'avsc';
import type { Schema as AvroSchema } from 'avsc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  avroToReport,
  decodeReportAvro,
  encodeReportAvro,
  REPORT_AVRO_SCHEMA,
  reportAvroType,
  reportToAvro,
  validateReport,
  type AvroReport,
  type Report,
} from '../../src/contract/index.js';
import { isRootlineError } from '../../src/errors/index.js';
import { reportArb } from './arbitraries.js';

const validDir = new URL('../vectors/reports/valid/', import.meta.url);
const examples = readdirSync(validDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => [f, JSON.parse(readFileSync(new URL(f, validDir), 'utf8')) as Report] as const);
const example = (name: string): Report => structuredClone(examples.find(([f]) => f === name)?.[1]) as Report;

describe('the Avro schema', () => {
  it('src/contract/report.avsc is REPORT_AVRO_SCHEMA', () => {
    const file = JSON.parse(
      readFileSync(new URL('../../src/contract/report.avsc', import.meta.url), 'utf8'),
    ) as unknown;
    expect(file).toEqual(JSON.parse(JSON.stringify(REPORT_AVRO_SCHEMA)));
  });

  it('is the record dev.rootline.Report and parses with avsc', () => {
    const type = avro.Type.forSchema(REPORT_AVRO_SCHEMA as unknown as AvroSchema);
    expect(type.name).toBe('dev.rootline.Report');
    expect(reportAvroType().name).toBe('dev.rootline.Report');
  });
});

describe('round trip report -> Avro bytes -> report', () => {
  it.each(examples.map(([f]) => f))('valid/%s survives unchanged', (file) => {
    const report = example(file);
    const bytes = encodeReportAvro(report);
    expect(decodeReportAvro(bytes)).toStrictEqual(report);
  });

  it('every generated valid report survives unchanged (property)', () => {
    fc.assert(
      fc.property(reportArb, (report) => {
        expect(validateReport(report).ok).toBe(true);
        expect(decodeReportAvro(encodeReportAvro(report))).toStrictEqual(report);
      }),
      { numRuns: 300 },
    );
  });

  it('is smaller than the JSON text', () => {
    const report = example('contract-example.json');
    expect(encodeReportAvro(report).length).toBeLessThan(JSON.stringify(report).length);
  });
});

describe('the mapping', () => {
  it('JSON-encodes params and extra schema-field keys, turns sketch base64 into bytes, keeps explicit nulls apart', () => {
    const report = example('nested-unicode-failed.json');
    const record = reportToAvro(report);
    expect(record.params?.['nested']).toBe('{"a":null,"b":[true,false,{"c":"d"}]}');
    expect(record.params?.['big']).toBe('1e+21');
    const schema = record.outputs![0]?.profile!.schema ?? [];
    expect(schema.find((f) => f.name === 'order_id')?.extra).toEqual({ description: '"primary key"' });
    expect(schema.find((f) => f.name === 'attrs')?.extra).toEqual({ metadata: '{"source":"json"}' });
    expect(schema.find((f) => f.name === 'attrs')?.nullable).toBeNull();
    const montant = record.outputs![0]?.profile!.columns?.['montant €'];
    expect(montant).toMatchObject({ min: null, max: null, mean: null, json_nulls: ['min', 'max', 'mean'] });
    const orderId = record.outputs![0]?.profile!.columns?.['order_id'];
    expect(orderId).toMatchObject({ min: 1, max: 5000, json_nulls: null });

    const sketchReport = example('contract-example-sketch.json');
    const sketch = reportToAvro(sketchReport).outputs![0]?.profile!.columns?.['avg_amount']?.sketch;
    const data = sketchReport.outputs![0]?.profile!.columns?.['avg_amount'];
    expect(sketch?.data).toEqual(Buffer.from(data?.kind === 'numeric' ? (data.sketch?.data ?? '') : '', 'base64'));
    expect(sketch?.data.length).toBe(80);
  });

  it('gives every optional field an explicit null, as Avro writers need', () => {
    const record = reportToAvro(example('minimal.json'));
    expect(record).toEqual({
      spec: 'rootline.report/v1',
      event_id: 'e-1',
      pipeline: 'p',
      node: 'n',
      run_id: 'r-1',
      event_time: '2026-01-01T00:00:00Z',
      status: null,
      upstream: null,
      inputs: null,
      outputs: [
        {
          dataset: 'd',
          profile: { row_count: 0, schema: null, schema_fingerprint: null, columns: null, content_hash: null },
          version: null,
          assertions: null,
          column_lineage: null,
        },
      ],
      code_version: null,
      data_version: null,
      params: null,
      column_lineage: null,
      error: null,
    });
    expect(reportAvroType().isValid(record)).toBe(true);
  });

  it('reads records of a newer writer schema: a new field type becomes unknown, a new field is dropped', () => {
    const newer = JSON.parse(JSON.stringify(REPORT_AVRO_SCHEMA)) as {
      fields: { name: string; type: unknown; default?: unknown }[];
    };
    newer.fields.push({ name: 'owner', type: ['null', 'string'], default: null });
    const text = JSON.stringify(newer).replace('"symbols":["string","boolean"', '"symbols":["uuid","string","boolean"');
    const writer = avro.Type.forSchema(JSON.parse(text) as AvroSchema);
    const record = { ...reportToAvro(example('contract-example.json')), owner: 'team-data' } as AvroReport & {
      owner: string;
    };
    const field = record.outputs![0]?.profile!.schema?.[0];
    if (field === undefined) throw new Error('example has a schema');
    (field as { type: string }).type = 'uuid';
    const bytes = writer.toBuffer(record);
    const reader = reportAvroType();
    const decoded = avroToReport(reader.fromBuffer(bytes, reader.createResolver(writer)) as AvroReport);
    expect(decoded.outputs![0]?.profile!.schema?.[0]?.type).toBe('unknown');
    expect('owner' in decoded).toBe(false);
  });

  it('carries profile.content_hash and inputs/outputs[].version, and reads records of the schema before them', () => {
    const report = example('contract-example.json');
    const output = report.outputs![0]!;
    output.profile!.content_hash = 'rch1:0123456789abcdef0123456789abcdef';
    output.version = 'iceberg:snapshot-8812';
    report.inputs = [{ dataset: 'raw', version: 'dvc:3f2a9c1' }];
    const type = reportAvroType();
    const back = avroToReport(type.fromBuffer(type.toBuffer(reportToAvro(report))) as AvroReport);
    expect(back.outputs![0]?.profile!.content_hash).toBe('rch1:0123456789abcdef0123456789abcdef');
    expect(back.outputs![0]?.version).toBe('iceberg:snapshot-8812');
    expect(back.inputs?.[0]).toEqual({ dataset: 'raw', version: 'dvc:3f2a9c1' });

    // the schema as it was before these fields: its records resolve with the new ones null, then absent
    const older = JSON.parse(
      JSON.stringify(REPORT_AVRO_SCHEMA, (k, v: unknown) =>
        Array.isArray(v) && k === 'fields'
          ? (v as { name: string }[]).filter((f) => f.name !== 'content_hash' && f.name !== 'version')
          : v,
      ),
    ) as AvroSchema;
    const writer = avro.Type.forSchema(older);
    const plain = example('contract-example.json');
    const { inputs: _inputs, ...rest } = reportToAvro(plain);
    const oldRecord = {
      ...rest,
      inputs: null,
      outputs: rest.outputs!.map(({ version: _v, profile: p, ...o }) => {
        const { content_hash: _c, ...profile } = p!;
        return { ...o, profile };
      }),
    };
    const decoded = avroToReport(
      type.fromBuffer(writer.toBuffer(oldRecord), type.createResolver(writer)) as AvroReport,
    );
    expect(decoded.outputs![0]?.profile!.content_hash).toBeUndefined();
    expect('version' in (decoded.outputs![0] ?? {})).toBe(false);
    expect(decoded.outputs![0]?.profile!.schema_fingerprint).toBe(plain.outputs![0]?.profile!.schema_fingerprint);
  });

  it('fails with DECODE_FAILED on bytes that are not a report, and on params that are not JSON', () => {
    const expectDecodeFailed = (fn: () => unknown): void => {
      let caught: unknown;
      try {
        fn();
      } catch (e: unknown) {
        caught = e;
      }
      expect(isRootlineError(caught, 'DECODE_FAILED')).toBe(true);
    };
    expectDecodeFailed(() => decodeReportAvro(Buffer.from('{"spec":"rootline.report/v1"}')));
    expectDecodeFailed(() => decodeReportAvro(encodeReportAvro(example('minimal.json')).subarray(0, 10)));
    const record = reportToAvro(example('contract-example.json'));
    record.params = { impute_strategy: 'median' };
    expectDecodeFailed(() => avroToReport(record));
  });
});

describe('optional statistics (a compatible change)', () => {
  const before = JSON.parse(
    readFileSync(new URL('../vectors/avro/report-before-optional-statistics.avsc', import.meta.url), 'utf8'),
  ) as AvroSchema;

  it('reads records written with the schema before statistics were optional', () => {
    const writer = avro.Type.forSchema(before);
    const plain = example('contract-example.json');
    const { error: _e, ...old } = reportToAvro(plain);
    const decoded = avroToReport(
      reportAvroType().fromBuffer(writer.toBuffer(old), reportAvroType().createResolver(writer)) as AvroReport,
    );
    expect(decoded).toEqual(plain);
  });

  it('round-trips a failed run without statistics: no row count, no profile, no outputs, the error', () => {
    const noStats = example('no-statistics-failed.json');
    expect(decodeReportAvro(encodeReportAvro(noStats))).toEqual(noStats);
    const none = example('no-outputs.json');
    expect(decodeReportAvro(encodeReportAvro(none))).toEqual(none);
    const empty = example('empty-outputs.json');
    expect(decodeReportAvro(encodeReportAvro(empty))).toEqual(empty);
  });
});
