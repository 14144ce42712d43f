// What the crash-test writer process appends, known to both sides: the payload of (group, lsn) is
// a pure function of the pair, so the parent can check every recovered byte without being told
// what the child wrote. One writer per group; each writer numbers its records 1, 2, 3, ...

import { WalRecord } from '../../../broker/host/wal_records.js';
import { SeededRandom } from '../../../broker/raft/random.js';
import { entryRecord } from '../wal/wal_test_support.js';

export const MIN_PAYLOAD_BYTES = 100;
export const MAX_PAYLOAD_BYTES = 200 * 1024;

/**
 * Log-uniform between 100 B and 200 KiB: most records are small, and a few fill most of a
 * 256 KiB segment, so rollovers happen both between and inside group-commit batches.
 */
export function payloadBytesFor(group: number, lsn: number): number {
  const rng = new SeededRandom(group * 1_000_003 + lsn);
  const fraction = rng.intBelow(1 << 20) / (1 << 20);
  return Math.round(MIN_PAYLOAD_BYTES * Math.pow(MAX_PAYLOAD_BYTES / MIN_PAYLOAD_BYTES, fraction));
}

export function workloadRecord(group: number, lsn: number): WalRecord {
  return entryRecord(group, lsn, payloadBytesFor(group, lsn));
}

/** The line the child prints once the record is durable: `ack <group> <lsn>`. */
export function ackLine(group: number, lsn: number): string {
  return `ack ${group} ${lsn}\n`;
}

/** The line the child prints once it has recovered the log and before it appends anything. */
export function readyLine(recoveredEntries: number): string {
  return `ready ${recoveredEntries}\n`;
}
