import type { Logger } from 'pino';
import { errorMessage } from '../errors/index.js';
import { retry } from '../errors/retry.js';
import type { ActionDecision, IncidentEvent } from '../monitor/incident-types.js';
import { airflowRerun, rerunCommandOf, type AirflowOptions } from './rerun.js';
import { postWebhook, rollbackCommandOf, type RollbackCommand, type WebhookOptions } from './rollback.js';
import type { SlackNotifier } from './slack.js';

/** What happened when an action ran (kept for queries and written as metrics). */
export interface ActionOutcome {
  incident_id: string;
  version: number;
  action: 'slack' | 'rollback' | 'rerun' | 'log';
  outcome: string;
  at: string;
  detail?: string;
}

export interface DispatcherOptions {
  slack?: SlackNotifier | undefined;
  /** Sends a rollback command to the commands topic (Kafka mode). */
  sendCommand?: ((cmd: RollbackCommand) => Promise<void>) | undefined;
  webhook?: WebhookOptions | undefined;
  /** Where reruns go (Airflow's stable REST API); without it a rerun decision is only logged. */
  airflow?: AirflowOptions | undefined;
  logger: Logger;
  /** Longest wait between retries of a failing Slack call, ms. Default 60000. */
  maxRetryDelayMs?: number;
  onOutcome?: (o: ActionOutcome) => void;
  now?: () => number;
}

/**
 * Carries out the actions decided for incidents: the Slack message and thread, rollback commands, log
 * lines. Events are handled one at a time in order; a retriable failure (Slack rate limit or outage)
 * is retried with backoff until it succeeds or the dispatcher stops, so nothing is lost, and since the
 * Slack side is idempotent nothing is posted twice. It runs beside the monitor's consumer, never in it.
 */
export class ActionDispatcher {
  private readonly queue: IncidentEvent[] = [];
  private tick: (() => Promise<void>) | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Idempotency keys of reruns carried out by this process (a redelivered event is not rerun again). */
  private readonly rerunsDone = new Set<string>();
  readonly outcomes: ActionOutcome[] = [];

  constructor(private readonly o: DispatcherOptions) {}

  private record(o: Omit<ActionOutcome, 'at'>): void {
    const full = { ...o, at: new Date((this.o.now ?? Date.now)()).toISOString() };
    this.outcomes.push(full);
    if (this.outcomes.length > 1000) this.outcomes.splice(0, this.outcomes.length - 1000);
    this.o.onOutcome?.(full);
  }

  /** Queues events; they are handled in the background. */
  push(events: readonly IncidentEvent[]): void {
    if (events.length === 0) return;
    this.queue.push(...events);
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
      if (this.queue.length > 0 && !this.stopped) this.push([]);
    });
  }

  /** Resolves when every queued event has been handled. */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  get pending(): number {
    return this.queue.length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async loop(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const e = this.queue[0]!;
      await this.handle(e);
      this.queue.shift();
    }
  }

  /**
   * Handles one event to the end (retrying what can be retried). Never throws. `tick` is called while
   * waiting between retries (a Kafka consumer passes its heartbeat).
   */
  async handle(e: IncidentEvent, tick?: () => Promise<void>): Promise<void> {
    this.tick = tick;
    const i = e.incident;
    const wants = (a: string) => i.actions.some((d) => d.action === a && d.decision !== 'skipped');
    if (wants('log')) {
      this.o.logger.info(
        { incident: i.incident_id, event: e.type, culprit: i.culprit, pipeline: i.pipeline, cause: i.cause.summary },
        `incident ${e.type}`,
      );
      this.record({ incident_id: i.incident_id, version: i.version, action: 'log', outcome: 'logged' });
    }
    if (wants('slack')) {
      if (!this.o.slack) {
        this.o.logger.warn(
          { incident: i.incident_id },
          'incident routed to Slack but slack.token is not set; logged only',
        );
        this.record({ incident_id: i.incident_id, version: i.version, action: 'slack', outcome: 'not_configured' });
      } else {
        await this.retrying(
          `Slack ${e.type} ${i.incident_id}`,
          async () => {
            const r = await this.o.slack!.handle(e);
            this.record({ incident_id: i.incident_id, version: i.version, action: 'slack', outcome: r });
          },
          (err) =>
            this.record({
              incident_id: i.incident_id,
              version: i.version,
              action: 'slack',
              outcome: 'failed',
              detail: err,
            }),
        );
      }
    }
    if (e.type === 'opened') {
      for (const d of i.actions.filter((a) => a.action === 'rerun')) await this.rerun(i, d);
      for (const d of i.actions.filter((a) => a.action === 'rollback')) {
        const cmd = rollbackCommandOf(i, d);
        if (d.decision !== 'dispatch') {
          this.o.logger.info(
            { incident: i.incident_id, decision: d.decision, why: d.why, command: cmd },
            'rollback not dispatched',
          );
          this.record({
            incident_id: i.incident_id,
            version: i.version,
            action: 'rollback',
            outcome: d.decision,
            detail: d.why,
          });
          continue;
        }
        if (this.o.sendCommand) {
          await this.retrying(
            `rollback command ${cmd.idempotency_key}`,
            async () => {
              await this.o.sendCommand!(cmd);
              this.record({
                incident_id: i.incident_id,
                version: i.version,
                action: 'rollback',
                outcome: 'command_sent',
                detail: cmd.idempotency_key,
              });
            },
            (err) =>
              this.record({
                incident_id: i.incident_id,
                version: i.version,
                action: 'rollback',
                outcome: 'failed',
                detail: err,
              }),
          );
        }
        if (this.o.webhook) {
          try {
            const r = await postWebhook(this.o.webhook, cmd, this.o.logger);
            this.record({
              incident_id: i.incident_id,
              version: i.version,
              action: 'rollback',
              outcome: 'webhook_ok',
              detail: `HTTP ${r.status} after ${r.attempts} attempt(s)`,
            });
          } catch (err: unknown) {
            this.o.logger.error({ incident: i.incident_id, err: errorMessage(err) }, 'rollback webhook failed');
            this.record({
              incident_id: i.incident_id,
              version: i.version,
              action: 'rollback',
              outcome: 'webhook_failed',
              detail: errorMessage(err),
            });
          }
        }
      }
    }
  }

  private async rerun(i: IncidentEvent['incident'], d: ActionDecision): Promise<void> {
    const out = (outcome: string, detail: string) =>
      this.record({ incident_id: i.incident_id, version: i.version, action: 'rerun', outcome, detail });
    if (d.decision === 'skipped') {
      this.o.logger.info({ incident: i.incident_id, why: d.why }, 'rerun skipped');
      out('skipped', d.why);
      return;
    }
    const cmd = rerunCommandOf(i, d);
    if (!this.o.airflow) {
      this.o.logger.warn(
        { incident: i.incident_id, command: cmd },
        'incident routed to rerun but rerun.airflowUrl is not set; logged only',
      );
      out('not_configured', d.why);
      return;
    }
    const key = `${cmd.idempotency_key}:${cmd.dry_run ? 'dry_run' : 'run'}`;
    if (this.rerunsDone.has(key)) {
      out('already_done', `${cmd.idempotency_key} was handled before (redelivered event)`);
      return;
    }
    try {
      const r = await airflowRerun(this.o.airflow, cmd, this.o.logger, this.tick);
      this.rerunsDone.add(key);
      if (this.rerunsDone.size > 10_000) this.rerunsDone.delete(this.rerunsDone.values().next().value!);
      this.o.logger.info(
        {
          incident: i.incident_id,
          outcome: r.outcome,
          dag_id: cmd.dag_id,
          dag_run_id: r.dag_run_id,
          tasks: r.task_instances,
        },
        r.detail,
      );
      out(r.outcome, r.detail);
    } catch (err: unknown) {
      this.o.logger.error({ incident: i.incident_id, err: errorMessage(err) }, 'rerun failed');
      out('failed', errorMessage(err));
    }
  }

  private async retrying(what: string, fn: () => Promise<void>, onGiveUp: (err: string) => void): Promise<void> {
    try {
      await retry(fn, {
        backoff: { initialMs: 500, maxMs: this.o.maxRetryDelayMs ?? 60_000 },
        stopped: () => this.stopped,
        onWait: () => this.tick?.(),
        onRetry: (err, attempt, waitMs) =>
          this.o.logger.warn({ what, err: errorMessage(err), attempt, waitMs }, 'action failed; retrying'),
      });
    } catch (err: unknown) {
      this.o.logger.error({ what, err: errorMessage(err) }, 'action failed; not retried');
      onGiveUp(errorMessage(err));
    }
  }
}
