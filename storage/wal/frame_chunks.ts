// Lays encoded frames out as the byte chunks one writev takes. Small frames are copied into shared
// blocks (one chunk per many records); a large payload stays its own chunk, never copied.

import { FRAME_HEADER_BYTES, Frame, encodeFrameHeader } from './frame.js';

const BLOCK_BYTES = 64 * 1024;
/** Payloads at least this large are written from the caller's buffer instead of copied. */
const ZERO_COPY_MIN_BYTES = 16 * 1024;

/** A frame with its header (and so its CRC) computed: done at append time, off the sync path. */
export interface EncodedFrame {
  frame: Frame;
  header: Uint8Array;
}

export function encodeFrame(frame: Frame): EncodedFrame {
  return { frame, header: encodeFrameHeader(frame) };
}

export function encodedBytes(f: EncodedFrame): number {
  return FRAME_HEADER_BYTES + f.frame.payload.length;
}

export class FrameChunks {
  private readonly chunks: Uint8Array[] = [];
  sizeBytes = 0;
  frames = 0;
  private block = new Uint8Array(BLOCK_BYTES);
  private blockUsed = 0;
  private blockStart = 0; // first byte of `block` not yet handed out as a chunk

  add(f: EncodedFrame): void {
    this.copy(f.header);
    if (f.frame.payload.length >= ZERO_COPY_MIN_BYTES) {
      this.cut();
      this.chunks.push(f.frame.payload);
    } else {
      this.copy(f.frame.payload);
    }
    this.sizeBytes += encodedBytes(f);
    this.frames++;
  }

  /** The chunks, with the filled part of the current block as the last one. */
  finish(): Uint8Array[] {
    this.cut();
    return this.chunks;
  }

  private copy(bytes: Uint8Array): void {
    if (this.blockUsed + bytes.length > this.block.length) {
      this.cut();
      this.block = new Uint8Array(Math.max(BLOCK_BYTES, bytes.length));
      this.blockUsed = 0;
      this.blockStart = 0;
    }
    this.block.set(bytes, this.blockUsed);
    this.blockUsed += bytes.length;
  }

  private cut(): void {
    if (this.blockUsed > this.blockStart) this.chunks.push(this.block.subarray(this.blockStart, this.blockUsed));
    this.blockStart = this.blockUsed;
  }
}
