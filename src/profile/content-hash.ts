// The content hash `rch1` of a dataset (docs/content-hash.md): an order-independent fingerprint of the rows.
// Every 64-bit quantity is a pair of unsigned 32-bit halves (hi, lo): V8 has no fast 64-bit integers,
// and BigInt would cost more than the profiling itself.
import { compareCodePoints } from '../contract/index.js';
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
const SEED_A = 7;
const SEED_B = 8;

// ---------------------------------------------------------------- 64-bit arithmetic on (hi, lo) pairs

// Results go through a typed array: a module-level `let` holding a number above 2^30 would be boxed
// (a heap allocation per write), which costs more than the arithmetic.
const R = new Uint32Array(2);
const RH = 0;
const RL = 1;

/**
 * (ah, al) * (bh, bl) mod 2^64 into R, in int32 arithmetic only: the high word of al * bl from four
 * 16-bit partial products (doubles would be exact too, but V8 keeps int32 code in registers).
 */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = Math.imul(a0, b0) >>> 0;
  const p01 = Math.imul(a0, b1) >>> 0;
  const p10 = Math.imul(a1, b0) >>> 0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const high = Math.imul(a1, b1) + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  R[RL] = Math.imul(al, bl);
  R[RH] = high + Math.imul(ah, bl) + Math.imul(al, bh);
}

const M1_HI = 0xff51afd7;
const M1_LO = 0xed558ccd;
const M2_HI = 0xc4ceb9fe;
const M2_LO = 0x1a85ec53;

/** MurmurHash3's fmix64 of (hi, lo) into R. */
function fmix64(hi: number, lo: number): void {
  lo ^= hi >>> 1;
  mul64(hi, lo, M1_HI, M1_LO);
  hi = R[RH]!;
  lo = R[RL]! ^ (hi >>> 1);
  mul64(hi, lo, M2_HI, M2_LO);
  R[RL] = R[RL]! ^ (R[RH]! >>> 1);
}

/** The per-cell mix F(y) = xs33(M1 * xs33(y)), xs33(x) = x ^ (x >> 33), into R. */
function cellMix(hi: number, lo: number): void {
  mul64(hi, lo ^ (hi >>> 1), M1_HI, M1_LO);
  R[RL] = R[RL]! ^ (R[RH]! >>> 1);
}

const TAG_HI = new Uint32Array(SEED_B + 1);
const TAG_LO = new Uint32Array(SEED_B + 1);
for (let t = 0; t <= SEED_B; t++) {
  fmix64(0, t);
  TAG_HI[t] = R[RH]!;
  TAG_LO[t] = R[RL]!;
}

// ---------------------------------------------------------------- SipHash-2-4

function keyWords(key: string): Uint32Array {
  const b = Buffer.from(key, 'latin1');
  if (b.length !== 16) throw new Error('a SipHash key has 16 bytes');
  return Uint32Array.of(b.readUInt32LE(4), b.readUInt32LE(0), b.readUInt32LE(12), b.readUInt32LE(8));
}

const KEY_1 = keyWords(CONTENT_HASH_KEY_1);
const KEY_2 = keyWords(CONTENT_HASH_KEY_2);

// SipHash state v0..v3 as (hi, lo) pairs: V[0] = v0 hi, V[1] = v0 lo, ..., V[7] = v3 lo.
const V = new Uint32Array(8);

/** One SipRound over V. */
function sipRound(): void {
  let v0h = V[0]!;
  let v0l = V[1]!;
  let v1h = V[2]!;
  let v1l = V[3]!;
  let v2h = V[4]!;
  let v2l = V[5]!;
  let v3h = V[6]!;
  let v3l = V[7]!;
  // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
  let t = (v0l + v1l) >>> 0;
  v0h = (v0h + v1h + (t < v0l ? 1 : 0)) >>> 0;
  v0l = t;
  t = ((v1h << 13) | (v1l >>> 19)) ^ v0h;
  v1l = ((v1l << 13) | (v1h >>> 19)) ^ v0l;
  v1h = t >>> 0;
  v1l >>>= 0;
  t = v0h;
  v0h = v0l;
  v0l = t;
  // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
  t = (v2l + v3l) >>> 0;
  v2h = (v2h + v3h + (t < v2l ? 1 : 0)) >>> 0;
  v2l = t;
  t = ((v3h << 16) | (v3l >>> 16)) ^ v2h;
  v3l = (((v3l << 16) | (v3h >>> 16)) ^ v2l) >>> 0;
  v3h = t >>> 0;
  // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
  t = (v0l + v3l) >>> 0;
  v0h = (v0h + v3h + (t < v0l ? 1 : 0)) >>> 0;
  v0l = t;
  t = ((v3h << 21) | (v3l >>> 11)) ^ v0h;
  v3l = (((v3l << 21) | (v3h >>> 11)) ^ v0l) >>> 0;
  v3h = t >>> 0;
  // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
  t = (v2l + v1l) >>> 0;
  v2h = (v2h + v1h + (t < v2l ? 1 : 0)) >>> 0;
  v2l = t;
  t = ((v1h << 17) | (v1l >>> 15)) ^ v2h;
  v1l = (((v1l << 17) | (v1h >>> 15)) ^ v2l) >>> 0;
  v1h = t >>> 0;
  V[0] = v0h;
  V[1] = v0l;
  V[2] = v1h;
  V[3] = v1l;
  V[4] = v2l;
  V[5] = v2h;
  V[6] = v3h;
  V[7] = v3l;
}

/** SipHash-2-4 of `data[0..length)` with a key given as (k0 hi, k0 lo, k1 hi, k1 lo), into R. */
function siphash(data: Uint8Array, length: number, key: Uint32Array): void {
  V[0] = key[0]! ^ 0x736f6d65;
  V[1] = key[1]! ^ 0x70736575;
  V[2] = key[2]! ^ 0x646f7261;
  V[3] = key[3]! ^ 0x6e646f6d;
  V[4] = key[0]! ^ 0x6c796765;
  V[5] = key[1]! ^ 0x6e657261;
  V[6] = key[2]! ^ 0x74656462;
  V[7] = key[3]! ^ 0x79746573;
  const end = length - (length & 7);
  for (let i = 0; i < end; i += 8) {
    const ml = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    const mh = data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24);
    V[6] = V[6] ^ mh;
    V[7] = V[7] ^ ml;
    sipRound();
    sipRound();
    V[0] = V[0] ^ mh;
    V[1] = V[1] ^ ml;
  }
  let bl = 0;
  let bh = (length & 0xff) << 24;
  const left = length - end;
  for (let j = 0; j < left; j++) {
    const byte = data[end + j]!;
    if (j < 4) bl |= byte << (8 * j);
    else bh |= byte << (8 * (j - 4));
  }
  V[6] = V[6] ^ bh;
  V[7] = V[7] ^ bl;
  sipRound();
  sipRound();
  V[0] = V[0] ^ bh;
  V[1] = V[1] ^ bl;
  V[5] = V[5] ^ 0xff;
  sipRound();
  sipRound();
  sipRound();
  sipRound();
  R[RH] = V[0] ^ V[2] ^ V[4] ^ V[6];
  R[RL] = V[1] ^ V[3] ^ V[5] ^ V[7];
}

let scratch = new Uint8Array(256);
const encoder = new TextEncoder();

/** Strings remembered by {@link hashString}: most columns of strings repeat a few values. */
const STRING_CACHE_SIZE = 4096;
const stringSlots = new Map<string, number>();
const stringHashes = new Uint32Array(2 * STRING_CACHE_SIZE);

/**
 * SipHash-2-4 (key K1) of a string's UTF-8 bytes into R, remembered for the next STRING_CACHE_SIZE
 * distinct strings (then forgotten at once: a high-cardinality column costs one map insert per value).
 */
function hashString(s: string): void {
  const slot = stringSlots.get(s);
  if (slot !== undefined) {
    R[RH] = stringHashes[2 * slot]!;
    R[RL] = stringHashes[2 * slot + 1]!;
    return;
  }
  hashStringBytes(s);
  if (stringSlots.size >= STRING_CACHE_SIZE) stringSlots.clear();
  const next = stringSlots.size;
  stringSlots.set(s, next);
  stringHashes[2 * next] = R[RH]!;
  stringHashes[2 * next + 1] = R[RL]!;
}

/** SipHash-2-4 (key K1) of a string's UTF-8 bytes into R; ASCII is copied without the encoder. */
function hashStringBytes(s: string): void {
  const n = s.length;
  if (scratch.length < 3 * n) scratch = new Uint8Array(Math.max(3 * n, 2 * scratch.length));
  let ascii = true;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      ascii = false;
      break;
    }
    scratch[i] = c;
  }
  const length = ascii ? n : encoder.encodeInto(s, scratch).written;
  siphash(scratch, length, KEY_1);
}

function hex64(hi: number, lo: number): string {
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** SipHash-2-4 of bytes as 16 hex digits (for the shared vectors). */
export function siphashHex(data: Uint8Array, key: string = CONTENT_HASH_KEY_1): string {
  siphash(data, data.length, keyWords(key));
  return hex64(R[RH]!, R[RL]!);
}

// ---------------------------------------------------------------- canonical values

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const TWO_32 = 4294967296;

// The canonical payload of the last value set: tag, hi, lo.
const VAL = new Uint32Array(3);

function setNumber(x: number): void {
  f64[0] = x + 0; // -0 + 0 is +0
  VAL[0] = TAG_NUMBER;
  VAL[1] = u32[HI]!;
  VAL[2] = u32[LO]!;
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
 * Sets VAL to the canonical payload of a JavaScript value; false for a null (null,
 * undefined, NaN, an invalid Date), which contributes nothing to its row.
 */
function setValue(v: unknown): boolean {
  switch (typeof v) {
    case 'number':
      if (v !== v) return false;
      setNumber(v);
      return true;
    case 'string':
      hashString(v);
      VAL[0] = TAG_STRING;
      VAL[1] = R[RH]!;
      VAL[2] = R[RL]!;
      return true;
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
    case 'object':
      if (v === null) return false;
      if (v instanceof Date) {
        const ms = v.getTime();
        if (ms !== ms) return false;
        setInt64(ms, TAG_TIMESTAMP);
        return true;
      }
      if (v instanceof Uint8Array) {
        siphash(v, v.length, KEY_1);
        VAL[0] = TAG_BINARY;
      } else {
        hashStringBytes(canonicalJson(v));
        VAL[0] = TAG_NESTED;
      }
      VAL[1] = R[RH]!;
      VAL[2] = R[RL]!;
      return true;
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
  hashString(name);
  return { hi: R[RH]!, lo: R[RL]! };
}

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
    if (millisSeen.size >= STRING_CACHE_SIZE) millisSeen.clear();
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

/** Adds the mixed cell in R to the row state at S[i] (hi), S[i + 1] (lo). */
function addCell(S: Uint32Array, i: number): void {
  const rl = R[RL]!;
  const l = (S[i + 1]! + rl) >>> 0;
  S[i] = S[i]! + R[RH]! + (l < rl ? 1 : 0);
  S[i + 1] = l;
}

/** Rows per block in `addColumns`: 2 x 4 KiB of row state, which stays in the L1/L2 cache. */
const BLOCK_ROWS = 1024;

// hasher state: row state hi, lo; lane A hi, lo; lane B hi, lo
const SH = 0;
const AH = 2;
const BH = 4;

/**
 * The streaming state of a content hash: rows go in cell by cell (`cell*` between `startRow` and `endRow`)
 * or whole (`addRow`, `addColumns`); `digest` gives `rch1:<hex>`. Row order never matters; within a row,
 * column order never matters and a null is the same as a missing cell.
 */
export class ContentHasher {
  private readonly keys = new Map<string, ColumnKey>();
  private readonly state = new Uint32Array(6);
  private rows = 0;

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

  /** Starts a row. */
  startRow(): void {
    this.state[SH] = 0;
    this.state[SH + 1] = 0;
  }

  private addPayload(k: ColumnKey, tag: number, hi: number, lo: number): void {
    cellMix(hi ^ k.hi ^ TAG_HI[tag]!, lo ^ k.lo ^ TAG_LO[tag]!);
    addCell(this.state, SH);
  }

  /** Adds a cell holding any JavaScript value (see docs/content-hash.md for the canonical kinds). */
  cellValue(k: ColumnKey, v: unknown): void {
    if (setValue(v)) this.addPayload(k, VAL[0]!, VAL[1]!, VAL[2]!);
  }

  /** Adds a number cell (NaN is a null). */
  cellNumber(k: ColumnKey, x: number): void {
    if (x !== x) return;
    setNumber(x);
    this.addPayload(k, TAG_NUMBER, VAL[1]!, VAL[2]!);
  }

  /** Adds a string cell. */
  cellString(k: ColumnKey, s: string): void {
    hashString(s);
    this.addPayload(k, TAG_STRING, R[RH]!, R[RL]!);
  }

  /** Adds a boolean cell. */
  cellBoolean(k: ColumnKey, b: boolean): void {
    this.addPayload(k, TAG_BOOLEAN, 0, b ? 1 : 0);
  }

  /** Adds a timestamp cell, in milliseconds since the epoch (NaN is a null). */
  cellMillis(k: ColumnKey, ms: number): void {
    if (ms !== ms) return;
    setInt64(ms, TAG_TIMESTAMP);
    this.addPayload(k, TAG_TIMESTAMP, VAL[1]!, VAL[2]!);
  }

  /** Ends a row: folds its state into the two lanes. */
  endRow(): void {
    this.foldRow(this.state[SH]!, this.state[SH + 1]!);
  }

  private foldRow(sHi: number, sLo: number): void {
    fmix64(sHi ^ TAG_HI[SEED_A]!, sLo ^ TAG_LO[SEED_A]!);
    addCell(this.state, AH);
    fmix64(sHi ^ TAG_HI[SEED_B]!, sLo ^ TAG_LO[SEED_B]!);
    addCell(this.state, BH);
    this.rows++;
  }

  /** Adds one row (an object; a missing key is a null). */
  addRow(row: Readonly<Record<string, unknown>>): void {
    this.startRow();
    for (const name in row) {
      if (!Object.prototype.hasOwnProperty.call(row, name)) continue;
      if (setValue(row[name])) this.addPayload(this.key(name), VAL[0]!, VAL[1]!, VAL[2]!);
    }
    this.endRow();
  }

  /**
   * Adds a batch of columns of equal length (typed arrays or JavaScript arrays), a block of rows at a
   * time so that the block's row states stay in the CPU cache while every column passes over them.
   * Float64Array columns go through the WebAssembly kernel (native 64-bit multiplies).
   */
  addColumns(columns: Readonly<Record<string, ArrayLike<unknown>>>, length: number): void {
    const entries = Object.entries(columns).map(([name, values]) => {
      const k = this.key(name);
      return { k, k64: (BigInt(k.hi) << 32n) | BigInt(k.lo), values };
    });
    const { cells, values: block, state } = kernel();
    for (let start = 0; start < length; start += BLOCK_ROWS) {
      const end = Math.min(length, start + BLOCK_ROWS);
      const n = end - start;
      state.fill(0, 0, 2 * n);
      for (const { k, k64, values } of entries) {
        if (values instanceof Float64Array) {
          block.set(values.subarray(start, end));
          cells(0, BLOCK_ROWS * 8, n, k64);
          continue;
        }
        for (let i = start; i < end; i++) {
          if (!setValue(values[i])) continue;
          const tag = VAL[0]!;
          cellMix(VAL[1]! ^ k.hi ^ TAG_HI[tag]!, VAL[2]! ^ k.lo ^ TAG_LO[tag]!);
          const j = 2 * (i - start);
          const rl = R[RL]!;
          const l = (state[j]! + rl) >>> 0;
          state[j + 1] = state[j + 1]! + R[RH]! + (l < rl ? 1 : 0);
          state[j] = l;
        }
      }
      for (let i = 0; i < n; i++) this.foldRow(state[2 * i + 1]!, state[2 * i]!);
    }
  }

  /** The lanes so far, as 16 hex digits each (for the shared vectors). */
  lanes(): { a: string; b: string } {
    const st = this.state;
    return { a: hex64(st[AH]!, st[AH + 1]!), b: hex64(st[BH]!, st[BH + 1]!) };
  }

  /** `rch1:<32 hex digits>` of the rows so far, bound to the schema fingerprint ('' when there is none). */
  digest(schemaFingerprint: string): string {
    const fp = Buffer.from(schemaFingerprint, 'utf8');
    const st = this.state;
    const payload = Buffer.alloc(28 + fp.length);
    payload.write('rch1', 0, 'latin1');
    payload.writeUInt32LE(this.rows >>> 0, 4);
    payload.writeUInt32LE(Math.floor(this.rows / TWO_32) >>> 0, 8);
    payload.writeUInt32LE(st[AH + 1]!, 12);
    payload.writeUInt32LE(st[AH]!, 16);
    payload.writeUInt32LE(st[BH + 1]!, 20);
    payload.writeUInt32LE(st[BH]!, 24);
    fp.copy(payload, 28);
    siphash(payload, payload.length, KEY_1);
    const d1 = hex64(R[RH]!, R[RL]!);
    siphash(payload, payload.length, KEY_2);
    return `${CONTENT_HASH_PREFIX}${d1}${hex64(R[RH]!, R[RL]!)}`;
  }
}

// The cell mix of a block of float64 values, in WebAssembly (hand-assembled; 64-bit integer multiplies
// are native there and cost about a fifth of their emulation in 32-bit JavaScript):
//   (func (export "f") (param $vals i32) (param $state i32) (param $n i32) (param $key i64)
//     (local $x i64) (local $v f64)
//     (block (loop
//       (br_if 1 (i32.eqz (local.get $n)))
//       (if (f64.eq (local.tee $v (f64.load (local.get $vals))) (local.get $v))   ;; NaN is a null
//         (then
//           (local.set $x (select (i64.load (local.get $vals)) (i64.const 0) (f64.ne (local.get $v) (f64.const 0))))
//           (local.set $x (i64.xor (local.get $x) (local.get $key)))
//           (local.set $x (i64.mul (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 33))) M1))
//           (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 33))))
//           (i64.store (local.get $state) (i64.add (i64.load (local.get $state)) (local.get $x)))))
//       (local.set $vals (i32.add (local.get $vals) (i32.const 8)))
//       (local.set $state (i32.add (local.get $state) (i32.const 8)))
//       (local.set $n (i32.sub (local.get $n) (i32.const 1)))
//       (br 0)))
//   (memory (export "m") 1)
// Memory: the block's values at 0, its row states (int64, little-endian: lo word first) at BLOCK_ROWS * 8.
const M1_SLEB = [0xcd, 0x99, 0xd6, 0xea, 0xfe, 0xfa, 0xeb, 0xa8, 0x7f];
const KERNEL_BODY = [
  ...[0x02, 0x01, 0x7e, 0x01, 0x7c],
  ...[0x02, 0x40, 0x03, 0x40, 0x20, 0x02, 0x45, 0x0d, 0x01],
  ...[0x20, 0x00, 0x2b, 0x03, 0x00, 0x22, 0x05, 0x20, 0x05, 0x61, 0x04, 0x40],
  ...[0x20, 0x00, 0x29, 0x03, 0x00, 0x42, 0x00, 0x20, 0x05, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0x62, 0x1b],
  ...[0x20, 0x03, 0x85, 0x22, 0x04, 0x20, 0x04, 0x42, 0x21, 0x88, 0x85],
  ...[0x42, ...M1_SLEB, 0x7e, 0x22, 0x04, 0x20, 0x04, 0x42, 0x21, 0x88, 0x85, 0x21, 0x04],
  ...[0x20, 0x01, 0x20, 0x01, 0x29, 0x03, 0x00, 0x20, 0x04, 0x7c, 0x37, 0x03, 0x00, 0x0b],
  ...[0x20, 0x00, 0x41, 0x08, 0x6a, 0x21, 0x00, 0x20, 0x01, 0x41, 0x08, 0x6a, 0x21, 0x01],
  ...[0x20, 0x02, 0x41, 0x01, 0x6b, 0x21, 0x02, 0x0c, 0x00, 0x0b, 0x0b, 0x0b],
];
const KERNEL_MODULE = Uint8Array.from([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  ...[0x01, 0x08, 0x01, 0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7e, 0x00],
  ...[0x03, 0x02, 0x01, 0x00],
  ...[0x05, 0x03, 0x01, 0x00, 0x01],
  ...[0x07, 0x09, 0x02, 0x01, 0x66, 0x00, 0x00, 0x01, 0x6d, 0x02, 0x00],
  ...[0x0a, KERNEL_BODY.length + 2, 0x01, KERNEL_BODY.length, ...KERNEL_BODY],
]);

interface Kernel {
  cells: (values: number, state: number, n: number, key: bigint) => void;
  values: Float64Array;
  state: Uint32Array;
}

let kernelInstance: Kernel | undefined;

/**
 * The slice of the WebAssembly JS API the kernel uses: Node has it as a global, but @types/node 20 only
 * declares it with the DOM lib, which the build does not load.
 */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The WebAssembly kernel, instantiated on first use (a few hundred bytes, synchronously). */
function kernel(): Kernel {
  if (kernelInstance === undefined) {
    const exports = new wasm.Instance(new wasm.Module(KERNEL_MODULE)).exports as {
      f: Kernel['cells'];
      m: { buffer: ArrayBuffer };
    };
    kernelInstance = {
      cells: exports.f,
      values: new Float64Array(exports.m.buffer, 0, BLOCK_ROWS),
      state: new Uint32Array(exports.m.buffer, BLOCK_ROWS * 8, 2 * BLOCK_ROWS),
    };
  }
  return kernelInstance;
}
