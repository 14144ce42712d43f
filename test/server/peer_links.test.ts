// Nodes talking over loopback: each node is a NodeServer (inbound, /peer) plus PeerLinks (outbound).
// Covers delivery both ways, the cluster-secret handshake refusing strangers, reconnect after a
// restart, and the bounded queue.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import WebSocket from 'ws';
import { SeededRandom } from '../../broker/raft/random.js';
import { NodeServer } from '../../broker/server/node_server.js';
import * as handshake from '../../broker/server/peer_handshake.js';
import { PeerCloseCode } from '../../broker/server/peer_handshake.js';
import { PeerLinks, type PeerLinksOptions } from '../../broker/server/peer_links.js';
import { ServerError } from '../../broker/server/errors.js';
import { freePort, waitFor } from './net_helpers.js';

const SECRET = 'shared-cluster-secret';

interface Received {
  from: number;
  frame: Uint8Array;
}

/** Everything a test starts, closed in afterEach whatever happened. */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startServer(nodeId: number, port: number, options: { secret?: string; peerIds?: number[]; onFrame?: (r: Received) => void; peerHandshakeTimeoutMs?: number } = {}): Promise<{ server: NodeServer; received: Received[] }> {
  const received: Received[] = [];
  const server = await NodeServer.listen({
    host: '127.0.0.1',
    port,
    nodeId,
    clusterSecret: options.secret ?? SECRET,
    peerIds: new Set(options.peerIds ?? [1, 2, 3].filter((id) => id !== nodeId)),
    maxClientFrameBytes: 1024,
    maxPeerFrameBytes: 64 * 1024,
    maxBackpressureBytes: 64 * 1024,
    idleTimeoutSeconds: 0,
    peerHandshakeTimeoutMs: options.peerHandshakeTimeoutMs ?? 5000,
    clients: { open: () => {}, message: () => {}, close: () => {} },
    peers: {
      message: (from, frame) => {
        const r = { from, frame };
        options.onFrame?.(r);
        received.push(r);
      },
    },
    http: new Map(),
  });
  cleanups.push(() => server.close());
  return { server, received };
}

function startLinks(nodeId: number, peers: Array<[number, number]>, overrides: Partial<PeerLinksOptions> = {}, start = true): PeerLinks {
  const random = new SeededRandom(nodeId);
  const links = new PeerLinks({
    nodeId,
    clusterSecret: SECRET,
    peers: new Map(peers.map(([id, port]) => [id, { host: '127.0.0.1', port }])),
    maxQueuedBytesPerPeer: 1024 * 1024,
    reconnectMinMs: 10,
    reconnectMaxMs: 50,
    random: () => random.nextUint32() / 0x100000000,
    ...overrides,
  });
  cleanups.push(() => links.close());
  if (start) links.start();
  return links;
}

const frame = (...values: number[]): Uint8Array => new Uint8Array(values);
const firstBytes = (received: Received[]): number[] => received.map((r) => r.frame[0]!);

describe('PeerLinks between two NodeServers', () => {
  it('delivers frames both ways, tagged with the sender, in the order sent', async () => {
    const [port1, port2] = [await freePort(), await freePort()];
    const node1 = await startServer(1, port1);
    const node2 = await startServer(2, port2);
    const links1 = startLinks(1, [[2, port2]]);
    const links2 = startLinks(2, [[1, port1]]);
    await waitFor('both links authenticated', () => links1.isConnected(2) && links2.isConnected(1));

    for (let i = 0; i < 100; i++) assert.ok(links1.send(2, frame(i, 1)));
    for (let i = 0; i < 50; i++) assert.ok(links2.send(1, frame(i, 2)));
    await waitFor('all frames arrived', () => node2.received.length === 100 && node1.received.length === 50);

    assert.deepEqual(firstBytes(node2.received), [...Array(100).keys()]);
    assert.ok(node2.received.every((r) => r.from === 1 && r.frame[1] === 1));
    assert.deepEqual(firstBytes(node1.received), [...Array(50).keys()]);
    assert.ok(node1.received.every((r) => r.from === 2 && r.frame[1] === 2));
    assert.deepEqual(node2.server.connectedPeerIds(), [1]);
    const s = links1.stats().perPeer.get(2)!;
    assert.deepEqual([s.connected, s.sent, s.dropped, s.queuedBytes, s.reconnects], [true, 100, 0, 0, 0]);
  });

  it('a frame in chunks arrives as one frame, in order with whole frames, and counts its size once', async () => {
    const port2 = await freePort();
    const node2 = await startServer(2, port2);
    const links1 = startLinks(1, [[2, port2]], { maxFrameBytes: 50_000 });
    await waitFor('link authenticated', () => links1.isConnected(2));
    const big = new Uint8Array(20_000).map((_, i) => i % 251);
    const chunked = [frame(7, 7), big, frame(8), big.subarray(5, 9_000)];
    assert.ok(links1.send(2, frame(1)));
    assert.ok(links1.send(2, chunked)); // queued behind the first in the same turn: one corked flush
    assert.ok(links1.send(2, [frame(3)]));
    assert.equal(links1.send(2, [big, big, big]), false, '60,000 bytes in chunks are over maxFrameBytes');
    await waitFor('three frames arrived', () => node2.received.length === 3);
    const expected = Buffer.concat(chunked);
    assert.deepStrictEqual(node2.received.map((r) => r.frame.byteLength), [1, expected.byteLength, 1]);
    assert.ok(expected.equals(Buffer.from(node2.received[1]!.frame)), 'the chunks, back to back');
    assert.deepStrictEqual([node2.received[0]!.frame[0], node2.received[2]!.frame[0]], [1, 3]);
    const s = links1.stats().perPeer.get(2)!;
    assert.deepEqual([s.sent, s.dropped, s.queuedBytes], [3, 1, 0]);
  });

  it('pauses writing above the socket buffer limit and resumes until every frame is delivered in order', async () => {
    const port2 = await freePort();
    const node2 = await startServer(2, port2);
    const links1 = startLinks(1, [[2, port2]], { maxSocketBufferedBytesPerPeer: 4096 });
    await waitFor('link authenticated', () => links1.isConnected(2));
    const count = 1000; // 1 MB: just under the queue limit
    for (let i = 0; i < count; i++) {
      const f = new Uint8Array(1000);
      new DataView(f.buffer).setUint32(0, i);
      assert.ok(links1.send(2, f));
    }
    await new Promise((resolve) => setImmediate(resolve)); // the first flush has run
    assert.ok(links1.stats().perPeer.get(2)!.queuedBytes > 0, 'the first flush stopped at the socket buffer limit');
    await waitFor('all frames arrived', () => node2.received.length === count, 10_000);
    node2.received.forEach((r, i) => assert.equal(new DataView(r.frame.buffer, r.frame.byteOffset).getUint32(0), i));
  });

  it('reconnects after the peer restarts and delivers again, including what was queued meanwhile', async () => {
    const port2 = await freePort();
    const first = await startServer(2, port2);
    const links1 = startLinks(1, [[2, port2]]);
    await waitFor('link authenticated', () => links1.isConnected(2));
    links1.send(2, frame(1));
    await waitFor('first frame', () => first.received.length === 1);

    await first.server.close();
    await waitFor('link noticed the restart', () => !links1.isConnected(2));
    assert.ok(links1.send(2, frame(2)), 'queued while the peer is down');
    await waitFor('a failed reconnect attempt', () => links1.stats().perPeer.get(2)!.reconnects >= 2);
    assert.match(links1.stats().perPeer.get(2)!.lastError ?? '', /ECONNREFUSED|closed/);

    const second = await startServer(2, port2);
    await waitFor('link back up', () => links1.isConnected(2));
    links1.send(2, frame(3));
    await waitFor('frames after the restart', () => second.received.length === 2);
    assert.deepEqual(firstBytes(second.received), [2, 3]);
  });

  it('a handler exception on a peer frame is counted and the link keeps delivering', async () => {
    const port2 = await freePort();
    const node2 = await startServer(2, port2, {
      onFrame: (r) => {
        if (r.frame[0] === 0xee) throw new Error('peer frame exploded');
      },
    });
    const links1 = startLinks(1, [[2, port2]]);
    await waitFor('link authenticated', () => links1.isConnected(2));
    links1.send(2, frame(0xee));
    links1.send(2, frame(1));
    await waitFor('the frame after the bad one', () => node2.received.length === 1);
    assert.equal(node2.server.stats().peerHandlerErrors, 1);
    assert.ok(links1.isConnected(2));
  });
});

describe('peer authentication', () => {
  it('refuses a node with another cluster secret, and that node keeps retrying with backoff', async () => {
    const port2 = await freePort();
    const node2 = await startServer(2, port2);
    const intruder = startLinks(1, [[2, port2]], { clusterSecret: 'not-the-secret' });
    await waitFor('several refused attempts', () => intruder.stats().perPeer.get(2)!.reconnects >= 2 && node2.server.stats().peerAuthFailures >= 2);
    const s = intruder.stats().perPeer.get(2)!;
    assert.equal(s.connected, false);
    assert.match(s.lastError ?? '', /PEER_AUTH_FAILED/);
    assert.ok(intruder.send(2, frame(1)), 'queued, never delivered');
    await waitFor('one more refused attempt', () => node2.server.stats().peerAuthFailures >= 3);
    assert.equal(node2.received.length, 0);
    assert.deepEqual(node2.server.connectedPeerIds(), []);
  });

  it('refuses a node id outside peerIds, and one claiming the server’s own id', async () => {
    const port2 = await freePort();
    const node2 = await startServer(2, port2, { peerIds: [1, 2] }); // listing its own id must not help
    const stranger = startLinks(9, [[2, port2]]);
    const impostor = startLinks(2, [[3, port2]]); // says "I am 2" to node 2 (believing it is node 3)
    await waitFor('stranger refused', () => /PEER_NOT_ALLOWED/.test(stranger.stats().perPeer.get(2)!.lastError ?? ''));
    await waitFor('impostor refused', () => /PEER_WRONG_NODE/.test(impostor.stats().perPeer.get(3)!.lastError ?? ''));
    assert.ok(node2.server.stats().peerRefusals >= 1);
    assert.deepEqual(node2.server.connectedPeerIds(), []);
  });

  it('refuses the own id even when the address is right', async () => {
    const port2 = await freePort();
    const node2 = await startServer(2, port2, { peerIds: [1, 2] });
    // A raw client that answers the challenge as node 2 with the right secret.
    const socket = new WebSocket(`ws://127.0.0.1:${port2}/peer`);
    let closeCode: number | undefined;
    let closeReason = '';
    socket.on('message', (data) => {
      const challenge = handshake.decodeChallenge(new Uint8Array(data as Buffer))!;
      socket.send(handshake.encodeProof({ clientNodeId: 2, proof: handshake.clientProof(SECRET, challenge.nonce, 2, 2), clientNonce: handshake.newNonce() }));
    });
    socket.on('close', (code, reason) => {
      closeCode = code;
      closeReason = reason.toString();
    });
    await waitFor('refused', () => closeCode !== undefined);
    assert.equal(closeCode, PeerCloseCode.NOT_ALLOWED);
    assert.match(closeReason, /cannot be its own peer/);
    assert.equal(node2.server.stats().peerRefusals, 1);
  });

  it('closes the older connection when the same node connects again (a restarted peer)', async () => {
    const port2 = await freePort();
    const node2 = await startServer(2, port2);
    const older = await provenPeerSocket(port2, 1);
    const newer = await provenPeerSocket(port2, 1);
    await waitFor('older replaced', () => older.closeCode !== undefined);
    assert.equal(older.closeCode, PeerCloseCode.REPLACED);
    assert.equal(newer.closeCode, undefined);
    assert.deepEqual(node2.server.connectedPeerIds(), [1]);
    newer.socket.send(frame(5));
    await waitFor('frame on the newer link', () => node2.received.length === 1);
    newer.socket.close();
    await waitFor('peer gone', () => node2.server.connectedPeerIds().length === 0);
  });

  it('closes a /peer connection that answers the challenge with something other than a proof', async () => {
    const port2 = await freePort();
    const node2 = await startServer(2, port2); // the 5 s handshake timeout cannot race the empty frame
    const socket = new WebSocket(`ws://127.0.0.1:${port2}/peer`);
    let closeCode: number | undefined;
    socket.on('close', (code) => (closeCode = code));
    socket.on('message', () => socket.send(new Uint8Array(0)));
    await waitFor('closed', () => closeCode !== undefined);
    assert.equal(closeCode, PeerCloseCode.MALFORMED);
    assert.deepEqual([node2.server.stats().peerMalformed, node2.server.stats().peerHandshakeTimeouts], [1, 0]);
  });

  it('closes a /peer connection that never proves itself within the handshake timeout', async () => {
    const port2 = await freePort();
    const node2 = await startServer(2, port2, { peerHandshakeTimeoutMs: 50 });
    const silent = new WebSocket(`ws://127.0.0.1:${port2}/peer`);
    let silentCode: number | undefined;
    silent.on('close', (code) => (silentCode = code));
    await waitFor('silent peer timed out', () => silentCode !== undefined);
    assert.equal(silentCode, PeerCloseCode.HANDSHAKE_TIMEOUT);
    assert.deepEqual([node2.server.stats().peerHandshakeTimeouts, node2.server.stats().peerMalformed], [1, 0]);
  });
});

describe('PeerLinks queue', () => {
  it('drops and counts frames over maxQueuedBytesPerPeer, and delivers the queued ones once connected', async () => {
    const port2 = await freePort();
    const links1 = startLinks(1, [[2, port2]], { maxQueuedBytesPerPeer: 100, maxFrameBytes: 60 }, false);
    for (let i = 0; i < 10; i++) assert.ok(links1.send(2, new Uint8Array(10).fill(i)), `frame ${i} fits`);
    assert.equal(links1.send(2, new Uint8Array(1)), false, 'the 101st byte does not');
    assert.equal(links1.send(2, new Uint8Array(61)), false, 'over maxFrameBytes');
    let s = links1.stats().perPeer.get(2)!;
    assert.deepEqual([s.queuedBytes, s.dropped, s.sent], [100, 2, 0]);

    const node2 = await startServer(2, port2);
    links1.start();
    await waitFor('queued frames delivered', () => node2.received.length === 10);
    assert.deepEqual(firstBytes(node2.received), [...Array(10).keys()]);
    s = links1.stats().perPeer.get(2)!;
    assert.deepEqual([s.queuedBytes, s.dropped, s.sent], [0, 2, 10]);
  });

  it('refuses frames after close and to unknown peers', async () => {
    const links1 = startLinks(1, [[2, await freePort()]], {}, false);
    assert.throws(() => links1.send(7, frame(1)), (err: unknown) => err instanceof ServerError && err.code === 'UNKNOWN_PEER');
    await links1.close();
    assert.equal(links1.send(2, frame(1)), false);
    assert.equal(links1.stats().perPeer.get(2)!.dropped, 1);
  });

  it('close() called twice on a live link settles both calls', { timeout: 5000 }, async () => {
    const port2 = await freePort();
    await startServer(2, port2);
    const links1 = startLinks(1, [[2, port2]]);
    await waitFor('link authenticated', () => links1.isConnected(2));
    await Promise.all([links1.close(), links1.close()]);
    assert.equal(links1.isConnected(2), false);
  });

  it('refuses options that cannot work', () => {
    const base: PeerLinksOptions = { nodeId: 1, clusterSecret: SECRET, peers: new Map(), maxQueuedBytesPerPeer: 1, reconnectMinMs: 10, reconnectMaxMs: 20 };
    const isBadOptions = (err: unknown): boolean => err instanceof ServerError && err.code === 'BAD_OPTIONS';
    assert.throws(() => new PeerLinks({ ...base, clusterSecret: '' }), isBadOptions);
    assert.throws(() => new PeerLinks({ ...base, reconnectMaxMs: 5 }), isBadOptions);
    assert.throws(() => new PeerLinks({ ...base, peers: new Map([[1, { host: '127.0.0.1', port: 1 }]]) }), isBadOptions);
  });
});

/** A raw `ws` client that completes the handshake as `nodeId`, checking the server's proof. */
async function provenPeerSocket(port: number, nodeId: number): Promise<{ socket: WebSocket; closeCode?: number }> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/peer`);
  const result: { socket: WebSocket; closeCode?: number } = { socket };
  const clientNonce = handshake.newNonce();
  let accepted = false;
  socket.on('close', (code) => (result.closeCode = code));
  socket.on('message', (data) => {
    const bytes = new Uint8Array(data as Buffer);
    const challenge = handshake.decodeChallenge(bytes);
    if (challenge !== undefined) {
      const proof = handshake.clientProof(SECRET, challenge.nonce, nodeId, challenge.serverNodeId);
      socket.send(handshake.encodeProof({ clientNodeId: nodeId, proof, clientNonce }));
      return;
    }
    const serverProof = handshake.decodeAccept(bytes)!;
    assert.ok(handshake.proofsEqual(serverProof, handshake.serverProof(SECRET, clientNonce, 2, nodeId)));
    accepted = true;
  });
  await waitFor(`node ${nodeId} accepted`, () => accepted || result.closeCode !== undefined);
  assert.ok(accepted);
  return result;
}
