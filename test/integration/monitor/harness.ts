import { Writable } from 'node:stream';
import { InfluxDB } from '@influxdata/influxdb-client';
import { onTestFinished } from 'vitest';
import { startInProcess, type MonitorHandles } from '../../../src/service/monitor.js';
import type { ConfigValue, MonitorConfig } from '../../../src/config/index.js';
import { localMonitorConfig } from '../../../src/dev/services/index.js';
import { createLogger } from '../../../src/service/log.js';
import type { Report } from '../../../src/contract/index.js';
import { PipelineSim, makeDag, type Fault } from '../../../src/sim/index.js';
import { producer, services, unique } from '../helpers.js';

/** A monitor configuration of its own: unique topics, group, InfluxDB database and Slack token. */
export function monitorConfig(over: Record<string, ConfigValue> = {}, id = unique('m')): MonitorConfig {
  return localMonitorConfig(services(), id, {
    'kafka.partitions': 3,
    'kafka.maxWaitMs': 50,
    'kafka.transactionTimeoutMs': 10_000,
    'kafka.sessionTimeoutMs': 6000,
    'influx.token': 'unused',
    'influx.maxRetryDelayMs': 1000,
    'slack.channel': '#data-incidents',
    'slack.maxRetryDelayMs': 1000,
    'monitor.rules': 'rules',
    'monitor.freshnessCheckMs': 500,
    'monitor.opsIntervalMs': 500,
    'log.level': 'warn',
    ...over,
  });
}

export interface RunningMonitor extends MonitorHandles {
  stop(): Promise<void>;
  logs: string[];
}

/** Runs a monitor in this process; stopped when the test ends. */
export async function startMonitor(cfg: MonitorConfig): Promise<RunningMonitor> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString('utf8'));
      cb();
    },
  });
  const m = await startInProcess(cfg, createLogger(cfg.log.level, sink)).catch((err: unknown) => {
    throw new Error(`monitor did not start: ${String(err)}\n${logs.join('')}`);
  });
  let stopped = false;
  const running: RunningMonitor = {
    ...m,
    logs,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await m.stop();
    },
  };
  onTestFinished(() => running.stop());
  return running;
}

/** Produces reports as JSON to the reports topic, keyed by pipeline. */
export async function sendReports(cfg: MonitorConfig, reports: Report[]): Promise<void> {
  const p = await producer();
  await p.send({
    topic: cfg.kafka.topics.reports,
    messages: reports.map((r) => ({ key: r.pipeline, value: JSON.stringify(r) })),
  });
}

/** Rows of a Flux query on the monitor's bucket. */
export async function flux<T = Record<string, unknown>>(cfg: MonitorConfig, query: string): Promise<T[]> {
  const client = new InfluxDB({ url: cfg.influx.url, token: 'unused' });
  return client.getQueryApi('o').collectRows<T>(query.replace(/BUCKET/g, `"${cfg.influx.bucket}"`));
}

/** How many node-run points the monitor wrote for a pipeline (one per report processed). */
export async function nodeRunCount(cfg: MonitorConfig, pipeline: string): Promise<number> {
  const rows = await flux<{ _value: number }>(
    cfg,
    `from(bucket: BUCKET) |> range(start: 2020-01-01T00:00:00Z, stop: 2100-01-01T00:00:00Z) |> filter(fn: (r) => r._measurement == "rootline_node_run" and r._field == "row_count" and r.pipeline == "${pipeline}") |> group() |> count()`,
  );
  return rows[0]?._value ?? 0;
}

/**
 * A simulated pipeline whose runs happen now: run r is stamped a few seconds after the test started,
 * so freshness rules, which compare with the wall clock, see a pipeline that is on time.
 */
export function recentSim(
  shape: Parameters<typeof makeDag>[0],
  size: number,
  pipeline: string,
  seed: number,
): { sim: PipelineSim; run: (r: number, faults?: Fault[]) => Report[] } {
  const sim = new PipelineSim(makeDag(shape, size, pipeline), { seed });
  const base = Date.now();
  return { sim, run: (r, faults = []) => sim.run(r, faults, base + r * 2000) };
}
