import { describe, expect, it } from 'vitest';
import { RootlineError } from '../../src/errors/index.js';
import type { MetricPoint } from '../../src/monitor/points.js';
import { writeNarrowing, type PointSink } from '../../src/service/write-points.js';

const point = (i: number, bad = false): MetricPoint => ({
  measurement: 'm',
  tags: { node: `n${i}`, ...(bad ? { bad: '1' } : {}) },
  fields: { v: i },
  time: 1_000 + i,
});

/** A store that refuses any write holding a `bad` point (as InfluxDB refuses a whole request with a 400). */
class RefusingSink implements PointSink {
  written: MetricPoint[] = [];
  calls = 0;
  outages: number;
  constructor(outages = 0) {
    this.outages = outages;
  }
  write(points: readonly MetricPoint[]): Promise<void> {
    this.calls++;
    if (this.outages > 0) {
      this.outages--;
      return Promise.reject(new RootlineError('INFLUX_ERROR', 'connect ECONNREFUSED', { retriable: true }));
    }
    if (points.some((p) => p.tags.bad))
      return Promise.reject(new RootlineError('SINK_REJECTED', 'InfluxDB refused the points: 400 bad timestamp'));
    this.written.push(...points);
    return Promise.resolve();
  }
}

describe('writeNarrowing', () => {
  it('narrows a refused batch to its refused points, writes every other point, names the reports', async () => {
    const points: MetricPoint[] = [];
    const origin: number[] = [];
    for (let r = 0; r < 100; r++)
      for (let k = 0; k < 5; k++) {
        points.push(point(r * 5 + k, (r === 17 && k === 2) || (r === 80 && k === 0)));
        origin.push(r);
      }
    const sink = new RefusingSink();
    const res = await writeNarrowing(points, origin, { sink, maxDelayMs: 10, stopped: () => false });
    expect([...res.rejected.keys()].sort((a, b) => a - b)).toEqual([17, 80]);
    expect(res.rejected.get(17)).toContain('400 bad timestamp');
    expect(res.refusedPoints).toBe(2);
    expect(new Set(sink.written.map((p) => p.tags.node)).size).toBe(498);
    expect(sink.written.some((p) => p.tags.bad)).toBe(false);
    // Bisection, not one write per point.
    expect(sink.calls).toBeLessThan(60);
  });

  it('waits out an outage (retriable errors), then writes everything once', async () => {
    const sink = new RefusingSink(3);
    const retries: number[] = [];
    const res = await writeNarrowing([point(1), point(2)], [0, 0], {
      sink,
      maxDelayMs: 5,
      stopped: () => false,
      onRetry: (_e, attempt) => retries.push(attempt),
    });
    expect(res.rejected.size).toBe(0);
    expect(retries).toEqual([1, 2, 3]);
    expect(sink.written).toHaveLength(2);
  });

  it('refused points of timer work (no report) are only counted', async () => {
    const sink = new RefusingSink();
    const res = await writeNarrowing([point(1), point(2, true)], [], { sink, maxDelayMs: 5, stopped: () => false });
    expect(res.rejected.size).toBe(0);
    expect(res.refusedPoints).toBe(1);
    expect(sink.written).toHaveLength(1);
  });

  it('stops waiting when stopped, with the error', async () => {
    const sink = new RefusingSink(1_000);
    let n = 0;
    await expect(writeNarrowing([point(1)], [0], { sink, maxDelayMs: 5, stopped: () => ++n > 3 })).rejects.toThrow(
      /stopping while InfluxDB writes are failing/,
    );
  });
});
