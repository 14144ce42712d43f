// The final state of each table, as the checker sees it: every replica's read, and the table they
// agree on (at each offset the id most replicas hold). Also the judgements that need only the
// replicas: duplicates, replicas that disagree at an offset, and replicas that differ from the agreed
// table (the final comparison).

import { AnomalyTally } from './checker_anomalies.js';
import { MalformedHistoryError } from './checker_error.js';
import { ReplicaRead } from './history.js';

/** One replica's final read, indexed. */
export interface ReplicaView {
  node: string;
  /** Oldest offset it retains: its read's firstOffset (0 unless it says it purged), or its first row if lower. */
  firstOffset: number;
  /** Highest offset it holds, -1 when it holds none. */
  lastOffset: number;
  idAt: Map<number, string>;
}

/** What the replicas of one table agree on. */
export interface AgreedTable {
  table: string;
  /** Sorted by node name, so ties and examples come out the same on every run. */
  replicas: ReplicaView[];
  /** Oldest offset some replica retains: rows below were purged everywhere and are not judged. */
  retainedStart: number;
  /** One past the highest offset any replica holds. */
  end: number;
  /** At each offset, the id most replicas hold there (a tie goes to the first node by name). */
  idAt: Map<number, string>;
  /** Every offset of the agreed table holding each id, ascending. */
  offsetsOf: Map<string, number[]>;
}

/** Offsets where observers (replicas, subscribers) disagree, gathered so each counts once with all its witnesses. */
export class OffsetConflicts {
  private readonly byKey = new Map<string, { table: string; offset: number; witnesses: string[] }>();

  has(table: string, offset: number): boolean {
    return this.byKey.has(`${table}\u0000${offset}`);
  }

  add(table: string, offset: number, witness: string): void {
    const key = `${table}\u0000${offset}`;
    let c = this.byKey.get(key);
    if (c === undefined) {
      c = { table, offset, witnesses: [] };
      this.byKey.set(key, c);
    }
    if (!c.witnesses.includes(witness)) c.witnesses.push(witness);
  }

  /** One inconsistent-offsets occurrence per table and offset, in table then offset order. */
  report(tally: AnomalyTally): void {
    const all = [...this.byKey.values()].sort((a, b) => (a.table === b.table ? a.offset - b.offset : a.table < b.table ? -1 : 1));
    for (const c of all) tally.add('inconsistent-offsets', `${c.table} offset ${c.offset}: ${listSome(c.witnesses, 8)}`);
  }
}

/** Indexes one replica's read; an offset listed twice with two ids is a conflict within that replica. */
export function viewOf(read: ReplicaRead, conflicts: OffsetConflicts): ReplicaView {
  const idAt = new Map<number, string>();
  let lowest = Infinity;
  let lastOffset = -1;
  for (const row of read.rows) {
    if (!Number.isSafeInteger(row.offset) || row.offset < 0) {
      throw new MalformedHistoryError(`final read of ${read.table} on ${read.node} has offset ${row.offset}: record the offsets readTable returned (integers >= 0)`);
    }
    const before = idAt.get(row.offset);
    if (before !== undefined && before !== row.id) {
      conflicts.add(read.table, row.offset, `${read.node}=${before}`);
      conflicts.add(read.table, row.offset, `${read.node}=${row.id} (listed twice)`);
      continue;
    }
    idAt.set(row.offset, row.id);
    lowest = Math.min(lowest, row.offset);
    lastOffset = Math.max(lastOffset, row.offset);
  }
  const declared = read.firstOffset ?? 0;
  return { node: read.node, firstOffset: Math.min(declared, lowest), lastOffset, idAt };
}

/** The agreed table of `table` from its replicas' reads (at least one); records replicas that disagree at an offset. */
export function agreeTable(table: string, reads: ReplicaRead[], conflicts: OffsetConflicts): AgreedTable {
  const replicas = reads.map((r) => viewOf(r, conflicts)).sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  for (let i = 1; i < replicas.length; i++) {
    if (replicas[i]!.node === replicas[i - 1]!.node) {
      throw new MalformedHistoryError(`two final reads of ${table} on ${replicas[i]!.node}: record one read per table and replica`);
    }
  }
  const retainedStart = Math.min(...replicas.map((r) => r.firstOffset));
  const end = Math.max(...replicas.map((r) => r.lastOffset)) + 1;
  const idAt = new Map<number, string>();
  const offsetsOf = new Map<string, number[]>();
  for (let offset = retainedStart; offset < end; offset++) {
    const votes = new Map<string, number>();
    for (const r of replicas) {
      const id = r.idAt.get(offset);
      if (id !== undefined) votes.set(id, (votes.get(id) ?? 0) + 1);
    }
    if (votes.size === 0) continue;
    let chosen = '';
    let most = 0;
    for (const [id, n] of votes) {
      if (n > most) [chosen, most] = [id, n]; // Map order is first-seen, i.e. node order: a tie keeps the first node's id
    }
    if (votes.size > 1) {
      for (const r of replicas) conflicts.add(table, offset, `${r.node}=${r.idAt.get(offset) ?? '(none)'}`);
    }
    idAt.set(offset, chosen);
    const offsets = offsetsOf.get(chosen);
    if (offsets === undefined) offsetsOf.set(chosen, [offset]);
    else offsets.push(offset);
  }
  return { table, replicas, retainedStart, end, idAt, offsetsOf };
}

/** duplicate: an id at two or more offsets within one replica's read; one occurrence per table and id. */
export function reportDuplicates(t: AgreedTable, tally: AnomalyTally): void {
  const repeats = new Map<string, Map<string, number[]>>(); // id -> node -> its offsets there
  for (const r of t.replicas) {
    const firstAt = new Map<string, number>();
    for (const offset of [...r.idAt.keys()].sort((a, b) => a - b)) {
      const id = r.idAt.get(offset)!;
      const first = firstAt.get(id);
      if (first === undefined) {
        firstAt.set(id, offset);
        continue;
      }
      let nodes = repeats.get(id);
      if (nodes === undefined) repeats.set(id, (nodes = new Map()));
      const offsets = nodes.get(r.node) ?? [first];
      offsets.push(offset);
      nodes.set(r.node, offsets);
    }
  }
  for (const [id, nodes] of repeats) {
    const where = [...nodes].map(([node, offsets]) => `${node} at offsets ${offsets.join(', ')}`).join('; ');
    tally.add('duplicate', `${t.table} id ${id}: ${where}`);
  }
}

/**
 * replica-divergence: each replica must hold, from its own firstOffset, every row of the agreed table
 * with the same id, with no hole and nothing missing at the end. One occurrence per table and replica.
 */
export function reportDivergence(t: AgreedTable, tally: AnomalyTally): void {
  const agreedRange = t.end === 0 ? 'no rows' : `offsets ${t.retainedStart}..${t.end - 1}`;
  for (const r of t.replicas) {
    const holes: string[] = [];
    const differs: string[] = [];
    const missingAtEnd: string[] = [];
    for (let offset = r.firstOffset; offset < t.end; offset++) {
      const mine = r.idAt.get(offset);
      const agreed = t.idAt.get(offset);
      if (mine === undefined) {
        if (offset <= r.lastOffset) holes.push(`${offset} (${agreed ?? 'no replica holds it'})`);
        else if (agreed !== undefined) missingAtEnd.push(`${offset} (${agreed})`);
      } else if (agreed !== undefined && mine !== agreed) {
        differs.push(`${offset}: ${mine} instead of ${agreed}`);
      }
    }
    if (holes.length + differs.length + missingAtEnd.length === 0) continue;
    const held = r.lastOffset < 0 ? 'no rows' : `offsets ${r.firstOffset}..${r.lastOffset}`;
    const parts: string[] = [];
    if (missingAtEnd.length > 0) parts.push(`missing at the end ${missingAtEnd.length} row(s): ${listSome(missingAtEnd, 4)}`);
    if (holes.length > 0) parts.push(`${holes.length} hole(s): ${listSome(holes, 4)}`);
    if (differs.length > 0) parts.push(`${differs.length} different id(s): ${listSome(differs, 4)}`);
    tally.add('replica-divergence', `${t.table} on ${r.node}: holds ${held}, the replicas agree on ${agreedRange}; ${parts.join('; ')}`);
  }
}

/** The first `n` items, then how many more. */
export function listSome(items: string[], n: number): string {
  return items.length <= n ? items.join(', ') : `${items.slice(0, n).join(', ')} and ${items.length - n} more`;
}
