// Sanity of the fault-injection evaluation set (test/integration/faults/attacks.ts) without any service:
// unique ids, deterministic builders, sizes as described, and the reports it calls valid or invalid are so
// by the contract's own validator.
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { validateReport } from '../../src/contract/index.js';
import { convertRunEvent } from '../../src/openlineage/index.js';
import {
  ATTACKS,
  CHAOS_SCENARIO,
  DEFAULT_BUILD_CONTEXT,
  FAULT_PIPELINE,
  HTTP_MAX_BODY_BYTES,
  KAFKA_MAX_MESSAGE_BYTES,
  REASON,
  SUITE_TOPIC_MAX_MESSAGE_BYTES,
  followUps,
  type Attack,
  type BuiltMessage,
} from '../integration/faults/attacks.js';

const ctx = { reportSchemaId: 4242, otherSchemaId: 4343 };

function bytesOf(value: BuiltMessage['value']): Buffer {
  if (value === null) return Buffer.alloc(0);
  return typeof value === 'string' ? Buffer.from(value) : value;
}

function parseJson(value: BuiltMessage['value']): unknown {
  let text = bytesOf(value).toString('utf8');
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  return JSON.parse(text);
}

/** Kafka attacks whose value is JSON text of a rootline report (not Avro, not OpenLineage). */
function isJsonReportAttack(a: Attack): boolean {
  if (a.channel !== 'kafka' || a.needs?.includes('schema-registry') || a.id.startsWith('ol-')) return false;
  try {
    const v = parseJson(a.build().value) as { spec?: unknown } | null;
    return typeof v === 'object' && v !== null && !Array.isArray(v) && v.spec === 'rootline.report/v1';
  } catch {
    return false;
  }
}

const built = new Map(ATTACKS.map((a) => [a.id, a.build(ctx)]));

describe('fault-injection attacks', () => {
  it('has unique kebab-case ids and covers every channel and outcome', () => {
    const ids = ATTACKS.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(new Set(ATTACKS.map((a) => a.channel))).toEqual(new Set(['kafka', 'http-report', 'http-lineage']));
    expect(new Set(ATTACKS.map((a) => a.expect.outcome))).toEqual(new Set(['dead-letter', 'processed', 'http']));
    expect(ATTACKS.length).toBeGreaterThan(250);
  });

  it('builds the same bytes every time', () => {
    for (const a of ATTACKS) {
      const again = a.build(ctx);
      const first = built.get(a.id) as BuiltMessage;
      expect(bytesOf(again.value).equals(bytesOf(first.value)), a.id).toBe(true);
      expect({ ...again, value: null }, a.id).toEqual({ ...first, value: null });
    }
  });

  it('uses the build context for registry ids and the defaults without one', () => {
    const control = ATTACKS.find((a) => a.id === 'avro-valid-control') as Attack;
    const withCtx = bytesOf(control.build(ctx).value);
    const without = bytesOf(control.build().value);
    expect(withCtx[0]).toBe(0);
    expect(withCtx.readUInt32BE(1)).toBe(ctx.reportSchemaId);
    expect(without.readUInt32BE(1)).toBe(DEFAULT_BUILD_CONTEXT.reportSchemaId);
    expect(withCtx.subarray(5).equals(without.subarray(5))).toBe(true);
    const other = ATTACKS.find((a) => a.id === 'avro-other-schema') as Attack;
    expect(bytesOf(other.build(ctx).value).readUInt32BE(1)).toBe(ctx.otherSchemaId);
  });

  it('has the sizes its attacks claim', () => {
    for (const a of ATTACKS) {
      const m = built.get(a.id) as BuiltMessage;
      const n = bytesOf(m.value).length;
      if (a.size?.minBytes !== undefined) expect(n, a.id).toBeGreaterThanOrEqual(a.size.minBytes);
      if (a.size?.maxBytes !== undefined) expect(n, a.id).toBeLessThanOrEqual(a.size.maxBytes);
      if (a.size?.decompressedMinBytes !== undefined) {
        expect(gunzipSync(bytesOf(m.value)).length, a.id).toBeGreaterThanOrEqual(a.size.decompressedMinBytes);
      }
      if (a.channel === 'kafka') expect(n, a.id).toBeLessThanOrEqual(SUITE_TOPIC_MAX_MESSAGE_BYTES);
    }
  });

  it('sends MESSAGE_TOO_LARGE exactly for Kafka messages over the limit', () => {
    for (const a of ATTACKS.filter((x) => x.channel === 'kafka')) {
      const over = bytesOf((built.get(a.id) as BuiltMessage).value).length > KAFKA_MAX_MESSAGE_BYTES;
      const tooLarge = a.expect.outcome === 'dead-letter' && a.expect.codes?.includes(REASON.MESSAGE_TOO_LARGE);
      expect(Boolean(tooLarge), a.id).toBe(over);
    }
    const over = ATTACKS.filter((a) => a.channel !== 'kafka' && a.expect.outcome === 'http');
    for (const a of over) {
      const n = bytesOf((built.get(a.id) as BuiltMessage).value).length;
      if (n > HTTP_MAX_BODY_BYTES) expect(a.expect.outcome === 'http' && a.expect.status, a.id).toBe(413);
    }
  });

  it('gives the 100k-level nesting, 20 MB bodies and 64 MiB gzip bomb the sizes the task names', () => {
    const size = (id: string): number => bytesOf((built.get(id) as BuiltMessage).value).length;
    expect(size('deep-array-100k')).toBe(200_000);
    expect(size('http-report-size-20mb')).toBe(20 * 1_048_576);
    expect(size('size-1mb-plus-1')).toBe(KAFKA_MAX_MESSAGE_BYTES + 1);
    const bomb = bytesOf((built.get('http-report-gzip-bomb') as BuiltMessage).value);
    expect(bomb.length).toBeLessThan(256 * 1024);
    expect(gunzipSync(bomb).length).toBe(64 * 1_048_576);
  });

  it('calls valid only reports the contract accepts', () => {
    const processed = ATTACKS.filter((a) => a.expect.outcome === 'processed' && isJsonReportAttack(a));
    expect(processed.length).toBeGreaterThan(100);
    for (const a of processed) {
      const result = validateReport(parseJson((built.get(a.id) as BuiltMessage).value), { unknownKeys: 'allow' });
      expect(result.ok ? [] : result.errors, a.id).toEqual([]);
    }
  });

  it('calls REPORT_INVALID (by the docs) only reports the contract refuses, at the path named', () => {
    const invalid = ATTACKS.filter(
      (a) =>
        !a.chosen &&
        a.expect.outcome === 'dead-letter' &&
        a.expect.codes?.length === 1 &&
        a.expect.codes[0] === REASON.REPORT_INVALID &&
        isJsonReportAttack(a),
    );
    expect(invalid.length).toBeGreaterThan(30);
    for (const a of invalid) {
      const result = validateReport(parseJson((built.get(a.id) as BuiltMessage).value), { unknownKeys: 'allow' });
      expect(result.ok, a.id).toBe(false);
      const text = result.ok ? '' : result.errors.map((e) => `${e.path} ${e.message}`).join('\n');
      if (a.expect.outcome === 'dead-letter' && a.expect.reasonMatches)
        expect(text, a.id).toMatch(a.expect.reasonMatches);
    }
  });

  it('follows every attack with good reports, on the attacked node when it has a target', () => {
    for (const [i, a] of ATTACKS.entries()) {
      const msgs = followUps(a, 2 * i);
      expect(msgs.length, a.id).toBe(a.target ? 2 : 1);
      expect(msgs[0]?.key).toBe(FAULT_PIPELINE);
      for (const m of msgs) {
        const result = validateReport(parseJson(m.value));
        expect(result.ok ? [] : result.errors, a.id).toEqual([]);
      }
      if (a.target) {
        const r = parseJson(msgs[1]?.value ?? null) as { pipeline: string; node: string };
        expect([r.pipeline, r.node]).toEqual([a.target.pipeline, a.target.node]);
      }
    }
  });

  it('sends bytes that are not UTF-8 where it expects a UTF-8 reason, and UTF-8 everywhere else in JSON', () => {
    const isUtf8 = (b: Buffer): boolean => {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(b);
        return true;
      } catch {
        return false;
      }
    };
    const utf8Attacks = ATTACKS.filter(
      (a) => a.expect.outcome === 'dead-letter' && /utf/i.test(String(a.expect.reasonMatches)),
    );
    expect(utf8Attacks.length).toBeGreaterThanOrEqual(5);
    for (const a of utf8Attacks) expect(isUtf8(bytesOf((built.get(a.id) as BuiltMessage).value)), a.id).toBe(false);
    for (const a of ATTACKS.filter((x) => x.expect.outcome === 'processed' && isJsonReportAttack(x))) {
      expect(isUtf8(bytesOf((built.get(a.id) as BuiltMessage).value)), a.id).toBe(true);
    }
  });

  it('describes the chaos test with its faults, invariants and real poison', () => {
    const deps = new Set(CHAOS_SCENARIO.faults.map((f) => f.dependency));
    expect(deps).toEqual(new Set(['influxdb', 'kafka', 'schema-registry', 'slack', 'monitor']));
    const ids = CHAOS_SCENARIO.invariants.map((i) => i.id);
    expect(ids).toEqual(
      expect.arrayContaining(['runs-recorded-equal-reports', 'incidents-equal-slack-messages', 'no-duplicate-runs']),
    );
    for (const id of CHAOS_SCENARIO.stream.poison) {
      expect(ATTACKS.find((a) => a.id === id)?.expect.outcome, id).toBe('dead-letter');
    }
  });
});

describe('fault-injection attacks: OpenLineage and HTTP bodies', () => {
  const olOf = (a: Attack): unknown => parseJson((built.get(a.id) as BuiltMessage).value);

  it('builds OpenLineage events the adapter converts to valid reports where they must be processed', () => {
    // The 25,000-input event is left to the integration runner: its conversion time is what it measures.
    const small = (a: Attack): boolean => bytesOf((built.get(a.id) as BuiltMessage).value).length < 100_000;
    const processed = ATTACKS.filter((a) => a.id.startsWith('ol-') && a.expect.outcome === 'processed' && small(a));
    expect(processed.length).toBeGreaterThanOrEqual(5);
    const wrong = processed.flatMap((a): { id: string; problem: unknown }[] => {
      const converted = convertRunEvent(olOf(a));
      const reports = 'reports' in converted ? converted.reports : [];
      if (reports.length !== 1) return [{ id: a.id, problem: converted }];
      const result = validateReport(reports[0]);
      return result.ok ? [] : [{ id: a.id, problem: result.errors }];
    });
    expect(wrong).toEqual([]);
  });

  it('posts to /api/v1/reports bodies whose reports are valid where it expects them accepted', () => {
    const patternOf = (a: Attack): string => (a.expect.outcome === 'http' ? String(a.expect.bodyMatches) : '');
    const accepted = ATTACKS.filter(
      (a) =>
        a.channel === 'http-report' &&
        a.expect.outcome === 'http' &&
        a.expect.status === 202 &&
        /accepted/.test(patternOf(a)),
    );
    expect(accepted.length).toBeGreaterThanOrEqual(8);
    for (const a of accepted) {
      const body = parseJson((built.get(a.id) as BuiltMessage).value);
      const list = Array.isArray(body) ? body : ((body as { reports?: unknown[] }).reports ?? [body]);
      const valid = list.filter((r) => validateReport(r, { unknownKeys: 'allow' }).ok).length;
      const claimed = Number(/\\s\*(\d)/.exec(patternOf(a))?.[1]);
      expect(valid, a.id).toBe(claimed);
    }
  });
});
