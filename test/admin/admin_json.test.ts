// The admin API's documents, built from a fake snapshot: node 1 of three, following group 2 (led by
// node 2, node 3 unreachable), leading group 4, not hosting group 3.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Role } from '../../broker/raft/types.js';
import { ClusterSnapshot, GroupView } from '../../broker/admin/cluster_snapshot.js';
import { groupsJson, nodesJson, peersJson, subscriptionsJson, tablesJson } from '../../broker/admin/admin_json.js';

function raft(role: Role, lead: number, extra: Partial<NonNullable<GroupView['raft']>> = {}): NonNullable<GroupView['raft']> {
  return { role, term: 7, lead, commitLsn: 40, appliedLsn: 39, lastLsn: 41, followers: [], ...extra };
}

function snapshot(): ClusterSnapshot {
  return {
    nodeId: 1,
    sites: [
      { nodeId: 1, host: '127.0.0.1', port: 8901, alias: 'dn1', reach: 'self' },
      { nodeId: 2, host: '127.0.0.1', port: 8902, alias: 'dn2', reach: 'connected' },
      { nodeId: 3, host: '127.0.0.1', port: 8903, alias: 'dn3', reach: 'disconnected' },
      { nodeId: 4, host: '127.0.0.1', port: 8904, alias: 'dn4', reach: 'noLink' },
    ],
    groups: [
      { id: 1, ha: false, voters: [1], learners: [], witnesses: [], raft: raft(Role.Leader, 1), persistedOffsets: new Map() },
      { id: 2, ha: true, voters: [1, 2, 3], learners: [], witnesses: [], raft: raft(Role.Follower, 2), persistedOffsets: new Map([['c_2/trades/audit', 9], ['c_2/trades/live', 3]]) },
      { id: 3, ha: true, voters: [2, 3, 4], learners: [], witnesses: [], raft: undefined, persistedOffsets: new Map() },
      {
        id: 4, ha: true, voters: [1, 2], learners: [], witnesses: [3],
        raft: raft(Role.Leader, 1, { lastLsn: 50, followers: [{ nodeId: 2, matchLsn: 50, nextLsn: 51, state: 'Replicate' }, { nodeId: 3, matchLsn: 20, nextLsn: 21, state: 'Probe' }] }),
        persistedOffsets: new Map(),
      },
    ],
    tables: [
      { name: 'trades', group: 2, nextOffset: 100, firstRetainedOffset: 10, cachedRows: 50, cacheLimit: 50, keyColumns: ['id'], keyCount: 100, retentionMinutes: 1440, filterColumn: '' },
      { name: 'local_t', group: 1, nextOffset: 5, firstRetainedOffset: 0, cachedRows: 5, cacheLimit: 1000, keyColumns: [], keyCount: 0, retentionMinutes: 60, filterColumn: 'sym' },
      { name: 'quotes', group: 4, nextOffset: 30, firstRetainedOffset: 0, cachedRows: 30, cacheLimit: 1000, keyColumns: [], keyCount: 0, retentionMinutes: 60, filterColumn: '' },
    ],
    subscriptions: [
      { topic: 'c_4/quotes/feed', group: 4, table: 'quotes', nextOffset: 25, lagRows: 5, rowsDelivered: 25, catchingUp: true, clientAddress: '127.0.0.1' },
    ],
  };
}

test('/info/peers: each HA group with its members, the leader named, roles from this node, state from its links', () => {
  const doc = peersJson(snapshot()) as any;
  assert.equal(doc.servedBy, '127.0.0.1:8901:dn1');
  assert.deepEqual(doc.groups.map((g: any) => g.id), [2, 3, 4], 'group 1 (local tables) is not a peer group');
  const g2 = doc.groups[0];
  assert.equal(g2.leader, '127.0.0.1:8902:dn2');
  assert.equal(g2.member, true);
  assert.deepEqual(g2.peers.map((p: any) => [p.alias, p.role, p.state]), [['dn1', 'follower', 'up'], ['dn2', 'leader', 'up'], ['dn3', 'follower', 'unreachable']]);
  assert.equal(g2.peers[1].rpcAddress, '127.0.0.1:8902');
  assert.equal(g2.peers[1].restAddress, 'http://127.0.0.1:8902');
  const g3 = doc.groups[1];
  assert.equal(g3.member, false);
  assert.equal(g3.leader, '');
  assert.equal(g3.term, null);
  assert.deepEqual(g3.peers.map((p: any) => [p.alias, p.role, p.state]), [['dn2', 'unknown', 'up'], ['dn3', 'unknown', 'unreachable'], ['dn4', 'unknown', 'unknown']]);
  assert.deepEqual(doc.groups[2].peers.map((p: any) => p.role), ['leader', 'follower', 'witness']);
});

test('/api/groups: Raft numbers of hosted groups; follower progress only where this node leads', () => {
  const doc = groupsJson(snapshot()) as any;
  assert.deepEqual(doc.groups.map((g: any) => [g.id, g.ha, g.member, g.role]), [[1, false, true, 'leader'], [2, true, true, 'follower'], [3, true, false, null], [4, true, true, 'leader']]);
  const g2 = doc.groups[1];
  assert.deepEqual([g2.term, g2.commitLsn, g2.appliedLsn, g2.lastLsn, g2.followers], [7, 40, 39, 41, null]);
  const g4 = doc.groups[3];
  assert.deepEqual(g4.followers, [
    { site: '127.0.0.1:8902:dn2', matchLsn: 50, lagEntries: 0, state: 'Replicate' },
    { site: '127.0.0.1:8903:dn3', matchLsn: 20, lagEntries: 30, state: 'Probe' },
  ]);
});

test('/api/tables: rows and offsets, keyed, HA or local, with the group leader and applied LSN they come from', () => {
  const doc = tablesJson(snapshot()) as any;
  assert.deepEqual(doc.tables.map((t: any) => t.name), ['local_t', 'quotes', 'trades']);
  const trades = doc.tables[2];
  assert.deepEqual(
    [trades.rows, trades.firstOffset, trades.nextOffset, trades.cachedRows, trades.keyed, trades.keyColumns, trades.ha, trades.leader, trades.appliedLsn],
    [100, 10, 100, 50, true, ['id'], true, '127.0.0.1:8902:dn2', 39],
  );
  assert.equal(doc.tables[0].ha, false);
  assert.equal(doc.tables[0].keyed, false);
  assert.equal(doc.tables[0].filterColumn, 'sym');
});

test('/api/subscriptions: live ones with their client, then persisted topics with the lag behind their offset', () => {
  const doc = subscriptionsJson(snapshot()) as any;
  assert.deepEqual(doc.leaderOf, [1, 4]);
  assert.deepEqual(doc.subscriptions.map((s: any) => [s.topic, s.live]), [['c_4/quotes/feed', true], ['c_2/trades/audit', false], ['c_2/trades/live', false]]);
  const live = doc.subscriptions[0];
  assert.deepEqual([live.action, live.nextOffset, live.deliveredOffset, live.lagRows, live.rowsDelivered, live.catchingUp, live.clientAddress, live.persistedOffset], ['feed', 25, 24, 5, 25, true, '127.0.0.1', null]);
  const audit = doc.subscriptions[1];
  assert.deepEqual([audit.table, audit.action, audit.persistedOffset, audit.lagRows, audit.clientAddress], ['trades', 'audit', 9, 90, null]);
});

test('/api/nodes: every node, how this node reaches it, the HA groups it is in and leads', () => {
  const doc = nodesJson(snapshot()) as any;
  assert.deepEqual(doc.nodes.map((n: any) => [n.alias, n.self, n.reach, n.state]), [
    ['dn1', true, 'self', 'up'], ['dn2', false, 'connected', 'up'], ['dn3', false, 'disconnected', 'unreachable'], ['dn4', false, 'noLink', 'unknown'],
  ]);
  assert.equal(doc.nodes[1].url, 'http://127.0.0.1:8902/');
  assert.deepEqual(doc.nodes[0].groups, [2, 4]);
  assert.deepEqual(doc.nodes[0].leaderOf, [4]);
  assert.deepEqual(doc.nodes[1].leaderOf, [2]);
  assert.deepEqual(doc.nodes[3].groups, [3]);
});
