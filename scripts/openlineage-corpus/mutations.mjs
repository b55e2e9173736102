/**
 * Spec-violating events made by mutating real, spec-valid corpus events: each names the violation a receiver must
 * refuse the event for. Mutants are generated, never stored, so they always follow the corpus they come from.
 */

/** Output statistics facet attached when a base event has none, so row-count mutations have a place to go. */
const STATS_FACET_BASE = {
  _producer: 'https://github.com/OpenLineage/OpenLineage/tree/1.39.0/client/python',
  _schemaURL: 'https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json',
};

/** The output whose statistics a row-count mutation edits (adds one when the event has no output). */
function firstOutputStats(/** @type {any} */ e) {
  if (!Array.isArray(e.outputs) || e.outputs.length === 0) {
    e.outputs = [{ namespace: 'rootline-eval', name: 'mutated.output' }];
  }
  const out = e.outputs[0];
  out.outputFacets ??= {};
  out.outputFacets.outputStatistics ??= { ...STATS_FACET_BASE, rowCount: 1 };
  return out.outputFacets.outputStatistics;
}

/**
 * @typedef {object} Mutation
 * @property {string} name
 * @property {string} field the field the refusal must name
 * @property {string} violation what is wrong, as a receiver should say it
 * @property {boolean} schemaRejects whether the spec's JSON Schema alone refuses it (false: a semantic rule)
 * @property {(e: any) => void} apply edits a copy of the base event in place
 */

/** @type {Mutation[]} */
export const MUTATIONS = [
  {
    name: 'lowercase-event-type',
    field: 'eventType',
    violation: 'eventType must be one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER (upper case)',
    schemaRejects: true,
    apply: (e) => (e.eventType = String(e.eventType).toLowerCase()),
  },
  {
    name: 'non-uuid-run-id',
    field: 'run.runId',
    violation: 'run.runId must be a UUID',
    schemaRejects: true,
    apply: (e) => (e.run.runId = `run-${String(e.run.runId).slice(0, 8)}`),
  },
  {
    name: 'numeric-run-id',
    field: 'run.runId',
    violation: 'run.runId must be a string (a UUID)',
    schemaRejects: true,
    apply: (e) => (e.run.runId = 42),
  },
  {
    name: 'missing-event-time',
    field: 'eventTime',
    violation: 'eventTime is required',
    schemaRejects: true,
    apply: (e) => delete e.eventTime,
  },
  {
    name: 'event-time-not-date-time',
    field: 'eventTime',
    violation: 'eventTime must be an RFC 3339 date-time',
    schemaRejects: true,
    apply: (e) => (e.eventTime = 'yesterday at noon'),
  },
  {
    name: 'missing-producer',
    field: 'producer',
    violation: 'producer is required',
    schemaRejects: true,
    apply: (e) => delete e.producer,
  },
  {
    name: 'missing-job',
    field: 'job',
    violation: 'job is required in a RunEvent',
    schemaRejects: true,
    apply: (e) => delete e.job,
  },
  {
    name: 'numeric-job-name',
    field: 'job.name',
    violation: 'job.name must be a string',
    schemaRejects: true,
    apply: (e) => (e.job.name = 7),
  },
  {
    name: 'inputs-not-array',
    field: 'inputs',
    violation: 'inputs must be an array of datasets',
    schemaRejects: true,
    apply: (e) => (e.inputs = { namespace: 'rootline-eval', name: 'not.a.list' }),
  },
  {
    name: 'output-missing-namespace',
    field: 'outputs[0].namespace',
    violation: 'every output dataset needs a namespace',
    schemaRejects: true,
    apply: (e) => {
      firstOutputStats(e);
      delete e.outputs[0].namespace;
    },
  },
  {
    name: 'fractional-row-count',
    field: 'outputStatistics.rowCount',
    violation: 'outputStatistics.rowCount must be an integer',
    schemaRejects: true,
    apply: (e) => (firstOutputStats(e).rowCount = 12.5),
  },
  {
    name: 'string-row-count',
    field: 'outputStatistics.rowCount',
    violation: 'outputStatistics.rowCount must be an integer, not a string',
    schemaRejects: true,
    apply: (e) => (firstOutputStats(e).rowCount = '100'),
  },
  {
    name: 'negative-row-count',
    field: 'outputStatistics.rowCount',
    violation: 'outputStatistics.rowCount is a count of rows and cannot be negative',
    // The facet schema only says "integer"; refusing a negative count is a semantic rule (issue 11).
    schemaRejects: false,
    apply: (e) => (firstOutputStats(e).rowCount = -5),
  },
];

/**
 * @typedef {object} Mutant
 * @property {string} id
 * @property {string} baseId the corpus event it was made from
 * @property {string} mutation
 * @property {string} field
 * @property {string} violation
 * @property {boolean} schemaRejects
 * @property {string | null} schemaReason the validator's reason when it rejects
 * @property {Record<string, unknown>} event
 */

/**
 * Picks the base events: the first spec-valid run-closing event of each source and the first valid FAIL.
 * @param {{ id: string, integration: string, event: any, spec: { valid: boolean },
 *   expect: { isRunEnd: boolean, failed: boolean } }[]} events
 */
export function pickBases(events) {
  const valid = events.filter((x) => x.spec.valid && x.expect.isRunEnd);
  /** @type {typeof events} */
  const bases = [];
  for (const integration of [...new Set(valid.map((x) => x.integration))]) {
    const first = valid.find((x) => x.integration === integration);
    if (first) bases.push(first);
  }
  const fail = valid.find((x) => x.expect.failed);
  if (fail && !bases.includes(fail)) bases.push(fail);
  return bases;
}

/**
 * Makes every mutation of every base event and checks each against the spec validator: a mutation meant to break the
 * schema that the schema accepts (or the reverse) is a bug in this generator and throws.
 * @param {ReturnType<typeof pickBases>} bases
 * @param {{ validate: (e: unknown) => { valid: boolean, reason?: string } }} validator
 * @returns {Mutant[]}
 */
export function makeMutants(bases, validator) {
  /** @type {Mutant[]} */
  const out = [];
  for (const base of bases) {
    for (const m of MUTATIONS) {
      const event = structuredClone(base.event);
      m.apply(event);
      const verdict = validator.validate(event);
      if (verdict.valid === m.schemaRejects) {
        throw new Error(
          `mutation ${m.name} of ${base.id}: the spec schema ${verdict.valid ? 'accepts' : 'rejects'} it, expected otherwise` +
            (verdict.reason ? ` (${verdict.reason})` : ''),
        );
      }
      out.push({
        id: `${base.id}~${m.name}`,
        baseId: base.id,
        mutation: m.name,
        field: m.field,
        violation: m.violation,
        schemaRejects: m.schemaRejects,
        schemaReason: verdict.valid ? null : (verdict.reason ?? null),
        event,
      });
    }
  }
  return out;
}

/**
 * @typedef {object} Variant
 * @property {string} id
 * @property {string} baseId
 * @property {string} change what was changed in the base event
 * @property {{ dataset: string, assertion: string, column: string | null }} failedAssertion the assertion made to fail
 * @property {Record<string, unknown>} event
 */

/**
 * Spec-valid variants for what the registries carry no real example of: a dbt or Great Expectations test that failed.
 * Each corpus event with passing `dataQualityAssertions` gets one variant whose first passing assertion fails; the
 * variant must stay spec-valid (checked here), and a consumer must turn it into a finding naming the assertion and
 * column.
 * @param {{ id: string, event: any, spec: { valid: boolean }, expect: { assertionCount: number } }[]} records
 * @param {{ validate: (e: unknown) => { valid: boolean, reason?: string } }} validator
 * @returns {Variant[]}
 */
export function makeAssertionFailures(records, validator) {
  /** @type {Variant[]} */
  const out = [];
  for (const base of records.filter((r) => r.spec.valid && r.expect.assertionCount > 0)) {
    const event = structuredClone(base.event);
    const datasets = [...(event.inputs ?? []), ...(event.outputs ?? [])];
    const found = datasets
      .flatMap((d) => [d?.inputFacets?.dataQualityAssertions, d?.facets?.dataQualityAssertions].map((f) => ({ d, f })))
      .flatMap(({ d, f }) => (f?.assertions ?? []).map((/** @type {any} */ a) => ({ d, a })))
      .find(({ a }) => a?.success === true);
    if (!found) continue;
    found.a.success = false;
    const verdict = validator.validate(event);
    if (!verdict.valid) throw new Error(`assertion-failed variant of ${base.id} is not spec-valid: ${verdict.reason}`);
    out.push({
      id: `${base.id}~assertion-failed`,
      baseId: base.id,
      change: 'first passing dataQualityAssertions entry set to success: false',
      failedAssertion: {
        dataset: `${String(found.d.namespace)}/${String(found.d.name)}`,
        assertion: String(found.a.assertion),
        column: found.a.column ?? null,
      },
      event,
    });
  }
  return out;
}
