// One batch of traffic from one node to another per round: Raft messages of every group, with
// heartbeats coalesced into compact tuples (the bulk of idle traffic), quiesce notices, and the
// node-level liveness beat that lets quiesced groups notice a dead peer.

import { Message, MessageType, message } from '../raft/types.js';

export interface CoalescedHeartbeat {
  group: number;
  term: number;
  commit: number;
}

export interface QuiesceNotice {
  group: number;
  term: number;
  commit: number;
}

export interface PeerBatch {
  from: number;
  to: number;
  messages: Array<{ group: number; message: Message }>;
  heartbeats: CoalescedHeartbeat[];
  heartbeatResponses: Array<{ group: number; term: number }>;
  quiesce: QuiesceNotice[];
}

export function emptyBatch(from: number, to: number): PeerBatch {
  return { from, to, messages: [], heartbeats: [], heartbeatResponses: [], quiesce: [] };
}

export function isEmptyBatch(b: PeerBatch): boolean {
  return b.messages.length === 0 && b.heartbeats.length === 0 && b.heartbeatResponses.length === 0 && b.quiesce.length === 0;
}

export function addToBatch(b: PeerBatch, group: number, m: Message): void {
  if (m.type === MessageType.Heartbeat) b.heartbeats.push({ group, term: m.term, commit: m.commit });
  else if (m.type === MessageType.HeartbeatResp) b.heartbeatResponses.push({ group, term: m.term });
  else b.messages.push({ group, message: m });
}

/** Expands a batch back into per-group Raft messages, in the order the sender produced them by kind. */
export function expandBatch(b: PeerBatch): Array<{ group: number; message: Message }> {
  const out: Array<{ group: number; message: Message }> = [];
  for (const h of b.heartbeats) {
    out.push({ group: h.group, message: message({ type: MessageType.Heartbeat, from: b.from, to: b.to, term: h.term, commit: h.commit }) });
  }
  for (const h of b.heartbeatResponses) {
    out.push({ group: h.group, message: message({ type: MessageType.HeartbeatResp, from: b.from, to: b.to, term: h.term }) });
  }
  for (const m of b.messages) out.push(m);
  return out;
}
