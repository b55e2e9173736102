import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionDispatcher, airflowRerun, type RerunCommand } from '../../../src/actions/index.js';
import { startAirflowMockServer, type AirflowMockServer } from '../../../src/dev/airflow/server.js';
import { ensureAirflowSpec, loadAirflowSpec } from '../../../src/dev/airflow/spec.js';
import { harnessConfig } from '../../../src/dev/services/index.js';
import { isRootlineError } from '../../../src/errors/index.js';
import type { IncidentEvent } from '../../../src/monitor/index.js';
import { eventually, producer, readTopic, unique } from '../helpers.js';
import { monitorConfig, nodeRunCount, recentSim, sendReports, startMonitor } from '../monitor/harness.js';

const USER = 'rootline';
const PASSWORD = 'airflow-secret-pw';
let airflow: AirflowMockServer;
const silent = pino({ level: 'silent' });

beforeAll(async () => {
  const spec = loadAirflowSpec(await ensureAirflowSpec(harnessConfig().cacheDir));
  airflow = await startAirflowMockServer({ spec, username: USER, password: PASSWORD });
}, 300_000);
afterAll(async () => {
  expect(airflow.violations).toEqual([]);
  await airflow.close();
});

const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const callsOf = (dagId: string, op?: string) =>
  airflow.calls.filter((c) => c.path.startsWith(`/dags/${dagId}/`) && (op === undefined || c.operationId === op));

function command(dagId: string, over: Partial<RerunCommand> = {}): RerunCommand {
  return {
    type: 'rerun',
    idempotency_key: `inc-${dagId}:rerun`,
    incident_id: `inc-${dagId}`,
    pipeline: dagId,
    node: `${dagId}.load`,
    mode: 'clear',
    dag_id: dagId,
    task_id: 'load',
    dag_run_id: 'scheduled__2026-12-01T00:00:00+00:00',
    dry_run: true,
    reason: 'load broke the data',
    decided_at: '2026-12-01T00:00:00.000Z',
    decided_by: 'rootline-monitor',
    ...over,
  };
}

function seed(dagId: string): void {
  airflow.addDag({ dag_id: dagId, tasks: ['extract', 'load', 'publish'] });
  airflow.addDagRun({ dag_id: dagId, dag_run_id: 'scheduled__2026-12-01T00:00:00+00:00' });
}

const options = () => ({
  url: airflow.url,
  allowHosts: ['127.0.0.1'],
  username: USER,
  password: PASSWORD,
  maxRetryDelayMs: 200,
});

describe('the Airflow client against the local server that follows the published spec', () => {
  it('a dry run is the clear call with dry_run: true, answered with the task instances Airflow would clear', async () => {
    const dag = unique('dry');
    seed(dag);
    const r = await airflowRerun(options(), command(dag), silent);
    expect(r.outcome).toBe('dry_run');
    expect(r.task_instances).toEqual([
      {
        task_id: 'load',
        dag_id: dag,
        dag_run_id: 'scheduled__2026-12-01T00:00:00+00:00',
        execution_date: airflow.dagRun(dag, 'scheduled__2026-12-01T00:00:00+00:00')!.execution_date,
      },
    ]);
    const [call, ...rest] = callsOf(dag);
    expect(rest).toEqual([]);
    expect(call).toMatchObject({ operationId: 'post_clear_task_instances', status: 200 });
    expect(call!.body).toMatchObject({ dry_run: true, task_ids: ['load'], only_failed: false });
    expect(airflow.taskInstance(dag, 'scheduled__2026-12-01T00:00:00+00:00', 'load')).toMatchObject({
      state: 'success',
      clears: 0,
    });
  });

  it('clears for real once per incident, through 503 and 429 (Retry-After), and a second try is already done', async () => {
    const dag = unique('real');
    seed(dag);
    airflow.fault({ operationId: 'post_clear_task_instances', status: 503, count: 2 });
    airflow.fault({ operationId: 'post_clear_task_instances', status: 429, retryAfterSec: 1, count: 1 });
    const t0 = Date.now();
    const r = await airflowRerun({ ...options(), maxRetryDelayMs: 5000 }, command(dag, { dry_run: false }), silent);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(r).toMatchObject({ outcome: 'cleared', task_instances: [{ task_id: 'load' }] });
    expect(callsOf(dag).map((c) => `${c.operationId} ${c.status}`)).toEqual([
      'get_dag_run 200',
      'set_dag_run_note 200',
      'post_clear_task_instances 503',
      'post_clear_task_instances 503',
      'post_clear_task_instances 429',
      'post_clear_task_instances 200',
    ]);
    expect(callsOf(dag, 'post_clear_task_instances').at(-1)!.body).toMatchObject({
      dry_run: false,
      reset_dag_runs: true,
      dag_run_id: 'scheduled__2026-12-01T00:00:00+00:00',
    });
    const again = await airflowRerun(options(), command(dag, { dry_run: false }), silent);
    expect(again.outcome).toBe('already_done');
    expect(airflow.taskInstance(dag, 'scheduled__2026-12-01T00:00:00+00:00', 'load')).toEqual({
      task_id: 'load',
      state: null,
      clears: 1,
    });
    expect(airflow.dagRun(dag, 'scheduled__2026-12-01T00:00:00+00:00')!.note).toContain(`[rootline inc-${dag}:rerun]`);
  });

  it('trigger mode creates the DAG run named after the incident once: a second trigger meets 409 and is already done', async () => {
    const dag = unique('trig');
    seed(dag);
    const cmd = command(dag, { mode: 'trigger', dag_run_id: `rootline__inc-${dag}`, dry_run: false });
    expect((await airflowRerun(options(), { ...cmd, dry_run: true }, silent)).outcome).toBe('dry_run');
    expect((await airflowRerun(options(), cmd, silent)).outcome).toBe('triggered');
    expect((await airflowRerun(options(), cmd, silent)).outcome).toBe('already_done');
    expect(callsOf(dag).map((c) => `${c.operationId} ${c.status}`)).toEqual(['post_dag_run 200', 'post_dag_run 409']);
    expect(airflow.dagRun(dag, `rootline__inc-${dag}`)).toMatchObject({
      run_type: 'manual',
      conf: { rootline_incident_id: `inc-${dag}` },
    });
  });

  it('a request the spec would refuse never leaves the client; sent anyway, the local server refuses it', async () => {
    const dag = unique('bad');
    seed(dag);
    const before = airflow.calls.length;
    const err = await airflowRerun(options(), command(dag, { task_id: 'load orders' }), silent).catch(
      (e: unknown) => e,
    );
    expect(isRootlineError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect(String(err)).toContain('task_id "load orders"');
    expect(airflow.calls.length).toBe(before);

    const post = (path: string, body: unknown, authorization = auth) =>
      fetch(`${airflow.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify(body),
      });
    const empty = await post(`/dags/${dag}/clearTaskInstances`, { dry_run: 'no', task_ids: [] });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { detail: string }).detail).toBe(
      '/dry_run must be boolean; /task_ids must NOT have fewer than 1 items',
    );
    const readOnly = await post(`/dags/${dag}/dagRuns`, { dag_run_id: 'x', state: 'running' });
    expect(readOnly.status).toBe(400);
    expect(((await readOnly.json()) as { detail: string }).detail).toContain('/state is read-only');
    expect(airflow.dagRun(dag, 'x')).toBeUndefined();
    expect((await post(`/dags/${dag}/clearTaskInstances`, { dry_run: true }, 'Basic bm9ib2R5Og==')).status).toBe(401);
    const wrong = await airflowRerun({ ...options(), password: 'wrong' }, command(dag), silent).catch(
      (e: unknown) => e,
    );
    expect(String(wrong)).toContain('answered 401');
  });

  it("the local server's answers are checked against the spec's response schemas: an off-spec one becomes a 500", async () => {
    const dag = unique('off');
    seed(dag);
    airflow.dagRun(dag, 'scheduled__2026-12-01T00:00:00+00:00')!.state = 'exploded';
    const res = await fetch(`${airflow.url}/dags/${dag}/dagRuns/scheduled__2026-12-01T00:00:00+00:00`, {
      headers: { authorization: auth },
    });
    expect(res.status).toBe(500);
    expect(airflow.violations).toHaveLength(1);
    expect(airflow.violations[0]).toContain(
      'GET /dags/{dag_id}/dagRuns/{dag_run_id} 200: /state must be equal to one of',
    );
    airflow.violations.splice(0);
  });

  it('refuses a host that is not allow-listed before any request', async () => {
    const before = airflow.calls.length;
    await expect(
      airflowRerun({ ...options(), allowHosts: ['airflow.example.com'] }, command('x'), silent),
    ).rejects.toThrow('Airflow host 127.0.0.1 is not allow-listed');
    expect(airflow.calls.length).toBe(before);
  });
});

describe('an incident routed to rerun, end to end on the real broker', () => {
  async function scenario(pipeline: string, dryRun: boolean) {
    const rules = mkdtempSync(join(tmpdir(), 'rootline-rules-'));
    cpSync('rules/defaults.yaml', join(rules, 'defaults.yaml'));
    writeFileSync(
      join(rules, 'zz-rerun.yaml'),
      `version: 1\noverrides:\n  - match: { pipeline: "${pipeline}" }\n    routes: { critical: [slack, rerun] }\n`,
    );
    const cfg = monitorConfig({
      'monitor.rules': rules,
      'rerun.dryRun': dryRun,
      'rerun.airflowUrl': airflow.url,
      'rerun.allowHosts': ['127.0.0.1'],
      'rerun.username': USER,
      'rerun.password': PASSWORD,
      'rerun.maxRetryDelayMs': 200,
      'log.level': 'info',
    });
    const { sim, run } = recentSim('chain', 4, pipeline, 81);
    const badRun = run(7, [{ node: 'n01', kind: 'row_drop' }]);
    const dagRunId = badRun.find((r) => r.node === 'n01')!.run_id;
    airflow.addDag({ dag_id: pipeline, tasks: sim.dag.nodes.map((n) => n.name) });
    airflow.addDagRun({ dag_id: pipeline, dag_run_id: dagRunId });
    const m = await startMonitor(cfg);
    for (let r = 0; r < 7; r++) await sendReports(cfg, run(r));
    await sendReports(cfg, badRun);
    await sendReports(cfg, run(8, [{ node: 'n01', kind: 'row_drop' }]));
    await eventually(
      async () => ((await nodeRunCount(cfg, pipeline)) === 36 ? true : undefined),
      60_000,
      'all reports',
    );
    const incident = m.core.incidents({ status: 'open' })[0]!;
    expect(incident.culprit).toBe('n01');
    expect(incident.actions.find((a) => a.action === 'rerun')).toMatchObject({
      decision: dryRun ? 'dry_run' : 'dispatch',
      who: 'rootline-monitor',
      details: {
        dag_id: pipeline,
        task_id: 'n01',
        dag_run_id: dagRunId,
        idempotency_key: `${incident.incident_id}:rerun`,
      },
    });
    await eventually(
      () => (callsOf(pipeline, 'post_clear_task_instances').some((c) => c.status === 200) ? true : undefined),
      30_000,
      'the clear call',
    );
    // Redeliver the incident's opened event: no second rerun.
    const isOpened = (value: string | null) => (JSON.parse(value ?? '{}') as IncidentEvent).type === 'opened';
    const events = await readTopic(cfg.kafka.topics.incidents, (msgs) => msgs.some((e) => isOpened(e.value)));
    const opened = events.find((e) => isOpened(e.value))!;
    const p = await producer();
    await p.send({ topic: cfg.kafka.topics.incidents, messages: [{ key: opened.key, value: opened.value }] });
    await eventually(
      () => (m.dispatcher.outcomes.filter((o) => o.action === 'rerun').length >= 2 ? m.dispatcher.outcomes : undefined),
      30_000,
      'the redelivered event handled',
    );
    await m.dispatcher.drain();
    return { m, incident, dagRunId, opened: JSON.parse(opened.value!) as IncidentEvent };
  }

  it('asks Airflow for exactly one dry run per incident by default, even when the event is redelivered', async () => {
    const pipeline = unique('rr-dry');
    const { m, dagRunId } = await scenario(pipeline, true);
    const clears = callsOf(pipeline, 'post_clear_task_instances');
    expect(clears).toHaveLength(1);
    expect(clears[0]!.body).toMatchObject({ dry_run: true, task_ids: ['n01'], dag_run_id: dagRunId });
    expect(m.dispatcher.outcomes.filter((o) => o.action === 'rerun').map((o) => o.outcome)).toEqual([
      'dry_run',
      'already_done',
    ]);
    expect(airflow.taskInstance(pipeline, dagRunId, 'n01')!.clears).toBe(0);
    expect(m.logs.join('')).not.toContain(PASSWORD);
  });

  it('with rerun.dryRun false clears the culprit task instance once, even when the event is redelivered', async () => {
    const pipeline = unique('rr-real');
    const { m, dagRunId, opened } = await scenario(pipeline, false);
    const clears = callsOf(pipeline, 'post_clear_task_instances');
    expect(clears.map((c) => (c.body as { dry_run: boolean }).dry_run)).toEqual([false]);
    expect(airflow.taskInstance(pipeline, dagRunId, 'n01')).toMatchObject({ clears: 1 });
    expect(airflow.taskInstance(pipeline, dagRunId, 'n00')).toMatchObject({ clears: 0 });
    expect(m.metrics.registry.render()).not.toContain(PASSWORD);
    // After a restart (a dispatcher with no memory of it), the mark on the DAG run keeps it to one rerun.
    const fresh = new ActionDispatcher({ logger: silent, airflow: options() });
    await fresh.handle(opened);
    expect(fresh.outcomes.filter((o) => o.action === 'rerun').map((o) => o.outcome)).toEqual(['already_done']);
    expect(airflow.taskInstance(pipeline, dagRunId, 'n01')).toMatchObject({ clears: 1 });
    expect(m.logs.join('')).not.toContain(PASSWORD);
  });
});
