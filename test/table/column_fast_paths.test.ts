// The client's fast encode paths (perf/ha_bench found per-value costs dominating a 10,000-row append)
// must write exactly what the per-value path writes: ASCII strings a byte per character, anything else
// through TextEncoder; typed arrays of stored values copied as bytes; int64 numbers without a BigInt.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchToRows, decodeAppendBatch, encodeAppendBatch } from '../../broker/table/batch.js';
import { checkSchema } from '../../broker/table/schema.js';
import { LIMITS } from './fixtures.js';
import { SeededRandom } from '../../broker/raft/random.js';


test('strings: ASCII, mixed, long and non-BMP text decode as written, next to each other in one column', () => {
  const schema = checkSchema({ columns: [{ name: 's', type: 'STRING' }, { name: 'y', type: 'SYMBOL' }] });
  const texts = ['', 'AAPL', 'é', 'abcé', '日本語', 'x'.repeat(63), 'x'.repeat(64) + 'é', 'y'.repeat(65), '🎉 emoji', 'ascii then 🎉', '\u007f\u0080', '\u0000'];
  const ipc = encodeAppendBatch(schema, { s: texts, y: [...texts].reverse() }, LIMITS);
  const rows = batchToRows(decodeAppendBatch(schema, ipc, LIMITS));
  assert.deepEqual(rows.map((r) => r['s']), texts);
  assert.deepEqual(rows.map((r) => r['y']), [...texts].reverse());
});

test('strings: 2,000 seeded random strings over the whole UTF-16 range round-trip (lone surrogates become U+FFFD)', () => {
  const random = new SeededRandom(7);
  const texts = Array.from({ length: 2_000 }, () => {
    const n = random.intBelow(80);
    const ascii = random.chance(0.5);
    return String.fromCharCode(...Array.from({ length: n }, () => random.intBelow(ascii ? 0x80 : 0x10000)));
  });
  const schema = checkSchema({ columns: [{ name: 's', type: 'STRING' }] });
  const rows = batchToRows(decodeAppendBatch(schema, encodeAppendBatch(schema, { s: texts }, LIMITS), LIMITS));
  const expected = texts.map((t) => new TextDecoder().decode(new TextEncoder().encode(t)));
  assert.deepEqual(rows.map((r) => r['s']), expected);
});

test('typed arrays of stored values are copied, and decode to the same values as plain arrays', () => {
  const schema = checkSchema({ columns: [
    { name: 'd', type: 'DOUBLE' }, { name: 'f', type: 'FLOAT' }, { name: 'i', type: 'INT' }, { name: 'h', type: 'SHORT' },
    { name: 'c', type: 'CHAR' }, { name: 'l', type: 'LONG' }, { name: 'ts', type: 'TIMESTAMP' },
  ] });
  const typed = {
    d: new Float64Array([1.5, -0, NaN, Infinity]), f: new Float32Array([0.5, -2, 3.25, 1e30]), i: new Int32Array([1, -1, 2 ** 31 - 1, -(2 ** 31)]),
    h: new Int16Array([1, -1, 32767, -32768]), c: new Int8Array([0, 127, -128, 5]), l: new BigInt64Array([0n, -1n, 2n ** 63n - 1n, -(2n ** 63n)]),
    ts: new BigInt64Array([1_795_000_000_000n, 0n, -1n, 42n]),
  };
  const plain = Object.fromEntries(Object.entries(typed).map(([k, v]) => [k, Array.from(v as ArrayLike<number | bigint>)]));
  const fromTyped = batchToRows(decodeAppendBatch(schema, encodeAppendBatch(schema, typed, LIMITS), LIMITS));
  const fromPlain = batchToRows(decodeAppendBatch(schema, encodeAppendBatch(schema, plain, LIMITS), LIMITS));
  assert.deepEqual(fromTyped, fromPlain);
  assert.equal(fromTyped[3]!['l'], -(2n ** 63n));
  // a copy: changing the input afterwards changes nothing already encoded
  const ipc = encodeAppendBatch(schema, typed, LIMITS);
  typed.d[0] = 99;
  assert.equal(batchToRows(decodeAppendBatch(schema, ipc, LIMITS))[0]!['d'], 1.5);
});

test('a typed array that is not the stored type still goes value by value, and is checked', () => {
  const schema = checkSchema({ columns: [{ name: 'i', type: 'INT' }, { name: 'ts', type: 'TIMESTAMP' }] });
  const rows = batchToRows(decodeAppendBatch(schema, encodeAppendBatch(schema, { i: new Float64Array([1, 2]), ts: new Float64Array([1_795_000_000_000, -5]) }, LIMITS), LIMITS));
  assert.deepEqual(rows, [{ i: 1, ts: 1_795_000_000_000 }, { i: 2, ts: -5 }]);
  assert.throws(() => encodeAppendBatch(schema, { i: new Float64Array([1.5]), ts: [0] }, LIMITS), /WRONG_TYPE/);
});

test('int64 columns from numbers: every safe integer sign and size is stored as the BigInt path stores it', () => {
  const schema = checkSchema({ columns: [{ name: 'l', type: 'LONG' }] });
  const values = [0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, -(2 ** 32), 2 ** 32 + 1, -(2 ** 32) - 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1_795_000_000_123];
  const rows = batchToRows(decodeAppendBatch(schema, encodeAppendBatch(schema, { l: values }, LIMITS), LIMITS));
  assert.deepEqual(rows.map((r) => r['l']), values.map((v) => BigInt(v)));
});

test('the dispatch-free loops give way to the value-by-value path on a null or an unusual value, which still names the row', () => {
  const schema = checkSchema({ columns: [{ name: 's', type: 'STRING' }, { name: 'ts', type: 'TIMESTAMP' }] });
  const mixed = { s: ['a', null, 'c', undefined], ts: [1, null, new Date(5), 7n] };
  const rows = batchToRows(decodeAppendBatch(schema, encodeAppendBatch(schema, mixed, LIMITS), LIMITS));
  assert.deepEqual(rows, [{ s: 'a', ts: 1 }, { s: null, ts: null }, { s: 'c', ts: 5 }, { s: null, ts: 7 }]);
  assert.throws(() => encodeAppendBatch(schema, { s: ['a', 'b', 3], ts: [1, 2, 3] }, LIMITS), /column "s" \(STRING\) row 2/);
  assert.throws(() => encodeAppendBatch(schema, { s: ['a', 'b'], ts: [1, 2.5] }, LIMITS), /column "ts" \(TIMESTAMP\) row 1/);
  assert.throws(() => encodeAppendBatch(schema, { s: ['a', 'b'], ts: new Float64Array([1, 2 ** 60]) }, LIMITS), /column "ts" \(TIMESTAMP\) row 1/);
});
