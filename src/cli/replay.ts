import { createReadStream, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { decodeLine, type LineInput } from '../adapters/decode/line.js';
import { DecodePool, DecodePoolUnavailable, defaultDecodeWorkers, type Outcome } from '../adapters/decode/pool.js';
import type { Report } from '../contract/index.js';
import { RootlineError, errorMessage } from '../errors/index.js';
import {
  MonitorCore,
  emptyOutput,
  type CoreOutput,
  type Incident,
  type IncidentEvent,
  type MonitorCoreOptions,
} from '../monitor/index.js';
import type { CatalogRun } from '../adapters/catalog/index.js';
import { catalogRunsOf, openCatalog } from '../service/catalog.js';
import { DEFAULT_RULES_DIR, SEVERITIES, loadRules, type Finding, type Severity } from '../rules/index.js';

const USAGE = `usage: rootline replay FILE.jsonl [--rules DIR] [--baseline-runs N] [--resolve-after K] [--events] [--no-findings] [--quiet]
                      [--incidents-out FILE] [--catalog pglite:DIR|DIR|postgres://...] [--decode-workers N]

Runs the monitor's core offline on a file of reports or OpenLineage events (one JSON value per line, in
arrival order; OpenLineage RunEvents are converted as POST /api/v1/lineage does; a rootline.accept/v1 line
accepts a node's change as its new normal, as the incident's accept action does; a
rootline.incident-action/v1 line is a person's action on an incident, as the monitor applies it from Kafka), with an
in-process store, and prints JSON lines: {"type":"finding",...} as findings occur, {"type":"incident_event",...}
for every incident change with --events, and {"type":"incident",...} for each incident at the end.
A bad line (not JSON, not a valid report, or a report the monitor fails on) is named on stderr with its line
number and reason and skipped; every other line is processed. Exit code: 0 when every line was good; 2 when any
line was bad (the summary on stderr counts them), and also when the arguments were wrong or the file unreadable.
With --catalog, every run is also written to the provenance catalog (docs/catalog.md) as the monitor writes it:
the embedded catalog kept in DIR (pglite:DIR, or a bare folder name), or a PostgreSQL server (postgres://...);
query it afterwards with rootline lineage provenance|consumers|column|diff|health --catalog the same.
--incidents-out FILE also writes every incident opened, one JSON line each however often it changed later:
incident_id, pipeline, culprit, opened_run_id, opened_event_time (the event time of the report that opened it),
symptoms (every {pipeline, node, run_id} attached), severity (its highest), cause, metric, column.
--decode-workers N: lines are parsed and validated on N worker threads beside the core (the output is the same);
0 does it all in one thread. Default: the cores beyond two, at most 2 (0 on one or two cores).`;

/** The incident as `rootline replay` prints it. */
export function incidentLine(i: Incident): Record<string, unknown> {
  return {
    type: 'incident',
    incident_id: i.incident_id,
    pipeline: i.pipeline,
    culprit: i.culprit,
    cause: i.cause.kind,
    cause_summary: i.cause.summary,
    metric: i.metric,
    column: i.column ?? null,
    confidence: i.confidence,
    candidates: i.candidates,
    escalated: i.escalated,
    severity: i.severity,
    status: i.status,
    symptoms: [...new Set(i.symptoms.map((s) => s.node))],
    blast_radius: i.blast_radius,
    actions: i.actions.map((a) => ({ action: a.action, decision: a.decision, why: a.why, who: a.who })),
    opened_at: i.opened_at,
    resolved_at: i.resolved_at ?? null,
    runs_affected: i.runs_affected,
    ...(i.error !== undefined ? { error: i.error } : {}),
    evidence: i.evidence,
  };
}

export async function replayCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      rules: { type: 'string', default: DEFAULT_RULES_DIR },
      'baseline-runs': { type: 'string' },
      'resolve-after': { type: 'string' },
      'incidents-out': { type: 'string' },
      events: { type: 'boolean', default: false },
      'no-findings': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      catalog: { type: 'string' },
      'catalog-schema': { type: 'string' },
      'decode-workers': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const int = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      throw new RootlineError('CONFIG_INVALID', `--${name} must be a positive integer, got ${v}`);
    return n;
  };
  const baselineRuns = int('baseline-runs', values['baseline-runs']);
  const workersArg = values['decode-workers'];
  if (workersArg !== undefined && !/^(0|[1-9]\d{0,1})$/.test(workersArg))
    throw new RootlineError('CONFIG_INVALID', `--decode-workers must be an integer from 0 to 99, got ${workersArg}`);
  const decodeWorkers = workersArg === undefined ? undefined : Number(workersArg);
  const resolveAfter = int('resolve-after', values['resolve-after']);
  const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
  const log = values['incidents-out'] !== undefined ? new IncidentLog() : undefined;
  const catalog =
    values.catalog === undefined
      ? undefined
      : await openCatalog(catalogUrlArg(values.catalog), values['catalog-schema']);
  let pending: CatalogRun[] = [];
  let stored = 0;
  const flush = async () => {
    if (!catalog || pending.length === 0) return;
    stored += (await catalog.writeRuns(pending)).written;
    pending = [];
  };
  const summary = await replayFile(
    file,
    {
      rules: loadRules(values.rules),
      ...(baselineRuns !== undefined ? { baselineRuns } : {}),
      ...(resolveAfter !== undefined ? { resolveAfterHealthyRuns: resolveAfter } : {}),
    },
    {
      ...(values['no-findings'] ? {} : { finding: (f) => out({ type: 'finding', ...f }) }),
      incidentEvents: (events, eventTime) => {
        log?.add(events, eventTime);
        if (values.events)
          for (const e of events)
            out({ type: 'incident_event', event: e.type, at: e.at, ...incidentLine(e.incident), changes: e.changes });
      },
      badLine: (message) => process.stderr.write(`${message}\n`),
      warning: (message) => process.stderr.write(`warning: ${message}\n`),
      ...(catalog
        ? {
            processed: async (report, res, core) => {
              pending.push(...catalogRunsOf([report], res, (ref, at) => core.latestRun(ref, at)?.outputs));
              if (pending.length >= CATALOG_BATCH) await flush();
            },
          }
        : {}),
    },
    decodeWorkers !== undefined ? { workers: decodeWorkers } : {},
  ).finally(async () => {
    await flush().finally(() => catalog?.close());
  });
  for (const i of summary.incidents) out(incidentLine(i));
  if (log !== undefined)
    writeFileSync(
      values['incidents-out']!,
      log
        .lines()
        .map((l) => `${JSON.stringify(l)}\n`)
        .join(''),
    );
  if (!values.quiet) {
    const inc = summary.incidents;
    process.stderr.write(
      `replayed ${summary.processed} reports (${summary.duplicates} duplicates, ${summary.invalid} invalid lines, ${summary.unfinished} OpenLineage START/RUNNING events, ${summary.ignored} OpenLineage events without an outcome) from ${file}: ${inc.length} incident(s), ${inc.filter((i) => i.status === 'open').length} open${catalog ? `; ${stored} runs stored in the catalog` : ''}\n`,
    );
  }
  return summary.invalid > 0 ? 2 : 0;
}

/** What {@link replayFile} reports as it goes; every callback is optional. */
export interface ReplaySinks {
  finding?: (f: Finding) => void;
  /** The incident events of one report (or OpenLineage progress event), with its event time. */
  incidentEvents?: (events: readonly IncidentEvent[], eventTime: string) => void;
  /** A bad line: `FILE:LINE: reason`. */
  badLine?: (message: string) => void;
  /** Something to tell that is not about a line (a decoding worker that crashed). */
  warning?: (message: string) => void;
  /** A report the core processed, with what it produced and the core (awaited before the next line). */
  processed?: (report: Report, out: CoreOutput, core: MonitorCore) => Promise<void> | void;
}

/** `--catalog`: a catalog URL, or a bare folder for the embedded catalog. */
export function catalogUrlArg(arg: string): string {
  return /^(pglite:|postgres(ql)?:\/\/|none$)/.test(arg) ? arg : `pglite:${arg}`;
}

/** Runs written to the catalog per transaction during a replay. */
const CATALOG_BATCH = 500;

/** The counts of a replay and the incidents at its end. */
export interface ReplaySummary {
  processed: number;
  duplicates: number;
  invalid: number;
  ignored: number;
  /** OpenLineage START/RUNNING events (a run's progress). */
  unfinished: number;
  incidents: Incident[];
}

/**
 * The lines of a file, numbered from 1, as readline splits them (`\n`, `\r\n` and a lone `\r` end a line; an empty
 * last line is not one), read in large chunks and decoded line by line (no regular expression over the text).
 */
export async function* fileLines(file: string, chunkBytes = 1 << 20): AsyncGenerator<[lineNo: number, line: string]> {
  for await (const [lineNo, bytes] of fileLineBytes(file, chunkBytes)) yield [lineNo, bytes.toString('utf8')];
}

/** The lines of a file as {@link fileLines} splits them, as bytes (views of the chunks read, not copies). */
export async function* fileLineBytes(
  file: string,
  chunkBytes = 1 << 20,
): AsyncGenerator<[lineNo: number, line: Buffer]> {
  const stream = createReadStream(file, { highWaterMark: chunkBytes });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  }).catch((err: unknown) => {
    throw new RootlineError('FILE_INVALID', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  });
  let lineNo = 0;
  let carry: Buffer | undefined;
  /** A line ended by \n (its \r\n's \r dropped), split again at lone \r. */
  function* split(buf: Buffer, start: number, end: number): Generator<[number, Buffer]> {
    if (end > start && buf[end - 1] === 0x0d) end--;
    let from = start;
    for (let cr = buf.indexOf(0x0d, from); cr !== -1 && cr < end; cr = buf.indexOf(0x0d, from)) {
      yield [++lineNo, buf.subarray(from, cr)];
      from = cr + 1;
    }
    yield [++lineNo, buf.subarray(from, end)];
  }
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const buf: Buffer = carry === undefined ? chunk : Buffer.concat([carry, chunk]);
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl !== -1; nl = buf.indexOf(0x0a, start)) {
      yield* split(buf, start, nl);
      start = nl + 1;
    }
    carry = start < buf.length ? buf.subarray(start) : undefined;
  }
  // The last line, without an end of line (a \r at its very end ends it, with nothing after).
  if (carry !== undefined && carry.length > 0) yield* split(carry, 0, carry.length);
}

/** A line of the file decoded: its input, nothing (a blank line), or why it could not be decoded. */
type Decoded = LineInput | { kind: 'blank' } | { kind: 'failed'; reason: string };

/** Lines per task for the decoding workers, and tasks in flight per worker (so a worker never waits for the next). */
const LINES_PER_TASK = 32;
const TASKS_PER_WORKER = 3;

/**
 * The file's lines decoded in order: in this thread, or (with a pool) on its workers, several tasks of
 * {@link LINES_PER_TASK} lines in flight while the core works on the lines before.
 */
async function* decodedLines(file: string, pool: DecodePool | undefined): AsyncGenerator<[number, Decoded]> {
  if (pool === undefined || !pool.available) {
    for await (const [lineNo, line] of fileLines(file))
      yield [lineNo, line.trim() === '' ? { kind: 'blank' } : decodeLine(line)];
    return;
  }
  const inFlight: { first: number; lines: Buffer[]; res: Promise<Outcome[] | undefined> }[] = [];
  const send = (first: number, lines: Buffer[]) =>
    inFlight.push({
      first,
      lines,
      // Workers that cannot start: these lines are decoded here (below).
      res: pool.decodeLines(lines).catch((err: unknown) => {
        if (err instanceof DecodePoolUnavailable) return undefined;
        throw err;
      }),
    });
  async function* drain(): AsyncGenerator<[number, Decoded]> {
    const t = inFlight.shift()!;
    const res = await t.res;
    for (let i = 0; i < t.lines.length; i++) {
      const o = res?.[i];
      yield [t.first + i, o === undefined ? decodeHere(t.lines[i]!) : outcomeOf(o)];
    }
  }
  let lines: Buffer[] = [];
  let first = 1;
  for await (const [lineNo, bytes] of fileLineBytes(file)) {
    if (lines.length === 0) first = lineNo;
    lines.push(bytes);
    if (lines.length < LINES_PER_TASK) continue;
    send(first, lines);
    lines = [];
    while (inFlight.length >= pool.workers * TASKS_PER_WORKER) yield* drain();
  }
  if (lines.length > 0) send(first, lines);
  while (inFlight.length > 0) yield* drain();
}

function decodeHere(bytes: Buffer): Decoded {
  const line = bytes.toString('utf8');
  return line.trim() === '' ? { kind: 'blank' } : decodeLine(line);
}

function outcomeOf(o: Outcome): Decoded {
  if ('line' in o) return o.line;
  if ('blank' in o) return { kind: 'blank' };
  if ('thrown' in o) return { kind: 'failed', reason: `decoding failed: ${o.thrown}` };
  if ('crashed' in o) return { kind: 'failed', reason: o.crashed };
  return { kind: 'failed', reason: 'not a line' };
}

/**
 * The replay itself, as `rootline replay` runs it: every line of the file in order through one core (a
 * fresh core rebuilt from the good inputs after the core fails on one, as the monitor reloads). What was
 * processed is remembered by line number, not kept: the rebuild reads the file again up to the failing line.
 */
export async function replayFile(
  file: string,
  options: MonitorCoreOptions,
  sinks: ReplaySinks = {},
  decode: { workers?: number } = {},
): Promise<ReplaySummary> {
  const workers = decode.workers ?? defaultDecodeWorkers();
  const pool =
    workers > 0
      ? new DecodePool({
          workers,
          warn: (message, fields) => sinks.warning?.(`${message}: ${JSON.stringify(fields)}`),
        })
      : undefined;
  try {
    return await replayLines(file, options, sinks, pool);
  } finally {
    await pool?.close();
  }
}

async function replayLines(
  file: string,
  options: MonitorCoreOptions,
  sinks: ReplaySinks,
  pool: DecodePool | undefined,
): Promise<ReplaySummary> {
  const newCore = () => new MonitorCore(options);
  let core = newCore();
  /** Lines processed so far, each with the number of its inputs the core took (a line may carry several reports). */
  const good = new Map<number, number>();
  const rebuild = async (upTo: number): Promise<MonitorCore> => {
    const fresh = newCore();
    for await (const [lineNo, line] of fileLines(file)) {
      if (lineNo > upTo) break;
      const taken = good.get(lineNo);
      if (taken === undefined) continue;
      const d = decodeLine(line);
      if (d.kind === 'accept') fresh.acceptChange(d.input);
      else if (d.kind === 'command') fresh.applyCommand(d.command);
      else if (d.kind === 'progress') fresh.processProgress(d.progress);
      else if (d.kind === 'lineage') fresh.processLineage(d.lineage);
      else if (d.kind === 'reports') for (const r of d.reports.slice(0, taken)) fresh.processReport(r);
    }
    return fresh;
  };
  const summary: ReplaySummary = {
    processed: 0,
    duplicates: 0,
    invalid: 0,
    ignored: 0,
    unfinished: 0,
    incidents: [],
  };
  const bad = (lineNo: number, reason: string) => {
    summary.invalid++;
    sinks.badLine?.(`${file}:${lineNo}: ${reason}`);
  };
  for await (const [lineNo, d] of decodedLines(file, pool)) {
    if (d.kind === 'blank') continue;
    if (d.kind === 'bad' || d.kind === 'failed') {
      bad(lineNo, d.reason);
      continue;
    }
    if (d.kind === 'accept') {
      const o = emptyOutput();
      const res = core.acceptChange(d.input, o);
      if (!res.ok) {
        bad(lineNo, `accept refused: ${res.reason ?? ''}`);
        continue;
      }
      good.set(lineNo, 1);
      if (o.incidentEvents.length > 0) sinks.incidentEvents?.(o.incidentEvents, o.incidentEvents[0]!.at);
      continue;
    }
    if (d.kind === 'command') {
      const o = emptyOutput();
      const res = core.applyCommand(d.command, o);
      if (res.kind !== 'applied') {
        bad(lineNo, `incident action not applied (${res.kind}): ${res.reason}`);
        continue;
      }
      good.set(lineNo, 1);
      if (o.incidentEvents.length > 0) sinks.incidentEvents?.(o.incidentEvents, d.command.at);
      continue;
    }
    if (d.kind === 'progress') {
      const prog = core.processProgress(d.progress);
      good.set(lineNo, 1);
      summary.unfinished++;
      if (sinks.finding) for (const f of prog.findings) sinks.finding(f);
      if (prog.incidentEvents.length > 0) sinks.incidentEvents?.(prog.incidentEvents, d.progress.event_time);
      continue;
    }
    if (d.kind === 'lineage') {
      core.processLineage(d.lineage);
      good.set(lineNo, 1);
      continue;
    }
    if (d.ignored) summary.ignored++;
    for (const report of d.reports) {
      let res;
      try {
        res = core.processReport(report);
      } catch (err: unknown) {
        // The core may have half changed its state: rebuild it from the good inputs, as the monitor reloads.
        bad(lineNo, `the monitor failed on this report: ${errorMessage(err)}`);
        core = await rebuild(lineNo);
        break;
      }
      good.set(lineNo, (good.get(lineNo) ?? 0) + 1);
      await sinks.processed?.(report, res, core);
      summary.processed += res.processed;
      summary.duplicates += res.duplicates;
      if (sinks.finding) for (const f of res.findings) sinks.finding(f);
      if (res.incidentEvents.length > 0) sinks.incidentEvents?.(res.incidentEvents, report.event_time);
    }
  }
  summary.incidents = core.incidents();
  return summary;
}

/** One line of `--incidents-out`: an incident as it was opened, with every node-run it gathered as a symptom. */
export interface OpenedIncident {
  incident_id: string;
  pipeline: string;
  culprit: string;
  /** The culprit's run the incident was opened on. */
  opened_run_id: string;
  /** The event time it was opened at: the `event_time` of the report whose processing opened it. */
  opened_event_time: string;
  symptoms: { pipeline: string; node: string; run_id: string }[];
  /** The highest severity it ever had. */
  severity: Severity;
  cause: string;
  metric: string;
  column: string | null;
}

/**
 * Every incident a replay opened, one entry each however often it changed later (`--incidents-out`):
 * the format of the evaluation sets' scorers (bench/eval/pandas/README.md), useful for any offline scoring.
 */
export class IncidentLog {
  private readonly entries = new Map<
    string,
    { line: OpenedIncident; symptoms: Map<string, OpenedIncident['symptoms'][number]> }
  >();

  /** Takes the incident events that one report caused, in order, with the report's event time. */
  add(events: readonly IncidentEvent[], eventTime: string): void {
    for (const e of events) {
      const inc = e.incident;
      let entry = this.entries.get(inc.incident_id);
      if (entry === undefined) {
        entry = {
          line: {
            incident_id: inc.incident_id,
            pipeline: inc.pipeline,
            culprit: inc.culprit,
            opened_run_id: inc.opened_run_id,
            opened_event_time: e.type === 'opened' ? e.at : eventTime,
            symptoms: [],
            severity: inc.severity,
            cause: inc.cause.kind,
            metric: inc.metric,
            column: inc.column ?? null,
          },
          symptoms: new Map(),
        };
        this.entries.set(inc.incident_id, entry);
      }
      if (SEVERITIES.indexOf(inc.severity) < SEVERITIES.indexOf(entry.line.severity))
        entry.line.severity = inc.severity;
      for (const s of inc.symptoms)
        for (const run_id of [s.first_run_id, s.last_run_id]) {
          const key = JSON.stringify([s.pipeline, s.node, run_id]);
          if (!entry.symptoms.has(key)) entry.symptoms.set(key, { pipeline: s.pipeline, node: s.node, run_id });
        }
    }
  }

  /** The incidents in the order they were opened. */
  lines(): OpenedIncident[] {
    return [...this.entries.values()].map((e) => ({ ...e.line, symptoms: [...e.symptoms.values()] }));
  }
}
