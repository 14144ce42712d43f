// Runs every Raft group of one node. Still free of real I/O: the node's write-ahead log and the
// network are interfaces, so the simulator drives this same code under a fake clock.
//
// One round (process → onSynced):
//   1. take a Ready from every group that has one;
//   2. append every group's hard state, snapshot and entries to the one WAL and ask for one sync;
//   3. while it runs, send the leaders' appends and heartbeats, one batch per peer (the leader writes
//      its log in parallel with replicating it; its own copy counts only once durable);
//   4. when the sync completes: update each group's stable view, send the rest (votes, acks) in one
//      batch per peer, apply committed entries, advance.
// No new round starts while a sync is in flight; messages that arrive meanwhile are stepped and wait.

import { isMember } from '../raft/conf_change.js';
import { RaftError } from '../raft/errors.js';
import { mark } from '../raft/marks.js';
import { RandomSource } from '../raft/random.js';
import { RawNode, Ready, maySendBeforePersist } from '../raft/raw_node.js';
import { MemoryStorage } from '../raft/storage.js';
import { ConfChange, ConfChangeType, ConfState, Entry, EntryType, MessageType, NONE, Role, Snapshot, message } from '../raft/types.js';
import { PeerBatch, addToBatch, emptyBatch, expandBatch, isEmptyBatch } from './peer_batch.js';
import { RecoveredNode, WalRecord, applyRecord, newGroupStorage } from './wal_records.js';

/** The node's write-ahead log, as the host sees it. */
export interface HostWal {
  append(records: WalRecord[]): void;
  /** Makes everything appended so far durable, then calls done (with an error if it failed). */
  sync(done: (error?: Error) => void): void;
  /**
   * The records appended next restate the node's whole stable state: once they are durable, the
   * log may drop everything written before them (WriteAheadLog starts a new segment here).
   */
  beginCheckpoint?(): void;
}

/** Per group, the snapshot LSN a checkpoint restated. */
export type CheckpointLsns = Map<number, number>;

export interface HostTransport {
  send(batch: PeerBatch): void;
}

/** A group's replicated state machine. apply() is synchronous and deterministic. */
export interface GroupStateMachine {
  apply(entry: Entry): void;
  /** The state as of the last applied LSN, as bytes. */
  snapshot(): Uint8Array;
  restore(snapshot: Snapshot): void;
}

export interface HostEvents {
  roleChanged?(group: number, role: Role, term: number, lead: number): void;
  /** `asWitness`: the node was a witness when it reached this entry, so no data was applied. */
  applied?(group: number, entry: Entry, asWitness: boolean): void;
  groupRemoved?(group: number): void;
  /** This node became a candidate at `term` (pre-votes, which change no term, are not elections). */
  electionStarted?(group: number, term: number): void;
}

export interface HostOptions {
  nodeId: number;
  electionTick: number;
  heartbeatTick: number;
  random: RandomSource;
  wal: HostWal;
  transport: HostTransport;
  newStateMachine(group: number): GroupStateMachine;
  events?: HostEvents;
  enableWitnessToLeader?: boolean;
  /** Take a snapshot and compact the log after this many applied entries. */
  snapshotIntervalEntries?: number;
  /** Entries kept behind a snapshot so slightly slow followers need no snapshot. */
  compactionMarginEntries?: number;
  /** ... and at most this many bytes of them (default: no byte bound). */
  compactionMarginBytes?: number;
  maxSizePerMsgBytes?: number;
  maxInflightMsgs?: number;
  maxInflightBytes?: number;
}

export class UnknownGroupError extends RaftError {
  constructor(readonly group: number) {
    super('UnknownGroup', `raft group ${group} is not hosted on this node`);
    this.name = 'UnknownGroupError';
  }
}

interface HostedGroup {
  readonly id: number;
  readonly node: RawNode;
  readonly storage: MemoryStorage;
  readonly stateMachine: GroupStateMachine;
  quiesced: boolean;
  appliedSinceSnapshot: number;
  removed: boolean;
}

interface RoundInFlight {
  readies: Array<{ group: HostedGroup; ready: Ready }>;
  early: Map<number, PeerBatch> | undefined; // undefined once sent
  checkpoint: { lsns: CheckpointLsns; waiters: Array<(lsns: CheckpointLsns) => void> } | undefined;
  late: Map<number, PeerBatch>;
  localSnapshots: Array<{ group: HostedGroup; snapshot: Snapshot; compactTo: number }>;
}

export class MultiRaftHost {
  readonly nodeId: number;
  private readonly groups = new Map<number, HostedGroup>();
  private readonly tombstones: Map<number, number>;
  private round: RoundInFlight | undefined;
  private pendingWal: WalRecord[] = []; // group creations and removals awaiting the next sync
  private pendingLocalSnapshots: RoundInFlight['localSnapshots'] = [];
  private checkpointWaiters: Array<(lsns: CheckpointLsns) => void> = [];
  private ticks = 0;
  private readonly lastHeardTick = new Map<number, number>(); // peer -> tick of its last batch
  private readonly deadPeers = new Set<number>();
  failed: Error | undefined; // set when a sync failed: the node must restart and recover from its WAL
  readonly stats = { rounds: 0, syncs: 0, roundsWithoutSync: 0, batchesSent: 0, heartbeatsCoalesced: 0 };

  constructor(private readonly opts: HostOptions, recovered?: RecoveredNode) {
    this.nodeId = opts.nodeId;
    this.tombstones = new Map(recovered?.tombstones ?? []);
    for (const [id, g] of recovered?.groups ?? []) this.hostGroup(id, g.storage);
  }

  private hostGroup(id: number, storage: MemoryStorage): HostedGroup {
    const o = this.opts;
    const node = new RawNode({
      id: o.nodeId, electionTick: o.electionTick, heartbeatTick: o.heartbeatTick, random: o.random,
      enableWitnessToLeader: o.enableWitnessToLeader ?? false,
      ...(o.maxSizePerMsgBytes !== undefined ? { maxSizePerMsgBytes: o.maxSizePerMsgBytes } : {}),
      ...(o.maxInflightMsgs !== undefined ? { maxInflightMsgs: o.maxInflightMsgs } : {}),
      ...(o.maxInflightBytes !== undefined ? { maxInflightBytes: o.maxInflightBytes } : {}),
    }, storage);
    const stateMachine = o.newStateMachine(id);
    const snap = storage.snapshot();
    if (snap && snap.metadata.index > 0) stateMachine.restore(snap);
    const g: HostedGroup = { id, node, storage, stateMachine, quiesced: false, appliedSinceSnapshot: 0, removed: false };
    this.groups.set(id, g);
    return g;
  }

  // ---- group lifecycle ----------------------------------------------------------------------

  /** Bootstraps a group with its initial members, or (confState undefined) joins one being extended. */
  createGroup(id: number, confState: ConfState | undefined): void {
    if (this.groups.has(id)) throw new RaftError('GroupExists', `raft group ${id} already exists on node ${this.nodeId}`);
    const term = this.tombstones.get(id) ?? 0;
    this.hostGroup(id, newGroupStorage(confState, term));
    this.pendingWal.push({ kind: 'createGroup', group: id, confState, term });
  }

  hasGroup(id: number): boolean {
    return this.groups.has(id);
  }

  groupIds(): number[] {
    return [...this.groups.keys()].sort((a, b) => a - b);
  }

  group(id: number): RawNode {
    const g = this.groups.get(id);
    if (!g) throw new UnknownGroupError(id);
    return g.node;
  }

  stateMachine(id: number): GroupStateMachine {
    const g = this.groups.get(id);
    if (!g) throw new UnknownGroupError(id);
    return g.stateMachine;
  }

  /** Bytes of log entries every group holds in memory (what a checkpoint lets it drop). */
  logBytesHeld(): number {
    let bytes = 0;
    for (const g of this.groups.values()) bytes += g.storage.bytesHeld;
    return bytes;
  }

  isQuiesced(id: number): boolean {
    return this.groups.get(id)?.quiesced ?? false;
  }

  // ---- inputs -------------------------------------------------------------------------------

  propose(groupId: number, data: Uint8Array): number {
    const g = this.groups.get(groupId);
    if (!g) throw new UnknownGroupError(groupId);
    this.wake(g);
    return g.node.propose(data);
  }

  proposeConfChange(groupId: number, cc: ConfChange): number {
    const g = this.groups.get(groupId);
    if (!g) throw new UnknownGroupError(groupId);
    this.wake(g);
    return g.node.proposeConfChange(cc);
  }

  transferLeader(groupId: number, to: number): void {
    const g = this.groups.get(groupId);
    if (!g) throw new UnknownGroupError(groupId);
    this.wake(g);
    g.node.transferLeader(to);
  }

  campaign(groupId: number): void {
    const g = this.groups.get(groupId);
    if (!g) throw new UnknownGroupError(groupId);
    this.wake(g);
    g.node.campaign();
  }

  receive(batch: PeerBatch): void {
    if (this.failed || batch.to !== this.nodeId) return;
    this.notePeerHeard(batch.from);
    for (const { group, message } of expandBatch(batch)) {
      const g = this.groups.get(group);
      if (!g) continue; // a group we left, or not yet joined: the sender will retry or give up
      this.wake(g);
      g.node.step(message);
    }
    for (const q of batch.quiesce) this.onQuiesceNotice(batch.from, q.group, q.term, q.commit);
  }

  /** One logical clock tick for the node: every awake group ticks; liveness and quiescence update. */
  tick(): void {
    if (this.failed) return;
    this.ticks++;
    for (const g of this.groups.values()) if (!g.quiesced) g.node.tick();
    const peers = this.peerIds();
    this.detectDeadPeers(peers);
    if (this.ticks % this.opts.heartbeatTick === 0) {
      this.quiesceIdleGroups();
      for (const p of peers) this.opts.transport.send(emptyBatch(this.nodeId, p)); // liveness beat
    }
  }

  // ---- rounds -------------------------------------------------------------------------------

  /** Starts a round if there is work and no sync is in flight. Returns true if it started one. */
  process(): boolean {
    if (this.failed || this.round) return false;
    const readies: RoundInFlight['readies'] = [];
    for (const id of this.groupIds()) {
      const g = this.groups.get(id)!;
      if (g.node.hasReady()) readies.push({ group: g, ready: g.node.ready() });
    }
    // Local snapshots waiting for this round go first: the restatement should carry them.
    const checkpointing = this.checkpointWaiters.length > 0 && this.pendingLocalSnapshots.length === 0;
    if (readies.length === 0 && this.pendingWal.length === 0 && this.pendingLocalSnapshots.length === 0 && !checkpointing) return false;
    this.stats.rounds++;
    let checkpoint: RoundInFlight['checkpoint'];
    if (checkpointing) this.opts.wal.beginCheckpoint?.();
    const records: WalRecord[] = this.pendingWal;
    this.pendingWal = [];
    if (checkpointing) {
      const { records: restated, lsns } = this.restateStableState();
      records.push(...restated);
      checkpoint = { lsns, waiters: this.checkpointWaiters };
      this.checkpointWaiters = [];
    }
    const early = new Map<number, PeerBatch>();
    const late = new Map<number, PeerBatch>();
    for (const { group, ready } of readies) {
      if (ready.softState) this.onSoftState(group, ready);
      const hs = ready.hardState;
      if (hs && hs.vote === this.nodeId && hs.term > group.storage.hardState.term) this.opts.events?.electionStarted?.(group.id, hs.term);
      // Order matters if a crash keeps only a prefix of the round: the hard state's commit must
      // never point past entries that did not make it, so the snapshot and entries go first.
      if (ready.snapshot) records.push({ kind: 'snapshot', group: group.id, snapshot: ready.snapshot });
      if (ready.entries.length > 0) records.push({ kind: 'entries', group: group.id, entries: ready.entries });
      if (ready.hardState) records.push({ kind: 'hardState', group: group.id, hardState: ready.hardState });
      for (const m of ready.messages) {
        const batches = maySendBeforePersist(m) ? early : late;
        let b = batches.get(m.to);
        if (!b) batches.set(m.to, (b = emptyBatch(this.nodeId, m.to)));
        if (m.type === MessageType.Heartbeat || m.type === MessageType.HeartbeatResp) this.stats.heartbeatsCoalesced++;
        addToBatch(b, group.id, m);
      }
    }
    const localSnapshots = this.pendingLocalSnapshots;
    this.pendingLocalSnapshots = [];
    for (const s of localSnapshots) records.push({ kind: 'snapshot', group: s.group.id, snapshot: s.snapshot });
    const round: RoundInFlight = { readies, early, late, localSnapshots, checkpoint };
    this.round = round;
    if (records.length > 0) this.opts.wal.append(records);
    if (!mustSync(records, readies)) {
      // Only commit LSNs moved: they ride the next sync, and a crash that loses them loses nothing,
      // since commit is learnt again from the leader (etcd's MustSync). Saves an fdatasync per write.
      this.stats.roundsWithoutSync++;
      this.onSynced();
      return true;
    }
    this.stats.syncs++;
    // The disk write starts first; the followers' copies are encoded and sent while it runs.
    this.opts.wal.sync((error) => this.onSynced(error));
    this.sendEarly(round);
    return true;
  }

  /** The round's messages that need not wait for its sync; before anything of onSynced in any case. */
  private sendEarly(round: RoundInFlight): void {
    if (!round.early) return;
    const early = round.early;
    round.early = undefined;
    this.sendAll(early);
  }

  /** The WAL made the round's records durable (or failed to). */
  onSynced(error?: Error): void {
    const round = this.round;
    if (!round || this.failed) return;
    this.round = undefined;
    this.sendEarly(round); // a WAL that calls back at once must not reorder them after the late ones
    if (error) {
      // Raft cannot take back what it has stepped: stop, and let the node restart from its WAL.
      this.failed = error;
      return;
    }
    for (const { group, ready } of round.readies) {
      if (ready.hardState) group.storage.setHardState(ready.hardState);
      if (ready.snapshot) {
        applyRecord(group.storage, { kind: 'snapshot', group: group.id, snapshot: ready.snapshot });
        group.stateMachine.restore(ready.snapshot);
        group.appliedSinceSnapshot = 0;
      }
      if (ready.entries.length > 0) group.storage.append(ready.entries);
    }
    for (const s of round.localSnapshots) {
      if (s.group.removed) continue;
      s.group.storage.createSnapshot(s.snapshot.metadata.index, s.snapshot.metadata.confState, s.snapshot.data);
      if (s.compactTo > s.group.storage.firstIndex()) s.group.storage.compact(s.compactTo);
    }
    this.sendAll(round.late);
    for (const { group, ready } of round.readies) {
      this.applyCommitted(group, ready.committedEntries);
      group.node.advance(ready);
      this.maybeScheduleSnapshot(group);
    }
    if (round.checkpoint) for (const w of round.checkpoint.waiters) w(round.checkpoint.lsns);
  }

  // ---- checkpoints --------------------------------------------------------------------------

  /**
   * Restates every group's stable state (latest snapshot, the entries above it, hard state) and
   * every tombstone at the start of a fresh WAL segment in the next round, then calls done with
   * each group's snapshot LSN once that is durable. Nothing written before is needed any more:
   * the WAL may release it (WriteAheadLog.releaseBeforeCheckpoint).
   */
  checkpoint(done: (lsns: CheckpointLsns) => void): void {
    this.checkpointWaiters.push(done);
  }

  /**
   * The group's state is durable outside the log (a state store checkpoint) up to at least `lsn`,
   * which the group has applied, with membership `confState` as of `lsn`. The next round records a
   * snapshot there whose data stays in that store (empty bytes here), and compacts the log
   * behind it; the next checkpoint then restates from that snapshot.
   */
  noteDurableState(groupId: number, lsn: number, confState: ConfState): void {
    const g = this.groups.get(groupId);
    if (!g) throw new UnknownGroupError(groupId);
    if (lsn > g.node.raft.raftLog.applied) throw new RaftError('NotApplied', `group ${groupId}: LSN ${lsn} is not applied yet`);
    const term = g.storage.term(lsn);
    if (lsn <= g.storage.snapshot()!.metadata.index || term === undefined) return; // nothing newer to record
    this.queueLocalSnapshot(g, { metadata: { index: lsn, term, confState }, data: new Uint8Array() });
  }

  /** The next round records `snapshot` (of applied state) and compacts the log behind it. */
  private queueLocalSnapshot(g: HostedGroup, snapshot: Snapshot): void {
    const index = snapshot.metadata.index;
    this.pendingLocalSnapshots = this.pendingLocalSnapshots.filter((s) => s.group !== g);
    const compactTo = g.storage.retentionStart(index, this.opts.compactionMarginEntries ?? 0, this.opts.compactionMarginBytes ?? Number.POSITIVE_INFINITY);
    this.pendingLocalSnapshots.push({ group: g, snapshot, compactTo });
    g.appliedSinceSnapshot = 0;
  }

  // Runs only between rounds, so each group's stable storage already holds everything appended:
  // restating it can never move a hard state backwards.
  private restateStableState(): { records: WalRecord[]; lsns: CheckpointLsns } {
    const records: WalRecord[] = [];
    const lsns: CheckpointLsns = new Map();
    // Tombstones of groups not hosted again, first: a removal must never follow a live group's state.
    for (const [group, term] of [...this.tombstones].sort((a, b) => a[0] - b[0])) {
      if (!this.groups.has(group)) records.push({ kind: 'removeGroup', group, term });
    }
    for (const id of this.groupIds()) {
      const g = this.groups.get(id)!;
      const snapshot = g.storage.snapshot()!;
      records.push({ kind: 'snapshot', group: id, snapshot });
      const first = snapshot.metadata.index + 1;
      if (first <= g.storage.lastIndex()) {
        records.push({ kind: 'entries', group: id, entries: g.storage.entries(first, g.storage.lastIndex() + 1, Number.POSITIVE_INFINITY)! });
      }
      records.push({ kind: 'hardState', group: id, hardState: { ...g.storage.hardState } });
      lsns.set(id, snapshot.metadata.index);
    }
    mark('host-checkpoint-restated');
    return { records, lsns };
  }

  private applyCommitted(g: HostedGroup, entries: Entry[]): void {
    for (const e of entries) {
      if (g.removed) break; // we left the group: nothing after our own removal is ours to apply
      const asWitness = g.node.raft.isWitness();
      if (e.type === EntryType.ConfChange) {
        const cc = RawNode.confChangeOf(e);
        const cs = g.node.applyConfChange(cc);
        if (cc.type === ConfChangeType.RemoveNode && cc.nodeId === this.nodeId && !isMember(cs, this.nodeId)) {
          g.removed = true;
        }
      } else if (e.data.byteLength > 0 && !asWitness) {
        // Checked per entry: a change earlier in this same batch may have just made us a witness.
        g.stateMachine.apply(e);
      }
      g.appliedSinceSnapshot++;
      this.opts.events?.applied?.(g.id, e, asWitness);
    }
    if (g.removed) this.removeGroup(g);
  }

  private removeGroup(g: HostedGroup): void {
    mark('host-group-removed');
    this.groups.delete(g.id);
    const term = g.node.raft.term;
    this.tombstones.set(g.id, term);
    this.pendingWal.push({ kind: 'removeGroup', group: g.id, term });
    this.opts.events?.groupRemoved?.(g.id);
  }

  private maybeScheduleSnapshot(g: HostedGroup): void {
    const interval = this.opts.snapshotIntervalEntries ?? 0;
    const requested = g.node.raft.snapshotRequested;
    if (g.removed || (!requested && (interval <= 0 || g.appliedSinceSnapshot < interval))) return;
    if (this.pendingLocalSnapshots.some((s) => s.group === g)) return;
    g.node.raft.snapshotRequested = false;
    const applied = g.node.raft.raftLog.applied;
    if (applied <= g.storage.firstIndex() - 1 || applied > g.storage.lastIndex()) return;
    const witness = g.node.raft.isWitness();
    mark('host-snapshot-taken');
    this.queueLocalSnapshot(g, {
      metadata: { index: applied, term: g.storage.term(applied)!, confState: g.node.raft.confState() },
      data: witness ? new Uint8Array() : g.stateMachine.snapshot(),
    });
  }

  private onSoftState(g: HostedGroup, ready: Ready): void {
    const s = ready.softState!;
    this.opts.events?.roleChanged?.(g.id, s.role, g.node.raft.term, s.lead);
  }

  private sendAll(batches: Map<number, PeerBatch>): void {
    for (const to of [...batches.keys()].sort((a, b) => a - b)) {
      const b = batches.get(to)!;
      if (isEmptyBatch(b)) continue;
      this.stats.batchesSent++;
      this.opts.transport.send(b);
    }
  }

  // ---- liveness and quiescence ----------------------------------------------------------------

  private peersOf(g: HostedGroup): number[] {
    const cs = g.node.raft.confState();
    return [...cs.voters, ...cs.learners, ...cs.witnesses].filter((id) => id !== this.nodeId);
  }

  private notePeerHeard(peer: number): void {
    this.lastHeardTick.set(peer, this.ticks);
    if (this.deadPeers.delete(peer)) {
      mark('host-peer-came-back');
      this.wakeGroupsWith(peer); // bring it up to date at once
    }
  }

  /** Every node that shares a group with us, in id order. */
  private peerIds(): number[] {
    const peers = new Set<number>();
    for (const g of this.groups.values()) for (const p of this.peersOf(g)) peers.add(p);
    return [...peers].sort((a, b) => a - b);
  }

  private detectDeadPeers(peers: number[]): void {
    for (const peer of peers) {
      if (!this.lastHeardTick.has(peer)) this.lastHeardTick.set(peer, this.ticks);
      if (!this.deadPeers.has(peer) && this.ticks - this.lastHeardTick.get(peer)! > this.opts.electionTick) {
        mark('host-peer-presumed-dead');
        this.deadPeers.add(peer);
        this.wakeGroupsWith(peer); // a quiesced follower must be able to elect a new leader
      }
    }
  }

  private wakeGroupsWith(peer: number): void {
    for (const g of this.groups.values()) if (g.quiesced && this.peersOf(g).includes(peer)) this.wake(g);
  }

  private wake(g: HostedGroup): void {
    if (!g.quiesced) return;
    g.quiesced = false;
  }

  /** A leader whose followers all hold and know every committed entry stops ticking the group. */
  private quiesceIdleGroups(): void {
    for (const g of this.groups.values()) {
      if (g.quiesced) continue;
      const st = g.node.status();
      if (st.role !== Role.Leader || st.leadTransferee !== NONE || st.commit !== st.lastIndex || st.applied !== st.commit) continue;
      if (g.node.hasReady() || g.node.raft.isWitness()) continue;
      let idle = true;
      for (const [id, pr] of st.progress) {
        if (pr.match !== st.lastIndex || (id !== this.nodeId && this.deadPeers.has(id))) idle = false;
      }
      if (!idle) continue;
      g.quiesced = true;
      mark('host-group-quiesced');
      for (const peer of this.peersOf(g)) {
        const b = emptyBatch(this.nodeId, peer);
        b.quiesce.push({ group: g.id, term: st.term, commit: st.commit });
        this.opts.transport.send(b);
      }
    }
  }

  private onQuiesceNotice(from: number, groupId: number, term: number, commit: number): void {
    const g = this.groups.get(groupId);
    if (!g) return;
    const st = g.node.status();
    // Quiesce only in step with that leader: same term, and our log ends exactly at its commit.
    if (st.role !== Role.Follower || st.term !== term || st.lead !== from || st.lastIndex !== commit) return;
    // Learn the commit as a heartbeat would tell it; the next round applies it even while quiesced.
    if (st.commit < commit) g.node.step(message({ type: MessageType.Heartbeat, from, to: this.nodeId, term, commit }));
    g.quiesced = true;
  }

  quiescedGroupCount(): number {
    let n = 0;
    for (const g of this.groups.values()) if (g.quiesced) n++;
    return n;
  }
}

/**
 * A round must be durable before it completes when it writes entries, a snapshot, a group's creation or
 * removal, or a new term or vote. A hard state whose only change is its commit LSN need not be: Raft
 * keeps commit in volatile state, and a node that forgets it learns it again.
 */
function mustSync(records: WalRecord[], readies: RoundInFlight['readies']): boolean {
  if (records.some((r) => r.kind !== 'hardState')) return true;
  for (const { group, ready } of readies) {
    const hs = ready.hardState;
    if (hs === undefined) continue;
    const stable = group.storage.hardState;
    if (hs.term !== stable.term || hs.vote !== stable.vote) return true;
  }
  return false;
}
