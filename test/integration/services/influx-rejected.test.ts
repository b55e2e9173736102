// InfluxDB's 4xx about the points is data, not an outage (issue 14): the sink says SINK_REJECTED, and the batch
// loop's writer narrows a batch to the refused points and writes the rest, on the real InfluxDB.
import { describe, expect, it } from 'vitest';
import { InfluxDB } from '@influxdata/influxdb-client';
import { InfluxSink } from '../../../src/adapters/influx/sink.js';
import { isRootlineError } from '../../../src/errors/index.js';
import type { MetricPoint } from '../../../src/monitor/points.js';
import { writeNarrowing } from '../../../src/service/write-points.js';
import { services, unique } from '../helpers.js';

describe('InfluxDB refusing points', () => {
  it('a point InfluxDB cannot store is SINK_REJECTED; the other points of the batch are written', async () => {
    const { influxUrl, influxDatabase } = services();
    const sink = new InfluxSink({ url: influxUrl, token: 'x', org: 'o', bucket: influxDatabase });
    const node = unique('node');
    const t0 = Date.now() - 60_000;
    const points: MetricPoint[] = Array.from({ length: 40 }, (_, i) => ({
      measurement: 'test_rejected',
      tags: { node },
      fields: { v: i },
      // Point 13 is past 2262-04-11, the end of InfluxDB's nanosecond time range.
      time: i === 13 ? Date.UTC(2300, 0, 1) : t0 + i * 1000,
    }));
    const err = await sink.write(points).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isRootlineError(err, 'SINK_REJECTED'), String(err)).toBe(true);

    const origin = points.map((_, i) => Math.floor(i / 4));
    const res = await writeNarrowing(points, origin, { sink, maxDelayMs: 100, stopped: () => false });
    expect([...res.rejected.keys()]).toEqual([3]);
    expect(res.rejected.get(3)).toMatch(/400/);

    const rows = await new InfluxDB({ url: influxUrl, token: 'x' })
      .getQueryApi('o')
      .collectRows<{ _value: number }>(
        `from(bucket: "${influxDatabase}") |> range(start: -10m) |> filter(fn: (r) => r._measurement == "test_rejected" and r.node == "${node}") |> group() |> count()`,
      );
    expect(rows[0]?._value).toBe(39);
  });

  it('an unreachable InfluxDB is not SINK_REJECTED (retried by the writer)', async () => {
    const sink = new InfluxSink({ url: 'http://127.0.0.1:9', token: 'x', org: 'o', bucket: 'b', timeoutMs: 2000 });
    const err = await sink.write([{ measurement: 'm', tags: {}, fields: { v: 1 }, time: Date.now() }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isRootlineError(err, 'INFLUX_ERROR')).toBe(true);
  });
});
