// NodeServer on loopback: client frames in and out, the frames and handlers that must close one
// connection without hurting the server, HTTP routes, and a clean close.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ClientConnection, type ClientHandler, type HttpRoute, NodeServer, type NodeServerOptions } from '../../broker/server/node_server.js';
import { ServerError } from '../../broker/server/errors.js';
import { RecordingClient, freePort, waitFor } from './net_helpers.js';

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

/** A client handler that echoes each frame back, except frames whose first byte asks it to fail. */
class EchoHandler implements ClientHandler {
  readonly opened: ClientConnection[] = [];
  readonly closed: number[] = [];
  open(c: ClientConnection): void {
    c.userData.greeting = 'hello';
    this.opened.push(c);
  }
  message(c: ClientConnection, frame: Uint8Array): void | Promise<void> {
    if (frame[0] === 0xee) throw new Error('handler exploded');
    if (frame[0] === 0xef) return Promise.reject(new Error('async handler exploded'));
    assert.equal(c.send(frame), 'sent');
  }
  close(c: ClientConnection): void {
    this.closed.push(c.id);
  }
}

async function serverOptions(overrides: Partial<NodeServerOptions> = {}): Promise<NodeServerOptions> {
  return {
    host: '127.0.0.1',
    port: await freePort(),
    nodeId: 1,
    clusterSecret: 'test-secret',
    peerIds: new Set([2, 3]),
    maxClientFrameBytes: 1024,
    maxPeerFrameBytes: 4096,
    maxBackpressureBytes: 64 * 1024,
    idleTimeoutSeconds: 0,
    clients: new EchoHandler(),
    peers: { message: () => {} },
    http: new Map(),
    ...overrides,
  };
}

describe('NodeServer clients', () => {
  let server: NodeServer;
  let handler: EchoHandler;
  let url: string;

  before(async () => {
    handler = new EchoHandler();
    server = await NodeServer.listen(await serverOptions({ clients: handler }));
    url = `ws://127.0.0.1:${server.port}/client`;
  });
  after(() => server.close());

  it('echoes binary frames through the handler and keeps userData per connection', async () => {
    const client = await RecordingClient.connect(url);
    await waitFor('open handler', () => server.clientCount() === 1);
    client.socket.send(bytes(1, 2, 3));
    client.socket.send(bytes(4));
    await waitFor('two echoes', () => client.received.length === 2);
    assert.deepEqual(client.received, [bytes(1, 2, 3), bytes(4)]);
    const connection = handler.opened.at(-1)!;
    assert.equal(connection.userData.greeting, 'hello');
    assert.equal(connection.remoteAddress, '127.0.0.1');
    await client.close();
    await waitFor('close handler', () => handler.closed.includes(connection.id));
    assert.equal(server.clientCount(), 0);
    assert.equal(connection.send(bytes(9)), 'closed', 'send after close must not throw');
  });

  it('closes a client that sends a text frame, counts it, and serves the next client', async () => {
    const before = server.stats().clientTextFrames;
    const client = await RecordingClient.connect(url);
    client.socket.send('hello as text');
    await waitFor('text frame close', () => client.closed);
    assert.equal(client.closeCode, 1003);
    assert.match(client.closeReason, /TEXT_FRAME/);
    assert.equal(server.stats().clientTextFrames, before + 1);
    await assertServerStillEchoes(url);
  });

  it('closes a client that sends a frame over maxClientFrameBytes, counts it, and serves the next client', async () => {
    const before = server.stats().clientOversizedFrames;
    const client = await RecordingClient.connect(url);
    client.socket.send(new Uint8Array(1025));
    await waitFor('oversized close', () => client.closed);
    await waitFor('oversized counted', () => server.stats().clientOversizedFrames === before + 1);
    await assertServerStillEchoes(url);
  });

  it('a frame of exactly maxClientFrameBytes is accepted', async () => {
    const client = await RecordingClient.connect(url);
    client.socket.send(new Uint8Array(1024).fill(7));
    await waitFor('echo of the largest frame', () => client.received.length === 1);
    assert.equal(client.received[0]!.length, 1024);
    await client.close();
  });

  for (const [kind, first] of [['throws', 0xee], ['returns a rejected promise', 0xef]] as const) {
    it(`closes the connection with 1011 when the handler ${kind}, and serves the next client`, async () => {
      const before = server.stats().clientHandlerErrors;
      const client = await RecordingClient.connect(url);
      client.socket.send(bytes(first));
      await waitFor('handler error close', () => client.closed);
      assert.equal(client.closeCode, 1011);
      assert.equal(server.stats().clientHandlerErrors, before + 1);
      assert.match(server.stats().lastHandlerError ?? '', /exploded/);
      await assertServerStillEchoes(url);
    });
  }

  it('cuts a close reason to the 123 bytes a close frame holds', async () => {
    const client = await RecordingClient.connect(url);
    await waitFor('open handler', () => handler.opened.length > 0 && !handler.closed.includes(handler.opened.at(-1)!.id));
    handler.opened.at(-1)!.close(4000, 'é'.repeat(100));
    await waitFor('closed', () => client.closed);
    assert.equal(client.closeCode, 4000);
    assert.ok(Buffer.byteLength(client.closeReason) <= 123 && client.closeReason.startsWith('éé'));
  });

  it('survives an open handler that throws', async () => {
    const throwing = await NodeServer.listen(
      await serverOptions({
        clients: {
          open: () => {
            throw new Error('open exploded');
          },
          message: () => {},
          close: () => {},
        },
      }),
    );
    try {
      const client = new RecordingClient(`ws://127.0.0.1:${throwing.port}/client`);
      await waitFor('closed after open failed', () => client.closed);
      assert.equal(client.closeCode, 1011);
      assert.equal(throwing.stats().clientHandlerErrors, 1);
      assert.equal(throwing.clientCount(), 0);
    } finally {
      await throwing.close();
    }
  });
});

async function assertServerStillEchoes(url: string): Promise<void> {
  const client = await RecordingClient.connect(url);
  client.socket.send(bytes(42));
  await waitFor('echo from a fresh client', () => client.received.length === 1);
  assert.deepEqual(client.received[0], bytes(42));
  await client.close();
}

describe('NodeServer backpressure', () => {
  it('reports buffered/dropped sends and calls onDrain once the client reads again', async () => {
    let connection: ClientConnection | undefined;
    const server = await NodeServer.listen(
      await serverOptions({
        maxBackpressureBytes: 256 * 1024,
        clients: { open: (c) => (connection = c), message: () => {}, close: () => {} },
      }),
    );
    const client = await RecordingClient.connect(`ws://127.0.0.1:${server.port}/client`);
    try {
      await waitFor('server side open', () => connection !== undefined);
      client.socket.pause(); // stop reading: the kernel buffers fill, then uWebSockets.js buffers
      const chunk = new Uint8Array(64 * 1024);
      const results = new Map<string, number>();
      for (let i = 0; i < 2000 && !results.has('dropped'); i++) {
        const r = connection!.send(chunk);
        results.set(r, (results.get(r) ?? 0) + 1);
      }
      assert.ok(results.get('buffered')! > 0, `some sends were buffered: ${[...results]}`);
      assert.equal(results.get('dropped'), 1, 'sending stops at the first drop');
      assert.ok(connection!.bufferedBytes() >= 256 * 1024);
      let drains = 0;
      connection!.onDrain(() => drains++);
      client.socket.resume();
      await waitFor('drain callback', () => drains === 1);
      assert.ok(connection!.bufferedBytes() < 256 * 1024);
      connection!.onDrain(() => drains++); // already below the limit: runs on the next turn
      await waitFor('second drain callback', () => drains === 2);
    } finally {
      await client.close();
      await server.close();
    }
  });
});

describe('NodeServer HTTP', () => {
  let server: NodeServer;
  let base: string;

  before(async () => {
    const http = new Map<string, HttpRoute>([
      ['/health', () => ({ status: 200, contentType: 'application/json', body: '{"ok":true}' })],
      ['/slow', async (req) => {
        await new Promise((resolve) => setImmediate(resolve));
        return { status: 202, contentType: 'text/plain', body: `${req.method} ${req.url} ${req.query} ${req.headers['x-test']}` };
      }],
      ['/broken', () => {
        throw new Error('route exploded');
      }],
      ['/bad-value', () => undefined as never],
    ]);
    server = await NodeServer.listen(await serverOptions({ http }));
    base = `http://127.0.0.1:${server.port}`;
  });
  after(() => server.close());

  it('answers GET /health', async () => {
    const res = await fetch(`${base}/health`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.deepEqual(await res.json(), { ok: true });
  });

  it('answers an async route with the request it saw', async () => {
    const res = await fetch(`${base}/slow?x=1`, { method: 'POST', headers: { 'x-test': 'yes' } });
    assert.equal(res.status, 202);
    assert.equal(await res.text(), 'POST /slow x=1 yes');
  });

  it('answers 404 for unknown paths and 500 for routes that throw or return garbage, and keeps serving', async () => {
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    const broken = await fetch(`${base}/broken`);
    assert.equal(broken.status, 500);
    assert.match(await broken.text(), /route exploded/);
    assert.equal((await fetch(`${base}/bad-value`)).status, 500);
    assert.equal(server.stats().httpErrors, 2);
    assert.equal((await fetch(`${base}/health`)).status, 200);
  });
});

describe('NodeServer lifecycle', () => {
  it('close() closes open clients with 1001 and runs their close handlers', async () => {
    const handler = new EchoHandler();
    const server = await NodeServer.listen(await serverOptions({ clients: handler }));
    const client = await RecordingClient.connect(`ws://127.0.0.1:${server.port}/client`);
    await waitFor('open handler', () => handler.opened.length === 1);
    await server.close();
    await waitFor('client sees the close', () => client.closed);
    assert.equal(client.closeCode, 1001);
    assert.deepEqual(handler.closed, [handler.opened[0]!.id]);
    await server.close(); // idempotent
  });

  it('rejects with LISTEN_FAILED when the port is taken', async () => {
    const first = await NodeServer.listen(await serverOptions());
    try {
      await assert.rejects(NodeServer.listen(await serverOptions({ port: first.port })), (err: unknown) => err instanceof ServerError && err.code === 'LISTEN_FAILED');
    } finally {
      await first.close();
    }
  });

  it('refuses options that uWebSockets.js would abort on, or that make the handshake meaningless', async () => {
    const isBadOptions = (err: unknown): boolean => err instanceof ServerError && err.code === 'BAD_OPTIONS';
    await assert.rejects(NodeServer.listen({ ...minimalOptions, idleTimeoutSeconds: 5 }), isBadOptions);
    await assert.rejects(NodeServer.listen({ ...minimalOptions, idleTimeoutSeconds: 961 }), isBadOptions);
    await assert.rejects(NodeServer.listen({ ...minimalOptions, clusterSecret: '' }), isBadOptions);
    await assert.rejects(NodeServer.listen({ ...minimalOptions, maxClientFrameBytes: 0 }), isBadOptions);
    await assert.rejects(NodeServer.listen({ ...minimalOptions, port: 0 }), isBadOptions);
    const peerRoute = new Map<string, HttpRoute>([['/peer', () => ({ status: 200, contentType: 'text/plain', body: '' })]]);
    await assert.rejects(NodeServer.listen({ ...minimalOptions, http: peerRoute }), isBadOptions);
  });
});

/** Valid except for the field each case overrides; never listened on. */
const minimalOptions: NodeServerOptions = {
  host: '127.0.0.1',
  port: 1,
  nodeId: 1,
  clusterSecret: 's',
  peerIds: new Set(),
  maxClientFrameBytes: 1,
  maxPeerFrameBytes: 1,
  maxBackpressureBytes: 1,
  idleTimeoutSeconds: 0,
  clients: new EchoHandler(),
  peers: { message: () => {} },
  http: new Map(),
};
