// The Raft state machine of one group member: pure, synchronous and deterministic. Messages go in
// through step(), time through tick(); what must be sent is queued in `msgs` and collected by
// RawNode.ready(). Section numbers (§) refer to the Raft paper (Ongaro & Ousterhout, 2014) and
// the dissertation (Ongaro, 2014) where noted.

import { applyConfChangeTo, confChangeProblem, encodeConfChange, isMember } from './conf_change.js';
import { ConfChangeError, NotLeaderError, ProposalDroppedError, invariant } from './errors.js';
import { mark } from './marks.js';
import { ProgressState, Progress } from './progress.js';
import { ProgressTracker } from './progress_tracker.js';
import { VoteResult } from './quorum.js';
import { RaftLog } from './raft_log.js';
import { RandomSource } from './random.js';
import { RaftStorage } from './storage.js';
import {
  ConfChange, ConfState, Entry, EntryType, HardState, Message, MessageType, NONE, Role, Snapshot, entryBytes, message,
} from './types.js';

export interface RaftConfig {
  id: number;
  /** Ticks without hearing from a leader before a follower campaigns; randomized in [n, 2n). */
  electionTick: number;
  /** Ticks between a leader's heartbeats; must be well below electionTick. */
  heartbeatTick: number;
  random: RandomSource;
  preVote?: boolean;
  checkQuorum?: boolean;
  maxSizePerMsgBytes?: number;
  maxInflightMsgs?: number;
  maxInflightBytes?: number;
  /** A leader refuses proposals while this many bytes are appended but not committed. */
  maxUncommittedEntriesBytes?: number;
  maxCommittedBytesPerReady?: number;
  /** TuGraph's enableWitnessToLeader: a witness may lead, only to hand leadership over at once. */
  enableWitnessToLeader?: boolean;
  /** On restart: the LSN the state machine has already applied. */
  applied?: number;
}

const DEFAULTS = {
  preVote: true,
  checkQuorum: true,
  maxSizePerMsgBytes: 1 << 20,
  maxInflightMsgs: 256,
  maxInflightBytes: 16 << 20,
  maxUncommittedEntriesBytes: 64 << 20,
  maxCommittedBytesPerReady: 16 << 20,
  enableWitnessToLeader: false,
};

function responseTypeOf(type: MessageType): MessageType {
  return type === MessageType.PreVote ? MessageType.PreVoteResp : MessageType.VoteResp;
}

export class Raft {
  readonly id: number;
  term = 0;
  vote = NONE; // whom we voted for in `term`
  lead = NONE; // the leader of `term` we know, or NONE
  role = Role.Follower;
  readonly raftLog: RaftLog;
  readonly tracker: ProgressTracker;
  msgs: Message[] = [];
  leadTransferee = NONE; // while set, the leader takes no proposals
  pendingConfIndex = 0; // LSN of the last membership change proposed; none may follow until applied
  uncommittedBytes = 0;
  snapshotRequested = false; // a follower needs a snapshot newer than storage holds; the host takes one
  private electionElapsed = 0; // leader: ticks since the last check-quorum; others: since the leader was heard
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  readonly electionTimeout: number;
  readonly heartbeatTimeout: number;
  readonly cfg: Required<Omit<RaftConfig, 'applied'>>;

  constructor(config: RaftConfig, storage: RaftStorage) {
    invariant(config.id > 0, () => `node id must be positive, got ${config.id}`);
    invariant(config.heartbeatTick > 0 && config.electionTick > config.heartbeatTick,
      () => `electionTick (${config.electionTick}) must exceed heartbeatTick (${config.heartbeatTick}) > 0`);
    this.cfg = { ...DEFAULTS, ...config };
    this.id = config.id;
    this.electionTimeout = config.electionTick;
    this.heartbeatTimeout = config.heartbeatTick;
    this.raftLog = new RaftLog(storage);
    this.tracker = new ProgressTracker(this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes);
    const { hardState, confState } = storage.initialState();
    this.tracker.setConfState(confState, this.raftLog.lastIndex() + 1);
    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) this.loadHardState(hardState);
    if (config.applied !== undefined && config.applied > 0) this.raftLog.appliedTo(config.applied);
    this.becomeFollower(this.term, NONE);
  }

  private loadHardState(hs: HardState): void {
    invariant(hs.commit >= this.raftLog.committed && hs.commit <= this.raftLog.lastIndex(),
      () => `stored commit ${hs.commit} outside [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`);
    this.raftLog.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  confState(): ConfState {
    return this.tracker.confState;
  }

  isWitness(): boolean {
    return this.tracker.confState.witnesses.includes(this.id);
  }

  /** May this node campaign? Voters may; a witness only if the group allows witnesses to lead. */
  promotable(): boolean {
    const cs = this.tracker.confState;
    return cs.voters.includes(this.id) || (this.cfg.enableWitnessToLeader && cs.witnesses.includes(this.id));
  }

  private send(m: Omit<Partial<Message>, 'from'> & Pick<Message, 'type' | 'to'>): void {
    const out = message({ ...m, from: this.id });
    // Votes carry the candidate's term; everything else our current term.
    if (out.type !== MessageType.Vote && out.type !== MessageType.PreVote &&
        out.type !== MessageType.VoteResp && out.type !== MessageType.PreVoteResp) {
      out.term = this.term;
    }
    this.msgs.push(out);
  }

  // ---- role transitions -------------------------------------------------------------------

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.electionTimeout + this.cfg.random.intBelow(this.electionTimeout);
    this.leadTransferee = NONE;
    this.tracker.resetVotes();
    const next = this.raftLog.lastIndex() + 1;
    for (const [, pr] of this.tracker.progress) {
      pr.becomeProbe();
      pr.match = 0;
      pr.next = next;
      pr.recentActive = false;
    }
    this.pendingConfIndex = 0;
    this.uncommittedBytes = 0;
  }

  becomeFollower(term: number, lead: number): void {
    this.reset(term);
    this.lead = lead;
    this.role = Role.Follower;
  }

  private becomePreCandidate(): void {
    invariant(this.role !== Role.Leader, () => 'a leader cannot become a pre-candidate');
    // Pre-vote (dissertation §9.6): ask whether we could win before disturbing anyone's term.
    this.tracker.resetVotes();
    this.lead = NONE;
    this.role = Role.PreCandidate;
  }

  private becomeCandidate(): void {
    invariant(this.role !== Role.Leader, () => 'a leader cannot become a candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = Role.Candidate;
  }

  private becomeLeader(): void {
    invariant(this.role === Role.Candidate, () => `only a candidate becomes leader, not a ${this.role}`);
    this.reset(this.term);
    this.lead = this.id;
    this.role = Role.Leader;
    const self = this.tracker.progress.get(this.id);
    if (self) {
      self.becomeReplicate();
      self.match = this.raftLog.unstable.snapshot ? 0 : this.raftLog.unstable.offset - 1; // persisted only
      self.next = this.raftLog.lastIndex() + 1;
    }
    // A membership change may sit uncommitted in our log: allow no new one until it is applied.
    this.pendingConfIndex = this.raftLog.lastIndex();
    // §5.4.2: entries of earlier terms commit only through an entry of our own term.
    this.appendEntries([{ term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array() }]);
    this.uncommittedBytes = 0;
  }

  // ---- time -------------------------------------------------------------------------------

  tick(): void {
    if (this.role === Role.Leader) this.tickLeader();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(message({ type: MessageType.Hup, from: this.id }));
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) this.step(message({ type: MessageType.CheckQuorum, from: this.id }));
      if (this.role === Role.Leader && this.leadTransferee !== NONE) {
        mark('leader-transfer-timed-out');
        this.leadTransferee = NONE;
      }
    }
    if (this.role !== Role.Leader) return;
    this.tracker.forEachPeer(this.id, (_id, pr) => {
      if (pr.state === ProgressState.Snapshot && ++pr.snapshotElapsedTicks > this.electionTimeout) {
        mark('snapshot-send-retried');
        pr.becomeProbe(); // the snapshot or its answer was lost: probe again, which resends it
      }
    });
    if (this.isWitness()) this.handOffWitnessLeadership();
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(message({ type: MessageType.Beat, from: this.id }));
    }
  }

  // ---- elections --------------------------------------------------------------------------

  /** Starts an election now, as if the election timeout had elapsed. */
  campaign(transfer = false): void {
    if (this.role === Role.Leader || !this.promotable()) return;
    if (this.hasUnappliedConfChange()) {
      mark('campaign-blocked-by-unapplied-conf-change');
      return; // our membership may be about to change; whoever applies it first campaigns
    }
    if (this.cfg.preVote && !transfer) {
      this.becomePreCandidate();
      this.startElection(MessageType.PreVote, this.term + 1, false);
    } else {
      this.becomeCandidate();
      this.startElection(MessageType.Vote, this.term, transfer);
    }
  }

  private startElection(type: MessageType, term: number, transfer: boolean): void {
    if (this.tracker.isVotingMember(this.id)) this.tracker.recordVote(this.id, true);
    if (this.onVoteTallied()) return;
    const lastIndex = this.raftLog.lastIndex();
    const lastTerm = this.raftLog.lastTerm();
    for (const id of this.tracker.quorumMembers()) {
      if (id === this.id) continue;
      this.msgs.push(message({ type, from: this.id, to: id, term, index: lastIndex, logTerm: lastTerm, transfer }));
    }
  }

  /** Acts on the votes so far; returns true if the election is decided. */
  private onVoteTallied(): boolean {
    const result = this.tracker.tallyVotes();
    if (result === VoteResult.Won) {
      if (this.role === Role.PreCandidate) this.campaignAfterPreVote();
      else {
        this.becomeLeader();
        this.broadcastAppend();
      }
      return true;
    }
    if (result === VoteResult.Lost) {
      this.becomeFollower(this.term, NONE);
      return true;
    }
    return false;
  }

  private campaignAfterPreVote(): void {
    this.becomeCandidate();
    this.startElection(MessageType.Vote, this.term, false);
  }

  private hasUnappliedConfChange(): boolean {
    const log = this.raftLog;
    if (log.committed <= log.applied) return false;
    const ents = log.slice(Math.max(log.applied + 1, log.firstIndex()), log.committed + 1, Number.MAX_SAFE_INTEGER) ?? [];
    return ents.some((e) => e.type === EntryType.ConfChange);
  }

  // ---- messages ---------------------------------------------------------------------------

  step(m: Message): void {
    if (m.term > this.term && !this.stepHigherTerm(m)) return;
    if (m.term !== 0 && m.term < this.term) {
      this.stepLowerTerm(m);
      return;
    }
    switch (m.type) {
      case MessageType.Hup:
        this.campaign(false);
        return;
      case MessageType.Vote:
      case MessageType.PreVote:
        this.handleVoteRequest(m);
        return;
    }
    if (this.role === Role.Leader) this.stepLeader(m);
    else if (this.role === Role.Follower) this.stepFollower(m);
    else this.stepCandidate(m);
  }

  /** §5.1: a higher term makes us a follower, except for votes we refuse under a leader lease. */
  private stepHigherTerm(m: Message): boolean {
    if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
      // Dissertation §4.2.3: a node that heard from a live leader within the election timeout
      // ignores votes, so a partitioned node coming back cannot depose a healthy leader.
      const inLease = this.cfg.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
      if (inLease && !m.transfer) {
        mark('vote-ignored-in-leader-lease');
        return false;
      }
    }
    if (m.type === MessageType.PreVote) return true; // a pre-vote never changes our term
    if (m.type === MessageType.PreVoteResp && !m.reject) return true; // granted at the future term
    const fromLeader = m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap;
    this.becomeFollower(m.term, fromLeader ? m.from : NONE);
    return true;
  }

  private stepLowerTerm(m: Message): void {
    if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === MessageType.Heartbeat || m.type === MessageType.App)) {
      // A deposed leader (or one cut off by a partition) learns our term from this and steps down.
      this.send({ type: MessageType.AppResp, to: m.from });
    } else if (m.type === MessageType.PreVote) {
      this.send({ type: MessageType.PreVoteResp, to: m.from, term: this.term, reject: true });
    }
  }

  private handleVoteRequest(m: Message): void {
    // §5.2, §5.4.1: one vote per term, and only for a log at least as up to date as ours.
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === MessageType.PreVote && m.term > this.term);
    if (canVote && this.raftLog.isUpToDate(m.index, m.logTerm)) {
      this.msgs.push(message({ type: responseTypeOf(m.type), from: this.id, to: m.from, term: m.term }));
      if (m.type === MessageType.Vote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.msgs.push(message({ type: responseTypeOf(m.type), from: this.id, to: m.from, term: this.term, reject: true }));
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case MessageType.Beat:
        this.broadcastHeartbeat();
        return;
      case MessageType.CheckQuorum:
        if (!this.tracker.quorumActive(this.id)) {
          mark('leader-stepped-down-check-quorum');
          this.becomeFollower(this.term, NONE);
        }
        return;
      case MessageType.TransferLeader:
        this.handleTransferLeader(m.from);
        return;
    }
    const pr = this.tracker.progress.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case MessageType.AppResp:
        pr.recentActive = true;
        this.handleAppendResponse(m, pr);
        return;
      case MessageType.HeartbeatResp:
        pr.recentActive = true;
        pr.probeSent = false;
        // Appends lost in flight would hold a full window shut forever: free a slot so the next
        // append goes out, hits the gap, is rejected, and the follower falls back to probing.
        if (pr.state === ProgressState.Replicate && pr.inflights.full()) {
          mark('inflight-slot-freed-by-heartbeat');
          pr.inflights.freeFirstOne();
        }
        if (pr.match < this.raftLog.lastIndex()) this.sendAppend(m.from, pr);
        return;
      case MessageType.SnapStatus:
        if (pr.state !== ProgressState.Snapshot) return;
        if (m.reject) pr.pendingSnapshot = 0;
        pr.becomeProbe();
        pr.probeSent = true; // wait for the next heartbeat before probing
        return;
      case MessageType.Unreachable:
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        return;
    }
  }

  private stepCandidate(m: Message): void {
    const myResponse = this.role === Role.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
    switch (m.type) {
      case MessageType.App:
      case MessageType.Heartbeat:
      case MessageType.Snap:
        // A leader of our term exists: the election is lost.
        this.becomeFollower(m.term, m.from);
        this.handleFromLeader(m);
        return;
      case myResponse:
        this.tracker.recordVote(m.from, !m.reject);
        this.onVoteTallied();
        return;
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.App:
      case MessageType.Heartbeat:
      case MessageType.Snap:
        // Word from the leader of our term: it is alive, and it is the one we follow.
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleFromLeader(m);
        return;
      case MessageType.TimeoutNow:
        // Leader transfer (dissertation §3.10): campaign at once, skipping pre-vote and leases.
        if (this.promotable()) {
          mark('campaign-on-timeout-now');
          this.campaign(true);
        }
        return;
    }
  }

  // ---- replication, follower side ---------------------------------------------------------

  private handleFromLeader(m: Message): void {
    if (m.type === MessageType.App) this.handleAppend(m);
    else if (m.type === MessageType.Heartbeat) this.handleHeartbeat(m);
    else this.handleSnapshot(m);
  }

  private handleAppend(m: Message): void {
    if (m.index < this.raftLog.committed) {
      this.send({ type: MessageType.AppResp, to: m.from, index: this.raftLog.committed });
      return;
    }
    const lastNew = this.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries ?? []);
    if (lastNew !== undefined) {
      this.send({ type: MessageType.AppResp, to: m.from, index: lastNew });
      return;
    }
    // §5.3 with the dissertation's optimisation: answer with the last index whose term is <= the
    // leader's term at m.index, so the leader skips a whole mismatched term per round trip.
    mark('append-rejected');
    const hintIndex = this.raftLog.findConflictByTerm(Math.min(m.index, this.raftLog.lastIndex()), m.logTerm);
    const hintTerm = this.raftLog.term(hintIndex) ?? 0;
    this.send({ type: MessageType.AppResp, to: m.from, index: m.index, reject: true, rejectHint: hintIndex, logTerm: hintTerm });
  }

  private handleHeartbeat(m: Message): void {
    this.raftLog.commitTo(Math.min(m.commit, this.raftLog.lastIndex()));
    this.send({ type: MessageType.HeartbeatResp, to: m.from });
  }

  private handleSnapshot(m: Message): void {
    const snap = m.snapshot;
    if (snap && this.restore(snap)) {
      mark('snapshot-restored');
      this.send({ type: MessageType.AppResp, to: m.from, index: this.raftLog.lastIndex() });
    } else {
      this.send({ type: MessageType.AppResp, to: m.from, index: this.raftLog.committed });
    }
  }

  /** Installs a snapshot from the leader; false if we already hold everything it covers. */
  private restore(snap: Snapshot): boolean {
    const { index, term, confState } = snap.metadata;
    if (index <= this.raftLog.committed) return false;
    if (!isMember(confState, this.id)) return false; // a stale snapshot from before we joined
    if (this.raftLog.matchTerm(index, term)) {
      this.raftLog.commitTo(index); // our log already has it: just move the commit forward
      return false;
    }
    this.raftLog.restore(snap);
    this.tracker.setConfState(confState, this.raftLog.lastIndex() + 1);
    return true;
  }

  // ---- replication, leader side -----------------------------------------------------------

  private handleAppendResponse(m: Message, pr: Progress): void {
    if (m.reject) {
      let hint = m.rejectHint;
      if (m.logTerm > 0) hint = this.raftLog.findConflictByTerm(m.rejectHint, m.logTerm);
      if (pr.maybeDecrTo(m.index, hint)) {
        if (m.index - hint > 1) mark('fast-backtrack-skipped-entries');
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        this.sendAppend(m.from, pr);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index)) return;
    if (pr.state === ProgressState.Probe) pr.becomeReplicate();
    else if (pr.state === ProgressState.Snapshot && pr.match + 1 >= this.raftLog.firstIndex()) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === ProgressState.Replicate) pr.inflights.freeLE(m.index);

    if (this.maybeCommit()) this.broadcastAppend();
    else if (wasPaused) this.sendAppend(m.from, pr);
    // Pipelining: keep the window full while there is something to send.
    while (this.maybeSendAppend(m.from, pr, false)) { /* fill the window */ }
    if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
      this.send({ type: MessageType.TimeoutNow, to: m.from });
    }
  }

  /** §5.3, §5.4.2: commit the highest index a quorum persisted, if it is of our own term. */
  maybeCommit(): boolean {
    const index = this.tracker.committed();
    if (index <= this.raftLog.committed || this.raftLog.term(index) !== this.term) return false;
    this.raftLog.commitTo(index);
    return true;
  }

  private sendAppend(to: number, pr: Progress): void {
    this.maybeSendAppend(to, pr, true);
  }

  private maybeSendAppend(to: number, pr: Progress, sendIfEmpty: boolean): boolean {
    if (pr.isPaused()) {
      if (pr.state === ProgressState.Replicate) mark('inflight-window-full');
      return false;
    }
    const prevIndex = pr.next - 1;
    const prevTerm = this.raftLog.term(prevIndex);
    const lastIndex = this.raftLog.lastIndex();
    let ents: Entry[] | undefined = [];
    if (pr.state !== ProgressState.Replicate || pr.next <= lastIndex) {
      ents = this.raftLog.slice(pr.next, lastIndex + 1, this.cfg.maxSizePerMsgBytes);
    }
    if (prevTerm === undefined || ents === undefined) return this.sendSnapshot(to, pr);
    if (!sendIfEmpty && ents.length === 0) return false;
    this.send({ type: MessageType.App, to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.raftLog.committed });
    if (ents.length > 0) {
      let bytes = 0;
      for (const e of ents) bytes += entryBytes(e);
      pr.sentEntries(ents[ents.length - 1]!.index, bytes);
    } else if (pr.state === ProgressState.Probe) {
      pr.probeSent = true;
    }
    return true;
  }

  private sendSnapshot(to: number, pr: Progress): boolean {
    if (!pr.recentActive) return false; // do not ship a snapshot to a node we have not heard from
    if (this.isWitness()) return false; // a witness holds no data to send; it hands leadership over
    const snap = this.raftLog.snapshot();
    if (!snap) return false;
    if (!isMember(snap.metadata.confState, to)) {
      // The follower joined after our latest snapshot and would refuse it: ask the host for a new one.
      mark('snapshot-too-old-for-new-member');
      this.snapshotRequested = true;
      return false;
    }
    // A witness keeps log metadata and membership only: it gets the snapshot without the data.
    const snapshot = pr.isWitness ? { metadata: snap.metadata, data: new Uint8Array() } : snap;
    mark(pr.isWitness ? 'snapshot-sent-to-witness' : 'snapshot-sent');
    this.send({ type: MessageType.Snap, to, snapshot });
    pr.becomeSnapshot(snap.metadata.index);
    return true;
  }

  broadcastAppend(): void {
    this.tracker.forEachPeer(this.id, (id, pr) => this.sendAppend(id, pr));
  }

  private broadcastHeartbeat(): void {
    this.tracker.forEachPeer(this.id, (id, pr) => {
      // Never tell a follower to commit past what it is known to hold.
      const commit = Math.min(pr.match, this.raftLog.committed);
      this.send({ type: MessageType.Heartbeat, to: id, commit });
    });
  }

  private appendEntries(ents: Entry[]): void {
    let index = this.raftLog.lastIndex();
    const stamped = ents.map((e) => ({ ...e, term: this.term, index: ++index }));
    this.raftLog.append(stamped);
  }

  /** The host persisted our log up to `index`: only now does our own copy count towards commit. */
  onPersisted(index: number): void {
    if (this.role !== Role.Leader) return;
    const self = this.tracker.progress.get(this.id);
    if (self && self.maybeUpdate(Math.min(index, this.raftLog.lastIndex())) && this.maybeCommit()) this.broadcastAppend();
  }

  // ---- proposals, membership, leadership ----------------------------------------------------

  /** Appends `data` to the log if we lead; returns its LSN. Throws a typed error otherwise. */
  propose(data: Uint8Array, type: EntryType = EntryType.Normal): number {
    if (this.role !== Role.Leader) throw new NotLeaderError(this.lead);
    if (!this.tracker.progress.has(this.id)) throw new ProposalDroppedError('this node was removed from the group');
    if (this.isWitness()) throw new ProposalDroppedError('a witness leader takes no writes while it hands leadership over');
    if (this.leadTransferee !== NONE) throw new ProposalDroppedError(`leadership is moving to node ${this.leadTransferee}`);
    const size = data.byteLength + 24;
    if (this.uncommittedBytes > 0 && this.uncommittedBytes + size > this.cfg.maxUncommittedEntriesBytes) {
      throw new ProposalDroppedError(`more than ${this.cfg.maxUncommittedEntriesBytes} bytes await commit; retry later`);
    }
    this.appendEntries([{ term: 0, index: 0, type, data }]);
    this.uncommittedBytes += size;
    const index = this.raftLog.lastIndex();
    this.broadcastAppend();
    return index;
  }

  proposeConfChange(cc: ConfChange): number {
    if (this.role !== Role.Leader) throw new NotLeaderError(this.lead);
    if (this.pendingConfIndex > this.raftLog.applied) {
      throw new ConfChangeError(`the change at LSN ${this.pendingConfIndex} is not applied yet; one change at a time`);
    }
    const problem = confChangeProblem(this.tracker.confState, cc);
    if (problem) throw new ConfChangeError(problem);
    const index = this.propose(encodeConfChange(cc), EntryType.ConfChange);
    this.pendingConfIndex = index;
    return index;
  }

  /** Called by the host when a committed membership change is applied, on every member. */
  applyConfChange(cc: ConfChange): ConfState {
    const cs = applyConfChangeTo(this.tracker.confState, cc);
    this.tracker.setConfState(cs, this.raftLog.lastIndex() + 1);
    if (this.role === Role.Leader) {
      if (this.leadTransferee !== NONE && !this.tracker.progress.has(this.leadTransferee)) this.leadTransferee = NONE;
      if (!this.promotable() && !this.isWitness()) {
        mark('leader-removed-steps-down');
        this.becomeFollower(this.term, NONE);
      } else {
        this.maybeCommit(); // a smaller quorum may commit more
        this.broadcastAppend(); // carries any new commit, and new members start probing
      }
    }
    return cs;
  }

  transferLeader(transferee: number): void {
    this.step(message({ type: MessageType.TransferLeader, from: transferee }));
  }

  private handleTransferLeader(transferee: number): void {
    const pr = this.tracker.progress.get(transferee);
    if (!pr || pr.isLearner || pr.isWitness || transferee === this.id) return;
    if (this.leadTransferee === transferee) return;
    this.leadTransferee = transferee;
    this.electionElapsed = 0; // the transfer must finish within one election timeout
    if (pr.match === this.raftLog.lastIndex()) this.send({ type: MessageType.TimeoutNow, to: transferee });
    else this.sendAppend(transferee, pr);
  }

  /**
   * TuGraph's witness-to-leader rule: a witness that became leader brings the most up-to-date
   * data replica level with its log and hands it leadership at once.
   */
  handOffWitnessLeadership(): void {
    if (this.role !== Role.Leader || !this.isWitness() || this.leadTransferee !== NONE) return;
    let best = NONE;
    let bestMatch = 0; // only a voter that has answered in our term: it is reachable
    for (const id of this.tracker.confState.voters) {
      const match = this.tracker.progress.get(id)?.match ?? 0;
      if (match > bestMatch) {
        best = id;
        bestMatch = match;
      }
    }
    if (best === NONE) return;
    mark('witness-leader-hands-off');
    this.handleTransferLeader(best);
  }
}
