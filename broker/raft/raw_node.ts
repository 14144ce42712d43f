// The host's handle on one group member: feed it messages, ticks and proposals; take a Ready
// (what to persist, send and apply); do the I/O; then advance(). The contract the host keeps:
//   1. Persist `hardState`, `snapshot` and `entries` before sending any message in `messages`
//      except the leader's own App/Heartbeat/Snap/TimeoutNow, which may go out first (the leader
//      writes its log in parallel with replicating it; its copy counts only after advance()).
//   2. Apply `snapshot` (if any) and then `committedEntries` in order, after persisting.
//   3. Call advance(ready) once all of that is done, before taking the next Ready.

import { decodeConfChange } from './conf_change.js';
import { invariant } from './errors.js';
import { Raft, RaftConfig } from './raft.js';
import { RaftStorage } from './storage.js';
import { ConfChange, ConfState, Entry, EntryType, HardState, Message, MessageType, Role, Snapshot, entryBytes, message } from './types.js';

export interface SoftState {
  lead: number;
  role: Role;
}

export interface Ready {
  softState?: SoftState; // set when leader or role changed
  hardState?: HardState; // set when it changed and must be persisted
  entries: Entry[]; // to append to stable storage
  snapshot?: Snapshot; // to persist and install in the state machine
  committedEntries: Entry[]; // to apply in order; a witness gets membership changes only
  messages: Message[];
  mustSync: boolean; // term, vote or entries changed: the write needs fsync before acknowledging
}

export interface ProgressStatus {
  match: number;
  next: number;
  state: string;
  isLearner: boolean;
  isWitness: boolean;
}

export interface Status {
  id: number;
  term: number;
  vote: number;
  commit: number;
  applied: number;
  lastIndex: number;
  lead: number;
  role: Role;
  leadTransferee: number;
  confState: ConfState;
  progress: Map<number, ProgressStatus>; // only on a leader
}

/** Messages a leader may send before its own write of the same Ready is durable. */
export function maySendBeforePersist(m: Message): boolean {
  return m.type === MessageType.App || m.type === MessageType.Heartbeat ||
    m.type === MessageType.Snap || m.type === MessageType.TimeoutNow;
}

export class RawNode {
  readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  private inFlight: { ready: Ready; appliedTo: number } | undefined;

  constructor(config: RaftConfig, storage: RaftStorage) {
    this.raft = new Raft(config, storage);
    this.prevSoft = this.softState();
    this.prevHard = this.raft.hardState();
  }

  private softState(): SoftState {
    return { lead: this.raft.lead, role: this.raft.role };
  }

  tick(): void {
    this.raft.tick();
  }

  step(m: Message): void {
    this.raft.step(m);
  }

  campaign(): void {
    this.raft.campaign(false);
  }

  propose(data: Uint8Array): number {
    return this.raft.propose(data, EntryType.Normal);
  }

  proposeConfChange(cc: ConfChange): number {
    return this.raft.proposeConfChange(cc);
  }

  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  transferLeader(transferee: number): void {
    this.raft.transferLeader(transferee);
  }

  reportUnreachable(id: number): void {
    this.raft.step(message({ type: MessageType.Unreachable, from: id, to: this.raft.id }));
  }

  reportSnapshot(id: number, ok: boolean): void {
    this.raft.step(message({ type: MessageType.SnapStatus, from: id, to: this.raft.id, reject: !ok }));
  }

  hasReady(): boolean {
    const r = this.raft;
    const soft = this.softState();
    const hard = r.hardState();
    return (
      soft.lead !== this.prevSoft.lead || soft.role !== this.prevSoft.role ||
      !sameHardState(hard, this.prevHard) ||
      r.raftLog.unstable.snapshot !== undefined ||
      r.raftLog.unstableEntries().length > 0 ||
      r.msgs.length > 0 ||
      r.raftLog.hasNextCommittedEntries()
    );
  }

  ready(): Ready {
    invariant(this.inFlight === undefined, () => 'ready() called again before advance()');
    const r = this.raft;
    const soft = this.softState();
    const hard = r.hardState();
    const entries = [...r.raftLog.unstableEntries()];
    const committed = r.raftLog.nextCommittedEntries(r.cfg.maxCommittedBytesPerReady);
    const appliedTo = committed.length > 0 ? committed[committed.length - 1]!.index : 0;
    const ready: Ready = {
      entries,
      // A witness never applies table data; it still learns membership changes.
      committedEntries: r.isWitness() ? committed.filter((e) => e.type === EntryType.ConfChange) : committed,
      messages: r.msgs,
      mustSync: entries.length > 0 || hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote,
    };
    r.msgs = [];
    if (soft.lead !== this.prevSoft.lead || soft.role !== this.prevSoft.role) ready.softState = soft;
    if (!sameHardState(hard, this.prevHard)) ready.hardState = hard;
    if (r.raftLog.unstable.snapshot) ready.snapshot = r.raftLog.unstable.snapshot;
    this.prevSoft = soft;
    this.inFlight = { ready, appliedTo };
    return ready;
  }

  /** The host persisted, sent and applied everything in `ready`. */
  advance(ready: Ready): void {
    const pending = this.inFlight;
    invariant(pending !== undefined && pending.ready === ready, () => 'advance() without the matching ready()');
    this.inFlight = undefined;
    const r = this.raft;
    if (ready.hardState) this.prevHard = ready.hardState;
    let persisted = 0;
    if (ready.snapshot) {
      r.raftLog.stableSnapTo(ready.snapshot.metadata.index);
      r.raftLog.appliedTo(ready.snapshot.metadata.index);
      persisted = ready.snapshot.metadata.index;
    }
    if (ready.entries.length > 0) {
      const last = ready.entries[ready.entries.length - 1]!;
      r.raftLog.stableTo(last.index, last.term);
      persisted = last.index;
    }
    if (pending.appliedTo > 0) {
      r.raftLog.appliedTo(pending.appliedTo);
      if (r.role === Role.Leader) {
        let bytes = 0;
        for (const e of ready.committedEntries) bytes += entryBytes(e);
        r.uncommittedBytes = Math.max(0, r.uncommittedBytes - bytes);
      }
    }
    if (persisted > 0) r.onPersisted(persisted);
  }

  /** Decodes a committed membership change entry (for the host's apply loop). */
  static confChangeOf(entry: Entry): ConfChange {
    return decodeConfChange(entry.data);
  }

  status(): Status {
    const r = this.raft;
    const progress = new Map<number, ProgressStatus>();
    if (r.role === Role.Leader) {
      for (const [id, pr] of r.tracker.progress) {
        progress.set(id, { match: pr.match, next: pr.next, state: pr.state, isLearner: pr.isLearner, isWitness: pr.isWitness });
      }
    }
    return {
      id: r.id, term: r.term, vote: r.vote, commit: r.raftLog.committed, applied: r.raftLog.applied,
      lastIndex: r.raftLog.lastIndex(), lead: r.lead, role: r.role, leadTransferee: r.leadTransferee,
      confState: r.tracker.confState, progress,
    };
  }
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
