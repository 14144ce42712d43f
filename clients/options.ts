// The shapes a ShoalClient user passes and gets back: connection options, subscription options and
// the live subscription handle. Names and defaults follow DolphinDB's connect() and subscribeTable().

import { TableSchema } from '../broker/table/schema.js';
import { Startup } from './connection_pool.js';

export type { StartupSession, Startup } from './connection_pool.js';

export interface ConnectOptions {
  host: string;
  port: number;
  /** Logs in right after connecting (and on every new connection, subscriptions' too) when given. */
  userId?: string;
  password?: string;
  /** How long a call (and opening a connection) may take. Default 30000. */
  requestTimeoutMs?: number;
  /** The largest frame sent or accepted. Default 64 MiB. */
  maxFrameBytes?: number;
  /**
   * Failures are the client's to handle, not the caller's: calls follow NotLeader to the leader, wait
   * out elections, and walk over the sites when a node is down (README "Failover"). Default false.
   */
  highAvailability?: boolean;
  /**
   * With highAvailability: the sites to use, "host:port" or "host:port:alias" (host:port is added first
   * when it is not among them). Without it the client uses every site of every Raft group the cluster
   * reports after the first connect, plus host:port.
   */
  highAvailabilitySites?: string[];
  /** Without highAvailability: reopen a broken connection to host:port (and resend what is safe). Default false. */
  reconnect?: boolean;
  /** Rounds over every site before a call fails with Unreachable; -1 never gives up. Default 10 (with HA or reconnect). */
  tryReconnectNums?: number;
  /** Wait after each round over every site that all failed. Default 1000. */
  reconnectIntervalMs?: number;
  /**
   * Runs on every new calls connection after login and before any call uses it (DolphinDB's startup
   * script), so session state survives a reconnect. A throw fails that connection (with HA: that site).
   */
  startup?: Startup;
  /** Ping each connection; drop one whose node has not answered for this long. Default 10000; 0 disables. */
  keepAliveTimeMs?: number;
}

/** A column as a user writes it: `type` is a DolphinDB type name; DECIMALs as 'DECIMAL64(4)' or with `scale`. */
export interface ColumnInput {
  name: string;
  type: string;
  scale?: number;
}

export type SchemaInput = TableSchema | ColumnInput[];

export interface StreamTableOptions {
  /** Rows kept in memory. Default 100000. */
  cacheLimit?: number;
  keyColumn?: string | string[];
  /** Default 1440 (one day). */
  retentionMinutes?: number;
  filterColumn?: string;
}

export type FilterInput = string | number | bigint | boolean;

export interface SubscribeOptions {
  tableName: string;
  actionName: string;
  /** -1 (default) new rows only; -2 resume after the persisted offset of this topic; n >= 0 from row n. */
  offset?: number;
  /**
   * Called in offset order, never concurrently: a returned promise is awaited before the next call.
   * A throw (or rejection) is counted in handlerErrors, reported to onHandlerError, and delivery goes on.
   */
  handler: (msg: any, msgId?: number) => void | Promise<void>;
  /** true: an apache-arrow Table per call; false (default): row objects (one per call without batchSize). */
  msgAsTable?: boolean;
  /** > 0: calls carry up to batchSize rows, made when batchSize rows are buffered ... */
  batchSize?: number;
  /** ... or when `throttle` seconds (default 1) have passed since the first buffered row arrived. */
  throttle?: number;
  /** Only rows whose filter column holds one of these values (the table needs a filter column). */
  filter?: FilterInput[];
  /**
   * Follow the leader: when the node closes the subscription (its leader stepped down) or the
   * connection is lost, resubscribe after the last row received -- at the named new leader, else at
   * each site of the table's group in turn, following NotLeader answers -- every resubscribeIntervalMs
   * until unsubscribe(). Without reconnect the subscription ends (onClosed). With it, the first
   * subscribe fails over too: a first site that is down hands on to the client's other sites, in
   * tryReconnectNums rounds, then Unreachable. Default: the client's highAvailability.
   */
  reconnect?: boolean;
  /** Default 500. */
  resubscribeIntervalMs?: number;
  /** Sites ("host:port" or "host:port:alias") tried after the group's sites from the subscribe reply. */
  backupSites?: string[];
  /**
   * A site whose connection failed is dropped from the list for the rest of the subscription's life
   * (DolphinDB subOnce) -- except the last one left, which is kept so the subscription can come back
   * when that node does. A NotLeader answer is not a failure (the follower may lead later).
   */
  subOnce?: boolean;
  /** After each handler call, acknowledge its last offset to the node (ackOffset), coalesced, one in flight. */
  persistOffset?: boolean;
  /** handler(msg, msgId) with msgId = the offset of the (last) row of msg. */
  handlerNeedMsgId?: boolean;
  /** The subscription ended without unsubscribe(): the node closed it or the connection was lost (no reconnect). */
  onClosed?: (reason: string) => void;
  onHandlerError?: (err: unknown, msgId: number) => void;
  /** Rows received but not yet handled above which the client stops reading the socket. Default 100000. */
  maxQueuedRows?: number;
}

export interface SubscriptionStats {
  /** Rows received again after a resubscription (or out of order) and dropped. */
  duplicateRowsDropped: number;
  handlerErrors: number;
  /** Successful resubscriptions. */
  resubscriptions: number;
  acksSent: number;
  ackFailures: number;
  /** Times the client stopped reading the socket because maxQueuedRows rows waited for the handler. */
  readPauses: number;
  /** subOnce: sites dropped from the resubscription list because their connection failed. */
  sitesDropped: number;
}

export interface Subscription {
  /** "<cluster>_<group>/<table>/<action>", the node's name for it. */
  readonly topic: string;
  /** The offset of the last row handed to the handler; -1 before any. */
  readonly lastOffset: number;
  /** The site serving the subscription, "host:port:alias". */
  readonly site: string;
  readonly stats: Readonly<SubscriptionStats>;
  /** Stops it: buffered rows are dropped, no handler call starts after this resolves. */
  unsubscribe(): Promise<void>;
}
