import type { LineageChange } from '../lineage/index.js';
import type { Finding, NodeRunMetrics } from '../rules/index.js';
import type { IncidentEvent } from './incident-types.js';

/**
 * A metric point, independent of the store. The InfluxDB sink writes these as line protocol; the
 * embedded store keeps them in memory. The measurement and tag design (docs/influxdb.md): tags are of
 * bounded cardinality (pipeline, node, column, dataset, rule, severity); run ids, event ids and
 * incident ids are fields, never tags. A point's identity is measurement + tags + time, so writing the
 * same report again rewrites the same points (idempotent replays).
 */
export interface MetricPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | string | boolean>;
  /** ms since the epoch. */
  time: number;
}

export const MEASUREMENTS = {
  nodeRun: 'rootline_node_run',
  column: 'rootline_column',
  schemaChange: 'rootline_schema_change',
  finding: 'rootline_finding',
  incident: 'rootline_incident',
  lineageEdge: 'rootline_lineage_edge',
  lineageChange: 'rootline_lineage_change',
  ops: 'rootline_ops',
} as const;

function defined(
  fields: Record<string, number | string | boolean | undefined>,
): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    if (typeof v === 'number' && !Number.isFinite(v)) continue;
    out[k] = v;
  }
  return out;
}

export interface RunContext {
  healthy: boolean;
  findings: number;
  code_version?: string | undefined;
  data_version?: string | undefined;
  incident_id?: string | undefined;
}

export function nodeRunPoints(m: NodeRunMetrics, ctx: RunContext, time: number): MetricPoint[] {
  const tags = { pipeline: m.pipeline, node: m.node };
  const points: MetricPoint[] = [
    {
      measurement: MEASUREMENTS.nodeRun,
      tags,
      time,
      fields: defined({
        run_id: m.run_id,
        row_count: m.row_count.value,
        row_count_baseline: m.row_count.baseline,
        row_count_deviation: m.row_count.deviation,
        row_count_z: m.row_count.z,
        baseline_runs: m.baseline_runs,
        healthy: ctx.healthy ? 1 : 0,
        findings: ctx.findings,
        failed: m.status === 'failed' ? 1 : 0,
        schema_fingerprint: m.schema.fingerprint,
        code_version: ctx.code_version,
        data_version: ctx.data_version,
        incident_id: ctx.incident_id,
      }),
    },
  ];
  for (const c of m.columns) {
    points.push({
      measurement: MEASUREMENTS.column,
      tags: { ...tags, column: c.column, dataset: c.dataset, kind: c.kind },
      time,
      fields: defined({
        run_id: m.run_id,
        count: c.count,
        null_count: c.null_count,
        null_ratio: c.null_ratio,
        null_ratio_baseline: c.null_ratio_baseline,
        mean: c.mean,
        drift_test: c.drift?.test,
        drift_statistic: c.drift?.statistic,
        drift_effect: c.drift?.effect,
        drift_pvalue: c.drift?.pvalue,
        drift_pvalue_adjusted: c.drift?.pvalue_adjusted,
        ks_d: c.drift?.test === 'ks' ? c.drift.statistic : undefined,
        ks_pvalue: c.drift?.test === 'ks' ? c.drift.pvalue : undefined,
        drift_reference_run: c.drift?.reference_run,
        repeat_share: c.repeats?.share,
        repeat_share_expected: c.repeats?.expected,
      }),
    });
  }
  if (m.schema.changed) {
    points.push({
      measurement: MEASUREMENTS.schemaChange,
      tags,
      time,
      fields: defined({
        run_id: m.run_id,
        breaking: m.schema.breaking ? 1 : 0,
        changes: m.schema.changes.length,
        summary: m.schema.changes.map((c) => `${c.kind} ${c.path}`).join('; ') || 'fingerprint changed',
        before: m.schema.previous,
        after: m.schema.fingerprint,
      }),
    });
  }
  return points;
}

export function findingPoints(findings: Finding[], incidentId: string | undefined, time: number): MetricPoint[] {
  return findings.map((f) => ({
    measurement: MEASUREMENTS.finding,
    tags: { pipeline: f.pipeline, node: f.node, rule: f.rule, severity: f.severity, column: f.column ?? '' },
    time,
    fields: defined({
      run_id: f.run_id,
      metric: f.metric,
      value: f.value,
      baseline: f.baseline,
      threshold: f.threshold,
      message: f.message,
      incident_id: incidentId,
    }),
  }));
}

/** One point per incident event; the time is the event's time, so each version of an incident is a row. */
export function incidentPoints(events: IncidentEvent[]): MetricPoint[] {
  return events.map((e) => {
    const i = e.incident;
    return {
      measurement: MEASUREMENTS.incident,
      tags: { pipeline: i.pipeline, culprit: i.culprit },
      time: Date.parse(e.at),
      fields: defined({
        incident_id: i.incident_id,
        event: e.type,
        status: i.status,
        open: i.status === 'open' ? 1 : 0,
        severity: i.severity,
        metric: i.metric,
        column: i.column,
        cause: i.cause.kind,
        cause_summary: i.cause.summary,
        confidence: i.confidence,
        escalated: i.escalated ? 1 : 0,
        symptoms: i.symptoms
          .map((s) => s.node)
          .filter((n, k, a) => a.indexOf(n) === k)
          .join(','),
        symptom_count: i.symptoms.length,
        blast_radius: i.blast_radius.join(','),
        opened_at: i.opened_at,
        resolved_at: i.resolved_at,
        duration_s: i.resolved_at ? (Date.parse(i.resolved_at) - Date.parse(i.opened_at)) / 1000 : undefined,
        runs_affected: i.runs_affected,
        version: i.version,
      }),
    };
  });
}

export function lineagePoints(changes: LineageChange[]): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (const c of changes) {
    if (c.kind === 'node_added' || !c.source) continue;
    const tags = {
      pipeline: c.target.pipeline,
      source: c.source.pipeline === c.target.pipeline ? c.source.node : `${c.source.pipeline}/${c.source.node}`,
      target: c.target.node,
    };
    out.push({
      measurement: MEASUREMENTS.lineageChange,
      tags,
      time: c.at,
      fields: {
        change: c.kind === 'edge_added' ? 'added' : 'removed',
        present: c.kind === 'edge_added' ? 1 : 0,
        run_id: c.run_id,
      },
    });
  }
  return out;
}
