// The history checker of the fault suite: reads what a run recorded (history.ts) and names every
// anomaly a log must never show -- Jepsen's lost write, duplicate, inconsistent offsets, skipping or
// non-monotonic subscription, plus rows nobody wrote and replicas that differ at the end. Pure: no
// clock, no I/O; the same history always gives the same verdict. Definitions: checker_anomalies.ts.

import { ANOMALY_DEFINITIONS, ANOMALY_NAMES, Anomaly, AnomalyTally } from './checker_anomalies.js';
import { carriersOf, judgeAppends, judgeOrigins } from './checker_appends.js';
import { MalformedHistoryError } from './checker_error.js';
import { deliveredCounts, deliveriesBySubscriber, judgeDeliveredIds, judgeOrder } from './checker_subscriptions.js';
import { AgreedTable, OffsetConflicts, agreeTable, reportDivergence, reportDuplicates } from './checker_tables.js';
import { History, Outcome, ReplicaRead } from './history.js';

export { ANOMALY_DEFINITIONS, ANOMALY_NAMES, MalformedHistoryError };
export type { Anomaly, AnomalyName } from './checker_anomalies.js';

export interface VerdictStats {
  appends: Record<Outcome, number>;
  /** unknown appends with some row in the final table, and with none (tables without a final read excluded). */
  unknownApplied: number;
  unknownNotApplied: number;
  /** Rows of ok appends (batch sizes, keyed drops included). */
  rowsAcked: number;
  /** ok appends the checker could not fully verify: no final read of their table, or rows purged on every replica. */
  okUnverifiable: number;
  /** Rows handed to each subscriber. */
  rowsDelivered: Record<string, number>;
  tables: number;
  keyedTables: number;
  /** Tables that appear in appends, subscriptions or reads but not in history.tables (judged as unkeyed). */
  undeclaredTables: string[];
  /** Final replica reads compared. */
  replicasCompared: number;
  /** Rows of each table's agreed final state. */
  finalRows: Record<string, number>;
  faults: number;
}

export interface Verdict {
  ok: boolean;
  seed: number;
  /** Only the anomalies seen, in ANOMALY_NAMES order; empty when ok. */
  anomalies: Anomaly[];
  stats: VerdictStats;
}

/**
 * Judges a recorded run. Throws MalformedHistoryError only when the history contradicts its own
 * format (a recording bug); everything Shoal could have done wrong is an anomaly in the verdict.
 */
export function checkHistory(h: History): Verdict {
  const tally = new AnomalyTally();
  const { names, keyed, undeclared } = tablesOf(h);
  const readsOf = groupReads(h.finalReads);
  const conflicts = new OffsetConflicts();

  const agreed = new Map<string, AgreedTable>();
  for (const table of names) {
    const reads = readsOf.get(table) ?? [];
    reportMissingReads(h, table, reads, tally);
    if (reads.length === 0) continue;
    const t = agreeTable(table, reads, conflicts);
    agreed.set(table, t);
    reportDuplicates(t, tally);
    reportDivergence(t, tally);
  }

  const appendJudgement = judgeAppends(h, agreed, keyed, tally);
  judgeOrigins(h, carriersOf(h), tally);

  const bySubscriber = deliveriesBySubscriber(h);
  for (const { info, deliveries } of bySubscriber.values()) judgeOrder(info, deliveries, tally);
  judgeDeliveredIds(h, agreed, conflicts);
  conflicts.report(tally);

  const appends: Record<Outcome, number> = { ok: 0, fail: 0, unknown: 0 };
  let rowsAcked = 0;
  for (const op of h.appends) {
    appends[op.outcome]++;
    if (op.outcome === 'ok') rowsAcked += op.ids.length;
  }
  const finalRows: Record<string, number> = {};
  for (const [name, t] of agreed) finalRows[name] = t.idAt.size;
  const anomalies = tally.list();
  return {
    ok: anomalies.length === 0,
    seed: h.seed,
    anomalies,
    stats: {
      appends,
      ...appendJudgement,
      rowsAcked,
      rowsDelivered: deliveredCounts(bySubscriber),
      tables: names.length,
      keyedTables: keyed.size,
      undeclaredTables: undeclared,
      replicasCompared: h.finalReads.length,
      finalRows,
      faults: h.faults.length,
    },
  };
}

/** Every table the history mentions, declared ones first, and which are keyed. */
function tablesOf(h: History): { names: string[]; keyed: Set<string>; undeclared: string[] } {
  const names: string[] = [];
  const keyed = new Set<string>();
  for (const t of h.tables) {
    if (names.includes(t.name)) throw new MalformedHistoryError(`table ${t.name} is declared twice in history.tables: declare each table once`);
    names.push(t.name);
    if (t.keyed) keyed.add(t.name);
  }
  const undeclared: string[] = [];
  const known = new Set(names);
  const mentioned = [...h.appends.map((a) => a.table), ...h.subscribers.map((s) => s.table), ...h.finalReads.map((r) => r.table)];
  for (const name of mentioned) {
    if (known.has(name)) continue;
    known.add(name);
    names.push(name);
    undeclared.push(name);
  }
  return { names, keyed, undeclared };
}

function groupReads(reads: ReplicaRead[]): Map<string, ReplicaRead[]> {
  const out = new Map<string, ReplicaRead[]>();
  for (const r of reads) {
    const list = out.get(r.table);
    if (list === undefined) out.set(r.table, [r]);
    else list.push(r);
  }
  return out;
}

/** missing-replica-read: no final read of the table at all, or none from a node its TableInfo lists. */
function reportMissingReads(h: History, table: string, reads: ReplicaRead[], tally: AnomalyTally): void {
  if (reads.length === 0) {
    const ok = h.appends.filter((a) => a.table === table && a.outcome === 'ok');
    const delivered = h.deliveries.filter((d) => d.table === table).length;
    tally.add('missing-replica-read', `${table}: no final read on any replica; ${ok.length} ok append(s) (${ok.reduce((n, a) => n + a.ids.length, 0)} rows) and ${delivered} deliveries unverified`);
    return;
  }
  const expected = h.tables.find((t) => t.name === table)?.replicas ?? [];
  for (const node of expected) {
    if (!reads.some((r) => r.node === node)) {
      tally.add('missing-replica-read', `${table}: no final read on ${node} (read on ${reads.map((r) => r.node).join(', ')})`);
    }
  }
}

/** A per-anomaly table (every name, its count, the first examples of those seen), then the stats. */
export function formatVerdict(v: Verdict): string {
  const lines: string[] = [];
  const total = v.anomalies.reduce((n, a) => n + a.count, 0);
  lines.push(v.ok ? `verdict: clean (seed ${v.seed})` : `verdict: ${total} anomal${total === 1 ? 'y' : 'ies'} of ${v.anomalies.length} kind(s) (seed ${v.seed})`);
  const width = Math.max(...ANOMALY_NAMES.map((n) => n.length));
  for (const name of ANOMALY_NAMES) {
    const a = v.anomalies.find((x) => x.name === name);
    lines.push(`  ${name.padEnd(width)}  ${a === undefined ? 'clean' : String(a.count)}`);
    if (a === undefined) continue;
    for (const e of a.examples) lines.push(`      - ${e}`);
    if (a.count > a.examples.length) lines.push(`      ... and ${a.count - a.examples.length} more`);
  }
  const s = v.stats;
  const delivered = Object.entries(s.rowsDelivered).map(([k, n]) => `${k}=${n}`).join(' ') || 'none';
  lines.push(
    `  appends: ok ${s.appends.ok}, fail ${s.appends.fail}, unknown ${s.appends.unknown} (${s.unknownApplied} applied, ${s.unknownNotApplied} not); ` +
      `rows acked ${s.rowsAcked}; ok appends not fully verifiable ${s.okUnverifiable}`,
  );
  lines.push(`  rows delivered: ${delivered}`);
  lines.push(
    `  tables ${s.tables} (${s.keyedTables} keyed${s.undeclaredTables.length > 0 ? `; undeclared: ${s.undeclaredTables.join(', ')}` : ''}); ` +
      `replica reads compared ${s.replicasCompared}; faults ${s.faults}`,
  );
  return lines.join('\n');
}
