// MemoryStorage counts the bytes of the entries it holds, through appends, overwrites, compaction and
// snapshots, and retentionStart picks a compaction point by entries and bytes: the data node bounds the
// memory of its Raft logs with these (docs/raft.md, "Snapshots and compaction").

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage } from '../../broker/raft/storage.js';
import { Entry, EntryType, entryBytes } from '../../broker/raft/types.js';

const entry = (index: number, term: number, size: number): Entry => ({ index, term, type: EntryType.Normal, data: new Uint8Array(size) });
const sumOf = (entries: Entry[]): number => entries.reduce((n, e) => n + entryBytes(e), 0);

test('bytesHeld follows appends, an overwriting append, compaction and an applied snapshot', () => {
  const s = MemoryStorage.bootstrap({ voters: [1], learners: [], witnesses: [] });
  const first = [1, 2, 3, 4, 5].map((i) => entry(i, 1, 100 * i));
  s.append(first);
  assert.equal(s.bytesHeld, sumOf(first));
  const replacing = [entry(4, 2, 7), entry(5, 2, 8), entry(6, 2, 9)]; // a new leader's entries from LSN 4
  s.append(replacing);
  assert.equal(s.bytesHeld, sumOf(first.slice(0, 3)) + sumOf(replacing));
  s.compact(3); // entries 1..3 go (3 stays as the dummy, without data)
  assert.equal(s.bytesHeld, sumOf(replacing));
  s.applySnapshot({ metadata: { index: 10, term: 3, confState: { voters: [1], learners: [], witnesses: [] } }, data: new Uint8Array() });
  assert.equal(s.bytesHeld, 0);
});

test('retentionStart keeps at most keepEntries entries and keepBytes bytes up to upTo', () => {
  const s = MemoryStorage.bootstrap({ voters: [1], learners: [], witnesses: [] });
  s.append(Array.from({ length: 10 }, (_, i) => entry(i + 1, 1, 1_000)));
  const one = entryBytes(entry(1, 1, 1_000));
  assert.equal(s.retentionStart(10, 0, Infinity), 10, 'no margin: compact up to upTo');
  assert.equal(s.retentionStart(10, 3, Infinity), 7, 'three entries kept: 8, 9, 10');
  assert.equal(s.retentionStart(10, 100, 2 * one), 8, 'bytes first: two entries fit');
  assert.equal(s.retentionStart(10, 100, 2 * one - 1), 9, 'an entry that would cross the byte bound is not kept');
  assert.equal(s.retentionStart(8, 100, Infinity), 0, 'everything at or below upTo fits: nothing compacted');
  s.compact(5);
  assert.equal(s.retentionStart(10, 100, Infinity), 5, 'never below what is already compacted');
  const compactTo = s.retentionStart(10, 100, 3 * one);
  s.compact(compactTo);
  assert.equal(s.bytesHeld, 3 * one);
});
