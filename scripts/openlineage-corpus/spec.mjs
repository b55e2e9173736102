/**
 * Validates OpenLineage events against the spec's JSON Schema (draft 2020-12) with ajv.
 *
 * The core schema (OpenLineage.json) checks the envelope; it leaves facet bodies open, so every facet that has a
 * schema in the spec folder is also checked against that facet schema. Formats (uuid, date-time, uri) are enforced,
 * since a non-UUID runId or a bad eventTime is exactly what a receiver must refuse.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020Module from 'ajv/dist/2020.js';

const Ajv2020 = /** @type {typeof import('ajv/dist/2020.js').default} */ (
  /** @type {any} */ (Ajv2020Module).default ?? Ajv2020Module
);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$/;
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S*$/;

/** Where facets sit in an event, and which kind of facet each place holds. */
const FACET_PLACES = [
  { place: 'run.facets', get: (/** @type {any} */ e) => [e.run?.facets] },
  { place: 'job.facets', get: (/** @type {any} */ e) => [e.job?.facets] },
  { place: 'dataset.facets', get: (/** @type {any} */ e) => [e.dataset?.facets] },
  {
    place: 'inputs[].facets',
    get: (/** @type {any} */ e) => (e.inputs ?? []).map((/** @type {any} */ d) => d?.facets),
  },
  {
    place: 'inputs[].inputFacets',
    get: (/** @type {any} */ e) => (e.inputs ?? []).map((/** @type {any} */ d) => d?.inputFacets),
  },
  {
    place: 'outputs[].facets',
    get: (/** @type {any} */ e) => (e.outputs ?? []).map((/** @type {any} */ d) => d?.facets),
  },
  {
    place: 'outputs[].outputFacets',
    get: (/** @type {any} */ e) => (e.outputs ?? []).map((/** @type {any} */ d) => d?.outputFacets),
  },
];

/**
 * @typedef {object} SpecVerdict
 * @property {boolean} valid
 * @property {string} [reason] first violation: JSON pointer, what is wrong
 * @property {'RunEvent' | 'DatasetEvent' | 'JobEvent'} kind which event definition the event was checked against
 * @property {string[]} facetsChecked facet names that were checked against their own schema
 * @property {boolean} [formatOnly] set when invalid: true if only a format assertion fails
 */

/**
 * Loads the spec folder (OpenLineage.json and facets/*.json) and returns a validator that asserts formats.
 * @param {string} specDir
 */
export function loadSpecValidator(specDir) {
  const strict = compileSpec(specDir, true);
  const lax = compileSpec(specDir, false);
  return {
    ...strict,
    /**
     * Checks one event; formatOnly says the event fails only on a format (uuid, date-time, uri), which draft 2020-12
     * treats as an annotation unless a validator opts in.
     * @param {unknown} event
     * @returns {SpecVerdict}
     */
    validate(event) {
      const verdict = strict.validate(event);
      return verdict.valid ? verdict : { ...verdict, formatOnly: lax.validate(event).valid };
    },
  };
}

/**
 * @param {string} specDir
 * @param {boolean} validateFormats
 */
function compileSpec(specDir, validateFormats) {
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats });
  ajv.addFormat('uuid', UUID);
  ajv.addFormat('date-time', { validate: (s) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)) });
  ajv.addFormat('uri', URI);
  const core = JSON.parse(readFileSync(join(specDir, 'OpenLineage.json'), 'utf8'));
  ajv.addSchema(core);
  const coreId = /** @type {string} */ (core.$id);
  /** @type {Map<string, import('ajv').ValidateFunction>} */
  const facetValidators = new Map();
  for (const name of readdirSync(join(specDir, 'facets')).sort()) {
    const schema = JSON.parse(readFileSync(join(specDir, 'facets', name), 'utf8'));
    const validate = ajv.compile(schema);
    for (const facetName of Object.keys(schema.properties ?? {})) facetValidators.set(facetName, validate);
  }
  const eventValidators = {
    RunEvent: ajv.compile({ $ref: `${coreId}#/$defs/RunEvent` }),
    DatasetEvent: ajv.compile({ $ref: `${coreId}#/$defs/DatasetEvent` }),
    JobEvent: ajv.compile({ $ref: `${coreId}#/$defs/JobEvent` }),
  };
  const describe = (/** @type {import('ajv').ErrorObject[] | null | undefined} */ errors, /** @type {string} */ at) => {
    const err = errors?.[0];
    if (!err) return `${at} is invalid`;
    const extra =
      err.keyword === 'enum'
        ? ` (${JSON.stringify(err.params.allowedValues)})`
        : err.keyword === 'format'
          ? ` (${JSON.stringify(err.params.format)})`
          : '';
    return `${at}${err.instancePath || ''}: ${err.message ?? err.keyword}${extra}`;
  };
  return {
    /** Schema `$id` of the core spec the validator was built from. */
    specId: coreId,
    /** Facet names with a schema of their own. */
    facetNames: [...facetValidators.keys()].sort(),
    /**
     * Checks one event.
     * @param {unknown} event
     * @returns {SpecVerdict}
     */
    validate(event) {
      const e = /** @type {any} */ (event);
      /** @type {SpecVerdict['kind']} */
      const kind =
        e && typeof e === 'object' && !('run' in e) && !('eventType' in e)
          ? 'dataset' in e
            ? 'DatasetEvent'
            : 'JobEvent'
          : 'RunEvent';
      const v = eventValidators[kind];
      if (!v(event)) return { valid: false, reason: describe(v.errors, kind), kind, facetsChecked: [] };
      /** @type {string[]} */
      const facetsChecked = [];
      for (const { place, get } of FACET_PLACES) {
        for (const facets of get(e)) {
          if (!facets || typeof facets !== 'object') continue;
          for (const [name, facet] of Object.entries(facets)) {
            const fv = facetValidators.get(name);
            if (!fv) continue;
            facetsChecked.push(name);
            if (!fv({ [name]: facet })) {
              return { valid: false, reason: describe(fv.errors, `${place}`), kind, facetsChecked };
            }
          }
        }
      }
      return { valid: true, kind, facetsChecked: [...new Set(facetsChecked)].sort() };
    },
  };
}
