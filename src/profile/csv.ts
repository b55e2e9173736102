import { RootlineError } from '../errors/index.js';

/** Called for each CSV record with its fields and the line number it starts on (1-based). */
export type CsvRecordHandler = (fields: string[], line: number) => void;

/** Options of {@link CsvParser}. */
export interface CsvParserOptions {
  /** Field separator, one character. Default `,`. */
  delimiter?: string;
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;

function csvError(line: number, message: string): RootlineError {
  return new RootlineError('FILE_INVALID', `line ${line}: ${message}`, { details: { line } });
}

/**
 * A streaming RFC 4180 CSV parser: feed text in chunks of any size (`push`), then `end()`.
 * Fields are separated by the delimiter and records by CRLF, LF or CR; a field in double quotes may
 * hold delimiters, line breaks and `""` (one quote). Blank lines are skipped. Strict: a quote inside an
 * unquoted field, text after a closing quote and an unterminated quoted field are errors
 * (`RootlineError` `FILE_INVALID`, message starting with `line N:`). A leading byte order mark is ignored.
 */
export class CsvParser {
  private readonly onRecord: CsvRecordHandler;
  private readonly delimiter: number;
  private state = FIELD_START;
  private fields: string[] = [];
  /** Text of the current field from earlier chunks. */
  private pending = '';
  /** Physical line the parser is on (1-based). */
  private line = 1;
  private recordLine = 1;
  private quotedLine = 1;
  private sawCR = false;
  /** A CR ended the previous chunk inside a quoted field: one line break, or half of a CRLF. */
  private quotedCR = false;
  private first = true;
  private recordHasQuotes = false;

  constructor(onRecord: CsvRecordHandler, options: CsvParserOptions = {}) {
    const d = options.delimiter ?? ',';
    if (d.length !== 1 || d === '"' || d === '\n' || d === '\r') {
      throw new RootlineError(
        'INVALID_ARGUMENT',
        `the CSV delimiter must be one character other than a quote or a line break, got ${JSON.stringify(d)}`,
      );
    }
    this.onRecord = onRecord;
    this.delimiter = d.charCodeAt(0);
  }

  /** Parses the next piece of text. */
  push(chunk: string): void {
    let s = chunk;
    if (this.first) {
      this.first = false;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    const len = s.length;
    const delim = this.delimiter;
    let i = 0;
    let start = 0;
    if (this.quotedCR && len > 0) {
      this.quotedCR = false;
      if (s.charCodeAt(0) !== LF) this.line++;
    }
    if (this.sawCR && len > 0) {
      this.sawCR = false;
      if (s.charCodeAt(0) === LF) i = start = 1;
    }
    while (i < len) {
      switch (this.state) {
        case FIELD_START: {
          if (s.charCodeAt(i) === QUOTE) {
            this.state = QUOTED;
            this.recordHasQuotes = true;
            this.quotedLine = this.line;
            start = ++i;
          } else {
            this.state = UNQUOTED;
            start = i;
          }
          break;
        }
        case UNQUOTED: {
          for (;;) {
            if (i === len) break;
            const c = s.charCodeAt(i);
            if (c === delim) {
              this.fields.push(this.take(s, start, i));
              this.state = FIELD_START;
              start = ++i;
              break;
            }
            if (c === LF || c === CR) {
              this.fields.push(this.take(s, start, i));
              this.endRecord();
              i = this.newline(s, i);
              start = i;
              break;
            }
            if (c === QUOTE) {
              throw csvError(
                this.line,
                'a double quote inside an unquoted field (quote the whole field and double the quote: "a ""b"" c")',
              );
            }
            i++;
          }
          break;
        }
        case QUOTED: {
          const q = s.indexOf('"', i);
          const end = q < 0 ? len : q;
          for (let j = i; j < end; j++) {
            const c = s.charCodeAt(j);
            if (c === LF) this.line++;
            else if (c === CR) {
              if (j + 1 === len) this.quotedCR = true;
              else if (s.charCodeAt(j + 1) !== LF) this.line++;
            }
          }
          if (q < 0) {
            i = len;
            break;
          }
          this.pending += s.slice(start, q);
          this.state = QUOTE_IN_QUOTED;
          i = start = q + 1;
          break;
        }
        case QUOTE_IN_QUOTED: {
          const c = s.charCodeAt(i);
          if (c === QUOTE) {
            // "" inside quotes: one literal quote, the field goes on
            this.state = QUOTED;
            start = i;
            i++;
          } else if (c === delim) {
            this.fields.push(this.take(s, i, i));
            this.state = FIELD_START;
            start = ++i;
          } else if (c === LF || c === CR) {
            this.fields.push(this.take(s, i, i));
            this.endRecord();
            i = this.newline(s, i);
            start = i;
          } else {
            throw csvError(
              this.line,
              `unexpected ${JSON.stringify(String.fromCharCode(c))} after the closing quote of a field (a quoted field must end at a delimiter or a line break)`,
            );
          }
          break;
        }
      }
    }
    if (this.state === UNQUOTED || this.state === QUOTED) this.pending += s.slice(start, len);
  }

  /** Ends the input: the last record is emitted; an open quoted field is an error. */
  end(): void {
    if (this.state === QUOTED) {
      throw csvError(this.quotedLine, 'a quoted field is not closed before the end of the file');
    }
    if (this.state === UNQUOTED || this.state === QUOTE_IN_QUOTED || this.fields.length > 0) {
      this.fields.push(this.pending);
      this.pending = '';
      this.endRecord();
    }
    this.state = FIELD_START;
  }

  /** The current field's text: what earlier chunks held plus s[start, end). */
  private take(s: string, start: number, end: number): string {
    if (this.pending === '') return s.slice(start, end);
    const out = this.pending + s.slice(start, end);
    this.pending = '';
    return out;
  }

  /** Steps over a line break at s[i] (CRLF as one, also when split across chunks); returns the next index. */
  private newline(s: string, i: number): number {
    this.line++;
    this.recordLine = this.line;
    if (s.charCodeAt(i) === CR) {
      if (i + 1 === s.length) {
        this.sawCR = true;
        return i + 1;
      }
      if (s.charCodeAt(i + 1) === LF) return i + 2;
    }
    return i + 1;
  }

  private endRecord(): void {
    const fields = this.fields;
    const line = this.recordLine;
    this.fields = [];
    this.state = FIELD_START;
    const blank = fields.length === 1 && fields[0] === '' && !this.recordHasQuotes;
    this.recordHasQuotes = false;
    if (!blank) this.onRecord(fields, line);
  }
}
