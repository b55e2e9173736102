import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Decoded } from './decode.js';
import type { LineInput } from './line.js';
import type { Report } from '../../contract/index.js';
import { KllDoublesSketch } from '../../sketch/index.js';
import { shareDecodedSketch } from '../../sketch/shared.js';

/** One task for a worker: entries (byte ranges of `bytes`, `start` -1 for a message without a value) to decode. */
export interface TaskMessage {
  id: number;
  mode: 'message' | 'line';
  bytes: ArrayBuffer;
  /** start, end of each entry in `bytes`. */
  ranges: Int32Array;
  maxMessageBytes: number;
  openLineage: boolean;
}

/** What a worker made of one entry. */
export type EntryResult = { decoded: Decoded[] } | { line: LineInput } | { blank: true } | { thrown: string };

/**
 * A sketch that validation decoded, as bytes in the task's `sketchBytes`: entry, the decoded item (the report) of
 * the entry, outputs (0) or inputs (1), the dataset's index, the column, start and end.
 */
export type SketchRef = [
  entry: number,
  item: number,
  side: 0 | 1,
  dataset: number,
  column: string,
  start: number,
  end: number,
];

export interface ResultMessage {
  id: number;
  results: EntryResult[];
  sketches: SketchRef[];
  sketchBytes: ArrayBuffer;
}

/** What the pool made of one entry: the worker's result, or the worker crashed on the entry alone. */
export type Outcome = EntryResult | { crashed: string };

export interface DecodePoolOptions {
  /** Worker threads (at least 1). */
  workers: number;
  /** A task (a worker's share of a batch) that takes longer is taken as a crash: its worker is ended. */
  taskTimeoutMs?: number;
  /** Where the pool says that a worker crashed or could not start. */
  warn?: (message: string, fields: Record<string, unknown>) => void;
  /**
   * What the main thread does with the sketches that validation decoded on a worker: `decode` rebuilds each from
   * its bytes (no base64) and shares it with the core (sketch/shared.ts); `lazy` leaves them to the core, which
   * decodes the base64 when it reads them.
   */
  sketches?: 'decode' | 'lazy';
  /** For tests of the recovery: a worker ends its thread (exit code 70) on an entry that contains this text. */
  crashOn?: string;
}

/** The pool cannot run work (its workers fail to start): the caller decodes in its own thread. */
export class DecodePoolUnavailable extends Error {}

/** Entries of one task at most, and bytes of one task at most (beyond, a worker's share is split). */
const TASK_ENTRIES = 256;
const TASK_BYTES = 16 << 20;
/** Workers that fail to start in a row before the pool gives up (a defect or a missing file, not a message). */
const START_FAILURES = 3;

/**
 * The number of decoding workers to use when none is configured: what is left of the cores after two (the main
 * thread's core, and one for the garbage collector's threads, the network and whatever shares the machine), at most
 * 2; none on one or two cores. Measured on 2 cores shared with the broker, InfluxDB and other work
 * (bench/results/throughput.md, 2026-12-04): a worker there took CPU the main thread needed, and the monitor and
 * the replay were slower with one than without.
 */
export function defaultDecodeWorkers(cores = availableParallelism()): number {
  return Math.max(0, Math.min(2, cores - 2));
}

interface Slot {
  worker: Worker;
  ready: boolean;
  inFlight: Map<number, Pending>;
  dead: boolean;
}

interface Pending {
  task: TaskMessage;
  resolve: (r: Outcome[] | 'crashed') => void;
  timer: NodeJS.Timeout | undefined;
  crash: string;
}

let tsxApi: string | undefined;

/**
 * The worker: the compiled module next to this file, or (run from the sources: tests, `tsx`) a bootstrap that
 * registers tsx's loader in the worker, then imports the .ts module (a worker does not inherit the loader).
 */
function newWorker(crashOn: string | undefined): Worker {
  const options = { workerData: { crashOn } };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), options);
  tsxApi ??= pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const entry = new URL('./worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(code, { eval: true, ...options });
}

/**
 * Decoding and validation of reports on worker threads (node:worker_threads), for the Kafka monitor's batches and
 * `rootline replay`. A batch's entries are split into contiguous tasks, one or more per worker; the outcomes come
 * back in the entries' order whatever order the workers finish in. The decoded inputs come back by structured
 * clone; the sketches that validation decoded come back as bytes in one transferred buffer per task and are
 * rebuilt here (no base64 decode) and shared with the core (sketch/shared.ts).
 *
 * A worker that crashes (or takes longer than `taskTimeoutMs`) takes its tasks with it: their entries are decoded
 * again one by one on fresh workers, and an entry that crashes a worker on its own is reported `crashed` (the
 * caller dead-letters it). Nothing is lost and nothing waits forever. Workers that fail to start
 * {@link START_FAILURES} times in a row make the pool unavailable ({@link DecodePoolUnavailable}): the caller
 * decodes in its own thread from then on.
 */
export class DecodePool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private startFailures = 0;
  private closed_ = false;
  private readonly size: number;
  /** Crashes of workers since the pool started (for tests and logs). */
  crashes = 0;

  constructor(private readonly options: DecodePoolOptions) {
    this.size = Math.max(1, Math.floor(options.workers));
  }

  get workers(): number {
    return this.size;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.closed_;
  }

  /** Whether the pool can take work (false once its workers failed to start too often, or it was closed). */
  get available(): boolean {
    return !this.closed_ && this.startFailures < START_FAILURES;
  }

  /** Kafka message values (null: no value) decoded as {@link decodeMessage} does, without a schema registry. */
  decodeMessages(
    values: readonly (Uint8Array | null)[],
    options: { maxMessageBytes: number; openLineage: boolean },
  ): Promise<Outcome[]> {
    return this.run('message', values, options);
  }

  /** Lines of a replay file decoded as `rootline replay` does (blank lines: `{ blank: true }`). */
  decodeLines(lines: readonly Uint8Array[]): Promise<Outcome[]> {
    return this.run('line', lines, { maxMessageBytes: 0, openLineage: true });
  }

  /** Ends the workers (work in flight is reported crashed). */
  async close(): Promise<void> {
    this.closed_ = true;
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate().catch(() => undefined)));
  }

  /**
   * Ends a worker as a crash would, one with work in flight where there is one (for tests of the recovery).
   * Returns how many tasks it had in flight (undefined: no worker runs).
   */
  async killOne(): Promise<number | undefined> {
    const s = this.slots.find((x) => !x.dead && x.inFlight.size > 0) ?? this.slots.find((x) => !x.dead);
    if (!s) return undefined;
    const inFlight = s.inFlight.size;
    await s.worker.terminate();
    return inFlight;
  }

  private async run(
    mode: TaskMessage['mode'],
    entries: readonly (Uint8Array | null)[],
    options: { maxMessageBytes: number; openLineage: boolean },
  ): Promise<Outcome[]> {
    if (!this.available) throw new DecodePoolUnavailable('the decoding workers are not available');
    const out: Outcome[] = new Array<Outcome>(entries.length);
    if (entries.length === 0) return out;
    // Contiguous shares, about one per worker, split further past TASK_ENTRIES or TASK_BYTES.
    const per = Math.min(TASK_ENTRIES, Math.ceil(entries.length / this.size));
    const chunks: [number, number][] = [];
    for (let i = 0; i < entries.length;) {
      let j = i;
      let bytes = 0;
      while (j < entries.length && j - i < per && (j === i || bytes + (entries[j]?.length ?? 0) <= TASK_BYTES)) {
        bytes += entries[j]?.length ?? 0;
        j++;
      }
      chunks.push([i, j]);
      i = j;
    }
    await Promise.all(chunks.map(([from, to]) => this.runChunk(mode, entries, from, to, options, out)));
    return out;
  }

  /** One chunk on a worker; after a crash, each of its entries alone. */
  private async runChunk(
    mode: TaskMessage['mode'],
    entries: readonly (Uint8Array | null)[],
    from: number,
    to: number,
    options: { maxMessageBytes: number; openLineage: boolean },
    out: Outcome[],
  ): Promise<void> {
    const res = await this.dispatch(this.task(mode, entries, from, to, options));
    if (res !== 'crashed') {
      for (let i = 0; i < res.length; i++) out[from + i] = res[i]!;
      return;
    }
    if (to - from === 1) {
      out[from] = { crashed: 'the decoding worker crashed on this message (it was retried alone)' };
      return;
    }
    await Promise.all(
      Array.from({ length: to - from }, (_, k) => this.runChunk(mode, entries, from + k, from + k + 1, options, out)),
    );
  }

  private task(
    mode: TaskMessage['mode'],
    entries: readonly (Uint8Array | null)[],
    from: number,
    to: number,
    options: { maxMessageBytes: number; openLineage: boolean },
  ): TaskMessage {
    let size = 0;
    for (let i = from; i < to; i++) size += entries[i]?.length ?? 0;
    // A copy of the entries' bytes: Kafka's message values are views of larger fetch buffers.
    const bytes = new ArrayBuffer(size);
    const view = new Uint8Array(bytes);
    const ranges = new Int32Array(2 * (to - from));
    let at = 0;
    for (let i = from; i < to; i++) {
      const e = entries[i];
      if (e === null || e === undefined) {
        ranges[2 * (i - from)] = -1;
        ranges[2 * (i - from) + 1] = -1;
        continue;
      }
      view.set(e, at);
      ranges[2 * (i - from)] = at;
      at += e.length;
      ranges[2 * (i - from) + 1] = at;
    }
    return { id: this.nextId++, mode, bytes, ranges, ...options };
  }

  /** Sends a task to the worker with the least in flight (starting one where fewer run than the pool's size). */
  private dispatch(task: TaskMessage): Promise<Outcome[] | 'crashed'> {
    if (!this.available) return Promise.reject(new DecodePoolUnavailable('the decoding workers are not available'));
    let slot: Slot | undefined;
    if (this.slots.length < this.size && this.slots.every((s) => s.inFlight.size > 0)) slot = this.spawn();
    else for (const s of this.slots) if (!slot || s.inFlight.size < slot.inFlight.size) slot = s;
    slot ??= this.spawn();
    const s = slot;
    return new Promise<Outcome[] | 'crashed'>((resolve) => {
      const pending: Pending = { task, resolve, timer: undefined, crash: 'crashed' };
      const timeout = this.options.taskTimeoutMs;
      if (timeout !== undefined)
        pending.timer = setTimeout(() => {
          pending.crash = `took longer than ${timeout} ms`;
          void s.worker.terminate();
        }, timeout);
      if (s.inFlight.size === 0) s.worker.ref();
      s.inFlight.set(task.id, pending);
      s.worker.postMessage(task, [task.bytes]);
    });
  }

  private spawn(): Slot {
    const worker = newWorker(this.options.crashOn);
    const slot: Slot = { worker, ready: false, inFlight: new Map(), dead: false };
    this.slots.push(slot);
    worker.unref();
    const lose = (reason: string) => {
      if (slot.dead) return;
      slot.dead = true;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      if (!slot.ready) this.startFailures++;
      if (!this.closed_) {
        this.crashes++;
        this.options.warn?.('a decoding worker ended; its work is decoded again', {
          reason,
          inFlight: slot.inFlight.size,
          startFailures: this.startFailures,
        });
      }
      for (const p of slot.inFlight.values()) {
        if (p.timer) clearTimeout(p.timer);
        p.resolve('crashed');
      }
      slot.inFlight.clear();
    };
    worker.on('message', (msg: ResultMessage | { ready: true }) => {
      if ('ready' in msg) {
        slot.ready = true;
        this.startFailures = 0;
        return;
      }
      const p = slot.inFlight.get(msg.id);
      if (!p) return;
      slot.inFlight.delete(msg.id);
      if (p.timer) clearTimeout(p.timer);
      if (slot.inFlight.size === 0) worker.unref();
      if (this.options.sketches !== 'lazy') shareSketches(msg);
      p.resolve(msg.results);
    });
    worker.on('error', (err) => lose(err.message));
    worker.on('exit', (code) => {
      const p = [...slot.inFlight.values()][0];
      lose(p?.crash !== 'crashed' && p ? p.crash : `exit code ${code}`);
    });
    return slot;
  }
}

/** Rebuilds the sketches a worker decoded from their bytes and shares them with the core (sketch/shared.ts). */
function shareSketches(msg: ResultMessage): void {
  if (msg.sketches.length === 0) return;
  for (const [entry, item, side, dataset, column, start, end] of msg.sketches) {
    const r = msg.results[entry]!;
    const report: Report | undefined =
      'decoded' in r
        ? (r.decoded[item] as { report?: Report } | undefined)?.report
        : 'line' in r && r.line.kind === 'reports'
          ? r.line.reports[item]
          : undefined;
    const col = (side === 0 ? report?.outputs : report?.inputs)?.[dataset]?.profile?.columns?.[column];
    const holder = col !== undefined && 'sketch' in col ? col.sketch : undefined;
    if (holder === undefined) continue;
    try {
      shareDecodedSketch(holder, KllDoublesSketch.deserialize(new Uint8Array(msg.sketchBytes, start, end - start)));
    } catch {
      // Not expected (validation decoded these bytes): the core decodes the base64 itself when it reads the sketch.
    }
  }
}
