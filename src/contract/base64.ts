const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const SHAPE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Why `text` is not canonical base64 (RFC 4648 section 4: standard alphabet, `=` padding to a multiple
 * of 4, zero pad bits, no whitespace), or undefined when it is. Canonical means decoding and encoding
 * again gives the same text, so base64 <-> bytes (the Avro form) round-trips exactly.
 */
export function base64Problem(text: string): string | undefined {
  if (text.length === 0) return 'is empty';
  if (canonicalBase64Bytes(text) !== undefined) return undefined;
  if (SHAPE.test(text)) {
    const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
    if (pad === 0) return undefined;
    const last = ALPHABET.indexOf(text.charAt(text.length - pad - 1));
    return (last & (pad === 2 ? 0x0f : 0x03)) === 0 ? undefined : 'is not canonical base64 (non-zero pad bits)';
  }
  const bad = /[^A-Za-z0-9+/=]/.exec(text);
  if (bad !== null) {
    const ch = bad[0];
    const hint = ch === '-' || ch === '_' ? ' (base64url is not accepted; use the standard alphabet)' : '';
    return `is not valid base64: character ${JSON.stringify(ch)} at index ${bad.index}${hint}`;
  }
  if (text.length % 4 !== 0)
    return `is not valid base64: length ${text.length} is not a multiple of 4 (missing = padding?)`;
  return 'is not valid base64: misplaced = padding';
}

/**
 * The bytes of `text` when it is canonical base64 (what {@link base64Problem} accepts), else undefined.
 * Canonical is exactly "encoding the decoded bytes gives the text back" (Node's encoder writes only
 * canonical base64, and decoding canonical base64 loses nothing), so this is one native decode, one
 * native encode and a comparison: the fast path for the kilobytes of every sketch of every report.
 */
export function canonicalBase64Bytes(text: string): Buffer | undefined {
  if (text.length === 0 || text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}
