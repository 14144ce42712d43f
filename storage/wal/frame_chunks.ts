// Lays encoded frames out as the byte chunks one writev takes (ByteChunks): small frames are copied
// into shared blocks (one chunk per many records); a large payload stays its own chunk, never copied.

import { ByteChunks, isReferenced } from '../byte_chunks.js';
import { FRAME_HEADER_BYTES, Frame, encodeFrameHeader } from './frame.js';

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

/** What add() copies for these frames: headers and small payloads (large ones are referenced). */
export function copiedBytes(frames: readonly EncodedFrame[]): number {
  let n = 0;
  for (const f of frames) n += FRAME_HEADER_BYTES + (isReferenced(f.frame.payload) ? 0 : f.frame.payload.length);
  return n;
}

export class FrameChunks {
  private readonly bytes: ByteChunks;
  frames = 0;

  /**
   * `firstBlockBytes`: what the caller expects to copy (copiedBytes). A fixed 64 KiB block per write
   * was most of a node's allocations at batch 1: fresh ArrayBuffers that made V8 run a full GC
   * several times a second (docs/performance.md, fourth pass).
   */
  constructor(firstBlockBytes?: number) {
    this.bytes = new ByteChunks(firstBlockBytes);
  }

  get sizeBytes(): number {
    return this.bytes.sizeBytes;
  }

  add(f: EncodedFrame): void {
    this.bytes.copy(f.header);
    this.bytes.add(f.frame.payload);
    this.frames++;
  }

  /** The chunks, with the filled part of the current block as the last one. */
  finish(): Uint8Array[] {
    return this.bytes.finish();
  }
}
