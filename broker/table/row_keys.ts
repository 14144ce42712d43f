// Row keys for dedup and subscription filters, built from the Arrow buffers directly.
//
// The key of a row is the concatenation, over the key columns, of one self-delimiting part:
//   null             0x00
//   BOOL             0x01 | 0x00 or 0x01
//   fixed width w    0x01 | the w value bytes as stored (little-endian); FLOAT/DOUBLE first map -0 to 0
//                    and every NaN to one NaN, so keys are equal iff the values compare equal (NaN = NaN)
//   STRING/SYMBOL    0x01 | LEB128 byte length | UTF-8 bytes
// Each part says where it ends, so two keys are equal iff every part is. The parts of all rows go into one
// byte buffer, a column at a time (tight loops, no per-row allocation), which becomes one string of a char
// per byte (codes 0..255, Buffer's latin1) cut into one substring per row; keyToBytes gives the bytes back.

import { ColumnView } from './column_view.js';

const NULL_TAG = 0;
const VALUE_TAG = 1;

/** The bytes of a key rowKeys returned (each char is one byte). */
export function keyToBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i);
  return out;
}

function isNullAt(validity: Uint8Array | null, e: number): boolean {
  return validity !== null && (validity[e >> 3]! & (1 << (e & 7))) === 0;
}

function varintBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** One key per row of the columns `views` (all of `rows` rows). */
export function rowKeyStrings(views: readonly ColumnView[], rows: number): string[] {
  // Pass 1: where each row's key starts.
  const starts = new Int32Array(rows + 1);
  let fixedPerRow = 0;
  for (const v of views) {
    const l = v.layout;
    const full = l.kind === 'bool' ? 2 : l.kind === 'fixed' ? 1 + l.width : 0;
    if (l.kind !== 'var' && v.validity === null) {
      fixedPerRow += full;
      continue;
    }
    const validity = v.validity;
    for (let r = 0; r < rows; r++) {
      const e = v.offset + r;
      if (isNullAt(validity, e)) starts[r + 1]! += 1;
      else if (l.kind !== 'var') starts[r + 1]! += full;
      else {
        const len = v.offsets![e + 1]! - v.offsets![e]!;
        starts[r + 1]! += 1 + varintBytes(len) + len;
      }
    }
  }
  for (let r = 0; r < rows; r++) starts[r + 1] = starts[r]! + starts[r + 1]! + fixedPerRow;

  // Pass 2: a column at a time, each row's part at its cursor.
  const out = new Uint8Array(starts[rows]!);
  const cursor = starts.slice(0, rows);
  for (const v of views) writeParts(v, rows, out, cursor);

  const all = Buffer.from(out.buffer, out.byteOffset, out.byteLength).toString('latin1');
  const keys = new Array<string>(rows);
  for (let r = 0; r < rows; r++) keys[r] = all.substring(starts[r]!, starts[r + 1]!);
  return keys;
}

function writeParts(v: ColumnView, rows: number, out: Uint8Array, cursor: Int32Array): void {
  const l = v.layout;
  const bytes = v.bytes;
  const base = v.offset;
  const validity = v.validity;
  if (l.kind === 'var') {
    const offsets = v.offsets!;
    for (let r = 0; r < rows; r++) {
      let p = cursor[r]!;
      const e = base + r;
      if (isNullAt(validity, e)) { out[p] = NULL_TAG; cursor[r] = p + 1; continue; }
      out[p++] = VALUE_TAG;
      const start = offsets[e]!;
      const end = offsets[e + 1]!;
      let len = end - start;
      while (len >= 0x80) { out[p++] = (len & 0x7f) | 0x80; len >>>= 7; }
      out[p++] = len;
      for (let k = start; k < end; k++) out[p++] = bytes[k]!;
      cursor[r] = p;
    }
    return;
  }
  if (l.kind === 'bool') {
    for (let r = 0; r < rows; r++) {
      const p = cursor[r]!;
      const e = base + r;
      if (isNullAt(validity, e)) { out[p] = NULL_TAG; cursor[r] = p + 1; continue; }
      out[p] = VALUE_TAG;
      out[p + 1] = (bytes[e >> 3]! >> (e & 7)) & 1;
      cursor[r] = p + 2;
    }
    return;
  }
  const w = l.width;
  const isFloat = v.spec.type === 'DOUBLE' || v.spec.type === 'FLOAT';
  for (let r = 0; r < rows; r++) {
    const p = cursor[r]!;
    const e = base + r;
    if (isNullAt(validity, e)) { out[p] = NULL_TAG; cursor[r] = p + 1; continue; }
    out[p] = VALUE_TAG;
    if (isFloat) {
      const x = w === 8 ? v.dv.getFloat64(8 * e, true) : v.dv.getFloat32(4 * e, true);
      // -0 and 0 are one key, and so are all NaNs: write the bytes of +0 or of the one NaN.
      if (x === 0 || x !== x) {
        if (w === 8) writeCanonical(out, p + 1, x === 0 ? ZERO8 : NAN8);
        else writeCanonical(out, p + 1, x === 0 ? ZERO4 : NAN4);
        cursor[r] = p + 1 + w;
        continue;
      }
    }
    for (let k = 0, s = e * w; k < w; k++) out[p + 1 + k] = bytes[s + k]!;
    cursor[r] = p + 1 + w;
  }
}

const ZERO8 = new Uint8Array(8);
const ZERO4 = new Uint8Array(4);
const NAN8 = new Uint8Array(new Float64Array([NaN]).buffer);
const NAN4 = new Uint8Array(new Float32Array([NaN]).buffer);

function writeCanonical(out: Uint8Array, p: number, bytes: Uint8Array): void {
  for (let k = 0; k < bytes.length; k++) out[p + k] = bytes[k]!;
}
