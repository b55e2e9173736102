import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ActionDispatcher,
  checkRerunCommand,
  rerunCommandOf,
  rerunMark,
  type ActionOutcome,
  type RerunCommand,
} from '../../src/actions/index.js';
import { describeConfig, loadConfig } from '../../src/config/index.js';
import { isRootlineError } from '../../src/errors/index.js';
import { MonitorCore, type IncidentEvent, type RerunPolicy } from '../../src/monitor/index.js';
import { compileRules } from '../../src/rules/index.js';
import { createLogger } from '../../src/service/log.js';
import { PipelineSim, makeDag } from '../../src/sim/index.js';

const logger = createLogger('silent');
const RULES = compileRules([
  { file: 'rules/defaults.yaml', text: readFileSync('rules/defaults.yaml', 'utf8') },
  { file: 'routes.yaml', text: 'routes:\n  critical: [rerun]\n' },
]);

/** Pipeline "etl" (chain n00..n03): 8 healthy runs, a null spike at n01, then 3 healthy runs. */
function events(rerun: Partial<RerunPolicy> = {}): IncidentEvent[] {
  const sim = new PipelineSim(makeDag('chain', 4, 'etl', 3), { seed: 3 });
  const core = new MonitorCore({ rules: RULES, rerun });
  const out: IncidentEvent[] = [];
  for (let r = 0; r < 12; r++)
    out.push(...core.processBatch(sim.run(r, r === 8 ? [{ node: 'n01', kind: 'null_spike' }] : [])).incidentEvents);
  return out;
}

const reruns = (o: ActionOutcome[]) => o.filter((x) => x.action === 'rerun').map((x) => [x.outcome, x.detail]);

describe('rerun commands', () => {
  it('carry the decision: mode, DAG, task, DAG run, dry run, who and why', () => {
    const opened = events().find((e) => e.type === 'opened')!;
    const d = opened.incident.actions.find((a) => a.action === 'rerun')!;
    const cmd = rerunCommandOf(opened.incident, d);
    expect(cmd).toEqual({
      type: 'rerun',
      idempotency_key: `${opened.incident.incident_id}:rerun`,
      incident_id: opened.incident.incident_id,
      pipeline: 'etl',
      node: 'n01',
      mode: 'clear',
      dag_id: 'etl',
      task_id: 'n01',
      dag_run_id: opened.incident.opened_run_id,
      dry_run: true,
      reason: `${opened.incident.cause.summary} (${opened.incident.incident_id})`,
      decided_at: d.at,
      decided_by: 'rootline-monitor',
    });
    expect(rerunMark(cmd)).toBe(`[rootline ${opened.incident.incident_id}:rerun]`);
  });

  it('that Airflow would refuse are refused before any request', () => {
    const ok: RerunCommand = {
      ...rerunCommandOf(events()[0]!.incident, events()[0]!.incident.actions[0]!),
      dag_id: 'etl',
      task_id: 'group.load-1',
    };
    expect(() => checkRerunCommand(ok)).not.toThrow();
    for (const bad of [{ task_id: 'load orders' }, { dag_id: 'a/b' }, { task_id: '' }, { dag_run_id: '' }]) {
      let err: unknown;
      try {
        checkRerunCommand({ ...ok, ...bad });
      } catch (e: unknown) {
        err = e;
      }
      expect(isRootlineError(err, 'INVALID_ARGUMENT'), JSON.stringify(bad)).toBe(true);
    }
  });
});

describe('the dispatcher and reruns', () => {
  it('records a rerun decided without Airflow configured as not configured, once (on the opened event only)', async () => {
    const d = new ActionDispatcher({ logger });
    d.push(events());
    await d.drain();
    expect(reruns(d.outcomes).map(([o]) => o)).toEqual(['not_configured']);
  });

  it('records a skipped rerun with its reason', async () => {
    const d = new ActionDispatcher({ logger });
    const ev = events().find((e) => e.type === 'opened')!;
    const skipped = structuredClone(ev);
    skipped.incident.actions = [{ ...skipped.incident.actions[0]!, decision: 'skipped', why: 'cooldown: test' }];
    await d.handle(skipped);
    expect(reruns(d.outcomes)).toEqual([['skipped', 'cooldown: test']]);
  });

  it('fails a rerun to a host that is not allow-listed, without calling it', async () => {
    const d = new ActionDispatcher({
      logger,
      airflow: { url: 'http://127.0.0.1:9/api/v1', allowHosts: ['airflow.internal'] },
    });
    await d.handle(events().find((e) => e.type === 'opened')!);
    expect(reruns(d.outcomes)).toEqual([['failed', 'Airflow host 127.0.0.1 is not allow-listed (rerun.allowHosts)']]);
  });
});

describe('rerun settings', () => {
  it('refuse an Airflow URL whose host is not allow-listed, and a malformed target', () => {
    let err: unknown;
    try {
      loadConfig({
        env: {
          ROOTLINE_RERUN_AIRFLOW_URL: 'https://airflow.example.com/api/v1',
          ROOTLINE_RERUN_ALLOW_HOSTS: 'other.example.com',
          ROOTLINE_RERUN_TARGETS: 'shop/load',
        },
      });
    } catch (e: unknown) {
      err = e;
    }
    expect(isRootlineError(err, 'CONFIG_INVALID')).toBe(true);
    expect(String(err)).toContain('the Airflow host "airflow.example.com" is not in rerun.allowHosts');
    expect(String(err)).toContain('rerun target "shop/load" is not');
  });

  it('keep the password and token out of the printed configuration', () => {
    const cfg = loadConfig({
      env: {
        ROOTLINE_RERUN_AIRFLOW_URL: 'https://airflow.example.com/api/v1',
        ROOTLINE_RERUN_ALLOW_HOSTS: 'airflow.example.com',
        ROOTLINE_RERUN_USERNAME: 'rootline',
        ROOTLINE_RERUN_PASSWORD: 'pw-airflow-secret',
        ROOTLINE_RERUN_TOKEN: 'tok-airflow-secret',
        ROOTLINE_RERUN_TARGETS: 'shop/load_*=shop_dag/load',
      },
    });
    expect(cfg.rerun).toMatchObject({ dryRun: true, mode: 'clear', targets: ['shop/load_*=shop_dag/load'] });
    const text = describeConfig(cfg);
    expect(text).not.toContain('pw-airflow-secret');
    expect(text).not.toContain('tok-airflow-secret');
    expect(text).toContain('rerun.password = "<redacted>"');
    expect(text).toContain('rerun.username = "rootline"');
  });

  it('keep the password and token out of log lines', () => {
    const lines: string[] = [];
    const log = createLogger('info', {
      write: (s: string) => (lines.push(s), true),
    } as unknown as NodeJS.WritableStream);
    log.info({ rerun: { password: 'pw-1', token: 'tok-1' }, airflow: { password: 'pw-2', token: 'tok-2' } }, 'x');
    expect(lines.join('')).not.toMatch(/pw-1|tok-1|pw-2|tok-2/);
  });
});
