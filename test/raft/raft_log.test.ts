// RaftLog: the fast-backtracking hint, the follower's append, and byte-bounded slices across the
// stable/unstable boundary.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RaftInvariantError } from '../../broker/raft/errors.js';
import { RaftLog } from '../../broker/raft/raft_log.js';
import { entryBytes } from '../../broker/raft/types.js';
import { entry, storageWith } from './harness.js';

test('findConflictByTerm returns the largest index <= index whose term is <= term', () => {
  const log = new RaftLog(storageWith([1], [1, 1, 2, 2, 3])); // terms at 1..5
  assert.equal(log.findConflictByTerm(5, 3), 5);
  assert.equal(log.findConflictByTerm(5, 2), 4);
  assert.equal(log.findConflictByTerm(5, 1), 2);
  assert.equal(log.findConflictByTerm(3, 2), 3);
  assert.equal(log.findConflictByTerm(5, 0), 0, 'the dummy entry at 0 has term 0');
  assert.equal(log.findConflictByTerm(10, 3), 5, 'an index past the end is clamped to the last index');
});

test('findConflictByTerm stops at the compaction point: nothing below it is known', () => {
  const s = storageWith([1], [1, 1, 2, 2, 3]);
  s.compact(3); // 3 stays as the dummy (term 2); 1 and 2 are gone
  const log = new RaftLog(s);
  assert.equal(log.findConflictByTerm(5, 1), 2);
  assert.equal(log.findConflictByTerm(5, 2), 4);
});

test('maybeAppend refuses a mismatched predecessor, truncates a conflict, and commits no further than the new entries', () => {
  const log = new RaftLog(storageWith([1], [1, 2, 2]));
  assert.equal(log.maybeAppend(3, 1, 3, [entry(3, 4)]), undefined, 'prev 1/3 does not match 2/3');
  assert.equal(log.lastIndex(), 3);
  assert.equal(log.maybeAppend(1, 1, 10, [entry(3, 2)]), 2);
  assert.deepEqual([log.term(2), log.lastIndex()], [3, 2], 'the conflict at 2 and everything after it is replaced');
  assert.equal(log.committed, 2, 'commit is min(leader commit, last new index)');
  assert.equal(log.maybeAppend(0, 0, 0, [entry(1, 1)]), 1, 'entries already present are acknowledged');
  assert.equal(log.lastIndex(), 2, '... and the rest of the log is kept');
});

test('maybeAppend never overwrites a committed entry', () => {
  const log = new RaftLog(storageWith([1], [1, 1]));
  log.commitTo(2);
  assert.throws(() => log.maybeAppend(1, 1, 2, [entry(2, 2)]), RaftInvariantError);
});

test('slice honours maxBytes but always returns at least one entry, across stable and unstable parts', () => {
  const s = storageWith([1]);
  s.append([entry(1, 1, 'aaaaaaaaaa'), entry(1, 2, 'bbbbbbbbbb'), entry(1, 3, 'cccccccccc')]);
  const log = new RaftLog(s);
  log.append([entry(1, 4, 'dddddddddd'), entry(1, 5, 'eeeeeeeeee')]); // unstable
  const one = entryBytes(entry(1, 1, 'aaaaaaaaaa'));
  const idx = (lo: number, hi: number, max: number) => log.slice(lo, hi, max)?.map((e) => e.index);
  assert.deepEqual(idx(1, 6, 0), [1], 'at least one entry even over the limit');
  assert.deepEqual(idx(1, 6, one), [1]);
  assert.deepEqual(idx(1, 6, 2 * one), [1, 2]);
  assert.deepEqual(idx(1, 6, 2 * one + 1), [1, 2]);
  assert.deepEqual(idx(2, 6, 2 * one), [2, 3], 'stops at the boundary when the stable part fills the budget');
  assert.deepEqual(idx(3, 6, 3 * one), [3, 4, 5], 'continues into unstable entries');
  assert.deepEqual(idx(3, 6, 2 * one), [3, 4], 'and bounds them too');
  assert.deepEqual(idx(1, 6, Infinity), [1, 2, 3, 4, 5]);
  assert.deepEqual(idx(4, 4, 0), []);
  s.compact(2);
  assert.equal(log.slice(2, 4, Infinity), undefined, 'a compacted start yields undefined (send a snapshot)');
  assert.throws(() => log.slice(3, 7, Infinity), RaftInvariantError);
});

test('isUpToDate compares last term first, then length (§5.4.1)', () => {
  const log = new RaftLog(storageWith([1], [1, 2]));
  assert.equal(log.isUpToDate(2, 2), true);
  assert.equal(log.isUpToDate(1, 2), false);
  assert.equal(log.isUpToDate(1, 3), true);
  assert.equal(log.isUpToDate(9, 1), false);
});
