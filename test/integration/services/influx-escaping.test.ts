// Names with the characters line protocol treats specially, written by the monitor's own writer to the real
// InfluxDB and read back with Flux: every tag value and string field reads back exactly as written, except
// what the protocol cannot carry in a tag (docs/influxdb.md, "Names in line protocol": line breaks become spaces, a name
// ending in a backslash gets a space appended).
import { InfluxDB } from '@influxdata/influxdb-client';
import { describe, expect, it } from 'vitest';
import { InfluxSink, toLineProtocol } from '../../../src/adapters/influx/sink.js';
import type { MetricPoint } from '../../../src/monitor/index.js';
import { services, unique } from '../helpers.js';

/** [tag value written, tag value InfluxDB must hold]. */
const NAMES: [string, string][] = [
  ['plain', 'plain'],
  ['back\\slash', 'back\\slash'],
  ['trailing\\', 'trailing\\ '],
  ['two trailing\\\\', 'two trailing\\\\ '],
  ['\\', '\\ '],
  ['with space', 'with space'],
  ['comma,here', 'comma,here'],
  ['equals=here', 'equals=here'],
  ['"double" and \'single\' quotes', '"double" and \'single\' quotes'],
  ['unicode: zürich 東京 🚀', 'unicode: zürich 東京 🚀'],
  ['line\nbreak', 'line break'],
  ['crlf\r\nend', 'crlf  end'],
  ['slash before comma\\,x', 'slash before comma\\,x'],
  ['slash before space\\ x', 'slash before space\\ x'],
  ['two slashes before equals\\\\=x', 'two slashes before equals\\\\=x'],
  ['mixed \\ , = " \\\\ end', 'mixed \\ , = " \\\\ end'],
  ['#not a comment', '#not a comment'],
];

describe('line protocol against the real InfluxDB', () => {
  it('tag values and string fields read back exactly as written (or as documented)', async () => {
    const { influxUrl, influxDatabase } = services();
    const sink = new InfluxSink({ url: influxUrl, token: 'unused-with-auth-off', org: 'o', bucket: influxDatabase });
    const run = unique('run');
    const t0 = Date.now() - 60_000;
    const points: MetricPoint[] = NAMES.map(([name], i) => ({
      measurement: 'test_escaping',
      // The tag under test sits before and after other tags, so a swallowed separator would show.
      tags: { a_run: run, node: name, z_index: String(i) },
      fields: { name, i },
      time: t0 + i,
    }));
    for (const p of points) expect(toLineProtocol(p)).toBeDefined();
    await sink.write(points);

    const client = new InfluxDB({ url: influxUrl, token: 'unused-with-auth-off' });
    const rows = await client.getQueryApi('o').collectRows<{ node: string; name: string; i: number; z_index: string }>(
      `from(bucket: "${influxDatabase}")
  |> range(start: -10m)
  |> filter(fn: (r) => r._measurement == "test_escaping" and r.a_run == "${run}")
  |> pivot(rowKey: ["_time", "node", "z_index"], columnKey: ["_field"], valueColumn: "_value")
  |> group()
  |> sort(columns: ["i"])`,
    );
    // Flux answers in CSV written by Go's encoding/csv with CRLF line ends, which sends every line break
    // inside a value as CRLF: string fields are compared with line breaks as line breaks.
    const breaks = (v: string) => v.replace(/\r\n|\r/g, '\n');
    expect(rows.map((r) => ({ node: r.node, name: breaks(r.name), index: r.z_index }))).toEqual(
      NAMES.map(([written, stored], i) => ({ node: stored, name: breaks(written), index: String(i) })),
    );

    // A dashboard filter on the exact name finds its point.
    const filtered = await client
      .getQueryApi('o')
      .collectRows<{ z_index: string }>(
        `from(bucket: "${influxDatabase}") |> range(start: -10m) |> filter(fn: (r) => r._measurement == "test_escaping" and r.a_run == "${run}" and r.node == "back\\\\slash" and r._field == "i")`,
      );
    expect(filtered.map((r) => r.z_index)).toEqual(['1']);
  });
});
