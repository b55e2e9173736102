import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRootlineError } from '../../src/errors/index.js';
import { CsvParser } from '../../src/profile/index.js';

function parse(chunks: string[], delimiter?: string): [string[], number][] {
  const out: [string[], number][] = [];
  const p = new CsvParser((fields, line) => out.push([fields, line]), delimiter === undefined ? {} : { delimiter });
  for (const c of chunks) p.push(c);
  p.end();
  return out;
}

function errorOf(chunks: string[]): string {
  try {
    parse(chunks);
  } catch (err: unknown) {
    expect(isRootlineError(err, 'FILE_INVALID')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('CsvParser (RFC 4180)', () => {
  it('parses quoted fields with delimiters, doubled quotes and line breaks; CRLF, LF and CR records', () => {
    const text = 'a,b,c\r\n1,"x, y","say ""hi"""\r\n2,"two\r\nlines",\n3,,""\r4,e,f';
    expect(parse([text])).toEqual([
      [['a', 'b', 'c'], 1],
      [['1', 'x, y', 'say "hi"'], 2],
      [['2', 'two\r\nlines', ''], 3],
      [['3', '', ''], 5],
      [['4', 'e', 'f'], 6],
    ]);
  });

  it('skips blank lines and a byte order mark, keeps a trailing empty field', () => {
    expect(parse(['\uFEFFa,b\n\n1,\n\n'])).toEqual([
      [['a', 'b'], 1],
      [['1', ''], 3],
    ]);
  });

  it('takes another one-character delimiter', () => {
    expect(parse(['a\tb\n"x\ty"\tz\n'], '\t')).toEqual([
      [['a', 'b'], 1],
      [['x\ty', 'z'], 2],
    ]);
    expect(() => new CsvParser(() => undefined, { delimiter: '"' })).toThrow();
  });

  it('gives the same records however the text is split into chunks', () => {
    const quoted = fc
      .array(fc.constantFrom('a', 'é', ',', '"', '\r', '\n', '\r\n', ' '), { maxLength: 6 })
      .map((cs) => `"${cs.join('').replace(/"/g, '""')}"`);
    const field = fc.oneof(fc.stringMatching(/^[a-z0-9 ]{0,6}$/), quoted);
    const record = fc.array(field, { minLength: 1, maxLength: 4 }).map((fs) => fs.join(','));
    const eol = fc.constantFrom('\n', '\r\n', '\r');
    const doc = fc
      .array(fc.tuple(record, eol), { minLength: 1, maxLength: 12 })
      .map((rs) => rs.map(([r, e]) => r + e).join(''));
    fc.assert(
      fc.property(doc, fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 8 }), (text, cuts) => {
        const whole = parse([text]);
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const chunks: string[] = [];
        let prev = 0;
        for (const p of points) {
          chunks.push(text.slice(prev, p));
          prev = p;
        }
        chunks.push(text.slice(prev));
        expect(parse(chunks)).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('reports malformed input with the line number', () => {
    expect(errorOf(['a,b\n1,x"y\n'])).toMatch(/^line 2: a double quote inside an unquoted field/);
    expect(errorOf(['a,b\n1,"x"y\n'])).toMatch(/^line 2: unexpected "y" after the closing quote/);
    expect(errorOf(['a,b\n1,2\n3,"open\nstill open'])).toMatch(
      /^line 3: a quoted field is not closed before the end of the file/,
    );
  });
});
