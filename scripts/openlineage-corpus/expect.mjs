/**
 * What an OpenLineage consumer must make of an event, derived from the OpenLineage spec alone (not from Rootline).
 */

/** Event types that close a run (spec: one of COMPLETE, ABORT, FAIL per run). */
const RUN_END = new Set(['COMPLETE', 'FAIL', 'ABORT']);

const datasetKey = (/** @type {any} */ d) => `${String(d?.namespace)}/${String(d?.name)}`;

/**
 * @typedef {object} Expectations
 * @property {string} kind RunEvent, DatasetEvent or JobEvent
 * @property {string | null} eventType
 * @property {boolean} isRunEnd COMPLETE, FAIL or ABORT
 * @property {boolean} failed FAIL
 * @property {{ namespace: string, name: string } | null} job
 * @property {string | null} runId
 * @property {{ namespace: string, name: string, runId: string | null } | null} parentJob from the parent run facet
 * @property {string | null} producer
 * @property {{ firstLine: string, programmingLanguage: string | null, hasStackTrace: boolean } | null} errorMessage
 * @property {{ dataset: string, assertion: string, column: string | null }[]} failedAssertions dataQualityAssertions
 *   entries with success false
 * @property {number} assertionCount every dataQualityAssertions entry
 * @property {Record<string, Record<string, string[]>> | null} columnLineage dataset -> field -> input
 *   `namespace/name.field` list
 * @property {{ dataset: string, rowCount: number | null, size: number | null, hasOutputStatistics: boolean,
 *   statisticsInDatasetFacets: boolean }[]} outputs rowCount/size from outputFacets.outputStatistics (where the spec
 *   puts them); statisticsInDatasetFacets flags a producer that put them among the dataset facets instead
 * @property {{ dataset: string, rowCount: number | null, hasDataQualityMetrics: boolean, hasInputStatistics: boolean }[]} inputs
 */

/**
 * Derives the expectations of one event.
 * @param {any} e the event
 * @param {string} kind the event definition it was checked against
 * @returns {Expectations}
 */
export function expectationsOf(e, kind) {
  const eventType = typeof e?.eventType === 'string' ? e.eventType : null;
  const parent = e?.run?.facets?.parent;
  const err = e?.run?.facets?.errorMessage;
  /** @type {Expectations['failedAssertions']} */
  const failedAssertions = [];
  let assertionCount = 0;
  const datasets = [...(e?.inputs ?? []), ...(e?.outputs ?? []), ...(e?.dataset ? [e.dataset] : [])];
  for (const d of datasets) {
    for (const facet of [d?.inputFacets?.dataQualityAssertions, d?.facets?.dataQualityAssertions]) {
      for (const a of facet?.assertions ?? []) {
        assertionCount++;
        if (a?.success === false) {
          failedAssertions.push({ dataset: datasetKey(d), assertion: String(a.assertion), column: a.column ?? null });
        }
      }
    }
  }
  /** @type {Record<string, Record<string, string[]>>} */
  const columnLineage = {};
  // columnLineage is a dataset facet: the spec allows it on any dataset, though producers put it on outputs.
  for (const d of datasets) {
    const fields = d?.facets?.columnLineage?.fields;
    if (!fields || typeof fields !== 'object') continue;
    /** @type {Record<string, string[]>} */
    const out = {};
    for (const [field, spec] of Object.entries(fields)) {
      out[field] = /** @type {any} */ (spec?.inputFields ?? []).map(
        (/** @type {any} */ i) => `${String(i.namespace)}/${String(i.name)}.${String(i.field)}`,
      );
    }
    columnLineage[datasetKey(d)] = out;
  }
  const num = (/** @type {unknown} */ x) => (typeof x === 'number' ? x : null);
  return {
    kind,
    eventType,
    isRunEnd: eventType !== null && RUN_END.has(eventType),
    failed: eventType === 'FAIL',
    job: e?.job ? { namespace: String(e.job.namespace), name: String(e.job.name) } : null,
    runId: typeof e?.run?.runId === 'string' ? e.run.runId : null,
    parentJob: parent?.job
      ? {
          namespace: String(parent.job.namespace),
          name: String(parent.job.name),
          runId: typeof parent.run?.runId === 'string' ? parent.run.runId : null,
        }
      : null,
    producer: typeof e?.producer === 'string' ? e.producer : null,
    errorMessage:
      err && typeof err.message === 'string'
        ? {
            firstLine: err.message.split('\n')[0] ?? '',
            programmingLanguage: typeof err.programmingLanguage === 'string' ? err.programmingLanguage : null,
            hasStackTrace: typeof err.stackTrace === 'string' && err.stackTrace.length > 0,
          }
        : null,
    failedAssertions,
    assertionCount,
    columnLineage: Object.keys(columnLineage).length > 0 ? columnLineage : null,
    outputs: (e?.outputs ?? []).map((/** @type {any} */ d) => ({
      dataset: datasetKey(d),
      rowCount: num(d?.outputFacets?.outputStatistics?.rowCount),
      size: num(d?.outputFacets?.outputStatistics?.size),
      hasOutputStatistics: d?.outputFacets?.outputStatistics !== undefined,
      statisticsInDatasetFacets: d?.facets?.outputStatistics !== undefined,
    })),
    inputs: (e?.inputs ?? []).map((/** @type {any} */ d) => ({
      dataset: datasetKey(d),
      rowCount: num(d?.inputFacets?.dataQualityMetrics?.rowCount ?? d?.inputFacets?.inputStatistics?.rowCount),
      hasDataQualityMetrics: d?.inputFacets?.dataQualityMetrics !== undefined,
      hasInputStatistics: d?.inputFacets?.inputStatistics !== undefined,
    })),
  };
}
