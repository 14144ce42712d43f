// Writes the Arrow IPC stream of one record batch without apache-arrow's writer. For a one-row append
// that writer's visitors and FlatBuffers builder cost more than everything else the client does
// (about 0.1 ms of a 0.14 ms encode; docs/performance.md, third pass), and it copies every buffer twice.
//
//   stream := schema message | 0xFFFFFFFF | int32 metadataBytes | RecordBatch Message | body | EOS
//
// The schema message is apache-arrow's, made once per schema (schemaMessageOf). The RecordBatch message
// is a small FlatBuffer laid out here by hand; ipc_reader.ts (and apache-arrow) read it back.

import * as arrow from 'apache-arrow';

/** One column's buffers, in Arrow's order: validity (empty when there are no nulls), then offsets and/or values. */
export interface IpcColumnBuffers {
  nullCount: number;
  buffers: Uint8Array[];
}

const CONTINUATION = 0xffffffff;
const METADATA_V5 = 4;
const HEADER_RECORD_BATCH = 3;
const EOS_BYTES = 8;
const PREFIX_BYTES = 8; // continuation marker + metadata length
const STRUCT_BYTES = 16; // FieldNode and Buffer: two int64 each

// Byte positions in the RecordBatch Message FlatBuffer (see writeRecordBatchMessage).
const MESSAGE_TABLE = 16;
const BATCH_VTABLE = 40;
const BATCH_TABLE = 56;
const NODES_VECTOR = 84; // its elements start at 88, 8-aligned as their int64 fields need
/** vtable size, table size, then per field its offset in the table: version, header_type, header, bodyLength. */
const MESSAGE_VTABLE_ENTRIES = [12, 24, 16, 18, 4, 8] as const;
/** vtable size, table size, then: length, nodes, buffers (no compression field). */
const BATCH_VTABLE_ENTRIES = [10, 24, 8, 4, 16] as const;

/** Where the buffers vector starts in the message; it follows the nodes vector, 4 bytes before an 8-aligned entry. */
function buffersVectorAt(columnCount: number): number {
  return NODES_VECTOR + 4 + STRUCT_BYTES * columnCount + 4;
}

/** The stream's schema message (continuation, length, Schema flatbuffer), as apache-arrow writes it. */
export function schemaMessageOf(schema: arrow.Schema): Uint8Array {
  const stream = arrow.tableToIPC(new arrow.Table(schema), 'stream'); // schema message, then EOS
  return stream.slice(0, stream.byteLength - EOS_BYTES);
}

const pad8 = (n: number): number => (n + 7) & ~7;

/** The IPC stream of one record batch of `rows` rows: `schemaMessage` (from schemaMessageOf), then the columns in field order. */
export function writeIpcStream(schemaMessage: Uint8Array, rows: number, columns: readonly IpcColumnBuffers[]): Uint8Array {
  let bufferCount = 0;
  let bodyBytes = 0;
  for (const c of columns) {
    bufferCount += c.buffers.length;
    for (const b of c.buffers) bodyBytes += pad8(b.byteLength);
  }
  const metadataBytes = buffersVectorAt(columns.length) + 4 + STRUCT_BYTES * bufferCount;
  const batchStart = schemaMessage.byteLength;
  const bodyStart = batchStart + PREFIX_BYTES + metadataBytes;
  const out = new Uint8Array(bodyStart + bodyBytes + EOS_BYTES);
  const view = new DataView(out.buffer);
  out.set(schemaMessage, 0);
  view.setUint32(batchStart, CONTINUATION, true);
  view.setInt32(batchStart + 4, metadataBytes, true);
  const meta = batchStart + PREFIX_BYTES;
  writeRecordBatchMessage(view, meta, rows, bodyBytes, columns, bufferCount);

  let entry = meta + buffersVectorAt(columns.length) + 4;
  let at = 0;
  for (const c of columns) {
    for (const b of c.buffers) {
      setInt64(view, entry, at);
      setInt64(view, entry + 8, b.byteLength);
      entry += STRUCT_BYTES;
      out.set(b, bodyStart + at);
      at += pad8(b.byteLength); // the padding stays zero
    }
  }
  view.setUint32(bodyStart + bodyBytes, CONTINUATION, true); // EOS: continuation, then length 0
  return out;
}

/**
 * Message { version: V5, header_type: RecordBatch, header: RecordBatch { length, nodes, buffers }, bodyLength },
 * written front to back (every offset points forward, as FlatBuffers' unsigned offsets must):
 *   0 root offset | 4 Message vtable | 16 Message table | 40 RecordBatch vtable | 56 RecordBatch table |
 *   84 nodes vector | buffers vector (its entries are filled in by the caller).
 */
function writeRecordBatchMessage(view: DataView, m: number, rows: number, bodyBytes: number, columns: readonly IpcColumnBuffers[], bufferCount: number): void {
  view.setUint32(m, MESSAGE_TABLE, true);
  MESSAGE_VTABLE_ENTRIES.forEach((v, i) => view.setUint16(m + 4 + 2 * i, v, true));
  const t1 = m + MESSAGE_TABLE;
  view.setInt32(t1, MESSAGE_TABLE - 4, true); // to its vtable at byte 4
  view.setUint32(t1 + 4, BATCH_TABLE - (MESSAGE_TABLE + 4), true);
  setInt64(view, t1 + 8, bodyBytes);
  view.setInt16(t1 + 16, METADATA_V5, true);
  view.setUint8(t1 + 18, HEADER_RECORD_BATCH);
  BATCH_VTABLE_ENTRIES.forEach((v, i) => view.setUint16(m + BATCH_VTABLE + 2 * i, v, true));
  const t2 = m + BATCH_TABLE;
  view.setInt32(t2, BATCH_TABLE - BATCH_VTABLE, true);
  view.setUint32(t2 + 4, NODES_VECTOR - (BATCH_TABLE + 4), true);
  setInt64(view, t2 + 8, rows);
  const buffersVector = buffersVectorAt(columns.length);
  view.setUint32(t2 + 16, buffersVector - (BATCH_TABLE + 16), true);
  view.setUint32(m + NODES_VECTOR, columns.length, true);
  let node = m + NODES_VECTOR + 4;
  for (const c of columns) {
    setInt64(view, node, rows);
    setInt64(view, node + 8, c.nullCount);
    node += STRUCT_BYTES;
  }
  view.setUint32(m + buffersVector, bufferCount, true);
}

/** A non-negative safe integer as a little-endian int64, without a BigInt. */
function setInt64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value >>> 0, true);
  view.setUint32(at + 4, Math.floor(value / 0x1_0000_0000), true);
}
