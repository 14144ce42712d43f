// What the Raft core reads of stable (persisted) state, and an in-memory implementation of it.
// The core never writes storage: the host persists a Ready's entries, then appends them here.

import { invariant } from './errors.js';
import { ConfState, Entry, HardState, Snapshot, cloneConfState, emptyConfState, entryBytes } from './types.js';

export interface RaftStorage {
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi), at least one if any, at most maxBytes beyond the first. Undefined if lo is compacted. */
  entries(lo: number, hi: number, maxBytes: number): Entry[] | undefined;
  /** Term of entry i, or undefined when i is compacted away or beyond the last index. */
  term(i: number): number | undefined;
  /** The first index still held as an entry (the snapshot index + 1). */
  firstIndex(): number;
  lastIndex(): number;
  /** The latest snapshot, or undefined when none can be produced right now. */
  snapshot(): Snapshot | undefined;
}

export function limitByBytes(entries: Entry[], maxBytes: number): Entry[] {
  if (entries.length === 0) return entries;
  let size = entryBytes(entries[0]!);
  let n = 1;
  for (; n < entries.length; n++) {
    size += entryBytes(entries[n]!);
    if (size > maxBytes) break;
  }
  return n === entries.length ? entries : entries.slice(0, n);
}

/**
 * Stable log state held in memory. Slot 0 of `ents` is a dummy entry carrying the snapshot's index
 * and term, so `term(snapshotIndex)` answers without the entry itself.
 */
export class MemoryStorage implements RaftStorage {
  hardState: HardState = { term: 0, vote: 0, commit: 0 };
  private snap: Snapshot = { metadata: { index: 0, term: 0, confState: emptyConfState() }, data: new Uint8Array() };
  private ents: Entry[] = [{ term: 0, index: 0, type: 0, data: new Uint8Array() }];
  /** Bytes of the entries held (entryBytes), so a host can bound the memory its logs take. */
  bytesHeld = 0;

  /** A fresh group member that starts with a known membership (bootstrap), log empty. */
  static bootstrap(confState: ConfState): MemoryStorage {
    const s = new MemoryStorage();
    s.snap = { metadata: { index: 0, term: 0, confState: cloneConfState(confState) }, data: new Uint8Array() };
    return s;
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: { ...this.hardState }, confState: cloneConfState(this.snap.metadata.confState) };
  }

  private offset(): number {
    return this.ents[0]!.index;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  term(i: number): number | undefined {
    const off = this.offset();
    if (i < off || i > this.lastIndex()) return undefined;
    return this.ents[i - off]!.term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] | undefined {
    const off = this.offset();
    if (lo <= off) return undefined;
    invariant(hi <= this.lastIndex() + 1, () => `entries(${lo}, ${hi}) beyond last index ${this.lastIndex()}`);
    return limitByBytes(this.ents.slice(lo - off, hi - off), maxBytes);
  }

  snapshot(): Snapshot | undefined {
    return this.snap;
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  /** Appends persisted entries; an entry at an existing index replaces it and everything after. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0]!.index + entries.length - 1;
    if (last < first) return; // wholly compacted already
    const usable = first > entries[0]!.index ? entries.slice(first - entries[0]!.index) : entries;
    const at = usable[0]!.index - this.offset();
    invariant(at <= this.ents.length, () => `append leaves a gap: last ${this.lastIndex()}, appending ${usable[0]!.index}`);
    for (let i = at; i < this.ents.length; i++) this.bytesHeld -= entryBytes(this.ents[i]!);
    this.ents.length = at;
    for (const e of usable) {
      this.ents.push(e);
      this.bytesHeld += entryBytes(e);
    }
  }

  /** Replaces the whole log by a received snapshot. */
  applySnapshot(snapshot: Snapshot): void {
    if (snapshot.metadata.index <= this.snap.metadata.index) return;
    this.snap = snapshot;
    this.ents = [{ term: snapshot.metadata.term, index: snapshot.metadata.index, type: 0, data: new Uint8Array() }];
    this.bytesHeld = 0;
  }

  /** Records a snapshot of the local state machine as of `index` (which must be applied). */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    invariant(index <= this.lastIndex(), () => `snapshot index ${index} beyond last ${this.lastIndex()}`);
    const term = this.term(index);
    invariant(term !== undefined, () => `snapshot index ${index} is compacted`);
    if (index > this.snap.metadata.index) {
      this.snap = { metadata: { index, term, confState: cloneConfState(confState) }, data };
    }
    return this.snap;
  }

  /** Drops entries before `compactIndex`; the entry at compactIndex stays as the new dummy. */
  compact(compactIndex: number): void {
    const off = this.offset();
    if (compactIndex <= off) return;
    invariant(compactIndex <= this.lastIndex(), () => `compact ${compactIndex} beyond last ${this.lastIndex()}`);
    for (let i = 1; i <= compactIndex - off; i++) this.bytesHeld -= entryBytes(this.ents[i]!);
    const kept = this.ents.slice(compactIndex - off);
    kept[0] = { term: kept[0]!.term, index: kept[0]!.index, type: 0, data: new Uint8Array() };
    this.ents = kept;
  }

  /**
   * Where to compact so that at most `keepEntries` entries and `keepBytes` bytes stay at or below
   * `upTo` (the entries after the returned index): the margin a lagging follower can still catch up from.
   */
  retentionStart(upTo: number, keepEntries: number, keepBytes: number): number {
    const off = this.offset();
    let at = Math.min(upTo, this.lastIndex());
    let bytes = 0;
    while (at > off && upTo - at < keepEntries) {
      const b = entryBytes(this.ents[at - off]!);
      if (bytes + b > keepBytes) break;
      bytes += b;
      at--;
    }
    return at;
  }
}
