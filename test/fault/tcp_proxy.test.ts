// The proxy that sits on each directed peer link of a fault cluster, against real loopback sockets:
// a target server that records what arrives, and clients that record what comes back. Absence of
// bytes is proved by the proxy's own counters (it read them and dropped them), not by waiting.

import assert from 'node:assert/strict';
import { Server, Socket, connect, createServer } from 'node:net';
import { after, test } from 'node:test';
import { waitFor } from '../server/net_helpers.js';
import { TcpProxy, TcpProxyError, resetSocket } from './tcp_proxy.js';

/** A TCP server that records the bytes of every accepted connection. */
class RecordingServer {
  readonly accepted: Array<{ socket: Socket; received: string; closed: boolean }> = [];
  private constructor(readonly server: Server, readonly port: number) {}

  static async start(): Promise<RecordingServer> {
    const server = createServer();
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    const r = new RecordingServer(server, port);
    server.on('connection', (socket) => {
      const entry = { socket, received: '', closed: false };
      r.accepted.push(entry);
      socket.on('data', (d: Buffer) => (entry.received += d.toString()));
      socket.on('error', () => undefined);
      socket.on('close', () => (entry.closed = true));
    });
    return r;
  }

  get last(): { socket: Socket; received: string; closed: boolean } {
    return this.accepted[this.accepted.length - 1]!;
  }

  close(): Promise<void> {
    for (const a of this.accepted) a.socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A client socket that records what it receives and whether it was closed. */
interface RecordingClient {
  socket: Socket;
  received: string;
  closed: boolean;
}

function dial(port: number): RecordingClient {
  const socket = connect({ host: '127.0.0.1', port });
  const c: RecordingClient = { socket, received: '', closed: false };
  socket.on('data', (d: Buffer) => (c.received += d.toString()));
  socket.on('error', () => undefined);
  socket.on('close', () => (c.closed = true));
  return c;
}

const cleanup: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const f of cleanup.reverse()) await f();
});

async function setup(o: { maxDelayedBytesPerDirection?: number } = {}): Promise<{ target: RecordingServer; proxy: TcpProxy }> {
  const target = await RecordingServer.start();
  const proxy = await TcpProxy.start({ target: { host: '127.0.0.1', port: target.port }, ...o });
  cleanup.push(() => target.close(), () => proxy.close());
  return { target, proxy };
}

async function connected(proxy: TcpProxy, target: RecordingServer, count: number): Promise<RecordingClient> {
  const c = dial(proxy.port);
  cleanup.push(() => void c.socket.destroy());
  await waitFor(`connection ${count} reaches the target`, () => target.accepted.length === count);
  return c;
}

test('pass: bytes go through both ways, unchanged', async () => {
  const { target, proxy } = await setup();
  assert.deepEqual(proxy.mode, { kind: 'pass' });
  const c = await connected(proxy, target, 1);
  c.socket.write('hello ');
  c.socket.write('target');
  await waitFor('the target has the bytes', () => target.last.received === 'hello target');
  target.last.socket.write('hello client');
  await waitFor('the client has the reply', () => c.received === 'hello client');
  assert.equal(proxy.stats().bytesForwarded, 'hello target'.length + 'hello client'.length);
  assert.equal(proxy.stats().bytesDropped, 0);
});

test('drop: a black hole both ways, the connection stays open; bytes flowing again reset the holed connection', async () => {
  const { target, proxy } = await setup();
  const c = await connected(proxy, target, 1);
  proxy.drop();
  c.socket.write('lost-up');
  target.last.socket.write('lost-down');
  await waitFor('the proxy read and dropped both', () => proxy.stats().bytesDropped === 'lost-up'.length + 'lost-down'.length);
  assert.equal(target.last.received, '', 'the target saw nothing');
  assert.equal(c.received, '', 'the client saw nothing');
  assert.equal(c.closed || target.last.closed, false, 'neither side learns of the black hole');
  assert.equal(proxy.stats().connections, 1);

  proxy.pass();
  await waitFor('the holed connection is reset on both sides', () => c.closed && target.last.closed);
  assert.equal(proxy.stats().holedResets, 1);
  const again = await connected(proxy, target, 2);
  again.socket.write('whole');
  await waitFor('a new connection passes', () => target.last.received === 'whole');
});

test('delay: bytes arrive in order, no earlier than the delay; a delayed direction is bounded', async () => {
  const { target, proxy } = await setup({ maxDelayedBytesPerDirection: 1000 });
  const c = await connected(proxy, target, 1);
  const delayMs = 150;
  proxy.delay(delayMs);
  const sentAt = Date.now();
  c.socket.write('a');
  c.socket.write('b');
  await new Promise((r) => setTimeout(r, 20));
  c.socket.write('c');
  await waitFor('the delayed bytes arrive', () => target.last.received === 'abc', 5000);
  assert.ok(Date.now() - sentAt >= delayMs, 'nothing arrived before the delay');
  // Switching back to pass keeps the order: what is queued goes before what comes next.
  proxy.delay(300);
  c.socket.write('d');
  await waitFor('d is queued', () => proxy.stats().bytesQueued === 1);
  assert.equal(target.last.received, 'abc');
  proxy.pass();
  c.socket.write('e');
  await waitFor('d then e', () => target.last.received.length === 5, 5000);
  assert.equal(target.last.received, 'abcde');

  proxy.delay(60_000);
  c.socket.write(Buffer.alloc(1500, 1));
  await waitFor('the over-full direction resets the connection', () => c.closed && target.last.closed);
  assert.equal(proxy.stats().overflowResets, 1);
  assert.equal(proxy.stats().connections, 0);
  assert.throws(() => proxy.delay(-1), (e: TcpProxyError) => e.code === 'BAD_MODE');
});

test('cut: open connections are reset and new ones refused until the link passes again', async () => {
  const { target, proxy } = await setup();
  const c = await connected(proxy, target, 1);
  proxy.cut();
  await waitFor('the open connection is closed on both sides', () => c.closed && target.last.closed);
  const refused = dial(proxy.port);
  cleanup.push(() => void refused.socket.destroy());
  await waitFor('a new connection is closed at once', () => refused.closed);
  assert.equal(proxy.stats().refused, 1);
  assert.equal(target.accepted.length, 1, 'nothing reached the target while cut');
  proxy.pass();
  const again = await connected(proxy, target, 2);
  again.socket.write('back');
  await waitFor('bytes pass after the cut', () => target.last.received === 'back');
});

test('one direction only: dropping the A->B proxy leaves B->A passing', async () => {
  const a = await RecordingServer.start();
  const b = await RecordingServer.start();
  const aToB = await TcpProxy.start({ target: { host: '127.0.0.1', port: b.port } });
  const bToA = await TcpProxy.start({ target: { host: '127.0.0.1', port: a.port } });
  cleanup.push(() => a.close(), () => b.close(), () => aToB.close(), () => bToA.close());
  const fromA = await connected(aToB, b, 1);
  const fromB = await connected(bToA, a, 1);
  aToB.drop();
  fromA.socket.write('a-to-b');
  fromB.socket.write('b-to-a');
  await waitFor('B->A arrives', () => a.last.received === 'b-to-a');
  await waitFor('A->B was dropped', () => aToB.stats().bytesDropped === 'a-to-b'.length);
  assert.equal(b.last.received, '');
  assert.equal(bToA.stats().bytesDropped, 0);
});

test('close() resets connections and frees the port', async () => {
  const { target, proxy } = await setup();
  const c = await connected(proxy, target, 1);
  await proxy.close();
  await waitFor('the connection is closed', () => c.closed);
  assert.throws(() => proxy.pass(), (e: TcpProxyError) => e.code === 'CLOSED');
  const reuse = createServer();
  await new Promise<void>((resolve, reject) => {
    reuse.once('error', reject);
    reuse.listen(proxy.port, '127.0.0.1', () => resolve());
  });
  await new Promise((r) => reuse.close(r));
});

test('resetSocket on a socket whose end() is still pending releases it (a plain RST would leak the handle on Node 20)', async () => {
  const target = await RecordingServer.start();
  cleanup.push(() => target.close());
  const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
  const before = sockets();
  const socket = connect({ host: '127.0.0.1', port: target.port });
  const errors: string[] = [];
  socket.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message));
  await new Promise((r) => socket.once('connect', r));
  await waitFor('the target accepted', () => target.accepted.length === 1);
  socket.end(); // a shutdown is pending from here
  resetSocket(socket);
  await waitFor('the socket closed', () => socket.closed);
  target.last.socket.destroy();
  await waitFor('every socket handle released', () => sockets() === before);
  assert.deepEqual(errors, []);
});
