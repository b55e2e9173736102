import { convertRunEvent } from '../../../src/openlineage/index.js';
import { describe, expect, it } from 'vitest';
import { reportToAvro, type Report } from '../../../src/contract/index.js';
import type { RootlineError } from '../../../src/errors/index.js';
import { isRootlineError } from '../../../src/errors/index.js';
import {
  decodeMessage,
  isOpenLineageEvent,
  registryVerdict,
  type AvroDecoder,
  type Decoded,
  type OpenLineageConverter,
} from '../../../src/adapters/decode/decode.js';
import { PipelineSim, makeDag } from '../../../src/sim/index.js';

const sim = new PipelineSim(makeDag('chain', 2, 'churn', 1), { seed: 1 });
const report: Report = sim.run(0)[1]!;
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const MAX = 1_000_000;

/** Confluent framing: magic byte 0, schema id (big-endian int32), payload. */
function framed(id: number, payload = Buffer.from('avro-bytes')): Buffer {
  const b = Buffer.alloc(5 + payload.length);
  b.writeUInt8(0, 0);
  b.writeInt32BE(id, 1);
  payload.copy(b, 5);
  return b;
}

/** A schema registry client stand-in: schema 7 decodes to the report's Avro record. */
class FakeAvro implements AvroDecoder {
  constructor(private readonly records: Map<number, unknown>) {}
  decode(buffer: Buffer): Promise<unknown> {
    const id = buffer.readInt32BE(1);
    if (id === 500 || id === 503 || id === 401 || id === 422)
      return Promise.reject(
        Object.assign(new Error(`Confluent_Schema_Registry - Error, status ${id}`), { status: id }),
      );
    // What mappersmith makes of a refused connection and of a timeout: a status-400 response.
    if (id === 4000)
      return Promise.reject(
        Object.assign(new Error('Confluent_Schema_Registry - Error, status 400: connect ECONNREFUSED 127.0.0.1:1'), {
          status: 400,
        }),
      );
    if (id === 4001)
      return Promise.reject(
        Object.assign(new Error('Confluent_Schema_Registry - Error, status 400: Timeout (10000ms)'), { status: 400 }),
      );
    if (id === 404)
      return Promise.reject(
        Object.assign(new Error('Confluent_Schema_Registry - No content with id 404404 was found'), { status: 404 }),
      );
    if (!this.records.has(id)) return Promise.reject(new Error(`Confluent_Schema_Registry - Schema ${id} not found`));
    return Promise.resolve(this.records.get(id));
  }
}
const avro = new FakeAvro(
  new Map<number, unknown>([
    [7, reportToAvro(report)],
    [8, { hello: 'world' }],
    [9, { ...reportToAvro(report), node: '' }],
  ]),
);

const dead = (d: Decoded[]) => {
  expect(d).toHaveLength(1);
  expect(d[0]!.kind).toBe('dead');
  return d[0] as Extract<Decoded, { kind: 'dead' }>;
};

describe('decodeMessage: JSON', () => {
  it('a name with a lone surrogate is REPORT_INVALID (it would reach Kafka and InfluxDB as U+FFFD); pairs are fine', async () => {
    const lone = JSON.stringify({ ...report, node: 'a\uD800b' });
    expect(lone).toContain('\\ud800');
    const d = dead(await decodeMessage(Buffer.from(lone), { maxMessageBytes: MAX }));
    expect(d).toMatchObject({ code: 'REPORT_INVALID' });
    expect(d.reason).toBe('/node: is not valid Unicode (contains a lone surrogate)');
    const key = JSON.stringify({ ...report, params: { ['k\uDC00']: 1 } });
    expect(dead(await decodeMessage(Buffer.from(key), { maxMessageBytes: MAX })).reason).toMatch(/^\/params: a key/);
    const emoji = JSON.stringify({ ...report, node: 'sales📈' });
    expect((await decodeMessage(Buffer.from(emoji), { maxMessageBytes: MAX }))[0]!.kind).toBe('report');
  });

  it('a report nested 100,000 levels deep is REPORT_INVALID naming the nesting, not a stack overflow later', async () => {
    const text = JSON.stringify({ ...report, params: { deep: '@@' } }).replace(
      '"@@"',
      '{"a":'.repeat(100_000) + '0' + '}'.repeat(100_000),
    );
    const d = dead(await decodeMessage(Buffer.from(text), { maxMessageBytes: 10_000_000 }));
    expect(d.code).toBe('REPORT_INVALID');
    expect(d.reason).toMatch(/^\/params\/deep\/a\/a.*: is nested deeper than 256 levels/);
    expect(dead(await decodeMessage(Buffer.from('['.repeat(100_000)), { maxMessageBytes: MAX })).code).toBe(
      'MALFORMED_JSON',
    );
    const ok = JSON.stringify({ ...report, params: { deep: '@@' } }).replace('"@@"', '['.repeat(200) + ']'.repeat(200));
    expect((await decodeMessage(Buffer.from(ok), { maxMessageBytes: MAX }))[0]!.kind).toBe('report');
  });

  it('a valid report', async () => {
    expect(await decodeMessage(json(report), { maxMessageBytes: MAX })).toEqual([
      { kind: 'report', report, format: 'json' },
    ]);
  });

  it('malformed JSON is MALFORMED_JSON with a reason', async () => {
    const d = dead(await decodeMessage(Buffer.from('{"spec": "rootline.report/v1",'), { maxMessageBytes: MAX }));
    expect(d.code).toBe('MALFORMED_JSON');
    expect(d.reason).not.toBe('');
  });

  it('bytes that are not UTF-8', async () => {
    expect(dead(await decodeMessage(Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), { maxMessageBytes: MAX }))).toMatchObject({
      code: 'MALFORMED_JSON',
      reason: 'the message is neither Avro (magic byte 0) nor UTF-8 JSON',
    });
  });

  it('an invalid report: REPORT_INVALID with every path', async () => {
    const d = dead(await decodeMessage(json({ ...report, node: 7, outputs: {} }), { maxMessageBytes: MAX }));
    expect(d.code).toBe('REPORT_INVALID');
    expect(d.reason).toContain('/node');
    expect(d.reason).toContain('/outputs');
  });

  it('oversized and empty messages', async () => {
    const big = json(report);
    expect(dead(await decodeMessage(big, { maxMessageBytes: big.length - 1 }))).toMatchObject({
      code: 'MESSAGE_TOO_LARGE',
      reason: expect.stringContaining(`${big.length} bytes`) as string,
    });
    expect((await decodeMessage(big, { maxMessageBytes: big.length }))[0]!.kind).toBe('report');
    expect(dead(await decodeMessage(null, { maxMessageBytes: MAX })).code).toBe('EMPTY');
    expect(dead(await decodeMessage(Buffer.alloc(0), { maxMessageBytes: MAX })).code).toBe('EMPTY');
  });

  it('a short value starting with a zero byte is not Avro', async () => {
    expect(dead(await decodeMessage(Buffer.from([0, 1, 2]), { maxMessageBytes: MAX, avro })).code).toBe(
      'MALFORMED_JSON',
    );
  });
});

describe('decodeMessage: Avro (Confluent framing)', () => {
  it('decodes through the registry client into the same report', async () => {
    expect(await decodeMessage(framed(7), { maxMessageBytes: MAX, avro })).toEqual([
      { kind: 'report', report, format: 'avro' },
    ]);
  });

  it('an unknown schema id is UNKNOWN_SCHEMA_ID (by message or by HTTP status)', async () => {
    expect(dead(await decodeMessage(framed(999), { maxMessageBytes: MAX, avro }))).toMatchObject({
      code: 'UNKNOWN_SCHEMA_ID',
      reason: expect.stringContaining('schema id 999') as string,
    });
    expect(dead(await decodeMessage(framed(404), { maxMessageBytes: MAX, avro })).code).toBe('UNKNOWN_SCHEMA_ID');
  });

  it("a registry that cannot answer is an outage to wait for, not the message's fault", async () => {
    for (const id of [500, 503, 401, 4000, 4001]) {
      const err = await decodeMessage(framed(id), { maxMessageBytes: MAX, avro }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isRootlineError(err, 'SERVICE_UNAVAILABLE'), String(id)).toBe(true);
      expect((err as RootlineError).retriable).toBe(true);
    }
  });

  it("ids that cannot be registry ids are UNKNOWN_SCHEMA_ID without asking; 422 and other 4xx are the message's", async () => {
    const asked: number[] = [];
    const counting: AvroDecoder = {
      decode: (b) => {
        asked.push(b.readUInt32BE(1));
        return avro.decode(b);
      },
    };
    expect(dead(await decodeMessage(framed(0), { maxMessageBytes: MAX, avro: counting })).code).toBe(
      'UNKNOWN_SCHEMA_ID',
    );
    expect(dead(await decodeMessage(framed(-1), { maxMessageBytes: MAX, avro: counting })).code).toBe(
      'UNKNOWN_SCHEMA_ID',
    );
    expect(asked).toEqual([]);
    expect(dead(await decodeMessage(framed(422), { maxMessageBytes: MAX, avro })).code).toBe('UNKNOWN_SCHEMA_ID');
    expect(registryVerdict(Object.assign(new Error('Error, status 400: bad id'), { status: 400 }))).toBe('unknown-id');
    expect(registryVerdict(new RangeError('truncated buffer'))).toBe('bad-bytes');
    expect(registryVerdict(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe('outage');
  });

  it('records that are not reports are AVRO_DECODE_FAILED', async () => {
    expect(dead(await decodeMessage(framed(8), { maxMessageBytes: MAX, avro }))).toMatchObject({
      code: 'AVRO_DECODE_FAILED',
      reason: expect.stringContaining('not a rootline report') as string,
    });
  });

  it('a decoded record that breaks the contract is REPORT_INVALID', async () => {
    expect(dead(await decodeMessage(framed(9), { maxMessageBytes: MAX, avro })).code).toBe('REPORT_INVALID');
  });

  it('without a registry an Avro message is NO_SCHEMA_REGISTRY', async () => {
    expect(dead(await decodeMessage(framed(7), { maxMessageBytes: MAX }))).toMatchObject({
      code: 'NO_SCHEMA_REGISTRY',
      reason: expect.stringContaining('schema id 7') as string,
    });
  });
});

describe('decodeMessage: OpenLineage', () => {
  const event = {
    eventType: 'COMPLETE',
    eventTime: '2026-11-01T00:00:00Z',
    producer: 'airflow',
    run: { runId: 'r' },
    job: { namespace: 'churn', name: 'n01' },
    inputs: [],
    outputs: [],
  };
  const convert: OpenLineageConverter = (e) => {
    if (e.eventType === 'START') return { reports: [], ignored: 'a START event carries no outcome' };
    if (e.eventType === 'FAIL') return { errors: ['job.name is empty', 'run.runId is not a UUID'] };
    if (e.eventType === 'OTHER') return { reports: [report, { ...report, event_id: '' }] };
    return { reports: [report] };
  };

  it('is told apart from a report', () => {
    expect(isOpenLineageEvent(event)).toBe(true);
    expect(isOpenLineageEvent({ job: {}, run: {}, producer: 'x' })).toBe(true);
    expect(isOpenLineageEvent(report)).toBe(false);
    expect(isOpenLineageEvent({ ...event, spec: 'rootline.report/v1' })).toBe(false);
    expect(isOpenLineageEvent({ job: {}, run: {} })).toBe(false);
    expect(isOpenLineageEvent([event])).toBe(false);
    expect(isOpenLineageEvent(null)).toBe(false);
  });

  it('is converted to reports', async () => {
    expect(await decodeMessage(json(event), { maxMessageBytes: MAX, openLineage: convert })).toEqual([
      { kind: 'report', report, format: 'openlineage' },
    ]);
  });

  it('an event without outcome is ignored, not dead', async () => {
    expect(
      await decodeMessage(json({ ...event, eventType: 'START' }), { maxMessageBytes: MAX, openLineage: convert }),
    ).toEqual([{ kind: 'ignored', reason: 'a START event carries no outcome' }]);
  });

  it("a START or RUNNING event is the run's progress (the real converter)", async () => {
    const start = {
      eventType: 'START',
      eventTime: '2026-11-01T00:00:00Z',
      producer: 'https://example.com/producer',
      run: { runId: '11111111-2222-4333-8444-555555555555' },
      job: { namespace: 'churn', name: 'clean' },
    };
    expect(await decodeMessage(json(start), { maxMessageBytes: MAX, openLineage: convertRunEvent })).toEqual([
      {
        kind: 'progress',
        progress: {
          pipeline: 'churn',
          node: 'clean',
          run_id: '11111111-2222-4333-8444-555555555555',
          event_time: '2026-11-01T00:00:00Z',
          phase: 'START',
        },
      },
    ]);
  });

  it('conversion errors, invalid converted reports and a missing converter are OPENLINEAGE_INVALID', async () => {
    expect(
      dead(await decodeMessage(json({ ...event, eventType: 'FAIL' }), { maxMessageBytes: MAX, openLineage: convert })),
    ).toEqual({ kind: 'dead', code: 'OPENLINEAGE_INVALID', reason: 'job.name is empty; run.runId is not a UUID' });
    const mixed = await decodeMessage(json({ ...event, eventType: 'OTHER' }), {
      maxMessageBytes: MAX,
      openLineage: convert,
    });
    expect(mixed.map((d) => d.kind)).toEqual(['report', 'dead']);
    expect(mixed[1]).toMatchObject({
      code: 'OPENLINEAGE_INVALID',
      reason: expect.stringContaining('/event_id') as string,
    });
    expect(dead(await decodeMessage(json(event), { maxMessageBytes: MAX })).code).toBe('OPENLINEAGE_INVALID');
  });
});

describe('decodeMessage: symptoms forwarded by another instance', () => {
  const symptom = {
    spec: 'rootline.symptom/v1',
    pipeline: 'features',
    root: { node: 'build_table', run_id: 'r1' },
    from: { pipeline: 'churn', node: 'score', run_id: 'r9', event_time: '2026-01-01T00:00:00Z' },
    findings: [
      { rule: 'null_ratio', metric: 'null_ratio', severity: 'warning', value: 0.2, threshold: 0.02, message: 'm' },
    ],
  };

  it('a valid one is a symptom for the core', async () => {
    expect(await decodeMessage(json(symptom), { maxMessageBytes: MAX })).toEqual([{ kind: 'symptom', symptom }]);
  });

  it('an invalid one is a dead letter naming the field', async () => {
    const bad = { ...symptom, findings: [{ ...symptom.findings[0], metric: 'vibes' }] };
    expect(await decodeMessage(json(bad), { maxMessageBytes: MAX })).toEqual([
      { kind: 'dead', code: 'SYMPTOM_INVALID', reason: 'findings[0].metric is not a rule metric' },
    ]);
  });
});
