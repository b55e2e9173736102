import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { isOpenLineageEvent } from '../adapters/decode/decode.js';
import { formatIssues, parseReport, type Report, type RunProgress } from '../contract/index.js';
import { RootlineError, errorMessage } from '../errors/index.js';
import { MonitorCore, type Incident } from '../monitor/index.js';
import { convertRunEvent } from '../openlineage/index.js';
import { DEFAULT_RULES_DIR, loadRules } from '../rules/index.js';

const USAGE = `usage: rootline replay FILE.jsonl [--rules DIR] [--baseline-runs N] [--resolve-after K] [--events] [--no-findings] [--quiet]

Runs the monitor's core offline on a file of reports or OpenLineage events (one JSON value per line, in
arrival order; OpenLineage RunEvents are converted as POST /api/v1/lineage does), with an
in-process store, and prints JSON lines: {"type":"finding",...} as findings occur, {"type":"incident_event",...}
for every incident change with --events, and {"type":"incident",...} for each incident at the end.
A bad line (not JSON, not a valid report, or a report the monitor fails on) is named on stderr with its line
number and reason and skipped; every other line is processed. Exit code: 0 when every line was good; 2 when any
line was bad (the summary on stderr counts them), and also when the arguments were wrong or the file unreadable.`;

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
      events: { type: 'boolean', default: false },
      'no-findings': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
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
  const resolveAfter = int('resolve-after', values['resolve-after']);
  const newCore = () =>
    new MonitorCore({
      rules: loadRules(values.rules),
      ...(baselineRuns !== undefined ? { baselineRuns } : {}),
      ...(resolveAfter !== undefined ? { resolveAfterHealthyRuns: resolveAfter } : {}),
    });
  let core = newCore();
  /** What was processed so far: after the core fails on a report, a fresh core is rebuilt from it. */
  const good: (Report | RunProgress)[] = [];
  const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
  const stream = createReadStream(file, { encoding: 'utf8' });
  const opened = await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  }).then(
    () => true,
    (err: unknown) => {
      throw new RootlineError('FILE_INVALID', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
    },
  );
  void opened;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  let invalid = 0;
  let processed = 0;
  let duplicates = 0;
  let ignored = 0;
  let unfinished = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    let reports: Report[];
    const event = openLineageEventOf(line);
    if (event !== undefined) {
      const res = convertRunEvent(event);
      if ('errors' in res) {
        invalid++;
        process.stderr.write(`${file}:${lineNo}: invalid OpenLineage event: ${res.errors.slice(0, 5).join('; ')}\n`);
        continue;
      }
      if (res.progress !== undefined) {
        // a START/RUNNING: the run's start and statistics, for the report that closes it (and stalled runs)
        const prog = core.processProgress(res.progress);
        good.push(res.progress);
        unfinished++;
        if (!values['no-findings']) for (const f of prog.findings) out({ type: 'finding', ...f });
        if (values.events)
          for (const e of prog.incidentEvents)
            out({ type: 'incident_event', event: e.type, at: e.at, ...incidentLine(e.incident), changes: e.changes });
        continue;
      }
      if (res.reports.length === 0) ignored++;
      reports = res.reports;
    } else {
      const parsed = parseReport(line, { unknownKeys: 'allow' });
      if (!parsed.ok) {
        invalid++;
        process.stderr.write(`${file}:${lineNo}: invalid report: ${formatIssues(parsed.errors, 5)}\n`);
        continue;
      }
      reports = [parsed.report];
    }
    for (const report of reports) {
      let res;
      try {
        res = core.processReport(report);
      } catch (err: unknown) {
        // The core may have half changed its state: rebuild it from the good reports, as the monitor reloads.
        invalid++;
        process.stderr.write(`${file}:${lineNo}: the monitor failed on this report: ${errorMessage(err)}\n`);
        core = newCore();
        for (const r of good) {
          if ('phase' in r) core.processProgress(r);
          else core.processReport(r);
        }
        break;
      }
      good.push(report);
      processed += res.processed;
      duplicates += res.duplicates;
      if (!values['no-findings']) for (const f of res.findings) out({ type: 'finding', ...f });
      if (values.events)
        for (const e of res.incidentEvents)
          out({ type: 'incident_event', event: e.type, at: e.at, ...incidentLine(e.incident), changes: e.changes });
    }
  }
  for (const i of core.incidents()) out(incidentLine(i));
  if (!values.quiet) {
    const inc = core.incidents();
    process.stderr.write(
      `replayed ${processed} reports (${duplicates} duplicates, ${invalid} invalid lines, ${unfinished} OpenLineage START/RUNNING events, ${ignored} OpenLineage events without an outcome) from ${file}: ${inc.length} incident(s), ${inc.filter((i) => i.status === 'open').length} open\n`,
    );
  }
  return invalid > 0 ? 2 : 0;
}

/** The line as an OpenLineage event, when it is one (valid JSON with an event's shape), else undefined. */
function openLineageEventOf(line: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  return isOpenLineageEvent(value) ? value : undefined;
}
