// The NATS peer's row messages (perf/peers/row_message.ts): every bench row packs into one payload and
// unpacks to the same values, for both table shapes, and a payload is never overwritten by a later batch.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchColumns, benchSchema, idOf } from '../../perf/bench/rows.js';
import { PeerError } from '../../perf/peers/peer_errors.js';
import { RowMessageEncoder, decodeRowMessage, rowAt } from '../../perf/peers/row_message.js';
import { packRows } from '../../perf/peers/nats_writer.js';

const badMessage = (pattern: RegExp) => (e: unknown) => e instanceof PeerError && e.code === 'BAD_MESSAGE' && pattern.test(e.message);

// 4,000 narrow rows: the scratch grows at 64, 128 and 256 KiB, and the last growth falls inside row
// 3,640 (256 KiB - 3,640 * 72 = 64 bytes left: room for the row's fixed part, not for its strings too).
for (const [columns, rowBytes, rows] of [[11, 72, 4_000], [211, 1_272, 200]] as const) {
  test(`${columns} columns: each of ${rows} rows (more than the first scratch buffer holds) round-trips in its own ${rowBytes}-byte payload`, () => {
    const schema = benchSchema(columns);
    const batch = benchColumns(schema, rows, 5_000, 42);
    const payloads = new RowMessageEncoder(schema).encodeBatch(batch, rows);
    assert.equal(payloads.length, rows);
    assert.ok(rows * rowBytes > 64 * 1024, 'the batch must outgrow the 64 KiB scratch buffer');
    for (let r = 0; r < rows; r++) {
      assert.equal(payloads[r]!.byteLength, rowBytes, `row ${r}`);
      assert.deepEqual(decodeRowMessage(schema, payloads[r]!), rowAt(schema, batch, r), `row ${r}`);
    }
    const first = decodeRowMessage(schema, payloads[0]!);
    assert.equal(first['id'], idOf(5_000));
    assert.equal(first['id'], 'AAAAAD46', 'row 5000: 3*36^2 + 30*36 + 32 in the A-Z0-9 alphabet');
    assert.equal(first['ts'], 1_795_000_005_000);
    assert.equal(Object.keys(first).length, columns);
  });
}

test('a batch keeps its bytes when the encoder packs the next batch (the scratch buffer is not handed out)', () => {
  const schema = benchSchema(11);
  const encoder = new RowMessageEncoder(schema);
  const a = benchColumns(schema, 50, 0, 1);
  const payloadsA = encoder.encodeBatch(a, 50);
  const copies = payloadsA.map((p) => Uint8Array.from(p));
  encoder.encodeBatch(benchColumns(schema, 3_000, 50, 2), 3_000); // overwrites and grows the scratch
  payloadsA.forEach((p, r) => assert.deepEqual(p, copies[r], `row ${r}`));
  for (let r = 1; r < payloadsA.length; r++) {
    assert.equal(payloadsA[r]!.byteOffset, payloadsA[r - 1]!.byteOffset + 72, 'payloads of a batch do not overlap');
  }
});

test('strings that are not ASCII are packed as UTF-8 with their byte length', () => {
  const schema = benchSchema(11);
  const batch = benchColumns(schema, 3, 0, 7);
  batch['id'] = ['é', 'naïve€', '🐟'.repeat(40)];
  batch['sym'] = ['', 'AAPL', 'ß'];
  const payloads = new RowMessageEncoder(schema).encodeBatch(batch, 3);
  for (let r = 0; r < 3; r++) assert.deepEqual(decodeRowMessage(schema, payloads[r]!), rowAt(schema, batch, r));
  assert.equal(payloads[0]!.byteLength, 72 - 8 + 2 - 4 + 0, "'é' is 2 bytes, '' is 0");
  assert.equal(payloads[2]!.byteLength, 72 - 8 + 160 - 4 + 2, 'each fish is 4 bytes');
});

test('a payload that does not fit the schema is refused, not misread', () => {
  const narrow = benchSchema(11);
  const wide = benchSchema(211);
  const [payload] = new RowMessageEncoder(narrow).encodeBatch(benchColumns(narrow, 1, 0, 3), 1);
  assert.throws(() => decodeRowMessage(narrow, payload!.subarray(0, 71)), badMessage(/ends inside column i3/));
  assert.throws(() => decodeRowMessage(narrow, payload!.subarray(0, 5)), badMessage(/ends inside column id/));
  assert.throws(() => decodeRowMessage(wide, payload!), badMessage(/ends inside column d6/));
  const [widePayload] = new RowMessageEncoder(wide).encodeBatch(benchColumns(wide, 1, 0, 3), 1);
  assert.throws(() => decodeRowMessage(narrow, widePayload!), badMessage(/has 1200 bytes after its 11 columns/));
});

test('a batch without one of the schema\'s columns is a BAD_CASE', () => {
  const schema = benchSchema(11);
  const batch = benchColumns(schema, 2, 0, 3);
  delete batch['d2'];
  assert.throws(() => new RowMessageEncoder(schema).encodeBatch(batch, 2), (e: unknown) => e instanceof PeerError && e.code === 'BAD_CASE' && /no column "d2"/.test(e.message));
});

test('packRows: rows back to back in messages of at most max bytes, never split, in order', () => {
  const rows = Array.from({ length: 10 }, (_, i) => new Uint8Array(3 + (i % 3)).fill(i)); // 3, 4, 5, 3, ... bytes
  const messages = packRows(rows, 10);
  assert.ok(messages.every((m) => m.byteLength <= 10));
  assert.deepEqual(Buffer.concat(messages), Buffer.concat(rows), 'every byte once, in order');
  assert.deepEqual(messages.map((m) => m.byteLength), [7, 8, 9, 7, 8]);
  // a row bigger than the limit still travels, alone
  assert.deepEqual(packRows([new Uint8Array(20), new Uint8Array(1)], 10).map((m) => m.byteLength), [20, 1]);
  assert.deepEqual(packRows([], 10), []);
});
