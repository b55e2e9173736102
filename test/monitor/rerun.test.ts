import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RERUN_POLICY,
  airflowTaskOf,
  parseRerunTargets,
  type ActionDecision,
  type Incident,
} from '../../src/monitor/index.js';
import { compileRules } from '../../src/rules/index.js';
import { Scenario, WARMUP, comparable, feed, newCore, snapshot } from './drive.js';

const DEFAULTS = readFileSync('rules/defaults.yaml', 'utf8');
/** The shipped rules, with critical incidents routed to Slack and a rerun. */
const RERUN_RULES = compileRules([
  { file: 'rules/defaults.yaml', text: DEFAULTS },
  { file: 'rerun.yaml', text: 'routes:\n  critical: [slack, rerun]\n' },
]);
const HOUR = 3_600_000;

function rerunOf(i: Incident): ActionDecision {
  return i.actions.find((a) => a.action === 'rerun')!;
}

describe('rerun decisions', () => {
  const chain = Scenario.of('chain', 3, 71);
  const bad = (core = newCore({ rules: RERUN_RULES }), at = WARMUP) => {
    feed(core, chain.batches(0, at));
    feed(
      core,
      chain.batches(at, at + 1, () => [{ node: 'n01', kind: 'null_spike' }]),
    );
    return core;
  };

  it('are dry runs by default, clearing the culprit task of the DAG run that broke, recorded with who/what/why', () => {
    const core = bad();
    const [inc] = core.incidents();
    expect(inc!.actions.map((a) => [a.action, a.decision])).toEqual([
      ['slack', 'notify'],
      ['rerun', 'dry_run'],
    ]);
    const r = rerunOf(inc!);
    expect(r).toMatchObject({ who: 'rootline-monitor', at: new Date(chain.sim.runTime(WARMUP) + 2000).toISOString() });
    expect(r.why).toBe(
      `severity critical routes to rerun: clear task n01 of DAG run ${inc!.opened_run_id} of ${chain.dag.pipeline} (mapped by the pipeline as DAG and the node as task) (dry run: rerun.dryRun is on)`,
    );
    expect(r.details).toEqual({
      idempotency_key: `${inc!.incident_id}:rerun`,
      mode: 'clear',
      dag_id: chain.dag.pipeline,
      task_id: 'n01',
      dag_run_id: inc!.opened_run_id,
      culprit_run_id: inc!.opened_run_id,
    });
    expect(DEFAULT_RERUN_POLICY.dryRun).toBe(true);
  });

  it('dispatch when dry run is off; trigger mode names a DAG run id derived from the incident', () => {
    const real = rerunOf(bad(newCore({ rules: RERUN_RULES, rerun: { dryRun: false } })).incidents()[0]!);
    expect(real.decision).toBe('dispatch');
    const core = bad(newCore({ rules: RERUN_RULES, rerun: { dryRun: false, mode: 'trigger' } }));
    const inc = core.incidents()[0]!;
    expect(rerunOf(inc).details).toMatchObject({ mode: 'trigger', dag_run_id: `rootline__${inc.incident_id}` });
  });

  it("take Airflow's DAG run id from the culprit run's params when the report carries it", () => {
    const core = newCore({ rules: RERUN_RULES });
    feed(core, chain.batches(0, WARMUP));
    const reports = chain
      .reports(WARMUP, [{ node: 'n01', kind: 'null_spike' }])
      .map((r) => (r.node === 'n01' ? { ...r, params: { ...r.params, dag_run_id: 'scheduled__2026-01-01' } } : r));
    core.processBatch(reports);
    expect(rerunOf(core.incidents()[0]!).details).toMatchObject({ dag_run_id: 'scheduled__2026-01-01' });
  });

  it('are skipped within the cooldown of the last rerun of the node, and decided again after it', () => {
    const run = (cooldownMs: number) => {
      const core = newCore({ rules: RERUN_RULES, rerun: { dryRun: false, cooldownMs } });
      bad(core, WARMUP);
      feed(core, chain.batches(WARMUP + 1, WARMUP + 4)); // resolves
      feed(
        core,
        chain.batches(WARMUP + 4, WARMUP + 5, () => [{ node: 'n01', kind: 'null_spike' }]),
      );
      return core.incidents();
    };
    const [first, second] = run(10 * HOUR);
    expect(first!.status).toBe('resolved');
    expect(rerunOf(first!).decision).toBe('dispatch');
    expect(rerunOf(second!).decision).toBe('skipped');
    expect(rerunOf(second!).why).toMatch(/^cooldown: n01 was rerun 240 min ago \(cooldown 600 min\)/);
    expect(run(3 * HOUR).map((i) => rerunOf(i).decision)).toEqual(['dispatch', 'dispatch']);
  });

  it('a dry run counts for the cooldown too (the decision is made, whatever the dispatcher does)', () => {
    const core = newCore({ rules: RERUN_RULES, rerun: { cooldownMs: 10 * HOUR } });
    bad(core, WARMUP);
    feed(core, chain.batches(WARMUP + 1, WARMUP + 4));
    feed(
      core,
      chain.batches(WARMUP + 4, WARMUP + 5, () => [{ node: 'n01', kind: 'null_spike' }]),
    );
    expect(core.incidents().map((i) => rerunOf(i).decision)).toEqual(['dry_run', 'skipped']);
  });

  it('are deterministic: the same reports give the same decisions and state (the cooldown record included)', () => {
    const outs = [0, 1].map(() => {
      const core = newCore({ rules: RERUN_RULES, rerun: { dryRun: false } });
      const o = feed(core, [
        ...chain.batches(0, WARMUP),
        ...chain.batches(WARMUP, WARMUP + 1, () => [{ node: 'n01', kind: 'null_spike' }]),
      ]);
      return {
        outs: o.map(comparable).join('\n'),
        state: JSON.stringify(snapshot(core)),
        reruns: core.pipelineState(chain.dag.pipeline)!.reruns,
      };
    });
    expect(outs[0]!.outs === outs[1]!.outs && outs[0]!.state === outs[1]!.state).toBe(true);
    expect(outs[0]!.reruns).toEqual([{ node: 'n01', at: chain.sim.runTime(WARMUP) + 2000 }]);
  });

  describe('with an ambiguous root', () => {
    const ambiguous = (allowAmbiguous: boolean) => {
      const core = newCore({ rules: RERUN_RULES, rerun: { dryRun: false, allowAmbiguous } });
      const without = (run: number, faults: Parameters<Scenario['reports']>[1] = []) =>
        chain.reports(run, faults).filter((r) => r.node !== 'n00');
      for (let r = 0; r < WARMUP; r++) core.processBatch(without(r));
      core.processBatch(without(WARMUP, [{ node: 'n01', kind: 'null_spike' }]));
      // n00's named run never arrives: the verdict is held until the pipeline's next run passes it.
      core.processBatch(without(WARMUP + 1));
      return core.incidents()[0]!;
    };

    it('is skipped unless allowed', () => {
      const skipped = rerunOf(ambiguous(false));
      expect(skipped.decision).toBe('skipped');
      expect(skipped.why).toContain('ambiguous (candidates n01, n00, confidence 0.5)');
      expect(rerunOf(ambiguous(true)).decision).toBe('dispatch');
    });
  });
});

describe('culprit -> Airflow task', () => {
  it('follows the OpenLineage naming of Airflow (pipeline = DAG, node = dag.task), else the node is the task', () => {
    expect(airflowTaskOf({ targets: [] }, 'etl_daily', 'etl_daily.load_orders')).toMatchObject({
      dagId: 'etl_daily',
      taskId: 'load_orders',
    });
    expect(airflowTaskOf({ targets: [] }, 'etl_daily', 'etl_daily.group.load')).toMatchObject({
      dagId: 'etl_daily',
      taskId: 'group.load',
    });
    expect(airflowTaskOf({ targets: [] }, 'etl_daily', 'load_orders')).toMatchObject({
      dagId: 'etl_daily',
      taskId: 'load_orders',
    });
  });

  it('an OpenLineage pipeline `<namespace>/<dag_id>` (the Airflow instance and the DAG): the DAG id after the last /', () => {
    expect(airflowTaskOf({ targets: [] }, 'airflow-prod/etl_daily', 'etl_daily.load_orders')).toMatchObject({
      dagId: 'etl_daily',
      taskId: 'load_orders',
    });
    expect(airflowTaskOf({ targets: [] }, 'airflow://host:8080/etl_daily', 'etl_daily.group.load')).toMatchObject({
      dagId: 'etl_daily',
      taskId: 'group.load',
    });
  });

  it('an explicit target wins, first match first', () => {
    const targets = parseRerunTargets(['shop/load_*=shop_dag/load', 'shop/*=shop_dag/all', '*=fallback/x']);
    expect(airflowTaskOf({ targets }, 'shop', 'load_orders')).toEqual({
      dagId: 'shop_dag',
      taskId: 'load',
      via: 'target shop/load_*',
    });
    expect(airflowTaskOf({ targets }, 'shop', 'clean')).toMatchObject({ dagId: 'shop_dag', taskId: 'all' });
    expect(airflowTaskOf({ targets }, 'other', 'n')).toMatchObject({ dagId: 'fallback', taskId: 'x' });
  });

  it('a malformed target is refused, naming it', () => {
    for (const bad of ['shop/load', '=d/t', 'x=d', 'x=d/', 'x=d/t/u'])
      expect(() => parseRerunTargets([bad])).toThrow(`rerun target ${JSON.stringify(bad)} is not`);
  });
});
