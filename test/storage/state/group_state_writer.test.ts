// GroupStateWriter: LSN order, backpressure, the checkpoint protocol under crashes at every step,
// and store errors that fail the checkpoint and are reported, never dropped.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StateWriterError } from '../../../storage/state/errors.js';
import { GroupStateWriter, loadAppliedLsn, loadCheckpoint } from '../../../storage/state/group_state_writer.js';
import { MemoryStateStore } from '../../../storage/state/memory_state_store.js';
import { StateOp } from '../../../storage/state/state_store.js';
import { b } from './helpers.js';

const confState = { voters: [1, 2, 3], learners: [], witnesses: [] };
const put = (lsn: number): StateOp => ({ op: 'put', key: b(9, lsn), value: b(lsn) });

/** A memory store that logs its calls and can hold writes until released. */
class RecordingStore extends MemoryStateStore {
  readonly calls: string[] = [];
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  /** Throws (as a process death would stop everything) once this many calls have been made. */
  dieAfterCalls = Infinity;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }
  release(): void {
    this.open?.();
    this.gate = undefined;
  }
  override async write(ops: readonly StateOp[]): Promise<void> {
    this.step();
    if (this.gate) await this.gate;
    this.calls.push(`write ${ops.map((o) => (o.op === 'put' ? o.key.join('.') : o.op)).join(',')}`);
    return super.write(ops);
  }
  override async flush(): Promise<void> {
    this.step();
    this.calls.push('flush');
    return super.flush();
  }
  private step(): void {
    if (this.calls.length >= this.dieAfterCalls) throw new Error('process died');
  }
}

test('writer: ops reach the store in LSN order, merged into bounded writes', async () => {
  const store = new RecordingStore();
  const writer = new GroupStateWriter(store, { group: 1, maxQueuedBytes: 1 << 20, maxWriteBatchBytes: 70 });
  store.hold();
  for (let lsn = 1; lsn <= 5; lsn++) writer.enqueue(lsn, [put(lsn)]);
  assert.equal(writer.writtenLsn, 0);
  store.release();
  await writer.whenWritten(5);
  // The first write went alone (it started before the others arrived); then two 35-byte entries per
  // write, each closed by the group's applied-LSN record (key 0.0.0.1 | gen 0 | kind 2).
  const applied = '0.0.0.1.0.0.0.0.2';
  assert.deepEqual(store.calls, [`write 9.1,${applied}`, `write 9.2,9.3,${applied}`, `write 9.4,9.5,${applied}`]);
  assert.equal(await loadAppliedLsn(store, 1), 5, 'the store says which LSN prefix it holds');
  assert.equal(writer.writtenLsn, 5);
});

test('writer: checkpoint = drain, flush, record, flush; and loadCheckpoint reads it back', async () => {
  const store = new RecordingStore();
  const writer = new GroupStateWriter(store, { group: 4, maxQueuedBytes: 1 << 20 });
  assert.equal(await loadCheckpoint(store, 4), undefined);
  writer.enqueue(1, [put(1)]);
  writer.enqueue(2, []); // a no-op entry still moves the checkpoint
  writer.enqueue(3, [put(3)]);
  assert.equal(await writer.checkpoint(2, confState), 3);
  const applied = '0.0.0.4.0.0.0.0.2';
  assert.deepEqual(store.calls, [`write 9.1,${applied}`, `write 9.3,${applied}`, 'flush', 'write 0.0.0.4.0.0.0.0.1', 'flush']);
  assert.deepEqual(await loadCheckpoint(store, 4), { lsn: 3, term: 2, confState: { ...confState, removed: [] } });
  assert.equal(await loadCheckpoint(store, 5), undefined, 'checkpoints are per group');
});

test('writer: a crash at any step of a checkpoint never leaves a record ahead of durable state', async () => {
  for (let dieAfter = 0; dieAfter <= 6; dieAfter++) {
    const store = new RecordingStore();
    const writer = new GroupStateWriter(store, { group: 1, maxQueuedBytes: 1 << 20, onWriteError: () => {} });
    writer.enqueue(1, [put(1)]);
    await writer.checkpoint(1, confState); // a first checkpoint at LSN 1
    store.dieAfterCalls = store.calls.length + dieAfter;
    try {
      writer.enqueue(2, [put(2)]);
      writer.enqueue(3, [put(3)]);
      await writer.checkpoint(1, confState);
    } catch (err) {
      assert.ok(err instanceof StateWriterError && err.code === 'WRITE_FAILED');
    }
    store.crash();
    store.dieAfterCalls = Infinity;
    const checkpoint = (await loadCheckpoint(store, 1))!;
    for (let lsn = 1; lsn <= checkpoint.lsn; lsn++) {
      assert.deepEqual(await store.get(b(9, lsn)), b(lsn), `dying after ${dieAfter} calls: checkpoint at ${checkpoint.lsn} but LSN ${lsn} lost`);
    }
    assert.ok(checkpoint.lsn === 1 || checkpoint.lsn === 3);
  }
});

test('writer: a write error fails the checkpoint, is reported once, and stops the writer', async () => {
  const store = new MemoryStateStore();
  const reported: StateWriterError[] = [];
  const writer = new GroupStateWriter(store, { group: 2, maxQueuedBytes: 1 << 20, onWriteError: (e) => reported.push(e) });
  store.failNext('write');
  writer.enqueue(1, [put(1)]);
  const isWriteFailed = (e: unknown): boolean => e instanceof StateWriterError && e.code === 'WRITE_FAILED' && /restart/.test(e.message);
  await assert.rejects(writer.checkpoint(1, confState), isWriteFailed);
  await assert.rejects(writer.whenWritten(1), isWriteFailed);
  assert.throws(() => writer.enqueue(2, [put(2)]), isWriteFailed);
  assert.equal(reported.length, 1);
  assert.ok(reported[0]!.cause instanceof Error);
  assert.equal(await loadCheckpoint(store, 2), undefined);
});

test('writer: a flush error fails the checkpoint before any record is written', async () => {
  const store = new MemoryStateStore();
  const writer = new GroupStateWriter(store, { group: 2, maxQueuedBytes: 1 << 20, onWriteError: () => {} });
  writer.enqueue(1, [put(1)]);
  store.failNext('flush');
  await assert.rejects(writer.checkpoint(1, confState), (e: unknown) => e instanceof StateWriterError && e.code === 'WRITE_FAILED');
  assert.equal(await loadCheckpoint(store, 2), undefined);
  assert.ok(writer.failure);
});

test('writer: over maxQueuedBytes, enqueue() says stop; ignoring it is a typed error', async () => {
  const store = new RecordingStore();
  const writer = new GroupStateWriter(store, { group: 1, maxQueuedBytes: 120 });
  store.hold();
  const big = (lsn: number): StateOp => ({ op: 'put', key: b(lsn), value: new Uint8Array(40) }); // 73 bytes queued with its entry
  assert.equal(writer.enqueue(1, [big(1)]), true);
  assert.equal(writer.enqueue(2, [big(2)]), false);
  assert.equal(writer.overLimit, true);
  let belowLimit = false;
  const waiting = writer.whenBelowLimit().then(() => (belowLimit = true));
  assert.equal(writer.enqueue(3, [big(3)]), false); // 219 bytes: still under the hard limit of 240
  assert.throws(() => writer.enqueue(4, [big(4)]), (e: unknown) => e instanceof StateWriterError && e.code === 'QUEUE_OVERFLOW');
  assert.equal(belowLimit, false);
  store.release();
  await waiting;
  await writer.whenWritten(3);
  assert.equal(writer.queuedBytes, 0);
  assert.equal(await store.get(b(4)), undefined, 'the refused ops were not queued');
});

test('writer: entries with no ops still count against the limit while a write is in flight', async () => {
  const store = new RecordingStore();
  const writer = new GroupStateWriter(store, { group: 1, maxQueuedBytes: 100 });
  store.hold();
  writer.enqueue(1, [put(1)]); // starts a write, which the store holds
  let lsn = 1;
  while (writer.enqueue(++lsn, [])) assert.ok(lsn < 100, 'no-op entries queued without ever reaching the limit');
  assert.throws(() => { for (;;) writer.enqueue(++lsn, []); }, (e: unknown) => e instanceof StateWriterError && e.code === 'QUEUE_OVERFLOW');
  store.release();
  await writer.whenWritten(lsn - 1);
  assert.equal(writer.queuedBytes, 0);
});

test('writer: LSNs may not go backwards; a closed writer refuses ops', async () => {
  const writer = new GroupStateWriter(new MemoryStateStore(), { group: 1, maxQueuedBytes: 1000, startLsn: 10 });
  assert.throws(() => writer.enqueue(9, []), (e: unknown) => e instanceof StateWriterError && e.code === 'LSN_REGRESSION');
  writer.enqueue(10, [put(10)]);
  await writer.close();
  assert.equal(writer.writtenLsn, 10);
  assert.throws(() => writer.enqueue(11, []), (e: unknown) => e instanceof StateWriterError && e.code === 'CLOSED');
});

test('writer: viewWithLsn() is taken between two writes and matches its LSN', async () => {
  const store = new RecordingStore();
  const writer = new GroupStateWriter(store, { group: 1, maxQueuedBytes: 1 << 20, maxWriteBatchBytes: 1 });
  store.hold();
  writer.enqueue(1, [put(1)]);
  writer.enqueue(2, [put(2)]);
  const pending = writer.viewWithLsn();
  store.release();
  const { view, lsn } = await pending;
  assert.equal(lsn, 1);
  assert.deepEqual(await view.get(b(9, 1)), b(1));
  assert.equal(await view.get(b(9, 2)), undefined);
  await writer.whenWritten(2);
  assert.equal(await view.get(b(9, 2)), undefined, 'later writes stay out of the view');
  await view.release();
});
