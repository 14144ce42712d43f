// Counters of one NodeServer: what went wrong on which kind of connection, for /metrics and tests.

export interface NodeServerStats {
  clientsOpened: number;
  clientsClosed: number;
  clientFramesReceived: number;
  /** Client frames over maxClientFrameBytes: uWebSockets.js closed the connection. */
  clientOversizedFrames: number;
  /** Text frames from clients: the protocol is binary, the connection was closed. */
  clientTextFrames: number;
  /** Exceptions (or rejected promises) from the client handler or a drain callback; that connection was closed. */
  clientHandlerErrors: number;
  peersAccepted: number;
  peerFramesReceived: number;
  peerOversizedFrames: number;
  /** Wrong HMAC proof: the peer has a different cluster secret. */
  peerAuthFailures: number;
  /** A peer claimed the server's own node id, or an id not in peerIds. */
  peerRefusals: number;
  /** Malformed handshake frames or text frames on /peer. */
  peerMalformed: number;
  peerHandshakeTimeouts: number;
  /** Exceptions from PeerInbound.message; the link stays open. */
  peerHandlerErrors: number;
  /** Routes that threw or rejected (answered 500). */
  httpErrors: number;
  /** The message of the last handler exception of any kind, for the log. */
  lastHandlerError?: string;
}

export function emptyNodeServerStats(): NodeServerStats {
  return {
    clientsOpened: 0,
    clientsClosed: 0,
    clientFramesReceived: 0,
    clientOversizedFrames: 0,
    clientTextFrames: 0,
    clientHandlerErrors: 0,
    peersAccepted: 0,
    peerFramesReceived: 0,
    peerOversizedFrames: 0,
    peerAuthFailures: 0,
    peerRefusals: 0,
    peerMalformed: 0,
    peerHandshakeTimeouts: 0,
    peerHandlerErrors: 0,
    httpErrors: 0,
  };
}
