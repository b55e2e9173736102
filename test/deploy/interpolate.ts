/**
 * The Compose file's variable interpolation, as the Compose Specification defines it, for the
 * deployment tests: `$VAR`, `${VAR}`, `${VAR:-default}` / `${VAR-default}` (default when unset or
 * empty / when unset), `${VAR:?error}` / `${VAR?error}` (fail), `${VAR:+alt}` / `${VAR+alt}`
 * (alternative when set), `$$` for a literal `$`, and nested `${...}` inside defaults.
 */

export class InterpolationError extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Finds the `}` that closes a `${` whose body starts at `from` (nested `${...}` allowed). */
function closing(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '$') {
      i++;
    } else if (text[i] === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (text[i] === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw new InterpolationError(`unclosed \${ in ${JSON.stringify(text)}`);
}

/** Interpolates one string. Unset variables without a default become '' (Compose warns about them). */
export function interpolate(text: string, env: Record<string, string | undefined>, where = ''): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '$') {
      out += c;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    if (next === '{') {
      const end = closing(text, i + 2);
      const body = text.slice(i + 2, end);
      i = end;
      const m = NAME.exec(body);
      if (!m) throw new InterpolationError(`${where}: bad variable ${JSON.stringify(`\${${body}}`)}`);
      const name = m[0];
      const rest = body.slice(name.length);
      const value = env[name];
      const set = value !== undefined;
      const nonEmpty = set && value !== '';
      if (rest === '') {
        out += value ?? '';
      } else if (rest.startsWith(':-') || rest.startsWith('-')) {
        const colon = rest.startsWith(':');
        const dflt = rest.slice(colon ? 2 : 1);
        out += (colon ? nonEmpty : set) ? value : interpolate(dflt, env, where);
      } else if (rest.startsWith(':?') || rest.startsWith('?')) {
        const colon = rest.startsWith(':');
        if (!(colon ? nonEmpty : set))
          throw new InterpolationError(
            `${where}: required variable ${name} is missing a value: ${interpolate(rest.slice(colon ? 2 : 1), env, where)}`,
          );
        out += value;
      } else if (rest.startsWith(':+') || rest.startsWith('+')) {
        const colon = rest.startsWith(':');
        if (colon ? nonEmpty : set) out += interpolate(rest.slice(colon ? 2 : 1), env, where);
      } else {
        throw new InterpolationError(`${where}: bad variable ${JSON.stringify(`\${${body}}`)}`);
      }
      continue;
    }
    const m = NAME.exec(text.slice(i + 1));
    if (m) {
      out += env[m[0]] ?? '';
      i += m[0].length;
    } else {
      out += '$';
    }
  }
  return out;
}

/** Interpolates every string value of a parsed Compose document (keys are left alone, as Compose does). */
export function interpolateDocument(value: unknown, env: Record<string, string | undefined>, path = ''): unknown {
  if (typeof value === 'string') return interpolate(value, env, path || '(root)');
  if (Array.isArray(value)) return value.map((v, i) => interpolateDocument(v, env, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        interpolateDocument(v, env, path ? `${path}.${k}` : k),
      ]),
    );
  }
  return value;
}

/** The variables named anywhere in a string (`$VAR`, `${VAR...}`, nested ones too). */
export function variablesIn(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.replace(/\$\$/g, '').matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1]!);
  return [...names];
}

/**
 * Parses a .env file the way Compose reads one: `KEY=VALUE` lines, `#` comment lines, optional
 * `export `, values optionally in single quotes (literal) or double quotes (with \n, \" and \\ escapes).
 */
export function parseDotenv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, n) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new InterpolationError(`.env line ${n + 1}: not KEY=VALUE: ${JSON.stringify(raw)}`);
    let v = m[2]!;
    if (v.startsWith("'")) {
      const end = v.indexOf("'", 1);
      if (end < 0) throw new InterpolationError(`.env line ${n + 1}: unclosed '`);
      v = v.slice(1, end);
    } else if (v.startsWith('"')) {
      const body = /^"((?:[^"\\]|\\.)*)"/.exec(v);
      if (!body) throw new InterpolationError(`.env line ${n + 1}: unclosed "`);
      v = body[1]!.replace(/\\(.)/g, (_, ch: string) => (ch === 'n' ? '\n' : ch));
    } else {
      // an unquoted value ends at an inline comment (" #")
      v = v.replace(/\s+#.*$/, '').trim();
    }
    env[m[1]!] = v;
  });
  return env;
}
