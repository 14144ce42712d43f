// The state store: an ordered byte-key map holding a node's materialized state. The Raft WAL is the
// source of durability; this store only has to make everything written before flush() survive a
// crash, and to apply each write() atomically, so what survives is always a prefix of the writes.
// This file is I/O-free: the interface, and helpers written against it.

import { StateStoreError } from './errors.js';

export type StateOp =
  | { op: 'put'; key: Uint8Array; value: Uint8Array }
  | { op: 'del'; key: Uint8Array }
  | { op: 'delRange'; gte: Uint8Array; lt: Uint8Array }; // half-open [gte, lt)

export interface KeyRange {
  gte: Uint8Array;
  lt: Uint8Array;
}

/** A scan returns at most this many pairs unless the caller asks for fewer; page with keySuccessor(). */
export const DEFAULT_SCAN_LIMIT = 1024;
export const MAX_SCAN_LIMIT = 65536;

export interface ScanOptions {
  limit?: number; // pairs, 1..MAX_SCAN_LIMIT, default DEFAULT_SCAN_LIMIT
}

/** Reads. Keys come back in ascending unsigned-byte order. */
export interface StateReader {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  scan(range: KeyRange, opts?: ScanOptions): Promise<Array<[Uint8Array, Uint8Array]>>;
}

/** A consistent point-in-time view: writes after snapshot() are invisible to it. Release it when done. */
export interface StateReadView extends StateReader {
  release(): Promise<void>;
}

export interface StateStore extends StateReader {
  /** Applies all ops of one call atomically, in order: after a crash either all of them or none are visible. */
  write(ops: readonly StateOp[]): Promise<void>;
  /** A view of every write that has resolved so far. Takes no I/O, so it is synchronous. */
  snapshot(): StateReadView;
  /** Every write that resolved before this call survives kill -9 and power loss once it resolves. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Unsigned lexicographic order: the order of RocksDB's default comparator. */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.byteLength - b.byteLength;
}

/** The smallest key greater than `key`: the `gte` of the next page of a scan. */
export function keySuccessor(key: Uint8Array): Uint8Array {
  const next = new Uint8Array(key.byteLength + 1);
  next.set(key);
  return next;
}

/** Bytes an op costs in a queue: its keys and value plus a nominal overhead, so deletes still count. */
export function stateOpBytes(op: StateOp): number {
  const overheadBytes = 16;
  switch (op.op) {
    case 'put':
      return op.key.byteLength + op.value.byteLength + overheadBytes;
    case 'del':
      return op.key.byteLength + overheadBytes;
    case 'delRange':
      return op.gte.byteLength + op.lt.byteLength + overheadBytes;
  }
}

/** Every pair of a range, a page of `pageSize` at a time, so memory stays bounded by one page. */
export async function* scanPages(
  reader: StateReader,
  range: KeyRange,
  pageSize = DEFAULT_SCAN_LIMIT,
): AsyncGenerator<Array<[Uint8Array, Uint8Array]>> {
  let gte = range.gte;
  for (;;) {
    const page = await reader.scan({ gte, lt: range.lt }, { limit: pageSize });
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    gte = keySuccessor(page[page.length - 1]![0]);
  }
}

/** Validates a scan's arguments the same way for every implementation. Returns the limit to use. */
export function checkScan(range: KeyRange, opts: ScanOptions | undefined): number {
  const limit = opts?.limit ?? DEFAULT_SCAN_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SCAN_LIMIT) {
    throw new StateStoreError('INVALID_ARGUMENT', `scan limit must be an integer in 1..${MAX_SCAN_LIMIT}, got ${limit}: page with keySuccessor()`);
  }
  if (compareKeys(range.gte, range.lt) > 0) {
    throw new StateStoreError('INVALID_ARGUMENT', 'scan range has gte > lt: pass the lower bound as gte');
  }
  return limit;
}
