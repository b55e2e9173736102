/** Where a JSON text first breaks RFC 8259, as an offset (UTF-16 units) with a 1-based line and column. */
export interface JsonSyntaxProblem {
  offset: number;
  line: number;
  column: number;
  message: string;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;
const ESCAPES = '"\\/bfnrt';

/** Thrown inside the scanner only; caught by locateJsonError. */
class Stop extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Finds the first syntax error in a JSON text, or undefined when it is valid JSON. Used only after
 * `JSON.parse` failed, to give the same precise position on every Node version (V8's own messages
 * vary and some carry no position). Iterative, so deep nesting cannot overflow the stack.
 */
export function locateJsonError(text: string): JsonSyntaxProblem | undefined {
  try {
    scan(text);
    return undefined;
  } catch (e: unknown) {
    if (!(e instanceof Stop)) throw e;
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < e.offset && i < text.length; i++) {
      if (text.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    return { offset: e.offset, line, column: e.offset - lineStart + 1, message: e.message };
  }
}

function describe(text: string, i: number): string {
  if (i >= text.length) return 'end of input';
  const c = text.charAt(i);
  return `character ${JSON.stringify(c)}`;
}

function scan(text: string): void {
  const n = text.length;
  let i = 0;
  const stack: boolean[] = []; // true = object, false = array
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const string = (): void => {
    i++;
    for (;;) {
      if (i >= n) throw new Stop(i, 'unterminated string');
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c === 92) {
        const esc = text.charAt(i + 1);
        if (esc === 'u') {
          if (!HEX4.test(text.slice(i + 2, i + 6))) throw new Stop(i, 'invalid \\u escape (4 hex digits expected)');
          i += 6;
        } else if (esc !== '' && ESCAPES.includes(esc)) {
          i += 2;
        } else {
          throw new Stop(i, `invalid escape ${JSON.stringify(`\\${esc}`)} in string`);
        }
      } else if (c < 0x20) {
        throw new Stop(i, 'unescaped control character in string');
      } else {
        i++;
      }
    }
  };
  const key = (): void => {
    ws();
    if (text.charAt(i) !== '"') throw new Stop(i, `expected a string key, found ${describe(text, i)}`);
    string();
    ws();
    if (text.charAt(i) !== ':') throw new Stop(i, `expected ':' after the key, found ${describe(text, i)}`);
    i++;
  };
  let expectValue = true;
  for (;;) {
    ws();
    if (expectValue) {
      const c = text.charAt(i);
      if (c === '{') {
        i++;
        ws();
        if (text.charAt(i) === '}') {
          i++;
          expectValue = false;
        } else {
          stack.push(true);
          key();
        }
      } else if (c === '[') {
        i++;
        ws();
        if (text.charAt(i) === ']') {
          i++;
          expectValue = false;
        } else {
          stack.push(false);
        }
      } else if (c === '"') {
        string();
        expectValue = false;
      } else if (c === '-' || (c >= '0' && c <= '9')) {
        NUMBER.lastIndex = i;
        const m = NUMBER.exec(text);
        if (m === null) throw new Stop(i, 'invalid number');
        i += m[0].length;
        const next = text.charAt(i);
        if (next === '.' || next === 'e' || next === 'E' || (next >= '0' && next <= '9'))
          throw new Stop(i, 'invalid number');
        expectValue = false;
      } else if (text.startsWith('true', i) || text.startsWith('null', i)) {
        i += 4;
        expectValue = false;
      } else if (text.startsWith('false', i)) {
        i += 5;
        expectValue = false;
      } else {
        const hint = c === ']' || c === '}' ? ' (a trailing comma?)' : '';
        throw new Stop(i, `expected a value, found ${describe(text, i)}${hint}`);
      }
      continue;
    }
    if (stack.length === 0) {
      if (i < n) throw new Stop(i, `unexpected ${describe(text, i)} after the end of the JSON value`);
      return;
    }
    const inObject = stack[stack.length - 1] === true;
    const c = text.charAt(i);
    if (c === ',') {
      i++;
      if (inObject) key();
      expectValue = true;
    } else if (c === (inObject ? '}' : ']')) {
      i++;
      stack.pop();
    } else {
      throw new Stop(i, `expected ',' or '${inObject ? '}' : ']'}', found ${describe(text, i)}`);
    }
  }
}
