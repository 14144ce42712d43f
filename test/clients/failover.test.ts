// The HA client against fake nodes on loopback (seeds 000/001 "APIs' support of high availability",
// issue 5): NotLeader followed and remembered, in-flight calls resent after a broken connection with
// the same producer id and sequence (or OutcomeUnknown when that is not safe), startup on every new
// connection, rounds over the sites ending in Unreachable, keepalive against a frozen node, the
// in-flight bound on appends, and reconnect without highAvailability.

import { createServer, Socket } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectOptions, ShoalClient, StartupSession, connect } from '../../clients/index.js';
import { RequestFrame } from '../../broker/protocol/frames.js';
import { FakeNode } from './fake_node.js';
import { waitFor } from '../server/net_helpers.js';
import { rejectsWith } from './rejects_with.js';

const ROW = { id: [1], sym: ['A'], px: [0.5] };
type HaOptions = Omit<ConnectOptions, 'host' | 'port'>;

/** Fake nodes dn1..dnN and an HA client of dn1 that knows all of them. */
async function withCluster(count: number, extra: HaOptions, body: (nodes: FakeNode[], client: ShoalClient) => Promise<void>): Promise<void> {
  const nodes: FakeNode[] = [];
  let client: ShoalClient | undefined;
  try {
    for (let i = 1; i <= count; i++) nodes.push(await FakeNode.start(`dn${i}`));
    client = await connect({
      host: '127.0.0.1', port: nodes[0]!.port, userId: 'admin', password: 'secret',
      highAvailability: true, highAvailabilitySites: nodes.map((n) => n.site), reconnectIntervalMs: 10, requestTimeoutMs: 5000,
      ...extra,
    });
    await body(nodes, client);
    for (const n of nodes) assert.deepEqual(n.problems, []);
  } finally {
    await client?.close();
    for (const n of nodes) await n.close();
  }
}

const appendBody = (f: RequestFrame) => f.body as { tableName: string; producerId?: string; sequence?: number };
const appended = { body: { firstOffset: 0, rowsWritten: 1, rowsDropped: 0, repeated: false } };

/** The answer of a node that takes the request and then dies with it: no reply, the socket dropped. */
function dieWithIt(_f: RequestFrame, conn: { socket: { terminate(): void } }): 'no-reply' {
  setImmediate(() => conn.socket.terminate());
  return 'no-reply';
}

test('NotLeader naming another node: the call lands there, and the next call for the table goes straight there', async () => {
  await withCluster(3, {}, async ([a, b, c], client) => {
    a!.handlers.set('append', () => ({ error: 'NotLeader', text: `<NotLeader>${c!.site}` }));
    c!.handlers.set('append', () => appended);
    c!.handlers.set('readTable', () => ({ body: { firstOffset: 0, rowCount: 0, nextOffset: 0 } }));
    await client.append('trades', ROW);
    assert.equal(a!.requestsOf('append').length, 1);
    assert.equal(c!.requestsOf('append').length, 1);
    await client.append('trades', ROW);
    await client.readTable('trades', 0, 10);
    assert.equal(a!.requestsOf('append').length, 1, 'not asked again');
    assert.equal(c!.requestsOf('append').length, 2);
    assert.equal(c!.requestsOf('readTable').length, 1, 'a read of the same table goes to its leader too');
    assert.equal(b!.received.length, 0, 'dn2 was never needed');
    const [first, second] = [a!.requestsOf('append')[0]!, c!.requestsOf('append')[0]!].map(appendBody);
    assert.deepEqual(second, first, 'the resend at the leader is the same append: same producer id and sequence');
    // Calls about no table stay at home (dn1, where the client connected).
    await client.listTables();
    assert.equal(a!.requestsOf('listTables').length, 1);
  });
});

test('a broken connection with an append in flight: resent to the next site with the SAME producer id and sequence', async () => {
  await withCluster(2, {}, async ([a, b], client) => {
    a!.handlers.set('append', dieWithIt);
    b!.handlers.set('append', () => ({ body: { firstOffset: 40, rowsWritten: 1, rowsDropped: 0, repeated: true } }));
    const result = await client.append('trades', ROW);
    assert.deepEqual(result, { firstOffset: 40, rowsWritten: 1, rowsDropped: 0, repeated: true });
    const sent = [...a!.requestsOf('append'), ...b!.requestsOf('append')].map(appendBody);
    assert.deepEqual(sent, [
      { tableName: 'trades', producerId: client.producerId, sequence: 1 },
      { tableName: 'trades', producerId: client.producerId, sequence: 1 },
    ]);
    // The next append goes where the last one worked, with the next sequence.
    await client.append('trades', ROW);
    assert.deepEqual(b!.requestsOf('append').map(appendBody).map((x) => x.sequence), [1, 2]);
  });
});

test('an append sent and never answered, then every site down: Unreachable says it may have been written (outcome unknown); one never sent says it was not', async () => {
  await withCluster(2, { tryReconnectNums: 1 }, async ([a, b], client) => {
    await client.getPersistenceMeta('trades');
    b!.refusing = true;
    b!.connections.forEach((c) => c.socket.terminate());
    a!.handlers.set('append', (f, conn) => {
      a!.refusing = true; // dn1 takes the append and dies with it
      return dieWithIt(f, conn);
    });
    const err = await rejectsWith(client.append('trades', ROW), 'Unreachable');
    assert.equal(err.outcome, 'unknown');
    assert.match(err.message, /may have been written/);
    assert.match(err.message, /twice/, 'says what appending the rows again risks');
    assert.equal(a!.requestsOf('append').length, 1);
    // Nothing reached a node this time: the caller may safely append again.
    const never = await rejectsWith(client.append('trades', ROW), 'Unreachable');
    assert.equal(never.outcome, 'notSent');
    assert.doesNotMatch(never.message, /may have been written/);
  });
});

test('a broken connection after an unsafe call was sent: OutcomeUnknown, and no other node gets it', async () => {
  await withCluster(2, {}, async ([a, b], client) => {
    a!.handlers.set('haStreamTable', dieWithIt);
    const err = await rejectsWith(client.haStreamTable(2, [{ name: 'id', type: 'INT' }], 'ha1', 1000), 'OutcomeUnknown');
    assert.match(err.message, /may or may not have taken effect/);
    assert.match(err.message, /listTables/);
    assert.equal(b!.requestsOf('haStreamTable').length, 0);
    // A call that never reached a socket is safe: dn1 is gone for good now, so dropStreamTable goes to dn2.
    await a!.close();
    await client.dropStreamTable('ha1');
    assert.equal(b!.requestsOf('dropStreamTable').length, 1);
  });
});

test('a node-side Timeout on an append is resent with the same sequence; on haStreamTable it is OutcomeUnknown', async () => {
  await withCluster(1, {}, async ([a], client) => {
    let timeouts = 0;
    a!.handlers.set('append', () => (timeouts++ < 2 ? { error: 'Timeout', text: 'no outcome within 15000 ms' } : appended));
    await client.append('trades', ROW);
    assert.deepEqual(a!.requestsOf('append').map(appendBody).map((x) => x.sequence), [1, 1, 1]);
    a!.handlers.set('haStreamTable', () => ({ error: 'Timeout', text: 'no outcome within 15000 ms' }));
    await rejectsWith(client.haStreamTable(2, [{ name: 'id', type: 'INT' }], 'ha1', 1000), 'OutcomeUnknown');
    assert.equal(a!.requestsOf('haStreamTable').length, 1);
  });
});

test('an election: NotLeader without a leader, Busy and LeaderChanged are waited out; SequenceTooOld is final', async () => {
  await withCluster(1, {}, async ([a], client) => {
    const answers = [
      { error: 'NotLeader', text: '<NotLeader>' }, { error: 'Busy', text: 'queue full' }, { error: 'LeaderChanged', text: 'overwritten' }, appended,
    ];
    a!.handlers.set('append', () => answers.shift()!);
    await client.append('trades', ROW);
    assert.equal(a!.requestsOf('append').length, 4);
    a!.handlers.set('append', () => ({ error: 'SequenceTooOld', text: 'below the window' }));
    await rejectsWith(client.append('trades', ROW), 'SequenceTooOld');
    assert.equal(a!.requestsOf('append').length, 5, 'not retried');
  });
});

test('startup runs on each new connection, after login and before any call', async () => {
  const runs: string[] = [];
  const startup = async (s: StartupSession): Promise<void> => {
    runs.push(s.address);
    assert.deepEqual(await s.listTables(), []); // the session is usable: logged in already
  };
  await withCluster(2, { startup }, async ([a, b], client) => {
    assert.deepEqual(runs, [`127.0.0.1:${a!.port}`]);
    assert.deepEqual(a!.received.map((r) => r.frame.method), ['login', 'listTables'], 'login, then startup, nothing else yet');
    await a!.close(); // dn1 goes down: the next call opens dn2, and startup runs there
    await client.getStreamingLeader(2);
    assert.deepEqual(runs, [`127.0.0.1:${a!.port}`, `127.0.0.1:${b!.port}`]);
    assert.deepEqual(b!.received.map((r) => r.frame.method), ['login', 'listTables', 'getStreamingLeader']);
    assert.equal(client.connectionsOpened, 2);
  });
});

test('a throwing startup makes that site count as failed: the next site takes over', async () => {
  const runs: string[] = [];
  let failAt = '';
  const startup = (s: StartupSession): void => {
    runs.push(s.address);
    if (s.address === failAt) throw new Error('no session variables here');
  };
  const a = await FakeNode.start('dn1');
  const b = await FakeNode.start('dn2');
  failAt = `127.0.0.1:${a.port}`;
  let client: ShoalClient | undefined;
  try {
    client = await connect({ host: '127.0.0.1', port: a.port, highAvailability: true, highAvailabilitySites: [b.site], reconnectIntervalMs: 10, startup });
    assert.deepEqual(runs, [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]);
    await client.listTables();
    assert.equal(a.requestsOf('listTables').length, 0);
    assert.equal(b.requestsOf('listTables').length, 1);
    await waitFor('the failed connection is closed', () => a.connections.every((c) => !c.open));
  } finally {
    await client?.close();
    await a.close();
    await b.close();
  }
});

test('a throwing startup without highAvailability fails connect with StartupFailed', async () => {
  const a = await FakeNode.start();
  try {
    const err = await rejectsWith(connect({ host: '127.0.0.1', port: a.port, startup: () => { throw new Error('boom'); } }), 'StartupFailed');
    assert.match(err.message, /boom/);
    await waitFor('the socket is closed', () => a.connections.every((c) => !c.open));
  } finally {
    await a.close();
  }
});

test('all sites down: after tryReconnectNums rounds the call rejects with Unreachable naming every site and why', async () => {
  await withCluster(2, { tryReconnectNums: 3 }, async ([a, b], client) => {
    await a!.close();
    b!.refusing = true;
    b!.connections.forEach((c) => c.socket.terminate());
    const err = await rejectsWith(client.listTables(), 'Unreachable');
    assert.match(err.message, /3 round\(s\) over 2 site\(s\)/);
    assert.ok(err.message.includes(`${a!.site} (ConnectFailed:`), err.message);
    assert.ok(err.message.includes(`${b!.site} (ConnectFailed:`), err.message);
    assert.match(err.message, /503/, 'the refusal\'s own reason is kept');
    assert.equal(b!.refused, 3, 'one attempt at dn2 per round');
  });
});

test('sites back up before the rounds run out: the call succeeds', async () => {
  await withCluster(2, { tryReconnectNums: 1000 }, async ([a, b], client) => {
    a!.refusing = true;
    b!.refusing = true;
    for (const n of [a!, b!]) n.connections.forEach((c) => c.socket.terminate());
    b!.handlers.set('listTables', () => ({ body: { tables: [{ name: 'trades', raftGroup: 2, rows: 1, ha: true }] } }));
    const call = client.listTables();
    await waitFor('two rounds refused', () => a!.refused >= 2 && b!.refused >= 2);
    b!.refusing = false;
    assert.deepEqual(await call, [{ name: 'trades', raftGroup: 2, rows: 1, ha: true }]);
  });
});

test('connect with highAvailability: a first site that is down is skipped; with no site list the cluster\'s sites are used', async () => {
  const down = await FakeNode.start('gone');
  await down.close();
  const a = await FakeNode.start('dn1');
  const b = await FakeNode.start('dn2');
  let client: ShoalClient | undefined;
  try {
    client = await connect({ host: '127.0.0.1', port: down.port, highAvailability: true, highAvailabilitySites: [a.site], reconnectIntervalMs: 10 });
    assert.equal(a.connections.length, 1);
    await client.close();
    a.handlers.set('getStreamingRaftGroups', () => ({ body: { groups: [{ id: 2, sites: [a.site, b.site] }] } }));
    client = await connect({ host: '127.0.0.1', port: a.port, highAvailability: true });
    assert.deepEqual(client.sites, [a.site, b.site], 'host:port gained its alias from the cluster\'s list');
    await a.close();
    await client.listTables();
    assert.equal(b.requestsOf('listTables').length, 1);
  } finally {
    await client?.close();
    await a.close();
    await b.close();
  }
});

test('keepalive: a frozen node is abandoned after about keepAliveTimeMs, and the in-flight read succeeds elsewhere', { timeout: 15_000 }, async () => {
  // requestTimeoutMs is a minute: only the keepalive can end the call on dn1 within the test.
  await withCluster(2, { keepAliveTimeMs: 200, requestTimeoutMs: 60_000 }, async ([a, b], client) => {
    await waitFor('the client pings', () => a!.pings >= 2);
    b!.handlers.set('getStreamingRaftGroups', () => ({ body: { groups: [{ id: 2, sites: [b!.site] }] } }));
    a!.freeze();
    const groups = await client.getStreamingRaftGroups();
    assert.deepEqual(groups, [{ id: 2, sites: [b!.site] }]);
    assert.equal(a!.requestsOf('getStreamingRaftGroups').length, 0, 'dn1 never read it');
  });
});

test('at most 256 appends in flight: the 257th waits for a slot', async () => {
  await withCluster(1, {}, async ([a], client) => {
    await client.getPersistenceMeta('trades');
    let atNode = 0;
    let maxAtNode = 0;
    const held: Array<() => void> = [];
    a!.handlers.set('append', () => {
      atNode++;
      maxAtNode = Math.max(maxAtNode, atNode);
      return new Promise((resolve) => held.push(() => {
        atNode--;
        resolve(appended);
      }));
    });
    const appends = Array.from({ length: 257 }, () => client.append('trades', ROW));
    await waitFor('256 appends at the node', () => held.length === 256);
    assert.equal(a!.requestsOf('append').length, 256);
    held.splice(0, 1)[0]!();
    await waitFor('the 257th is sent once a slot is free', () => a!.requestsOf('append').length === 257);
    for (const release of held.splice(0)) release();
    await Promise.all(appends);
    assert.equal(maxAtNode, 256);
    const sequences = a!.requestsOf('append').map((f) => appendBody(f).sequence).sort((x, y) => x! - y!);
    assert.deepEqual(sequences, Array.from({ length: 257 }, (_, i) => i + 1));
  });
});

test('reconnect without highAvailability: a broken connection is reopened at host:port; NotLeader stays the caller\'s', async () => {
  const a = await FakeNode.start();
  const client = await connect({ host: '127.0.0.1', port: a.port, userId: 'admin', password: 'secret', reconnect: true, reconnectIntervalMs: 10 });
  try {
    a.connections[0]!.socket.terminate();
    await waitFor('dropped', () => !a.connections[0]!.open);
    await client.listTables();
    assert.equal(a.connections.length, 2);
    assert.deepEqual(a.received.filter((r) => r.conn === a.connections[1]).map((r) => r.frame.method), ['login', 'listTables']);
    a.handlers.set('append', () => ({ error: 'NotLeader', text: '<NotLeader>127.0.0.1:1:elsewhere' }));
    const err = await rejectsWith(client.append('trades', ROW), 'NotLeader');
    assert.equal(err.leader, '127.0.0.1:1:elsewhere');
  } finally {
    await client.close();
    await a.close();
  }
});

test('close() ends calls waiting out a failover, and appends waiting for a slot', async () => {
  await withCluster(1, { tryReconnectNums: -1, reconnectIntervalMs: 50 }, async ([a], client) => {
    a!.refusing = true;
    a!.connections.forEach((c) => c.socket.terminate());
    const call = client.listTables();
    await waitFor('refused at least once', () => a!.refused >= 1);
    await client.close();
    await rejectsWith(call, 'ConnectionClosed');
    await rejectsWith(client.listTables(), 'ConnectionClosed');
  });
});

test('a site that accepts TCP but never answers the upgrade (a paused node) is given up after keepAliveTimeMs, not requestTimeoutMs', { timeout: 15_000 }, async () => {
  const sockets: Socket[] = [];
  const silent = createServer((socket) => void sockets.push(socket)); // the kernel accepts; nobody answers
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as { port: number }).port;
  const b = await FakeNode.start('dn2');
  let client: ShoalClient | undefined;
  try {
    client = await connect({
      host: '127.0.0.1', port, highAvailability: true, highAvailabilitySites: [b.site], keepAliveTimeMs: 100, requestTimeoutMs: 60_000, reconnectIntervalMs: 10,
    });
    assert.equal(sockets.length, 1, 'the silent site was tried first');
    await client.listTables();
    assert.equal(b.requestsOf('listTables').length, 1);
  } finally {
    await client?.close();
    await b.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});

test('without highAvailability every call stays on the one connection, even after the client learnt a leader elsewhere', async () => {
  const a = await FakeNode.start('dn1');
  const b = await FakeNode.start('dn2');
  const client = await connect({ host: '127.0.0.1', port: a.port });
  try {
    a.handlers.set('getStreamingLeader', () => ({ body: { leader: b.site, term: 3 } }));
    a.handlers.set('append', () => appended);
    assert.equal(await client.getStreamingLeader(2), b.site);
    await client.append('trades', ROW); // trades is in group 2 (getPersistenceMeta)
    assert.equal(a.requestsOf('append').length, 1);
    assert.equal(b.connections.length, 0);
  } finally {
    await client.close();
    await a.close();
    await b.close();
  }
});

test('with highAvailability, a leader read from getStreamingLeader routes the group\'s tables there', async () => {
  await withCluster(2, {}, async ([a, b], client) => {
    a!.handlers.set('getStreamingLeader', () => ({ body: { leader: b!.site, term: 3 } }));
    b!.handlers.set('append', () => appended);
    await client.getStreamingLeader(2);
    await client.append('trades', ROW);
    assert.equal(a!.requestsOf('append').length, 0);
    assert.equal(b!.requestsOf('append').length, 1);
  });
});

test('UnknownTable from one site: the other sites are asked once each before the caller hears it (a lagging follower, a non-member)', async () => {
  await withCluster(3, {}, async ([a, b, c], client) => {
    const unknown = () => ({ error: 'UnknownTable', text: 'no stream table trades on this node' });
    a!.handlers.set('getPersistenceMeta', unknown);
    b!.handlers.set('getPersistenceMeta', unknown);
    const meta = await client.getPersistenceMeta('trades');
    assert.equal(meta.schema.length, 3, 'dn3 knew it');
    assert.deepEqual([a, b, c].map((n) => n!.requestsOf('getPersistenceMeta').length), [1, 1, 1]);
    c!.handlers.set('getPersistenceMeta', unknown);
    const err = await rejectsWith(client.getPersistenceMeta('nowhere'), 'UnknownTable');
    assert.match(err.message, /no stream table/);
    assert.deepEqual([a, b, c].map((n) => n!.requestsOf('getPersistenceMeta').length), [2, 2, 2], 'each site once, no endless loop');
  });
});

test('NotMember from a node outside the group: the other sites are asked, and the table is created at a member', async () => {
  await withCluster(3, {}, async ([a, b, c], client) => {
    const notMember = () => ({ error: 'NotMember', text: 'this node is not a member of raft group 3' });
    a!.handlers.set('haStreamTable', notMember);
    b!.handlers.set('haStreamTable', notMember);
    c!.handlers.set('haStreamTable', () => ({ body: { tableName: 'trades', raftGroup: 3 } }));
    await client.haStreamTable(3, [{ name: 'id', type: 'INT' }], 'trades', 100);
    assert.deepEqual([a, b, c].map((n) => n!.requestsOf('haStreamTable').length), [1, 1, 1]);
  });
});
