import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64Problem } from '../../src/contract/base64.js';

describe('canonical base64', () => {
  it('accepts exactly what Node encodes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
        expect(base64Problem(Buffer.from(bytes).toString('base64'))).toBeUndefined();
      }),
    );
  });

  it('refuses text that does not decode back to itself (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'AQgw+/=-_ .'.split('')), minLength: 1, maxLength: 12 }),
        (text) => {
          const canonical = Buffer.from(text, 'base64').toString('base64') === text;
          expect(base64Problem(text) === undefined).toBe(canonical);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('explains the problem', () => {
    expect(base64Problem('')).toBe('is empty');
    expect(base64Problem('AB-_')).toBe(
      'is not valid base64: character "-" at index 2 (base64url is not accepted; use the standard alphabet)',
    );
    expect(base64Problem('QUJD\n')).toBe('is not valid base64: character "\\n" at index 4');
    expect(base64Problem('QUI')).toBe('is not valid base64: length 3 is not a multiple of 4 (missing = padding?)');
    expect(base64Problem('QR==')).toBe('is not canonical base64 (non-zero pad bits)');
    expect(base64Problem('Q=B=')).toBe('is not valid base64: misplaced = padding');
  });
});
