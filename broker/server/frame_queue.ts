// A FIFO of frames bounded by their total size: the per-peer outbox of PeerLinks. A frame that
// would push the total over the limit is refused, never queued, so memory stays bounded.

export class FrameQueue {
  private frames: Uint8Array[] = [];
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
  push(frame: Uint8Array): boolean {
    if (this.bytes + frame.byteLength > this.maxBytes) return false;
    this.frames.push(frame);
    this.bytes += frame.byteLength;
    return true;
  }

  shift(): Uint8Array | undefined {
    if (this.head === this.frames.length) return undefined;
    const frame = this.frames[this.head]!;
    this.frames[this.head] = EMPTY; // let the frame be collected before compaction
    this.head++;
    this.bytes -= frame.byteLength;
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
