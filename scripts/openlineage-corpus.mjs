#!/usr/bin/env node
/**
 * Builds the OpenLineage evaluation corpus from pinned registry archives (see scripts/openlineage-corpus/sources.mjs
 * and test/fixtures/openlineage/README.md) into the cache, validates every event against the spec's JSON Schema and
 * derives what a consumer must make of it.
 *
 *   node scripts/openlineage-corpus.mjs             build (once; later runs read the cache) and print a summary
 *   node scripts/openlineage-corpus.mjs --manifest  also write test/fixtures/openlineage/manifest.json
 *   node scripts/openlineage-corpus.mjs --check     fail if the built corpus differs from the committed manifest
 *   node scripts/openlineage-corpus.mjs --force     rebuild even if the cache is complete
 *
 * Cache: ROOTLINE_CACHE_DIR (default ~/.cache/rootline), subfolder openlineage-corpus/<CORPUS_VERSION>; it holds
 * events/*.json, events.jsonl (one event per line, for `rootline replay`), mutants.jsonl, spec/ and corpus.json.
 * Tests import buildCorpus() and read corpus.json's records, which carry the same expectations as the manifest.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectationsOf } from './openlineage-corpus/expect.mjs';
import { extractArchive, fetchArchive } from './openlineage-corpus/fetch.mjs';
import { makeAssertionFailures, makeMutants, pickBases } from './openlineage-corpus/mutations.mjs';
import { renderTemplates } from './openlineage-corpus/render.mjs';
import { CORPUS_VERSION, SOURCES } from './openlineage-corpus/sources.mjs';
import { loadSpecValidator } from './openlineage-corpus/spec.mjs';

export { expectationsOf } from './openlineage-corpus/expect.mjs';
export { MUTATIONS } from './openlineage-corpus/mutations.mjs';
export { parsePythonStringList, renderTemplates, uuid5 } from './openlineage-corpus/render.mjs';
export { CORPUS_VERSION, SOURCES } from './openlineage-corpus/sources.mjs';
export { loadSpecValidator } from './openlineage-corpus/spec.mjs';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the committed manifest lives. */
export const MANIFEST_PATH = join(REPO_ROOT, 'test', 'fixtures', 'openlineage', 'manifest.json');

/** The cache root: ROOTLINE_CACHE_DIR, else $XDG_CACHE_HOME/rootline, else ~/.cache/rootline. */
export function cacheRoot() {
  return process.env.ROOTLINE_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'rootline');
}

/** Folder of this corpus version in the cache. */
export function corpusDir(root = cacheRoot()) {
  return join(root, 'openlineage-corpus', CORPUS_VERSION);
}

/**
 * Digest of the code that builds the corpus: a cache built by other code (an edited renderer, a new pin) is rebuilt
 * even when CORPUS_VERSION was not bumped.
 */
function codeHash() {
  const here = dirname(fileURLToPath(import.meta.url));
  const files = [
    fileURLToPath(import.meta.url),
    ...readdirSync(join(here, 'openlineage-corpus'))
      .sort()
      .map((f) => join(here, 'openlineage-corpus', f)),
  ];
  const h = createHash('sha256');
  for (const f of files) h.update(readFileSync(f));
  return h.digest('hex');
}

/** What an archive file is: an OpenLineage event or something else (a facet fragment). */
function isEvent(/** @type {unknown} */ v) {
  return !!v && typeof v === 'object' && ['eventType', 'run', 'job', 'dataset'].some((k) => k in v);
}

/** Safe file name for an event id. */
const fileNameOf = (/** @type {string} */ id) => `${id.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`;

/**
 * @param {import('./openlineage-corpus/sources.mjs').CorpusSource} source
 * @param {string} rawDir
 * @param {string} downloadsDir
 */
function collect(source, rawDir, downloadsDir) {
  const archive = fetchArchive(source, downloadsDir);
  return extractArchive(source, archive, rawDir);
}

/**
 * Builds the corpus (or reads the cached one) and returns its index.
 * @param {{ root?: string, force?: boolean, log?: (line: string) => void }} [opts]
 */
export function buildCorpus(opts = {}) {
  const target = corpusDir(opts.root);
  const log = opts.log ?? (() => {});
  const code = codeHash();
  const isCurrent = () => {
    const stamp = join(target, '.complete');
    return existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === code;
  };
  if (!opts.force && isCurrent()) return readCorpus(target);
  // Built beside the target and renamed into place, so a concurrent build or reader never sees half a corpus.
  const dir = `${target}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(join(dir, 'events'), { recursive: true });
  try {
    buildInto(dir, log);
    writeFileSync(join(dir, '.complete'), `${code}\n`);
    rmSync(target, { recursive: true, force: true });
    renameSync(dir, target);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    if (!isCurrent()) throw err;
  }
  return readCorpus(target);
}

/**
 * Downloads, extracts, renders, validates and writes the corpus files into dir.
 * @param {string} dir
 * @param {(line: string) => void} log
 */
function buildInto(dir, log) {
  const downloadsDir = join(dirname(dir), 'downloads');
  const rawDir = join(dir, 'raw');

  const specSource = SOURCES.find((s) => s.kind === 'spec');
  if (!specSource) throw new Error('no spec source');
  log(`spec: ${specSource.name}@${specSource.version} (${specSource.registry})`);
  for (const f of collect(specSource, rawDir, downloadsDir)) {
    const rel = f.path.replace(/^tests\/schemas\/openlineage\//, '');
    mkdirSync(dirname(join(dir, 'spec', rel)), { recursive: true });
    copyFileSync(f.file, join(dir, 'spec', rel));
  }
  const validator = loadSpecValidator(join(dir, 'spec'));

  /** @type {any[]} */
  const records = [];
  /** @type {{ source: string, path: string, reason: string }[]} */
  const skipped = [];
  for (const source of SOURCES.filter((s) => s.kind !== 'spec')) {
    log(`events: ${source.name}@${source.version} (${source.registry})`);
    const files = collect(source, rawDir, downloadsDir);
    files.forEach((f, fileIndex) => {
      const parsed = JSON.parse(readFileSync(f.file, 'utf8'));
      const list = Array.isArray(parsed) ? parsed : [parsed];
      const rendered =
        source.kind === 'templates'
          ? renderTemplates(list, {
              file: f.path,
              fileIndex,
              producer: source.producer ?? '',
            })
          : list.map((event) => ({
              event,
              rendered: [],
              filled: [],
              facetHeadersFilled: 0,
              removed: [],
              unrendered: [],
            }));
      rendered.forEach((r, index) => {
        const absent = /** @type {any} */ (list[index])?.$absent;
        if (typeof absent === 'string') {
          // The provider's test asserts that this event is NOT emitted: it is no event at all.
          skipped.push({
            source: source.id,
            path: `${f.path}#${index}`,
            reason: `template of an absent event: ${absent}`,
          });
          return;
        }
        if (!isEvent(r.event)) {
          skipped.push({ source: source.id, path: f.path, reason: 'not an event: no eventType, run, job or dataset' });
          return;
        }
        const id = `${source.id}:${basename(f.path, '.json')}#${index}`;
        const spec = validator.validate(r.event);
        const file = join('events', fileNameOf(id));
        writeFileSync(join(dir, file), `${JSON.stringify(r.event, null, 2)}\n`);
        const { kind, eventType, job, runId, parentJob, producer, ...expect } = expectationsOf(r.event, spec.kind);
        records.push({
          id,
          file,
          integration: source.integration,
          kind,
          eventType,
          job,
          runId,
          parentJob,
          producer,
          expect,
          spec,
          source: {
            registry: source.registry,
            package: `${source.name}@${source.version}`,
            path: `${source.root}/${f.path}`,
            index,
          },
          repository: {
            repository: source.repository,
            path: source.repositoryPath(f.path),
            commit: source.commit(f.path),
          },
          origin: source.kind === 'templates' ? 'rendered-template' : 'verbatim',
          rendering:
            source.kind === 'templates'
              ? {
                  renderedValues: r.rendered.length,
                  // Statistics that were only "a number" in the template: their value (1) is a placeholder.
                  renderedStatistics: r.rendered.filter((p) => /Statistics\.(rowCount|size|fileCount)$/.test(p)),
                  filledFields: r.filled,
                  facetHeadersFilled: r.facetHeadersFilled,
                  removedNulls: r.removed,
                  unrendered: r.unrendered,
                }
              : null,
          event: r.event,
        });
      });
    });
  }
  const mutants = makeMutants(pickBases(records), validator);
  writeFileSync(join(dir, 'events.jsonl'), records.map((r) => `${JSON.stringify(r.event)}\n`).join(''));
  writeFileSync(join(dir, 'mutants.jsonl'), mutants.map((m) => `${JSON.stringify(m)}\n`).join(''));
  const variants = makeAssertionFailures(records, validator);
  writeFileSync(join(dir, 'variants.jsonl'), variants.map((v) => `${JSON.stringify(v)}\n`).join(''));
  const index = {
    corpusVersion: CORPUS_VERSION,
    spec: { id: validator.specId, facets: validator.facetNames, source: describeSource(specSource) },
    sources: SOURCES.map(describeSource),
    skipped,
    records: records.map(({ event: _event, ...rest }) => rest),
    mutants: mutants.map(({ event: _event, ...rest }) => ({ ...rest, file: 'mutants.jsonl' })),
    variants: variants.map(({ event: _event, ...rest }) => ({ ...rest, file: 'variants.jsonl' })),
  };
  writeFileSync(join(dir, 'corpus.json'), `${JSON.stringify(index, null, 2)}\n`);
  // The extracted archives are only needed while building; the pinned archives stay in downloads/.
  rmSync(rawDir, { recursive: true, force: true });
}

/** @param {import('./openlineage-corpus/sources.mjs').CorpusSource} s */
function describeSource(s) {
  return {
    id: s.id,
    registry: s.registry,
    package: `${s.name}@${s.version}`,
    archive: s.archive,
    sha256: s.sha256,
    kind: s.kind,
    integration: s.integration,
    repository: s.repository,
    provenance: s.note,
  };
}

/**
 * Reads a built corpus: its index plus loaders for the events and the mutants.
 * @param {string} dir
 */
export function readCorpus(dir) {
  const index = JSON.parse(readFileSync(join(dir, 'corpus.json'), 'utf8'));
  return {
    dir,
    index,
    /** Every corpus event, in manifest order, with its record. */
    events: () =>
      index.records.map((/** @type {any} */ r) => ({
        ...r,
        event: JSON.parse(readFileSync(join(dir, r.file), 'utf8')),
      })),
    /** Every generated spec-violating event. */
    mutants: () => readJsonLines(join(dir, 'mutants.jsonl')),
    /** Every generated spec-valid variant (failed data-quality assertions). */
    variants: () => readJsonLines(join(dir, 'variants.jsonl')),
  };
}

/** The objects of a JSON-lines file. */
function readJsonLines(/** @type {string} */ path) {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

/** Counts per integration and event type, for the summary and the manifest. */
function countsOf(/** @type {any[]} */ records) {
  /** @type {Record<string, Record<string, number>>} */
  const byIntegration = {};
  for (const r of records) {
    const t = r.eventType ?? r.kind;
    byIntegration[r.integration] ??= {};
    const c = byIntegration[r.integration];
    c[t] = (c[t] ?? 0) + 1;
  }
  const ends = records.filter((r) => r.expect.isRunEnd);
  return {
    events: records.length,
    specValid: records.filter((r) => r.spec.valid).length,
    specValidIgnoringFormats: records.filter((r) => r.spec.valid || r.spec.formatOnly).length,
    runEnds: ends.length,
    runEndsSpecValid: ends.filter((r) => r.spec.valid).length,
    fail: records.filter((r) => r.expect.failed).length,
    withErrorMessage: records.filter((r) => r.expect.errorMessage).length,
    withFailedAssertions: records.filter((r) => r.expect.failedAssertions.length > 0).length,
    withColumnLineage: records.filter((r) => r.expect.columnLineage).length,
    withOutputRowCount: records.filter((r) => r.expect.outputs.some((/** @type {any} */ o) => o.rowCount !== null))
      .length,
    byIntegration,
  };
}

/** The manifest: the corpus index without cache paths, plus counts. */
export function manifestOf(/** @type {any} */ index) {
  return {
    description:
      'OpenLineage evaluation corpus: events from pinned registry archives; expectations derived from the ' +
      'OpenLineage spec only. Built by scripts/openlineage-corpus.mjs; see README.md beside this file.',
    corpusVersion: index.corpusVersion,
    spec: index.spec,
    sources: index.sources,
    counts: countsOf(index.records),
    skipped: index.skipped,
    events: index.records.map(({ file: _file, ...r }) => r),
    mutants: index.mutants.map(({ file: _file, ...m }) => m),
    variants: index.variants.map(({ file: _file, ...v }) => v),
  };
}

/** The manifest as text: readable header, then one line per event and per mutant so diffs stay small. */
export function manifestText(/** @type {ReturnType<typeof manifestOf>} */ manifest) {
  const { events, mutants, variants, ...head } = manifest;
  const lines = (/** @type {unknown[]} */ xs) => xs.map((x) => `    ${JSON.stringify(x)}`).join(',\n');
  const top = JSON.stringify(head, null, 2).replace(/\n}$/, '');
  return (
    `${top},\n  "events": [\n${lines(events)}\n  ],\n  "mutants": [\n${lines(mutants)}\n  ],\n` +
    `  "variants": [\n${lines(variants)}\n  ]\n}\n`
  );
}

function main() {
  const args = new Set(process.argv.slice(2));
  const corpus = buildCorpus({ force: args.has('--force'), log: (l) => console.error(`openlineage-corpus: ${l}`) });
  const manifest = manifestOf(corpus.index);
  const c = manifest.counts;
  console.log(`corpus ${CORPUS_VERSION} at ${corpus.dir}`);
  console.log(
    `${c.events} events (${c.specValid} spec-valid), ${c.runEnds} COMPLETE/FAIL/ABORT (${c.fail} FAIL, ` +
      `${c.withErrorMessage} with errorMessage), ${manifest.mutants.length} mutants, ` +
      `${manifest.variants.length} assertion-failure variants`,
  );
  for (const [integration, byType] of Object.entries(c.byIntegration)) {
    console.log(`  ${integration}: ${JSON.stringify(byType)}`);
  }
  const text = manifestText(manifest);
  if (args.has('--manifest')) {
    writeFileSync(MANIFEST_PATH, text);
    console.log(`wrote ${MANIFEST_PATH}`);
  }
  if (args.has('--check')) {
    const committed = existsSync(MANIFEST_PATH) ? readFileSync(MANIFEST_PATH, 'utf8') : '';
    if (committed !== text) {
      console.error(`the built corpus differs from ${MANIFEST_PATH}; rebuild it with --manifest and review the diff`);
      process.exitCode = 1;
    } else console.log('manifest matches the built corpus');
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
