// The simulated network between nodes: every batch is delayed, and may be dropped, duplicated
// or reordered (independent delays reorder); links can be cut in one direction or both.

import { PeerBatch } from '../../broker/host/peer_batch.js';
import { SeededRandom } from '../../broker/raft/random.js';
import { EventQueue } from './event_queue.js';

export interface NetworkFaults {
  dropProbability: number;
  duplicateProbability: number;
  delayMsMin: number;
  delayMsMax: number;
  /** Probability of a long delay (reordering far past later batches). */
  slowProbability: number;
}

export const CALM_NETWORK: NetworkFaults = { dropProbability: 0, duplicateProbability: 0, delayMsMin: 1, delayMsMax: 5, slowProbability: 0 };

export class SimNetwork {
  private readonly cut = new Set<string>(); // "from>to": batches from `from` to `to` are lost
  faults: NetworkFaults;
  stats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, cutOff: 0 };

  constructor(
    private readonly queue: EventQueue,
    private readonly rng: SeededRandom,
    faults: NetworkFaults,
    private readonly deliver: (batch: PeerBatch) => void,
  ) {
    this.faults = faults;
  }

  send(batch: PeerBatch): void {
    this.stats.sent++;
    if (this.cut.has(`${batch.from}>${batch.to}`)) {
      this.stats.cutOff++;
      return;
    }
    if (this.rng.chance(this.faults.dropProbability)) {
      this.stats.dropped++;
      return;
    }
    const copies = this.rng.chance(this.faults.duplicateProbability) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      const { delayMsMin, delayMsMax } = this.faults;
      let delay = delayMsMin + this.rng.intBelow(Math.max(1, delayMsMax - delayMsMin + 1));
      if (this.rng.chance(this.faults.slowProbability)) delay += 50 + this.rng.intBelow(200);
      this.queue.schedule(delay, () => {
        // A link cut while the batch was in flight loses it too.
        if (this.cut.has(`${batch.from}>${batch.to}`)) {
          this.stats.cutOff++;
          return;
        }
        this.stats.delivered++;
        this.deliver(batch);
      });
    }
  }

  cutLink(from: number, to: number): void {
    this.cut.add(`${from}>${to}`);
  }

  /** Splits the nodes into sides that cannot reach each other in either direction. */
  partition(sides: number[][]): void {
    for (const a of sides) for (const b of sides) {
      if (a === b) continue;
      for (const x of a) for (const y of b) this.cutLink(x, y);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  cutLinks(): string[] {
    return [...this.cut].sort();
  }
}
