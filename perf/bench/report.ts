// The benchmark's tables, in seed 003's columns plus write latency.

import { TimedWriteOutcome } from './shoal_writer.js';
import type { SubscriberOutcome } from './subscriber_phase.js';
import { WriteCase, WriteOutcome } from './write_case.js';

export interface WriteRow {
  case: WriteCase;
  ha: TimedWriteOutcome;
  regular: TimedWriteOutcome;
}

const HEADER = ['cols', 'records', 'threads', 'batch', 'writes/thread', 'HA ms', 'HA rows/s', 'HA p50 ms', 'HA p99 ms',
  'regular ms', 'regular rows/s', 'reg p50 ms', 'reg p99 ms', 'HA/regular'];

export function formatWriteTable(rows: WriteRow[], withHeader: boolean): string {
  const lines = rows.map((r) => [
    String(r.case.columns), int(r.ha.rows), String(r.case.writers), int(r.case.batchRows), int(r.ha.writesPerWriter),
    int(r.ha.elapsedMs), int(r.ha.rowsPerSec), ms(r.ha.latencyMsP50), ms(r.ha.latencyMsP99),
    int(r.regular.elapsedMs), int(r.regular.rowsPerSec), ms(r.regular.latencyMsP50), ms(r.regular.latencyMsP99),
    `${((r.ha.rowsPerSec / r.regular.rowsPerSec) * 100).toFixed(1)}%`,
  ]);
  return table(withHeader ? [HEADER, ...lines] : lines);
}

const PEER_HEADER = ['cols', 'threads', 'batch', 'Shoal HA rows/s', 'Shoal p50 ms', 'NATS msg/row rows/s', 'p50 ms', 'NATS msg/batch rows/s', 'p50 ms', 'Shoal/NATS best'];

export function formatPeerTable(rows: Array<{ case: WriteCase; shoal: WriteOutcome; natsRows: WriteOutcome; natsBatch: WriteOutcome }>, withHeader: boolean): string {
  const lines = rows.map((r) => [
    String(r.case.columns), String(r.case.writers), int(r.case.batchRows),
    int(r.shoal.rowsPerSec), ms(r.shoal.latencyMsP50), int(r.natsRows.rowsPerSec), ms(r.natsRows.latencyMsP50),
    int(r.natsBatch.rowsPerSec), ms(r.natsBatch.latencyMsP50),
    `${(r.shoal.rowsPerSec / Math.max(r.natsRows.rowsPerSec, r.natsBatch.rowsPerSec)).toFixed(2)}x`,
  ]);
  return table(withHeader ? [PEER_HEADER, ...lines] : lines, PEER_HEADER);
}

const SUB_HEADER = ['subscribers', 'rows written', 'written rows/s', 'delivered rows/s (each)', 'max lag rows', 'drain ms', 'kept up'];

export function formatSubscriberTable(rows: SubscriberOutcome[]): string {
  const lines = rows.map((r) => [
    String(r.subscribers), int(r.rowsWritten), int(r.writeRowsPerSec), r.deliveredRowsPerSec.map(int).join(' / '),
    int(r.maxLagRows), int(r.drainMs), r.keptUp ? 'yes' : 'NO',
  ]);
  return table([SUB_HEADER, ...lines], SUB_HEADER);
}

export function table(lines: string[][], header = HEADER): string {
  return lines.map((cells) => cells.map((c, i) => (i === 0 ? c.padEnd(Math.max(5, header[0]!.length)) : c.padStart(Math.max(header[i]?.length ?? 8, 8)))).join(' ')).join('\n');
}

export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function ms(n: number): string {
  return n.toFixed(2);
}
