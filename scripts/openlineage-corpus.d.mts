/** Types of scripts/openlineage-corpus.mjs, for TypeScript tests that import it. */

/** A facet-level or envelope-level verdict of the spec's JSON Schema. */
export interface SpecVerdict {
  valid: boolean;
  /** First violation: where and what. */
  reason?: string;
  kind: 'RunEvent' | 'DatasetEvent' | 'JobEvent';
  facetsChecked: string[];
  /** Set when invalid: true if only a format assertion (uuid, date-time, uri) fails. */
  formatOnly?: boolean;
}

/** A validator built from the spec folder of the corpus. */
export interface SpecValidator {
  specId: string;
  facetNames: string[];
  validate(event: unknown): SpecVerdict;
}

/** What a consumer must make of an event, from the OpenLineage spec alone. */
export interface Expectations {
  kind: string;
  eventType: string | null;
  isRunEnd: boolean;
  failed: boolean;
  job: { namespace: string; name: string } | null;
  runId: string | null;
  parentJob: { namespace: string; name: string; runId: string | null } | null;
  producer: string | null;
  errorMessage: { firstLine: string; programmingLanguage: string | null; hasStackTrace: boolean } | null;
  failedAssertions: { dataset: string; assertion: string; column: string | null }[];
  assertionCount: number;
  columnLineage: Record<string, Record<string, string[]>> | null;
  outputs: {
    dataset: string;
    rowCount: number | null;
    size: number | null;
    hasOutputStatistics: boolean;
    statisticsInDatasetFacets: boolean;
  }[];
  inputs: { dataset: string; rowCount: number | null; hasDataQualityMetrics: boolean; hasInputStatistics: boolean }[];
}

/** One corpus event as listed in corpus.json and the manifest. */
export interface CorpusRecord {
  id: string;
  file: string;
  integration: string;
  kind: string;
  eventType: string | null;
  job: { namespace: string; name: string } | null;
  runId: string | null;
  parentJob: { namespace: string; name: string; runId: string | null } | null;
  producer: string | null;
  expect: Omit<Expectations, 'kind' | 'eventType' | 'job' | 'runId' | 'parentJob' | 'producer'>;
  spec: SpecVerdict;
  source: { registry: string; package: string; path: string; index: number };
  repository: { repository: string; path: string; commit: string };
  origin: 'verbatim' | 'rendered-template';
  rendering: {
    renderedValues: number;
    renderedStatistics: string[];
    filledFields: string[];
    facetHeadersFilled: number;
    removedNulls: string[];
    unrendered: string[];
  } | null;
}

/** A generated spec-violating event. */
export interface Mutant {
  id: string;
  baseId: string;
  mutation: string;
  field: string;
  violation: string;
  schemaRejects: boolean;
  schemaReason: string | null;
  event: Record<string, unknown>;
}

/** A generated spec-valid variant: a real event whose first passing data-quality assertion was made to fail. */
export interface Variant {
  id: string;
  baseId: string;
  change: string;
  failedAssertion: { dataset: string; assertion: string; column: string | null };
  event: Record<string, unknown>;
}

export interface CorpusIndex {
  corpusVersion: string;
  spec: { id: string; facets: string[]; source: Record<string, unknown> };
  sources: Record<string, unknown>[];
  skipped: { source: string; path: string; reason: string }[];
  records: CorpusRecord[];
  mutants: Omit<Mutant, 'event'>[];
  variants: Omit<Variant, 'event'>[];
}

export interface Corpus {
  dir: string;
  index: CorpusIndex;
  events(): (CorpusRecord & { event: Record<string, unknown> })[];
  mutants(): Mutant[];
  variants(): Variant[];
}

export interface Manifest {
  corpusVersion: string;
  counts: Record<string, unknown>;
  events: Omit<CorpusRecord, 'file'>[];
  mutants: Omit<Mutant, 'event'>[];
  variants: Omit<Variant, 'event'>[];
  [key: string]: unknown;
}

export const CORPUS_VERSION: string;
export const MANIFEST_PATH: string;
export const SOURCES: readonly { id: string; registry: string; name: string; version: string; sha256: string }[];
export const MUTATIONS: readonly { name: string; field: string; violation: string; schemaRejects: boolean }[];
export function cacheRoot(): string;
export function corpusDir(root?: string): string;
export function buildCorpus(opts?: { root?: string; force?: boolean; log?: (line: string) => void }): Corpus;
export function readCorpus(dir: string): Corpus;
export function manifestOf(index: CorpusIndex): Manifest;
export function manifestText(manifest: Manifest): string;
export function loadSpecValidator(specDir: string): SpecValidator;
export function expectationsOf(event: unknown, kind: string): Expectations;
export function uuid5(name: string): string;
export function parsePythonStringList(src: string): string[];
export function renderTemplates(
  templates: unknown[],
  opts: { file: string; fileIndex: number; producer: string },
): {
  event: Record<string, unknown>;
  rendered: string[];
  filled: string[];
  facetHeadersFilled: number;
  removed: string[];
  unrendered: string[];
}[];
