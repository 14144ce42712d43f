// Carries one Raft group's state ops from its synchronous apply to the state store, in LSN order,
// and takes checkpoints.
//
// A state machine's apply() must not await, so it hands its ops to enqueue() and moves on. This
// writer queues them (bounded in bytes, with backpressure), writes them in LSN order, one store
// write at a time, each write atomic, and tracks `writtenLsn`. Since every write is atomic and in
// order, whatever survives a crash is the state as of some LSN prefix, which replaying the Raft log
// from the checkpoint completes.
//
// checkpoint(): wait until everything enqueued is written, flush the store (state durable), then
// write the checkpoint record {lsn, term, confState} and flush again. Only after that may the WAL
// drop segments below the returned LSN: a checkpoint record never claims state that is not durable.

import { ConfState } from '../../broker/raft/types.js';
import { messageOf, StateWriterError } from './errors.js';
import { appliedLsnKey, checkpointKey } from './keys.js';
import { StateOp, StateReadView, StateReader, StateStore, stateOpBytes } from './state_store.js';
import { CheckpointRecord, decodeAppliedLsn, decodeCheckpoint, encodeAppliedLsn, encodeCheckpoint } from './values.js';

export interface GroupStateWriterOptions {
  group: number;
  /** Above this, enqueue() returns false: stop applying until whenBelowLimit() resolves. */
  maxQueuedBytes: number;
  /** Ops of several LSNs are merged into one store write up to this size. Default: min(maxQueuedBytes, 4 MiB). */
  maxWriteBatchBytes?: number;
  /** The LSN the store already reflects (the checkpoint, or what recovery replayed up to). Default 0. */
  startLsn?: number;
  /** Called once when a store write or flush fails; the node must stop this group and restart it. */
  onWriteError?: (err: StateWriterError) => void;
}

/** A caller that ignores enqueue() returning false is stopped (typed error) at this multiple of the limit. */
export const QUEUE_OVERFLOW_FACTOR = 2;

/** What a queued entry costs beyond its ops, so entries with no ops still count against the limit. */
const PENDING_OVERHEAD_BYTES = 16;

interface Pending {
  lsn: number;
  ops: readonly StateOp[];
  bytes: number;
}

interface Waiter {
  lsn: number;
  resolve: () => void;
  reject: (err: StateWriterError) => void;
}

export class GroupStateWriter {
  private readonly queue: Pending[] = []; // LSN order; bounded by maxQueuedBytes * QUEUE_OVERFLOW_FACTOR
  private queuedBytesNow = 0;
  private enqueuedLsnNow: number;
  private writtenLsnNow: number; // invariant: writtenLsnNow <= enqueuedLsnNow
  private writing = false;
  private failed: StateWriterError | undefined;
  private closed = false;
  private writtenWaiters: Waiter[] = [];
  private belowLimitWaiters: Waiter[] = [];
  private viewRequests: Array<{ resolve: (v: { view: StateReadView; lsn: number }) => void; reject: (err: StateWriterError) => void }> = [];
  private checkpointChain: Promise<unknown> = Promise.resolve();
  private readonly maxWriteBatchBytes: number;

  constructor(
    private readonly store: StateStore,
    private readonly options: GroupStateWriterOptions,
  ) {
    if (!(options.maxQueuedBytes > 0)) throw new RangeError(`maxQueuedBytes must be positive, got ${options.maxQueuedBytes}`);
    this.maxWriteBatchBytes = options.maxWriteBatchBytes ?? Math.min(options.maxQueuedBytes, 4 << 20);
    this.enqueuedLsnNow = this.writtenLsnNow = options.startLsn ?? 0;
  }

  /** The highest LSN whose ops are in the store (not necessarily durable: see checkpoint()). */
  get writtenLsn(): number {
    return this.writtenLsnNow;
  }

  get enqueuedLsn(): number {
    return this.enqueuedLsnNow;
  }

  get queuedBytes(): number {
    return this.queuedBytesNow;
  }

  get overLimit(): boolean {
    return this.queuedBytesNow >= this.options.maxQueuedBytes;
  }

  /** The error that stopped this writer, if any. */
  get failure(): StateWriterError | undefined {
    return this.failed;
  }

  /**
   * Queues the ops an entry's apply produced (possibly none, to advance the LSN). Synchronous.
   * Returns false when the queue is over maxQueuedBytes: the caller must stop applying until
   * whenBelowLimit() resolves. Throws if the writer failed, was closed, or the LSN went backwards.
   */
  enqueue(lsn: number, ops: readonly StateOp[]): boolean {
    this.checkUsable();
    if (!Number.isSafeInteger(lsn) || lsn < this.enqueuedLsnNow) {
      throw new StateWriterError('LSN_REGRESSION', `group ${this.options.group}: ops for LSN ${lsn} after LSN ${this.enqueuedLsnNow}: apply entries in log order`);
    }
    let bytes = PENDING_OVERHEAD_BYTES;
    for (const op of ops) bytes += stateOpBytes(op);
    const hardLimitBytes = this.options.maxQueuedBytes * QUEUE_OVERFLOW_FACTOR;
    if (this.queuedBytesNow > 0 && this.queuedBytesNow + bytes > hardLimitBytes) {
      throw new StateWriterError('QUEUE_OVERFLOW', `group ${this.options.group}: ${this.queuedBytesNow + bytes} bytes queued, over ${hardLimitBytes}: stop applying when enqueue() returns false and wait for whenBelowLimit()`);
    }
    this.enqueuedLsnNow = lsn;
    if (ops.length === 0 && this.queue.length === 0 && !this.writing) {
      this.writtenLsnNow = lsn; // nothing to write, nothing ahead of it
      this.settleWaiters();
    } else {
      this.queue.push({ lsn, ops, bytes });
      this.queuedBytesNow += bytes;
      void this.pump();
    }
    return !this.overLimit;
  }

  whenBelowLimit(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (!this.overLimit) return Promise.resolve();
    return new Promise((resolve, reject) => this.belowLimitWaiters.push({ lsn: 0, resolve, reject }));
  }

  /** Resolves once every op up to `lsn` is in the store; rejects if the writer fails first. */
  whenWritten(lsn: number): Promise<void> {
    if (this.writtenLsnNow >= lsn) return Promise.resolve();
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => this.writtenWaiters.push({ lsn, resolve, reject }));
  }

  /**
   * Makes the state up to the current LSN durable and records the checkpoint. Returns its LSN, the
   * point below which the WAL may be truncated for this group. Checkpoints run one at a time, so
   * records are written in increasing LSN order.
   */
  checkpoint(term: number, confState: ConfState): Promise<number> {
    const run = this.checkpointChain.then(() => this.checkpointNow(term, confState));
    this.checkpointChain = run.catch(() => undefined);
    return run;
  }

  /** A consistent view of the store and the LSN it reflects, taken between two writes. */
  viewWithLsn(): Promise<{ view: StateReadView; lsn: number }> {
    this.checkUsable();
    if (!this.writing) return Promise.resolve({ view: this.store.snapshot(), lsn: this.writtenLsnNow });
    return new Promise((resolve, reject) => this.viewRequests.push({ resolve, reject }));
  }

  /** After a snapshot install: the store now reflects `lsn`, and applying resumes after it. */
  resetToSnapshot(lsn: number): void {
    this.checkUsable();
    if (this.queue.length > 0 || this.writing || lsn < this.enqueuedLsnNow) {
      throw new StateWriterError('LSN_REGRESSION', `group ${this.options.group}: snapshot at LSN ${lsn} while ops up to ${this.enqueuedLsnNow} are pending: drain the writer before installing`);
    }
    this.enqueuedLsnNow = this.writtenLsnNow = lsn;
  }

  /** Writes what is queued, then refuses further ops. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.whenWritten(this.enqueuedLsnNow);
    await this.checkpointChain;
    this.closed = true;
  }

  private async checkpointNow(term: number, confState: ConfState): Promise<number> {
    this.checkUsable();
    const lsn = this.enqueuedLsnNow;
    await this.whenWritten(lsn);
    const record: CheckpointRecord = { lsn, term, confState };
    await this.guard('flush before the checkpoint record', () => this.store.flush());
    await this.guard('checkpoint record write', () => this.store.write([{ op: 'put', key: checkpointKey(this.options.group), value: encodeCheckpoint(record) }]));
    await this.guard('flush of the checkpoint record', () => this.store.flush());
    return lsn;
  }

  /** Writes queued ops, a bounded batch at a time, until the queue is empty or a write fails. */
  private async pump(): Promise<void> {
    if (this.writing || this.failed) return;
    this.writing = true;
    while (this.queue.length > 0 && !this.failed) {
      let bytes = 0;
      let count = 0;
      const ops: StateOp[] = [];
      while (count < this.queue.length && (count === 0 || bytes + this.queue[count]!.bytes <= this.maxWriteBatchBytes)) {
        const p = this.queue[count]!;
        for (const op of p.ops) ops.push(op);
        bytes += p.bytes;
        count++;
      }
      const lastLsn = this.queue[count - 1]!.lsn;
      // In the same atomic write: after a crash the store says exactly which LSN prefix it holds.
      ops.push({ op: 'put', key: appliedLsnKey(this.options.group), value: encodeAppliedLsn(lastLsn) });
      try {
        await this.guard(`write of LSNs up to ${lastLsn}`, () => this.store.write(ops));
      } catch {
        break; // guard() recorded and reported the failure
      }
      this.queue.splice(0, count);
      this.queuedBytesNow -= bytes;
      this.writtenLsnNow = lastLsn;
      this.settleWaiters();
      this.serveViewRequests(); // between two writes: the view reflects exactly writtenLsn
    }
    this.writing = false;
    this.serveViewRequests();
  }

  private async guard(what: string, io: () => Promise<void>): Promise<void> {
    try {
      await io();
    } catch (cause) {
      this.fail(new StateWriterError('WRITE_FAILED', `group ${this.options.group}: state store ${what} failed (${messageOf(cause)}); stop the group and restart it to replay the Raft log from its checkpoint`, { cause }));
      throw this.failed;
    }
  }

  private fail(err: StateWriterError): void {
    if (this.failed) return;
    this.failed = err;
    for (const w of [...this.writtenWaiters, ...this.belowLimitWaiters]) w.reject(err);
    for (const r of this.viewRequests) r.reject(err);
    this.writtenWaiters = [];
    this.belowLimitWaiters = [];
    this.viewRequests = [];
    this.options.onWriteError?.(err);
  }

  private settleWaiters(): void {
    const still: Waiter[] = [];
    for (const w of this.writtenWaiters) (w.lsn <= this.writtenLsnNow ? w.resolve() : still.push(w));
    this.writtenWaiters = still;
    if (!this.overLimit) {
      for (const w of this.belowLimitWaiters) w.resolve();
      this.belowLimitWaiters = [];
    }
  }

  private serveViewRequests(): void {
    if (this.viewRequests.length === 0 || this.failed) return;
    const requests = this.viewRequests;
    this.viewRequests = [];
    for (const r of requests) r.resolve({ view: this.store.snapshot(), lsn: this.writtenLsnNow });
  }

  private checkUsable(): void {
    if (this.failed) throw this.failed;
    if (this.closed) throw new StateWriterError('CLOSED', `group ${this.options.group}: state writer used after close()`);
  }
}

/**
 * The LSN the group's state in the store reflects, read at startup: every entry at or below it is
 * already applied there, so replay skips it. 0 for a group with no state yet.
 */
export async function loadAppliedLsn(store: StateReader, group: number): Promise<number> {
  const [applied, checkpoint] = await Promise.all([store.get(appliedLsnKey(group)), loadCheckpoint(store, group)]);
  // A snapshot install records only its checkpoint, so the newer of the two counts.
  return Math.max(applied === undefined ? 0 : decodeAppliedLsn(applied), checkpoint?.lsn ?? 0);
}

/** The group's last checkpoint, read at startup; undefined if it never took one. */
export async function loadCheckpoint(store: StateReader, group: number): Promise<CheckpointRecord | undefined> {
  const bytes = await store.get(checkpointKey(group));
  return bytes === undefined ? undefined : decodeCheckpoint(bytes);
}
