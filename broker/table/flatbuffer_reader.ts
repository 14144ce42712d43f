// A bounds-checked reader of FlatBuffers tables, for the Arrow IPC metadata of untrusted batches.
// Every offset is checked against the buffer and every vector length against the bytes left, so a
// mutated length can neither read outside the message nor make a loop run longer than the input is big.

/** Thrown on any out-of-bounds read; ipc_reader.ts turns it into TableError BAD_ARROW. */
export class FlatbufferError extends Error {
  override readonly name = 'FlatbufferError';
}

export class FlatBuffer {
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private check(pos: number, size: number, what: string): void {
    if (!(pos >= 0 && pos + size <= this.bytes.byteLength)) {
      throw new FlatbufferError(`${what} at byte ${pos} (+${size}) lies outside the ${this.bytes.byteLength}-byte metadata`);
    }
  }

  u8(pos: number): number { this.check(pos, 1, 'u8'); return this.view.getUint8(pos); }
  u16(pos: number): number { this.check(pos, 2, 'u16'); return this.view.getUint16(pos, true); }
  i16(pos: number): number { this.check(pos, 2, 'i16'); return this.view.getInt16(pos, true); }
  i32(pos: number): number { this.check(pos, 4, 'i32'); return this.view.getInt32(pos, true); }
  u32(pos: number): number { this.check(pos, 4, 'u32'); return this.view.getUint32(pos, true); }

  /** A non-negative int64 that must be a safe integer (lengths, offsets, counts). */
  safeU64(pos: number, what: string): number {
    this.check(pos, 8, what);
    const lo = this.view.getUint32(pos, true);
    const hi = this.view.getInt32(pos + 4, true);
    if (hi < 0 || hi >= 0x200000) throw new FlatbufferError(`${what} ${hi < 0 ? 'is negative' : 'is over 2^53'}`);
    return hi * 0x100000000 + lo;
  }

  /** The root table of the buffer. */
  root(): Table {
    return this.table(this.u32(0), 'root table');
  }

  table(pos: number, what: string): Table {
    const vtable = pos - this.i32(pos);
    const vtableBytes = this.u16(vtable);
    const tableBytes = this.u16(vtable + 2);
    if (vtableBytes < 4 || vtableBytes % 2 !== 0) throw new FlatbufferError(`${what}: vtable of ${vtableBytes} bytes`);
    this.check(vtable, vtableBytes, `${what} vtable`);
    this.check(pos, Math.max(4, tableBytes), what);
    return new Table(this, pos, vtable, vtableBytes);
  }
}

export class Table {
  constructor(
    private readonly fb: FlatBuffer,
    private readonly pos: number,
    private readonly vtable: number,
    private readonly vtableBytes: number,
  ) {}

  /** The absolute position of field `index`, or 0 when absent (the field then has its default). */
  private field(index: number): number {
    const slot = 4 + 2 * index;
    if (slot + 2 > this.vtableBytes) return 0;
    const offset = this.fb.u16(this.vtable + slot);
    return offset === 0 ? 0 : this.pos + offset;
  }

  has(index: number): boolean { return this.field(index) !== 0; }
  u8(index: number, dflt: number): number { const p = this.field(index); return p === 0 ? dflt : this.fb.u8(p); }
  i16(index: number, dflt: number): number { const p = this.field(index); return p === 0 ? dflt : this.fb.i16(p); }
  i32(index: number, dflt: number): number { const p = this.field(index); return p === 0 ? dflt : this.fb.i32(p); }
  bool(index: number, dflt: boolean): boolean { const p = this.field(index); return p === 0 ? dflt : this.fb.u8(p) !== 0; }
  safeU64(index: number, what: string): number { const p = this.field(index); return p === 0 ? 0 : this.fb.safeU64(p, what); }

  private target(index: number): number {
    const p = this.field(index);
    return p === 0 ? 0 : p + this.fb.u32(p);
  }

  table(index: number, what: string): Table | undefined {
    const t = this.target(index);
    return t === 0 ? undefined : this.fb.table(t, what);
  }

  string(index: number, what: string): string | undefined {
    const t = this.target(index);
    if (t === 0) return undefined;
    const length = this.fb.u32(t);
    if (length > this.fb.bytes.byteLength - t - 4) throw new FlatbufferError(`${what}: string of ${length} bytes overruns the metadata`);
    return utf8Fatal.decode(this.fb.bytes.subarray(t + 4, t + 4 + length));
  }

  /** A vector of `elementBytes`-sized elements: its element count and the position of element 0 (count 0 when absent). */
  vector(index: number, elementBytes: number, what: string): { count: number; start: number } {
    const t = this.target(index);
    if (t === 0) return { count: 0, start: 0 };
    const count = this.fb.u32(t);
    if (count > (this.fb.bytes.byteLength - t - 4) / elementBytes) throw new FlatbufferError(`${what}: vector of ${count} elements overruns the metadata`);
    return { count, start: t + 4 };
  }

  /** A non-negative int64 inside a struct element of a vector (FieldNode, Buffer). */
  structU64(pos: number, what: string): number { return this.fb.safeU64(pos, what); }

  /** Element i of a vector of tables. */
  tableAt(start: number, i: number, what: string): Table {
    const p = start + 4 * i;
    return this.fb.table(p + this.fb.u32(p), what);
  }
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });
