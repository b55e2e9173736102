/** One reference token of a JSON Pointer (RFC 6901): `~` is written `~0` and `/` is written `~1`. */
export function pointerSegment(key: string | number): string {
  if (typeof key === 'number') return String(key);
  return key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key;
}

/** A JSON Pointer built from its reference tokens: `['a', 0, 'b/c']` -> `/a/0/b~1c`. */
export function pointer(...keys: (string | number)[]): string {
  let out = '';
  for (const k of keys) out += `/${pointerSegment(k)}`;
  return out;
}
