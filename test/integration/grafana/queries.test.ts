import { describe, expect, it } from 'vitest';
import { PipelineSim, makeDag } from '../../../src/sim/index.js';
import { loadDashboards, queriesOf, substitute, type DashboardQuery, type Substitution } from '../../grafana/load.js';
import { eventually } from '../helpers.js';
import { flux, monitorConfig, nodeRunCount, sendReports, startMonitor } from '../monitor/harness.js';

type Row = Record<string, unknown>;

const INTERVAL_MS = 20_000;
const RUNS = 13;
const NODES = 8;

/** Columns of a result as Grafana's Flux datasource sees them (the CSV bookkeeping columns aside). */
const fieldsOf = (rows: Row[]): Set<string> => new Set(rows.flatMap((r) => Object.keys(r)).filter((k) => k !== 'result' && k !== 'table'));
const tablesOf = (rows: Row[]): number => new Set(rows.map((r) => r.table)).size;
const numbers = (rows: Row[], column: string): number[] => rows.map((r) => r[column]).filter((v): v is number => typeof v === 'number');

/** Fields a table panel, a node graph frame or an annotation must return, by dashboard uid and query. */
const NEEDS: Record<string, readonly string[]> = {
  'rootline-lineage panel "Pipeline DAG" (nodeGraph) nodes': ['id', 'title', 'mainstat', 'secondarystat', 'color'],
  'rootline-lineage panel "Pipeline DAG" (nodeGraph) edges': ['id', 'source', 'target'],
  'rootline-lineage panel "Open incidents" (table) A': ['culprit', 'cause', 'cause_summary', 'since', 'symptoms', 'severity', 'incident_id'],
  'rootline-lineage panel "Findings" (table) A': ['time', 'node', 'rule', 'severity', 'message', 'value'],
  'rootline-node panel "Findings at this node" (table) A': ['time', 'rule', 'severity', 'message', 'value', 'run_id'],
  'rootline-ops panel "Actions" (table) A': ['time', 'action', 'outcome', 'incident_id', 'version'],
};

/**
 * What Grafana needs from one query's result: non-empty, in the frame shape its panel reads. Grafana's
 * Flux datasource turns a table with `_value` and a time column into a time series (only `_time`,
 * `_value`, `_field` and the tags survive), any other table into a frame with every column as a field;
 * each Flux table becomes one frame, and node graphs and table panels read one frame each.
 */
function problemsOf(uid: string, q: DashboardQuery, rows: Row[]): string[] {
  const where = `${uid} ${q.where}`;
  if (rows.length === 0) return [`${where}: no rows`];
  const fields = fieldsOf(rows);
  const out: string[] = [];
  const need = (names: readonly string[]) => {
    for (const n of names) if (!fields.has(n)) out.push(`${where}: no "${n}" field (has ${[...fields].join(', ')})`);
  };
  const oneFrameNoValue = () => {
    if (tablesOf(rows) !== 1) out.push(`${where}: ${tablesOf(rows)} tables, Grafana would show only the first`);
    if (fields.has('_value')) out.push(`${where}: has _value, so Grafana would read it as a time series and drop the other columns`);
  };
  const kind = q.kind === 'panel' ? q.panelType : q.kind;
  switch (kind) {
    case 'variable':
      if ([...fields].join() !== '_value' || rows.some((r) => typeof r._value !== 'string' || r._value === '')) out.push(`${where}: expected one string column _value, got ${[...fields].join(', ')}`);
      break;
    case 'annotation':
      oneFrameNoValue();
      need(['_time', 'title', 'text', 'tags']);
      break;
    case 'nodeGraph':
    case 'table':
      oneFrameNoValue();
      need(NEEDS[where] ?? [`(no NEEDS entry for ${where})`]);
      break;
    case 'stat':
      if (![...fields].some((f) => numbers(rows, f).length > 0)) out.push(`${where}: no numeric field`);
      break;
    case 'timeseries':
    case 'state-timeline': {
      if (!fields.has('_time')) out.push(`${where}: no _time field`);
      const series = fields.has('_value') ? ['_value'] : [...fields].filter((f) => f !== '_time');
      if (!series.some((f) => numbers(rows, f).length > 0)) out.push(`${where}: no numeric series`);
      break;
    }
    default:
      out.push(`${where}: no expectation for panel type ${String(kind)}`);
  }
  return out;
}

describe('Grafana dashboards on the real InfluxDB', () => {
  it('runs every panel, variable and annotation query with its variables filled in and gets what each panel needs', async () => {
    const testStart = Date.now();
    // An embedded catalog: its lineage health (written at start, then every second) feeds the catalog panels.
    const cfg = monitorConfig({ 'catalog.url': 'pglite:', 'catalog.healthCheckMs': 1000 });
    await startMonitor(cfg);

    // A diamond pipeline with an incident that opens and resolves (null spike at n02 in run 8, three
    // healthy runs after it) and one still open (schema change at n04 in run 12). Runs are 20 s apart and
    // end now: the whole history is younger than the freshness rule's 5 min floor, so no node turns stale
    // while the monitor works through it.
    const simStart = testStart - RUNS * INTERVAL_MS;
    const sim = new PipelineSim(makeDag('diamond', NODES, 'demo'), { seed: 7, startTime: simStart, intervalMs: INTERVAL_MS });
    for (let r = 0; r < RUNS; r++) {
      await sendReports(cfg, sim.run(r, r === 8 ? [{ node: 'n02', kind: 'null_spike' }] : r === 12 ? [{ node: 'n04', kind: 'schema_change' }] : []));
    }
    await eventually(async () => ((await nodeRunCount(cfg, 'demo')) === RUNS * NODES ? true : undefined), 60_000, 'every node run in InfluxDB');
    // Operations points are written at wall-clock time every 500 ms; wait for one that has seen every
    // report, a few to difference, and the Slack message of the open incident.
    await eventually(
      async () => {
        const ops = await flux<{ _value: number }>(
          cfg,
          `from(bucket: BUCKET) |> range(start: -10m) |> filter(fn: (r) => r._measurement == "rootline_ops" and r._field == "reports_total")`,
        );
        const actions = await flux(cfg, `from(bucket: BUCKET) |> range(start: -10m) |> filter(fn: (r) => r._measurement == "rootline_action" and r.action == "slack")`);
        return ops.length >= 4 && ops.some((p) => p._value === RUNS * NODES) && actions.length > 0 ? true : undefined;
      },
      60_000,
      'operations points and a Slack action',
    );

    const now = Date.now();
    // Grafana's "last 15 minutes": the simulated runs and the operations points, 1 s windows.
    const range: Omit<Substitution, 'vars'> = { start: new Date(simStart - 60_000), stop: new Date(now + 60_000), windowPeriod: '1s', bucket: cfg.influx.bucket };
    // The value the test picks for a single-value variable; multi-value variables get every value ("All").
    const pick: Record<string, string> = { pipeline: 'demo', node: 'n04' };

    const results = new Map<string, Row[]>();
    const problems: string[] = [];
    const dashboards = loadDashboards();
    expect(dashboards.map((d) => d.dashboard.uid).sort()).toEqual(['rootline-lineage', 'rootline-node', 'rootline-ops']);
    for (const { dashboard } of dashboards) {
      const uid = dashboard.uid!;
      const vars: Record<string, string | string[]> = {};
      const sub = (): Substitution => ({ ...range, vars });
      // Variables in dashboard order, each query seeing the values chosen before it, as Grafana resolves them.
      for (const v of dashboard.templating?.list ?? []) {
        if (v.type === 'query') {
          const q = queriesOf(dashboard).find((x) => x.kind === 'variable' && x.refId === v.name)!;
          const rows = await flux(cfg, substitute(q.query, sub()));
          results.set(`${uid} ${q.where}`, rows);
          problems.push(...problemsOf(uid, q, rows));
          const values = rows.map((r) => String(r._value));
          const chosen = pick[v.name];
          if (v.multi) vars[v.name] = values;
          else if (chosen !== undefined && values.includes(chosen)) vars[v.name] = chosen;
          else problems.push(`${uid} variable ${v.name}: ${JSON.stringify(values)} lacks ${JSON.stringify(chosen)}`);
          vars[v.name] ??= values[0] ?? '';
        } else {
          const current = v.current?.value;
          vars[v.name] = current ?? '';
        }
      }
      for (const q of queriesOf(dashboard).filter((x) => x.kind !== 'variable')) {
        const rows = await flux(cfg, substitute(q.query, sub())).catch((err: unknown) => {
          problems.push(`${uid} ${q.where}: query failed: ${err instanceof Error ? err.message : String(err)}`);
          return undefined;
        });
        if (!rows) continue;
        results.set(`${uid} ${q.where}`, rows);
        problems.push(...problemsOf(uid, q, rows));
      }
    }
    expect(problems).toEqual([]);

    const get = (key: string): Row[] => {
      const rows = results.get(key);
      if (!rows) throw new Error(`no result for ${key}; have:\n${[...results.keys()].join('\n')}`);
      return rows;
    };
    const single = (key: string): number => {
      const rows = get(key);
      const v = Object.entries(rows[0] ?? {}).find(([k, x]) => typeof x === 'number' && k !== 'table')?.[1];
      return v as number;
    };

    // Lineage health: the DAG with the culprit red and the sources green, every edge between known nodes.
    const nodes = get('rootline-lineage panel "Pipeline DAG" (nodeGraph) nodes');
    const byId = new Map(nodes.map((n) => [n.id as string, n]));
    expect([...byId.keys()]).toEqual(['n00', 'n01', 'n02', 'n03', 'n04', 'n05', 'n06', 'n07']);
    expect(byId.get('n04')).toMatchObject({ color: 'red', secondarystat: expect.stringMatching(/^culprit: /) as unknown });
    for (const healthy of ['n00', 'n01', 'n02', 'n03']) expect(byId.get(healthy)).toMatchObject({ color: 'green', secondarystat: 'healthy' });
    for (const n of nodes) expect(n.mainstat).toMatch(/^\d+ rows$/);
    const edges = get('rootline-lineage panel "Pipeline DAG" (nodeGraph) edges');
    expect(edges.map((e) => e.id).sort()).toEqual(['n00->n01', 'n00->n02', 'n01->n03', 'n02->n03', 'n03->n04', 'n04->n05', 'n05->n06', 'n06->n07']);
    for (const e of edges) expect(byId.has(e.source as string) && byId.has(e.target as string)).toBe(true);

    const incidents = get('rootline-lineage panel "Open incidents" (table) A');
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ culprit: 'n04', severity: 'critical' });
    expect(String(incidents[0]!.symptoms)).toContain('n05');
    expect(single('rootline-lineage panel "Open incidents" (stat) A')).toBe(1);
    expect(single('rootline-lineage panel "MTTR" (stat) A')).toBe((3 * INTERVAL_MS) / 1000);
    expect(single('rootline-lineage panel "Resolved incidents" (stat) A')).toBe(1);
    // The diamond's edges never change: no lineage change; every node the lineage names reports.
    expect(single('rootline-lineage panel "Lineage changes (catalog)" (stat) A')).toBe(0);
    const healthyNodes = single('rootline-lineage panel "Healthy nodes" (stat) A');
    const unhealthyNodes = single('rootline-lineage panel "Unhealthy nodes" (stat) A');
    expect(healthyNodes + unhealthyNodes).toBe(NODES);
    expect(unhealthyNodes).toBeGreaterThanOrEqual(1);

    // Node drill-down of the culprit: rows inside a band around the baseline, per-column series, annotations.
    const rows = get('rootline-node panel "Row count vs baseline" (timeseries) A');
    expect(numbers(rows, 'rows')).toHaveLength(RUNS);
    const banded = rows.filter((r) => typeof r.baseline === 'number');
    expect(banded.length).toBeGreaterThan(0);
    for (const r of banded) expect((r.band_low as number) < (r.baseline as number) && (r.baseline as number) < (r.band_high as number)).toBe(true);
    const columnsOf = (key: string) => [...new Set(get(key).map((r) => r.column))].sort();
    expect(columnsOf('rootline-node panel "Null ratio by column" (timeseries) A')).toEqual(['amount', 'score', 'segment']);
    expect(columnsOf('rootline-node panel "KS statistic D by column" (timeseries) A')).toEqual(['amount', 'score']);
    expect(columnsOf('rootline-node panel "KS p-value by column" (timeseries) A')).toEqual(['amount', 'score']);
    expect(get('rootline-node annotation Schema changes').map((a) => a.text)).toEqual([expect.stringContaining('score')]);
    expect(get('rootline-node annotation Incidents').map((a) => a.title)).toEqual(['incident opened']);

    // Monitor operations: the totals of this monitor's own instance.
    expect(results.get('rootline-ops variable instance')?.map((r) => r._value)).toEqual([cfg.kafka.instanceId]);
    expect(single('rootline-ops panel "Reports processed" (stat) A')).toBe(RUNS * NODES);
    expect(single('rootline-ops panel "Dead letters" (stat) A')).toBe(0);
    expect(get('rootline-ops panel "Actions" (table) A').some((a) => a.action === 'slack' && a.incident_id === incidents[0]!.incident_id)).toBe(true);
  });
});
