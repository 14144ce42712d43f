// The records a multi-Raft host writes to its node's single write-ahead log, and the pure
// recovery that rebuilds each group's stable Raft state from them. The byte framing of these
// records (length, CRC32C, LSN) belongs to storage/; this is their meaning.

import { invariant } from '../raft/errors.js';
import { MemoryStorage } from '../raft/storage.js';
import { ConfState, Entry, HardState, Snapshot, cloneConfState } from '../raft/types.js';

export type WalRecord =
  | { kind: 'createGroup'; group: number; confState: ConfState | undefined; term: number } // undefined: joins later
  | { kind: 'removeGroup'; group: number; term: number }
  | { kind: 'hardState'; group: number; hardState: HardState }
  | { kind: 'entries'; group: number; entries: Entry[] }
  | { kind: 'snapshot'; group: number; snapshot: Snapshot };

export interface RecoveredGroup {
  storage: MemoryStorage;
}

export interface RecoveredNode {
  groups: Map<number, RecoveredGroup>;
  /** Highest term each removed group reached here; a rejoin starts from it so no vote is cast twice. */
  tombstones: Map<number, number>;
}

/** The stable state of a freshly created group: bootstrap members hold a snapshot at LSN 1. */
export function newGroupStorage(confState: ConfState | undefined, term: number): MemoryStorage {
  if (confState === undefined) {
    const s = new MemoryStorage();
    s.setHardState({ term, vote: 0, commit: 0 });
    return s;
  }
  // A bootstrap snapshot at LSN 1 carries the initial membership, so a member that joins later
  // always starts from a snapshot and never replays a log that lacks it.
  const s = new MemoryStorage();
  s.applySnapshot({ metadata: { index: 1, term: 1, confState: cloneConfState(confState) }, data: new Uint8Array() });
  s.setHardState({ term: Math.max(1, term), vote: 0, commit: 1 });
  return s;
}

/** Replays records in log order. Deterministic: the same records always give the same state. */
export function recoverNode(records: Iterable<WalRecord>): RecoveredNode {
  const groups = new Map<number, RecoveredGroup>();
  const tombstones = new Map<number, number>();
  for (const r of records) {
    if (r.kind === 'createGroup') {
      groups.set(r.group, { storage: newGroupStorage(r.confState, r.term) });
      continue;
    }
    if (r.kind === 'removeGroup') {
      groups.delete(r.group);
      tombstones.set(r.group, Math.max(tombstones.get(r.group) ?? 0, r.term));
      continue;
    }
    let g = groups.get(r.group);
    if (!g && r.kind === 'snapshot') {
      // A checkpoint restated this group after the segment holding its creation was released.
      g = { storage: new MemoryStorage() };
      groups.set(r.group, g);
    }
    if (!g) continue; // a record of a group removed later in the log
    applyRecord(g.storage, r);
  }
  for (const [id, g] of groups) {
    const { commit } = g.storage.hardState;
    // Entries are written before the hard state that commits them: a commit past the log means
    // the log lost synced data (a lying disk, a deleted segment). Refuse to run on it.
    invariant(commit <= g.storage.lastIndex(), () => `group ${id}: WAL commit ${commit} is beyond its last LSN ${g.storage.lastIndex()}; the log lost synced records`);
  }
  return { groups, tombstones };
}

export function applyRecord(storage: MemoryStorage, r: WalRecord): void {
  switch (r.kind) {
    case 'hardState':
      storage.setHardState(r.hardState);
      return;
    case 'entries': {
      // Raft never truncates entries that match, so replay doesn't either: a record that restates
      // entries already held (a checkpoint's, possibly cut short by a crash) must not drop the rest.
      const conflict = r.entries.findIndex((e) => storage.term(e.index) !== e.term);
      if (conflict >= 0) storage.append(conflict === 0 ? r.entries : r.entries.slice(conflict));
      return;
    }
    case 'snapshot': {
      const { index, term } = r.snapshot.metadata;
      // Our own snapshot over entries we hold: keep the entries after it. A received one: replace the log.
      if (storage.term(index) === term && index <= storage.lastIndex()) {
        storage.createSnapshot(index, r.snapshot.metadata.confState, r.snapshot.data);
        storage.compact(index);
      } else {
        storage.applySnapshot(r.snapshot);
      }
      // A snapshot holds committed state only. If a crash kept it but not the hard state written
      // after it in the same round, the stored commit must still not fall below it.
      if (storage.hardState.commit < index) storage.setHardState({ ...storage.hardState, commit: index });
      return;
    }
    default:
      return;
  }
}
