import { redactText } from '../redact.js';

/**
 * A small Prometheus registry (text exposition format 0.0.4): counters, gauges and histograms with
 * labels. Enough for `GET /metrics`; no dependency.
 */
type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys
    .map((k) => `${k}="${labels[k]!.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
  ) {}
  abstract render(): string[];
}

export class Counter extends Metric {
  private readonly values = new Map<string, number>();
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }
  inc(labels: Labels = {}, by = 1): void {
    const k = labelKey(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  total(): number {
    let t = 0;
    for (const v of this.values.values()) t += v;
    return t;
  }
  render(): string[] {
    if (this.values.size === 0) return [`${this.name} 0`];
    return [...this.values].map(([k, v]) => `${this.name}${k ? `{${k}}` : ''} ${v}`);
  }
}

export class Gauge extends Metric {
  private readonly values = new Map<string, number>();
  private collector: (() => void) | undefined;
  constructor(name: string, help: string, collect?: (g: Gauge) => void) {
    super(name, help, 'gauge');
    if (collect) this.collector = () => collect(this);
  }
  set(value: number, labels: Labels = {}): void {
    this.values.set(labelKey(labels), value);
  }
  get(labels: Labels = {}): number | undefined {
    return this.values.get(labelKey(labels));
  }
  reset(): void {
    this.values.clear();
  }
  render(): string[] {
    this.collector?.();
    if (this.values.size === 0) return [];
    return [...this.values].map(([k, v]) => `${this.name}${k ? `{${k}}` : ''} ${v}`);
  }
}

export class Histogram extends Metric {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(
    name: string,
    help: string,
    readonly buckets: number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  ) {
    super(name, help, 'histogram');
    this.counts = buckets.map(() => 0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count += 1;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) this.counts[i]! += 1;
  }
  get observations(): number {
    return this.count;
  }
  get total(): number {
    return this.sum;
  }
  render(): string[] {
    const lines = this.buckets.map((b, i) => `${this.name}_bucket{le="${b}"} ${this.counts[i]}`);
    lines.push(
      `${this.name}_bucket{le="+Inf"} ${this.count}`,
      `${this.name}_sum ${this.sum}`,
      `${this.name}_count ${this.count}`,
    );
    return lines;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }
  gauge(name: string, help: string, collect?: (g: Gauge) => void): Gauge {
    return this.add(new Gauge(name, help, collect));
  }
  histogram(name: string, help: string, buckets?: number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }
  private add<T extends Metric>(m: T): T {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    const out: string[] = [];
    for (const m of this.metrics) {
      out.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`, ...m.render());
    }
    return redactText(`${out.join('\n')}\n`);
  }
}

/** The monitor's metrics. */
export function monitorMetrics(registry = new Registry()) {
  return {
    registry,
    reports: registry.counter('rootline_reports_total', 'Reports processed (not counting duplicates).'),
    duplicates: registry.counter(
      'rootline_duplicates_total',
      'Reports dropped as duplicates of an event_id already processed.',
    ),
    deadLetters: registry.counter(
      'rootline_dead_letters_total',
      'Messages sent to the dead-letter topic, by reason code.',
    ),
    findings: registry.counter('rootline_findings_total', 'Rule violations found, by severity.'),
    incidents: registry.counter('rootline_incident_events_total', 'Incident events (opened, updated, resolved).'),
    errors: registry.counter('rootline_errors_total', 'Errors, by component.'),
    batches: registry.counter('rootline_batches_total', 'Batches committed.'),
    influxWrite: registry.histogram(
      'rootline_influx_write_seconds',
      'Latency of one InfluxDB batch write (successful attempts).',
    ),
    influxRetries: registry.counter(
      'rootline_influx_write_retries_total',
      'InfluxDB write attempts that failed and were retried.',
    ),
    catalogWrite: registry.histogram(
      'rootline_catalog_write_seconds',
      'Latency of one provenance-catalog write of a batch of runs (successful attempts).',
    ),
    catalogRetries: registry.counter(
      'rootline_catalog_write_retries_total',
      'Provenance-catalog write attempts that failed and were retried.',
    ),
    catalogRuns: registry.counter(
      'rootline_catalog_runs_total',
      'Runs written to the provenance catalog, by outcome (written, duplicate, refused).',
    ),
    batchSeconds: registry.histogram('rootline_batch_seconds', 'Time to process and commit one batch.'),
    lag: registry.gauge('rootline_consumer_lag', 'Messages behind the high watermark, by topic and partition.'),
    reportsPerSecond: registry.gauge(
      'rootline_reports_per_second',
      'Reports processed per second over the last interval.',
    ),
    slackCalls: registry.counter('rootline_slack_calls_total', 'Slack Web API calls, by method and outcome.'),
    rollbackCalls: registry.counter('rootline_rollback_calls_total', 'Rollback dispatches, by target and outcome.'),
    rerunCalls: registry.counter('rootline_rerun_calls_total', 'Rerun requests to the orchestrator, by outcome.'),
    incidentCommands: registry.counter(
      'rootline_incident_commands_total',
      "People's incident actions applied by the core, by action, source and outcome (applied, duplicate, not_found, no_change, conflict).",
    ),
    symptoms: registry.counter(
      'rootline_symptoms_total',
      'Cross-instance symptoms: sent to the instance holding their root, and received (attached, held, forwarded, not_found).',
    ),
    viewRuns: registry.counter(
      'rootline_view_runs_total',
      "Node-runs read from the health topic into the view of other instances' nodes.",
    ),
    viewNodes: registry.gauge('rootline_view_nodes', "Nodes in the view of other instances' nodes (bounded)."),
    httpRequests: registry.counter('rootline_http_requests_total', 'HTTP requests, by route and status.'),
    httpBodies: registry.counter(
      'rootline_http_request_bodies_total',
      'Ingest request bodies read, by Content-Encoding (identity, gzip, deflate).',
    ),
    componentHealth: registry.gauge(
      'rootline_component_health',
      'State of each part of the monitor: 1 ok, 0.5 degraded, 0 down (see /healthz for the reason).',
    ),
    componentRestarts: registry.counter(
      'rootline_component_restarts_total',
      'Restarts of a crashed component by the supervisor, by component.',
    ),
  };
}

export type MonitorMetrics = ReturnType<typeof monitorMetrics>;
