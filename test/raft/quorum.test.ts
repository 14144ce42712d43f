// Majority arithmetic: the commit index a quorum has persisted, and the outcome of a vote.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VoteResult, committedIndex, majority, voteResult } from '../../broker/raft/quorum.js';

test('majority of n', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(majority), [1, 2, 2, 3, 3, 4, 4]);
});

test('committedIndex is the highest index a majority has persisted', () => {
  const cases: Array<[Record<number, number>, number]> = [
    [{}, 0],
    [{ 1: 5 }, 5],
    [{ 1: 5, 2: 3 }, 3],
    [{ 1: 5, 2: 3, 3: 4 }, 4],
    [{ 1: 9, 2: 1, 3: 1 }, 1],
    [{ 1: 5, 2: 5, 3: 1, 4: 1 }, 1], // 2 of 4 is not a majority
    [{ 1: 7, 2: 6, 3: 5, 4: 4, 5: 3 }, 5],
  ];
  for (const [matches, want] of cases) {
    const members = Object.keys(matches).map(Number);
    assert.equal(committedIndex(members, (id) => matches[id]!), want, JSON.stringify(matches));
  }
  assert.equal(committedIndex([1, 2, 3], (id) => (id === 1 ? 8 : 0)), 0, 'unknown members count as 0');
});

test('voteResult: won at a majority of grants, lost once a majority is out of reach', () => {
  const v = (entries: Array<[number, boolean]>) => new Map(entries);
  const members = [1, 2, 3, 4, 5];
  assert.equal(voteResult(members, v([])), VoteResult.Pending);
  assert.equal(voteResult(members, v([[1, true], [2, true]])), VoteResult.Pending);
  assert.equal(voteResult(members, v([[1, true], [2, true], [3, true]])), VoteResult.Won);
  assert.equal(voteResult(members, v([[1, true], [2, false], [3, false]])), VoteResult.Pending);
  assert.equal(voteResult(members, v([[1, true], [2, false], [3, false], [4, false]])), VoteResult.Lost);
  assert.equal(voteResult(members, v([[9, true], [8, true], [7, true]])), VoteResult.Pending, 'non-members do not count');
  assert.equal(voteResult([1], v([[1, true]])), VoteResult.Won);
  assert.equal(voteResult([1, 2], v([[1, true], [2, false]])), VoteResult.Lost);
});
