// Lays encoded frames out as the byte chunks one writev takes (ByteChunks): small frames are copied
// into shared blocks (one chunk per many records); a large payload stays its own chunk, never copied.

import { ByteChunks } from '../byte_chunks.js';
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

export class FrameChunks {
  private readonly bytes = new ByteChunks();
  frames = 0;

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
