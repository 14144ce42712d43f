// Seeded histories for testing the checker: a simulated correct run (what a faultless Shoal would let a
// workload record, unknown outcomes and keyed retries included), and single mutations of it, each of
// which a correct checker must name.

import { SeededRandom } from '../../broker/raft/random.js';
import { AnomalyName } from './checker_anomalies.js';
import { AppendOp, Delivery, History, ReplicaRead } from './history.js';

export const REPLICAS = ['dn1', 'dn2', 'dn3'];

export interface GenerateOptions {
  appends: number;
  /** Tables t1.. ; every third one (t3, t6, ...) is keyed. */
  tables: number;
}

interface SimTable {
  name: string;
  keyed: boolean;
  rows: string[]; // index = offset
  /** The outcome of each applied op, so a later retry can report it as repeated. */
  applied: Array<{ op: AppendOp; firstOffset: number; rowsWritten: number }>;
  unknownOps: AppendOp[];
}

/** A history of a correct run: every anomaly count must be zero. */
export function generateCleanHistory(seed: number, o: GenerateOptions = { appends: 200, tables: 3 }): History {
  const rng = new SeededRandom(seed);
  let clock = 0;
  const tick = (): number => (clock += 1 + rng.intBelow(20));
  const tables: SimTable[] = Array.from({ length: o.tables }, (_, i) => ({ name: `t${i + 1}`, keyed: (i + 1) % 3 === 0, rows: [], applied: [], unknownOps: [] }));
  const appends: AppendOp[] = [];
  const batches = new Map<string, number>();

  const apply = (t: SimTable, op: AppendOp): { firstOffset: number; rowsWritten: number } => {
    const firstOffset = t.rows.length;
    const written = t.keyed ? op.ids.filter((id) => !t.rows.includes(id)) : op.ids;
    t.rows.push(...written);
    const outcome = { firstOffset, rowsWritten: written.length };
    t.applied.push({ op, ...outcome });
    return outcome;
  };

  for (let n = 0; n < o.appends; n++) {
    const t = rng.pick(tables);
    const process = `p${1 + rng.intBelow(4)}`;
    const batch = batches.get(process) ?? 0;
    batches.set(process, batch + 1);
    const ids = Array.from({ length: 1 + rng.intBelow(5) }, (_, i) => `${process}-${batch}-${i}`);
    const earlier = t.unknownOps.length > 0 && rng.chance(0.25) ? rng.pick(t.unknownOps) : undefined;
    const invokedAtMs = tick();
    const op: AppendOp = { kind: 'append', process, table: t.name, ids, invokedAtMs, completedAtMs: 0, outcome: 'ok' };
    const wasApplied = earlier && t.applied.find((a) => a.op === earlier);
    if (earlier && wasApplied && rng.chance(0.5)) {
      // The producer's retry of an append that had been applied: the idempotent reply names the original outcome.
      op.ids = earlier.ids;
      op.firstOffset = wasApplied.firstOffset;
      op.rowsWritten = wasApplied.rowsWritten;
      op.repeated = true;
    } else if (earlier && t.keyed) {
      // A keyed table may take the same ids again, with new ones: the present ones are dropped.
      op.ids = [...earlier.ids, ...ids];
      Object.assign(op, apply(t, op));
    } else {
      const roll = rng.intBelow(10);
      if (roll < 7) Object.assign(op, apply(t, op));
      else if (roll < 8) {
        op.outcome = 'fail';
        op.error = '<Busy> the group is busy: retry later';
      } else {
        op.outcome = 'unknown';
        op.error = '<OutcomeUnknown> the connection closed before the reply';
        t.unknownOps.push(op);
        if (rng.chance(0.5)) apply(t, op);
      }
    }
    op.completedAtMs = tick();
    appends.push(op);
  }

  const subscribers: History['subscribers'] = [];
  const deliveries: Delivery[] = [];
  const finalReads: ReplicaRead[] = [];
  for (const t of tables) {
    const count = 1 + rng.intBelow(2);
    for (let s = 0; s < count; s++) {
      const subscriber = `s${subscribers.length + 1}`;
      const startOffset = rng.chance(0.5) ? 0 : rng.intBelow(t.rows.length + 1);
      subscribers.push({ subscriber, table: t.name, startOffset, persistOffset: rng.chance(0.5) });
      // Stops anywhere from before its first row to the end of the table.
      const stop = startOffset + rng.intBelow(t.rows.length - startOffset + 1);
      let at = rng.intBelow(50);
      for (let offset = startOffset; offset < stop; offset++) deliveries.push({ subscriber, table: t.name, offset, id: t.rows[offset]!, atMs: (at += 1 + rng.intBelow(5)) });
    }
    const purgeAll = rng.chance(0.2);
    for (const node of REPLICAS) {
      // Now and then a replica purged older rows (and says so); sometimes every replica did.
      const firstOffset = (purgeAll || rng.chance(0.15)) && t.rows.length > 0 ? rng.intBelow(Math.ceil(t.rows.length / 3)) : 0;
      const rows = t.rows.slice(firstOffset).map((id, i) => ({ offset: firstOffset + i, id }));
      finalReads.push(firstOffset > 0 ? { node, table: t.name, rows, firstOffset } : { node, table: t.name, rows });
    }
  }
  return {
    seed,
    tables: tables.map((t) => ({ name: t.name, keyed: t.keyed, replicas: REPLICAS })),
    appends,
    subscribers,
    deliveries,
    finalReads,
    faults: [{ atMs: 100, what: 'kill -9 dn2' }, { atMs: 900, what: 'heal' }],
  };
}

/** One seeded change to a clean history, the anomalies it must produce, and what it did (for messages). */
export interface Mutation {
  history: History;
  what: string;
  /** Exactly these anomalies, or (when `atLeast`) at least these. */
  expect: AnomalyName[];
  atLeast?: boolean;
}

export type Mutator = (h: History, rng: SeededRandom) => Mutation | undefined;

/** Deletes one row from one replica at an offset some other replica also retains. */
export const dropRowFromReplica: Mutator = (h, rng) => {
  const candidates = h.finalReads.filter((r) => r.rows.length > 0);
  if (candidates.length === 0) return undefined;
  const read = rng.pick(candidates);
  const others = h.finalReads.filter((r) => r.table === read.table && r !== read);
  const i = rng.intBelow(read.rows.length);
  const row = read.rows[i]!;
  if (!others.some((r) => r.rows.some((x) => x.offset === row.offset))) return undefined;
  read.rows.splice(i, 1);
  return { history: h, what: `dropped ${row.id}@${row.offset} of ${read.table} from ${read.node}`, expect: ['replica-divergence'] };
};

/** Swaps two deliveries of one subscriber. */
export const swapDeliveries: Mutator = (h, rng) => {
  const busy = h.subscribers.filter((s) => h.deliveries.filter((d) => d.subscriber === s.subscriber).length >= 2);
  if (busy.length === 0) return undefined;
  const s = rng.pick(busy);
  const positions = h.deliveries.flatMap((d, i) => (d.subscriber === s.subscriber ? [i] : []));
  const a = rng.intBelow(positions.length - 1);
  const b = a + 1 + rng.intBelow(positions.length - a - 1);
  const [i, j] = [positions[a]!, positions[b]!];
  [h.deliveries[i], h.deliveries[j]] = [h.deliveries[j]!, h.deliveries[i]!];
  return { history: h, what: `swapped ${s.subscriber}'s deliveries of offsets ${h.deliveries[j]!.offset} and ${h.deliveries[i]!.offset}`, expect: ['subscription-out-of-order'] };
};

/** Writes a row that is already in the table once more, at the end of every replica. */
export const duplicateRow: Mutator = (h, rng) => {
  const table = rng.pick(h.tables).name;
  const reads = h.finalReads.filter((r) => r.table === table);
  const rows = reads.flatMap((r) => r.rows);
  if (rows.length === 0) return undefined;
  const id = rng.pick(rows).id;
  appendToEveryReplica(reads, id);
  return { history: h, what: `wrote ${id} of ${table} again at its end`, expect: ['duplicate'] };
};

/** Moves the acknowledged firstOffset of an ok append that wrote rows. */
export const changeAckOffset: Mutator = (h, rng) => {
  const starts = retainedStarts(h);
  const ops = h.appends.filter((a) => a.outcome === 'ok' && (a.rowsWritten ?? 0) > 0 && a.firstOffset! - 1 >= (starts.get(a.table) ?? 0));
  if (ops.length === 0) return undefined;
  const op = rng.pick(ops);
  const before = op.firstOffset!;
  op.firstOffset = before + (rng.chance(0.5) ? 1 : -1);
  return { history: h, what: `acknowledged ${op.process}'s append to ${op.table} at ${op.firstOffset} instead of ${before}`, expect: ['wrong-ack-offset'] };
};

/** Writes an id no append carried at the end of every replica of a table. */
export const addUnknownId: Mutator = (h, rng) => {
  const table = rng.pick(h.tables).name;
  appendToEveryReplica(h.finalReads.filter((r) => r.table === table), 'nobody-wrote-this');
  return { history: h, what: `wrote nobody-wrote-this at the end of ${table}`, expect: ['unexpected-row'] };
};

/** Cuts every replica of a table from the first offset of an acknowledged append on (and what subscribers saw there). */
export const truncateAcked: Mutator = (h, rng) => {
  const starts = retainedStarts(h);
  const ops = h.appends.filter((a) => a.outcome === 'ok' && (a.rowsWritten ?? 0) > 0 && a.firstOffset! >= (starts.get(a.table) ?? 0));
  if (ops.length === 0) return undefined;
  const op = rng.pick(ops);
  const from = op.firstOffset!;
  for (const r of h.finalReads) if (r.table === op.table) r.rows = r.rows.filter((x) => x.offset < from);
  h.deliveries = h.deliveries.filter((d) => d.table !== op.table || d.offset < from);
  return { history: h, what: `cut ${op.table} at offset ${from} on every replica`, expect: ['lost-write'] };
};

/** Makes a definitely failed append visible at the end of every replica. */
export const revealFailed: Mutator = (h, rng) => {
  const failed = h.appends.filter((a) => a.outcome === 'fail');
  if (failed.length === 0) return undefined;
  const op = rng.pick(failed);
  for (const id of op.ids) appendToEveryReplica(h.finalReads.filter((r) => r.table === op.table), id);
  return { history: h, what: `wrote failed append ${op.ids.join(',')} into ${op.table}`, expect: ['phantom-write'] };
};

export const MUTATORS: Record<string, Mutator> = { dropRowFromReplica, swapDeliveries, duplicateRow, changeAckOffset, addUnknownId, truncateAcked, revealFailed };

function appendToEveryReplica(reads: ReplicaRead[], id: string): void {
  const end = Math.max(-1, ...reads.flatMap((r) => r.rows.map((x) => x.offset))) + 1;
  for (const r of reads) r.rows.push({ offset: end, id });
}

/** The oldest offset some replica of each table retains. */
function retainedStarts(h: History): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of h.finalReads) out.set(r.table, Math.min(out.get(r.table) ?? Infinity, r.firstOffset ?? 0));
  return out;
}
