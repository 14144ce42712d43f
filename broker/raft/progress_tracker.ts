// The leader's table of followers, the current membership, and the votes of an election.

import { quorumMembers } from './conf_change.js';
import { Progress } from './progress.js';
import { VoteResult, committedIndex, voteResult } from './quorum.js';
import { ConfState, cloneConfState, emptyConfState } from './types.js';

export class ProgressTracker {
  confState: ConfState = emptyConfState();
  readonly progress = new Map<number, Progress>();
  readonly votes = new Map<number, boolean>();

  constructor(readonly maxInflightMsgs: number, readonly maxInflightBytes: number) {}

  /** Installs a membership; existing progress is kept, new members start probing at `nextIndex`. */
  setConfState(cs: ConfState, nextIndex: number): void {
    this.confState = cloneConfState(cs);
    const keep = new Set([...cs.voters, ...cs.learners, ...cs.witnesses]);
    for (const id of [...this.progress.keys()]) if (!keep.has(id)) this.progress.delete(id);
    for (const id of keep) {
      const isLearner = cs.learners.includes(id);
      const isWitness = cs.witnesses.includes(id);
      const pr = this.progress.get(id);
      if (pr) {
        pr.isLearner = isLearner;
        pr.isWitness = isWitness;
      } else {
        this.progress.set(id, new Progress(nextIndex, this.maxInflightMsgs, this.maxInflightBytes, isLearner, isWitness));
      }
    }
  }

  quorumMembers(): number[] {
    return quorumMembers(this.confState);
  }

  isVotingMember(id: number): boolean {
    return this.confState.voters.includes(id) || this.confState.witnesses.includes(id);
  }

  committed(): number {
    return committedIndex(this.quorumMembers(), (id) => this.progress.get(id)?.match ?? 0);
  }

  /** True if a quorum (counting `self`) was heard from recently; resets the marks for the next round. */
  quorumActive(self: number): boolean {
    const active = new Map<number, boolean>();
    for (const [id, pr] of this.progress) {
      active.set(id, id === self || pr.recentActive);
      if (id !== self) pr.recentActive = false;
    }
    return voteResult(this.quorumMembers(), active) === VoteResult.Won;
  }

  resetVotes(): void {
    this.votes.clear();
  }

  recordVote(id: number, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): VoteResult {
    return voteResult(this.quorumMembers(), this.votes);
  }

  forEachPeer(self: number, fn: (id: number, pr: Progress) => void): void {
    for (const [id, pr] of this.progress) if (id !== self) fn(id, pr);
  }
}
