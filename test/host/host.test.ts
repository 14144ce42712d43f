// The multi-Raft host's own rules, each pinned by a small deterministic scenario.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupStateMachine, HostWal, MultiRaftHost } from '../../broker/host/multi_raft_host.js';
import { PeerBatch } from '../../broker/host/peer_batch.js';
import { WalRecord, recoverNode } from '../../broker/host/wal_records.js';
import { RawNode } from '../../broker/raft/raw_node.js';
import { SeededRandom } from '../../broker/raft/random.js';
import { Entry, EntryType, MessageType, Role } from '../../broker/raft/types.js';

class RecordingWal implements HostWal {
  records: WalRecord[] = [];
  syncs = 0;
  pending: Array<(e?: Error) => void> = [];
  append(records: WalRecord[]): void { this.records.push(...records); }
  sync(done: (e?: Error) => void): void { this.syncs++; this.pending.push(done); }
  completeAll(): void { const p = this.pending; this.pending = []; for (const d of p) d(); }
}

class ListMachine implements GroupStateMachine {
  applied: number[] = [];
  apply(e: Entry): void { this.applied.push(e.index); }
  snapshot(): Uint8Array { return new Uint8Array(); }
  restore(): void { this.applied = []; }
}

function singleNodeHost(wal: RecordingWal, sent: PeerBatch[] = []): MultiRaftHost {
  return new MultiRaftHost({
    nodeId: 1, electionTick: 10, heartbeatTick: 2, random: new SeededRandom(1), wal,
    transport: { send: (b) => sent.push(b) }, newStateMachine: () => new ListMachine(),
  });
}

function drive(host: MultiRaftHost, wal: RecordingWal, rounds = 20): void {
  for (let i = 0; i < rounds; i++) {
    host.process();
    wal.completeAll();
  }
}

/** A host whose group is led by node 1 alone, its election written and synced. */
function leaderOfOwnGroup(group: number): { host: MultiRaftHost; wal: RecordingWal } {
  const wal = new RecordingWal();
  const host = singleNodeHost(wal);
  host.createGroup(group, { voters: [1], learners: [], witnesses: [] });
  host.campaign(group);
  drive(host, wal);
  assert.equal(host.group(group).status().role, Role.Leader);
  return { host, wal };
}

test('one WAL sync per round serves every group with pending writes', () => {
  const wal = new RecordingWal();
  const host = singleNodeHost(wal);
  for (const g of [2, 3, 4]) host.createGroup(g, { voters: [1], learners: [], witnesses: [] });
  for (const g of [2, 3, 4]) host.campaign(g);
  host.process();
  assert.equal(wal.syncs, 1, 'three groups became leader and wrote in one round, with one sync');
  const groupsInRound = new Set(wal.records.filter((r) => r.kind !== 'createGroup').map((r) => r.group));
  assert.deepEqual([...groupsInRound].sort(), [2, 3, 4]);
  wal.completeAll();
  drive(host, wal);
  for (const g of [2, 3, 4]) assert.equal(host.group(g).status().role, Role.Leader);
  const before = wal.syncs;
  for (const g of [2, 3, 4]) host.propose(g, new Uint8Array([g]));
  host.process();
  assert.equal(wal.syncs, before + 1, 'three proposals in three groups: one sync');
});

test('in a round, each group writes its snapshot and entries before its hard state', () => {
  const { host, wal } = leaderOfOwnGroup(2);
  host.propose(2, new Uint8Array([7]));
  drive(host, wal);
  const firstEntries = wal.records.findIndex((r) => r.kind === 'entries');
  const firstHard = wal.records.findIndex((r) => r.kind === 'hardState');
  assert.ok(firstEntries >= 0 && firstHard > firstEntries, `entries (at ${firstEntries}) precede hard state (at ${firstHard})`);
});

test('the leader counts its own copy only once the sync completes', () => {
  const { host, wal } = leaderOfOwnGroup(2);
  const commitBefore = host.group(2).status().commit;
  const lsn = host.propose(2, new Uint8Array([1]));
  host.process(); // the write is appended, the sync not yet complete
  assert.equal(host.group(2).status().commit, commitBefore, 'nothing commits on an unsynced write');
  wal.completeAll();
  drive(host, wal);
  assert.ok(host.group(2).status().commit >= lsn);
});

test('recovery: a snapshot that survived a crash without the hard state after it still counts as committed', () => {
  const cs = { voters: [1, 2, 3], learners: [], witnesses: [] };
  const entries: Entry[] = [];
  for (let i = 2; i <= 10; i++) entries.push({ term: 2, index: i, type: EntryType.Normal, data: new Uint8Array([i]) });
  const records: WalRecord[] = [
    { kind: 'createGroup', group: 2, confState: cs, term: 0 },
    { kind: 'entries', group: 2, entries },
    { kind: 'hardState', group: 2, hardState: { term: 2, vote: 1, commit: 4 } },
    // A received snapshot at 20 whose round's hard state (commit 20) was lost in the crash.
    { kind: 'snapshot', group: 2, snapshot: { metadata: { index: 20, term: 3, confState: cs }, data: new Uint8Array() } },
  ];
  const recovered = recoverNode(records).groups.get(2)!.storage;
  assert.equal(recovered.hardState.commit, 20);
  assert.equal(recovered.firstIndex(), 21);
  // The core must start from it without tripping its commit invariant.
  const node = new RawNode({ id: 1, electionTick: 10, heartbeatTick: 2, random: new SeededRandom(3) }, recovered);
  assert.equal(node.status().commit, 20);
  assert.equal(node.status().applied, 20);
});

test('recovery: a group removed and created again starts from the removed group\'s term', () => {
  const cs = { voters: [1, 2, 3], learners: [], witnesses: [] };
  const recovered = recoverNode([
    { kind: 'createGroup', group: 5, confState: cs, term: 0 },
    { kind: 'hardState', group: 5, hardState: { term: 7, vote: 2, commit: 1 } },
    { kind: 'removeGroup', group: 5, term: 7 },
  ]);
  assert.equal(recovered.groups.has(5), false);
  assert.equal(recovered.tombstones.get(5), 7);
  const wal = new RecordingWal();
  const host = new MultiRaftHost({
    nodeId: 1, electionTick: 10, heartbeatTick: 2, random: new SeededRandom(1), wal,
    transport: { send: () => {} }, newStateMachine: () => new ListMachine(),
  }, recovered);
  host.createGroup(5, undefined);
  assert.equal(host.group(5).status().term, 7, 'no vote can be cast twice in a term it already voted in');
});

test('heartbeats of many groups to one peer travel coalesced in one batch', () => {
  const wal = new RecordingWal();
  const sent: PeerBatch[] = [];
  const host = singleNodeHost(wal, sent);
  const cs = { voters: [1, 2, 3], learners: [], witnesses: [] };
  for (const g of [2, 3, 4, 5]) host.createGroup(g, cs);
  // Make node 1 leader of every group: peer 2 grants its pre-votes, then its votes.
  for (const g of [2, 3, 4, 5]) host.campaign(g);
  drive(host, wal, 3);
  for (let phase = 0; phase < 2; phase++) {
    for (const b of sent.splice(0)) {
      if (b.to !== 2) continue;
      const reply: PeerBatch = { from: 2, to: 1, messages: [], heartbeats: [], heartbeatResponses: [], quiesce: [] };
      for (const { group, message } of b.messages) {
        if (message.type !== MessageType.PreVote && message.type !== MessageType.Vote) continue;
        const type = message.type === MessageType.PreVote ? MessageType.PreVoteResp : MessageType.VoteResp;
        reply.messages.push({ group, message: { ...message, type, from: 2, to: 1, reject: false } });
      }
      host.receive(reply);
      drive(host, wal, 3);
    }
  }
  for (const g of [2, 3, 4, 5]) assert.equal(host.group(g).status().role, Role.Leader, `leader of group ${g}`);
  sent.length = 0;
  host.tick();
  host.tick(); // heartbeat interval
  drive(host, wal, 2);
  const toPeer2 = sent.filter((b) => b.to === 2 && b.heartbeats.length > 0);
  assert.equal(toPeer2.length, 1, 'one batch carries the heartbeats of every group');
  assert.deepEqual(toPeer2[0]!.heartbeats.map((h) => h.group).sort(), [2, 3, 4, 5]);
  assert.equal(toPeer2[0]!.messages.filter((m) => m.message.type === 'Heartbeat').length, 0, 'no full heartbeat messages');
});

test('a checkpoint restates every group, so recovery from the restatement alone gives the same stable state', () => {
  const wal = new RecordingWal();
  const host = singleNodeHost(wal);
  for (const g of [2, 3]) host.createGroup(g, { voters: [1], learners: [], witnesses: [] });
  for (const g of [2, 3]) host.campaign(g);
  drive(host, wal);
  for (let i = 0; i < 5; i++) host.propose(2, new Uint8Array([i + 1]));
  drive(host, wal);
  // A group left behind: its tombstone must survive the checkpoint.
  host.createGroup(9, { voters: [1], learners: [], witnesses: [] });
  drive(host, wal);
  (host as unknown as { removeGroup(g: unknown): void }).removeGroup((host as unknown as { groups: Map<number, unknown> }).groups.get(9));
  drive(host, wal);

  const full = recoverNode(wal.records);
  let lsns: Map<number, number> | undefined;
  host.checkpoint((l) => (lsns = l));
  const startOfCheckpoint = wal.records.length;
  host.process();
  assert.equal(lsns, undefined, 'done only once the restatement is durable');
  wal.completeAll();
  assert.deepEqual([...lsns!.keys()], [2, 3]);
  const fromCheckpoint = recoverNode(wal.records.slice(startOfCheckpoint));
  for (const g of [2, 3]) {
    const a = full.groups.get(g)!.storage;
    const b = fromCheckpoint.groups.get(g)!.storage;
    assert.deepEqual(b.hardState, a.hardState, `group ${g} hard state`);
    assert.equal(b.lastIndex(), a.lastIndex(), `group ${g} last LSN`);
    assert.deepEqual(b.entries(b.firstIndex(), b.lastIndex() + 1, Infinity), a.entries(b.firstIndex(), a.lastIndex() + 1, Infinity));
  }
  assert.equal(fromCheckpoint.groups.has(9), false);
  assert.equal(fromCheckpoint.tombstones.get(9), full.tombstones.get(9), 'the tombstone is restated');
});

test('replaying a restated tail cut short by a crash keeps the entries already held', () => {
  const e = (index: number, term: number): Entry => ({ term, index, type: EntryType.Normal, data: new Uint8Array([index]) });
  const records: WalRecord[] = [
    { kind: 'createGroup', group: 2, confState: { voters: [1], learners: [], witnesses: [] }, term: 0 },
    { kind: 'entries', group: 2, entries: [e(2, 1), e(3, 1), e(4, 1), e(5, 1)] },
    { kind: 'hardState', group: 2, hardState: { term: 1, vote: 1, commit: 5 } },
    // A checkpoint's restatement, torn after its first entry.
    { kind: 'snapshot', group: 2, snapshot: { metadata: { index: 1, term: 1, confState: { voters: [1], learners: [], witnesses: [] } }, data: new Uint8Array() } },
    { kind: 'entries', group: 2, entries: [e(2, 1)] },
  ];
  const g = recoverNode(records).groups.get(2)!.storage;
  assert.equal(g.lastIndex(), 5);
  // A conflicting entry still truncates, as Raft does.
  const uncommitted: WalRecord = { kind: 'hardState', group: 2, hardState: { term: 2, vote: 1, commit: 3 } };
  const overwritten = recoverNode([records[0]!, records[1]!, uncommitted, { kind: 'entries', group: 2, entries: [e(4, 2)] }]).groups.get(2)!.storage;
  assert.equal(overwritten.lastIndex(), 4);
  assert.equal(overwritten.term(4), 2);
});

test('a round that only moves commit completes without a sync; entries and a new term still wait for one', () => {
  const { host, wal } = leaderOfOwnGroup(2);
  const syncsBefore = wal.syncs;
  const machine = host.stateMachine(2) as ListMachine;
  for (let i = 0; i < 5; i++) {
    host.propose(2, new Uint8Array([i + 1]));
    assert.equal(host.process(), true, 'the entry round');
    assert.equal(wal.pending.length, 1, 'the entry waits for its sync');
    wal.completeAll();
    // The lone voter's entry is durable, so it commits: that round writes only a hard state.
    const recordsBefore = wal.records.length;
    assert.equal(host.process(), true, 'the commit round');
    assert.equal(wal.pending.length, 0, 'no sync asked for a commit-only round');
    assert.deepEqual(wal.records.slice(recordsBefore).map((r) => r.kind), ['hardState'], 'it is still written, to ride the next sync');
    assert.equal(machine.applied.at(-1), host.group(2).raft.raftLog.lastIndex(), 'and the entry is applied at once');
  }
  assert.equal(wal.syncs - syncsBefore, 5, 'one sync per write, not two');
  assert.equal(host.stats.roundsWithoutSync >= 5, true);
  // A new term (an election) is never left unsynced.
  host.createGroup(3, { voters: [1], learners: [], witnesses: [] });
  host.campaign(3);
  host.process();
  assert.equal(wal.pending.length, 1, 'a round that raises the term waits for its sync');
});
