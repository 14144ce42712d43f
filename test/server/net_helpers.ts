// Helpers for tests that use real loopback sockets: a free port (this uWebSockets.js build cannot
// listen on port 0), polling with a deadline instead of sleeping, and a recording WebSocket client.

import { createServer } from 'node:net';
import WebSocket from 'ws';

/** A port nothing listens on right now: bind port 0 on 127.0.0.1, read the port, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      if (address === null || typeof address === 'string') return reject(new Error('no port from the probe server'));
      probe.close(() => resolve(address.port));
    });
  });
}

/** Polls `condition` every few ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A `ws` client that records what it receives and how it was closed. */
export class RecordingClient {
  readonly socket: WebSocket;
  readonly received: Uint8Array[] = [];
  opened = false;
  closeCode: number | undefined;
  closeReason = '';

  constructor(url: string) {
    this.socket = new WebSocket(url, { perMessageDeflate: false });
    this.socket.on('open', () => {
      this.opened = true;
    });
    this.socket.on('message', (data) => this.received.push(new Uint8Array(data as Buffer)));
    this.socket.on('error', () => {}); // the close event carries what the tests check
    this.socket.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
  }

  static async connect(url: string): Promise<RecordingClient> {
    const client = new RecordingClient(url);
    await waitFor(`open ${url}`, () => client.opened || client.closeCode !== undefined);
    if (!client.opened) throw new Error(`could not connect to ${url}: closed with ${client.closeCode}`);
    return client;
  }

  get closed(): boolean {
    return this.closeCode !== undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.socket.close();
    await waitFor('client closed', () => this.closed);
  }
}
