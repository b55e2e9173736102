import { errorMessage } from '../errors/index.js';
import { DEFAULT_HTTP_TIMEOUT_MS, type HttpEmitterOptions } from './options.js';
import { encodeJson, retryAll, type Envelope, type SendResult, type Transport } from './transport.js';

/** The ingest path appended to the base URL. */
export const REPORTS_PATH = '/api/v1/reports';

/** Milliseconds to wait from a `Retry-After` header (delta-seconds or an HTTP date); undefined if absent or bad. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const when = Date.parse(v);
  if (Number.isNaN(when)) return undefined;
  return Math.max(0, when - now);
}

interface RejectedItem {
  index?: unknown;
  errors?: { path?: unknown; message?: unknown }[];
}

function describeErrors(item: RejectedItem): string {
  const errors = Array.isArray(item.errors) ? item.errors : [];
  const parts = errors
    .slice(0, 5)
    .map((e) => `${typeof e.path === 'string' && e.path !== '' ? `${e.path}: ` : ''}${String(e.message)}`);
  return parts.join('; ') || 'rejected';
}

/**
 * POSTs each batch as a JSON array to `<url>/api/v1/reports` (the monitor answers 202 with
 * `{accepted, rejected: [{index, errors}]}`, 400 when it accepted none).
 * - 2xx: delivered, except the items listed in `rejected` (dropped with their errors);
 * - 429 and 5xx, network errors, timeouts: retried (honouring `Retry-After`);
 * - any other status: the batch is dropped with the status and the start of the response as the
 *   reason (the per-item errors when the body lists them).
 */
export class HttpTransport implements Transport {
  readonly name = 'http';
  readonly endpoint: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(options: HttpEmitterOptions) {
    this.endpoint = options.url.replace(/\/+$/, '') + REPORTS_PATH;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
    this.headers = { 'content-type': 'application/json', accept: 'application/json', ...(options.headers ?? {}) };
    if (options.token !== undefined && options.token !== '') this.headers.authorization = `Bearer ${options.token}`;
  }

  async send(batch: readonly Envelope[]): Promise<SendResult> {
    const parts: Buffer[] = [];
    for (const env of batch) {
      env.payload ??= encodeJson(env.report);
      parts.push(parts.length === 0 ? Buffer.from('[') : Buffer.from(','), env.payload);
    }
    parts.push(Buffer.from(']'));
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.endpoint, {
        method: 'POST',
        headers: this.headers,
        body: Buffer.concat(parts),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (err: unknown) {
      const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
      return retryAll(batch, `POST ${this.endpoint}: ${errorMessage(err)}${cause}`);
    }
    const status = res.status;
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    const listed =
      typeof body === 'object' && body !== null && Array.isArray((body as { rejected?: unknown }).rejected)
        ? (body as { rejected: RejectedItem[] }).rejected
        : undefined;
    if (status >= 200 && status < 300) {
      const rejected: SendResult['rejected'] = [];
      const seen = new Set<number>();
      for (const item of listed ?? []) {
        const i = typeof item.index === 'number' ? item.index : -1;
        const env = batch[i];
        if (env === undefined || seen.has(i)) continue;
        seen.add(i);
        rejected.push({
          envelope: env,
          reason: `HTTP ${status} from ${this.endpoint}, item rejected: ${describeErrors(item)}`,
        });
      }
      return { delivered: batch.length - rejected.length, retry: [], rejected };
    }
    const reason = `HTTP ${status} from ${this.endpoint}: ${text.slice(0, 500)}`;
    if (status === 429 || status >= 500) {
      return retryAll(batch, reason, parseRetryAfter(res.headers.get('retry-after')));
    }
    if (listed !== undefined && listed.length > 0) {
      const byIndex = new Map<number, RejectedItem>();
      for (const item of listed) if (typeof item.index === 'number') byIndex.set(item.index, item);
      return {
        delivered: 0,
        retry: [],
        rejected: batch.map((envelope, i) => {
          const item = byIndex.get(i);
          return {
            envelope,
            reason:
              item === undefined
                ? reason
                : `HTTP ${status} from ${this.endpoint}, item rejected: ${describeErrors(item)}`,
          };
        }),
      };
    }
    return { delivered: 0, retry: [], rejected: batch.map((envelope) => ({ envelope, reason })) };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
