import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { checkRfc3339, type Report } from '../contract/index.js';
import { createEmitter, type Emitter, type EmitterOptions } from '../emitter/index.js';
import { errorMessage } from '../errors/index.js';
import {
  FAULT_KINDS,
  PipelineSim,
  SIM_COLUMNS,
  makeDag,
  type Fault,
  type FaultKind,
  type SimDag,
} from '../sim/index.js';
import { seededRandom } from '../sketch/index.js';

export const SIMULATE_USAGE = `usage: rootline simulate [options]

Runs a simulated pipeline (a DAG of nodes that write realistic reports: row counts, null counts, KLL
sketches, schemas, column lineage) and prints its reports as JSON lines, or sends them to Kafka or to
the monitor's HTTP API. Faults can be injected at chosen or random nodes and runs. Progress goes to stderr.

pipeline
  --pipeline NAME        pipeline name (default: demo)
  --shape S              chain | diamond | fan_in | fan_out | random (default: diamond)
  --nodes N              number of nodes, 2-500 (default: 6; a diamond has at least 4)
  --seed N               seed of the DAG, the data and the random faults (default: 1)

runs and time
  --runs N               pipeline runs to emit (default: unlimited with --interval, else 30)
  --interval DURATION    emit one run every DURATION in real time (500ms, 5s, 1m, 1h): the live mode;
                         report times are the wall clock
  --start TIME           without --interval: RFC 3339 time of the first run (default: the runs end
                         about now: the current hour minus runs x step)
  --step DURATION        without --interval: simulated time between runs (default: 1h)

faults
  --fault NODE:KIND[:COLUMN]
                         inject KIND at NODE from run --fault-at on (repeatable). KIND: ${FAULT_KINDS.join(', ')};
                         COLUMN: ${SIM_COLUMNS.join(', ')} (where the kind takes one)
  --fault-at N           first run (0-based) of the --fault faults (default: 10)
  --fault-runs N         how many runs the --fault faults last (default: to the end)
  --fault-every N        every N runs (runs N, 2N, ...), a random fault at a random node, lasting 2 runs (N >= 3)

output
  --emit stdout|kafka|http
                         where reports go (default: stdout, JSON lines, a file for \`rootline replay\`)
  --brokers B            Kafka bootstrap brokers, comma-separated (or ROOTLINE_KAFKA_BROKERS)
  --topic T              Kafka topic (or ROOTLINE_TOPIC_REPORTS; default: rootline.reports); key = pipeline
  --url URL              monitor base URL for --emit http, reports go to <url>/api/v1/reports (or ROOTLINE_HTTP_URL)
  --token T              bearer token for --emit http (or ROOTLINE_HTTP_TOKEN)
  --timeout DURATION     how long to wait for delivery at the end (default: 30s)
  --health-file FILE     live mode: after each delivered run, write {"at","next_by",...} there (for a container
                         healthcheck: healthy while now < next_by)
  --quiet                no line per run on stderr (faults, errors and the summary still show)

exit codes: 0 done (or stopped by SIGINT/SIGTERM with everything delivered), 1 reports not delivered,
2 bad options`;

/** Where `rootline simulate` writes and what stops it (tests pass their own). */
export interface SimulateIo {
  /** Reports as JSON lines (--emit stdout). Default: process.stdout. */
  stdout?: NodeJS.WritableStream;
  /** Progress and errors. Default: process.stderr. */
  stderr?: NodeJS.WritableStream;
  /** Stops a run early, as SIGINT/SIGTERM do. Default: SIGINT and SIGTERM. */
  signal?: AbortSignal;
  /** Environment for the ROOTLINE_* fallbacks. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Clock (ms). Default: Date.now. */
  now?: () => number;
}

type Shape = Parameters<typeof makeDag>[0];
const SHAPES: readonly Shape[] = ['chain', 'diamond', 'fan_in', 'fan_out', 'random'];
const EMITS = ['stdout', 'kafka', 'http'] as const;
type Emit = (typeof EMITS)[number];

/** Columns each fault kind can target (empty: the kind takes no column). */
const FAULT_COLUMNS: Record<FaultKind, readonly string[]> = {
  null_spike: ['amount', 'score', 'segment'],
  shift: ['amount', 'score'],
  code_change: ['amount', 'score'],
  schema_change: ['amount', 'score', 'segment'],
  row_drop: [],
  category_shift: [],
};

const HOUR_MS = 3_600_000;
/** Live mode: how long past the next due run the health file stays valid, beyond 2 intervals. */
const HEALTH_GRACE_MS = 30_000;

class UsageError extends Error {}

interface Plan {
  pipeline: string;
  dag: SimDag;
  seed: number;
  runs: number | undefined;
  intervalMs: number | undefined;
  startMs: number;
  stepMs: number;
  fixed: Fault[];
  faultAt: number;
  faultRuns: number | undefined;
  faultEvery: number | undefined;
  emit: Emit;
  emitter: EmitterOptions | undefined;
  timeoutMs: number;
  healthFile: string | undefined;
  quiet: boolean;
}

function parseDuration(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v.trim());
  if (!m)
    throw new UsageError(`--${name} must be a duration with a unit (500ms, 5s, 1m, 1h), got ${JSON.stringify(v)}`);
  const ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: HOUR_MS }[m[2] as 'ms' | 's' | 'm' | 'h'];
  if (!(ms >= 1)) throw new UsageError(`--${name} must be at least 1ms, got ${JSON.stringify(v)}`);
  return Math.round(ms);
}

function parseInteger(
  name: string,
  v: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim())) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(v)}`);
  const n = Number(v.trim());
  if (n < min || n > max) throw new UsageError(`--${name} must be from ${min} to ${max}, got ${n}`);
  return n;
}

function parseFault(text: string, dag: SimDag): Fault {
  const parts = text.split(':');
  const [node, kind, column] = parts;
  if (parts.length < 2 || parts.length > 3 || !node || !kind)
    throw new UsageError(`--fault must be NODE:KIND[:COLUMN], got ${JSON.stringify(text)}`);
  const names = dag.nodes.map((n) => n.name);
  if (!names.includes(node))
    throw new UsageError(`--fault ${text}: no node "${node}" in this pipeline (nodes: ${names.join(', ')})`);
  if (!(FAULT_KINDS as readonly string[]).includes(kind))
    throw new UsageError(`--fault ${text}: unknown fault kind "${kind}" (kinds: ${FAULT_KINDS.join(', ')})`);
  const allowed = FAULT_COLUMNS[kind as FaultKind];
  if (column !== undefined) {
    if (allowed.length === 0) throw new UsageError(`--fault ${text}: ${kind} takes no column`);
    if (!allowed.includes(column))
      throw new UsageError(`--fault ${text}: ${kind} takes a column among ${allowed.join(', ')}, got "${column}"`);
  }
  return { node, kind: kind as FaultKind, ...(column !== undefined ? { column } : {}) };
}

function buildPlan(args: string[], env: NodeJS.ProcessEnv, now: number): Plan | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      allowPositionals: false,
      strict: true,
      options: {
        pipeline: { type: 'string' },
        shape: { type: 'string' },
        nodes: { type: 'string' },
        seed: { type: 'string' },
        runs: { type: 'string' },
        interval: { type: 'string' },
        start: { type: 'string' },
        step: { type: 'string' },
        fault: { type: 'string', multiple: true },
        'fault-at': { type: 'string' },
        'fault-runs': { type: 'string' },
        'fault-every': { type: 'string' },
        emit: { type: 'string' },
        brokers: { type: 'string' },
        topic: { type: 'string' },
        url: { type: 'string' },
        token: { type: 'string' },
        timeout: { type: 'string' },
        'health-file': { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err: unknown) {
    // node:util's messages name the option ("Unknown option '--x'", "Option '--runs <value>' argument missing")
    throw new UsageError(errorMessage(err).split('. ')[0]);
  }
  if (values.help) return 'help';

  const pipeline = values.pipeline ?? 'demo';
  if (pipeline.trim() === '') throw new UsageError('--pipeline must not be empty');
  const shape = (values.shape ?? 'diamond') as Shape;
  if (!SHAPES.includes(shape))
    throw new UsageError(`--shape must be one of ${SHAPES.join(', ')}, got ${JSON.stringify(values.shape)}`);
  const nodes = parseInteger('nodes', values.nodes, 2, 500) ?? 6;
  const seed = parseInteger('seed', values.seed, 0, 0xffffffff) ?? 1;
  const dag = makeDag(shape, nodes, pipeline, seed);

  const intervalMs = parseDuration('interval', values.interval);
  const live = intervalMs !== undefined;
  const runs = parseInteger('runs', values.runs, 1) ?? (live ? undefined : 30);
  if (live && values.start !== undefined)
    throw new UsageError('--start is for runs without --interval (with --interval, runs happen now)');
  if (live && values.step !== undefined)
    throw new UsageError('--step is for runs without --interval (with --interval, the step is the interval)');
  const stepMs = intervalMs ?? parseDuration('step', values.step) ?? HOUR_MS;
  let startMs: number;
  if (values.start !== undefined) {
    const check = checkRfc3339(values.start);
    if (!check.ok) throw new UsageError(`--start must be an RFC 3339 time (2026-11-01T00:00:00Z): ${check.reason}`);
    startMs = check.epochMs;
  } else if (live) {
    startMs = now;
  } else {
    startMs = Math.floor(now / HOUR_MS) * HOUR_MS - (runs ?? 0) * stepMs;
  }

  const fixed = (values.fault ?? []).map((f) => parseFault(f, dag));
  const faultAt = parseInteger('fault-at', values['fault-at'], 0);
  const faultRuns = parseInteger('fault-runs', values['fault-runs'], 1);
  if (fixed.length === 0 && (faultAt !== undefined || faultRuns !== undefined))
    throw new UsageError('--fault-at and --fault-runs go with --fault NODE:KIND[:COLUMN]');
  const faultEvery = parseInteger('fault-every', values['fault-every'], 3);

  const emit = (values.emit ?? 'stdout') as Emit;
  if (!EMITS.includes(emit))
    throw new UsageError(`--emit must be one of ${EMITS.join(', ')}, got ${JSON.stringify(values.emit)}`);
  let emitter: EmitterOptions | undefined;
  // Live runs retry for as long as the buffer lasts; a finite batch gives up after a few tries.
  const common: Pick<EmitterOptions, 'maxRetries' | 'backoff' | 'flushIntervalMs'> = live
    ? { backoff: { initialMs: 500, maxMs: 10_000 }, flushIntervalMs: 0 }
    : { maxRetries: 5, backoff: { initialMs: 200, maxMs: 5000 }, flushIntervalMs: 0 };
  if (emit === 'kafka') {
    const brokers = values.brokers ?? env.ROOTLINE_KAFKA_BROKERS;
    if (brokers === undefined || brokers.trim() === '')
      throw new UsageError('--emit kafka needs --brokers (or ROOTLINE_KAFKA_BROKERS)');
    const topic = values.topic ?? env.ROOTLINE_TOPIC_REPORTS;
    emitter = {
      ...common,
      kafka: {
        brokers,
        format: 'json',
        clientId: 'rootline-simulate',
        ...(topic !== undefined && topic !== '' ? { topic } : {}),
      },
    };
  } else if (emit === 'http') {
    const url = values.url ?? env.ROOTLINE_HTTP_URL;
    if (url === undefined || url.trim() === '') throw new UsageError('--emit http needs --url (or ROOTLINE_HTTP_URL)');
    try {
      new URL(url);
    } catch {
      throw new UsageError(`--url must be a URL (http://host:8080), got ${JSON.stringify(url)}`);
    }
    const token = values.token ?? env.ROOTLINE_HTTP_TOKEN;
    emitter = { ...common, http: { url, ...(token !== undefined && token !== '' ? { token } : {}) } };
  } else {
    for (const name of ['brokers', 'topic', 'url', 'token'] as const) {
      if (values[name] !== undefined)
        throw new UsageError(`--${name} goes with --emit ${name === 'brokers' || name === 'topic' ? 'kafka' : 'http'}`);
    }
  }
  const healthFile = values['health-file'];
  if (healthFile !== undefined && !live) throw new UsageError('--health-file goes with --interval (the live mode)');

  return {
    pipeline,
    dag,
    seed,
    runs,
    intervalMs,
    startMs,
    stepMs,
    fixed,
    faultAt: faultAt ?? 10,
    faultRuns,
    faultEvery,
    emit,
    emitter,
    timeoutMs: parseDuration('timeout', values.timeout) ?? 30_000,
    healthFile,
    quiet: values.quiet ?? false,
  };
}

/** The random fault of window k (runs k*N and k*N+1), the same for a given seed whatever else runs. */
function randomFault(dag: SimDag, seed: number, k: number): Fault {
  const rng = seededRandom((Math.imul(seed, 0x9e3779b1) ^ Math.imul(k, 0x85ebca6b)) >>> 0);
  const pick = <T>(xs: readonly T[]): T => xs[Math.min(xs.length - 1, Math.floor(rng() * xs.length))]!;
  const kind = pick(FAULT_KINDS);
  const node = pick(dag.nodes).name;
  const columns = FAULT_COLUMNS[kind];
  return columns.length > 0 ? { node, kind, column: pick(columns) } : { node, kind };
}

/** The faults injected at run `i` (0-based). */
function faultsAt(plan: Plan, i: number): Fault[] {
  const out: Fault[] = [];
  if (plan.fixed.length > 0 && i >= plan.faultAt && (plan.faultRuns === undefined || i < plan.faultAt + plan.faultRuns))
    out.push(...plan.fixed);
  if (plan.faultEvery !== undefined && i >= plan.faultEvery) {
    const k = Math.floor(i / plan.faultEvery);
    if (i - k * plan.faultEvery < 2) out.push(randomFault(plan.dag, plan.seed, k));
  }
  return out;
}

function describeFault(f: Fault): string {
  return `${f.kind} at ${f.node}${f.column !== undefined ? ` (${f.column})` : ''}`;
}

/** Writes, waiting for 'drain' when the stream's buffer is full (or until `signal` aborts). */
async function write(stream: NodeJS.WritableStream, text: string, signal: AbortSignal): Promise<void> {
  if (stream.write(text) || signal.aborted) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      stream.removeListener('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    stream.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * `rootline simulate [...]`: emits a simulated pipeline's reports (see {@link SIMULATE_USAGE}).
 * Returns the exit code: 0 done, 1 reports not delivered, 2 bad options.
 */
export async function simulateCommand(args: string[], io: SimulateIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const now = io.now ?? Date.now;
  const log = (line: string) => stderr.write(`rootline simulate: ${line}\n`);

  let plan: Plan;
  try {
    const p = buildPlan(args, io.env ?? process.env, now());
    if (p === 'help') {
      stdout.write(`${SIMULATE_USAGE}\n`);
      return 0;
    }
    plan = p;
  } catch (err: unknown) {
    if (err instanceof UsageError) {
      log(`${err.message}\n\nRun \`rootline simulate --help\` for the options.`);
      return 2;
    }
    throw err;
  }

  const live = plan.intervalMs !== undefined;
  // Run numbers count time slots of one step since 1970, so that event ids (derived from the seed,
  // pipeline, node and run) are stable per slot: a restarted simulator re-sends a slot as a
  // duplicate rather than as a new run under an old id.
  const slot0 = Math.floor(plan.startMs / plan.stepMs);
  // Live mode: the nodes of a run report one second apart; start the run that much earlier so that no
  // report carries a time in the future.
  const liveShift = live ? (plan.dag.nodes.length + 1) * 1000 : 0;
  const sim = new PipelineSim(plan.dag, {
    seed: plan.seed,
    startTime: plan.startMs - slot0 * plan.stepMs - liveShift,
    intervalMs: plan.stepMs,
  });

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  if (io.signal) {
    if (io.signal.aborted) controller.abort();
    else io.signal.addEventListener('abort', onSignal, { once: true });
  } else {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  let stdoutBroken = false;
  const onStdoutError = (err: unknown) => {
    controller.abort();
    // a reader that stops early (`| head`) is not an error
    if ((err as { code?: unknown }).code === 'EPIPE') return;
    stdoutBroken = true;
    log(`cannot write the reports: ${errorMessage(err)}`);
  };
  if (plan.emit === 'stdout') stdout.once('error', onStdoutError);

  let emitter: Emitter | undefined;
  if (plan.emitter !== undefined) {
    emitter = createEmitter({
      ...plan.emitter,
      logger: {
        warn: (obj, msg) =>
          log(`${msg.replace(/^rootline emitter: /, '')}${typeof obj.error === 'string' ? `: ${obj.error}` : ''}`),
      },
    });
  }
  const where =
    plan.emit === 'kafka'
      ? `Kafka topic ${plan.emitter?.kafka?.topic ?? 'rootline.reports'}`
      : plan.emit === 'http'
        ? (plan.emitter?.http?.url ?? '')
        : 'stdout';
  log(
    `pipeline ${plan.pipeline}: ${plan.dag.shape} DAG of ${plan.dag.nodes.length} nodes (${plan.dag.nodes.map((n) => (n.parents.length ? `${n.parents.join('+')}->${n.name}` : n.name)).join(', ')}), seed ${plan.seed}; ` +
      `${plan.runs ?? 'unlimited'} runs${live ? ` every ${plan.intervalMs}ms` : `, first at ${new Date(plan.startMs).toISOString()}, ${plan.stepMs}ms apart`} -> ${where}`,
  );

  let emitted = 0;
  let invalid = 0;
  const liveStart = now();
  try {
    for (let i = 0; plan.runs === undefined || i < plan.runs; i++) {
      if (controller.signal.aborted) break;
      if (live && i > 0) {
        const wait = liveStart + i * plan.intervalMs! - now();
        if (wait > 0) {
          try {
            await sleep(wait, undefined, { signal: controller.signal });
          } catch {
            break;
          }
        }
      }
      const faults = faultsAt(plan, i);
      const reports: Report[] = sim.run(slot0 + i, faults);
      for (const r of reports) {
        if (emitter) {
          if (!emitter.report(r)) invalid++;
        } else {
          await write(stdout, `${JSON.stringify(r)}\n`, controller.signal);
          if (controller.signal.aborted) break;
        }
        emitted++;
      }
      let delivered = true;
      if (emitter && live) delivered = await emitter.flush(Math.min(plan.intervalMs!, 10_000));
      const faultText = faults.length > 0 ? `; fault: ${faults.map(describeFault).join(', ')}` : '';
      if (!plan.quiet || faults.length > 0) {
        const s = emitter?.stats;
        log(
          `run ${i} (${reports[0]?.run_id ?? ''}): ${reports.length} reports${faultText}${s ? `; sent ${s.sent}, waiting ${s.buffered}, dropped ${s.dropped}` : ''}`,
        );
      }
      if (live && plan.healthFile !== undefined && delivered) {
        const t = now();
        const health = {
          at: new Date(t).toISOString(),
          next_by: t + 2 * plan.intervalMs! + HEALTH_GRACE_MS,
          run: i,
          emitted,
          sent: emitter?.stats.sent ?? emitted,
        };
        try {
          writeFileSync(plan.healthFile, `${JSON.stringify(health)}\n`);
        } catch (err: unknown) {
          log(`cannot write the health file ${plan.healthFile}: ${errorMessage(err)}`);
        }
      }
    }
  } finally {
    if (io.signal) io.signal.removeEventListener('abort', onSignal);
    else {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
    if (plan.emit === 'stdout') stdout.removeListener('error', onStdoutError);
  }

  const stopped = controller.signal.aborted ? ' (stopped)' : '';
  if (!emitter) {
    log(`emitted ${emitted} reports${stopped}`);
    return stdoutBroken ? 1 : 0;
  }
  const all = await emitter.close(plan.timeoutMs);
  const s = emitter.stats;
  if (all && s.sent === emitted && invalid === 0) {
    log(`sent ${s.sent} reports to ${where}${stopped}`);
    return 0;
  }
  log(
    `sent ${s.sent} of ${emitted} reports to ${where}${stopped}; not delivered: ${s.dropped} (${emitter.lastError ?? 'timed out'})`,
  );
  return 1;
}
