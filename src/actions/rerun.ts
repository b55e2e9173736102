import type { Logger } from 'pino';
import { classify, isRetriable, transientStatus } from '../errors/classify.js';
import { RootlineError, errorMessage } from '../errors/index.js';
import { retry } from '../errors/retry.js';
import type { ActionDecision, Incident } from '../monitor/incident-types.js';
import { text } from './rollback.js';

/** A rerun as decided by the core, ready for Airflow. */
export interface RerunCommand {
  type: 'rerun';
  idempotency_key: string;
  incident_id: string;
  pipeline: string;
  node: string;
  mode: 'clear' | 'trigger';
  dag_id: string;
  task_id: string;
  /** `clear`: the DAG run whose task instance is cleared; `trigger`: the id of the DAG run created. */
  dag_run_id: string;
  dry_run: boolean;
  reason: string;
  decided_at: string;
  decided_by: string;
}

export function rerunCommandOf(i: Incident, d: ActionDecision): RerunCommand {
  const det = d.details ?? {};
  return {
    type: 'rerun',
    idempotency_key: text(det.idempotency_key),
    incident_id: i.incident_id,
    pipeline: i.pipeline,
    node: i.culprit,
    mode: det.mode === 'trigger' ? 'trigger' : 'clear',
    dag_id: text(det.dag_id),
    task_id: text(det.task_id),
    dag_run_id: text(det.dag_run_id),
    dry_run: d.decision !== 'dispatch',
    reason: `${i.cause.summary} (${i.incident_id})`,
    decided_at: d.at,
    decided_by: d.who,
  };
}

export interface AirflowOptions {
  /** The stable REST API's base, e.g. `https://airflow.example.com/api/v1`. */
  url: string;
  allowHosts: readonly string[];
  /** Basic auth (Airflow's `basic_auth` API backend). */
  username?: string | undefined;
  password?: string | undefined;
  /** Bearer token (a token-based auth backend); used instead of basic auth when set. */
  token?: string | undefined;
  /** Tries of one call before giving up. Default 6. */
  attempts?: number;
  /** Longest wait between tries, ms. Default 30000. */
  maxRetryDelayMs?: number;
  timeoutMs?: number;
}

/** A task instance Airflow cleared (or would clear, in a dry run). */
export interface ClearedTaskInstance {
  dag_id?: string;
  task_id?: string;
  dag_run_id?: string;
  execution_date?: string;
}

export interface RerunResult {
  outcome: 'dry_run' | 'cleared' | 'triggered' | 'already_done';
  dag_run_id: string;
  /** clear: the task instances Airflow cleared or, in a dry run, would clear. */
  task_instances?: ClearedTaskInstance[];
  detail: string;
}

/** Airflow's own rule for DAG and task ids (airflow.utils.helpers.KEY_REGEX, at most 250 characters). */
const AIRFLOW_KEY = /^[\w.-]{1,250}$/;

/** The note written on a DAG run once it was cleared for an incident: the mark that makes a clear idempotent. */
export function rerunMark(cmd: RerunCommand): string {
  return `[rootline ${cmd.idempotency_key}]`;
}

/**
 * Refuses, before any request, a command whose requests Airflow would refuse: the ids must follow
 * Airflow's key rule, the DAG run id must be set, `task_ids` must not be empty (the spec's minItems).
 */
export function checkRerunCommand(cmd: RerunCommand): void {
  const bad: string[] = [];
  if (!AIRFLOW_KEY.test(cmd.dag_id)) bad.push(`dag_id ${JSON.stringify(cmd.dag_id)}`);
  if (!AIRFLOW_KEY.test(cmd.task_id)) bad.push(`task_id ${JSON.stringify(cmd.task_id)}`);
  if (cmd.dag_run_id === '' || cmd.dag_run_id.length > 250) bad.push(`dag_run_id ${JSON.stringify(cmd.dag_run_id)}`);
  if (bad.length > 0) {
    throw new RootlineError(
      'INVALID_ARGUMENT',
      `rerun of ${cmd.node} not sent: Airflow would refuse ${bad.join(', ')} (ids are letters, digits, _ . -; map the node with rerun.targets)`,
    );
  }
}

interface Answer {
  status: number;
  body: unknown;
}

/**
 * Asks Airflow (stable REST API v1) to rerun a culprit, or for a dry run of it.
 *
 * - `clear`, dry run: POST clearTaskInstances with `dry_run: true`; Airflow answers with the task instances it
 *   would clear.
 * - `clear`: reads the DAG run; if its note holds this incident's mark the rerun was done before
 *   (`already_done`); else writes the mark, then clears the task instance (`only_failed: false`,
 *   `reset_dag_runs: true`). Mark first: a crash between the two gives no rerun rather than two.
 * - `trigger`, dry run: reads the DAG (it must exist; a paused DAG is reported).
 * - `trigger`: POST dagRuns with the incident's DAG run id; 409 (it exists) is `already_done`.
 *
 * Each call is retried on network errors, 5xx, 408 and 429 (honouring Retry-After) by the one retry policy;
 * any other 4xx is final. The host must be allow-listed. `onWait` is called while waiting between tries (a
 * Kafka consumer passes its heartbeat).
 */
export async function airflowRerun(
  o: AirflowOptions,
  cmd: RerunCommand,
  logger: Logger,
  onWait?: () => Promise<unknown> | undefined,
): Promise<RerunResult> {
  const base = new URL(o.url.endsWith('/') ? o.url : `${o.url}/`);
  if (!o.allowHosts.includes(base.hostname))
    throw new RootlineError('WEBHOOK_ERROR', `Airflow host ${base.hostname} is not allow-listed (rerun.allowHosts)`);
  checkRerunCommand(cmd);
  const auth = o.token
    ? `Bearer ${o.token}`
    : o.username !== undefined
      ? `Basic ${Buffer.from(`${o.username}:${o.password ?? ''}`).toString('base64')}`
      : undefined;
  const attempts = o.attempts ?? 6;
  const dag = encodeURIComponent(cmd.dag_id);

  const call = async (method: string, path: string, body: unknown, ok: readonly number[]): Promise<Answer> => {
    const url = new URL(path, base);
    let last = '';
    try {
      return await retry(
        async () => {
          let res: Response;
          try {
            res = await fetch(url, {
              method,
              headers: {
                accept: 'application/json',
                ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
                ...(auth ? { authorization: auth } : {}),
              },
              ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
              signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
            });
          } catch (err: unknown) {
            last = errorMessage(err);
            throw classify(err, 'WEBHOOK_ERROR', `Airflow ${method} ${path}`);
          }
          const raw = await res.text().catch(() => '');
          let parsed: unknown;
          try {
            parsed = raw === '' ? undefined : JSON.parse(raw);
          } catch {
            parsed = raw;
          }
          if (res.ok || ok.includes(res.status)) return { status: res.status, body: parsed };
          last = String(res.status);
          const detail =
            typeof parsed === 'object' && parsed !== null && 'detail' in parsed
              ? text(parsed.detail)
              : raw.slice(0, 300);
          const retryAfterMs = Number(res.headers.get('retry-after') ?? '') * 1000 || 0;
          throw new RootlineError('WEBHOOK_ERROR', `Airflow ${method} ${path} answered ${res.status}: ${detail}`, {
            retriable: transientStatus(res.status),
            details: { status: res.status },
            ...(retryAfterMs > 0 ? { retryAfterMs } : {}),
          });
        },
        {
          backoff: { initialMs: 500, maxMs: o.maxRetryDelayMs ?? 30_000 },
          attempts,
          ...(onWait ? { onWait } : {}),
          onRetry: (err, attempt) =>
            logger.warn(
              { attempt, detail: errorMessage(err), incident: cmd.incident_id },
              'Airflow call failed; retrying',
            ),
        },
      );
    } catch (err: unknown) {
      if (!isRetriable(err)) throw err;
      throw new RootlineError(
        'WEBHOOK_ERROR',
        `Airflow ${method} ${path} failed after ${attempts} tries (last: ${last})`,
        {
          retriable: true,
          cause: err,
        },
      );
    }
  };

  const clearBody = (dryRun: boolean) => ({
    dry_run: dryRun,
    task_ids: [cmd.task_id],
    dag_run_id: cmd.dag_run_id,
    only_failed: false,
    only_running: false,
    reset_dag_runs: true,
    include_upstream: false,
    include_downstream: false,
    include_future: false,
    include_past: false,
  });
  const cleared = (a: Answer): ClearedTaskInstance[] => {
    const tis = (a.body as { task_instances?: unknown } | undefined)?.task_instances;
    return Array.isArray(tis) ? (tis as ClearedTaskInstance[]) : [];
  };

  if (cmd.mode === 'clear') {
    const clearPath = `dags/${dag}/clearTaskInstances`;
    if (cmd.dry_run) {
      const tis = cleared(await call('POST', clearPath, clearBody(true), []));
      return {
        outcome: 'dry_run',
        dag_run_id: cmd.dag_run_id,
        task_instances: tis,
        detail: `dry run: Airflow would clear ${tis.length} task instance(s) of ${cmd.dag_id} run ${cmd.dag_run_id}`,
      };
    }
    const runPath = `dags/${dag}/dagRuns/${encodeURIComponent(cmd.dag_run_id)}`;
    const run = await call('GET', runPath, undefined, []);
    const note = (run.body as { note?: unknown } | undefined)?.note;
    const mark = rerunMark(cmd);
    if (typeof note === 'string' && note.includes(mark)) {
      return {
        outcome: 'already_done',
        dag_run_id: cmd.dag_run_id,
        detail: `DAG run ${cmd.dag_run_id} of ${cmd.dag_id} was already cleared for ${cmd.incident_id}`,
      };
    }
    const newNote = `${typeof note === 'string' && note !== '' ? `${note}\n` : ''}${mark} ${cmd.reason}`;
    await call('PATCH', `${runPath}/setNote`, { note: newNote }, []);
    const tis = cleared(await call('POST', clearPath, clearBody(false), []));
    return {
      outcome: 'cleared',
      dag_run_id: cmd.dag_run_id,
      task_instances: tis,
      detail: `cleared ${tis.length} task instance(s) of ${cmd.dag_id} run ${cmd.dag_run_id}`,
    };
  }

  if (cmd.dry_run) {
    const d = await call('GET', `dags/${dag}`, undefined, []);
    const paused = (d.body as { is_paused?: unknown } | undefined)?.is_paused === true;
    return {
      outcome: 'dry_run',
      dag_run_id: cmd.dag_run_id,
      detail: `dry run: would trigger DAG run ${cmd.dag_run_id} of ${cmd.dag_id}${paused ? ' (the DAG is paused: the run would stay queued)' : ''}`,
    };
  }
  const r = await call(
    'POST',
    `dags/${dag}/dagRuns`,
    {
      dag_run_id: cmd.dag_run_id,
      conf: { rootline_incident_id: cmd.incident_id, rootline_node: cmd.node, rootline_task_id: cmd.task_id },
      note: `${rerunMark(cmd)} ${cmd.reason}`,
    },
    [409],
  );
  if (r.status === 409) {
    return {
      outcome: 'already_done',
      dag_run_id: cmd.dag_run_id,
      detail: `DAG run ${cmd.dag_run_id} of ${cmd.dag_id} exists: triggered before for ${cmd.incident_id}`,
    };
  }
  return {
    outcome: 'triggered',
    dag_run_id: cmd.dag_run_id,
    detail: `triggered DAG run ${cmd.dag_run_id} of ${cmd.dag_id}`,
  };
}
