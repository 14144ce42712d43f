// Helpers for unit tests that drive a Raft directly, without a RawNode or a network: build a
// member over a MemoryStorage, hand it messages, read what it sent, and play the host's part of
// persisting its log (a leader's own copy counts towards commit only after that).

import { Raft, RaftConfig } from '../../broker/raft/raft.js';
import { SeededRandom } from '../../broker/raft/random.js';
import { MemoryStorage } from '../../broker/raft/storage.js';
import { Entry, EntryType, Message, MessageType, message } from '../../broker/raft/types.js';

export function entry(term: number, index: number, data = ''): Entry {
  return { term, index, type: EntryType.Normal, data: new TextEncoder().encode(data) };
}

/** Storage holding `voters` as membership and `terms[i]` as the term of the entry at LSN i+1. */
export function storageWith(voters: number[], terms: number[] = []): MemoryStorage {
  const s = MemoryStorage.bootstrap({ voters, learners: [], witnesses: [] });
  s.append(terms.map((t, i) => entry(t, i + 1)));
  return s;
}

export function newRaft(id: number, storage: MemoryStorage, overrides: Partial<RaftConfig> = {}): Raft {
  return new Raft({ id, electionTick: 10, heartbeatTick: 1, random: new SeededRandom(id), preVote: false, ...overrides }, storage);
}

/** Takes the messages the node queued. */
export function drain(r: Raft): Message[] {
  const out = r.msgs;
  r.msgs = [];
  return out;
}

/** The host persisted everything unstable: write it to storage and tell the core. */
export function persist(r: Raft): void {
  const ents = r.raftLog.unstableEntries();
  if (ents.length === 0) return;
  const last = ents[ents.length - 1]!;
  (r.raftLog.storage as MemoryStorage).append(ents);
  r.raftLog.stableTo(last.index, last.term);
  r.onPersisted(last.index);
}

/** Makes `r` leader of its configuration by campaigning and granting every vote. */
export function electLeader(r: Raft): void {
  r.campaign();
  for (const id of r.tracker.quorumMembers()) {
    if (id !== r.id) r.step(message({ type: MessageType.VoteResp, from: id, to: r.id, term: r.term }));
  }
  persist(r);
  drain(r);
}

export function ack(r: Raft, from: number, index: number): void {
  r.step(message({ type: MessageType.AppResp, from, to: r.id, term: r.term, index }));
}
