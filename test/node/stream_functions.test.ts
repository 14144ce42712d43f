// The rest of seed 003's stream functions against real processes: a regular (non-HA) persisted
// table with the same append and subscribe calls, subscription filters, offset -2 resuming after
// the persisted offset, removeTopicOffset, dropStreamTable refused while subscribed, and the
// stats and metadata calls.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ShoalClient, ShoalError } from '../../clients/shoal_client.js';
import { TestCluster, waitFor } from './cluster_harness.js';

const schema = [{ name: 'id', type: 'LONG' }, { name: 'sym', type: 'SYMBOL' }, { name: 'price', type: 'DOUBLE' }];
let cluster: TestCluster;

async function leader(group: number): Promise<ShoalClient> {
  const site = await waitFor(`a leader of group ${group}`, async () => (await (await cluster.client(0)).getStreamingLeader(group)) || undefined);
  return cluster.client(cluster.nodes.findIndex((n) => site.endsWith(`:${n.alias}`)));
}

const rows = (from: number, n: number, syms: string[]) => ({
  id: Array.from({ length: n }, (_, i) => BigInt(from + i)),
  sym: Array.from({ length: n }, (_, i) => syms[i % syms.length]!),
  price: Array.from({ length: n }, (_, i) => i * 0.25),
});

before(async () => {
  cluster = await TestCluster.create({ dataNodes: 3, groups: [{ id: 2 }] });
  await cluster.startAll();
});

after(async () => {
  await cluster?.destroy();
});

test('a regular persisted table: same append and subscribe calls, on one node, kept across its restart', async () => {
  const c = await cluster.client(1);
  await c.streamTable('local_ticks', schema, { cacheLimit: 10, keyColumn: 'id' });
  assert.deepEqual(await c.append('local_ticks', rows(0, 30, ['A'])), { firstOffset: 0, rowsWritten: 30, rowsDropped: 0, repeated: false });
  assert.deepEqual(await c.append('local_ticks', rows(25, 10, ['A'])), { firstOffset: 30, rowsWritten: 5, rowsDropped: 5, repeated: false });
  const got: number[] = [];
  const sub = await c.subscribeTable({ tableName: 'local_ticks', actionName: 'a1', offset: 3, handlerNeedMsgId: true, handler: (_r: unknown, id?: number) => void got.push(id!) });
  await waitFor('rows from offset 3, most from the store (cacheLimit 10)', () => (got.length === 32 ? true : undefined));
  assert.deepEqual(got, Array.from({ length: 32 }, (_, i) => i + 3));
  assert.equal((await c.listTables()).find((t) => t.name === 'local_ticks')?.ha, false);
  const other = await cluster.client(2);
  await assert.rejects(other.append('local_ticks', rows(0, 1, ['A'])), (e: ShoalError) => e.code === 'UnknownTable', 'a regular table lives on its node only');
  await sub.unsubscribe();
  await cluster.stop(1);
  await cluster.start(1);
  const again = await cluster.client(1);
  const meta = await again.getPersistenceMeta('local_ticks');
  assert.equal(meta.nextOffset, 35);
  assert.equal(meta.raftGroup, 0);
  assert.equal((await again.append('local_ticks', rows(0, 1, ['A']))).rowsDropped, 1, 'its dedup keys survived');
});

test('filters, persisted offsets with -2, removeTopicOffset, and drop refused while subscribed', async () => {
  const c = await leader(2);
  await c.haStreamTable(2, schema, 'quotes', 100, undefined, 60, 'sym');
  const seen: Array<{ id: bigint; sym: string; offset: number }> = [];
  const sub = await c.subscribeTable({
    tableName: 'quotes', actionName: 'only_b', offset: 0, filter: ['B'], handlerNeedMsgId: true, persistOffset: true,
    handler: (r: Record<string, unknown>, id?: number) => void seen.push({ id: r['id'] as bigint, sym: r['sym'] as string, offset: id! }),
  });
  assert.deepEqual(await c.append('quotes', rows(0, 1, ['A'])), { firstOffset: 0, rowsWritten: 1, rowsDropped: 0, repeated: false }, 'rows no filter selects are still appended and acknowledged');
  await assert.rejects(
    c.subscribeTable({ tableName: 'quotes', actionName: 'bad_filter', offset: 0, filter: [true], handler: () => undefined }),
    (e: ShoalError) => e.code === 'BadRequest' && /does not fit column "sym"/.test(e.message),
    'a filter value the filter column cannot hold is refused at subscribe time, not at the first push',
  );
  await c.append('quotes', rows(1, 8, ['B', 'C', 'A']));
  await waitFor('the B rows', () => (seen.length === 3 ? true : undefined));
  assert.deepEqual(seen.map((s) => [s.sym, s.offset]), [['B', 1], ['B', 4], ['B', 7]], 'each row with its own offset');
  await assert.rejects(c.dropStreamTable('quotes'), (e: ShoalError) => e.code === 'SubscriptionsExist');
  await waitFor('offset 7 persisted', async () => ((await c.getTopicProcessedOffset(sub.topic)) === 7 ? true : undefined));
  assert.equal(sub.topic, 'shoal_2/quotes/only_b');
  await sub.unsubscribe();
  await c.append('quotes', rows(9, 3, ['B']));
  const resumed: number[] = [];
  const sub2 = await c.subscribeTable({ tableName: 'quotes', actionName: 'only_b', offset: -2, handlerNeedMsgId: true, handler: (_r: unknown, id?: number) => void resumed.push(id!) });
  await waitFor('rows after the persisted offset', () => (resumed.length >= 4 ? true : undefined));
  assert.deepEqual(resumed, [8, 9, 10, 11], '-2 resumes after the last processed offset');
  await sub2.unsubscribe();
  await c.removeTopicOffset(sub.topic);
  assert.equal(await c.getTopicProcessedOffset(sub.topic), -1);
  const stat = await c.getStreamingStat();
  assert.ok(Array.isArray(stat['groups']), JSON.stringify(stat));
  assert.equal(typeof (stat['server'] as Record<string, unknown> | undefined)?.['clientFramesReceived'], 'number', 'the socket layer\'s counters are in the stats too');
  await c.dropStreamTable('quotes');
  await assert.rejects(c.append('quotes', rows(0, 1, ['A'])), (e: ShoalError) => e.code === 'UnknownTable');
  assert.deepEqual(await c.getStreamingRaftGroups(), [{ id: 2, sites: cluster.nodes.map((n) => `127.0.0.1:${n.port}:${n.alias}`) }]);
});
