// Judging what each subscriber was handed: offsets startOffset, startOffset+1, ... in order, no gap,
// no repeat, up to where it stopped; and each delivered id the one the table holds at that offset.

import { AnomalyTally } from './checker_anomalies.js';
import { MalformedHistoryError } from './checker_error.js';
import { AgreedTable, OffsetConflicts } from './checker_tables.js';
import { Delivery, History, SubscriberInfo } from './history.js';

/** Deliveries per subscriber, in the order they were recorded; rejects deliveries the history cannot explain. */
export function deliveriesBySubscriber(h: History): Map<string, { info: SubscriberInfo; deliveries: Delivery[] }> {
  const out = new Map<string, { info: SubscriberInfo; deliveries: Delivery[] }>();
  for (const info of h.subscribers) {
    if (out.has(info.subscriber)) throw new MalformedHistoryError(`subscriber ${info.subscriber} is declared twice: give each subscription its own name`);
    if (!Number.isSafeInteger(info.startOffset) || info.startOffset < 0) {
      throw new MalformedHistoryError(`subscriber ${info.subscriber} has startOffset ${info.startOffset}: record the offset of the first row it asked for (>= 0)`);
    }
    out.set(info.subscriber, { info, deliveries: [] });
  }
  for (const d of h.deliveries) {
    const s = out.get(d.subscriber);
    if (s === undefined) throw new MalformedHistoryError(`a delivery names subscriber ${d.subscriber}, which history.subscribers does not declare: record each subscriber before its rows`);
    if (d.table !== s.info.table) throw new MalformedHistoryError(`subscriber ${d.subscriber} follows ${s.info.table} but a delivery to it names ${d.table}: record the subscribed table`);
    if (!Number.isSafeInteger(d.offset) || d.offset < 0) throw new MalformedHistoryError(`subscriber ${d.subscriber} was handed offset ${d.offset}: record the row's offset (handlerNeedMsgId)`);
    s.deliveries.push(d);
  }
  return out;
}

/** subscription-gap, -repeat and -out-of-order for one subscriber. */
export function judgeOrder(info: SubscriberInfo, deliveries: Delivery[], tally: AnomalyTally): void {
  const who = `${info.subscriber} on ${info.table} (from offset ${info.startOffset})`;
  const first = new Map<number, Delivery>();
  let highest: Delivery | undefined;
  for (const d of deliveries) {
    const earlier = first.get(d.offset);
    if (earlier !== undefined) {
      tally.add('subscription-repeat', `${who}: offset ${d.offset} (${d.id}) at ${d.atMs}ms, already handed ${earlier.id} at ${earlier.atMs}ms`);
      continue;
    }
    first.set(d.offset, d);
    if (d.offset < info.startOffset) {
      tally.add('subscription-out-of-order', `${who}: offset ${d.offset} (${d.id}) at ${d.atMs}ms is below its startOffset`);
      continue;
    }
    if (highest !== undefined && d.offset < highest.offset) {
      tally.add('subscription-out-of-order', `${who}: offset ${d.offset} (${d.id}) at ${d.atMs}ms after offset ${highest.offset} (${highest.id}) at ${highest.atMs}ms`);
      continue;
    }
    highest = d;
  }
  if (highest === undefined) return;
  let gapStart = -1;
  for (let offset = info.startOffset; offset <= highest.offset + 1; offset++) {
    const present = offset > highest.offset || first.has(offset);
    if (!present && gapStart < 0) gapStart = offset;
    if (present && gapStart >= 0) {
      const before = first.get(gapStart - 1);
      const after = first.get(offset)!;
      const range = gapStart === offset - 1 ? `offset ${gapStart}` : `offsets ${gapStart}..${offset - 1}`;
      const context = `${before ? `after offset ${before.offset} at ${before.atMs}ms, ` : ''}next offset ${offset} at ${after.atMs}ms`;
      tally.add('subscription-gap', `${who}: ${range} never handed (${context})`);
      gapStart = -1;
    }
  }
}

/**
 * inconsistent-offsets from deliveries: an id handed at an offset must be the agreed table's id there;
 * where the final table has no row (past its end, or a hole) that is a disagreement too. Where no
 * replica retains the offset (purged, or no read of the table) subscribers must at least agree among
 * themselves.
 */
export function judgeDeliveredIds(h: History, agreed: Map<string, AgreedTable>, conflicts: OffsetConflicts): void {
  const unjudged = new Map<string, Delivery[]>(); // table \0 offset -> deliveries no replica can judge
  for (const d of h.deliveries) {
    const t = agreed.get(d.table);
    const witness = `${d.subscriber}=${d.id} (${d.atMs}ms)`;
    if (t === undefined || d.offset < t.retainedStart) {
      const key = `${d.table}\u0000${d.offset}`;
      const list = unjudged.get(key);
      if (list === undefined) unjudged.set(key, [d]);
      else list.push(d);
      continue;
    }
    const id = t.idAt.get(d.offset);
    if (id === d.id && !conflicts.has(d.table, d.offset)) continue;
    if (!conflicts.has(d.table, d.offset)) {
      for (const r of t.replicas) conflicts.add(d.table, d.offset, `${r.node}=${r.idAt.get(d.offset) ?? `(none; rows end at ${r.lastOffset})`}`);
    }
    conflicts.add(d.table, d.offset, witness);
  }
  for (const list of unjudged.values()) {
    if (new Set(list.map((d) => d.id)).size < 2) continue;
    for (const d of list) conflicts.add(d.table, d.offset, `${d.subscriber}=${d.id} (${d.atMs}ms)`);
  }
}

/** "s1=120, s2=98": rows handed per subscriber. */
export function deliveredCounts(bySubscriber: Map<string, { deliveries: Delivery[] }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, s] of bySubscriber) out[name] = s.deliveries.length;
  return out;
}
