// The anomalies the history checker names, what each one means, and the tally it keeps of them while
// it reads a history: every occurrence is counted, the first few are kept as readable examples.

/** Every anomaly name, in the order a verdict lists them. */
export const ANOMALY_NAMES = [
  'lost-write',
  'duplicate',
  'wrong-ack-offset',
  'inconsistent-offsets',
  'subscription-gap',
  'subscription-repeat',
  'subscription-out-of-order',
  'unexpected-row',
  'phantom-write',
  'replica-divergence',
  'missing-replica-read',
] as const;

export type AnomalyName = (typeof ANOMALY_NAMES)[number];

/**
 * One sentence per anomaly: what it means and what one occurrence (the unit of `count`) is. The same
 * text goes into docs/testing.md, so a reader of a verdict and of the docs sees one definition.
 */
export const ANOMALY_DEFINITIONS: Record<AnomalyName, string> = {
  'lost-write':
    'an ok append with an id that is nowhere in the final agreed table (a keyed table may drop a row as a duplicate key only when that id is present elsewhere in the table); a row that may lie below the oldest offset any replica retains (purged on every replica; for a keyed table, any missing row once some offsets were purged everywhere) is not judged but counted in stats.okUnverifiable. One per append.',
  duplicate:
    'one id at two or more offsets of one table in one replica\'s final read (an unknown append may or may not appear, but at most once). One per table and id.',
  'wrong-ack-offset':
    'an ok append whose acknowledgement does not match the table: unkeyed, rowsWritten must equal the batch size and offsets firstOffset.. must hold its ids in batch order; keyed, the ids not already present at an offset below firstOffset must be exactly rowsWritten and sit at firstOffset.. in batch order; also an ok without firstOffset/rowsWritten. A slot that is empty while its id is nowhere is left to lost-write. One per append.',
  'inconsistent-offsets':
    'two observers disagree on the id at one offset of one table: two replicas that both retain it, a replica read listing the offset twice, or a subscriber delivery that differs from the agreed table (or from another subscriber where no replica retains the offset, or lands where the final table has no row). One per table and offset.',
  'subscription-gap':
    'a subscriber skipped offsets: between its startOffset and the highest offset it was handed, a range of offsets it never received. One per missing range.',
  'subscription-repeat':
    'a subscriber was handed an offset it had already received. One per repeated delivery.',
  'subscription-out-of-order':
    'a subscriber was handed an offset below one it had already received (not a repeat), or below its startOffset. One per such delivery.',
  'unexpected-row':
    'an id in a table (a replica\'s final read or a delivery) that no append to that table ever carried, whatever its outcome. One per table and id.',
  'phantom-write':
    'an id in a table whose only carriers are appends that failed definitely (outcome fail): a refusal must not become visible. One per table and id.',
  'replica-divergence':
    'the final comparison: a replica that differs from the table the replicas agree on over its retained range (from its firstOffset, 0 unless its read says it purged older rows): a different id, a hole, or rows missing at the end. One per table and replica.',
  'missing-replica-read':
    'a table with no final read at all, or a node listed in its TableInfo.replicas without one: the run could not verify it. One per table, or per table and missing node.',
};

/** How many examples a verdict keeps per anomaly. */
export const MAX_EXAMPLES_PER_ANOMALY = 5;

export interface Anomaly {
  name: AnomalyName;
  count: number;
  /** The first few occurrences, each naming the table, offsets, ids, replicas, subscriber and op times involved. */
  examples: string[];
}

/** Counts occurrences per anomaly and keeps the first examples of each. */
export class AnomalyTally {
  private readonly byName = new Map<AnomalyName, Anomaly>();

  add(name: AnomalyName, example: string): void {
    let a = this.byName.get(name);
    if (a === undefined) {
      a = { name, count: 0, examples: [] };
      this.byName.set(name, a);
    }
    a.count++;
    if (a.examples.length < MAX_EXAMPLES_PER_ANOMALY) a.examples.push(example);
  }

  /** The anomalies seen, in ANOMALY_NAMES order. */
  list(): Anomaly[] {
    return ANOMALY_NAMES.flatMap((n) => {
      const a = this.byName.get(n);
      return a === undefined ? [] : [a];
    });
  }
}
