// One subscription, on a connection of its own (so a handler that is slow -- the client then stops
// reading that socket -- never holds up the client's other calls). Rows go from the socket through the
// delivery buffer to the handler, one call at a time, in offset order. When the node closes the
// subscription or the connection drops, `reconnect` resubscribes after the last row received: at the
// new leader named in the notice, else at the group's sites (then `backupSites`) in turn, following
// NotLeader answers, waiting resubscribeIntervalMs after each round over them. With `subOnce` a site
// whose connection failed leaves the list for good (the last one left stays).
//
// Exactly once: the resubscription starts after the last row *received* (rows still buffered are
// delivered from the buffer), and any row at or below it that arrives again is dropped.
//
//   starting --subscribed--> active --closed/lost--> reconnecting --subscribed--> active
//       \                         \--(no reconnect)--> ended
//        \--failed: start() throws               any state --unsubscribe()--> unsubscribed

import { parseSite } from '../broker/protocol/error_codes.js';
import { PushFrame } from '../broker/protocol/frames.js';
import { FilterValue } from '../broker/protocol/methods.js';
import { TableSchema } from '../broker/table/schema.js';
import { messageOf } from '../storage/state/errors.js';
import { Clock } from './clock.js';
import { Chunk, DeliveryBuffer, DeliveryMode } from './delivery_buffer.js';
import { FirstSubscribeBounds, subscribeOverSites } from './first_subscribe_walk.js';
import { chunkRow, chunkRows, chunkTable } from './handler_message.js';
import { OffsetAcker } from './offset_acker.js';
import { FilterInput, SubscribeOptions, Subscription, SubscriptionStats } from './options.js';
import { RowsPushBody, readRowsPush } from './rows_push.js';
import { ShoalError } from './shoal_error.js';
import { siteAddressOf } from './site_list.js';
import { WireConnection } from './wire_connection.js';

export { SYSTEM_CLOCK } from './clock.js';
export type { Clock } from './clock.js';

export const DEFAULT_RESUBSCRIBE_INTERVAL_MS = 500;
export const DEFAULT_THROTTLE_SECONDS = 1;
export const DEFAULT_MAX_QUEUED_ROWS = 100_000;
/** NotLeader answers followed in a row before waiting resubscribeIntervalMs (leaders can point in a circle mid-election). */
const MAX_LEADER_HOPS = 3;

export interface SubscriptionContext {
  schema: TableSchema;
  /** Opens a connection to host:port and logs in as the client did. */
  connect(host: string, port: number): Promise<WireConnection>;
  clock: Clock;
  /** The client's sites and bounds, for a first subscribe (with reconnect) whose first site fails. */
  firstSubscribe: FirstSubscribeBounds;
  /** Called once when the subscription is over: unsubscribed, or ended without reconnect. */
  finished(sub: LiveSubscription): void;
}

interface Target {
  host: string;
  port: number;
  /** How the target was named (a site "host:port:alias" or "host:port"), for Subscription.site. */
  label: string;
}

type State = 'starting' | 'active' | 'reconnecting' | 'ended' | 'unsubscribed';

export class LiveSubscription implements Subscription {
  topic = '';
  site = '';
  lastOffset = -1;

  private state: State = 'starting';
  /** The connection of the subscription, or of the attempt to make it. */
  private conn: WireConnection | undefined;
  /** Why `conn` was lost while an attempt was waiting for its reply. */
  private attemptLost: ShoalError | undefined;
  private sites: string[] = [];
  /** The highest offset taken into the buffer: where a resubscription continues. */
  private lastAccepted = -1;
  /** The node's own continuation point (subscribe reply, push nextOffset): never below it on resubscribe. */
  private resumeFrom = -1;
  private readonly buffer: DeliveryBuffer;
  private readonly acker: OffsetAcker | undefined;
  private readonly maxQueuedRows: number;
  private readonly filter: FilterValue[];
  private pumping = false;
  private paused = false;
  private throttleTimer: unknown;
  private wakeRetry: (() => void) | undefined;
  private counters = { duplicateRowsDropped: 0, handlerErrors: 0, resubscriptions: 0, readPauses: 0, sitesDropped: 0 };
  /** subOnce: "host:port" of the sites dropped for good. */
  private readonly dropped = new Set<string>();

  constructor(
    private readonly o: SubscribeOptions,
    private readonly ctx: SubscriptionContext,
    private readonly origin: { host: string; port: number },
  ) {
    checkSubscribeOptions(o);
    this.buffer = new DeliveryBuffer(deliveryModeOf(o));
    this.maxQueuedRows = o.maxQueuedRows ?? DEFAULT_MAX_QUEUED_ROWS;
    this.filter = (o.filter ?? []).map(filterValueOf);
    this.acker = o.persistOffset ? new OffsetAcker((offset) => this.sendAck(offset)) : undefined;
  }

  get stats(): SubscriptionStats {
    return { ...this.counters, acksSent: this.acker?.sent ?? 0, ackFailures: this.acker?.failures ?? 0 };
  }

  /**
   * Subscribes at the origin; rejects when that fails. With reconnect, a failure there is not final:
   * the walk of first_subscribe_walk.ts follows NotLeader and tries the client's other sites, in
   * rounds bounded like calls (tryReconnectNums, reconnectIntervalMs), before Unreachable.
   */
  async start(): Promise<void> {
    const origin = siteAddressOf(this.origin.host, this.origin.port);
    try {
      if (this.o.reconnect) {
        await subscribeOverSites(`${this.o.tableName}/${this.o.actionName}`, origin, this.ctx.firstSubscribe, {
          attempt: (site) => this.subscribeAt(site, this.firstOffset()),
          sleep: (ms) => this.sleep(ms),
          wanted: () => this.state === 'starting',
        });
      } else {
        await this.subscribeAt(origin, this.o.offset ?? -1);
      }
      this.state = 'active';
    } catch (err) {
      if (this.state === 'starting') this.state = 'ended';
      throw err;
    }
  }

  async unsubscribe(): Promise<void> {
    if (this.state === 'unsubscribed') return;
    const was = this.state;
    this.state = 'unsubscribed';
    this.buffer.clear();
    if (this.throttleTimer !== undefined) this.ctx.clock.clearTimer(this.throttleTimer);
    this.throttleTimer = undefined;
    this.wakeRetry?.();
    if (was !== 'ended') this.ctx.finished(this);
    const conn = this.conn;
    if (conn === undefined) return;
    if (was === 'active' && conn.isOpen) {
      if (this.acker !== undefined) {
        await this.acker.idle();
        this.acker.retry(); // one last try for an ack that failed earlier
        await this.acker.idle();
      }
      await conn.call('unsubscribeTable', { tableName: this.o.tableName, actionName: this.o.actionName }).catch(() => {
        // Closing the connection below ends the subscription on the node anyway.
      });
    }
    this.conn = undefined;
    await conn.close();
  }

  // ---- subscribing ------------------------------------------------------------------------------

  /** One attempt: connect, log in, subscribeTable. On success `conn` is the subscription's connection. */
  private async subscribeAt(target: Target, offset: number): Promise<void> {
    const conn = await this.ctx.connect(target.host, target.port);
    if (this.state === 'unsubscribed') {
      await conn.close();
      throw new ShoalError('ConnectionClosed', 'unsubscribed while connecting');
    }
    this.conn = conn;
    this.attemptLost = undefined;
    conn.onPush = (frame) => this.onPush(conn, frame);
    conn.onClose = (reason) => this.lost(conn, reason, undefined, true);
    let reply;
    try {
      reply = await conn.call('subscribeTable', {
        tableName: this.o.tableName, actionName: this.o.actionName, offset, filter: this.filter,
        persistOffset: this.o.persistOffset ?? false,
        batchSize: 0, // batchSize is the client's buffering; pushes come at the node's size
      });
    } catch (err) {
      if (this.conn === conn) this.conn = undefined;
      await conn.close();
      throw err;
    }
    if (this.conn !== conn) {
      // Closed between the reply and here: a subscriptionClosed push, a dropped socket, or unsubscribe().
      throw this.attemptLost ?? new ShoalError('ConnectionClosed', `the subscription to ${target.label} closed as it was made`);
    }
    const r = reply.body;
    this.topic = r.topic;
    if (r.sites.length > 0) this.sites = [...r.sites];
    this.site = r.leader !== '' ? r.leader : target.label;
    this.resumeFrom = Math.max(this.resumeFrom, r.startOffset);
  }

  /** The node closed the subscription or its connection is gone (`siteFailed`). */
  private lost(conn: WireConnection, reason: string, newLeader: string | undefined, siteFailed = false): void {
    if (conn !== this.conn) return; // an old connection, already replaced
    this.conn = undefined;
    if (siteFailed && this.state === 'active') this.dropSite(this.site);
    this.paused = false;
    void conn.close();
    if (this.state === 'starting' || this.state === 'reconnecting') {
      this.attemptLost = new ShoalError('ConnectionClosed', reason, newLeader === undefined ? {} : { leader: newLeader });
      return; // the attempt in progress sees it and fails
    }
    if (this.state !== 'active') return;
    if (!this.o.reconnect) {
      this.state = 'ended';
      this.ctx.finished(this);
      try {
        this.o.onClosed?.(reason);
      } catch {
        // a throwing callback must not break the socket handler
      }
      return;
    }
    this.state = 'reconnecting';
    void this.reconnect(newLeader);
  }

  /** Resubscribes until it works or unsubscribe() is called. */
  private async reconnect(newLeader: string | undefined): Promise<void> {
    let hint = targetOf(newLeader);
    let cursor = this.site; // the site tried last: the walk goes on from the one after it
    let hops = 0;
    let triedThisRound = 0;
    while (this.state === 'reconnecting') {
      let target = hint;
      if (target === undefined) {
        const next = this.siteAfter(cursor);
        target = targetOf(next);
        if (next !== undefined) cursor = next;
      }
      target ??= { ...this.origin, label: `${this.origin.host}:${this.origin.port}` };
      hint = undefined;
      triedThisRound++;
      try {
        await this.subscribeAt(target, this.resumeOffset());
        if (this.state !== 'reconnecting') return;
        this.state = 'active';
        this.counters.resubscriptions++;
        this.acker?.retry();
        void this.pump();
        return;
      } catch (err) {
        if (this.state !== 'reconnecting') return;
        if (isConnectionFailure(err)) this.dropSite(target.label);
        const leader = targetOf(err instanceof ShoalError ? err.leader : undefined);
        if (leader !== undefined && leader.label !== target.label && hops < MAX_LEADER_HOPS) {
          hint = leader;
          hops++;
          continue;
        }
        hops = 0;
      }
      if (triedThisRound < this.candidateSites().length) continue; // the next site of this round, at once
      triedThisRound = 0;
      await this.sleep(this.o.resubscribeIntervalMs ?? DEFAULT_RESUBSCRIBE_INTERVAL_MS);
    }
  }

  /** The sites to resubscribe at: the group's (from the subscribe reply), then backupSites, less the dropped. */
  private candidateSites(): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const site of [...this.sites, ...(this.o.backupSites ?? [])]) {
      const key = keyOf(site);
      if (key === undefined || seen.has(key) || this.dropped.has(key)) continue;
      seen.add(key);
      out.push(site);
    }
    return out;
  }

  /** The candidate after `site` (the first when `site` is not one); undefined when there are none. */
  private siteAfter(site: string): string | undefined {
    const list = this.candidateSites();
    if (list.length === 0) return undefined;
    const key = keyOf(site);
    const i = list.findIndex((s) => keyOf(s) === key);
    return list[(i + 1) % list.length];
  }

  /** subOnce: `site` failed, so it leaves the list for good -- unless it is the last one left. */
  private dropSite(site: string): void {
    if (!this.o.subOnce) return;
    const key = keyOf(site);
    if (key === undefined || this.dropped.has(key)) return;
    const list = this.candidateSites();
    if (list.length <= 1 && list.some((s) => keyOf(s) === key)) return;
    this.dropped.add(key);
    this.counters.sitesDropped++;
  }

  /** The offset asked for by a first subscribe: the one given, or after what an earlier attempt already delivered. */
  private firstOffset(): number {
    return this.resumeFrom >= 0 ? this.resumeOffset() : this.o.offset ?? -1;
  }

  private resumeOffset(): number {
    return Math.max(this.resumeFrom, this.lastAccepted + 1);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.ctx.clock.setTimer(() => {
        this.wakeRetry = undefined;
        resolve();
      }, ms);
      this.wakeRetry = () => {
        this.ctx.clock.clearTimer(handle);
        this.wakeRetry = undefined;
        resolve();
      };
    });
  }

  // ---- receiving --------------------------------------------------------------------------------

  private onPush(conn: WireConnection, frame: PushFrame): void {
    if (conn !== this.conn || this.state === 'unsubscribed') return;
    if (frame.method === 'subscriptionClosed') {
      const b = frame.body;
      if (this.topic !== '' && b.topic !== this.topic) return;
      this.lost(conn, `the node closed the subscription: ${b.reason}`, b.newLeader === '' ? undefined : b.newLeader);
      return;
    }
    const body = frame.body as RowsPushBody;
    if (this.topic !== '' && body.topic !== this.topic) return;
    let read;
    try {
      read = readRowsPush(this.ctx.schema, body, frame.arrow, this.lastAccepted, this.ctx.clock.nowMs());
    } catch (err) {
      // A push we cannot read: drop this stream and (with reconnect) read the rows again from a fresh one.
      this.lost(conn, messageOf(err), undefined);
      return;
    }
    this.counters.duplicateRowsDropped += read.duplicates;
    this.resumeFrom = Math.max(this.resumeFrom, read.nextOffset);
    if (read.rows === undefined) return;
    this.lastAccepted = read.rows.offsets[read.rows.offsets.length - 1]!;
    this.buffer.add(read.rows);
    if (!this.paused && this.buffer.bufferedRows >= this.maxQueuedRows) {
      this.paused = true;
      this.counters.readPauses++;
      conn.pause();
    }
    void this.pump();
  }

  // ---- delivering -------------------------------------------------------------------------------

  /** Hands due chunks to the handler one at a time; arms the throttle timer for the rest. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.state !== 'unsubscribed') {
        const chunk = this.buffer.take(this.ctx.clock.nowMs());
        if (chunk === undefined) break;
        await this.deliver(chunk);
        if (this.paused && this.buffer.bufferedRows <= this.maxQueuedRows / 2) {
          this.paused = false;
          this.conn?.resume();
        }
      }
    } finally {
      this.pumping = false;
    }
    this.armThrottleTimer();
  }

  private async deliver(chunk: Chunk): Promise<void> {
    const msgId = chunk.lastOffset;
    try {
      const msg = this.o.msgAsTable ? chunkTable(chunk) : this.buffer.mode.kind === 'row' ? chunkRow(chunk) : chunkRows(chunk);
      if (this.o.handlerNeedMsgId) await this.o.handler(msg, msgId);
      else await this.o.handler(msg);
    } catch (err) {
      this.counters.handlerErrors++;
      try {
        this.o.onHandlerError?.(err, msgId);
      } catch {
        // nothing more to tell
      }
    }
    this.lastOffset = msgId;
    this.acker?.ack(msgId);
  }

  private armThrottleTimer(): void {
    if (this.throttleTimer !== undefined || this.state === 'unsubscribed') return;
    const due = this.buffer.dueAtMs();
    if (due === undefined) return;
    this.throttleTimer = this.ctx.clock.setTimer(() => {
      this.throttleTimer = undefined;
      void this.pump();
    }, Math.max(0, due - this.ctx.clock.nowMs()));
  }

  private async sendAck(offset: number): Promise<void> {
    const conn = this.conn;
    if (conn === undefined || this.topic === '') throw new ShoalError('ConnectionClosed', 'no connection to acknowledge on');
    await conn.call('ackOffset', { topic: this.topic, offset });
  }
}

function deliveryModeOf(o: SubscribeOptions): DeliveryMode {
  const batchSize = o.batchSize ?? 0;
  if (batchSize > 0) return { kind: 'batch', batchSize, throttleMs: (o.throttle ?? DEFAULT_THROTTLE_SECONDS) * 1000 };
  return o.msgAsTable ? { kind: 'push' } : { kind: 'row' };
}

function checkSubscribeOptions(o: SubscribeOptions): void {
  const bad = (what: string): never => {
    throw new ShoalError('BadRequest', `subscribeTable ${o.tableName}/${o.actionName}: ${what}`);
  };
  if (typeof o.handler !== 'function') bad('give a handler function');
  if (o.offset !== undefined && !(Number.isSafeInteger(o.offset) && o.offset >= -2)) bad(`offset ${o.offset} must be -1 (new rows), -2 (persisted offset) or a row number >= 0`);
  if (o.batchSize !== undefined && !(Number.isSafeInteger(o.batchSize) && o.batchSize >= 0)) bad(`batchSize ${o.batchSize} must be an integer >= 0`);
  if (o.throttle !== undefined && !(Number.isFinite(o.throttle) && o.throttle >= 0)) bad(`throttle ${o.throttle} must be seconds >= 0`);
  if (o.maxQueuedRows !== undefined && !(Number.isSafeInteger(o.maxQueuedRows) && o.maxQueuedRows >= 1)) bad(`maxQueuedRows ${o.maxQueuedRows} must be an integer >= 1`);
  for (const site of o.backupSites ?? []) {
    if (targetOf(site) === undefined) bad(`backupSites: "${site}" is not "host:port" or "host:port:alias"`);
  }
  if (o.resubscribeIntervalMs !== undefined && !(Number.isFinite(o.resubscribeIntervalMs) && o.resubscribeIntervalMs >= 0)) {
    bad(`resubscribeIntervalMs ${o.resubscribeIntervalMs} must be milliseconds >= 0`);
  }
}

/** A filter value as the wire carries it; an integer is int64 (the node converts it to the column's type). */
function filterValueOf(v: FilterInput): FilterValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'bigint') {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new ShoalError('BadRequest', `filter value ${v} is beyond 2^53; Shoal carries integers below 2^53`);
    }
    return { int64Value: Number(v) };
  }
  if (typeof v === 'number') return Number.isSafeInteger(v) ? { int64Value: v } : { doubleValue: v };
  throw new ShoalError('BadRequest', `filter value ${String(v)} must be a string, number, bigint or boolean`);
}

/** A failure to reach the site (not an answer from its node). */
function isConnectionFailure(err: unknown): boolean {
  return err instanceof ShoalError && (err.code === 'ConnectFailed' || err.code === 'ConnectionClosed' || err.code === 'Timeout');
}

/** "host:port" of a site named "host:port" or "host:port:alias". */
function keyOf(site: string): string | undefined {
  const t = targetOf(site);
  return t === undefined ? undefined : `${t.host}:${t.port}`;
}

function targetOf(site: string | undefined): Target | undefined {
  if (site === undefined || site === '') return undefined;
  const parsed = parseSite(site);
  if (parsed !== undefined) return { host: parsed.host, port: parsed.port, label: site };
  const m = /^(.*):(\d{1,5})$/.exec(site); // "host:port" without an alias
  return m === null ? undefined : { host: m[1]!, port: Number(m[2]), label: site };
}
