// What the metrics read from a data node: narrow views of StreamNode, SubscriptionHub and the
// client sessions, so a test can drive the metrics with plain objects and the node needs no
// knowledge of prom-client. StreamNode and SubscriptionHub satisfy these as they are.

import type { StreamNodeListener } from '../node/stream_node.js';
import type { Status } from '../raft/raw_node.js';
import type { PeerLinkStats } from '../server/peer_link.js';
import type { WalFlushObserver } from '../../storage/wal/write_ahead_log.js';

export interface ObservedTable {
  readonly name: string;
  readonly nextOffset: number;
  /** Distinct row keys held for dedup (keyed tables; 0 otherwise). */
  readonly keyCount: number;
  readonly rows: { readonly cachedRows: number; readonly firstRetainedOffset: number };
}

export interface ObservedGroup {
  readonly tables: ReadonlyMap<string, ObservedTable>;
  readonly writer: { readonly queuedBytes: number };
}

export type ObservedStatus = Pick<Status, 'id' | 'role' | 'term' | 'lead' | 'commit' | 'applied' | 'lastIndex' | 'progress'>;

export interface ObservedNode {
  /** The metrics add one listener (events: elections, leader changes, appends, snapshots, drops). */
  readonly listeners: StreamNodeListener[];
  groupIds(): number[];
  status(group: number): ObservedStatus;
  group(id: number): ObservedGroup;
  stats(): { pendingProposals: number };
  observeWal(observer: WalFlushObserver): void;
}

export interface ObservedSubscription {
  topic: string;
  group: number;
  table: string;
  /** The next offset this subscription pushes; nextOffset - 1 was delivered last. */
  nextOffset: number;
  /** Rows of the table not yet pushed: table next offset - nextOffset. */
  lagRows: number;
  catchingUp: boolean;
}

export interface ObservedHub {
  list(): ObservedSubscription[];
  onSubscribed: ((group: number, table: string, topic: string) => void) | undefined;
}

/** The client sessions of the node (DataNode's SessionStats plus the open connections). */
export interface ClientCounts {
  connections: number;
  requests: number;
  malformedFrames: number;
  errorsByCode: ReadonlyMap<string, number>;
}

export interface NodeMetricsSources {
  nodeId: number;
  /** host:port:alias of this node. */
  site: string;
  node: ObservedNode;
  hub: ObservedHub;
  clients(): ClientCounts;
  /** Per peer node id, its link's state; absent for a node with no peers. */
  peers?(): ReadonlyMap<number, PeerLinkStats>;
}
