// CSV records from text that arrives in chunks (stdin), RFC 4180 style: fields separated by commas,
// records by LF or CRLF, a field in double quotes may hold commas, newlines and "" for a quote. Each
// record carries the line it starts on, and each field whether it was quoted (a quoted "" is an empty
// string, an unquoted empty field is null). Pure; bounded by MAX_FIELD_CHARS per field.

import { CliError } from './cli_errors.js';

export interface CsvField {
  text: string;
  quoted: boolean;
}

export interface CsvRecord {
  /** 1-based line of stdin the record starts on. */
  line: number;
  fields: CsvField[];
}

/** A field longer than this is refused, so a missing closing quote cannot swallow all of stdin. */
export const MAX_FIELD_CHARS = 1 << 20;

type State = 'fieldStart' | 'unquoted' | 'quoted' | 'quoteInQuoted';

export class CsvReader {
  private state: State = 'fieldStart';
  private field = '';
  private fields: CsvField[] = [];
  private line = 1;
  private recordLine = 1;
  /** The record just ended on a CR: an LF right after it belongs to the same line break. */
  private afterCr = false;
  /** The last character was a CR: an LF right after it does not start another line. */
  private lastWasCr = false;

  /** The records completed by `chunk`. */
  push(chunk: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]!;
      if (ch === '\r' || (ch === '\n' && !this.lastWasCr)) this.line++;
      this.lastWasCr = ch === '\r';
      if (this.afterCr) {
        this.afterCr = false;
        if (ch === '\n') continue; // the LF of a CRLF that already ended the record
      }
      switch (this.state) {
        case 'quoted':
          if (ch === '"') this.state = 'quoteInQuoted';
          else this.add(ch);
          break;
        case 'quoteInQuoted':
          if (ch === '"') {
            this.add('"');
            this.state = 'quoted';
          } else if (ch === ',') this.endField(true);
          else if (ch === '\n' || ch === '\r') this.endRecord(out, ch, true);
          else throw this.bad(`a character after a closing quote (${JSON.stringify(ch)}); a quote inside a quoted field is written ""`);
          break;
        case 'fieldStart':
          if (ch === '"') this.state = 'quoted';
          else this.unquotedChar(out, ch);
          break;
        case 'unquoted':
          this.unquotedChar(out, ch);
          break;
      }
    }
    return out;
  }

  /** The last record when stdin does not end with a newline; throws on an open quote. */
  end(): CsvRecord | undefined {
    if (this.state === 'quoted') throw new CliError('BAD_INPUT', `line ${this.recordLine}: a quoted field never closes`);
    if (this.state === 'fieldStart' && this.fields.length === 0) return undefined;
    const record = { line: this.recordLine, fields: [...this.fields, { text: this.field, quoted: this.state === 'quoteInQuoted' }] };
    this.fields = [];
    this.field = '';
    this.state = 'fieldStart';
    return record;
  }

  private unquotedChar(out: CsvRecord[], ch: string): void {
    this.state = 'unquoted';
    if (ch === ',') this.endField(false);
    else if (ch === '\n' || ch === '\r') this.endRecord(out, ch, false);
    else if (ch === '"') throw this.bad('a quote inside an unquoted field; quote the whole field and write the quote as ""');
    else this.add(ch);
  }

  private add(ch: string): void {
    if (this.field.length >= MAX_FIELD_CHARS) throw this.bad(`a field over ${MAX_FIELD_CHARS} characters (an unclosed quote?)`);
    this.field += ch;
  }

  private endField(quoted: boolean): void {
    this.fields.push({ text: this.field, quoted });
    this.field = '';
    this.state = 'fieldStart';
  }

  private endRecord(out: CsvRecord[], ch: string, quoted: boolean): void {
    const blank = this.fields.length === 0 && this.field === '' && !quoted;
    if (!blank) {
      this.endField(quoted);
      out.push({ line: this.recordLine, fields: this.fields });
    }
    this.fields = [];
    this.field = '';
    this.state = 'fieldStart';
    this.recordLine = this.line;
    this.afterCr = ch === '\r';
  }

  private bad(what: string): CliError {
    return new CliError('BAD_INPUT', `line ${this.line}: ${what}`);
  }
}

/** One CSV field: quoted when it holds a comma, a quote, a newline, or leading/trailing spaces. */
export function csvField(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) || text === '' ? `"${text.replace(/"/g, '""')}"` : text;
}
