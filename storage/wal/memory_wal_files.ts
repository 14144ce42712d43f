// WalFiles in memory with the failure model of a real disk, for tests and the simulator:
// - bytes written but not yet datasync'ed are lost on crash(), except a random prefix of them
//   (so a crash can leave a record cut in the middle, as a torn write does);
// - a capacity in bytes: a write past it stores what fits, then fails with ENOSPC;
// - the next write or sync can be made to fail with EIO.
// Callbacks run through `defer`, so the simulator decides when an I/O completes.

import { Done, WalFile, WalFiles, ioError } from './wal_files.js';

interface MemoryFileState {
  bytes: Uint8Array;
  sizeBytes: number; // what a read sees now
  syncedBytes: number; // what survives a crash for certain
}

export interface MemoryWalFilesOptions {
  defer?: (run: () => void) => void;
  capacityBytes?: number;
}

export class MemoryWalFiles implements WalFiles {
  readonly location = 'memory:wal';
  private readonly files = new Map<string, MemoryFileState>();
  private readonly defer: (run: () => void) => void;
  capacityBytes: number;
  private failWrites: string | undefined;
  private failSyncs: string | undefined;
  private incarnation = 0;
  readonly stats = { writes: 0, syncs: 0, failedWrites: 0, failedSyncs: 0, crashes: 0, bytesLostOnCrash: 0 };

  constructor(opts: MemoryWalFilesOptions = {}) {
    this.defer = opts.defer ?? ((run) => setImmediate(run));
    this.capacityBytes = opts.capacityBytes ?? Number.POSITIVE_INFINITY;
  }

  list(): string[] {
    return [...this.files.keys()].sort();
  }

  read(name: string): Uint8Array {
    const f = this.mustGet(name);
    return f.bytes.slice(0, f.sizeBytes);
  }

  truncateSync(name: string, sizeBytes: number): void {
    const f = this.mustGet(name);
    f.sizeBytes = Math.min(f.sizeBytes, sizeBytes);
    f.syncedBytes = Math.min(f.syncedBytes, f.sizeBytes);
  }

  create(name: string, done: (error: Error | undefined, file?: WalFile) => void): void {
    const incarnation = this.incarnation;
    this.defer(() => {
      if (incarnation !== this.incarnation) return;
      if (this.files.has(name)) return done(ioError('EEXIST', name));
      this.files.set(name, { bytes: new Uint8Array(4096), sizeBytes: 0, syncedBytes: 0 });
      done(undefined, this.handle(name));
    });
  }

  open(name: string, done: (error: Error | undefined, file?: WalFile) => void): void {
    const incarnation = this.incarnation;
    this.defer(() => {
      if (incarnation !== this.incarnation) return;
      if (!this.files.has(name)) return done(ioError('ENOENT', name));
      done(undefined, this.handle(name));
    });
  }

  remove(name: string, done: Done): void {
    const incarnation = this.incarnation;
    this.defer(() => {
      if (incarnation !== this.incarnation) return;
      this.files.delete(name);
      done();
    });
  }

  // ---- faults ----

  /** The next write fails with this code (after storing nothing). */
  failNextWrite(code = 'EIO'): void {
    this.failWrites = code;
  }

  /** The next datasync fails: its bytes stay unsynced, as after a failed fdatasync. */
  failNextSync(code = 'EIO'): void {
    this.failSyncs = code;
  }

  /** Power loss. Pending callbacks of the old incarnation never run. */
  crash(randomBelow: (n: number) => number): void {
    this.incarnation++;
    this.stats.crashes++;
    for (const f of this.files.values()) {
      const unsynced = f.sizeBytes - f.syncedBytes;
      const kept = unsynced > 0 ? randomBelow(unsynced + 1) : 0;
      this.stats.bytesLostOnCrash += unsynced - kept;
      f.sizeBytes = f.syncedBytes + kept;
      f.syncedBytes = f.sizeBytes; // what survived is on the platter now
    }
  }

  usedBytes(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.sizeBytes;
    return n;
  }

  /** Direct access for corruption tests: flip, cut or delete bytes as a damaged disk would. */
  mutate(name: string, change: (bytes: Uint8Array) => Uint8Array | undefined): void {
    const f = this.mustGet(name);
    const next = change(f.bytes.slice(0, f.sizeBytes));
    if (next === undefined) {
      this.files.delete(name);
      return;
    }
    this.files.set(name, { bytes: next, sizeBytes: next.length, syncedBytes: next.length });
  }

  private mustGet(name: string): MemoryFileState {
    const f = this.files.get(name);
    if (!f) throw ioError('ENOENT', `${this.location}/${name}`);
    return f;
  }

  private handle(name: string): WalFile {
    const incarnation = this.incarnation;
    const later = (run: () => void): void => this.defer(() => incarnation === this.incarnation && run());
    return {
      write: (chunks, position, done) => later(() => done(this.writeNow(name, chunks, position))),
      datasync: (done) =>
        later(() => {
          const code = this.failSyncs;
          this.failSyncs = undefined;
          if (code) {
            this.stats.failedSyncs++;
            return done(ioError(code, `simulated fdatasync failure on ${name}`));
          }
          this.stats.syncs++;
          const f = this.files.get(name);
          if (f) f.syncedBytes = f.sizeBytes;
          done();
        }),
      truncate: (sizeBytes, done) =>
        later(() => {
          const f = this.files.get(name);
          if (f) {
            f.sizeBytes = Math.min(f.sizeBytes, sizeBytes);
            f.syncedBytes = Math.min(f.syncedBytes, f.sizeBytes);
          }
          done();
        }),
      close: (done) => later(() => done()),
    };
  }

  private writeNow(name: string, chunks: readonly Uint8Array[], position: number): Error | undefined {
    const f = this.files.get(name);
    if (!f) return ioError('ENOENT', name);
    const code = this.failWrites;
    this.failWrites = undefined;
    if (code) {
      this.stats.failedWrites++;
      return ioError(code, `simulated write failure on ${name}`);
    }
    this.stats.writes++;
    let at = position;
    for (const c of chunks) {
      const room = this.capacityBytes - this.usedBytes() + Math.max(0, f.sizeBytes - at);
      const n = Math.max(0, Math.min(c.length, room));
      this.store(f, at, c.subarray(0, n));
      at += n;
      if (n < c.length) {
        this.stats.failedWrites++;
        return ioError('ENOSPC', `no space left for ${name}`);
      }
    }
    return undefined;
  }

  private store(f: MemoryFileState, at: number, bytes: Uint8Array): void {
    const end = at + bytes.length;
    if (end > f.bytes.length) {
      const grown = new Uint8Array(Math.max(end, f.bytes.length * 2));
      grown.set(f.bytes.subarray(0, f.sizeBytes));
      f.bytes = grown;
    }
    f.bytes.set(bytes, at);
    f.sizeBytes = Math.max(f.sizeBytes, end);
  }
}
