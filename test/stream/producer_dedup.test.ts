// Exactly-once appends in the replicated apply: a producer's repeated sequence returns the original
// outcome and writes nothing, for unkeyed and keyed tables; the window and the producer bound forget
// exactly what docs/protocol.md says; a restart from the store decides every case the same way.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Entry, EntryType } from '../../broker/raft/types.js';
import { AppendCommand, CommandKind, StreamCommand, decodeCommand, encodeCommand } from '../../broker/stream/commands.js';
import { loadStreamGroup } from '../../broker/stream/load_group.js';
import { MAX_PRODUCERS_PER_TABLE, PRODUCER_WINDOW_SEQUENCES } from '../../broker/stream/producer_windows.js';
import { ApplyResult, StreamGroup } from '../../broker/stream/stream_group.js';
import { TableSchema, encodeSchema } from '../../broker/table/schema.js';
import { encodeAppendBatch } from '../../broker/table/batch.js';
import { GroupStateWriter } from '../../storage/state/group_state_writer.js';
import { tableProducersRange } from '../../storage/state/keys.js';
import { MemoryStateStore } from '../../storage/state/memory_state_store.js';
import { scanPages } from '../../storage/state/state_store.js';

const GROUP = 2;
const schema: TableSchema = { columns: [{ name: 'id', type: 'STRING' }, { name: 'px', type: 'DOUBLE' }] };
const limits = { maxRows: 1_000_000, maxBytes: 1 << 30 };

class Replica {
  lsn = 0;
  readonly results = new Map<number, ApplyResult>();
  pushedRows = 0;
  /** appendApplied events: every applied append, repeats included (what metrics count). */
  readonly appendsApplied: Array<{ table: string; repeated: boolean }> = [];
  private constructor(readonly group: StreamGroup) {}

  static async open(store: MemoryStateStore): Promise<Replica> {
    const loaded = await loadStreamGroup(store, GROUP);
    const writer = new GroupStateWriter(store, { group: GROUP, maxQueuedBytes: 64 << 20, startLsn: loaded.appliedLsn });
    let r: Replica | undefined;
    const group = new StreamGroup(GROUP, store, writer, loaded, {
      applied: (_g, lsn, _t, result) => r!.results.set(lsn, result),
      rowsAppended: (_g, _t, o) => (r!.pushedRows += o.rowsWritten),
      appendApplied: (_g, table, o) => r!.appendsApplied.push({ table, repeated: o.repeated }),
    });
    r = new Replica(group);
    r.lsn = loaded.appliedLsn;
    return r;
  }

  apply(c: StreamCommand): ApplyResult {
    this.lsn++;
    const entry: Entry = { index: this.lsn, term: 1, type: EntryType.Normal, data: encodeCommand(c) };
    this.group.apply(entry);
    return this.results.get(this.lsn)!;
  }

  next(table: string): number {
    return this.group.tables.get(table)!.nextOffset;
  }
}

const create = (table: string, keyColumns: string[] = []): StreamCommand => ({
  kind: CommandKind.CreateTable, table, schema: encodeSchema(schema), cacheLimit: 100, keyColumns, retentionMinutes: 60, filterColumn: '',
});

function append(table: string, ids: string[], producer?: { id: string; sequence: number }): AppendCommand {
  const ipc = encodeAppendBatch(schema, { id: ids, px: ids.map((_, i) => i) }, limits);
  const c: AppendCommand = { kind: CommandKind.Append, table, rowCount: ids.length, appendedAtMs: 1000, ipc };
  if (producer) c.producer = producer;
  return c;
}

function outcome(r: ApplyResult): { firstOffset: number; rowsWritten: number; rowsDropped: number; repeated: boolean } {
  assert.ok(r.ok && r.append, `expected an applied append, got ${JSON.stringify(r)}`);
  const { firstOffset, rowsWritten, rowsDropped, repeated } = r.append;
  return { firstOffset, rowsWritten, rowsDropped, repeated };
}

test('commands: a producer stamp survives encoding; a plain append stays the old kind', () => {
  const stamped = append('t', ['a'], { id: 'producer-é', sequence: 2 ** 40 + 7 });
  const bytes = encodeCommand(stamped);
  assert.equal(bytes[1], CommandKind.ProducerAppend);
  const back = decodeCommand(bytes) as AppendCommand;
  assert.deepEqual(back.producer, { id: 'producer-é', sequence: 2 ** 40 + 7 });
  assert.equal(back.table, 't');
  assert.deepEqual([...back.ipc], [...stamped.ipc]);
  const plain = encodeCommand(append('t', ['a']));
  assert.equal(plain[1], CommandKind.Append);
  assert.equal((decodeCommand(plain) as AppendCommand).producer, undefined);
  // Every truncation before the rows begin is refused rather than misread.
  const headerBytes = 16 + 9 + Buffer.byteLength('producer-é') + 't'.length;
  for (let cut = 0; cut < headerBytes; cut++) {
    assert.throws(() => decodeCommand(bytes.subarray(0, cut)), /BAD_COMMAND/, `cut at ${cut}`);
  }
});

test('unkeyed table: a repeated sequence writes nothing and answers the original offsets', async () => {
  const r = await Replica.open(new MemoryStateStore());
  r.apply(create('ticks'));
  const p = 'p1';
  assert.deepEqual(outcome(r.apply(append('ticks', ['a', 'b', 'c'], { id: p, sequence: 1 }))), { firstOffset: 0, rowsWritten: 3, rowsDropped: 0, repeated: false });
  r.apply(append('ticks', ['x'])); // an unstamped append in between
  assert.deepEqual(outcome(r.apply(append('ticks', ['a', 'b', 'c'], { id: p, sequence: 1 }))), { firstOffset: 0, rowsWritten: 3, rowsDropped: 0, repeated: true });
  assert.equal(r.next('ticks'), 4, 'the retry added no row');
  assert.equal(r.pushedRows, 4, 'subscribers heard of no repeated row');
  assert.deepEqual(r.appendsApplied, [{ table: 'ticks', repeated: false }, { table: 'ticks', repeated: false }, { table: 'ticks', repeated: true }], 'metrics hear of every applied append, the repeat too');
  // Gaps are allowed, and a sequence inside the window that was never applied is applied.
  assert.deepEqual(outcome(r.apply(append('ticks', ['d'], { id: p, sequence: 5 }))), { firstOffset: 4, rowsWritten: 1, rowsDropped: 0, repeated: false });
  assert.deepEqual(outcome(r.apply(append('ticks', ['e'], { id: p, sequence: 3 }))), { firstOffset: 5, rowsWritten: 1, rowsDropped: 0, repeated: false });
  assert.deepEqual(outcome(r.apply(append('ticks', ['e'], { id: p, sequence: 3 }))), { firstOffset: 5, rowsWritten: 1, rowsDropped: 0, repeated: true });
  // Another producer with the same sequence is a different append.
  assert.equal(outcome(r.apply(append('ticks', ['f'], { id: 'p2', sequence: 1 }))).repeated, false);
  // The same producer and sequence on another table is a different append too.
  r.apply(create('other'));
  assert.equal(outcome(r.apply(append('other', ['g'], { id: p, sequence: 1 }))).repeated, false);
  assert.equal(r.next('ticks'), 7);
});

test('keyed table: the retry repeats the original verdict, including the rows dropped for their key', async () => {
  const r = await Replica.open(new MemoryStateStore());
  r.apply(create('orders', ['id']));
  r.apply(append('orders', ['a']));
  const first = outcome(r.apply(append('orders', ['a', 'b', 'c'], { id: 'p', sequence: 9 })));
  assert.deepEqual(first, { firstOffset: 1, rowsWritten: 2, rowsDropped: 1, repeated: false });
  assert.deepEqual(outcome(r.apply(append('orders', ['a', 'b', 'c'], { id: 'p', sequence: 9 }))), { ...first, repeated: true });
  assert.equal(r.next('orders'), 3);
});

test('the window: sequences more than 1023 below the highest are refused; what left the window leaves the store', async () => {
  const store = new MemoryStateStore();
  const r = await Replica.open(store);
  r.apply(create('ticks'));
  for (let s = 1; s <= 10; s++) r.apply(append('ticks', ['r'], { id: 'p', sequence: s }));
  const high = 10 + PRODUCER_WINDOW_SEQUENCES;
  r.apply(append('ticks', ['r'], { id: 'p', sequence: high }));
  const old = r.apply(append('ticks', ['r'], { id: 'p', sequence: high - PRODUCER_WINDOW_SEQUENCES }));
  assert.equal(!old.ok && old.code, 'SequenceTooOld');
  assert.match(!old.ok ? old.message : '', /below its window/);
  const before = r.next('ticks');
  assert.equal(outcome(r.apply(append('ticks', ['r'], { id: 'p', sequence: high - PRODUCER_WINDOW_SEQUENCES + 1 }))).repeated, false, 'the lowest sequence of the window is still decided by the record');
  assert.equal(r.next('ticks'), before + 1);
  await r.group.writer.whenWritten(r.lsn);
  const kept = await storedSequences(store, 'ticks');
  assert.deepEqual(kept, [`p:${high - PRODUCER_WINDOW_SEQUENCES + 1}`, `p:${high}`], 'sequences 1..10 were deleted as the window moved');
});

test('a table remembers its 1,024 most recently active producers; the oldest is forgotten first', async () => {
  const store = new MemoryStateStore();
  const r = await Replica.open(store);
  r.apply(create('ticks'));
  for (let i = 0; i < MAX_PRODUCERS_PER_TABLE; i++) r.apply(append('ticks', ['r'], { id: `p${i}`, sequence: 1 }));
  r.apply(append('ticks', ['r'], { id: 'p0', sequence: 2 })); // p0 is active again: p1 is now the oldest
  r.apply(append('ticks', ['r'], { id: 'newcomer', sequence: 1 }));
  assert.equal(r.group.tables.get('ticks')!.producers.producerCount, MAX_PRODUCERS_PER_TABLE);
  assert.equal(outcome(r.apply(append('ticks', ['r'], { id: 'p0', sequence: 1 }))).repeated, true, 'p0 is remembered');
  assert.equal(outcome(r.apply(append('ticks', ['r'], { id: 'p2', sequence: 1 }))).repeated, true, 'p2 is remembered');
  assert.equal(outcome(r.apply(append('ticks', ['r'], { id: 'p1', sequence: 1 }))).repeated, false, 'p1 was forgotten: the documented limit');
  await r.group.writer.whenWritten(r.lsn);
  const producers = new Set((await storedSequences(store, 'ticks')).map((k) => k.split(':')[0]));
  assert.equal(producers.size, MAX_PRODUCERS_PER_TABLE, 'the store holds as many producers as memory');
});

test('restart: the store gives back every producer window, and each verdict is the same as before', async () => {
  const store = new MemoryStateStore();
  const r = await Replica.open(store);
  r.apply(create('ticks'));
  r.apply(create('orders', ['id']));
  const original: Array<ReturnType<typeof outcome>> = [];
  for (let s = 1; s <= 40; s += 3) original.push(outcome(r.apply(append(s % 2 ? 'ticks' : 'orders', [`k${s % 7}`, `k${s}`], { id: `p${s % 3}`, sequence: s }))));
  r.apply(append('ticks', ['r'], { id: 'far', sequence: 5000 }));
  await r.group.writer.whenWritten(r.lsn);

  const again = await Replica.open(store);
  assert.equal(again.lsn, r.lsn);
  let i = 0;
  for (let s = 1; s <= 40; s += 3) {
    const retry = outcome(again.apply(append(s % 2 ? 'ticks' : 'orders', [`k${s % 7}`, `k${s}`], { id: `p${s % 3}`, sequence: s })));
    assert.deepEqual(retry, { ...original[i++]!, repeated: true }, `sequence ${s} after the restart`);
  }
  const old = again.apply(append('ticks', ['r'], { id: 'far', sequence: 5000 - PRODUCER_WINDOW_SEQUENCES }));
  assert.equal(!old.ok && old.code, 'SequenceTooOld');
});

test('drop forgets the table\'s producers: a recreated table applies the same sequence again', async () => {
  const store = new MemoryStateStore();
  const r = await Replica.open(store);
  r.apply(create('ticks'));
  r.apply(append('ticks', ['a'], { id: 'p', sequence: 1 }));
  r.apply({ kind: CommandKind.DropTable, table: 'ticks' });
  await r.group.writer.whenWritten(r.lsn);
  assert.deepEqual(await storedSequences(store, 'ticks'), []);
  r.apply(create('ticks'));
  assert.equal(outcome(r.apply(append('ticks', ['a'], { id: 'p', sequence: 1 }))).repeated, false);
});

async function storedSequences(store: MemoryStateStore, table: string): Promise<string[]> {
  const { decodeStateKey, KeyKind } = await import('../../storage/state/keys.js');
  const out: string[] = [];
  for await (const page of scanPages(store, tableProducersRange(GROUP, 1, table), 4096)) {
    for (const [key] of page) {
      const k = decodeStateKey(key);
      if (k.kind === KeyKind.ProducerSequence) out.push(`${k.producer}:${k.sequence}`);
    }
  }
  return out;
}
