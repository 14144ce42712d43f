// The StateStore on RocksDB, through rocksdb-native (the maintained binding DESIGN.md names).
//
// RocksDB's own WAL stays ON: rocksdb-native 3.18 passes default rocksdb::WriteOptions to every write
// (binding.cc calls rocksdb_write with null options; librocksdb then uses WriteOptions{}), so neither
// disableWAL nor sync can be set from JavaScript. The cost is an unsynced append per write batch. Our
// correctness does not rely on it either way: durability comes from flush() (DB::Flush with
// wait = true writes the memtable to an SST, syncs it and the MANIFEST) plus the Raft WAL replay
// from the checkpoint LSN.

import RocksDB from 'rocksdb-native';
import { messageOf, StateStoreError } from './errors.js';
import { checkScan, KeyRange, ScanOptions, StateOp, StateReadView, StateStore } from './state_store.js';

/**
 * Values of at least this many bytes (stored row batches, from a few rows up) live in RocksDB's blob
 * files, and compactions move only their keys. Inline, a 760 KB batch of 10,000 rows was rewritten by
 * every compaction and built into SST blocks at every flush: with blob files the 11-column benchmark at
 * batch 10,000 wrote about 13% fewer bytes per row and ran 10-35% faster (docs/performance.md).
 */
const MIN_BLOB_BYTES = 4096;

/** Pairs fetched from the native iterator per call; bounded so a big scan never buffers more than this. */
const ITERATOR_CAPACITY = 256;

export class RocksStateStore implements StateStore {
  private closed = false;

  private constructor(
    private readonly db: RocksDB,
    readonly dir: string,
  ) {}

  /** Opens (creating if missing) the store in `dir`. One process at a time: RocksDB holds a LOCK file. */
  static async open(dir: string): Promise<RocksStateStore> {
    const db = new RocksDB(dir, { createIfMissing: true, enableBlobFiles: true, minBlobSize: MIN_BLOB_BYTES });
    try {
      await db.ready();
    } catch (err) {
      throw new StateStoreError(
        'OPEN_FAILED',
        `cannot open the state store in ${dir}: ${messageOf(err)}. Check that it is a writable directory ` +
          'and that no other Shoal process on this node holds it (RocksDB LOCK file)',
        { cause: err },
      );
    }
    return new RocksStateStore(db, dir);
  }

  async write(ops: readonly StateOp[]): Promise<void> {
    this.checkOpen();
    if (ops.length === 0) return;
    const batch = this.db.write({ capacity: ops.length });
    for (const op of ops) {
      if (op.op === 'put') batch.tryPut(op.key, op.value);
      else if (op.op === 'del') batch.tryDelete(op.key);
      else batch.tryDeleteRange(op.gte, op.lt);
    }
    try {
      await batch.flush(); // one rocksdb::WriteBatch: atomic
    } catch (err) {
      throw this.ioError('write', err);
    } finally {
      batch.destroy();
    }
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.checkOpen();
    return getFrom(this.db, key, this);
  }

  async scan(range: KeyRange, opts?: ScanOptions): Promise<Array<[Uint8Array, Uint8Array]>> {
    this.checkOpen();
    return scanFrom(this.db, range, checkScan(range, opts), this);
  }

  snapshot(): StateReadView {
    this.checkOpen();
    const session = this.db.snapshot(); // rocksdb::Snapshot taken now, synchronously
    let released = false;
    const checkView = (): void => {
      if (released) throw new StateStoreError('CLOSED', 'read view used after release(): take a new snapshot()');
      this.checkOpen();
    };
    return {
      get: async (key) => (checkView(), getFrom(session, key, this)),
      scan: async (range, opts) => (checkView(), scanFrom(session, range, checkScan(range, opts), this)),
      release: async () => {
        if (released) return;
        released = true;
        await session.close();
      },
    };
  }

  async flush(): Promise<void> {
    this.checkOpen();
    try {
      await this.db.flush();
    } catch (err) {
      throw this.ioError('flush', err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.close(); // waits for in-flight reads and writes and closes open snapshot sessions
  }

  /** @internal used by the read helpers below */
  ioError(what: string, err: unknown): StateStoreError {
    return new StateStoreError(
      'IO_ERROR',
      `state store ${what} failed in ${this.dir}: ${messageOf(err)}. Nothing was acknowledged; check the disk ` +
        '(space, permissions, dmesg) and restart the node, which replays the Raft log from its checkpoint',
      { cause: err },
    );
  }

  private checkOpen(): void {
    if (this.closed) throw new StateStoreError('CLOSED', `state store ${this.dir} used after close(): open it again`);
  }
}

async function getFrom(db: RocksDB, key: Uint8Array, store: RocksStateStore): Promise<Uint8Array | undefined> {
  try {
    const value = await db.get(key);
    return value === null ? undefined : plain(value);
  } catch (err) {
    throw store.ioError('get', err);
  }
}

async function scanFrom(
  db: RocksDB,
  range: KeyRange,
  limit: number,
  store: RocksStateStore,
): Promise<Array<[Uint8Array, Uint8Array]>> {
  const out: Array<[Uint8Array, Uint8Array]> = [];
  if (range.gte.byteLength === 0 && range.lt.byteLength === 0) return out; // rocksdb-native reads empty bounds as "unbounded"
  try {
    const it = db.iterator({ gte: range.gte, lt: range.lt }, { limit, capacity: Math.min(limit, ITERATOR_CAPACITY) });
    for await (const { key, value } of it) out.push([plain(key), plain(value)]);
  } catch (err) {
    throw store.ioError('scan', err);
  }
  return out;
}

/** Buffer -> plain Uint8Array over the same memory, so callers see one type whatever the store. */
function plain(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
