// Snapshot transfer: export from a consistent view, install under a new generation, switch the
// pointer, drop the old one. Bad chunks are refused with typed errors; a crash mid-install leaves
// the old generation current and whole.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeChunk, encodeChunk } from '../../../storage/snapshot/chunk.js';
import { SnapshotError } from '../../../storage/snapshot/errors.js';
import { exportGroupSnapshot, ExportedChunk } from '../../../storage/snapshot/export.js';
import { cleanupStaleGenerations, currentGeneration } from '../../../storage/snapshot/generation.js';
import { SnapshotInstaller, SnapshotMeta } from '../../../storage/snapshot/installer.js';
import { loadCheckpoint } from '../../../storage/state/group_state_writer.js';
import { dedupKey, generationRange, subscriptionOffsetKey, tableBatchKey, tableMetaKey } from '../../../storage/state/keys.js';
import { MemoryStateStore } from '../../../storage/state/memory_state_store.js';
import { StateOp, StateReader, StateStore } from '../../../storage/state/state_store.js';
import { b, utf8 } from '../state/helpers.js';

const GROUP = 3;
const confState = { voters: [1, 2], learners: [], witnesses: [], removed: [] };
const meta = (lsn = 100): SnapshotMeta => ({ group: GROUP, lsn, term: 4, confState });

/** A group's state in generation `gen`: 50 batches of 200 bytes, a meta record, dedup and offsets. */
async function fillGroup(store: StateStore, gen: number, tag: number): Promise<void> {
  const ops: StateOp[] = [{ op: 'put', key: tableMetaKey(GROUP, gen, 'orders'), value: b(tag) }];
  for (let i = 0; i < 50; i++) ops.push({ op: 'put', key: tableBatchKey(GROUP, gen, 'orders', i * 10), value: new Uint8Array(200).fill(tag) });
  ops.push({ op: 'put', key: dedupKey(GROUP, gen, 'orders', utf8('k1')), value: b(tag, 1) });
  ops.push({ op: 'put', key: subscriptionOffsetKey(GROUP, gen, 'orders/app'), value: b(tag, 2) });
  await store.write(ops);
}

async function collect(it: AsyncIterable<ExportedChunk>): Promise<ExportedChunk[]> {
  const out: ExportedChunk[] = [];
  for await (const c of it) out.push(c);
  return out;
}

/** The group's current state, keys without their prefix, for comparing across generations. */
async function stateOf(store: StateReader, gen: number): Promise<string[]> {
  const pairs = await store.scan(generationRange(GROUP, gen), { limit: 10_000 });
  return pairs.map(([k, v]) => `${Buffer.from(k.subarray(8)).toString('hex')}=${Buffer.from(v).toString('hex')}`);
}

test('snapshot: export then install round-trips the state; writes during export do not leak in', async () => {
  const source = new MemoryStateStore();
  await fillGroup(source, 1, 7);
  await source.write([{ op: 'put', key: tableMetaKey(GROUP + 1, 1, 'other'), value: b(1) }]); // another group
  const view = source.snapshot();
  const want = await stateOf(view, 1);
  const chunks: ExportedChunk[] = [];
  for await (const c of exportGroupSnapshot(view, GROUP, 1, 2048, 100)) {
    chunks.push(c);
    await source.write([{ op: 'put', key: tableBatchKey(GROUP, 1, 'orders', 9999 + c.seq), value: b(1) }, { op: 'del', key: tableMetaKey(GROUP, 1, 'orders') }]);
  }
  await view.release();
  assert.ok(chunks.length > 4, `a 10 KiB state in 2 KiB chunks, got ${chunks.length}`);
  assert.ok(chunks.every((c) => c.bytes.byteLength <= 2048));
  assert.deepEqual(chunks.map((c) => c.last), [...Array(chunks.length - 1).fill(false), true]);

  const target = new MemoryStateStore();
  await fillGroup(target, 1, 9); // the follower's stale state
  const installer = await SnapshotInstaller.begin(target, meta());
  assert.equal(installer.generation, 2);
  for (const c of chunks) {
    assert.equal(await currentGeneration(target, GROUP), 1, 'the old generation stays current until the last chunk');
    const progress = await installer.accept(c.bytes);
    assert.equal(progress.done, c.last);
  }
  assert.equal(await currentGeneration(target, GROUP), 2);
  assert.deepEqual(await stateOf(target, 2), want);
  assert.deepEqual(await stateOf(target, 1), [], 'the old generation is deleted');
  assert.deepEqual(await loadCheckpoint(target, GROUP), { lsn: 100, term: 4, confState });
  target.crash();
  assert.equal(await currentGeneration(target, GROUP), 2, 'the switch was flushed');
});

test('snapshot: an empty state is one last chunk', async () => {
  const chunks = await collect(exportGroupSnapshot(new MemoryStateStore(), GROUP, 1, 1024, 5));
  assert.equal(chunks.length, 1);
  assert.deepEqual(decodeChunk(chunks[0]!.bytes), { group: GROUP, snapshotLsn: 5, seq: 0, last: true, pairs: [] });
});

test('snapshot: corrupt, duplicate, out-of-order, wrong-group and stale chunks are refused, changing nothing', async () => {
  const source = new MemoryStateStore();
  await fillGroup(source, 1, 7);
  const chunks = await collect(exportGroupSnapshot(source, GROUP, 1, 2048, 100));
  const target = new MemoryStateStore();
  const installer = await SnapshotInstaller.begin(target, meta());
  const rejects = (bytes: Uint8Array, code: string): Promise<void> =>
    assert.rejects(installer.accept(bytes), (e: unknown) => e instanceof SnapshotError && e.code === code, code);

  const flipped = chunks[0]!.bytes.slice();
  flipped[40]! ^= 0x10;
  await rejects(flipped, 'CORRUPT_CHUNK');
  await rejects(chunks[0]!.bytes.subarray(0, 10), 'CORRUPT_CHUNK');
  await rejects(chunks[1]!.bytes, 'OUT_OF_ORDER_CHUNK');
  await installer.accept(chunks[0]!.bytes);
  await rejects(chunks[0]!.bytes, 'DUPLICATE_CHUNK');
  const decoded = decodeChunk(chunks[1]!.bytes);
  await rejects(encodeChunk({ ...decoded, group: GROUP + 1 }), 'WRONG_GROUP');
  await rejects(encodeChunk({ ...decoded, snapshotLsn: 99 }), 'WRONG_SNAPSHOT');
  await rejects(encodeChunk({ ...decoded, pairs: [[b(0x01), b(1)]] }), 'CORRUPT_CHUNK'); // a group record smuggled in
  assert.equal(installer.expectedSeq, 1);
  for (const c of chunks.slice(1)) await installer.accept(c.bytes);
  await rejects(chunks[chunks.length - 1]!.bytes, 'INSTALL_FINISHED');
  assert.deepEqual(await stateOf(target, 2), await stateOf(source, 1));
});

test('snapshot: a crash mid-install leaves the old generation current and whole; the next install cleans up', async () => {
  const source = new MemoryStateStore();
  await fillGroup(source, 1, 7);
  const chunks = await collect(exportGroupSnapshot(source, GROUP, 1, 2048, 100));
  const target = new MemoryStateStore();
  await fillGroup(target, 1, 9);
  await target.flush();
  const old = await stateOf(target, 1);

  const first = await SnapshotInstaller.begin(target, meta());
  for (const c of chunks.slice(0, -1)) await first.accept(c.bytes);
  await target.flush(); // the partial generation even reached the disk
  target.failNext('flush'); // the last chunk's flush fails...
  await assert.rejects(first.accept(chunks[chunks.length - 1]!.bytes), (e: unknown) => e instanceof SnapshotError && e.code === 'INSTALL_FAILED' && /generation 1 is still current/.test(e.message));
  target.crash(); // ...and the node dies
  assert.equal(await currentGeneration(target, GROUP), 1);
  assert.deepEqual(await stateOf(target, 1), old);
  assert.ok((await stateOf(target, 2)).length > 0, 'the partial generation 2 is garbage on disk');
  assert.equal(await loadCheckpoint(target, GROUP), undefined);

  assert.equal(await cleanupStaleGenerations(target, GROUP), 1, 'startup cleanup');
  assert.deepEqual(await stateOf(target, 2), []);
  const second = await SnapshotInstaller.begin(target, meta());
  for (const c of chunks) await second.accept(c.bytes);
  assert.equal(await currentGeneration(target, GROUP), 2);
  assert.deepEqual(await stateOf(target, 2), await stateOf(source, 1));
});

