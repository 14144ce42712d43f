// Membership changes, one node at a time (see docs/raft.md for why that is safe): validation,
// application to a ConfState, and the entry encoding.

import { ConfChangeError } from './errors.js';
import { ConfChange, ConfChangeType, ConfState, cloneConfState } from './types.js';

const TYPE_CODES: ConfChangeType[] = [
  ConfChangeType.AddVoter,
  ConfChangeType.AddLearner,
  ConfChangeType.AddWitness,
  ConfChangeType.RemoveNode,
];

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const bytes = new Uint8Array(5);
  bytes[0] = TYPE_CODES.indexOf(cc.type);
  new DataView(bytes.buffer).setUint32(1, cc.nodeId);
  return bytes;
}

export function decodeConfChange(bytes: Uint8Array): ConfChange {
  const type = TYPE_CODES[bytes[0]!];
  if (bytes.byteLength !== 5 || type === undefined) throw new ConfChangeError('malformed membership change entry');
  return { type, nodeId: new DataView(bytes.buffer, bytes.byteOffset, 5).getUint32(1) };
}

/** Voting members: voters and witnesses both count towards quorum. */
export function quorumMembers(cs: ConfState): number[] {
  return [...cs.voters, ...cs.witnesses];
}

export function isMember(cs: ConfState, id: number): boolean {
  return cs.voters.includes(id) || cs.learners.includes(id) || cs.witnesses.includes(id);
}

/**
 * Why `cc` cannot be applied to `cs`, or undefined if it can. Every change moves at most one node
 * in or out of the quorum, and the quorum must keep at least one voter that can lead.
 */
export function confChangeProblem(cs: ConfState, cc: ConfChange): string | undefined {
  if (!Number.isInteger(cc.nodeId) || cc.nodeId <= 0) return `node id must be a positive integer, got ${cc.nodeId}`;
  const id = cc.nodeId;
  if (cc.type !== ConfChangeType.RemoveNode && (cs.removed ?? []).includes(id)) {
    return `node ${id} was removed from this group and cannot rejoin under the same id`;
  }
  switch (cc.type) {
    case ConfChangeType.AddVoter:
      if (cs.voters.includes(id)) return `node ${id} is already a voter`;
      if (cs.witnesses.includes(id)) return `node ${id} is a witness and holds no data; remove it, then add it as a learner`;
      return undefined;
    case ConfChangeType.AddLearner:
      if (cs.learners.includes(id)) return `node ${id} is already a learner`;
      if (cs.witnesses.includes(id)) return `node ${id} is a witness and holds no data; remove it, then add it as a learner`;
      if (cs.voters.includes(id) && cs.voters.length === 1) return `node ${id} is the last voter`;
      return undefined;
    case ConfChangeType.AddWitness:
      if (cs.witnesses.includes(id)) return `node ${id} is already a witness`;
      if (cs.voters.includes(id) && cs.voters.length === 1) return `node ${id} is the last voter`;
      return undefined;
    case ConfChangeType.RemoveNode:
      if (!isMember(cs, id)) return `node ${id} is not a member`;
      if (cs.voters.includes(id) && cs.voters.length === 1) return `node ${id} is the last voter`;
      return undefined;
  }
}

/** The membership after `cc`. An invalid change yields the same membership on every replica. */
export function applyConfChangeTo(cs: ConfState, cc: ConfChange): ConfState {
  if (confChangeProblem(cs, cc) !== undefined) return cloneConfState(cs);
  const id = cc.nodeId;
  const next: ConfState = {
    voters: cs.voters.filter((v) => v !== id),
    learners: cs.learners.filter((v) => v !== id),
    witnesses: cs.witnesses.filter((v) => v !== id),
    removed: [...(cs.removed ?? [])],
  };
  if (cc.type === ConfChangeType.RemoveNode) next.removed!.push(id);
  if (cc.type === ConfChangeType.AddVoter) next.voters.push(id);
  if (cc.type === ConfChangeType.AddLearner) next.learners.push(id);
  if (cc.type === ConfChangeType.AddWitness) next.witnesses.push(id);
  next.voters.sort((a, b) => a - b);
  next.learners.sort((a, b) => a - b);
  next.witnesses.sort((a, b) => a - b);
  return next;
}
