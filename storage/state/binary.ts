// Big-endian field writer and reader over DataView, shared by the key and value codecs and the
// snapshot chunk format. The reader checks every bound and throws StateDecodeError, so a truncated
// or corrupt record is an error, never a silently wrong value.

import { StateDecodeError } from './errors.js';

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

export const MAX_U16 = 0xffff;
export const MAX_U32 = 0xffffffff;
const TWO_32 = 0x1_0000_0000;
const MAX_SAFE_HIGH_U32 = 0x1f_ffff; // the high half of 2^53 - 1

/** Appends fields to a growable buffer. */
export class ByteWriter {
  private bytes: Uint8Array;
  private view: DataView;
  private length = 0;

  constructor(initialBytes = 64) {
    this.bytes = new Uint8Array(initialBytes);
    this.view = new DataView(this.bytes.buffer);
  }

  u8(v: number): this {
    checkUint(v, 0xff, 'u8');
    this.reserve(1).setUint8(this.length - 1, v);
    return this;
  }

  u16(v: number): this {
    checkUint(v, MAX_U16, 'u16');
    this.reserve(2).setUint16(this.length - 2, v);
    return this;
  }

  u32(v: number): this {
    checkUint(v, MAX_U32, 'u32');
    this.reserve(4).setUint32(this.length - 4, v);
    return this;
  }

  /** Offsets, LSNs and times: JS numbers, so at most 2^53 - 1. Two u32 halves: no BigInt per field. */
  u64(v: number): this {
    checkUint(v, Number.MAX_SAFE_INTEGER, 'u64');
    const view = this.reserve(8);
    view.setUint32(this.length - 8, Math.floor(v / TWO_32));
    view.setUint32(this.length - 4, v >>> 0);
    return this;
  }

  raw(b: Uint8Array): this {
    this.reserve(b.byteLength);
    this.bytes.set(b, this.length - b.byteLength);
    return this;
  }

  /** u32 length, then the bytes. */
  bytes32(b: Uint8Array): this {
    return this.u32(b.byteLength).raw(b);
  }

  /** u16 length, then UTF-8. Names are never empty: an empty name is always a caller's bug. */
  name16(s: string, what: string): this {
    const b = textEncoder.encode(s);
    if (b.byteLength === 0 || b.byteLength > MAX_U16) {
      throw new RangeError(`${what} must be 1..${MAX_U16} UTF-8 bytes, got ${b.byteLength}: use a shorter, non-empty name`);
    }
    return this.u16(b.byteLength).raw(b);
  }

  /** The bytes written. A writer sized exactly up front (a table batch: header plus rows) hands over its buffer, not a copy. */
  finish(): Uint8Array {
    return this.length === this.bytes.byteLength ? this.bytes : this.bytes.slice(0, this.length);
  }

  private reserve(n: number): DataView {
    const needed = this.length + n;
    if (needed > this.bytes.byteLength) {
      const grown = new Uint8Array(Math.max(needed, this.bytes.byteLength * 2));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    this.length = needed;
    return this.view;
  }
}

/** Reads fields in order; `what` names the record in error messages. */
export class ByteReader {
  private readonly view: DataView;
  private pos = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.byteLength - this.pos;
  }

  u8(): number {
    return this.view.getUint8(this.take(1));
  }

  u16(): number {
    return this.view.getUint16(this.take(2));
  }

  u32(): number {
    return this.view.getUint32(this.take(4));
  }

  u64(): number {
    const at = this.take(8);
    const hi = this.view.getUint32(at);
    const lo = this.view.getUint32(at + 4);
    if (hi > MAX_SAFE_HIGH_U32) {
      throw new StateDecodeError('BAD_FIELD', `${this.what}: u64 field ${(BigInt(hi) << 32n) | BigInt(lo)} at byte ${at} exceeds 2^53-1`);
    }
    return hi * TWO_32 + lo;
  }

  /** A view (not a copy) of the next n bytes. */
  raw(n: number): Uint8Array {
    const at = this.take(n);
    return this.bytes.subarray(at, at + n);
  }

  bytes32(): Uint8Array {
    return this.raw(this.u32());
  }

  name16(): string {
    const n = this.u16();
    if (n === 0) throw new StateDecodeError('BAD_FIELD', `${this.what}: empty name at byte ${this.pos - 2}`);
    try {
      return textDecoder.decode(this.raw(n));
    } catch {
      throw new StateDecodeError('BAD_FIELD', `${this.what}: name at byte ${this.pos - n} is not UTF-8`);
    }
  }

  rest(): Uint8Array {
    return this.raw(this.remaining);
  }

  /** Call after the last field: extra bytes mean the record is not what we think it is. */
  end(): void {
    if (this.remaining !== 0) {
      throw new StateDecodeError('TRAILING_BYTES', `${this.what}: ${this.remaining} unexpected bytes after byte ${this.pos}`);
    }
  }

  private take(n: number): number {
    if (n > this.remaining) {
      throw new StateDecodeError('TRUNCATED', `${this.what}: needs ${n} bytes at byte ${this.pos}, has ${this.remaining}`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }
}

function checkUint(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${what} field out of range: ${v} (0..${max})`);
}
