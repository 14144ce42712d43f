// A priority queue of simulated events, ordered by time and then by insertion, so a seed
// always replays the same interleaving.

export interface SimEvent {
  at: number; // simulated milliseconds
  seq: number;
  run: () => void;
}

export class EventQueue {
  private heap: SimEvent[] = [];
  private seq = 0;
  now = 0;

  schedule(delayMs: number, run: () => void): void {
    this.push({ at: this.now + Math.max(0, delayMs), seq: this.seq++, run });
  }

  get size(): number {
    return this.heap.length;
  }

  /** Runs the next event; false if none is due at or before `until`. */
  runNext(until: number): boolean {
    const top = this.heap[0];
    if (!top || top.at > until) return false;
    this.pop();
    this.now = top.at;
    top.run();
    return true;
  }

  private less(a: SimEvent, b: SimEvent): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(e: SimEvent): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
