import { HttpError, InfluxDB, Point, setLogger, type WriteApi } from '@influxdata/influxdb-client';
import { classify } from '../../errors/classify.js';
import { RootlineError } from '../../errors/index.js';
import type { MetricPoint } from '../../monitor/points.js';

export interface InfluxOptions {
  url: string;
  token: string;
  org: string;
  bucket: string;
  /** Timeout of one HTTP call. Default 10000. */
  timeoutMs?: number;
}

/** Lines per write request of a large batch. */
export const WRITE_CHUNK_LINES = 5000;

/** Quiets the client's own console logging; errors surface through our adapter instead. */
setLogger({ error: () => undefined, warn: () => undefined });

/**
 * Answers about the points themselves (bad line protocol, a time out of range, a field type conflict, a body
 * too large): the same points will be refused again, so they are not retried but narrowed down by the caller.
 * Other 4xx (401, 403, 404: token, bucket) are the deployment's problem and retried like an outage.
 */
const REJECTS_POINTS = new Set([400, 413, 422]);

/** Maps the InfluxDB client's errors into RootlineError; whether they are retriable is decided by errors/classify. */
export function influxError(err: unknown, what: string): RootlineError {
  if (err instanceof HttpError && REJECTS_POINTS.has(err.statusCode))
    return new RootlineError(
      'SINK_REJECTED',
      `${what}: InfluxDB refused the points: ${err.statusCode} ${(err.body ?? '').slice(0, 1000)}`.trim(),
      { cause: err },
    );
  if (err instanceof HttpError)
    return classify(
      err,
      'INFLUX_ERROR',
      what,
      `InfluxDB answered ${err.statusCode} ${err.statusMessage ?? ''} ${(err.body ?? '').slice(0, 300)}`.trim(),
    );
  return classify(err, 'INFLUX_ERROR', what);
}

/**
 * Escapes a tag key, tag value or field key (`special` `,`, `=`, space) or a measurement (`,`, space) so that
 * InfluxDB stores exactly `s` (docs/influxdb.md, "Names in line protocol"). Its parser treats a special character as
 * escaped exactly when the byte before it is a backslash, and then turns `\,`, `\=` and `\ ` into the
 * character: other backslashes are stored as written (never doubled). Two things cannot be stored and are
 * replaced, deterministically: a line break (CR or LF) becomes a space, and a name ending in a backslash
 * (which would escape the separator after it) gets a space appended.
 */
function escapeName(s: string, special: RegExp): string {
  // Most names need nothing (this runs for every tag and field of every point).
  if (!NEEDS_ESCAPE.test(s)) return s;
  let out = s.replace(/[\r\n]/g, ' ');
  if (out.endsWith('\\')) out += ' ';
  return out.replace(special, (c) => `\\${c}`);
}
/** What any name may need escaped or replaced: line breaks, the separators, a backslash (at its end). */
const NEEDS_ESCAPE = /[\r\n,= \\]/;
const escKey = (s: string) => escapeName(s, /[,= ]/g);
const escMeasurement = (s: string) => escapeName(s, /[, ]/g);
/** A string field value: `"` and `\` escaped; any other character, line breaks included, as is. */
const escString = (s: string) => s.replace(/["\\]/g, (c) => `\\${c}`);

/**
 * One point as InfluxDB line protocol (ms precision): tags and fields sorted, empty tags left out, numbers as
 * floats (a field keeps one type across points), strings quoted. The same as the client's Point
 * serializes, without building Point objects (this runs for every point of every batch), except for
 * backslashes and line breaks in names, which the client escapes in a way InfluxDB does not read back
 * (see escapeName).
 */
export function toLineProtocol(p: MetricPoint): string | undefined {
  let line = escMeasurement(p.measurement);
  for (const k of Object.keys(p.tags).sort()) {
    const v = p.tags[k]!;
    if (v !== '') line += `,${escKey(k)}=${escKey(v)}`;
  }
  let fields = '';
  for (const k of Object.keys(p.fields).sort()) {
    const v = p.fields[k]!;
    let text: string;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) continue;
      text = String(v);
    } else if (typeof v === 'boolean') text = v ? 'T' : 'F';
    else text = `"${escString(v)}"`;
    fields += `${fields === '' ? '' : ','}${escKey(k)}=${text}`;
  }
  if (fields === '') return undefined;
  return `${line} ${fields} ${Math.round(p.time)}`;
}

export function toPoint(p: MetricPoint): Point {
  const point = new Point(p.measurement);
  for (const [k, v] of Object.entries(p.tags)) if (v !== '') point.tag(k, v);
  for (const [k, v] of Object.entries(p.fields)) {
    if (typeof v === 'number') point.floatField(k, v);
    else if (typeof v === 'boolean') point.booleanField(k, v);
    else point.stringField(k, v);
  }
  return point.timestamp(new Date(p.time));
}

/**
 * Writes metric points to InfluxDB through the v2 write API (2.x, and 1.8 with `/api/v2/write`).
 * One call writes one batch and either succeeds or throws a RootlineError saying whether a retry may
 * succeed; the caller decides how to wait (the monitor pauses consumption and backs off).
 */
export class InfluxSink {
  private readonly client: InfluxDB;
  constructor(readonly options: InfluxOptions) {
    this.client = new InfluxDB({ url: options.url, token: options.token, timeout: options.timeoutMs ?? 10_000 });
  }

  private writeApi(lines: number): WriteApi {
    // No client-side retries or buffering: the monitor owns the retry policy and the batch. One batch of exactly
    // these lines (the client allocates an array of batchSize entries for every write API it makes).
    return this.client.getWriteApi(this.options.org, this.options.bucket, 'ms', {
      maxRetries: 0,
      batchSize: lines + 1,
      maxBufferLines: 10_000_000,
      flushInterval: 0,
      gzipThreshold: 64 * 1024,
    });
  }

  async write(points: readonly MetricPoint[]): Promise<void> {
    if (points.length === 0) return;
    const lines: string[] = [];
    for (const p of points) {
      const l = toLineProtocol(p);
      if (l !== undefined) lines.push(l);
    }
    // Large batches go as a few concurrent requests: the server parses and indexes them in parallel.
    // All must succeed; a retry rewrites every chunk (the same points, so nothing is doubled).
    const chunks: string[][] = [];
    for (let i = 0; i < lines.length; i += WRITE_CHUNK_LINES) chunks.push(lines.slice(i, i + WRITE_CHUNK_LINES));
    const results = await Promise.allSettled(
      chunks.map(async (chunk) => {
        const api = this.writeApi(chunk.length);
        try {
          api.writeRecords(chunk);
          await api.close();
        } catch (err: unknown) {
          api.dispose();
          throw err;
        }
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw influxError(failed.reason, `writing ${points.length} points to ${this.options.bucket}`);
  }

  /** Runs a Flux query and returns its rows. */
  async query<T = Record<string, unknown>>(flux: string): Promise<T[]> {
    try {
      return await this.client.getQueryApi(this.options.org).collectRows<T>(flux);
    } catch (err: unknown) {
      throw influxError(err, 'Flux query');
    }
  }

  /** Whether InfluxDB answers /health with "pass". */
  async healthy(): Promise<boolean> {
    try {
      const res = await fetch(new URL('/health', this.options.url), { signal: AbortSignal.timeout(3000) });
      if (!res.ok) return false;
      const body = (await res.json()) as { status?: string };
      return body.status === 'pass';
    } catch {
      return false;
    }
  }

  /**
   * Makes sure the bucket exists: on InfluxDB 2.x through /api/v2/buckets (org looked up by name), on
   * 1.8 (which has no buckets API) with `CREATE DATABASE`. Returns which API was used.
   */
  async ensureBucket(): Promise<'v2' | 'v1'> {
    const base = this.options.url.replace(/\/$/, '');
    const headers = { Authorization: `Token ${this.options.token}`, 'Content-Type': 'application/json' };
    const call = async (path: string, init: RequestInit = {}) => {
      try {
        return await fetch(`${base}${path}`, {
          ...init,
          headers,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        });
      } catch (err: unknown) {
        throw influxError(err, `InfluxDB ${path}`);
      }
    };
    const list = await call(`/api/v2/buckets?name=${encodeURIComponent(this.options.bucket)}`);
    if (list.status === 404) {
      const [db] = this.options.bucket.split('/');
      const res = await call(`/query?q=${encodeURIComponent(`CREATE DATABASE "${db}"`)}`, { method: 'POST' });
      if (!res.ok)
        throw new RootlineError('INFLUX_ERROR', `CREATE DATABASE ${db} answered ${res.status}: ${await res.text()}`, {
          retriable: res.status >= 500,
        });
      return 'v1';
    }
    if (!list.ok)
      throw new RootlineError('INFLUX_ERROR', `listing buckets answered ${list.status}: ${await list.text()}`, {
        retriable: list.status >= 500,
      });
    const found = ((await list.json()) as { buckets?: unknown[] }).buckets ?? [];
    if (found.length > 0) return 'v2';
    const orgs = await call(`/api/v2/orgs?org=${encodeURIComponent(this.options.org)}`);
    if (!orgs.ok)
      throw new RootlineError(
        'INFLUX_ERROR',
        `looking up org ${this.options.org} answered ${orgs.status}: ${await orgs.text()}`,
      );
    const orgID = ((await orgs.json()) as { orgs?: { id: string }[] }).orgs?.[0]?.id;
    if (!orgID)
      throw new RootlineError(
        'CONFIG_INVALID',
        `InfluxDB has no organization named "${this.options.org}" (influx.org)`,
      );
    const created = await call('/api/v2/buckets', {
      method: 'POST',
      body: JSON.stringify({ name: this.options.bucket, orgID, retentionRules: [] }),
    });
    if (!created.ok && created.status !== 422)
      throw new RootlineError(
        'INFLUX_ERROR',
        `creating bucket ${this.options.bucket} answered ${created.status}: ${await created.text()}`,
      );
    return 'v2';
  }
}
