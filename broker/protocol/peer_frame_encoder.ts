// Encodes a PeerBatch as the bytes of a PeerFrame (raft.proto) without copying entry or snapshot data:
// the result is a list of chunks whose concatenation is the frame. Small fields go into a shared
// block; a large data field is its own chunk, the caller's bytes as they are. A leader sends the same
// entries to every follower, so each follower's frame costs a few header bytes, not a copy of them.
//
// Decoding stays with protobufjs (peer_frames.ts): this writes plain proto3, zero values omitted,
// repeated uint32 packed, and every nested message present that the reader requires.

import { PeerBatch } from '../host/peer_batch.js';
import { ConfState, Entry, EntryType, Message, MessageType, Snapshot } from '../raft/types.js';
import { ProtocolError } from './errors.js';
import { checkUnsigned } from './numbers.js';
import { wire } from './wire.js';
import { ByteChunks, isReferenced } from '../../storage/byte_chunks.js';

const W = wire.peer.v1.MessageType;
/** raft.proto's MessageType numbers. */
export const MESSAGE_TYPE_TO_WIRE: Record<MessageType, number> = {
  [MessageType.Hup]: W.MSG_HUP,
  [MessageType.Beat]: W.MSG_BEAT,
  [MessageType.CheckQuorum]: W.MSG_CHECK_QUORUM,
  [MessageType.TransferLeader]: W.MSG_TRANSFER_LEADER,
  [MessageType.Unreachable]: W.MSG_UNREACHABLE,
  [MessageType.SnapStatus]: W.MSG_SNAP_STATUS,
  [MessageType.App]: W.MSG_APP,
  [MessageType.AppResp]: W.MSG_APP_RESP,
  [MessageType.Vote]: W.MSG_VOTE,
  [MessageType.VoteResp]: W.MSG_VOTE_RESP,
  [MessageType.PreVote]: W.MSG_PRE_VOTE,
  [MessageType.PreVoteResp]: W.MSG_PRE_VOTE_RESP,
  [MessageType.Snap]: W.MSG_SNAP,
  [MessageType.Heartbeat]: W.MSG_HEARTBEAT,
  [MessageType.HeartbeatResp]: W.MSG_HEARTBEAT_RESP,
  [MessageType.TimeoutNow]: W.MSG_TIMEOUT_NOW,
};

/** Later blocks, only if the exact first one fell short (it should not). */
const BLOCK_BYTES = 4096;
const VARINT = 0;
const LENGTH_DELIMITED = 2;

/** The frame's bytes as chunks to write back to back (one WebSocket message, maybe in fragments). */
export function encodePeerBatchChunks(b: PeerBatch): Uint8Array[] {
  checkBatch(b);
  const messageSizes = b.messages.map(({ message }) => raftMessageSize(message));
  const size = batchSize(b, messageSizes);
  // One block holds every byte that is not referenced: the frame is one chunk plus one per large field.
  const w = new ChunkWriter(messageFieldSize(size) - referencedBytes(b));
  w.messageHeader(1, size);
  w.uintField(1, b.from);
  w.uintField(2, b.to);
  b.messages.forEach(({ group, message }, i) => {
    const size = messageSizes[i]!;
    w.messageHeader(3, uintFieldSize(group) + messageFieldSize(size));
    w.uintField(1, group);
    w.messageHeader(2, size);
    writeRaftMessage(w, message);
  });
  for (const h of b.heartbeats) writeTriple(w, 4, h.group, h.term, h.commit);
  for (const h of b.heartbeatResponses) writeTriple(w, 5, h.group, h.term, 0);
  for (const q of b.quiesce) writeTriple(w, 6, q.group, q.term, q.commit);
  return w.finish();
}

// ---- checks: a number out of range is our bug, refused before any byte is written ----

function checkBatch(b: PeerBatch): void {
  checkUnsigned(b.from, 'batch.from', 32);
  checkUnsigned(b.to, 'batch.to', 32);
  for (const h of b.heartbeats) checkGroupTermCommit(h.group, h.term, h.commit, 'heartbeat');
  for (const h of b.heartbeatResponses) checkGroupTermCommit(h.group, h.term, 0, 'heartbeat response');
  for (const q of b.quiesce) checkGroupTermCommit(q.group, q.term, q.commit, 'quiesce notice');
  for (const { group, message } of b.messages) {
    checkUnsigned(group, 'message group', 32);
    checkMessage(message);
  }
}

function checkGroupTermCommit(group: number, term: number, commit: number, what: string): void {
  checkUnsigned(group, `${what} group`, 32);
  checkUnsigned(term, `${what} term`, 64);
  checkUnsigned(commit, `${what} commit`, 64);
}

function checkMessage(m: Message): void {
  if (MESSAGE_TYPE_TO_WIRE[m.type] === undefined) throw new ProtocolError('BAD_FIELD', `cannot encode Raft message type ${String(m.type)}`);
  checkUnsigned(m.from, 'message.from', 32);
  checkUnsigned(m.to, 'message.to', 32);
  for (const [field, n] of [['term', m.term], ['logTerm', m.logTerm], ['index', m.index], ['commit', m.commit], ['rejectHint', m.rejectHint]] as const) {
    checkUnsigned(n, `message.${field}`, 64);
  }
  for (const e of m.entries ?? []) {
    checkUnsigned(e.term, 'entry.term', 64);
    checkUnsigned(e.index, 'entry.index', 64);
    if (e.type !== EntryType.Normal && e.type !== EntryType.ConfChange) throw new ProtocolError('BAD_FIELD', `cannot encode entry type ${String(e.type)}`);
  }
  if (m.snapshot !== undefined) {
    const { index, term, confState } = m.snapshot.metadata;
    checkUnsigned(index, 'snapshot.index', 64);
    checkUnsigned(term, 'snapshot.term', 64);
    for (const id of idsOf(confState)) checkUnsigned(id, 'snapshot conf state node id', 32);
  }
}

function idsOf(cs: ConfState): number[] {
  return [...cs.voters, ...cs.learners, ...cs.witnesses, ...(cs.removed ?? [])];
}

// ---- sizes (every field number here is below 16: one-byte tags) ----

function referencedBytes(b: PeerBatch): number {
  let n = 0;
  const add = (data: Uint8Array): void => { if (isReferenced(data)) n += data.byteLength; };
  for (const { message } of b.messages) {
    for (const e of message.entries ?? []) add(e.data);
    if (message.snapshot !== undefined) add(message.snapshot.data);
  }
  return n;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function uintFieldSize(n: number): number {
  return n === 0 ? 0 : 1 + varintSize(n);
}

function bytesFieldSize(length: number): number {
  return length === 0 ? 0 : 1 + varintSize(length) + length;
}

function messageFieldSize(size: number): number {
  return 1 + varintSize(size) + size;
}

function batchSize(b: PeerBatch, messageSizes: number[]): number {
  let size = uintFieldSize(b.from) + uintFieldSize(b.to);
  b.messages.forEach(({ group }, i) => { size += messageFieldSize(uintFieldSize(group) + messageFieldSize(messageSizes[i]!)); });
  for (const h of b.heartbeats) size += messageFieldSize(tripleSize(h.group, h.term, h.commit));
  for (const h of b.heartbeatResponses) size += messageFieldSize(tripleSize(h.group, h.term, 0));
  for (const q of b.quiesce) size += messageFieldSize(tripleSize(q.group, q.term, q.commit));
  return size;
}

function tripleSize(a: number, b: number, c: number): number {
  return uintFieldSize(a) + uintFieldSize(b) + uintFieldSize(c);
}

function entrySize(e: Entry): number {
  return uintFieldSize(e.term) + uintFieldSize(e.index) + uintFieldSize(e.type) + bytesFieldSize(e.data.byteLength);
}

function raftMessageSize(m: Message): number {
  let size = uintFieldSize(MESSAGE_TYPE_TO_WIRE[m.type]) + uintFieldSize(m.from) + uintFieldSize(m.to)
    + uintFieldSize(m.term) + uintFieldSize(m.logTerm) + uintFieldSize(m.index) + uintFieldSize(m.commit)
    + (m.reject ? 2 : 0) + uintFieldSize(m.rejectHint) + (m.transfer === true ? 2 : 0);
  for (const e of m.entries ?? []) size += messageFieldSize(entrySize(e));
  if (m.snapshot !== undefined) size += messageFieldSize(snapshotSize(m.snapshot));
  return size;
}

function snapshotSize(s: Snapshot): number {
  return messageFieldSize(metadataSize(s)) + bytesFieldSize(s.data.byteLength);
}

function metadataSize(s: Snapshot): number {
  return uintFieldSize(s.metadata.index) + uintFieldSize(s.metadata.term) + messageFieldSize(confStateSize(s.metadata.confState));
}

function packedSize(ids: readonly number[]): number {
  if (ids.length === 0) return 0;
  let body = 0;
  for (const id of ids) body += varintSize(id);
  return messageFieldSize(body);
}

function confStateSize(cs: ConfState): number {
  return packedSize(cs.voters) + packedSize(cs.learners) + packedSize(cs.witnesses) + packedSize(cs.removed ?? []);
}

// ---- writing, in field-number order ----

function writeTriple(w: ChunkWriter, field: number, a: number, b: number, c: number): void {
  w.messageHeader(field, tripleSize(a, b, c));
  w.uintField(1, a);
  w.uintField(2, b);
  w.uintField(3, c);
}

function writeRaftMessage(w: ChunkWriter, m: Message): void {
  w.uintField(1, MESSAGE_TYPE_TO_WIRE[m.type]);
  w.uintField(2, m.from);
  w.uintField(3, m.to);
  w.uintField(4, m.term);
  w.uintField(5, m.logTerm);
  w.uintField(6, m.index);
  w.uintField(7, m.commit);
  if (m.reject) w.uintField(8, 1);
  w.uintField(9, m.rejectHint);
  for (const e of m.entries ?? []) {
    w.messageHeader(10, entrySize(e));
    w.uintField(1, e.term);
    w.uintField(2, e.index);
    w.uintField(3, e.type);
    w.bytesField(4, e.data);
  }
  if (m.snapshot !== undefined) writeSnapshot(w, m.snapshot);
  if (m.transfer === true) w.uintField(12, 1);
}

function writeSnapshot(w: ChunkWriter, s: Snapshot): void {
  w.messageHeader(11, snapshotSize(s));
  w.messageHeader(1, metadataSize(s));
  w.uintField(1, s.metadata.index);
  w.uintField(2, s.metadata.term);
  const cs = s.metadata.confState;
  w.messageHeader(3, confStateSize(cs));
  w.packed(1, cs.voters);
  w.packed(2, cs.learners);
  w.packed(3, cs.witnesses);
  w.packed(4, cs.removed ?? []);
  w.bytesField(2, s.data);
}

/** Appends protobuf fields to ByteChunks: a large data field goes out as its own chunk. */
class ChunkWriter {
  private readonly bytes: ByteChunks;

  /** `copiedBytes`: what the frame holds besides referenced data, so one block takes all of it. */
  constructor(copiedBytes: number) {
    this.bytes = new ByteChunks(copiedBytes, BLOCK_BYTES);
  }

  uintField(field: number, n: number): void {
    if (n === 0) return;
    this.tag(field, VARINT);
    this.varint(n);
  }

  messageHeader(field: number, size: number): void {
    this.tag(field, LENGTH_DELIMITED);
    this.varint(size);
  }

  bytesField(field: number, data: Uint8Array): void {
    if (data.byteLength === 0) return;
    this.messageHeader(field, data.byteLength);
    this.bytes.add(data);
  }

  packed(field: number, ids: readonly number[]): void {
    if (ids.length === 0) return;
    let body = 0;
    for (const id of ids) body += varintSize(id);
    this.messageHeader(field, body);
    for (const id of ids) this.varint(id);
  }

  finish(): Uint8Array[] {
    return this.bytes.finish();
  }

  private tag(field: number, wireType: number): void {
    this.bytes.byte((field << 3) | wireType);
  }

  // Below 2^53: the high bits are taken by division, since JS bit operators stop at 32 bits.
  private varint(n: number): void {
    while (n >= 128) {
      this.bytes.byte((n % 128) | 128);
      n = Math.floor(n / 128);
    }
    this.bytes.byte(n);
  }
}
