// Client columns -> IPC -> server decode -> rows: every type comes back as it went in, and the other
// accepted input forms (Date, bigint, numbers for decimals, Arrow vectors and tables) land on the same values.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as arrow from 'apache-arrow';
import { batchToColumns, batchToRows, concatBatches, decodeAppendBatch, encodeAppendBatch } from '../../broker/table/batch.js';
import { checkSchema } from '../../broker/table/schema.js';
import { ALL_TYPES, ALL_TYPES_ROWS, LIMITS, rowsOf } from './fixtures.js';

test('round trip of every type from plain arrays, nulls included', () => {
  const ipc = encodeAppendBatch(ALL_TYPES, ALL_TYPES_ROWS, LIMITS);
  const decoded = decodeAppendBatch(ALL_TYPES, ipc, LIMITS);
  assert.equal(decoded.numRows, 4);
  assert.equal(decoded.ipc, ipc, 'columns in table order: the stored bytes are the input');
  assert.deepEqual(batchToRows(decoded), rowsOf(ALL_TYPES_ROWS));
});

test('apache-arrow reads what encodeAppendBatch writes, with the documented Arrow types', () => {
  const t = arrow.tableFromIPC(encodeAppendBatch(ALL_TYPES, ALL_TYPES_ROWS, LIMITS));
  const typeOf = (name: string): string => String(t.schema.fields.find((f) => f.name === name)!.type);
  assert.equal(t.numRows, 4);
  assert.equal(typeOf('sym'), 'Utf8');
  assert.equal(typeOf('nts'), 'Timestamp<NANOSECOND>');
  assert.equal(typeOf('date'), 'Date32<DAY>');
  assert.equal(t.getChild('d')!.get(0), Math.PI);
  assert.equal(t.getChild('s')!.get(3), '日本語 \u0000 emoji 🎉');
  assert.equal(t.getChild('i')!.get(2), -2147483648);
});

test('batchToColumns: typed arrays for null-free numeric columns, value arrays otherwise', () => {
  const cols = batchToColumns(decodeAppendBatch(ALL_TYPES, encodeAppendBatch(ALL_TYPES, ALL_TYPES_ROWS, LIMITS), LIMITS));
  assert.deepEqual(cols['i'], new Int32Array([1, 2, -2147483648, 2147483647]));
  assert.deepEqual(cols['d'], new Float64Array([Math.PI, NaN, -1e308, 5e-324]));
  assert.deepEqual(cols['c'], [1, -128, 127, null]);
  assert.deepEqual(cols['s'], ALL_TYPES_ROWS['s']);
  for (const [name, values] of Object.entries(cols)) assert.equal(values.length, 4, name);
});

test('other input forms: Date for temporal types, bigint for integers, numbers and bigints for decimals, typed arrays', () => {
  const schema = checkSchema({
    columns: ['DATE', 'MONTH', 'TIME', 'MINUTE', 'SECOND', 'DATETIME', 'TIMESTAMP', 'NANOTIME', 'NANOTIMESTAMP'].map((type) => ({ name: type.toLowerCase(), type }))
      .concat([{ name: 'int', type: 'INT' }, { name: 'long', type: 'LONG' }, { name: 'px', type: 'DECIMAL64(3)' }, { name: 'dbl', type: 'DOUBLE' },
        { name: 'ip', type: 'IPADDR' }, { name: 'u', type: 'UUID' }, { name: 'blob', type: 'BLOB' }]),
  });
  const when = new Date(Date.UTC(2024, 4, 17, 13, 45, 30, 250)); // 2024-05-17T13:45:30.250Z
  const ms = when.getTime();
  const ipc = encodeAppendBatch(schema, {
    date: [when], month: [when], time: [when], minute: [when], second: [when], datetime: [when], timestamp: [when], nanotime: [when], nanotimestamp: [when],
    int: [7n], long: [42], px: [1.0005], dbl: new Float64Array([2.5]), ip: ['::ffff:10.0.0.1'], u: ['123E4567E89B12D3A456426614174000'], blob: ['hi'],
  }, LIMITS);
  const [row] = batchToRows(decodeAppendBatch(schema, ipc, LIMITS));
  assert.deepEqual(row, {
    date: Math.floor(ms / 86_400_000), month: 2024 * 12 + 4, time: 49_530_250, minute: 825, second: 49_530,
    datetime: Math.floor(ms / 1000), timestamp: ms, nanotime: 49_530_250_000_000n, nanotimestamp: BigInt(ms) * 1_000_000n,
    int: 7, long: 42n, px: '1.001', dbl: 2.5, ip: '10.0.0.1', u: '123e4567-e89b-12d3-a456-426614174000', blob: new Uint8Array([104, 105]),
  });
  const decimals = checkSchema({ columns: [{ name: 'p', type: 'DECIMAL32(2)' }] });
  const out = batchToRows(decodeAppendBatch(decimals, encodeAppendBatch(decimals, { p: [5n, -0.005, '-.5', '12.30', 1e-7, -1234567.89] }, LIMITS), LIMITS));
  assert.deepEqual(out.map((r) => r['p']), ['5.00', '-0.01', '-0.50', '12.30', '0.00', '-1234567.89']);
});

test('IPv6 text forms come back in RFC 5952 form', () => {
  const schema = checkSchema({ columns: [{ name: 'ip', type: 'IPADDR' }] });
  const given = ['2001:0DB8:0000:0000:0000:0000:0000:0001', '1:0:0:1:0:0:0:1', '::1', 'fe80::1:2:3:4', '1:2:3:4:5:6:7:8', '::ffff:1.2.3.4', '64:ff9b::192.0.2.33', '1:0:2:3:4:5:6:7'];
  const rows = batchToRows(decodeAppendBatch(schema, encodeAppendBatch(schema, { ip: given }, LIMITS), LIMITS));
  assert.deepEqual(rows.map((r) => r['ip']), ['2001:db8::1', '1:0:0:1::1', '::1', 'fe80::1:2:3:4', '1:2:3:4:5:6:7:8', '1.2.3.4', '64:ff9b::c000:221', '1:0:2:3:4:5:6:7']);
});

test('Arrow input: a record batch of the right types is used as is, other vectors are converted, columns in any order', () => {
  const schema = checkSchema({ columns: [{ name: 'sym', type: 'SYMBOL' }, { name: 'px', type: 'DOUBLE' }, { name: 'n', type: 'LONG' }] });
  // tableFromArrays makes a dictionary vector for strings and a Float64 for numbers; 'n' comes as Int32.
  const table = arrow.tableFromArrays({ n: new Int32Array([1, 2, 3]), px: new Float64Array([1.5, 2.5, 3.5]), sym: ['a', 'b', 'a'] });
  const ipc = encodeAppendBatch(schema, table, LIMITS);
  assert.deepEqual(batchToRows(decodeAppendBatch(schema, ipc, LIMITS)), [
    { sym: 'a', px: 1.5, n: 1n }, { sym: 'b', px: 2.5, n: 2n }, { sym: 'a', px: 3.5, n: 3n },
  ]);
  // A chunked column (two batches) is joined.
  const chunked = new arrow.Table([...table.batches, ...table.batches]);
  assert.equal(decodeAppendBatch(schema, encodeAppendBatch(schema, chunked, LIMITS), LIMITS).numRows, 6);
});

test('decode: columns in another order are accepted, and ipc is re-encoded in table order', () => {
  const schema = checkSchema({ columns: [{ name: 'a', type: 'INT' }, { name: 'b', type: 'STRING' }] });
  const swapped = checkSchema({ columns: [{ name: 'b', type: 'STRING' }, { name: 'a', type: 'INT' }] });
  const ipc = encodeAppendBatch(swapped, { a: [1, null], b: ['x', 'y'] }, LIMITS);
  const decoded = decodeAppendBatch(schema, ipc, LIMITS);
  assert.notEqual(decoded.ipc, ipc);
  assert.deepEqual(decoded.batch.schema.fields.map((f) => f.name), ['a', 'b']);
  assert.deepEqual(batchToRows(decoded), [{ a: 1, b: 'x' }, { a: null, b: 'y' }]);
  const again = decodeAppendBatch(schema, decoded.ipc, LIMITS);
  assert.equal(again.ipc, decoded.ipc, 'the re-encoded bytes are in table order');
  assert.deepEqual(batchToRows(again), batchToRows(decoded));
});

test('decode: a buffer at an odd byte offset (inside a larger frame) decodes the same', () => {
  const ipc = encodeAppendBatch(ALL_TYPES, ALL_TYPES_ROWS, LIMITS);
  const frame = new Uint8Array(ipc.length + 3);
  frame.set(ipc, 3);
  const decoded = decodeAppendBatch(ALL_TYPES, frame.subarray(3), LIMITS);
  assert.deepEqual(batchToRows(decoded), rowsOf(ALL_TYPES_ROWS));
});

test('decode: a Node Buffer at an odd offset decodes too (Buffer.slice() is a view, not the copy an unaligned column needs)', () => {
  const ipc = encodeAppendBatch(ALL_TYPES, ALL_TYPES_ROWS, LIMITS);
  for (let at = 1; at < 8; at++) {
    const frame = Buffer.alloc(ipc.length + at);
    frame.set(ipc, at);
    const view = frame.subarray(at); // what a WebSocket frame or a WAL read hands the node
    assert.ok(Buffer.isBuffer(view));
    assert.deepEqual(batchToRows(decodeAppendBatch(ALL_TYPES, view, LIMITS)), rowsOf(ALL_TYPES_ROWS), `at offset ${at}`);
    assert.deepEqual(batchToRows(decodeAppendBatch(ALL_TYPES, concatBatches(ALL_TYPES, [view, view]), LIMITS)), [...rowsOf(ALL_TYPES_ROWS), ...rowsOf(ALL_TYPES_ROWS)], `concat at offset ${at}`);
  }
});
