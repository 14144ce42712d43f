// Every TableError a batch can earn, on the client (encode) and on the server (decode), names the column
// or the limit at fault.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as arrow from 'apache-arrow';
import { decodeAppendBatch, encodeAppendBatch, filterRowIndexes } from '../../broker/table/batch.js';
import { checkSchema } from '../../broker/table/schema.js';
import { assertTableError, LIMITS } from './fixtures.js';

const schema = checkSchema({ columns: [{ name: 'id', type: 'STRING' }, { name: 'px', type: 'DOUBLE' }, { name: 'm', type: 'MONTH' }] });
const good = { id: ['a', 'b'], px: [1, 2], m: [1, 2] };

test('encode: MISSING_COLUMN, EXTRA_COLUMN and COLUMN_LENGTH name the column', () => {
  assertTableError(() => encodeAppendBatch(schema, { id: ['a'], px: [1] }, LIMITS), 'MISSING_COLUMN', 'm');
  assertTableError(() => encodeAppendBatch(schema, { ...good, extra: [1, 2] }, LIMITS), 'EXTRA_COLUMN', 'extra');
  assertTableError(() => encodeAppendBatch(schema, { ...good, px: [1, 2, 3] }, LIMITS), 'COLUMN_LENGTH', 'px');
});

test('encode: WRONG_TYPE names the column and the row', () => {
  const cases: Array<[string, unknown, string]> = [
    ['INT', 'x', 'string "x"'], ['INT', 1.5, '1.5'], ['INT', 2 ** 31, String(2 ** 31)], ['CHAR', 128, '128'], ['LONG', 2 ** 60, 'number'],
    ['LONG', 2n ** 63n, 'bigint'], ['DOUBLE', '1', 'string'], ['BOOL', 1, 'number 1'], ['STRING', 5, 'number'], ['TIME', 86_400_000, '86400000'],
    ['MINUTE', -1, '-1'], ['NANOTIME', -1n, 'bigint'], ['TIMESTAMP', new Date(NaN), 'Date'], ['UUID', 'not-a-uuid', 'string'],
    ['UUID', new Uint8Array(15), 'Uint8Array(15)'], ['IPADDR', '1.2.3.256', 'string'], ['IPADDR', '1::2::3', 'string'], ['INT128', 'abc', 'string'],
    ['DECIMAL32(2)', '1.234', 'string'], ['DECIMAL32(2)', 1e8, 'number'], ['DECIMAL32(2)', NaN, 'NaN'], ['DECIMAL64(0)', '1e3', 'string'], ['BLOB', 3, 'number'],
  ];
  for (const [type, value, shown] of cases) {
    const s = checkSchema({ columns: [{ name: 'col', type }] });
    const err = assertTableError(() => encodeAppendBatch(s, { col: [null, value] }, LIMITS), 'WRONG_TYPE', 'col');
    assert.ok(err.message.includes('row 1') && err.message.includes(shown), `${type}: ${err.message}`);
  }
});

test('BATCH_TOO_LARGE names the limit; EMPTY_BATCH for zero rows', () => {
  const rowsErr = assertTableError(() => encodeAppendBatch(schema, good, { maxRows: 1, maxBytes: 1 << 20 }), 'BATCH_TOO_LARGE');
  assert.match(rowsErr.message, /maxRows = 1\b/);
  const bytesErr = assertTableError(() => encodeAppendBatch(schema, good, { maxRows: 10, maxBytes: 100 }), 'BATCH_TOO_LARGE');
  assert.match(bytesErr.message, /maxBytes = 100\b/);
  assertTableError(() => encodeAppendBatch(schema, { id: [], px: [], m: [] }, LIMITS), 'EMPTY_BATCH');

  const ipc = encodeAppendBatch(schema, good, LIMITS);
  assert.match(assertTableError(() => decodeAppendBatch(schema, ipc, { maxRows: 1, maxBytes: 1 << 20 }), 'BATCH_TOO_LARGE').message, /maxRows = 1\b/);
  assert.match(assertTableError(() => decodeAppendBatch(schema, ipc, { maxRows: 10, maxBytes: ipc.length - 1 }), 'BATCH_TOO_LARGE').message, /maxBytes/);
  const empty = arrow.tableToIPC(arrow.tableFromArrays({ id: new Int32Array([1]) }).slice(0, 0), 'stream');
  assertTableError(() => decodeAppendBatch(checkSchema({ columns: [{ name: 'id', type: 'INT' }] }), empty, LIMITS), 'EMPTY_BATCH');
});

test('decode: columns checked by name and exact Arrow type (and shoal.type metadata when present)', () => {
  const values: Record<string, unknown[]> = { id: ['a'], px: [1], m: [1], extra: [1] };
  const other = (cols: Array<{ name: string; type: string }>): Uint8Array =>
    encodeAppendBatch(checkSchema({ columns: cols }), Object.fromEntries(cols.map((c) => [c.name, values[c.name]!])), LIMITS);
  assertTableError(() => decodeAppendBatch(schema, other([{ name: 'id', type: 'STRING' }, { name: 'px', type: 'DOUBLE' }]), LIMITS), 'MISSING_COLUMN', 'm');
  assertTableError(() => decodeAppendBatch(schema, other([{ name: 'id', type: 'STRING' }, { name: 'px', type: 'DOUBLE' }, { name: 'm', type: 'MONTH' }, { name: 'extra', type: 'INT' }]), LIMITS), 'EXTRA_COLUMN', 'extra');
  const wrong = assertTableError(() => decodeAppendBatch(schema, other([{ name: 'id', type: 'STRING' }, { name: 'px', type: 'FLOAT' }, { name: 'm', type: 'MONTH' }]), LIMITS), 'WRONG_TYPE', 'px');
  assert.match(wrong.message, /FloatingPoint\(SINGLE\).*FloatingPoint\(DOUBLE\)/);
  // INT and MONTH are both Arrow int32; the metadata tells them apart.
  assertTableError(() => decodeAppendBatch(schema, other([{ name: 'id', type: 'STRING' }, { name: 'px', type: 'DOUBLE' }, { name: 'm', type: 'INT' }]), LIMITS), 'WRONG_TYPE', 'm');
  // Without metadata (another Arrow library), the Arrow type alone decides.
  const plain = arrow.tableToIPC(new arrow.Table({ id: arrow.vectorFromArray(['a'], new arrow.Utf8()), px: arrow.vectorFromArray([1.5], new arrow.Float64()), m: arrow.vectorFromArray([3], new arrow.Int32()) }), 'stream');
  assert.equal(decodeAppendBatch(schema, plain, LIMITS).numRows, 1);
  // A dictionary-encoded string column is not utf8.
  const dict = arrow.tableToIPC(arrow.tableFromArrays({ id: ['a'], px: new Float64Array([1]), m: new Int32Array([1]) }), 'stream');
  assertTableError(() => decodeAppendBatch(schema, dict, LIMITS), 'WRONG_TYPE', 'id');
  // Two columns of the same name.
  const twice = new arrow.Schema([new arrow.Field('id', new arrow.Utf8()), new arrow.Field('id', new arrow.Utf8())]);
  const twiceIpc = arrow.tableToIPC(new arrow.Table(twice, new arrow.RecordBatch(twice, arrow.makeData({
    type: new arrow.Struct(twice.fields), length: 1, nullCount: 0,
    children: [arrow.vectorFromArray(['a'], new arrow.Utf8()).data[0]!, arrow.vectorFromArray(['b'], new arrow.Utf8()).data[0]!],
  }))), 'stream');
  assertTableError(() => decodeAppendBatch(schema, twiceIpc, LIMITS), 'EXTRA_COLUMN', 'id');
});

test('decode: BAD_ARROW for garbage, a file instead of a stream, two record batches, bytes after the end', () => {
  const ipc = encodeAppendBatch(schema, good, LIMITS);
  assertTableError(() => decodeAppendBatch(schema, new Uint8Array(0), LIMITS), 'BAD_ARROW');
  assertTableError(() => decodeAppendBatch(schema, new TextEncoder().encode('hello world, not arrow'), LIMITS), 'BAD_ARROW');
  assertTableError(() => decodeAppendBatch(schema, 'text' as unknown as Uint8Array, LIMITS), 'BAD_ARROW');
  const decoded = decodeAppendBatch(schema, ipc, LIMITS);
  const file = arrow.tableToIPC(new arrow.Table([decoded.batch]), 'file');
  assertTableError(() => decodeAppendBatch(schema, file, LIMITS), 'BAD_ARROW');
  const two = arrow.tableToIPC(new arrow.Table([decoded.batch, decoded.batch]), 'stream');
  assert.match(assertTableError(() => decodeAppendBatch(schema, two, LIMITS), 'BAD_ARROW').message, /more than one record batch/);
  const trailing = new Uint8Array(ipc.length + 8);
  trailing.set(ipc);
  assertTableError(() => decodeAppendBatch(schema, trailing, LIMITS), 'BAD_ARROW');
  // Without the end-of-stream marker is fine.
  assert.equal(decodeAppendBatch(schema, ipc.subarray(0, ipc.length - 8), LIMITS).numRows, 2);
});

test('decode: a utf8 column holding invalid UTF-8 is BAD_ARROW naming the column', () => {
  const ipc = encodeAppendBatch(schema, { id: ['\u00e9\u00e9', 'b'], px: [1, 2], m: [1, 2] }, LIMITS);
  const at = ipc.findIndex((b, i) => b === 0xc3 && ipc[i + 1] === 0xa9 && ipc[i + 2] === 0xc3);
  const bad = ipc.slice();
  bad[at + 1] = 0x28; // 0xc3 0x28: a lead byte without its continuation
  assertTableError(() => decodeAppendBatch(schema, bad, LIMITS), 'BAD_ARROW', 'id');
});

test('filterRowIndexes: BAD_FILTER for a missing column or a value of another type', () => {
  const decoded = decodeAppendBatch(schema, encodeAppendBatch(schema, good, LIMITS), LIMITS);
  assertTableError(() => filterRowIndexes(decoded, 3, new Set(['a'])), 'BAD_FILTER');
  assertTableError(() => filterRowIndexes(decoded, 1, new Set(['1.5'])), 'BAD_FILTER', 'px');
  assertTableError(() => filterRowIndexes(decoded, 0, new Set([1])), 'BAD_FILTER', 'id');
  assertTableError(() => filterRowIndexes(decoded, 2, new Set([1.5])), 'BAD_FILTER', 'm');
});
