// The client's keepalive relies on the data node answering WebSocket pings: a real NodeServer
// (uWebSockets.js) on loopback must pong every ping on /client, with no handler code of its own,
// or every HA client would drop healthy nodes after keepAliveTimeMs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { NodeServer } from '../../broker/server/node_server.js';
import { CLIENT_PATH } from '../../broker/protocol/methods.js';
import { WireConnection } from '../../clients/wire_connection.js';
import { freePort, waitFor } from '../server/net_helpers.js';

async function startServer(): Promise<NodeServer> {
  return NodeServer.listen({
    host: '127.0.0.1', port: await freePort(), nodeId: 1, clusterSecret: 'test-secret', peerIds: new Set([2]),
    maxClientFrameBytes: 1024, maxPeerFrameBytes: 4096, maxBackpressureBytes: 64 * 1024, idleTimeoutSeconds: 0,
    clients: { open: () => {}, message: () => {}, close: () => {} },
    peers: { message: () => {} },
    http: new Map(),
  });
}

test('NodeServer answers every ping on /client with a pong carrying the same payload', async () => {
  const server = await startServer();
  const socket = new WebSocket(`ws://127.0.0.1:${server.port}${CLIENT_PATH}`, { perMessageDeflate: false });
  try {
    const pongs: string[] = [];
    socket.on('pong', (data) => pongs.push(data.toString()));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    for (const payload of ['a', 'b', 'c']) socket.ping(payload);
    await waitFor('three pongs', () => pongs.length === 3);
    assert.deepEqual(pongs, ['a', 'b', 'c']);
  } finally {
    socket.terminate();
    await server.close();
  }
});

test('a WireConnection with keepalive on stays open against a NodeServer while pings are answered', async () => {
  const server = await startServer();
  const conn = await WireConnection.open({ host: '127.0.0.1', port: server.port, requestTimeoutMs: 5000, maxFrameBytes: 1024, keepAliveTimeMs: 40 });
  try {
    let closedWith = '';
    conn.onClose = (reason) => (closedWith = reason);
    // 400 ms is ten keepalive periods: without pongs the connection would be dropped within 50 ms.
    const until = Date.now() + 400;
    await waitFor('ten keepalive periods', () => Date.now() >= until || closedWith !== '', 2000);
    assert.equal(closedWith, '');
    assert.ok(conn.isOpen);
  } finally {
    await conn.close();
    await server.close();
  }
});
