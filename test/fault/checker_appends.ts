// Judging the appends against the agreed tables: every acknowledged row must be readable (lost-write)
// where the acknowledgement said (wrong-ack-offset), and every row in a table must come from an append
// that may have been applied (unexpected-row, phantom-write).

import { AnomalyTally } from './checker_anomalies.js';
import { AgreedTable, listSome } from './checker_tables.js';
import { AppendOp, History } from './history.js';

/** The appends that carried each id, per table. */
export type Carriers = Map<string, Map<string, AppendOp[]>>;

export function carriersOf(h: History): Carriers {
  const byTable: Carriers = new Map();
  for (const op of h.appends) {
    let ids = byTable.get(op.table);
    if (ids === undefined) byTable.set(op.table, (ids = new Map()));
    for (const id of op.ids) {
      const ops = ids.get(id);
      if (ops === undefined) ids.set(id, [op]);
      else ops.push(op);
    }
  }
  return byTable;
}

/** "append p2 [120..180ms] ok firstOffset 7 rowsWritten 3 repeated": an op as examples name it. */
export function describeOp(op: AppendOp): string {
  let s = `append by ${op.process} [${op.invokedAtMs}..${op.completedAtMs}ms] ${op.outcome}`;
  if (op.firstOffset !== undefined) s += ` firstOffset ${op.firstOffset}`;
  if (op.rowsWritten !== undefined) s += ` rowsWritten ${op.rowsWritten}`;
  if (op.repeated) s += ' repeated';
  if (op.error !== undefined) s += ` (${op.error})`;
  return s;
}

/** What the append checks could and could not judge, for the verdict's stats. */
export interface AppendJudgement {
  /** ok appends with some row nobody can verify any more (no replica read of the table, or purged everywhere). */
  okUnverifiable: number;
  /** unknown appends with at least one row in the final table, and with none. */
  unknownApplied: number;
  unknownNotApplied: number;
}

/** lost-write and wrong-ack-offset for every ok append, over the tables that have an agreed state. */
export function judgeAppends(h: History, agreed: Map<string, AgreedTable>, keyed: Set<string>, tally: AnomalyTally): AppendJudgement {
  const j: AppendJudgement = { okUnverifiable: 0, unknownApplied: 0, unknownNotApplied: 0 };
  for (const op of h.appends) {
    const t = agreed.get(op.table);
    if (op.outcome === 'unknown' && t !== undefined) {
      if (op.ids.some((id) => t.offsetsOf.has(id))) j.unknownApplied++;
      else j.unknownNotApplied++;
    }
    if (op.outcome !== 'ok') continue;
    if (t === undefined) {
      j.okUnverifiable++;
      continue;
    }
    const isKeyed = keyed.has(op.table);
    const { lost, unverifiable } = lostIds(op, t, isKeyed);
    if (unverifiable) j.okUnverifiable++;
    if (lost.length > 0) {
      const expected = op.firstOffset === undefined ? '' : isKeyed ? ` (acknowledged from offset ${op.firstOffset})` : ` (acknowledged at ${lost.map((id) => op.firstOffset! + op.ids.indexOf(id)).join(', ')})`;
      tally.add('lost-write', `${op.table}: ${describeOp(op)} of ${op.ids.length} row(s); not readable: ${listSome(lost, 6)}${expected}; ${rangeOf(t)}`);
    }
    const wrong = isKeyed ? keyedAckMismatch(op, t) : unkeyedAckMismatch(op, t);
    if (wrong !== undefined) tally.add('wrong-ack-offset', `${op.table}: ${describeOp(op)} ids [${listSome(op.ids, 6)}]: ${wrong}`);
  }
  return j;
}

/** The ids of an ok append that are nowhere in the agreed table, leaving out those that may have been purged. */
function lostIds(op: AppendOp, t: AgreedTable, isKeyed: boolean): { lost: string[]; unverifiable: boolean } {
  const lost: string[] = [];
  let unverifiable = false;
  op.ids.forEach((id, i) => {
    if (t.offsetsOf.has(id)) return;
    // Below retainedStart every replica purged: an unkeyed row acknowledged there cannot be checked, nor a
    // keyed row, which may have been dropped because the (now purged) earlier copy held its key.
    const mayBePurged = t.retainedStart > 0 && (isKeyed || op.firstOffset === undefined || op.firstOffset + i < t.retainedStart);
    if (mayBePurged) unverifiable = true;
    else lost.push(id);
  });
  return { lost, unverifiable };
}

/** Why an unkeyed table's ack is wrong, or undefined: rowsWritten = batch size, ids in order from firstOffset. */
function unkeyedAckMismatch(op: AppendOp, t: AgreedTable): string | undefined {
  if (op.firstOffset === undefined || op.rowsWritten === undefined) return 'the acknowledgement names no firstOffset/rowsWritten';
  if (op.rowsWritten !== op.ids.length) return `rowsWritten ${op.rowsWritten} for a batch of ${op.ids.length} rows in an unkeyed table`;
  return slotMismatch(op.firstOffset, op.ids, t);
}

/**
 * Why a keyed table's ack is wrong, or undefined: the ids not already present at an offset below
 * firstOffset are the rows written, rowsWritten of them, at firstOffset.. in batch order. An id that
 * is nowhere (lost-write's) may have been written or dropped, so with one the count is a range and
 * only the order of the others within the acknowledged offsets is checked.
 */
function keyedAckMismatch(op: AppendOp, t: AgreedTable): string | undefined {
  if (op.firstOffset === undefined || op.rowsWritten === undefined) return 'the acknowledgement names no firstOffset/rowsWritten';
  if (op.firstOffset < t.retainedStart) return undefined; // the earlier copies may be purged: not judged
  const first = op.firstOffset;
  const written = op.ids.filter((id) => (t.offsetsOf.get(id)?.[0] ?? -1) >= first);
  const missing = op.ids.filter((id) => !t.offsetsOf.has(id));
  if (written.length > op.rowsWritten || written.length + missing.length < op.rowsWritten) {
    const earlier = op.ids.filter((id) => (t.offsetsOf.get(id)?.[0] ?? Infinity) < first).map((id) => `${id}@${t.offsetsOf.get(id)![0]}`);
    const lost = missing.length > 0 ? `, ${missing.length} nowhere` : '';
    return `rowsWritten ${op.rowsWritten} but ${written.length} of its ids sit at or after offset ${first}${lost} (present earlier: ${earlier.length === 0 ? 'none' : listSome(earlier, 6)})`;
  }
  if (missing.length === 0) return slotMismatch(first, written, t);
  const end = first + op.rowsWritten;
  let previous = first - 1;
  for (const id of written) {
    const offset = t.offsetsOf.get(id)![0]!;
    if (offset >= end) return `${id} is at offset ${offset}, outside the acknowledged ${first}..${end - 1}`;
    if (offset <= previous) return `${id} is at offset ${offset}, not after the batch's previous row at ${previous}`;
    previous = offset;
  }
  return undefined;
}

/** Whether offsets first.. of the agreed table hold `ids` in order; a slot empty while its id is nowhere is lost-write's. */
function slotMismatch(first: number, ids: string[], t: AgreedTable): string | undefined {
  const bad: string[] = [];
  ids.forEach((id, i) => {
    const offset = first + i;
    if (offset < t.retainedStart) return;
    const actual = t.idAt.get(offset);
    if (actual === id) return;
    if (actual === undefined && !t.offsetsOf.has(id)) return;
    const elsewhere = t.offsetsOf.get(id);
    bad.push(`offset ${offset} holds ${actual ?? 'nothing'}, not ${id}${elsewhere ? ` (which is at ${elsewhere.join(', ')})` : ''}`);
  });
  return bad.length === 0 ? undefined : listSome(bad, 4);
}

/**
 * unexpected-row and phantom-write: every id seen in a table (any replica, any delivery) must have
 * been carried by an append to that table that was ok or unknown. One occurrence per table and id.
 */
export function judgeOrigins(h: History, carriers: Carriers, tally: AnomalyTally): void {
  const seen = new Map<string, Map<string, string[]>>(); // table -> id -> where
  const note = (table: string, id: string, where: string): void => {
    let ids = seen.get(table);
    if (ids === undefined) seen.set(table, (ids = new Map()));
    const w = ids.get(id);
    if (w === undefined) ids.set(id, [where]);
    else if (w.length < 6) w.push(where);
  };
  for (const r of h.finalReads) for (const row of r.rows) note(r.table, row.id, `${r.node}@${row.offset}`);
  for (const d of h.deliveries) note(d.table, d.id, `${d.subscriber}@${d.offset} (${d.atMs}ms)`);
  for (const [table, ids] of seen) {
    const mine = carriers.get(table);
    for (const [id, where] of ids) {
      const ops = mine?.get(id);
      if (ops === undefined) {
        const other = [...carriers].filter(([t, m]) => t !== table && m.has(id)).map(([t]) => t);
        const hint = other.length > 0 ? ` (appended to ${other.join(', ')} instead)` : '';
        tally.add('unexpected-row', `${table} id ${id} at ${where.join(', ')}: no append to ${table} carried it${hint}`);
      } else if (ops.every((op) => op.outcome === 'fail')) {
        tally.add('phantom-write', `${table} id ${id} at ${where.join(', ')}: carried only by ${ops.map(describeOp).join('; ')}`);
      }
    }
  }
}

function rangeOf(t: AgreedTable): string {
  const nodes = t.replicas.map((r) => r.node).join(', ');
  return t.end === 0 ? `${nodes} hold no rows` : `${nodes} agree on offsets ${t.retainedStart}..${t.end - 1}`;
}
