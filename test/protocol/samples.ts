// A fully populated body of every request, reply and push (every field away from its default, so a
// field the wire drops shows up in a round trip), and the all-defaults body each one decodes to when
// sent empty. Typed against methods.ts, so a new method needs both before anything compiles.

import { Method, PushKind, PushOf, ReplyOf, RequestOf } from '../../broker/protocol/methods.js';

const columns = [
  { name: 'ts', type: 'TIMESTAMP', scale: 0 },
  { name: 'sym', type: 'SYMBOL', scale: 0 },
  { name: 'px', type: 'DECIMAL64', scale: 4 },
];
const BIG = 2 ** 53 - 1; // the largest value every 64-bit field must carry exactly

export const SAMPLE_REQUESTS: { [M in Method]: RequestOf<M> } = {
  login: { userId: 'admin', password: 'p\u00e4ss' },
  haStreamTable: {
    raftGroup: 2,
    tableName: 'trades',
    schema: columns,
    cacheLimit: 100_000,
    keyColumns: ['sym'],
    retentionMinutes: 1440,
    filterColumn: 'sym',
  },
  streamTable: { tableName: 'quotes', schema: columns, cacheLimit: BIG, keyColumns: ['ts', 'sym'], retentionMinutes: 60, filterColumn: 'sym' },
  setStreamTableFilterColumn: { tableName: 'trades', column: 'sym' },
  append: { tableName: 'trades', producerId: 'feed-1', sequence: BIG },
  subscribeTable: {
    tableName: 'trades',
    actionName: 'risk',
    offset: -2,
    filter: [{ stringValue: 'AAPL' }, { int64Value: -BIG }, { doubleValue: 1.5 }, { boolValue: true }],
    persistOffset: true,
    batchSize: 512,
  },
  ackOffset: { topic: 'localhost:8902:dn1/trades/risk', offset: BIG },
  unsubscribeTable: { tableName: 'trades', actionName: 'risk' },
  getTopicProcessedOffset: { topic: 'localhost:8902:dn1/trades/risk' },
  removeTopicOffset: { topic: 'localhost:8902:dn1/trades/risk' },
  dropStreamTable: { tableName: 'trades' },
  getStreamingRaftGroups: {},
  getStreamingLeader: { groupId: 0xffff_ffff },
  getPersistenceMeta: { tableName: 'trades' },
  getStreamingStat: {},
  readTable: { tableName: 'trades', offset: BIG, maxRows: 10_000 },
  listTables: {},
};

export const SAMPLE_REPLIES: { [M in Method]: ReplyOf<M> } = {
  login: {},
  haStreamTable: { tableName: 'trades', raftGroup: 2 },
  streamTable: { tableName: 'quotes' },
  setStreamTableFilterColumn: {},
  append: { firstOffset: BIG, rowsWritten: 1000, rowsDropped: 3, repeated: true },
  subscribeTable: {
    topic: 'localhost:8902:dn1/trades/risk',
    startOffset: -1,
    sites: ['localhost:8902:dn1', 'localhost:8903:dn2', '[::1]:8904:dn3'],
    leader: 'localhost:8902:dn1',
  },
  ackOffset: {},
  unsubscribeTable: {},
  getTopicProcessedOffset: { offset: -1 },
  removeTopicOffset: {},
  dropStreamTable: {},
  getStreamingRaftGroups: { groups: [{ id: 2, sites: ['a:1:x', 'b:2:y'] }, { id: 3, sites: [] }] },
  getStreamingLeader: { leader: 'localhost:8903:dn2', term: BIG },
  getPersistenceMeta: {
    raftGroup: 2,
    firstOffset: 10,
    nextOffset: BIG,
    cacheLimit: 100_000,
    cachedRows: 99_999,
    retentionMinutes: 1440,
    keyColumns: ['sym'],
    schema: columns,
    lsn: BIG - 1,
  },
  getStreamingStat: { json: '{"tables":3}' },
  readTable: { firstOffset: 5, rowCount: 4096, nextOffset: 4101 },
  listTables: { tables: [{ name: 'trades', raftGroup: 2, rows: BIG, ha: true }, { name: 'quotes', raftGroup: 0, rows: 0, ha: false }] },
};

export const SAMPLE_PUSHES: { [P in PushKind]: PushOf<P> } = {
  rows: { topic: 'localhost:8902:dn1/trades/risk', firstOffset: BIG, rowCount: 2, offsets: [BIG, BIG - 7], nextOffset: BIG - 1 },
  subscriptionClosed: { topic: 'localhost:8902:dn1/trades/risk', reason: 'leader changed', newLeader: 'localhost:8903:dn2' },
};

const tableDefaults = { tableName: '', schema: [], cacheLimit: 0, keyColumns: [], retentionMinutes: 0, filterColumn: '' };

/** What each request decodes to when sent with an empty body: every field at its proto3 default. */
export const DEFAULT_REQUESTS: { [M in Method]: RequestOf<M> } = {
  login: { userId: '', password: '' },
  haStreamTable: { ...tableDefaults, raftGroup: 0 },
  streamTable: tableDefaults,
  setStreamTableFilterColumn: { tableName: '', column: '' },
  append: { tableName: '' }, // producerId, sequence and subscribeTable's offset are `optional`: absent, not defaulted
  subscribeTable: { tableName: '', actionName: '', filter: [], persistOffset: false, batchSize: 0 },
  ackOffset: { topic: '', offset: 0 },
  unsubscribeTable: { tableName: '', actionName: '' },
  getTopicProcessedOffset: { topic: '' },
  removeTopicOffset: { topic: '' },
  dropStreamTable: { tableName: '' },
  getStreamingRaftGroups: {},
  getStreamingLeader: { groupId: 0 },
  getPersistenceMeta: { tableName: '' },
  getStreamingStat: {},
  readTable: { tableName: '', offset: 0, maxRows: 0 },
  listTables: {},
};

export const DEFAULT_REPLIES: { [M in Method]: ReplyOf<M> } = {
  login: {},
  haStreamTable: { tableName: '', raftGroup: 0 },
  streamTable: { tableName: '' },
  setStreamTableFilterColumn: {},
  append: { firstOffset: 0, rowsWritten: 0, rowsDropped: 0, repeated: false },
  subscribeTable: { topic: '', startOffset: 0, sites: [], leader: '' },
  ackOffset: {},
  unsubscribeTable: {},
  getTopicProcessedOffset: { offset: 0 },
  removeTopicOffset: {},
  dropStreamTable: {},
  getStreamingRaftGroups: { groups: [] },
  getStreamingLeader: { leader: '', term: 0 },
  getPersistenceMeta: {
    raftGroup: 0,
    firstOffset: 0,
    nextOffset: 0,
    cacheLimit: 0,
    cachedRows: 0,
    retentionMinutes: 0,
    keyColumns: [],
    schema: [],
    lsn: 0,
  },
  getStreamingStat: { json: '' },
  readTable: { firstOffset: 0, rowCount: 0, nextOffset: 0 },
  listTables: { tables: [] },
};

export const DEFAULT_PUSHES: { [P in PushKind]: PushOf<P> } = {
  rows: { topic: '', firstOffset: 0, rowCount: 0, offsets: [], nextOffset: 0 },
  subscriptionClosed: { topic: '', reason: '', newLeader: '' },
};

/** Bytes that look like an Arrow IPC stream to nobody, but are recognisable when they come back. */
export function fakeArrow(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/** A Buffer from an encoder as a plain Uint8Array view (no copy), the way uWebSockets.js data arrives. */
export function plain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
