// ShoalClient calls against a fake node on loopback: login, replies matched to their requests by id,
// timeouts, a closed socket, NotLeader and other node errors, frames the client cannot read, and the
// row-carrying calls (append with its cached schema, readTable).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAppendBatch, batchToRows } from '../../broker/table/batch.js';
import { checkSchema } from '../../broker/table/schema.js';
import { encodeReply, encodeRequest } from '../../broker/protocol/frames.js';
import { ShoalClient, ShoalError, connect } from '../../clients/index.js';
import { MAX_PENDING_CALLS } from '../../clients/wire_connection.js';
import { FakeNode, TEST_SCHEMA, testRows } from './fake_node.js';
import { waitFor } from '../server/net_helpers.js';
import { rejectsWith } from './rejects_with.js';

async function withNode(body: (node: FakeNode, client: ShoalClient) => Promise<void>, requestTimeoutMs = 5000): Promise<void> {
  const node = await FakeNode.start();
  let client: ShoalClient | undefined;
  try {
    client = await connect({ host: '127.0.0.1', port: node.port, userId: 'admin', password: 'secret', requestTimeoutMs });
    await body(node, client);
    assert.deepEqual(node.problems, [], 'the client sent only well-formed requests');
  } finally {
    await client?.close();
    await node.close();
  }
}

test('connect logs in with the user id and password given', async () => {
  await withNode(async (node) => {
    const logins = node.requestsOf('login');
    assert.equal(logins.length, 1);
    assert.deepEqual(logins[0]!.body, { userId: 'admin', password: 'secret' });
  });
});

test('a wrong password fails connect with AuthFailed, and the socket is closed', async () => {
  const node = await FakeNode.start();
  try {
    await rejectsWith(connect({ host: '127.0.0.1', port: node.port, userId: 'admin', password: 'nope' }), 'AuthFailed');
    await waitFor('the fake sees the socket close', () => node.connections.every((c) => !c.open));
  } finally {
    await node.close();
  }
});

test('nothing listening: connect fails with ConnectFailed', async () => {
  const node = await FakeNode.start();
  const port = node.port;
  await node.close();
  await rejectsWith(connect({ host: '127.0.0.1', port }), 'ConnectFailed');
});

test('replies are matched to calls by request id, whatever order they come in', async () => {
  await withNode(async (node, client) => {
    const waiting: Array<() => void> = [];
    node.handlers.set('getStreamingLeader', (f) => {
      const group = (f.body as { groupId: number }).groupId;
      // Hold every answer until three calls are in, then answer the last one first.
      return new Promise((resolve) => {
        waiting.push(() => resolve({ body: { leader: `127.0.0.1:${9000 + group}:dn${group}`, term: group } }));
        if (waiting.length === 3) for (const answer of waiting.reverse()) answer();
      });
    });
    const leaders = await Promise.all([client.getStreamingLeader(1), client.getStreamingLeader(2), client.getStreamingLeader(3)]);
    assert.deepEqual(leaders, ['127.0.0.1:9001:dn1', '127.0.0.1:9002:dn2', '127.0.0.1:9003:dn3']);
  });
});

test('a call without a reply times out with Timeout; its late reply is counted and harms nothing', async () => {
  await withNode(async (node, client) => {
    let held: { id: number } | undefined;
    node.handlers.set('listTables', (f) => {
      held = { id: f.requestId };
      return 'no-reply';
    });
    await rejectsWith(client.listTables(), 'Timeout');
    node.connections[0]!.send(encodeReply(held!.id, 'listTables', { tables: [] }));
    node.handlers.set('listTables', () => ({ body: { tables: [{ name: 'trades', raftGroup: 2, rows: 10, ha: true }] } }));
    assert.deepEqual(await client.listTables(), [{ name: 'trades', raftGroup: 2, rows: 10, ha: true }]);
    assert.equal(client.stats.lateReplies, 1);
  }, 200);
});

test('the socket closing rejects every pending call with ConnectionClosed, and later calls too', async () => {
  await withNode(async (node, client) => {
    node.handlers.set('listTables', () => 'no-reply');
    node.handlers.set('getStreamingRaftGroups', () => 'no-reply');
    const pending = [client.listTables(), client.getStreamingRaftGroups()];
    await waitFor('both calls reach the node', () => node.received.length >= 3);
    node.connections[0]!.socket.terminate();
    for (const p of pending) await rejectsWith(p, 'ConnectionClosed');
    await rejectsWith(client.listTables(), 'ConnectionClosed');
  });
});

test('calls in flight are bounded: the one past MAX_PENDING_CALLS fails fast with TooManyPendingCalls', async () => {
  await withNode(async (node, client) => {
    node.handlers.set('listTables', () => 'no-reply');
    const pending = Array.from({ length: MAX_PENDING_CALLS }, () => client.listTables().catch((err: unknown) => err));
    await rejectsWith(client.listTables(), 'TooManyPendingCalls');
    await client.close();
    assert.ok((await Promise.all(pending)).every((err) => err instanceof ShoalError && err.code === 'ConnectionClosed'));
  });
});

test('NotLeader names the leader in .leader; a bare <NotLeader> leaves it undefined', async () => {
  await withNode(async (node, client) => {
    node.handlers.set('append', () => ({ error: 'NotLeader', text: '<NotLeader>127.0.0.1:8903:datanode3' }));
    const err = await rejectsWith(client.append('trades', { id: [1], sym: ['A'], px: [1.5] }), 'NotLeader');
    assert.equal(err.leader, '127.0.0.1:8903:datanode3');
    assert.match(err.message, /127\.0\.0\.1:8903:datanode3/);
    node.handlers.set('append', () => ({ error: 'NotLeader', text: '<NotLeader>' }));
    const none = await rejectsWith(client.append('trades', { id: [1], sym: ['A'], px: [1.5] }), 'NotLeader');
    assert.equal(none.leader, undefined);
  });
});

test('other node errors keep their wire code and text', async () => {
  await withNode(async (node, client) => {
    node.handlers.set('dropStreamTable', () => ({ error: 'SubscriptionsExist', text: 'stream table trades has 1 subscription(s); unsubscribe them first' }));
    const err = await rejectsWith(client.dropStreamTable('trades'), 'SubscriptionsExist');
    assert.match(err.message, /unsubscribe them first/);
    await rejectsWith(client.getPersistenceMeta('nosuch'), 'UnknownTable');
  });
});

test('frames the client cannot use are dropped and counted; the connection keeps working', async () => {
  await withNode(async (node, client) => {
    const socket = node.connections[0]!;
    socket.send(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f])); // not protobuf
    socket.send('a text message');
    socket.send(encodeRequest(1, 'listTables', {})); // nodes never send requests
    socket.send(encodeReply(987_654, 'listTables', { tables: [] })); // answers no call
    // A reply of the wrong method to a real call: BadReply for that call only.
    node.handlers.set('getStreamingRaftGroups', (f) => {
      socket.send(encodeReply(f.requestId, 'listTables', { tables: [] }));
      return 'no-reply';
    });
    await rejectsWith(client.getStreamingRaftGroups(), 'BadReply');
    node.handlers.set('getStreamingRaftGroups', () => ({ body: { groups: [{ id: 2, sites: ['a:1:x'] }] } }));
    assert.deepEqual(await client.getStreamingRaftGroups(), [{ id: 2, sites: ['a:1:x'] }]);
    assert.equal(client.stats.malformedFrames, 3);
    assert.equal(client.stats.lateReplies, 1);
  });
});

test('append encodes with the schema fetched once, and returns the node\'s answer', async () => {
  await withNode(async (node, client) => {
    const appended: Array<Array<Record<string, unknown>>> = [];
    node.handlers.set('append', (f) => {
      appended.push(batchToRows(decodeAppendBatch(TEST_SCHEMA, f.arrow!, { maxRows: 100, maxBytes: 1 << 20 })));
      return { body: { firstOffset: 10 * appended.length, rowsWritten: 2, rowsDropped: 0 } };
    });
    assert.deepEqual(await client.append('trades', { id: [1, 2], sym: ['A', 'B'], px: [0.5, 1] }), { firstOffset: 10, rowsWritten: 2, rowsDropped: 0, repeated: false });
    assert.deepEqual(await client.append('trades', { px: Float64Array.from([3, 4]), sym: ['C', null], id: Int32Array.from([3, 4]) }), { firstOffset: 20, rowsWritten: 2, rowsDropped: 0, repeated: false });
    assert.equal(node.requestsOf('getPersistenceMeta').length, 1, 'the schema is cached');
    assert.deepEqual(appended[1], [{ id: 3, sym: 'C', px: 3 }, { id: 4, sym: null, px: 4 }]);
    // Exactly-once: the client's producer id, one new sequence per append.
    assert.match(client.producerId, /^[0-9a-f]{32}$/);
    assert.deepEqual(node.requestsOf('append').map((f) => f.body), [
      { tableName: 'trades', producerId: client.producerId, sequence: 1 },
      { tableName: 'trades', producerId: client.producerId, sequence: 2 },
    ]);
  });
});

test('append: a SchemaMismatch refetches the schema and retries once with it', async () => {
  await withNode(async (node, client) => {
    await client.getPersistenceMeta('trades'); // caches the 3-column schema
    const wider = checkSchema({ columns: [...TEST_SCHEMA.columns, { name: 'qty', type: 'LONG' }] });
    node.tables.set('trades', wider); // the table was dropped and made again with a new column
    node.handlers.set('append', (f) => {
      try {
        decodeAppendBatch(wider, f.arrow!, { maxRows: 100, maxBytes: 1 << 20 });
      } catch (err) {
        return { error: 'SchemaMismatch', text: String(err) };
      }
      return { body: { firstOffset: 0, rowsWritten: 1, rowsDropped: 0 } };
    });
    // Without qty the local encode fails against the new schema: that is the data's fault, reported once.
    const err = await rejectsWith(client.append('trades', { id: [1], sym: ['A'], px: [1] }), 'SchemaMismatch');
    assert.match(err.message, /qty/);
    assert.equal(node.requestsOf('append').length, 1, 'one try with the stale schema, none with the fresh one');
    // The fresh schema is cached now; data that fits it goes through.
    assert.deepEqual(await client.append('trades', { id: [1], sym: ['A'], px: [1], qty: [5n] }), { firstOffset: 0, rowsWritten: 1, rowsDropped: 0, repeated: false });
    assert.equal(node.requestsOf('getPersistenceMeta').length, 2);
  });
});

test('append: data for the new schema of a remade table goes through after one refetch', async () => {
  await withNode(async (node, client) => {
    await client.getPersistenceMeta('trades');
    node.tables.set('trades', checkSchema({ columns: [...TEST_SCHEMA.columns, { name: 'qty', type: 'LONG' }] }));
    node.handlers.set('append', () => ({ body: { firstOffset: 4, rowsWritten: 1, rowsDropped: 0 } }));
    // qty is an extra column for the cached schema: a local SchemaMismatch, then the fresh schema fits.
    assert.deepEqual(await client.append('trades', { id: [1], sym: ['A'], px: [1], qty: [5n] }), { firstOffset: 4, rowsWritten: 1, rowsDropped: 0, repeated: false });
    assert.equal(node.requestsOf('getPersistenceMeta').length, 2);
    assert.equal(node.requestsOf('append').length, 1);
  });
});

test('append: data that does not fit the table fails locally with a typed error naming the column', async () => {
  await withNode(async (node, client) => {
    const err = await rejectsWith(client.append('trades', { id: [1], sym: ['A'] }), 'SchemaMismatch');
    assert.match(err.message, /"px"/);
    assert.equal(node.requestsOf('append').length, 0);
  });
});

test('readTable decodes the rows the node sends; no rows is an empty list', async () => {
  await withNode(async (node, client) => {
    node.handlers.set('readTable', (f) => {
      const offset = (f.body as { offset: number }).offset;
      if (offset >= 3) return { body: { firstOffset: offset, rowCount: 0, nextOffset: offset } };
      return { body: { firstOffset: 1, rowCount: 2, nextOffset: 3 }, arrow: testRows([1, 2]) };
    });
    assert.deepEqual(await client.readTable('trades', 0, 10), {
      firstOffset: 1, nextOffset: 3, rows: [{ id: 1, sym: 'B', px: 0.5 }, { id: 2, sym: 'A', px: 1 }],
    });
    assert.deepEqual(await client.readTable('trades', 3, 10), { firstOffset: 3, nextOffset: 3, rows: [] });
  });
});

test('table creation sends the DolphinDB arguments as the node expects them', async () => {
  await withNode(async (node, client) => {
    await client.haStreamTable(2, [{ name: 'id', type: 'INT' }, { name: 'px', type: 'DECIMAL64(4)' }], 'ha1', 50_000, 'id');
    await client.streamTable('reg1', TEST_SCHEMA, { keyColumn: ['id', 'sym'], filterColumn: 'sym' });
    const [ha] = node.requestsOf('haStreamTable');
    assert.deepEqual(ha!.body, {
      raftGroup: 2, tableName: 'ha1', cacheLimit: 50_000, keyColumns: ['id'], retentionMinutes: 1440, filterColumn: '',
      schema: [{ name: 'id', type: 'INT', scale: 0 }, { name: 'px', type: 'DECIMAL64(4)', scale: 0 }],
    });
    const [reg] = node.requestsOf('streamTable');
    assert.deepEqual(reg!.body.keyColumns, ['id', 'sym']);
    assert.equal(reg!.body.filterColumn, 'sym');
    assert.equal(reg!.body.cacheLimit, 100_000);
    await rejectsWith(client.streamTable('bad', []), 'BadRequest');
  });
});

test('getStreamingStat parses the JSON; text that is not JSON is a BadReply', async () => {
  await withNode(async (node, client) => {
    node.handlers.set('getStreamingStat', () => ({ body: { json: '{"groups":[{"id":2}]}' } }));
    assert.deepEqual(await client.getStreamingStat(), { groups: [{ id: 2 }] });
    node.handlers.set('getStreamingStat', () => ({ body: { json: '{oops' } }));
    await rejectsWith(client.getStreamingStat(), 'BadReply');
  });
});

test('topic offsets: getTopicProcessedOffset answers -1 when none', async () => {
  await withNode(async (node, client) => {
    node.handlers.set('getTopicProcessedOffset', () => ({ body: { offset: -1 } }));
    assert.equal(await client.getTopicProcessedOffset('fake_2/trades/a'), -1);
    await client.removeTopicOffset('fake_2/trades/a');
    assert.deepEqual(node.requestsOf('removeTopicOffset')[0]!.body, { topic: 'fake_2/trades/a' });
  });
});
