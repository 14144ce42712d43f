// The records a multi-Raft host writes to its node's single write-ahead log, and the pure
// recovery that rebuilds each group's stable Raft state from them. The byte framing of these
// records (length, CRC32C, LSN) belongs to storage/; this is their meaning.

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
    const g = groups.get(r.group);
    if (!g) continue; // a record of a group removed later in the log
    applyRecord(g.storage, r);
  }
  return { groups, tombstones };
}

export function applyRecord(storage: MemoryStorage, r: WalRecord): void {
  switch (r.kind) {
    case 'hardState':
      storage.setHardState(r.hardState);
      return;
    case 'entries':
      storage.append(r.entries);
      return;
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
