// Shared helpers for the WAL tests: records with recognisable payloads and promise wrappers.

import { WalRecord } from '../../../broker/host/wal_records.js';
import { WriteAheadLog } from '../../../storage/wal/write_ahead_log.js';

/** An entries record of one entry whose payload encodes (group, lsn) and has `bytes` bytes. */
export function entryRecord(group: number, lsn: number, bytes = 24, term = 1): WalRecord {
  return { kind: 'entries', group, entries: [{ term, index: lsn, type: 0, data: payloadOf(group, lsn, bytes) }] };
}

function payloadOf(group: number, lsn: number, bytes: number): Uint8Array {
  const data = new Uint8Array(bytes);
  const view = new DataView(data.buffer);
  if (bytes >= 8) {
    view.setUint32(0, group, true);
    view.setUint32(4, lsn, true);
  }
  for (let i = 8; i < bytes; i++) data[i] = (lsn * 31 + i) & 0xff;
  return data;
}

/** Whether `data` is exactly what entryRecord(group, lsn, data.length) wrote. */
export function isIntactPayload(group: number, lsn: number, data: Uint8Array): boolean {
  return Buffer.from(payloadOf(group, lsn, data.length)).equals(data);
}

export function syncOnce(wal: WriteAheadLog): Promise<void> {
  return new Promise((resolve, reject) => wal.sync((e) => (e ? reject(e) : resolve())));
}

/** Every (group, lsn) of entry records, in log order. */
export function entryKeys(records: readonly WalRecord[]): string[] {
  const out: string[] = [];
  for (const r of records) if (r.kind === 'entries') for (const e of r.entries) out.push(`${r.group}:${e.index}`);
  return out;
}

export function closeWal(wal: WriteAheadLog): Promise<void> {
  return new Promise((resolve, reject) => wal.close((e) => (e ? reject(e) : resolve())));
}
