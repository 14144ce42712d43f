// One outbound link from this node to one peer, over a `ws` client: connect, prove the cluster
// secret, then write frames: at once when the link is idle, else queued and corked once per turn.
// On any close it reconnects with exponential backoff and jitter. Memory is bounded by the queue limit plus the socket buffer limit.

import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { messageOf } from '../../storage/state/errors.js';
import { reconnectDelayMs } from './backoff.js';
import { FrameBytes, FrameQueue, frameByteLength } from './frame_queue.js';
import { PEER_PATH, clientProof, decodeAccept, decodeChallenge, encodeProof, newNonce, proofsEqual, serverProof } from './peer_handshake.js';

export interface PeerLinkOptions {
  nodeId: number;
  peerId: number;
  host: string;
  port: number;
  clusterSecret: string;
  maxQueuedBytes: number;
  /** Writing pauses while the socket holds more than this, and resumes as frames are written out. */
  maxSocketBufferedBytes: number;
  /** Frames larger than this are dropped at send(): the peer would close the link on them. */
  maxFrameBytes: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  handshakeTimeoutMs: number;
  random: () => number;
}

export interface PeerLinkStats {
  connected: boolean;
  queuedBytes: number;
  sent: number;
  dropped: number;
  reconnects: number;
  lastError?: string;
}

/** The server only ever sends handshake frames on a peer link. */
const MAX_SERVER_FRAME_BYTES = 1024;
const CLOSE_GRACE_MS = 1000;

export class PeerLink {
  private readonly queue: FrameQueue;
  private socket: WebSocket | undefined;
  private tcp: Socket | undefined; // the socket under `socket`, to cork a turn's frames into one write
  private clientNonce: Uint8Array | undefined; // set once the challenge was answered
  private authenticated = false; // invariant: true only while `socket` is open and the server proved the secret
  private failuresInARow = 0; // connection attempts since the last authenticated link
  private attempts = 0;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private flushScheduled = false;
  private closed = false;
  private sent = 0;
  private dropped = 0;
  private lastError: string | undefined;
  private attemptError: string | undefined; // why the current connection attempt failed, if known yet
  private closedSignal: (() => void) | undefined;
  private closing: Promise<void> | undefined; // the one promise every close() call returns

  constructor(private readonly o: PeerLinkOptions) {
    this.queue = new FrameQueue(o.maxQueuedBytes);
  }

  start(): void {
    if (this.closed || this.socket !== undefined || this.reconnectTimer !== undefined) return;
    this.connect();
  }

  /** Queues the frame; false (counted as dropped) if the queue is full, the frame too large or the link closed. */
  send(frame: FrameBytes): boolean {
    if (this.closed || frameByteLength(frame) > this.o.maxFrameBytes || !this.queue.push(frame)) {
      this.dropped++;
      return false;
    }
    // An idle link writes the turn's first frame at once: a Raft round sends one frame per peer, and
    // waiting a turn is latency on every write's critical path (the leader's appends, the followers'
    // acks). The rest of the turn's frames wait for one corked write as before.
    const idle = this.queue.length === 1 && !this.flushScheduled;
    if (idle) this.flush();
    this.scheduleFlush();
    return true;
  }

  isConnected(): boolean {
    return this.authenticated;
  }

  stats(): PeerLinkStats {
    const s: PeerLinkStats = { connected: this.authenticated, queuedBytes: this.queue.queuedBytes, sent: this.sent, dropped: this.dropped, reconnects: Math.max(0, this.attempts - 1) };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    return s;
  }

  /** Stops reconnecting and closes the socket (1001); resolves once it is closed. Queued frames are discarded. */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const socket = this.socket;
    this.closing = socket === undefined ? Promise.resolve() : new Promise((resolve) => {
      this.closedSignal = resolve;
      if (socket.readyState === WebSocket.OPEN) {
        socket.close(1001, 'node shutting down');
        setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
      } else {
        socket.terminate();
      }
    });
    return this.closing;
  }

  private connect(): void {
    this.attempts++;
    this.clientNonce = undefined;
    this.attemptError = undefined;
    const socket = new WebSocket(`ws://${this.o.host}:${this.o.port}${PEER_PATH}`, {
      perMessageDeflate: false,
      maxPayload: MAX_SERVER_FRAME_BYTES,
      handshakeTimeout: this.o.handshakeTimeoutMs,
      // Masking guards browsers' traffic through caching proxies; between two nodes it only costs a
      // copy and a pass over every byte. A zero mask lets ws send the frame's bytes as they are.
      generateMask: noMask,
    });
    this.socket = socket;
    socket.on('upgrade', (response) => {
      this.tcp = response.socket;
    });
    socket.on('open', () => {
      // From here the server has handshakeTimeoutMs to send its challenge and accept our proof.
      this.handshakeTimer = setTimeout(() => this.fail(`<PEER_HANDSHAKE_TIMEOUT> node ${this.o.peerId} did not complete the handshake within ${this.o.handshakeTimeoutMs} ms`), this.o.handshakeTimeoutMs);
      this.handshakeTimer.unref();
    });
    socket.on('message', (data, isBinary) => this.receive(toBytes(data), isBinary));
    socket.on('error', (err) => {
      this.attemptError ??= messageOf(err); // 'close' follows and schedules the retry
    });
    socket.on('close', (code, reason) => this.disconnected(socket, code, reason.toString()));
  }

  private receive(frame: Uint8Array, isBinary: boolean): void {
    if (this.authenticated) return; // nothing but the handshake flows from server to client
    if (!isBinary) return this.fail('<PEER_MALFORMED> the server sent a text frame during the handshake');
    if (this.clientNonce === undefined) return this.answerChallenge(frame);
    const proof = decodeAccept(frame);
    if (proof === undefined) return this.fail('<PEER_MALFORMED> expected the accept frame of the handshake');
    if (!proofsEqual(proof, serverProof(this.o.clusterSecret, this.clientNonce, this.o.peerId, this.o.nodeId))) {
      return this.fail(`<PEER_AUTH_FAILED> node ${this.o.peerId} answered with a wrong proof; set the same clusterSecret on every node`);
    }
    clearTimeout(this.handshakeTimer);
    this.authenticated = true;
    this.failuresInARow = 0;
    this.scheduleFlush();
  }

  private answerChallenge(frame: Uint8Array): void {
    const challenge = decodeChallenge(frame);
    if (challenge === undefined) return this.fail('<PEER_MALFORMED> expected the challenge frame of the handshake');
    if (challenge.serverNodeId !== this.o.peerId) {
      return this.fail(`<PEER_WRONG_NODE> ${this.o.host}:${this.o.port} is node ${challenge.serverNodeId}, expected node ${this.o.peerId}; check the cluster nodes file`);
    }
    this.clientNonce = newNonce();
    const proof = clientProof(this.o.clusterSecret, challenge.nonce, this.o.nodeId, this.o.peerId);
    this.socket!.send(encodeProof({ clientNodeId: this.o.nodeId, proof, clientNonce: this.clientNonce }), { binary: true });
  }

  /** A local handshake failure: remember why and drop the socket; the close handler schedules the retry. */
  private fail(reason: string): void {
    this.attemptError = reason;
    this.authenticated = false;
    this.socket?.terminate();
  }

  private disconnected(socket: WebSocket, code: number, reason: string): void {
    if (socket !== this.socket) return;
    clearTimeout(this.handshakeTimer);
    this.socket = undefined;
    this.tcp = undefined;
    this.authenticated = false;
    // A refusal by the server (4400-4409) carries the reason worth showing, else our own or the socket's error.
    const refusal = code >= 4000 && reason !== '' ? reason : undefined;
    this.lastError = refusal ?? this.attemptError ?? `link to node ${this.o.peerId} closed with code ${code}${reason ? `: ${reason}` : ''}`;
    if (this.closed) {
      this.closedSignal?.();
      return;
    }
    this.failuresInARow++;
    const delayMs = reconnectDelayMs(this.failuresInARow - 1, this.o.reconnectMinMs, this.o.reconnectMaxMs, this.o.random);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed) this.connect();
    }, delayMs);
    this.reconnectTimer.unref();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || !this.authenticated) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush()); // every frame queued during this turn leaves in one corked write
  }

  private flush(): void {
    this.flushScheduled = false;
    const socket = this.socket;
    // CLOSING: the peer said goodbye and 'close' is on its way; keep the frames for the next link.
    if (!this.authenticated || socket === undefined || socket.readyState !== WebSocket.OPEN) return;
    this.tcp?.cork();
    try {
      while (this.queue.length > 0 && socket.bufferedAmount < this.o.maxSocketBufferedBytes) {
        this.write(socket, this.queue.shift()!);
        this.sent++;
      }
    } finally {
      this.tcp?.uncork();
    }
  }

  /** A frame in chunks goes out as the fragments of one WebSocket message: the peer receives one frame. */
  private write(socket: WebSocket, frame: FrameBytes): void {
    if (frame instanceof Uint8Array) {
      socket.send(frame, { binary: true, compress: false }, this.written);
      return;
    }
    const last = frame.length - 1;
    frame.forEach((chunk, i) => socket.send(chunk, { binary: true, compress: false, fin: i === last }, i === last ? this.written : undefined));
  }

  /** Each frame written out to the kernel is a chance to resume a flush that stopped at the buffer limit. */
  private readonly written = (err?: Error | null): void => {
    if (err == null && this.queue.length > 0) this.scheduleFlush(); // a socket write reports success as null
  };
}

function toBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function noMask(mask: Uint8Array): void {
  mask.fill(0);
}
