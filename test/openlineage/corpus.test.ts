// The OpenLineage corpus (test/fixtures/openlineage: real events from pinned registry archives, with
// expectations derived from the spec alone) through the converter and the monitor's core: every
// COMPLETE/FAIL run becomes a node run, every FAIL a failed run whose incident quotes the error, every
// spec-violating mutant is refused naming the field, no spec-valid event is refused.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Corpus } from '../../scripts/openlineage-corpus.mjs';
import { buildCorpus } from '../../scripts/openlineage-corpus.mjs';
import { renderIncident } from '../../src/actions/render.js';
import { validateReport, type Report } from '../../src/contract/index.js';
import { MonitorCore, emptyOutput, type CoreOutput } from '../../src/monitor/index.js';
import { convertRunEvent } from '../../src/openlineage/index.js';
import { RULES } from '../monitor/drive.js';
import { coreBehindHttp } from './core-http.js';

let corpus: Corpus;
beforeAll(() => {
  corpus = buildCorpus();
}, 120_000);

describe('the OpenLineage corpus through the converter', () => {
  it('never refuses a spec-valid event (nor one whose only fault is an eventTime without offset)', () => {
    let checked = 0;
    for (const e of corpus.events()) {
      if (!e.spec.valid && e.spec.formatOnly !== true) continue;
      const res = convertRunEvent(e.event);
      expect('errors' in res ? res.errors : [], e.id).toEqual([]);
      checked += 1;
    }
    expect(checked).toBe(417);
  });

  it('turns every COMPLETE/FAIL event into one valid report; FAIL is failed and carries errorMessage', () => {
    let runEnds = 0;
    for (const e of corpus.events()) {
      const res = convertRunEvent(e.event);
      if ('errors' in res) throw new Error(`${e.id}: ${res.errors.join('; ')}`);
      if (!e.expect.isRunEnd) {
        expect(res.reports, e.id).toEqual([]);
        continue;
      }
      runEnds += 1;
      expect(res.reports, e.id).toHaveLength(1);
      const r = res.reports[0]!;
      expect(validateReport(r).ok, e.id).toBe(true);
      expect(r.node, e.id).toBe(e.job!.name);
      expect(r.run_id, e.id).toBe(e.runId);
      expect(r.status, e.id).toBe(e.expect.failed ? 'failed' : 'success');
      // a dataset listed twice is one output (the contract keeps outputs distinct)
      expect((r.outputs ?? []).map((o) => o.dataset).sort(), e.id).toEqual(
        [...new Set(e.expect.outputs.map((o) => o.dataset))].sort(),
      );
      for (const o of e.expect.outputs) {
        const out = r.outputs!.find((x) => x.dataset === o.dataset)!;
        if (o.rowCount !== null && o.hasOutputStatistics) expect(out.profile?.row_count, e.id).toBe(o.rowCount);
      }
      const em = e.expect.errorMessage;
      if (e.expect.failed && em !== null) {
        expect(r.error?.message.split('\n')[0], e.id).toBe(em.firstLine);
        if (em.programmingLanguage !== null) expect(r.error?.language, e.id).toBe(em.programmingLanguage);
        expect(r.error?.stack !== undefined, e.id).toBe(em.hasStackTrace);
      } else expect(r.error, e.id).toBeUndefined();
    }
    expect(runEnds).toBe(187);
  });

  it('refuses every spec-violating mutant, naming the field', () => {
    const mutants = corpus.mutants();
    expect(mutants.length).toBe(52);
    for (const m of mutants) {
      const res = convertRunEvent(m.event);
      expect('errors' in res, `${m.id} (${m.mutation}) was accepted`).toBe(true);
      if ('errors' in res) expect(res.errors.join('; '), m.id).toContain(m.field);
    }
  });
});

describe('the OpenLineage corpus through the core', () => {
  it('every run-closing event is a node run; every FAIL a failed run whose incident quotes the error', () => {
    const core = new MonitorCore({ rules: RULES });
    const events = corpus.events();
    const byEventId = new Map<string, (typeof events)[number]>();
    const reports: Report[] = [];
    for (const e of events) {
      const res = convertRunEvent(e.event);
      if ('errors' in res) throw new Error(res.errors.join('; '));
      for (const r of res.reports) {
        reports.push(r);
        byEventId.set(r.event_id, e);
      }
    }
    const outs: CoreOutput[] = reports.map((r) => core.processBatch([r], emptyOutput()));
    const runs = outs.flatMap((o) => o.runs);
    expect(runs).toHaveLength(187);
    let failed = 0;
    outs.forEach((out, i) => {
      const e = byEventId.get(reports[i]!.event_id)!;
      expect(out.runs, e.id).toHaveLength(1);
      const { run, node } = out.runs[0]!;
      expect(node).toBe(e.job!.name);
      expect(run.status, e.id).toBe(e.expect.failed ? 'failed' : 'success');
      if (!e.expect.failed) return;
      failed += 1;
      expect(run.healthy).toBe(false);
      const em = e.expect.errorMessage;
      if (em === null) return;
      const incident = out.incidentEvents.find((ev) => ev.incident.culprit === node)?.incident;
      expect(incident, e.id).toBeDefined();
      expect(incident!.error?.message.split('\n')[0], e.id).toBe(em.firstLine);
      expect(
        incident!.findings.some((f) => f.message.includes(em.firstLine.slice(0, 60))),
        e.id,
      ).toBe(true);
      const slack = JSON.stringify(renderIncident(incident!).blocks);
      expect(slack, e.id).toContain('*Error*');
    });
    expect(failed).toBe(8);
  });
});

/** A run's dataset-keyed column lineage as the corpus writes it: dataset -> field -> `namespace/name.field` sources. */
function lineageStrings(
  lineage: Record<string, Record<string, { dataset: string; column: string }[]>> | undefined,
): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const [dataset, columns] of Object.entries(lineage ?? {}))
    out[dataset] = Object.fromEntries(
      Object.entries(columns).map(([c, sources]) => [c, sources.map((x) => `${x.dataset}.${x.column}`)]),
    );
  return out;
}

/** The corpus's expected column lineage of an event's outputs (the facet on an input describes that input). */
function expectedOutputLineage(e: ReturnType<Corpus['events']>[number]): Record<string, Record<string, string[]>> {
  const outputs = new Set(e.expect.outputs.map((o) => o.dataset));
  return Object.fromEntries(Object.entries(e.expect.columnLineage ?? {}).filter(([d]) => outputs.has(d)));
}

describe('column lineage, keyed by dataset and column', () => {
  it('every run-closing event with column lineage on its outputs keeps it in the run, through the core', () => {
    const core = new MonitorCore({ rules: RULES });
    let withLineage = 0;
    for (const e of corpus.events()) {
      const res = convertRunEvent(e.event);
      if ('errors' in res) throw new Error(res.errors.join('; '));
      if (!e.expect.isRunEnd) continue;
      const out = core.processBatch(res.reports, emptyOutput());
      const expected = expectedOutputLineage(e);
      if (Object.keys(expected).length > 0) withLineage += 1;
      expect(lineageStrings(out.runs[0]!.run.output_lineage), e.id).toEqual(expected);
    }
    // 6 BigQuery jobs; the all-facets DAG's lineage sits on an input
    expect(withLineage).toBe(6);
  });

  it('through POST /api/v1/lineage (the HTTP ingest the monitor serves)', async () => {
    const server = await coreBehindHttp();
    const core = server.core;
    try {
      const events = corpus.events().filter((e) => e.expect.isRunEnd && Object.keys(expectedOutputLineage(e)).length);
      expect(events).toHaveLength(6);
      for (const e of events) {
        const res = await fetch(`${server.url}/api/v1/lineage`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(e.event),
        });
        expect(res.status, e.id).toBe(201);
        const node = core
          .pipelineNames()
          .map((p) => core.node({ pipeline: p, node: e.job!.name }))
          .find((n) => n?.history.some((h) => h.run_id === e.runId));
        const run = node!.history.find((h) => h.run_id === e.runId)!;
        expect(lineageStrings(run.output_lineage), e.id).toEqual(expectedOutputLineage(e));
      }
    } finally {
      await server.close();
    }
  });
});

describe('failed data-quality assertions (the corpus events and their failed-assertion variants)', () => {
  it('no corpus event (all assertions pass) gives an assertion finding', () => {
    const core = new MonitorCore({ rules: RULES });
    let findings = 0;
    for (const e of corpus.events()) {
      const res = convertRunEvent(e.event);
      if ('errors' in res) throw new Error(res.errors.join('; '));
      if (res.progress !== undefined) core.processProgress(res.progress);
      for (const r of res.reports)
        findings += core.processBatch([r], emptyOutput()).findings.filter((f) => f.metric === 'assertion').length;
    }
    expect(findings).toBe(0);
  });

  it('every failed assertion becomes a finding naming the assertion, the column and the dataset', () => {
    const variants = corpus.variants();
    expect(variants.length).toBe(6);
    const events = corpus.events();
    let progressVariants = 0;
    let restatedVariants = 0;
    let bareCompletes = 0;
    for (const v of variants) {
      const core = new MonitorCore({ rules: RULES });
      const res = convertRunEvent(v.event);
      if ('errors' in res) throw new Error(`${v.id}: ${res.errors.join('; ')}`);
      // A START/RUNNING variant: the run's progress, closed by the corpus event that ends the same run.
      // When the closing event states its own (passing) result of the same test, that later result is the run's.
      const reports: Report[] = [...res.reports];
      const a = v.failedAssertion;
      let restated = false;
      if (res.progress !== undefined) {
        core.processProgress(res.progress);
        const runId = (v.event as { run: { runId: string } }).run.runId;
        // the corpus's event that ends the run, else a bare COMPLETE of it a minute later (no datasets restated;
        // its parent facet kept, which names the pipeline)
        const ev = v.event as {
          job: unknown;
          producer: string;
          eventTime: string;
          run: { facets?: { parent?: unknown } };
        };
        const end = events.find((e) => e.runId === runId && e.expect.isRunEnd)?.event ?? {
          eventType: 'COMPLETE',
          eventTime: new Date(Date.parse(ev.eventTime) + 60_000).toISOString(),
          producer: ev.producer,
          run: { runId, facets: { parent: ev.run.facets?.parent } },
          job: ev.job,
        };
        if (!events.some((e) => e.runId === runId && e.expect.isRunEnd)) bareCompletes += 1;
        const closing = convertRunEvent(end);
        if ('errors' in closing) throw new Error(closing.errors.join('; '));
        reports.push(...closing.reports);
        restated = [...(closing.reports[0]!.inputs ?? []), ...(closing.reports[0]!.outputs ?? [])].some(
          (d) =>
            d.dataset === a.dataset &&
            (d.assertions ?? []).some((x) => x.assertion === a.assertion && (x.column ?? null) === a.column),
        );
        progressVariants += 1;
        if (restated) restatedVariants += 1;
      }
      expect(reports, v.id).toHaveLength(1);
      const out = core.processBatch(reports, emptyOutput());
      const found = out.findings.filter((f) => f.metric === 'assertion');
      if (restated) {
        expect(found, v.id).toEqual([]);
        continue;
      }
      expect(found, v.id).toHaveLength(1);
      expect(found[0]!.rule, v.id).toBe('assertion_failed');
      expect(found[0]!.dataset, v.id).toBe(a.dataset);
      expect(found[0]!.column, v.id).toBe(a.column ?? undefined);
      expect(found[0]!.message, v.id).toContain(`assertion ${a.assertion} failed on `);
      if (a.column !== null) expect(found[0]!.message, v.id).toContain(`column ${a.column} of ${a.dataset}`);
      const incident = core.incidents().find((i) => i.metric === 'assertion');
      expect(incident?.culprit, v.id).toBe(reports[0]!.node);
    }
    // 3 variants are START/RUNNING events; 2 of their runs end with a COMPLETE that restates the test as passed,
    // 1 (a RUNNING) has no run-ending event in the corpus
    expect([progressVariants, restatedVariants, bareCompletes]).toEqual([3, 2, 1]);
  });
});

describe('the OpenLineage corpus through `rootline replay`', () => {
  it('replays events.jsonl: every run-closing event processed, every FAIL with errorMessage in an incident', async () => {
    const { runCli } = await import('../cli/run-cli.js');
    const { join } = await import('node:path');
    const r = await runCli(['replay', join(corpus.dir, 'events.jsonl'), '--no-findings']);
    // the three python-client serde events have no UTC offset, which the converter takes as UTC: none is invalid
    expect(r.stderr).toContain('replayed 187 reports (0 duplicates, 0 invalid lines');
    expect(r.code).toBe(0);
    const incidents = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; culprit: string; error?: { message: string } });
    for (const e of corpus.events()) {
      const em = e.expect.errorMessage;
      if (!e.expect.failed || em === null) continue;
      const i = incidents.find((x) => x.culprit === e.job!.name && x.error !== undefined);
      expect(i?.error?.message.split('\n')[0], e.id).toBe(em.firstLine);
    }
  }, 120_000);
});
