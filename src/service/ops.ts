import type { ActionOutcome } from '../actions/index.js';
import { errorMessage } from '../errors/index.js';
import { MEASUREMENTS, type MetricPoint, type MonitorCore } from '../monitor/index.js';
import type { KafkaMonitor, PointSink } from './batch-loop.js';
import type { Logger } from './log.js';
import type { MonitorMetrics } from './metrics.js';
import type { Component } from './supervisor.js';

/** The InfluxDB point for one action outcome (Slack message, rollback). */
export function actionPoint(o: ActionOutcome): MetricPoint {
  return {
    measurement: 'rootline_action',
    tags: { action: o.action, outcome: o.outcome },
    fields: { incident_id: o.incident_id, version: o.version, count: 1, ...(o.detail ? { detail: o.detail } : {}) },
    time: Date.parse(o.at),
  };
}

export interface OpsTickerDeps {
  instanceId: string;
  intervalMs: number;
  core: MonitorCore;
  kafka: KafkaMonitor;
  sink: PointSink;
  metrics: MonitorMetrics;
  logger: Logger;
  /** Points waiting to be written with the next ops point (action outcomes); emptied on each tick. */
  pending: MetricPoint[];
  /** Where the ticker's state goes: ok after each tick, degraded when one fails (supervisor). */
  health?: Component | undefined;
}

/**
 * The background ticker: freshness checks through the batch loop, then the instance's ops point
 * (throughput, lag, retries, open incidents) with the pending action points. Ticks never overlap;
 * errors go to the log. Returns the function that stops it.
 */
export function startOpsTicker(d: OpsTickerDeps): () => void {
  let lastReports = 0;
  let lastTick = Date.now();
  let busy = false;
  const m = d.metrics;
  const tick = async () => {
    await d.kafka.tick(Date.now());
    const now = Date.now();
    const total = m.reports.total();
    const rate = ((total - lastReports) * 1000) / Math.max(1, now - lastTick);
    m.reportsPerSecond.set(rate);
    lastReports = total;
    lastTick = now;
    const lag = [...d.kafka.lag.values()].reduce((a, b) => a + b, 0);
    const ops: MetricPoint = {
      measurement: MEASUREMENTS.ops,
      tags: { instance: d.instanceId },
      time: now,
      fields: {
        reports_per_second: rate,
        reports_total: total,
        consumer_lag: lag,
        dead_letters_total: m.deadLetters.total(),
        duplicates_total: m.duplicates.total(),
        influx_write_seconds_avg: m.influxWrite.observations ? m.influxWrite.total / m.influxWrite.observations : 0,
        influx_retries_total: m.influxRetries.total(),
        slack_calls_total: m.slackCalls.total(),
        rollback_calls_total: m.rollbackCalls.total(),
        rerun_calls_total: m.rerunCalls.total(),
        errors_total: m.errors.total(),
        open_incidents: d.core.incidents({ status: 'open' }).length,
      },
    };
    await d.sink
      .write([ops, ...d.pending.splice(0)])
      .catch((err: unknown) => d.logger.debug({ err: errorMessage(err) }, 'ops metrics not written'));
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    tick()
      .then(() => d.health?.ok())
      .catch((err: unknown) => {
        m.errors.inc({ component: 'tick' });
        d.health?.degraded(err);
        d.logger.warn({ err: errorMessage(err) }, 'background tick failed');
      })
      .finally(() => (busy = false));
  }, d.intervalMs);
  return () => clearInterval(timer);
}
