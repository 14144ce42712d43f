// A table with a column of every Shoal type, and rows that cover each type's edges and nulls.

import assert from 'node:assert/strict';
import { TableError, TableErrorCode } from '../../broker/table/errors.js';
import { checkSchema, TableSchema } from '../../broker/table/schema.js';

export const LIMITS = { maxRows: 10_000, maxBytes: 8 << 20 };

export const ALL_TYPES: TableSchema = checkSchema({
  columns: [
    { name: 'b', type: 'BOOL' }, { name: 'c', type: 'CHAR' }, { name: 'sh', type: 'SHORT' }, { name: 'i', type: 'INT' },
    { name: 'l', type: 'LONG' }, { name: 'f', type: 'FLOAT' }, { name: 'd', type: 'DOUBLE' }, { name: 's', type: 'STRING' },
    { name: 'sym', type: 'SYMBOL' }, { name: 'date', type: 'DATE' }, { name: 'month', type: 'MONTH' }, { name: 'time', type: 'TIME' },
    { name: 'minute', type: 'MINUTE' }, { name: 'second', type: 'SECOND' }, { name: 'datetime', type: 'DATETIME' },
    { name: 'ts', type: 'TIMESTAMP' }, { name: 'nanotime', type: 'NANOTIME' }, { name: 'nts', type: 'NANOTIMESTAMP' },
    { name: 'uuid', type: 'UUID' }, { name: 'ip', type: 'IPADDR' }, { name: 'i128', type: 'INT128' }, { name: 'blob', type: 'BLOB' },
    { name: 'd32', type: 'DECIMAL32(4)' }, { name: 'd64', type: 'DECIMAL64', scale: 10 },
  ],
});

/** Four rows in batchToRows form (so they must come back equal), row 1 mostly null. */
export const ALL_TYPES_ROWS: Record<string, unknown[]> = {
  b: [true, null, false, true],
  c: [1, -128, 127, null],
  sh: [300, null, -32768, 32767],
  i: [1, 2, -2147483648, 2147483647],
  l: [5n, null, -(2n ** 63n), 2n ** 63n - 1n],
  f: [1.5, null, -0, Infinity],
  d: [Math.PI, NaN, -1e308, 5e-324],
  s: ['héllo', '', null, '日本語 \u0000 emoji 🎉'],
  sym: ['AAPL', null, 'MSFT', 'AAPL'],
  date: [19000, null, 0, -1],
  month: [24300, null, 0, 1],
  time: [1000, null, 0, 86_399_999],
  minute: [0, 1439, null, 720],
  second: [5, null, 86_399, 0],
  datetime: [1_700_000_000, null, -5, 0],
  ts: [1_700_000_000_123, null, 0, -1],
  nanotime: [5n, null, 86_399_999_999_999n, 0n],
  nts: [1_700_000_000_123_456_789n, null, 0n, -1n],
  uuid: ['123e4567-e89b-12d3-a456-426614174000', null, '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'],
  ip: ['192.168.1.1', '2001:db8::1', null, '::'],
  i128: ['0123456789abcdef0123456789abcdef', null, 'ffffffffffffffffffffffffffffffff', '00000000000000000000000000000000'],
  blob: [new Uint8Array([1, 2, 3]), null, new Uint8Array(0), new Uint8Array([0, 255])],
  d32: ['1.2345', null, '-99999.9999', '0.0000'],
  d64: ['12345678.1234567890', null, '0.0000000001', '-99999999.9999999999'],
};

export function rowsOf(columns: Record<string, unknown[]>): Array<Record<string, unknown>> {
  const names = Object.keys(columns);
  const n = columns[names[0]!]!.length;
  return Array.from({ length: n }, (_, r) => Object.fromEntries(names.map((name) => [name, columns[name]![r]])));
}

/** Asserts f throws a TableError with this code (and, when given, naming this column in .column and the message). */
export function assertTableError(f: () => unknown, code: TableErrorCode, column?: string): TableError {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof TableError, `expected a TableError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(err.message.startsWith(`<${code}> `), err.message);
    if (column !== undefined) {
      assert.equal(err.column, column, err.message);
      assert.ok(err.message.includes(`"${column}"`), `message names column ${column}: ${err.message}`);
    }
    return err;
  }
  assert.fail(`expected a TableError ${code}, nothing was thrown`);
}
