// One stream table's replicated state on one replica: its definition, the next offset, the keys
// seen (keyed tables) and its retained rows. Changed only by apply, in log order, so every replica
// holds the same offsets and makes the same dedup decisions.

import { StateOp } from '../../storage/state/state_store.js';
import { TableRowCache } from '../../storage/state/table_row_cache.js';
import { dedupKey, dedupRange, tableBatchRange, tableMetaKey, tableProducersRange } from '../../storage/state/keys.js';
import { encodeDedupEntry, encodeTableMeta } from '../../storage/state/values.js';
import { BatchLimits, concatBatches, decodeAppendBatch, keyToBytes, rowKeys, selectRows, sliceBatch } from '../table/batch.js';
import { AppendCommand } from './commands.js';
import { ProducerWindows } from './producer_windows.js';
import { TableDefinition, encodeDefinition } from './table_definition.js';

export interface AppendOutcome {
  /** Offset of the first row written (the table's next offset when every row was a duplicate). */
  firstOffset: number;
  rowsWritten: number;
  rowsDropped: number;
  /** The rows written, as Arrow IPC bytes (undefined when none): what subscribers receive. */
  ipc: Uint8Array | undefined;
  /** The producer's sequence was applied before: this is that append's outcome, nothing was written now. */
  repeated: boolean;
}

/** Rows in a range of offsets, as one Arrow IPC batch. */
export interface RowRange {
  /** Offset of the first row: the offset asked for, or the first retained one if that was purged. */
  firstOffset: number;
  rowCount: number;
  /** undefined when rowCount is 0. */
  ipc: Uint8Array | undefined;
  /** The table's next offset when read. */
  nextOffset: number;
}

/**
 * Limits for decoding batches already in the log or the store: the leader validated them against
 * the append limits, so these only bound a corrupt entry.
 */
export const STORED_BATCH_LIMITS: BatchLimits = { maxRows: 0x7fffffff, maxBytes: Number.MAX_SAFE_INTEGER };

export class StreamTable {
  // Every append's meta op carries the definition; encoding it (schema, JSON, base64) cost about 8 µs
  // per append on every replica (11 columns). Only filterColumn can change after creation.
  private encodedDefinition: { filterColumn: string; bytes: Uint8Array } | undefined;

  constructor(
    readonly definition: TableDefinition,
    readonly rows: TableRowCache,
    /** Keys of every row kept so far (keyed tables only). */
    private readonly seenKeys: Set<string>,
    private readonly group: number,
    private readonly generation: number,
    /** Recent outcomes per producer (exactly-once appends). */
    readonly producers: ProducerWindows = new ProducerWindows(group, generation, definition.name),
  ) {}

  get name(): string {
    return this.definition.name;
  }

  get nextOffset(): number {
    return this.rows.nextOffset;
  }

  get keyCount(): number {
    return this.seenKeys.size;
  }

  /**
   * Applies an append at `lsn`: drops rows whose key was seen (in the table or earlier in the batch),
   * and remembers the outcome under the append's producer stamp. The caller asked producers.verdict() first.
   */
  applyAppend(lsn: number, c: AppendCommand, ops: StateOp[]): AppendOutcome {
    const firstOffset = this.rows.nextOffset;
    let ipc: Uint8Array | undefined = c.ipc;
    let rowsWritten = c.rowCount;
    const newKeys: string[] = [];
    if (this.definition.keyIndexes.length > 0) {
      const batch = decodeAppendBatch(this.definition.schema, c.ipc, STORED_BATCH_LIMITS);
      const keys = rowKeys(batch, [...this.definition.keyIndexes]);
      const kept: number[] = [];
      const inBatch = new Set<string>();
      for (let row = 0; row < keys.length; row++) {
        const key = keys[row]!;
        if (this.seenKeys.has(key) || inBatch.has(key)) continue;
        inBatch.add(key);
        newKeys.push(key);
        kept.push(row);
      }
      rowsWritten = kept.length;
      ipc = kept.length === 0 ? undefined : kept.length === batch.numRows ? c.ipc : selectRows(batch, kept);
      // Only now, with nothing left that can throw, does the table change.
      for (const key of newKeys) this.seenKeys.add(key);
    }
    if (ipc !== undefined) {
      for (const op of this.rows.append({ firstOffset, rowCount: rowsWritten, appendedAtMs: c.appendedAtMs, ipcBytes: compact(ipc) }, lsn)) ops.push(op);
      for (let i = 0; i < newKeys.length; i++) {
        ops.push({ op: 'put', key: dedupKey(this.group, this.generation, this.name, keyBytes(newKeys[i]!)), value: encodeDedupEntry({ lsn, offset: firstOffset + i }) });
      }
      ops.push(this.metaOp(lsn));
    }
    const rowsDropped = c.rowCount - rowsWritten;
    if (c.producer !== undefined) {
      this.producers.record(c.producer.id, c.producer.sequence, { lsn, firstOffset, rowsWritten, rowsDropped }, ops);
    }
    return { firstOffset, rowsWritten, rowsDropped, ipc, repeated: false };
  }

  /** Up to `maxRows` rows from `fromOffset` (from the cache, or the store for older rows), as one batch. */
  async readRows(fromOffset: number, maxRows: number): Promise<RowRange> {
    const read = await this.rows.read(fromOffset, maxRows);
    const first = Math.max(fromOffset, read.firstRetainedOffset);
    const schema = this.definition.schema;
    const parts: Uint8Array[] = [];
    let count = 0;
    for (const b of read.batches) {
      const skip = Math.max(0, first + count - b.firstOffset);
      const take = Math.min(b.rowCount - skip, maxRows - count);
      if (take <= 0) continue;
      parts.push(skip === 0 && take === b.rowCount ? b.ipcBytes : sliceBatch(decodeAppendBatch(schema, b.ipcBytes, STORED_BATCH_LIMITS), skip, take));
      count += take;
    }
    const ipc = parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : concatBatches(schema, parts);
    return { firstOffset: first, rowCount: count, ipc, nextOffset: read.nextOffset };
  }

  /** The op that records this table's definition and next offset as of `lsn`. */
  metaOp(lsn: number): StateOp {
    return { op: 'put', key: tableMetaKey(this.group, this.generation, this.name), value: encodeTableMeta({ lsn, nextOffset: this.rows.nextOffset, schemaBytes: this.definitionBytes() }) };
  }

  private definitionBytes(): Uint8Array {
    const filterColumn = this.definition.filterColumn;
    if (this.encodedDefinition?.filterColumn !== filterColumn) {
      this.encodedDefinition = { filterColumn, bytes: encodeDefinition(this.definition) };
    }
    return this.encodedDefinition.bytes;
  }

  /** The ops that delete every record of this table. */
  dropOps(): StateOp[] {
    const batches = tableBatchRange(this.group, this.generation, this.name);
    const keys = dedupRange(this.group, this.generation, this.name);
    const producers = tableProducersRange(this.group, this.generation, this.name);
    return [
      { op: 'delRange', gte: producers.gte, lt: producers.lt },
      { op: 'del', key: tableMetaKey(this.group, this.generation, this.name) },
      { op: 'delRange', gte: batches.gte, lt: batches.lt },
      { op: 'delRange', gte: keys.gte, lt: keys.lt },
    ];
  }
}

/** The cache may hold rows for long: don't let a small view keep a whole network frame alive. */
function compact(bytes: Uint8Array): Uint8Array {
  return bytes.buffer.byteLength > 2 * bytes.byteLength ? new Uint8Array(bytes) : bytes; // a copy even of a Buffer (whose slice() is a view)
}

/** A dedup key as store key bytes: rowKeys() builds keys of characters 0..255, one byte each. */
export function keyBytes(key: string): Uint8Array {
  return keyToBytes(key);
}

export function keyStringOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
