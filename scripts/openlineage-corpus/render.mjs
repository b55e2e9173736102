/**
 * Turns the Airflow provider's expected-event templates into concrete events.
 *
 * The provider's system tests compare the events Airflow really emitted with these files: a value is either literal
 * or a Jinja test such as `{{ is_uuid(result) }}`, and the comparison is a subset match, so fields the test does not
 * care about (often eventTime, producer, schemaURL, run.runId) are left out. Rendering replaces each Jinja test with a
 * deterministic value that passes it and fills the fields the spec requires that the template left out; both are
 * recorded per event so an evaluation can tell what came from the template and what was filled in.
 */
import { createHash } from 'node:crypto';

/** Namespace of the name-based (v5) UUIDs given to templated run ids. */
const UUID_NAMESPACE = '6f1d0c2e-5b1a-4c55-9a43-0d9e3c2b7a10';
/** First eventTime of the first rendered file; each file gets its own hour, each event its own second. */
const BASE_TIME_MS = Date.parse('2025-06-02T08:00:00.000Z');

/** A version-5 (SHA-1, name-based) UUID of name. */
export function uuid5(/** @type {string} */ name) {
  const ns = Buffer.from(UUID_NAMESPACE.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * Parses the Python string literals of a list literal such as `['a', "b'c"]`.
 * @param {string} src
 * @returns {string[]}
 */
export function parsePythonStringList(src) {
  /** @type {string[]} */
  const out = [];
  let i = src.indexOf('[') + 1;
  while (i < src.length) {
    const q = src[i];
    if (q === "'" || q === '"') {
      let s = '';
      i++;
      while (i < src.length && src[i] !== q) {
        if (src[i] === '\\' && i + 1 < src.length) {
          s += src[i + 1];
          i += 2;
        } else s += src[i++];
      }
      out.push(s);
    }
    i++;
  }
  return out;
}

/** The string argument of a call such as `result.endswith('x')`, as Python reads it. */
function stringArg(/** @type {string} */ expr) {
  const m = /\(\s*(['"])((?:\\.|(?!\1).)*)\1/s.exec(expr);
  return m ? m[2].replace(/\\(.)/gs, (_, c) => (c === 'n' ? '\n' : c)) : undefined;
}

/**
 * A string the (Python) regular expression matches, for the simple shapes the templates use; undefined otherwise.
 * @param {string} pattern
 * @param {string} key the property the value belongs to
 * @param {{ producer: string }} ctx
 */
function sampleForRegex(pattern, key, ctx) {
  if (key === 'producer' || key === '_producer') return ctx.producer;
  const sample = pattern
    .replace(/^\^/, '')
    .replace(/\$$/, '')
    .replace(/\/OpenLineage\.json/g, '/OPENLINEAGE_JSON')
    .replace(/\[\\d-\]\+\\\/OPENLINEAGE_JSON/g, '2-0-2/OpenLineage.json')
    .replace(/\[\\d-\]\+\/OPENLINEAGE_JSON/g, '2-0-2/OpenLineage.json')
    .replace(/OPENLINEAGE_JSON/g, 'OpenLineage.json')
    .replace(/\[\\d-\]\+/g, '1-0-0')
    .replace(/\[\\d\]\+/g, '1')
    .replace(/\((\w+)\|[^)]*\)/g, '$1')
    .replace(/http\[s\]\?/g, 'https')
    .replace(/:\\\/\\\/\.\*\\\//g, '://airflow.example/')
    .replace(/\.\*\?/g, 'x')
    .replace(/\.\*/g, '')
    .replace(/\\(.)/g, '$1');
  try {
    return new RegExp(pattern).test(sample) ? sample : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Renders one Jinja test to a value that passes it.
 * @param {string} expr the expression between `{{` and `}}`
 * @param {{ key: string, path: string[], producer: string, time: string, runUuid: (path: string[]) => string }} ctx
 * @returns {{ ok: true, value: unknown } | { ok: false }}
 */
function renderExpression(expr, ctx) {
  const e = expr.trim();
  if (e.startsWith('is_datetime(')) return { ok: true, value: ctx.time };
  if (e.startsWith('is_uuid(')) return { ok: true, value: ctx.runUuid(ctx.path) };
  if (e.startsWith('regex_match(')) {
    const m = /regex_match\(\s*result\s*,\s*"((?:\\.|[^"])*)"\s*\)/.exec(e);
    const value = m ? sampleForRegex(m[1], ctx.key, ctx) : undefined;
    return value === undefined ? { ok: false } : { ok: true, value };
  }
  if (e === 'result is string')
    return { ok: true, value: ctx.key === 'namespace' ? AIRFLOW_NAMESPACE : `rendered-${ctx.key}` };
  if (e === 'result is number') return { ok: true, value: 1 };
  if (e === 'result == true' || e === 'result == true or result == false') return { ok: true, value: true };
  const sorted = /^result(\[1:-1\])?(\.split\((['"]), \3\))? \| sort == (\[.*\])$/s.exec(e);
  if (sorted) {
    const items = parsePythonStringList(sorted[4]);
    if (!sorted[2]) return { ok: true, value: items };
    const joined = items.join(', ');
    return { ok: true, value: sorted[1] ? `[${joined}]` : joined };
  }
  if (/^result\.startswith\(.*\) and result\.endswith\(/s.test(e)) {
    const [head, tail] = e.split(/\) and result\.endswith/);
    return { ok: true, value: `${stringArg(head ?? '') ?? ''}...\n${stringArg(`(${(tail ?? '').slice(1)}`) ?? ''}` };
  }
  const part = /^result\.split\((['"])(.+?)\1\)\[(\d+)\]\.startswith\((['"])(.*?)\4\)$/.exec(e);
  if (part) {
    const parts = Array.from({ length: Number(part[3]) + 2 }, (_, i) => `part${i}`);
    parts[Number(part[3])] = `${part[5]}rendered`;
    return { ok: true, value: parts.join(part[2]) };
  }
  if (e.startsWith('result.endswith(')) return { ok: true, value: `/opt/airflow/${stringArg(e) ?? ''}` };
  if (e.startsWith('result.startswith(')) return { ok: true, value: `${stringArg(e) ?? ''}rendered` };
  const contains = [...e.matchAll(/(['"])((?:\\.|(?!\1).)*)\1 in result/g)].map((m) => m[2]);
  if (contains.length > 0 && /^(['"].*['"] in result( and )?)+$/s.test(e)) {
    return { ok: true, value: `[${contains.map((c) => `'${c}'`).join(', ')}]` };
  }
  return { ok: false };
}

/** Airflow's OpenLineage namespace when none is configured; the templates leave it open. */
const AIRFLOW_NAMESPACE = 'default';

/** Top-level fields the spec requires of a RunEvent that a template may leave out. */
const RUN_EVENT_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';

/**
 * Renders every event of one template file.
 * @param {unknown[]} templates the file's events
 * @param {{ file: string, fileIndex: number, producer: string }} opts
 * @returns {{ event: Record<string, unknown>, rendered: string[], filled: string[], facetHeadersFilled: number,
 *   removed: string[], unrendered: string[] }[]}
 */
export function renderTemplates(templates, opts) {
  return templates.map((template, eventIndex) => {
    const event = /** @type {Record<string, unknown>} */ (structuredClone(template));
    const time = new Date(BASE_TIME_MS + opts.fileIndex * 3_600_000 + eventIndex * 1000).toISOString();
    /** @type {string[]} */ const rendered = [];
    /** @type {string[]} */ const unrendered = [];
    /** @type {string[]} */ const removed = [];
    const job = /** @type {{ namespace?: string, name?: string } | undefined} */ (event.job);
    /** A job's run id in this file; an open or templated namespace is the one rendering gives it. */
    const runUuidOf = (/** @type {{ namespace?: unknown, name?: unknown } | undefined} */ j) => {
      const ns = typeof j?.namespace === 'string' && !j.namespace.includes('{{') ? j.namespace : AIRFLOW_NAMESPACE;
      return uuid5(`${opts.file}|${ns}|${String(j?.name)}`);
    };
    /** The run id of a job is shared by all events of that job in the file, so START and COMPLETE pair up. */
    const runUuid = (/** @type {string[]} */ path) => {
      const at = path.join('.');
      if (at === 'run.runId') return runUuidOf(job);
      const facet = /^run\.facets\.parent\.(root\.)?run\.runId$/.exec(at);
      if (facet) {
        const parent = /** @type {any} */ (event.run)?.facets?.parent;
        return runUuidOf(facet[1] ? parent?.root?.job : parent?.job);
      }
      return uuid5(`${opts.file}|${eventIndex}|${at}`);
    };
    const walk = (/** @type {unknown} */ v, /** @type {string[]} */ path) => {
      if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, String(i)]));
      if (v && typeof v === 'object') {
        const o = /** @type {Record<string, unknown>} */ (v);
        for (const k of Object.keys(o)) {
          // A null in a template means "absent": the Python client drops None values when it serializes an event.
          if (o[k] === null) {
            delete o[k];
            removed.push([...path, k].join('.'));
          } else o[k] = walk(o[k], [...path, k]);
        }
        return o;
      }
      if (typeof v !== 'string' || !v.includes('{{')) return v;
      const m = /^\s*\{\{((?:(?!\}\}).)*)\}\}\s*$/s.exec(v);
      if (!m) {
        // Inline `{{ env_var('NAME', 'default') }}` (Google provider dataset names): the default, as in a bare run.
        const inline = v.replace(
          /\{\{\s*env_var\(\s*(['"])[^'"]*\1\s*,\s*(['"])([^'"]*)\2\s*\)\s*(?:\|\s*replace\(\s*'([^']*)'\s*,\s*'([^']*)'\s*\)\s*)?\}\}/g,
          (
            _m,
            _q1,
            _q2,
            /** @type {string} */ dflt,
            /** @type {string | undefined} */ from,
            /** @type {string} */ to,
          ) => (from === undefined ? dflt : dflt.split(from).join(to)),
        );
        if (inline.includes('{{')) unrendered.push(`${path.join('.')}: ${v.trim()}`);
        else rendered.push(path.join('.'));
        return inline;
      }
      const key = [...path].reverse().find((p) => !/^\d+$/.test(p)) ?? '';
      const r = renderExpression(m[1] ?? '', { key, path, producer: opts.producer, time, runUuid });
      if (!r.ok) {
        unrendered.push(`${path.join('.')}: ${v.trim()}`);
        return v;
      }
      rendered.push(path.join('.'));
      return r.value;
    };
    walk(event, []);
    /** @type {string[]} */ const filled = [];
    const headers = { count: 0 };
    /** Sets a field the template left out, and records it. */
    const fill = (
      /** @type {Record<string, unknown>} */ o,
      /** @type {string} */ k,
      /** @type {unknown} */ v,
      /** @type {string} */ at,
    ) => {
      if (o[k] !== undefined) return;
      o[k] = v;
      filled.push(at);
    };
    if (event.eventType !== undefined || event.run !== undefined) {
      fill(event, 'eventTime', time, 'eventTime');
      fill(event, 'producer', opts.producer, 'producer');
      fill(event, 'schemaURL', RUN_EVENT_SCHEMA_URL, 'schemaURL');
      fill(event, 'run', {}, 'run');
      fill(/** @type {Record<string, unknown>} */ (event.run), 'runId', runUuidOf(job), 'run.runId');
      if (job) fill(job, 'namespace', AIRFLOW_NAMESPACE, 'job.namespace');
      fillFacetHeaders(event, opts.producer, headers);
    }
    return { event: orderKeys(event), rendered, filled, facetHeadersFilled: headers.count, removed, unrendered };
  });
}

/** Where facets sit, and the core definition a facet there extends (its `_schemaURL` when the template has none). */
const FACET_PLACES = [
  ['run.facets', 'RunFacet'],
  ['job.facets', 'JobFacet'],
  ['inputs.*.facets', 'DatasetFacet'],
  ['inputs.*.inputFacets', 'InputDatasetFacet'],
  ['outputs.*.facets', 'DatasetFacet'],
  ['outputs.*.outputFacets', 'OutputDatasetFacet'],
];

/**
 * Gives every facet the `_producer` and `_schemaURL` the OpenLineage Python client always writes (the templates leave
 * them out of most facets because the subset match does not look at them).
 * @param {Record<string, any>} event
 * @param {string} producer
 * @param {{ count: number }} headers counts the headers filled in
 */
function fillFacetHeaders(event, producer, headers) {
  for (const [place, definition] of FACET_PLACES) {
    const [head = '', star = '', tail = ''] = place.split('.');
    /** @type {unknown[]} */
    const holders =
      star === '*'
        ? (Array.isArray(event[head]) ? event[head] : []).map((/** @type {any} */ d) => d?.[tail])
        : [event[head]?.[star]];
    for (const facets of holders) {
      if (!facets || typeof facets !== 'object') continue;
      for (const facet of Object.values(facets)) {
        if (!facet || typeof facet !== 'object' || Array.isArray(facet)) continue;
        if (facet._producer === undefined) {
          facet._producer = producer;
          headers.count++;
        }
        if (facet._schemaURL === undefined) {
          facet._schemaURL = `https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/${definition}`;
          headers.count++;
        }
      }
    }
  }
}

/** The event with its top-level keys in the order OpenLineage clients write them (for readable files). */
function orderKeys(/** @type {Record<string, unknown>} */ event) {
  const order = ['eventType', 'eventTime', 'producer', 'schemaURL', 'run', 'job', 'inputs', 'outputs'];
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const k of order) if (k in event) out[k] = event[k];
  for (const k of Object.keys(event)) if (!(k in out)) out[k] = event[k];
  return out;
}
