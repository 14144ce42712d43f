// One column of a record batch seen as its raw buffers, and the JS value of each row read straight from
// them (batchToRows, batchToColumns). Reading the buffers ourselves keeps every reader -- keys, filters,
// rows -- on one definition of a value, whatever apache-arrow's Vector.get would return for the type.

import * as arrow from 'apache-arrow';
import { layoutOf, Layout, ShoalType } from './column_types.js';
import { ColumnSpec } from './schema.js';
import { formatDecimal, formatIpAddress, formatUuid, bytesToHex } from './value_text.js';

export interface ColumnView {
  readonly spec: ColumnSpec;
  readonly layout: Layout;
  readonly length: number;
  /** Element offset of row 0 inside the buffers (non-zero for sliced Arrow data). */
  readonly offset: number;
  /** Validity bits (bit offset + i), or null when no row is null. */
  readonly validity: Uint8Array | null;
  readonly nullCount: number;
  /** The values buffer (fixed, bool), or the data buffer (var). */
  readonly bytes: Uint8Array;
  readonly dv: DataView;
  /** Offsets of a var column (entries offset .. offset + length). */
  readonly offsets: Int32Array | null;
}

function asBytes(a: ArrayBufferView | undefined): Uint8Array {
  return a === undefined ? new Uint8Array(0) : new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function viewOf(spec: ColumnSpec, data: arrow.Data): ColumnView {
  const layout = layoutOf(spec.type);
  const nullCount = data.nullCount;
  const bitmap = data.nullBitmap;
  const validity = nullCount !== 0 && bitmap !== undefined && bitmap.byteLength > 0 ? bitmap : null;
  const bytes = asBytes(data.values as ArrayBufferView | undefined);
  return {
    spec, layout, length: data.length, offset: data.offset, validity, nullCount: validity === null ? 0 : nullCount,
    bytes, dv: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    offsets: layout.kind === 'var' ? (data.valueOffsets as Int32Array) : null,
  };
}

export function isNull(v: ColumnView, i: number): boolean {
  if (v.validity === null) return false;
  const bit = v.offset + i;
  return (v.validity[bit >> 3]! & (1 << (bit & 7))) === 0;
}

const utf8 = new TextDecoder();

/** The value of row i as batchToRows gives it (docs/types.md, "Values"). */
export function readValue(v: ColumnView, i: number): unknown {
  if (isNull(v, i)) return null;
  const e = v.offset + i;
  const t: ShoalType = v.spec.type;
  switch (t) {
    case 'BOOL': return (v.bytes[e >> 3]! & (1 << (e & 7))) !== 0;
    case 'CHAR': return v.dv.getInt8(e);
    case 'SHORT': return v.dv.getInt16(2 * e, true);
    case 'INT': case 'DATE': case 'MONTH': case 'TIME': case 'MINUTE': case 'SECOND': return v.dv.getInt32(4 * e, true);
    case 'FLOAT': return v.dv.getFloat32(4 * e, true);
    case 'DOUBLE': return v.dv.getFloat64(8 * e, true);
    case 'LONG': case 'NANOTIME': case 'NANOTIMESTAMP': return v.dv.getBigInt64(8 * e, true);
    case 'DATETIME': case 'TIMESTAMP': return Number(v.dv.getBigInt64(8 * e, true));
    case 'DECIMAL32': return formatDecimal(BigInt(v.dv.getInt32(4 * e, true)), v.spec.scale ?? 0);
    case 'DECIMAL64': return formatDecimal(v.dv.getBigInt64(8 * e, true), v.spec.scale ?? 0);
    case 'UUID': return formatUuid(v.bytes.subarray(16 * e, 16 * e + 16));
    case 'IPADDR': return formatIpAddress(v.bytes.subarray(16 * e, 16 * e + 16));
    case 'INT128': return bytesToHex(v.bytes.subarray(16 * e, 16 * e + 16));
    case 'STRING': case 'SYMBOL': return utf8.decode(v.bytes.subarray(v.offsets![e]!, v.offsets![e + 1]!));
    case 'BLOB': return v.bytes.slice(v.offsets![e]!, v.offsets![e + 1]!);
  }
}

/**
 * A column as batchToColumns gives it: a typed array (a copy) when no row is null and the type's rows are
 * numbers or bigints of one width; otherwise the batchToRows values in a plain array.
 */
export function readColumn(v: ColumnView): unknown[] | ArrayLike<unknown> {
  if (v.nullCount === 0) {
    const typed = typedCopy(v);
    if (typed !== undefined) return typed;
  }
  const out = new Array<unknown>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = readValue(v, i);
  return out;
}

function typedCopy(v: ColumnView): ArrayLike<unknown> | undefined {
  const n = v.length;
  const slice = (width: number): ArrayBuffer => v.bytes.buffer.slice(v.bytes.byteOffset + width * v.offset, v.bytes.byteOffset + width * (v.offset + n)) as ArrayBuffer;
  switch (v.spec.type) {
    case 'CHAR': return new Int8Array(slice(1));
    case 'SHORT': return new Int16Array(slice(2));
    case 'INT': case 'DATE': case 'MONTH': case 'TIME': case 'MINUTE': case 'SECOND': return new Int32Array(slice(4));
    case 'FLOAT': return new Float32Array(slice(4));
    case 'DOUBLE': return new Float64Array(slice(8));
    case 'LONG': case 'NANOTIME': case 'NANOTIMESTAMP': return new BigInt64Array(slice(8));
    case 'DATETIME': case 'TIMESTAMP': return Float64Array.from(new BigInt64Array(slice(8)), Number);
    default: return undefined;
  }
}
