// Retention of one stream table: the newest `cacheLimitRows` rows are served from memory, older
// ones from the state store, and rows older than `retentionMinutes` are purged from both.
//
// The cache keeps a small header for every retained batch (offsets, row count, append time, LSN) and
// the IPC bytes only for the newest batches. Offsets never change: purging moves the first retained
// offset forward, and a read from below it starts at it (and says so). Time is passed in.

import { StateDecodeError } from './errors.js';
import { decodeStateKey, KeyKind, tableBatchKey, tableBatchRange } from './keys.js';
import { scanPages, StateOp, StateStore } from './state_store.js';
import { decodeTableBatch, encodeTableBatch } from './values.js';

/** An appended batch. `ipcBytes` (an Arrow IPC record batch) is opaque here. */
export interface TableBatch {
  firstOffset: number;
  rowCount: number;
  appendedAtMs: number;
  ipcBytes: Uint8Array;
}

export interface TableRowCacheOptions {
  group: number;
  generation: number; // the group's current generation (currentGeneration())
  table: string;
  cacheLimitRows: number;
  retentionMinutes: number;
  nextOffset?: number; // for a table with no batch yet; default 0
}

export interface TableRead {
  /** Batches covering [max(fromOffset, firstRetainedOffset), ...) for at least maxRows rows when retained. */
  batches: TableBatch[];
  /** Rows below this were purged; a reader asking for less was moved up to it. */
  firstRetainedOffset: number;
  nextOffset: number;
}

export interface PurgeResult {
  purgedBatches: number;
  purgedRows: number;
  firstRetainedOffset: number;
}

interface BatchHeader {
  firstOffset: number;
  rowCount: number;
  appendedAtMs: number;
  lsn: number;
  ipcBytes: Uint8Array | undefined; // undefined once evicted: read it from the store
}

const MS_PER_MINUTE = 60_000;
const LOAD_PAGE_BATCHES = 256;

export class TableRowCache {
  private headers: BatchHeader[] = []; // offset order, contiguous: each starts where the previous ends
  private firstCachedIndex = 0; // headers[firstCachedIndex..] hold their ipcBytes
  private cachedRowsNow = 0;
  private writtenLsn = 0;
  private nextOffsetNow: number;
  private purging: Promise<PurgeResult> | undefined;

  constructor(
    private readonly store: StateStore,
    private readonly options: TableRowCacheOptions,
  ) {
    if (!(options.cacheLimitRows >= 0) || !(options.retentionMinutes > 0)) {
      throw new RangeError(`table ${options.table}: cacheLimitRows must be >= 0 and retentionMinutes > 0`);
    }
    this.nextOffsetNow = options.nextOffset ?? 0;
  }

  /** Rebuilds the cache of a table from the store at startup, a page at a time. */
  static async load(store: StateStore, options: TableRowCacheOptions): Promise<TableRowCache> {
    const cache = new TableRowCache(store, options);
    const { group, generation, table } = options;
    for await (const page of scanPages(store, tableBatchRange(group, generation, table), LOAD_PAGE_BATCHES)) {
      for (const [key, value] of page) {
        const b = decodeTableBatch(value);
        const firstOffset = batchOffsetOf(key);
        if (cache.headers.length === 0) cache.nextOffsetNow = firstOffset; // below it was purged
        cache.append({ firstOffset, rowCount: b.rowCount, appendedAtMs: b.appendedAtMs, ipcBytes: new Uint8Array(b.ipcBytes) }, b.lsn);
        cache.markWritten(b.lsn); // it came from the store, so it is written; keeps memory bounded while loading
      }
    }
    return cache;
  }

  get nextOffset(): number {
    return this.nextOffsetNow;
  }

  get firstRetainedOffset(): number {
    return this.headers[0]?.firstOffset ?? this.nextOffsetNow;
  }

  get cachedRows(): number {
    return this.cachedRowsNow;
  }

  /** Rows whose bytes are only in the store. */
  get evictedRows(): number {
    let rows = 0;
    for (let i = 0; i < this.firstCachedIndex; i++) rows += this.headers[i]!.rowCount;
    return rows;
  }

  /**
   * Records a batch appended by apply at `lsn` (synchronous, deterministic) and returns the op that
   * stores it: enqueue it to the group's writer with the same LSN.
   */
  append(batch: TableBatch, lsn: number): StateOp[] {
    if (batch.firstOffset !== this.nextOffsetNow || !(batch.rowCount > 0)) {
      throw new RangeError(`table ${this.options.table}: batch at offset ${batch.firstOffset} with ${batch.rowCount} rows, expected offset ${this.nextOffsetNow} and at least one row`);
    }
    this.headers.push({ firstOffset: batch.firstOffset, rowCount: batch.rowCount, appendedAtMs: batch.appendedAtMs, lsn, ipcBytes: batch.ipcBytes });
    this.cachedRowsNow += batch.rowCount;
    this.nextOffsetNow += batch.rowCount;
    const { group, generation, table } = this.options;
    const value = encodeTableBatch({ lsn, rowCount: batch.rowCount, appendedAtMs: batch.appendedAtMs, ipcBytes: batch.ipcBytes });
    return [{ op: 'put', key: tableBatchKey(group, generation, table, batch.firstOffset), value }];
  }

  /** The writer has stored everything up to `writtenLsn`: those batches may now leave memory. */
  markWritten(writtenLsn: number): void {
    this.writtenLsn = Math.max(this.writtenLsn, writtenLsn);
    this.evict();
  }

  /** Batches from `fromOffset` for up to `maxRows` rows; synchronous when they are all in memory. */
  read(fromOffset: number, maxRows: number): TableRead | Promise<TableRead> {
    if (!(maxRows >= 1)) throw new RangeError(`maxRows must be at least 1, got ${maxRows}`);
    const from = Math.max(fromOffset, this.firstRetainedOffset);
    const picked: BatchHeader[] = [];
    let rows = 0;
    for (let i = this.indexOf(from); i >= 0 && i < this.headers.length && rows < maxRows; i++) {
      const h = this.headers[i]!;
      picked.push(h);
      rows += h.firstOffset + h.rowCount - Math.max(from, h.firstOffset);
    }
    const firstRetainedOffset = this.firstRetainedOffset;
    const nextOffset = this.nextOffsetNow;
    if (picked.every((h) => h.ipcBytes !== undefined)) {
      return { batches: picked.map((h) => toBatch(h, h.ipcBytes!)), firstRetainedOffset, nextOffset };
    }
    return this.readFromStore(picked).then((batches) => ({ batches, firstRetainedOffset, nextOffset }));
  }

  /**
   * Deletes the batches appended more than retentionMinutes before nowMs, oldest first, from the
   * store and then from memory. Only batches already written are purged (a delete must not overtake
   * the put it deletes). One purge runs at a time.
   */
  purgeExpired(nowMs: number): Promise<PurgeResult> {
    this.purging ??= this.purgeNow(nowMs).finally(() => {
      this.purging = undefined;
    });
    return this.purging;
  }

  private async purgeNow(nowMs: number): Promise<PurgeResult> {
    const cutoffMs = nowMs - this.options.retentionMinutes * MS_PER_MINUTE;
    let count = 0;
    let rows = 0;
    for (const h of this.headers) {
      if (h.appendedAtMs >= cutoffMs || h.lsn > this.writtenLsn) break;
      count++;
      rows += h.rowCount;
    }
    if (count === 0) return { purgedBatches: 0, purgedRows: 0, firstRetainedOffset: this.firstRetainedOffset };
    const { group, generation, table } = this.options;
    const last = this.headers[count - 1]!;
    const gte = tableBatchRange(group, generation, table).gte;
    const lt = tableBatchKey(group, generation, table, last.firstOffset + last.rowCount);
    await this.store.write([{ op: 'delRange', gte, lt }]);
    for (let i = 0; i < Math.min(count, this.headers.length); i++) {
      if (this.headers[i]!.ipcBytes !== undefined) this.cachedRowsNow -= this.headers[i]!.rowCount;
    }
    this.headers.splice(0, count);
    this.firstCachedIndex = Math.max(0, this.firstCachedIndex - count);
    return { purgedBatches: count, purgedRows: rows, firstRetainedOffset: this.firstRetainedOffset };
  }

  /** Evicts whole oldest batches while the rest still cover cacheLimitRows, never one not yet written. */
  private evict(): void {
    while (this.firstCachedIndex < this.headers.length) {
      const h = this.headers[this.firstCachedIndex]!;
      if (h.lsn > this.writtenLsn || this.cachedRowsNow - h.rowCount < this.options.cacheLimitRows) return;
      h.ipcBytes = undefined;
      this.cachedRowsNow -= h.rowCount;
      this.firstCachedIndex++;
    }
  }

  private async readFromStore(picked: BatchHeader[]): Promise<TableBatch[]> {
    const { group, generation, table } = this.options;
    const out: TableBatch[] = [];
    for (const h of picked) {
      if (h.ipcBytes !== undefined) {
        out.push(toBatch(h, h.ipcBytes));
        continue;
      }
      const value = await this.store.get(tableBatchKey(group, generation, table, h.firstOffset));
      if (value === undefined) {
        if (out.length === 0) continue; // purged while we read: purges remove a prefix, so skip it
        throw new StateDecodeError('BAD_KEY', `table ${table}: batch at offset ${h.firstOffset} is missing from the state store but newer batches are present; the store is corrupt, restore the node from a snapshot`);
      }
      out.push(toBatch(h, decodeTableBatch(value).ipcBytes));
    }
    return out;
  }

  /** Index of the batch holding `offset`, or -1 if it is not retained. */
  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.headers.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const h = this.headers[mid]!;
      if (offset < h.firstOffset) hi = mid - 1;
      else if (offset >= h.firstOffset + h.rowCount) lo = mid + 1;
      else return mid;
    }
    return -1;
  }
}

function toBatch(h: BatchHeader, ipcBytes: Uint8Array): TableBatch {
  return { firstOffset: h.firstOffset, rowCount: h.rowCount, appendedAtMs: h.appendedAtMs, ipcBytes };
}

function batchOffsetOf(key: Uint8Array): number {
  const k = decodeStateKey(key);
  if (k.kind !== KeyKind.TableBatch) throw new StateDecodeError('BAD_KEY', `key of kind ${k.kind} inside a table batch range`);
  return k.firstOffset;
}
