import { describe, expect, it } from 'vitest';
import { Registry, monitorMetrics } from '../../src/service/metrics.js';

describe('Registry (Prometheus text format 0.0.4)', () => {
  it('renders counters with HELP, TYPE and sorted, escaped labels', () => {
    const r = new Registry();
    const c = r.counter('x_total', 'Things.');
    c.inc({ route: '/a', status: '200' });
    c.inc({ status: '200', route: '/a' }, 2);
    c.inc({ route: 'say "hi"\\\n', status: '500' });
    expect(c.get({ route: '/a', status: '200' })).toBe(3);
    expect(c.get({ route: '/b' })).toBe(0);
    expect(c.total()).toBe(4);
    expect(r.render()).toBe(
      [
        '# HELP x_total Things.',
        '# TYPE x_total counter',
        'x_total{route="/a",status="200"} 3',
        'x_total{route="say \\"hi\\"\\\\\\n",status="500"} 1',
        '',
      ].join('\n'),
    );
  });

  it('a counter never incremented renders 0; an unlabelled one has no braces', () => {
    const r = new Registry();
    r.counter('idle_total', 'Idle.');
    const u = r.counter('plain_total', 'Plain.');
    u.inc();
    expect(r.render()).toContain('\nidle_total 0\n');
    expect(r.render()).toContain('\nplain_total 1\n');
  });

  it('gauges: set, get, reset, and a collector run at render time', () => {
    const r = new Registry();
    let lag = 5;
    const g = r.gauge('lag', 'Lag.', (self) => self.set(lag, { partition: '0' }));
    expect(r.render()).toContain('lag{partition="0"} 5');
    lag = 7;
    expect(r.render()).toContain('lag{partition="0"} 7');
    expect(g.get({ partition: '0' })).toBe(7);
    const h = r.gauge('rate', 'Rate.');
    expect(r.render()).not.toContain('\nrate');
    h.set(1.5);
    expect(r.render()).toContain('\nrate 1.5\n');
    h.reset();
    expect(h.get()).toBeUndefined();
  });

  it('histograms: cumulative buckets, +Inf, sum and count', () => {
    const r = new Registry();
    const h = r.histogram('lat_seconds', 'Latency.', [0.1, 1]);
    for (const v of [0.05, 0.1, 0.5, 3]) h.observe(v);
    expect(h.observations).toBe(4);
    expect(h.total).toBeCloseTo(3.65, 12);
    const lines = r.render().split('\n');
    expect(lines).toContain('# TYPE lat_seconds histogram');
    expect(lines).toContain('lat_seconds_bucket{le="0.1"} 2');
    expect(lines).toContain('lat_seconds_bucket{le="1"} 3');
    expect(lines).toContain('lat_seconds_bucket{le="+Inf"} 4');
    expect(lines).toContain('lat_seconds_count 4');
    expect(lines.find((l) => l.startsWith('lat_seconds_sum '))).toMatch(/^lat_seconds_sum 3\.65/);
  });
});

describe('monitorMetrics', () => {
  it("registers the monitor's metrics once each, with Prometheus names", () => {
    const m = monitorMetrics();
    const text = m.registry.render();
    const names = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((x) => x[1]!);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^rootline_[a-z_]+$/);
    for (const n of names.filter((x) => text.includes(`# TYPE ${x} counter`))) expect(n).toMatch(/_total$/);
    expect(names).toContain('rootline_http_requests_total');
    m.reports.inc({}, 3);
    expect(m.registry.render()).toContain('\nrootline_reports_total 3\n');
  });
});
