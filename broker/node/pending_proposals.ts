// Proposals this node made as leader, waiting for their entry to be applied. An entry applied at
// the proposal's LSN with the proposal's term is ours; any other entry there means a new leader
// overwrote it. A leader that steps down keeps waiting: the entry may still commit under the next
// leader. One that hears nothing within `timeoutMs` answers that the outcome is unknown.

import { ApplyResult } from '../stream/stream_group.js';
import { ServiceError } from './service_error.js';

interface Pending {
  term: number;
  deadlineMs: number;
  resolve(result: ApplyResult): void;
  reject(error: ServiceError): void;
}

export class PendingProposals {
  private readonly byGroup = new Map<number, Map<number, Pending>>();

  constructor(private readonly timeoutMs: number) {}

  wait(group: number, lsn: number, term: number, nowMs: number): Promise<ApplyResult> {
    return new Promise((resolve, reject) => {
      let g = this.byGroup.get(group);
      if (!g) this.byGroup.set(group, (g = new Map()));
      g.set(lsn, { term, deadlineMs: nowMs + this.timeoutMs, resolve, reject });
    });
  }

  /** The entry at `lsn` was applied; `result` is undefined for entries the state machine never saw. */
  applied(group: number, lsn: number, term: number, result: ApplyResult | undefined): void {
    const g = this.byGroup.get(group);
    const p = g?.get(lsn);
    if (!g || !p) return;
    g.delete(lsn);
    if (p.term === term && result) p.resolve(result);
    else p.reject(new ServiceError('LeaderChanged', `the write at LSN ${lsn} was replaced by a new leader of raft group ${group} before it committed; it was not applied: retry it`));
  }

  /** Fails proposals whose deadline passed; returns how many. */
  expire(nowMs: number): number {
    let n = 0;
    for (const [group, g] of this.byGroup) {
      for (const [lsn, p] of g) {
        if (p.deadlineMs > nowMs) continue;
        g.delete(lsn);
        n++;
        p.reject(new ServiceError('Timeout', `no outcome for the write at LSN ${lsn} of raft group ${group} within the deadline (leader lost?); it may or may not be applied: read the table before retrying`));
      }
    }
    return n;
  }

  /** The node is stopping or the group is gone. */
  failAll(group: number | undefined, error: ServiceError): void {
    for (const [id, g] of this.byGroup) {
      if (group !== undefined && id !== group) continue;
      for (const p of g.values()) p.reject(error);
      g.clear();
    }
  }

  count(): number {
    let n = 0;
    for (const g of this.byGroup.values()) n += g.size;
    return n;
  }
}
