// Value formats of the state store. Each begins with a format version byte (1 today), so a newer
// Shoal can change a format and still read the old one. All integers are big-endian; u64 fields
// carry JS safe integers (< 2^53). Every record that reflects replicated state carries the LSN of
// the Raft entry that last changed it: on restart, entries at or below it are skipped.

import { ConfState } from '../../broker/raft/types.js';
import { ByteReader, ByteWriter, MAX_U16 } from './binary.js';
import { StateDecodeError } from './errors.js';

export const VALUE_FORMAT_VERSION = 1;

/** The group's checkpoint: its state up to `lsn` is durable, so the WAL below it may go. */
export interface CheckpointRecord {
  lsn: number;
  term: number;
  confState: ConfState;
}

/** Which generation of the group's state is current (see storage/snapshot/generation.ts). */
export interface GenerationPointer {
  generation: number;
}

/** A stream table's metadata. `schemaBytes` is opaque here (the Arrow IPC schema message). */
export interface TableMeta {
  lsn: number;
  nextOffset: number; // offset of the next row appended; the first retained offset is the first batch key's
  schemaBytes: Uint8Array;
}

/** One appended batch of a table. `ipcBytes` is the Arrow IPC record batch as received. */
export interface TableBatchValue {
  lsn: number;
  rowCount: number;
  appendedAtMs: number;
  ipcBytes: Uint8Array;
}

/** A keyed-dedup index entry: the key was last seen in the row at `offset`. */
export interface DedupEntry {
  lsn: number;
  offset: number;
}

/** What one producer's append did, kept so a retry of it gets the same answer (exactly-once). */
export interface ProducerOutcome {
  lsn: number;
  firstOffset: number;
  rowsWritten: number;
  rowsDropped: number;
}

/** A subscription's persisted position in a topic. */
export interface SubscriptionOffset {
  lsn: number;
  offset: number;
}

function writer(): ByteWriter {
  return new ByteWriter().u8(VALUE_FORMAT_VERSION);
}

function reader(bytes: Uint8Array, what: string): ByteReader {
  const r = new ByteReader(bytes, what);
  const version = r.u8();
  if (version !== VALUE_FORMAT_VERSION) {
    throw new StateDecodeError('UNKNOWN_VERSION', `${what}: format version ${version}, this Shoal reads ${VALUE_FORMAT_VERSION}: upgrade the node or restore its state from a snapshot`);
  }
  return r;
}

export function encodeCheckpoint(c: CheckpointRecord): Uint8Array {
  const w = writer().u64(c.lsn).u64(c.term);
  for (const ids of [c.confState.voters, c.confState.learners, c.confState.witnesses, c.confState.removed ?? []]) {
    if (ids.length > MAX_U16) throw new RangeError(`a membership list of ${ids.length} ids does not fit the checkpoint format`);
    w.u16(ids.length);
    for (const id of ids) w.u32(id);
  }
  return w.finish();
}

export function decodeCheckpoint(bytes: Uint8Array): CheckpointRecord {
  const r = reader(bytes, 'checkpoint record');
  const lsn = r.u64();
  const term = r.u64();
  const ids = (): number[] => Array.from({ length: r.u16() }, () => r.u32());
  const confState: ConfState = { voters: ids(), learners: ids(), witnesses: ids(), removed: ids() };
  r.end();
  return { lsn, term, confState };
}

/** The group's applied LSN as the store reflects it (see appliedLsnKey). */
export function encodeAppliedLsn(lsn: number): Uint8Array {
  return writer().u64(lsn).finish();
}

export function decodeAppliedLsn(bytes: Uint8Array): number {
  const r = reader(bytes, 'applied LSN');
  const lsn = r.u64();
  r.end();
  return lsn;
}

export function encodeGenerationPointer(p: GenerationPointer): Uint8Array {
  return writer().u32(p.generation).finish();
}

export function decodeGenerationPointer(bytes: Uint8Array): GenerationPointer {
  const r = reader(bytes, 'generation pointer');
  const generation = r.u32();
  r.end();
  return { generation };
}

export function encodeTableMeta(m: TableMeta): Uint8Array {
  return writer().u64(m.lsn).u64(m.nextOffset).bytes32(m.schemaBytes).finish();
}

export function decodeTableMeta(bytes: Uint8Array): TableMeta {
  const r = reader(bytes, 'table metadata');
  const m = { lsn: r.u64(), nextOffset: r.u64(), schemaBytes: new Uint8Array(r.bytes32()) };
  r.end();
  return m;
}

/** version u8, lsn u64, rowCount u32, appendedAtMs u64: sized exactly, the writer's buffer is the value. */
const TABLE_BATCH_HEADER_BYTES = 1 + 8 + 4 + 8;

/** The IPC bytes go last and unprefixed: they are most of the value and need no copy to frame. */
export function encodeTableBatch(b: TableBatchValue): Uint8Array {
  return new ByteWriter(TABLE_BATCH_HEADER_BYTES + b.ipcBytes.byteLength).u8(VALUE_FORMAT_VERSION).u64(b.lsn).u32(b.rowCount).u64(b.appendedAtMs).raw(b.ipcBytes).finish();
}

export function decodeTableBatch(bytes: Uint8Array): TableBatchValue {
  const r = reader(bytes, 'table batch');
  return { lsn: r.u64(), rowCount: r.u32(), appendedAtMs: r.u64(), ipcBytes: r.rest() };
}

export function encodeDedupEntry(e: DedupEntry): Uint8Array {
  return writer().u64(e.lsn).u64(e.offset).finish();
}

export function decodeDedupEntry(bytes: Uint8Array): DedupEntry {
  const r = reader(bytes, 'dedup entry');
  const e = { lsn: r.u64(), offset: r.u64() };
  r.end();
  return e;
}

export function encodeProducerOutcome(o: ProducerOutcome): Uint8Array {
  return writer().u64(o.lsn).u64(o.firstOffset).u32(o.rowsWritten).u32(o.rowsDropped).finish();
}

export function decodeProducerOutcome(bytes: Uint8Array): ProducerOutcome {
  const r = reader(bytes, 'producer outcome');
  const o = { lsn: r.u64(), firstOffset: r.u64(), rowsWritten: r.u32(), rowsDropped: r.u32() };
  r.end();
  return o;
}

export function encodeSubscriptionOffset(s: SubscriptionOffset): Uint8Array {
  return writer().u64(s.lsn).u64(s.offset).finish();
}

export function decodeSubscriptionOffset(bytes: Uint8Array): SubscriptionOffset {
  const r = reader(bytes, 'subscription offset');
  const s = { lsn: r.u64(), offset: r.u64() };
  r.end();
  return s;
}
