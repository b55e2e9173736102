import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SETTINGS } from '../../src/config/index.js';
import {
  DASHBOARD_DIR,
  DATASOURCE_UID,
  PROVISIONING_DIR,
  dashboardProblems,
  loadDashboards,
  panelsOf,
  queriesOf,
  substitute,
  type FluxQuery,
} from './load.js';

/**
 * Flux functions the dashboards may call: the ones InfluxDB 1.8's Flux 0.65 and InfluxDB 2.7 both
 * have (the integration test runs every query on 1.8). Not `schema.*` or `v1.*`: 0.65 lacks the
 * schema package, and v1.tagValues only looks back 30 days.
 */
const FLUX_FUNCTIONS = new Set([
  'from', 'range', 'filter', 'aggregateWindow', 'pivot', 'group', 'map', 'sort', 'limit', 'last', 'keep', 'drop', 'rename', 'yield',
  'count', 'sum', 'mean', 'union', 'join', 'distinct', 'reduce', 'difference', 'string', 'int', 'float', 'time', 'strings.containsStr',
]);
const FLUX_KEYWORDS = new Set(['if', 'then', 'else', 'and', 'or', 'not', 'return']);
/** Variables Grafana defines itself. */
const BUILTIN_VARS = new Set(['__interval', '__interval_ms', '__range', '__range_s', '__range_ms', '__dashboard', '__from', '__to', '__org', '__user']);

const dashboards = loadDashboards();
const byUid = new Map(dashboards.map((d) => [d.dashboard.uid, d.dashboard]));
const slug = (title: string) => title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

describe('Grafana dashboards', () => {
  it('are the three Rootline dashboards, each valid against the @grafana/schema dashboard model', () => {
    expect(dashboards.map((d) => [d.file, d.dashboard.uid, d.dashboard.title])).toEqual([
      ['lineage-health.json', 'rootline-lineage', 'Lineage health'],
      ['monitor-operations.json', 'rootline-ops', 'Monitor operations'],
      ['node-drill-down.json', 'rootline-node', 'Node drill-down'],
    ]);
    for (const { file, dashboard } of dashboards) {
      expect(dashboardProblems(dashboard, file)).toEqual([]);
      expect(file.replace(/\.json$/, '')).toBe(slug(dashboard.title ?? ''));
    }
  });

  it('keep the uid, slug and variables the Slack alert links to', () => {
    const template = SETTINGS.find((s) => s.key === 'slack.grafanaUrlTemplate')?.default;
    expect(typeof template).toBe('string');
    const url = new URL(String(template).replace(/\{(\w+)\}/g, 'X'));
    const [, d, uid, linkSlug] = url.pathname.split('/');
    expect(d).toBe('d');
    const target = byUid.get(uid);
    expect(target?.uid).toBe('rootline-node');
    expect(slug(target?.title ?? '')).toBe(linkSlug);
    const names = new Set(target?.templating?.list?.map((v) => v.name));
    const linked = [...url.searchParams.keys()].filter((k) => k.startsWith('var-')).map((k) => k.slice(4));
    expect(linked).toEqual(['pipeline', 'node']);
    for (const v of linked) expect(names.has(v)).toBe(true);
  });

  it('lay out every panel inside the 24-column grid without overlaps, with unique ids', () => {
    for (const { file, dashboard } of dashboards) {
      const panels = panelsOf(dashboard);
      expect(new Set(panels.map((p) => p.id)).size, file).toBe(panels.length);
      const boxes = panels.map((p) => ({ title: p.title, ...p.gridPos! }));
      for (const b of boxes) {
        expect(b.x >= 0 && b.w > 0 && b.x + b.w <= 24 && b.y >= 0 && b.h > 0, `${file} ${b.title}`).toBe(true);
      }
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i]!;
          const b = boxes[j]!;
          const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
          expect(overlap, `${file}: "${a.title}" overlaps "${b.title}"`).toBe(false);
        }
      }
    }
  });

  it('give every panel a query on the provisioned InfluxDB datasource', () => {
    for (const { file, dashboard } of dashboards) {
      for (const p of panelsOf(dashboard)) {
        const where = `${file} "${p.title}"`;
        expect(p.datasource, where).toEqual({ type: 'influxdb', uid: DATASOURCE_UID });
        const targets = (p.targets ?? []) as unknown as FluxQuery[];
        expect(targets.length, where).toBeGreaterThan(0);
        expect(new Set(targets.map((t) => t.refId)).size, where).toBe(targets.length);
        for (const t of targets) {
          expect(t.datasource, where).toEqual({ type: 'influxdb', uid: DATASOURCE_UID });
          expect(t.query.trim().length, where).toBeGreaterThan(0);
        }
        if (p.type === 'nodeGraph') expect(targets.map((t) => t.refId).sort(), where).toEqual(['edges', 'nodes']);
      }
      for (const v of dashboard.templating?.list ?? []) {
        if (v.type === 'query') expect(v.datasource, `${file} variable ${v.name}`).toEqual({ type: 'influxdb', uid: DATASOURCE_UID });
      }
      for (const a of dashboard.annotations?.list ?? []) {
        expect(a.datasource, `${file} annotation ${a.name}`).toEqual({ type: 'influxdb', uid: DATASOURCE_UID });
        expect((a.target as FluxQuery | undefined)?.query.length ?? 0, `${file} annotation ${a.name}`).toBeGreaterThan(0);
      }
    }
  });

  it('write every query in Flux that InfluxDB 1.8 and 2.7 both run, on the dashboard time range and variables only', () => {
    let checked = 0;
    for (const { file, dashboard } of dashboards) {
      const vars = new Set(dashboard.templating?.list?.map((v) => v.name));
      for (const q of queriesOf(dashboard)) {
        const where = `${file} ${q.where}`;
        checked++;
        expect(q.query, where).toContain('from(bucket: v.defaultBucket)');
        expect(q.query, where).toContain('range(start: v.timeRangeStart, stop: v.timeRangeStop)');
        for (const m of q.query.matchAll(/^\s*import\s+"([^"]+)"/gm)) expect(m[1], where).toBe('strings');
        for (const m of q.query.matchAll(/([A-Za-z_][\w.]*)\s*\(/g)) {
          const name = m[1]!;
          if (!FLUX_KEYWORDS.has(name)) expect(FLUX_FUNCTIONS.has(name), `${where}: ${name}() is not on the Flux 0.65 list`).toBe(true);
        }
        for (const m of q.query.matchAll(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g)) {
          const name = (m[1] ?? m[2])!;
          expect(vars.has(name) || BUILTIN_VARS.has(name), `${where}: unknown variable ${name}`).toBe(true);
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});

describe('dashboard validation against @grafana/schema', () => {
  const base = () => structuredClone(byUid.get('rootline-lineage')!) as unknown as Record<string, unknown> & { panels: Record<string, unknown>[] };

  it('accepts a shipped dashboard and rejects one without the required schemaVersion', () => {
    const d = base();
    expect(dashboardProblems(d)).toEqual([]);
    delete d.schemaVersion;
    expect(dashboardProblems(d)).toEqual(['dashboard: missing required "schemaVersion"']);
  });

  it('rejects unknown keys, values outside the schema enums and malformed grid positions', () => {
    const d = base();
    d.refreshRate = '5s';
    d.graphTooltip = 7;
    const panel = d.panels[0]!;
    panel.gridPos = { x: 0, y: 0, w: 4 };
    (panel.fieldConfig as { defaults: Record<string, unknown> }).defaults.thresholds = { mode: 'relative', steps: [] };
    expect(dashboardProblems(d).sort()).toEqual([
      'dashboard.graphTooltip: 7 is not a cursor sync (0, 1, 2)',
      'dashboard.panels[0].fieldConfig.defaults.thresholds.mode: "relative" is not a thresholds mode ("absolute", "percentage")',
      'dashboard.panels[0].gridPos: missing required "h"',
      'dashboard: unknown key "refreshRate"',
    ]);
  });

  it('checks panel options and field overrides against the panel type', () => {
    const d = base();
    const stat = d.panels.find((p) => p.type === 'stat')!;
    delete (stat.options as Record<string, unknown>).reduceOptions;
    const graph = d.panels.find((p) => p.type === 'nodeGraph')!;
    (graph.options as Record<string, unknown>).layoutAlgorithm = 'circle';
    const table = d.panels.find((p) => p.type === 'table')!;
    (table.fieldConfig as { overrides: unknown[] }).overrides.push({ matcher: { id: 'byName', options: 'x' }, properties: [{ id: 'custom.fillBelowTo', value: 'y' }] });
    const problems = dashboardProblems(d).join('\n');
    expect(problems).toContain('options: missing required "reduceOptions"');
    expect(problems).toContain('options.layoutAlgorithm: "circle" is not a layout algorithm');
    expect(problems).toContain('"custom.fillBelowTo" is not a field config property of this panel type');
  });

  it('requires a refId and a query in every target', () => {
    const d = base();
    d.panels[0]!.targets = [{ refId: 'A', expr: 'up' }];
    expect(dashboardProblems(d)).toEqual(['dashboard.panels[0].targets[0]: missing required "query"', 'dashboard.panels[0].targets[0]: unknown key "expr"']);
  });
});

describe('provisioning', () => {
  it('defines the Flux InfluxDB datasource from the environment with the uid the dashboards use', () => {
    const file = parse(readFileSync(join(PROVISIONING_DIR, 'datasources/influxdb.yaml'), 'utf8')) as { apiVersion: number; datasources: Record<string, unknown>[] };
    expect(file.apiVersion).toBe(1);
    expect(file.datasources).toHaveLength(1);
    expect(file.datasources[0]).toMatchObject({
      uid: DATASOURCE_UID,
      type: 'influxdb',
      access: 'proxy',
      url: '${INFLUX_URL}',
      jsonData: { version: 'Flux', organization: '${INFLUX_ORG}', defaultBucket: '${INFLUX_BUCKET}' },
      secureJsonData: { token: '${INFLUX_TOKEN}' },
    });
  });

  it('loads the dashboards folder that holds every dashboard', () => {
    const file = parse(readFileSync(join(PROVISIONING_DIR, 'dashboards/rootline.yaml'), 'utf8')) as { apiVersion: number; providers: Record<string, unknown>[] };
    expect(file.apiVersion).toBe(1);
    expect(file.providers).toHaveLength(1);
    expect(file.providers[0]).toMatchObject({ type: 'file', folder: 'Rootline', options: { path: '/var/lib/grafana/dashboards' } });
    // /var/lib/grafana/dashboards is grafana/dashboards mounted; every JSON file there is a dashboard.
    expect(dashboards.length).toBe(3);
    expect(DASHBOARD_DIR.endsWith(join('grafana', 'dashboards'))).toBe(true);
  });
});

describe('substitute', () => {
  const s = { start: new Date('2026-11-01T00:00:00Z'), stop: new Date('2026-11-01T13:00:00Z'), windowPeriod: '1m', bucket: 'rootline/autogen' };

  it('fills in the time range, window, bucket and dashboard variables as Grafana does', () => {
    const q = 'from(bucket: v.defaultBucket) |> range(start: v.timeRangeStart, stop: v.timeRangeStop) |> filter(fn: (r) => r.node == "${node}" and r.column =~ /^${column:regex}$/ and r.p == "$pipeline") |> aggregateWindow(every: v.windowPeriod, fn: mean)';
    expect(substitute(q, { ...s, vars: { node: 'n04', column: ['amount', 'a.b'], pipeline: 'demo' } })).toBe(
      'from(bucket: "rootline/autogen") |> range(start: 2026-11-01T00:00:00.000Z, stop: 2026-11-01T13:00:00.000Z) |> filter(fn: (r) => r.node == "n04" and r.column =~ /^(amount|a\\.b)$/ and r.p == "demo") |> aggregateWindow(every: 1m, fn: mean)',
    );
  });

  it('refuses a variable it has no value for', () => {
    expect(() => substitute('r.node == "${node}"', { ...s, vars: {} })).toThrow('no value for the dashboard variable "node"');
  });
});
