import { describe, expect, it } from 'vitest';
import { globMatch, globToRegExp } from '../../src/rules/index.js';

describe('globMatch', () => {
  it('matches whole names with * and ?', () => {
    expect(globMatch('*', 'anything at all')).toBe(true);
    expect(globMatch('*', '')).toBe(true);
    expect(globMatch('stg_*', 'stg_orders')).toBe(true);
    expect(globMatch('stg_*', 'raw_stg_orders')).toBe(false);
    expect(globMatch('n0?', 'n07')).toBe(true);
    expect(globMatch('n0?', 'n0')).toBe(false);
    expect(globMatch('n0?', 'n071')).toBe(false);
  });

  it('is case-sensitive', () => {
    expect(globMatch('Orders', 'orders')).toBe(false);
    expect(globMatch('Orders', 'Orders')).toBe(true);
  });

  it('supports classes, ranges and negated classes', () => {
    expect(globMatch('n[0-4]', 'n3')).toBe(true);
    expect(globMatch('n[0-4]', 'n7')).toBe(false);
    expect(globMatch('n[!0-4]', 'n7')).toBe(true);
    expect(globMatch('n[!0-4]', 'n3')).toBe(false);
    expect(globMatch('[abc]x', 'bx')).toBe(true);
    expect(globMatch('[abc]x', 'dx')).toBe(false);
  });

  it('supports {a,b} alternatives, nested and with wildcards', () => {
    expect(globMatch('{orders,customers}', 'orders')).toBe(true);
    expect(globMatch('{orders,customers}', 'customers')).toBe(true);
    expect(globMatch('{orders,customers}', 'order')).toBe(false);
    expect(globMatch('x_{a*,b{1,2}}', 'x_alpha')).toBe(true);
    expect(globMatch('x_{a*,b{1,2}}', 'x_b2')).toBe(true);
    expect(globMatch('x_{a*,b{1,2}}', 'x_b3')).toBe(false);
  });

  it('treats regular expression characters literally', () => {
    expect(globMatch('a.b', 'a.b')).toBe(true);
    expect(globMatch('a.b', 'axb')).toBe(false);
    expect(globMatch('lake/(x)+|y$', 'lake/(x)+|y$')).toBe(true);
    expect(globMatch('a^b', 'a^b')).toBe(true);
    expect(globMatch('a\\b', 'a\\b')).toBe(true);
    expect(globMatch('a,b', 'a,b')).toBe(true);
    expect(globMatch('a}b', 'a}b')).toBe(true);
    expect(globMatch('[', '[')).toBe(true);
    expect(globMatch('x[]', 'x[]')).toBe(true);
  });

  it('lets * cross any character, newlines included', () => {
    expect(globMatch('a*b', 'a\nb')).toBe(true);
    expect(globMatch('a*b', 'a/x/y/b')).toBe(true);
  });

  it('rejects an unclosed brace', () => {
    expect(() => globToRegExp('{a,b')).toThrow(/unclosed "\{"/);
  });

  it('anchors the pattern at both ends', () => {
    const re = globToRegExp('a*');
    expect(re.source.startsWith('^')).toBe(true);
    expect(re.source.endsWith('$')).toBe(true);
    expect(globMatch('b', 'abc')).toBe(false);
  });
});
