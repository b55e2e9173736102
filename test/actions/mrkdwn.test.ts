import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { code, esc, listWithin, truncate } from '../../src/actions/mrkdwn.js';

const isLoneSurrogateAtEnd = (s: string) => {
  const c = s.charCodeAt(s.length - 2);
  return c >= 0xd800 && c <= 0xdbff;
};

describe('esc', () => {
  it('escapes &, < and > as Slack documents, & first so nothing is escaped twice', () => {
    expect(esc('a < b && c > d')).toBe('a &lt; b &amp;&amp; c &gt; d');
    expect(esc('<!channel>')).toBe('&lt;!channel&gt;');
    expect(esc('&lt;')).toBe('&amp;lt;');
  });
});

describe('truncate', () => {
  it('leaves what fits alone and ends what it cuts with an ellipsis', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcdef', 4)).toBe('abc…');
  });

  it('never splits a surrogate pair', () => {
    // '😀' is two UTF-16 code units; a cut after 3 units would keep half of the second one.
    expect(truncate('a😀😀😀', 4)).toBe('a😀…');
    // Nor a character made of several code points: a flag, an emoji with a skin tone.
    expect(truncate('ab🇫🇷🇫🇷', 6)).toBe('ab…');
    expect(truncate('ab👍🏽👍🏽', 6)).toBe('ab…');
    expect(truncate(`${'x'.repeat(10_000)}🇫🇷`, 10_003)).toBe(`${'x'.repeat(10_000)}…`);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.integer({ min: 1, max: 80 }), (s, max) => {
        const out = truncate(s, max);
        expect(out.length).toBeLessThanOrEqual(Math.max(max, 1));
        if (out !== s) expect(isLoneSurrogateAtEnd(out)).toBe(false);
        expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
      }),
    );
  });

  it('in mrkdwn, never splits an escape, a link or a code span', () => {
    expect(truncate('x &amp; y', 5, { mrkdwn: true })).toBe('x …');
    expect(truncate('see <https://grafana.local/d/x|drill-down> now', 20, { mrkdwn: true })).toBe('see …');
    expect(truncate('at `a_long_node_name` and more', 12, { mrkdwn: true })).toBe('at …');
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.integer({ min: 2, max: 120 }), (s, max) => {
        const out = truncate(esc(s), max, { mrkdwn: true });
        expect(out.length).toBeLessThanOrEqual(max);
        // Every '&' left starts a whole escape.
        expect(out.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
      }),
    );
  });
});

describe('code', () => {
  it('escapes, and replaces what would end the code span', () => {
    expect(code('load_<!channel>_orders')).toBe('`load_&lt;!channel&gt;_orders`');
    expect(code('a`b')).toBe('`aˋb`');
    expect(code('a\nb')).toBe('`a b`');
    expect(code('')).toBe('`(empty)`');
  });

  it('cuts a long name before escaping, so no escape is split', () => {
    const shown = code('&'.repeat(500), 10);
    expect(shown).toBe(`\`${'&amp;'.repeat(9)}…\``);
  });
});

describe('listWithin', () => {
  const items = Array.from({ length: 300 }, (_, k) => `\`node_${k}\``);

  it('keeps what fits and says how many more, with the link', () => {
    const out = listWithin(items, 200, { link: 'http://rootline.local/i/1' });
    expect(out.length).toBeLessThanOrEqual(200);
    expect(out.startsWith('`node_0`, `node_1`')).toBe(true);
    const shown = out.split(', ').length;
    expect(out).toMatch(new RegExp(` … and ${300 - shown} more \\(<http://rootline.local/i/1\\|full incident>\\)$`));
  });

  it('everything when it fits; a count when not even one item fits', () => {
    expect(listWithin(['`a`', '`b`'], 100)).toBe('`a`, `b`');
    expect(listWithin(['x'.repeat(500)], 100)).toBe('… and 1 more');
  });
});
