import { describe, expect, it } from 'vitest';
import { MEASUREMENTS, type MetricPoint } from '../../src/monitor/index.js';
import { MemoryPointStore } from '../../src/monitor/memory-store.js';
import { findingPoints, incidentPoints, lineagePoints, nodeRunPoints } from '../../src/monitor/points.js';
import type { NodeRunMetrics } from '../../src/rules/index.js';
import { Scenario, WARMUP, feed, newCore } from './drive.js';

const ALLOWED_TAGS = new Set([
  'pipeline',
  'node',
  'column',
  'dataset',
  'kind',
  'rule',
  'severity',
  'culprit',
  'source',
  'target',
]);
const keyOf = (p: MetricPoint) =>
  `${p.measurement}|${Object.keys(p.tags)
    .sort()
    .map((k) => `${k}=${p.tags[k]}`)
    .join(',')}|${p.time}`;

describe('points of a stream', () => {
  const s = Scenario.of('diamond', 5, 71);
  const batches = s.batches(0, WARMUP + 6, (r) =>
    r === WARMUP || r === WARMUP + 1
      ? [{ node: 'n01', kind: 'schema_change' }]
      : r === WARMUP + 4
        ? [{ node: 'n00', kind: 'null_spike' }]
        : [],
  );
  const core = newCore();
  const points = feed(core, batches).flatMap((o) => o.points);
  const runIds = new Set(batches.flat().map((r) => r.run_id));
  const eventIds = new Set(batches.flat().map((r) => r.event_id));
  const incidentIds = new Set(core.incidents().map((i) => i.incident_id));

  it('cover every measurement the stream touches', () => {
    const seen = new Set(points.map((p) => p.measurement));
    for (const m of [
      MEASUREMENTS.nodeRun,
      MEASUREMENTS.column,
      MEASUREMENTS.schemaChange,
      MEASUREMENTS.finding,
      MEASUREMENTS.incident,
      MEASUREMENTS.lineageEdge,
      MEASUREMENTS.lineageChange,
    ])
      expect(seen).toContain(m);
    expect(incidentIds.size).toBe(2);
  });

  it('tags are of bounded cardinality: never a run id, event id or incident id', () => {
    const values = new Set<string>();
    for (const p of points) {
      for (const [k, v] of Object.entries(p.tags)) {
        expect(ALLOWED_TAGS).toContain(k);
        values.add(v);
      }
    }
    const ids = [...runIds, ...eventIds, ...incidentIds];
    for (const v of values)
      expect(
        ids.filter((id) => v.includes(id)),
        `tag value ${v}`,
      ).toEqual([]);
    // A small set of values: pipeline, node and column names, datasets, rules, severities.
    expect(values.size).toBeLessThan(40);
    // ... they are fields instead.
    expect(points.find((p) => p.measurement === MEASUREMENTS.nodeRun)!.fields.run_id).toBeTypeOf('string');
    expect(
      points
        .filter((p) => p.measurement === MEASUREMENTS.incident)
        .every((p) => incidentIds.has(p.fields.incident_id as string)),
    ).toBe(true);
  });

  it("a point's identity (measurement, tags, time) is never shared by two different points", () => {
    const byKey = new Map<string, MetricPoint>();
    for (const p of points) {
      const prev = byKey.get(keyOf(p));
      if (prev) expect(p).toEqual(prev);
      byKey.set(keyOf(p), p);
    }
    expect(byKey.size).toBeGreaterThan(batches.flat().length * 4);
  });

  it('replaying the stream into a fresh core writes the same points (idempotent rewrites)', async () => {
    const replay = feed(newCore(), batches).flatMap((o) => o.points);
    expect(replay).toEqual(points);
    const store = new MemoryPointStore();
    await store.write(points);
    const size = store.size;
    await store.write(replay);
    expect(store.size).toBe(size);
  });

  it('no field is NaN or infinite', () => {
    for (const p of points)
      for (const v of Object.values(p.fields)) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
  });
});

describe('point builders', () => {
  const m: NodeRunMetrics = {
    pipeline: 'p',
    node: 'x',
    run_id: 'r9',
    event_time: '2026-11-01T00:00:00.000Z',
    status: 'failed',
    baseline_runs: 3,
    row_count: { value: 10, baseline: 0, deviation: Infinity, z: NaN },
    schema: { changed: true, breaking: true, fingerprint: 'sha256:b', previous: 'sha256:a', changes: [] },
    columns: [
      {
        column: 'a',
        kind: 'numeric',
        dataset: 'lake/x',
        count: 10,
        null_count: 1,
        null_ratio: 0.1,
        drift: { test: 'ks', statistic: 0.5, effect: 0.45, pvalue: 0.01, n_current: 10, n_baseline: 100 },
      },
    ],
  };

  it('nodeRunPoints: the run, its columns and a schema change, dropping non-finite numbers', () => {
    const [run, col, schema, ...rest] = nodeRunPoints(
      m,
      { healthy: false, findings: 2, code_version: 'v1', incident_id: 'inc-1' },
      5,
    );
    expect(rest).toEqual([]);
    expect(run).toEqual({
      measurement: MEASUREMENTS.nodeRun,
      tags: { pipeline: 'p', node: 'x' },
      time: 5,
      fields: {
        run_id: 'r9',
        row_count: 10,
        row_count_baseline: 0,
        baseline_runs: 3,
        healthy: 0,
        findings: 2,
        failed: 1,
        schema_fingerprint: 'sha256:b',
        code_version: 'v1',
        incident_id: 'inc-1',
      },
    });
    expect(col!.tags).toEqual({ pipeline: 'p', node: 'x', column: 'a', dataset: 'lake/x', kind: 'numeric' });
    expect(col!.fields).toMatchObject({
      null_ratio: 0.1,
      drift_test: 'ks',
      drift_statistic: 0.5,
      ks_d: 0.5,
      ks_pvalue: 0.01,
    });
    expect(col!.fields.drift_pvalue_adjusted).toBeUndefined();
    expect(schema).toMatchObject({
      measurement: MEASUREMENTS.schemaChange,
      fields: { breaking: 1, changes: 0, summary: 'fingerprint changed', before: 'sha256:a', after: 'sha256:b' },
    });
  });

  it('findingPoints tag the rule, severity and column (empty for node-level findings)', () => {
    const [p] = findingPoints(
      [
        {
          pipeline: 'p',
          node: 'x',
          run_id: 'r',
          event_time: '',
          rule: 'rows',
          metric: 'row_count',
          severity: 'critical',
          value: 1,
          threshold: 0.05,
          message: 'm',
        },
      ],
      undefined,
      7,
    );
    expect(p).toEqual({
      measurement: MEASUREMENTS.finding,
      tags: { pipeline: 'p', node: 'x', rule: 'rows', severity: 'critical', column: '' },
      time: 7,
      fields: { run_id: 'r', metric: 'row_count', value: 1, threshold: 0.05, message: 'm' },
    });
  });

  it('lineagePoints: one per edge added or removed, none for a new node', () => {
    const src = { pipeline: 'q', node: 'a' };
    const tgt = { pipeline: 'p', node: 'b' };
    expect(
      lineagePoints([
        { kind: 'node_added', at: 1, target: tgt, run_id: 'r' },
        { kind: 'edge_added', at: 1, source: src, target: tgt, via: 'upstream', run_id: 'r' },
        {
          kind: 'edge_removed',
          at: 2,
          source: { pipeline: 'p', node: 'c' },
          target: tgt,
          via: 'dataset',
          run_id: 'r2',
        },
      ]),
    ).toEqual([
      {
        measurement: MEASUREMENTS.lineageChange,
        tags: { pipeline: 'p', source: 'q/a', target: 'b' },
        time: 1,
        fields: { change: 'added', present: 1, run_id: 'r' },
      },
      {
        measurement: MEASUREMENTS.lineageChange,
        tags: { pipeline: 'p', source: 'c', target: 'b' },
        time: 2,
        fields: { change: 'removed', present: 0, run_id: 'r2' },
      },
    ]);
  });

  it('incidentPoints: one per event at its time, with the duration once resolved', () => {
    const core = newCore();
    const s = Scenario.of('chain', 2, 72);
    feed(core, s.batches(0, WARMUP));
    const opened = feed(
      core,
      s.batches(WARMUP, WARMUP + 1, () => [{ node: 'n00', kind: 'row_drop' }]),
    )[0]!.incidentEvents;
    const resolved = feed(core, s.batches(WARMUP + 1, WARMUP + 4)).flatMap((o) => o.incidentEvents);
    const [p] = incidentPoints(opened);
    expect(p).toMatchObject({
      measurement: MEASUREMENTS.incident,
      tags: { pipeline: s.dag.pipeline, culprit: 'n00' },
      time: Date.parse(opened[0]!.at),
      fields: { event: 'opened', open: 1, cause: 'source_data', symptoms: 'n01', blast_radius: 'n01' },
    });
    expect(p!.fields.duration_s).toBeUndefined();
    const [r] = incidentPoints(resolved);
    expect(r!.fields).toMatchObject({ event: 'resolved', open: 0, status: 'resolved', duration_s: 3 * 3600 });
  });
});

describe('MemoryPointStore', () => {
  it('keeps one point per identity, merging fields, and answers by measurement and tags in time order', async () => {
    const store = new MemoryPointStore();
    await store.write([
      { measurement: 'm', tags: { a: '1', b: '2' }, time: 20, fields: { x: 1 } },
      { measurement: 'm', tags: { b: '2', a: '1' }, time: 20, fields: { y: 2 } },
      { measurement: 'm', tags: { a: '1', b: '3' }, time: 10, fields: { x: 3 } },
      { measurement: 'other', tags: { a: '1' }, time: 5, fields: { x: 4 } },
    ]);
    expect(store.size).toBe(3);
    expect(store.query('m').map((p) => [p.time, p.fields])).toEqual([
      [10, { x: 3 }],
      [20, { x: 1, y: 2 }],
    ]);
    expect(store.query('m', { b: '2' })).toHaveLength(1);
    expect(store.query('m', { c: '1' })).toEqual([]);
    expect(store.query('none')).toEqual([]);
  });
});
