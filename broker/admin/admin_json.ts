// The admin API's JSON documents, built from one node's snapshot. Every document says which node
// served it (`servedBy`): a follower answers from what it has applied, which may trail the leader by
// a few entries (see appliedLsn), and only a group's leader serves (so lists) live subscriptions.

import { siteText } from '../../config/index.js';
import { Role } from '../raft/types.js';
import { ClusterSnapshot, GroupView, NodeSite, Reach } from './cluster_snapshot.js';

/** A member's role as this node sees it: its own role exactly, the known leader, the rest by configuration. */
export type MemberRole = 'leader' | 'follower' | 'candidate' | 'preCandidate' | 'learner' | 'witness' | 'unknown';
/** 'unknown': no peer link to that node (it shares no group with this one). */
export type MemberState = 'up' | 'unreachable' | 'unknown';

export interface MemberJson {
  nodeId: number;
  site: string;
  alias: string;
  /** TuGraph's rpc_address / rest_address: one port serves both here. */
  rpcAddress: string;
  restAddress: string;
  role: MemberRole;
  state: MemberState;
}

export function stateOf(reach: Reach): MemberState {
  return reach === 'self' || reach === 'connected' ? 'up' : reach === 'disconnected' ? 'unreachable' : 'unknown';
}

function roleName(role: Role): MemberRole {
  switch (role) {
    case Role.Leader: return 'leader';
    case Role.Follower: return 'follower';
    case Role.Candidate: return 'candidate';
    case Role.PreCandidate: return 'preCandidate';
  }
}

class SiteIndex {
  private readonly byId: Map<number, NodeSite>;
  constructor(readonly s: ClusterSnapshot) {
    this.byId = new Map(s.sites.map((site) => [site.nodeId, site]));
  }
  get servedBy(): string {
    return this.text(this.s.nodeId);
  }
  /** `host:port:alias`, '' for 0 (no leader) or an id the cluster files do not name. */
  text(id: number): string {
    const site = this.byId.get(id);
    return site ? siteText(site) : '';
  }
  site(id: number): NodeSite | undefined {
    return this.byId.get(id);
  }
}

function membersOf(g: GroupView): number[] {
  return [...new Set([...g.voters, ...g.learners, ...g.witnesses])].sort((a, b) => a - b);
}

function memberJson(sites: SiteIndex, g: GroupView, id: number): MemberJson {
  const site = sites.site(id);
  const host = site ? `${site.host}:${site.port}` : '';
  let role: MemberRole;
  if (g.raft === undefined) role = 'unknown';
  else if (id === sites.s.nodeId) role = roleName(g.raft.role);
  else if (id === g.raft.lead) role = 'leader';
  else if (g.witnesses.includes(id)) role = 'witness';
  else if (g.learners.includes(id)) role = 'learner';
  else role = 'follower';
  return {
    nodeId: id, site: sites.text(id), alias: site?.alias ?? '', rpcAddress: host, restAddress: host === '' ? '' : `http://${host}`,
    role, state: site ? stateOf(site.reach) : 'unknown',
  };
}

/** GET /info/peers: the members of every HA group with their role and state (TuGraph's /info/peers, per group). */
export function peersJson(s: ClusterSnapshot): object {
  const sites = new SiteIndex(s);
  return {
    servedBy: sites.servedBy,
    groups: s.groups.filter((g) => g.ha).map((g) => ({
      id: g.id,
      member: g.raft !== undefined,
      leader: g.raft ? sites.text(g.raft.lead) : '',
      term: g.raft?.term ?? null,
      appliedLsn: g.raft?.appliedLsn ?? null,
      peers: membersOf(g).map((id) => memberJson(sites, g, id)),
    })),
  };
}

/** GET /api/groups: every group this node hosts (its own group 1 too) and every configured HA group. */
export function groupsJson(s: ClusterSnapshot): object {
  const sites = new SiteIndex(s);
  return {
    servedBy: sites.servedBy,
    groups: s.groups.map((g) => {
      const r = g.raft;
      return {
        id: g.id, ha: g.ha, member: r !== undefined,
        leader: r ? sites.text(r.lead) : '',
        role: r ? roleName(r.role) : null,
        term: r?.term ?? null, commitLsn: r?.commitLsn ?? null, appliedLsn: r?.appliedLsn ?? null, lastLsn: r?.lastLsn ?? null,
        members: membersOf(g).map((id) => memberJson(sites, g, id)),
        // Only a leader tracks its followers' logs.
        followers: r && r.role === Role.Leader
          ? r.followers.map((f) => ({ site: sites.text(f.nodeId), matchLsn: f.matchLsn, lagEntries: Math.max(0, r.lastLsn - f.matchLsn), state: f.state }))
          : null,
      };
    }),
  };
}

/** GET /api/tables: the tables of the groups this node hosts, as far as it has applied them. */
export function tablesJson(s: ClusterSnapshot): object {
  const sites = new SiteIndex(s);
  const groups = new Map(s.groups.map((g) => [g.id, g]));
  return {
    servedBy: sites.servedBy,
    tables: [...s.tables].sort((a, b) => a.name.localeCompare(b.name)).map((t) => {
      const g = groups.get(t.group);
      return {
        name: t.name, group: t.group, ha: g?.ha ?? t.group !== 1,
        rows: t.nextOffset, firstOffset: t.firstRetainedOffset, nextOffset: t.nextOffset,
        cachedRows: t.cachedRows, cacheLimit: t.cacheLimit,
        keyed: t.keyColumns.length > 0, keyColumns: t.keyColumns, keyCount: t.keyCount,
        retentionMinutes: t.retentionMinutes, filterColumn: t.filterColumn,
        leader: g?.raft ? sites.text(g.raft.lead) : '', appliedLsn: g?.raft?.appliedLsn ?? null,
      };
    }),
  };
}

/** `<cluster>_<group>/<table>/<action>` -> action. */
function actionOf(topic: string): string {
  return topic.slice(topic.lastIndexOf('/') + 1);
}

/**
 * GET /api/subscriptions: the live subscriptions this node serves (it leads their group), then the
 * topics with a persisted offset that are not live here (served by another node, or not connected).
 */
export function subscriptionsJson(s: ClusterSnapshot): object {
  const sites = new SiteIndex(s);
  const nextOffsetOf = new Map(s.tables.map((t) => [`${t.group}/${t.name}`, t.nextOffset]));
  const persisted = new Map<string, number>();
  for (const g of s.groups) for (const [topic, offset] of g.persistedOffsets) persisted.set(topic, offset);
  const live = s.subscriptions.map((sub) => ({
    topic: sub.topic, group: sub.group, table: sub.table, action: actionOf(sub.topic), live: true,
    nextOffset: sub.nextOffset, deliveredOffset: sub.nextOffset - 1, lagRows: sub.lagRows, rowsDelivered: sub.rowsDelivered,
    catchingUp: sub.catchingUp, persistedOffset: persisted.get(sub.topic) ?? null, clientAddress: sub.clientAddress ?? null,
  }));
  const liveTopics = new Set(s.subscriptions.map((sub) => sub.topic));
  const others = [];
  for (const g of s.groups) {
    for (const [topic, offset] of g.persistedOffsets) {
      if (liveTopics.has(topic)) continue;
      const table = topic.split('/')[1] ?? '';
      const tableNext = nextOffsetOf.get(`${g.id}/${table}`);
      others.push({
        topic, group: g.id, table, action: actionOf(topic), live: false,
        nextOffset: null, deliveredOffset: null, lagRows: tableNext === undefined ? null : Math.max(0, tableNext - offset - 1), rowsDelivered: null,
        catchingUp: null, persistedOffset: offset, clientAddress: null,
      });
    }
  }
  const leads = s.groups.filter((g) => g.raft?.role === Role.Leader).map((g) => g.id);
  return {
    servedBy: sites.servedBy,
    leaderOf: leads,
    note: 'live subscriptions are served by the leader of their group; on other nodes only topics with a persisted offset (ackOffset) are listed, with the lag behind that offset',
    subscriptions: [...live.sort((a, b) => a.topic.localeCompare(b.topic)), ...others.sort((a, b) => a.topic.localeCompare(b.topic))],
  };
}

/** GET /api/nodes: every data node of the cluster files, whether this node reaches it, and the groups it leads as far as this node knows. */
export function nodesJson(s: ClusterSnapshot): object {
  const sites = new SiteIndex(s);
  return {
    servedBy: sites.servedBy,
    nodes: s.sites.map((site) => ({
      nodeId: site.nodeId, alias: site.alias, site: siteText(site), host: site.host, port: site.port, url: `http://${site.host}:${site.port}/`,
      self: site.nodeId === s.nodeId, reach: site.reach, state: stateOf(site.reach),
      groups: s.groups.filter((g) => g.ha && membersOf(g).includes(site.nodeId)).map((g) => g.id),
      leaderOf: s.groups.filter((g) => g.ha && g.raft?.lead === site.nodeId).map((g) => g.id),
    })),
  };
}
