// What one node knows about the cluster at one moment, as plain data: the data nodes and whether it
// reaches them, the Raft state of the groups it hosts, its tables and the subscriptions it serves.
// The admin API's JSON is built from a snapshot (admin_json.ts), so the builders can be tested with
// fake state; liveSnapshot() reads one from a running data node's parts, without any I/O.

import { Role } from '../raft/types.js';
import { LOCAL_GROUP, NodeDirectory } from '../node/node_directory.js';
import { StreamNode } from '../node/stream_node.js';
import { SubscriberSink, SubscriptionHub } from '../node/subscription_hub.js';
import { PeerLinks } from '../server/peer_links.js';
import { ClientConnection } from '../server/node_server.js';

/** How this node reaches another: 'noLink' when they share no group, so no peer link exists. */
export type Reach = 'self' | 'connected' | 'disconnected' | 'noLink';

export interface NodeSite {
  nodeId: number;
  host: string;
  port: number;
  alias: string;
  reach: Reach;
}

export interface FollowerProgress {
  nodeId: number;
  matchLsn: number;
  nextLsn: number;
  /** Raft's progress state (Probe, Replicate, Snapshot). */
  state: string;
}

/** This node's Raft state of a group it hosts. */
export interface RaftView {
  role: Role;
  term: number;
  /** 0: no leader known. */
  lead: number;
  commitLsn: number;
  appliedLsn: number;
  lastLsn: number;
  /** Filled only while this node leads the group. */
  followers: FollowerProgress[];
}

export interface GroupView {
  id: number;
  /** false for group 1, the node's own group of regular (non-HA) tables. */
  ha: boolean;
  voters: number[];
  learners: number[];
  witnesses: number[];
  /** undefined when this node is not a member (then the members are the configured ones). */
  raft: RaftView | undefined;
  /** topic -> offset persisted by ackOffset (replicated: every member knows it). */
  persistedOffsets: ReadonlyMap<string, number>;
}

export interface TableView {
  name: string;
  group: number;
  nextOffset: number;
  firstRetainedOffset: number;
  cachedRows: number;
  cacheLimit: number;
  keyColumns: string[];
  keyCount: number;
  retentionMinutes: number;
  filterColumn: string;
}

/** A subscription this node pushes rows to (only a group's leader serves subscriptions). */
export interface SubscriptionView {
  topic: string;
  group: number;
  table: string;
  nextOffset: number;
  lagRows: number;
  rowsDelivered: number;
  catchingUp: boolean;
  clientAddress: string | undefined;
}

export interface ClusterSnapshot {
  nodeId: number;
  sites: NodeSite[];
  groups: GroupView[];
  tables: TableView[];
  subscriptions: SubscriptionView[];
}

/** The parts of a running data node a snapshot is read from. */
export interface LiveNodeParts {
  directory: NodeDirectory;
  /** The data nodes among the directory's ids (cluster.nodes also names controllers and agents). */
  dataNodeIds: readonly number[];
  nodeId: number;
  stream: StreamNode;
  hub: SubscriptionHub;
  links: PeerLinks;
  /** Open client connections and their sessions, to name the client of a subscription. */
  sessions: ReadonlyMap<ClientConnection, SubscriberSink>;
}

export function liveSnapshot(p: LiveNodeParts): ClusterSnapshot {
  const linkStats = p.links.stats().perPeer;
  const sites: NodeSite[] = [];
  for (const id of p.dataNodeIds) {
    const s = p.directory.site(id);
    if (s === undefined) continue;
    const link = linkStats.get(id);
    const reach: Reach = id === p.nodeId ? 'self' : link === undefined ? 'noLink' : link.connected ? 'connected' : 'disconnected';
    sites.push({ nodeId: id, host: s.host, port: s.port, alias: s.alias, reach });
  }

  const groups: GroupView[] = [];
  const tables: TableView[] = [];
  const hosted = new Set(p.stream.groupIds());
  for (const id of [...hosted].sort((a, b) => a - b)) {
    const status = p.stream.status(id);
    const g = p.stream.group(id);
    const followers: FollowerProgress[] = [...status.progress]
      .filter(([nodeId]) => nodeId !== p.nodeId)
      .map(([nodeId, pr]) => ({ nodeId, matchLsn: pr.match, nextLsn: pr.next, state: pr.state }));
    groups.push({
      id, ha: id !== LOCAL_GROUP,
      voters: [...status.confState.voters], learners: [...status.confState.learners], witnesses: [...status.confState.witnesses],
      raft: { role: status.role, term: status.term, lead: status.lead, commitLsn: status.commit, appliedLsn: g.appliedLsn, lastLsn: status.lastIndex, followers },
      persistedOffsets: new Map(g.offsets),
    });
    for (const t of g.tables.values()) {
      const d = t.definition;
      tables.push({
        name: t.name, group: id, nextOffset: t.nextOffset, firstRetainedOffset: t.rows.firstRetainedOffset, cachedRows: t.rows.cachedRows,
        cacheLimit: d.cacheLimit, keyColumns: [...d.keyColumns], keyCount: t.keyCount, retentionMinutes: d.retentionMinutes, filterColumn: d.filterColumn,
      });
    }
  }
  for (const g of p.directory.streamingGroups) {
    if (!hosted.has(g.id)) groups.push({ id: g.id, ha: true, voters: [...g.members], learners: [], witnesses: [], raft: undefined, persistedOffsets: new Map() });
  }
  groups.sort((a, b) => a.id - b.id);

  const addressOf = new Map<SubscriberSink, string>();
  for (const [connection, sink] of p.sessions) addressOf.set(sink, connection.remoteAddress);
  const subscriptions: SubscriptionView[] = p.hub.list().map((s) => {
    const sink = p.hub.sinkOf(s.topic);
    return {
      topic: s.topic, group: s.group, table: s.table, nextOffset: s.nextOffset, lagRows: s.lagRows, rowsDelivered: s.delivered,
      catchingUp: s.catchingUp, clientAddress: sink === undefined ? undefined : addressOf.get(sink),
    };
  });
  return { nodeId: p.nodeId, sites, groups, tables, subscriptions };
}
