// The content hash `rch1` of a dataset (docs/content-hash.md): an order-independent fingerprint of the rows.
// Every 64-bit quantity is a pair of unsigned 32-bit halves (hi, lo): V8 has no fast 64-bit integers,
// and BigInt would cost more than the profiling itself.
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

let rHi = 0;
let rLo = 0;

/** (ah, al) * (bh, bl) mod 2^64 into (rHi, rLo). */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const carry = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  rLo = Math.imul(al, bl) >>> 0;
  rHi = (carry + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

const M1_HI = 0xff51afd7;
const M1_LO = 0xed558ccd;
const M2_HI = 0xc4ceb9fe;
const M2_LO = 0x1a85ec53;

/** MurmurHash3's fmix64 of (hi, lo) into (rHi, rLo). */
function fmix64(hi: number, lo: number): void {
  lo = (lo ^ (hi >>> 1)) >>> 0;
  mul64(hi, lo, M1_HI, M1_LO);
  hi = rHi;
  lo = (rLo ^ (hi >>> 1)) >>> 0;
  mul64(hi, lo, M2_HI, M2_LO);
  rLo = (rLo ^ (rHi >>> 1)) >>> 0;
}

/** The per-cell mix F(y) = xs33(M1 * xs33(y)), xs33(x) = x ^ (x >> 33), into (rHi, rLo). */
function cellMix(hi: number, lo: number): void {
  mul64(hi, (lo ^ (hi >>> 1)) >>> 0, M1_HI, M1_LO);
  rLo = (rLo ^ (rHi >>> 1)) >>> 0;
}

const TAG_HI: number[] = [];
const TAG_LO: number[] = [];
for (let t = 0; t <= SEED_B; t++) {
  fmix64(0, t);
  TAG_HI.push(rHi);
  TAG_LO.push(rLo);
}

// ---------------------------------------------------------------- SipHash-2-4

function keyWords(key: string): [number, number, number, number] {
  const b = Buffer.from(key, 'latin1');
  if (b.length !== 16) throw new Error('a SipHash key has 16 bytes');
  return [b.readUInt32LE(4), b.readUInt32LE(0), b.readUInt32LE(12), b.readUInt32LE(8)];
}

const KEY_1 = keyWords(CONTENT_HASH_KEY_1);
const KEY_2 = keyWords(CONTENT_HASH_KEY_2);

/**
 * SipHash-2-4 of `data[0..length)` with a key given as (k0 hi, k0 lo, k1 hi, k1 lo), into (rHi, rLo).
 * The eight 64-bit words of the state are kept as sixteen 32-bit locals.
 */
function siphash(data: Uint8Array, length: number, key: readonly [number, number, number, number]): void {
  let v0h = (key[0] ^ 0x736f6d65) >>> 0;
  let v0l = (key[1] ^ 0x70736575) >>> 0;
  let v1h = (key[2] ^ 0x646f7261) >>> 0;
  let v1l = (key[3] ^ 0x6e646f6d) >>> 0;
  let v2h = (key[0] ^ 0x6c796765) >>> 0;
  let v2l = (key[1] ^ 0x6e657261) >>> 0;
  let v3h = (key[2] ^ 0x74656462) >>> 0;
  let v3l = (key[3] ^ 0x79746573) >>> 0;
  let t = 0;
  let th = 0;
  let tl = 0;
  const round = (): void => {
    // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
    tl = (v0l + v1l) >>> 0;
    v0h = (v0h + v1h + (tl < v0l ? 1 : 0)) >>> 0;
    v0l = tl;
    th = ((v1h << 13) | (v1l >>> 19)) >>> 0;
    tl = ((v1l << 13) | (v1h >>> 19)) >>> 0;
    v1h = (th ^ v0h) >>> 0;
    v1l = (tl ^ v0l) >>> 0;
    t = v0h;
    v0h = v0l;
    v0l = t;
    // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
    tl = (v2l + v3l) >>> 0;
    v2h = (v2h + v3h + (tl < v2l ? 1 : 0)) >>> 0;
    v2l = tl;
    th = ((v3h << 16) | (v3l >>> 16)) >>> 0;
    tl = ((v3l << 16) | (v3h >>> 16)) >>> 0;
    v3h = (th ^ v2h) >>> 0;
    v3l = (tl ^ v2l) >>> 0;
    // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
    tl = (v0l + v3l) >>> 0;
    v0h = (v0h + v3h + (tl < v0l ? 1 : 0)) >>> 0;
    v0l = tl;
    th = ((v3h << 21) | (v3l >>> 11)) >>> 0;
    tl = ((v3l << 21) | (v3h >>> 11)) >>> 0;
    v3h = (th ^ v0h) >>> 0;
    v3l = (tl ^ v0l) >>> 0;
    // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
    tl = (v2l + v1l) >>> 0;
    v2h = (v2h + v1h + (tl < v2l ? 1 : 0)) >>> 0;
    v2l = tl;
    th = ((v1h << 17) | (v1l >>> 15)) >>> 0;
    tl = ((v1l << 17) | (v1h >>> 15)) >>> 0;
    v1h = (th ^ v2h) >>> 0;
    v1l = (tl ^ v2l) >>> 0;
    t = v2h;
    v2h = v2l;
    v2l = t;
  };
  const end = length - (length & 7);
  let i = 0;
  for (; i < end; i += 8) {
    const ml = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0;
    const mh = (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24)) >>> 0;
    v3h = (v3h ^ mh) >>> 0;
    v3l = (v3l ^ ml) >>> 0;
    round();
    round();
    v0h = (v0h ^ mh) >>> 0;
    v0l = (v0l ^ ml) >>> 0;
  }
  let bl = 0;
  let bh = (length & 0xff) << 24;
  const left = length - end;
  for (let j = 0; j < left; j++) {
    const byte = data[end + j]!;
    if (j < 4) bl |= byte << (8 * j);
    else bh |= byte << (8 * (j - 4));
  }
  bl >>>= 0;
  bh >>>= 0;
  v3h = (v3h ^ bh) >>> 0;
  v3l = (v3l ^ bl) >>> 0;
  round();
  round();
  v0h = (v0h ^ bh) >>> 0;
  v0l = (v0l ^ bl) >>> 0;
  v2l = (v2l ^ 0xff) >>> 0;
  round();
  round();
  round();
  round();
  rHi = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
  rLo = (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
}

let scratch = new Uint8Array(256);
const encoder = new TextEncoder();

/** SipHash-2-4 (key K1) of a string's UTF-8 bytes into (rHi, rLo); ASCII is copied without the encoder. */
function hashString(s: string): void {
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
  return hex64(rHi, rLo);
}

// ---------------------------------------------------------------- canonical values

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const TWO_32 = 4294967296;

let vTag = 0;
let vHi = 0;
let vLo = 0;

function setNumber(x: number): void {
  f64[0] = x + 0; // -0 + 0 is +0
  vTag = TAG_NUMBER;
  vHi = u32[HI]!;
  vLo = u32[LO]!;
}

function setInt64(ms: number, tag: number): void {
  vTag = tag;
  vLo = ms >>> 0;
  vHi = Math.floor(ms / TWO_32) >>> 0;
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
      const keys = Object.keys(v).sort(compareUtf16AsCodePoints);
      const rec = v as Record<string, unknown>;
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(rec[k])}`).join(',')}}`;
    }
    default:
      return 'null';
  }
}

function compareUtf16AsCodePoints(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * Sets (vTag, vHi, vLo) to the canonical payload of a JavaScript value; false for a null (null,
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
      vTag = TAG_STRING;
      vHi = rHi;
      vLo = rLo;
      return true;
    case 'boolean':
      vTag = TAG_BOOLEAN;
      vHi = 0;
      vLo = v ? 1 : 0;
      return true;
    case 'bigint': {
      const x = Number(v);
      if (Number.isFinite(x) && BigInt(x) === v) setNumber(x);
      else {
        const u = BigInt.asUintN(64, v);
        vTag = TAG_INT64;
        vHi = Number(u >> 32n);
        vLo = Number(u & 0xffffffffn);
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
        vTag = TAG_BINARY;
      } else {
        hashString(canonicalJson(v));
        vTag = TAG_NESTED;
      }
      vHi = rHi;
      vLo = rLo;
      return true;
    default:
      return false;
  }
}

/** The canonical kind and 64-bit payload (16 hex digits) of a value, or undefined for a null (for the shared vectors). */
export function valuePayload(v: unknown): { tag: number; payload: string } | undefined {
  return setValue(v) ? { tag: vTag, payload: hex64(vHi, vLo) } : undefined;
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
  return { hi: rHi, lo: rLo };
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?([Zz]|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * Milliseconds since 1970-01-01T00:00:00Z of an ISO date or date-time text as the CSV reader accepts it
 * (a date is midnight; a time without an offset is read as UTC; digits below the millisecond are dropped),
 * or NaN.
 */
export function parseIsoMillis(s: string): number {
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
 */
export class ContentHasher {
  private readonly keys = new Map<string, ColumnKey>();
  private sHi = 0;
  private sLo = 0;
  private aHi = 0;
  private aLo = 0;
  private bHi = 0;
  private bLo = 0;
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
    this.sHi = 0;
    this.sLo = 0;
  }

  private addPayload(k: ColumnKey, tag: number, hi: number, lo: number): void {
    cellMix((hi ^ k.hi ^ TAG_HI[tag]!) >>> 0, (lo ^ k.lo ^ TAG_LO[tag]!) >>> 0);
    const l = (this.sLo + rLo) >>> 0;
    this.sHi = (this.sHi + rHi + (l < rLo ? 1 : 0)) >>> 0;
    this.sLo = l;
  }

  /** Adds a cell holding any JavaScript value (see docs/content-hash.md for the canonical kinds). */
  cellValue(k: ColumnKey, v: unknown): void {
    if (setValue(v)) this.addPayload(k, vTag, vHi, vLo);
  }

  /** Adds a number cell (NaN is a null). */
  cellNumber(k: ColumnKey, x: number): void {
    if (x !== x) return;
    setNumber(x);
    this.addPayload(k, TAG_NUMBER, vHi, vLo);
  }

  /** Adds a string cell. */
  cellString(k: ColumnKey, s: string): void {
    hashString(s);
    this.addPayload(k, TAG_STRING, rHi, rLo);
  }

  /** Adds a boolean cell. */
  cellBoolean(k: ColumnKey, b: boolean): void {
    this.addPayload(k, TAG_BOOLEAN, 0, b ? 1 : 0);
  }

  /** Adds a timestamp cell, in milliseconds since the epoch (NaN is a null). */
  cellMillis(k: ColumnKey, ms: number): void {
    if (ms !== ms) return;
    setInt64(ms, TAG_TIMESTAMP);
    this.addPayload(k, TAG_TIMESTAMP, vHi, vLo);
  }

  /** Ends a row: folds its state into the two lanes. */
  endRow(): void {
    this.foldRow(this.sHi, this.sLo);
  }

  private foldRow(sHi: number, sLo: number): void {
    fmix64((sHi ^ TAG_HI[SEED_A]!) >>> 0, (sLo ^ TAG_LO[SEED_A]!) >>> 0);
    let l = (this.aLo + rLo) >>> 0;
    this.aHi = (this.aHi + rHi + (l < rLo ? 1 : 0)) >>> 0;
    this.aLo = l;
    fmix64((sHi ^ TAG_HI[SEED_B]!) >>> 0, (sLo ^ TAG_LO[SEED_B]!) >>> 0);
    l = (this.bLo + rLo) >>> 0;
    this.bHi = (this.bHi + rHi + (l < rLo ? 1 : 0)) >>> 0;
    this.bLo = l;
    this.rows++;
  }

  /** Adds one row (an object; a missing key is a null). */
  addRow(row: Readonly<Record<string, unknown>>): void {
    this.startRow();
    for (const name in row) {
      if (!Object.prototype.hasOwnProperty.call(row, name)) continue;
      const v = row[name];
      if (setValue(v)) this.addPayload(this.key(name), vTag, vHi, vLo);
    }
    this.endRow();
  }

  /** Adds a batch of columns of equal length (typed arrays or JavaScript arrays). */
  addColumns(columns: Readonly<Record<string, ArrayLike<unknown>>>, length: number): void {
    const sHi = new Uint32Array(length);
    const sLo = new Uint32Array(length);
    for (const [name, values] of Object.entries(columns)) {
      const k = this.key(name);
      if (values instanceof Float64Array) this.addFloat64(k, values, sHi, sLo);
      else {
        for (let i = 0; i < length; i++) {
          if (!setValue(values[i])) continue;
          cellMix((vHi ^ k.hi ^ TAG_HI[vTag]!) >>> 0, (vLo ^ k.lo ^ TAG_LO[vTag]!) >>> 0);
          const l = (sLo[i]! + rLo) >>> 0;
          sHi[i] = sHi[i]! + rHi + (l < rLo ? 1 : 0);
          sLo[i] = l;
        }
      }
    }
    for (let i = 0; i < length; i++) this.foldRow(sHi[i]!, sLo[i]!);
  }

  private addFloat64(k: ColumnKey, values: Float64Array, sHi: Uint32Array, sLo: Uint32Array): void {
    const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      if (x !== x) continue;
      let hi = words[2 * i + HI]!;
      let lo = words[2 * i + LO]!;
      if (x === 0) hi = lo = 0;
      cellMix((hi ^ k.hi) >>> 0, (lo ^ k.lo) >>> 0);
      const l = (sLo[i]! + rLo) >>> 0;
      sHi[i] = sHi[i]! + rHi + (l < rLo ? 1 : 0);
      sLo[i] = l;
    }
  }

  /** The lanes so far, as 16 hex digits each (for the shared vectors). */
  lanes(): { a: string; b: string } {
    return { a: hex64(this.aHi, this.aLo), b: hex64(this.bHi, this.bLo) };
  }

  /** `rch1:<32 hex digits>` of the rows so far, bound to the schema fingerprint ('' when there is none). */
  digest(schemaFingerprint: string): string {
    const fp = Buffer.from(schemaFingerprint, 'utf8');
    const payload = Buffer.alloc(28 + fp.length);
    payload.write('rch1', 0, 'latin1');
    payload.writeUInt32LE(this.rows >>> 0, 4);
    payload.writeUInt32LE(Math.floor(this.rows / TWO_32) >>> 0, 8);
    payload.writeUInt32LE(this.aLo, 12);
    payload.writeUInt32LE(this.aHi, 16);
    payload.writeUInt32LE(this.bLo, 20);
    payload.writeUInt32LE(this.bHi, 24);
    fp.copy(payload, 28);
    siphash(payload, payload.length, KEY_1);
    const d1 = hex64(rHi, rLo);
    siphash(payload, payload.length, KEY_2);
    return `${CONTENT_HASH_PREFIX}${d1}${hex64(rHi, rLo)}`;
  }
}
