// Reports that are well-formed JSON but poison for a consumer: garbage sketches, counts that cannot be,
// times no sink can store, names and lists without bounds. Each is refused at validation, with its path,
// so the monitor dead-letters the message and its core never sees it.
import { describe, expect, it } from 'vitest';
import { REPORT_LIMITS, validateReport, type ReportIssue } from '../../src/contract/index.js';
import { decodeMessage } from '../../src/adapters/decode/decode.js';
import { MonitorCore, emptyOutput, type CoreOutput } from '../../src/monitor/index.js';
import { loadRules } from '../../src/rules/index.js';
import { PipelineSim, makeDag } from '../../src/sim/index.js';
import { KllDoublesSketch } from '../../src/sketch/index.js';

const sim = new PipelineSim(makeDag('chain', 2, 'churn', 3), { seed: 3 });
const RULES = loadRules('rules');
const COL = '/outputs/0/profile/columns/amount';

/** A column profile as a test may break it. */
interface LooseColumn {
  kind: string;
  count: number;
  null_count: number;
  sketch?: { type: string; k: number; data: string };
  sample?: number[];
  mean?: number | null;
  max?: number | null;
  frequent?: Record<string, number>;
  other_count?: number;
}

/** A report as a test may break it. */
interface LooseReport {
  event_id: string;
  pipeline: string;
  node: string;
  run_id: string;
  event_time: string;
  upstream?: { node: string }[];
  inputs?: { dataset: string }[];
  outputs: {
    dataset: string;
    profile: { row_count: number; schema?: unknown; schema_fingerprint?: string; columns: Record<string, LooseColumn> };
  }[];
  column_lineage?: Record<string, { node: string; column: string }[]>;
}

/** A fresh copy of a simulated report (node n00, run `run`) as JSON.parse gives it. */
function report(run = 0): LooseReport {
  return JSON.parse(JSON.stringify(sim.run(run)[0]!)) as LooseReport;
}

function output(r: LooseReport): LooseReport['outputs'][number] {
  return r.outputs[0]!;
}

function amount(r: LooseReport): LooseColumn {
  return output(r).profile.columns['amount']!;
}

function errorsOf(input: unknown): ReportIssue[] {
  const r = validateReport(input, { unknownKeys: 'allow' });
  return r.ok ? [] : r.errors;
}

/** The report's `amount` sketch bytes, changed by `patch` (a DataView over a copy). */
function patchedSketch(r: LooseReport, patch: (dv: DataView, bytes: Uint8Array) => Uint8Array | void): string {
  const bytes = new Uint8Array(Buffer.from(amount(r).sketch!.data, 'base64'));
  const out = patch(new DataView(bytes.buffer), bytes) ?? bytes;
  return Buffer.from(out).toString('base64');
}

const numLevels = (dv: DataView) => dv.getUint8(18);
const itemsStart = (dv: DataView) => 20 + numLevels(dv) * 4 + 16;

describe('validation decodes every sketch completely', () => {
  it('the simulated sketch is a full (multi-level) sketch of the column', () => {
    const r = report();
    const s = KllDoublesSketch.fromBase64(amount(r).sketch!.data);
    expect(s.n).toBe(amount(r).count - amount(r).null_count);
    expect(numLevels(new DataView(Buffer.from(amount(r).sketch!.data, 'base64').buffer))).toBeGreaterThan(1);
    expect(errorsOf(r)).toEqual([]);
  });

  const garbage: [string, (dv: DataView, bytes: Uint8Array) => Uint8Array | void, RegExp][] = [
    [
      'random bytes',
      () => new Uint8Array(Array.from({ length: 64 }, (_, i) => (i * 37 + 11) % 256)),
      /preamble|family|serial/,
    ],
    ['wrong family', (dv) => dv.setUint8(2, 7), /family id 7/],
    ['wrong serial version', (dv) => dv.setUint8(1, 9), /serial version 9/],
    ['unknown flag bits', (dv) => dv.setUint8(3, dv.getUint8(3) | 0x40), /flags/],
    ['empty and single-item flags together', (dv) => dv.setUint8(3, 0b101), /flags/],
    ['k below range', (dv) => dv.setUint16(4, 4, true), /k = 4/],
    ['min k above k', (dv) => dv.setUint16(16, dv.getUint16(4, true) + 1, true), /min k/],
    ['no levels', (dv) => dv.setUint8(18, 0), /0 levels/],
    ['level offsets out of order', (dv) => dv.setUint32(20, 0xffff, true), /inconsistent levels/],
    [
      'item count (n) does not match the levels',
      (dv) => dv.setBigUint64(8, dv.getBigUint64(8, true) - 1n, true),
      /weights add up/,
    ],
    ['truncated', (_dv, bytes) => bytes.subarray(0, bytes.length - 8), /bytes, expected/],
    ['trailing bytes', (_dv, bytes) => Uint8Array.from([...bytes, 0, 0, 0, 0, 0, 0, 0, 0]), /bytes, expected/],
    ['truncated inside the preamble', (_dv, bytes) => bytes.subarray(0, 12), /truncated/],
    ['a NaN item', (dv) => dv.setFloat64(itemsStart(dv) + 8, NaN, true), /NaN item/],
    ['a NaN max', (dv) => dv.setFloat64(itemsStart(dv) - 8, NaN, true), /NaN min or max/],
    ['min above max', (dv) => dv.setFloat64(itemsStart(dv) - 16, 1e300, true), /min .* is greater than max/],
    ['an item outside min..max', (dv) => dv.setFloat64(dv.byteLength - 8, 1e300, true), /outside min/],
    [
      'level zero unsorted although flagged sorted',
      (dv) => {
        dv.setUint8(3, dv.getUint8(3) | 2);
        const at = itemsStart(dv);
        const a = dv.getFloat64(at, true);
        const b = dv.getFloat64(at + 8, true);
        const [lo, hi] = a < b ? [a, b] : [b, a];
        if (lo === hi) throw new Error('test sketch needs two different items');
        dv.setFloat64(at, hi, true);
        dv.setFloat64(at + 8, lo, true);
      },
      /level 0 is not sorted/,
    ],
  ];

  for (const [what, patch, message] of garbage) {
    it(`a sketch with ${what} is invalid at its data`, async () => {
      const r = report();
      amount(r).sketch!.data = patchedSketch(r, patch);
      const errors = errorsOf(r);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.path).toBe(`${COL}/sketch/data`);
      expect(errors[0]!.message).toMatch(/^is not a valid KLL doubles sketch: /);
      expect(errors[0]!.message).toMatch(message);
      const decoded = await decodeMessage(Buffer.from(JSON.stringify(r)), { maxMessageBytes: 1_000_000 });
      expect(decoded).toEqual([
        { kind: 'dead', code: 'REPORT_INVALID', reason: expect.stringContaining(`${COL}/sketch/data`) as string },
      ]);
    });
  }

  it("a sketch whose k differs from the column's k is invalid at k", () => {
    const r = report();
    amount(r).sketch!.k = 100;
    expect(errorsOf(r)).toEqual([{ path: `${COL}/sketch/k`, message: "is 100, but the sketch's own k is 200" }]);
  });

  it("a sketch's n is not held against the column's count (tolerant reader: emitters may sketch another population)", () => {
    const r = report();
    const n = KllDoublesSketch.fromBase64(amount(r).sketch!.data).n;
    amount(r).null_count = amount(r).count - n + 1;
    expect(errorsOf(r)).toEqual([]);
    amount(r).null_count = amount(r).count - n - 5;
    expect(errorsOf(r)).toEqual([]);
  });
});

describe('a garbage sketch never reaches the core', () => {
  /** Decodes each message as the consumer does; reports go to the core, dead letters are counted. */
  async function consume(core: MonitorCore, messages: Buffer[]): Promise<{ out: CoreOutput; dead: string[] }> {
    const out = emptyOutput();
    const dead: string[] = [];
    for (const m of messages) {
      for (const d of await decodeMessage(m, { maxMessageBytes: 1_000_000 })) {
        if (d.kind === 'report') core.processReport(d.report, out);
        else if (d.kind === 'dead') dead.push(`${d.code}: ${d.reason}`);
      }
    }
    return { out, dead };
  }

  it("on a node's first run it is refused; the node's later good reports are processed as if it never came", async () => {
    const runs = 12;
    const good = Array.from({ length: runs }, (_, run) => sim.run(run).map((r) => Buffer.from(JSON.stringify(r))));
    const poisoned = report(0);
    poisoned.event_id = 'poison-1';
    poisoned.run_id = 'poison-run';
    amount(poisoned).sketch!.data = patchedSketch(poisoned, (dv) => dv.setUint8(2, 99));

    const clean = new MonitorCore({ rules: RULES });
    const hit = new MonitorCore({ rules: RULES });
    const first = await consume(hit, [Buffer.from(JSON.stringify(poisoned))]);
    expect(first.dead).toEqual([expect.stringMatching(/^REPORT_INVALID: .*sketch\/data: is not a valid KLL/)]);
    expect(first.out.processed).toBe(0);
    expect(hit.nodes('churn')).toEqual([]);
    for (let run = 0; run < runs; run++) {
      const a = await consume(clean, good[run]!);
      const b = await consume(hit, good[run]!);
      expect(b.dead).toEqual([]);
      expect(b.out.processed).toBe(2);
      expect(JSON.stringify({ ...b.out, dirty: [...b.out.dirty] })).toBe(
        JSON.stringify({ ...a.out, dirty: [...a.out.dirty] }),
      );
    }
    expect(hit.node({ pipeline: 'churn', node: 'n00' })?.runs).toBe(runs);
  });
});

describe('frequent values, numbers', () => {
  it('frequent counts above the non-null rows are estimates, not errors (tolerant reader); negative or fractional counts are', () => {
    const r = report();
    const seg = output(r).profile.columns['segment']!;
    const sum = Object.values(seg.frequent!).reduce((a, c) => a + c, 0);
    const nonNull = seg.count - seg.null_count;
    seg.other_count = nonNull - sum + 1;
    expect(errorsOf(r)).toEqual([]);
    seg.frequent = { a: -1, b: 1.5 };
    expect(errorsOf(r).map((e) => e.path)).toEqual([
      '/outputs/0/profile/columns/segment/frequent/a',
      '/outputs/0/profile/columns/segment/frequent/b',
    ]);
  });

  it('samples and statistics are finite numbers (Avro doubles can carry NaN and infinities)', () => {
    const r = report();
    delete amount(r).sketch;
    amount(r).sample = [1, 2, Infinity, NaN];
    amount(r).mean = NaN;
    amount(r).max = Infinity;
    // The JSON Schema's number type is finite (ajv), whichever decoder made the value.
    expect(errorsOf(r)).toEqual([
      { path: `${COL}/max`, message: 'must be a number or null, got Infinity' },
      { path: `${COL}/mean`, message: 'must be a number or null, got NaN' },
      { path: `${COL}/sample/2`, message: 'must be a number, got Infinity' },
      { path: `${COL}/sample/3`, message: 'must be a number, got NaN' },
    ]);
  });
});

describe('event_time inside the range every sink stores (InfluxDB: int64 nanoseconds)', () => {
  for (const t of ['2300-01-01T00:00:00Z', '2262-04-12T00:00:00Z', '1677-09-21T00:12:43Z', '1600-01-01T00:00:00Z']) {
    it(`${t} is refused`, () => {
      const r = report();
      r.event_time = t;
      expect(errorsOf(r)).toEqual([
        {
          path: '/event_time',
          message: `"${t}" is outside the range every sink can store, 1677-09-21T00:12:43.146Z .. 2262-04-11T23:47:16.854Z`,
        },
      ]);
    });
  }
  it('the bounds', () => {
    expect(REPORT_LIMITS.minEventTimeMs * 1e6).toBeGreaterThan(-(2 ** 63));
    expect((REPORT_LIMITS.maxEventTimeMs - 1) * 1e6).toBeLessThan(2 ** 63);
    for (const t of [
      '1677-09-21T00:12:43.146Z',
      '1969-12-31T23:00:00Z',
      '2262-04-11T23:47:16.854Z',
      '2199-12-31T23:59:59+00:00',
    ]) {
      const r = report();
      r.event_time = t;
      expect(errorsOf(r), t).toEqual([]);
    }
  });
});

describe('names and lists are bounded', () => {
  const long = (n: number) => 'x'.repeat(n);
  it(`names up to ${REPORT_LIMITS.maxNameLength} characters; longer ones are refused where they are`, () => {
    const ok = report();
    ok.node = long(512);
    output(ok).dataset = long(512);
    expect(errorsOf(ok)).toEqual([]);
    const r = report();
    r.node = long(70_000);
    r.pipeline = long(513);
    r.run_id = long(600);
    output(r).dataset = long(513);
    delete output(r).profile.schema;
    delete output(r).profile.schema_fingerprint;
    output(r).profile.columns[long(513)] = { kind: 'numeric', count: 1, null_count: 0 };
    r.upstream = [{ node: long(513) }];
    r.column_lineage = { [long(513)]: [{ node: 'a', column: long(513) }] };
    const c513 = long(513);
    expect(errorsOf(JSON.parse(JSON.stringify(r)))).toEqual(
      [
        { path: '/node', message: 'has 70000 characters; at most 512 are allowed' },
        { path: '/pipeline', message: 'has 513 characters; at most 512 are allowed' },
        { path: '/run_id', message: 'has 600 characters; at most 512 are allowed' },
        { path: '/outputs/0/dataset', message: 'has 513 characters; at most 512 are allowed' },
        { path: `/outputs/0/profile/columns/${c513}`, message: 'has 513 characters; at most 512 are allowed' },
        { path: '/upstream/0/node', message: 'has 513 characters; at most 512 are allowed' },
        { path: `/column_lineage/${c513}`, message: 'has 513 characters; at most 512 are allowed' },
        { path: `/column_lineage/${c513}/0/column`, message: 'has 513 characters; at most 512 are allowed' },
      ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    );
  });

  it(`lists up to ${REPORT_LIMITS.maxItems} items; a longer one is a dead letter naming the cap`, async () => {
    const r = report();
    const max = REPORT_LIMITS.maxItems;
    r.inputs = Array.from({ length: max }, (_, i) => ({ dataset: `in/${i}` }));
    expect(errorsOf(r)).toEqual([]);
    r.inputs.push({ dataset: 'one/more' });
    r.upstream = Array.from({ length: max + 1 }, (_, i) => ({ node: `u${i}` }));
    expect(errorsOf(r)).toEqual([
      { path: '/inputs', message: `has ${max + 1} items; at most ${max} are allowed` },
      { path: '/upstream', message: `has ${max + 1} items; at most ${max} are allowed` },
    ]);
    const decoded = await decodeMessage(Buffer.from(JSON.stringify(r)), { maxMessageBytes: 20_000_000 });
    expect(decoded).toMatchObject([{ kind: 'dead', code: 'REPORT_INVALID' }]);
  });

  it('a profile with more columns than the cap', () => {
    const r = report();
    const columns: Record<string, LooseColumn> = {};
    const max = REPORT_LIMITS.maxItems;
    for (let i = 0; i <= max; i++) columns[`c${i}`] = { kind: 'numeric', count: 1, null_count: 0 };
    output(r).profile = { row_count: 1, columns };
    expect(errorsOf(r)).toEqual([
      { path: '/outputs/0/profile/columns', message: `has ${max + 1} columns; at most ${max} are allowed` },
    ]);
  });

  it('resolving many columns against a wide schema is linear (10,000 columns x 10,000 fields)', () => {
    const r = report();
    const schema = Array.from({ length: 10_000 }, (_, i) => ({ name: `c${i}`, type: 'double' }));
    const columns: Record<string, LooseColumn> = {};
    for (let i = 0; i < 10_000; i++) columns[`c${i}`] = { kind: 'numeric', count: 1, null_count: 0 };
    output(r).profile = { row_count: 1, schema, columns };
    r.column_lineage = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`c${i}`, []]));
    const started = performance.now();
    expect(errorsOf(r)).toEqual([]);
    // Linear work takes milliseconds; the bound is loose on purpose (a slow, shared machine).
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
