import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  BigValueColorMode,
  BigValueGraphMode,
  BigValueJustifyMode,
  BigValueTextMode,
  DashboardCursorSync,
  FieldColorModeId,
  LegendDisplayMode,
  MappingType,
  PercentChangeColorMode,
  SortOrder,
  TableCellHeight,
  ThresholdsMode,
  TooltipDisplayMode,
  VariableHide,
  VariableRefresh,
  VariableSort,
  VisibilityMode,
  VizOrientation,
  defaultDashboard,
  type AnnotationContainer,
  type AnnotationQuery,
  type Dashboard,
  type DashboardLink,
  type DataQuery,
  type DataSourceRef,
  type DataTransformerConfig,
  type FieldColor,
  type FieldConfig,
  type FieldConfigSource,
  type GraphFieldConfig,
  type LegendPlacement,
  type GridPos,
  type MatcherConfig,
  type Panel,
  type ReduceDataOptions,
  type RowPanel,
  type TableFieldOptions,
  type TableSortByFieldState,
  type Threshold,
  type ThresholdsConfig,
  type TimePickerConfig,
  type VariableModel,
  type VariableOption,
  type VariableType,
  type VizLegendOptions,
  type VizTooltipOptions,
} from '@grafana/schema';
import {
  LayoutAlgorithm,
  ZoomMode,
  type Options as NodeGraphOptions,
} from '@grafana/schema/dist/esm/raw/composable/nodegraph/panelcfg/x/NodeGraphPanelCfg_types.gen';
import type { Options as StatOptions } from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type {
  FieldConfig as StateTimelineFieldConfig,
  Options as StateTimelineOptions,
} from '@grafana/schema/dist/esm/raw/composable/statetimeline/panelcfg/x/StateTimelinePanelCfg_types.gen';
import type { Options as TableOptions } from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type { Options as TimeSeriesOptions } from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';

/**
 * Loads Rootline's Grafana dashboards and checks each against the dashboard model of `@grafana/schema`
 * (Grafana's CUE-generated TypeScript types). The package ships no JSON Schema, so the shape is
 * mirrored here as one spec per type: `Spec<T>` makes the compiler demand an entry for every property
 * of T, optional exactly where T's is, so a change in the types breaks this file rather than letting
 * the check drift. At run time a spec rejects missing required keys, unknown keys (typos Grafana would
 * silently drop) and values outside the package's runtime enums.
 */

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const DASHBOARD_DIR = join(REPO_ROOT, 'grafana/dashboards');
export const PROVISIONING_DIR = join(REPO_ROOT, 'grafana/provisioning');
export const DATASOURCE_UID = 'rootline-influx';

/** A Flux target of the InfluxDB datasource: a DataQuery with the Flux text in `query`. */
export interface FluxQuery extends DataQuery {
  query: string;
}

// ---------- a small runtime checker whose specs are tied to the TypeScript types ----------

type Check = (v: unknown, at: string, errors: string[]) => void;
interface Entry {
  readonly required: boolean;
  readonly check: Check;
}
interface Req extends Entry {
  readonly required: true;
}
interface Opt extends Entry {
  readonly required: false;
}
const req = (check: Check): Req => ({ required: true, check });
const opt = (check: Check): Opt => ({ required: false, check });
type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
/** One entry per property of T, required exactly where T's property is required. */
type Spec<T> = { readonly [K in keyof T]-?: K extends OptionalKeys<T> ? Opt : Req };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown): string => JSON.stringify(v)?.slice(0, 60) ?? String(v);

const any: Check = () => undefined;
const str: Check = (v, at, e) => {
  if (typeof v !== 'string') e.push(`${at}: expected a string, got ${describe(v)}`);
};
const nonEmpty: Check = (v, at, e) => {
  if (typeof v !== 'string' || v.trim() === '') e.push(`${at}: expected a non-empty string, got ${describe(v)}`);
};
const num: Check = (v, at, e) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) e.push(`${at}: expected a number, got ${describe(v)}`);
};
const int: Check = (v, at, e) => {
  if (!Number.isInteger(v)) e.push(`${at}: expected an integer, got ${describe(v)}`);
};
const bool: Check = (v, at, e) => {
  if (typeof v !== 'boolean') e.push(`${at}: expected a boolean, got ${describe(v)}`);
};
const nullable =
  (check: Check): Check =>
  (v, at, e) => {
    if (v !== null) check(v, at, e);
  };
const oneOf =
  (values: readonly unknown[], what: string): Check =>
  (v, at, e) => {
    if (!values.includes(v)) e.push(`${at}: ${describe(v)} is not a ${what} (${values.map((x) => describe(x)).join(', ')})`);
  };
/** Values of a TypeScript enum object as emitted at run time (numeric enums carry reverse mappings). */
const enumOf = (en: Record<string, string | number>, what: string): Check => {
  const numeric = Object.values(en).filter((x) => typeof x === 'number').sort((a, b) => a - b);
  return oneOf(numeric.length > 0 ? numeric : Object.values(en), what);
};
const arr =
  (check: Check): Check =>
  (v, at, e) => {
    if (!Array.isArray(v)) {
      e.push(`${at}: expected an array, got ${describe(v)}`);
      return;
    }
    v.forEach((x, i) => check(x, `${at}[${i}]`, e));
  };
const record =
  (check: Check): Check =>
  (v, at, e) => {
    if (!isObject(v)) {
      e.push(`${at}: expected an object, got ${describe(v)}`);
      return;
    }
    for (const [k, x] of Object.entries(v)) check(x, `${at}.${k}`, e);
  };
const either =
  (...checks: Check[]): Check =>
  (v, at, e) => {
    const tries = checks.map((c) => {
      const errs: string[] = [];
      c(v, at, errs);
      return errs;
    });
    if (!tries.some((t) => t.length === 0)) e.push(...(tries.sort((a, b) => a.length - b.length)[0] ?? []));
  };
function obj<T>(spec: Spec<T>): Check {
  const entries = Object.entries<Entry>(spec);
  return (v, at, e) => {
    if (!isObject(v)) {
      e.push(`${at}: expected an object, got ${describe(v)}`);
      return;
    }
    for (const [k, entry] of entries) {
      if (!(k in v)) {
        if (entry.required) e.push(`${at}: missing required "${k}"`);
        continue;
      }
      entry.check(v[k], `${at}.${k}`, e);
    }
    for (const k of Object.keys(v)) if (!(k in spec)) e.push(`${at}: unknown key "${k}"`);
  };
}

// ---------- the dashboard model ----------

const dataSourceRef = obj<DataSourceRef>({ apiVersion: opt(str), type: opt(str), uid: opt(str) });
const gridPos = obj<GridPos>({ h: req(int), w: req(int), x: req(int), y: req(int), static: opt(bool) });
const fluxQuery = obj<FluxQuery>({
  refId: req(nonEmpty),
  query: req(nonEmpty),
  datasource: opt(nullable(dataSourceRef)),
  hide: opt(bool),
  key: opt(str),
  queryType: opt(str),
});
const threshold = obj<Threshold>({ color: req(str), value: req(nullable(num)), valueExpr: opt(str) });
const thresholdsConfig = obj<ThresholdsConfig>({ mode: req(enumOf(ThresholdsMode, 'thresholds mode')), steps: req(arr(threshold)) });
const fieldColor = obj<FieldColor>({ mode: req(enumOf(FieldColorModeId, 'color mode')), fixedColor: opt(str), seriesBy: opt(oneOf(['min', 'max', 'last'], 'series-by mode')) });
const mappingResult = obj<{ color?: string; icon?: string; index?: number; text?: string }>({ color: opt(str), icon: opt(str), index: opt(int), text: opt(str) });
const valueMapping: Check = (v, at, e) => {
  if (!isObject(v) || v.type !== MappingType.ValueToText) {
    e.push(`${at}: only value mappings (type "${MappingType.ValueToText}") are used here, got ${describe(v)}`);
    return;
  }
  obj<{ type: string; options: unknown }>({ type: req(str), options: req(record(mappingResult)) })(v, at, e);
};
const dataLink = obj<{ title: string; url: string; targetBlank?: boolean }>({ title: req(nonEmpty), url: req(nonEmpty), targetBlank: opt(bool) });
const fieldConfigDefaults = (custom: Check): Check =>
  obj<FieldConfig>({
    actions: opt(arr(any)),
    color: opt(fieldColor),
    custom: opt(custom),
    decimals: opt(int),
    description: opt(str),
    displayName: opt(str),
    displayNameFromDS: opt(str),
    filterable: opt(bool),
    links: opt(arr(dataLink)),
    mappings: opt(arr(valueMapping)),
    max: opt(num),
    min: opt(num),
    noValue: opt(str),
    path: opt(str),
    thresholds: opt(thresholdsConfig),
    unit: opt(str),
    writeable: opt(bool),
  });
const matcherConfig = obj<MatcherConfig>({ id: req(oneOf(['byName', 'byRegexp', 'byType', 'byFrameRefID'], 'field matcher')), options: opt(any), scope: opt(str) });

/** Every property of T (the compiler insists on each), for checking `custom.*` override ids. */
const keysOf = <T>(all: { readonly [K in keyof T]-?: true }): ReadonlySet<string> => new Set(Object.keys(all));
const FIELD_CONFIG_KEYS = keysOf<FieldConfig>({
  actions: true, color: true, custom: true, decimals: true, description: true, displayName: true, displayNameFromDS: true,
  filterable: true, links: true, mappings: true, max: true, min: true, noValue: true, path: true, thresholds: true, unit: true, writeable: true,
});
const GRAPH_FIELD_KEYS = keysOf<GraphFieldConfig>({
  axisBorderShow: true, axisCenteredZero: true, axisColorMode: true, axisGridShow: true, axisLabel: true, axisPlacement: true, axisSoftMax: true,
  axisSoftMin: true, axisWidth: true, barAlignment: true, barMaxWidth: true, barWidthFactor: true, drawStyle: true, fillBelowTo: true,
  fillColor: true, fillOpacity: true, gradientMode: true, hideFrom: true, insertNulls: true, lineColor: true, lineInterpolation: true,
  lineStyle: true, lineWidth: true, pointColor: true, pointSize: true, pointSymbol: true, scaleDistribution: true, showPoints: true,
  showValues: true, spanNulls: true, stacking: true, thresholdsStyle: true, transform: true,
});
const TABLE_FIELD_KEYS = keysOf<TableFieldOptions>({
  align: true, cellOptions: true, displayMode: true, filterable: true, footer: true, hideFrom: true, hideHeader: true, inspect: true, minWidth: true,
  sortable: true, width: true, wrapHeaderText: true, wrapText: true, tooltip: true, styleField: true,
});
const STATE_TIMELINE_FIELD_KEYS = keysOf<StateTimelineFieldConfig>({
  axisBorderShow: true, axisCenteredZero: true, axisColorMode: true, axisGridShow: true, axisLabel: true, axisPlacement: true, axisSoftMax: true,
  axisSoftMin: true, axisWidth: true, fillOpacity: true, hideFrom: true, lineWidth: true, scaleDistribution: true,
});
const customKeys = (keys: ReadonlySet<string>): Check => (v, at, e) => {
  if (!isObject(v)) {
    e.push(`${at}: expected an object, got ${describe(v)}`);
    return;
  }
  for (const k of Object.keys(v)) if (!keys.has(k)) e.push(`${at}: "${k}" is not a custom field option of this panel type`);
};
const fieldConfigSource = (customFieldKeys: ReadonlySet<string>): Check => {
  const overrideProperty = obj<{ id: string; value?: unknown }>({
    id: req((v, at, e) => {
      if (typeof v !== 'string') return e.push(`${at}: expected a string`), undefined;
      const [head, sub] = v.split('.', 2);
      if (head === 'custom' && sub !== undefined ? !customFieldKeys.has(sub) : !FIELD_CONFIG_KEYS.has(v)) e.push(`${at}: "${v}" is not a field config property of this panel type`);
    }),
    value: opt(any),
  });
  return obj<FieldConfigSource>({
    defaults: req(fieldConfigDefaults(customKeys(customFieldKeys))),
    overrides: req(arr(obj<FieldConfigSource['overrides'][number]>({ matcher: req(matcherConfig), properties: req(arr(overrideProperty)) }))),
  });
};
const transformation = obj<DataTransformerConfig>({ id: req(nonEmpty), options: req(any), disabled: opt(bool), filter: opt(matcherConfig), topic: opt(str) });

const legendOptions = obj<VizLegendOptions & { enableFacetedFilter?: boolean; facetedFilterPinned?: boolean }>({
  asTable: opt(bool),
  calcs: req(arr(str)),
  displayMode: opt(enumOf(LegendDisplayMode, 'legend display mode')),
  isVisible: opt(bool),
  limit: opt(int),
  overflow: opt(str),
  placement: req(oneOf(['bottom', 'right'] as const satisfies readonly LegendPlacement[], 'legend placement')),
  showLegend: req(bool),
  sortBy: opt(str),
  sortDesc: opt(bool),
  width: opt(either(num, str)),
  enableFacetedFilter: opt(bool),
  facetedFilterPinned: opt(bool),
});
const tooltipOptions = obj<VizTooltipOptions>({
  mode: req(enumOf(TooltipDisplayMode, 'tooltip mode')),
  sort: req(enumOf(SortOrder, 'sort order')),
  hideZeros: opt(bool),
  maxHeight: opt(num),
  maxWidth: opt(num),
});
const reduceOptions = obj<ReduceDataOptions>({ calcs: req(arr(nonEmpty)), fields: opt(str), limit: opt(int), values: opt(bool) });

/** Panel options and custom field options per panel type this project uses. */
const PANEL_TYPES: Record<string, { options: Check; customFieldKeys: ReadonlySet<string> }> = {
  timeseries: {
    options: obj<TimeSeriesOptions>({
      legend: req(legendOptions),
      tooltip: req(tooltipOptions),
      timezone: opt(arr(str)),
      annotations: opt(any),
      disableKeyboardEvents: opt(bool),
      orientation: opt(enumOf(VizOrientation, 'orientation')),
      timeCompare: opt(any),
    }),
    customFieldKeys: GRAPH_FIELD_KEYS,
  },
  stat: {
    options: obj<StatOptions>({
      colorMode: req(enumOf(BigValueColorMode, 'color mode')),
      graphMode: req(enumOf(BigValueGraphMode, 'graph mode')),
      justifyMode: req(enumOf(BigValueJustifyMode, 'justify mode')),
      percentChangeColorMode: req(enumOf(PercentChangeColorMode, 'percent change color mode')),
      showPercentChange: req(bool),
      textMode: req(enumOf(BigValueTextMode, 'text mode')),
      wideLayout: req(bool),
      orientation: req(enumOf(VizOrientation, 'orientation')),
      reduceOptions: req(reduceOptions),
      text: opt(any),
    }),
    customFieldKeys: new Set(),
  },
  table: {
    options: obj<TableOptions>({
      frameIndex: req(int),
      showHeader: req(bool),
      cellHeight: opt(enumOf(TableCellHeight, 'cell height')),
      disableKeyboardEvents: opt(bool),
      enablePagination: opt(bool),
      frozenColumns: opt(any),
      maxRowHeight: opt(num),
      pageSize: opt(int),
      showTypeIcons: opt(bool),
      sortBy: opt(arr(obj<TableSortByFieldState>({ displayName: req(nonEmpty), desc: opt(bool) }))),
    }),
    customFieldKeys: TABLE_FIELD_KEYS,
  },
  nodeGraph: {
    options: obj<NodeGraphOptions>({
      edges: opt(obj<NonNullable<NodeGraphOptions['edges']>>({ mainStatUnit: opt(str), secondaryStatUnit: opt(str) })),
      nodes: opt(obj<NonNullable<NodeGraphOptions['nodes']>>({ mainStatUnit: opt(str), secondaryStatUnit: opt(str), arcs: opt(arr(any)) })),
      layoutAlgorithm: opt(enumOf(LayoutAlgorithm, 'layout algorithm')),
      zoomMode: opt(enumOf(ZoomMode, 'zoom mode')),
    }),
    customFieldKeys: new Set(),
  },
  'state-timeline': {
    options: obj<StateTimelineOptions>({
      legend: req(legendOptions),
      tooltip: req(tooltipOptions),
      rowHeight: req(num),
      showValue: req(enumOf(VisibilityMode, 'visibility')),
      alignValue: opt(oneOf(['left', 'center', 'right'], 'alignment')),
      mergeValues: opt(bool),
      perPage: opt(int),
      timezone: opt(arr(str)),
      annotations: opt(any),
    }),
    customFieldKeys: STATE_TIMELINE_FIELD_KEYS,
  },
};

const panelCheck: Check = (v, at, e) => {
  const type = isObject(v) ? v.type : undefined;
  const kind = typeof type === 'string' ? PANEL_TYPES[type] : undefined;
  if (!kind) {
    e.push(`${at}: panel type ${describe(type)} is not one of ${Object.keys(PANEL_TYPES).join(', ')}`);
    return;
  }
  obj<Panel>({
    type: req(nonEmpty),
    id: opt(int),
    title: opt(str),
    description: opt(str),
    gridPos: opt(gridPos),
    datasource: opt(dataSourceRef),
    targets: opt(arr(fluxQuery)),
    fieldConfig: opt(fieldConfigSource(kind.customFieldKeys)),
    options: opt(kind.options),
    transformations: opt(arr(transformation)),
    autoMigrateFrom: opt(str),
    cacheTimeout: opt(str),
    hideTimeOverride: opt(bool),
    interval: opt(str),
    libraryPanel: opt(any),
    links: opt(arr(any)),
    maxDataPoints: opt(int),
    maxPerRow: opt(int),
    pluginVersion: opt(str),
    queryCachingTTL: opt(int),
    repeat: opt(str),
    repeatDirection: opt(oneOf(['h', 'v'], 'repeat direction')),
    timeCompare: opt(str),
    timeFrom: opt(str),
    timeShift: opt(str),
    transparent: opt(bool),
  })(v, at, e);
};
const rowPanel = obj<RowPanel>({
  type: req(oneOf(['row'], 'row type')),
  collapsed: req(bool),
  id: req(int),
  panels: req(arr(panelCheck)),
  datasource: opt(dataSourceRef),
  gridPos: opt(gridPos),
  repeat: opt(str),
  title: opt(str),
});

const VARIABLE_TYPES = ['query', 'adhoc', 'groupby', 'constant', 'datasource', 'interval', 'textbox', 'custom', 'system', 'snapshot', 'switch'] as const satisfies readonly VariableType[];
const variableOption = obj<VariableOption>({ text: req(either(str, arr(str))), value: req(either(str, arr(str))), selected: opt(bool), properties: opt(record(str)) });
const variableModel = obj<VariableModel>({
  name: req((v, at, e) => {
    if (typeof v !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) e.push(`${at}: ${describe(v)} is not a usable variable name`);
  }),
  type: req(oneOf(VARIABLE_TYPES, 'variable type')),
  allValue: opt(str),
  allowCustomValue: opt(bool),
  current: opt(variableOption),
  datasource: opt(nullable(dataSourceRef)),
  description: opt(str),
  enableGroupBy: opt(bool),
  hide: opt(enumOf(VariableHide, 'variable hide mode')),
  includeAll: opt(bool),
  label: opt(str),
  multi: opt(bool),
  options: opt(arr(variableOption)),
  query: opt(either(str, record(any))),
  refresh: opt(enumOf(VariableRefresh, 'variable refresh mode')),
  regex: opt(str),
  regexApplyTo: opt(oneOf(['value', 'text'], 'regex target')),
  skipUrlSync: opt(bool),
  sort: opt(enumOf(VariableSort, 'variable sort')),
  staticOptions: opt(arr(variableOption)),
  staticOptionsOrder: opt(oneOf(['before', 'after', 'sorted'], 'static options order')),
  valuesFormat: opt(oneOf(['csv', 'json'], 'values format')),
});
const annotationQuery = obj<AnnotationQuery<FluxQuery>>({
  name: req(nonEmpty),
  enable: req(bool),
  iconColor: req(nonEmpty),
  datasource: opt(nullable(dataSourceRef)),
  target: opt(fluxQuery),
  builtIn: opt(int),
  filter: opt(any),
  hide: opt(bool),
  placement: opt(str),
  snapshotData: opt(any),
  type: opt(str),
});
const dashboardLink = obj<DashboardLink>({
  asDropdown: req(bool),
  icon: req(str),
  includeVars: req(bool),
  keepTime: req(bool),
  tags: req(arr(str)),
  targetBlank: req(bool),
  title: req(str),
  tooltip: req(str),
  type: req(oneOf(['link', 'dashboards'], 'link type')),
  url: opt(str),
  origin: opt(any),
  placement: opt(str),
});
const dashboardCheck = obj<Dashboard>({
  schemaVersion: req((v, at, e) => {
    // 36 moved datasource references to {type, uid}; newer than the types' own version is unknown to them.
    if (!Number.isInteger(v) || (v as number) < 36 || (v as number) > (defaultDashboard.schemaVersion ?? 0)) {
      e.push(`${at}: ${describe(v)} is not a schema version between 36 and ${defaultDashboard.schemaVersion}`);
    }
  }),
  annotations: opt(obj<AnnotationContainer>({ list: opt(arr(annotationQuery)) })),
  description: opt(str),
  editable: opt(bool),
  fiscalYearStartMonth: opt(int),
  gnetId: opt(int),
  graphTooltip: opt(enumOf(DashboardCursorSync, 'cursor sync')),
  id: opt(nullable(int)),
  links: opt(arr(dashboardLink)),
  liveNow: opt(bool),
  panels: opt(arr((v, at, e) => (isObject(v) && v.type === 'row' ? rowPanel : panelCheck)(v, at, e))),
  preload: opt(bool),
  refresh: opt(str),
  revision: opt(int),
  snapshot: opt(any),
  tags: opt(arr(str)),
  templating: opt(obj<NonNullable<Dashboard['templating']>>({ list: opt(arr(variableModel)) })),
  time: opt(obj<NonNullable<Dashboard['time']>>({ from: req(nonEmpty), to: req(nonEmpty) })),
  timepicker: opt(obj<TimePickerConfig>({ hidden: opt(bool), nowDelay: opt(str), quick_ranges: opt(arr(any)), refresh_intervals: opt(arr(str)) })),
  timezone: opt(str),
  title: opt(str),
  uid: opt(str),
  version: opt(int),
  weekStart: opt(str),
});

/** The problems of a parsed dashboard against the @grafana/schema model, as "path: message" lines. */
export function dashboardProblems(json: unknown, name = 'dashboard'): string[] {
  const errors: string[] = [];
  dashboardCheck(json, name, errors);
  return errors;
}

/** Type guard over {@link dashboardProblems}. */
export function isDashboard(json: unknown): json is Dashboard {
  return dashboardProblems(json).length === 0;
}

// ---------- loading and queries ----------

export interface LoadedDashboard {
  file: string;
  dashboard: Dashboard;
}

/** Every `grafana/dashboards/*.json`, parsed and checked; throws with all problems of a file that is not a valid dashboard. */
export function loadDashboards(dir = DASHBOARD_DIR): LoadedDashboard[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const json: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      const problems = dashboardProblems(json, file);
      if (problems.length > 0 || !isDashboard(json)) throw new Error(`${file} is not a valid Grafana dashboard:\n  ${problems.join('\n  ')}`);
      return { file, dashboard: json };
    });
}

/** The panels of a dashboard, rows flattened. */
export function panelsOf(d: Dashboard): Panel[] {
  return (d.panels ?? []).flatMap((p) => (p.type === 'row' ? (p as RowPanel).panels : [p as Panel]));
}

/** A Flux query of a dashboard, from a panel, a variable or an annotation. */
export interface DashboardQuery {
  /** e.g. `panel "Pipeline DAG" (nodeGraph) nodes`, `variable node`, `annotation Incidents`. */
  where: string;
  kind: 'panel' | 'variable' | 'annotation';
  /** The panel type for panel queries. */
  panelType?: string;
  refId: string;
  query: string;
}

export function queriesOf(d: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const p of panelsOf(d)) {
    for (const t of (p.targets ?? []) as unknown as FluxQuery[]) {
      out.push({ where: `panel "${p.title ?? ''}" (${p.type}) ${t.refId}`, kind: 'panel', panelType: p.type, refId: t.refId, query: t.query });
    }
  }
  for (const v of d.templating?.list ?? []) {
    if (v.type === 'query' && typeof v.query === 'string') out.push({ where: `variable ${v.name}`, kind: 'variable', refId: v.name, query: v.query });
  }
  for (const a of d.annotations?.list ?? []) {
    const t = a.target as FluxQuery | undefined;
    if (t) out.push({ where: `annotation ${a.name}`, kind: 'annotation', refId: t.refId, query: t.query });
  }
  return out;
}

/** Values for the variables Grafana fills into a Flux query. */
export interface Substitution {
  start: Date;
  stop: Date;
  /** `v.windowPeriod`, a Flux duration literal. */
  windowPeriod: string;
  bucket: string;
  /** Dashboard variables by name; an array is a multi-value selection. */
  vars: Record<string, string | string[]>;
}

const regexEscape = (s: string): string => s.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

/**
 * The query as Grafana's InfluxDB (Flux) datasource sends it: `v.timeRangeStart`, `v.timeRangeStop`,
 * `v.windowPeriod` and `v.defaultBucket` replaced by literals, and `${name}` / `${name:regex}` /
 * `$name` filled in. Throws on a variable it has no value for.
 */
export function substitute(query: string, s: Substitution): string {
  const value = (name: string, format: string | undefined): string => {
    const v = s.vars[name];
    if (v === undefined) throw new Error(`no value for the dashboard variable "${name}"`);
    const values = Array.isArray(v) ? v : [v];
    if (format === 'regex') return values.length === 1 ? regexEscape(values[0]!) : `(${values.map(regexEscape).join('|')})`;
    if (format !== undefined) throw new Error(`format "${format}" of variable "${name}" is not supported here`);
    return values.join(',');
  };
  return query
    .replace(/\bv\.timeRangeStart\b/g, s.start.toISOString())
    .replace(/\bv\.timeRangeStop\b/g, s.stop.toISOString())
    .replace(/\bv\.windowPeriod\b/g, s.windowPeriod)
    .replace(/\bv\.defaultBucket\b/g, JSON.stringify(s.bucket))
    .replace(/\$\{(\w+)(?::(\w+))?\}|\$(\w+)/g, (_m, braced: string | undefined, format: string | undefined, bare: string | undefined) => value((braced ?? bare)!, format));
}
