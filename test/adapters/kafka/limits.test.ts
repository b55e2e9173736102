import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Message } from 'kafkajs';
import {
  DEAD_LETTER_VALUE_BYTES,
  deadLetterMessage,
  recordBytes,
  splitToFit,
} from '../../../src/adapters/kafka/limits.js';

const src = { topic: 'rootline.reports', partition: 3, offset: '42', code: 'MESSAGE_TOO_LARGE', reason: 'too big' };

describe('dead letters that always fit', () => {
  it('truncates a large value, naming its size and sha256, and keeps the source and the reason', () => {
    const value = Buffer.alloc(4 * 1024 * 1024, 0x61);
    const dl = deadLetterMessage({ key: 'p', value, headers: { trace: 'x' } }, src);
    expect((dl.value as Buffer).length).toBe(DEAD_LETTER_VALUE_BYTES);
    const h = dl.headers as Record<string, string>;
    expect(h['rootline-original-size']).toBe(String(value.length));
    expect(h['rootline-original-sha256']).toBe(createHash('sha256').update(value).digest('hex'));
    expect(h['rootline-truncated']).toBe('true');
    expect(h['rootline-source-topic']).toBe('rootline.reports');
    expect(h['rootline-source-partition']).toBe('3');
    expect(h['rootline-source-offset']).toBe('42');
    expect(h['rootline-error']).toBe('MESSAGE_TOO_LARGE');
    expect(h.trace).toBe('x');
    expect(recordBytes(dl)).toBeLessThan(100 * 1024);
  });

  it('keeps a small value whole, lets no forged rootline header through, drops huge copied headers', () => {
    const dl = deadLetterMessage(
      { key: null, value: Buffer.from('{}'), headers: { 'rootline-error': 'FORGED', 'rootline-source-offset': '9' } },
      { ...src, code: 'REPORT_INVALID' },
    );
    expect((dl.value as Buffer).toString()).toBe('{}');
    const h = dl.headers as Record<string, string>;
    expect(h['rootline-error']).toBe('REPORT_INVALID');
    expect(h['rootline-source-offset']).toBe('42');
    expect(h['rootline-original-size']).toBeUndefined();
    const big = deadLetterMessage({ value: 'x', headers: { huge: 'h'.repeat(200_000) } }, src);
    expect((big.headers as Record<string, string>).huge).toBeUndefined();
    expect((big.headers as Record<string, string>)['rootline-headers-dropped']).toBeDefined();
    expect(recordBytes(big)).toBeLessThan(10 * 1024);
  });

  it('a reason of any length is cut', () => {
    const dl = deadLetterMessage({ value: 'x' }, { ...src, reason: 'r'.repeat(1_000_000) });
    expect(String((dl.headers as Record<string, string>)['rootline-error-message']).length).toBe(4000);
  });
});

describe('splitToFit', () => {
  it('splits a hundred 12 KB dead letters into groups under a 1 MiB limit, in order', () => {
    const limit = 1_048_576;
    const messages: Message[] = Array.from({ length: 100 }, (_, i) => ({
      key: `k${i}`,
      value: Buffer.alloc(12 * 1024 + i),
      headers: { 'rootline-error': 'REPORT_INVALID' },
    }));
    const groups = splitToFit(messages, limit);
    expect(groups.length).toBeGreaterThan(1);
    expect(groups.flat()).toEqual(messages);
    for (const g of groups) expect(g.reduce((n, m) => n + recordBytes(m), 0)).toBeLessThan(limit);
  });

  it('keeps everything in one group when it fits, and one oversized message alone', () => {
    expect(splitToFit([{ value: 'a' }, { value: 'b' }], 1000)).toHaveLength(1);
    const groups = splitToFit([{ value: 'a' }, { value: 'x'.repeat(5000) }, { value: 'b' }], 1000);
    expect(groups.map((g) => g.length)).toEqual([1, 1, 1]);
    expect(splitToFit([], 1000)).toEqual([]);
  });
});
