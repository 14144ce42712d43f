// The in-flight window of one follower: appends sent but not yet acknowledged, bounded both by
// message count and by bytes, so a slow follower cannot make the leader buffer without limit.

export class Inflights {
  private readonly indexes: number[] = [];
  private readonly sizes: number[] = [];
  private bytes = 0;

  constructor(readonly maxMessages: number, readonly maxBytes: number) {}

  add(lastIndex: number, bytes: number): void {
    this.indexes.push(lastIndex);
    this.sizes.push(bytes);
    this.bytes += bytes;
  }

  /** Frees every in-flight append whose last index is <= index. */
  freeLE(index: number): void {
    let n = 0;
    while (n < this.indexes.length && this.indexes[n]! <= index) {
      this.bytes -= this.sizes[n]!;
      n++;
    }
    if (n > 0) {
      this.indexes.splice(0, n);
      this.sizes.splice(0, n);
    }
  }

  freeFirstOne(): void {
    if (this.indexes.length > 0) this.freeLE(this.indexes[0]!);
  }

  full(): boolean {
    return this.indexes.length >= this.maxMessages || (this.maxBytes > 0 && this.bytes >= this.maxBytes);
  }

  count(): number {
    return this.indexes.length;
  }

  inflightBytes(): number {
    return this.bytes;
  }

  reset(): void {
    this.indexes.length = 0;
    this.sizes.length = 0;
    this.bytes = 0;
  }
}
