// One WebSocket to a node's /client path: requests matched to their replies by request id, each with
// a timeout, and pushes handed to a listener. Whatever the node sends -- garbage, a reply nobody waits
// for, a push the listener chokes on -- is counted and dropped here; nothing throws out of the socket
// handlers.

import WebSocket from 'ws';
import { DecodedFrame, PushFrame, ProtocolError, decodeFrame, encodeRequest } from '../broker/protocol/frames.js';
import { Method, ReplyOf, RequestOf } from '../broker/protocol/methods.js';
import { messageOf } from '../storage/state/errors.js';
import { ShoalError, errorFromWire } from './shoal_error.js';
import { CLIENT_PATH } from '../broker/protocol/methods.js';
import { SYSTEM_CLOCK } from './clock.js';
import { KeepAlive } from './keep_alive.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** Calls in flight on one connection at most; the next one fails fast instead of queueing unbounded. */
export const MAX_PENDING_CALLS = 10_000;
/** How long close() waits for the closing handshake before it drops the socket. */
const CLOSE_HANDSHAKE_MS = 1_000;

export interface WireConnectionOptions {
  host: string;
  port: number;
  requestTimeoutMs: number;
  maxFrameBytes: number;
  /** Ping the node and drop the connection after this long without an answer (keep_alive.ts); 0 or absent: never. */
  keepAliveTimeMs?: number;
}

export interface CallReply<M extends Method> {
  body: ReplyOf<M>;
  /** Arrow IPC bytes when the reply carries rows (readTable). */
  arrow: Uint8Array | undefined;
  /** The applied LSN the reply reflects; 0 when n/a. */
  dataVersion: number;
}

export interface WireConnectionStats {
  /** Frames that did not decode, text messages, and requests sent to us: all dropped. */
  malformedFrames: number;
  /** Replies whose call had already timed out (or that answer no call at all). */
  lateReplies: number;
  /** Pushes or close notices whose listener threw. */
  listenerErrors: number;
}

interface PendingCall {
  method: Method;
  resolve(reply: CallReply<Method>): void;
  reject(err: ShoalError): void;
  timer: NodeJS.Timeout;
}

export class WireConnection {
  /** Called for every push frame, in arrival order. */
  onPush: ((frame: PushFrame) => void) | undefined;
  /** Called once when the socket closes, for any reason (also after close()). */
  onClose: ((reason: string) => void) | undefined;
  readonly stats: WireConnectionStats = { malformedFrames: 0, lateReplies: 0, listenerErrors: 0 };
  /** "host:port" this connection went to. */
  readonly address: string;

  private nextRequestId = 1;
  private readonly pending = new Map<number, PendingCall>();
  private closedReason: string | undefined;
  private readonly closedWaiters: Array<() => void> = [];
  private readonly keepAlive: KeepAlive | undefined;
  /** Why the keepalive dropped the socket; the close event then reports this instead of its code. */
  private keepAliveFailure: string | undefined;

  private constructor(
    private readonly socket: WebSocket,
    private readonly o: WireConnectionOptions,
  ) {
    this.address = `${o.host}:${o.port}`;
    socket.on('message', (data, isBinary) => {
      this.keepAlive?.heard();
      this.receive(data, isBinary);
    });
    socket.on('close', (code, reason) => this.closed(this.keepAliveFailure !== undefined
      ? `the connection to ${this.address} was dropped: ${this.keepAliveFailure}`
      : `the connection to ${this.address} closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`));
    socket.on('error', () => {}); // 'close' follows and says what happened
    if (o.keepAliveTimeMs !== undefined && o.keepAliveTimeMs > 0) {
      socket.on('pong', () => this.keepAlive?.heard());
      this.keepAlive = new KeepAlive({
        ping: () => socket.ping(),
        dead: (reason) => {
          this.keepAliveFailure = reason;
          socket.terminate();
        },
      }, o.keepAliveTimeMs, SYSTEM_CLOCK);
    }
  }

  /**
   * Opens the socket; rejects with ConnectFailed, or Timeout after requestTimeoutMs -- or after
   * keepAliveTimeMs when that is shorter: a node silent that long (SIGSTOPped: the kernel accepts the
   * TCP connection, nobody answers the upgrade) is as dead as the keepalive would call it.
   */
  static open(o: WireConnectionOptions): Promise<WireConnection> {
    const openTimeoutMs = o.keepAliveTimeMs !== undefined && o.keepAliveTimeMs > 0 ? Math.min(o.requestTimeoutMs, o.keepAliveTimeMs) : o.requestTimeoutMs;
    const url = `ws://${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}${CLIENT_PATH}`;
    return new Promise((resolve, reject) => {
      let settled = false;
      let socket: WebSocket;
      try {
        // A zero mask: ws then sends an append's bytes as they are, without a masked copy of each
        // (masking protects browsers behind caching proxies; this client is not one).
        socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: o.maxFrameBytes, generateMask: (mask) => mask.fill(0) });
      } catch (err) {
        reject(new ShoalError('ConnectFailed', `cannot connect to ${url}: ${messageOf(err)}; check the host and port`, { cause: err }));
        return;
      }
      const fail = (err: ShoalError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.terminate();
        reject(err);
      };
      const timer = setTimeout(() => fail(new ShoalError('Timeout', `connecting to ${url} took over ${openTimeoutMs} ms; check the host and port, and that the node is not paused`)), openTimeoutMs);
      socket.once('error', (err) => fail(new ShoalError('ConnectFailed', `cannot connect to ${url}: ${messageOf(err)}; check that the data node runs and listens there`, { cause: err })));
      socket.once('close', (code) => fail(new ShoalError('ConnectFailed', `${url} closed the connection while opening (${code})`)));
      socket.once('open', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.removeAllListeners();
        resolve(new WireConnection(socket, o));
      });
    });
  }

  get isOpen(): boolean {
    return this.closedReason === undefined;
  }

  /** Sends a request and resolves with its reply; an ERROR reply rejects with the node's code. */
  call<M extends Method>(method: M, body: RequestOf<M>, arrow?: Uint8Array): Promise<CallReply<M>> {
    if (this.closedReason !== undefined) return Promise.reject(new ShoalError('ConnectionClosed', `${method}: ${this.closedReason}`, { outcome: 'notSent' }));
    if (this.pending.size >= MAX_PENDING_CALLS) {
      return Promise.reject(new ShoalError('TooManyPendingCalls', `${method}: ${this.pending.size} calls are in flight on ${this.address} (limit ${MAX_PENDING_CALLS}); await some before sending more`, { outcome: 'notSent' }));
    }
    const requestId = this.nextRequestId++;
    let bytes: Uint8Array;
    try {
      bytes = encodeRequest(requestId, method, body, arrow);
    } catch (err) {
      const text = err instanceof ProtocolError ? err.message : messageOf(err);
      return Promise.reject(new ShoalError('BadRequest', `${method}: cannot encode the request: ${text}`, { cause: err }));
    }
    return new Promise<CallReply<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new ShoalError('Timeout', `${method}: no reply from ${this.address} within ${this.o.requestTimeoutMs} ms; the call may or may not have taken effect`, { outcome: 'unknown' }));
      }, this.o.requestTimeoutMs);
      this.pending.set(requestId, { method, resolve: resolve as (r: CallReply<Method>) => void, reject, timer });
      this.socket.send(bytes);
    });
  }

  /** Closes the socket (pending calls reject with ConnectionClosed); resolves once it is closed. */
  close(): Promise<void> {
    if (this.closedReason !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.closedWaiters.push(resolve);
      this.socket.close(1000, 'client closed');
      // A peer that never answers the closing handshake must not hold close() up.
      setTimeout(() => this.socket.terminate(), CLOSE_HANDSHAKE_MS).unref();
    });
  }

  /** Stops reading the socket (the node's pushes wait in the kernel and its send buffer); resume() undoes it. */
  pause(): void {
    if (this.closedReason !== undefined) return;
    this.keepAlive?.suspend(); // pongs wait unread too
    this.socket.pause();
  }

  resume(): void {
    if (this.closedReason !== undefined) return;
    this.socket.resume();
    this.keepAlive?.resume();
  }

  // ---- inbound ----------------------------------------------------------------------------------

  private receive(data: WebSocket.RawData, isBinary: boolean): void {
    if (!isBinary || !Buffer.isBuffer(data)) {
      this.stats.malformedFrames++;
      return;
    }
    let frame: DecodedFrame;
    try {
      frame = decodeFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), this.o.maxFrameBytes);
    } catch {
      this.stats.malformedFrames++;
      return;
    }
    switch (frame.kind) {
      case 'reply':
      case 'error':
        this.settle(frame);
        return;
      case 'push':
        try {
          this.onPush?.(frame);
        } catch {
          this.stats.listenerErrors++;
        }
        return;
      default:
        this.stats.malformedFrames++; // a node never sends requests
    }
  }

  private settle(frame: Extract<DecodedFrame, { kind: 'reply' | 'error' }>): void {
    const call = this.pending.get(frame.requestId);
    if (call === undefined) {
      this.stats.lateReplies++;
      return;
    }
    this.pending.delete(frame.requestId);
    clearTimeout(call.timer);
    if (frame.kind === 'error') {
      call.reject(errorFromWire(frame.errorCode, frame.errorText, call.method));
    } else if (frame.method !== call.method) {
      call.reject(new ShoalError('BadReply', `${call.method}: the node answered request ${frame.requestId} with a ${frame.method} reply`));
    } else {
      call.resolve({ body: frame.body, arrow: frame.arrow, dataVersion: frame.dataVersion });
    }
  }

  private closed(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.keepAlive?.stop();
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      this.pending.delete(id);
      call.reject(new ShoalError('ConnectionClosed', `${call.method}: ${reason} before the reply came; the call may or may not have taken effect`, { outcome: 'unknown' }));
    }
    for (const waiter of this.closedWaiters.splice(0)) waiter();
    try {
      this.onClose?.(reason);
    } catch {
      this.stats.listenerErrors++;
    }
  }
}
