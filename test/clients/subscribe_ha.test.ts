// Subscriptions of an HA client and the subscription options for failover (seed 003 and DolphinDB's
// subscribe: backupSites, subOnce): the walk over the group's sites and the backup sites, sites
// dropped for good with subOnce (never the last one), reconnect on by default with highAvailability,
// the first subscribe walking over the client's sites when its first site is down (bounded like calls),
// and subscribe() with its own connection.

import { Socket } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeReply } from '../../broker/protocol/frames.js';
import { ShoalClient, Subscription, connect, subscribe } from '../../clients/index.js';
import { FakeNode } from './fake_node.js';
import { waitFor } from '../server/net_helpers.js';
import { rejectsWith } from './rejects_with.js';

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

/** A node that died: its sockets dropped, new connections refused. */
function down(node: FakeNode): void {
  node.refusing = true;
  node.connections.forEach((c) => c.socket.terminate());
}

async function haClientOf(nodes: FakeNode[], extra: { tryReconnectNums?: number; reconnectIntervalMs?: number } = {}): Promise<ShoalClient> {
  return connect({
    host: '127.0.0.1', port: nodes[0]!.port, userId: 'admin', password: 'secret',
    highAvailability: true, highAvailabilitySites: nodes.map((n) => n.site), reconnectIntervalMs: 10, ...extra,
  });
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

test('with highAvailability, a first subscribe whose site is down walks on to the other sites, following NotLeader', async () => {
  await withNodes(3, async ([a, b, c]) => {
    const client = await haClientOf([a!, b!, c!]);
    try {
      await client.getPersistenceMeta('trades'); // the schema is known; no leader is: the subscribe starts at home, dn1
      down(a!);
      b!.handlers.set('subscribeTable', () => ({ error: 'NotLeader', text: `<NotLeader>${c!.site}` }));
      const ids: number[] = [];
      const sub = await client.subscribeTable({
        tableName: 'trades', actionName: ACTION, offset: 0, handler: (row: Record<string, unknown>) => void ids.push(row.id as number),
      });
      assert.equal(a!.refused, 1, 'home was tried first, once');
      assert.equal(b!.requestsOf('subscribeTable').length, 1, 'then the next site, which named the leader');
      assert.deepEqual(offsetsAskedOf(c!), [0]);
      assert.equal(sub.site, c!.site);
      c!.subscriberConn(ACTION)!.pushRange(c!.topicOf('trades', ACTION), 0, 3);
      await waitFor('rows 0..2', () => ids.length === 3);
      assert.deepEqual(ids, [0, 1, 2]);
    } finally {
      await client.close();
    }
  });
});

test('a first subscribe that took rows and then closed goes on after them at the next site, not from the offset first asked', async () => {
  await withNodes(2, async ([a, b]) => {
    const client = await haClientOf([a!, b!]);
    try {
      const topic = a!.topicOf('trades', ACTION);
      // dn1 answers, pushes rows 10 and 11 and closes the subscription (no successor known) in one
      // write, so the client reads all three before its subscribe call returns.
      a!.handlers.set('subscribeTable', (f, conn) => {
        const raw = (conn.socket as unknown as { _socket: Socket })._socket;
        raw.cork();
        conn.send(encodeReply(f.requestId, 'subscribeTable', { topic, startOffset: 10, sites: [a!.site, b!.site], leader: a!.site }, 0));
        conn.pushRange(topic, 10, 2);
        conn.pushClosed(topic, 'stepped down', '');
        process.nextTick(() => raw.uncork());
        return 'no-reply';
      });
      b!.nextOffset = 20; // where "new rows only" would start at dn2
      const ids: number[] = [];
      await client.subscribeTable({ tableName: 'trades', actionName: ACTION, handler: (row: Record<string, unknown>) => void ids.push(row.id as number) });
      assert.deepEqual(offsetsAskedOf(a!), [-1]);
      assert.deepEqual(offsetsAskedOf(b!), [12], 'after the rows dn1 pushed: no gap');
      b!.subscriberConn(ACTION)!.pushRange(b!.topicOf('trades', ACTION), 12, 2);
      await waitFor('rows 10..13', () => ids.length === 4);
      assert.deepEqual(ids, [10, 11, 12, 13]);
    } finally {
      await client.close();
    }
  });
});

test('every site down: the first subscribe fails with Unreachable after tryReconnectNums rounds, naming each site', async () => {
  await withNodes(2, async ([a, b]) => {
    const client = await haClientOf([a!, b!], { tryReconnectNums: 2 });
    try {
      await client.getPersistenceMeta('trades');
      down(a!);
      down(b!);
      const err = await rejectsWith(client.subscribeTable({ tableName: 'trades', actionName: ACTION, handler: () => {} }), 'Unreachable');
      assert.match(err.message, /subscribeTable trades\/ha: .*2 round\(s\) over 2 site\(s\)/);
      assert.ok(err.message.includes(`${a!.site} (ConnectFailed:`), err.message);
      assert.ok(err.message.includes(`${b!.site} (ConnectFailed:`), err.message);
      assert.match(err.message, /raise tryReconnectNums/);
      assert.equal(a!.refused, 2, 'one attempt per round');
      assert.equal(b!.refused, 2, 'one attempt per round');
      // The failed subscription is gone: the same action can be subscribed again once a node is back.
      b!.refusing = false;
      const sub = await client.subscribeTable({ tableName: 'trades', actionName: ACTION, handler: () => {} });
      assert.equal(sub.site, b!.site);
    } finally {
      await client.close();
    }
  });
});

test('reconnect on a client without highAvailability: the first subscribe retries its one site for tryReconnectNums rounds; without reconnect it fails at once', async () => {
  await withNodes(1, async ([a]) => {
    const client = await connect({ host: '127.0.0.1', port: a!.port, userId: 'admin', password: 'secret', tryReconnectNums: 3, reconnectIntervalMs: 10 });
    try {
      await client.getPersistenceMeta('trades');
      down(a!);
      await rejectsWith(client.subscribeTable({ tableName: 'trades', actionName: 'once', handler: () => {} }), 'ConnectFailed');
      assert.equal(a!.refused, 1);
      const err = await rejectsWith(client.subscribeTable({ tableName: 'trades', actionName: ACTION, reconnect: true, handler: () => {} }), 'Unreachable');
      assert.match(err.message, /3 round\(s\) over 1 site\(s\)/);
      assert.equal(a!.refused, 4);
    } finally {
      await client.close();
    }
  });
});

test('close() ends a first subscribe that is waiting for a site to come back', async () => {
  await withNodes(1, async ([a]) => {
    const client = await haClientOf([a!], { tryReconnectNums: -1, reconnectIntervalMs: 50 });
    await client.getPersistenceMeta('trades');
    down(a!);
    const subscribing = client.subscribeTable({ tableName: 'trades', actionName: ACTION, handler: () => {} });
    await waitFor('refused twice', () => a!.refused >= 2);
    await client.close();
    const err = await rejectsWith(subscribing, 'ConnectionClosed');
    assert.match(err.message, /subscribeTable trades\/ha: unsubscribed, or the client closed, while subscribing/);
    assert.equal(a!.requestsOf('subscribeTable').length, 0);
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
