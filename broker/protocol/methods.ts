// The client protocol's vocabulary in TypeScript: every method with its request and reply body, and
// every push. Field names are the camelCase of shoal.proto's fields; 64-bit integers are plain numbers
// (below 2^53). A field left out of an encoded body takes its proto default (0, '', false, []).
// test/protocol/frames.test.ts round-trips a fully populated body of every kind, so a field added to
// the .proto but not here (or misspelt here) fails there.

/** The WebSocket path clients connect to on every node (peers use /peer). */
export const CLIENT_PATH = '/client';

export const METHODS = [
  'login',
  'haStreamTable',
  'streamTable',
  'setStreamTableFilterColumn',
  'append',
  'subscribeTable',
  'ackOffset',
  'unsubscribeTable',
  'getTopicProcessedOffset',
  'removeTopicOffset',
  'dropStreamTable',
  'getStreamingRaftGroups',
  'getStreamingLeader',
  'getPersistenceMeta',
  'getStreamingStat',
  'readTable',
  'listTables',
] as const;
export type Method = (typeof METHODS)[number];

export const PUSH_KINDS = ['rows', 'subscriptionClosed'] as const;
export type PushKind = (typeof PUSH_KINDS)[number];

/** Methods a connection may call before it has logged in. */
export const METHODS_BEFORE_LOGIN: readonly Method[] = ['login', 'getStreamingLeader', 'getStreamingRaftGroups'];

export function isMethod(name: string): name is Method {
  return (METHODS as readonly string[]).includes(name);
}

export function isPushKind(name: string): name is PushKind {
  return (PUSH_KINDS as readonly string[]).includes(name);
}

// ---- shared shapes ----

/** A stream table column: a DolphinDB type name (INT, DOUBLE, SYMBOL, TIMESTAMP, DECIMAL64, ...). */
export interface Column {
  name: string;
  type: string;
  scale: number; // DECIMAL types only
}

/** One value of a subscription filter; exactly one member is set. */
export type FilterValue = { stringValue: string } | { int64Value: number } | { doubleValue: number } | { boolValue: boolean };

export interface RaftGroupInfo {
  id: number;
  sites: string[]; // "host:port:alias"
}

export interface TableInfo {
  name: string;
  raftGroup: number; // 0 for a regular stream table
  rows: number;
  ha: boolean;
}

/** The creation options shared by haStreamTable and streamTable. */
interface TableDefinition {
  tableName: string;
  schema: Column[];
  cacheLimit: number;
  keyColumns: string[];
  retentionMinutes: number; // 0: the node's default
  filterColumn: string; // '': none
}

type Empty = Record<string, never>;

// ---- bodies, by method ----

export interface Requests {
  login: { userId: string; password: string };
  haStreamTable: TableDefinition & { raftGroup: number };
  streamTable: TableDefinition;
  setStreamTableFilterColumn: { tableName: string; column: string };
  /** Rows travel in the frame's arrow bytes. producerId + sequence make a retried append idempotent. */
  append: { tableName: string; producerId?: string; sequence?: number };
  /** offset: -1 (the default when absent) new rows only, -2 the persisted offset, n >= 0 from row n. */
  subscribeTable: {
    tableName: string;
    actionName: string;
    offset?: number;
    filter: FilterValue[];
    persistOffset: boolean;
    batchSize: number; // 0: the node's default
  };
  ackOffset: { topic: string; offset: number };
  unsubscribeTable: { tableName: string; actionName: string };
  getTopicProcessedOffset: { topic: string };
  removeTopicOffset: { topic: string };
  dropStreamTable: { tableName: string };
  getStreamingRaftGroups: Empty;
  getStreamingLeader: { groupId: number };
  getPersistenceMeta: { tableName: string };
  getStreamingStat: Empty;
  readTable: { tableName: string; offset: number; maxRows: number };
  listTables: Empty;
}

export interface Replies {
  login: Empty;
  haStreamTable: { tableName: string; raftGroup: number };
  streamTable: { tableName: string };
  setStreamTableFilterColumn: Empty;
  append: { firstOffset: number; rowsWritten: number; rowsDropped: number; repeated: boolean };
  subscribeTable: { topic: string; startOffset: number; sites: string[]; leader: string };
  ackOffset: Empty;
  unsubscribeTable: Empty;
  getTopicProcessedOffset: { offset: number }; // -1 when none
  removeTopicOffset: Empty;
  dropStreamTable: Empty;
  getStreamingRaftGroups: { groups: RaftGroupInfo[] };
  getStreamingLeader: { leader: string; term: number }; // leader '' when unknown
  getPersistenceMeta: {
    raftGroup: number;
    firstOffset: number;
    nextOffset: number;
    cacheLimit: number;
    cachedRows: number;
    retentionMinutes: number;
    keyColumns: string[];
    schema: Column[];
    lsn: number;
  };
  getStreamingStat: { json: string }; // free-form, NOT a stable shape
  /** Rows travel in the frame's arrow bytes. */
  readTable: { firstOffset: number; rowCount: number; nextOffset: number };
  listTables: { tables: TableInfo[] };
}

export interface Pushes {
  /**
   * Rows travel in the frame's arrow bytes; row i has offset firstOffset + i, unless a filter picked
   * them: then offsets[i]. nextOffset: where the subscription continues (after filtered-out rows too).
   */
  rows: { topic: string; firstOffset: number; rowCount: number; offsets: number[]; nextOffset: number };
  subscriptionClosed: { topic: string; reason: string; newLeader: string };
}

export type RequestOf<M extends Method> = Requests[M];
export type ReplyOf<M extends Method> = Replies[M];
export type PushOf<P extends PushKind> = Pushes[P];

// The body maps above cover exactly METHODS and PUSH_KINDS (a compile error otherwise).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
true satisfies Same<keyof Requests, Method> & Same<keyof Replies, Method> & Same<keyof Pushes, PushKind>;
