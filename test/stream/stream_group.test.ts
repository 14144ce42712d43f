// The stream group state machine, driven entry by entry as the host would: offsets, keyed dedup
// (within a batch and across batches), persisted offsets, drop; then a restart from the state store
// that must rebuild the same state and skip exactly the entries the store already reflects.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Entry, EntryType } from '../../broker/raft/types.js';
import { CommandKind, StreamCommand, encodeCommand } from '../../broker/stream/commands.js';
import { loadStreamGroup } from '../../broker/stream/load_group.js';
import { ApplyResult, StreamGroup } from '../../broker/stream/stream_group.js';
import { TableSchema, encodeSchema } from '../../broker/table/schema.js';
import { batchToRows, decodeAppendBatch, encodeAppendBatch } from '../../broker/table/batch.js';
import { GroupStateWriter } from '../../storage/state/group_state_writer.js';
import { MemoryStateStore } from '../../storage/state/memory_state_store.js';

const GROUP = 2;
const schema: TableSchema = { columns: [{ name: 'id', type: 'STRING' }, { name: 'sym', type: 'SYMBOL' }, { name: 'price', type: 'DOUBLE' }] };
const limits = { maxRows: 1_000_000, maxBytes: 1 << 30 };

function rows(ids: string[]): Uint8Array {
  return encodeAppendBatch(schema, { id: ids, sym: ids.map(() => 'AAPL'), price: ids.map((_, i) => i + 0.5) }, limits);
}

class Harness {
  lsn = 0;
  readonly results = new Map<number, ApplyResult>();
  readonly pushed: Array<{ table: string; firstOffset: number; rows: number }> = [];
  constructor(readonly group: StreamGroup) {}

  static async open(store: MemoryStateStore): Promise<Harness> {
    const loaded = await loadStreamGroup(store, GROUP);
    const writer = new GroupStateWriter(store, { group: GROUP, maxQueuedBytes: 1 << 20, startLsn: loaded.appliedLsn });
    let h: Harness | undefined;
    const group = new StreamGroup(GROUP, store, writer, loaded, {
      applied: (_g, lsn, _t, result) => h!.results.set(lsn, result),
      rowsAppended: (_g, table, o) => h!.pushed.push({ table: table.name, firstOffset: o.firstOffset, rows: o.rowsWritten }),
    });
    h = new Harness(group);
    h.lsn = loaded.appliedLsn;
    return h;
  }

  apply(c: StreamCommand, lsn = this.lsn + 1): ApplyResult | undefined {
    this.lsn = lsn;
    const entry: Entry = { index: lsn, term: 1, type: EntryType.Normal, data: encodeCommand(c) };
    this.group.apply(entry);
    return this.results.get(lsn);
  }
}

const create = (table: string, keyColumns: string[]): StreamCommand => ({
  kind: CommandKind.CreateTable, table, schema: encodeSchema(schema), cacheLimit: 2, keyColumns, retentionMinutes: 60, filterColumn: '',
});
const append = (table: string, ids: string[]): StreamCommand => ({ kind: CommandKind.Append, table, rowCount: ids.length, appendedAtMs: 1000, ipc: rows(ids) });

test('keyed table: rows whose key was seen, before or earlier in the batch, are dropped; offsets stay dense', async () => {
  const h = await Harness.open(new MemoryStateStore());
  assert.deepEqual(h.apply(create('trades', ['id'])), { ok: true });
  const first = h.apply(append('trades', ['a', 'b', 'a', 'c']));
  assert.ok(first?.ok);
  assert.deepEqual({ ...first.append, ipc: undefined }, { firstOffset: 0, rowsWritten: 3, rowsDropped: 1, ipc: undefined, repeated: false });
  const second = h.apply(append('trades', ['c', 'd', 'b']));
  assert.ok(second?.ok);
  assert.equal(second.append!.firstOffset, 3);
  assert.equal(second.append!.rowsWritten, 1);
  assert.equal(second.append!.rowsDropped, 2);
  const written = batchToRows(decodeAppendBatch(schema, second.append!.ipc!, limits));
  assert.deepEqual(written.map((r) => r['id']), ['d'], 'only the new key travels on');
  const allDuplicates = h.apply(append('trades', ['a']));
  assert.ok(allDuplicates?.ok);
  assert.equal(allDuplicates.append!.rowsWritten, 0);
  assert.equal(h.group.tables.get('trades')!.nextOffset, 4);
  assert.deepEqual(h.pushed, [{ table: 'trades', firstOffset: 0, rows: 3 }, { table: 'trades', firstOffset: 3, rows: 1 }], 'subscribers hear only of rows written');
});

test('unkeyed table keeps every row; errors are deterministic verdicts that change nothing', async () => {
  const h = await Harness.open(new MemoryStateStore());
  h.apply(create('ticks', []));
  const r = h.apply(append('ticks', ['a', 'a']));
  assert.ok(r?.ok);
  assert.equal(r.append!.rowsWritten, 2);
  assert.deepEqual(h.apply(create('ticks', [])), { ok: false, code: 'TableExists', message: 'stream table ticks already exists in raft group 2' });
  const unknown = h.apply(append('nope', ['x']));
  assert.equal(unknown?.ok, false);
  assert.equal(!unknown!.ok && unknown!.code, 'UnknownTable');
  const garbage = h.apply({ kind: CommandKind.SetFilterColumn, table: 'ticks', column: 'missing' });
  assert.equal(!garbage!.ok && garbage!.code, 'BadColumn');
  h.lsn++;
  h.group.apply({ index: h.lsn, term: 1, type: EntryType.Normal, data: new Uint8Array([9, 9, 9]) });
  assert.equal(h.results.get(h.lsn)?.ok, false, 'a corrupt entry is refused, not half applied');
  assert.equal(h.group.tables.get('ticks')!.nextOffset, 2);
});

test('restart: the store rebuilds tables, keys, offsets; entries it reflects are skipped, later ones applied', async () => {
  const store = new MemoryStateStore();
  const h = await Harness.open(store);
  h.apply(create('trades', ['id', 'sym']));
  h.apply(append('trades', ['a', 'b']));
  h.apply({ kind: CommandKind.PersistOffset, topic: 'shoal_2/trades/act', offset: 1 });
  h.apply({ kind: CommandKind.PersistOffset, topic: 'shoal_2/trades/gone', offset: 0 });
  h.apply({ kind: CommandKind.RemoveOffset, topic: 'shoal_2/trades/gone' });
  h.apply(append('trades', ['c', 'd', 'e']));
  await h.group.writer.whenWritten(h.lsn);
  h.group.markWritten(h.lsn); // rows beyond cacheLimit leave memory: reads must come from the store
  const before = h.lsn;

  const again = await Harness.open(store);
  assert.equal(again.lsn, before, 'the store says which LSN it reflects');
  const t = again.group.tables.get('trades')!;
  assert.equal(t.nextOffset, 5);
  assert.equal(t.keyCount, 5);
  assert.deepEqual([...again.group.offsets], [['shoal_2/trades/act', 1]], 'a removed offset stays removed');
  // The log replays from an older checkpoint: entries the store holds change nothing.
  again.apply(append('trades', ['z']), 2);
  assert.equal(t.nextOffset, 5);
  assert.equal(again.results.get(2), undefined, 'a skipped entry has no outcome');
  // A new entry: dedup still knows the old keys.
  const r = again.apply(append('trades', ['a', 'f']), before + 1);
  assert.ok(r?.ok);
  assert.deepEqual([r.append!.firstOffset, r.append!.rowsWritten, r.append!.rowsDropped], [5, 1, 1]);
  // Every row, from the store and the cache, in offset order.
  const read = await t.rows.read(0, 100);
  const ids = read.batches.flatMap((b) => batchToRows(decodeAppendBatch(schema, b.ipcBytes, limits)).map((row) => row['id']));
  assert.deepEqual(ids, ['a', 'b', 'c', 'd', 'e', 'f']);
});

test('drop removes the table and its rows from the store', async () => {
  const store = new MemoryStateStore();
  const h = await Harness.open(store);
  h.apply(create('t1', ['id']));
  h.apply(append('t1', ['a']));
  assert.deepEqual(h.apply({ kind: CommandKind.DropTable, table: 't1' }), { ok: true });
  await h.group.writer.whenWritten(h.lsn);
  const again = await Harness.open(store);
  assert.equal(again.group.tables.size, 0);
  again.apply(create('t1', ['id']));
  const r = again.apply(append('t1', ['a']));
  assert.ok(r?.ok);
  assert.equal(r.append!.rowsWritten, 1, 'a recreated table starts with no keys');
});

test('a listener that throws never turns an applied entry into a failure', async () => {
  const store = new MemoryStateStore();
  const loaded = await loadStreamGroup(store, GROUP);
  const writer = new GroupStateWriter(store, { group: GROUP, maxQueuedBytes: 1 << 20 });
  const results: ApplyResult[] = [];
  const failures: unknown[] = [];
  const group = new StreamGroup(GROUP, store, writer, loaded, {
    applied: (_g, _l, _t, r) => results.push(r),
    rowsAppended: () => { throw new Error('subscriber broke'); },
    listenerFailed: (_g, e) => failures.push(e),
  });
  group.apply({ index: 2, term: 1, type: EntryType.Normal, data: encodeCommand(create('t', ['id'])) });
  group.apply({ index: 3, term: 1, type: EntryType.Normal, data: encodeCommand(append('t', ['a'])) });
  assert.equal(results[1]?.ok, true, 'the append is applied and acknowledged');
  assert.equal(failures.length, 1);
  await writer.whenWritten(3);
  const again = await loadStreamGroup(store, GROUP);
  assert.equal(again.tables[0]?.nextOffset, 1, 'and its row reached the store');
});

test('restart: a filter column set between appends is what the store gives back (the meta op keeps no stale definition)', async () => {
  const store = new MemoryStateStore();
  const h = await Harness.open(store);
  h.apply(create('ticks', []));
  h.apply(append('ticks', ['a']));
  assert.deepEqual(h.apply({ kind: CommandKind.SetFilterColumn, table: 'ticks', column: 'sym' }), { ok: true });
  h.apply(append('ticks', ['b'])); // the last meta op written for the table: it must carry 'sym'
  await h.group.writer.whenWritten(h.lsn);

  const again = await Harness.open(store);
  const t = again.group.tables.get('ticks')!;
  assert.equal(t.definition.filterColumn, 'sym');
  assert.equal(t.nextOffset, 2);
});
