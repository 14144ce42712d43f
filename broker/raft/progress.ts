// The leader's view of one follower, and the flow-control state machine that decides how much to
// send it (see docs/raft.md):
//   Probe     - we do not know where its log ends; send one append per heartbeat and wait.
//   Replicate - its log matches ours up to `match`; stream appends optimistically, bounded by inflights.
//   Snapshot  - it needs a snapshot; send nothing else until it reports one applied or the send fails.

import { Inflights } from './inflights.js';

export enum ProgressState {
  Probe = 'Probe',
  Replicate = 'Replicate',
  Snapshot = 'Snapshot',
}

export class Progress {
  match = 0; // highest index known to be persisted on the follower
  next: number; // next index to send; invariant: match < next
  state = ProgressState.Probe;
  pendingSnapshot = 0; // index of the snapshot in flight, while in Snapshot state
  snapshotElapsedTicks = 0; // a lost snapshot is retried after an election timeout
  probeSent = false; // in Probe state: an append is out, wait for its answer or a heartbeat
  recentActive = false; // heard from since the last check-quorum round
  readonly inflights: Inflights;

  constructor(next: number, maxInflightMsgs: number, maxInflightBytes: number, public isLearner: boolean, public isWitness: boolean) {
    this.next = next;
    this.inflights = new Inflights(maxInflightMsgs, maxInflightBytes);
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotElapsedTicks = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      const pending = this.pendingSnapshot;
      this.resetState(ProgressState.Probe);
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState(ProgressState.Probe);
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
  }

  /** An acknowledgement up to n: returns true if it moved `match` forward. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /** An append was sent up to lastIndex: pipeline the next one without waiting (Replicate only). */
  sentEntries(lastIndex: number, bytes: number): void {
    if (this.state === ProgressState.Replicate) {
      this.next = lastIndex + 1;
      this.inflights.add(lastIndex, bytes);
    } else if (this.state === ProgressState.Probe) {
      this.probeSent = true;
    }
  }

  /**
   * A rejection of the append at `rejected`; `matchHint` is where the follower's log may match.
   * Returns false for a stale rejection that must be ignored.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false; // stale: already acknowledged past it
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false; // stale: not the append we are waiting for
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.probeSent;
      case ProgressState.Replicate:
        return this.inflights.full();
      case ProgressState.Snapshot:
        return true;
    }
  }
}
