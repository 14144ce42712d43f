// The hand-written IPC stream writer: apache-arrow and the server's reader both read what it writes, with
// every buffer 8-aligned; column data that is a slice of a larger one goes through apache-arrow's writer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as arrow from 'apache-arrow';
import { batchToRows, decodeAppendBatch, encodeAppendBatch } from '../../broker/table/batch.js';
import { readIpcStream } from '../../broker/table/ipc_reader.js';
import { schemaMessageOf, writeIpcStream } from '../../broker/table/ipc_writer.js';
import { SeededRandom } from '../../broker/raft/random.js';
import { checkSchema, ColumnSpec } from '../../broker/table/schema.js';
import { ALL_TYPES, ALL_TYPES_ROWS, LIMITS, rowsOf } from './fixtures.js';

test('writeIpcStream: the record batch message gives every node and buffer, 8-aligned in the body', () => {
  const schema = new arrow.Schema([new arrow.Field('a', new arrow.Int32(), true), new arrow.Field('s', new arrow.Utf8(), true)]);
  const validity = new Uint8Array([0b101]);
  const ints = new Uint8Array(new Int32Array([7, 0, -9]).buffer);
  const offsets = new Uint8Array(new Int32Array([0, 1, 3, 6]).buffer);
  const text = new TextEncoder().encode('xyzabc');
  const ipc = writeIpcStream(schemaMessageOf(schema), 3, [
    { nullCount: 1, buffers: [validity, ints] },
    { nullCount: 0, buffers: [new Uint8Array(0), offsets, text] },
  ]);
  const read = readIpcStream(ipc, () => undefined);
  assert.equal(read.length, 3);
  assert.deepEqual(read.nodes, [{ length: 3, nullCount: 1 }, { length: 3, nullCount: 0 }]);
  assert.deepEqual(read.buffers.map((b) => b.length), [1, 12, 0, 16, 6]);
  for (const b of read.buffers) assert.equal(b.offset % 8, 0, `buffer at ${b.offset}`);
  assert.deepEqual(read.body.subarray(read.buffers[4]!.offset, read.buffers[4]!.offset + 6), text);

  const t = arrow.tableFromIPC(ipc);
  assert.deepEqual(t.toArray().map((r) => r.toJSON()), [{ a: 7, s: 'x' }, { a: null, s: 'yz' }, { a: -9, s: 'abc' }]);
});

test('every type with nulls: apache-arrow reads the same rows the server decodes', () => {
  const ipc = encodeAppendBatch(ALL_TYPES, ALL_TYPES_ROWS, LIMITS);
  const decoded = batchToRows(decodeAppendBatch(ALL_TYPES, ipc, LIMITS));
  assert.deepEqual(decoded, rowsOf(ALL_TYPES_ROWS));
  const t = arrow.tableFromIPC(ipc);
  assert.equal(t.numRows, decoded.length);
  assert.deepEqual(t.schema.fields.map((f) => f.name), ALL_TYPES.columns.map((c) => c.name));
});

test('seeded random batches (seed printed on failure): rows survive the writer and the reader', () => {
  const schema = { columns: [{ name: 'id', type: 'STRING' }, { name: 'n', type: 'LONG' }, { name: 'x', type: 'DOUBLE' }, { name: 'b', type: 'BOOL' }, { name: 'i', type: 'INT' }] } as const;
  for (let seed = 1; seed <= 200; seed++) {
    const random = new SeededRandom(seed);
    const rows = 1 + random.intBelow(70);
    const maybeNull = <T>(v: T): T | null => (random.intBelow(5) === 0 ? null : v);
    const columns = {
      id: Array.from({ length: rows }, () => maybeNull('v'.repeat(random.intBelow(12)) + '€'.repeat(random.intBelow(2)))),
      n: Array.from({ length: rows }, () => maybeNull(random.intBelow(1_000_000) - 500_000)),
      x: Array.from({ length: rows }, () => maybeNull(random.intBelow(1000) / 8)),
      b: Array.from({ length: rows }, () => maybeNull(random.intBelow(2) === 0)),
      i: Int32Array.from({ length: rows }, () => random.intBelow(2000) - 1000),
    };
    const ipc = encodeAppendBatch(schema as never, columns, LIMITS);
    const back = batchToRows(decodeAppendBatch(schema as never, ipc, LIMITS));
    const expected = Array.from({ length: rows }, (_, r) => ({
      id: columns.id[r], n: columns.n[r] === null ? null : BigInt(columns.n[r]!), x: columns.x[r], b: columns.b[r], i: columns.i[r],
    }));
    assert.deepEqual(back, expected, `seed ${seed}`);
    assert.equal(arrow.tableFromIPC(ipc).numRows, rows, `seed ${seed}`);
  }
});

test('an Arrow table slice (data starting inside its buffers) is written by apache-arrow, with the right rows', () => {
  const schema = { columns: [{ name: 's', type: 'STRING' }, { name: 'b', type: 'BOOL' }, { name: 'i', type: 'INT' }] } as const;
  const whole = arrow.tableFromArrays({ s: ['a', 'bb', 'ccc', 'dddd', 'eeeee'], b: [true, false, true, true, false], i: Int32Array.from([1, 2, 3, 4, 5]) });
  const slice = whole.slice(1, 4);
  assert.notEqual(slice.getChild('s')!.data[0]!.offset, 0, 'the slice starts inside the buffers');
  const rows = batchToRows(decodeAppendBatch(schema as never, encodeAppendBatch(schema as never, slice, LIMITS), LIMITS));
  assert.deepEqual(rows, [{ s: 'bb', b: false, i: 2 }, { s: 'ccc', b: true, i: 3 }, { s: 'dddd', b: true, i: 4 }]);
});

test('a known schema message is taken as read only when the stream starts with exactly its bytes', () => {
  const schema = { columns: [{ name: 'a', type: 'INT' }, { name: 's', type: 'STRING' }] } as const;
  const ipc = encodeAppendBatch(schema as never, { a: [1, 2], s: ['x', 'y'] }, LIMITS);
  const first = readIpcStream(ipc, () => undefined);
  const known = { message: first.schemaMessage.slice(), fields: first.fields };
  assert.equal(readIpcStream(ipc, () => undefined, known).fields, known.fields, 'same bytes: the known fields');
  const altered = { message: known.message.slice(), fields: known.fields };
  altered.message[altered.message.byteLength - 9] ^= 1; // one byte of the schema flatbuffer
  const parsed = readIpcStream(ipc, () => undefined, altered);
  assert.notEqual(parsed.fields, known.fields, 'different bytes: parsed again');
  assert.deepEqual(parsed.fields, known.fields);
});

test('decoding after a schema was cached: other field orders and wrong types are still seen', () => {
  const schema = checkSchemaOf([{ name: 'a', type: 'INT' }, { name: 's', type: 'STRING' }]);
  for (let round = 0; round < 2; round++) {
    const int = (v: number[]): arrow.Vector => arrow.vectorFromArray(v, new arrow.Int32());
    const utf8 = (v: string[]): arrow.Vector => arrow.vectorFromArray(v, new arrow.Utf8());
    const inOrder = new arrow.Table({ a: int([1, 2]), s: utf8(['x', 'y']) });
    assert.deepEqual(batchToRows(decodeAppendBatch(schema, arrow.tableToIPC(inOrder, 'stream'), LIMITS)), [{ a: 1, s: 'x' }, { a: 2, s: 'y' }]);
    const reversed = new arrow.Table({ s: utf8(['p', 'q']), a: int([3, 4]) });
    assert.deepEqual(batchToRows(decodeAppendBatch(schema, arrow.tableToIPC(reversed, 'stream'), LIMITS)), [{ a: 3, s: 'p' }, { a: 4, s: 'q' }]);
    const wrongType = new arrow.Table({ a: arrow.vectorFromArray([1], new arrow.Float64()), s: utf8(['x']) });
    assert.throws(() => decodeAppendBatch(schema, arrow.tableToIPC(wrongType, 'stream'), LIMITS), /WRONG_TYPE.*column "a" is Arrow FloatingPoint/);
  }
});

function checkSchemaOf(columns: ColumnSpec[]): ReturnType<typeof checkSchema> {
  return checkSchema({ columns }); // frozen: decodeAppendBatch keeps its compiled form, and with it the last schema message
}
