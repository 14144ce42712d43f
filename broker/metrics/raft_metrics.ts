// Per Raft group: role, term, leader, commit / applied / last LSN and each follower's lag (read
// from Raft's status at scrape time), and the events no state keeps: elections this node started,
// leader changes it saw, snapshots sent or held back.

import { Counter, Registry } from 'prom-client';
import type { StreamNodeListener } from '../node/stream_node.js';
import { NONE, Role } from '../raft/types.js';
import { Fill, collectedGauge } from './collected_metrics.js';
import type { ObservedNode } from './observed_node.js';
import { SubjectSeries } from './subject_series.js';

const ROLES: readonly Role[] = [Role.Leader, Role.Follower, Role.Candidate, Role.PreCandidate];

/** The `role` label: leader, follower, candidate, precandidate. */
export function roleLabel(role: Role): string {
  return role.toLowerCase();
}

export class RaftMetrics implements StreamNodeListener {
  private readonly series = new SubjectSeries(); // subject: the group id
  private readonly lastLead = new Map<number, number>();
  private readonly elections: Counter<'group'>;
  private readonly leaderChanges: Counter<'group'>;
  private readonly snapshots: Counter<'group' | 'outcome'>;

  constructor(registry: Registry, private readonly node: ObservedNode) {
    const each = (value: (group: number) => number): Fill<'group'> => (set) => {
      for (const id of node.groupIds()) set({ group: String(id) }, value(id));
    };
    collectedGauge(registry, 'shoal_raft_role', 'Role of this node in the group: 1 for its current role, 0 for the others', ['group', 'role'], (set) => {
      for (const id of node.groupIds()) {
        const role = node.status(id).role;
        for (const r of ROLES) set({ group: String(id), role: roleLabel(r) }, r === role ? 1 : 0);
      }
    });
    collectedGauge(registry, 'shoal_raft_term', 'Current Raft term of the group on this node', ['group'], each((id) => node.status(id).term));
    collectedGauge(registry, 'shoal_raft_leader_id', 'Node id of the leader this node knows (0: none known)', ['group'], each((id) => node.status(id).lead));
    collectedGauge(registry, 'shoal_raft_commit_lsn', 'Highest LSN this node knows is committed', ['group'], each((id) => node.status(id).commit));
    collectedGauge(registry, 'shoal_raft_applied_lsn', 'Highest LSN applied to the state machine on this node', ['group'], each((id) => node.status(id).applied));
    collectedGauge(registry, 'shoal_raft_last_lsn', 'LSN of the last entry in this node\'s log', ['group'], each((id) => node.status(id).lastIndex));
    collectedGauge(registry, 'shoal_raft_follower_match_lag', 'On the leader only: entries of the leader\'s log a follower is not known to hold (last LSN - match)', ['group', 'peer'], (set) => {
      for (const id of node.groupIds()) {
        const s = node.status(id);
        if (s.role !== Role.Leader) continue;
        for (const [peer, pr] of s.progress) if (peer !== s.id) set({ group: String(id), peer: String(peer) }, Math.max(0, s.lastIndex - pr.match));
      }
    });
    collectedGauge(registry, 'shoal_raft_state_writer_queued_bytes', 'Applied state waiting for the state store; writes are refused with Busy above the limit', ['group'], each((id) => node.group(id).writer.queuedBytes));
    collectedGauge(registry, 'shoal_raft_pending_proposals', 'Proposals this node made as leader, waiting to be applied', [], (set) => set({}, node.stats().pendingProposals));

    // Event counters: collect() only prunes groups this node left and makes every hosted group's series exist.
    const refresh = (): void => this.refreshSeries();
    this.elections = new Counter({ name: 'shoal_raft_elections_started_total', help: 'Elections this node started as a candidate (pre-votes not counted)', labelNames: ['group'], registers: [registry], collect: refresh });
    this.leaderChanges = new Counter({ name: 'shoal_raft_leader_changes_total', help: 'Times this node saw the group get a different leader (the first one known after start counts)', labelNames: ['group'], registers: [registry], collect: refresh });
    this.snapshots = new Counter({ name: 'shoal_raft_snapshots_total', help: 'Raft snapshots for followers: sent, or withheld (a state store cannot be streamed yet)', labelNames: ['group', 'outcome'], registers: [registry], collect: refresh });
  }

  private refreshSeries(): void {
    const ids = this.node.groupIds();
    this.series.retainOnly(new Set(ids.map(String)));
    for (const id of ids) {
      const group = String(id);
      this.series.inc(group, this.elections, { group }, 0);
      this.series.inc(group, this.leaderChanges, { group }, 0);
      this.series.inc(group, this.snapshots, { group, outcome: 'sent' }, 0);
      this.series.inc(group, this.snapshots, { group, outcome: 'withheld' }, 0);
    }
  }

  // ---- StreamNodeListener ------------------------------------------------------------------------

  electionStarted(group: number): void {
    this.series.inc(String(group), this.elections, { group: String(group) });
  }

  roleChanged(group: number, _role: Role, _term: number, lead: number): void {
    if (lead === NONE || this.lastLead.get(group) === lead) return;
    this.lastLead.set(group, lead);
    this.series.inc(String(group), this.leaderChanges, { group: String(group) });
  }

  snapshotTransfer(group: number, _to: number, outcome: 'sent' | 'withheld'): void {
    this.series.inc(String(group), this.snapshots, { group: String(group), outcome });
  }
}
