// Bytes laid out as the chunks of one writev or one fragmented WebSocket message: small pieces are
// copied into shared blocks, a large one is passed through as its own chunk, never copied. The WAL
// (frame headers and entries) and the peer frame encoder (protobuf fields and entries) both build
// their output this way, so a big append is written and replicated from the bytes the log holds.

/** Pieces at least this large are referenced by add(), not copied. */
export const ZERO_COPY_MIN_BYTES = 16 * 1024;

/** Whether add() passes these bytes through as their own chunk (true) or copies them into a block. */
export function isReferenced(bytes: Uint8Array): boolean {
  return bytes.byteLength >= ZERO_COPY_MIN_BYTES;
}

const DEFAULT_BLOCK_BYTES = 64 * 1024;

export class ByteChunks {
  private readonly chunks: Uint8Array[] = [];
  private block: Uint8Array;
  private used = 0;
  private start = 0; // first byte of `block` not yet handed out as a chunk
  /** Every byte added so far, copied or referenced. */
  sizeBytes = 0;

  /** `firstBlockBytes`: a caller that knows how much it will copy sizes the first block exactly. */
  constructor(firstBlockBytes = DEFAULT_BLOCK_BYTES, private readonly blockBytes = DEFAULT_BLOCK_BYTES) {
    this.block = new Uint8Array(firstBlockBytes);
  }

  /** Copies small pieces, references large ones. */
  add(bytes: Uint8Array): void {
    if (!isReferenced(bytes)) return this.copy(bytes);
    this.cut();
    this.chunks.push(bytes);
    this.sizeBytes += bytes.byteLength;
  }

  copy(bytes: Uint8Array): void {
    this.room(bytes.byteLength);
    this.block.set(bytes, this.used);
    this.used += bytes.byteLength;
    this.sizeBytes += bytes.byteLength;
  }

  byte(value: number): void {
    this.room(1);
    this.block[this.used++] = value;
    this.sizeBytes++;
  }

  /** The chunks, with the filled part of the current block as the last one. */
  finish(): Uint8Array[] {
    this.cut();
    return this.chunks;
  }

  private room(bytes: number): void {
    if (this.used + bytes <= this.block.length) return;
    this.cut();
    this.block = new Uint8Array(Math.max(this.blockBytes, bytes));
    this.used = 0;
    this.start = 0;
  }

  private cut(): void {
    if (this.used > this.start) this.chunks.push(this.block.subarray(this.start, this.used));
    this.start = this.used;
  }
}

/** One contiguous copy of chunks (tests, and callers that need a single buffer). */
export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let total = 0;
  for (const c of chunks) total += c.byteLength;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
