// One column of an untrusted record batch: checks its node and buffers against the column's layout and
// builds the Arrow Data over the IPC bytes (zero copy when aligned). Everything read later (keys, rows,
// filters) indexes these buffers without further checks, so this is where every length is proven.

import * as arrow from 'apache-arrow';
import { arrowTypeOf, layoutOf } from './column_types.js';
import { TableError } from './errors.js';
import { IpcBuffer, IpcFieldNode } from './ipc_reader.js';
import { ColumnSpec } from './schema.js';

/** Number of set bits in each byte value. */
const BITS_SET = new Uint8Array(256).map((_, b) => {
  let n = 0;
  for (let x = b; x !== 0; x >>= 1) n += x & 1;
  return n;
});

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

/** Buffers an IPC column of this spec has: validity + values, or validity + offsets + data. */
export function bufferCountOf(spec: ColumnSpec): number {
  return layoutOf(spec.type).kind === 'var' ? 3 : 2;
}

/** A typed-array view needs its byte offset to be a multiple of the element size; copy when it is not. */
function aligned(bytes: Uint8Array, alignment: number): Uint8Array {
  // new Uint8Array(x) always copies; a Buffer's slice() would return a view at the same unaligned offset.
  return bytes.byteOffset % alignment === 0 ? bytes : new Uint8Array(bytes);
}

function countSetBits(bitmap: Uint8Array, bits: number): number {
  let n = 0;
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) n += BITS_SET[bitmap[i]!]!;
  if ((bits & 7) !== 0) n += BITS_SET[bitmap[whole]! & ((1 << (bits & 7)) - 1)]!;
  return n;
}

export function decodeColumn(spec: ColumnSpec, node: IpcFieldNode, buffers: IpcBuffer[], body: Uint8Array, rows: number): arrow.Data {
  const fail = (why: string): TableError => new TableError('BAD_ARROW', `column "${spec.name}": ${why}; the batch is malformed`, spec.name);
  const slice = (b: IpcBuffer): Uint8Array => body.subarray(b.offset, b.offset + b.length);
  if (node.length !== rows) throw fail(`${node.length} rows in a batch of ${rows}`);
  if (node.nullCount > rows) throw fail(`null count ${node.nullCount} over ${rows} rows`);
  const bitmapBytes = (rows + 7) >> 3;

  let nullBitmap: Uint8Array | undefined;
  const validity = buffers[0]!;
  if (validity.length === 0) {
    if (node.nullCount !== 0) throw fail(`null count ${node.nullCount} without a validity bitmap`);
  } else {
    if (validity.length < bitmapBytes) throw fail(`validity bitmap of ${validity.length} bytes for ${rows} rows`);
    const bitmap = slice(validity);
    const nulls = rows - countSetBits(bitmap, rows);
    if (nulls !== node.nullCount) throw fail(`validity bitmap has ${nulls} nulls, the node says ${node.nullCount}`);
    if (nulls > 0) nullBitmap = bitmap.subarray(0, bitmapBytes);
  }
  const nullCount = node.nullCount;
  const type = arrowTypeOf(spec.type, spec.scale);
  const layout = layoutOf(spec.type);

  if (layout.kind !== 'var') {
    const need = layout.kind === 'bool' ? bitmapBytes : rows * layout.width;
    const values = buffers[1]!;
    if (values.length < need) throw fail(`values buffer of ${values.length} bytes for ${rows} rows (needs ${need})`);
    const width = layout.kind === 'bool' ? 1 : Math.min(layout.width, 8);
    const data = aligned(slice(values).subarray(0, need), width);
    return arrow.makeData({ type: type as arrow.Int32, length: rows, nullCount, nullBitmap, data: data as unknown as Int32Array });
  }

  const offsetsBuffer = buffers[1]!;
  if (offsetsBuffer.length < 4 * (rows + 1)) throw fail(`offsets buffer of ${offsetsBuffer.length} bytes for ${rows} rows`);
  const o = aligned(slice(offsetsBuffer).subarray(0, 4 * (rows + 1)), 4);
  const offsets = new Int32Array(o.buffer, o.byteOffset, rows + 1);
  const data = slice(buffers[2]!);
  if (offsets[0]! < 0) throw fail(`first offset ${offsets[0]} is negative`);
  for (let i = 0; i < rows; i++) {
    if (offsets[i + 1]! < offsets[i]!) throw fail(`offsets decrease at row ${i}`);
  }
  if (offsets[rows]! > data.length) throw fail(`offsets reach byte ${offsets[rows]} of a ${data.length}-byte data buffer`);
  if (layout.utf8) checkUtf8(data, offsets, rows, fail);
  return arrow.makeData({ type: type as arrow.Utf8, length: rows, nullCount, nullBitmap, valueOffsets: offsets, data });
}

/** The whole value range must be valid UTF-8 and no value may start inside a character. */
function checkUtf8(data: Uint8Array, offsets: Int32Array, rows: number, fail: (why: string) => TableError): void {
  const end = offsets[rows]!;
  try {
    utf8Fatal.decode(data.subarray(offsets[0]!, end));
  } catch {
    throw fail('a value is not valid UTF-8');
  }
  for (let i = 1; i < rows; i++) {
    const p = offsets[i]!;
    if (p < end && (data[p]! & 0xc0) === 0x80) throw fail(`row ${i} starts inside a UTF-8 character`);
  }
}
