// Copies rows of existing columns into a new column, buffer to buffer: selectRows, sliceBatch and
// concatBatches build their output with it (no per-row JS values).

import * as arrow from 'apache-arrow';
import { arrowTypeOf, layoutOf, Layout } from './column_types.js';
import { ByteSink } from './column_builder.js';
import { ColumnView, isNull } from './column_view.js';
import { ColumnSpec } from './schema.js';

export class ColumnAppender {
  private readonly layout: Layout;
  private readonly validity: Uint8Array;
  private nullCount = 0;
  private rows = 0;
  private readonly fixed: Uint8Array;
  private readonly offsets: Int32Array | undefined;
  private readonly data = new ByteSink();

  /** `capacity`: exactly the number of rows that will be appended. */
  constructor(private readonly spec: ColumnSpec, private readonly capacity: number) {
    this.layout = layoutOf(spec.type);
    this.validity = new Uint8Array((capacity + 7) >> 3);
    const l = this.layout;
    this.fixed = new Uint8Array(l.kind === 'bool' ? (capacity + 7) >> 3 : l.kind === 'fixed' ? capacity * l.width : 0);
    this.offsets = l.kind === 'var' ? new Int32Array(capacity + 1) : undefined;
  }

  /** Appends row `i` of `v`. */
  appendRow(v: ColumnView, i: number): void {
    const out = this.rows++;
    if (isNull(v, i)) {
      this.nullCount++;
      if (this.offsets !== undefined) this.offsets[out + 1] = this.data.used;
      return;
    }
    this.validity[out >> 3]! |= 1 << (out & 7);
    const e = v.offset + i;
    const l = this.layout;
    if (l.kind === 'fixed') {
      const w = l.width;
      for (let k = 0, from = e * w, to = out * w; k < w; k++) this.fixed[to + k] = v.bytes[from + k]!;
    } else if (l.kind === 'bool') {
      if ((v.bytes[e >> 3]! & (1 << (e & 7))) !== 0) this.fixed[out >> 3]! |= 1 << (out & 7);
    } else {
      const start = v.offsets![e]!;
      const end = v.offsets![e + 1]!;
      this.data.reserve(end - start);
      const data = this.data.bytes;
      for (let k = start, to = this.data.used; k < end; k++, to++) data[to] = v.bytes[k]!;
      this.data.used += end - start;
      this.offsets![out + 1] = this.data.used;
    }
  }

  /** Appends rows from .. from + count - 1 of `v`; fixed-width values and var data are copied in one piece. */
  appendRange(v: ColumnView, from: number, count: number): void {
    const l = this.layout;
    if (l.kind === 'bool' || (v.validity !== null)) {
      for (let i = from; i < from + count; i++) this.appendRow(v, i);
      return;
    }
    const out = this.rows;
    for (let r = out; r < out + count; r++) this.validity[r >> 3]! |= 1 << (r & 7);
    const e = v.offset + from;
    if (l.kind === 'fixed') {
      this.fixed.set(v.bytes.subarray(e * l.width, (e + count) * l.width), out * l.width);
    } else {
      const offsets = v.offsets!;
      const start = offsets[e]!;
      const end = offsets[e + count]!;
      this.data.reserve(end - start);
      this.data.bytes.set(v.bytes.subarray(start, end), this.data.used);
      const shift = this.data.used - start;
      for (let k = 1; k <= count; k++) this.offsets![out + k] = offsets[e + k]! + shift;
      this.data.used += end - start;
    }
    this.rows += count;
  }

  finish(): arrow.Data {
    if (this.rows !== this.capacity) throw new Error(`ColumnAppender: ${this.rows} rows appended, ${this.capacity} announced`);
    const type = arrowTypeOf(this.spec.type, this.spec.scale);
    const nullBitmap = this.nullCount > 0 ? this.validity : undefined;
    const common = { length: this.rows, nullCount: this.nullCount, nullBitmap };
    if (this.offsets !== undefined) {
      return arrow.makeData({ type: type as arrow.Utf8, ...common, valueOffsets: this.offsets, data: this.data.finish() });
    }
    return arrow.makeData({ type: type as arrow.Int32, ...common, data: this.fixed as unknown as Int32Array });
  }
}
