// The outbound half of node-to-node traffic: one PeerLink per configured peer. Each node receives
// its peers' frames on its own NodeServer (/peer), so a pair of nodes talks over two connections.
// Raft tolerates lost messages, so a full queue drops (and counts) instead of blocking or growing.

import { ServerError, requireClusterSecret, requirePositiveInteger } from './errors.js';
import { DEFAULT_PEER_HANDSHAKE_TIMEOUT_MS } from './peer_handshake.js';
import { type FrameBytes } from './frame_queue.js';
import { PeerLink, type PeerLinkStats } from './peer_link.js';

export interface PeerLinksOptions {
  nodeId: number;
  clusterSecret: string;
  peers: Map<number, { host: string; port: number }>;
  maxQueuedBytesPerPeer: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** [0, 1) for the reconnect jitter; default Math.random. */
  random?: () => number;
  /** Socket buffer above which writing pauses; default maxQueuedBytesPerPeer. */
  maxSocketBufferedBytesPerPeer?: number;
  /** Frames above this are dropped at send(); set it to the peers' maxPeerFrameBytes. Default: no limit. */
  maxFrameBytes?: number;
  /** Time for the peer to send its challenge and accept the proof. Default 5000. */
  handshakeTimeoutMs?: number;
}

export class PeerLinks {
  private readonly links = new Map<number, PeerLink>();

  constructor(o: PeerLinksOptions) {
    requireClusterSecret(o.clusterSecret);
    requirePositiveInteger('maxQueuedBytesPerPeer', o.maxQueuedBytesPerPeer);
    requirePositiveInteger('reconnectMinMs', o.reconnectMinMs);
    requirePositiveInteger('reconnectMaxMs', o.reconnectMaxMs);
    if (o.reconnectMaxMs < o.reconnectMinMs) {
      throw new ServerError('BAD_OPTIONS', `reconnectMaxMs (${o.reconnectMaxMs}) is below reconnectMinMs (${o.reconnectMinMs}); raise it`);
    }
    for (const [peerId, site] of o.peers) {
      if (peerId === o.nodeId) throw new ServerError('BAD_OPTIONS', `node ${o.nodeId} is listed as its own peer; leave it out of peers`);
      this.links.set(
        peerId,
        new PeerLink({
          nodeId: o.nodeId,
          peerId,
          host: site.host,
          port: site.port,
          clusterSecret: o.clusterSecret,
          maxQueuedBytes: o.maxQueuedBytesPerPeer,
          maxSocketBufferedBytes: o.maxSocketBufferedBytesPerPeer ?? o.maxQueuedBytesPerPeer,
          maxFrameBytes: o.maxFrameBytes ?? Number.MAX_SAFE_INTEGER,
          reconnectMinMs: o.reconnectMinMs,
          reconnectMaxMs: o.reconnectMaxMs,
          handshakeTimeoutMs: o.handshakeTimeoutMs ?? DEFAULT_PEER_HANDSHAKE_TIMEOUT_MS,
          random: o.random ?? Math.random,
        }),
      );
    }
  }

  /** Connects to every peer (and keeps reconnecting until close). */
  start(): void {
    for (const link of this.links.values()) link.start();
  }

  /** Queues the frame for `to`; false (counted as dropped) when that peer's queue is full or the links are closed. */
  send(to: number, frame: FrameBytes): boolean {
    return this.link(to).send(frame);
  }

  isConnected(to: number): boolean {
    return this.link(to).isConnected();
  }

  stats(): { perPeer: Map<number, PeerLinkStats> } {
    const perPeer = new Map<number, PeerLinkStats>();
    for (const [peerId, link] of this.links) perPeer.set(peerId, link.stats());
    return { perPeer };
  }

  close(): Promise<void> {
    return Promise.all([...this.links.values()].map((link) => link.close())).then(() => undefined);
  }

  private link(peerId: number): PeerLink {
    const link = this.links.get(peerId);
    if (link === undefined) throw new ServerError('UNKNOWN_PEER', `node ${peerId} is not a configured peer; known peers: ${[...this.links.keys()].join(', ')}`);
    return link;
  }
}
