// The content hash `rch1` of a dataset (docs/content-hash.md): an order-independent fingerprint of the rows.
// JavaScript reads each cell's canonical value and writes its 64-bit payload (or a string's UTF-8 bytes)
// into the memory of a small WebAssembly kernel (content-hash-kernel.ts), which does every 64-bit step
// natively: SipHash of strings, the cell mix, the row sums and the lanes. Cells go in a block at a time.
import { compareCodePoints } from '../contract/index.js';
import {
  BLOCK_ROWS,
  BYTES,
  CELL_CAP,
  K,
  L,
  LANE_A,
  LANE_B,
  NOT_A_STRING,
  O,
  OUT,
  ROWS,
  ROW_CAP,
  STATE,
  VALS,
  X,
  fmix64Big,
  instantiateKernel,
  sipKeyWords,
  type KernelExports,
} from './content-hash-kernel.js';
import { formatNumber } from './values.js';

/** The versioned prefix of a content hash: `rch1:` followed by 32 lowercase hex digits. */
export const CONTENT_HASH_PREFIX = 'rch1:';
/** What a content hash looks like. */
export const CONTENT_HASH_PATTERN = /^rch1:[0-9a-f]{32}$/;

/** The SipHash-2-4 keys (16 ASCII bytes each) of values and column names (K1) and of the final digest (K1, K2). */
export const CONTENT_HASH_KEY_1 = 'rootline-rch1-k1';
export const CONTENT_HASH_KEY_2 = 'rootline-rch1-k2';

/** Tags of the canonical value kinds; the tag constant `T[tag]` is fmix64(tag). */
export const TAG_NUMBER = 0;
export const TAG_INT64 = 1;
export const TAG_BOOLEAN = 2;
export const TAG_STRING = 3;
export const TAG_BINARY = 4;
export const TAG_TIMESTAMP = 5;
export const TAG_NESTED = 6;
const TAG_COUNT = 7;

const TWO_32 = 4294967296;
const TAG_HI = new Uint32Array(TAG_COUNT);
const TAG_LO = new Uint32Array(TAG_COUNT);
for (let t = 0; t < TAG_COUNT; t++) {
  const v = fmix64Big(BigInt(t));
  TAG_HI[t] = Number(v >> 32n);
  TAG_LO[t] = Number(v & 0xffffffffn);
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // WebAssembly memory is little-endian; the typed-array views over it must be too.
  throw new Error('the content hash needs a little-endian platform');
}

/** A SipHash key as the four 32-bit halves (k0 lo, k0 hi, k1 lo, k1 hi) the kernel's `sip` takes. */
function keyHalves(key: string): Uint32Array {
  const [k0, k1] = sipKeyWords(key);
  const half = (v: bigint, shift: bigint): number => Number((v >> shift) & 0xffffffffn);
  return Uint32Array.of(half(k0, 0n), half(k0, 32n), half(k1, 0n), half(k1, 32n));
}
const KEY_1 = keyHalves(CONTENT_HASH_KEY_1);
const KEY_2 = keyHalves(CONTENT_HASH_KEY_2);

const encoder = new TextEncoder();

/** A kernel instance with typed-array views over its memory (renewed when the memory grows). */
class Kernel {
  readonly fn: KernelExports;
  u8!: Uint8Array;
  u32!: Uint32Array;
  f64!: Float64Array;
  /** Bytes available for strings at BYTES. */
  bytesCap = 0;
  /** The hasher whose lanes, carry and buffered cells the memory holds (the streaming kernel). */
  owner: ContentHasher | undefined;

  constructor() {
    this.fn = instantiateKernel();
    this.views();
  }

  private views(): void {
    const buf = this.fn.m.buffer;
    this.u8 = new Uint8Array(buf);
    this.u32 = new Uint32Array(buf);
    this.f64 = new Float64Array(buf);
    this.bytesCap = buf.byteLength - BYTES;
  }

  /** Makes room for at least `bytes` bytes of strings. */
  grow(bytes: number): void {
    if (bytes <= this.bytesCap) return;
    this.fn.m.grow(Math.ceil((bytes - this.bytesCap) / 65536));
    this.views();
  }

  /**
   * Writes a string's UTF-8 bytes at BYTES + pos (the caller made room for 3 bytes per UTF-16 unit);
   * returns their length. ASCII is copied without the encoder.
   */
  writeString(s: string, pos: number): number {
    const n = s.length;
    const u8 = this.u8;
    const base = BYTES + pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return encoder.encodeInto(s, u8.subarray(base, base + 3 * n)).written;
      u8[base + i] = c;
    }
    return n;
  }

  /** SipHash-2-4 of the n bytes at BYTES with a key, as (hi, lo) in OUT_HI / OUT_LO of `out`. */
  sip(n: number, key: Uint32Array): void {
    this.fn.sip(BYTES, n, key[0]!, key[1]!, key[2]!, key[3]!);
  }

  get outHi(): number {
    return this.u32[(OUT >> 2) + 1]!;
  }

  get outLo(): number {
    return this.u32[OUT >> 2]!;
  }
}

/** A kernel for one-off hashes (column names, single values, digests). */
let shared: Kernel | undefined;
function sharedKernel(): Kernel {
  return (shared ??= new Kernel());
}

/** The kernel every ContentHasher streams through, one owner at a time (instantiating one per hasher
 * would cost about 40 us and 256 KiB, more than hashing a small table). */
let streaming: Kernel | undefined;

/** SipHash-2-4 of bytes into the shared kernel's OUT. */
function sipBytes(data: Uint8Array, key: Uint32Array = KEY_1): Kernel {
  const k = sharedKernel();
  k.grow(data.length);
  k.u8.set(data, BYTES);
  k.sip(data.length, key);
  return k;
}

/** SipHash-2-4 of a string's UTF-8 bytes into the shared kernel's OUT. */
function sipString(s: string, key: Uint32Array = KEY_1): Kernel {
  const k = sharedKernel();
  k.grow(3 * s.length);
  k.sip(k.writeString(s, 0), key);
  return k;
}

function hex64(hi: number, lo: number): string {
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** SipHash-2-4 of bytes as 16 hex digits (for the shared vectors). */
export function siphashHex(data: Uint8Array, key: string = CONTENT_HASH_KEY_1): string {
  const k = sipBytes(data, keyHalves(key));
  return hex64(k.outHi, k.outLo);
}

// ---------------------------------------------------------------- canonical values

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

// The canonical payload of the last value set: tag, hi, lo.
const VAL = new Uint32Array(3);

function setNumber(x: number): void {
  f64[0] = x + 0; // -0 + 0 is +0
  VAL[0] = TAG_NUMBER;
  VAL[1] = u32[1]!;
  VAL[2] = u32[0]!;
}

function setInt64(ms: number, tag: number): void {
  VAL[0] = tag;
  VAL[2] = ms >>> 0;
  VAL[1] = Math.floor(ms / TWO_32) >>> 0;
}

/** Canonical JSON of a nested value (docs/content-hash.md): sorted keys, numbers as Python prints them. */
export function canonicalJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return v !== v || v === Infinity || v === -Infinity ? 'null' : formatNumber(v);
    case 'bigint':
      return v.toString();
    case 'object': {
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'null' : JSON.stringify(v.toISOString());
      if (v instanceof Uint8Array) return JSON.stringify(Buffer.from(v).toString('base64'));
      if (Array.isArray(v) || ArrayBuffer.isView(v)) {
        const items = Array.from(v as ArrayLike<unknown>, (x) => canonicalJson(x));
        return `[${items.join(',')}]`;
      }
      const keys = Object.keys(v).sort(compareCodePoints);
      const rec = v as Record<string, unknown>;
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(rec[k])}`).join(',')}}`;
    }
    default:
      return 'null';
  }
}

/**
 * Sets VAL to the canonical payload of a JavaScript value that is not a string (strings are hashed in
 * the kernel); false for a null (null, undefined, NaN, an invalid Date), which contributes nothing.
 */
function setValue(v: unknown): boolean {
  switch (typeof v) {
    case 'number':
      if (v !== v) return false;
      setNumber(v);
      return true;
    case 'string': {
      const k = sipString(v);
      VAL[0] = TAG_STRING;
      VAL[1] = k.outHi;
      VAL[2] = k.outLo;
      return true;
    }
    case 'boolean':
      VAL[0] = TAG_BOOLEAN;
      VAL[1] = 0;
      VAL[2] = v ? 1 : 0;
      return true;
    case 'bigint': {
      const x = Number(v);
      if (Number.isFinite(x) && BigInt(x) === v) setNumber(x);
      else {
        const u = BigInt.asUintN(64, v);
        VAL[0] = TAG_INT64;
        VAL[1] = Number(u >> 32n);
        VAL[2] = Number(u & 0xffffffffn);
      }
      return true;
    }
    case 'object': {
      if (v === null) return false;
      if (v instanceof Date) {
        const ms = v.getTime();
        if (ms !== ms) return false;
        setInt64(ms, TAG_TIMESTAMP);
        return true;
      }
      const k = v instanceof Uint8Array ? sipBytes(v) : sipString(canonicalJson(v));
      VAL[0] = v instanceof Uint8Array ? TAG_BINARY : TAG_NESTED;
      VAL[1] = k.outHi;
      VAL[2] = k.outLo;
      return true;
    }
    default:
      return false;
  }
}

/** The canonical kind and 64-bit payload (16 hex digits) of a value, or undefined for a null (for the shared vectors). */
export function valuePayload(v: unknown): { tag: number; payload: string } | undefined {
  return setValue(v) ? { tag: VAL[0]!, payload: hex64(VAL[1]!, VAL[2]!) } : undefined;
}

// ---------------------------------------------------------------- the hasher

/** A column's key: SipHash-2-4 (K1) of its name's UTF-8 bytes. */
export interface ColumnKey {
  readonly hi: number;
  readonly lo: number;
}

/** The key of a column name. */
export function columnKey(name: string): ColumnKey {
  const k = sipString(name);
  return { hi: k.outHi, lo: k.outLo };
}

/** Texts of times CSV parsing remembers (columns of times repeat values, and the parse is costly). */
const TIME_CACHE_SIZE = 4096;

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?([Zz]|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * Milliseconds since 1970-01-01T00:00:00Z of an ISO date or date-time text as the CSV reader accepts it
 * (a date is midnight; a time without an offset is read as UTC; digits below the millisecond are dropped),
 * or NaN.
 */
export function parseIsoMillis(s: string): number {
  let ms = millisSeen.get(s);
  if (ms === undefined) {
    ms = parseIsoMillisUncached(s);
    if (millisSeen.size >= TIME_CACHE_SIZE) millisSeen.clear();
    millisSeen.set(s, ms);
  }
  return ms;
}

/** Times texts recently read (CSV columns of times repeat values, and the parse is costly). */
const millisSeen = new Map<string, number>();

function parseIsoMillisUncached(s: string): number {
  const m = DATE_TIME.exec(s);
  if (m === null) return NaN;
  const frac = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  let ms = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    Number(m[6] ?? 0),
    frac,
  );
  if (Number(m[1]) < 100) ms = new Date(ms).setUTCFullYear(Number(m[1]));
  if (m[9] !== undefined) ms -= (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11])) * 60_000;
  return ms;
}

/**
 * The streaming state of a content hash: rows go in cell by cell (`cell*` between `startRow` and `endRow`)
 * or whole (`addRow`, `addColumns`); `digest` gives `rch1:<hex>`. Row order never matters; within a row,
 * column order never matters and a null is the same as a missing cell.
 *
 * Cells are buffered in the kernel's memory and hashed a block at a time. Hashers share one kernel: when
 * another hasher uses it, the owner's buffered cells are hashed (an open row's so far into its carry) and
 * its lanes and carry saved, then given back when it continues, so hashers can be fed in turns (across
 * `await`s, say).
 */
export class ContentHasher {
  private readonly keys = new Map<string, ColumnKey>();
  /** Lanes A, B and the carry (lo, hi words each) while another hasher owns the kernel. */
  private readonly saved = new Uint32Array(6);
  private rows = 0;
  /** Next free cell of the row buffer. */
  private c = 0;
  /** First cell of the open row. */
  private rowStart = 0;
  /** Rows ended in the row buffer, not yet hashed. */
  private pending = 0;
  /** Next free byte of the string area. */
  private bytePos = 0;

  /** Rows added so far. */
  get rowCount(): number {
    return this.rows;
  }

  /** The (cached) key of a column. */
  key(name: string): ColumnKey {
    let k = this.keys.get(name);
    if (k === undefined) {
      k = columnKey(name);
      this.keys.set(name, k);
    }
    return k;
  }

  /** The streaming kernel, taken over from its previous owner when needed. */
  private get k(): Kernel {
    const k = (streaming ??= new Kernel());
    if (k.owner !== this) {
      k.owner?.release();
      k.u32.set(this.saved, LANE_A >> 2);
      k.owner = this;
    }
    return k;
  }

  /** Hands the kernel over: hashes what is buffered and saves the lanes and the carry. */
  private release(): void {
    this.flush();
    const u32 = this.k.u32;
    this.saved.set(u32.subarray(LANE_A >> 2, (LANE_A >> 2) + 6));
  }

  /** Hashes the buffered rows; an open row's cells so far go to the kernel's carry. */
  private flush(): void {
    const fn = this.k.fn;
    if (this.pending > 0) fn.rows(this.pending);
    if (this.c > this.rowStart) fn.carry(this.rowStart, this.c);
    this.pending = 0;
    this.c = 0;
    this.rowStart = 0;
    this.bytePos = 0;
  }

  /** A free cell of the row buffer (flushing it first when it is full). */
  private cell(): number {
    if (this.c === CELL_CAP) this.flush();
    return this.c++;
  }

  /** Writes cell c: a payload (hi, lo) of a kind. */
  private put(c: number, k: ColumnKey, tag: number, hi: number, lo: number): void {
    const u32 = this.k.u32;
    const x = (X >> 2) + 2 * c;
    u32[x] = lo ^ k.lo ^ TAG_LO[tag]!;
    u32[x + 1] = hi ^ k.hi ^ TAG_HI[tag]!;
    u32[(L >> 2) + c] = NOT_A_STRING;
  }

  /** Writes cell c: a number (not NaN). */
  private putNumber(c: number, k: ColumnKey, v: number): void {
    const kern = this.k;
    kern.f64[(X >> 3) + c] = v + 0; // -0 + 0 is +0
    const x = (X >> 2) + 2 * c;
    const u32 = kern.u32;
    u32[x] = u32[x]! ^ k.lo;
    u32[x + 1] = u32[x + 1]! ^ k.hi;
    u32[(L >> 2) + c] = NOT_A_STRING;
  }

  /** Writes cell c: a string, whose bytes the caller made room for (3 per UTF-16 unit). */
  private putString(c: number, k: ColumnKey, s: string): void {
    const kern = this.k;
    const n = kern.writeString(s, this.bytePos);
    const u32 = kern.u32;
    u32[(L >> 2) + c] = n;
    u32[(O >> 2) + c] = this.bytePos;
    const kk = (K >> 2) + 2 * c;
    u32[kk] = k.lo ^ TAG_LO[TAG_STRING]!;
    u32[kk + 1] = k.hi ^ TAG_HI[TAG_STRING]!;
    this.bytePos += n;
  }

  /** Room for a string of n UTF-16 units in the row buffer (flushing it first when needed). */
  private roomForString(n: number): void {
    if (this.bytePos + 3 * n > this.k.bytesCap) {
      this.flush();
      this.k.grow(3 * n);
    }
  }

  /** Starts a row. */
  startRow(): void {
    this.rowStart = this.c;
  }

  /** Adds a cell holding any JavaScript value (see docs/content-hash.md for the canonical kinds). */
  cellValue(k: ColumnKey, v: unknown): void {
    if (typeof v === 'number') this.cellNumber(k, v);
    else if (typeof v === 'string') this.cellString(k, v);
    else if (setValue(v)) this.put(this.cell(), k, VAL[0]!, VAL[1]!, VAL[2]!);
  }

  /** Adds a number cell (NaN is a null). */
  cellNumber(k: ColumnKey, x: number): void {
    if (x !== x) return;
    this.putNumber(this.cell(), k, x);
  }

  /** Adds a string cell. */
  cellString(k: ColumnKey, s: string): void {
    this.roomForString(s.length);
    this.putString(this.cell(), k, s);
  }

  /** Adds a boolean cell. */
  cellBoolean(k: ColumnKey, b: boolean): void {
    this.put(this.cell(), k, TAG_BOOLEAN, 0, b ? 1 : 0);
  }

  /** Adds a timestamp cell, in milliseconds since the epoch (NaN is a null). */
  cellMillis(k: ColumnKey, ms: number): void {
    if (ms !== ms) return;
    setInt64(ms, TAG_TIMESTAMP);
    this.put(this.cell(), k, TAG_TIMESTAMP, VAL[1]!, VAL[2]!);
  }

  /** Ends a row. */
  endRow(): void {
    this.k.u32[(ROWS >> 2) + this.pending] = this.c - this.rowStart;
    this.pending++;
    this.rowStart = this.c;
    this.rows++;
    if (this.pending === ROW_CAP) this.flush();
  }

  /** Adds one row (an object; a missing key is a null). */
  addRow(row: Readonly<Record<string, unknown>>): void {
    this.startRow();
    for (const name in row) {
      if (!Object.prototype.hasOwnProperty.call(row, name)) continue;
      this.cellValue(this.key(name), row[name]);
    }
    this.endRow();
  }

  /**
   * Adds a batch of columns of equal length (typed arrays or JavaScript arrays), a block of rows at a
   * time so that the block's row states stay in the CPU cache while every column passes over them.
   * Numeric typed arrays are copied into the kernel as doubles; other values are written cell by cell.
   */
  addColumns(columns: Readonly<Record<string, ArrayLike<unknown>>>, length: number): void {
    this.flush();
    const entries = Object.entries(columns).map(([name, values]) => ({ k: this.key(name), values }));
    const kern = this.k;
    const fn = kern.fn;
    for (let start = 0; start < length; start += BLOCK_ROWS) {
      const end = Math.min(length, start + BLOCK_ROWS);
      const n = end - start;
      kern.f64.fill(0, STATE >> 3, (STATE >> 3) + n);
      for (const { k, values } of entries) {
        if (ArrayBuffer.isView(values) && !(values instanceof BigInt64Array || values instanceof BigUint64Array)) {
          kern.f64.set((values as unknown as Float64Array).subarray(start, end), VALS >> 3);
          fn.f64col(0, n, k.lo, k.hi);
          continue;
        }
        this.columnBlock(k, values, start, end);
      }
      fn.fold(n);
      this.rows += n;
    }
  }

  /** Cells [start, end) of a column (any values) into the block's row states. */
  private columnBlock(k: ColumnKey, values: ArrayLike<unknown>, start: number, end: number): void {
    const kern = this.k;
    let from = 0;
    this.bytePos = 0;
    for (let i = start; i < end; i++) {
      const c = i - start;
      const v = values[i];
      if (typeof v === 'number') {
        if (v === v) this.putNumber(c, k, v);
        else this.put(c, ZERO_KEY, 0, 0, 0);
      } else if (typeof v === 'string') {
        if (this.bytePos + 3 * v.length > kern.bytesCap) {
          kern.fn.cols(from, c);
          from = c;
          this.bytePos = 0;
          kern.grow(3 * v.length);
        }
        this.putString(c, k, v);
      } else if (setValue(v)) this.put(c, k, VAL[0]!, VAL[1]!, VAL[2]!);
      else this.put(c, ZERO_KEY, 0, 0, 0); // a null: F(0) = 0 adds nothing
    }
    kern.fn.cols(from, end - start);
    this.bytePos = 0;
  }

  /** The lanes so far, as 16 hex digits each (for the shared vectors). */
  lanes(): { a: string; b: string } {
    this.flush();
    const u32 = this.k.u32;
    return {
      a: hex64(u32[(LANE_A >> 2) + 1]!, u32[LANE_A >> 2]!),
      b: hex64(u32[(LANE_B >> 2) + 1]!, u32[LANE_B >> 2]!),
    };
  }

  /** `rch1:<32 hex digits>` of the rows so far, bound to the schema fingerprint ('' when there is none). */
  digest(schemaFingerprint: string): string {
    this.flush();
    const fp = Buffer.from(schemaFingerprint, 'utf8');
    const lanes = this.k.u8.subarray(LANE_A, LANE_B + 8);
    const payload = Buffer.alloc(28 + fp.length);
    payload.write('rch1', 0, 'latin1');
    payload.writeUInt32LE(this.rows >>> 0, 4);
    payload.writeUInt32LE(Math.floor(this.rows / TWO_32) >>> 0, 8);
    payload.set(lanes, 12);
    fp.copy(payload, 28);
    let k = sipBytes(payload, KEY_1);
    const d1 = hex64(k.outHi, k.outLo);
    k = sipBytes(payload, KEY_2);
    return `${CONTENT_HASH_PREFIX}${d1}${hex64(k.outHi, k.outLo)}`;
  }
}

/** A null cell of a column block: payload, key and tag all zero, so x = 0 and F(0) = 0. */
const ZERO_KEY: ColumnKey = { hi: TAG_HI[0]!, lo: TAG_LO[0]! };
