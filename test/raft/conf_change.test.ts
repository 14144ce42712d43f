// Membership changes: every rule of confChangeProblem, their application, and the entry encoding.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyConfChangeTo, confChangeProblem, decodeConfChange, encodeConfChange } from '../../broker/raft/conf_change.js';
import { ConfChangeError } from '../../broker/raft/errors.js';
import { ConfChangeType, ConfState } from '../../broker/raft/types.js';

const { AddVoter, AddLearner, AddWitness, RemoveNode } = ConfChangeType;
const cs = (voters: number[], learners: number[] = [], witnesses: number[] = [], removed: number[] = []): ConfState =>
  ({ voters, learners, witnesses, removed });

test('confChangeProblem: each rule, and the changes it allows', () => {
  const base = cs([1, 2, 3], [4], [5], [6]);
  const cases: Array<[ConfState, ConfChangeType, number, RegExp | undefined]> = [
    [base, AddVoter, 0, /positive integer/],
    [base, AddVoter, -2, /positive integer/],
    [base, AddVoter, 1.5, /positive integer/],
    [base, AddVoter, 6, /was removed .* cannot rejoin/],
    [base, AddLearner, 6, /was removed/],
    [base, AddWitness, 6, /was removed/],
    [base, RemoveNode, 6, /is not a member/], // removing again: not a member any more
    [base, AddVoter, 1, /already a voter/],
    [base, AddVoter, 5, /is a witness and holds no data/], // witness to voter refused
    [base, AddLearner, 4, /already a learner/],
    [base, AddLearner, 5, /is a witness and holds no data/],
    [cs([1]), AddLearner, 1, /last voter/],
    [base, AddWitness, 5, /already a witness/],
    [cs([1]), AddWitness, 1, /last voter/],
    [base, RemoveNode, 9, /is not a member/],
    [cs([1], [2]), RemoveNode, 1, /last voter/],
    [base, AddVoter, 4, undefined], // promote a learner
    [base, AddVoter, 7, undefined],
    [base, AddLearner, 3, undefined], // demote a voter while others remain
    [base, AddWitness, 3, undefined],
    [base, RemoveNode, 5, undefined],
    [base, RemoveNode, 4, undefined],
    [base, RemoveNode, 1, undefined],
  ];
  for (const [state, type, nodeId, want] of cases) {
    const problem = confChangeProblem(state, { type, nodeId });
    if (want === undefined) assert.equal(problem, undefined, `${type} ${nodeId}`);
    else assert.match(problem ?? '(allowed)', want, `${type} ${nodeId}`);
  }
});

test('applyConfChangeTo moves one node, keeps lists sorted, records removals, and ignores invalid changes', () => {
  assert.deepEqual(applyConfChangeTo(cs([3, 1]), { type: AddVoter, nodeId: 2 }), cs([1, 2, 3]));
  assert.deepEqual(applyConfChangeTo(cs([1, 2], [3]), { type: AddVoter, nodeId: 3 }), cs([1, 2, 3]), 'promotion leaves the learners');
  assert.deepEqual(applyConfChangeTo(cs([1, 2]), { type: AddLearner, nodeId: 2 }), cs([1], [2]));
  assert.deepEqual(applyConfChangeTo(cs([1, 2], [], [3]), { type: RemoveNode, nodeId: 3 }), cs([1, 2], [], [], [3]));
  const before = cs([1], [], [2]);
  assert.deepEqual(applyConfChangeTo(before, { type: AddVoter, nodeId: 2 }), before, 'an invalid change is the same on every replica');
});

test('encode/decode round-trips every change type', () => {
  for (const type of [AddVoter, AddLearner, AddWitness, RemoveNode]) {
    for (const nodeId of [1, 7, 0xffffffff]) {
      assert.deepEqual(decodeConfChange(encodeConfChange({ type, nodeId })), { type, nodeId });
    }
  }
  const framed = new Uint8Array(9);
  framed.set(encodeConfChange({ type: RemoveNode, nodeId: 42 }), 3);
  assert.deepEqual(decodeConfChange(framed.subarray(3, 8)), { type: RemoveNode, nodeId: 42 }, 'reads at a byte offset');
});

test('decoding a malformed entry throws ConfChangeError', () => {
  for (const bytes of [new Uint8Array(), new Uint8Array(4), new Uint8Array(6), Uint8Array.of(9, 0, 0, 0, 1)]) {
    assert.throws(() => decodeConfChange(bytes), (e: unknown) => e instanceof ConfChangeError && e.code === 'ConfChangeRejected');
  }
});
