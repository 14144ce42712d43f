// Exactly-once appends, the client's half (docs/protocol.md, "Exactly-once appends"): a client is one
// producer with a random id, and each append takes the next sequence (from 1, never reused) and keeps
// it through every retry, so the group applies it once. The node remembers a producer's last
// NODE_SEQUENCE_WINDOW sequences per table; a retry below that window would be refused
// (SequenceTooOld). So a sequence is handed out only while
//   - fewer than maxInFlight appends hold one, and
//   - it is less than NODE_SEQUENCE_WINDOW above the oldest sequence still in flight,
// and appends wait for that in arrival order (FIFO), each queue and wait bounded by those limits.

/** Sequences per producer and table the node remembers (H-1023..H). */
export const NODE_SEQUENCE_WINDOW = 1024;
/** Appends in flight per client at most; the next waits for a slot. */
export const MAX_APPENDS_IN_FLIGHT = 256;

export interface SequenceLimits {
  maxInFlight: number;
  window: number;
}

export class ProducerSequence {
  /** 32 hex digits: 16 random bytes. */
  readonly producerId: string;
  private next = 1;
  /** Sequences handed out and not released, in the order handed out. */
  private readonly inFlight = new Set<number>();
  private readonly waiters: Array<{ resolve: (sequence: number) => void; reject: (err: unknown) => void }> = [];
  private closedWith: unknown;

  constructor(
    randomBytes: (n: number) => Uint8Array,
    private readonly limits: SequenceLimits = { maxInFlight: MAX_APPENDS_IN_FLIGHT, window: NODE_SEQUENCE_WINDOW },
  ) {
    this.producerId = Buffer.from(randomBytes(16)).toString('hex');
  }

  /** Resolves with the next sequence once a slot is free (FIFO). Pair every sequence with release(). */
  acquire(): Promise<number> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    if (this.waiters.length === 0 && this.hasRoom()) return Promise.resolve(this.take());
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** The append holding `sequence` has its final answer (or gave up): its slot goes to the next waiter. */
  release(sequence: number): void {
    this.inFlight.delete(sequence);
    while (this.waiters.length > 0 && this.hasRoom()) this.waiters.shift()!.resolve(this.take());
  }

  get appendsInFlight(): number {
    return this.inFlight.size;
  }

  get appendsWaiting(): number {
    return this.waiters.length;
  }

  /** Every waiting and later acquire() rejects with `err` (the client is closing). */
  close(err: unknown): void {
    this.closedWith = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  private hasRoom(): boolean {
    if (this.inFlight.size >= this.limits.maxInFlight) return false;
    const oldest = this.inFlight.values().next();
    return oldest.done === true || this.next - oldest.value < this.limits.window;
  }

  private take(): number {
    const sequence = this.next++;
    this.inFlight.add(sequence);
    return sequence;
  }
}
