// The host's WalRecords as frames, and back. An `entries` record becomes one frame per entry,
// each carrying its own term and LSN, so a torn write keeps a clean prefix of entries.

import { WalRecord } from '../../broker/host/wal_records.js';
import { ConfState, Entry, EntryType } from '../../broker/raft/types.js';
import { Frame, FrameType } from './frame.js';

const NO_PAYLOAD = new Uint8Array(0);

export function recordToFrames(r: WalRecord): Frame[] {
  switch (r.kind) {
    case 'entries':
      return r.entries.map((e) => ({ type: FrameType.Entry, subtype: e.type, group: r.group, term: e.term, lsn: e.index, payload: e.data }));
    case 'hardState': {
      const payload = new Uint8Array(8);
      new DataView(payload.buffer).setFloat64(0, r.hardState.vote, true);
      return [{ type: FrameType.HardState, subtype: 0, group: r.group, term: r.hardState.term, lsn: r.hardState.commit, payload }];
    }
    case 'createGroup':
      return [{ type: FrameType.CreateGroup, subtype: 0, group: r.group, term: r.term, lsn: 0, payload: encodeConfState(r.confState) }];
    case 'removeGroup':
      return [{ type: FrameType.RemoveGroup, subtype: 0, group: r.group, term: r.term, lsn: 0, payload: NO_PAYLOAD }];
    case 'snapshot': {
      const cs = encodeConfState(r.snapshot.metadata.confState);
      const payload = new Uint8Array(cs.length + r.snapshot.data.length);
      payload.set(cs, 0);
      payload.set(r.snapshot.data, cs.length);
      return [{ type: FrameType.Snapshot, subtype: 0, group: r.group, term: r.snapshot.metadata.term, lsn: r.snapshot.metadata.index, payload }];
    }
  }
}

/**
 * Folds frames back into records. Consecutive entry frames of one group with consecutive LSNs
 * become one `entries` record, as they were written. Payloads are copied out of the read buffer.
 */
export function framesToRecords(frames: Iterable<Frame>): WalRecord[] {
  const out: WalRecord[] = [];
  for (const f of frames) {
    switch (f.type) {
      case FrameType.Entry: {
        const entry: Entry = { term: f.term, index: f.lsn, type: f.subtype as EntryType, data: new Uint8Array(f.payload) }; // a copy (Buffer.slice would keep the whole segment alive)
        const last = out[out.length - 1];
        if (last?.kind === 'entries' && last.group === f.group && last.entries[last.entries.length - 1]!.index + 1 === f.lsn) {
          last.entries.push(entry);
        } else {
          out.push({ kind: 'entries', group: f.group, entries: [entry] });
        }
        break;
      }
      case FrameType.HardState: {
        const vote = new DataView(f.payload.buffer, f.payload.byteOffset, 8).getFloat64(0, true);
        out.push({ kind: 'hardState', group: f.group, hardState: { term: f.term, vote, commit: f.lsn } });
        break;
      }
      case FrameType.CreateGroup:
        out.push({ kind: 'createGroup', group: f.group, confState: decodeConfState(f.payload).confState, term: f.term });
        break;
      case FrameType.RemoveGroup:
        out.push({ kind: 'removeGroup', group: f.group, term: f.term });
        break;
      case FrameType.Snapshot: {
        const { confState, bytesRead } = decodeConfState(f.payload);
        out.push({
          kind: 'snapshot',
          group: f.group,
          snapshot: { metadata: { index: f.lsn, term: f.term, confState: confState! }, data: f.payload.slice(bytesRead) },
        });
        break;
      }
      default:
        break; // segment headers carry no record
    }
  }
  return out;
}

// ConfState: u8 present, then voters, learners, witnesses, removed as (u32 count, u32 ids...).
function encodeConfState(cs: ConfState | undefined): Uint8Array {
  if (cs === undefined) return new Uint8Array([0]);
  const lists = [cs.voters, cs.learners, cs.witnesses, cs.removed ?? []];
  const bytes = new Uint8Array(1 + lists.reduce((n, l) => n + 4 + 4 * l.length, 0));
  const view = new DataView(bytes.buffer);
  bytes[0] = 1;
  let at = 1;
  for (const list of lists) {
    view.setUint32(at, list.length, true);
    at += 4;
    for (const id of list) {
      view.setUint32(at, id, true);
      at += 4;
    }
  }
  return bytes;
}

function decodeConfState(bytes: Uint8Array): { confState: ConfState | undefined; bytesRead: number } {
  if (bytes[0] === 0) return { confState: undefined, bytesRead: 1 };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let at = 1;
  const lists: number[][] = [];
  for (let l = 0; l < 4; l++) {
    const n = view.getUint32(at, true);
    at += 4;
    const list: number[] = [];
    for (let i = 0; i < n; i++, at += 4) list.push(view.getUint32(at, true));
    lists.push(list);
  }
  const [voters, learners, witnesses, removed] = lists as [number[], number[], number[], number[]];
  const confState: ConfState = { voters, learners, witnesses };
  if (removed.length > 0) confState.removed = removed;
  return { confState, bytesRead: at };
}
