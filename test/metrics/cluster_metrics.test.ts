// GET /metrics of real data node processes (one 3-node cluster, one streaming group): after a keyed
// HA table is created, appended to (with a duplicate key) and subscribed, each node exports the
// group's Raft state, the table's counters (followers too: they apply the same entries), the
// subscription's offset and lag, WAL fsyncs and client errors; an ended subscription's and a
// dropped table's series go. Then every metric the Grafana dashboard's expressions name must be
// one a running node exports.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShoalError } from '../../clients/shoal_client.js';
import { ADMIN_PASSWORD, TestCluster, waitFor } from '../node/cluster_harness.js';
import { Exposition, exportedNames, find, parseExposition, value } from './exposition.js';
import { dashboardExpressions, metricNamesOf } from './promql_names.js';

const DASHBOARD = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'config', 'grafana', 'dashboards', 'shoal.json');
const GROUP = 2;
const schema = [{ name: 'id', type: 'STRING' }, { name: 'price', type: 'DOUBLE' }];

let cluster: TestCluster;

/** GET /metrics of node i, with the client login (the node may require it). */
async function scrape(i: number): Promise<Exposition> {
  const res = await fetch(`http://127.0.0.1:${cluster.nodes[i]!.port}/metrics`, {
    headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` },
  });
  const body = await res.text();
  assert.equal(res.status, 200, body);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return parseExposition(body);
}

/** Scrapes node i until `check` passes (values that follow replication or delivery), or fails with its last error. */
async function eventually(i: number, what: string, check: (e: Exposition) => void): Promise<Exposition> {
  return waitFor(what, async () => {
    const e = await scrape(i);
    check(e);
    return e;
  }, 15_000);
}

function rows(ids: string[]) {
  return { id: ids, price: ids.map((_, i) => 10 + i) };
}

let leader = -1;

before(async () => {
  cluster = await TestCluster.create({ dataNodes: 3, groups: [{ id: GROUP }] });
  await cluster.startAll();
  // The leader, as the nodes' own metrics report it.
  leader = await waitFor(`a leader of group ${GROUP}`, async () => {
    for (let i = 0; i < 3; i++) {
      const e = await scrape(i);
      if (value(e, 'shoal_raft_role', { group: String(GROUP), role: 'leader' }) === 1) return i;
    }
    return undefined;
  });
});

after(async () => {
  await cluster?.destroy();
});

test('a leader, two followers: role, leader id, term, LSNs and follower lag as each node sees them', async () => {
  const g = { group: String(GROUP) };
  const leaderId = leader + 1; // node ids are 1-based lines of cluster.nodes
  const e = await eventually(leader, 'both followers caught up', (x) => {
    for (const peer of [1, 2, 3].filter((id) => id !== leaderId)) assert.equal(value(x, 'shoal_raft_follower_match_lag', { ...g, peer: String(peer) }), 0);
  });
  assert.equal(value(e, 'shoal_raft_leader_id', g), leaderId);
  assert.equal(find(e, 'shoal_raft_follower_match_lag', g).length, 2);
  assert.ok(value(e, 'shoal_raft_term', g) >= 1);
  assert.ok(value(e, 'shoal_raft_leader_changes_total', g) >= 1, 'the leader saw itself elected');
  assert.ok(value(e, 'shoal_raft_commit_lsn', g) >= 1);
  assert.equal(value(e, 'shoal_node_info', { node_id: String(leaderId) }), 1);
  let elections = 0;
  for (let i = 0; i < 3; i++) {
    const f = await scrape(i);
    elections += value(f, 'shoal_raft_elections_started_total', g);
    if (i === leader) continue;
    assert.equal(value(f, 'shoal_raft_role', { ...g, role: 'follower' }), 1, `node ${i + 1} follows`);
    assert.equal(value(f, 'shoal_raft_leader_id', g), leaderId);
    assert.equal(find(f, 'shoal_raft_follower_match_lag', g).length, 0, 'a follower reports no follower lag');
  }
  assert.ok(elections >= 1, 'someone campaigned for the leadership it holds');
});

test('a keyed HA table: rows, bytes and dropped duplicates on every replica; a subscription\'s offset and lag; errors by code', async () => {
  const c = await cluster.client(leader);
  await c.haStreamTable(GROUP, schema, 'trades', 1000, 'id');
  assert.deepEqual(await c.append('trades', rows(['a', 'b', 'a'])), { firstOffset: 0, rowsWritten: 2, rowsDropped: 1, repeated: false });
  assert.equal((await c.append('trades', rows(['b', 'c']))).rowsWritten, 1);
  const t = { group: String(GROUP), table: 'trades' };
  for (let i = 0; i < 3; i++) {
    const e = await eventually(i, `node ${i + 1} applied both appends`, (x) => assert.equal(value(x, 'shoal_table_rows_appended_total', t), 3));
    assert.equal(value(e, 'shoal_table_next_offset', t), 3);
    assert.equal(value(e, 'shoal_table_duplicate_rows_dropped_total', { ...t, reason: 'key' }), 2);
    assert.equal(value(e, 'shoal_table_duplicate_rows_dropped_total', { ...t, reason: 'producer_repeat' }), 0);
    assert.ok(value(e, 'shoal_table_bytes_appended_total', t) > 0);
    assert.equal(value(e, 'shoal_table_keys', t), 3);
    assert.equal(value(e, 'shoal_table_cached_rows', t), 3);
    assert.ok(value(e, 'shoal_wal_fsync_duration_seconds_count') > 0, 'dataSync=1: flushes end in fdatasync');
    assert.ok(value(e, 'shoal_wal_fsync_frames_sum') > 0);
    assert.equal(value(e, 'shoal_wal_flushes_total', { outcome: 'failed' }), 0);
  }

  const received: number[] = [];
  const sub = await c.subscribeTable({ tableName: 'trades', actionName: 'audit', offset: 0, handlerNeedMsgId: true, handler: (_row: unknown, msgId?: number) => { received.push(msgId!); } });
  const topic = { ...t, topic: sub.topic };
  await waitFor('the subscriber to receive the rows', () => (received.length === 3 ? true : undefined));
  let e = await eventually(leader, 'the subscription caught up', (x) => assert.equal(value(x, 'shoal_subscription_lag_rows', topic), 0));
  assert.equal(value(e, 'shoal_subscription_delivered_offset', topic), 2);
  assert.equal(value(e, 'shoal_subscription_catching_up', topic), 0);
  assert.equal(value(e, 'shoal_table_subscribes_total', t), 1);
  assert.ok(value(e, 'shoal_client_connections') >= 1);
  assert.ok(value(e, 'shoal_client_requests_total') >= 5);
  assert.ok(value(e, 'shoal_process_resident_memory_bytes') > 0);

  await c.append('trades', rows(['d', 'e']));
  e = await eventually(leader, 'the new rows delivered', (x) => assert.equal(value(x, 'shoal_subscription_delivered_offset', topic), 4));
  assert.equal(value(e, 'shoal_subscription_lag_rows', topic), 0);

  const follower = (leader + 1) % 3;
  const fc = await cluster.client(follower);
  await assert.rejects(fc.append('trades', rows(['x'])), (err: ShoalError) => err.code === 'NotLeader');
  e = await scrape(follower);
  assert.equal(value(e, 'shoal_client_errors_total', { code: 'NotLeader' }), 1);
  assert.equal(find(e, 'shoal_subscription_lag_rows').length, 0, 'subscriptions are served by the leader only');

  await sub.unsubscribe();
  await eventually(leader, 'the ended subscription\'s series gone', (x) => assert.equal(find(x, 'shoal_subscription_lag_rows', topic).length, 0));

  await c.dropStreamTable('trades');
  for (let i = 0; i < 3; i++) {
    await eventually(i, `node ${i + 1} dropped the table's series`, (x) => assert.deepEqual(x.samples.filter((s) => s.labels['table'] === 'trades').map((s) => s.name), []));
  }
});

test('every metric the Grafana dashboard uses is exported by a running node', async () => {
  const dashboard: unknown = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
  const exprs = dashboardExpressions(dashboard);
  assert.ok(exprs.length >= 30, `the dashboard has its panels (${exprs.length} expressions)`);
  const exported = exportedNames(await scrape(leader));
  const used = new Set<string>();
  const missing: string[] = [];
  for (const { where, expr } of exprs) {
    const names = metricNamesOf(expr);
    assert.ok(names.length > 0, `${where}: no metric in ${expr}`);
    for (const n of names) {
      used.add(n);
      if (!exported.has(n)) missing.push(`${where}: ${n} (in ${expr})`);
    }
  }
  assert.deepEqual(missing, [], 'metrics the dashboard reads but no node exports');
  for (const n of ['shoal_wal_fsync_duration_seconds_bucket', 'shoal_raft_follower_match_lag', 'shoal_subscription_lag_rows', 'shoal_client_errors_total', 'shoal_nodejs_eventloop_lag_p99_seconds', 'shoal_process_resident_memory_bytes']) {
    assert.ok(used.has(n), `the dashboard shows ${n}`);
  }
  // The check itself can fail: a misspelt name is reported.
  assert.equal(metricNamesOf('rate(shoal_wal_fsync_duration_second_bucket[1m])').filter((n) => !exported.has(n)).length, 1);
});

test('/metrics needs the client login, like every admin route beyond /health', async () => {
  const url = `http://127.0.0.1:${cluster.nodes[0]!.port}/metrics`;
  const anonymous = await fetch(url);
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic/);
  assert.doesNotMatch(await anonymous.text(), /shoal_raft_term/, 'no metric leaks without a login');
  const wrong = await fetch(url, { headers: { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` } });
  assert.equal(wrong.status, 401);
  assert.ok((await scrape(0)).samples.some((s) => s.name === 'shoal_raft_term'), 'with the login it answers');
});
