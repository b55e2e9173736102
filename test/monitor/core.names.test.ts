import { afterEach, describe, expect, it } from 'vitest';
import { schemaFingerprint, validateReport, type Report, type SchemaField } from '../../src/contract/index.js';
import { decodeMessage } from '../../src/adapters/decode/decode.js';
import type { CoreOutput } from '../../src/monitor/index.js';
import type { Fault } from '../../src/sim/index.js';
import { Scenario, WARMUP, comparable, feed, newCore, snapshot } from './drive.js';

// Names that are keys of Object.prototype (or the prototype itself): a report using them must be processed like
// any other, and must never change Object.prototype.
const HOSTILE = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupGetter__',
  '__defineSetter__',
  '__lookupSetter__',
] as const;

const s = Scenario.of('diamond', 4, 7);
const P = s.dag.pipeline;
// Every user-provided name of the simulated reports: nodes, output datasets, columns, a frequent value, a params key.
const ORIGINAL = [
  'n00',
  'n01',
  'n02',
  'n03',
  `lake/${P}/n00`,
  `lake/${P}/n01`,
  `lake/${P}/n02`,
  `lake/${P}/n03`,
  'amount',
  'score',
  'segment',
  'retail',
  'window',
];

/** A rename of every original name to a hostile one, rotated so that `__proto__` lands on category `offset`. */
function renaming(offset: number): Map<string, string> {
  return new Map(ORIGINAL.map((name, i) => [name, HOSTILE[(i - offset + HOSTILE.length) % HOSTILE.length]!]));
}

/** Renamed fingerprint -> original, filled by {@link rename}. */
const FINGERPRINTS = new Map<string, string>();

/**
 * Renames keys and whole string values (schema fingerprints recomputed); the result is what JSON.parse gives
 * (own `__proto__` keys).
 */
function rename(value: unknown, map: ReadonlyMap<string, string>): unknown {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return map.get(v) ?? v;
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v !== 'object' || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      Object.defineProperty(out, map.get(k) ?? k, {
        value: walk(x),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    if (Array.isArray(out['schema']) && typeof out['schema_fingerprint'] === 'string') {
      const renamed = schemaFingerprint(out['schema'] as SchemaField[]);
      FINGERPRINTS.set(renamed, out['schema_fingerprint']);
      out['schema_fingerprint'] = renamed;
    }
    return out;
  };
  return JSON.parse(JSON.stringify(walk(value))) as unknown;
}

/**
 * What an output decided, as text: runs and their health, findings, incident events, point series. Numbers
 * of merged sketches are left out: the merge's random source is seeded by the names, so renaming moves the
 * drift statistics a little (a fresh seed), not the decisions.
 */
function decisions(out: CoreOutput): string {
  return JSON.stringify({
    runs: out.runs.map((r) => [r.node, r.run.run_id, r.run.healthy, r.run.inputs, r.run.outputs, r.run.params]),
    findings: out.findings.map((f) => [f.node, f.rule, f.column, f.severity, f.run_id]),
    incidents: out.incidentEvents.map((e) => [
      e.type,
      e.incident.culprit,
      e.incident.cause.kind,
      e.incident.status,
      [...new Set(e.incident.symptoms.map((x) => `${x.node}/${x.column ?? ''}/${x.metric}`))],
      [...e.incident.blast_radius],
    ]),
    points: out.points.map((p) => [p.measurement, p.tags, Object.keys(p.fields).sort()]),
    lineage: out.lineageChanges,
    processed: out.processed,
    duplicates: out.duplicates,
    dirty: [...out.dirty],
  });
}

/** {@link decisions} with the hostile names mapped back to the originals (and the dirty keys sorted after). */
function restored(out: CoreOutput, map: ReadonlyMap<string, string>): string {
  let text = decisions(out);
  // Longest first, so that no name is replaced inside another.
  const back = [...map].sort((a, b) => b[1].length - a[1].length);
  for (const [original, hostile] of back) text = text.split(hostile).join(`\u0000${original}\u0000`);
  text = text.split('\u0000').join('');
  for (const [renamed, original] of FINGERPRINTS) text = text.split(renamed).join(original);
  return sorted(text);
}

/** Sorts what is a set (dirty keys, an incident's symptoms and blast radius) after names are final. */
function sorted(text: string): string {
  const parsed = JSON.parse(text) as {
    dirty: string[];
    incidents: [string, string, string, string, string[], string[]][];
  };
  parsed.dirty.sort();
  for (const i of parsed.incidents) {
    i[4].sort();
    i[5].sort();
  }
  return JSON.stringify(parsed);
}

function expectedOf(out: CoreOutput): string {
  return sorted(decisions(out));
}

/** The first difference between two lists of texts, with some context, or undefined (short failure messages). */
function firstDifference(actual: readonly string[], expected: readonly string[]): string | undefined {
  if (actual.length !== expected.length) return `${actual.length} outputs, expected ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (a === e) continue;
    let at = 0;
    while (at < a.length && a[at] === e[at]) at++;
    return `batch ${i} at ${at}: got ...${a.slice(Math.max(0, at - 150), at + 150)}... expected ...${e.slice(Math.max(0, at - 150), at + 150)}...`;
  }
  return undefined;
}

const FAULTS = (run: number): Fault[] => {
  if (run >= WARMUP && run < WARMUP + 3) return [{ node: 'n01', kind: 'null_spike', column: 'amount' }];
  if (run >= 14 && run < 16) return [{ node: 'n00', kind: 'shift', magnitude: 1, column: 'score' }];
  return [];
};
const RUNS = 20;

function prototypeIsClean(): void {
  const probe = {} as Record<string, unknown>;
  for (const k of ['kind', 'count', 'null_count', 'sketch', 'frequent', 'dataset', 'node', 'amount', 'n00', 'x']) {
    expect(probe[k]).toBeUndefined();
  }
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(Object.getPrototypeOf(probe)).toBe(Object.prototype);
  expect(typeof probe.toString).toBe('function');
  expect(typeof probe.hasOwnProperty).toBe('function');
}

afterEach(prototypeIsClean);

describe('MonitorCore: names that are keys of Object.prototype', () => {
  const batches = s.batches(0, RUNS, FAULTS);
  const reference = feed(newCore({ baselineRuns: 10 }), batches);
  const expected = reference.map(expectedOf);

  it('the reference stream has findings, drift and an incident', () => {
    const all = reference.map((o) => comparable(o)).join('\n');
    expect(all).toContain('"rule":"distribution_drift"');
    expect(all).toContain('"type":"opened"');
    expect(reference.some((o) => o.findings.some((f) => f.column === 'amount'))).toBe(true);
  });

  for (const offset of [0, 4, 8, 11, 12]) {
    const map = renaming(offset);
    const where = ORIGINAL[offset]!;
    it(`__proto__ as ${where} (and the other hostile names elsewhere): the same findings and incidents`, () => {
      const hostile = batches.map((b) => b.map((r) => rename(r, map) as Report));
      const core = newCore({ baselineRuns: 10 });
      const out = feed(core, hostile);
      expect(
        firstDifference(
          out.map((o) => restored(o, map)),
          expected,
        ),
      ).toBeUndefined();
      prototypeIsClean();
      // State survives export and import (as JSON, the way the state topic carries it).
      const records = JSON.parse(JSON.stringify(core.exportState(core.allStateKeys()))) as {
        key: string;
        value: string | undefined;
      }[];
      const copy = newCore({ baselineRuns: 10 });
      copy.importState(records);
      expect(snapshot(copy)).toEqual(snapshot(core));
      expect(copy.incidents()).toEqual(core.incidents());
      prototypeIsClean();
    });
  }

  it('through decodeMessage (JSON bytes) into the core and through a restored state', async () => {
    const map = renaming(8);
    const core = newCore({ baselineRuns: 10 });
    const half = Math.floor(RUNS / 2);
    const outs: CoreOutput[] = [];
    let live = core;
    for (let run = 0; run < RUNS; run++) {
      if (run === half) {
        const copy = newCore({ baselineRuns: 10 });
        copy.importState(JSON.parse(JSON.stringify(live.exportState(live.allStateKeys()))) as never);
        live = copy;
      }
      const reports: Report[] = [];
      for (const r of batches[run]!) {
        const hostile = rename(r, map);
        expect(validateReport(hostile, { unknownKeys: 'allow' })).toMatchObject({ ok: true });
        const bytes = Buffer.from(JSON.stringify(hostile));
        const decoded = await decodeMessage(bytes, { maxMessageBytes: 1_000_000 });
        expect(decoded.map((d) => d.kind)).toEqual(['report']);
        const d = decoded[0]!;
        if (d.kind === 'report') reports.push(d.report);
      }
      outs.push(live.processBatch(reports));
    }
    expect(
      firstDifference(
        outs.map((o) => restored(o, map)),
        expected,
      ),
    ).toBeUndefined();
  });
});
