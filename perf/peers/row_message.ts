// One benchmark row as one NATS message: the row's columns in schema order, packed without names or
// tags (both sides know the schema). STRING and SYMBOL: u16 byte length + UTF-8; TIMESTAMP: float64
// milliseconds (whole numbers below 2^53, so exact); DOUBLE: float64; INT: int32; all little-endian.
// The 11-column row is 2+8 + 2+4 + 8 + 4*8 + 4*4 = 72 bytes; the 211-column row is 1,272 bytes.

import type { BenchColumn, BenchColumns } from '../bench/rows.js';
import { PeerError } from './peer_errors.js';

/** One decoded row: column name to value. */
export type RowValues = Record<string, string | number>;

const MAX_STRING_BYTES = 0xffff;
const INITIAL_SCRATCH_BYTES = 64 * 1024;

const FIXED_BYTES: Record<BenchColumn['type'], number> = { STRING: 2, SYMBOL: 2, TIMESTAMP: 8, DOUBLE: 8, INT: 4 };

/** Packs rows of one schema. Rows go through a scratch buffer that is reused from batch to batch. */
export class RowMessageEncoder {
  private scratch = new Uint8Array(INITIAL_SCRATCH_BYTES);
  private view = new DataView(this.scratch.buffer);
  private readonly utf8 = new TextEncoder();
  /** Bytes of a row before its strings' contents: length prefixes and fixed-width values. */
  private readonly fixedRowBytes: number;

  constructor(readonly schema: readonly BenchColumn[]) {
    this.fixedRowBytes = schema.reduce((sum, c) => sum + FIXED_BYTES[c.type], 0);
  }

  /**
   * Rows 0..rows-1 of `columns`, one payload each. The payloads are disjoint views of one fresh
   * allocation per batch (never the scratch buffer), so each is its own bytes for as long as the
   * caller keeps it, and a batch costs one allocation rather than one per row.
   */
  encodeBatch(columns: BenchColumns, rows: number): Uint8Array[] {
    const values = this.schema.map((c) => columnValues(columns, c));
    const ends = new Int32Array(rows);
    let pos = 0;
    for (let r = 0; r < rows; r++) {
      this.ensure(pos + this.fixedRowBytes);
      for (let c = 0; c < this.schema.length; c++) {
        const v = values[c]!;
        switch (this.schema[c]!.type) {
          case 'STRING':
          case 'SYMBOL': pos = this.writeString((v as string[])[r]!, pos); break;
          case 'TIMESTAMP':
          case 'DOUBLE': this.view.setFloat64(pos, (v as Float64Array)[r]!, true); pos += 8; break;
          case 'INT': this.view.setInt32(pos, (v as Int32Array)[r]!, true); pos += 4; break;
        }
      }
      ends[r] = pos;
    }
    const batch = this.scratch.slice(0, pos); // a copy: the scratch is overwritten by the next batch
    const payloads = new Array<Uint8Array>(rows);
    for (let r = 0, start = 0; r < rows; start = ends[r]!, r++) payloads[r] = batch.subarray(start, ends[r]);
    return payloads;
  }

  private writeString(text: string, pos: number): number {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; the rest of the row's fixed part fits after it too
    this.ensure(pos + 2 + text.length * 3 + this.fixedRowBytes);
    const start = pos + 2;
    let end = start;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) { // not ASCII: let TextEncoder do the whole string
        end = start + this.utf8.encodeInto(text, this.scratch.subarray(start)).written;
        break;
      }
      this.scratch[end++] = code;
    }
    const length = end - start;
    if (length > MAX_STRING_BYTES) throw new PeerError('BAD_CASE', `a string of ${length} UTF-8 bytes does not fit the u16 length of a row message; keep strings under ${MAX_STRING_BYTES + 1} bytes`);
    this.view.setUint16(pos, length, true);
    return end;
  }

  private ensure(bytes: number): void {
    if (bytes <= this.scratch.length) return;
    const grown = new Uint8Array(Math.max(bytes, this.scratch.length * 2));
    grown.set(this.scratch);
    this.scratch = grown;
    this.view = new DataView(grown.buffer);
  }
}

/** The values of one row of a batch, by column name (what decodeRowMessage returns for it). */
export function rowAt(schema: readonly BenchColumn[], columns: BenchColumns, row: number): RowValues {
  const out: RowValues = {};
  for (const c of schema) out[c.name] = columnValues(columns, c)[row]!;
  return out;
}

/** Unpacks one row message of `schema`; throws PeerError BAD_MESSAGE when the bytes do not fit it. */
export function decodeRowMessage(schema: readonly BenchColumn[], bytes: Uint8Array): RowValues {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const out: RowValues = {};
  let pos = 0;
  const need = (n: number, column: string): void => {
    if (pos + n > bytes.length) throw new PeerError('BAD_MESSAGE', `row message of ${bytes.length} bytes ends inside column ${column}; was it encoded with another schema (${schema.length} columns here)?`);
  };
  for (const c of schema) {
    need(FIXED_BYTES[c.type], c.name);
    switch (c.type) {
      case 'STRING':
      case 'SYMBOL': {
        const length = view.getUint16(pos, true);
        pos += 2;
        need(length, c.name);
        out[c.name] = utf8.decode(bytes.subarray(pos, pos + length));
        pos += length;
        break;
      }
      case 'TIMESTAMP':
      case 'DOUBLE': out[c.name] = view.getFloat64(pos, true); pos += 8; break;
      case 'INT': out[c.name] = view.getInt32(pos, true); pos += 4; break;
    }
  }
  if (pos !== bytes.length) throw new PeerError('BAD_MESSAGE', `row message has ${bytes.length - pos} bytes after its ${schema.length} columns; was it encoded with a wider schema?`);
  return out;
}

function columnValues(columns: BenchColumns, column: BenchColumn): string[] | Float64Array | Int32Array {
  const values = columns[column.name];
  if (values === undefined) throw new PeerError('BAD_CASE', `the batch has no column "${column.name}"; build it with benchColumns() of the same schema`);
  return values;
}
