// The vocabulary of the Raft core: entries, messages, hard state, snapshots and membership.
// Indexes are LSNs: one per entry, dense, starting at 1. Node ids are small positive integers;
// 0 means "nobody" (no leader, no vote).

export const NONE = 0;

export enum EntryType {
  Normal = 0,
  ConfChange = 1,
}

export interface Entry {
  readonly term: number;
  readonly index: number; // the entry's LSN
  readonly type: EntryType;
  readonly data: Uint8Array; // opaque to Raft; an empty Normal entry is a leader's no-op
}

export interface HardState {
  term: number;
  vote: number;
  commit: number;
}

/** Membership of a group. A node is in at most one of the three lists. */
export interface ConfState {
  voters: number[]; // vote, replicate, apply, may lead
  learners: number[]; // replicate and apply, never vote
  witnesses: number[]; // vote and persist the log, never apply, lead only if the group allows it
  /**
   * Ids removed from the group. They never rejoin under the same id: a delayed reply from the old
   * incarnation would otherwise vouch for entries the new one does not hold (etcd's rule too).
   */
  removed?: number[];
}

export interface SnapshotMetadata {
  index: number; // the last LSN the snapshot covers
  term: number;
  confState: ConfState;
}

export interface Snapshot {
  metadata: SnapshotMetadata;
  data: Uint8Array; // the state machine's own bytes; empty when sent to a witness
}

export enum MessageType {
  // Local messages: never cross the network.
  Hup = 'Hup',
  Beat = 'Beat',
  CheckQuorum = 'CheckQuorum',
  TransferLeader = 'TransferLeader',
  Unreachable = 'Unreachable',
  SnapStatus = 'SnapStatus',
  // Network messages.
  App = 'App',
  AppResp = 'AppResp',
  Vote = 'Vote',
  VoteResp = 'VoteResp',
  PreVote = 'PreVote',
  PreVoteResp = 'PreVoteResp',
  Snap = 'Snap',
  Heartbeat = 'Heartbeat',
  HeartbeatResp = 'HeartbeatResp',
  TimeoutNow = 'TimeoutNow',
}

export interface Message {
  type: MessageType;
  from: number;
  to: number;
  term: number;
  /** App: term of the entry before `entries`; votes: last log term; AppResp reject: term at rejectHint. */
  logTerm: number;
  /** App: index of the entry before `entries`; AppResp: the index acknowledged or rejected; votes: last log index. */
  index: number;
  commit: number;
  reject: boolean;
  rejectHint: number;
  entries?: Entry[];
  snapshot?: Snapshot;
  /** Vote/PreVote sent because of a leader transfer: bypasses the voter's leader lease. */
  transfer?: boolean;
}

export enum Role {
  Follower = 'Follower',
  PreCandidate = 'PreCandidate',
  Candidate = 'Candidate',
  Leader = 'Leader',
}

export enum ConfChangeType {
  AddVoter = 'AddVoter',
  AddLearner = 'AddLearner',
  AddWitness = 'AddWitness',
  RemoveNode = 'RemoveNode',
}

export interface ConfChange {
  type: ConfChangeType;
  nodeId: number;
}

export function message(fields: Partial<Message> & Pick<Message, 'type'>): Message {
  return { from: NONE, to: NONE, term: 0, logTerm: 0, index: 0, commit: 0, reject: false, rejectHint: 0, ...fields };
}

export function emptyConfState(): ConfState {
  return { voters: [], learners: [], witnesses: [] };
}

export function cloneConfState(cs: ConfState): ConfState {
  return { voters: [...cs.voters], learners: [...cs.learners], witnesses: [...cs.witnesses], removed: [...(cs.removed ?? [])] };
}

export function entryBytes(e: Entry): number {
  return e.data.byteLength + 24; // payload plus a nominal header, so empty entries still count
}
