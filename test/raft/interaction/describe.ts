// Text renderings of the core's values for the interaction scripts: one line per message or
// entry, stable across runs, close to etcd's rafttest output so the scripts read alike.

import { RawNode, Ready } from '../../../broker/raft/raw_node.js';
import { ConfState, Entry, EntryType, Message, Snapshot } from '../../../broker/raft/types.js';

const decoder = new TextDecoder();

export function describeEntry(e: Entry): string {
  if (e.type === EntryType.ConfChange) {
    const cc = RawNode.confChangeOf(e);
    return `${e.term}/${e.index} ConfChange:${cc.type}(${cc.nodeId})`;
  }
  return `${e.term}/${e.index} ${JSON.stringify(decoder.decode(e.data))}`;
}

export function describeConfState(cs: ConfState): string {
  let s = `Voters:[${cs.voters.join(',')}]`;
  if (cs.learners.length > 0) s += ` Learners:[${cs.learners.join(',')}]`;
  if (cs.witnesses.length > 0) s += ` Witnesses:[${cs.witnesses.join(',')}]`;
  if ((cs.removed ?? []).length > 0) s += ` Removed:[${cs.removed!.join(',')}]`;
  return s;
}

/** The interaction state machine's snapshot data is a JSON list of applied values. */
export function snapshotValues(data: Uint8Array): string[] {
  return data.byteLength === 0 ? [] : (JSON.parse(decoder.decode(data)) as string[]);
}

export function describeSnapshot(s: Snapshot): string {
  const { index, term, confState } = s.metadata;
  return `Index:${index} Term:${term} ConfState:{${describeConfState(confState)}} Data:[${snapshotValues(s.data).join(' ')}]`;
}

export function describeMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${m.type} Term:${m.term} Log:${m.logTerm}/${m.index}`;
  if (m.reject) s += ` Rejected (Hint: ${m.rejectHint})`;
  if (m.commit !== 0) s += ` Commit:${m.commit}`;
  if (m.transfer) s += ' Transfer';
  if (m.entries && m.entries.length > 0) s += ` Entries:[${m.entries.map(describeEntry).join(', ')}]`;
  if (m.snapshot) s += ` Snapshot:{${describeSnapshot(m.snapshot)}}`;
  return s;
}

export function describeReady(rd: Ready): string[] {
  const out = [`Ready MustSync=${rd.mustSync}:`];
  if (rd.softState) out.push(`Lead:${rd.softState.lead} State:${rd.softState.role}`);
  if (rd.hardState) out.push(`HardState Term:${rd.hardState.term} Vote:${rd.hardState.vote} Commit:${rd.hardState.commit}`);
  if (rd.snapshot) out.push(`Snapshot ${describeSnapshot(rd.snapshot)}`);
  if (rd.entries.length > 0) out.push('Entries:', ...rd.entries.map(describeEntry));
  if (rd.committedEntries.length > 0) out.push('CommittedEntries:', ...rd.committedEntries.map(describeEntry));
  if (rd.messages.length > 0) out.push('Messages:', ...rd.messages.map(describeMessage));
  return out;
}

export function describeError(e: unknown): string {
  if (e instanceof Error) return `error: ${e.name}: ${e.message}`;
  return `error: ${String(e)}`;
}
