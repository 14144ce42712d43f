// Shoal's TypeScript client: the stream table calls a data node serves, named and shaped as in
// DolphinDB (haStreamTable, append, subscribeTable with msgAsTable/batchSize/throttle/reconnect, ...).
// Calls go through the call router (call_router.ts): without highAvailability or reconnect, over one
// connection with every failure the caller's; with them, over a connection per site, each call at the
// leader of its table's group, failing over as failover_policy.ts says. Each subscription gets a
// connection of its own (subscription.ts). Rows go out and come back as Arrow IPC in the table's
// schema, which the client fetches once per table (getPersistenceMeta) and caches. Every append
// carries the client's producer id and its own sequence (producer_sequence.ts), so a retry is applied
// once.

import { randomBytes } from 'node:crypto';
import { Column, Method, ReplyOf, RequestOf } from '../broker/protocol/methods.js';
import { AppendData, batchToRows, decodeAppendBatch, encodeAppendBatch } from '../broker/table/batch.js';
import { TableError } from '../broker/table/errors.js';
import { TableSchema, checkSchema, encodeSchema } from '../broker/table/schema.js';
import { messageOf } from '../storage/state/errors.js';
import { CallRouter, FailoverKind } from './call_router.js';
import { SYSTEM_CLOCK } from './clock.js';
import { ConnectionPool, clientClosed } from './connection_pool.js';
import { DEFAULT_KEEP_ALIVE_TIME_MS } from './keep_alive.js';
import { Route } from './leader_map.js';
import { ConnectOptions, SchemaInput, StreamTableOptions, SubscribeOptions, Subscription } from './options.js';
import { ProducerSequence } from './producer_sequence.js';
import { RECEIVED_ROWS_LIMITS } from './rows_push.js';
import { ShoalError, errorFromTable } from './shoal_error.js';
import { SiteList, parseSiteAddress, siteAddressOf } from './site_list.js';
import { LiveSubscription } from './subscription.js';
import { CallReply, DEFAULT_MAX_FRAME_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, WireConnection, WireConnectionStats } from './wire_connection.js';

export { ShoalError } from './shoal_error.js';
export type { ColumnInput, ConnectOptions, FilterInput, SchemaInput, StartupSession, StreamTableOptions, SubscribeOptions, Subscription, SubscriptionStats } from './options.js';
export type { AppendData } from '../broker/table/batch.js';
export type { TableSchema } from '../broker/table/schema.js';

export const DEFAULT_RETENTION_MINUTES = 1440;
export const DEFAULT_CACHE_LIMIT_ROWS = 100_000;
/** Rounds over every site before Unreachable, with highAvailability or reconnect. */
export const DEFAULT_TRY_RECONNECT_NUMS = 10;
export const DEFAULT_RECONNECT_INTERVAL_MS = 1000;
/** Room left in a frame for the envelope around an append's Arrow bytes. */
const FRAME_ENVELOPE_BYTES = 4096;

export type PersistenceMeta = ReplyOf<'getPersistenceMeta'>;
export interface AppendResult {
  firstOffset: number;
  rowsWritten: number;
  rowsDropped: number;
  /** The node had applied this append before (a retry after a failover): the numbers are the original ones. */
  repeated: boolean;
}
export interface ReadResult { firstOffset: number; nextOffset: number; rows: Array<Record<string, unknown>> }
export interface TableListing { name: string; raftGroup: number; rows: number; ha: boolean }

/**
 * Opens a connection to a data node and, when userId is given, logs in (and runs `startup`). With
 * highAvailability the first site that works in tryReconnectNums rounds will do; without it (and
 * without reconnect) the first failure rejects.
 */
export async function connect(o: ConnectOptions): Promise<ShoalClient> {
  const client = new ShoalClient(o);
  try {
    await client.router.connectHome();
    if (o.highAvailability && (o.highAvailabilitySites ?? []).length === 0) await client.discoverSites();
  } catch (err) {
    await client.close();
    throw err;
  }
  return client;
}

interface ClientSettings {
  requestTimeoutMs: number;
  maxFrameBytes: number;
  keepAliveTimeMs: number;
  highAvailability: boolean;
  tryReconnectNums: number;
  reconnectIntervalMs: number;
}

export class ShoalClient {
  /** Every append of this client carries it (docs/protocol.md, "Exactly-once appends"). */
  readonly producerId: string;
  /** @internal */
  readonly router: CallRouter;
  private credentials: { userId: string; password: string } | undefined;
  private readonly settings: ClientSettings;
  private readonly producer: ProducerSequence;
  private readonly schemas = new Map<string, TableSchema>();
  /** Live subscriptions by "table/action". */
  private readonly subscriptions = new Map<string, LiveSubscription>();
  private closing: Promise<void> | undefined;

  /** Use connect(): this only checks the options and opens nothing. */
  constructor(o: ConnectOptions) {
    const failover: FailoverKind = o.highAvailability ? 'highAvailability' : o.reconnect ? 'reconnect' : 'none';
    checkConnectOptions(o);
    this.settings = {
      requestTimeoutMs: o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      maxFrameBytes: o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      keepAliveTimeMs: o.keepAliveTimeMs ?? DEFAULT_KEEP_ALIVE_TIME_MS,
      highAvailability: o.highAvailability === true,
      tryReconnectNums: o.tryReconnectNums ?? DEFAULT_TRY_RECONNECT_NUMS,
      reconnectIntervalMs: o.reconnectIntervalMs ?? DEFAULT_RECONNECT_INTERVAL_MS,
    };
    if (o.userId !== undefined) this.credentials = { userId: o.userId, password: o.password ?? '' };
    const given = o.highAvailability ? (o.highAvailabilitySites ?? []).map((s) => parseSiteAddress(s)!) : [];
    const sites = new SiteList([siteAddressOf(o.host, o.port), ...given]);
    const pool = new ConnectionPool({
      wire: this.wireOptions(),
      credentials: () => this.credentials,
      startup: o.startup,
      reopen: failover !== 'none',
    });
    this.router = new CallRouter(sites, pool, {
      failover,
      tryReconnectNums: this.settings.tryReconnectNums,
      reconnectIntervalMs: this.settings.reconnectIntervalMs,
      clock: SYSTEM_CLOCK,
    });
    this.producer = new ProducerSequence((n) => randomBytes(n));
    this.producerId = this.producer.producerId;
  }

  /** Counters summed over the calls connections: malformed frames dropped, late replies, listener errors. */
  get stats(): Readonly<WireConnectionStats> {
    return this.router.pool.stats;
  }

  /** The sites the client knows and fails over between, "host:port" or "host:port:alias". */
  get sites(): string[] {
    return this.router.sites.all.map((s) => s.label);
  }

  /** Calls connections opened so far (each logged in and handed to startup). */
  get connectionsOpened(): number {
    return this.router.pool.opened;
  }

  /** Logs in on every open connection and on every one opened later. */
  async login(userId: string, password: string): Promise<void> {
    const open = this.router.pool.connections;
    if (open.length === 0) await this.call('login', { userId, password });
    else await Promise.all(open.map((c) => c.call('login', { userId, password })));
    this.credentials = { userId, password };
  }

  /** @internal With highAvailability and no site list: every site of every group the cluster reports. */
  async discoverSites(): Promise<void> {
    let groups: Array<{ id: number; sites: string[] }>;
    try {
      groups = await this.getStreamingRaftGroups();
    } catch {
      return; // a node that cannot tell yet: host:port stays the only site, and NotLeader answers add leaders
    }
    for (const g of groups) {
      for (const text of g.sites) {
        const site = parseSiteAddress(text);
        if (site !== undefined) this.router.sites.add(site);
      }
    }
  }

  // ---- tables ----------------------------------------------------------------------------------

  /** An HA stream table replicated by `raftGroup` (DolphinDB haStreamTable). Sent to the group's leader. */
  async haStreamTable(
    raftGroup: number,
    schema: SchemaInput,
    tableName: string,
    cacheLimit: number,
    keyColumn?: string | string[],
    retentionMinutes = DEFAULT_RETENTION_MINUTES,
    filterColumn?: string,
  ): Promise<void> {
    await this.call('haStreamTable', {
      raftGroup, tableName, schema: wireColumnsOf(schema), cacheLimit,
      keyColumns: keyColumnsOf(keyColumn), retentionMinutes, filterColumn: filterColumn ?? '',
    }, { table: tableName, group: raftGroup });
    this.router.leaders.setGroup(tableName, raftGroup);
  }

  /** A regular stream table persisted on the node this client's calls go to (the home site). */
  async streamTable(tableName: string, schema: SchemaInput, options: StreamTableOptions = {}): Promise<void> {
    await this.call('streamTable', {
      tableName, schema: wireColumnsOf(schema), cacheLimit: options.cacheLimit ?? DEFAULT_CACHE_LIMIT_ROWS,
      keyColumns: keyColumnsOf(options.keyColumn), retentionMinutes: options.retentionMinutes ?? DEFAULT_RETENTION_MINUTES,
      filterColumn: options.filterColumn ?? '',
    });
    this.router.leaders.setGroup(tableName, 0);
  }

  async setStreamTableFilterColumn(tableName: string, column: string): Promise<void> {
    await this.call('setStreamTableFilterColumn', { tableName, column }, { table: tableName });
  }

  async dropStreamTable(tableName: string): Promise<void> {
    this.schemas.delete(tableName);
    await this.call('dropStreamTable', { tableName }, { table: tableName });
  }

  // ---- rows -------------------------------------------------------------------------------------

  /**
   * Appends rows: columns (arrays, typed arrays, Arrow vectors) by name, or an Arrow table / record
   * batch. Encoded with the table's cached schema; a SchemaMismatch refetches it and retries once.
   * The append takes the client's next sequence (waiting while MAX_APPENDS_IN_FLIGHT appends are in
   * flight) and every retry of it carries the same one, so the node applies it once.
   */
  async append(tableName: string, data: AppendData): Promise<AppendResult> {
    let schema = await this.schemaOf(tableName);
    let sequence: number | undefined;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const ipc = this.encodeRows(schema, data);
          sequence ??= await this.producer.acquire();
          const body = (await this.call('append', { tableName, producerId: this.producerId, sequence }, { table: tableName }, ipc)).body;
          return { firstOffset: body.firstOffset, rowsWritten: body.rowsWritten, rowsDropped: body.rowsDropped, repeated: body.repeated === true };
        } catch (err) {
          if (attempt > 0 || !(err instanceof ShoalError) || err.code !== 'SchemaMismatch') throw err;
          const fresh = await this.refetchSchema(tableName, schema);
          if (fresh === undefined) throw err; // the table's schema is what we used: the data is at fault
          schema = fresh;
        }
      }
    } finally {
      if (sequence !== undefined) this.producer.release(sequence);
    }
  }

  async readTable(tableName: string, offset: number, maxRows: number): Promise<ReadResult> {
    const reply = await this.call('readTable', { tableName, offset, maxRows }, { table: tableName });
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

  /**
   * Subscribes at the table's leader when known, else the home site; `reconnect` defaults to
   * highAvailability. With reconnect, a first site that is down hands on to the client's other sites
   * (in tryReconnectNums rounds, then Unreachable), as a call would.
   */
  async subscribeTable(o: SubscribeOptions): Promise<Subscription> {
    if (this.closing !== undefined) throw clientClosed();
    const key = `${o.tableName}/${o.actionName}`;
    if (this.subscriptions.has(key)) {
      throw new ShoalError('SubscriptionExists', `${key} is already subscribed by this client; unsubscribe it first or use another actionName`);
    }
    const schema = await this.schemaOf(o.tableName);
    const origin = this.router.targetOf({ table: o.tableName });
    const sub = new LiveSubscription({ ...o, reconnect: o.reconnect ?? this.settings.highAvailability }, {
      schema,
      connect: (host, port) => this.openConnection(host, port),
      clock: SYSTEM_CLOCK,
      firstSubscribe: { sites: this.sites, tryReconnectNums: this.settings.tryReconnectNums, reconnectIntervalMs: this.settings.reconnectIntervalMs },
      finished: (s) => {
        if (this.subscriptions.get(key) === s) this.subscriptions.delete(key);
      },
    }, { host: origin.host, port: origin.port });
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
    await this.call('unsubscribeTable', { tableName, actionName });
  }

  /** The last offset acknowledged for `topic` (persistOffset); -1 when none. */
  async getTopicProcessedOffset(topic: string): Promise<number> {
    return (await this.call('getTopicProcessedOffset', { topic }, routeOfTopic(topic))).body.offset;
  }

  async removeTopicOffset(topic: string): Promise<void> {
    await this.call('removeTopicOffset', { topic }, routeOfTopic(topic));
  }

  // ---- cluster and metadata ---------------------------------------------------------------------

  async getStreamingRaftGroups(): Promise<Array<{ id: number; sites: string[] }>> {
    return (await this.call('getStreamingRaftGroups', {})).body.groups;
  }

  /** The group's leader as "host:port:alias"; '' while none is known. */
  async getStreamingLeader(groupId: number): Promise<string> {
    const { leader } = (await this.call('getStreamingLeader', { groupId })).body;
    if (leader !== '') this.router.leaders.learn({ group: groupId }, leader);
    return leader;
  }

  async getPersistenceMeta(tableName: string): Promise<PersistenceMeta> {
    const meta = (await this.call('getPersistenceMeta', { tableName }, { table: tableName })).body;
    this.schemas.set(tableName, schemaFromWire(tableName, meta.schema));
    this.router.leaders.setGroup(tableName, meta.raftGroup);
    return meta;
  }

  /** The node's statistics; free-form, its shape is not stable. */
  async getStreamingStat(): Promise<Record<string, unknown>> {
    const { json } = (await this.call('getStreamingStat', {})).body;
    try {
      return JSON.parse(json) as Record<string, unknown>;
    } catch (err) {
      throw new ShoalError('BadReply', `getStreamingStat: the node sent text that is not JSON (${messageOf(err)})`, { cause: err });
    }
  }

  async listTables(): Promise<TableListing[]> {
    const tables = (await this.call('listTables', {})).body.tables;
    for (const t of tables) this.router.leaders.setGroup(t.name, t.raftGroup);
    return tables;
  }

  /**
   * Ends every subscription of this client, then every connection and timer: pending calls reject
   * with ConnectionClosed, appends waiting for a slot too.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.subscriptions.values()].map((s) => s.unsubscribe()));
      this.producer.close(clientClosed());
      this.router.close();
      await this.router.pool.close();
    })();
    return this.closing;
  }

  // ---- internals --------------------------------------------------------------------------------

  private call<M extends Method>(method: M, body: RequestOf<M>, route: Route = {}, arrow?: Uint8Array): Promise<CallReply<M>> {
    if (this.closing !== undefined) return Promise.reject(clientClosed());
    return this.router.call(method, body, route, arrow);
  }

  private wireOptions(): { requestTimeoutMs: number; maxFrameBytes: number; keepAliveTimeMs: number } {
    return { requestTimeoutMs: this.settings.requestTimeoutMs, maxFrameBytes: this.settings.maxFrameBytes, keepAliveTimeMs: this.settings.keepAliveTimeMs };
  }

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
    if (this.closing !== undefined) throw clientClosed();
    const conn = await WireConnection.open({ ...this.wireOptions(), host, port });
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

/** A topic "<cluster>_<group>/<table>/<action>" names its table and group. */
function routeOfTopic(topic: string): Route {
  const m = /^.*_(\d+)\/([^/]+)\/[^/]+$/.exec(topic);
  return m === null ? {} : { table: m[2]!, group: Number(m[1]) };
}

function checkConnectOptions(o: ConnectOptions): void {
  const bad = (what: string): never => {
    throw new ShoalError('BadRequest', `connect: ${what}`);
  };
  if (o.tryReconnectNums !== undefined && !(Number.isSafeInteger(o.tryReconnectNums) && o.tryReconnectNums >= -1)) {
    bad(`tryReconnectNums ${o.tryReconnectNums} must be rounds >= 0, or -1 for never giving up`);
  }
  if (o.reconnectIntervalMs !== undefined && !(Number.isFinite(o.reconnectIntervalMs) && o.reconnectIntervalMs >= 0)) {
    bad(`reconnectIntervalMs ${o.reconnectIntervalMs} must be milliseconds >= 0`);
  }
  if (o.keepAliveTimeMs !== undefined && !(Number.isFinite(o.keepAliveTimeMs) && o.keepAliveTimeMs >= 0)) {
    bad(`keepAliveTimeMs ${o.keepAliveTimeMs} must be milliseconds >= 0 (0 disables keepalive)`);
  }
  if (o.startup !== undefined && typeof o.startup !== 'function') bad('startup must be a function (session) => void | Promise<void>');
  for (const s of o.highAvailabilitySites ?? []) {
    if (parseSiteAddress(s) === undefined) bad(`highAvailabilitySites: "${s}" is not "host:port" or "host:port:alias"`);
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
