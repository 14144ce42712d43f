// An in-memory StateStore for tests and the simulator. Keys are kept sorted. Like the RocksDB store
// with its own WAL out of the picture, writes live only in memory until flush(): crash() drops every
// write since the last flush, which is the worst case the checkpoint protocol must survive.

import { StateStoreError } from './errors.js';
import { checkScan, compareKeys, KeyRange, ScanOptions, StateOp, StateReadView, StateStore } from './state_store.js';

type Entry = [Uint8Array, Uint8Array];

export type FaultPoint = 'write' | 'flush';

export class MemoryStateStore implements StateStore {
  private live: Entry[] = []; // sorted by key; values are private copies, never mutated
  private durable: Entry[] = []; // the state as of the last flush
  private closed = false;
  private readonly faults = new Map<FaultPoint, number>();

  /** The next `count` calls of `point` fail with an IO_ERROR and change nothing (disk fault injection). */
  failNext(point: FaultPoint, count = 1): void {
    this.faults.set(point, count);
  }

  /** Simulates power loss and a restart: writes since the last flush() are gone and the store is open again. */
  crash(): void {
    this.live = this.durable.slice();
    this.closed = false;
  }

  async write(ops: readonly StateOp[]): Promise<void> {
    this.checkOpen();
    this.maybeFail('write');
    // Validate every op first, so a bad op leaves the store unchanged (atomicity).
    for (const op of ops) {
      if (op.op === 'delRange' && compareKeys(op.gte, op.lt) > 0) {
        throw new StateStoreError('INVALID_ARGUMENT', 'delRange has gte > lt: pass the lower bound as gte');
      }
    }
    for (const op of ops) this.apply(op);
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.checkOpen();
    return getIn(this.live, key);
  }

  async scan(range: KeyRange, opts?: ScanOptions): Promise<Entry[]> {
    this.checkOpen();
    return scanIn(this.live, range, checkScan(range, opts));
  }

  snapshot(): StateReadView {
    this.checkOpen();
    const frozen = this.live.slice(); // entries are immutable, so a shallow copy is a point-in-time view
    let released = false;
    const checkView = (): void => {
      if (released) throw new StateStoreError('CLOSED', 'read view used after release(): take a new snapshot()');
      this.checkOpen();
    };
    return {
      get: async (key) => (checkView(), getIn(frozen, key)),
      scan: async (range, opts) => (checkView(), scanIn(frozen, range, checkScan(range, opts))),
      release: async () => {
        released = true;
      },
    };
  }

  async flush(): Promise<void> {
    this.checkOpen();
    this.maybeFail('flush');
    this.durable = this.live.slice();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Number of keys, for tests. */
  get size(): number {
    return this.live.length;
  }

  private apply(op: StateOp): void {
    switch (op.op) {
      case 'put': {
        const at = lowerBound(this.live, op.key);
        const entry: Entry = [op.key.slice(), op.value.slice()];
        if (at < this.live.length && compareKeys(this.live[at]![0], op.key) === 0) this.live[at] = entry;
        else this.live.splice(at, 0, entry);
        return;
      }
      case 'del': {
        const at = lowerBound(this.live, op.key);
        if (at < this.live.length && compareKeys(this.live[at]![0], op.key) === 0) this.live.splice(at, 1);
        return;
      }
      case 'delRange': {
        const from = lowerBound(this.live, op.gte);
        const to = lowerBound(this.live, op.lt);
        if (to > from) this.live.splice(from, to - from);
        return;
      }
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new StateStoreError('CLOSED', 'state store used after close(): open it again');
  }

  private maybeFail(point: FaultPoint): void {
    const left = this.faults.get(point) ?? 0;
    if (left === 0) return;
    this.faults.set(point, left - 1);
    throw new StateStoreError('IO_ERROR', `injected ${point} failure: the ${point} was not applied`);
  }
}

/** First index whose key is >= key. */
function lowerBound(entries: Entry[], key: Uint8Array): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(entries[mid]![0], key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function getIn(entries: Entry[], key: Uint8Array): Uint8Array | undefined {
  const at = lowerBound(entries, key);
  const e = entries[at];
  return e !== undefined && compareKeys(e[0], key) === 0 ? e[1].slice() : undefined;
}

function scanIn(entries: Entry[], range: KeyRange, limit: number): Entry[] {
  const out: Entry[] = [];
  for (let i = lowerBound(entries, range.gte); i < entries.length && out.length < limit; i++) {
    const [k, v] = entries[i]!;
    if (compareKeys(k, range.lt) >= 0) break;
    out.push([k.slice(), v.slice()]);
  }
  return out;
}
