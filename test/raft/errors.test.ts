// Typed errors the core hands to its host: codes, the leader hint, and where they are thrown.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newGroupStorage } from '../../broker/host/wal_records.js';
import { ConfChangeError, NotLeaderError, ProposalDroppedError, RaftError } from '../../broker/raft/errors.js';
import { SeededRandom } from '../../broker/raft/random.js';
import { RawNode } from '../../broker/raft/raw_node.js';
import { ConfChangeType, MessageType, message } from '../../broker/raft/types.js';

test('NotLeaderError carries the leader id, a stable code and a message that says where to go', () => {
  const e = new NotLeaderError(3);
  assert.ok(e instanceof RaftError);
  assert.deepEqual([e.leaderId, e.code, e.name], [3, 'NotLeader', 'NotLeaderError']);
  assert.match(e.message, /leader is node 3/);
  assert.match(new NotLeaderError(0).message, /no leader is known/);
  assert.equal(new ProposalDroppedError('x').code, 'ProposalDropped');
  assert.equal(new ConfChangeError('x').code, 'ConfChangeRejected');
});

function follower(id: number): RawNode {
  return new RawNode({ id, electionTick: 10, heartbeatTick: 1, random: new SeededRandom(id) },
    newGroupStorage({ voters: [1, 2, 3], learners: [], witnesses: [] }, 0));
}

test('a proposal on a follower throws NotLeaderError naming the leader it follows', () => {
  const rn = follower(2);
  assert.throws(() => rn.propose(new Uint8Array([1])), (e: unknown) => e instanceof NotLeaderError && e.leaderId === 0);
  rn.step(message({ type: MessageType.Heartbeat, from: 1, to: 2, term: 2 }));
  assert.equal(rn.status().lead, 1);
  assert.throws(() => rn.propose(new Uint8Array([1])), (e: unknown) => e instanceof NotLeaderError && e.leaderId === 1);
  assert.throws(() => rn.proposeConfChange({ type: ConfChangeType.AddLearner, nodeId: 4 }),
    (e: unknown) => e instanceof NotLeaderError && e.leaderId === 1);
});
