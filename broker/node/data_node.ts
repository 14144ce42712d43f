// A data node process, assembled: config in, then the Raft side (StreamNode), the stream service
// and its subscription hub, users, and the one port that serves clients, peers and HTTP.

import { isAbsolute, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { ClusterConfig, NodeConfig, nodeConfig } from '../../config/index.js';
import { SeededRandom } from '../raft/random.js';
import { decodePeerBatch } from '../protocol/peer_frames.js';
import { encodePeerBatchChunks } from '../protocol/peer_frame_encoder.js';
import { NodeServer, ClientConnection } from '../server/node_server.js';
import { PeerLinks } from '../server/peer_links.js';
import { UserStore } from '../auth/user_store.js';
import { NodeMetrics, metricsRoute } from '../metrics/node_metrics.js';
import { ClientSession, SessionStats } from './client_session.js';
import { NodeDirectory } from './node_directory.js';
import { StreamNode } from './stream_node.js';
import { StreamService } from './stream_service.js';
import { SubscriptionHub } from './subscription_hub.js';
import { LoginGate } from '../admin/login_gate.js';
import { dataNodeAdminRoutes, sessionCookieName } from '../admin/admin_routes.js';

export interface DataNodeOptions {
  cluster: ClusterConfig;
  alias: string;
  /** -home: where the node keeps its data unless persistenceDir / streamingHADir say otherwise. */
  home: string;
  log(line: string): void;
  /** Printed once, when the admin account is created with a generated password. */
  announce(line: string): void;
  onFatal(error: Error): void;
  /**
   * Where to dial a peer instead of its site, by alias: how fault tests put a proxy that drops,
   * delays or cuts one direction between two nodes. Peers still prove who they are in the handshake.
   */
  peerRoutes?: ReadonlyMap<string, { host: string; port: number }>;
}

/** Fixed engine parameters; the config keys that tune them come with the benchmarks. */
const TICK_MS = 100;
const ELECTION_TICK = 10; // 1-2 s randomized election timeout
const HEARTBEAT_TICK = 1;
const PROPOSAL_TIMEOUT_MS = 15_000;
const MAX_WRITER_QUEUE_BYTES = 256 << 20;
const COMPACTION_MARGIN_ENTRIES = 100_000;
// The log behind a checkpoint lives in memory: bound it in bytes too, and checkpoint early when the
// logs grow past CHECKPOINT_LOG_BYTES, or 10,000-row batches at full speed hold gigabytes until the
// next streamingHAPurgeInterval (seen in perf/ha_bench). A follower further behind than the margin
// needs a store snapshot, which is not built yet (docs/raft.md).
const COMPACTION_MARGIN_BYTES = 128 << 20;
const CHECKPOINT_LOG_BYTES = 384 << 20;
const MAX_CLIENT_FRAME_BYTES = 64 << 20;
const MAX_PEER_FRAME_BYTES = 128 << 20;
const MAX_BACKPRESSURE_BYTES = 64 << 20;
const SUBSCRIBER_BUFFER_BYTES = 8 << 20;
const APPEND_LIMITS = { maxRows: 1_000_000, maxBytes: 32 << 20 };
const MAX_READ_ROWS = 100_000;
const MAX_ROWS_PER_PUSH = 10_000;

export class DataNode {
  private constructor(
    readonly config: NodeConfig,
    readonly directory: NodeDirectory,
    readonly nodeId: number,
    readonly stream: StreamNode,
    readonly service: StreamService,
    readonly server: NodeServer,
    private readonly links: PeerLinks,
  ) {}

  static async start(o: DataNodeOptions): Promise<DataNode> {
    const config = nodeConfig(o.cluster, o.alias);
    const settings = config.settings;
    const directory = new NodeDirectory(o.cluster);
    const nodeId = directory.idOf(o.alias);
    const groups = directory.groupsOf(nodeId);
    const peerIds = new Set(groups.flatMap((g) => g.members).filter((id) => id !== nodeId));
    const secret = settings.clusterSecret;
    if (peerIds.size > 0 && (secret === undefined || secret.length < 8)) {
      throw new Error(`${o.cluster.clusterFile.file}: set clusterSecret (at least 8 characters) so the data nodes of raft groups ${groups.map((g) => g.id).join(', ')} can authenticate each other`);
    }
    const nodeHome = join(o.home, o.alias);
    const dir = (setting: string | undefined, fallback: string) => (setting === undefined ? join(nodeHome, fallback) : isAbsolute(setting) ? join(setting, o.alias) : join(o.home, setting, o.alias));
    const walDir = dir(settings.streamingHADir, 'log/streamLog');
    const stateDir = dir(settings.persistenceDir, 'persistence');
    mkdirSync(nodeHome, { recursive: true });

    const users = await UserStore.open(join(nodeHome, 'users.json'));
    const admin = await users.ensureAdmin(settings.adminPassword);
    if (admin.generatedPassword !== undefined) o.announce(`${o.alias}: created user admin with password ${admin.generatedPassword} (shown once; set adminPassword in cluster.cfg to choose it)`);

    const peers = new Map<number, { host: string; port: number }>();
    for (const id of peerIds) {
      const site = directory.site(id)!;
      const route = o.peerRoutes?.get(site.alias);
      peers.set(id, route ?? { host: site.host, port: site.port });
      if (route) o.log(`peer ${site.alias} is dialled through ${route.host}:${route.port} (SHOAL_PEER_ROUTES)`);
    }
    const links = new PeerLinks({
      nodeId, clusterSecret: secret ?? '', peers, maxQueuedBytesPerPeer: 64 << 20,
      reconnectMinMs: 50, reconnectMaxMs: 2000, maxFrameBytes: MAX_PEER_FRAME_BYTES,
    });
    const stream = await StreamNode.open({
      nodeId, groups, walDir, stateDir, dataSync: settings.dataSync,
      tickMs: TICK_MS, electionTick: ELECTION_TICK, heartbeatTick: HEARTBEAT_TICK,
      checkpointIntervalSeconds: settings.streamingHAPurgeInterval, proposalTimeoutMs: PROPOSAL_TIMEOUT_MS,
      maxWriterQueueBytes: MAX_WRITER_QUEUE_BYTES, compactionMarginEntries: COMPACTION_MARGIN_ENTRIES,
      compactionMarginBytes: COMPACTION_MARGIN_BYTES, checkpointLogBytes: CHECKPOINT_LOG_BYTES,
      random: new SeededRandom(Date.now() ^ (nodeId * 7919)), nowMs: () => Date.now(),
      siteOf: (id) => directory.siteText(id),
      sendPeer: (batch) => void links.send(batch.to, encodePeerBatchChunks(batch)),
      onFatal: o.onFatal, log: o.log,
    });
    const hub = new SubscriptionHub(stream, (id) => directory.siteText(id), MAX_ROWS_PER_PUSH);
    stream.listeners.push(hub);
    const service = new StreamService({
      nodeId, clusterName: settings.clusterName, directory, node: stream, hub, appendLimits: APPEND_LIMITS,
      defaultRetentionMinutes: 1440, maxReadRows: MAX_READ_ROWS, nowMs: () => Date.now(),
    });
    const sessionStats: SessionStats = { requests: 0, errorsByCode: new Map(), malformedFrames: 0 };
    const sessions = new Map<ClientConnection, ClientSession>();
    const extraStat = () => ({
      // The process, so an operator (or examples/failover) can find and signal a node's PID.
      process: { pid: process.pid, uptimeSeconds: Math.round(process.uptime()), rssBytes: process.memoryUsage.rss() },
      clients: sessions.size, requests: sessionStats.requests, malformedFrames: sessionStats.malformedFrames,
      errorsByCode: Object.fromEntries(sessionStats.errorsByCode), peers: Object.fromEntries([...links.stats().perPeer].map(([id, s]) => [directory.siteText(id), s])),
      server: server.stats(), // called only once a client is connected, so the server exists by then
    });
    // The admin API's login (HTTP Basic or a session cookie, the node's users); wrap other HTTP routes with adminLogin.requireLogin.
    const adminLogin = new LoginGate({ users, cookieName: sessionCookieName(config.site.port), nowMs: () => Date.now() });
    const server = await NodeServer.listen({
      host: config.site.host, port: config.site.port, nodeId, clusterSecret: secret ?? '', peerIds,
      maxClientFrameBytes: MAX_CLIENT_FRAME_BYTES, maxPeerFrameBytes: MAX_PEER_FRAME_BYTES,
      maxBackpressureBytes: MAX_BACKPRESSURE_BYTES, idleTimeoutSeconds: 0,
      clients: {
        open: (c) => { sessions.set(c, new ClientSession(c, service, hub, users, sessionStats, extraStat, SUBSCRIBER_BUFFER_BYTES)); },
        message: (c, frame) => sessions.get(c)?.onMessage(frame),
        close: (c) => { sessions.get(c)?.onClose(); sessions.delete(c); },
      },
      peers: {
        message: (from, frame) => {
          const batch = decodePeerBatch(frame, MAX_PEER_FRAME_BYTES);
          if (batch.from === from && batch.to === nodeId) stream.receive(batch); // a peer speaks only for itself
        },
      },
      http: new Map([
        ['/health', () => ({ status: 200, contentType: 'application/json', body: JSON.stringify({ status: 'ok', node: directory.siteText(nodeId), groups: stream.groupIds().map((g) => ({ id: g, leader: directory.siteText(stream.leaderId(g)) ?? '', isLeader: stream.isLeader(g) })) }) })],
        ...dataNodeAdminRoutes(adminLogin, o.cluster, { directory, nodeId, stream, hub, links, sessions }),
        ['/metrics', adminLogin.requireLogin(metricsRoute(new NodeMetrics({ nodeId, site: directory.siteText(nodeId) ?? o.alias, node: stream, hub, clients: () => ({ ...sessionStats, connections: sessions.size }), peers: () => links.stats().perPeer })))],
      ]),
    });
    links.start();
    o.log(`${o.alias} (node ${nodeId}) listening on ${config.site.host}:${config.site.port}; raft groups ${groups.map((g) => g.id).join(', ')}; log ${walDir}; state ${stateDir}`);
    return new DataNode(config, directory, nodeId, stream, service, server, links);
  }

  async stop(): Promise<void> {
    await this.server.close();
    await this.links.close();
    await this.stream.close();
  }
}
