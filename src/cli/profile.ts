import { writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { formatIssues, validateReport } from '../contract/index.js';
import { buildReport, createEmitter, type EmitterOptions } from '../emitter/index.js';
import { RootlineError, errorMessage } from '../errors/index.js';
import { formatFromPath, profileFile, type FileFormat, type FileProgress } from '../profile/index.js';

export const PROFILE_USAGE = `usage: rootline profile FILE [options]

Profiles a CSV, JSON Lines or Parquet file (read once, in bounded memory) into a rootline.report/v1
report, and prints it (or writes it with --out, or sends it with --emit).

  --pipeline P          pipeline name (default: local; required with --emit)
  --node N              node name (default: the file name without extension; required with --emit)
  --dataset D           output dataset name (default: the file path)
  --format F            csv | jsonl | parquet (default: from the extension)
  --delimiter C         CSV field separator (default: , and tab for .tsv)
  --sketch S            kll | sample: distribution of numeric columns (default: kll)
  --k K                 KLL parameter k (default: 200)
  --top-k N             frequent values per categorical column (default: 20)
  --run-id ID           run id (default: the event time)
  --code-version V      code_version of the report
  --data-version V      data_version of the report
  --dataset-version V   the output's version as its storage names it (outputs[0].version: a snapshot id,
                        a commit, a checksum); the profile's content_hash is computed either way
  --no-content-hash     skip the content hash (profile.content_hash)
  --out FILE            write the report JSON there instead of stdout
  --emit kafka|http     send the report instead of printing it
  --brokers B           Kafka bootstrap brokers, comma-separated (or ROOTLINE_KAFKA_BROKERS)
  --topic T             Kafka topic (default: rootline.reports)
  --kafka-format F      json | avro (default: json)
  --registry URL        schema registry URL (for --kafka-format avro)
  --url URL             monitor base URL for --emit http (or ROOTLINE_HTTP_URL)
  --token T             bearer token for --emit http (or ROOTLINE_HTTP_TOKEN)
  --timeout-ms MS       how long --emit tries to deliver (default: 30000)
  --progress            show a progress bar on stderr (default: only when stderr is a terminal)
  --no-progress         never show it

exit codes: 0 done, 1 the report could not be delivered, 2 bad input (arguments, unreadable or malformed file)`;

const VALUE_FLAGS = new Set([
  'pipeline',
  'node',
  'dataset',
  'format',
  'delimiter',
  'sketch',
  'k',
  'top-k',
  'run-id',
  'code-version',
  'data-version',
  'dataset-version',
  'out',
  'emit',
  'brokers',
  'topic',
  'kafka-format',
  'registry',
  'url',
  'token',
  'timeout-ms',
]);
const BOOLEAN_FLAGS = new Set(['progress', 'no-progress', 'no-content-hash', 'help']);

class UsageError extends Error {}

interface Parsed {
  file: string | undefined;
  values: Map<string, string>;
  flags: Set<string>;
}

function parseArgs(args: string[]): Parsed {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-h') {
      flags.add('help');
      continue;
    }
    if (!arg.startsWith('--') || arg === '--') {
      if (file !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(arg)} (one FILE only)`);
      file = arg;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (BOOLEAN_FLAGS.has(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags.add(name);
    } else if (VALUE_FLAGS.has(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      values.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { file, values, flags };
}

function integer(values: Map<string, string>, name: string): number | undefined {
  const v = values.get(name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
}

function oneOf<T extends string>(values: Map<string, string>, name: string, allowed: readonly T[]): T | undefined {
  const v = values.get(name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v))
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/** A progress bar on stderr, redrawn at most every 100 ms: bytes read / total and the rate. */
function progressBar(stream: NodeJS.WriteStream): { update(p: FileProgress): void; done(): void } {
  const started = Date.now();
  let last = 0;
  let drawn = false;
  const draw = (p: FileProgress): void => {
    const fraction = p.totalBytes > 0 ? Math.min(1, p.bytesRead / p.totalBytes) : 1;
    const width = 30;
    const full = Math.round(fraction * width);
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const line = `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(fraction * 100).toFixed(1).padStart(5)}%  ${formatBytes(p.bytesRead)} / ${formatBytes(p.totalBytes)}  ${formatBytes(p.bytesRead / seconds)}/s`;
    stream.write(`\r${line}`);
    drawn = true;
  };
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 100 && p.bytesRead < p.totalBytes) return;
      last = now;
      draw(p);
    },
    done() {
      if (drawn) stream.write('\n');
    },
  };
}

/**
 * `rootline profile FILE [...]`: profiles a file into a report and prints, writes or sends it
 * (see {@link PROFILE_USAGE}). Returns the exit code: 0 done, 1 not delivered, 2 bad input.
 */
export async function profileCommand(args: string[]): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseArgs(args);
  } catch (err: unknown) {
    process.stderr.write(`rootline profile: ${errorMessage(err)}\n\n${PROFILE_USAGE}\n`);
    return 2;
  }
  const { file, values, flags } = parsed;
  if (flags.has('help')) {
    process.stdout.write(`${PROFILE_USAGE}\n`);
    return 0;
  }
  const fail = (message: string, code: number): number => {
    process.stderr.write(`rootline profile: ${message}\n`);
    return code;
  };
  if (file === undefined) return fail(`no FILE given\n\n${PROFILE_USAGE}`, 2);

  let emitterOptions: EmitterOptions | undefined;
  let format: FileFormat | undefined;
  let profileOptions: { sketch?: 'kll' | 'sample'; k?: number; topK?: number };
  let timeoutMs: number;
  try {
    timeoutMs = integer(values, 'timeout-ms') ?? 30_000;
    format = oneOf(values, 'format', ['csv', 'jsonl', 'parquet'] as const) ?? formatFromPath(file);
    if (format === undefined)
      throw new UsageError(`cannot tell the format of ${file} from its extension: give --format csv|jsonl|parquet`);
    const sketch = oneOf(values, 'sketch', ['kll', 'sample'] as const);
    const k = integer(values, 'k');
    const topK = integer(values, 'top-k');
    profileOptions = {
      ...(sketch ? { sketch } : {}),
      ...(k !== undefined ? { k } : {}),
      ...(topK !== undefined ? { topK } : {}),
    };
    const emit = oneOf(values, 'emit', ['kafka', 'http'] as const);
    if (emit !== undefined) {
      if (!values.has('pipeline') || !values.has('node'))
        throw new UsageError(
          '--emit needs --pipeline and --node (a report sent under a made-up name would start a new baseline)',
        );
      if (values.has('out')) throw new UsageError('give either --out or --emit, not both');
      const common = { maxRetries: 5, backoff: { initialMs: 200, maxMs: 5000 }, flushIntervalMs: 0 };
      if (emit === 'kafka') {
        const brokers = values.get('brokers') ?? process.env.ROOTLINE_KAFKA_BROKERS;
        if (brokers === undefined || brokers === '')
          throw new UsageError('--emit kafka needs --brokers (or ROOTLINE_KAFKA_BROKERS)');
        const kafkaFormat = oneOf(values, 'kafka-format', ['json', 'avro'] as const) ?? 'json';
        const registry = values.get('registry');
        if (kafkaFormat === 'avro' && registry === undefined)
          throw new UsageError('--kafka-format avro needs --registry URL');
        emitterOptions = {
          ...common,
          kafka: {
            brokers,
            format: kafkaFormat,
            ...(values.has('topic') ? { topic: values.get('topic')! } : {}),
            ...(registry !== undefined ? { schemaRegistry: { url: registry } } : {}),
          },
        };
      } else {
        const url = values.get('url') ?? process.env.ROOTLINE_HTTP_URL;
        if (url === undefined || url === '') throw new UsageError('--emit http needs --url (or ROOTLINE_HTTP_URL)');
        const token = values.get('token') ?? process.env.ROOTLINE_HTTP_TOKEN;
        emitterOptions = { ...common, http: { url, ...(token !== undefined && token !== '' ? { token } : {}) } };
      }
    }
  } catch (err: unknown) {
    return fail(errorMessage(err), 2);
  }

  const showProgress = !flags.has('no-progress') && (flags.has('progress') || process.stderr.isTTY === true);
  const bar = showProgress ? progressBar(process.stderr) : undefined;
  const delimiter = values.get('delimiter');
  let profile;
  try {
    profile = await profileFile(file, {
      format,
      ...profileOptions,
      ...(flags.has('no-content-hash') ? { contentHash: false } : {}),
      ...(delimiter !== undefined ? { delimiter: delimiter === '\\t' ? '\t' : delimiter } : {}),
      ...(bar ? { onProgress: (p: FileProgress) => bar.update(p) } : {}),
    });
  } catch (err: unknown) {
    bar?.done();
    if (err instanceof RootlineError && (err.code === 'FILE_INVALID' || err.code === 'INVALID_ARGUMENT'))
      return fail(`${file}: ${err.message}`, 2);
    return fail(`${file}: ${errorMessage(err)}`, 2);
  }
  bar?.done();

  const report = buildReport({
    pipeline: values.get('pipeline') ?? 'local',
    node: values.get('node') ?? (basename(file, extname(file)) || 'profile'),
    outputs: [
      {
        dataset: values.get('dataset') ?? file,
        profile,
        ...(values.has('dataset-version') ? { version: values.get('dataset-version')! } : {}),
      },
    ],
    ...(values.has('run-id') ? { run_id: values.get('run-id')! } : {}),
    ...(values.has('code-version') ? { code_version: values.get('code-version')! } : {}),
    ...(values.has('data-version') ? { data_version: values.get('data-version')! } : {}),
  });
  const v = validateReport(report);
  if (!v.ok) return fail(`the report is not valid: ${formatIssues(v.errors)}`, 2);

  if (emitterOptions === undefined) {
    const text = `${JSON.stringify(report, null, 2)}\n`;
    const out = values.get('out');
    if (out === undefined) {
      process.stdout.write(text);
      return 0;
    }
    try {
      writeFileSync(out, text);
    } catch (err: unknown) {
      return fail(`cannot write ${out}: ${errorMessage(err)}`, 2);
    }
    return 0;
  }

  const emitter = createEmitter(emitterOptions);
  emitter.report(report);
  await emitter.flush(timeoutMs);
  await emitter.close(0);
  const stats = emitter.stats;
  if (stats.sent === 1) {
    process.stderr.write(
      `rootline profile: sent report ${report.event_id} (${profile.row_count} rows, ${Object.keys(profile.columns ?? {}).length} columns)\n`,
    );
    return 0;
  }
  return fail(`the report was not delivered: ${emitter.lastError ?? 'timed out'}`, stats.invalid > 0 ? 2 : 1);
}
