// Installs a snapshot received in chunks (chunk.ts) under a NEW generation of the group, then flips
// the group's generation pointer. Until the flip the old state stays current and whole, so a crash
// at any point leaves either the old state or the new one; the partial new generation is garbage
// that the next install (or cleanupStaleGenerations at startup) deletes.
//
// On the last chunk: flush (the new generation is durable), then write the pointer and the group's
// checkpoint record {lsn, term, confState} of the snapshot in one atomic write, flush again, and
// only then delete the old generation. One installer per group at a time; the group's own writer
// must be idle while it runs.

import { ConfState } from '../../broker/raft/types.js';
import { messageOf } from '../state/errors.js';
import { checkpointKey, decodeStateKey, generationPointerKey, MAX_GENERATION, withGroupPrefix } from '../state/keys.js';
import { StateOp, StateStore } from '../state/state_store.js';
import { encodeCheckpoint, encodeGenerationPointer } from '../state/values.js';
import { decodeChunk, SnapshotChunk } from './chunk.js';
import { SnapshotError } from './errors.js';
import { cleanupStaleGenerations, staleGenerationOps } from './generation.js';

export interface SnapshotMeta {
  group: number;
  lsn: number; // the last LSN the snapshot reflects
  term: number;
  confState: ConfState;
}

export interface InstallProgress {
  done: boolean;
  expectedSeq: number; // the next chunk to send
  generation: number; // the generation being (or just) installed
}

export class SnapshotInstaller {
  private expectedSeqNow = 0;
  private done = false;
  private switched = false; // the pointer write resolved (durability follows with the next flush)
  private failed: SnapshotError | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly store: StateStore,
    private readonly meta: SnapshotMeta,
    private readonly oldGeneration: number,
    readonly generation: number,
  ) {}

  /** Cleans what an earlier interrupted install left, and picks the next generation. */
  static async begin(store: StateStore, meta: SnapshotMeta): Promise<SnapshotInstaller> {
    const current = await cleanupStaleGenerations(store, meta.group);
    if (current >= MAX_GENERATION) {
      throw new SnapshotError('GENERATIONS_EXHAUSTED', `group ${meta.group} is at generation ${current}, the last one`);
    }
    return new SnapshotInstaller(store, meta, current, current + 1);
  }

  get expectedSeq(): number {
    return this.expectedSeqNow;
  }

  /** Applies one encoded chunk. Calls are serialized; a rejected chunk changes nothing. */
  accept(bytes: Uint8Array): Promise<InstallProgress> {
    const run = this.chain.then(() => this.acceptNow(bytes));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async acceptNow(bytes: Uint8Array): Promise<InstallProgress> {
    if (this.failed) throw this.failed;
    const chunk = decodeChunk(bytes);
    this.check(chunk);
    const ops: StateOp[] = chunk.pairs.map(([stripped, value]) => ({ op: 'put', key: this.dataKey(stripped, chunk.seq), value }));
    try {
      await this.store.write(ops);
      if (chunk.last) await this.switchGeneration();
    } catch (cause) {
      const current = this.switched ? `generation ${this.generation} is current but the old one was not deleted (startup cleans it)` : `generation ${this.oldGeneration} is still current, restart the transfer`;
      this.failed = new SnapshotError('INSTALL_FAILED', `group ${this.meta.group}: installing snapshot chunk ${chunk.seq} failed (${messageOf(cause)}); ${current}`, { cause });
      throw this.failed;
    }
    this.expectedSeqNow++;
    this.done = chunk.last;
    return { done: this.done, expectedSeq: this.expectedSeqNow, generation: this.generation };
  }

  private check(chunk: SnapshotChunk): void {
    const { group, lsn } = this.meta;
    if (chunk.group !== group) throw new SnapshotError('WRONG_GROUP', `chunk of group ${chunk.group} sent to the installer of group ${group}`);
    if (chunk.snapshotLsn !== lsn) throw new SnapshotError('WRONG_SNAPSHOT', `group ${group}: chunk of the snapshot at LSN ${chunk.snapshotLsn}, installing the one at LSN ${lsn}: restart the transfer`);
    if (this.done) throw new SnapshotError('INSTALL_FINISHED', `group ${group}: chunk ${chunk.seq} after the last chunk`);
    if (chunk.seq < this.expectedSeqNow) throw new SnapshotError('DUPLICATE_CHUNK', `group ${group}: chunk ${chunk.seq} was already installed; expecting ${this.expectedSeqNow}`);
    if (chunk.seq > this.expectedSeqNow) throw new SnapshotError('OUT_OF_ORDER_CHUNK', `group ${group}: chunk ${chunk.seq} arrived before chunk ${this.expectedSeqNow}: resend from ${this.expectedSeqNow}`);
  }

  /** The full key in the new generation; refuses anything that is not a data key (keys.ts). */
  private dataKey(stripped: Uint8Array, seq: number): Uint8Array {
    const key = withGroupPrefix(this.meta.group, this.generation, stripped);
    try {
      decodeStateKey(key);
    } catch (cause) {
      throw new SnapshotError('CORRUPT_CHUNK', `group ${this.meta.group}: chunk ${seq} holds a key outside the state keyspace: the sender runs an incompatible Shoal`, { cause });
    }
    return key;
  }

  private async switchGeneration(): Promise<void> {
    const { group, lsn, term, confState } = this.meta;
    await this.store.flush();
    await this.store.write([
      { op: 'put', key: generationPointerKey(group), value: encodeGenerationPointer({ generation: this.generation }) },
      { op: 'put', key: checkpointKey(group), value: encodeCheckpoint({ lsn, term, confState }) },
    ]);
    this.switched = true;
    await this.store.flush();
    await this.store.write(staleGenerationOps(group, this.generation)); // the old generation; a crash before it leaves garbage, not harm
  }
}
