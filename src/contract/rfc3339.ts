const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The outcome of {@link checkRfc3339}: epoch milliseconds, or why the text is not accepted. */
export type Rfc3339Result = { ok: true; epochMs: number } | { ok: false; reason: string };

/**
 * Checks an RFC 3339 `date-time` (`2026-11-21T10:00:05.123Z`, `2026-11-21T12:00:05+02:00`): the
 * grammar (`T`/`Z` in either case, any number of fraction digits, an offset is required) and the
 * calendar (month, day of month with leap years, hour, minute, second). A leap second (`:60`) is
 * refused: JavaScript dates cannot hold it and every consumer would have to special-case it.
 * Fraction digits past milliseconds are truncated in `epochMs`.
 */
export function checkRfc3339(text: string): Rfc3339Result {
  const m = RFC3339.exec(text);
  if (m === null) {
    return { ok: false, reason: 'is not an RFC 3339 date-time (like 2026-11-21T10:00:05.123Z, with an offset or Z)' };
  }
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  const y = year ?? 0;
  const mo = month ?? 0;
  const d = day ?? 0;
  if (mo < 1 || mo > 12) return { ok: false, reason: `has no month ${mo}` };
  if (d < 1 || d > daysInMonth(y, mo)) return { ok: false, reason: `has no day ${d} in ${m[1]}-${m[2]}` };
  if ((hour ?? 0) > 23 || (minute ?? 0) > 59) return { ok: false, reason: `has no time ${m[4]}:${m[5]}` };
  if (second === 60) return { ok: false, reason: 'is a leap second (:60), which is not accepted' };
  if ((second ?? 0) > 59) return { ok: false, reason: `has no second ${m[6]}` };
  let offsetMin = 0;
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return { ok: false, reason: `has no offset ${m[9]}${m[10]}:${m[11]}` };
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(hour ?? 0, minute ?? 0, second ?? 0, ms);
  return { ok: true, epochMs: date.getTime() - offsetMin * 60_000 };
}

/**
 * Epoch milliseconds of an RFC 3339 date-time (see {@link checkRfc3339}), or undefined when the text
 * is not one. Use it for a validated report's `event_time`.
 */
export function parseRfc3339(text: string): number | undefined {
  const r = checkRfc3339(text);
  return r.ok ? r.epochMs : undefined;
}
