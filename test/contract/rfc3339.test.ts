import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkRfc3339, parseRfc3339 } from '../../src/contract/index.js';

describe('RFC 3339 date-time', () => {
  it('gives the same instant as Date for every ISO string (property)', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0001-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59.999Z'),
          noInvalidDate: true,
        }),
        (d) => {
          expect(parseRfc3339(d.toISOString())).toBe(d.getTime());
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('applies offsets and truncates fractions past milliseconds', () => {
    expect(parseRfc3339('2026-11-21T12:00:05.123999+02:00')).toBe(Date.UTC(2026, 10, 21, 10, 0, 5, 123));
    expect(parseRfc3339('2026-11-21T00:30:00-01:00')).toBe(Date.UTC(2026, 10, 21, 1, 30, 0));
    expect(parseRfc3339('2026-11-21t10:00:05.5z')).toBe(Date.UTC(2026, 10, 21, 10, 0, 5, 500));
    expect(parseRfc3339('0099-01-01T00:00:00Z')).toBe(Date.parse('0099-01-01T00:00:00Z'));
  });

  it('says why a text is refused', () => {
    expect(checkRfc3339('2026-11-21T10:00:05')).toEqual({
      ok: false,
      reason: expect.stringContaining('is not an RFC 3339 date-time') as unknown,
    });
    expect(checkRfc3339('2023-02-29T00:00:00Z')).toEqual({ ok: false, reason: 'has no day 29 in 2023-02' });
    expect(checkRfc3339('2026-04-31T00:00:00Z')).toEqual({ ok: false, reason: 'has no day 31 in 2026-04' });
    expect(checkRfc3339('2026-00-10T00:00:00Z')).toEqual({ ok: false, reason: 'has no month 0' });
    expect(checkRfc3339('2016-12-31T23:59:60Z')).toEqual({
      ok: false,
      reason: 'is a leap second (:60), which is not accepted',
    });
    expect(checkRfc3339('2026-11-21T10:00:61Z')).toEqual({ ok: false, reason: 'has no second 61' });
    expect(checkRfc3339('2026-11-21T10:00:00+01:60')).toEqual({ ok: false, reason: 'has no offset +01:60' });
    expect(parseRfc3339('2000-02-29T00:00:00Z')).toBe(Date.UTC(2000, 1, 29));
    expect(parseRfc3339('1900-02-29T00:00:00Z')).toBeUndefined();
  });
});
