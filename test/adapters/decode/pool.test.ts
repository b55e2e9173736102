// The decoding workers (adapters/decode/pool.ts): the same inputs as decoding in this thread, in the entries'
// order, the sketches handed over decoded; a worker that crashes loses nothing and hangs nothing; a message that
// crashes its worker on its own is set aside while its neighbours go through.
import { afterEach, describe, expect, it } from 'vitest';
import { decodeMessage, type Decoded } from '../../../src/adapters/decode/decode.js';
import { decodeLine } from '../../../src/adapters/decode/line.js';
import { DecodePool, defaultDecodeWorkers, type Outcome } from '../../../src/adapters/decode/pool.js';
import type { Report } from '../../../src/contract/index.js';
import { convertRunEvent } from '../../../src/openlineage/index.js';
import { PipelineSim, makeDag } from '../../../src/sim/index.js';
import { KllDoublesSketch, peekDecodedSketch, seededRandom } from '../../../src/sketch/index.js';

const MAX = 100 << 20;

/** Reports of a chain, every third with a KLL sketch on its first output column, with bad messages among them. */
function messages(n: number): (Buffer | null)[] {
  const sim = new PipelineSim(makeDag('chain', 3, 'pool'), { seed: 5 });
  const out: (Buffer | null)[] = [];
  for (let run = 0; out.length < n; run++)
    for (const r of sim.run(run)) {
      const i = out.length;
      if (i % 3 === 0) withSketch(r, i);
      if (i % 17 === 5) out.push(Buffer.from(`{"spec": "rootline.report/v1", "event_id": "${i}"`));
      else if (i % 23 === 7) out.push(Buffer.from(JSON.stringify({ ...r, outputs: {} })));
      else if (i % 29 === 11) out.push(null);
      else out.push(Buffer.from(JSON.stringify(r)));
    }
  return out.slice(0, n);
}

function withSketch(r: Report, seed: number): void {
  const col = Object.values(r.outputs?.[0]?.profile?.columns ?? {}).find((c) => c.kind === 'numeric');
  if (col === undefined || col.kind !== 'numeric') return;
  const s = new KllDoublesSketch(200, { random: seededRandom(seed) });
  const rng = seededRandom(seed + 1);
  for (let j = 0; j < 2000; j++) s.update(rng() * 100);
  col.sketch = { type: 'kll_doubles', k: 200, data: s.toBase64() };
}

async function inThread(values: (Buffer | null)[]): Promise<Decoded[][]> {
  const out: Decoded[][] = [];
  for (const v of values) out.push(await decodeMessage(v, { maxMessageBytes: MAX, openLineage: convertRunEvent }));
  return out;
}

const decodedOf = (o: Outcome | undefined): Decoded[] | undefined =>
  o !== undefined && 'decoded' in o ? o.decoded : undefined;

let pool: DecodePool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe('DecodePool', () => {
  it('decodes as this thread does, in the entries order, with the sketches handed over decoded', async () => {
    const values = messages(700);
    pool = new DecodePool({ workers: 2 });
    const got = await pool.decodeMessages(values, { maxMessageBytes: MAX, openLineage: true });
    const want = await inThread(values);
    expect(got).toHaveLength(values.length);
    expect(got.map(decodedOf)).toEqual(want);
    // Every kind of message is in the batch: reports, malformed JSON, invalid reports, messages without a value.
    const codes = new Set(want.flat().map((d) => (d.kind === 'dead' ? d.code : d.kind)));
    expect([...codes].sort()).toEqual(['EMPTY', 'MALFORMED_JSON', 'REPORT_INVALID', 'report']);
    let shared = 0;
    for (const d of got.flatMap((o) => decodedOf(o) ?? []))
      if (d.kind === 'report')
        for (const c of Object.values(d.report.outputs?.[0]?.profile?.columns ?? {}))
          if ('sketch' in c && c.sketch !== undefined) {
            const s = peekDecodedSketch(c.sketch);
            expect(s?.toBase64()).toBe(c.sketch.data);
            shared++;
          }
    expect(shared).toBeGreaterThan(100);
  });

  it('decodes replay lines as decodeLine does (blank lines told apart)', async () => {
    const lines = ['', '   ', 'not json', ...messages(60).map((b) => (b === null ? '' : b.toString('utf8')))];
    pool = new DecodePool({ workers: 2, sketches: 'lazy' });
    const got = await pool.decodeLines(lines.map((l) => Buffer.from(l)));
    expect(got.map((o) => ('blank' in o ? 'blank' : 'line' in o ? o.line : o))).toEqual(
      lines.map((l) => (l.trim() === '' ? 'blank' : decodeLine(l))),
    );
  });

  it('survives a worker that crashes mid-batch: its entries are decoded again, none lost, in order', async () => {
    const values = messages(400);
    pool = new DecodePool({ workers: 2 });
    const work = pool.decodeMessages(values, { maxMessageBytes: MAX, openLineage: true });
    // Once the workers are at it, one is ended.
    await new Promise((r) => setTimeout(r, 200));
    expect(await pool.killOne()).toBeGreaterThan(0);
    const got = await work;
    expect(pool.crashes).toBe(1);
    expect(got.map(decodedOf)).toEqual(await inThread(values));
    // And the pool goes on.
    expect((await pool.decodeMessages(values.slice(0, 10), { maxMessageBytes: MAX, openLineage: true })).length).toBe(
      10,
    );
  });

  it('sets aside a message that crashes its worker on its own; its neighbours go through', async () => {
    const values = messages(40);
    // The test hook ends a worker's thread on this message, as a defect in a native decoder would.
    values.splice(20, 0, Buffer.from('{"poison": "CRASH-THE-WORKER"}'));
    pool = new DecodePool({ workers: 2, crashOn: 'CRASH-THE-WORKER' });
    const got = await pool.decodeMessages(values, { maxMessageBytes: MAX, openLineage: true });
    expect(got[20]).toEqual({ crashed: expect.stringContaining('crashed') as unknown });
    const want = await inThread([...values.slice(0, 20), ...values.slice(21)]);
    expect([...got.slice(0, 20), ...got.slice(21)].map(decodedOf)).toEqual(want);
    expect(pool.crashes).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('uses the cores beyond two, at most 2: none on one or two cores', () => {
    expect([1, 2, 3, 4, 16].map((c) => defaultDecodeWorkers(c))).toEqual([0, 0, 1, 2, 2]);
  });
});
