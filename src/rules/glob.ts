/**
 * Glob patterns for rule overrides: `*` any run of characters, `?` one character, `[abc]` / `[a-z]` /
 * `[!abc]` a class, `{a,b}` alternatives. Matching is on the whole name and case-sensitive.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let i = 0;
  let braces = 0;
  while (i < glob.length) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        const negate = body.startsWith('!');
        if (negate) body = body.slice(1);
        re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
        i = end;
      }
    } else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
    i++;
  }
  if (braces > 0) throw new Error(`unclosed "{" in glob ${JSON.stringify(glob)}`);
  return new RegExp(`^${re}$`, 's');
}

const cache = new Map<string, RegExp>();

export function globMatch(glob: string, value: string): boolean {
  let re = cache.get(glob);
  if (!re) {
    re = globToRegExp(glob);
    cache.set(glob, re);
  }
  return re.test(value);
}
