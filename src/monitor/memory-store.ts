import type { MetricPoint } from './points.js';

/**
 * An in-process point store for the embedded demo and `rootline replay`: the same identity as
 * InfluxDB (measurement + tags + time), so rewriting a point replaces it.
 */
export class MemoryPointStore {
  private readonly points = new Map<string, MetricPoint>();

  write(points: readonly MetricPoint[]): Promise<void> {
    for (const p of points) {
      const tags = Object.keys(p.tags)
        .sort()
        .map((k) => `${k}=${p.tags[k]}`)
        .join(',');
      const key = `${p.measurement}|${tags}|${p.time}`;
      const prev = this.points.get(key);
      this.points.set(key, prev ? { ...p, fields: { ...prev.fields, ...p.fields } } : p);
    }
    return Promise.resolve();
  }

  get size(): number {
    return this.points.size;
  }

  /** Points of a measurement, oldest first, optionally filtered by tags. */
  query(measurement: string, tags: Record<string, string> = {}): MetricPoint[] {
    const out: MetricPoint[] = [];
    for (const p of this.points.values()) {
      if (p.measurement !== measurement) continue;
      if (Object.entries(tags).some(([k, v]) => p.tags[k] !== v)) continue;
      out.push(p);
    }
    return out.sort((a, b) => a.time - b.time);
  }
}
