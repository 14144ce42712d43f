// Leader-following subscriptions (seed 003, "Subscribe to Streaming Data"): when the leader steps down
// the node closes the subscription naming the new leader, and the client resubscribes there at
// lastOffset + 1; on a lost connection it tries the group's sites in turn, following NotLeader. Every
// row reaches the handler exactly once, whatever the new leader sends again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShoalClient, Subscription, connect } from '../../clients/index.js';
import { FakeNode } from './fake_node.js';
import { waitFor } from '../server/net_helpers.js';

const ACTION = 'follow';

async function withCluster(count: number, body: (nodes: FakeNode[], client: ShoalClient) => Promise<void>): Promise<void> {
  const nodes: FakeNode[] = [];
  let client: ShoalClient | undefined;
  try {
    for (let i = 1; i <= count; i++) nodes.push(await FakeNode.start(`dn${i}`));
    for (const n of nodes) n.sites = nodes.map((m) => m.site);
    client = await connect({ host: '127.0.0.1', port: nodes[0]!.port, userId: 'admin', password: 'secret' });
    await body(nodes, client);
    for (const n of nodes) assert.deepEqual(n.problems, []);
  } finally {
    await client?.close();
    for (const n of nodes) await n.close();
  }
}

/** Subscribes with reconnect; the handler records every row id (= offset) it gets. */
async function follow(client: ShoalClient, extra: { persistOffset?: boolean } = {}): Promise<{ sub: Subscription; ids: number[] }> {
  const ids: number[] = [];
  const sub = await client.subscribeTable({
    tableName: 'trades', actionName: ACTION, reconnect: true, resubscribeIntervalMs: 10, ...extra,
    handler: (row: Record<string, unknown>) => void ids.push(row.id as number),
  });
  return { sub, ids };
}

const offsetsAskedOf = (n: FakeNode): Array<number | undefined> => n.requestsOf('subscribeTable').map((f) => f.body.offset);

test('a subscriptionClosed naming the new leader: resubscribe there at lastOffset + 1, no row twice', async () => {
  await withCluster(2, async ([a, b], client) => {
    const { sub, ids } = await follow(client);
    const topic = a!.topicOf('trades', ACTION);
    a!.subscriberConn(ACTION)!.pushRange(topic, 0, 5);
    await waitFor('rows 0..4 handled', () => ids.length === 5);
    assert.equal(sub.lastOffset, 4);

    a!.subscriberConn(ACTION)!.pushClosed(topic, 'the leader of the group stepped down', b!.site);
    await waitFor('resubscribed on the new leader', () => b!.requestsOf('subscribeTable').length === 1);
    assert.deepEqual(offsetsAskedOf(b!), [5]);
    const onB = b!.received.filter((r) => r.conn === b!.subscriberConn(ACTION)).map((r) => r.frame.method);
    assert.deepEqual(onB, ['login', 'subscribeTable'], 'the new connection logs in first');
    await waitFor('the site is the new leader', () => sub.site === b!.site);

    // The new leader repeats rows 3 and 4 (it was behind when it answered): they are dropped.
    b!.subscriberConn(ACTION)!.pushRange(topic, 3, 7);
    await waitFor('rows up to 9 handled', () => sub.lastOffset === 9);
    assert.deepEqual(ids, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(sub.stats.duplicateRowsDropped, 2);
    assert.equal(sub.stats.resubscriptions, 1);
    await waitFor('the old subscription connection is closed', () => !a!.subscriberConn(ACTION)!.open);
    assert.equal(a!.requestsOf('subscribeTable').length, 1, 'never back to the old leader');
  });
});

test('rows received but not yet handled are not asked for again: resubscription continues after the last row received', async () => {
  await withCluster(2, async ([a, b], client) => {
    const ids: number[] = [];
    let release: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sub = await client.subscribeTable({
      tableName: 'trades', actionName: ACTION, reconnect: true, resubscribeIntervalMs: 10,
      handler: async (row: Record<string, unknown>) => {
        await gate; // the handler is stuck on row 0 while rows 1..5 wait in the buffer
        ids.push(row.id as number);
      },
    });
    const topic = a!.topicOf('trades', ACTION);
    a!.subscriberConn(ACTION)!.pushRange(topic, 0, 6);
    a!.subscriberConn(ACTION)!.pushClosed(topic, 'stepped down', b!.site);
    await waitFor('resubscribed', () => b!.requestsOf('subscribeTable').length === 1);
    assert.deepEqual(offsetsAskedOf(b!), [6]);
    assert.equal(sub.lastOffset, -1, 'nothing handled yet');
    release!();
    b!.subscriberConn(ACTION)!.pushRange(topic, 6, 2);
    await waitFor('rows up to 7 handled', () => sub.lastOffset === 7);
    assert.deepEqual(ids, [0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

test('a lost connection: the next site in turn, then the leader its NotLeader names', async () => {
  await withCluster(3, async ([a, follower, leader], client) => {
    follower!.handlers.set('subscribeTable', () => ({ error: 'NotLeader', text: `<NotLeader>${leader!.site}` }));
    const { sub, ids } = await follow(client);
    const topic = a!.topicOf('trades', ACTION);
    a!.subscriberConn(ACTION)!.pushRange(topic, 0, 3);
    await waitFor('rows 0..2 handled', () => ids.length === 3);

    a!.subscriberConn(ACTION)!.socket.terminate(); // the node died
    await waitFor('resubscribed on the leader', () => leader!.requestsOf('subscribeTable').length === 1);
    assert.deepEqual(offsetsAskedOf(follower!), [3], 'the site after the lost one was tried first');
    assert.deepEqual(offsetsAskedOf(leader!), [3]);
    leader!.subscriberConn(ACTION)!.pushRange(topic, 3, 2);
    await waitFor('rows 3 and 4 handled', () => ids.length === 5);
    assert.deepEqual(ids, [0, 1, 2, 3, 4]);
    await waitFor('site', () => sub.site === leader!.site);
  });
});

test('while no site takes the subscription, it retries every resubscribeIntervalMs until one does', async () => {
  await withCluster(1, async ([a], client) => {
    const { sub, ids } = await follow(client);
    const topic = a!.topicOf('trades', ACTION);
    a!.subscriberConn(ACTION)!.pushRange(topic, 0, 2);
    await waitFor('rows 0 and 1 handled', () => ids.length === 2);

    let refusals = 0;
    a!.handlers.set('subscribeTable', (f) => {
      if (refusals < 3) {
        refusals++;
        return { error: 'NotLeader', text: '<NotLeader>' }; // mid-election: no leader known yet
      }
      return { body: { topic, startOffset: (f.body as { offset: number }).offset, sites: [a!.site], leader: a!.site } };
    });
    a!.subscriberConn(ACTION)!.pushClosed(topic, 'stepped down', '');
    await waitFor('resubscribed after three refusals', () => sub.stats.resubscriptions === 1);
    assert.deepEqual(offsetsAskedOf(a!), [-1, 2, 2, 2, 2]);
    a!.subscriberConn(ACTION)!.pushRange(topic, 2, 1);
    await waitFor('row 2 handled', () => ids.length === 3);
  });
});

test('unsubscribe stops the resubscription loop', async () => {
  await withCluster(1, async ([a], client) => {
    const { sub } = await follow(client);
    a!.handlers.set('subscribeTable', () => ({ error: 'NotLeader', text: '<NotLeader>' }));
    a!.subscriberConn(ACTION)!.pushClosed(a!.topicOf('trades', ACTION), 'stepped down', '');
    await waitFor('a few retries', () => a!.requestsOf('subscribeTable').length >= 3);
    await sub.unsubscribe();
    const attempts = a!.requestsOf('subscribeTable').length;
    await new Promise((resolve) => setTimeout(resolve, 60)); // six intervals: a running loop would have tried again
    assert.equal(a!.requestsOf('subscribeTable').length, attempts);
  });
});

test('a first subscribe at a follower follows its NotLeader to the leader when reconnect is on', async () => {
  await withCluster(2, async ([a, b], client) => {
    a!.handlers.set('subscribeTable', () => ({ error: 'NotLeader', text: `<NotLeader>${b!.site}` }));
    const { sub } = await follow(client);
    assert.equal(sub.site, b!.site);
    assert.equal(b!.requestsOf('subscribeTable').length, 1);
    await waitFor('the refused connection to the follower closes', () => a!.connections.slice(1).every((c) => !c.open));
  });
});

test('persistOffset: an ack lost with the old leader is sent again to the new one', async () => {
  await withCluster(2, async ([a, b], client) => {
    a!.handlers.set('ackOffset', () => 'no-reply'); // the old leader never confirms
    const { ids } = await follow(client, { persistOffset: true });
    const topic = a!.topicOf('trades', ACTION);
    a!.subscriberConn(ACTION)!.pushRange(topic, 0, 3);
    await waitFor('rows handled and the first ack sent', () => ids.length === 3 && a!.requestsOf('ackOffset').length === 1);
    a!.subscriberConn(ACTION)!.pushClosed(topic, 'stepped down', b!.site);
    await waitFor('the new leader gets the ack', () => b!.requestsOf('ackOffset').length >= 1);
    const acks = b!.requestsOf('ackOffset').map((f) => f.body);
    assert.deepEqual(acks[acks.length - 1], { topic, offset: 2 });
  });
});
