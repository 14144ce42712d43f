// Peer frames: one PeerFrame (raft.proto) per binary WebSocket message on the /peer path, carrying a
// PeerBatch (broker/host/peer_batch.ts). Encoding is peer_frame_encoder.ts's, for our own batches (a
// number out of range is a bug: BAD_FIELD); decodePeerBatch reads untrusted bytes with protobufjs and
// throws nothing but ProtocolError.
//
// Entry and snapshot data are not copied on decode: they are views into the input bytes.
// On the wire, absent and empty are the same: decoding sets `entries` only when there are some,
// `snapshot` only when one was sent, `transfer` only when true and `removed` only when non-empty.

import { messageOf } from '../../storage/state/errors.js';
import { PeerBatch } from '../host/peer_batch.js';
import { ConfState, Entry, EntryType, Message, MessageType, Snapshot } from '../raft/types.js';
import { MESSAGE_TYPE_TO_WIRE, encodePeerBatchChunks } from './peer_frame_encoder.js';
import { concatChunks } from '../../storage/byte_chunks.js';
import { ProtocolError } from './errors.js';
import { DEFAULT_MAX_FRAME_BYTES } from './frames.js';
import { LongLike, numberFromLong } from './numbers.js';
import { wire, wireTypes } from './wire.js';

type WireBatch = wireTypes.peer.v1.RaftBatch;
type WireMessage = wireTypes.peer.v1.RaftMessage;
type WireEntry = wireTypes.peer.v1.Entry;
type WireSnapshot = wireTypes.peer.v1.Snapshot;

const MESSAGE_TYPE_FROM_WIRE = new Map<number, MessageType>(
  Object.entries(MESSAGE_TYPE_TO_WIRE).map(([type, n]) => [n, type as MessageType]),
);

// ---- encoding ----

/** The frame as one buffer. The node sends encodePeerBatchChunks' chunks instead, which copy no entry data. */
export function encodePeerBatch(b: PeerBatch): Uint8Array {
  return concatChunks(encodePeerBatchChunks(b));
}

// ---- decoding ----

/** Decodes one peer frame of untrusted bytes into a batch. Anything wrong is a ProtocolError, nothing else. */
export function decodePeerBatch(bytes: Uint8Array, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): PeerBatch {
  if (!(bytes instanceof Uint8Array)) throw new ProtocolError('MALFORMED_FRAME', 'a peer frame must be a Uint8Array of protobuf bytes');
  if (bytes.byteLength > maxFrameBytes) {
    throw new ProtocolError('FRAME_TOO_LARGE', `peer frame of ${bytes.byteLength} bytes exceeds the limit of ${maxFrameBytes}; lower the batch size or raise the limit on both sides`);
  }
  let frame: wireTypes.peer.v1.PeerFrame;
  try {
    frame = wire.peer.v1.PeerFrame.decode(bytes);
  } catch (err) {
    throw new ProtocolError('MALFORMED_FRAME', `not a Shoal peer frame: ${messageOf(err)}`, { cause: err });
  }
  if (frame.body !== 'raftBatch' || !frame.raftBatch) throw new ProtocolError('BAD_FIELD', 'the peer frame carries no raft_batch');
  return fromWireBatch(frame.raftBatch as WireBatch);
}

function fromWireBatch(b: WireBatch): PeerBatch {
  return {
    from: b.from,
    to: b.to,
    messages: b.messages.map((gm, i) => {
      if (!gm.message) throw new ProtocolError('BAD_FIELD', `batch message ${i} (group ${gm.group}) has no Raft message`);
      return { group: gm.group ?? 0, message: fromWireMessage(gm.message as WireMessage) };
    }),
    heartbeats: b.heartbeats.map((h) => ({ group: h.group ?? 0, term: u64(h.term, 'heartbeat term'), commit: u64(h.commit, 'heartbeat commit') })),
    heartbeatResponses: b.heartbeatResponses.map((h) => ({ group: h.group ?? 0, term: u64(h.term, 'heartbeat response term') })),
    quiesce: b.quiesce.map((q) => ({ group: q.group ?? 0, term: u64(q.term, 'quiesce term'), commit: u64(q.commit, 'quiesce commit') })),
  };
}

function fromWireMessage(w: WireMessage): Message {
  const type = MESSAGE_TYPE_FROM_WIRE.get(w.type);
  if (type === undefined) throw new ProtocolError('BAD_FIELD', `Raft message type ${w.type} is unknown`);
  const m: Message = {
    type,
    from: w.from,
    to: w.to,
    term: u64(w.term, 'message term'),
    logTerm: u64(w.logTerm, 'message log term'),
    index: u64(w.index, 'message index'),
    commit: u64(w.commit, 'message commit'),
    reject: w.reject,
    rejectHint: u64(w.rejectHint, 'message reject hint'),
  };
  if (w.entries.length > 0) m.entries = w.entries.map((e) => fromWireEntry(e as WireEntry));
  if (w.snapshot) m.snapshot = fromWireSnapshot(w.snapshot as WireSnapshot);
  if (w.transfer) m.transfer = true;
  return m;
}

const EMPTY_BYTES = new Uint8Array(0);

function fromWireEntry(e: WireEntry): Entry {
  const type: number = e.type;
  if (type !== EntryType.Normal && type !== EntryType.ConfChange) throw new ProtocolError('BAD_FIELD', `entry type ${type} is unknown`);
  return { term: u64(e.term, 'entry term'), index: u64(e.index, 'entry index'), type, data: nonEmpty(e.data) };
}

function fromWireSnapshot(s: WireSnapshot): Snapshot {
  const md = s.metadata;
  if (!md) throw new ProtocolError('BAD_FIELD', 'a snapshot arrived without metadata');
  const cs = md.confState;
  const confState: ConfState = {
    voters: ownIds(cs?.voters),
    learners: ownIds(cs?.learners),
    witnesses: ownIds(cs?.witnesses),
  };
  if (cs?.removed && cs.removed.length > 0) confState.removed = ownIds(cs.removed);
  return { metadata: { index: u64(md.index ?? 0, 'snapshot index'), term: u64(md.term ?? 0, 'snapshot term'), confState }, data: nonEmpty(s.data) };
}

// An absent repeated field decodes to protobufjs's one shared frozen array; callers get an array of their
// own (a decoded one already is: it belongs to this decode alone).
function ownIds(ids: number[] | null | undefined): number[] {
  return ids && ids.length > 0 ? ids : [];
}

// An absent bytes field decodes to protobufjs's shared default buffer; hand out our own empty view.
function nonEmpty(data: Uint8Array): Uint8Array {
  return data.byteLength > 0 ? data : EMPTY_BYTES;
}

function u64(value: number | LongLike | null | undefined, field: string): number {
  return value == null ? 0 : numberFromLong(value, field);
}
