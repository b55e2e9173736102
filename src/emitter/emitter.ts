import { formatIssues, validateReport, type Report } from '../contract/index.js';
import { errorMessage } from '../errors/index.js';
import { backoffDelay } from '../errors/retry.js';
import { profileColumns, profileRows, type Columns, type ProfileOptions, type Row } from '../profile/index.js';
import { HttpTransport } from './http.js';
import { KafkaTransport } from './kafka.js';
import { compileEmitterOptions, type CompiledEmitterOptions, type EmitterOptions } from './options.js';
import { buildReport, type ReportFields } from './report.js';
import type { Envelope, SendResult, Transport } from './transport.js';

/** Counters of an emitter (a snapshot). */
export interface EmitterStats {
  /** Reports delivered. */
  sent: number;
  /** Sends that failed and were retried (one per failed batch). */
  failedAttempts: number;
  /** Reports given up on, for any reason: the sum of overflow, rejected, invalid and expired. */
  dropped: number;
  /** Dropped from a full buffer (the oldest go first). */
  overflow: number;
  /** Refused for good by the other side (HTTP 4xx, a message Kafka refuses, a schema the registry refuses). */
  rejected: number;
  /** Failed validation (or could not be profiled / built in `profileAndReport`). */
  invalid: number;
  /** Still undelivered after `maxRetries` failed sends, or at `close()`. */
  expired: number;
  /** Reports waiting or in flight. */
  buffered: number;
}

/** Arguments of `profileAndReport`: the node, the dataset written, its data, and any other report field. */
export type ProfileAndReportArgs = ReportFields & {
  pipeline: string;
  node: string;
  /** The output dataset's name. */
  dataset: string;
  /**
   * The output's version as its storage names it (a Delta or Iceberg snapshot id, a DVC or lakeFS
   * commit, a file checksum): `outputs[0].version`. Default: none (the profile's `content_hash` is computed anyway).
   */
  version?: string;
  /** Profiling options for this call (over the emitter's `profile` defaults). */
  profile?: ProfileOptions;
} & ({ rows: readonly Row[]; columns?: never } | { columns: Columns; rows?: never });

/** A reason something was dropped, with when. */
export interface EmitterProblem {
  time: string;
  kind: 'invalid' | 'rejected' | 'overflow' | 'expired' | 'send_failed';
  reason: string;
}

/** Sends reports in the background. Create with {@link createEmitter}. */
export interface Emitter {
  /**
   * Validates a report and queues it; returns at once. Never throws. Returns false when the report is
   * invalid (counted in `invalid`, the reason in `lastError`) or the emitter is closed.
   */
  report(report: unknown): boolean;
  /**
   * Profiles rows or columns (synchronously), builds a report with them as the single output
   * `dataset`, and queues it. Returns the report, or undefined when profiling or building failed
   * (counted in `invalid`, reason in `lastError`). Never throws.
   */
  profileAndReport(args: ProfileAndReportArgs): Report | undefined;
  /** Resolves true once every buffered report is delivered or dropped, false after `timeoutMs` (default: no limit). */
  flush(timeoutMs?: number): Promise<boolean>;
  /**
   * Stops accepting reports, delivers what it can within `timeoutMs` (default `closeTimeoutMs`, 10 s),
   * drops the rest (counted in `expired`) and closes the transport. Idempotent. Resolves true when
   * everything was delivered.
   */
  close(timeoutMs?: number): Promise<boolean>;
  /** A snapshot of the counters. */
  readonly stats: EmitterStats;
  /** The latest failure's reason (undefined until one happens). */
  readonly lastError: string | undefined;
  /** The last 20 reasons something was dropped or a send failed, oldest first. */
  readonly recentProblems: readonly EmitterProblem[];
}

const MAX_PROBLEMS = 20;

/** A double-ended queue of envelopes (array with a moving head; compacted as it drains). */
class Queue {
  private items: (Envelope | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(e: Envelope): void {
    this.items.push(e);
  }

  shift(): Envelope | undefined {
    if (this.head >= this.items.length) return undefined;
    const e = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return e;
  }

  /** Puts envelopes back at the front, in their order. */
  unshiftAll(es: readonly Envelope[]): void {
    if (es.length === 0) return;
    if (this.head >= es.length) {
      this.head -= es.length;
      for (let i = 0; i < es.length; i++) this.items[this.head + i] = es[i];
    } else {
      this.items = [...es, ...this.items.slice(this.head)];
      this.head = 0;
    }
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

class BackgroundEmitter implements Emitter {
  private readonly options: CompiledEmitterOptions;
  private readonly transport: Transport;
  private readonly queue = new Queue();
  private inFlight = 0;
  private sending = false;
  private timer: NodeJS.Timeout | undefined;
  private waitingForRetry = false;
  private failures = 0;
  private closing = false;
  /** Set once close() has given up waiting: nothing is sent or retried after that. */
  private stopped = false;
  private closed: Promise<boolean> | undefined;
  private flushWaiters = 0;
  private readonly idle = new Set<() => void>();
  private failing = false;
  private readonly counts = {
    sent: 0,
    failedAttempts: 0,
    dropped: 0,
    overflow: 0,
    rejected: 0,
    invalid: 0,
    expired: 0,
  };
  private readonly problems: EmitterProblem[] = [];
  private lastError_: string | undefined;
  /** The latest failed send's reason (for the message of reports that expire). */
  private lastSendError: string | undefined;
  private readonly onBeforeExit = (): void => {
    if (!this.closing && this.buffered > 0) void this.close();
  };

  constructor(options: CompiledEmitterOptions, transport: Transport) {
    this.options = options;
    this.transport = transport;
    process.on('beforeExit', this.onBeforeExit);
  }

  get stats(): EmitterStats {
    return { ...this.counts, buffered: this.buffered };
  }

  get lastError(): string | undefined {
    return this.lastError_;
  }

  get recentProblems(): readonly EmitterProblem[] {
    return [...this.problems];
  }

  private get buffered(): number {
    return this.queue.length + this.inFlight;
  }

  private problem(kind: EmitterProblem['kind'], reason: string, n = 1): void {
    if (kind !== 'send_failed') {
      this.counts[kind] += n;
      this.counts.dropped += n;
    }
    this.lastError_ = reason;
    this.problems.push({ time: new Date().toISOString(), kind, reason });
    if (this.problems.length > MAX_PROBLEMS) this.problems.shift();
  }

  report(report: unknown): boolean {
    try {
      if (this.closing) {
        this.problem('expired', 'report() after close(): dropped');
        return false;
      }
      const v = validateReport(report);
      if (!v.ok) {
        const reason = `invalid report dropped: ${formatIssues(v.errors, 5)}`;
        this.problem('invalid', reason);
        this.options.logger?.warn(
          { event_id: (report as { event_id?: unknown } | null)?.event_id },
          `rootline emitter: ${reason}`,
        );
        return false;
      }
      this.queue.push({ report: v.report, attempts: 0 });
      this.evict();
      this.schedule();
      return true;
    } catch (err: unknown) {
      this.problem('invalid', `report() failed: ${errorMessage(err)}`);
      return false;
    }
  }

  profileAndReport(args: ProfileAndReportArgs): Report | undefined {
    try {
      const { pipeline, node, dataset, version, profile: callOptions, rows, columns, ...fields } = args;
      const options = { ...this.options.profile, ...(callOptions ?? {}) };
      let profile;
      if (rows !== undefined) profile = profileRows(rows, options);
      else if (columns !== undefined) profile = profileColumns(columns, options);
      else throw new Error('give rows or columns');
      const output = version === undefined ? { dataset, profile } : { dataset, profile, version };
      const report = buildReport({ ...fields, pipeline, node, outputs: [output] });
      return this.report(report) ? report : undefined;
    } catch (err: unknown) {
      const reason = `profileAndReport(${String(args.pipeline)}/${String(args.node)}): ${errorMessage(err)}`;
      this.problem('invalid', reason);
      this.options.logger?.warn(
        { pipeline: args.pipeline, node: args.node, dataset: args.dataset },
        `rootline emitter: ${reason}`,
      );
      return undefined;
    }
  }

  /** Drop-oldest: the newest runs are the ones an incident is about. */
  private evict(): void {
    let n = 0;
    while (this.queue.length > this.options.maxBuffer) {
      this.queue.shift();
      n++;
    }
    if (n > 0)
      this.problem(
        'overflow',
        `buffer full (maxBuffer ${this.options.maxBuffer}): dropped the ${n} oldest report${n === 1 ? '' : 's'}`,
        n,
      );
  }

  /** Arranges the next send: now for a full batch (or when flushing), after flushIntervalMs for a partial one. */
  private schedule(): void {
    if (this.stopped || this.sending || this.waitingForRetry || this.queue.length === 0) return;
    const now = this.queue.length >= this.options.batchSize || this.flushWaiters > 0 || this.closing;
    if (now) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      this.sending = true;
      setImmediate(() => void this.tick());
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.sending) return;
        this.sending = true;
        void this.tick();
      }, this.options.flushIntervalMs);
      this.timer.unref();
    }
  }

  private async tick(): Promise<void> {
    const batch: Envelope[] = [];
    while (batch.length < this.options.batchSize) {
      const e = this.queue.shift();
      if (e === undefined) break;
      batch.push(e);
    }
    if (batch.length === 0) {
      this.sending = false;
      this.notifyIdle();
      return;
    }
    this.inFlight = batch.length;
    let result: SendResult;
    try {
      result = await this.transport.send(batch);
    } catch (err: unknown) {
      // a transport must not throw; if one does, treat it as a transient failure
      result = { delivered: 0, retry: batch, rejected: [], error: `${this.transport.name}: ${errorMessage(err)}` };
    }
    let delay: number | undefined;
    try {
      delay = this.settle(result);
    } catch (err: unknown) {
      this.problem('expired', `emitter: settling a batch failed: ${errorMessage(err)}`, this.inFlight);
    }
    this.inFlight = 0;
    this.sending = false;
    if (this.stopped) {
      const left = this.queue.length;
      this.queue.clear();
      if (left > 0) this.expireAtClose(left);
    } else if (delay !== undefined) {
      this.waitingForRetry = true;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.waitingForRetry = false;
        // a retry is due even for a partial batch
        if (!this.sending && this.queue.length > 0) {
          this.sending = true;
          void this.tick();
        }
      }, delay);
      this.timer.unref();
    } else {
      this.schedule();
    }
    this.notifyIdle();
  }

  /** Counts a batch's outcome and puts retries back at the front; returns the retry delay, if any. */
  private settle(result: SendResult): number | undefined {
    this.counts.sent += result.delivered;
    for (const { envelope, reason } of result.rejected) {
      this.problem('rejected', reason);
      this.options.logger?.warn(
        { event_id: envelope.report.event_id, pipeline: envelope.report.pipeline, node: envelope.report.node },
        `rootline emitter: report rejected: ${reason}`,
      );
    }
    if (result.retry.length === 0) {
      if (this.failing)
        this.options.logger?.info?.({ transport: this.transport.name }, 'rootline emitter: sending again');
      this.failing = false;
      this.failures = 0;
      return undefined;
    }
    this.counts.failedAttempts++;
    this.failures++;
    const reason = result.error ?? `${this.transport.name}: send failed`;
    this.lastSendError = reason;
    this.problem('send_failed', reason);
    if (!this.failing)
      this.options.logger?.warn(
        { transport: this.transport.name, error: reason },
        'rootline emitter: send failed, retrying with backoff',
      );
    this.failing = true;
    const keep: Envelope[] = [];
    let expired = 0;
    for (const e of result.retry) {
      e.attempts++;
      if (e.attempts > this.options.maxRetries) expired++;
      else keep.push(e);
    }
    if (expired > 0)
      this.problem('expired', `gave up after ${this.options.maxRetries + 1} failed sends: ${reason}`, expired);
    this.queue.unshiftAll(keep);
    this.evict();
    if (keep.length === 0) return undefined;
    if (result.retryAfterMs !== undefined) return Math.min(result.retryAfterMs, this.options.retryAfterMaxMs);
    const b = this.options.backoff;
    return backoffDelay(b, this.failures) * (1 - b.jitter * Math.random());
  }

  private expireAtClose(n: number): void {
    const why = this.lastSendError !== undefined ? ` (last failure: ${this.lastSendError})` : '';
    this.problem('expired', `${n} report${n === 1 ? '' : 's'} undelivered at close${why}`, n);
  }

  private notifyIdle(): void {
    if (this.buffered > 0) return;
    for (const fn of [...this.idle]) fn();
  }

  flush(timeoutMs?: number): Promise<boolean> {
    if (this.buffered === 0) return Promise.resolve(true);
    this.flushWaiters++;
    return new Promise<boolean>((resolve) => {
      let timeout: NodeJS.Timeout | undefined;
      const finish = (): void => {
        if (timeout !== undefined) clearTimeout(timeout);
        this.idle.delete(finish);
        this.flushWaiters--;
        resolve(this.buffered === 0);
      };
      this.idle.add(finish);
      if (timeoutMs !== undefined) timeout = setTimeout(finish, timeoutMs);
      // a partial batch waiting for flushIntervalMs goes now
      this.schedule();
    });
  }

  close(timeoutMs?: number): Promise<boolean> {
    this.closed ??= (async () => {
      this.closing = true;
      process.removeListener('beforeExit', this.onBeforeExit);
      // a retry waiting for its backoff goes now: closing is the last chance
      if (this.waitingForRetry && this.timer !== undefined) {
        clearTimeout(this.timer);
        this.timer = undefined;
        this.waitingForRetry = false;
      }
      this.schedule();
      const delivered = await this.flush(timeoutMs ?? this.options.closeTimeoutMs);
      this.stopped = true;
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      this.waitingForRetry = false;
      const left = this.queue.length;
      this.queue.clear();
      if (left > 0) this.expireAtClose(left);
      // a send still in flight gets a moment to finish before the transport goes (its failures count as expired)
      const deadline = Date.now() + 1000;
      while (this.sending && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      try {
        await this.transport.close();
      } catch (err: unknown) {
        this.options.logger?.warn({ error: errorMessage(err) }, 'rootline emitter: closing the transport failed');
      }
      return delivered && left === 0 && this.inFlight === 0;
    })();
    return this.closed;
  }
}

/**
 * An emitter: reports are validated on `report()`, buffered (at most `maxBuffer`; when full, the
 * oldest report is dropped), and sent in the background in batches of `batchSize` (a partial batch
 * after `flushIntervalMs`) over Kafka or HTTP, one batch at a time. Transient failures are retried
 * with exponential backoff (or the server's `Retry-After`); nothing is ever thrown into the caller.
 * Call `close()` before the process ends (an emitter with reports left also closes itself on the
 * process's `beforeExit`).
 * @throws RootlineError `CONFIG_INVALID` for bad options (the only time it throws).
 */
export function createEmitter(options: EmitterOptions): Emitter {
  const compiled = compileEmitterOptions(options);
  const transport =
    options.transport ??
    (options.kafka !== undefined
      ? new KafkaTransport(options.kafka, compiled.logger)
      : new HttpTransport(options.http!));
  return new BackgroundEmitter(compiled, transport);
}
