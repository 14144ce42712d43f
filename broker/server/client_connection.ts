// One client WebSocket as the session layer sees it: send with an explicit backpressure result,
// a one-shot drain callback, and a close that is safe to call twice or after the peer left.

import type { WebSocket } from 'uWebSockets.js';
import type { ClientConnection, SendResult } from './node_server.js';
import { guardedCall } from './guarded_call.js';

/** What uWebSockets.js keeps per client socket. */
export interface ClientSocketData {
  connection?: UwsClientConnection;
}

export class UwsClientConnection implements ClientConnection {
  userData: Record<string, unknown> = {};
  private closed = false; // invariant: once true, the uWS socket is never touched again (it would throw)
  private drainCallbacks: Array<() => void> = [];

  constructor(
    readonly id: number,
    readonly remoteAddress: string,
    private readonly socket: WebSocket<ClientSocketData>,
    private readonly maxBackpressureBytes: number,
    private readonly onCallbackError: (connection: UwsClientConnection, err: unknown) => void,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  send(frame: Uint8Array): SendResult {
    if (this.closed) return 'closed';
    const status = this.socket.send(frame, true, false);
    return status === 1 ? 'sent' : status === 0 ? 'buffered' : 'dropped';
  }

  bufferedBytes(): number {
    return this.closed ? 0 : this.socket.getBufferedAmount();
  }

  /**
   * `callback` runs once, on the first drain after which fewer than maxBackpressureBytes are buffered
   * (on the next turn if that is already so). Callbacks still waiting when the connection closes never run.
   */
  onDrain(callback: () => void): void {
    if (this.closed) return;
    this.drainCallbacks.push(callback);
    if (this.bufferedBytes() < this.maxBackpressureBytes) setImmediate(() => this.drained());
  }

  /** uWebSockets.js reported progress on the send buffer (or onDrain found it already low). */
  drained(): void {
    if (this.closed || this.drainCallbacks.length === 0) return;
    if (this.bufferedBytes() >= this.maxBackpressureBytes) return;
    const callbacks = this.drainCallbacks;
    this.drainCallbacks = [];
    for (const callback of callbacks) guardedCall(callback, (err) => this.onCallbackError(this, err));
  }

  close(code = 1000, reason = ''): void {
    if (this.closed) return;
    this.markClosed();
    // end() runs the close handler synchronously; markClosed first keeps that re-entry harmless.
    this.socket.end(code, closeReasonBytes(reason));
  }

  /** The socket is gone (closed by either side); from now on every call is a no-op. */
  markClosed(): void {
    this.closed = true;
    this.drainCallbacks = [];
  }
}

/**
 * A close frame holds at most 123 bytes of reason, and it must be valid UTF-8 (a client drops a
 * close frame whose reason ends inside a character), so cut whole characters.
 */
function closeReasonBytes(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  let cut = '';
  let bytes = 0;
  for (const character of reason) {
    bytes += Buffer.byteLength(character);
    if (bytes > 123) break;
    cut += character;
  }
  return cut;
}
