// subscribeTable against a fake node: what the client asks for, how rows reach the handler (one at a
// time, as tables, in batches by size or throttle, with msgIds), filtered offsets, persistOffset acks,
// unsubscribing, and a subscription ending without reconnect.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as arrow from 'apache-arrow';
import { ShoalClient, ShoalError, SubscribeOptions, Subscription, connect } from '../../clients/index.js';
import { FakeConnection, FakeNode } from './fake_node.js';
import { waitFor } from '../server/net_helpers.js';

interface Setup {
  node: FakeNode;
  client: ShoalClient;
  subscribe(o: Omit<SubscribeOptions, 'tableName' | 'actionName'> & { actionName?: string }): Promise<{ sub: Subscription; conn: FakeConnection; topic: string }>;
}

async function withSubscriber(body: (s: Setup) => Promise<void>): Promise<void> {
  const node = await FakeNode.start();
  const client = await connect({ host: '127.0.0.1', port: node.port, userId: 'admin', password: 'secret' });
  try {
    await body({
      node,
      client,
      subscribe: async (o) => {
        const actionName = o.actionName ?? 'a';
        const sub = await client.subscribeTable({ ...o, tableName: 'trades', actionName });
        return { sub, conn: node.subscriberConn(actionName)!, topic: node.topicOf('trades', actionName) };
      },
    });
    assert.deepEqual(node.problems, []);
  } finally {
    await client.close();
    await node.close();
  }
}

test('a subscription has a connection of its own, logged in, and asks for what the options say', async () => {
  await withSubscriber(async ({ node, subscribe }) => {
    node.nextOffset = 42;
    const { sub, conn } = await subscribe({ handler: () => {}, offset: -2, filter: ['A', 7, 1.5, true, 9n], persistOffset: true });
    assert.notEqual(conn, node.connections[0], 'not the calls connection');
    const onSubConn = node.received.filter((r) => r.conn === conn).map((r) => r.frame.method);
    assert.deepEqual(onSubConn, ['login', 'subscribeTable']);
    const [req] = node.requestsOf('subscribeTable');
    assert.deepEqual(req!.body, {
      tableName: 'trades', actionName: 'a', offset: -2, persistOffset: true, batchSize: 0,
      filter: [{ stringValue: 'A' }, { int64Value: 7 }, { doubleValue: 1.5 }, { boolValue: true }, { int64Value: 9 }],
    });
    assert.equal(sub.topic, 'fake_2/trades/a');
    assert.equal(sub.site, node.site);
    assert.equal(sub.lastOffset, -1);
  });
});

test('without batchSize the handler gets rows one at a time, in offset order, never concurrently', async () => {
  await withSubscriber(async ({ subscribe }) => {
    const got: Array<{ row: Record<string, unknown>; msgId: number | undefined }> = [];
    let running = 0;
    let overlapped = false;
    const { sub, conn, topic } = await subscribe({
      handlerNeedMsgId: true,
      handler: async (row, msgId) => {
        if (running++ > 0) overlapped = true;
        await new Promise((resolve) => setImmediate(resolve)); // an async handler: the next call waits for it
        got.push({ row, msgId });
        running--;
      },
    });
    conn.pushRange(topic, 0, 3);
    conn.pushRange(topic, 3, 2);
    await waitFor('five rows handled', () => got.length === 5);
    assert.deepEqual(got.map((g) => g.msgId), [0, 1, 2, 3, 4]);
    assert.deepEqual(got[1]!.row, { id: 1, sym: 'B', px: 0.5 });
    assert.equal(overlapped, false);
    assert.equal(sub.lastOffset, 4);
  });
});

test('without handlerNeedMsgId the handler is called with the message alone', async () => {
  await withSubscriber(async ({ subscribe }) => {
    const args: number[] = [];
    const { conn, topic } = await subscribe({ handler: (...a: unknown[]) => void args.push(a.length) });
    conn.pushRange(topic, 0, 2);
    await waitFor('two rows handled', () => args.length === 2);
    assert.deepEqual(args, [1, 1]);
  });
});

test('msgAsTable: one apache-arrow Table per push, msgId the offset of its last row', async () => {
  await withSubscriber(async ({ subscribe }) => {
    const got: Array<{ table: arrow.Table; msgId: number | undefined }> = [];
    const { conn, topic } = await subscribe({ msgAsTable: true, handlerNeedMsgId: true, handler: (table, msgId) => void got.push({ table, msgId }) });
    conn.pushRange(topic, 0, 3);
    conn.pushRange(topic, 3, 1);
    await waitFor('two tables handled', () => got.length === 2);
    assert.ok(got[0]!.table instanceof arrow.Table);
    assert.deepEqual([...got[0]!.table.getChild('id')!.toArray()], [0, 1, 2]);
    assert.deepEqual([...got[0]!.table.getChild('sym')!.toArray()], ['A', 'B', 'A']);
    assert.deepEqual(got.map((g) => g.msgId), [2, 3]);
  });
});

test('batchSize: full batches at once, the remainder when the throttle passes', async () => {
  await withSubscriber(async ({ subscribe }) => {
    const batches: number[][] = [];
    const { sub, conn, topic } = await subscribe({
      batchSize: 2, throttle: 0.02,
      handler: (rows: Array<Record<string, unknown>>) => void batches.push(rows.map((r) => r.id as number)),
    });
    conn.pushRange(topic, 0, 5);
    await waitFor('all five rows handled', () => batches.flat().length === 5);
    assert.deepEqual(batches, [[0, 1], [2, 3], [4]]);
    assert.equal(sub.lastOffset, 4);
  });
});

test('batchSize with msgAsTable: tables of up to batchSize rows, spanning pushes', async () => {
  await withSubscriber(async ({ subscribe }) => {
    const sizes: number[] = [];
    const ids: number[] = [];
    // A throttle of a minute never fires here: every call is a full batch, whatever the pushes' timing.
    const { conn, topic } = await subscribe({
      msgAsTable: true, batchSize: 3, throttle: 60,
      handler: (t: arrow.Table) => {
        sizes.push(t.numRows);
        ids.push(...(t.getChild('id')!.toArray() as Int32Array));
      },
    });
    conn.pushRange(topic, 0, 2);
    conn.pushRange(topic, 2, 2);
    conn.pushRange(topic, 4, 2);
    await waitFor('six rows handled', () => ids.length === 6);
    assert.deepEqual(ids, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(sizes, [3, 3]);
  });
});

test('pushes for another topic, or on the calls connection, are ignored', async () => {
  await withSubscriber(async ({ node, client, subscribe }) => {
    const ids: number[] = [];
    const { conn, topic } = await subscribe({ handler: (r: Record<string, unknown>) => void ids.push(r.id as number) });
    conn.pushRange('fake_2/trades/other', 0, 2);
    node.connections[0]!.pushRange(topic, 0, 2);
    node.connections[0]!.pushClosed(topic, 'not for the calls connection', '');
    conn.pushRange(topic, 5, 1);
    await waitFor('row 5 handled', () => ids.length > 0);
    assert.deepEqual(ids, [5]);
    assert.deepEqual(await client.listTables(), [], 'the calls connection still works');
  });
});

test('a filtered subscription: msgIds are the offsets the push lists', async () => {
  await withSubscriber(async ({ subscribe }) => {
    const msgIds: Array<number | undefined> = [];
    const { sub, conn, topic } = await subscribe({ filter: ['B'], handlerNeedMsgId: true, handler: (_row, msgId) => void msgIds.push(msgId) });
    conn.pushRows(topic, 0, [1, 3], { offsets: [1, 3], nextOffset: 5 });
    conn.pushRows(topic, 5, [9], { offsets: [9], nextOffset: 10 });
    await waitFor('three rows handled', () => msgIds.length === 3);
    assert.deepEqual(msgIds, [1, 3, 9]);
    assert.equal(sub.lastOffset, 9);
  });
});

test('persistOffset acknowledges the last offset of each handler call, one ack in flight, coalesced', async () => {
  await withSubscriber(async ({ node, subscribe }) => {
    let inFlight = 0;
    let maxInFlight = 0;
    const release: Array<() => void> = [];
    node.handlers.set('ackOffset', () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise((resolve) => release.push(() => {
        inFlight--;
        resolve({ body: {} });
      }));
    });
    let handled = 0;
    const { sub, conn, topic } = await subscribe({ persistOffset: true, handler: () => void handled++ });
    conn.pushRange(topic, 0, 10);
    await waitFor('ten rows handled', () => handled === 10);
    await waitFor('the first ack arrives', () => release.length === 1);
    while (release.length > 0 || inFlight > 0) {
      release.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const acks = node.requestsOf('ackOffset').map((f) => f.body);
    assert.equal(maxInFlight, 1);
    assert.deepEqual(acks[0], { topic, offset: 0 });
    assert.deepEqual(acks[acks.length - 1], { topic, offset: 9 });
    assert.ok(acks.length < 10, `ten handler calls made ${acks.length} acks: they coalesce`);
    assert.ok(acks.every((a, i) => i === 0 || a.offset > acks[i - 1]!.offset), 'acks ascend');
    assert.equal(sub.stats.acksSent, acks.length);
  });
});

test('a slow handler: past maxQueuedRows the client stops reading the socket, and reads on once it catches up', async () => {
  await withSubscriber(async ({ subscribe }) => {
    const handled: number[] = [];
    let release: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { sub, conn, topic } = await subscribe({
      maxQueuedRows: 4,
      handler: async (row: Record<string, unknown>) => {
        await gate;
        handled.push(row.id as number);
      },
    });
    for (let i = 0; i < 10; i++) conn.pushRange(topic, i * 3, 3);
    await waitFor('the client stops reading', () => sub.stats.readPauses === 1);
    conn.pushRange(topic, 30, 3); // waits in the socket until the client reads again
    release!();
    await waitFor('all 33 rows handled', () => handled.length === 33);
    assert.deepEqual(handled, Array.from({ length: 33 }, (_, i) => i));
  });
});

test('a throwing handler is counted and reported; delivery goes on', async () => {
  await withSubscriber(async ({ subscribe }) => {
    const reported: number[] = [];
    const handled: number[] = [];
    const { sub, conn, topic } = await subscribe({
      handler: (row: Record<string, unknown>) => {
        if (row.id === 1) throw new Error('bad row');
        handled.push(row.id as number);
      },
      onHandlerError: (_err, msgId) => reported.push(msgId),
    });
    conn.pushRange(topic, 0, 3);
    await waitFor('rows 0 and 2 handled', () => handled.length === 2);
    assert.deepEqual(handled, [0, 2]);
    assert.deepEqual(reported, [1]);
    assert.equal(sub.stats.handlerErrors, 1);
  });
});

test('unsubscribe tells the node, closes the connection, and no handler call starts after it', async () => {
  await withSubscriber(async ({ node, client, subscribe }) => {
    let calls = 0;
    const { sub, conn, topic } = await subscribe({ batchSize: 100, throttle: 60, handler: () => void calls++ });
    conn.pushRange(topic, 0, 3); // buffered, waiting for 100 rows or a minute
    await waitFor('rows reach the client', () => node.received.length > 0 && conn.open);
    await client.unsubscribeTable('trades', 'a');
    assert.deepEqual(node.requestsOf('unsubscribeTable').map((f) => f.body), [{ tableName: 'trades', actionName: 'a' }]);
    await waitFor('the subscription connection closes', () => !conn.open);
    assert.equal(calls, 0, 'buffered rows are dropped on unsubscribe');
    await sub.unsubscribe(); // twice is harmless
    // The action name is free again.
    await subscribe({ handler: () => {} });
  });
});

test('unsubscribeTable for a subscription this client does not hold goes to the node', async () => {
  await withSubscriber(async ({ node, client }) => {
    await client.unsubscribeTable('trades', 'elsewhere');
    assert.deepEqual(node.requestsOf('unsubscribeTable')[0]!.body, { tableName: 'trades', actionName: 'elsewhere' });
    assert.equal(node.received.find((r) => r.frame.method === 'unsubscribeTable')!.conn, node.connections[0]);
  });
});

test('the same table and action twice on one client is SubscriptionExists', async () => {
  await withSubscriber(async ({ subscribe }) => {
    await subscribe({ handler: () => {} });
    await assert.rejects(subscribe({ handler: () => {} }), (err: unknown) => err instanceof ShoalError && err.code === 'SubscriptionExists');
  });
});

test('a refused subscribe rejects with the node\'s error and leaves no connection behind', async () => {
  await withSubscriber(async ({ node, subscribe }) => {
    node.handlers.set('subscribeTable', () => ({ error: 'BadRequest', text: 'stream table trades has no filter column' }));
    await assert.rejects(subscribe({ handler: () => {}, filter: ['A'] }), (err: unknown) => err instanceof ShoalError && err.code === 'BadRequest');
    await waitFor('the subscription connection closes', () => node.connections.slice(1).every((c) => !c.open));
  });
});

test('bad options are refused before anything is sent', async () => {
  await withSubscriber(async ({ node, subscribe }) => {
    for (const bad of [{ offset: -3 }, { batchSize: 1.5 }, { throttle: -1 }, { maxQueuedRows: 0 }]) {
      await assert.rejects(subscribe({ handler: () => {}, ...bad }), (err: unknown) => err instanceof ShoalError && err.code === 'BadRequest');
    }
    assert.equal(node.requestsOf('subscribeTable').length, 0);
  });
});

test('without reconnect, a subscriptionClosed push ends the subscription: onClosed, rows already received still delivered', async () => {
  await withSubscriber(async ({ node, subscribe }) => {
    const handled: number[] = [];
    const closed: string[] = [];
    const { conn, topic } = await subscribe({ handler: (r: Record<string, unknown>) => void handled.push(r.id as number), onClosed: (reason) => closed.push(reason) });
    conn.pushRange(topic, 0, 2);
    conn.pushClosed(topic, 'the leader of the group stepped down', node.site);
    await waitFor('onClosed', () => closed.length === 1);
    await waitFor('both rows handled', () => handled.length === 2);
    assert.match(closed[0]!, /stepped down/);
    await waitFor('the connection closes', () => !conn.open);
    assert.equal(node.requestsOf('subscribeTable').length, 1, 'no resubscription');
  });
});

test('without reconnect, a lost connection ends the subscription with onClosed', async () => {
  await withSubscriber(async ({ node, subscribe }) => {
    const closed: string[] = [];
    const { conn } = await subscribe({ handler: () => {}, onClosed: (reason) => closed.push(reason) });
    conn.socket.terminate();
    await waitFor('onClosed', () => closed.length === 1);
    assert.match(closed[0]!, /closed/);
    assert.equal(node.requestsOf('subscribeTable').length, 1);
  });
});

test('a push that does not decode ends the subscription (without reconnect) rather than skip rows', async () => {
  await withSubscriber(async ({ subscribe }) => {
    const closed: string[] = [];
    const handled: number[] = [];
    const { conn, topic } = await subscribe({ handler: (r: Record<string, unknown>) => void handled.push(r.id as number), onClosed: (reason) => closed.push(reason) });
    conn.pushRows(topic, 0, [0, 1], { offsets: [0] }); // two rows, one offset
    await waitFor('onClosed', () => closed.length === 1);
    assert.match(closed[0]!, /BadReply/);
    assert.deepEqual(handled, []);
  });
});
