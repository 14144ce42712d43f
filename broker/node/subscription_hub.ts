// The subscriptions a leader serves. A subscriber is either live (its next offset is the table's:
// new rows are pushed as they are applied) or catching up (rows are read from the table's cache or
// the store, a bounded batch at a time, until it is live). A subscriber whose connection is full
// falls back to catching up, so a slow one costs reads, never unbounded memory. When this node
// stops leading a group, its subscriptions close with a notice naming the new leader.

import { Role } from '../raft/types.js';
import { DecodedBatch, decodeAppendBatch, filterRowIndexes, selectRows } from '../table/batch.js';
import { AppendOutcome, STORED_BATCH_LIMITS, StreamTable } from '../stream/stream_table.js';
import { StreamNode, StreamNodeListener } from './stream_node.js';
import { ServiceError } from './service_error.js';

export interface RowsPush {
  topic: string;
  /** Offset of the first row considered; with a filter, `offsets` lists the offset of each row sent. */
  firstOffset: number;
  rowCount: number;
  offsets: number[] | undefined;
  /** The offset after the last row considered: where this subscriber continues. */
  nextOffset: number;
  ipc: Uint8Array;
}

/** 'sent'; 'full': sent, but stop until onDrain; 'refused': not sent (the connection is full or closed). */
export type PushResult = 'sent' | 'full' | 'refused';

export interface SubscriberSink {
  push(rows: RowsPush): PushResult;
  onDrain(resume: () => void): void;
  closeSubscription(topic: string, reason: string, newLeaderSite: string | undefined): void;
}

export interface SubscribeRequest {
  group: number;
  table: StreamTable;
  topic: string;
  /** -1 new rows only, -2 after the persisted offset of the topic, n >= 0 from row n. */
  offset: number;
  filter: ReadonlySet<string | number | bigint | boolean> | undefined;
  sink: SubscriberSink;
}

interface Subscriber {
  readonly group: number;
  readonly table: StreamTable;
  readonly topic: string;
  readonly filter: SubscribeRequest['filter'];
  readonly sink: SubscriberSink;
  nextOffset: number;
  /** Reading older rows (from the cache or the store); new rows are not pushed meanwhile. */
  catchingUp: boolean;
  closed: boolean;
  delivered: number;
}

export class SubscriptionHub implements StreamNodeListener {
  private readonly byTopic = new Map<string, Subscriber>();
  /** Optional (metrics): told of every subscription this node starts serving. */
  onSubscribed: ((group: number, table: string, topic: string) => void) | undefined;

  constructor(
    private readonly node: StreamNode,
    private readonly siteOf: (nodeId: number) => string | undefined,
    /** Rows per push while catching up. */
    private readonly maxRowsPerPush: number,
  ) {}

  subscribe(r: SubscribeRequest): { startOffset: number } {
    if (this.byTopic.has(r.topic)) throw new ServiceError('SubscriptionExists', `topic ${r.topic} is already subscribed; unsubscribe it first or use another actionName`);
    const next = r.table.nextOffset;
    let start: number;
    if (r.offset === -1) start = next;
    else if (r.offset === -2) {
      const persisted = this.node.group(r.group).offsets.get(r.topic);
      start = persisted === undefined ? next : persisted + 1;
    } else if (Number.isSafeInteger(r.offset) && r.offset >= 0) start = r.offset;
    else throw new ServiceError('BadRequest', `offset ${r.offset} is not -1 (new rows), -2 (persisted offset) or a row number >= 0`);
    if (start > next) start = next; // DolphinDB subscribes from the end when asked past it
    const s: Subscriber = { group: r.group, table: r.table, topic: r.topic, filter: r.filter, sink: r.sink, nextOffset: start, catchingUp: start < next, closed: false, delivered: 0 };
    this.byTopic.set(r.topic, s);
    this.onSubscribed?.(r.group, r.table.name, r.topic);
    if (s.catchingUp) setImmediate(() => void this.catchUp(s)); // after the subscribe reply goes out
    return { startOffset: start };
  }

  unsubscribe(topic: string): boolean {
    const s = this.byTopic.get(topic);
    if (!s) return false;
    s.closed = true;
    this.byTopic.delete(topic);
    return true;
  }

  /** Every subscription that pushes to `sink` (a closed connection). */
  dropSink(sink: SubscriberSink): void {
    for (const s of [...this.byTopic.values()]) if (s.sink === sink) this.unsubscribe(s.topic);
  }

  /** The sink a topic's rows go to (the admin API names its client); undefined when not subscribed here. */
  sinkOf(topic: string): SubscriberSink | undefined {
    return this.byTopic.get(topic)?.sink;
  }

  countFor(group: number, table: string): number {
    let n = 0;
    for (const s of this.byTopic.values()) if (s.group === group && s.table.name === table) n++;
    return n;
  }

  list(): Array<{ topic: string; group: number; table: string; nextOffset: number; lagRows: number; delivered: number; catchingUp: boolean }> {
    return [...this.byTopic.values()].map((s) => ({
      topic: s.topic, group: s.group, table: s.table.name, nextOffset: s.nextOffset,
      lagRows: s.table.nextOffset - s.nextOffset, delivered: s.delivered, catchingUp: s.catchingUp,
    }));
  }

  // ---- StreamNodeListener ------------------------------------------------------------------------

  rowsAppended(group: number, table: StreamTable, outcome: AppendOutcome): void {
    if (!outcome.ipc) return;
    let decoded: DecodedBatch | undefined; // once per append, shared by the filtered subscribers
    for (const s of this.byTopic.values()) {
      if (s.group !== group || s.table !== table || s.catchingUp || s.closed) continue;
      if (s.nextOffset !== outcome.firstOffset) {
        this.startCatchUp(s, false);
        continue;
      }
      try {
        if (s.filter) decoded ??= decodeAppendBatch(table.definition.schema, outcome.ipc, STORED_BATCH_LIMITS);
        if (this.send(s, outcome.firstOffset, outcome.rowsWritten, outcome.ipc, decoded) !== 'sent') this.startCatchUp(s, true);
      } catch (err) {
        // One subscriber's failure ends its subscription, never the others' or the apply.
        this.unsubscribe(s.topic);
        s.sink.closeSubscription(s.topic, `delivering rows failed: ${String(err)}`, undefined);
      }
    }
  }

  roleChanged(group: number, role: Role, _term: number, lead: number): void {
    if (role === Role.Leader) return;
    const newLeader = lead === 0 ? undefined : this.siteOf(lead);
    for (const s of [...this.byTopic.values()]) {
      if (s.group !== group) continue;
      this.unsubscribe(s.topic);
      s.sink.closeSubscription(s.topic, 'the leader of the group stepped down: resubscribe on the new leader from your last offset + 1', newLeader);
    }
  }

  tableDropped(group: number, table: string): void {
    for (const s of [...this.byTopic.values()]) {
      if (s.group !== group || s.table.name !== table) continue;
      this.unsubscribe(s.topic);
      s.sink.closeSubscription(s.topic, `stream table ${table} was dropped`, undefined);
    }
  }

  // ---- delivery ----------------------------------------------------------------------------------

  /** Pushes rows [first, first + count) (before the filter) and advances past them unless refused. */
  private send(s: Subscriber, first: number, count: number, ipc: Uint8Array, decoded: DecodedBatch | undefined): PushResult {
    let out = ipc;
    let rows = count;
    let offsets: number[] | undefined;
    if (s.filter) {
      const column = s.table.definition.schema.columns.findIndex((c) => c.name === s.table.definition.filterColumn);
      if (column >= 0) {
        const batch = decoded ?? decodeAppendBatch(s.table.definition.schema, ipc, STORED_BATCH_LIMITS);
        const picked: number[] = filterRowIndexes(batch, column, s.filter);
        offsets = picked.map((i) => first + i);
        rows = picked.length;
        if (rows > 0 && rows < count) out = selectRows(batch, picked);
      }
    }
    if (rows === 0) {
      s.nextOffset = first + count;
      return 'sent';
    }
    const result = s.sink.push({ topic: s.topic, firstOffset: first, rowCount: rows, offsets, nextOffset: first + count, ipc: out });
    if (result !== 'refused') {
      s.nextOffset = first + count;
      s.delivered += rows;
    }
    return result;
  }

  /** Switches a live subscriber to reading: at once, or when its connection drains. */
  private startCatchUp(s: Subscriber, afterDrain: boolean): void {
    if (s.catchingUp || s.closed) return;
    s.catchingUp = true;
    if (afterDrain) s.sink.onDrain(() => void this.catchUp(s));
    else setImmediate(() => void this.catchUp(s));
  }

  /** Reads and pushes older rows until the subscriber reaches the table's end, is full, or closes. */
  private async catchUp(s: Subscriber): Promise<void> {
    try {
      while (!s.closed) {
        if (s.nextOffset >= s.table.nextOffset) {
          s.catchingUp = false; // live again: apply pushes the next rows
          return;
        }
        const range = await s.table.readRows(s.nextOffset, this.maxRowsPerPush);
        if (s.closed) return;
        s.nextOffset = range.firstOffset; // moves up past rows purged by retention
        if (range.ipc === undefined) throw new Error(`no rows at offset ${s.nextOffset} below the table's end ${s.table.nextOffset}`);
        if (this.send(s, range.firstOffset, range.rowCount, range.ipc, undefined) !== 'sent') {
          s.sink.onDrain(() => void this.catchUp(s));
          return; // still catching up; the drain resumes here
        }
      }
    } catch (err) {
      this.unsubscribe(s.topic);
      s.sink.closeSubscription(s.topic, `reading the table failed: ${String(err)}`, undefined);
    }
  }
}
