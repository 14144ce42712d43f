// A FIFO of frames bounded by their total size: the per-peer outbox of PeerLinks. A frame that
// would push the total over the limit is refused, never queued, so memory stays bounded.

/** A frame's bytes: one buffer, or chunks that go out back to back as one message. */
export type FrameBytes = Uint8Array | readonly Uint8Array[];

export function frameByteLength(frame: FrameBytes): number {
  if (frame instanceof Uint8Array) return frame.byteLength;
  let n = 0;
  for (const chunk of frame) n += chunk.byteLength;
  return n;
}

export class FrameQueue {
  private frames: FrameBytes[] = [];
  private head = 0; // frames[0, head) were already taken
  private bytes = 0; // invariant: the sum of frames[head..].byteLength, never above maxBytes

  constructor(readonly maxBytes: number) {}

  get queuedBytes(): number {
    return this.bytes;
  }

  get length(): number {
    return this.frames.length - this.head;
  }

  /** Appends the frame, or returns false (and keeps nothing) if it does not fit under maxBytes. */
  push(frame: FrameBytes): boolean {
    const bytes = frameByteLength(frame);
    if (this.bytes + bytes > this.maxBytes) return false;
    this.frames.push(frame);
    this.bytes += bytes;
    return true;
  }

  shift(): FrameBytes | undefined {
    if (this.head === this.frames.length) return undefined;
    const frame = this.frames[this.head]!;
    this.frames[this.head] = EMPTY; // let the frame be collected before compaction
    this.head++;
    this.bytes -= frameByteLength(frame);
    // Compact once the taken prefix dominates, so shift stays O(1) amortised.
    if (this.head === this.frames.length) {
      this.frames = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
    return frame;
  }
}

const EMPTY = new Uint8Array(0);
