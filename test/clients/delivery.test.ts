// The pure parts of subscription delivery, on a fake clock: when a handler call is due (DolphinDB's
// batchSize / throttle / msgAsTable rules), how a rows push becomes rows not seen yet (duplicates
// dropped, filter offsets), and how persistOffset acknowledgements coalesce.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryBuffer, Chunk } from '../../clients/delivery_buffer.js';
import { chunkRows, chunkTable } from '../../clients/handler_message.js';
import { OffsetAcker } from '../../clients/offset_acker.js';
import { ReceivedRows, readRowsPush } from '../../clients/rows_push.js';
import { ShoalError } from '../../clients/shoal_error.js';
import { TEST_SCHEMA, testRows } from './fake_node.js';

const TOPIC = 'fake_2/trades/a';

/** A push of rows with ids = offsets first..first+count-1, read as if nothing was accepted before `lastAccepted`. */
function received(first: number, count: number, atMs: number, lastAccepted = -1): ReceivedRows {
  const ids = Array.from({ length: count }, (_, i) => first + i);
  const read = readRowsPush(TEST_SCHEMA, { topic: TOPIC, firstOffset: first, rowCount: count }, testRows(ids), lastAccepted, atMs);
  assert.ok(read.rows !== undefined);
  return read.rows;
}

function idsOf(chunk: Chunk | undefined): number[] {
  assert.ok(chunk !== undefined, 'a chunk is due');
  return chunkRows(chunk).map((r) => r.id as number);
}

test('without batchSize, rows one at a time: each take is one row, in offset order across pushes', () => {
  const b = new DeliveryBuffer({ kind: 'row' });
  b.add(received(0, 2, 0));
  b.add(received(2, 1, 0));
  const seen: number[] = [];
  for (let chunk = b.take(0); chunk !== undefined; chunk = b.take(0)) {
    assert.equal(chunk.rowCount, 1);
    seen.push(...idsOf(chunk));
    assert.equal(chunk.lastOffset, seen[seen.length - 1]);
  }
  assert.deepEqual(seen, [0, 1, 2]);
  assert.equal(b.bufferedRows, 0);
});

test('msgAsTable without batchSize: one call per push, the push as it came', () => {
  const b = new DeliveryBuffer({ kind: 'push' });
  b.add(received(0, 3, 0));
  b.add(received(3, 2, 0));
  const first = b.take(0)!;
  assert.equal(first.rowCount, 3);
  assert.equal(first.lastOffset, 2);
  const table = chunkTable(first);
  assert.equal(table.numRows, 3);
  assert.deepEqual(table.getChild('id')!.toArray(), Int32Array.from([0, 1, 2]));
  assert.equal(b.take(0)!.lastOffset, 4);
  assert.equal(b.take(0), undefined);
});

test('batchSize: a full batch is due at once, across pushes, and the rest waits for the throttle', () => {
  const b = new DeliveryBuffer({ kind: 'batch', batchSize: 4, throttleMs: 1000 });
  b.add(received(0, 3, 100));
  assert.equal(b.take(100), undefined, 'three rows of four, throttle not passed');
  assert.equal(b.dueAtMs(), 1100, 'due a throttle after the first buffered row arrived');
  b.add(received(3, 3, 200));
  assert.deepEqual(idsOf(b.take(200)), [0, 1, 2, 3]);
  assert.equal(b.take(200), undefined);
  assert.equal(b.dueAtMs(), 1200, 'rows 4 and 5 came at 200');
  assert.equal(b.take(1199), undefined);
  const rest = b.take(1200);
  assert.deepEqual(idsOf(rest), [4, 5]);
  assert.equal(rest!.lastOffset, 5);
  assert.equal(b.dueAtMs(), undefined);
});

test('batchSize: more than one batch buffered comes out as consecutive full batches', () => {
  const b = new DeliveryBuffer({ kind: 'batch', batchSize: 2, throttleMs: 50 });
  b.add(received(10, 5, 0));
  assert.deepEqual(idsOf(b.take(0)), [10, 11]);
  assert.deepEqual(idsOf(b.take(0)), [12, 13]);
  assert.equal(b.take(0), undefined);
  assert.deepEqual(idsOf(b.take(50)), [14]);
});

test('batchSize with msgAsTable: a table made of slices of two pushes', () => {
  const b = new DeliveryBuffer({ kind: 'batch', batchSize: 3, throttleMs: 0 });
  b.add(received(0, 2, 0));
  b.add(received(2, 2, 0));
  const table = chunkTable(b.take(0)!);
  assert.deepEqual([...table.getChild('id')!.toArray()], [0, 1, 2]);
  assert.deepEqual([...table.getChild('sym')!.toArray()], ['A', 'B', 'A']);
  assert.deepEqual([...chunkTable(b.take(0)!).getChild('id')!.toArray()], [3]);
});

test('clear drops everything buffered', () => {
  const b = new DeliveryBuffer({ kind: 'batch', batchSize: 5, throttleMs: 10 });
  b.add(received(0, 3, 0));
  b.clear();
  assert.equal(b.bufferedRows, 0);
  assert.equal(b.take(1000), undefined);
  assert.equal(b.dueAtMs(), undefined);
});

test('a bad batch mode is refused', () => {
  assert.throws(() => new DeliveryBuffer({ kind: 'batch', batchSize: 0, throttleMs: 1 }), RangeError);
  assert.throws(() => new DeliveryBuffer({ kind: 'batch', batchSize: 2, throttleMs: -1 }), RangeError);
});

// ---- rows pushes --------------------------------------------------------------------------------

test('a push repeating rows already accepted keeps only the new ones (exactly once across a resubscription)', () => {
  const read = readRowsPush(TEST_SCHEMA, { topic: TOPIC, firstOffset: 3, rowCount: 4, offsets: [], nextOffset: 7 }, testRows([3, 4, 5, 6]), 4, 0);
  assert.equal(read.duplicates, 2);
  assert.equal(read.nextOffset, 7);
  const b = new DeliveryBuffer({ kind: 'row' });
  b.add(read.rows!);
  assert.deepEqual([idsOf(b.take(0)), idsOf(b.take(0))], [[5], [6]]);
  assert.equal(b.take(0), undefined);
});

test('a push of rows all seen before yields nothing to deliver but still moves the next offset', () => {
  const read = readRowsPush(TEST_SCHEMA, { topic: TOPIC, firstOffset: 0, rowCount: 2, nextOffset: 2 }, testRows([0, 1]), 5, 0);
  assert.equal(read.rows, undefined);
  assert.equal(read.duplicates, 2);
  assert.equal(read.nextOffset, 2);
});

test('a filtered push lists each row\'s offset: msgIds follow them and nextOffset covers the skipped rows', () => {
  const read = readRowsPush(TEST_SCHEMA, { topic: TOPIC, firstOffset: 10, rowCount: 2, offsets: [12, 17], nextOffset: 20 }, testRows([12, 17]), -1, 0);
  assert.deepEqual(read.rows!.offsets, [12, 17]);
  assert.equal(read.nextOffset, 20);
  const b = new DeliveryBuffer({ kind: 'row' });
  b.add(read.rows!);
  assert.equal(b.take(0)!.lastOffset, 12);
  assert.equal(b.take(0)!.lastOffset, 17);
});

test('a push without nextOffset (an older node) continues after its last row', () => {
  const read = readRowsPush(TEST_SCHEMA, { topic: TOPIC, firstOffset: 4, rowCount: 2 }, testRows([4, 5]), -1, 0);
  assert.equal(read.nextOffset, 6);
});

test('a push that contradicts itself is a BadReply, not a guess', () => {
  const bad = (f: () => unknown, words: RegExp): void => {
    assert.throws(f, (err: unknown) => err instanceof ShoalError && err.code === 'BadReply' && words.test(err.message));
  };
  bad(() => readRowsPush(TEST_SCHEMA, { topic: TOPIC, firstOffset: 0, rowCount: 3 }, testRows([0, 1]), -1, 0), /rowCount is 3/);
  bad(() => readRowsPush(TEST_SCHEMA, { topic: TOPIC, firstOffset: 0, rowCount: 2, offsets: [1] }, testRows([0, 1]), -1, 0), /1 offsets for 2 rows/);
  bad(() => readRowsPush(TEST_SCHEMA, { topic: TOPIC, firstOffset: 0, rowCount: 2, offsets: [5, 5] }, testRows([0, 1]), -1, 0), /not ascending/);
  bad(() => readRowsPush(TEST_SCHEMA, { topic: TOPIC, firstOffset: 9, rowCount: 2, offsets: [3, 5] }, testRows([0, 1]), -1, 0), /not ascending/);
  bad(() => readRowsPush(TEST_SCHEMA, { topic: TOPIC, firstOffset: 0, rowCount: 1 }, undefined, -1, 0), /no Arrow rows/);
  bad(() => readRowsPush(TEST_SCHEMA, { topic: TOPIC, firstOffset: 0, rowCount: 1 }, new Uint8Array([1, 2, 3]), -1, 0), /decode|schema/);
});

// ---- persistOffset acknowledgements ---------------------------------------------------------------

test('acks: one in flight; offsets acknowledged meanwhile collapse into the highest', async () => {
  const sent: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const releases: Array<() => void> = [];
  const acker = new OffsetAcker((offset) => {
    sent.push(offset);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    return new Promise<void>((resolve) => releases.push(() => {
      inFlight--;
      resolve();
    }));
  });
  acker.ack(1);
  acker.ack(2);
  acker.ack(3);
  acker.ack(2); // lower than what is wanted: ignored
  assert.deepEqual(sent, [1]);
  releases.shift()!();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(sent, [1, 3], 'the three acks after the first became one');
  releases.shift()!();
  await acker.idle();
  assert.equal(acker.confirmedOffset, 3);
  assert.equal(maxInFlight, 1);
  assert.equal(acker.sent, 2);
});

test('acks: a failed ack is kept and sent again by retry()', async () => {
  let fail = true;
  const sent: number[] = [];
  const acker = new OffsetAcker(async (offset) => {
    sent.push(offset);
    if (fail) throw new Error('connection lost');
  });
  acker.ack(5);
  await acker.idle();
  assert.equal(acker.failures, 1);
  assert.equal(acker.confirmedOffset, -1);
  fail = false;
  acker.retry();
  await acker.idle();
  assert.deepEqual(sent, [5, 5]);
  assert.equal(acker.confirmedOffset, 5);
  acker.retry(); // nothing unconfirmed: nothing sent
  await acker.idle();
  assert.equal(sent.length, 2);
});
