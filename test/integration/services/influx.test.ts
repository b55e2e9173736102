import { describe, expect, it } from 'vitest';
import { InfluxDB, Point } from '@influxdata/influxdb-client';
import { services, unique } from '../helpers.js';

describe('InfluxDB 1.8 through the v2 API (@influxdata/influxdb-client)', () => {
  it('writes points through /api/v2/write and reads them back with Flux', async () => {
    const { influxUrl, influxDatabase } = services();
    const client = new InfluxDB({ url: influxUrl, token: 'unused-with-auth-off' });
    const node = unique('node');
    const write = client.getWriteApi('ignored-org', influxDatabase, 'ms', { maxRetries: 2 });
    const t0 = Date.now() - 60_000;
    for (let i = 0; i < 5; i++) {
      write.writePoint(
        new Point('test_row_count')
          .tag('node', node)
          .intField('rows', 100 + i)
          .floatField('null_ratio', i / 10)
          .timestamp(new Date(t0 + i * 1000)),
      );
    }
    await write.close();

    const query = client.getQueryApi('ignored-org');
    const flux = `from(bucket: "${influxDatabase}")
  |> range(start: -10m)
  |> filter(fn: (r) => r._measurement == "test_row_count" and r.node == "${node}")
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> sort(columns: ["_time"])`;
    const rows = await query.collectRows<{ rows: number; null_ratio: number; _time: string }>(flux);
    expect(rows.map((r) => r.rows)).toEqual([100, 101, 102, 103, 104]);
    expect(rows.map((r) => r.null_ratio)).toEqual([0, 0.1, 0.2, 0.3, 0.4]);
    expect(new Date(rows[0]!._time).getTime()).toBe(t0);
  });

  it('rewriting the same point (same measurement, tags, time) replaces it rather than adding one', async () => {
    const { influxUrl, influxDatabase } = services();
    const client = new InfluxDB({ url: influxUrl, token: 'x' });
    const node = unique('node');
    const at = new Date(Date.now() - 30_000);
    for (const v of [1, 2]) {
      const w = client.getWriteApi('o', influxDatabase, 'ms');
      w.writePoint(new Point('test_idempotent').tag('node', node).intField('v', v).timestamp(at));
      await w.close();
    }
    const rows = await client
      .getQueryApi('o')
      .collectRows<{ _value: number }>(
        `from(bucket: "${influxDatabase}") |> range(start: -5m) |> filter(fn: (r) => r._measurement == "test_idempotent" and r.node == "${node}")`,
      );
    expect(rows.map((r) => r._value)).toEqual([2]);
  });
});
