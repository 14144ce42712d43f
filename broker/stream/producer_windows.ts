// Exactly-once appends: per table, what each producer's recent appends did. A producer stamps each
// append with its id and a sequence number and retries it with the same pair; the replicated apply
// asks verdict() first, so a retry that reaches a new leader after a failover is answered with the
// original outcome instead of writing the rows twice. Decided in apply, from replicated state only,
// so every replica (and a restarted one, which loads the same records) decides the same way.
//
// Bounds (docs/protocol.md, "Exactly-once appends"): per producer, the sequences in the window
// highest-1023..highest; per table, the 1,024 producers whose last append is newest.

import { producerRange, producerSequenceKey } from '../../storage/state/keys.js';
import { StateOp } from '../../storage/state/state_store.js';
import { ProducerOutcome, encodeProducerOutcome } from '../../storage/state/values.js';

export const PRODUCER_WINDOW_SEQUENCES = 1024;
export const MAX_PRODUCERS_PER_TABLE = 1024;

export type ProducerVerdict =
  | { kind: 'new' }
  | { kind: 'repeat'; outcome: ProducerOutcome }
  /** Below the window: nothing is known about it any more, so it must not be applied. */
  | { kind: 'tooOld'; highest: number };

/** One producer's remembered sequences, ascending, with their outcomes. */
export class ProducerHistory {
  readonly sequences: number[] = [];
  readonly outcomes: ProducerOutcome[] = [];
  /** LSN of its newest append: which producer a full table forgets first. */
  lastLsn = 0;

  get highest(): number {
    return this.sequences.length === 0 ? 0 : this.sequences[this.sequences.length - 1]!;
  }

  /** Index of `sequence`, or -(insertion point) - 1 when absent. */
  indexOf(sequence: number): number {
    let lo = 0;
    let hi = this.sequences.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.sequences[mid]!;
      if (s === sequence) return mid;
      if (s < sequence) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  /** Adds an outcome loaded from the store (keys come in ascending sequence order). */
  load(sequence: number, outcome: ProducerOutcome): void {
    this.sequences.push(sequence);
    this.outcomes.push(outcome);
    this.lastLsn = Math.max(this.lastLsn, outcome.lsn);
  }
}

export class ProducerWindows {
  constructor(
    private readonly group: number,
    private readonly generation: number,
    private readonly table: string,
    private readonly producers: Map<string, ProducerHistory> = new Map(),
  ) {}

  get producerCount(): number {
    return this.producers.size;
  }

  verdict(producer: string, sequence: number): ProducerVerdict {
    const history = this.producers.get(producer);
    if (history === undefined) return { kind: 'new' };
    const highest = history.highest;
    if (sequence <= highest - PRODUCER_WINDOW_SEQUENCES) return { kind: 'tooOld', highest };
    const at = history.indexOf(sequence);
    return at >= 0 ? { kind: 'repeat', outcome: history.outcomes[at]! } : { kind: 'new' };
  }

  /** Records an applied append (its verdict was 'new'), forgetting what falls out of the bounds. */
  record(producer: string, sequence: number, outcome: ProducerOutcome, ops: StateOp[]): void {
    let history = this.producers.get(producer);
    if (history === undefined) {
      if (this.producers.size >= MAX_PRODUCERS_PER_TABLE) this.forgetOldestProducer(ops);
      history = new ProducerHistory();
      this.producers.set(producer, history);
    }
    const at = history.indexOf(sequence);
    const insertAt = at >= 0 ? at : -at - 1;
    history.sequences.splice(insertAt, at >= 0 ? 1 : 0, sequence);
    history.outcomes.splice(insertAt, at >= 0 ? 1 : 0, outcome);
    history.lastLsn = outcome.lsn;
    ops.push({ op: 'put', key: producerSequenceKey(this.group, this.generation, this.table, producer, sequence), value: encodeProducerOutcome(outcome) });
    const floor = history.highest - PRODUCER_WINDOW_SEQUENCES;
    let drop = 0;
    while (drop < history.sequences.length && history.sequences[drop]! <= floor) {
      ops.push({ op: 'del', key: producerSequenceKey(this.group, this.generation, this.table, producer, history.sequences[drop]!) });
      drop++;
    }
    if (drop > 0) {
      history.sequences.splice(0, drop);
      history.outcomes.splice(0, drop);
    }
  }

  /** The producer whose last append is oldest (LSNs are unique, so every replica picks the same one). */
  private forgetOldestProducer(ops: StateOp[]): void {
    let oldest: string | undefined;
    let oldestLsn = Infinity;
    for (const [id, h] of this.producers) {
      if (h.lastLsn < oldestLsn) {
        oldest = id;
        oldestLsn = h.lastLsn;
      }
    }
    if (oldest === undefined) return;
    this.producers.delete(oldest);
    const range = producerRange(this.group, this.generation, this.table, oldest);
    ops.push({ op: 'delRange', gte: range.gte, lt: range.lt });
  }
}
