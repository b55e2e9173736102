// The OpenLineage corpus (test/fixtures/openlineage: real events from pinned registry archives, expectations from
// the spec alone) through the monitor's Kafka intake, as integrations with OpenLineage's Kafka transport send them:
// the raw events on an ingest topic, keyed the way the transport keys them. Every COMPLETE/FAIL run becomes a node
// run, every FAIL a failed run whose incident quotes the error, every spec-violating mutant a dead letter naming
// the field, nothing spec-valid is dead-lettered, and column lineage is kept by dataset and column.
import { describe, expect, it } from 'vitest';
import type { Corpus } from '../../../scripts/openlineage-corpus.mjs';
import { buildCorpus } from '../../../scripts/openlineage-corpus.mjs';
import type { HealthEvent } from '../../../src/service/health-event.js';
import { OPEN_RUNS_KEPT } from '../../../src/monitor/core.js';
import { convertRunEvent } from '../../../src/openlineage/index.js';
import type { IncidentEvent } from '../../../src/monitor/index.js';
import { eventually, producer, readTopic, unique } from '../helpers.js';
import { flux, monitorConfig, startMonitor } from '../monitor/harness.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The message key of openlineage-python's KafkaTransport (`_get_message_key`): `dataset:`/`job:` for events without
 * a run, else `run:<namespace>/<name>` of the root job, the parent job, or the job itself, so a DAG's runs share a
 * partition and keep their order.
 */
function transportKey(event: Obj): string | null {
  const nsName = (o: unknown) =>
    isObj(o) && typeof o.namespace === 'string' && typeof o.name === 'string' ? `${o.namespace}/${o.name}` : undefined;
  if (!('run' in event) && !('eventType' in event)) {
    if ('dataset' in event) return `dataset:${nsName(event.dataset) ?? ''}`;
    return `job:${nsName(event.job) ?? ''}`;
  }
  const facets = isObj(event.run) && isObj(event.run.facets) ? event.run.facets : undefined;
  const parent = isObj(facets?.parent) ? facets.parent : undefined;
  const fromParent = parent && (nsName(isObj(parent.root) ? parent.root.job : undefined) ?? nsName(parent.job));
  const own = nsName(event.job);
  return fromParent !== undefined ? `run:${fromParent}` : own !== undefined ? `run:${own}` : null;
}

describe('the OpenLineage corpus through the monitor Kafka intake', () => {
  it.each(['an ingest topic', 'the reports topic'] as const)(
    'on %s: every run-closing event is a node run, every FAIL a failed run quoting its error, every mutant dead-lettered naming the field',
    { timeout: 300_000 },
    async (where) => {
      const corpus: Corpus = buildCorpus();
      const events = corpus.events();
      const mutants = corpus.mutants();
      const ingest = unique('openlineage');
      const cfg = monitorConfig({ 'kafka.topics.ingest': [ingest] });
      const m = await startMonitor(cfg);
      const target = where === 'an ingest topic' ? ingest : cfg.kafka.topics.reports;

      const messages = [...events.map((e) => e.event as Obj), ...mutants.map((x) => x.event)].map((event) => ({
        key: transportKey(event),
        value: JSON.stringify(event),
      }));
      const p = await producer();
      // several requests: the whole corpus in one would exceed the broker's 1 MiB record batch
      for (let i = 0; i < messages.length; i += 40)
        await p.send({ topic: target, messages: messages.slice(i, i + 40) });

      const runEnds = events.filter((e) => e.expect.isRunEnd);
      expect(runEnds).toHaveLength(187);
      expect(mutants).toHaveLength(52);
      await eventually(
        () => (m.metrics.reports.total() >= runEnds.length && m.metrics.deadLetters.total() >= 52 ? true : undefined),
        180_000,
        `${runEnds.length} node runs and 52 dead letters`,
      );

      // One health event per node run: the run ids of exactly the run-closing events.
      const health = await readTopic(cfg.kafka.topics.health, (msgs) => msgs.length >= runEnds.length, 60_000);
      const runs = health.map((h) => JSON.parse(h.value!) as HealthEvent);
      expect(runs.map((r) => `${r.node} ${r.run_id}`).sort()).toEqual(
        runEnds.map((e) => `${e.job!.name} ${e.runId}`).sort(),
      );
      const failedIds = runEnds.filter((e) => e.expect.failed).map((e) => e.runId!);
      expect(failedIds).toHaveLength(8);
      for (const id of failedIds) expect(runs.find((r) => r.run_id === id)?.healthy, id).toBe(false);

      // Failed runs in InfluxDB: exactly the FAIL events.
      const rows = await flux<{ run_id: string; failed: number }>(
        cfg,
        `from(bucket: BUCKET) |> range(start: 2000-01-01T00:00:00Z, stop: 2100-01-01T00:00:00Z)
          |> filter(fn: (r) => r._measurement == "rootline_node_run" and (r._field == "failed" or r._field == "run_id"))
          |> pivot(rowKey: ["_time", "pipeline", "node"], columnKey: ["_field"], valueColumn: "_value")
          |> filter(fn: (r) => r.failed == 1)`,
      );
      expect(rows.map((r) => r.run_id).sort()).toEqual([...failedIds].sort());

      // Every FAIL with an errorMessage facet: an incident quoting it.
      const withError = runEnds.filter((e) => e.expect.failed && e.expect.errorMessage !== null);
      expect(withError.length).toBeGreaterThan(0);
      const incidents = (
        await readTopic(
          cfg.kafka.topics.incidents,
          (msgs) => {
            const nodes = new Set(msgs.map((x) => (JSON.parse(x.value!) as IncidentEvent).incident.culprit));
            return withError.every((e) => nodes.has(e.job!.name));
          },
          60_000,
        )
      ).map((x) => (JSON.parse(x.value!) as IncidentEvent).incident);
      for (const e of withError) {
        const quoted = incidents.filter((i) => i.culprit === e.job!.name && i.error !== undefined);
        expect(
          quoted.some((i) => i.error!.message.split('\n')[0] === e.expect.errorMessage!.firstLine),
          e.id,
        ).toBe(true);
      }

      // Every mutant dead-lettered with the reason naming the field it breaks; nothing else dead-lettered.
      const dead = await readTopic(cfg.kafka.topics.dlq, (msgs) => msgs.length >= 52, 60_000);
      expect(dead).toHaveLength(52);
      const byValue = new Map(dead.map((d) => [d.value, d.headers]));
      for (const x of mutants) {
        const headers = byValue.get(JSON.stringify(x.event));
        expect(headers, `${x.id} (${x.mutation}) was not dead-lettered`).toBeDefined();
        expect(headers!['rootline-error'], x.id).toBe('OPENLINEAGE_INVALID');
        expect(headers!['rootline-error-message'], x.id).toContain(x.field);
        expect(headers!['rootline-source-topic'], x.id).toBe(target);
      }
      // Converted reports are re-keyed by pipeline on the reports topic (the transport keys by job), so a pipeline's
      // reports and state share one partition whichever topic the integration writes to.
      // START/RUNNING events (and DatasetEvents, JobEvents) are forwarded as themselves, keyed by the pipeline
      // their run belongs to (the namespace, for lineage without a run).
      const unfinished = events.filter((e) => e.eventType === 'START' || e.eventType === 'RUNNING');
      const runless = events.filter((e) => e.kind === 'DatasetEvent' || e.kind === 'JobEvent');
      expect(runless).toHaveLength(2);
      const onReports = await readTopic(
        cfg.kafka.topics.reports,
        (msgs) =>
          msgs.filter((x) => x.headers['rootline-source'] === 'openlineage').length >=
          runEnds.length + unfinished.length + runless.length,
        60_000,
      );
      const forwarded = onReports.filter(
        (x) => x.headers['rootline-source'] === 'openlineage' && x.headers['rootline-spec'] === 'rootline.report/v1',
      );
      expect(forwarded).toHaveLength(runEnds.length);
      // Column lineage kept by dataset and column through the Kafka intake: each output's columnLineage facet is
      // in the run the core recorded.
      const withLineage = runEnds.filter((e) =>
        Object.keys(e.expect.columnLineage ?? {}).some((d) => e.expect.outputs.some((o) => o.dataset === d)),
      );
      expect(withLineage).toHaveLength(6);
      for (const e of withLineage) {
        const run = m.core
          .pipelineNames()
          .flatMap((p) => m.core.node({ pipeline: p, node: e.job!.name })?.history ?? [])
          .find((h) => h.run_id === e.runId);
        const kept: Record<string, Record<string, string[]>> = {};
        for (const [d, cols] of Object.entries(run?.output_lineage ?? {}))
          kept[d] = Object.fromEntries(
            Object.entries(cols).map(([c, src]) => [c, src.map((x) => `${x.dataset}.${x.column}`)]),
          );
        const outputs = new Set(e.expect.outputs.map((o) => o.dataset));
        expect(kept, e.id).toEqual(
          Object.fromEntries(Object.entries(e.expect.columnLineage!).filter(([d]) => outputs.has(d))),
        );
      }
      for (const f of forwarded) expect(f.key).toBe((JSON.parse(f.value!) as { pipeline: string }).pipeline);
      const progress = onReports.filter((x) => x.headers['rootline-spec'] === 'openlineage');
      expect(progress).toHaveLength(unfinished.length + runless.length);
      for (const f of progress) {
        const res = convertRunEvent(JSON.parse(f.value!));
        if ('errors' in res) throw new Error(res.errors.join('; '));
        expect((res.progress ?? res.lineage)?.pipeline).toBe(f.key);
      }
      // The JobEvent's lineage reaches the core's graph.
      const jobEvent = runless.find((e) => e.kind === 'JobEvent')!;
      const declared = convertRunEvent(jobEvent.event);
      if ('errors' in declared || declared.lineage?.kind !== 'job') throw new Error(jobEvent.id);
      const jl = declared.lineage;
      await eventually(
        () => m.core.graph(jl.pipeline)?.declaredOf({ pipeline: jl.pipeline, node: jl.node }),
        30_000,
        "the JobEvent's lineage in the graph",
      );
      // ...and reach the core: the runs that started and have not ended are open there (bounded per node).
      const closed = new Set(runEnds.map((e) => `${e.job!.name} ${e.runId}`));
      const open = new Map<string, Set<string>>();
      for (const e of unfinished) {
        const res = convertRunEvent(e.event);
        if ('errors' in res || res.progress === undefined) throw new Error(e.id);
        const p = res.progress;
        if (closed.has(`${p.node} ${p.run_id}`)) continue;
        const k = `${p.pipeline}\u001f${p.node}`;
        if (!open.has(k)) open.set(k, new Set());
        open.get(k)!.add(p.run_id);
      }
      expect(open.size).toBeGreaterThan(0);
      await eventually(
        () => {
          for (const [k, ids] of open) {
            const [pipeline, node] = k.split('\u001f') as [string, string];
            const held = (m.core.node({ pipeline, node })?.open_runs ?? []).map((r) => r.run_id).sort();
            if (held.length !== Math.min(ids.size, OPEN_RUNS_KEPT)) return undefined;
            if (ids.size <= OPEN_RUNS_KEPT) expect(held).toEqual([...ids].sort());
          }
          return true;
        },
        30_000,
        'the open runs in the core',
      );
      expect(m.metrics.deadLetters.total()).toBe(52);
      expect(m.metrics.reports.total()).toBe(runEnds.length);
    },
  );
});
