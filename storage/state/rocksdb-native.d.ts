// The subset of rocksdb-native@3.18 (a CommonJS package without types) that rocks_state_store.ts uses.
// Keys and values are Buffers on the way out; any Uint8Array is accepted on the way in.

declare module 'rocksdb-native' {
  interface RocksDBOpenOptions {
    createIfMissing?: boolean;
    /** Default column family: values of at least minBlobSize bytes go to blob files (BlobDB). */
    enableBlobFiles?: boolean;
    minBlobSize?: number;
  }

  interface RocksDBRange {
    gte?: Uint8Array;
    lt?: Uint8Array;
  }

  interface RocksDBIteratorOptions {
    limit?: number;
    capacity?: number; // pairs fetched per native call
  }

  interface RocksDBWriteBatch {
    tryPut(key: Uint8Array, value: Uint8Array): void;
    tryDelete(key: Uint8Array): void;
    tryDeleteRange(gte: Uint8Array, lt: Uint8Array): void;
    flush(): Promise<void>; // applies the batch atomically (one rocksdb::WriteBatch); nothing to do with disk flushes
    destroy(): void;
  }

  class RocksDB {
    constructor(path: string, options?: RocksDBOpenOptions);
    ready(): Promise<void>;
    close(): Promise<void>;
    write(options?: { capacity?: number }): RocksDBWriteBatch;
    get(key: Uint8Array): Promise<Buffer | null>;
    iterator(range: RocksDBRange, options?: RocksDBIteratorOptions): AsyncIterable<{ key: Buffer; value: Buffer }>;
    /** A session reading from a rocksdb::Snapshot taken now; close() releases it. */
    snapshot(): RocksDB;
    /** DB::Flush with default FlushOptions (wait = true): the memtable is written to an SST and synced. */
    flush(): Promise<void>;
  }

  export = RocksDB;
}
