// The TypeScript client of Shoal: `connect()` and what it returns.

export {
  ShoalClient,
  ShoalError,
  connect,
  DEFAULT_CACHE_LIMIT_ROWS,
  DEFAULT_RETENTION_MINUTES,
} from './shoal_client.js';
export type {
  AppendData,
  AppendResult,
  ColumnInput,
  ConnectOptions,
  FilterInput,
  PersistenceMeta,
  ReadResult,
  SchemaInput,
  StreamTableOptions,
  SubscribeOptions,
  Subscription,
  SubscriptionStats,
  TableListing,
  TableSchema,
} from './shoal_client.js';
export type { ClientErrorCode } from './shoal_error.js';
