import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every Kafka record batch, eight bytes at a
 * time ("slicing-by-8": eight tables of 256 entries, read as two 32-bit words on little-endian machines). The same values as kafkajs's own implementation, which reads
 * one byte at a time: about 0.27 ms per 128 KB, the size of the state a 20-column sketch report commits
 * (bench/results/throughput.md), on the monitor's one thread.
 */
const TABLES = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

const LITTLE_ENDIAN = endianness() === 'LE';

/** The CRC-32C of `buf`, an unsigned 32-bit integer. */
export function crc32c(buf: Uint8Array): number {
  const t = TABLES;
  let crc = -1;
  let i = 0;
  const len = buf.length;
  if (LITTLE_ENDIAN && len >= 16) {
    // Byte by byte up to a 4-byte boundary, then two 32-bit words at a time.
    while (i < len && ((buf.byteOffset + i) & 3) !== 0) crc = t[(crc ^ buf[i++]!) & 0xff]! ^ (crc >>> 8);
    const pairs = (len - i) >>> 3;
    const u = new Int32Array(buf.buffer, buf.byteOffset + i, pairs * 2);
    for (let w = 0; w < u.length; w += 2) {
      const a = crc ^ u[w]!;
      const b = u[w + 1]!;
      crc =
        t[1792 + (a & 0xff)]! ^
        t[1536 + ((a >>> 8) & 0xff)]! ^
        t[1280 + ((a >>> 16) & 0xff)]! ^
        t[1024 + (a >>> 24)]! ^
        t[768 + (b & 0xff)]! ^
        t[512 + ((b >>> 8) & 0xff)]! ^
        t[256 + ((b >>> 16) & 0xff)]! ^
        t[b >>> 24]!;
    }
    i += pairs * 8;
  }
  for (; i < len; i++) crc = t[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** kafkajs's module that record batches take their checksum from (it exports the function). */
function kafkajsCrcModule(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('kafkajs')), 'src/protocol/recordBatch/crc32C/index.js');
  } catch {
    return undefined;
  }
}

let installed: boolean | undefined;

/**
 * Makes kafkajs checksum the record batches it produces with {@link crc32c}: its checksum module's export is
 * replaced before kafkajs's record-batch encoder first loads it (it is loaded on the first produce or fetch, and
 * client.ts calls this when it is imported). Returns whether kafkajs now uses it; where its files are not where
 * kafkajs 2 keeps them, or the encoder was loaded before, nothing changes (the same checksums, computed slower).
 */
export function useFastCrc32c(): boolean {
  if (installed !== undefined) return installed;
  installed = false;
  const path = kafkajsCrcModule();
  if (path === undefined) return false;
  const require = createRequire(import.meta.url);
  const encoder = join(dirname(path), '../v0/index.js');
  try {
    if (require.cache[encoder] !== undefined) return false;
    const original = require(path) as unknown;
    const probe = Buffer.from('123456789');
    // The check value of CRC-32C: the module is the one this replaces.
    if (typeof original !== 'function' || (original as (b: Buffer) => number)(probe) !== 0xe3069283) return false;
    const mod = require.cache[path];
    if (mod === undefined) return false;
    mod.exports = function fastCrc32c(buffer: Buffer): number {
      return crc32c(buffer);
    };
    installed = (require(encoder) as unknown) !== undefined && require(path) !== original;
  } catch {
    installed = false;
  }
  return installed;
}
