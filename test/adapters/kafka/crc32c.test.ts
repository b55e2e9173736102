// The record batches' CRC-32C (adapters/kafka/crc32c.ts): the same values as kafkajs's own (byte at a time), at
// every length and alignment, and kafkajs uses it once the Kafka client module is loaded.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../../src/adapters/kafka/crc32c.js';

const require = createRequire(import.meta.url);
/** kafkajs's implementation itself (its inner module, which the client never replaces). */
const kafkajsCrc = require(join(dirname(require.resolve('kafkajs')), 'src/protocol/recordBatch/crc32C/crc32C.js')) as (
  b: Buffer,
) => number;

describe('crc32c', () => {
  it('is CRC-32C: the check value, and kafkajs values at every length and offset', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const big = Buffer.alloc(70_000);
    for (let i = 0; i < big.length; i++) big[i] = rnd();
    for (let len = 0; len < 80; len++)
      for (let off = 0; off < 9; off++) {
        const b = big.subarray(off, off + len);
        expect(crc32c(b)).toBe(kafkajsCrc(b));
      }
    expect(crc32c(big)).toBe(kafkajsCrc(big));
    expect(crc32c(big.subarray(3))).toBe(kafkajsCrc(big.subarray(3)));
  });

  it('is what kafkajs checksums record batches with once the client module is loaded', async () => {
    const tsx = pathToFileURL(require.resolve('tsx')).href;
    const script = `
      import { createRequire } from 'node:module';
      import { dirname, join } from 'node:path';
      await import('./src/adapters/kafka/client.ts');
      const { crc32c } = await import('./src/adapters/kafka/crc32c.ts');
      const require = createRequire(join(process.cwd(), 'package.json'));
      const base = join(dirname(require.resolve('kafkajs')), 'src/protocol/recordBatch');
      const used = require(join(base, 'crc32C/index.js'));
      const b = Buffer.from('a record batch body');
      const Record = require(join(base, 'record/v0/index.js'));
      const { RecordBatch } = require(join(base, 'v0/index.js'));
      const batch = await RecordBatch({ records: [Record({ key: Buffer.from('k'), value: Buffer.from('v') })] });
      // The batch's CRC (after base offset, length, leader epoch and magic) covers what follows it.
      const body = batch.buffer.subarray(21);
      process.stdout.write(JSON.stringify({
        same: used(b) === crc32c(b),
        fast: used.name === 'fastCrc32c',
        batch: batch.buffer.readUInt32BE(17) === crc32c(body),
      }));
    `;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    expect(JSON.parse(out)).toEqual({ same: true, fast: true, batch: true });
  });
});
