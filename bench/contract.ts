// Benchmark of the report contract's hot path (src/contract): validation of every incoming report,
// JSON parsing, the schema fingerprint and the Avro form.
//
// Work (each row runs ITERATIONS times, REPEATS times; the table shows the best and the median):
//   - validateReport on already-parsed reports: the contract example (2 columns, sample of 10),
//     the same with a sketch, the minimal report, a wide report (50 columns of which 10 have a
//     10,000-value sample, a 50-field schema with its fingerprint), and an invalid report with 13 errors;
//   - parseReport (JSON.parse + validation) of the contract example's text;
//   - schemaFingerprint of the contract example's schema and of a 50-field schema;
//   - Avro encode and decode of the contract example.
// The target is > 20,000 small reports/s on one core.
//
// Run: npx tsx bench/contract.ts        (writes bench/results/contract.md)
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem, type as osType } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  decodeReportAvro,
  encodeReportAvro,
  parseReport,
  schemaFingerprint,
  validateReport,
  type ColumnProfile,
  type Report,
  type Schema,
} from '../src/contract/index.js';

const ITERATIONS = 20_000;
const REPEATS = 5;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const vectors = join(ROOT, 'test', 'vectors', 'reports');
const text = (sub: string, name: string): string => readFileSync(join(vectors, sub, `${name}.json`), 'utf8');
const report = (sub: string, name: string): Report => JSON.parse(text(sub, name)) as Report;

function wideReport(): Report {
  const schema: Schema = Array.from({ length: 50 }, (_, i) => ({
    name: `col_${i}`,
    type: i % 2 === 0 ? 'double' : 'string',
    nullable: true,
  }));
  const columns: Record<string, ColumnProfile> = {};
  schema.forEach((f, i) => {
    columns[f.name] =
      f.type === 'double'
        ? {
            kind: 'numeric',
            count: 100_000,
            null_count: 17,
            min: -5,
            max: 5,
            mean: 0.1,
            ...(i % 10 === 0 ? { sample: Array.from({ length: 10_000 }, (_, j) => Math.sin(j)) } : {}),
          }
        : {
            kind: 'categorical',
            count: 100_000,
            null_count: 3,
            frequent: { a: 50_000, b: 30_000 },
            other_count: 19_997,
            distinct_estimate: 40,
          };
  });
  const base = report('valid', 'minimal');
  return {
    ...base,
    outputs: [
      {
        dataset: 'wide',
        profile: { row_count: 100_000, schema, schema_fingerprint: schemaFingerprint(schema), columns },
      },
    ],
  };
}

type Timing = [best: number, median: number];

function measure(fn: () => void, iterations: number): Timing {
  const times: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) fn();
    times.push((performance.now() - t0) / 1000 / iterations);
  }
  times.sort((a, b) => a - b);
  return [times[0] ?? NaN, times[Math.floor(times.length / 2)] ?? NaN];
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`benchmark input is wrong: ${what}`);
}

const example = report('valid', 'contract-example');
const exampleText = text('valid', 'contract-example');
const sketch = report('valid', 'contract-example-sketch');
const minimal = report('valid', 'minimal');
const wide = wideReport();
const invalid = report('invalid', 'everything-wrong');
const exampleSchema = example.outputs?.[0]?.profile?.schema ?? [];
const wideSchema = wide.outputs?.[0]?.profile?.schema ?? [];
const avroBytes = encodeReportAvro(example);
check(
  validateReport(example).ok && validateReport(sketch).ok && validateReport(minimal).ok && validateReport(wide).ok,
  'valid reports',
);
check(!validateReport(invalid).ok, 'invalid report');

const rows: [string, () => void, number][] = [
  ['validateReport: contract example (parsed)', () => validateReport(example), ITERATIONS],
  ['validateReport: contract example with a sketch', () => validateReport(sketch), ITERATIONS],
  ['validateReport: minimal report', () => validateReport(minimal), ITERATIONS],
  ['validateReport: wide (50 columns, 10 samples of 10,000)', () => validateReport(wide), ITERATIONS / 20],
  ['validateReport: invalid, 13 errors', () => validateReport(invalid), ITERATIONS],
  ['parseReport: contract example text (JSON.parse + validate)', () => parseReport(exampleText), ITERATIONS],
  ['schemaFingerprint: 2 fields', () => schemaFingerprint(exampleSchema), ITERATIONS],
  ['schemaFingerprint: 50 fields', () => schemaFingerprint(wideSchema), ITERATIONS],
  ['encodeReportAvro: contract example', () => encodeReportAvro(example), ITERATIONS],
  ['decodeReportAvro: contract example', () => decodeReportAvro(avroBytes), ITERATIONS],
];

// Warm up: compile the validator and the Avro type, let the JIT settle.
for (const [, fn] of rows) for (let i = 0; i < 2_000; i++) fn();

const results = rows.map(([name, fn, n]) => {
  const [best, median] = measure(fn, n);
  return `| ${name} | ${(best * 1e6).toFixed(2)} µs / ${(median * 1e6).toFixed(2)} µs | ${Math.round(1 / best).toLocaleString('en-US')} /s |`;
});

const cpu = cpus();
const md = [
  '# Report contract benchmark',
  '',
  `Produced by \`npx tsx bench/contract.ts\` on ${new Date().toISOString().slice(0, 10)}.`,
  '',
  '## Machine',
  '',
  `- CPU: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} cores (shared; other work may run beside the benchmark)`,
  `- Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB; OS: ${osType()} ${release()}`,
  `- Node.js ${process.version}, one thread`,
  '',
  '## Parameters',
  '',
  `- ${ITERATIONS.toLocaleString('en-US')} calls per measurement (${(ITERATIONS / 20).toLocaleString('en-US')} for the wide report), ${REPEATS} repeats, after a warm-up`,
  `- contract example: ${exampleText.length} bytes of JSON, 2 profiles with schemas (2 fingerprints checked), 3 columns; Avro form ${avroBytes.length} bytes`,
  `- wide report: ${JSON.stringify(wide).length.toLocaleString('en-US')} bytes of JSON`,
  '- times are per call, best / median; rates from the best',
  '',
  '## Results',
  '',
  '| work | time per call | rate |',
  '|---|---|---|',
  ...results,
  '',
  'The target is more than 20,000 small reports per second: the `validateReport` and `parseReport` rows for',
  'the contract example. Validation compiles the JSON Schema once (first call, a few milliseconds); the',
  'semantic checks recompute every schema fingerprint (SHA-256 of the canonical form) on each call.',
  '',
].join('\n');

writeFileSync(join(ROOT, 'bench', 'results', 'contract.md'), md);
console.log(md);
