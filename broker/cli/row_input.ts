// Rows of stdin (CSV records or JSON lines) gathered into column arrays for one append, every value
// converted to its column's type first. A value that does not fit is a BAD_INPUT error naming the
// line, the column and why, raised before the batch is handed on, so a batch is sent whole or not at
// all. Pure.

import { AppendData } from '../table/batch.js';
import { ColumnSpec, TableSchema } from '../table/schema.js';
import { messageOf } from '../../storage/state/errors.js';
import { CliError } from './cli_errors.js';
import { CsvRecord } from './csv_rows.js';
import { Misfit, isText, valueFromJson, valueFromText } from './text_values.js';

export interface RowBatch {
  data: AppendData;
  rows: number;
  /** Line of stdin of each row, so an error the node reports for row i can name its line. */
  lines: number[];
}

function badLine(line: number, what: string): CliError {
  return new CliError('BAD_INPUT', `line ${line}: ${what}`);
}

export class RowBatchBuilder {
  private columns: unknown[][];
  private lines: number[] = [];
  /** For CSV: table column index of each field; set by the header (or the table order with no header). */
  private fieldColumns: number[] | undefined;

  constructor(private readonly schema: TableSchema, csvHeader: 'header' | 'noHeader' = 'header') {
    this.columns = schema.columns.map(() => []);
    if (csvHeader === 'noHeader') this.fieldColumns = schema.columns.map((_, i) => i);
  }

  get rows(): number {
    return this.lines.length;
  }

  /** A CSV record: the header (the first one, unless noHeader) or a row. */
  addCsvRecord(record: CsvRecord): void {
    if (this.fieldColumns === undefined) {
      this.fieldColumns = this.headerColumns(record);
      return;
    }
    const fields = record.fields;
    if (fields.length !== this.fieldColumns.length) {
      throw badLine(record.line, `${fields.length} fields, expected ${this.fieldColumns.length} (${this.fieldColumns.map((i) => this.schema.columns[i]!.name).join(', ')})`);
    }
    const values = this.schema.columns.map((): unknown => null);
    for (let f = 0; f < fields.length; f++) {
      const column = this.fieldColumns[f]!;
      const spec = this.schema.columns[column]!;
      const { text, quoted } = fields[f]!;
      values[column] = text === '' && !(quoted && isText(spec)) ? null : this.convert(record.line, spec, () => valueFromText(spec, text));
    }
    this.push(record.line, values);
  }

  /** A JSON line: an object by column name (absent columns are null) or an array in table order. */
  addJsonLine(line: number, text: string): void {
    if (text.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw badLine(line, `not JSON (${messageOf(err)})`);
    }
    const columns = this.schema.columns;
    const values = columns.map((): unknown => null);
    if (Array.isArray(parsed)) {
      if (parsed.length !== columns.length) throw badLine(line, `an array of ${parsed.length} values, expected ${columns.length} (${columns.map((c) => c.name).join(', ')})`);
      parsed.forEach((v, i) => (values[i] = this.convert(line, columns[i]!, () => valueFromJson(columns[i]!, v))));
    } else if (parsed !== null && typeof parsed === 'object') {
      for (const [name, v] of Object.entries(parsed)) {
        const i = this.columnIndex(name);
        if (i < 0) throw badLine(line, `"${name}" is not a column of the table (${columns.map((c) => c.name).join(', ')})`);
        values[i] = this.convert(line, columns[i]!, () => valueFromJson(columns[i]!, v));
      }
    } else {
      throw badLine(line, 'expected a JSON object {"column": value, ...} or an array of values in table order');
    }
    this.push(line, values);
  }

  /** The rows gathered so far, as columns by name; the builder starts over. */
  take(): RowBatch {
    const data: Record<string, unknown[]> = {};
    this.schema.columns.forEach((c, i) => (data[c.name] = this.columns[i]!));
    const batch = { data, rows: this.lines.length, lines: this.lines };
    this.columns = this.schema.columns.map(() => []);
    this.lines = [];
    return batch;
  }

  private push(line: number, values: unknown[]): void {
    values.forEach((v, i) => this.columns[i]!.push(v));
    this.lines.push(line);
  }

  private convert(line: number, spec: ColumnSpec, f: () => unknown): unknown {
    try {
      return f();
    } catch (err) {
      if (err instanceof Misfit) throw badLine(line, `column ${spec.name}: ${err.message}`);
      throw err;
    }
  }

  /** Column names compare ignoring case, as the schema does. */
  private columnIndex(name: string): number {
    const lower = name.trim().toLowerCase();
    return this.schema.columns.findIndex((c) => c.name.toLowerCase() === lower);
  }

  private headerColumns(record: CsvRecord): number[] {
    const seen = new Set<number>();
    return record.fields.map(({ text }) => {
      const i = this.columnIndex(text);
      if (i < 0) {
        throw badLine(record.line, `header names "${text}", which is not a column of the table (${this.schema.columns.map((c) => c.name).join(', ')}); use --no-header for a file without a header line`);
      }
      if (seen.has(i)) throw badLine(record.line, `header names column "${text}" twice`);
      seen.add(i);
      return i;
    });
  }
}
