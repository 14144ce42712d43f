// The Raft paper's rules, one test each, in the manner of etcd's raft_paper_test.go. Each test
// quotes the sentence of "In Search of an Understandable Consensus Algorithm (Extended Version)"
// (Ongaro & Ousterhout, 2014) that it checks. Pre-vote is off unless a test says otherwise,
// since the paper's elections have none.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countMarks } from '../../broker/raft/marks.js';
import { Raft } from '../../broker/raft/raft.js';
import { SeededRandom } from '../../broker/raft/random.js';
import { Entry, MessageType, Role, message } from '../../broker/raft/types.js';
import { ack, drain, electLeader, entry, newRaft, persist, storageWith } from './harness.js';

const app = (from: number, to: number, term: number, logTerm: number, index: number, commit: number, entries: Entry[] = []) =>
  message({ type: MessageType.App, from, to, term, logTerm, index, commit, entries });

function terms(r: Raft): number[] {
  return (r.raftLog.slice(r.raftLog.firstIndex(), r.raftLog.lastIndex() + 1, Infinity) ?? []).map((e) => e.term);
}

// §5.1
test('§5.1 "if one server\'s current term is smaller than the other\'s, then it updates its current term to the larger value. If a candidate or leader discovers that its term is out of date, it immediately reverts to follower state."', () => {
  for (const start of [Role.Follower, Role.Candidate, Role.Leader]) {
    const r = newRaft(1, storageWith([1, 2, 3]));
    if (start === Role.Candidate) r.campaign();
    if (start === Role.Leader) electLeader(r);
    assert.equal(r.role, start);
    r.step(app(2, 1, 5, 0, 0, 0));
    assert.equal(r.term, 5, `${start} takes the larger term`);
    assert.equal(r.role, Role.Follower, `${start} reverts to follower`);
    assert.equal(r.lead, 2, `${start} follows the sender of the append`);
  }
});

test('§5.1 "If a server receives a request with a stale term number, it rejects the request."', () => {
  const r = newRaft(1, storageWith([1, 2, 3], [1, 2]));
  r.becomeFollower(3, 3);
  r.step(app(2, 1, 2, 2, 2, 0, [entry(2, 3)]));
  assert.deepEqual(terms(r), [1, 2], 'the stale append changed nothing');
  const [resp] = drain(r);
  assert.equal(resp?.type, MessageType.AppResp);
  assert.equal(resp?.term, 3, 'the answer tells the stale leader the current term');
  r.step(message({ type: MessageType.Vote, from: 2, to: 1, term: 2, index: 9, logTerm: 2 }));
  assert.equal(r.vote, 0, 'no vote for a stale candidate');
  assert.deepEqual(drain(r).filter((m) => m.type === MessageType.VoteResp && !m.reject), []);
});

test('§5.2 "When servers start up, they begin as followers."', () => {
  const r = newRaft(1, storageWith([1, 2, 3]));
  assert.equal(r.role, Role.Follower);
  assert.equal(r.lead, 0);
});

test('§5.2 "Leaders send periodic heartbeats (AppendEntries RPCs that carry no log entries) to all followers in order to maintain their authority."', () => {
  const r = newRaft(1, storageWith([1, 2, 3]), { heartbeatTick: 2 });
  electLeader(r);
  r.tick();
  assert.deepEqual(drain(r), [], 'nothing before the heartbeat interval');
  r.tick();
  const beats = drain(r);
  assert.deepEqual(beats.map((m) => [m.type, m.to]), [[MessageType.Heartbeat, 2], [MessageType.Heartbeat, 3]]);
  assert.ok(beats.every((m) => m.entries === undefined && m.term === r.term));
});

test('§5.2 "Raft uses randomized election timeouts to ensure that split votes are rare ... chosen randomly from a fixed interval"', () => {
  const ticksToCampaign = (seed: number): number => {
    const r = new Raft({ id: 1, electionTick: 10, heartbeatTick: 1, random: new SeededRandom(seed), preVote: false }, storageWith([1, 2, 3]));
    for (let t = 1; t <= 100; t++) {
      r.tick();
      if (r.role === Role.Candidate) return t;
    }
    return -1;
  };
  const timeouts = Array.from({ length: 40 }, (_, seed) => ticksToCampaign(seed));
  assert.ok(timeouts.every((t) => t >= 10 && t < 20), `every timeout in [electionTick, 2*electionTick): ${timeouts}`);
  assert.ok(new Set(timeouts).size >= 5, `the seeded source spreads them: ${timeouts}`);
  assert.deepEqual(Array.from({ length: 40 }, (_, seed) => ticksToCampaign(seed)), timeouts, 'the same seed replays the same timeouts');
});

test('§5.2 "To begin an election, a follower increments its current term and transitions to candidate state. It then votes for itself and issues RequestVote RPCs in parallel to each of the other servers"', () => {
  const r = newRaft(1, storageWith([1, 2, 3], [1, 1]));
  r.becomeFollower(1, 0);
  for (let i = 0; i < 20 && r.role === Role.Follower; i++) r.tick();
  assert.equal(r.role, Role.Candidate);
  assert.equal(r.term, 2);
  assert.equal(r.vote, 1);
  assert.deepEqual(drain(r).map((m) => [m.type, m.to, m.term, m.logTerm, m.index]), [
    [MessageType.Vote, 2, 2, 1, 2],
    [MessageType.Vote, 3, 2, 1, 2],
  ]);
});

test('§5.2 "A candidate wins an election if it receives votes from a majority of the servers in the full cluster for the same term."', () => {
  const cases: Array<{ size: number; granted: number[]; rejected: number[]; role: Role }> = [
    { size: 1, granted: [], rejected: [], role: Role.Leader },
    { size: 3, granted: [2, 3], rejected: [], role: Role.Leader },
    { size: 3, granted: [2], rejected: [], role: Role.Leader },
    { size: 5, granted: [2, 3, 4, 5], rejected: [], role: Role.Leader },
    { size: 5, granted: [2, 3], rejected: [], role: Role.Leader },
    { size: 5, granted: [2], rejected: [], role: Role.Candidate },
    { size: 5, granted: [2], rejected: [3, 4], role: Role.Candidate }, // 3 of 5 still possible
    { size: 5, granted: [2], rejected: [3, 4, 5], role: Role.Follower },
    { size: 3, granted: [], rejected: [2, 3], role: Role.Follower },
  ];
  for (const c of cases) {
    const voters = Array.from({ length: c.size }, (_, i) => i + 1);
    const r = newRaft(1, storageWith(voters));
    r.campaign();
    for (const id of c.granted) r.step(message({ type: MessageType.VoteResp, from: id, to: 1, term: r.term }));
    for (const id of c.rejected) r.step(message({ type: MessageType.VoteResp, from: id, to: 1, term: r.term, reject: true }));
    assert.equal(r.role, c.role, JSON.stringify(c));
    assert.equal(r.term, 1, 'the election stays in the term it started');
  }
});

test('§5.2 "Each server will vote for at most one candidate in a given term, on a first-come-first-served basis."', () => {
  const cases = [
    { vote: 0, from: 2, granted: true },
    { vote: 0, from: 3, granted: true },
    { vote: 2, from: 2, granted: true }, // the same candidate asking again
    { vote: 2, from: 3, granted: false },
    { vote: 3, from: 2, granted: false },
  ];
  for (const c of cases) {
    const s = storageWith([1, 2, 3]);
    s.setHardState({ term: 1, vote: c.vote, commit: 0 });
    const r = newRaft(1, s);
    r.step(message({ type: MessageType.Vote, from: c.from, to: 1, term: 1, index: 0, logTerm: 0 }));
    const [resp] = drain(r);
    assert.equal(resp?.type, MessageType.VoteResp);
    assert.equal(!resp!.reject, c.granted, JSON.stringify(c));
    assert.equal(r.vote, c.granted ? c.from : c.vote);
  }
});

test('§5.2 "If the leader\'s term is at least as large as the candidate\'s current term, then the candidate recognizes the leader as legitimate and returns to follower state."', () => {
  for (const term of [1, 2]) {
    const r = newRaft(1, storageWith([1, 2, 3]));
    r.campaign(); // term 1
    r.step(app(2, 1, term, 0, 0, 0));
    assert.equal(r.role, Role.Follower);
    assert.equal(r.lead, 2);
    assert.equal(r.term, term);
  }
});

// §5.3
test('§5.3 "The leader appends the command to its log as a new entry, then issues AppendEntries RPCs in parallel to each of the other servers to replicate the entry."', () => {
  const r = newRaft(1, storageWith([1, 2, 3]));
  electLeader(r);
  for (const id of [2, 3]) ack(r, id, 1); // followers hold the no-op: they are in Replicate
  drain(r);
  const index = r.propose(new TextEncoder().encode('x'));
  assert.equal(index, 2);
  assert.deepEqual(terms(r), [1, 1]);
  const msgs = drain(r);
  assert.deepEqual(msgs.map((m) => [m.type, m.to, m.logTerm, m.index, m.entries?.map((e) => e.index)]), [
    [MessageType.App, 2, 1, 1, [2]],
    [MessageType.App, 3, 1, 1, [2]],
  ]);
  assert.equal(r.raftLog.committed, 1, 'not committed before a majority has it');
});

test('§5.3 "A log entry is committed once the leader that created the entry has replicated it on a majority of the servers"', () => {
  // [cluster size, followers that acknowledged index 2] -> committed?
  const cases: Array<[number, number[], boolean]> = [
    [1, [], true], [3, [], false], [3, [2], true], [3, [2, 3], true],
    [5, [2], false], [5, [2, 3], true], [5, [2, 3, 4, 5], true],
  ];
  for (const [size, acks, committed] of cases) {
    const r = newRaft(1, storageWith(Array.from({ length: size }, (_, i) => i + 1)));
    electLeader(r);
    r.propose(new TextEncoder().encode('x'));
    persist(r); // the leader's own copy counts only once persisted
    for (const id of acks) ack(r, id, 2);
    assert.equal(r.raftLog.committed === 2, committed, `size ${size}, acks ${acks}`);
  }
  // The leader's unpersisted copy does not count: one ack in three is not a majority yet.
  const r = newRaft(1, storageWith([1, 2, 3]));
  electLeader(r);
  r.propose(new TextEncoder().encode('x'));
  ack(r, 2, 2);
  assert.equal(r.raftLog.committed, 1);
  persist(r);
  assert.equal(r.raftLog.committed, 2);
});

test('§5.3 "The leader ... includes that index in future AppendEntries RPCs (including heartbeats) so that the other servers eventually find out."', () => {
  const r = newRaft(1, storageWith([1, 2, 3]));
  electLeader(r);
  ack(r, 2, 1);
  assert.equal(r.raftLog.committed, 1);
  const msgs = drain(r);
  assert.ok(msgs.some((m) => m.type === MessageType.App && m.to === 2 && m.commit === 1), 'the commit goes out with the next append');
  r.tick();
  const beat = drain(r).find((m) => m.type === MessageType.Heartbeat && m.to === 2); // (3 is told min(match, commit))
  assert.equal(beat?.commit, 1);
});

test('§5.3 "Once a follower learns that a log entry is committed, it applies the entry to its local state machine (in log order)."', () => {
  const r = newRaft(1, storageWith([1, 2, 3]));
  r.step(app(2, 1, 1, 0, 0, 1, [entry(1, 1, 'a'), entry(1, 2, 'b')]));
  assert.equal(r.raftLog.committed, 1, 'only what the leader says is committed');
  assert.deepEqual(r.raftLog.nextCommittedEntries(Infinity).map((e) => e.index), [1]);
  r.step(app(2, 1, 1, 1, 2, 2));
  assert.deepEqual(r.raftLog.nextCommittedEntries(Infinity).map((e) => e.index), [1, 2]);
});

test('§5.3 "If the follower does not find an entry in its log with the same index and term, then it refuses the new entries."', () => {
  // Follower log terms [1, 2]. [prev term, prev index] -> rejected?, hint
  const cases: Array<[number, number, boolean, number]> = [
    [0, 0, false, 0], [1, 1, false, 0], [2, 2, false, 0],
    [1, 2, true, 1], // term mismatch at 2: hint is the last index with term <= 1
    [3, 3, true, 2], // beyond our log: hint is our last index
  ];
  for (const [logTerm, index, reject, hint] of cases) {
    const r = newRaft(1, storageWith([1, 2, 3], [1, 2]));
    r.becomeFollower(2, 2);
    const hits = countMarks('append-rejected', () => r.step(app(2, 1, 2, logTerm, index, 0)));
    const [resp] = drain(r);
    assert.equal(resp?.reject, reject, `prev ${logTerm}/${index}`);
    assert.equal(hits, reject ? 1 : 0);
    if (reject) assert.equal(resp?.rejectHint, hint, `prev ${logTerm}/${index}`);
  }
});

test('§5.3 "If an existing entry conflicts with a new one (same index but different terms), delete the existing entry and all that follow it; append any new entries not already in the log."', () => {
  // Follower log terms [1, 2]; the leader (term 3) sends entries after prev index/term.
  const cases: Array<[number, number, Entry[], number[]]> = [
    [2, 2, [entry(3, 3)], [1, 2, 3]],
    [1, 1, [entry(3, 2), entry(4, 3)], [1, 3, 4]],
    [0, 0, [entry(1, 1)], [1, 2]], // already present: nothing is deleted
    [0, 0, [entry(3, 1)], [3]],
  ];
  for (const [logTerm, index, ents, want] of cases) {
    const r = newRaft(1, storageWith([1, 2, 3], [1, 2]));
    r.becomeFollower(3, 2);
    r.step(app(2, 1, 3, logTerm, index, 0, ents));
    assert.deepEqual(terms(r), want, `prev ${logTerm}/${index}`);
  }
});

// §5.4.1
test('§5.4.1 "Raft determines which of two logs is more up-to-date by comparing the index and term of the last entries in the logs. If the logs have last entries with different terms, then the log with the later term is more up-to-date. If the logs end with the same term, then whichever log is longer is more up-to-date."', () => {
  // Voter log terms [1, 2]; candidate's last [term, index] -> granted?
  const cases: Array<[number, number, boolean]> = [
    [2, 2, true], [2, 3, true], [3, 1, true], // same term and longer or equal; later term
    [2, 1, false], [1, 5, false], // same term but shorter; earlier term however long
  ];
  for (const [logTerm, index, granted] of cases) {
    const r = newRaft(1, storageWith([1, 2, 3], [1, 2]));
    r.step(message({ type: MessageType.Vote, from: 2, to: 1, term: 3, logTerm, index }));
    const [resp] = drain(r);
    assert.equal(!resp!.reject, granted, `candidate last ${logTerm}/${index}`);
  }
});

test('§5.4.1 "The RequestVote RPC implements this restriction: the RPC includes information about the candidate\'s log"', () => {
  const r = newRaft(1, storageWith([1, 2, 3], [1, 1, 2]));
  r.campaign();
  for (const m of drain(r)) assert.deepEqual([m.logTerm, m.index], [2, 3]);
});

// §5.4.2
test('§5.4.2 "Raft never commits log entries from previous terms by counting replicas. Only log entries from the current term are committed by counting replicas"', () => {
  const s = storageWith([1, 2, 3], [1, 2]);
  s.setHardState({ term: 2, vote: 0, commit: 1 });
  const r = newRaft(1, s);
  electLeader(r); // term 3, no-op at 3/3
  assert.equal(r.term, 3);
  ack(r, 2, 2);
  ack(r, 3, 2);
  assert.equal(r.raftLog.committed, 1, 'index 2 (term 2) is on every replica, yet not committed');
  ack(r, 2, 3);
  assert.equal(r.raftLog.committed, 3, '"all prior entries are committed indirectly" through 3/3');
});
