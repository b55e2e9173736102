// The WebAssembly kernel of the content hash `rch1` (docs/content-hash.md). Every 64-bit step runs here,
// where 64-bit integer multiplies, rotations and SipHash are native: JavaScript only writes the cells'
// canonical payloads (and strings' UTF-8 bytes) into the kernel's memory, a block at a time.
// The functions are written in folded WAT (see wasm-asm.ts) and assembled once per process.
import { assembleModule } from './wasm-asm.js';

const MASK64 = (1n << 64n) - 1n;

/** MurmurHash3's fmix64 on a BigInt (for the constants). */
export function fmix64Big(x: bigint): bigint {
  x ^= x >> 33n;
  x = (x * 0xff51afd7ed558ccdn) & MASK64;
  x ^= x >> 33n;
  x = (x * 0xc4ceb9fe1a85ec53n) & MASK64;
  return x ^ (x >> 33n);
}

/** The 64-bit little-endian words (k0, k1) of a 16-byte ASCII SipHash key. */
export function sipKeyWords(key: string): [bigint, bigint] {
  const b = Buffer.from(key, 'latin1');
  if (b.length !== 16) throw new Error('a SipHash key has 16 bytes');
  return [b.readBigUInt64LE(0), b.readBigUInt64LE(8)];
}

/** Rows per block of column batches (row states: 8 KiB, which stay in the L1 cache). */
export const BLOCK_ROWS = 1024;
/** Cells the row buffer holds before it is hashed. */
export const CELL_CAP = 4096;
/** Rows the row buffer holds before it is hashed. */
export const ROW_CAP = 4096;
/** The `L` of a cell whose payload is in `X` (every cell but a string's). */
export const NOT_A_STRING = 0xffffffff;

// Memory layout (byte addresses).
export const OUT = 0; // u64: the last `sip` result
export const LANE_A = 8; // u64
export const LANE_B = 16; // u64
export const CARRY = 24; // u64: the cells of a row begun before the last flush
export const STATE = 64; // u64[BLOCK_ROWS]: row states of a column block
export const VALS = STATE + 8 * BLOCK_ROWS; // f64[BLOCK_ROWS]: a block of a numeric column
export const X = VALS + 8 * BLOCK_ROWS; // u64[CELL_CAP]: payload ^ T[tag] ^ k of a cell (0 for a null)
export const K = X + 8 * CELL_CAP; // u64[CELL_CAP]: T[STRING] ^ k of a string cell (its payload is hashed here)
export const L = K + 8 * CELL_CAP; // u32[CELL_CAP]: UTF-8 length of a string cell, or NOT_A_STRING
export const O = L + 4 * CELL_CAP; // u32[CELL_CAP]: offset of a string cell's bytes in BYTES
export const ROWS = O + 4 * CELL_CAP; // u32[ROW_CAP]: cells per row of the row buffer
export const BYTES = ROWS + 4 * ROW_CAP; // u8[...]: strings' UTF-8 bytes, to the end of the memory
export const INITIAL_PAGES = 4;

const [K1_0, K1_1] = sipKeyWords('rootline-rch1-k1');
const T7 = fmix64Big(7n);
const T8 = fmix64Big(8n);
const M1 = '0xff51afd7ed558ccd';
const M2 = '0xc4ceb9fe1a85ec53';
const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** `x ^ (x >> 33)` of an i64 expression. */
const xs33 = (e: string): string => `(i64.xor ${e} (i64.shr_u ${e} (i64.const 33)))`;

/** Sets the local `$x` to the cell mix F($x) = xs33(M1 * xs33($x)). */
const CELL_MIX = `
  (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 33))))
  (local.set $x (i64.mul (local.get $x) (i64.const ${M1})))
  (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 33))))`;

/** Adds fmix64($s ^ T7) to lane A and fmix64($s ^ T8) to lane B (uses $x). */
const FOLD_ROW = ['A', 'B']
  .map((lane) => {
    const seed = lane === 'A' ? T7 : T8;
    const addr = lane === 'A' ? LANE_A : LANE_B;
    return `
  (local.set $x (i64.xor (local.get $s) (i64.const ${hex(seed)})))
  (local.set $x (i64.mul ${xs33('(local.get $x)')} (i64.const ${M1})))
  (local.set $x (i64.mul ${xs33('(local.get $x)')} (i64.const ${M2})))
  (i64.store (i32.const ${addr}) (i64.add (i64.load (i32.const ${addr})) ${xs33('(local.get $x)')}))`;
  })
  .join('');

/** Sets `$x` to cell $c's mixed contribution: F(X[c]), or F(sip(bytes) ^ K[c]) for a string cell. */
const CELL = `
  (local.set $len (i32.load (i32.add (i32.const ${L}) (i32.shl (local.get $c) (i32.const 2)))))
  (if (i32.eq (local.get $len) (i32.const ${NOT_A_STRING}))
    (then (local.set $x (i64.load (i32.add (i32.const ${X}) (i32.shl (local.get $c) (i32.const 3))))))
    (else (local.set $x (i64.xor
      (call $sip64
        (i32.add (i32.const ${BYTES}) (i32.load (i32.add (i32.const ${O}) (i32.shl (local.get $c) (i32.const 2)))))
        (local.get $len) (i64.const ${hex(K1_0)}) (i64.const ${hex(K1_1)}))
      (i64.load (i32.add (i32.const ${K}) (i32.shl (local.get $c) (i32.const 3))))))))
  ${CELL_MIX}`;

/** One SipRound over the locals $v0..$v3. */
const SIP_ROUND = `
  (local.set $v0 (i64.add (local.get $v0) (local.get $v1)))
  (local.set $v1 (i64.xor (i64.rotl (local.get $v1) (i64.const 13)) (local.get $v0)))
  (local.set $v0 (i64.rotl (local.get $v0) (i64.const 32)))
  (local.set $v2 (i64.add (local.get $v2) (local.get $v3)))
  (local.set $v3 (i64.xor (i64.rotl (local.get $v3) (i64.const 16)) (local.get $v2)))
  (local.set $v0 (i64.add (local.get $v0) (local.get $v3)))
  (local.set $v3 (i64.xor (i64.rotl (local.get $v3) (i64.const 21)) (local.get $v0)))
  (local.set $v2 (i64.add (local.get $v2) (local.get $v1)))
  (local.set $v1 (i64.xor (i64.rotl (local.get $v1) (i64.const 17)) (local.get $v2)))
  (local.set $v2 (i64.rotl (local.get $v2) (i64.const 32)))`;

const I32 = 'i32' as const;
const I64 = 'i64' as const;

/** The module's bytes. */
export const KERNEL_WASM = assembleModule({
  memoryPages: INITIAL_PAGES,
  functions: [
    {
      // SipHash-2-4 of the n bytes at p with the key (k0, k1).
      name: 'sip64',
      params: [
        ['$p', I32],
        ['$n', I32],
        ['$k0', I64],
        ['$k1', I64],
      ],
      result: I64,
      locals: [
        ['$v0', I64],
        ['$v1', I64],
        ['$v2', I64],
        ['$v3', I64],
        ['$m', I64],
        ['$end', I32],
        ['$i', I32],
      ],
      body: `
        (local.set $v0 (i64.xor (local.get $k0) (i64.const 0x736f6d6570736575)))
        (local.set $v1 (i64.xor (local.get $k1) (i64.const 0x646f72616e646f6d)))
        (local.set $v2 (i64.xor (local.get $k0) (i64.const 0x6c7967656e657261)))
        (local.set $v3 (i64.xor (local.get $k1) (i64.const 0x7465646279746573)))
        (local.set $end (i32.add (local.get $p) (i32.and (local.get $n) (i32.const -8))))
        (block $done (loop $words
          (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
          (local.set $m (i64.load (local.get $p)))
          (local.set $v3 (i64.xor (local.get $v3) (local.get $m)))
          ${SIP_ROUND} ${SIP_ROUND}
          (local.set $v0 (i64.xor (local.get $v0) (local.get $m)))
          (local.set $p (i32.add (local.get $p) (i32.const 8)))
          (br $words)))
        (local.set $m (i64.shl (i64.extend_i32_u (local.get $n)) (i64.const 56)))
        (local.set $i (i32.and (local.get $n) (i32.const 7)))
        (block $tail (loop $bytes
          (br_if $tail (i32.eqz (local.get $i)))
          (local.set $i (i32.sub (local.get $i) (i32.const 1)))
          (local.set $m (i64.or (local.get $m)
            (i64.shl (i64.load8_u (i32.add (local.get $p) (local.get $i)))
                     (i64.extend_i32_u (i32.shl (local.get $i) (i32.const 3))))))
          (br $bytes)))
        (local.set $v3 (i64.xor (local.get $v3) (local.get $m)))
        ${SIP_ROUND} ${SIP_ROUND}
        (local.set $v0 (i64.xor (local.get $v0) (local.get $m)))
        (local.set $v2 (i64.xor (local.get $v2) (i64.const 0xff)))
        ${SIP_ROUND} ${SIP_ROUND} ${SIP_ROUND} ${SIP_ROUND}
        (i64.xor (i64.xor (local.get $v0) (local.get $v1)) (i64.xor (local.get $v2) (local.get $v3)))`,
    },
    {
      // OUT = SipHash-2-4 of the n bytes at p, the key's words given as 32-bit halves.
      name: 'sip',
      export: true,
      params: [
        ['$p', I32],
        ['$n', I32],
        ['$k0lo', I32],
        ['$k0hi', I32],
        ['$k1lo', I32],
        ['$k1hi', I32],
      ],
      body: `
        (i64.store (i32.const ${OUT}) (call $sip64 (local.get $p) (local.get $n)
          (i64.or (i64.extend_i32_u (local.get $k0lo)) (i64.shl (i64.extend_i32_u (local.get $k0hi)) (i64.const 32)))
          (i64.or (i64.extend_i32_u (local.get $k1lo)) (i64.shl (i64.extend_i32_u (local.get $k1hi)) (i64.const 32)))))`,
    },
    {
      // STATE[i] += F(bits(VALS[i]) ^ key) for i in [c0, c1), skipping NaN (a null) and reading -0 as +0.
      name: 'f64col',
      export: true,
      params: [
        ['$c', I32],
        ['$c1', I32],
        ['$klo', I32],
        ['$khi', I32],
      ],
      locals: [
        ['$key', I64],
        ['$v', 'f64'],
        ['$x', I64],
        ['$a', I32],
      ],
      body: `
        (local.set $key (i64.or (i64.extend_i32_u (local.get $klo)) (i64.shl (i64.extend_i32_u (local.get $khi)) (i64.const 32))))
        (block $done (loop $cells
          (br_if $done (i32.ge_u (local.get $c) (local.get $c1)))
          (local.set $v (f64.load (i32.add (i32.const ${VALS}) (i32.shl (local.get $c) (i32.const 3)))))
          (if (f64.eq (local.get $v) (local.get $v))
            (then
              (local.set $x (i64.xor (local.get $key)
                (select (i64.reinterpret_f64 (local.get $v)) (i64.const 0) (f64.ne (local.get $v) (f64.const 0)))))
              ${CELL_MIX}
              (local.set $a (i32.add (i32.const ${STATE}) (i32.shl (local.get $c) (i32.const 3))))
              (i64.store (local.get $a) (i64.add (i64.load (local.get $a)) (local.get $x)))))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $cells)))`,
    },
    {
      // STATE[c] += the contribution of cell c, for c in [c0, c1) (a column block: cell c is row c).
      name: 'cols',
      export: true,
      params: [
        ['$c', I32],
        ['$c1', I32],
      ],
      locals: [
        ['$x', I64],
        ['$len', I32],
        ['$a', I32],
      ],
      body: `
        (block $done (loop $cells
          (br_if $done (i32.ge_u (local.get $c) (local.get $c1)))
          ${CELL}
          (local.set $a (i32.add (i32.const ${STATE}) (i32.shl (local.get $c) (i32.const 3))))
          (i64.store (local.get $a) (i64.add (i64.load (local.get $a)) (local.get $x)))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $cells)))`,
    },
    {
      // Folds the row states STATE[0..n) into the lanes.
      name: 'fold',
      export: true,
      params: [['$n', I32]],
      locals: [
        ['$i', I32],
        ['$s', I64],
        ['$x', I64],
      ],
      body: `
        (block $done (loop $rows
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (local.set $s (i64.load (i32.add (i32.const ${STATE}) (i32.shl (local.get $i) (i32.const 3)))))
          ${FOLD_ROW}
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $rows)))`,
    },
    {
      // The row buffer: rows r = 0..n-1 of ROWS[r] consecutive cells each (from cell 0); row 0 starts from
      // CARRY (its cells hashed before the last flush), which is then cleared. Each row is folded into the lanes.
      name: 'rows',
      export: true,
      params: [['$n', I32]],
      locals: [
        ['$r', I32],
        ['$c', I32],
        ['$end', I32],
        ['$s', I64],
        ['$x', I64],
        ['$len', I32],
      ],
      body: `
        (local.set $s (i64.load (i32.const ${CARRY})))
        (i64.store (i32.const ${CARRY}) (i64.const 0))
        (block $done (loop $rows
          (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
          (local.set $end (i32.add (local.get $c)
            (i32.load (i32.add (i32.const ${ROWS}) (i32.shl (local.get $r) (i32.const 2))))))
          (block $row (loop $cells
            (br_if $row (i32.ge_u (local.get $c) (local.get $end)))
            ${CELL}
            (local.set $s (i64.add (local.get $s) (local.get $x)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $cells)))
          ${FOLD_ROW}
          (local.set $s (i64.const 0))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $rows)))`,
    },
    {
      // CARRY += the contributions of cells [c0, c1) (a row still open when the buffer is flushed).
      name: 'carry',
      export: true,
      params: [
        ['$c', I32],
        ['$c1', I32],
      ],
      locals: [
        ['$x', I64],
        ['$len', I32],
        ['$s', I64],
      ],
      body: `
        (local.set $s (i64.load (i32.const ${CARRY})))
        (block $done (loop $cells
          (br_if $done (i32.ge_u (local.get $c) (local.get $c1)))
          ${CELL}
          (local.set $s (i64.add (local.get $s) (local.get $x)))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $cells)))
        (i64.store (i32.const ${CARRY}) (local.get $s))`,
    },
  ],
});

/** The kernel's exports. */
export interface KernelExports {
  sip: (p: number, n: number, k0lo: number, k0hi: number, k1lo: number, k1hi: number) => void;
  f64col: (c0: number, c1: number, klo: number, khi: number) => void;
  cols: (c0: number, c1: number) => void;
  fold: (n: number) => void;
  rows: (n: number) => void;
  carry: (c0: number, c1: number) => void;
  m: { buffer: ArrayBuffer; grow: (pages: number) => number };
}

/**
 * The slice of the WebAssembly JS API used here: Node has it as a global, but @types/node 20 only
 * declares it with the DOM lib, which the build does not load.
 */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
let compiled: object | undefined;

/** A fresh instance of the kernel (its own memory), the module compiled on first use. */
export function instantiateKernel(): KernelExports {
  compiled ??= new wasm.Module(KERNEL_WASM);
  return new wasm.Instance(compiled).exports as unknown as KernelExports;
}
