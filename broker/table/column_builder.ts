// Plain JS values -> one Arrow column (client side of encodeAppendBatch, and filter values). Each type
// accepts the values batchToRows gives back, so rows round-trip, plus a few convenient forms (Date, bigint
// for integers, numbers for decimals); docs/types.md lists them. A value that does not fit is WRONG_TYPE
// naming the column and the row.

import * as arrow from 'apache-arrow';
import { arrowTypeOf, DECIMAL_PRECISION, layoutOf } from './column_types.js';
import { TableError } from './errors.js';
import { ColumnSpec, typeLabel } from './schema.js';
import { decimalFromNumber, hexToBytes16, parseDecimalString, parseIpAddress, parseUuid, pow10 } from './value_text.js';

const MS_PER_DAY = 86_400_000;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Why a value does not fit; the caller adds the column and row. */
class Misfit {
  constructor(readonly why: string) {}
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'bigint') return `bigint ${v}n`;
  if (v instanceof Date) return 'Date';
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  return `${typeof v} ${String(v)}`;
}

function integer(v: unknown, min: number, max: number, what: string): number {
  const x = typeof v === 'bigint' && v >= BigInt(min) && v <= BigInt(max) ? Number(v) : v;
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) throw new Misfit(`expected ${what}, an integer in ${min}..${max}`);
  return x;
}

function int64(v: unknown, what: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX) return v;
  throw new Misfit(`expected ${what}, a bigint or a safe integer number in int64 range`);
}

/** int64 as stored: a safe-integer number stays a number (written without a BigInt), else a bigint. */
function int64Stored(v: unknown, what: string): number | bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  return int64(v, what);
}

function epochMs(v: Date): number {
  const ms = v.getTime();
  if (Number.isNaN(ms)) throw new Misfit('got an invalid Date');
  return ms;
}

/** Milliseconds since UTC midnight of a Date's day. */
function msOfDay(v: Date): number {
  const ms = epochMs(v);
  return ms - Math.floor(ms / MS_PER_DAY) * MS_PER_DAY;
}

function bytes16(v: unknown, parse: (s: string) => Uint8Array | undefined, what: string): Uint8Array {
  if (v instanceof Uint8Array && v.length === 16) return v;
  const b = typeof v === 'string' ? parse(v) : undefined;
  if (b === undefined) throw new Misfit(`expected ${what} or a 16-byte Uint8Array`);
  return b;
}

function decimal(v: unknown, spec: ColumnSpec): bigint {
  const scale = spec.scale ?? 0;
  let unscaled: bigint | undefined;
  if (typeof v === 'string') unscaled = parseDecimalString(v, scale);
  else if (typeof v === 'number') unscaled = decimalFromNumber(v, scale);
  else if (typeof v === 'bigint') unscaled = v * pow10(scale);
  if (unscaled === undefined) throw new Misfit(`expected a decimal string with at most ${scale} fraction digits, a finite number or a bigint`);
  const limit = pow10(DECIMAL_PRECISION[spec.type as 'DECIMAL32' | 'DECIMAL64']);
  if (unscaled >= limit || unscaled <= -limit) throw new Misfit(`the value does not fit ${typeLabel(spec)}`);
  return unscaled;
}

/** The stored number (or bigint for 64-bit storage) of a fixed-width numeric column. */
function storedNumber(spec: ColumnSpec, v: unknown): number | bigint {
  switch (spec.type) {
    case 'CHAR': return integer(v, -128, 127, 'CHAR');
    case 'SHORT': return integer(v, -32768, 32767, 'SHORT');
    case 'INT': return integer(v, -2147483648, 2147483647, 'INT');
    case 'LONG': return int64Stored(v, 'LONG');
    case 'FLOAT': case 'DOUBLE':
      if (typeof v !== 'number') throw new Misfit(`expected a number for ${spec.type}`);
      return v;
    case 'DATE': return v instanceof Date ? Math.floor(epochMs(v) / MS_PER_DAY) : integer(v, -2147483648, 2147483647, 'DATE (days since 1970-01-01)');
    case 'MONTH': return v instanceof Date ? v.getUTCFullYear() * 12 + v.getUTCMonth() : integer(v, 0, 2147483647, 'MONTH (months since 0000-01)');
    case 'TIME': return v instanceof Date ? msOfDay(v) : integer(v, 0, MS_PER_DAY - 1, 'TIME (ms since midnight)');
    case 'MINUTE': return v instanceof Date ? Math.floor(msOfDay(v) / 60_000) : integer(v, 0, 1439, 'MINUTE (minutes since midnight)');
    case 'SECOND': return v instanceof Date ? Math.floor(msOfDay(v) / 1000) : integer(v, 0, 86399, 'SECOND (seconds since midnight)');
    case 'NANOTIME': {
      const ns = v instanceof Date ? BigInt(msOfDay(v)) * 1_000_000n : int64(v, 'NANOTIME (ns since midnight)');
      if (ns < 0n || ns >= 86_400_000_000_000n) throw new Misfit('expected NANOTIME, ns since midnight in 0..86399999999999');
      return ns;
    }
    case 'DATETIME': return v instanceof Date ? BigInt(Math.floor(epochMs(v) / 1000)) : int64Stored(v, 'DATETIME (seconds since 1970)');
    case 'TIMESTAMP': return v instanceof Date ? BigInt(epochMs(v)) : int64Stored(v, 'TIMESTAMP (ms since 1970)');
    case 'NANOTIMESTAMP': return v instanceof Date ? BigInt(epochMs(v)) * 1_000_000n : int64Stored(v, 'NANOTIMESTAMP (ns since 1970)');
    case 'DECIMAL32': return Number(decimal(v, spec));
    case 'DECIMAL64': return decimal(v, spec);
    default: throw new Error(`storedNumber: ${spec.type} is not a numeric type`);
  }
}

const utf8 = new TextEncoder();
/** Up to this length a string is first tried as ASCII, a byte per character. */
const ASCII_LOOP_MAX_CHARS = 64;

/** The data buffer of a var column while it is written: grows by doubling, allocates nothing until used. */
export class ByteSink {
  bytes = new Uint8Array(0);
  used = 0;

  reserve(n: number): void {
    if (this.used + n <= this.bytes.length) return;
    let size = Math.max(256, this.bytes.length * 2);
    while (size < this.used + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.used));
    this.bytes = next;
  }

  write(b: Uint8Array): void {
    this.reserve(b.length);
    this.bytes.set(b, this.used);
    this.used += b.length;
  }

  /**
   * Appends `text` as UTF-8. Short ASCII text (ids, symbols) is copied a byte per character: one
   * TextEncoder call per value cost more than the rest of encoding a row (seen in perf/ha_bench).
   */
  writeUtf8(text: string): void {
    const n = text.length;
    this.reserve(n * 3); // UTF-8 takes at most 3 bytes per UTF-16 unit
    if (n <= ASCII_LOOP_MAX_CHARS) {
      const bytes = this.bytes;
      let at = this.used;
      let i = 0;
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) break;
        bytes[at++] = c;
      }
      if (i === n) {
        this.used = at;
        return;
      }
    }
    this.used += utf8.encodeInto(text, this.bytes.subarray(this.used)).written;
  }

  /** A copy of the bytes written, exactly as long. */
  finish(): Uint8Array {
    return this.bytes.slice(0, this.used);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A typed array whose elements are already the column's stored values, any of which is valid (no
 * nulls, no range to check), is copied as bytes: Arrow stores little-endian, as every Node host does.
 */
function copyOfStoredValues(spec: ColumnSpec, values: ArrayLike<unknown>): Uint8Array | undefined {
  if (!LITTLE_ENDIAN || !ArrayBuffer.isView(values)) return undefined;
  const matches =
    (values instanceof Float64Array && spec.type === 'DOUBLE') ||
    (values instanceof Float32Array && spec.type === 'FLOAT') ||
    (values instanceof Int32Array && spec.type === 'INT') ||
    (values instanceof Int16Array && spec.type === 'SHORT') ||
    (values instanceof Int8Array && spec.type === 'CHAR') ||
    (values instanceof BigInt64Array && (spec.type === 'LONG' || spec.type === 'TIMESTAMP' || spec.type === 'NANOTIMESTAMP' || spec.type === 'DATETIME'));
  if (!matches) return undefined;
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

const RESERVE_GUESS_MAX_BYTES = 16 << 20;

/** The types whose stored value is an int64 that a safe integer number gives as it is (int64Stored). */
const INT64_FROM_NUMBER = new Set(['LONG', 'TIMESTAMP', 'DATETIME', 'NANOTIMESTAMP']);

/**
 * Null-free strings, and int64 columns given as safe integer numbers (timestamps in ms), in a loop of
 * their own: the general loop below dispatches on the type for every value, which was most of encoding
 * an 11-column batch of 10,000 rows (perf/ha_bench). Anything else, a null or a value of the wrong kind
 * included, returns undefined: the general loop then builds the column and names the bad value.
 */
function builtWithoutDispatch(spec: ColumnSpec, values: ArrayLike<unknown>): arrow.Data | undefined {
  const n = values.length;
  const layout = layoutOf(spec.type);
  if (layout.kind === 'var' && layout.utf8) {
    const offsets = new Int32Array(n + 1);
    const sink = new ByteSink();
    const first = values[0];
    // A guess that saves most regrowing for ids and symbols; capped, as the first value may be huge.
    if (typeof first === 'string') sink.reserve(Math.min(n * first.length, RESERVE_GUESS_MAX_BYTES));
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'string') return undefined;
      sink.writeUtf8(v);
      if (sink.used > 0x7fffffff) return undefined;
      offsets[i + 1] = sink.used;
    }
    return arrow.makeData({ type: arrowTypeOf(spec.type, spec.scale) as arrow.Utf8, length: n, nullCount: 0, valueOffsets: offsets, data: sink.finish() });
  }
  if (INT64_FROM_NUMBER.has(spec.type) && LITTLE_ENDIAN) {
    const words = new Int32Array(2 * n); // low, high: two's complement
    for (let i = 0; i < n; i++) {
      const x = values[i];
      if (typeof x !== 'number' || !Number.isSafeInteger(x)) return undefined;
      words[2 * i] = x >>> 0;
      words[2 * i + 1] = Math.floor(x / 0x1_0000_0000);
    }
    return arrow.makeData({ type: arrowTypeOf(spec.type, spec.scale) as arrow.Int32, length: n, nullCount: 0, data: new Uint8Array(words.buffer) as unknown as Int32Array });
  }
  return undefined;
}

/** Builds the column from `values` (null and undefined are null). Throws TableError WRONG_TYPE naming the column and row. */
export function buildColumn(spec: ColumnSpec, values: ArrayLike<unknown>): arrow.Data {
  const copied = copyOfStoredValues(spec, values);
  if (copied !== undefined) {
    return arrow.makeData({ type: arrowTypeOf(spec.type, spec.scale) as arrow.Int32, length: values.length, nullCount: 0, data: copied as unknown as Int32Array });
  }
  const direct = builtWithoutDispatch(spec, values);
  if (direct !== undefined) return direct;
  const n = values.length;
  const validity = new Uint8Array((n + 7) >> 3);
  let nullCount = 0;
  const layout = layoutOf(spec.type);
  const width = layout.kind === 'fixed' ? layout.width : 0;
  const fixed = new Uint8Array(layout.kind === 'bool' ? (n + 7) >> 3 : n * width);
  const dv = new DataView(fixed.buffer);
  const offsets = layout.kind === 'var' ? new Int32Array(n + 1) : undefined;
  const sink = new ByteSink();
  let i = 0;
  try {
    for (; i < n; i++) {
      const v = values[i];
      if (v === null || v === undefined) {
        nullCount++;
        if (offsets !== undefined) offsets[i + 1] = sink.used;
        continue;
      }
      validity[i >> 3]! |= 1 << (i & 7);
      writeValue(spec, v, i);
    }
  } catch (err) {
    if (!(err instanceof Misfit)) throw err;
    throw new TableError('WRONG_TYPE', `column "${spec.name}" (${typeLabel(spec)}) row ${i}: ${err.why}, got ${describe(values[i])}`, spec.name);
  }

  function writeValue(s: ColumnSpec, v: unknown, row: number): void {
    switch (s.type) {
      case 'BOOL':
        if (typeof v !== 'boolean') throw new Misfit('expected a boolean');
        if (v) fixed[row >> 3]! |= 1 << (row & 7);
        return;
      case 'STRING': case 'SYMBOL': case 'BLOB': {
        if (typeof v === 'string') sink.writeUtf8(v);
        else if (s.type === 'BLOB' && v instanceof Uint8Array) sink.write(v);
        else throw new Misfit(s.type === 'BLOB' ? 'expected a Uint8Array or a string' : 'expected a string');
        if (sink.used > 0x7fffffff) throw new Misfit('the column holds over 2 GiB');
        offsets![row + 1] = sink.used;
        return;
      }
      case 'UUID': fixed.set(bytes16(v, parseUuid, 'a UUID string'), 16 * row); return;
      case 'IPADDR': fixed.set(bytes16(v, parseIpAddress, 'an IPv4 or IPv6 address string'), 16 * row); return;
      case 'INT128': fixed.set(bytes16(v, hexToBytes16, 'a string of 32 hex digits'), 16 * row); return;
      default: {
        const x = storedNumber(s, v);
        switch (s.type) {
          case 'CHAR': dv.setInt8(row, x as number); return;
          case 'SHORT': dv.setInt16(2 * row, x as number, true); return;
          case 'FLOAT': dv.setFloat32(4 * row, x as number, true); return;
          case 'DOUBLE': dv.setFloat64(8 * row, x as number, true); return;
          default:
            if (width === 4) dv.setInt32(4 * row, x as number, true);
            else if (typeof x === 'number') {
              // low and high words: x = high * 2^32 + low with low in [0, 2^32), two's complement for x < 0
              dv.setUint32(8 * row, x >>> 0, true);
              dv.setInt32(8 * row + 4, Math.floor(x / 0x1_0000_0000), true);
            } else dv.setBigInt64(8 * row, x, true);
        }
      }
    }
  }

  const type = arrowTypeOf(spec.type, spec.scale);
  const nullBitmap = nullCount > 0 ? validity : undefined;
  if (offsets !== undefined) {
    return arrow.makeData({ type: type as arrow.Utf8, length: n, nullCount, nullBitmap, valueOffsets: offsets, data: sink.finish() });
  }
  return arrow.makeData({ type: type as arrow.Int32, length: n, nullCount, nullBitmap, data: fixed as unknown as Int32Array });
}
