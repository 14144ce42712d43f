// Flow control: the in-flight window (count and bytes), the Progress state machine's handling of
// rejections, and the leader-side rare branches that depend on them (with coverage marks).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Inflights } from '../../broker/raft/inflights.js';
import { countMarks } from '../../broker/raft/marks.js';
import { Progress, ProgressState } from '../../broker/raft/progress.js';
import { MessageType, Role, message } from '../../broker/raft/types.js';
import { ack, drain, electLeader, newRaft, storageWith } from './harness.js';

test('inflights are bounded by message count', () => {
  const inf = new Inflights(3, 0); // 0 bytes: no byte bound
  inf.add(1, 1000);
  inf.add(2, 1000);
  assert.equal(inf.full(), false);
  inf.add(3, 1000);
  assert.equal(inf.full(), true);
  inf.freeLE(2);
  assert.deepEqual([inf.count(), inf.inflightBytes(), inf.full()], [1, 1000, false]);
  inf.freeLE(0);
  assert.equal(inf.count(), 1, 'freeing below the first is a no-op');
  inf.freeLE(99);
  assert.deepEqual([inf.count(), inf.inflightBytes()], [0, 0]);
});

test('inflights are bounded by bytes, and freeFirstOne frees exactly one', () => {
  const inf = new Inflights(100, 100);
  inf.add(5, 60);
  assert.equal(inf.full(), false);
  inf.add(7, 40);
  assert.equal(inf.full(), true, '100 bytes in flight reach the 100-byte bound');
  inf.freeFirstOne();
  assert.deepEqual([inf.count(), inf.inflightBytes(), inf.full()], [1, 40, false]);
  inf.freeFirstOne();
  inf.freeFirstOne(); // empty: nothing happens
  assert.deepEqual([inf.count(), inf.inflightBytes()], [0, 0]);
});

test('a Replicate progress ignores rejections of appends it already knows matched', () => {
  const pr = new Progress(11, 8, 0, false, false);
  pr.match = 5;
  pr.becomeReplicate();
  pr.sentEntries(10, 100);
  assert.equal(pr.next, 11);
  assert.equal(pr.maybeDecrTo(5, 3), false, 'rejected index <= match: stale');
  assert.equal(pr.maybeDecrTo(4, 3), false);
  assert.equal(pr.next, 11);
  assert.equal(pr.maybeDecrTo(9, 3), true);
  assert.equal(pr.next, 6, 'falls back to match + 1');
});

test('a Probe progress ignores rejections of any append but the outstanding probe', () => {
  const pr = new Progress(10, 8, 0, false, false);
  pr.match = 2;
  pr.probeSent = true;
  assert.equal(pr.maybeDecrTo(7, 3), false, 'not the probe at next - 1 = 9');
  assert.equal(pr.probeSent, true);
  assert.equal(pr.maybeDecrTo(9, 5), true);
  assert.deepEqual([pr.next, pr.probeSent], [6, false], 'next = hint + 1, and probing resumes');
  assert.equal(pr.maybeDecrTo(5, 0), true);
  assert.equal(pr.next, 3, 'never at or below match');
});

test('isPaused per state; leaving Snapshot resumes after the pending snapshot', () => {
  const pr = new Progress(5, 1, 0, false, false);
  assert.equal(pr.isPaused(), false);
  pr.probeSent = true;
  assert.equal(pr.isPaused(), true);
  pr.becomeReplicate();
  assert.equal(pr.isPaused(), false);
  pr.sentEntries(5, 10);
  assert.equal(pr.isPaused(), true, 'window of 1 is full');
  pr.becomeSnapshot(20);
  assert.equal(pr.isPaused(), true);
  assert.equal(pr.state, ProgressState.Snapshot);
  pr.becomeProbe();
  assert.deepEqual([pr.state, pr.next], [ProgressState.Probe, 21]);
  assert.equal(pr.maybeUpdate(21), true);
  assert.equal(pr.maybeUpdate(20), false, 'an older acknowledgement does not move match back');
  assert.equal(pr.match, 21);
});

function leaderWithReplicatingPeers(maxInflightMsgs: number) {
  const r = newRaft(1, storageWith([1, 2, 3]), { maxInflightMsgs });
  electLeader(r);
  ack(r, 2, 1);
  ack(r, 3, 1);
  drain(r);
  return r;
}

test('a full window holds appends back, and a heartbeat response frees a slot (marks)', () => {
  const r = leaderWithReplicatingPeers(2);
  const data = new TextEncoder().encode('x');
  r.propose(data);
  r.propose(data);
  drain(r);
  const held = countMarks('inflight-window-full', () => r.propose(data));
  assert.ok(held >= 1);
  assert.deepEqual(drain(r), [], 'nothing sent while both windows are full');
  const freed = countMarks('inflight-slot-freed-by-heartbeat', () =>
    r.step(message({ type: MessageType.HeartbeatResp, from: 2, to: 1, term: r.term })));
  assert.equal(freed, 1);
  const sent = drain(r);
  assert.deepEqual(sent.map((m) => [m.type, m.to, m.entries?.map((e) => e.index)]), [[MessageType.App, 2, [4]]]);
});

test('a rejection with a term hint skips a whole term of entries (mark)', () => {
  const s = storageWith([1, 2, 3], [1, 1, 1, 1, 1, 1]);
  s.setHardState({ term: 1, vote: 0, commit: 1 });
  const r = newRaft(1, s);
  electLeader(r); // term 2, no-op at 7
  // Follower 2 has [1, 1, 1, 2?]: it rejects the probe after 6 with hint 3, term 1 there.
  const hit = countMarks('fast-backtrack-skipped-entries', () =>
    r.step(message({ type: MessageType.AppResp, from: 2, to: 1, term: 2, index: 6, reject: true, rejectHint: 3, logTerm: 1 })));
  assert.equal(hit, 1);
  const [m] = drain(r);
  assert.deepEqual([m?.to, m?.index, m?.logTerm], [2, 3, 1], 'the next probe is right after the hint');
});

test('check-quorum: a leader that heard from no majority in an election timeout steps down (mark)', () => {
  const r = newRaft(1, storageWith([1, 2, 3]), { checkQuorum: true });
  electLeader(r);
  let hits = 0;
  r.step(message({ type: MessageType.HeartbeatResp, from: 2, to: 1, term: r.term })); // 2 of 3 active
  hits += countMarks('leader-stepped-down-check-quorum', () => { for (let i = 0; i < 10; i++) r.tick(); });
  assert.equal(r.role, Role.Leader, 'node 2 answered during the first round');
  assert.equal(hits, 0);
  hits += countMarks('leader-stepped-down-check-quorum', () => { for (let i = 0; i < 10; i++) r.tick(); });
  assert.equal(hits, 1, 'nobody answered during the second round');
  assert.equal(r.role, Role.Follower);
});
