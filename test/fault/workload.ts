// The workload of a fault run: producers appending batches of uniquely named rows to keyed and unkeyed
// tables through HA clients, subscribers following each table from offset 0 (some persisting their
// offsets), and now and then a new table. Everything they see goes into the History; at the end every
// replica of every table is read in full. Randomness comes from the run's seed.

import { connect, ShoalClient, ShoalError } from '../../clients/index.js';
import { SeededRandom } from '../../broker/raft/random.js';
import { AppendOp, Delivery, History, Outcome, ReplicaRead, SubscriberInfo, TableInfo } from './history.js';

export interface WorkloadTarget {
  /** Client ports of the data nodes, in node order. */
  ports: number[];
  /** Their aliases ("dn1", ...), same order. */
  aliases: string[];
  password: string;
  /** Raft groups and the aliases of their members. */
  groups: Array<{ id: number; members: string[] }>;
}

export interface WorkloadOptions {
  producers: number;
  /** Subscribers per table; the first of each table persists its offset. */
  subscribersPerTable: number;
  maxBatchRows: number;
  /** Pause between a producer's appends, ms. */
  pauseMs: number;
}

export const DEFAULT_WORKLOAD: WorkloadOptions = { producers: 4, subscribersPerTable: 1, maxBatchRows: 20, pauseMs: 10 };

const SCHEMA = [{ name: 'id', type: 'STRING' }, { name: 'producer', type: 'SYMBOL' }, { name: 'n', type: 'LONG' }];
const CLIENT = { userId: 'admin', highAvailability: true, keepAliveTimeMs: 1_000, requestTimeoutMs: 8_000, tryReconnectNums: 20, reconnectIntervalMs: 250 };
const READ_PAGE_ROWS = 10_000;

/** A table of the run and the group replicating it. */
interface RunTable extends TableInfo {
  group: number;
}

export class Workload {
  readonly history: History;
  private readonly rng: SeededRandom;
  private readonly tables: RunTable[] = [];
  private readonly clients: ShoalClient[] = [];
  private readonly subscriptions: Array<{ unsubscribe(): Promise<void> }> = [];
  private stopping = false;
  private producing: Promise<void>[] = [];
  private readonly t0 = Date.now();
  private tableCount = 0;
  /** Per subscriber, the highest offset handed to it: what finish() waits on. */
  private readonly highestDelivered = new Map<string, number>();

  constructor(private readonly target: WorkloadTarget, seed: number, private readonly o: WorkloadOptions = DEFAULT_WORKLOAD) {
    this.rng = new SeededRandom(seed ^ 0x5eed);
    this.history = { seed, tables: [], appends: [], subscribers: [], deliveries: [], finalReads: [], faults: [] };
  }

  /** Milliseconds since the workload began: the history's clock. */
  now(): number {
    return Date.now() - this.t0;
  }

  /** Creates the first tables (keyed and unkeyed in every group) and their subscribers, then starts the producers. */
  async start(): Promise<void> {
    for (const g of this.target.groups) {
      await this.addTable(g.id, false);
      await this.addTable(g.id, true);
    }
    this.producing = Array.from({ length: this.o.producers }, (_, i) => this.produce(`p${i + 1}`));
  }

  /** A new table in a random group, mid-run (table creation under faults); false when its creation failed. */
  async addRandomTable(): Promise<boolean> {
    const g = this.target.groups[this.rng.intBelow(this.target.groups.length)]!;
    try {
      await this.addTable(g.id, this.rng.chance(0.5));
      return true;
    } catch {
      return false; // created or not, producers never use it: nothing to check
    }
  }

  /** Stops the producers (each finishes its append in flight). */
  async stopProducers(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.producing);
  }

  /**
   * After healing: waits until every subscriber has reached its table's end, reads every replica, and
   * closes every client. Bounded by `timeoutMs`; a subscriber still behind is judged as it is.
   */
  async finish(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const reader = await this.client(0);
    const ends = new Map<string, number>();
    for (const t of this.tables) ends.set(t.name, await retry(() => reader.getPersistenceMeta(t.name), deadline).then((m) => m.nextOffset));
    for (const s of this.history.subscribers) {
      const end = ends.get(s.table)!;
      const delivered = () => this.highestDelivered.get(s.subscriber) ?? s.startOffset - 1;
      while (delivered() < end - 1 && Date.now() < deadline) await sleep(100);
    }
    await Promise.allSettled(this.subscriptions.map((s) => s.unsubscribe()));
    // Replicas get their own bound to catch up (a node restarted by the last heal may still be
    // replaying), so slow subscribers above cannot use it up; one still behind after it is reported.
    const readDeadline = Date.now() + timeoutMs;
    for (const t of this.tables) {
      const group = this.target.groups.find((g) => g.id === t.group)!;
      for (const alias of group.members) {
        const read = await this.readReplica(alias, t.name, ends.get(t.name)!, readDeadline).catch(() => undefined);
        if (read) this.history.finalReads.push(read);
      }
    }
    await Promise.allSettled(this.clients.map((c) => c.close()));
  }

  // ---- parts ------------------------------------------------------------------------------------

  private async client(nodeIndex: number): Promise<ShoalClient> {
    const c = await connect({ host: '127.0.0.1', port: this.target.ports[nodeIndex]!, password: this.target.password, ...CLIENT });
    this.clients.push(c);
    return c;
  }

  private async addTable(group: number, keyed: boolean): Promise<void> {
    const name = `t${++this.tableCount}_${keyed ? 'keyed' : 'plain'}_g${group}`;
    const c = await this.client(this.rng.intBelow(this.target.ports.length));
    await c.haStreamTable(group, SCHEMA, name, 100_000, keyed ? 'id' : undefined);
    const table: RunTable = { name, keyed, group };
    this.tables.push(table);
    const members = this.target.groups.find((g) => g.id === group)?.members ?? [];
    this.history.tables.push({ name, keyed, replicas: [...members] });
    for (let i = 0; i < this.o.subscribersPerTable; i++) await this.subscribe(table, `s${this.history.subscribers.length + 1}`, i === 0);
  }

  private async subscribe(t: RunTable, name: string, persistOffset: boolean): Promise<void> {
    const c = await this.client(this.rng.intBelow(this.target.ports.length));
    const info: SubscriberInfo = { subscriber: name, table: t.name, startOffset: 0, persistOffset };
    this.history.subscribers.push(info);
    const sub = await c.subscribeTable({
      tableName: t.name, actionName: name, offset: 0, reconnect: true, persistOffset, handlerNeedMsgId: true, resubscribeIntervalMs: 200,
      handler: (row: Record<string, unknown>, offset?: number) => {
        const d: Delivery = { subscriber: name, table: t.name, offset: offset!, id: String(row['id']), atMs: this.now() };
        this.history.deliveries.push(d);
        this.highestDelivered.set(name, Math.max(offset!, this.highestDelivered.get(name) ?? -1));
      },
    });
    this.subscriptions.push(sub);
  }

  private async produce(name: string): Promise<void> {
    const c = await this.client(this.rng.intBelow(this.target.ports.length));
    let batchNo = 0;
    while (!this.stopping) {
      const t = this.tables[this.rng.intBelow(this.tables.length)]!;
      const rows = 1 + this.rng.intBelow(this.o.maxBatchRows);
      const ids = Array.from({ length: rows }, (_, i) => `${name}-${batchNo}-${i}`);
      batchNo++;
      const op: AppendOp = { kind: 'append', process: name, table: t.name, ids, invokedAtMs: this.now(), completedAtMs: 0, outcome: 'unknown' };
      this.history.appends.push(op);
      try {
        const r = await c.append(t.name, { id: ids, producer: ids.map(() => name), n: ids.map((_, i) => BigInt(i)) });
        op.outcome = 'ok';
        op.firstOffset = r.firstOffset;
        op.rowsWritten = r.rowsWritten;
        op.repeated = r.repeated;
      } catch (err) {
        op.outcome = outcomeOf(err);
        op.error = err instanceof Error ? err.message : String(err);
      }
      op.completedAtMs = this.now();
      if (this.o.pauseMs > 0) await sleep(this.o.pauseMs);
    }
  }

  /** Every row of `table` on one replica, once it has applied up to `end` (bounded by the deadline). */
  private async readReplica(alias: string, table: string, end: number, deadline: number): Promise<ReplicaRead> {
    const i = this.target.aliases.indexOf(alias);
    const c = await connect({ host: '127.0.0.1', port: this.target.ports[i]!, userId: 'admin', password: this.target.password, requestTimeoutMs: 8_000 });
    try {
      while ((await c.getPersistenceMeta(table)).nextOffset < end && Date.now() < deadline) await sleep(100);
      const rows: ReplicaRead['rows'] = [];
      let offset = 0;
      let firstOffset: number | undefined;
      for (;;) {
        const page = await c.readTable(table, offset, READ_PAGE_ROWS);
        firstOffset ??= page.firstOffset; // above 0 only when older rows were purged
        page.rows.forEach((r, k) => rows.push({ offset: page.firstOffset + k, id: String(r['id']) }));
        if (page.rows.length === 0 || page.nextOffset <= offset) break;
        offset = page.firstOffset + page.rows.length;
        if (offset >= page.nextOffset) break;
      }
      return { node: alias, table, rows, firstOffset: firstOffset ?? 0 };
    } finally {
      await c.close();
    }
  }
}

/** A failed append: definitely not applied, or maybe applied. */
export function outcomeOf(err: unknown): Outcome {
  if (!(err instanceof ShoalError)) return 'unknown';
  if (err.outcome === 'notSent') return 'fail';
  if (err.outcome === 'unknown') return 'unknown';
  switch (err.code) {
    case 'Timeout': // the node's deadline: maybe applied
    case 'OutcomeUnknown':
    case 'ConnectionClosed':
    case 'Unreachable':
      return 'unknown';
    default:
      return 'fail'; // a typed refusal: SchemaMismatch, SequenceTooOld, BadRequest, ...
  }
}

async function retry<T>(f: () => Promise<T>, deadline: number): Promise<T> {
  for (;;) {
    try {
      return await f();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
