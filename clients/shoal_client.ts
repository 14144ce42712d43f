// Shoal's TypeScript client: the stream table calls a data node serves, named and shaped as in
// DolphinDB (haStreamTable, append, subscribeTable with msgAsTable/batchSize/throttle/reconnect, ...).
// Calls share one connection; each subscription gets a connection of its own (subscription.ts).
// Rows go out and come back as Arrow IPC in the table's schema, which the client fetches once per
// table (getPersistenceMeta) and caches.

import { Column, ReplyOf } from '../broker/protocol/methods.js';
import { AppendData, batchToRows, decodeAppendBatch, encodeAppendBatch } from '../broker/table/batch.js';
import { TableError } from '../broker/table/errors.js';
import { TableSchema, checkSchema, encodeSchema } from '../broker/table/schema.js';
import { messageOf } from '../storage/state/errors.js';
import { ConnectOptions, SchemaInput, StreamTableOptions, SubscribeOptions, Subscription } from './options.js';
import { RECEIVED_ROWS_LIMITS } from './rows_push.js';
import { ShoalError, errorFromTable } from './shoal_error.js';
import { LiveSubscription, SYSTEM_CLOCK } from './subscription.js';
import { DEFAULT_MAX_FRAME_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, WireConnection, WireConnectionStats } from './wire_connection.js';

export { ShoalError } from './shoal_error.js';
export type { ColumnInput, ConnectOptions, FilterInput, SchemaInput, StreamTableOptions, SubscribeOptions, Subscription, SubscriptionStats } from './options.js';
export type { AppendData } from '../broker/table/batch.js';
export type { TableSchema } from '../broker/table/schema.js';

export const DEFAULT_RETENTION_MINUTES = 1440;
export const DEFAULT_CACHE_LIMIT_ROWS = 100_000;
/** Room left in a frame for the envelope around an append's Arrow bytes. */
const FRAME_ENVELOPE_BYTES = 4096;

export type PersistenceMeta = ReplyOf<'getPersistenceMeta'>;
export interface AppendResult { firstOffset: number; rowsWritten: number; rowsDropped: number }
export interface ReadResult { firstOffset: number; nextOffset: number; rows: Array<Record<string, unknown>> }
export interface TableListing { name: string; raftGroup: number; rows: number; ha: boolean }

/** Opens a connection to a data node and, when userId is given, logs in. */
export async function connect(o: ConnectOptions): Promise<ShoalClient> {
  const settings: ClientSettings = {
    host: o.host,
    port: o.port,
    requestTimeoutMs: o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    maxFrameBytes: o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
  };
  const conn = await WireConnection.open(settings);
  const client = new ShoalClient(conn, settings);
  if (o.userId !== undefined) {
    try {
      await client.login(o.userId, o.password ?? '');
    } catch (err) {
      await conn.close();
      throw err;
    }
  }
  return client;
}

interface ClientSettings {
  host: string;
  port: number;
  requestTimeoutMs: number;
  maxFrameBytes: number;
}

export class ShoalClient {
  private credentials: { userId: string; password: string } | undefined;
  private readonly schemas = new Map<string, TableSchema>();
  /** Live subscriptions by "table/action". */
  private readonly subscriptions = new Map<string, LiveSubscription>();

  /** Use connect(). */
  constructor(
    private readonly conn: WireConnection,
    private readonly settings: ClientSettings,
  ) {}

  /** Counters of the calls connection: malformed frames dropped, late replies, listener errors. */
  get stats(): Readonly<WireConnectionStats> {
    return this.conn.stats;
  }

  async login(userId: string, password: string): Promise<void> {
    await this.conn.call('login', { userId, password });
    this.credentials = { userId, password };
  }

  // ---- tables -----------------------------------------------------------------------------------

  /** An HA stream table replicated by `raftGroup` (DolphinDB haStreamTable). */
  async haStreamTable(
    raftGroup: number,
    schema: SchemaInput,
    tableName: string,
    cacheLimit: number,
    keyColumn?: string | string[],
    retentionMinutes = DEFAULT_RETENTION_MINUTES,
    filterColumn?: string,
  ): Promise<void> {
    await this.conn.call('haStreamTable', {
      raftGroup, tableName, schema: wireColumnsOf(schema), cacheLimit,
      keyColumns: keyColumnsOf(keyColumn), retentionMinutes, filterColumn: filterColumn ?? '',
    });
  }

  /** A regular stream table persisted on the node this client is connected to. */
  async streamTable(tableName: string, schema: SchemaInput, options: StreamTableOptions = {}): Promise<void> {
    await this.conn.call('streamTable', {
      tableName, schema: wireColumnsOf(schema), cacheLimit: options.cacheLimit ?? DEFAULT_CACHE_LIMIT_ROWS,
      keyColumns: keyColumnsOf(options.keyColumn), retentionMinutes: options.retentionMinutes ?? DEFAULT_RETENTION_MINUTES,
      filterColumn: options.filterColumn ?? '',
    });
  }

  async setStreamTableFilterColumn(tableName: string, column: string): Promise<void> {
    await this.conn.call('setStreamTableFilterColumn', { tableName, column });
  }

  async dropStreamTable(tableName: string): Promise<void> {
    this.schemas.delete(tableName);
    await this.conn.call('dropStreamTable', { tableName });
  }

  // ---- rows -------------------------------------------------------------------------------------

  /**
   * Appends rows: columns (arrays, typed arrays, Arrow vectors) by name, or an Arrow table / record
   * batch. Encoded with the table's cached schema; a SchemaMismatch refetches it and retries once.
   */
  async append(tableName: string, data: AppendData): Promise<AppendResult> {
    let schema = await this.schemaOf(tableName);
    for (let attempt = 0; ; attempt++) {
      try {
        const ipc = this.encodeRows(schema, data);
        return (await this.conn.call('append', { tableName }, ipc)).body;
      } catch (err) {
        if (attempt > 0 || !(err instanceof ShoalError) || err.code !== 'SchemaMismatch') throw err;
        const fresh = await this.refetchSchema(tableName, schema);
        if (fresh === undefined) throw err; // the table's schema is what we used: the data is at fault
        schema = fresh;
      }
    }
  }

  async readTable(tableName: string, offset: number, maxRows: number): Promise<ReadResult> {
    const reply = await this.conn.call('readTable', { tableName, offset, maxRows });
    const { firstOffset, nextOffset } = reply.body;
    if (reply.arrow === undefined) return { firstOffset, nextOffset, rows: [] };
    let schema = await this.schemaOf(tableName);
    for (let attempt = 0; ; attempt++) {
      try {
        return { firstOffset, nextOffset, rows: batchToRows(decodeAppendBatch(schema, reply.arrow, RECEIVED_ROWS_LIMITS)) };
      } catch (err) {
        const fresh = attempt === 0 && err instanceof TableError ? await this.refetchSchema(tableName, schema) : undefined;
        if (fresh === undefined) throw new ShoalError('BadReply', `readTable ${tableName}: the rows do not decode: ${messageOf(err)}`, { cause: err });
        schema = fresh;
      }
    }
  }

  // ---- subscriptions ----------------------------------------------------------------------------

  async subscribeTable(o: SubscribeOptions): Promise<Subscription> {
    const key = `${o.tableName}/${o.actionName}`;
    if (this.subscriptions.has(key)) {
      throw new ShoalError('SubscriptionExists', `${key} is already subscribed by this client; unsubscribe it first or use another actionName`);
    }
    const schema = await this.schemaOf(o.tableName);
    const sub = new LiveSubscription(o, {
      schema,
      connect: (host, port) => this.openConnection(host, port),
      clock: SYSTEM_CLOCK,
      finished: (s) => {
        if (this.subscriptions.get(key) === s) this.subscriptions.delete(key);
      },
    }, { host: this.settings.host, port: this.settings.port });
    this.subscriptions.set(key, sub);
    try {
      await sub.start();
    } catch (err) {
      if (this.subscriptions.get(key) === sub) this.subscriptions.delete(key);
      throw err;
    }
    return sub;
  }

  /** Ends this client's subscription, or asks the node to end one made elsewhere. */
  async unsubscribeTable(tableName: string, actionName: string): Promise<void> {
    const own = this.subscriptions.get(`${tableName}/${actionName}`);
    if (own !== undefined) return own.unsubscribe();
    await this.conn.call('unsubscribeTable', { tableName, actionName });
  }

  /** The last offset acknowledged for `topic` (persistOffset); -1 when none. */
  async getTopicProcessedOffset(topic: string): Promise<number> {
    return (await this.conn.call('getTopicProcessedOffset', { topic })).body.offset;
  }

  async removeTopicOffset(topic: string): Promise<void> {
    await this.conn.call('removeTopicOffset', { topic });
  }

  // ---- cluster and metadata ---------------------------------------------------------------------

  async getStreamingRaftGroups(): Promise<Array<{ id: number; sites: string[] }>> {
    return (await this.conn.call('getStreamingRaftGroups', {})).body.groups;
  }

  /** The group's leader as "host:port:alias"; '' while none is known. */
  async getStreamingLeader(groupId: number): Promise<string> {
    return (await this.conn.call('getStreamingLeader', { groupId })).body.leader;
  }

  async getPersistenceMeta(tableName: string): Promise<PersistenceMeta> {
    const meta = (await this.conn.call('getPersistenceMeta', { tableName })).body;
    this.schemas.set(tableName, schemaFromWire(tableName, meta.schema));
    return meta;
  }

  /** The node's statistics; free-form, its shape is not stable. */
  async getStreamingStat(): Promise<Record<string, unknown>> {
    const { json } = (await this.conn.call('getStreamingStat', {})).body;
    try {
      return JSON.parse(json) as Record<string, unknown>;
    } catch (err) {
      throw new ShoalError('BadReply', `getStreamingStat: the node sent text that is not JSON (${messageOf(err)})`, { cause: err });
    }
  }

  async listTables(): Promise<TableListing[]> {
    return (await this.conn.call('listTables', {})).body.tables;
  }

  /** Ends every subscription of this client, then the connection; pending calls reject with ConnectionClosed. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.subscriptions.values()].map((s) => s.unsubscribe()));
    await this.conn.close();
  }

  // ---- internals --------------------------------------------------------------------------------

  private async schemaOf(tableName: string): Promise<TableSchema> {
    const cached = this.schemas.get(tableName);
    if (cached !== undefined) return cached;
    await this.getPersistenceMeta(tableName);
    return this.schemas.get(tableName)!;
  }

  /** The table's schema fetched again; undefined when it is the same as `used`. */
  private async refetchSchema(tableName: string, used: TableSchema): Promise<TableSchema | undefined> {
    this.schemas.delete(tableName);
    const fresh = await this.schemaOf(tableName);
    return sameBytes(encodeSchema(fresh), encodeSchema(used)) ? undefined : fresh;
  }

  private encodeRows(schema: TableSchema, data: AppendData): Uint8Array {
    try {
      return encodeAppendBatch(schema, data, { maxRows: Number.MAX_SAFE_INTEGER, maxBytes: this.settings.maxFrameBytes - FRAME_ENVELOPE_BYTES });
    } catch (err) {
      if (err instanceof TableError) throw errorFromTable(err);
      throw err;
    }
  }

  /** A connection for a subscription, logged in as this client is. */
  private async openConnection(host: string, port: number): Promise<WireConnection> {
    const conn = await WireConnection.open({ host, port, requestTimeoutMs: this.settings.requestTimeoutMs, maxFrameBytes: this.settings.maxFrameBytes });
    if (this.credentials === undefined) return conn;
    try {
      await conn.call('login', this.credentials);
    } catch (err) {
      await conn.close();
      throw err;
    }
    return conn;
  }
}

function wireColumnsOf(schema: SchemaInput): Column[] {
  const columns = Array.isArray(schema) ? schema : schema?.columns;
  if (!Array.isArray(columns) || columns.length === 0) {
    throw new ShoalError('BadRequest', 'a schema is a non-empty list of { name, type } columns (or a TableSchema)');
  }
  return columns.map((c) => ({ name: c.name, type: c.type, scale: c.scale ?? 0 }));
}

function keyColumnsOf(keyColumn: string | string[] | undefined): string[] {
  if (keyColumn === undefined) return [];
  return typeof keyColumn === 'string' ? [keyColumn] : [...keyColumn];
}

/** The node's columns as a checked schema; a DECIMAL's scale rides in `scale` unless the type names it. */
function schemaFromWire(tableName: string, columns: Column[]): TableSchema {
  try {
    return checkSchema({
      columns: columns.map((c) => (/^\s*DECIMAL(32|64)\s*$/i.test(c.type) ? { name: c.name, type: c.type, scale: c.scale } : { name: c.name, type: c.type })),
    });
  } catch (err) {
    throw new ShoalError('BadReply', `getPersistenceMeta ${tableName}: the node's schema does not check: ${messageOf(err)}`, { cause: err });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
