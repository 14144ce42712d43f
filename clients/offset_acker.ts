// persistOffset's acknowledgements: at most one ackOffset in flight; offsets acknowledged while one
// is in flight collapse into the highest, sent when it returns. A failed ack (a lost connection, a
// leader change) is kept and sent again by retry() once the subscription is back.

export class OffsetAcker {
  /** The highest offset the handler has finished; -1 before any. */
  private wanted = -1;
  /** The highest offset the node has confirmed. */
  private confirmed = -1;
  private inFlight: Promise<void> | undefined;
  sent = 0;
  failures = 0;

  constructor(private readonly send: (offset: number) => Promise<void>) {}

  ack(offset: number): void {
    if (offset <= this.wanted) return;
    this.wanted = offset;
    this.kick();
  }

  /** Sends what is still unconfirmed (after a failure), unless an ack is already in flight. */
  retry(): void {
    this.kick();
  }

  /** Resolves when no ack is in flight (the last one may have failed). */
  async idle(): Promise<void> {
    while (this.inFlight !== undefined) await this.inFlight;
  }

  get confirmedOffset(): number {
    return this.confirmed;
  }

  private kick(): void {
    if (this.inFlight !== undefined || this.wanted <= this.confirmed) return;
    this.inFlight = this.drain().finally(() => {
      this.inFlight = undefined;
    });
  }

  private async drain(): Promise<void> {
    while (this.wanted > this.confirmed) {
      const offset = this.wanted;
      this.sent++;
      try {
        await this.send(offset);
      } catch {
        this.failures++;
        return; // kept in `wanted`; retry() sends it again
      }
      if (offset > this.confirmed) this.confirmed = offset;
    }
  }
}
