// The simulator's safety checks, run all along a simulation. Each violation is named after the
// Raft property it breaks (Figure 3 of the Raft paper) and carries an example.

import { RawNode } from '../../broker/raft/raw_node.js';
import { EntryType, Entry, Role } from '../../broker/raft/types.js';

const decoder = new TextDecoder();

interface CommittedEntry {
  term: number;
  data: string;
  type: EntryType;
}

export class SafetyChecker {
  readonly violations: string[] = [];
  private readonly leaderOfTerm = new Map<string, number>(); // "group:term" -> node
  private readonly committed = new Map<number, Map<number, CommittedEntry>>(); // group -> LSN -> entry
  private readonly lastApplied = new Map<string, number>(); // "node:group" -> LSN
  // group -> LSN -> the term of the leader that committed it (leaders commit only in their own term)
  private readonly commitTermOf = new Map<number, Map<number, number>>();
  private readonly commitTermRecordedUpTo = new Map<number, number>();
  readonly counts = { leadersSeen: 0, entriesApplied: 0, logPairsCompared: 0, witnessApplyChecks: 0, snapshotsRestored: 0 };

  violate(kind: string, detail: string): void {
    if (this.violations.length < 20) this.violations.push(`${kind}: ${detail}`);
  }

  /** Election Safety: at most one leader per term. Also Leader Completeness for a new leader. */
  observeRole(node: number, group: number, raw: RawNode): void {
    const r = raw.raft;
    if (r.role !== Role.Leader) return;
    this.recordCommitTerms(group, raw);
    const key = `${group}:${r.term}`;
    const known = this.leaderOfTerm.get(key);
    if (known === undefined) {
      this.leaderOfTerm.set(key, node);
      this.counts.leadersSeen++;
      this.checkLeaderCompleteness(node, group, raw);
    } else if (known !== node) {
      this.violate('two leaders in one term', `group ${group} term ${r.term}: nodes ${known} and ${node}`);
    }
  }

  /** Called right after every step of a leader: LSNs its commit index just passed were committed in its term. */
  private recordCommitTerms(group: number, raw: RawNode): void {
    const r = raw.raft;
    const from = (this.commitTermRecordedUpTo.get(group) ?? 0) + 1;
    if (r.raftLog.committed < from) return;
    let terms = this.commitTermOf.get(group);
    if (!terms) this.commitTermOf.set(group, (terms = new Map()));
    for (let i = from; i <= r.raftLog.committed; i++) terms.set(i, r.term);
    this.commitTermRecordedUpTo.set(group, r.raftLog.committed);
  }

  /**
   * Leader Completeness (§5.4): an entry committed in term T is in the log of every leader of a
   * term above T. A leader of an older term may still be elected late (delayed votes) and lack it.
   */
  private checkLeaderCompleteness(node: number, group: number, raw: RawNode): void {
    const log = raw.raft.raftLog;
    const first = log.firstIndex();
    const commitTerms = this.commitTermOf.get(group);
    for (const [index, c] of this.committed.get(group) ?? []) {
      if (index < first) continue; // covered by its snapshot, checked when the snapshot was restored
      const committedInTerm = commitTerms?.get(index);
      if (committedInTerm === undefined || committedInTerm >= raw.raft.term) continue;
      const term = log.term(index);
      if (term !== c.term) {
        this.violate('committed entry lost', `group ${group}: new leader ${node} (term ${raw.raft.term}) has term ${term} at LSN ${index}, committed with term ${c.term}`);
        return;
      }
    }
  }

  /** State Machine Safety: every replica applies the same entry at each LSN, in order, without gaps. */
  observeApply(node: number, group: number, entry: Entry, isWitness: boolean): void {
    this.counts.entriesApplied++;
    this.recordCommitted(node, group, entry.index, { term: entry.term, data: decoder.decode(entry.data), type: entry.type });
    if (isWitness) return; // a witness sees membership changes only
    const key = `${node}:${group}`;
    const last = this.lastApplied.get(key);
    if (last !== undefined && entry.index !== last + 1) {
      this.violate('applied out of order', `node ${node} group ${group} applied LSN ${entry.index} after ${last}`);
    }
    this.lastApplied.set(key, entry.index);
  }

  private recordCommitted(node: number, group: number, index: number, e: CommittedEntry): void {
    let g = this.committed.get(group);
    if (!g) this.committed.set(group, (g = new Map()));
    const known = g.get(index);
    if (!known) g.set(index, e);
    else if (known.term !== e.term || known.data !== e.data || known.type !== e.type) {
      this.violate('replicas applied different entries', `group ${group} LSN ${index}: node ${node} applied term ${e.term} "${e.data}", another applied term ${known.term} "${known.data}"`);
    }
  }

  /** A restored snapshot must hold exactly the committed entries up to its LSN. */
  observeRestore(node: number, group: number, snapshotIndex: number, applied: Array<{ index: number; term: number; data: string }>): void {
    this.counts.snapshotsRestored++;
    this.lastApplied.set(`${node}:${group}`, snapshotIndex);
    const g = this.committed.get(group);
    for (const a of applied) {
      const known = g?.get(a.index);
      if (known && (known.term !== a.term || known.data !== a.data)) {
        this.violate('snapshot disagrees with committed log', `node ${node} group ${group} LSN ${a.index}: snapshot has "${a.data}", committed "${known.data}"`);
        return;
      }
      if (!known) this.recordCommitted(node, group, a.index, { term: a.term, data: a.data, type: EntryType.Normal });
    }
  }

  /** The host applied a normal entry on a witness: never allowed. */
  observeWitnessApply(node: number, group: number, index: number): void {
    this.violate('witness applied data', `node ${node} group ${group} LSN ${index}`);
  }

  noteWitnessCheck(): void {
    this.counts.witnessApplyChecks++;
  }

  /** Log Matching: if two logs hold an entry with the same LSN and term, they agree up to it. */
  checkLogMatching(group: number, logs: Array<{ node: number; raw: RawNode }>): void {
    for (let i = 0; i < logs.length; i++) {
      for (let j = i + 1; j < logs.length; j++) this.compareLogs(group, logs[i]!, logs[j]!);
    }
  }

  private compareLogs(group: number, a: { node: number; raw: RawNode }, b: { node: number; raw: RawNode }): void {
    this.counts.logPairsCompared++;
    const la = a.raw.raft.raftLog;
    const lb = b.raw.raft.raftLog;
    const lo = Math.max(la.firstIndex(), lb.firstIndex());
    const hi = Math.min(la.lastIndex(), lb.lastIndex());
    let top = -1;
    for (let i = hi; i >= lo; i--) {
      if (la.term(i) === lb.term(i)) {
        top = i;
        break;
      }
    }
    if (top < lo) return;
    const ea = la.slice(lo, top + 1, Number.MAX_SAFE_INTEGER) ?? [];
    const eb = lb.slice(lo, top + 1, Number.MAX_SAFE_INTEGER) ?? [];
    for (let k = 0; k < ea.length && k < eb.length; k++) {
      const x = ea[k]!;
      const y = eb[k]!;
      if (x.term !== y.term || decoder.decode(x.data) !== decoder.decode(y.data)) {
        this.violate('log matching broken', `group ${group}: nodes ${a.node} and ${b.node} agree at LSN ${top} but differ at LSN ${x.index} (terms ${x.term}/${y.term})`);
        return;
      }
    }
  }

  committedCount(group: number): number {
    return this.committed.get(group)?.size ?? 0;
  }
}
