// The registry's output for a node driven by hand: fake Raft status, tables and subscriptions,
// and the hooks called as the node would (elections, leader changes, applied appends, snapshots,
// WAL flushes, subscribes). Checks values, labels, and that a dropped table's or an ended
// subscription's series are gone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeMetrics, metricsRoute } from '../../broker/metrics/node_metrics.js';
import type { ClientCounts, ObservedGroup, ObservedHub, ObservedNode, ObservedStatus, ObservedSubscription, ObservedTable } from '../../broker/metrics/observed_node.js';
import type { StreamNodeListener } from '../../broker/node/stream_node.js';
import type { ProgressStatus } from '../../broker/raft/raw_node.js';
import { Role } from '../../broker/raft/types.js';
import type { AppendOutcome } from '../../broker/stream/stream_table.js';
import type { WalFlushObserver } from '../../storage/wal/write_ahead_log.js';
import { Exposition, find, parseExposition, value } from './exposition.js';

class FakeNode implements ObservedNode {
  readonly listeners: StreamNodeListener[] = [];
  readonly statuses = new Map<number, ObservedStatus>();
  readonly groups = new Map<number, { tables: Map<string, ObservedTable>; writer: { queuedBytes: number } }>();
  wal: WalFlushObserver | undefined;
  pendingProposals = 0;

  groupIds(): number[] {
    return [...this.statuses.keys()].sort((a, b) => a - b);
  }
  status(group: number): ObservedStatus {
    return this.statuses.get(group)!;
  }
  group(id: number): ObservedGroup {
    return this.groups.get(id)!;
  }
  stats(): { pendingProposals: number } {
    return { pendingProposals: this.pendingProposals };
  }
  observeWal(observer: WalFlushObserver): void {
    this.wal = observer;
  }

  host(group: number, status: Partial<ObservedStatus>): void {
    this.statuses.set(group, { id: 1, role: Role.Follower, term: 1, lead: 0, commit: 0, applied: 0, lastIndex: 0, progress: new Map(), ...status });
    if (!this.groups.has(group)) this.groups.set(group, { tables: new Map(), writer: { queuedBytes: 0 } });
  }
  addTable(group: number, name: string, t: Partial<{ nextOffset: number; keyCount: number; cachedRows: number; firstRetainedOffset: number }> = {}): void {
    this.groups.get(group)!.tables.set(name, { name, nextOffset: t.nextOffset ?? 0, keyCount: t.keyCount ?? 0, rows: { cachedRows: t.cachedRows ?? 0, firstRetainedOffset: t.firstRetainedOffset ?? 0 } });
  }
  /** As StreamNode does: apply removes the table, then tells the listeners. */
  dropTable(group: number, name: string): void {
    this.groups.get(group)!.tables.delete(name);
    for (const l of this.listeners) l.tableDropped?.(group, name);
  }
  emit(f: (l: StreamNodeListener) => void): void {
    for (const l of this.listeners) f(l);
  }
}

class FakeHub implements ObservedHub {
  subscriptions: ObservedSubscription[] = [];
  onSubscribed: ((group: number, table: string, topic: string) => void) | undefined;
  list(): ObservedSubscription[] {
    return this.subscriptions;
  }
}

function setup(): { node: FakeNode; hub: FakeHub; clients: ClientCounts; metrics: NodeMetrics } {
  const node = new FakeNode();
  const hub = new FakeHub();
  const clients: ClientCounts = { connections: 0, requests: 0, malformedFrames: 0, errorsByCode: new Map() };
  const metrics = new NodeMetrics({ nodeId: 1, site: '127.0.0.1:8902:datanode1', node, hub, clients: () => clients, peers: () => new Map([[2, { connected: true, queuedBytes: 10, sent: 5, dropped: 1, reconnects: 2 }]]) });
  return { node, hub, clients, metrics };
}

async function scrape(metrics: NodeMetrics): Promise<Exposition> {
  return parseExposition(await metrics.text());
}

function progress(match: number): ProgressStatus {
  return { match, next: match + 1, state: 'Replicate', isLearner: false, isWitness: false };
}

function outcome(o: Partial<AppendOutcome>): AppendOutcome {
  return { firstOffset: 0, rowsWritten: 0, rowsDropped: 0, ipc: undefined, repeated: false, ...o };
}

test('per group: role, term, leader, LSNs, and follower lag on the leader only', async () => {
  const { node, metrics } = setup();
  node.host(2, { role: Role.Leader, term: 7, lead: 1, commit: 40, applied: 39, lastIndex: 42, progress: new Map([[1, progress(42)], [2, progress(30)], [3, progress(42)]]) });
  node.host(3, { role: Role.Follower, term: 4, lead: 2, commit: 11, applied: 11, lastIndex: 12, progress: new Map() });
  node.groups.get(2)!.writer.queuedBytes = 1234;
  node.pendingProposals = 3;
  const e = await scrape(metrics);
  assert.equal(value(e, 'shoal_raft_role', { group: '2', role: 'leader' }), 1);
  assert.equal(value(e, 'shoal_raft_role', { group: '2', role: 'follower' }), 0);
  assert.equal(value(e, 'shoal_raft_role', { group: '3', role: 'follower' }), 1);
  assert.equal(find(e, 'shoal_raft_role', { group: '3' }).length, 4, 'one series per role');
  assert.equal(value(e, 'shoal_raft_term', { group: '2' }), 7);
  assert.equal(value(e, 'shoal_raft_leader_id', { group: '3' }), 2);
  assert.equal(value(e, 'shoal_raft_commit_lsn', { group: '2' }), 40);
  assert.equal(value(e, 'shoal_raft_applied_lsn', { group: '2' }), 39);
  assert.equal(value(e, 'shoal_raft_last_lsn', { group: '3' }), 12);
  assert.equal(value(e, 'shoal_raft_follower_match_lag', { group: '2', peer: '2' }), 12);
  assert.equal(value(e, 'shoal_raft_follower_match_lag', { group: '2', peer: '3' }), 0);
  assert.equal(find(e, 'shoal_raft_follower_match_lag', { peer: '1' }).length, 0, 'the leader is not its own follower');
  assert.equal(find(e, 'shoal_raft_follower_match_lag', { group: '3' }).length, 0, 'a follower reports no lag');
  assert.equal(value(e, 'shoal_raft_state_writer_queued_bytes', { group: '2' }), 1234);
  assert.equal(value(e, 'shoal_raft_pending_proposals'), 3);
  assert.equal(value(e, 'shoal_node_info', { node_id: '1', site: '127.0.0.1:8902:datanode1' }), 1);

  // Leadership moves: the gauges follow the state at the next scrape.
  node.host(2, { role: Role.Follower, term: 8, lead: 3, commit: 42, applied: 42, lastIndex: 42 });
  const later = await scrape(metrics);
  assert.equal(value(later, 'shoal_raft_role', { group: '2', role: 'leader' }), 0);
  assert.equal(find(later, 'shoal_raft_follower_match_lag').length, 0, 'lag series go when the node stops leading');
});

test('Raft events: elections started, leader changes, snapshots sent and withheld; series of a group left are removed', async () => {
  const { node, metrics } = setup();
  node.host(2, {});
  node.host(3, {});
  const before = await scrape(metrics);
  assert.equal(value(before, 'shoal_raft_elections_started_total', { group: '2' }), 0, 'zero before any event, so rate() works');
  assert.equal(value(before, 'shoal_raft_snapshots_total', { group: '3', outcome: 'withheld' }), 0);

  node.emit((l) => l.electionStarted?.(2, 5));
  node.emit((l) => l.electionStarted?.(2, 6));
  for (const lead of [1, 1, 0, 1, 3, 0, 2]) node.emit((l) => l.roleChanged?.(2, Role.Follower, 6, lead));
  node.emit((l) => l.snapshotTransfer?.(3, 2, 'withheld'));
  node.emit((l) => l.snapshotTransfer?.(3, 2, 'withheld'));
  node.emit((l) => l.snapshotTransfer?.(3, 1, 'sent'));
  const e = await scrape(metrics);
  assert.equal(value(e, 'shoal_raft_elections_started_total', { group: '2' }), 2);
  assert.equal(value(e, 'shoal_raft_elections_started_total', { group: '3' }), 0);
  assert.equal(value(e, 'shoal_raft_leader_changes_total', { group: '2' }), 3, 'none -> 1 -> 3 -> 2; a lost leader (0) and the same leader again are no change');
  assert.equal(value(e, 'shoal_raft_snapshots_total', { group: '3', outcome: 'withheld' }), 2);
  assert.equal(value(e, 'shoal_raft_snapshots_total', { group: '3', outcome: 'sent' }), 1);

  node.statuses.delete(3);
  node.groups.delete(3);
  const left = await scrape(metrics);
  for (const name of ['shoal_raft_term', 'shoal_raft_snapshots_total', 'shoal_raft_elections_started_total', 'shoal_raft_role']) {
    assert.equal(find(left, name, { group: '3' }).length, 0, `${name} of a group this node left`);
  }
});

test('per table: offsets and cache from state, rows/bytes/duplicates from applied appends; a dropped table\'s series are removed', async () => {
  const { node, metrics } = setup();
  node.host(2, {});
  node.addTable(2, 'trades', { nextOffset: 7, keyCount: 7, cachedRows: 5, firstRetainedOffset: 2 });
  node.addTable(2, 'ticks');
  node.emit((l) => l.appendApplied?.(2, 'trades', outcome({ rowsWritten: 5, rowsDropped: 2, ipc: new Uint8Array(300) })));
  node.emit((l) => l.appendApplied?.(2, 'trades', outcome({ rowsWritten: 2, rowsDropped: 0, ipc: new Uint8Array(100) })));
  node.emit((l) => l.appendApplied?.(2, 'trades', outcome({ rowsWritten: 0, rowsDropped: 4 }))); // every key seen
  node.emit((l) => l.appendApplied?.(2, 'trades', outcome({ rowsWritten: 2, rowsDropped: 1, repeated: true }))); // a producer's retry
  const e = await scrape(metrics);
  const trades = { group: '2', table: 'trades' };
  assert.equal(value(e, 'shoal_table_next_offset', trades), 7);
  assert.equal(value(e, 'shoal_table_first_offset', trades), 2);
  assert.equal(value(e, 'shoal_table_cached_rows', trades), 5);
  assert.equal(value(e, 'shoal_table_keys', trades), 7);
  assert.equal(value(e, 'shoal_table_rows_appended_total', trades), 7);
  assert.equal(value(e, 'shoal_table_bytes_appended_total', trades), 400);
  assert.equal(value(e, 'shoal_table_duplicate_rows_dropped_total', { ...trades, reason: 'key' }), 6);
  assert.equal(value(e, 'shoal_table_duplicate_rows_dropped_total', { ...trades, reason: 'producer_repeat' }), 3, 'a repeat drops every row it carried');
  assert.equal(value(e, 'shoal_table_rows_appended_total', { group: '2', table: 'ticks' }), 0, 'a table with no append yet has its series at 0');

  node.dropTable(2, 'trades');
  const dropped = await scrape(metrics);
  assert.equal(dropped.samples.filter((s) => s.labels['table'] === 'trades').length, 0, 'no series of the dropped table');
  assert.equal(value(dropped, 'shoal_table_next_offset', { group: '2', table: 'ticks' }), 0);

  // Dropped and created again between two scrapes: the new table starts from zero.
  node.addTable(2, 'ticks', { nextOffset: 3 });
  node.emit((l) => l.appendApplied?.(2, 'ticks', outcome({ rowsWritten: 3, ipc: new Uint8Array(10) })));
  node.dropTable(2, 'ticks');
  node.addTable(2, 'ticks');
  const again = await scrape(metrics);
  assert.equal(value(again, 'shoal_table_rows_appended_total', { group: '2', table: 'ticks' }), 0);
  assert.equal(value(again, 'shoal_table_bytes_appended_total', { group: '2', table: 'ticks' }), 0);
});

test('per subscription: delivered offset and lag; subscribes and resubscribes per table; an ended subscription\'s series are removed', async () => {
  const { node, hub, metrics } = setup();
  node.host(2, { role: Role.Leader });
  node.addTable(2, 'trades', { nextOffset: 100 });
  hub.subscriptions = [
    { topic: 'shoal_2/trades/audit', group: 2, table: 'trades', nextOffset: 90, lagRows: 10, catchingUp: true },
    { topic: 'shoal_2/trades/live', group: 2, table: 'trades', nextOffset: 0, lagRows: 0, catchingUp: false },
  ];
  hub.onSubscribed!(2, 'trades', 'shoal_2/trades/audit');
  hub.onSubscribed!(2, 'trades', 'shoal_2/trades/live');
  hub.onSubscribed!(2, 'trades', 'shoal_2/trades/audit'); // the subscriber came back
  const e = await scrape(metrics);
  const audit = { group: '2', table: 'trades', topic: 'shoal_2/trades/audit' };
  assert.equal(value(e, 'shoal_subscription_delivered_offset', audit), 89);
  assert.equal(value(e, 'shoal_subscription_lag_rows', audit), 10);
  assert.equal(value(e, 'shoal_subscription_catching_up', audit), 1);
  assert.equal(value(e, 'shoal_subscription_delivered_offset', { topic: 'shoal_2/trades/live' }), -1, 'nothing delivered yet');
  assert.equal(value(e, 'shoal_table_subscribes_total', { group: '2', table: 'trades' }), 3);
  assert.equal(value(e, 'shoal_table_resubscribes_total', { group: '2', table: 'trades' }), 1);

  hub.subscriptions = hub.subscriptions.filter((s) => s.topic !== audit.topic);
  const ended = await scrape(metrics);
  assert.equal(ended.samples.filter((s) => s.labels['topic'] === audit.topic).length, 0, 'no series of the ended subscription');
  assert.equal(find(ended, 'shoal_subscription_lag_rows').length, 1);
});

test('WAL flushes: fsync latency, bytes and frames per fdatasync; written-only and failed flushes counted apart', async () => {
  const { node, metrics } = setup();
  const wal = node.wal!;
  assert.ok(wal, 'the metrics observe the WAL');
  wal.flushStarted()({ bytes: 4096, frames: 3, fdatasyncs: 1, failed: false });
  wal.flushStarted()({ bytes: 1_000_000, frames: 200, fdatasyncs: 2, failed: false });
  wal.flushStarted()({ bytes: 512, frames: 1, fdatasyncs: 0, failed: false }); // dataSync=0
  wal.flushStarted()({ bytes: 99, frames: 1, fdatasyncs: 0, failed: true });
  const e = await scrape(metrics);
  assert.equal(value(e, 'shoal_wal_fsync_duration_seconds_count'), 2);
  assert.ok(value(e, 'shoal_wal_fsync_duration_seconds_sum') >= 0);
  assert.equal(value(e, 'shoal_wal_fsync_bytes_sum'), 1_004_096);
  assert.equal(value(e, 'shoal_wal_fsync_bytes_bucket', { le: '4096' }), 1, 'the 4 KiB flush, not the 1 MB one');
  assert.equal(value(e, 'shoal_wal_fsync_frames_sum'), 203);
  assert.equal(value(e, 'shoal_wal_fsync_frames_bucket', { le: '+Inf' }), 2);
  assert.equal(value(e, 'shoal_wal_flushes_total', { outcome: 'synced' }), 2);
  assert.equal(value(e, 'shoal_wal_flushes_total', { outcome: 'written' }), 1);
  assert.equal(value(e, 'shoal_wal_flushes_total', { outcome: 'failed' }), 1);
  assert.equal(value(e, 'shoal_wal_written_bytes_total'), 1_004_608);
});

test('clients, errors by code (bounded to the protocol\'s codes), peers, and Node\'s process metrics', async () => {
  const { clients, metrics } = setup();
  clients.connections = 4;
  clients.requests = 120;
  clients.malformedFrames = 2;
  clients.errorsByCode = new Map([['NotLeader', 5], ['BadRequest', 1], ['SomethingNew', 2], ['AnotherNew', 1]]);
  const e = await scrape(metrics);
  assert.equal(value(e, 'shoal_client_connections'), 4);
  assert.equal(value(e, 'shoal_client_requests_total'), 120);
  assert.equal(value(e, 'shoal_client_malformed_frames_total'), 2);
  assert.equal(value(e, 'shoal_client_errors_total', { code: 'NotLeader' }), 5);
  assert.equal(value(e, 'shoal_client_errors_total', { code: 'Other' }), 3);
  assert.equal(find(e, 'shoal_client_errors_total').length, 3);
  assert.equal(value(e, 'shoal_peer_connected', { peer: '2' }), 1);
  assert.equal(value(e, 'shoal_peer_reconnects_total', { peer: '2' }), 2);
  assert.equal(e.types.get('shoal_client_requests_total'), 'counter');
  assert.ok(value(e, 'shoal_process_resident_memory_bytes') > 0);
  assert.ok(find(e, 'shoal_nodejs_eventloop_lag_p99_seconds').length === 1);
  assert.ok(find(e, 'shoal_nodejs_heap_size_used_bytes').length === 1);
  assert.equal(e.samples.filter((s) => !s.name.startsWith('shoal_')).length, 0, 'every metric has the shoal_ prefix');

  clients.requests = 130; // the next scrape copies the node's new total
  assert.equal(value(await scrape(metrics), 'shoal_client_requests_total'), 130);
});

test('metricsRoute answers 200 with the registry\'s content type; two nodes in one process keep separate registries', async () => {
  const a = setup();
  const b = setup();
  a.clients.requests = 1;
  b.clients.requests = 2;
  const reply = await metricsRoute(a.metrics)({ method: 'GET', url: '/metrics', query: '', headers: {} });
  assert.equal(reply.status, 200);
  assert.match(reply.contentType, /^text\/plain; version=0\.0\.4/);
  assert.equal(value(parseExposition(String(reply.body)), 'shoal_client_requests_total'), 1);
  assert.equal(value(await scrape(b.metrics), 'shoal_client_requests_total'), 2);
});
