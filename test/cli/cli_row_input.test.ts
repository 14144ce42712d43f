// shoal append's pure core: CSV records from chunks, text and JSON values converted to column types,
// and rows gathered into column batches with errors that name the line and the column.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvReader, CsvRecord, csvField } from '../../broker/cli/csv_rows.js';
import { RowBatchBuilder } from '../../broker/cli/row_input.js';
import { Misfit, valueFromJson, valueFromText } from '../../broker/cli/text_values.js';
import { CliError } from '../../broker/cli/cli_errors.js';
import { checkSchema } from '../../broker/table/schema.js';
import { encodeAppendBatch } from '../../broker/table/batch.js';
import { formatUuid } from '../../broker/table/value_text.js';

function readAll(text: string, chunkSize = text.length): CsvRecord[] {
  const reader = new CsvReader();
  const out: CsvRecord[] = [];
  for (let i = 0; i < text.length; i += chunkSize) out.push(...reader.push(text.slice(i, i + chunkSize)));
  const last = reader.end();
  if (last !== undefined) out.push(last);
  return out;
}

const fieldsOf = (records: CsvRecord[]) => records.map((r) => r.fields.map((f) => (f.quoted ? `"${f.text}"` : f.text)));

test('CSV: quoted fields hold commas, quotes and newlines; empty fields; CRLF; the same records in any chunking', () => {
  const text = 'id,name,note\r\n1,"Smith, J.","said ""hi"""\r\n2,,""\r\n\r\n3,"two\nlines",x\n4,last,no-newline';
  const expected = [
    ['id', 'name', 'note'],
    ['1', '"Smith, J."', '"said "hi""'],
    ['2', '', '""'],
    ['3', '"two\nlines"', 'x'],
    ['4', 'last', 'no-newline'],
  ];
  for (const size of [1, 2, 3, 7, 1000]) assert.deepEqual(fieldsOf(readAll(text, size)), expected, `chunks of ${size}`);
  // Each record names the line it starts on; the blank line 4 is skipped and the quoted newline counts.
  assert.deepEqual(readAll(text, 5).map((r) => r.line), [1, 2, 3, 5, 7]);
});

test('CSV: a stray quote, text after a closing quote, and an unclosed quote are BAD_INPUT naming the line', () => {
  assert.throws(() => readAll('a,b\n1,x"y\n'), (e: unknown) => e instanceof CliError && e.code === 'BAD_INPUT' && /^line 2: a quote inside an unquoted field/.test(e.text));
  assert.throws(() => readAll('a\n"x"y\n'), /line 2: a character after a closing quote/);
  assert.throws(() => readAll('a\n1\n"open\nstill open\n'), /line 3: a quoted field never closes/);
});

test('csvField quotes only what needs it, and its output reads back as the same field', () => {
  for (const s of ['plain', 'a,b', 'say "x"', 'two\nlines', ' padded ', '']) {
    const [record] = readAll(csvField(s) + '\n');
    assert.equal(record!.fields[0]!.text, s);
  }
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField(''), '""');
});

const schema = checkSchema({
  columns: [
    { name: 'id', type: 'INT' }, { name: 'sym', type: 'SYMBOL' }, { name: 'qty', type: 'LONG' }, { name: 'px', type: 'DOUBLE' },
    { name: 'ts', type: 'TIMESTAMP' }, { name: 'ns', type: 'NANOTIMESTAMP' }, { name: 'amt', type: 'DECIMAL64', scale: 2 },
    { name: 'ok', type: 'BOOL' }, { name: 'note', type: 'STRING' },
  ],
});
const col = (name: string) => schema.columns.find((c) => c.name === name)!;

test('text values convert to the value append takes for each type', () => {
  assert.equal(valueFromText(col('id'), '-42'), -42);
  assert.equal(valueFromText(col('qty'), '9223372036854775807'), 9223372036854775807n);
  assert.equal(valueFromText(col('px'), '1.5e3'), 1500);
  assert.ok(Number.isNaN(valueFromText(col('px'), 'NaN') as number));
  assert.equal(valueFromText(col('ts'), '2024-05-01T09:30:00.250'), 1714555800250n);
  assert.equal(valueFromText(col('ts'), '2024.05.01 09:30:00.250Z'), 1714555800250n);
  assert.equal(valueFromText(col('ts'), '1714555800250'), 1714555800250n);
  assert.equal(valueFromText(col('ns'), '2024-05-01T09:30:00.123456789'), 1714555800123456789n);
  assert.equal(valueFromText(col('amt'), '12.30'), '12.30');
  assert.equal(valueFromText(col('ok'), 'TRUE'), true);
  assert.equal(valueFromText({ name: 'd', type: 'DATE' }, '1970-01-02'), 1);
  assert.equal(valueFromText({ name: 'm', type: 'MONTH' }, '2024-05'), 24292);
  assert.equal(valueFromText({ name: 't', type: 'TIME' }, '00:00:01.500'), 1500);
  assert.equal(valueFromText({ name: 't', type: 'MINUTE' }, '23:59'), 1439);
  assert.equal(valueFromText({ name: 't', type: 'NANOTIME' }, '00:00:00.000000001'), 1n);
  assert.equal(formatUuid(valueFromText({ name: 'u', type: 'UUID' }, '123e4567-e89b-12d3-a456-426614174000') as Uint8Array), '123e4567-e89b-12d3-a456-426614174000');
});

test('text values that do not fit say why', () => {
  const misfit = (name: string, text: string, why: RegExp) => assert.throws(() => valueFromText(col(name), text), (e: unknown) => e instanceof Misfit && why.test(e.message));
  misfit('id', '2147483648', /not an integer in -2147483648\.\.2147483647/);
  misfit('id', '1.5', /not an integer/);
  misfit('qty', '9223372036854775808', /not an integer in/);
  misfit('px', 'abc', /not a number/);
  misfit('ts', '2023-02-29', /not a date-time/);
  misfit('ts', '2024-05-01T09:30:00.2501', /at most the column's precision/);
  misfit('ts', '2024-05-01T24:00:00', /not a date-time/);
  misfit('amt', '1.234', /at most 2 fraction digits/);
  misfit('ok', 'yes', /true, false, 1 or 0/);
});

test('JSON values: strings read as text, numbers must be exact, booleans only for BOOL', () => {
  assert.equal(valueFromJson(col('qty'), '12345678901234567890'.slice(0, 18)), 123456789012345678n);
  assert.equal(valueFromJson(col('qty'), 5), 5n);
  assert.equal(valueFromJson(col('amt'), 1.5), '1.5');
  assert.equal(valueFromJson(col('px'), 1e-7), 1e-7);
  assert.equal(valueFromJson(col('ts'), null), null);
  assert.equal(valueFromJson(col('ts'), ''), null);
  assert.equal(valueFromJson(col('note'), ''), '');
  assert.throws(() => valueFromJson(col('qty'), 2 ** 60), /beyond 2\^53 lose digits, so write 64-bit values as strings/);
  // A fraction in an integer column is not a precision problem: the message must not send the user to strings.
  assert.throws(() => valueFromJson(col('qty'), 1.5), (e: Error) => /1\.5 has a fraction; column type LONG takes whole numbers/.test(e.message) && !/2\^53/.test(e.message));
  assert.throws(() => valueFromJson(col('sym'), 5), /takes a string/);
  assert.throws(() => valueFromJson(col('id'), true), /does not take one/);
  assert.throws(() => valueFromJson(col('id'), { a: 1 }), /is not a value/);
});

test('CSV rows with a header: columns in any order, missing ones null, quoted "" an empty string, and the batch encodes', () => {
  const b = new RowBatchBuilder(schema);
  for (const r of readAll('note,id,sym,ts\n"a, b",1,IBM,2024-05-01T00:00:00.000\n,2,,\n"",3,X,1\n')) b.addCsvRecord(r);
  const batch = b.take();
  assert.equal(batch.rows, 3);
  assert.deepEqual(batch.lines, [2, 3, 4]);
  const data = batch.data as Record<string, unknown[]>;
  assert.deepEqual(data['note'], ['a, b', null, '']);
  assert.deepEqual(data['sym'], ['IBM', null, 'X']);
  assert.deepEqual(data['ts'], [1714521600000n, null, 1n]);
  assert.deepEqual(data['qty'], [null, null, null]);
  assert.ok(encodeAppendBatch(schema, batch.data, { maxRows: 100, maxBytes: 1 << 20 }).length > 0);
  assert.equal(b.take().rows, 0, 'take() starts over');
});

test('CSV rows: a bad value names the line and the column; a wrong field count and a bad header too', () => {
  const b = new RowBatchBuilder(schema);
  const records = readAll('id,qty\n1,2\n2,x\n');
  b.addCsvRecord(records[0]!);
  b.addCsvRecord(records[1]!);
  assert.throws(() => b.addCsvRecord(records[2]!), (e: unknown) => e instanceof CliError && e.code === 'BAD_INPUT' && e.text === 'line 3: column qty: "x" is not an integer (column type LONG)');
  assert.throws(() => b.addCsvRecord(readAll('1,2,3\n')[0]!), /line 1: 3 fields, expected 2 \(id, qty\)/);
  assert.throws(() => new RowBatchBuilder(schema).addCsvRecord(readAll('id,price\n')[0]!), /header names "price", which is not a column of the table .* use --no-header/);
  assert.throws(() => new RowBatchBuilder(schema).addCsvRecord(readAll('id,ID\n')[0]!), /header names column "ID" twice/);
});

test('CSV rows with --no-header are in table column order', () => {
  const small = checkSchema({ columns: [{ name: 'a', type: 'INT' }, { name: 'b', type: 'STRING' }] });
  const b = new RowBatchBuilder(small, 'noHeader');
  for (const r of readAll('1,x\n2,y\n')) b.addCsvRecord(r);
  assert.deepEqual(b.take().data, { a: [1, 2], b: ['x', 'y'] });
});

test('JSON lines: objects by column name (any case) or arrays in table order; errors name the line', () => {
  const small = checkSchema({ columns: [{ name: 'a', type: 'INT' }, { name: 'b', type: 'STRING' }] });
  const b = new RowBatchBuilder(small);
  b.addJsonLine(1, '{"A": 1, "b": "x"}');
  b.addJsonLine(2, '   ');
  b.addJsonLine(3, '[2, null]');
  b.addJsonLine(4, '{"b": "only b"}');
  const batch = b.take();
  assert.deepEqual(batch.data, { a: [1, 2, null], b: ['x', null, 'only b'] });
  assert.deepEqual(batch.lines, [1, 3, 4]);
  assert.throws(() => b.addJsonLine(7, '{"a": 1,'), /<BAD_INPUT> line 7: not JSON/);
  assert.throws(() => b.addJsonLine(8, '{"c": 1}'), /line 8: "c" is not a column of the table \(a, b\)/);
  assert.throws(() => b.addJsonLine(9, '[1]'), /line 9: an array of 1 values, expected 2/);
  assert.throws(() => b.addJsonLine(10, '42'), /line 10: expected a JSON object/);
  assert.throws(() => b.addJsonLine(11, '{"a": "x"}'), /line 11: column a: "x" is not an integer/);
});
