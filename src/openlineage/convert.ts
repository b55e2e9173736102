import { createHash } from 'node:crypto';
import {
  REPORT_SPEC,
  checkRfc3339,
  formatIssues,
  parseTypeName,
  resolveFieldPath,
  schemaFingerprint,
  validateReport,
  type AssertionResult,
  type ColumnProfile,
  type ColumnSource,
  type DatasetColumn,
  type DatasetRef,
  type ElementType,
  type OutputRef,
  type Profile,
  type Report,
  type LineageDeclaration,
  type RunError,
  type RunProgress,
  type Schema,
  type SchemaField,
} from '../contract/index.js';
import { dict, own } from '../dict.js';
import { errorMessage } from '../errors/index.js';
import { NESTED_TYPES, NUMERIC_TYPES } from '../profile/index.js';
import { openLineageEventId } from './uuid.js';

/**
 * What {@link convertRunEvent} returns: the reports (none for an event without an outcome, with the reason in
 * `ignored`, or with the `progress` of an unfinished run for a START or RUNNING event, or the `lineage` a
 * DatasetEvent or JobEvent states), or why the event is unusable.
 */
export type ConvertResult =
  { reports: Report[]; ignored?: string; progress?: RunProgress; lineage?: LineageDeclaration } | { errors: string[] };

/** Options of {@link createRunEventConverter}. */
export interface ConvertOptions {
  /**
   * Where a report's `pipeline` comes from:
   * - `parent` (default): when the run has a `parent` run facet, `<namespace>/<name>` of the root job
   *   (`parent.root.job`, OpenLineage 1.2+) or else of the parent job (e.g. `airflow-prod/churn_daily`, the
   *   Airflow DAG that ran the task, with the namespace of its Airflow instance); otherwise the job's namespace;
   * - `namespace`: always the job's namespace.
   */
  pipelineFrom?: 'parent' | 'namespace';
  /**
   * The node that writes a dataset (`namespace/name`), for column lineage. Default: none, and
   * `column_lineage` is left out (the adapter sees one event at a time and does not know producers).
   * An output column is mapped only when every one of its input fields' datasets has a known producer.
   */
  producerOf?: (dataset: string) => string | undefined;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** `eventTime` as RFC 3339: one without an offset is taken as UTC (`Z` appended). */
function eventTime(v: unknown): { ok: true; time: string } | { ok: false; error: string } {
  if (typeof v !== 'string') return { ok: false, error: 'eventTime is required (a date-time string)' };
  const r = checkRfc3339(v);
  if (r.ok) return { ok: true, time: v };
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(v) && checkRfc3339(`${v}Z`).ok)
    return { ok: true, time: `${v}Z` };
  return { ok: false, error: `eventTime ${JSON.stringify(v)} ${r.reason}` };
}

/** A schema facet field -> a report field (SQL type names, nested `fields` -> struct). */
function schemaField(f: Obj): SchemaField | undefined {
  const name = typeof f.name === 'string' ? f.name : undefined;
  if (name === undefined) return undefined;
  const parsed: ElementType =
    typeof f.type === 'string' && f.type.trim() !== '' ? parseTypeName(f.type, 'sql') : { type: 'unknown' };
  const nested = Array.isArray(f.fields)
    ? f.fields
        .filter(isObj)
        .map(schemaField)
        .filter((x): x is SchemaField => x !== undefined)
    : [];
  let el: ElementType = parsed;
  if (nested.length > 0) {
    if (parsed.type === 'array') el = { ...parsed, items: { type: 'struct', nullable: true, fields: nested } };
    else if (parsed.type !== 'map')
      el = { type: 'struct', fields: nested, ...(parsed.nullable === false ? { nullable: false } : {}) };
  }
  const { type, nullable, ...nestedKeys } = el;
  return { name, type, nullable: nullable ?? true, ...nestedKeys };
}

function facetSchema(facets: Obj | undefined): { schema?: Schema; note?: string } {
  const facet = facets?.schema;
  if (!isObj(facet) || !Array.isArray(facet.fields)) return {};
  const schema = facet.fields
    .filter(isObj)
    .map(schemaField)
    .filter((x): x is SchemaField => x !== undefined);
  const names = new Set<string>();
  for (const f of schema) {
    if (names.has(f.name)) return { note: `schema facet names ${JSON.stringify(f.name)} twice: schema left out` };
    names.add(f.name);
  }
  return { schema };
}

function columnProfile(name: string, m: Obj, rowCount: number, schema: Schema | undefined): ColumnProfile | string {
  const nullCount = count(m.nullCount);
  if (nullCount === undefined) return `column ${JSON.stringify(name)}: no nullCount`;
  if (nullCount > rowCount)
    return `column ${JSON.stringify(name)}: nullCount ${nullCount} exceeds rowCount ${rowCount}`;
  const field = schema === undefined ? undefined : resolveFieldPath(schema, name);
  if (schema !== undefined && field === undefined) return `column ${JSON.stringify(name)} is not in the schema facet`;
  if (field !== undefined && NESTED_TYPES.has(field.type)) return `column ${JSON.stringify(name)} is a ${field.type}`;
  const min = finite(m.min);
  const max = finite(m.max);
  const sum = finite(m.sum);
  const hasQuantiles = isObj(m.quantiles) && Object.keys(m.quantiles).length > 0;
  const numeric =
    field !== undefined && field.type !== 'unknown'
      ? NUMERIC_TYPES.has(field.type)
      : min !== undefined || max !== undefined || sum !== undefined || hasQuantiles;
  if (numeric) {
    const out: ColumnProfile = { kind: 'numeric', count: rowCount, null_count: nullCount };
    // an inverted range is not trusted (and would fail validation): the counts and the mean still are
    const inverted = min !== undefined && max !== undefined && min > max;
    if (min !== undefined && !inverted) out.min = min;
    if (max !== undefined && !inverted) out.max = max;
    const nonNull = rowCount - nullCount;
    if (sum !== undefined && nonNull > 0) out.mean = sum / nonNull;
    const distinct = finite(m.distinctCount);
    if (distinct !== undefined && distinct >= 0) out.distinct_estimate = distinct;
    return out;
  }
  const out: ColumnProfile = { kind: 'categorical', count: rowCount, null_count: nullCount };
  const distinct = finite(m.distinctCount);
  if (distinct !== undefined && distinct >= 0) out.distinct_estimate = distinct;
  return out;
}

/**
 * What the spec forbids in a row count (`outputStatistics`, `inputStatistics`, `dataQualityMetrics`):
 * a count is a non-negative integer. Returns the problem, naming the facet, or undefined.
 */
function rowCountProblem(v: unknown, where: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number') return `${where}.rowCount must be an integer, got ${JSON.stringify(v)}`;
  if (!Number.isInteger(v)) return `${where}.rowCount must be an integer, got ${v}`;
  if (v < 0) return `${where}.rowCount must not be negative, got ${v}`;
  if (!Number.isSafeInteger(v)) return `${where}.rowCount ${v} is larger than 2^53-1`;
  return undefined;
}

/** The row count facets of one dataset that break the spec, with the dataset's place in the event. */
function datasetProblems(ds: Obj, side: 'input' | 'output', at: string): string[] {
  const problems: string[] = [];
  const sideFacets = side === 'input' ? ds.inputFacets : ds.outputFacets;
  const facets = isObj(ds.facets) ? ds.facets : undefined;
  const stats = isObj(sideFacets) ? sideFacets[side === 'input' ? 'inputStatistics' : 'outputStatistics'] : undefined;
  if (isObj(stats)) {
    const p = rowCountProblem(stats.rowCount, `${at}.${side}Facets.${side}Statistics`);
    if (p !== undefined) problems.push(p);
  }
  for (const [where, dq] of [
    [`${at}.${side}Facets.dataQualityMetrics`, isObj(sideFacets) ? sideFacets.dataQualityMetrics : undefined],
    [`${at}.facets.dataQualityMetrics`, facets?.dataQualityMetrics],
  ] as const) {
    if (!isObj(dq)) continue;
    const p = rowCountProblem(dq.rowCount, where);
    if (p !== undefined) problems.push(p);
  }
  return problems;
}

/**
 * A dataset's profile from its facets: row count from `outputStatistics` (outputs) or
 * `inputStatistics` (inputs), else from `dataQualityMetrics`; schema and fingerprint from `schema`;
 * columns from `dataQualityMetrics.columnMetrics` (only with a row count, which their counts need).
 * A dataset without any of these has no profile.
 */
function datasetProfile(ds: Obj, side: 'input' | 'output', notes: string[], label: string): Profile | undefined {
  const facets = isObj(ds.facets) ? ds.facets : undefined;
  const sideFacets =
    side === 'input'
      ? isObj(ds.inputFacets)
        ? ds.inputFacets
        : undefined
      : isObj(ds.outputFacets)
        ? ds.outputFacets
        : undefined;
  const dqCandidate = sideFacets?.dataQualityMetrics ?? facets?.dataQualityMetrics;
  const dq = isObj(dqCandidate) ? dqCandidate : undefined;
  const statsCandidate = side === 'input' ? sideFacets?.inputStatistics : sideFacets?.outputStatistics;
  const stats = isObj(statsCandidate) ? statsCandidate : undefined;
  const rowCount = count(stats?.rowCount) ?? count(dq?.rowCount);
  const profile: Profile = rowCount === undefined ? {} : { row_count: rowCount };
  const { schema, note } = facetSchema(facets);
  if (note !== undefined) notes.push(`${label}: ${note}`);
  if (schema !== undefined) {
    try {
      profile.schema_fingerprint = schemaFingerprint(schema);
      profile.schema = schema;
    } catch (err: unknown) {
      notes.push(`${label}: schema left out (${errorMessage(err)})`);
    }
  }
  const metrics = dq !== undefined && isObj(dq.columnMetrics) ? dq.columnMetrics : undefined;
  if (metrics !== undefined && rowCount === undefined)
    notes.push(`${label}: column metrics without a row count left out`);
  if (metrics !== undefined && rowCount !== undefined) {
    const columns = dict<ColumnProfile>();
    for (const [name, m] of Object.entries(metrics)) {
      if (!isObj(m)) continue;
      const col = columnProfile(name, m, rowCount, profile.schema);
      if (typeof col === 'string') notes.push(`${label}: ${col}: metrics left out`);
      else columns[name] = col;
    }
    if (Object.keys(columns).length > 0) profile.columns = columns;
  }
  if (profile.row_count === undefined && profile.schema === undefined) return undefined;
  // the schema's order: keys of a profile in the contract's order
  return {
    ...(profile.row_count !== undefined ? { row_count: profile.row_count } : {}),
    ...(profile.schema !== undefined
      ? { schema: profile.schema, schema_fingerprint: profile.schema_fingerprint! }
      : {}),
    ...(profile.columns !== undefined ? { columns: profile.columns } : {}),
  };
}

/**
 * A dataset's `dataQualityAssertions` (the input or output facet, and the dataset facet of that name): each
 * `{assertion, success, column?}` entry once, in the event's order. An entry without a string `assertion` or a
 * boolean `success` is left out with a note (the facet's schema is not part of the core spec's checks).
 */
function datasetAssertions(ds: Obj, side: 'input' | 'output', notes: string[], label: string): AssertionResult[] {
  const sideFacets = side === 'input' ? ds.inputFacets : ds.outputFacets;
  const facets = isObj(ds.facets) ? ds.facets : undefined;
  const out: AssertionResult[] = [];
  const seen = new Set<string>();
  for (const facet of [
    isObj(sideFacets) ? sideFacets.dataQualityAssertions : undefined,
    facets?.dataQualityAssertions,
  ]) {
    if (!isObj(facet) || !Array.isArray(facet.assertions)) continue;
    for (const a of facet.assertions) {
      if (!isObj(a) || str(a.assertion) === undefined || typeof a.success !== 'boolean') {
        notes.push(`${label}: a dataQualityAssertions entry without an assertion name or a boolean success left out`);
        continue;
      }
      const column = str(a.column);
      const key = JSON.stringify([a.assertion, column ?? null, a.success]);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ assertion: str(a.assertion)!, success: a.success, ...(column !== undefined ? { column } : {}) });
    }
  }
  return out;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 12);
}

/** `code_version` from the job facets: `sourceCodeLocation` (`<type>:<version>`), else a hash of `sourceCode` or of the `sql` query. */
function codeVersion(jobFacets: Obj | undefined): string | undefined {
  const loc = jobFacets?.sourceCodeLocation;
  if (isObj(loc)) {
    const version = str(loc.version);
    if (version !== undefined) {
      const type = str(loc.type);
      return type !== undefined ? `${type.toLowerCase()}:${version}` : version;
    }
  }
  const code = jobFacets?.sourceCode;
  if (isObj(code) && typeof code.sourceCode === 'string' && code.sourceCode !== '') {
    return `${(str(code.language) ?? 'source').toLowerCase()}:sha256:${shortHash(code.sourceCode)}`;
  }
  const sql = jobFacets?.sql;
  if (isObj(sql) && typeof sql.query === 'string' && sql.query !== '') return `sql:sha256:${shortHash(sql.query)}`;
  return undefined;
}

function datasetName(ds: Obj): string | undefined {
  const ns = str(ds.namespace);
  const name = str(ds.name);
  if (ns === undefined || name === undefined) return undefined;
  return `${ns}/${name}`;
}

/** `<namespace>/<name>` of a job reference, when it has both. */
function jobId(job: unknown): string | undefined {
  if (!isObj(job)) return undefined;
  const ns = str(job.namespace);
  const name = str(job.name);
  return ns !== undefined && name !== undefined ? `${ns}/${name}` : undefined;
}

function pipelineOf(job: Obj, runFacets: Obj | undefined, from: 'parent' | 'namespace'): string | undefined {
  const namespace = str(job.namespace);
  if (from === 'namespace') return namespace;
  const parent = runFacets?.parent;
  if (isObj(parent)) {
    // with its namespace: two Airflow instances (namespaces) running a DAG of the same id are two pipelines
    const root = isObj(parent.root) ? jobId(parent.root.job) : undefined;
    return root ?? jobId(parent.job) ?? namespace;
  }
  return namespace;
}

function columnLineage(
  outputs: Obj[],
  producerOf: (dataset: string) => string | undefined,
  schemas: Schema[],
): Record<string, ColumnSource[]> | undefined {
  const out = dict<ColumnSource[]>();
  // column -> `node\u0000column` of its sources: linear, whatever the number of sources
  const seen = new Map<string, Set<string>>();
  for (const ds of outputs) {
    const facets = isObj(ds.facets) ? ds.facets : undefined;
    const facet = facets?.columnLineage;
    if (!isObj(facet) || !isObj(facet.fields)) continue;
    for (const [column, spec] of Object.entries(facet.fields)) {
      if (!isObj(spec) || !Array.isArray(spec.inputFields)) continue;
      if (schemas.length > 0 && !schemas.some((s) => resolveFieldPath(s, column) !== undefined)) continue;
      const sources: ColumnSource[] = [];
      const here = new Set<string>();
      let complete = true;
      for (const f of spec.inputFields) {
        if (!isObj(f)) continue;
        const dataset = datasetName(f);
        const field = str(f.field);
        const node = dataset === undefined ? undefined : producerOf(dataset);
        if (node === undefined || field === undefined) {
          // partial lineage would tell RCA that the unknown sources cannot explain this column: leave it out
          complete = false;
          break;
        }
        const key = `${node}\u0000${field}`;
        if (!here.has(key)) {
          here.add(key);
          sources.push({ node, column: field });
        }
      }
      if (complete && sources.length > 0) {
        const prev = own(out, column) ?? (out[column] = []);
        let keys = seen.get(column);
        if (keys === undefined) seen.set(column, (keys = new Set()));
        for (const s of sources) {
          const key = `${s.node}\u0000${s.column}`;
          if (!keys.has(key)) {
            keys.add(key);
            prev.push(s);
          }
        }
      }
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * An output's `columnLineage` facet as the output's `column_lineage`, keyed by dataset and column on both sides:
 * field -> the `{dataset: "<namespace>/<name>", column: field}` of each input field, each once, in the facet's order.
 * A field not in the output's schema facet (when it has one) is left out, as is an input field without a
 * namespace, name or field. Needs no knowledge of producers: RCA maps the datasets to the nodes that wrote them.
 */
function outputColumnLineage(ds: Obj, schema: Schema | undefined): Record<string, DatasetColumn[]> | undefined {
  const facets = isObj(ds.facets) ? ds.facets : undefined;
  const facet = facets?.columnLineage;
  if (!isObj(facet) || !isObj(facet.fields)) return undefined;
  const out = dict<DatasetColumn[]>();
  for (const [column, spec] of Object.entries(facet.fields)) {
    if (column === '' || !isObj(spec) || !Array.isArray(spec.inputFields)) continue;
    if (schema !== undefined && resolveFieldPath(schema, column) === undefined) continue;
    const sources: DatasetColumn[] = [];
    const seen = new Set<string>();
    for (const f of spec.inputFields) {
      if (!isObj(f)) continue;
      const dataset = datasetName(f);
      const field = str(f.field);
      if (dataset === undefined || field === undefined) continue;
      const key = `${dataset}\u0000${field}`;
      if (seen.has(key)) continue;
      seen.add(key);
      sources.push({ dataset, column: field });
    }
    if (sources.length > 0) out[column] = sources;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The event's input and output datasets (each once, in the event's order) with their profiles. */
function datasets(event: Obj, notes: string[]): { inputs: DatasetRef[]; outputs: OutputRef[]; outputObjs: Obj[] } {
  const outputs: OutputRef[] = [];
  const outputObjs: Obj[] = [];
  const outputNames = new Set<string>();
  for (const ds of Array.isArray(event.outputs) ? event.outputs.filter(isObj) : []) {
    const dataset = datasetName(ds);
    if (dataset === undefined || outputNames.has(dataset)) continue;
    const profile = datasetProfile(ds, 'output', notes, `output ${dataset}`);
    const assertions = datasetAssertions(ds, 'output', notes, `output ${dataset}`);
    const lineage = outputColumnLineage(ds, profile?.schema);
    outputs.push({
      dataset,
      ...(profile !== undefined ? { profile } : {}),
      ...(assertions.length > 0 ? { assertions } : {}),
      ...(lineage !== undefined ? { column_lineage: lineage } : {}),
    });
    outputNames.add(dataset);
    outputObjs.push(ds);
  }
  const inputs: DatasetRef[] = [];
  const inputNames = new Set<string>();
  for (const ds of Array.isArray(event.inputs) ? event.inputs.filter(isObj) : []) {
    const dataset = datasetName(ds);
    if (dataset === undefined || inputNames.has(dataset)) continue;
    inputNames.add(dataset);
    const profile = datasetProfile(ds, 'input', notes, `input ${dataset}`);
    const assertions = datasetAssertions(ds, 'input', notes, `input ${dataset}`);
    inputs.push({
      dataset,
      ...(profile !== undefined ? { profile } : {}),
      ...(assertions.length > 0 ? { assertions } : {}),
    });
  }
  return { inputs, outputs, outputObjs };
}

/** The datasets a DatasetEvent's `columnLineage` facet derives it from (field-level and dataset-level inputs). */
function derivedFrom(facets: Obj | undefined): string[] {
  const facet = facets?.columnLineage;
  if (!isObj(facet)) return [];
  const out = new Set<string>();
  const add = (fields: unknown) => {
    if (!Array.isArray(fields)) return;
    for (const f of fields) {
      const name = isObj(f) ? datasetName(f) : undefined;
      if (name !== undefined) out.add(name);
    }
  };
  if (isObj(facet.fields)) for (const spec of Object.values(facet.fields)) if (isObj(spec)) add(spec.inputFields);
  add(facet.dataset);
  return [...out].sort();
}

/**
 * A DatasetEvent or JobEvent (lineage without a run): a JobEvent states the datasets its job reads and writes
 * (pipeline: the job's namespace, as for a run without a parent); a DatasetEvent the datasets its
 * `columnLineage` facet derives the dataset from. What the spec forbids gives `errors` naming the field.
 */
function lineageEvent(event: Obj): ConvertResult {
  const kind = 'dataset' in event && !('job' in event) ? 'DatasetEvent' : 'JobEvent';
  const errors = specProblems(event);
  const time = eventTime(event.eventTime);
  if (!time.ok) errors.push(time.error);
  if (kind === 'DatasetEvent') {
    const ds = event.dataset;
    if (!isObj(ds)) errors.push('dataset is required (an object with namespace and name)');
    else {
      if (typeof ds.namespace !== 'string' || ds.namespace === '')
        errors.push('dataset.namespace is required (a non-empty string)');
      if (typeof ds.name !== 'string' || ds.name === '') errors.push('dataset.name is required (a non-empty string)');
    }
    if (errors.length > 0 || !isObj(ds) || !time.ok) return { errors };
    const facets = isObj(ds.facets) ? ds.facets : undefined;
    const lineage: LineageDeclaration = {
      kind: 'dataset',
      pipeline: str(ds.namespace)!,
      dataset: datasetName(ds)!,
      event_time: time.time,
      inputs: derivedFrom(facets),
    };
    return { reports: [], lineage };
  }
  const job = event.job;
  if (!isObj(job)) errors.push('job is required');
  else {
    if (typeof job.namespace !== 'string' || job.namespace === '')
      errors.push('job.namespace is required (a non-empty string)');
    if (typeof job.name !== 'string' || job.name === '') errors.push('job.name is required (a non-empty string)');
  }
  if (errors.length > 0 || !isObj(job) || !time.ok) return { errors };
  const names = (list: unknown) => [
    ...new Set(
      (Array.isArray(list) ? list.filter(isObj) : []).map(datasetName).filter((d): d is string => d !== undefined),
    ),
  ];
  const lineage: LineageDeclaration = {
    kind: 'job',
    pipeline: str(job.namespace)!,
    node: str(job.name)!,
    event_time: time.time,
    inputs: names(event.inputs),
    outputs: names(event.outputs),
  };
  return { reports: [], lineage };
}

const OUTCOMES: Readonly<Record<string, 'success' | 'failed'>> = {
  COMPLETE: 'success',
  FAIL: 'failed',
  ABORT: 'failed',
};
const EVENT_TYPES: ReadonlySet<string> = new Set(['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How much of a stack trace a report carries: the first lines name the failure; the rest is in the producer's logs. */
const STACK_LINES = 20;
const STACK_CHARS = 4000;
const MESSAGE_CHARS = 4000;

/** The run's `errorMessage` facet as a report's `error` (message, language, the first lines of the stack trace). */
function runError(runFacets: Obj | undefined): RunError | undefined {
  const facet = runFacets?.errorMessage;
  if (!isObj(facet)) return undefined;
  const message = typeof facet.message === 'string' ? facet.message.slice(0, MESSAGE_CHARS) : undefined;
  if (message === undefined) return undefined;
  const error: RunError = { message };
  const language = str(facet.programmingLanguage);
  if (language !== undefined) error.language = language;
  if (typeof facet.stackTrace === 'string' && facet.stackTrace.trim() !== '') {
    error.stack = facet.stackTrace.split('\n').slice(0, STACK_LINES).join('\n').slice(0, STACK_CHARS);
  }
  return error;
}

/** What the spec forbids in the envelope of a RunEvent (and in its datasets' row counts), naming each field. */
function specProblems(event: Obj): string[] {
  const errors: string[] = [];
  if (event.producer === undefined) errors.push('producer is required (a URI)');
  else if (typeof event.producer !== 'string') errors.push('producer must be a string (a URI)');
  if (event.eventType !== undefined && typeof event.eventType === 'string' && !EVENT_TYPES.has(event.eventType)) {
    errors.push(
      `eventType ${JSON.stringify(event.eventType)} is not one of ${[...EVENT_TYPES].join(', ')} (the spec's values are upper-case)`,
    );
  }
  const run = isObj(event.run) ? event.run : undefined;
  if (run !== undefined && run.runId !== undefined) {
    if (typeof run.runId !== 'string')
      errors.push(`run.runId must be a string (a UUID), got ${JSON.stringify(run.runId)}`);
    else if (!UUID.test(run.runId)) errors.push(`run.runId ${JSON.stringify(run.runId)} is not a UUID`);
  }
  const job = isObj(event.job) ? event.job : undefined;
  if (job !== undefined) {
    if (job.name !== undefined && typeof job.name !== 'string') errors.push('job.name must be a string');
    if (job.namespace !== undefined && typeof job.namespace !== 'string') errors.push('job.namespace must be a string');
  }
  for (const side of ['inputs', 'outputs'] as const) {
    const list = event[side];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      errors.push(`${side} must be an array`);
      continue;
    }
    list.forEach((ds: unknown, i) => {
      const at = `${side}[${i}]`;
      if (!isObj(ds)) {
        errors.push(`${at} must be an object`);
        return;
      }
      if (typeof ds.namespace !== 'string') errors.push(`${at}.namespace is required (a string)`);
      if (typeof ds.name !== 'string') errors.push(`${at}.name is required (a string)`);
      errors.push(...datasetProblems(ds, side === 'inputs' ? 'input' : 'output', at));
    });
  }
  return errors;
}

/**
 * Converts an OpenLineage RunEvent into a `rootline.report/v1` report (docs/emitters.md, "OpenLineage").
 * COMPLETE, FAIL and ABORT events give one report (FAIL and ABORT: `status: failed`, with the
 * `errorMessage` facet as `error`), whether or not their outputs carry statistics: a run without
 * statistics still records lineage, status, versions and timing. START and RUNNING give no report but the
 * run's `progress` (its start, and the statistics it carried so far); OTHER gives none, with the reason in
 * `ignored`. What the spec forbids (a lower-case event type, a run id that is not a
 * UUID, a negative or fractional row count, a missing producer, ...) gives `errors` naming the field.
 */
export function createRunEventConverter(options: ConvertOptions = {}): (event: unknown) => ConvertResult {
  const from = options.pipelineFrom ?? 'parent';
  return (event: unknown): ConvertResult => {
    if (!isObj(event)) return { errors: ['an OpenLineage RunEvent must be a JSON object'] };
    if (!('run' in event) && !('eventType' in event)) return lineageEvent(event);
    const errors: string[] = specProblems(event);
    const job = isObj(event.job) ? event.job : undefined;
    const run = isObj(event.run) ? event.run : undefined;
    if (job === undefined) errors.push('job is required');
    else {
      if (typeof job.namespace === 'string' && job.namespace === '') errors.push('job.namespace must not be empty');
      else if (job.namespace === undefined) errors.push('job.namespace is required (a non-empty string)');
      if (typeof job.name === 'string' && job.name === '') errors.push('job.name must not be empty');
      else if (job.name === undefined) errors.push('job.name is required (a non-empty string)');
    }
    if (run === undefined) errors.push('run is required');
    else if (run.runId === undefined) errors.push('run.runId is required (a UUID)');
    const runId = run === undefined ? undefined : str(run.runId);
    const time = eventTime(event.eventTime);
    if (!time.ok) errors.push(time.error);
    const eventType = event.eventType === undefined ? 'OTHER' : event.eventType;
    if (typeof eventType !== 'string') errors.push('eventType must be a string');
    if (errors.length > 0 || job === undefined || runId === undefined || !time.ok || typeof eventType !== 'string')
      return { errors };

    const status = OUTCOMES[eventType];
    const runFacets = run !== undefined && isObj(run.facets) ? run.facets : undefined;
    const jobFacets = isObj(job.facets) ? job.facets : undefined;
    const pipeline = pipelineOf(job, runFacets, from)!;
    const node = str(job.name)!;
    const notes: string[] = [];
    if (status === undefined) {
      if (eventType === 'START' || eventType === 'RUNNING') {
        const { inputs, outputs } = datasets(event, notes);
        const progress: RunProgress = {
          pipeline,
          node,
          run_id: runId,
          event_time: time.time,
          phase: eventType,
          ...(inputs.length > 0 ? { inputs } : {}),
          ...(outputs.length > 0 ? { outputs } : {}),
        };
        // the datasets' profiles pass the checks a report's would, else only the start is kept
        const check = validateReport({
          spec: REPORT_SPEC,
          event_id: openLineageEventId(runId, eventType),
          pipeline,
          node,
          run_id: runId,
          event_time: time.time,
          ...(inputs.length > 0 ? { inputs } : {}),
          outputs,
        });
        if (!check.ok) {
          delete progress.inputs;
          delete progress.outputs;
        }
        return { reports: [], progress };
      }
      return {
        reports: [],
        ignored: `eventType ${eventType}: only COMPLETE, FAIL and ABORT events end a run with an outcome to report`,
      };
    }

    const { inputs, outputs, outputObjs } = datasets(event, notes);

    const report: Report = {
      spec: REPORT_SPEC,
      event_id: openLineageEventId(runId, eventType),
      pipeline,
      node,
      run_id: runId,
      event_time: time.time,
      status,
      ...(inputs.length > 0 ? { inputs } : {}),
      outputs,
    };
    const code = codeVersion(jobFacets);
    if (code !== undefined) report.code_version = code;
    const versions = new Set<string>();
    for (const ds of outputObjs) {
      const facets = isObj(ds.facets) ? ds.facets : undefined;
      const v = isObj(facets?.version) ? str(facets.version.datasetVersion) : undefined;
      if (v !== undefined) versions.add(v);
    }
    if (versions.size === 1) report.data_version = [...versions][0]!;
    if (options.producerOf !== undefined) {
      const schemas = outputs.map((o) => o.profile?.schema).filter((s): s is Schema => s !== undefined);
      const lineage = columnLineage(outputObjs, options.producerOf, schemas);
      if (lineage !== undefined) report.column_lineage = lineage;
    }
    if (status === 'failed') {
      const error = runError(runFacets) ?? (eventType === 'ABORT' ? { message: 'the run was aborted' } : undefined);
      if (error !== undefined) report.error = error;
    }
    const v = validateReport(report);
    if (!v.ok) return { errors: [`the converted report is invalid: ${formatIssues(v.errors)}`, ...notes] };
    return { reports: [v.report] };
  };
}

const defaultConverter = createRunEventConverter();

/**
 * Converts an OpenLineage RunEvent with the default options (see {@link createRunEventConverter}):
 * the monitor's decoder calls this for OpenLineage messages on Kafka and `POST /api/v1/lineage`.
 */
export function convertRunEvent(event: unknown): ConvertResult {
  return defaultConverter(event);
}
