import { isRootlineError, RootlineError } from '../errors/index.js';
import { retry } from '../errors/retry.js';
import type { MetricPoint } from '../monitor/points.js';

/** Where the consumer writes metric points; the InfluxDB sink in production. */
export interface PointSink {
  /** Throws a `SINK_REJECTED` RootlineError when the store refuses the points themselves (never worth retrying). */
  write(points: readonly MetricPoint[]): Promise<void>;
}

export interface WriteNarrowingOptions {
  sink: PointSink;
  /** Longest wait between tries while the sink is down. */
  maxDelayMs: number;
  /** When true, a wait ends and the write fails (shutdown, lost partition). */
  stopped: () => boolean;
  /** Called about once a second while waiting (Kafka heartbeats). */
  heartbeat?: () => Promise<void>;
  onWritten?: (seconds: number) => void;
  onRetry?: (err: unknown, attempt: number, waitMs: number) => void;
  onRejected?: (err: unknown, point: MetricPoint, report: number | undefined) => void;
}

/**
 * Writes points so that a failure of the sink and a failure of the data are told apart:
 * - the sink is down (network, timeouts, 5xx, or any error but `SINK_REJECTED`): retried with backoff through
 *   the one retry policy for as long as it lasts (the batch cannot commit without its points);
 * - the sink refuses the points (`SINK_REJECTED`: InfluxDB's 400, 413, 422): the refused points are found by
 *   bisection (about 2 log2(n) writes per refused point) and everything else is written; rewriting accepted
 *   points is harmless (a point is identified by measurement, tags and time).
 * `origin[i]` names the report that produced `points[i]` (an index of the caller's; undefined for timer work).
 * Returns the reports with refused points, with the sink's answer, and the number of refused points.
 */
export async function writeNarrowing(
  points: readonly MetricPoint[],
  origin: readonly (number | undefined)[],
  o: WriteNarrowingOptions,
): Promise<{ rejected: Map<number, string>; refusedPoints: number }> {
  const rejected = new Map<number, string>();
  let refusedPoints = 0;
  const write = (slice: readonly MetricPoint[]) =>
    retry(
      async () => {
        const t0 = process.hrtime.bigint();
        await o.sink.write(slice);
        o.onWritten?.(Number(process.hrtime.bigint() - t0) / 1e9);
      },
      {
        backoff: { initialMs: 200, maxMs: o.maxDelayMs },
        retriable: (err) => !isRootlineError(err, 'SINK_REJECTED'),
        stopped: o.stopped,
        stopError: (err) =>
          new RootlineError('INFLUX_ERROR', 'stopping while InfluxDB writes are failing', { cause: err }),
        ...(o.heartbeat ? { onWait: o.heartbeat } : {}),
        ...(o.onRetry ? { onRetry: o.onRetry } : {}),
      },
    );
  const narrow = async (from: number, to: number): Promise<void> => {
    if (from >= to) return;
    try {
      await write(points.slice(from, to));
    } catch (err: unknown) {
      if (!isRootlineError(err, 'SINK_REJECTED')) throw err;
      if (to - from > 1) {
        const mid = from + Math.ceil((to - from) / 2);
        await narrow(from, mid);
        await narrow(mid, to);
        return;
      }
      refusedPoints += 1;
      const report = origin[from];
      o.onRejected?.(err, points[from]!, report);
      if (report !== undefined && !rejected.has(report)) rejected.set(report, err.message);
    }
  };
  await narrow(0, points.length);
  return { rejected, refusedPoints };
}
