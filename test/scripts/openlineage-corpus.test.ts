import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Corpus, SpecValidator } from '../../scripts/openlineage-corpus.mjs';
import {
  MANIFEST_PATH,
  MUTATIONS,
  buildCorpus,
  expectationsOf,
  loadSpecValidator,
  manifestOf,
  manifestText,
  parsePythonStringList,
  renderTemplates,
  uuid5,
} from '../../scripts/openlineage-corpus.mjs';

// The first run downloads the pinned archives (pip, cargo) into the cache; later runs read the cache.
let corpus: Corpus;
let validator: SpecValidator;
beforeAll(() => {
  corpus = buildCorpus();
  validator = loadSpecValidator(join(corpus.dir, 'spec'));
}, 180_000);

const PRODUCER = 'https://github.com/OpenLineage/OpenLineage/tree/1.39.0/client/python';
const RUN_ID = '0176a8c2-fe01-7439-87e6-56a1a1b4029f';

/** A minimal spec-valid RunEvent written for these tests (not taken from the corpus). */
function runEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventType: 'COMPLETE',
    eventTime: '2025-06-02T08:00:00.000Z',
    producer: PRODUCER,
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
    run: { runId: RUN_ID },
    job: { namespace: 'shop', name: 'orders.load' },
    inputs: [],
    outputs: [],
    ...overrides,
  };
}

const facet = { _producer: PRODUCER, _schemaURL: 'https://openlineage.io/spec/facets/1-0-0/X.json' };

describe('openlineage corpus', () => {
  it('is built from the pinned archives exactly as the committed manifest says', () => {
    expect(manifestText(manifestOf(corpus.index))).toBe(readFileSync(MANIFEST_PATH, 'utf8'));
  });

  it('carries at least 90 run-closing events, all spec-valid, and every FAIL is marked failed', () => {
    const ends = corpus.index.records.filter((r) => r.expect.isRunEnd);
    expect(ends.length).toBeGreaterThanOrEqual(90);
    expect(ends.filter((r) => !r.spec.valid).map((r) => r.id)).toEqual([]);
    for (const r of corpus.index.records) expect(r.expect.failed).toBe(r.eventType === 'FAIL');
  });

  it('gives every event its own (runId, eventType), so a consumer that deduplicates on it keeps them all', () => {
    const keys = corpus.index.records.filter((r) => r.runId).map((r) => `${r.runId}:${r.eventType}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('records verdicts that the validator gives again on the cached event files', () => {
    for (const r of corpus.events()) expect(validator.validate(r.event), r.id).toEqual(r.spec);
  });

  it('makes every mutation of every base event, and the schema refuses exactly those meant to break it', () => {
    const mutants = corpus.mutants();
    const bases = new Set(mutants.map((m) => m.baseId));
    expect(mutants.length).toBe(bases.size * MUTATIONS.length);
    for (const m of mutants) {
      const verdict = validator.validate(m.event);
      expect(verdict.valid, m.id).toBe(!m.schemaRejects);
      if (m.schemaRejects) expect(verdict.reason, m.id).toBe(m.schemaReason);
    }
    for (const id of bases) expect(corpus.index.records.find((r) => r.id === id)?.spec.valid).toBe(true);
  });

  it('derives spec-valid assertion failures from every real event that carries passing assertions', () => {
    const variants = corpus.variants();
    const withAssertions = corpus.index.records.filter((r) => r.spec.valid && r.expect.assertionCount > 0);
    expect(variants.map((v) => v.baseId)).toEqual(withAssertions.map((r) => r.id));
    for (const v of variants) {
      expect(validator.validate(v.event).valid, v.id).toBe(true);
      expect(expectationsOf(v.event, 'RunEvent').failedAssertions, v.id).toEqual([v.failedAssertion]);
    }
  });
});

describe('spec validator', () => {
  it('accepts a minimal RunEvent and names the field of each violation', () => {
    expect(validator.validate(runEvent())).toMatchObject({ valid: true, kind: 'RunEvent' });
    expect(validator.validate(runEvent({ eventType: 'complete' })).reason).toMatch(/eventType/);
    expect(validator.validate(runEvent({ run: { runId: 'run-1' } })).reason).toMatch(/runId.*uuid/);
    const { eventTime: _dropped, ...noTime } = runEvent();
    expect(validator.validate(noTime).reason).toMatch(/eventTime/);
  });

  it('checks facet bodies against their own schema', () => {
    const outputs = (rowCount: unknown) => [
      { namespace: 'pg', name: 'shop.orders', outputFacets: { outputStatistics: { ...facet, rowCount } } },
    ];
    expect(validator.validate(runEvent({ outputs: outputs(10) })).facetsChecked).toEqual(['outputStatistics']);
    expect(validator.validate(runEvent({ outputs: outputs(1.5) })).reason).toMatch(/rowCount: must be integer/);
    // The facet schema says only "integer": a negative count is a semantic violation, not a schema one.
    expect(validator.validate(runEvent({ outputs: outputs(-1) })).valid).toBe(true);
  });

  it('tells a format-only failure apart', () => {
    const verdict = validator.validate(runEvent({ eventTime: '2021-11-03T10:53:52.427343' }));
    expect(verdict).toMatchObject({ valid: false, formatOnly: true });
    expect(validator.validate(runEvent({ eventTime: 12 }))).toMatchObject({ valid: false, formatOnly: false });
  });
});

describe('expectations', () => {
  it('derives failure, error message, failed assertions and column lineage keyed by dataset', () => {
    const event = runEvent({
      eventType: 'FAIL',
      run: {
        runId: RUN_ID,
        facets: {
          errorMessage: { ...facet, message: 'division by zero\nat line 3', programmingLanguage: 'SQL' },
          parent: { ...facet, job: { namespace: 'airflow-a', name: 'dag' }, run: { runId: RUN_ID } },
        },
      },
      inputs: [
        {
          namespace: 'pg',
          name: 't1',
          inputFacets: {
            dataQualityAssertions: {
              ...facet,
              assertions: [
                { assertion: 'not_null', success: false, column: 'id' },
                { assertion: 'unique', success: true, column: 'id' },
              ],
            },
          },
        },
        { namespace: 'pg', name: 't2' },
      ],
      outputs: [
        {
          namespace: 'pg',
          name: 't3',
          facets: {
            columnLineage: {
              ...facet,
              fields: {
                id: {
                  inputFields: [
                    { namespace: 'pg', name: 't1', field: 'id' },
                    { namespace: 'pg', name: 't2', field: 'id' },
                  ],
                },
              },
            },
          },
          outputFacets: { outputStatistics: { ...facet, rowCount: 0 } },
        },
      ],
    });
    const x = expectationsOf(event, 'RunEvent');
    expect(x).toMatchObject({
      isRunEnd: true,
      failed: true,
      parentJob: { namespace: 'airflow-a', name: 'dag', runId: RUN_ID },
      errorMessage: { firstLine: 'division by zero', programmingLanguage: 'SQL', hasStackTrace: false },
      failedAssertions: [{ dataset: 'pg/t1', assertion: 'not_null', column: 'id' }],
      assertionCount: 2,
      columnLineage: { 'pg/t3': { id: ['pg/t1.id', 'pg/t2.id'] } },
    });
    expect(x.outputs).toEqual([
      { dataset: 'pg/t3', rowCount: 0, size: null, hasOutputStatistics: true, statisticsInDatasetFacets: false },
    ]);
  });
});

describe('template rendering', () => {
  it('pairs START and COMPLETE of a job on one run id and fills what the spec requires', () => {
    const templates = [
      { eventType: 'START', job: { name: 'dag.task' }, run: { runId: '{{ is_uuid(result) }}' } },
      {
        eventType: 'COMPLETE',
        eventTime: '{{ is_datetime(result) }}',
        producer:
          '{{ regex_match(result, "^https:\\/\\/github.com/apache/airflow/tree/providers-openlineage\\/[\\d]+.*$") }}',
        job: { name: 'dag.task', facets: { sourceCode: null } },
        run: { facets: { custom: { value: '{{ result is number }}', tags: "{{ result | sort == ['a', 'b'] }}" } } },
      },
      { eventType: 'COMPLETE', job: { name: 'dag.other' }, run: { runId: '{{ unknown_test(result) }}' } },
    ];
    const [start, complete, other] = renderTemplates(templates, {
      file: 'x.json',
      fileIndex: 0,
      producer: 'https://github.com/apache/airflow/tree/providers-openlineage/2.20.3',
    });
    const runOf = (r: typeof start) => (r?.event.run as { runId: string }).runId;
    expect(runOf(start)).toBe(runOf(complete));
    expect(runOf(start)).toBe(uuid5('x.json|default|dag.task'));
    expect(runOf(start)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(complete?.event.producer).toBe('https://github.com/apache/airflow/tree/providers-openlineage/2.20.3');
    expect(complete?.removed).toEqual(['job.facets.sourceCode']);
    expect(complete?.filled).toEqual(['schemaURL', 'run.runId', 'job.namespace']);
    expect((complete?.event.run as { facets: { custom: unknown } }).facets.custom).toMatchObject({
      value: 1,
      tags: ['a', 'b'],
      _producer: complete?.event.producer,
    });
    expect(validator.validate(complete?.event).valid).toBe(true);
    expect(other?.unrendered).toEqual(['run.runId: {{ unknown_test(result) }}']);
  });

  it('reads Python string lists with either quote and escapes', () => {
    expect(parsePythonStringList(`['"with\\'quote"', "'first'", 'z']`)).toEqual([`"with'quote"`, `'first'`, 'z']);
  });
});
