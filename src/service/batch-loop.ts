import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { MonitorConfig } from '../config/index.js';
import { isRetriable } from '../errors/classify.js';
import { RootlineError, errorMessage } from '../errors/index.js';
import { retry, sleep } from '../errors/retry.js';
import { writeNarrowing, type PointSink } from './write-points.js';
import { catalogErrorText, catalogRunsOf, writeCatalog, type CatalogStore } from './catalog.js';
import type { CatalogRun } from '../adapters/catalog/index.js';
import type { LineageDeclaration, Report, RunProgress } from '../contract/index.js';
import { healthRecordValue } from './health-event.js';
import { emptyOutput, type CoreOutput, type MonitorCore } from '../monitor/core.js';
import { pipelineOfKey } from '../monitor/state-keys.js';
import { INCIDENT_COMMAND_SPEC, SYMPTOM_SPEC, type IncidentCommand, type SymptomMessage } from '../monitor/index.js';
import type { MetricPoint } from '../monitor/points.js';
import { decodeMessage, type Decoded, type DecoderOptions } from '../adapters/decode/decode.js';
import { DecodePool, DecodePoolUnavailable, defaultDecodeWorkers, type Outcome } from '../adapters/decode/pool.js';
import type { MonitorMetrics } from './metrics.js';
import type { Component } from './supervisor.js';
import { createKafka, kafkaError } from '../adapters/kafka/client.js';
import { deadLetterMessage, splitToFit } from '../adapters/kafka/limits.js';
import { loadStatePartitions } from '../adapters/kafka/state-store.js';
import { STATE_TOPIC_MAX_MESSAGE_BYTES, ensureTopics } from '../adapters/kafka/topics.js';

export type { PointSink } from './write-points.js';

/**
 * What a transaction carries from the core, taken (serialized) as the work leaves the core: the next batch changes
 * the core while this one's points are written and its transaction waits for its turn.
 */
interface PreparedTransaction {
  /** Forwarded symptoms (to the reports topic, keyed by their root's pipeline). */
  symptoms: Message[];
  /** The changed state records, each to its pipeline's partition. */
  state: Message[];
  incidents: Message[];
  health: Message[];
}

/**
 * A place in the commit order (see {@link KafkaMonitor.takeTurn}): `prev` settles once everything that left the
 * core before is committed or failed (and, if it failed, the state was dropped); `release` ends this place.
 */
interface CommitTurn {
  prev: Promise<void>;
  release: () => void;
}

/** What a batch feeds the core, in order: reports and people's incident commands. */
type Input =
  | { kind: 'report'; report: Report }
  | { kind: 'progress'; progress: RunProgress }
  | { kind: 'lineage'; lineage: LineageDeclaration }
  | { kind: 'command'; command: IncidentCommand }
  | { kind: 'symptom'; symptom: SymptomMessage };

export interface KafkaMonitorDeps {
  config: MonitorConfig;
  core: MonitorCore;
  sink: PointSink;
  decoder: Omit<DecoderOptions, 'maxMessageBytes'>;
  metrics: MonitorMetrics;
  logger: Logger;
  /**
   * The provenance catalog: each batch's runs are written to it before the batch's offsets are committed (idempotent,
   * so a redelivered batch changes nothing). None: no catalog.
   */
  catalog?: CatalogStore;
  /** Where the catalog writer's state goes: ok after a write, degraded while writes fail and are retried. */
  catalogHealth?: Component;
  /** Called after each committed batch with what it produced (incident events go to the dispatcher). */
  onCommitted?: (out: CoreOutput) => void;
  /**
   * Worker threads that decode and validate the batches' messages (JSON, OpenLineage with the project's converter:
   * `decoder.openLineage` is only asked whether OpenLineage is accepted; Avro stays on this thread, with the
   * registry). 0: all on this thread. Default: `monitor.decodeWorkers`, else {@link defaultDecodeWorkers}.
   */
  decodeWorkers?: number;
}

/**
 * The Kafka side of `rootline monitor`: a consumer group on the reports topic (and ingest topics),
 * processing a partition's fetched messages as one batch. Per batch:
 *   1. decode (JSON, Avro via the registry, OpenLineage); bad messages become dead letters;
 *   2. the core processes the reports (deterministic);
 *   3. the metric points are written to InfluxDB, retried with backoff until they are durable
 *      (consumption of the partition waits meanwhile, heartbeats keep the membership);
 *   4. the batch's runs are written to the provenance catalog, retried the same way while it is down;
 *   5. one Kafka transaction carries the dead letters, the forwarded ingest reports, the changed
 *      state records, the incident and health events, and the consumer offsets.
 * Offsets are therefore committed only after the batch's points are in InfluxDB, its runs in the catalog and its state is in
 * the state topic, atomically. On any failure after the core changed its state, the in-memory state
 * of the assigned partitions is dropped and reloaded from the state topic before the next batch, and
 * the batch is fetched again from the committed offsets: the same reports on the same state give the
 * same points (idempotent in InfluxDB) and the same state.
 *
 * Two partitions' batches are in flight at once (kafkajs `partitionsConsumedConcurrently: 2`, never two of one
 * partition), so the I/O of one (steps 3 to 5) overlaps the decoding and the core's work of the other:
 *   - the core's work (step 2) runs one batch at a time (the core lock, {@link exclusive}); what the transaction
 *     will carry is taken from the core before the lock is released;
 *   - each batch takes its place in the commit order while it holds the core lock ({@link takeTurn}), so the
 *     transactions are committed in the order the batches changed the core, whatever order their writes finish
 *     in; a batch commits only after its own points and runs are durable and the one before it has settled;
 *   - a batch that fails drops the state only at its turn (after everything before it settled, so a reload sees
 *     every commit before it), before giving the turn on: a batch after it, which built on its changes, then
 *     finds the state dropped (the epoch moved) and fails without committing; both are fetched again;
 *   - each batch's eachBatch returns only once its transaction is committed, so a rebalance (kafkajs rejoins
 *     only when every batch of the fetch has returned) never takes a partition with work in flight.
 */
export class KafkaMonitor {
  private readonly kafka: Kafka;
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private plainProducer: Producer | undefined;
  private readonly cfg: MonitorConfig;
  private readonly log: Logger;
  /** Reports-topic partitions assigned to this instance in the current generation. */
  private assigned = new Set<number>();
  /** Partitions whose state must be (re)loaded before their next batch. */
  private needLoad = new Set<number>();
  /** pipeline -> partition (where its state lives). */
  private readonly pipelinePartition = new Map<string, number>();
  private stopping = false;
  private ingestTopics: Set<string>;
  /** Last known lag per topic/partition. */
  readonly lag = new Map<string, number>();
  private started = false;
  private consumerCrashed: string | undefined;
  /** Where the consumer's state goes (supervisor): fetches and heartbeats are beats; a crash kafkajs does not restart is `crashed`. */
  health: Component | undefined;
  /** The decoding workers (none with 0 workers); made again by a start after a stop. */
  private pool: DecodePool | undefined;

  constructor(private readonly deps: KafkaMonitorDeps) {
    this.cfg = deps.config;
    this.log = deps.logger.child({ component: 'kafka-monitor' });
    this.kafka = createKafka(this.cfg.kafka, this.log);
    this.ingestTopics = new Set(this.cfg.kafka.topics.ingest);
    this.pool = this.newPool();
  }

  /** The decoding workers (undefined with 0 workers). */
  get decodePool(): DecodePool | undefined {
    return this.pool;
  }

  private newPool(): DecodePool | undefined {
    const workers = this.deps.decodeWorkers ?? this.cfg.monitor.decodeWorkers ?? defaultDecodeWorkers();
    if (workers <= 0) return undefined;
    return new DecodePool({
      workers,
      // A task is a worker's share of one batch (at most 256 messages): minutes mean a stuck worker.
      taskTimeoutMs: 120_000,
      warn: (message, fields) => {
        this.deps.metrics.errors.inc({ component: 'decode-worker' });
        this.log.warn(fields, message);
      },
    });
  }

  get ready(): boolean {
    return this.started && this.consumerCrashed === undefined;
  }

  get status(): { started: boolean; assigned: number[]; crashed?: string } {
    return {
      started: this.started,
      assigned: [...this.assigned].sort((a, b) => a - b),
      ...(this.consumerCrashed ? { crashed: this.consumerCrashed } : {}),
    };
  }

  async start(): Promise<void> {
    const k = this.cfg.kafka;
    // Started again by the supervisor after a crash: whatever was loaded is reloaded.
    this.stopping = false;
    // Stopped before (its workers ended): new ones.
    if (this.pool?.closed) this.pool = this.newPool();
    this.invalidateAll();
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await ensureTopics(admin, k);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    this.producer = this.kafka.producer({
      transactionalId: `${k.groupId}-${k.instanceId}`,
      maxInFlightRequests: 1,
      idempotent: true,
      transactionTimeout: k.transactionTimeoutMs,
      allowAutoTopicCreation: false,
    });
    this.plainProducer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await Promise.all([this.producer.connect(), this.plainProducer.connect()]).catch((err: unknown) => {
      throw kafkaError(err, 'connecting the producers');
    });
    const maxBytesPerPartition = Math.max(1_048_576, k.maxMessageBytes * 2);
    const consumer = this.kafka.consumer({
      groupId: k.groupId,
      maxWaitTimeInMs: k.maxWaitMs,
      sessionTimeout: k.sessionTimeoutMs,
      rebalanceTimeout: Math.max(60_000, k.sessionTimeoutMs),
      heartbeatInterval: Math.max(500, Math.floor(k.sessionTimeoutMs / 10)),
      readUncommitted: false,
      maxBytesPerPartition,
      // Several partitions' batches per fetch: kafkajs hands a fetch's batches to the two workers and fetches again
      // only when all of them returned, so a fetch of one or two batches leaves little to overlap.
      maxBytes: Math.max(10_485_760, 4 * maxBytesPerPartition),
      retry: {
        initialRetryTime: 300,
        maxRetryTime: 10_000,
        retries: Number.MAX_SAFE_INTEGER,
        restartOnFailure: () => Promise.resolve(!this.stopping),
      },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const mine = new Set<number>();
      for (const p of e.payload.memberAssignment[k.topics.reports] ?? []) mine.add(p);
      this.onAssignment(mine);
      this.log.info(
        { generation: e.payload.groupId, partitions: [...mine].sort((a, b) => a - b) },
        'partitions assigned',
      );
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.consumerCrashed = errorMessage(e.payload.error);
      this.deps.metrics.errors.inc({ component: 'consumer' });
      this.log.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
      this.invalidateAll();
      if (e.payload.restart) this.health?.down(e.payload.error);
      else this.health?.crashed(e.payload.error);
    });
    consumer.on(consumer.events.FETCH_START, () => {
      this.consumerCrashed = undefined;
      this.health?.ok();
    });
    consumer.on(consumer.events.HEARTBEAT, () => this.health?.beat());
    await consumer.connect();
    await consumer.subscribe({ topics: [k.topics.reports, ...k.topics.ingest], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      // Two batches in flight (never two of one partition): one's I/O overlaps the other's decoding and core work.
      // handleBatch takes the core lock itself, for the core's work only.
      partitionsConsumedConcurrently: 2,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.started = true;
  }

  private lock: Promise<unknown> = Promise.resolve();

  /**
   * The core lock: the core's work of batches and timer work (freshness, held verdicts) never run at the same
   * time: both change the core's state. Not re-entrant: nothing that holds it may ask for it again.
   */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** The last place taken in the commit order (settles when that work is committed or has failed). */
  private commitTail: Promise<void> = Promise.resolve();

  /**
   * Takes the next place in the commit order. Called with the core lock held, before the work changes the core,
   * so the order of places is the order of the changes. The place must be released (in a finally), committed or
   * not, or everything after it waits forever.
   */
  private takeTurn(): CommitTurn {
    const prev = this.commitTail;
    let release!: () => void;
    this.commitTail = new Promise<void>((resolve) => (release = resolve));
    return { prev, release };
  }

  /** Waits for `p` (which never rejects), heartbeating about once a second. */
  private async waitFor(p: Promise<void>, heartbeat: () => Promise<void>): Promise<void> {
    let settled = false;
    const done = p.then(() => {
      settled = true;
    });
    while (!settled) {
      await Promise.race([done, sleep(1000)]);
      if (!settled) await heartbeat().catch(() => undefined);
    }
  }

  /**
   * Timer work on the core (freshness checks at wall-clock `now`): its points and state are made
   * durable the same way as a batch's, without offsets.
   */
  async tick(now: number): Promise<CoreOutput | undefined> {
    if (!this.started || this.stopping) return undefined;
    return this.exclusive(async () => {
      // While catching up on a backlog, a node's latest report may be waiting in it: no freshness verdicts.
      if (this.needLoad.size > 0 || [...this.lag.values()].some((l) => l > 0)) return undefined;
      const out = this.deps.core.checkFreshness(now);
      // A held verdict whose run reached the view while its judgement could not be committed is judged here.
      this.deps.core.settleAwaited(out);
      return this.makeDurable(out, true);
    });
  }

  /**
   * Held verdicts waiting for runs the view (other instances' health events) now has, judged again; their
   * incident events, forwarded symptoms and state are made durable like a batch's, without offsets.
   */
  async settle(): Promise<CoreOutput | undefined> {
    if (!this.started || this.stopping) return undefined;
    return this.exclusive(async () => {
      // Held verdicts of partitions still loading are judged once loaded (load() calls settle again).
      if (this.needLoad.size > 0) return undefined;
      return this.makeDurable(this.deps.core.settleAwaited(), false);
    });
  }

  /**
   * Makes the output of work outside a batch (the ops tick, settled held verdicts) durable like a batch's,
   * without offsets: its points, then its state, incident events and symptoms in one transaction.
   */
  private async makeDurable(out: CoreOutput, countFindings: boolean): Promise<CoreOutput> {
    if (out.dirty.size === 0 && out.points.length === 0 && out.symptoms.length === 0) return out;
    // Called with the core lock held, right after the core's work: its place in the commit order comes now.
    const turn = this.takeTurn();
    const epoch = this.epoch;
    const txn = this.transactionOf(out, 0);
    const noHeartbeat = () => Promise.resolve();
    try {
      await this.writePoints(out.points, [], noHeartbeat, () => !this.stopping);
      await turn.prev;
      if (epoch !== this.epoch)
        throw new RootlineError('SERVICE_UNAVAILABLE', 'the state this work was done on was dropped (a batch failed)', {
          retriable: true,
        });
      await this.commit(undefined, 0, '0', txn, [], []);
    } catch (err: unknown) {
      // At its turn, once everything before it settled: its changes are dropped (unless a failure dropped them).
      await turn.prev;
      if (epoch === this.epoch) this.invalidateAll();
      throw err;
    } finally {
      turn.release();
    }
    if (countFindings) for (const f of out.findings) this.deps.metrics.findings.inc({ severity: f.severity });
    for (const e of out.incidentEvents) this.deps.metrics.incidents.inc({ type: e.type });
    this.logSymptoms(out);
    this.deps.onCommitted?.(out);
    return out;
  }

  private logSymptoms(out: CoreOutput): void {
    for (const s of out.symptoms) {
      this.deps.metrics.symptoms.inc({ outcome: 'sent' });
      this.log.info(
        { root: `${s.pipeline}/${s.root.node}`, root_run: s.root.run_id, from: `${s.from.pipeline}/${s.from.node}` },
        'symptom sent to the instance holding its root',
      );
    }
    for (const o of out.symptomOutcomes) {
      this.deps.metrics.symptoms.inc({ outcome: o.outcome });
      const fields = {
        root: `${o.message.pipeline}/${o.message.root.node}`,
        root_run: o.message.root.run_id,
        from: `${o.message.from.pipeline}/${o.message.from.node}`,
        outcome: o.outcome,
        ...(o.reason !== undefined ? { reason: o.reason } : {}),
      };
      if (o.outcome === 'not_found') this.log.warn(fields, 'forwarded symptom has no incident here');
      else this.log.info(fields, 'forwarded symptom');
    }
  }

  /** Partitions that left this instance: forget their pipelines. New ones: loaded at once, in the background. */
  private onAssignment(mine: Set<number>): void {
    const lost = [...this.assigned].filter((p) => !mine.has(p));
    if (lost.length > 0) {
      const drop = [...this.pipelinePartition].filter(([, p]) => lost.includes(p)).map(([name]) => name);
      this.deps.core.dropPipelines(drop);
      for (const d of drop) this.pipelinePartition.delete(d);
    }
    for (const p of mine) if (!this.assigned.has(p)) this.needLoad.add(p);
    this.assigned = mine;
    // Eagerly: a restarted monitor answers queries and checks freshness without waiting for new reports.
    if (this.needLoad.size > 0)
      this.ensureLoaded().catch((err: unknown) => {
        this.deps.metrics.errors.inc({ component: 'state-load' });
        this.log.warn({ err: errorMessage(err) }, 'loading state at assignment failed; the next batch loads it');
      });
  }

  /** After a failure: nothing in memory is trusted until reloaded from the state topic. */
  private invalidateAll(): void {
    this.epoch += 1;
    this.deps.core.dropPipelines([...this.pipelinePartition.keys()]);
    this.pipelinePartition.clear();
    for (const p of this.assigned) this.needLoad.add(p);
  }

  /** Bumped by {@link invalidateAll}: a load that started before it must not mark anything loaded. */
  private epoch = 0;
  private loading: Promise<void> | undefined;

  /**
   * Loads the state of every assigned partition not loaded yet, one load at a time. With `heartbeat` (inside a
   * batch) the consumer heartbeats about once a second while it waits, so a long load never costs the group
   * membership.
   */
  private async ensureLoaded(heartbeat?: () => Promise<void>): Promise<void> {
    for (let round = 0; this.needLoad.size > 0 && round < 10; round++) {
      this.loading ??= this.loadPending().finally(() => {
        this.loading = undefined;
      });
      const load = this.loading;
      if (!heartbeat) {
        await load;
        continue;
      }
      let settled = false;
      const done = load.finally(() => {
        settled = true;
      });
      while (!settled) {
        await Promise.race([done.catch(() => undefined), sleep(1000)]);
        if (!settled) await heartbeat().catch(() => undefined);
      }
      await done;
    }
  }

  private async loadPending(): Promise<void> {
    for (const p of this.needLoad) if (!this.assigned.has(p)) this.needLoad.delete(p);
    const parts = [...this.needLoad];
    if (parts.length === 0) return;
    const epoch = this.epoch;
    const t0 = Date.now();
    const records = await loadStatePartitions({
      kafka: this.kafka,
      producer: this.plainProducer!,
      topic: this.cfg.kafka.topics.state,
      partitions: parts,
      groupPrefix: this.cfg.kafka.groupId,
      timeoutMs: Math.max(60_000, this.cfg.kafka.transactionTimeoutMs * 3),
      logger: this.log,
    });
    if (epoch !== this.epoch) return;
    this.deps.core.importState(records);
    for (const r of records) this.pipelinePartition.set(pipelineOfKey(r.key), r.partition);
    for (const p of parts) this.needLoad.delete(p);
    this.log.info(
      { partitions: parts, records: records.length, loadMs: Date.now() - t0, pipelines: this.pipelinePartition.size },
      'state of assigned partitions loaded',
    );
    // Held verdicts just loaded may wait for runs the view already has.
    if (this.deps.core.view)
      setImmediate(() => {
        this.settle().catch((err: unknown) =>
          this.log.warn({ err: errorMessage(err) }, 'judging held verdicts after the load failed; retried later'),
        );
      });
  }

  /** Decodes one message; while the schema registry cannot answer, waits with backoff (heartbeating). */
  private decode(value: Buffer | null, heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<Decoded[]> {
    const options = { ...this.deps.decoder, maxMessageBytes: this.cfg.kafka.maxMessageBytes };
    return retry(() => decodeMessage(value, options), {
      backoff: { initialMs: 200, maxMs: this.cfg.influx.maxRetryDelayMs },
      stopped: () => !isRunning() || this.stopping,
      stopError: (err) =>
        new RootlineError('SERVICE_UNAVAILABLE', 'stopping while the schema registry is unavailable', { cause: err }),
      onWait: heartbeat,
      onRetry: (err, attempt, waitMs) => {
        this.deps.metrics.errors.inc({ component: 'schema-registry' });
        if (attempt === 1 || attempt % 10 === 0)
          this.log.warn(
            { err: errorMessage(err), attempt, nextDelayMs: waitMs },
            'schema registry unavailable; consumption paused, retrying',
          );
      },
    });
  }

  /**
   * The batch's messages decoded on the decoding workers, in order: each message's inputs, or why it is a dead
   * letter (the decoder threw on it, or its worker crashed on it alone); undefined where this thread decodes it
   * (Avro: the schema registry is here), and all undefined without workers or when they cannot start. While the
   * workers work, the consumer heartbeats about once a second.
   */
  private async decodeOnWorkers(
    messages: readonly KafkaMessage[],
    heartbeat: () => Promise<void>,
  ): Promise<(Decoded[] | { failed: string } | undefined)[] | undefined> {
    const pool = this.pool;
    if (pool === undefined || !pool.available) return undefined;
    const index: number[] = [];
    const values: (Buffer | null)[] = [];
    messages.forEach((m, k) => {
      // Avro (magic byte 0 and a schema id) is decoded here, where the registry client is.
      if (m.value !== null && m.value.length >= 5 && m.value[0] === 0) return;
      index.push(k);
      values.push(m.value);
    });
    if (values.length === 0) return undefined;
    let outcomes: Outcome[] | undefined;
    const work = pool
      .decodeMessages(values, {
        maxMessageBytes: this.cfg.kafka.maxMessageBytes,
        openLineage: this.deps.decoder.openLineage !== undefined,
      })
      .then(
        (o) => {
          outcomes = o;
        },
        (err: unknown) => {
          if (!(err instanceof DecodePoolUnavailable)) throw err;
          this.log.warn({ err: errorMessage(err) }, 'decoding workers unavailable; decoding on the main thread');
        },
      );
    await this.waitFor(work, heartbeat);
    await work;
    if (outcomes === undefined) return undefined;
    const out = new Array<Decoded[] | { failed: string } | undefined>(messages.length);
    index.forEach((k, i) => {
      const o = outcomes![i]!;
      out[k] =
        'decoded' in o
          ? o.decoded
          : 'thrown' in o
            ? { failed: `decoding failed: ${o.thrown}` }
            : 'crashed' in o
              ? { failed: o.crashed }
              : { failed: 'decoding failed: not a message' };
    });
    return out;
  }

  private async handleBatch({ batch, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const t0 = process.hrtime.bigint();
    const m = this.deps.metrics;

    // Decoding needs no state: it runs outside the core lock (while another batch's work holds it).
    const dead: Message[] = [];
    const forwards: Message[] = [];
    /** Reports, people's incident commands and the progress of unfinished runs (OpenLineage START/RUNNING), in the partition's order. */
    const reports: Input[] = [];
    /** The message each input came from (for its dead letter if the core or the sink refuses it). */
    const reportMessage: KafkaMessage[] = [];
    const fromIngest = this.ingestTopics.has(batch.topic);
    const deadLetter = (msg: KafkaMessage, code: string, reason: string) => {
      m.deadLetters.inc({ reason: code });
      this.log.warn(
        { topic: batch.topic, partition: batch.partition, offset: msg.offset, code, reason: reason.slice(0, 500) },
        'dead letter',
      );
      dead.push(
        deadLetterMessage(msg, {
          topic: batch.topic,
          partition: batch.partition,
          offset: msg.offset,
          code,
          reason,
        }),
      );
    };
    const onWorkers = await this.decodeOnWorkers(batch.messages, heartbeat);
    for (const [k, msg] of batch.messages.entries()) {
      let decoded: Decoded[];
      const done = onWorkers?.[k];
      if (done !== undefined && 'failed' in done) {
        deadLetter(msg, 'PROCESSING_FAILED', done.failed);
        continue;
      }
      if (done !== undefined) decoded = done;
      else
        try {
          decoded = await this.decode(msg.value, heartbeat, isRunning);
        } catch (err: unknown) {
          // A registry outage that outlasted the batch (shutdown, lost partition) fails the batch; anything else the
          // decoder throws on is this message's (a defect, not an outage): it must not stop the partition.
          if (isRetriable(err) || !isRunning() || this.stopping) throw err;
          deadLetter(msg, 'PROCESSING_FAILED', `decoding failed: ${errorMessage(err)}`);
          continue;
        }
      for (const d of decoded) {
        if (d.kind === 'report') {
          // An OpenLineage Kafka transport pointed at the reports topic keys by job (`run:<namespace>/<name>`): the
          // converted report is re-keyed by its pipeline first, so a pipeline's reports and state share one partition.
          if (fromIngest || (d.format === 'openlineage' && msg.key?.toString('utf8') !== d.report.pipeline))
            forwards.push({
              key: d.report.pipeline,
              value: JSON.stringify(d.report),
              headers: { 'rootline-spec': 'rootline.report/v1', 'rootline-source': d.format },
            });
          else {
            reports.push(d);
            reportMessage.push(msg);
          }
        } else if (d.kind === 'command') {
          if (fromIngest)
            forwards.push({
              key: d.command.pipeline,
              value: JSON.stringify(d.command),
              headers: { 'rootline-spec': INCIDENT_COMMAND_SPEC },
            });
          else {
            reports.push(d);
            reportMessage.push(msg);
          }
        } else if (d.kind === 'symptom') {
          if (fromIngest) forwards.push(symptomMessage(d.symptom));
          else {
            reports.push(d);
            reportMessage.push(msg);
          }
        } else if (d.kind === 'progress' || d.kind === 'lineage') {
          // Forwarded as the event itself, keyed by pipeline, like a converted report (see above).
          const routed = d.kind === 'progress' ? d.progress.pipeline : d.lineage.pipeline;
          if (fromIngest || msg.key?.toString('utf8') !== routed)
            forwards.push({
              key: routed,
              value: msg.value,
              headers: { 'rootline-spec': 'openlineage', 'rootline-source': 'openlineage' },
            });
          else {
            reports.push(d);
            reportMessage.push(msg);
          }
        } else if (d.kind === 'dead') deadLetter(msg, d.code, d.reason);
      }
    }

    let out: CoreOutput = emptyOutput();
    /** This batch's place in the commit order. */
    let turn: CommitTurn | undefined;
    /** The core was changed by this batch (its changes must be committed or dropped). */
    let mutated = false;
    /** The epoch when the batch took its turn (its work is on the state of this epoch) and when it left the core. */
    let epoch = this.epoch;
    let epochAtRelease = this.epoch;
    let committed = false;
    try {
      let txn: PreparedTransaction = { symptoms: [], state: [], incidents: [], health: [] };
      if (reports.length > 0) {
        // The core's work, one batch at a time. What the transaction carries is taken before the lock is released.
        const prepared = await this.exclusive(async () => {
          const mine = (turn = this.takeTurn());
          epoch = this.epoch;
          try {
            await this.ensureLoaded(heartbeat);
            mutated = true;
            const res = await this.process(reports, batch.partition, heartbeat, mine.prev);
            if (res.epoch !== undefined) epoch = res.epoch;
            // Progress and incident commands are not runs: only the reports that close runs go to the catalog.
            const closing = reports.flatMap((r) => (r.kind === 'report' ? [r.report] : []));
            return {
              ...res,
              runs: this.catalogRuns(closing, res.out),
              txn: this.transactionOf(res.out, batch.partition),
            };
          } finally {
            epochAtRelease = this.epoch;
          }
        });
        out = prepared.out;
        txn = prepared.txn;
        for (const [i, reason] of prepared.refused) deadLetter(reportMessage[i]!, 'PROCESSING_FAILED', reason);
        const rejected = await this.writePoints(out.points, prepared.origin, heartbeat, isRunning);
        for (const [i, reason] of rejected) deadLetter(reportMessage[i]!, 'SINK_REJECTED', reason);
        await this.writeCatalog(prepared.runs, heartbeat, isRunning);
      } else {
        // Dead letters, forwards and offsets only: no state, but one transactional producer, so a place in the order.
        turn = this.takeTurn();
      }
      await this.waitFor(turn!.prev, heartbeat);
      // The state this batch was processed on was dropped since (a batch before it failed): it must not commit.
      if (mutated && epoch !== this.epoch)
        throw new RootlineError(
          'SERVICE_UNAVAILABLE',
          'the state this batch was processed on was dropped (a batch before it failed); the batch is fetched again',
          { retriable: true },
        );
      await this.commit(batch.topic, batch.partition, batch.lastOffset(), txn, dead, forwards);
      committed = true;
    } catch (err: unknown) {
      if (turn) {
        // At this batch's turn (everything before it settled): its changes are dropped, unless a failure since it
        // left the core dropped them already. The batches after it, built on them, then find the epoch moved.
        await this.waitFor(turn.prev, heartbeat);
        if (mutated && !committed && this.epoch === epochAtRelease) this.invalidateAll();
      } else if (mutated) this.invalidateAll();
      m.errors.inc({ component: 'batch' });
      this.log.error(
        { err, topic: batch.topic, partition: batch.partition, first: batch.firstOffset(), last: batch.lastOffset() },
        'batch failed; it will be fetched again from the committed offset',
      );
      throw err;
    } finally {
      turn?.release();
    }
    m.reports.inc({}, out.processed);
    m.duplicates.inc({}, out.duplicates);
    m.batches.inc();
    for (const f of out.findings) m.findings.inc({ severity: f.severity });
    for (const e of out.incidentEvents) m.incidents.inc({ type: e.type });
    this.logSymptoms(out);
    for (const c of out.commands) {
      m.incidentCommands.inc({ action: c.command.action, source: c.command.source, outcome: c.outcome });
      this.log.info(
        {
          incident: c.command.incident_id,
          action: c.command.action,
          who: c.command.who,
          source: c.command.source,
          outcome: c.outcome,
          ...(c.reason !== undefined ? { reason: c.reason } : {}),
        },
        'incident command',
      );
    }
    const lag = Number(batch.offsetLag());
    this.lag.set(`${batch.topic}/${batch.partition}`, lag);
    m.lag.set(lag, { topic: batch.topic, partition: String(batch.partition) });
    m.batchSeconds.observe(Number(process.hrtime.bigint() - t0) / 1e9);
    this.deps.onCommitted?.(out);
  }

  /**
   * The core processes the reports in order. A report the core throws on (a defect, not bad input: validation
   * came first) is set aside: the state it may have half changed is dropped and reloaded from the state topic,
   * and the batch is processed again without it, so the partition moves on and the state stays what the other
   * reports make it. `origin[i]` is the index of the report that produced `out.points[i]`.
   */
  private async process(
    reports: readonly Input[],
    partition: number,
    heartbeat: () => Promise<void>,
    before: Promise<void>,
  ): Promise<{ out: CoreOutput; origin: number[]; refused: Map<number, string>; epoch?: number }> {
    const refused = new Map<number, string>();
    /** The epoch after this batch dropped the state itself (its work starts again on the reloaded state). */
    let epoch: number | undefined;
    for (;;) {
      const out = emptyOutput();
      const origin: number[] = [];
      let failedAt: number | undefined;
      for (let i = 0; i < reports.length; i++) {
        if (refused.has(i)) continue;
        const input = reports[i]!;
        const pipeline =
          input.kind === 'report'
            ? input.report.pipeline
            : input.kind === 'progress'
              ? input.progress.pipeline
              : input.kind === 'lineage'
                ? input.lineage.pipeline
                : input.kind === 'symptom'
                  ? input.symptom.pipeline
                  : input.command.pipeline;
        if (input.kind !== 'command' && input.kind !== 'symptom' && !this.pipelinePartition.has(pipeline))
          this.pipelinePartition.set(pipeline, partition);
        try {
          if (input.kind === 'report') this.deps.core.processReport(input.report, out);
          else if (input.kind === 'progress') this.deps.core.processProgress(input.progress, out);
          else if (input.kind === 'lineage') this.deps.core.processLineage(input.lineage, out);
          else if (input.kind === 'symptom') this.deps.core.applySymptom(input.symptom, out);
          else this.deps.core.applyCommand(input.command, out);
        } catch (err: unknown) {
          refused.set(i, `the monitor failed on this ${input.kind}: ${errorMessage(err)}`);
          this.log.error({ err, pipeline, kind: input.kind }, 'the core failed on an input; set aside');
          failedAt = i;
          break;
        }
        while (origin.length < out.points.length) origin.push(i);
      }
      if (failedAt === undefined) return { out, origin, refused, ...(epoch !== undefined ? { epoch } : {}) };
      // Work that left the core before this batch may still be uncommitted: it settles first (committed, or its
      // state dropped), so the reload has every commit before this batch. It never waits for the core lock.
      await this.waitFor(before, heartbeat);
      this.invalidateAll();
      epoch = this.epoch;
      await this.ensureLoaded(heartbeat);
    }
  }

  /** Writes points to InfluxDB through {@link writeNarrowing}, with this monitor's metrics and log. */
  private async writePoints(
    points: readonly MetricPoint[],
    origin: readonly (number | undefined)[],
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<Map<number, string>> {
    let failures = 0;
    const { rejected } = await writeNarrowing(points, origin, {
      sink: this.deps.sink,
      maxDelayMs: this.cfg.influx.maxRetryDelayMs,
      stopped: () => !isRunning() || this.stopping,
      heartbeat,
      onWritten: (seconds) => {
        this.deps.metrics.influxWrite.observe(seconds);
        if (failures > 0)
          this.log.info({ attempts: failures + 1 }, 'InfluxDB write succeeded after retries; consumption resumes');
        failures = 0;
      },
      onRetry: (err, attempt, waitMs) => {
        failures += 1;
        this.deps.metrics.influxRetries.inc();
        if (attempt === 1 || attempt % 10 === 0)
          this.log.warn(
            { err: errorMessage(err), attempt, retriable: isRetriable(err), nextDelayMs: waitMs },
            'InfluxDB write failed; consumption paused, retrying',
          );
      },
      onRejected: (err, point, report) => {
        this.deps.metrics.errors.inc({ component: 'influx-rejected' });
        this.log.warn(
          { err: errorMessage(err), measurement: point.measurement, report },
          'InfluxDB refused a point; it is left out',
        );
      },
    });
    return rejected;
  }

  /** The batch's runs as the provenance catalog takes them (read from the core now: it moves on), when there is one. */
  private catalogRuns(reports: readonly Report[], out: CoreOutput): CatalogRun[] {
    if (!this.deps.catalog || out.runs.length === 0) return [];
    const core = this.deps.core;
    return catalogRunsOf(reports, out, (ref, at) => core.latestRun(ref, at)?.outputs);
  }

  /** Writes the batch's runs to the provenance catalog (when there is one), retried while it is down. */
  private async writeCatalog(
    runs: readonly CatalogRun[],
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<void> {
    const catalog = this.deps.catalog;
    if (!catalog || runs.length === 0) return;
    const m = this.deps.metrics;
    const health = this.deps.catalogHealth;
    let failures = 0;
    const res = await writeCatalog(catalog, runs, {
      maxDelayMs: this.cfg.catalog.maxRetryDelayMs,
      stopped: () => !isRunning() || this.stopping,
      heartbeat,
      onWritten: (seconds) => {
        m.catalogWrite.observe(seconds);
        health?.ok();
        if (failures > 0) this.log.info({ attempts: failures + 1 }, 'catalog write succeeded after retries');
        failures = 0;
      },
      onRetry: (err, attempt, waitMs) => {
        failures += 1;
        m.catalogRetries.inc();
        health?.degraded(err);
        if (attempt === 1 || attempt % 10 === 0)
          this.log.warn(
            { err: catalogErrorText(err), attempt, nextDelayMs: waitMs },
            'catalog write failed; consumption paused, retrying',
          );
      },
      onRejected: (err, run) => {
        m.errors.inc({ component: 'catalog-rejected' });
        this.log.warn(
          { err: catalogErrorText(err), pipeline: run.pipeline, node: run.node, run_id: run.run_id },
          'the catalog refused a run; it is left out of the catalog',
        );
      },
    });
    if (res.written > 0) m.catalogRuns.inc({ outcome: 'written' }, res.written);
    if (res.duplicates > 0) m.catalogRuns.inc({ outcome: 'duplicate' }, res.duplicates);
    if (res.refused > 0) m.catalogRuns.inc({ outcome: 'refused' }, res.refused);
  }

  /**
   * What a transaction carries from the core: the forwarded symptoms, the changed state records (each to its
   * pipeline's partition, else `partition`), the incident and health events, serialized now (the core moves on
   * before the transaction is committed). Called with the core lock held.
   */
  private transactionOf(out: CoreOutput, partition: number): PreparedTransaction {
    const limit = this.cfg.kafka.brokerMaxMessageBytes;
    const records = out.dirty.size > 0 ? this.deps.core.exportState(out.dirty) : [];
    return {
      symptoms: out.symptoms.map(symptomMessage),
      state: records.map((r) => ({
        key: r.key,
        value: r.value ?? null,
        partition: this.pipelinePartition.get(pipelineOfKey(r.key)) ?? partition,
      })),
      incidents: out.incidentEvents.map((e) => ({
        key: e.incident.incident_id,
        value: JSON.stringify(e),
        headers: { 'rootline-event': e.type, 'rootline-version': String(e.incident.version) },
      })),
      health: [...out.runs, ...out.healthUpdates].map(({ pipeline, node, run }) => ({
        key: `${pipeline}/${node}`,
        value: healthRecordValue(pipeline, node, run, limit),
      })),
    };
  }

  /** One transaction: the dead letters, forwards, what the core prepared, and the offsets (with a topic). */
  private async commit(
    topic: string | undefined,
    partition: number,
    lastOffset: string,
    prepared: PreparedTransaction,
    dead: Message[],
    forwards: Message[],
  ): Promise<void> {
    const k = this.cfg.kafka;
    const limit = k.brokerMaxMessageBytes;
    const txn = await this.producer!.transaction();
    try {
      const sends: { topic: string; messages: Message[]; limit: number }[] = [];
      if (dead.length > 0) sends.push({ topic: k.topics.dlq, messages: dead, limit });
      // Symptoms traced to a root another instance holds go to it, keyed by the root's pipeline.
      const reportsOut = [...forwards, ...prepared.symptoms];
      if (reportsOut.length > 0) sends.push({ topic: k.topics.reports, messages: reportsOut, limit });
      if (prepared.state.length > 0)
        sends.push({
          topic: k.topics.state,
          limit: Math.max(limit, STATE_TOPIC_MAX_MESSAGE_BYTES),
          messages: prepared.state,
        });
      if (prepared.incidents.length > 0) sends.push({ topic: k.topics.incidents, limit, messages: prepared.incidents });
      if (prepared.health.length > 0) sends.push({ topic: k.topics.health, limit, messages: prepared.health });
      // One request per group of messages that fits the broker's record-batch limit (each request makes at most
      // one record batch per partition, so none can be larger than its group).
      const requests: { topic: string; messages: Message[] }[][] = [];
      for (const s of sends)
        splitToFit(s.messages, s.limit).forEach((messages, j) =>
          (requests[j] ??= []).push({ topic: s.topic, messages }),
        );
      for (const topicMessages of requests) await txn.sendBatch({ topicMessages });
      if (topic !== undefined) {
        await txn.sendOffsets({
          consumerGroupId: k.groupId,
          topics: [{ topic, partitions: [{ partition, offset: String(Number(lastOffset) + 1) }] }],
        });
      }
      await txn.commit();
    } catch (err: unknown) {
      await txn.abort().catch(() => undefined);
      throw kafkaError(
        err,
        topic === undefined ? 'committing timer output' : `committing the batch of ${topic}/${partition}`,
      );
    }
  }

  /**
   * Produces reports (HTTP ingest) to the reports topic, keyed by pipeline; also OpenLineage START/RUNNING
   * events, as the events themselves (`rootline-spec` says what the value is).
   */
  async produceReports(messages: { pipeline: string; value: string; source: string; spec?: string }[]): Promise<void> {
    if (!this.plainProducer)
      throw new RootlineError('SERVICE_UNAVAILABLE', 'the monitor is not connected to Kafka yet', { retriable: true });
    try {
      await this.plainProducer.send({
        topic: this.cfg.kafka.topics.reports,
        messages: messages.map((m) => ({
          key: m.pipeline,
          value: m.value,
          headers: {
            'rootline-spec': m.spec ?? 'rootline.report/v1',
            'rootline-source': m.source,
          },
        })),
      });
    } catch (err: unknown) {
      throw kafkaError(err, 'producing reports');
    }
  }

  /**
   * Produces a person's incident command to the reports topic, keyed by the incident's pipeline: it
   * reaches the instance that holds the incident, in order with the pipeline's reports.
   */
  async produceCommand(cmd: IncidentCommand): Promise<void> {
    if (!this.plainProducer)
      throw new RootlineError('SERVICE_UNAVAILABLE', 'the monitor is not connected to Kafka yet', { retriable: true });
    try {
      await this.plainProducer.send({
        topic: this.cfg.kafka.topics.reports,
        messages: [
          { key: cmd.pipeline, value: JSON.stringify(cmd), headers: { 'rootline-spec': INCIDENT_COMMAND_SPEC } },
        ],
      });
    } catch (err: unknown) {
      throw kafkaError(err, 'producing an incident command');
    }
  }

  /** Finishes the batch in progress, commits it, and disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer?.stop().catch(() => undefined);
    await this.consumer?.disconnect().catch(() => undefined);
    await Promise.all([this.producer?.disconnect(), this.plainProducer?.disconnect()]).catch(() => undefined);
    await this.pool?.close();
    this.started = false;
  }
}

/** A forwarded symptom as a reports-topic message, keyed by its root's pipeline. */
function symptomMessage(s: SymptomMessage): Message {
  return { key: s.pipeline, value: JSON.stringify(s), headers: { 'rootline-spec': SYMPTOM_SPEC } };
}
