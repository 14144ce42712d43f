// Subscriptions of an HA client and the subscription options for failover (seed 003 and DolphinDB's
// subscribe: backupSites, subOnce): the walk over the group's sites and the backup sites, sites
// dropped for good with subOnce (never the last one), reconnect on by default with highAvailability,
// and subscribe() with its own connection.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShoalClient, Subscription, connect, subscribe } from '../../clients/index.js';
import { FakeNode } from './fake_node.js';
import { waitFor } from '../server/net_helpers.js';

const ACTION = 'ha';

async function withNodes(count: number, body: (nodes: FakeNode[]) => Promise<void>): Promise<void> {
  const nodes: FakeNode[] = [];
  try {
    for (let i = 1; i <= count; i++) nodes.push(await FakeNode.start(`dn${i}`));
    await body(nodes);
    for (const n of nodes) assert.deepEqual(n.problems, []);
  } finally {
    for (const n of nodes) await n.close();
  }
}

async function clientOf(node: FakeNode, ha = false): Promise<ShoalClient> {
  return connect({ host: '127.0.0.1', port: node.port, userId: 'admin', password: 'secret', highAvailability: ha, reconnectIntervalMs: 10 });
}

/** Kills the subscription's socket on `node` and refuses new connections there: the node died. */
async function kill(node: FakeNode): Promise<void> {
  node.refusing = true;
  const conn = node.subscriberConn(ACTION)!;
  conn.socket.terminate();
  await waitFor('the subscription socket is gone', () => !conn.open);
}

const offsetsAskedOf = (n: FakeNode): Array<number | undefined> => n.requestsOf('subscribeTable').map((f) => f.body.offset);

test('backupSites are tried after the group\'s sites', async () => {
  await withNodes(2, async ([a, b]) => {
    const client = await clientOf(a!);
    try {
      const ids: number[] = [];
      const sub = await client.subscribeTable({
        tableName: 'trades', actionName: ACTION, reconnect: true, resubscribeIntervalMs: 10, backupSites: [`127.0.0.1:${b!.port}`],
        handler: (row: Record<string, unknown>) => void ids.push(row.id as number),
      });
      a!.subscriberConn(ACTION)!.pushRange(a!.topicOf('trades', ACTION), 0, 3);
      await waitFor('rows 0..2', () => ids.length === 3);
      await kill(a!); // the reply listed only dn1
      await waitFor('resubscribed at the backup site', () => sub.stats.resubscriptions === 1);
      assert.deepEqual(offsetsAskedOf(b!), [3]);
      b!.subscriberConn(ACTION)!.pushRange(b!.topicOf('trades', ACTION), 3, 2);
      await waitFor('rows 3 and 4', () => ids.length === 5);
      assert.deepEqual(ids, [0, 1, 2, 3, 4]);
    } finally {
      await client.close();
    }
  });
});

for (const subOnce of [true, false]) {
  test(`subOnce ${subOnce}: a site whose connection failed is ${subOnce ? 'never tried again' : 'tried again each round'}`, async () => {
    await withNodes(3, async ([a, b, c]) => {
      for (const n of [a!, b!, c!]) n.sites = [a!.site, b!.site, c!.site];
      const client = await clientOf(a!);
      try {
        const sub: Subscription = await client.subscribeTable({
          tableName: 'trades', actionName: ACTION, reconnect: true, resubscribeIntervalMs: 10, subOnce, handler: () => {},
        });
        // Mid-election: dn2 and dn3 know no leader for three rounds, then dn3 takes the subscription.
        b!.handlers.set('subscribeTable', () => ({ error: 'NotLeader', text: '<NotLeader>' }));
        let refusals = 0;
        const accept = c!.handlers.get('subscribeTable')!;
        c!.handlers.set('subscribeTable', (f, conn) => (refusals++ < 3 ? { error: 'NotLeader', text: '<NotLeader>' } : accept(f, conn)));
        await kill(a!);
        await waitFor('resubscribed at dn3', () => sub.stats.resubscriptions === 1);
        assert.equal(b!.requestsOf('subscribeTable').length, 4, 'dn2 once per round: NotLeader is no reason to drop it');
        if (subOnce) {
          assert.equal(a!.refused, 0, 'the dead leader was dropped from the list');
          assert.equal(sub.stats.sitesDropped, 1);
        } else {
          assert.equal(a!.refused, 3, 'the dead leader, once in each of the three failed rounds');
          assert.equal(sub.stats.sitesDropped, 0);
        }
      } finally {
        await client.close();
      }
    });
  });
}

test('subOnce never drops the last site: the subscription comes back when that node does', async () => {
  await withNodes(1, async ([a]) => {
    const client = await clientOf(a!);
    try {
      const sub = await client.subscribeTable({ tableName: 'trades', actionName: ACTION, reconnect: true, resubscribeIntervalMs: 10, subOnce: true, handler: () => {} });
      a!.subscriberConn(ACTION)!.pushRange(a!.topicOf('trades', ACTION), 0, 2);
      await waitFor('rows handled', () => sub.lastOffset === 1);
      await kill(a!);
      await waitFor('refused twice', () => a!.refused >= 2);
      a!.refusing = false;
      await waitFor('back on dn1', () => sub.stats.resubscriptions === 1);
      assert.deepEqual(offsetsAskedOf(a!), [-1, 2]);
      assert.equal(sub.stats.sitesDropped, 0);
    } finally {
      await client.close();
    }
  });
});

test('with highAvailability, subscriptions follow the leader unless reconnect is false, and start at a known leader', async () => {
  await withNodes(2, async ([a, b]) => {
    const client = await clientOf(a!, true);
    try {
      const sub = await client.subscribeTable({ tableName: 'trades', actionName: ACTION, resubscribeIntervalMs: 10, handler: () => {} });
      a!.subscriberConn(ACTION)!.pushClosed(a!.topicOf('trades', ACTION), 'stepped down', b!.site);
      await waitFor('resubscribed at dn2', () => sub.stats.resubscriptions === 1);
      assert.equal(sub.site, b!.site);

      let closed = '';
      const off = await client.subscribeTable({
        tableName: 'trades', actionName: 'off', reconnect: false, handler: () => {}, onClosed: (r) => (closed = r),
      });
      a!.subscriberConn('off')!.pushClosed(a!.topicOf('trades', 'off'), 'stepped down', b!.site);
      await waitFor('ended', () => closed !== '');
      assert.equal(b!.requestsOf('subscribeTable').filter((f) => f.body.actionName === 'off').length, 0);
      void off;

      // An append learns that dn2 leads the table: the next subscription starts there.
      a!.handlers.set('append', () => ({ error: 'NotLeader', text: `<NotLeader>${b!.site}` }));
      b!.handlers.set('append', () => ({ body: { firstOffset: 0, rowsWritten: 1, rowsDropped: 0, repeated: false } }));
      await client.append('trades', { id: [1], sym: ['A'], px: [1] });
      await client.subscribeTable({ tableName: 'trades', actionName: 'third', handler: () => {} });
      assert.equal(a!.requestsOf('subscribeTable').filter((f) => f.body.actionName === 'third').length, 0);
      assert.equal(b!.requestsOf('subscribeTable').filter((f) => f.body.actionName === 'third').length, 1);
    } finally {
      await client.close();
    }
  });
});

test('subscribe() opens its own connections and closes them on unsubscribe', async () => {
  await withNodes(1, async ([a]) => {
    const ids: number[] = [];
    const sub = await subscribe({
      host: '127.0.0.1', port: a!.port, userId: 'admin', password: 'secret',
      tableName: 'trades', actionName: ACTION, offset: 0, handler: (row: Record<string, unknown>) => void ids.push(row.id as number),
    });
    assert.equal(a!.connections.length, 2, 'a calls connection (the schema) and the subscription\'s');
    assert.deepEqual(a!.requestsOf('login').length, 2);
    a!.subscriberConn(ACTION)!.pushRange(sub.topic, 0, 2);
    await waitFor('rows handled', () => ids.length === 2);
    await sub.unsubscribe();
    assert.equal(a!.requestsOf('unsubscribeTable').length, 1);
    await waitFor('every connection closed', () => a!.connections.every((c) => !c.open));
  });
});

test('subscribe(): a subscription that ends by itself (no reconnect) closes its client too', async () => {
  await withNodes(1, async ([a]) => {
    let reason = '';
    await subscribe({ host: '127.0.0.1', port: a!.port, tableName: 'trades', actionName: ACTION, handler: () => {}, onClosed: (r) => (reason = r) });
    a!.subscriberConn(ACTION)!.pushClosed(a!.topicOf('trades', ACTION), 'table dropped', '');
    await waitFor('onClosed', () => reason !== '');
    assert.match(reason, /table dropped/);
    await waitFor('every connection closed', () => a!.connections.every((c) => !c.open));
  });
});
