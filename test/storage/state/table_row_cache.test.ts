// TableRowCache: cacheLimit eviction of whole batches (never one not yet written), reading evicted
// rows back from the store, retention purges that keep offsets, and reloading at startup.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupStateWriter } from '../../../storage/state/group_state_writer.js';
import { tableBatchRange } from '../../../storage/state/keys.js';
import { MemoryStateStore } from '../../../storage/state/memory_state_store.js';
import { TableBatch, TableRead, TableRowCache } from '../../../storage/state/table_row_cache.js';
import { b } from './helpers.js';

const MINUTE_MS = 60_000;
const opts = { group: 1, generation: 1, table: 'trades', cacheLimitRows: 25, retentionMinutes: 10 };

/** Appends `count` batches of 10 rows, one a minute, through a writer, as apply would. */
function appendBatches(cache: TableRowCache, writer: GroupStateWriter, count: number, startLsn = 1): void {
  for (let i = 0; i < count; i++) {
    const batch: TableBatch = { firstOffset: cache.nextOffset, rowCount: 10, appendedAtMs: (startLsn + i) * MINUTE_MS, ipcBytes: b(startLsn + i) };
    writer.enqueue(startLsn + i, cache.append(batch, startLsn + i));
  }
}

const offsets = (r: TableRead): number[] => r.batches.map((x) => x.firstOffset);

test('row cache: evicts whole oldest batches while the rest cover cacheLimit, only once written', async () => {
  const store = new MemoryStateStore();
  const writer = new GroupStateWriter(store, { group: 1, maxQueuedBytes: 1 << 20 });
  const cache = new TableRowCache(store, opts);
  appendBatches(cache, writer, 6); // 60 rows, offsets 0..59
  assert.equal(cache.cachedRows, 60, 'nothing is written yet, so nothing may leave memory');
  await writer.whenWritten(3);
  cache.markWritten(3);
  assert.equal(cache.cachedRows, 30, 'batches 1..3 evicted: the other 30 rows still cover 25');
  await writer.whenWritten(6);
  cache.markWritten(6);
  assert.equal(cache.cachedRows, 30, 'evicting batch 4 would leave 20 < 25 rows');
  assert.equal(cache.evictedRows, 30);
});

test('row cache: reads cached rows synchronously and evicted ones from the store', async () => {
  const store = new MemoryStateStore();
  const writer = new GroupStateWriter(store, { group: 1, maxQueuedBytes: 1 << 20 });
  const cache = new TableRowCache(store, opts);
  appendBatches(cache, writer, 6);
  await writer.whenWritten(6);
  cache.markWritten(6);
  const hot = cache.read(45, 100);
  assert.ok(!(hot instanceof Promise), 'cached rows need no I/O');
  assert.deepEqual(offsets(hot), [40, 50]);
  const cold = cache.read(15, 20);
  assert.ok(cold instanceof Promise);
  const r = await cold;
  assert.deepEqual(offsets(r), [10, 20, 30], 'rows 15..34 span three batches');
  assert.deepEqual(r.batches.map((x) => x.ipcBytes), [b(2), b(3), b(4)], 'bytes come back from the store intact');
  assert.deepEqual(offsets(await cache.read(60, 10)), [], 'nothing past the end');
});

test('row cache: purge deletes expired batches from store and memory; offsets never move', async () => {
  const store = new MemoryStateStore();
  const writer = new GroupStateWriter(store, { group: 1, maxQueuedBytes: 1 << 20 });
  const cache = new TableRowCache(store, opts);
  appendBatches(cache, writer, 6); // appended at minutes 1..6
  await writer.whenWritten(6);
  cache.markWritten(6);
  const nothing = await cache.purgeExpired(11 * MINUTE_MS); // the batch of minute 1 is exactly 10 minutes old
  assert.equal(nothing.purgedBatches, 0);
  const result = await cache.purgeExpired(13.5 * MINUTE_MS); // minutes 1..3 are older than 10 minutes
  assert.deepEqual(result, { purgedBatches: 3, purgedRows: 30, firstRetainedOffset: 30 });
  const stored = await store.scan(tableBatchRange(1, 1, 'trades'));
  assert.equal(stored.length, 3, 'the purged batches are gone from the store');
  const r = await cache.read(5, 10);
  assert.equal(r.firstRetainedOffset, 30);
  assert.deepEqual(offsets(r), [30], 'a read below the first retained offset starts at it');
  assert.equal(cache.nextOffset, 60);
  appendBatches(cache, writer, 1, 7);
  assert.deepEqual(offsets(cache.read(60, 1) as TableRead), [60], 'new rows keep counting from where they were');
});

test('row cache: a batch not yet written is neither evicted nor purged', async () => {
  const store = new MemoryStateStore();
  const writer = new GroupStateWriter(store, { group: 1, maxQueuedBytes: 1 << 20 });
  const cache = new TableRowCache(store, { ...opts, cacheLimitRows: 0 });
  appendBatches(cache, writer, 2);
  cache.markWritten(0);
  const result = await cache.purgeExpired(60 * MINUTE_MS);
  assert.equal(result.purgedBatches, 0);
  assert.equal(cache.cachedRows, 20);
  await writer.whenWritten(2);
  cache.markWritten(2);
  assert.equal(cache.cachedRows, 0);
  assert.equal((await cache.purgeExpired(60 * MINUTE_MS)).purgedBatches, 2);
  assert.equal(cache.firstRetainedOffset, 20);
});

test('row cache: load() rebuilds headers and the cached tail from the store after a restart', async () => {
  const store = new MemoryStateStore();
  const writer = new GroupStateWriter(store, { group: 1, maxQueuedBytes: 1 << 20 });
  const before = new TableRowCache(store, opts);
  appendBatches(before, writer, 6);
  await writer.whenWritten(6);
  before.markWritten(6);
  await before.purgeExpired(12.5 * MINUTE_MS); // purges minutes 1..2
  const after = await TableRowCache.load(store, opts);
  assert.equal(after.firstRetainedOffset, 20);
  assert.equal(after.nextOffset, 60);
  assert.equal(after.cachedRows, 30);
  assert.deepEqual(offsets(await after.read(0, 100)), [20, 30, 40, 50]);
});

test('row cache: appends must continue at nextOffset', () => {
  const cache = new TableRowCache(new MemoryStateStore(), { ...opts, nextOffset: 100 });
  assert.throws(() => cache.append({ firstOffset: 99, rowCount: 1, appendedAtMs: 0, ipcBytes: b() }, 1), /expected offset 100/);
  assert.throws(() => cache.append({ firstOffset: 100, rowCount: 0, appendedAtMs: 0, ipcBytes: b() }, 1), /at least one row/);
});
