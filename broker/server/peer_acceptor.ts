// The server side of peer links (path /peer): challenge every new connection, accept frames only
// after the peer proved the cluster secret, hand them to PeerInbound tagged with the peer's node id.

import type { WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import { messageOf } from '../../storage/state/errors.js';
import { guardedCall } from './guarded_call.js';
import type { PeerInbound } from './node_server.js';
import { PeerCloseCode, encodeAccept, encodeChallenge, judgeProof, newNonce, serverProof } from './peer_handshake.js';
import type { NodeServerStats } from './server_stats.js';
import { isOversizedClose } from './uws_close.js';

export interface PeerAcceptorOptions {
  nodeId: number;
  clusterSecret: string;
  peerIds: ReadonlySet<number>;
  handshakeTimeoutMs: number;
  maxPeerFrameBytes: number;
  maxBackpressureBytes: number;
  idleTimeoutSeconds: number;
  peers: PeerInbound;
  stats: NodeServerStats;
}

/** What uWebSockets.js keeps per peer socket. */
export interface PeerSocketData {
  nonce?: Uint8Array;
  peerId?: number; // set once the proof was accepted; frames before that are handshake frames
  handshakeTimer?: NodeJS.Timeout;
  closed?: boolean; // invariant: once true, the socket is never touched again
}

type PeerSocket = WebSocket<PeerSocketData>;

export class PeerAcceptor {
  private readonly open = new Set<PeerSocket>();
  private readonly acceptedByPeer = new Map<number, PeerSocket>();

  constructor(private readonly o: PeerAcceptorOptions) {}

  connectedPeerIds(): number[] {
    return [...this.acceptedByPeer.keys()].sort((a, b) => a - b);
  }

  closeAll(code: number, reason: string): void {
    for (const socket of [...this.open]) this.end(socket, code, reason);
  }

  behavior(): WebSocketBehavior<PeerSocketData> {
    return {
      maxPayloadLength: this.o.maxPeerFrameBytes,
      maxBackpressure: this.o.maxBackpressureBytes,
      idleTimeout: this.o.idleTimeoutSeconds,
      sendPingsAutomatically: true,
      open: (socket) => this.challenge(socket),
      message: (socket, message, isBinary) => {
        const data = socket.getUserData();
        if (!isBinary) {
          this.o.stats.peerMalformed++;
          this.end(socket, PeerCloseCode.MALFORMED, '<PEER_MALFORMED> peer links carry binary frames only');
          return;
        }
        const frame = new Uint8Array(message.slice(0)); // the ArrayBuffer dies with this callback
        if (data.peerId === undefined) this.checkProof(socket, frame);
        else this.deliver(data.peerId, frame);
      },
      close: (socket, code, message) => {
        const data = socket.getUserData();
        data.closed = true;
        clearTimeout(data.handshakeTimer);
        this.open.delete(socket);
        if (data.peerId !== undefined && this.acceptedByPeer.get(data.peerId) === socket) this.acceptedByPeer.delete(data.peerId);
        if (isOversizedClose(code, message)) this.o.stats.peerOversizedFrames++;
      },
    };
  }

  private challenge(socket: PeerSocket): void {
    const data = socket.getUserData();
    this.open.add(socket);
    data.nonce = newNonce();
    data.handshakeTimer = setTimeout(() => {
      if (data.closed || data.peerId !== undefined) return;
      this.o.stats.peerHandshakeTimeouts++;
      this.end(socket, PeerCloseCode.HANDSHAKE_TIMEOUT, `<PEER_HANDSHAKE_TIMEOUT> no proof within ${this.o.handshakeTimeoutMs} ms`);
    }, this.o.handshakeTimeoutMs);
    data.handshakeTimer.unref();
    socket.send(encodeChallenge({ serverNodeId: this.o.nodeId, nonce: data.nonce }), true, false);
  }

  private checkProof(socket: PeerSocket, frame: Uint8Array): void {
    const data = socket.getUserData();
    const verdict = judgeProof(frame, this.o.clusterSecret, this.o.nodeId, data.nonce!, this.o.peerIds);
    if (!verdict.accepted) {
      if (verdict.closeCode === PeerCloseCode.AUTH_FAILED) this.o.stats.peerAuthFailures++;
      else if (verdict.closeCode === PeerCloseCode.NOT_ALLOWED) this.o.stats.peerRefusals++;
      else this.o.stats.peerMalformed++;
      this.end(socket, verdict.closeCode, verdict.reason);
      return;
    }
    clearTimeout(data.handshakeTimer);
    data.peerId = verdict.clientNodeId;
    // A peer that restarted (or lost its link) connects again while the old socket may linger half-open.
    const previous = this.acceptedByPeer.get(verdict.clientNodeId);
    this.acceptedByPeer.set(verdict.clientNodeId, socket);
    if (previous !== undefined) this.end(previous, PeerCloseCode.REPLACED, '<PEER_REPLACED> the same node connected again');
    this.o.stats.peersAccepted++;
    socket.send(encodeAccept(serverProof(this.o.clusterSecret, verdict.clientNonce, this.o.nodeId, verdict.clientNodeId)), true, false);
  }

  private deliver(peerId: number, frame: Uint8Array): void {
    this.o.stats.peerFramesReceived++;
    guardedCall(
      () => this.o.peers.message(peerId, frame),
      (err) => {
        // A frame the runtime cannot handle is its problem to log; Raft copes with a lost message.
        this.o.stats.peerHandlerErrors++;
        this.o.stats.lastHandlerError = `peer ${peerId}: ${messageOf(err)}`;
      },
    );
  }

  private end(socket: PeerSocket, code: number, reason: string): void {
    const data = socket.getUserData();
    if (data.closed) return;
    data.closed = true;
    socket.end(code, reason); // runs the close handler synchronously
  }
}
