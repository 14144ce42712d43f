// The one port of a node: uWebSockets.js serving client WebSockets (/client), peer WebSockets
// (/peer, behind the cluster-secret handshake) and plain HTTP routes (/health, later /metrics and the
// admin API). Frames are opaque bytes here; decoding them is the node runtime's business.

import uWS from 'uWebSockets.js';
import type { TemplatedApp, WebSocketBehavior, us_listen_socket } from 'uWebSockets.js';
import { messageOf } from '../../storage/state/errors.js';
import { type ClientSocketData, UwsClientConnection } from './client_connection.js';
import { ServerError, requireClusterSecret, requirePositiveInteger } from './errors.js';
import { guardedCall } from './guarded_call.js';
import { registerHttpRoutes } from './http_routes.js';
import { PeerAcceptor } from './peer_acceptor.js';
import { DEFAULT_PEER_HANDSHAKE_TIMEOUT_MS, PEER_PATH } from './peer_handshake.js';
import { CLIENT_PATH } from '../protocol/methods.js';
import { type NodeServerStats, emptyNodeServerStats } from './server_stats.js';
import { isOversizedClose } from './uws_close.js';

export type SendResult = 'sent' | 'buffered' | 'dropped' | 'closed';

export interface ClientConnection {
  readonly id: number;
  readonly remoteAddress: string;
  /** 'buffered': accepted but waiting in the socket buffer, slow down; 'dropped': over maxBackpressureBytes, not sent. */
  send(frame: Uint8Array): SendResult;
  bufferedBytes(): number;
  /** Called once when the buffer has drained below maxBackpressureBytes; never after close. */
  onDrain(cb: () => void): void;
  close(code?: number, reason?: string): void;
  /** For the session (logged-in user, subscriptions). */
  userData: Record<string, unknown>;
}

/** The session layer. A throw (or a rejected promise) closes that connection with 1011; close() still follows. */
export interface ClientHandler {
  open(c: ClientConnection): void;
  message(c: ClientConnection, frame: Uint8Array): void;
  close(c: ClientConnection): void;
}

/** Frames from authenticated peers. A throw is counted (peerHandlerErrors) and the link stays open. */
export interface PeerInbound {
  message(fromNodeId: number, frame: Uint8Array): void;
}

/** `method` is upper case; `url` is the path without the query string. */
export interface HttpRequestInfo {
  method: string;
  url: string;
  query: string;
  headers: Record<string, string>;
  /** POST, PUT and PATCH only: the whole request body (at most MAX_HTTP_BODY_BYTES; a longer one gets 413). */
  body?: Uint8Array;
}

export interface HttpReply {
  status: number;
  contentType: string;
  body: string | Uint8Array;
  /** Extra response headers (e.g. set-cookie, www-authenticate), lower-case names. */
  headers?: Record<string, string>;
}

export type HttpRoute = (req: HttpRequestInfo) => HttpReply | Promise<HttpReply>;


export interface NodeServerOptions {
  host: string;
  port: number;
  nodeId: number;
  clusterSecret: string;
  /** The node ids allowed to connect on /peer (the server's own id is refused even if listed). */
  peerIds: ReadonlySet<number>;
  maxClientFrameBytes: number;
  maxPeerFrameBytes: number;
  /** Per socket; a send over it is dropped. */
  maxBackpressureBytes: number;
  /** 0 (never) or 8..960: uWebSockets.js aborts the process (uncatchable) on anything else. */
  idleTimeoutSeconds: number;
  /** A peer that has not proved the secret this long after connecting is closed. Default 5000. */
  peerHandshakeTimeoutMs?: number;
  clients: ClientHandler;
  peers: PeerInbound;
  /** path -> route; '/client' and '/peer' are taken by the WebSockets. */
  http: Map<string, HttpRoute>;
}

/**
 * Two calls the 20.30 build has but its .d.ts lacks: close() ends the listen socket and every connection;
 * listen(host, port, options, cb) with LIBUS_LISTEN_EXCLUSIVE_PORT, because by default uSockets sets
 * SO_REUSEPORT and a second node started on the same port would silently share it.
 */
type ClosableApp = TemplatedApp & {
  close(): void;
  listen(host: string, port: number, options: number, cb: (listenSocket: us_listen_socket | false) => void): TemplatedApp;
};
const LISTEN_EXCLUSIVE_PORT = (uWS as unknown as { LIBUS_LISTEN_EXCLUSIVE_PORT: number }).LIBUS_LISTEN_EXCLUSIVE_PORT;

const INTERNAL_ERROR = 1011;
const UNSUPPORTED_DATA = 1003;
const GOING_AWAY = 1001;

export class NodeServer {
  private closed = false;

  private constructor(
    private readonly app: ClosableApp,
    private readonly listenSocket: us_listen_socket,
    private readonly connections: ReadonlyMap<number, UwsClientConnection>, // filled by the /client handlers
    private readonly peerAcceptor: PeerAcceptor,
    private readonly counters: NodeServerStats,
    readonly port: number,
  ) {}

  /** Binds host:port; rejects with LISTEN_FAILED if the port is taken, BAD_OPTIONS if an option is out of range. */
  static listen(o: NodeServerOptions): Promise<NodeServer> {
    try {
      checkOptions(o);
    } catch (err) {
      return Promise.reject(err);
    }
    const stats = emptyNodeServerStats();
    const connections = new Map<number, UwsClientConnection>();
    const app = uWS.App() as ClosableApp;
    const peerAcceptor = new PeerAcceptor({
      nodeId: o.nodeId,
      clusterSecret: o.clusterSecret,
      peerIds: o.peerIds,
      handshakeTimeoutMs: o.peerHandshakeTimeoutMs ?? DEFAULT_PEER_HANDSHAKE_TIMEOUT_MS,
      maxPeerFrameBytes: o.maxPeerFrameBytes,
      maxBackpressureBytes: o.maxBackpressureBytes,
      idleTimeoutSeconds: o.idleTimeoutSeconds,
      peers: o.peers,
      stats,
    });
    app.ws<ClientSocketData>(CLIENT_PATH, clientBehavior(o, stats, connections));
    app.ws(PEER_PATH, peerAcceptor.behavior());
    registerHttpRoutes(app, o.http, (path, err) => {
      stats.httpErrors++;
      stats.lastHandlerError = `http ${path}: ${messageOf(err)}`;
    });
    return new Promise((resolve, reject) => {
      app.listen(o.host, o.port, LISTEN_EXCLUSIVE_PORT, (listenSocket) => {
        if (listenSocket === false) {
          app.close();
          reject(new ServerError('LISTEN_FAILED', `cannot listen on ${o.host}:${o.port}; is another process using the port, or is the host not an address of this machine?`));
          return;
        }
        resolve(new NodeServer(app, listenSocket, connections, peerAcceptor, stats, o.port));
      });
    });
  }

  clientCount(): number {
    return this.connections.size;
  }

  /** Node ids of peers with an authenticated inbound link right now. */
  connectedPeerIds(): number[] {
    return this.peerAcceptor.connectedPeerIds();
  }

  /** A copy of the counters. */
  stats(): NodeServerStats {
    return { ...this.counters };
  }

  /** Closes every client (1001, close handlers run) and peer socket, then the port. Idempotent. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    uWS.us_listen_socket_close(this.listenSocket);
    for (const connection of [...this.connections.values()]) connection.close(GOING_AWAY, 'server shutting down');
    this.peerAcceptor.closeAll(GOING_AWAY, 'server shutting down');
    this.app.close(); // also ends idle HTTP keep-alive sockets, which would otherwise hold the process open
    return Promise.resolve();
  }
}

function clientBehavior(o: NodeServerOptions, stats: NodeServerStats, connections: Map<number, UwsClientConnection>): WebSocketBehavior<ClientSocketData> {
  let nextConnectionId = 1;
  const fail = (connection: UwsClientConnection, err: unknown): void => {
    stats.clientHandlerErrors++;
    stats.lastHandlerError = `client ${connection.id}: ${messageOf(err)}`;
    connection.close(INTERNAL_ERROR, '<INTERNAL> the server failed on this connection; reconnect');
  };
  return {
    maxPayloadLength: o.maxClientFrameBytes,
    maxBackpressure: o.maxBackpressureBytes,
    idleTimeout: o.idleTimeoutSeconds,
    sendPingsAutomatically: true,
    open: (socket) => {
      const remoteAddress = Buffer.from(socket.getRemoteAddressAsText()).toString();
      const connection = new UwsClientConnection(nextConnectionId++, remoteAddress, socket, o.maxBackpressureBytes, fail);
      socket.getUserData().connection = connection;
      connections.set(connection.id, connection);
      stats.clientsOpened++;
      guardedCall(() => o.clients.open(connection), (err) => fail(connection, err));
    },
    message: (socket, message, isBinary) => {
      const connection = socket.getUserData().connection!;
      if (connection.isClosed) return;
      if (!isBinary) {
        stats.clientTextFrames++;
        connection.close(UNSUPPORTED_DATA, '<TEXT_FRAME> the protocol is binary; send binary frames');
        return;
      }
      stats.clientFramesReceived++;
      const frame = new Uint8Array(message.slice(0)); // the ArrayBuffer dies with this callback
      guardedCall(() => o.clients.message(connection, frame), (err) => fail(connection, err));
    },
    drain: (socket) => socket.getUserData().connection!.drained(),
    close: (socket, code, message) => {
      const connection = socket.getUserData().connection!;
      connection.markClosed();
      connections.delete(connection.id);
      stats.clientsClosed++;
      if (isOversizedClose(code, message)) stats.clientOversizedFrames++;
      // Reported, not rethrown: the connection is already gone.
      guardedCall(() => o.clients.close(connection), (err) => {
        stats.clientHandlerErrors++;
        stats.lastHandlerError = `client ${connection.id} close: ${messageOf(err)}`;
      });
    },
  };
}

function checkOptions(o: NodeServerOptions): void {
  requireClusterSecret(o.clusterSecret);
  requirePositiveInteger('maxClientFrameBytes', o.maxClientFrameBytes);
  requirePositiveInteger('maxPeerFrameBytes', o.maxPeerFrameBytes);
  requirePositiveInteger('maxBackpressureBytes', o.maxBackpressureBytes);
  if (o.peerHandshakeTimeoutMs !== undefined) requirePositiveInteger('peerHandshakeTimeoutMs', o.peerHandshakeTimeoutMs);
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) {
    throw new ServerError('BAD_OPTIONS', `port must be 1..65535, got ${o.port}; fix localSite (port 0 is not supported by this uWebSockets.js build)`);
  }
  const idle = o.idleTimeoutSeconds;
  if (!Number.isInteger(idle) || (idle !== 0 && (idle < 8 || idle > 960))) {
    throw new ServerError('BAD_OPTIONS', `idleTimeoutSeconds must be 0 (never) or 8..960, got ${idle}`);
  }
  for (const path of o.http.keys()) {
    if (path === CLIENT_PATH || path === PEER_PATH || !path.startsWith('/')) {
      throw new ServerError('BAD_OPTIONS', `HTTP route "${path}" must start with / and cannot be ${CLIENT_PATH} or ${PEER_PATH}`);
    }
  }
}
