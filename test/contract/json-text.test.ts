import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { locateJsonError } from '../../src/contract/json-text.js';

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('locateJsonError', () => {
  it('finds no error exactly when JSON.parse succeeds (property)', () => {
    const mangled = fc
      .tuple(
        fc.json(),
        fc.nat(),
        fc.constantFrom('', ',', '}', ']', '"', '\\', ':', '0', '-', 'e', '.', ' ', '\n', 't', '\u0001', '{', '['),
      )
      .map(([text, at, insert]) => {
        const i = at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(i + (at % 2));
      });
    fc.assert(
      fc.property(fc.oneof(fc.json(), mangled, fc.string()), (text) => {
        expect(locateJsonError(text) === undefined).toBe(parses(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('points at the offending character with a 1-based line and column', () => {
    expect(locateJsonError('{\n  "a": 1,\n  "b": tru\n}')).toEqual({
      offset: 19,
      line: 3,
      column: 8,
      message: 'expected a value, found character "t"',
    });
    expect(locateJsonError('[1, 2')).toMatchObject({ offset: 5, message: "expected ',' or ']', found end of input" });
    expect(locateJsonError('{"a" 1}')).toMatchObject({
      offset: 5,
      message: 'expected \':\' after the key, found character "1"',
    });
    expect(locateJsonError('{"a":1} x')).toMatchObject({
      offset: 8,
      message: 'unexpected character "x" after the end of the JSON value',
    });
    expect(locateJsonError('"tab\there"')).toMatchObject({
      offset: 4,
      message: 'unescaped control character in string',
    });
    expect(locateJsonError('"\\x"')).toMatchObject({ offset: 1, message: 'invalid escape "\\\\x" in string' });
    expect(locateJsonError('01')).toMatchObject({ offset: 1, message: 'invalid number' });
    expect(locateJsonError('{"a":1,}')).toMatchObject({
      offset: 7,
      message: 'expected a string key, found character "}"',
    });
  });

  it('handles nesting far deeper than the call stack', () => {
    expect(locateJsonError('['.repeat(200_000) + ']'.repeat(200_000))).toBeUndefined();
    expect(locateJsonError('['.repeat(200_000))).toMatchObject({ offset: 200_000 });
  });
});
