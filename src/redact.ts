/**
 * The one redaction of credentials carried inside URLs: `user:password@` in the authority and query
 * parameters whose name says they are secret (`token`, `access_token`, `api_key`, `password`,
 * `signature`, `sig`, `secret`, `key`, `auth`, ...). Used wherever a URL or a text that may hold one
 * leaves the process: the start-up log and `rootline config`, error messages, `/healthz` and `/metrics`.
 */

/** What replaces a secret. */
export const REDACTED = '<redacted>';

const SECRET_PARAM =
  /^(?:.*[-_.])?(?:token|access[-_]?token|refresh[-_]?token|id[-_]?token|api[-_]?key|apikey|key|secret|client[-_]?secret|password|passwd|pwd|pass|auth|authorization|credential|credentials|signature|sig|code|session|sessionid|jwt|bearer)$/i;

/** An absolute URL with a scheme, up to the first character no URL carries unescaped. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`{}|\\^]+/gi;

function redactQuery(query: string): string {
  return query.replace(/([?&;])([^=&;#]*)=([^&;#]*)/g, (m, sep: string, name: string) => {
    let decoded = name;
    try {
      decoded = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      // A malformed escape: judge the name as written.
    }
    return SECRET_PARAM.test(decoded) ? `${sep}${name}=${REDACTED}` : m;
  });
}

/**
 * `url` with its credentials replaced by `<redacted>`: the user information (`user:pass@`) and the
 * values of secret-looking query parameters. Works on text that does not parse as a URL too.
 */
export function redactUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  let rest = scheme ? url.slice(scheme[0].length) : url;
  if (scheme) {
    const end = rest.search(/[/?#]/);
    const authority = end < 0 ? rest : rest.slice(0, end);
    const at = authority.lastIndexOf('@');
    if (at >= 0) rest = `${REDACTED}@${rest.slice(at + 1)}`;
  }
  const q = rest.indexOf('?');
  if (q >= 0) {
    const hash = rest.indexOf('#', q);
    const query = hash < 0 ? rest.slice(q) : rest.slice(q, hash);
    rest = rest.slice(0, q) + redactQuery(query) + (hash < 0 ? '' : rest.slice(hash));
  }
  return (scheme ? scheme[0] : '') + rest;
}

/** `text` with every URL in it redacted by {@link redactUrl}; text without a URL is returned as it is. */
export function redactText(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_IN_TEXT, (u) => redactUrl(u));
}
