// Three real data node processes on loopback, two Raft groups over them, several tables per group
// (seed 003's layout). Proves, against the real processes: tables created through Raft, NotLeader
// answers from followers, keyed dedup across producer retries and across a kill -9 of the leader
// in the middle of a batch, a subscriber that follows the leader with no gap and no repeat, and a
// whole-group restart that keeps tables, rows and persisted offsets.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ShoalError } from '../../clients/shoal_client.js';
import { TestCluster, waitFor } from './cluster_harness.js';

const schema = [
  { name: 'id', type: 'STRING' }, { name: 'sym', type: 'SYMBOL' }, { name: 'ts', type: 'TIMESTAMP' }, { name: 'price', type: 'DOUBLE' }, { name: 'qty', type: 'INT' },
];

let cluster: TestCluster;

function rows(ids: string[]) {
  return { id: ids, sym: ids.map(() => 'AAPL'), ts: ids.map((_, i) => 1_700_000_000_000 + i), price: ids.map((_, i) => 100 + i / 8), qty: ids.map((_, i) => i) };
}

before(async () => {
  cluster = await TestCluster.create({ dataNodes: 3, groups: [{ id: 2 }, { id: 3 }] });
  await cluster.startAll();
});

after(async () => {
  await cluster?.destroy();
});

test('tables in two groups; followers answer <NotLeader>host:port:alias; keyed tables drop repeated keys', async () => {
  const l2 = await cluster.leaderIndex(2);
  const leader = await cluster.client(l2);
  await leader.haStreamTable(2, schema, 'trades', 1000, 'id');
  await leader.haStreamTable(2, schema, 'ticks', 1000);
  const l3 = await cluster.leaderIndex(3);
  const leader3 = await cluster.client(l3);
  await leader3.haStreamTable(3, schema, 'quotes', 1000, ['id', 'sym']);
  await assert.rejects(leader.haStreamTable(2, schema, 'trades', 1000), (e: ShoalError) => e.code === 'TableExists');
  await assert.rejects(leader.haStreamTable(9, schema, 'x', 1000), (e: ShoalError) => e.code === 'UnknownGroup');
  await assert.rejects(leader.haStreamTable(2, [{ name: 'a', type: 'NOPE' }], 'bad', 1000), (e: ShoalError) => e.code === 'BadRequest' && /NOPE/.test(e.message));

  const follower = await cluster.client((l2 + 1) % 3);
  await waitFor('the table on the follower', async () => ((await follower.listTables()).some((t) => t.name === 'trades') ? true : undefined));
  await assert.rejects(follower.append('trades', rows(['x'])), (e: ShoalError) => {
    assert.equal(e.code, 'NotLeader');
    assert.equal(e.message.includes(`<NotLeader>127.0.0.1:${cluster.nodes[l2]!.port}:${cluster.nodes[l2]!.alias}`), true, e.message);
    return true;
  });

  const first = await leader.append('trades', rows(['a', 'b', 'a']));
  assert.deepEqual(first, { firstOffset: 0, rowsWritten: 2, rowsDropped: 1, repeated: false });
  const retry = await leader.append('trades', rows(['a', 'b', 'c'])); // a producer retrying a batch that had landed
  assert.deepEqual(retry, { firstOffset: 2, rowsWritten: 1, rowsDropped: 2, repeated: false });
  assert.deepEqual((await leader.append('ticks', rows(['a', 'a']))).rowsWritten, 2, 'an unkeyed table keeps every row');
  assert.equal((await leader3.append('quotes', rows(['a', 'a']))).rowsWritten, 1);
  await assert.rejects(leader.append('trades', { id: ['z'], sym: ['X'] } as never), (e: ShoalError) => e.code === 'SchemaMismatch' && /ts|price|qty/.test(e.message));
  const read = await follower.readTable('trades', 0, 100).catch(() => leader.readTable('trades', 0, 100));
  assert.deepEqual(read.rows.map((r) => r['id']), ['a', 'b', 'c']);
});

test('kill -9 of the leader under load: writes resume on the new leader, the subscriber moves with no gap or repeat', async () => {
  const l2 = await cluster.leaderIndex(2);
  const sub = await cluster.client(l2);
  const received: number[] = [];
  const ids: string[] = [];
  const subscription = await sub.subscribeTable({
    tableName: 'trades', actionName: 'audit', offset: 0, reconnect: true, handlerNeedMsgId: true, persistOffset: true,
    resubscribeIntervalMs: 200,
    handler: (row: Record<string, unknown>, msgId?: number) => { received.push(msgId!); ids.push(String(row['id'])); },
  });

  // A producer that retries every batch until acknowledged, following NotLeader to the new leader.
  const acked = new Set<string>();
  let producer = await cluster.client(l2);
  let batchNo = 0;
  let killed = false;
  const deadline = Date.now() + 60_000;
  while (batchNo < 40) {
    const batch = Array.from({ length: 25 }, (_, i) => `k${batchNo}-${i}`);
    for (;;) {
      if (Date.now() > deadline) throw new Error('the producer made no progress');
      try {
        if (batchNo === 15 && !killed) {
          killed = true;
          void producer.append('trades', rows(batch)).catch(() => undefined); // in flight as the leader dies
          await cluster.kill(l2);
        }
        await producer.append('trades', rows(batch));
        break;
      } catch {
        await producer.close().catch(() => undefined);
        const next = await cluster.leaderIndex(2, 30_000);
        producer = await cluster.client(next);
      }
    }
    for (const id of batch) acked.add(id);
    batchNo++;
  }
  const newLeader = await cluster.client(await cluster.leaderIndex(2));
  const total = (await newLeader.getPersistenceMeta('trades')).nextOffset;
  await waitFor('the subscriber to catch up', () => (received.length >= total ? true : undefined), 30_000);
  assert.deepEqual(received, Array.from({ length: total }, (_, i) => i), 'offsets 0..n-1, each once, in order');
  const all = await newLeader.readTable('trades', 0, 10_000);
  const seen = new Map<string, number>();
  for (const r of all.rows) seen.set(String(r['id']), (seen.get(String(r['id'])) ?? 0) + 1);
  for (const id of acked) assert.equal(seen.get(id), 1, `acknowledged row ${id} must be there exactly once`);
  assert.deepEqual(ids, all.rows.map((r) => String(r['id'])), 'the subscriber saw the table, row for row');
  await waitFor('the persisted offset', async () => ((await newLeader.getTopicProcessedOffset(subscription.topic)) === total - 1 ? true : undefined), 20_000);
  await subscription.unsubscribe();
  await cluster.start(cluster.nodes.findIndex((n) => !n.child)); // the old leader comes back as a follower
});

test('restart of the whole group: tables, rows and persisted offsets are there', async () => {
  const l2 = await cluster.leaderIndex(2);
  const before = await cluster.client(l2);
  const meta = await before.getPersistenceMeta('trades');
  const topic = 'shoal_2/trades/audit';
  const offset = await before.getTopicProcessedOffset(topic);
  assert.ok(offset >= 0);
  await before.close();
  for (let i = 0; i < 3; i++) await cluster.stop(i);
  await cluster.startAll();
  const after = await cluster.client(await cluster.leaderIndex(2, 30_000));
  assert.equal((await after.getPersistenceMeta('trades')).nextOffset, meta.nextOffset);
  assert.equal(await after.getTopicProcessedOffset(topic), offset);
  const tables = (await after.listTables()).map((t) => t.name);
  for (const t of ['trades', 'ticks', 'quotes']) assert.ok(tables.includes(t), `${t} survived the restart`);
  assert.equal((await after.append('trades', rows(['a', 'zz']))).rowsWritten, 1, 'dedup keys survived too');
});
