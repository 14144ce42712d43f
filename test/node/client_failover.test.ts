// The HA client against real data node processes: four writers and a subscriber on one
// highAvailability client (connected to a follower, so it must follow <NotLeader>), while the
// group's leader is killed with SIGKILL or paused with SIGSTOP and later brought back. Whatever
// happens, no append fails, every acknowledged row is in the table exactly once at the offsets its
// acknowledgement named (keyed and unkeyed tables), the subscriber sees offsets 0..n-1 once each in
// order, `startup` runs again on every new connection, and the returning node ends with the same
// rows. Then every site goes down: a call fails after tryReconnectNums rounds with an error naming
// each site, and a call made while they are down succeeds once they are back.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, ShoalClient, ShoalError } from '../../clients/index.js';
import { ADMIN_PASSWORD, TestCluster, sleep, waitFor } from './cluster_harness.js';

const GROUP = 2;
const WRITERS = 4;
const BATCHES_PER_WRITER = 30;
const ROWS_PER_BATCH = 20;
const schema = [{ name: 'id', type: 'STRING' }, { name: 'sym', type: 'SYMBOL' }, { name: 'qty', type: 'INT' }];

let cluster: TestCluster;
const clients: ShoalClient[] = [];

before(async () => {
  cluster = await TestCluster.create({ dataNodes: 3, groups: [{ id: GROUP }] });
  await cluster.startAll();
});

after(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await cluster?.destroy();
});

interface Ack { ids: string[]; firstOffset: number; rowsWritten: number; repeated: boolean }

/** Writers, a subscriber and a fault: the whole scenario for one table. */
async function failoverScenario(fault: 'SIGKILL' | 'SIGSTOP', table: string, keyed: boolean, note: (text: string) => void): Promise<void> {
  const leader = await cluster.leaderIndex(GROUP);
  const follower = (leader + 1) % cluster.nodes.length;
  let startups = 0;
  const ha = await connect({
    host: '127.0.0.1', port: cluster.nodes[follower]!.port, userId: 'admin', password: ADMIN_PASSWORD,
    highAvailability: true, keepAliveTimeMs: 1_000, requestTimeoutMs: 8_000, tryReconnectNums: 40, reconnectIntervalMs: 250,
    startup: async (session) => {
      startups++;
      await session.getStreamingRaftGroups(); // a startup that uses its connection
    },
  });
  clients.push(ha);
  await ha.haStreamTable(GROUP, schema, table, 100_000, keyed ? 'id' : undefined);
  const startupsBefore = startups;

  const received: Array<{ offset: number; id: string }> = [];
  const sub = await ha.subscribeTable({
    tableName: table, actionName: 'audit', offset: 0, reconnect: true, handlerNeedMsgId: true, resubscribeIntervalMs: 200,
    handler: (row: Record<string, unknown>, offset?: number) => void received.push({ offset: offset!, id: String(row['id']) }),
  });

  const acks: Ack[] = [];
  let done = 0;
  const writer = async (w: number): Promise<void> => {
    for (let b = 0; b < BATCHES_PER_WRITER; b++) {
      const ids = Array.from({ length: ROWS_PER_BATCH }, (_, i) => `w${w}-b${b}-r${i}`);
      const r = await ha.append(table, { id: ids, sym: ids.map(() => 'AAPL'), qty: ids.map((_, i) => i) });
      acks.push({ ids, firstOffset: r.firstOffset, rowsWritten: r.rowsWritten, repeated: r.repeated });
      done++;
    }
  };
  const writing = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));

  // The fault, a third of the way in, with appends in flight.
  await waitFor('a third of the batches', () => (done >= (WRITERS * BATCHES_PER_WRITER) / 3 ? true : undefined), 30_000);
  if (fault === 'SIGKILL') {
    await cluster.kill(leader);
  } else {
    cluster.pause(leader);
    await sleep(4_000); // long past the election timeout: a new leader takes over while the old one sleeps
    cluster.resume(leader); // it wakes up believing it leads, and must step down
  }
  await writing; // any failed append would reject here: HA makes the failure invisible
  if (fault === 'SIGKILL') await cluster.start(leader); // the old leader comes back as a follower

  const c = await cluster.client(await cluster.leaderIndex(GROUP));
  const total = (await c.getPersistenceMeta(table)).nextOffset;
  note(`${table}: ${acks.filter((a) => a.repeated).length} of ${acks.length} appends were answered as repeats of an earlier attempt; ${ha.connectionsOpened} connections opened`);
  assert.equal(total, WRITERS * BATCHES_PER_WRITER * ROWS_PER_BATCH, `${table}: every row once (${acks.filter((a) => a.repeated).length} appends were answered as repeats)`);
  const all = (await c.readTable(table, 0, 100_000)).rows.map((r) => String(r['id']));
  assert.equal(new Set(all).size, all.length, `${table}: no row twice`);
  for (const a of acks) {
    assert.equal(a.rowsWritten, ROWS_PER_BATCH, `${table}: ${a.ids[0]} fully written`);
    assert.deepEqual(all.slice(a.firstOffset, a.firstOffset + a.rowsWritten), a.ids, `${table}: the offsets acknowledged for ${a.ids[0]} hold its rows`);
  }

  await waitFor(`${table}: the subscriber to catch up`, () => (received.length >= total ? true : undefined), 30_000);
  assert.deepEqual(received.map((r) => r.offset), Array.from({ length: total }, (_, i) => i), `${table}: offsets 0..n-1, once each, in order`);
  assert.deepEqual(received.map((r) => r.id), all, `${table}: the subscriber saw the table row for row`);
  // startup runs on every connection the client opens, the ones it opened to fail over included
  // (none when the new leader is a node it already had a connection to).
  assert.equal(startups, ha.connectionsOpened, `${table}: startup ran on each of the ${ha.connectionsOpened} connections (${startupsBefore} before the fault)`);
  await sub.unsubscribe();

  // The node that failed ends with the same rows as the leader.
  const back = await cluster.client(leader);
  await waitFor(`${cluster.nodes[leader]!.alias} to catch up`, async () => ((await back.getPersistenceMeta(table)).nextOffset === total ? true : undefined), 30_000);
  assert.deepEqual((await back.readTable(table, 0, 100_000)).rows.map((r) => String(r['id'])), all, `${table}: the returning node holds the same rows`);
  await ha.close();
}

test('SIGKILL of the leader while writing and subscribing (unkeyed table): nothing lost, nothing twice, no gap', { timeout: 120_000 }, async (t) => {
  await failoverScenario('SIGKILL', 'fo_kill_unkeyed', false, (text) => t.diagnostic(text));
});

test('SIGSTOP of the leader, then SIGCONT (keyed table): the client moves on, the old leader steps down, nothing lost or twice', { timeout: 120_000 }, async (t) => {
  await failoverScenario('SIGSTOP', 'fo_pause_keyed', true, (text) => t.diagnostic(text));
});

test('SIGSTOP of the leader (unkeyed table): appends in flight on the paused leader are retried once, never duplicated', { timeout: 120_000 }, async (t) => {
  await failoverScenario('SIGSTOP', 'fo_pause_unkeyed', false, (text) => t.diagnostic(text));
});

test('every site down: calls fail after tryReconnectNums rounds naming each site; a call made while down succeeds once they are back', { timeout: 120_000 }, async () => {
  const leader = await cluster.leaderIndex(GROUP);
  const quick = await connect({
    host: '127.0.0.1', port: cluster.nodes[leader]!.port, userId: 'admin', password: ADMIN_PASSWORD,
    highAvailability: true, tryReconnectNums: 2, reconnectIntervalMs: 100, keepAliveTimeMs: 1_000, requestTimeoutMs: 3_000,
  });
  let startups = 0;
  const patient = await connect({
    host: '127.0.0.1', port: cluster.nodes[leader]!.port, userId: 'admin', password: ADMIN_PASSWORD,
    highAvailability: true, tryReconnectNums: 100, reconnectIntervalMs: 200, keepAliveTimeMs: 1_000, requestTimeoutMs: 5_000,
    startup: () => void startups++,
  });
  clients.push(quick, patient);
  await patient.haStreamTable(GROUP, schema, 'fo_down', 1_000);
  await quick.listTables(); // both know every site of the cluster by now
  await patient.getPersistenceMeta('fo_down');

  await Promise.all(cluster.nodes.map((_, i) => cluster.kill(i)));
  await assert.rejects(quick.listTables(), (e: ShoalError) => {
    assert.equal(e.code, 'Unreachable');
    for (const n of cluster.nodes) assert.ok(e.message.includes(`127.0.0.1:${n.port}`), `the error names ${n.alias}: ${e.message}`);
    return true;
  });

  const startupsBeforeOutage = startups;
  const pending = patient.append('fo_down', { id: ['after-outage'], sym: ['MSFT'], qty: [1] });
  await sleep(1_000);
  await cluster.startAll();
  const r = await pending;
  assert.equal(r.rowsWritten, 1);
  const rows = (await patient.readTable('fo_down', 0, 100)).rows.map((x) => String(x['id']));
  assert.deepEqual(rows, ['after-outage'], 'written once');
  assert.ok(startups > startupsBeforeOutage, `startup ran again on the connections made after the outage (${startupsBeforeOutage} -> ${startups})`);
  await quick.close();
  await patient.close();
});
