// The TypeScript client of Shoal: `connect()` and what it returns, and `subscribe()` with its own connection.

export {
  ShoalClient,
  ShoalError,
  connect,
  DEFAULT_CACHE_LIMIT_ROWS,
  DEFAULT_RETENTION_MINUTES,
  DEFAULT_TRY_RECONNECT_NUMS,
  DEFAULT_RECONNECT_INTERVAL_MS,
} from './shoal_client.js';
export { subscribe } from './standalone_subscribe.js';
export type { StandaloneSubscribeOptions } from './standalone_subscribe.js';
export { DEFAULT_KEEP_ALIVE_TIME_MS } from './keep_alive.js';
export { MAX_APPENDS_IN_FLIGHT, NODE_SEQUENCE_WINDOW } from './producer_sequence.js';
export type {
  AppendData,
  AppendResult,
  ColumnInput,
  ConnectOptions,
  FilterInput,
  PersistenceMeta,
  ReadResult,
  SchemaInput,
  StartupSession,
  StreamTableOptions,
  SubscribeOptions,
  Subscription,
  SubscriptionStats,
  TableListing,
  TableSchema,
} from './shoal_client.js';
export type { ClientErrorCode, RequestOutcome } from './shoal_error.js';
