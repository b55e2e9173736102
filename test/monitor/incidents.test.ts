import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RootVerdict } from '../../src/lineage/index.js';
import {
  DEFAULT_ROLLBACK_POLICY,
  causeOf,
  incidentId,
  type ActionDecision,
  type Incident,
  type IncidentEvent,
} from '../../src/monitor/index.js';
import { pushCoalesced } from '../../src/monitor/core.js';
import type { RunRecord } from '../../src/monitor/index.js';
import { compileRules } from '../../src/rules/index.js';
import { Scenario, WARMUP, feed, newCore } from './drive.js';

const DEFAULTS = readFileSync('rules/defaults.yaml', 'utf8');
/** The shipped rules, with critical incidents routed to Slack, rollback and the log. */
const ROLLBACK_RULES = compileRules([
  { file: 'rules/defaults.yaml', text: DEFAULTS },
  { file: 'rollback.yaml', text: 'routes:\n  critical: [slack, rollback, log]\n' },
]);

const HOUR = 3_600_000;

function rollbackOf(i: Incident): ActionDecision {
  return i.actions.find((a) => a.action === 'rollback')!;
}

describe('rollback decisions', () => {
  const chain = Scenario.of('chain', 3, 51);
  const bad = (core = newCore({ rules: ROLLBACK_RULES }), at = WARMUP) => {
    feed(core, chain.batches(0, at));
    feed(
      core,
      chain.batches(at, at + 1, () => [{ node: 'n01', kind: 'null_spike' }]),
    );
    return core;
  };

  it('are dry runs by default, naming the last known good run and its versions', () => {
    const core = bad();
    const [inc] = core.incidents();
    expect(inc!.actions.map((a) => [a.action, a.decision])).toEqual([
      ['slack', 'notify'],
      ['rollback', 'dry_run'],
      ['log', 'notify'],
    ]);
    const r = rollbackOf(inc!);
    const goodRun = new Date(chain.sim.runTime(WARMUP - 1)).toISOString();
    expect(r).toMatchObject({ who: 'rootline-monitor', at: new Date(chain.sim.runTime(WARMUP) + 2000).toISOString() });
    expect(r.why).toContain('dry run');
    expect(r.details).toEqual({
      idempotency_key: `${inc!.incident_id}:rollback`,
      node: 'n01',
      pipeline: chain.dag.pipeline,
      to_run_id: goodRun,
      to_data_version: `n01@${goodRun}`,
      to_code_version: chain.reports(0)[1]!.code_version,
    });
    expect(DEFAULT_ROLLBACK_POLICY.dryRun).toBe(true);
  });

  it('dispatch when dry run is off', () => {
    const core = bad(newCore({ rules: ROLLBACK_RULES, rollback: { dryRun: false } }));
    expect(rollbackOf(core.incidents()[0]!).decision).toBe('dispatch');
  });

  it('are skipped within the cooldown of the last rollback of the node', () => {
    const core = newCore({ rules: ROLLBACK_RULES, rollback: { dryRun: false, cooldownMs: 10 * HOUR } });
    bad(core, WARMUP);
    feed(core, chain.batches(WARMUP + 1, WARMUP + 4)); // resolves
    feed(
      core,
      chain.batches(WARMUP + 4, WARMUP + 5, () => [{ node: 'n01', kind: 'null_spike' }]),
    );
    const [first, second] = core.incidents();
    expect(first!.status).toBe('resolved');
    expect(rollbackOf(first!).decision).toBe('dispatch');
    const r = rollbackOf(second!);
    expect(r.decision).toBe('skipped');
    expect(r.why).toMatch(/^cooldown: n01 was rolled back 240 min ago \(cooldown 600 min\)/);
  });

  it('after the cooldown a new incident rolls back again', () => {
    const core = newCore({ rules: ROLLBACK_RULES, rollback: { dryRun: false, cooldownMs: 3 * HOUR } });
    bad(core, WARMUP);
    feed(core, chain.batches(WARMUP + 1, WARMUP + 4));
    feed(
      core,
      chain.batches(WARMUP + 4, WARMUP + 5, () => [{ node: 'n01', kind: 'null_spike' }]),
    );
    expect(core.incidents().map((i) => rollbackOf(i).decision)).toEqual(['dispatch', 'dispatch']);
    expect(core.pipelineState(chain.dag.pipeline)!.rollbacks.n01).toBe(chain.sim.runTime(WARMUP + 4) + 2000);
  });

  it('are skipped without a healthy run to return to', () => {
    const core = newCore({ rules: ROLLBACK_RULES, rollback: { dryRun: false } });
    core.processBatch(chain.reports(0).map((r) => (r.node === 'n00' ? { ...r, status: 'failed' as const } : r)));
    const r = rollbackOf(core.incidents()[0]!);
    expect(r.decision).toBe('skipped');
    expect(r.why).toBe('n00 has no healthy run on record to roll back to');
  });

  describe('with an ambiguous root', () => {
    // n00 never reports: n01's parent is unobserved, so a fault seen at n01 may have come from n00.
    const ambiguous = (allowAmbiguous: boolean) => {
      const core = newCore({ rules: ROLLBACK_RULES, rollback: { dryRun: false, allowAmbiguous } });
      const without = (run: number, faults: Parameters<Scenario['reports']>[1] = []) =>
        chain.reports(run, faults).filter((r) => r.node !== 'n00');
      for (let r = 0; r < WARMUP; r++) core.processBatch(without(r));
      core.processBatch(without(WARMUP, [{ node: 'n01', kind: 'null_spike' }]));
      // The report names n00's run, which never arrives: the verdict is held until the pipeline's next run.
      expect(core.incidents()).toEqual([]);
      core.processBatch(without(WARMUP + 1));
      return core.incidents();
    };

    it('the incident names the candidates with a lower confidence and is escalated', () => {
      const [inc, ...rest] = ambiguous(false);
      expect(rest).toEqual([]);
      expect(inc).toMatchObject({ culprit: 'n01', candidates: ['n01', 'n00'], confidence: 0.5, escalated: true });
    });

    it('rollback is skipped unless allowed', () => {
      const skipped = rollbackOf(ambiguous(false)[0]!);
      expect(skipped.decision).toBe('skipped');
      expect(skipped.why).toContain('ambiguous (candidates n01, n00, confidence 0.5)');
      expect(rollbackOf(ambiguous(true)[0]!).decision).toBe('dispatch');
    });
  });
});

describe('freshness', () => {
  const chain = Scenario.of('chain', 2, 52);

  it('a silent node raises one stale incident; its next run clears the silence', () => {
    const core = newCore();
    feed(core, chain.batches(0, WARMUP));
    const last = chain.sim.runTime(WARMUP - 1);
    expect(core.checkFreshness(last + 2 * HOUR).findings).toEqual([]);
    const out = core.checkFreshness(last + 4 * HOUR);
    expect(out.findings.map((f) => `${f.node}:${f.rule}`)).toEqual(['n00:freshness', 'n01:freshness']);
    // n01 is silent because n00 is: one incident at n00, n01 a symptom of it.
    expect(out.incidentEvents.map((e) => [e.type, e.incident.culprit, e.incident.cause.kind])).toEqual([
      ['opened', 'n00', 'stale'],
    ]);
    expect(out.incidentEvents[0]!.incident.symptoms.map((x) => [x.node, x.metric])).toEqual([['n01', 'freshness']]);
    expect(out.dirty.size).toBeGreaterThan(0);
    // Raised once per silence.
    expect(core.checkFreshness(last + 5 * HOUR).findings).toEqual([]);
    // The node runs again: it can be late again later.
    feed(core, chain.batches(WARMUP, WARMUP + 1));
    expect(core.node({ pipeline: chain.dag.pipeline, node: 'n00' })!.late).toBe(false);
    expect(core.checkFreshness(chain.sim.runTime(WARMUP) + 4 * HOUR).findings).toHaveLength(2);
  });

  it('a node with too few runs is not checked', () => {
    const core = newCore();
    feed(core, chain.batches(0, 3));
    expect(core.checkFreshness(chain.sim.runTime(3) + 100 * HOUR).findings).toEqual([]);
  });
});

describe('causeOf', () => {
  const ref = { pipeline: 'p', node: 'x' };
  const root = (over: Partial<RootVerdict['root']> = {}): RootVerdict['root'] => ({
    ref,
    run_id: 'r2',
    event_time: 0,
    healthy: false,
    status: 'success',
    findings: [],
    input_findings: [],
    inputs: [],
    ...over,
  });
  const verdict = (over: Partial<RootVerdict> = {}, r = root()): RootVerdict => ({
    root: r,
    rootFindings: [{ metric: 'null_ratio', column: 'a', value: 0.1, threshold: 0.02, message: 'nulls' }],
    path: [],
    healthyParents: [],
    unobservedParents: [],
    anomalousExternalInputs: [],
    candidates: [ref],
    confidence: 0.9,
    ...over,
  });
  const good = (over: Partial<RunRecord> = {}): RunRecord => ({
    seq: 0,
    run_id: 'r1',
    event_id: 'e',
    event_time: 0,
    status: 'success',
    healthy: true,
    row_count: 1,
    upstream: [],
    inputs: [],
    outputs: [],
    findings: [],
    input_findings: [],
    ...over,
  });

  it('a failed run first, then silence', () => {
    expect(causeOf(verdict({}, root({ status: 'failed' })), good(), true).kind).toBe('run_failed');
    expect(
      causeOf(
        verdict({ rootFindings: [{ metric: 'freshness', value: 1, threshold: 0, message: 'late' }] }),
        good(),
        true,
      ).kind,
    ).toBe('stale');
  });

  it('a code change since the last good run, then a params change', () => {
    expect(causeOf(verdict({}, root({ code_version: 'v2' })), good({ code_version: 'v1' }), true)).toEqual({
      kind: 'code_change',
      summary: 'code changed at x: v1 -> v2',
      from: 'v1',
      to: 'v2',
    });
    expect(
      causeOf(
        verdict({}, root({ code_version: 'v1', params: { k: 2 } })),
        good({ code_version: 'v1', params: { k: 1 } }),
        true,
      ),
    ).toMatchObject({ kind: 'params_change', from: '{"k":1}', to: '{"k":2}' });
    // Unchanged params, also in another key order, are no change.
    expect(
      causeOf(
        verdict({}, root({ params: { k: 1, w: { a: 1, b: 2 } } })),
        good({ params: { w: { b: 2, a: 1 }, k: 1 } }),
        true,
      ).kind,
    ).toBe('transformation');
  });

  it('then a schema change, anomalous external input, a source, a transformation', () => {
    expect(
      causeOf(
        verdict({
          rootFindings: [
            { metric: 'schema', value: 1, threshold: 0, message: 'schema changed (breaking): removed score' },
          ],
        }),
        good(),
        true,
      ),
    ).toEqual({
      kind: 'schema_change',
      summary: 'output schema of x changed: (breaking): removed score',
    });
    expect(causeOf(verdict({ anomalousExternalInputs: ['s3://feed'] }), good(), false).kind).toBe('input_data');
    expect(causeOf(verdict(), good(), false).kind).toBe('source_data');
    expect(causeOf(verdict(), undefined, true).kind).toBe('transformation');
  });
});

describe('incidentId', () => {
  it('is stable and depends on pipeline, culprit and the opening run', () => {
    expect(incidentId('p', 'x', 'r1')).toBe(incidentId('p', 'x', 'r1'));
    expect(incidentId('p', 'x', 'r1')).toMatch(/^inc-[0-9a-f]{12}$/);
    expect(
      new Set([
        incidentId('p', 'x', 'r1'),
        incidentId('p', 'x', 'r2'),
        incidentId('p', 'y', 'r1'),
        incidentId('q', 'x', 'r1'),
      ]).size,
    ).toBe(4);
  });
});

describe('pushCoalesced', () => {
  const inc = (id: string, version: number) => ({ incident_id: id, version }) as Incident;
  const ev = (
    type: IncidentEvent['type'],
    id: string,
    version: number,
    changes: IncidentEvent['changes'] = {},
  ): IncidentEvent => ({ type, incident: inc(id, version), changes, at: `t${version}` });
  const sym = (node: string) => ({
    pipeline: 'p',
    node,
    metric: 'null_ratio' as const,
    message: node,
    first_run_id: 'r',
    last_run_id: 'r',
    first_seen: 't',
    last_seen: 't',
  });

  it("folds updates into the batch's earlier event of the same incident", () => {
    const list: IncidentEvent[] = [];
    pushCoalesced(list, [ev('opened', 'a', 1)]);
    pushCoalesced(list, [ev('updated', 'a', 2, { new_symptoms: [sym('n1')] }), ev('opened', 'b', 1)]);
    pushCoalesced(list, [ev('updated', 'a', 3, { new_symptoms: [sym('n2')], new_findings: ['f'], runs_affected: 2 })]);
    expect(list.map((e) => [e.type, e.incident.incident_id, e.incident.version, e.at])).toEqual([
      ['opened', 'a', 3, 't3'],
      ['opened', 'b', 1, 't1'],
    ]);
    expect(list[0]!.changes).toEqual({ new_symptoms: [sym('n1'), sym('n2')], new_findings: ['f'], runs_affected: 2 });
  });

  it('keeps a resolution, and an update after it, as their own events', () => {
    const list: IncidentEvent[] = [];
    pushCoalesced(list, [ev('updated', 'a', 1), ev('resolved', 'a', 2), ev('updated', 'a', 3)]);
    expect(list.map((e) => e.type)).toEqual(['updated', 'resolved', 'updated']);
  });
});
