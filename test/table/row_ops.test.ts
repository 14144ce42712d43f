// Row keys (dedup) and the row operations of the server: select, slice, filter, concat.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../broker/raft/random.js';
import {
  batchToRows, concatBatches, decodeAppendBatch, encodeAppendBatch, filterRowIndexes, keyToBytes, rowKeys, selectRows, sliceBatch,
} from '../../broker/table/batch.js';
import { checkKeyColumns, checkSchema, TableSchema } from '../../broker/table/schema.js';
import { ALL_TYPES, ALL_TYPES_ROWS, assertTableError, LIMITS, rowsOf } from './fixtures.js';

const decode = (schema: TableSchema, columns: Record<string, unknown[]>) => decodeAppendBatch(schema, encodeAppendBatch(schema, columns, LIMITS), LIMITS);

test('rowKeys: multi-column parts never run into each other, null is its own value, -0 = 0 and NaN = NaN', () => {
  const schema = checkSchema({ columns: [{ name: 'a', type: 'STRING' }, { name: 'b', type: 'STRING' }, { name: 'x', type: 'DOUBLE' }] });
  const b = decode(schema, {
    a: ['ab', 'a', 'ab', null, '', null, 'ab', 'x', 'x'],
    b: ['c', 'bc', 'c', '', null, null, 'c', '\u0000', ''],
    x: [1, 1, 1, 0, 0, NaN, -0, NaN, NaN],
  });
  const k = rowKeys(b, [0, 1, 2]);
  assert.equal(k[0], k[2], 'same values, same key');
  assert.notEqual(k[0], k[1], '("ab","c") is not ("a","bc")');
  assert.notEqual(k[3], k[4], '(null,"") is not ("",null)');
  assert.notEqual(k[7], k[8], '"\\0" is not ""');
  assert.equal(new Set(k).size, 8);
  const kx = rowKeys(b, [2]);
  assert.equal(kx[3], kx[6], '0 and -0 are one key');
  assert.equal(kx[5], kx[7], 'every NaN is one key');
  assert.ok(k.every((key) => [...key].every((ch) => ch.charCodeAt(0) < 256)), 'chars are bytes');
  assert.deepEqual(keyToBytes(k[1]!), Uint8Array.from(Buffer.from(k[1]!, 'latin1')));
});

test('rowKeys: over every key type, equal keys iff equal rows (seeded), against keys made from batchToRows values', () => {
  const seed = 424242;
  const rng = new SeededRandom(seed);
  const keyColumns = checkKeyColumns(ALL_TYPES, ALL_TYPES.columns.filter((c) => c.type !== 'BLOB').map((c) => c.name));
  // Each row picks, per column, one of the four fixture values: few distinct values, so many duplicates.
  const n = 400;
  const columns: Record<string, unknown[]> = {};
  const picks: number[][] = Array.from({ length: n }, () => []);
  for (const c of ALL_TYPES.columns) {
    columns[c.name] = Array.from({ length: n }, (_, r) => {
      const pick = rng.chance(0.9) ? 0 : rng.intBelow(4);
      picks[r]!.push(pick);
      return ALL_TYPES_ROWS[c.name]![pick];
    });
  }
  const b = decode(ALL_TYPES, columns);
  for (const cols of [keyColumns, [keyColumns[0]!], [7, 8], [15, 5, 6]]) {
    const keys = rowKeys(b, cols);
    const identity = (r: number) => cols.map((c) => {
      const v = columns[ALL_TYPES.columns[c]!.name]![r];
      return typeof v === 'number' && (v === 0 || Number.isNaN(v)) ? String(v) : v === null ? 'null' : `${typeof v}:${String(v)}`;
    }).join('|');
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j += 7) {
        assert.equal(keys[i] === keys[j], identity(i) === identity(j), `seed ${seed} rows ${i},${j} columns ${cols}`);
      }
    }
  }
});

test('rowKeys: the same value gives the same key in another batch; bad key column indexes', () => {
  const schema = checkSchema({ columns: [{ name: 'id', type: 'STRING' }, { name: 'n', type: 'LONG' }] });
  const one = rowKeys(decode(schema, { id: ['a', 'b'], n: [1n, 2n] }), [0, 1]);
  const two = rowKeys(decode(schema, { id: ['x', 'b', 'a'], n: [0n, 2n, 1n] }), [0, 1]);
  assert.deepEqual([two[2], two[1]], one);
  const b = decode(schema, { id: ['a'], n: [1n] });
  assertTableError(() => rowKeys(b, [2]), 'BAD_KEY_COLUMN');
  assertTableError(() => rowKeys(b, []), 'BAD_KEY_COLUMN');
});

test('selectRows and sliceBatch: the rows asked for, in order; all rows in order give the same bytes back', () => {
  const b = decode(ALL_TYPES, ALL_TYPES_ROWS);
  const rows = rowsOf(ALL_TYPES_ROWS);
  const again = (ipc: Uint8Array) => batchToRows(decodeAppendBatch(ALL_TYPES, ipc, LIMITS));
  assert.deepEqual(again(selectRows(b, [3, 1, 1, 0])), [rows[3], rows[1], rows[1], rows[0]]);
  assert.deepEqual(again(selectRows(b, new Uint32Array([2]))), [rows[2]]);
  assert.equal(selectRows(b, [0, 1, 2, 3]), b.ipc);
  assert.deepEqual(again(sliceBatch(b, 1, 2)), [rows[1], rows[2]]);
  assert.deepEqual(again(sliceBatch(b, 3, 1)), [rows[3]]);
  assert.equal(sliceBatch(b, 0, 4), b.ipc);
  assert.throws(() => selectRows(b, [4]), RangeError);
  assert.throws(() => sliceBatch(b, 2, 3), RangeError);
  assertTableError(() => selectRows(b, []), 'EMPTY_BATCH');
  assertTableError(() => sliceBatch(b, 0, 0), 'EMPTY_BATCH');
});

test('sliceBatch at every bit offset keeps booleans and nulls right', () => {
  const schema = checkSchema({ columns: [{ name: 'f', type: 'BOOL' }, { name: 's', type: 'STRING' }, { name: 'i', type: 'INT' }] });
  const rng = new SeededRandom(7);
  const columns = {
    f: Array.from({ length: 37 }, () => (rng.chance(0.2) ? null : rng.chance(0.5))),
    s: Array.from({ length: 37 }, (_, i) => (rng.chance(0.2) ? null : `s${i}`)),
    i: Array.from({ length: 37 }, (_, i) => i),
  };
  const b = decode(schema, columns);
  const rows = rowsOf(columns);
  for (let from = 0; from < 37; from++) {
    for (const count of [1, 5, 37 - from]) {
      if (from + count > 37) continue;
      assert.deepEqual(batchToRows(decodeAppendBatch(schema, sliceBatch(b, from, count), LIMITS)), rows.slice(from, from + count), `from ${from} count ${count}`);
    }
  }
});

test('filterRowIndexes: values converted to the column type; nulls never match', () => {
  const b = decode(ALL_TYPES, ALL_TYPES_ROWS);
  const col = (name: string) => ALL_TYPES.columns.findIndex((c) => c.name === name);
  assert.deepEqual(filterRowIndexes(b, col('sym'), new Set(['AAPL'])), [0, 3]);
  assert.deepEqual(filterRowIndexes(b, col('sym'), new Set(['MSFT', 'nope'])), [2]);
  assert.deepEqual(filterRowIndexes(b, col('l'), new Set([5, -(2n ** 63n)])), [0, 2]);
  assert.deepEqual(filterRowIndexes(b, col('i'), new Set([2n])), [1]);
  assert.deepEqual(filterRowIndexes(b, col('b'), new Set([true])), [0, 3]);
  assert.deepEqual(filterRowIndexes(b, col('f'), new Set([0])), [2], '-0 matches 0');
  assert.deepEqual(filterRowIndexes(b, col('d'), new Set([NaN])), [1]);
  assert.deepEqual(filterRowIndexes(b, col('d32'), new Set(['1.23450', 0])), [0, 3]);
  assert.deepEqual(filterRowIndexes(b, col('uuid'), new Set(['00000000000000000000000000000000'])), [2]);
  assert.deepEqual(filterRowIndexes(b, col('ip'), new Set(['2001:0db8::0:1'])), [1]);
  assert.deepEqual(filterRowIndexes(b, col('ts'), new Set([0, -1])), [2, 3]);
  assert.deepEqual(filterRowIndexes(b, col('s'), new Set([''])), [1]);
  assert.deepEqual(filterRowIndexes(b, col('s'), new Set()), []);
});

test('concatBatches: rows of every batch in order, in one batch; a batch of another schema is refused', () => {
  const b = decode(ALL_TYPES, ALL_TYPES_ROWS);
  const rows = rowsOf(ALL_TYPES_ROWS);
  const parts = [b.ipc, sliceBatch(b, 1, 2), selectRows(b, [3, 0])];
  const joined = decodeAppendBatch(ALL_TYPES, concatBatches(ALL_TYPES, parts), LIMITS);
  assert.deepEqual(batchToRows(joined), [...rows, rows[1], rows[2], rows[3], rows[0]]);
  assert.equal(concatBatches(ALL_TYPES, [b.ipc]), b.ipc);
  assertTableError(() => concatBatches(ALL_TYPES, []), 'EMPTY_BATCH');
  const other = encodeAppendBatch(checkSchema({ columns: [{ name: 'z', type: 'INT' }] }), { z: [1] }, LIMITS);
  assertTableError(() => concatBatches(ALL_TYPES, [b.ipc, other]), 'EXTRA_COLUMN', 'z');
});
