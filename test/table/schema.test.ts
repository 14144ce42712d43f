// Schemas: what checkSchema accepts and normalizes, key columns, the stored form, the Arrow form.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SHOAL_TYPES } from '../../broker/table/column_types.js';
import { arrowSchemaOf, checkKeyColumns, checkSchema, decodeSchema, encodeSchema } from '../../broker/table/schema.js';
import { ALL_TYPES, assertTableError } from './fixtures.js';

test('checkSchema: type names ignore case, DECIMAL32(4) splits into type and scale, the result is frozen', () => {
  const s = checkSchema({ columns: [{ name: 'px', type: 'double' }, { name: 'q', type: 'Decimal32(4)' }, { name: 'r', type: 'DECIMAL64', scale: 18 }] });
  assert.deepEqual(s, { columns: [{ name: 'px', type: 'DOUBLE' }, { name: 'q', type: 'DECIMAL32', scale: 4 }, { name: 'r', type: 'DECIMAL64', scale: 18 }] });
  assert.ok(Object.isFrozen(s) && Object.isFrozen(s.columns) && Object.isFrozen(s.columns[0]));
  for (const type of SHOAL_TYPES) {
    const spec = type.startsWith('DECIMAL') ? { name: 'x', type, scale: 2 } : { name: 'x', type: type.toLowerCase() };
    assert.equal(checkSchema({ columns: [spec] }).columns[0]!.type, type);
  }
});

test('checkSchema: bad schemas and bad types name the column', () => {
  assertTableError(() => checkSchema(null), 'BAD_SCHEMA');
  assertTableError(() => checkSchema({ columns: [] }), 'BAD_SCHEMA');
  assertTableError(() => checkSchema({ columns: 'a' }), 'BAD_SCHEMA');
  assertTableError(() => checkSchema({ columns: [{ name: '', type: 'INT' }] }), 'BAD_SCHEMA');
  assertTableError(() => checkSchema({ columns: [{ name: 'a', type: 'INT' }, { name: 'A', type: 'LONG' }] }), 'BAD_SCHEMA', 'A');
  assertTableError(() => checkSchema({ columns: [{ name: 'a', type: 'INT', scal: 3 }] }), 'BAD_SCHEMA');
  assertTableError(() => checkSchema({ columns: [{ name: 'a', type: 'VARCHAR' }] }), 'BAD_TYPE', 'a');
  assertTableError(() => checkSchema({ columns: [{ name: 'a', type: 7 }] }), 'BAD_TYPE', 'a');
  assertTableError(() => checkSchema({ columns: [{ name: 'a', type: 'DECIMAL32' }] }), 'BAD_TYPE', 'a');
  assertTableError(() => checkSchema({ columns: [{ name: 'a', type: 'DECIMAL32(10)' }] }), 'BAD_TYPE', 'a');
  assertTableError(() => checkSchema({ columns: [{ name: 'a', type: 'DECIMAL64(19)' }] }), 'BAD_TYPE', 'a');
  assertTableError(() => checkSchema({ columns: [{ name: 'a', type: 'DECIMAL32(2)', scale: 3 }] }), 'BAD_TYPE', 'a');
  assertTableError(() => checkSchema({ columns: [{ name: 'a', type: 'INT(3)' }] }), 'BAD_TYPE', 'a');
  assertTableError(() => checkSchema({ columns: [{ name: 'a', type: 'INT', scale: 1 }] }), 'BAD_TYPE', 'a');
});

test('checkKeyColumns: indexes in the order given; unknown, repeated and BLOB columns are BAD_KEY_COLUMN', () => {
  assert.deepEqual(checkKeyColumns(ALL_TYPES, undefined), []);
  assert.deepEqual(checkKeyColumns(ALL_TYPES, 'sym'), [8]);
  assert.deepEqual(checkKeyColumns(ALL_TYPES, ['ts', 's']), [15, 7]);
  assertTableError(() => checkKeyColumns(ALL_TYPES, 'nope'), 'BAD_KEY_COLUMN', 'nope');
  assertTableError(() => checkKeyColumns(ALL_TYPES, ['s', 's']), 'BAD_KEY_COLUMN', 's');
  assertTableError(() => checkKeyColumns(ALL_TYPES, ['blob']), 'BAD_KEY_COLUMN', 'blob');
});

test('encodeSchema/decodeSchema: round trip, deterministic bytes, garbage is BAD_SCHEMA', () => {
  const bytes = encodeSchema(ALL_TYPES);
  assert.deepEqual(decodeSchema(bytes), ALL_TYPES);
  assert.deepEqual(encodeSchema(decodeSchema(bytes)), bytes);
  const unfrozen = JSON.parse(JSON.stringify(ALL_TYPES));
  assert.deepEqual(encodeSchema(unfrozen), bytes);
  for (const garbage of [new Uint8Array([0xff, 0xfe]), new TextEncoder().encode('{"v":2,"columns":[]}'),
    new TextEncoder().encode('{"v":1,"columns":[{"name":"a","type":"NOPE"}]}'), new TextEncoder().encode('[]'), new Uint8Array(0)]) {
    assertTableError(() => decodeSchema(garbage), 'BAD_SCHEMA');
  }
});

test('arrowSchemaOf: nullable fields carrying shoal.type, decimals with precision 9/18 and bit width 32/64', () => {
  const a = arrowSchemaOf(ALL_TYPES);
  assert.equal(a.fields.length, ALL_TYPES.columns.length);
  assert.ok(a.fields.every((f) => f.nullable));
  assert.equal(a.fields[10]!.metadata.get('shoal.type'), 'MONTH');
  const d32 = a.fields.find((f) => f.name === 'd32')!;
  assert.equal(d32.metadata.get('shoal.type'), 'DECIMAL32(4)');
  assert.deepEqual([(d32.type as { precision: number }).precision, (d32.type as { scale: number }).scale, (d32.type as { bitWidth: number }).bitWidth], [9, 4, 32]);
  assert.equal(arrowSchemaOf(ALL_TYPES), a, 'cached for a frozen schema');
});
