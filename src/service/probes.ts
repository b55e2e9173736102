import type { Admin } from 'kafkajs';
import { createKafka } from '../adapters/kafka/client.js';
import type { MonitorConfig } from '../config/index.js';
import { RootlineError } from '../errors/index.js';
import type { Logger } from './log.js';
import type { PointSink } from './batch-loop.js';
import type { Component } from './supervisor.js';

/**
 * A cheap check that the brokers answer: a metadata request (describeCluster) on an admin client of
 * its own, without kafkajs' retries (the probe's period is the retry). The connection is kept between
 * checks and dropped after a failure, so a restarted broker is reached again.
 */
export function kafkaCheck(
  cfg: MonitorConfig['kafka'],
  logger: Logger,
): { check: () => Promise<void>; close: () => Promise<void> } {
  const kafka = createKafka(cfg, undefined, '-health');
  let admin: Admin | undefined;
  const close = async () => {
    const a = admin;
    admin = undefined;
    await a?.disconnect().catch(() => undefined);
  };
  return {
    check: async () => {
      try {
        if (!admin) {
          admin = kafka.admin({ retry: { retries: 0 } });
          await admin.connect();
        }
        const c = await admin.describeCluster();
        if (c.brokers.length === 0) throw new RootlineError('SERVICE_UNAVAILABLE', 'no broker in the metadata');
      } catch (err: unknown) {
        logger.debug({ err }, 'Kafka health check failed');
        await close();
        throw err;
      }
    },
    close,
  };
}

/** A check that the schema registry answers (GET /subjects), within `timeoutMs`. */
export function registryCheck(cfg: MonitorConfig['schemaRegistry'], timeoutMs: number): () => Promise<void> {
  const base = (cfg.url ?? '').replace(/\/+$/, '');
  const auth = cfg.username
    ? { authorization: `Basic ${Buffer.from(`${cfg.username}:${cfg.password ?? ''}`).toString('base64')}` }
    : {};
  return async () => {
    const res = await fetch(`${base}/subjects`, { headers: auth, signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel().catch(() => undefined);
    if (!res.ok) throw new RootlineError('SERVICE_UNAVAILABLE', `the schema registry answered ${res.status}`);
  };
}

/**
 * The InfluxDB writer as the batch loop sees it, reporting to `health`: ok after a write that
 * succeeded, degraded (with the reason) after one that failed and will be retried.
 */
export function observedSink(sink: PointSink, health: Component): PointSink {
  return {
    write: async (points) => {
      try {
        await sink.write(points);
        health.ok();
      } catch (err: unknown) {
        health.degraded(err);
        throw err;
      }
    },
  };
}
