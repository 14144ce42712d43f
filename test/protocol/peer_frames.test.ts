// Peer frames: a PeerBatch survives encodePeerBatch/decodePeerBatch exactly, for every Raft message
// type, snapshots, quiesce notices, coalesced heartbeats and empty batches; entry data is not copied;
// numbers beyond 2^53 and malformed batches are refused with a ProtocolError.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeerBatch, addToBatch, emptyBatch, expandBatch } from '../../broker/host/peer_batch.js';
import { ConfState, Entry, EntryType, Message, MessageType, Snapshot, message } from '../../broker/raft/types.js';
import { SeededRandom } from '../../broker/raft/random.js';
import { ProtocolError, ProtocolErrorCode } from '../../broker/protocol/errors.js';
import { decodePeerBatch, encodePeerBatch } from '../../broker/protocol/peer_frames.js';
import { wire } from '../../broker/protocol/wire.js';
import { fakeArrow, plain } from './samples.js';

const BIG = 2 ** 53 - 1;

function roundTrip(b: PeerBatch): PeerBatch {
  return decodePeerBatch(plain(encodePeerBatch(b)));
}

/** The batch as the wire carries it: absent and empty are the same, so compare with those folded. */
function normalized(b: PeerBatch): PeerBatch {
  return {
    ...b,
    messages: b.messages.map(({ group, message: m }) => {
      const out: Message = { ...m };
      if (!out.entries?.length) delete out.entries;
      else out.entries = out.entries.map((e) => ({ ...e, data: Uint8Array.from(e.data) }));
      if (!out.transfer) delete out.transfer;
      if (out.snapshot === undefined) delete out.snapshot;
      else {
        const cs: ConfState = { ...out.snapshot.metadata.confState };
        if (!cs.removed?.length) delete cs.removed;
        out.snapshot = { metadata: { ...out.snapshot.metadata, confState: cs }, data: Uint8Array.from(out.snapshot.data) };
      }
      return { group, message: out };
    }),
  };
}

function entry(term: number, index: number, data: Uint8Array, type = EntryType.Normal): Entry {
  return { term, index, type, data };
}

function snapshot(index: number, term: number, data: Uint8Array, removed?: number[]): Snapshot {
  const confState: ConfState = { voters: [1, 2, 3], learners: [4], witnesses: [5] };
  if (removed) confState.removed = removed;
  return { metadata: { index, term, confState }, data };
}

const ALL_TYPES = Object.values(MessageType);

test('every Raft message type round-trips with every scalar field set', () => {
  assert.equal(ALL_TYPES.length, 16);
  const b = emptyBatch(1, 2);
  ALL_TYPES.forEach((type, i) => {
    b.messages.push({
      group: 2 + i,
      message: message({ type, from: 1, to: 2, term: BIG - i, logTerm: 7 + i, index: 1000 + i, commit: 999, reject: i % 2 === 0, rejectHint: 5 + i }),
    });
  });
  assert.deepStrictEqual(roundTrip(b), normalized(b));
});

test('App messages carry their entries exactly: normal, conf change, empty no-op, large', () => {
  const entries = [
    entry(3, 10, new Uint8Array(0)), // a leader's no-op
    entry(3, 11, fakeArrow(1024)),
    entry(3, 12, Uint8Array.of(1, 2, 3), EntryType.ConfChange),
    entry(BIG, BIG, fakeArrow(200_000, 9)),
  ];
  const b = emptyBatch(3, 1);
  b.messages.push({ group: 7, message: message({ type: MessageType.App, from: 3, to: 1, term: 3, logTerm: 3, index: 9, commit: 9, entries }) });
  b.messages.push({ group: 7, message: message({ type: MessageType.App, from: 3, to: 1, term: 3, logTerm: 3, index: 9, commit: 9, entries: [] }) });
  const out = roundTrip(b);
  assert.deepStrictEqual(out, normalized(b));
  assert.equal(out.messages[0]!.message.entries![2]!.type, EntryType.ConfChange);
  assert.equal(out.messages[1]!.message.entries, undefined, 'an empty entry list reads as absent');
});

test('entry data is a view into the received bytes, not a copy', () => {
  const b = emptyBatch(1, 2);
  b.messages.push({ group: 2, message: message({ type: MessageType.App, entries: [entry(1, 1, fakeArrow(4096))] }) });
  const input = plain(encodePeerBatch(b));
  const data = decodePeerBatch(input).messages[0]!.message.entries![0]!.data;
  assert.equal(data.buffer, input.buffer);
  assert.ok(data.byteOffset > input.byteOffset && data.byteOffset + data.byteLength <= input.byteOffset + input.byteLength);
});

test('Snap messages carry the snapshot: metadata, membership with removed ids, data (also empty, for witnesses)', () => {
  const b = emptyBatch(1, 5);
  b.messages.push({ group: 2, message: message({ type: MessageType.Snap, from: 1, to: 5, term: 4, snapshot: snapshot(500, 4, fakeArrow(10_000), [6, 7]) }) });
  b.messages.push({ group: 3, message: message({ type: MessageType.Snap, from: 1, to: 5, term: 4, snapshot: snapshot(BIG, BIG, new Uint8Array(0)) }) });
  b.messages.push({ group: 4, message: message({ type: MessageType.Snap, from: 1, to: 5, term: 4, snapshot: snapshot(1, 1, Uint8Array.of(1), []) }) });
  const out = roundTrip(b);
  assert.deepStrictEqual(out, normalized(b));
  assert.deepStrictEqual(out.messages[0]!.message.snapshot!.metadata.confState.removed, [6, 7]);
  assert.equal('removed' in out.messages[2]!.message.snapshot!.metadata.confState, false);
});

test('a snapshot with an empty membership still gets arrays of its own', () => {
  const b = emptyBatch(1, 2);
  const s: Snapshot = { metadata: { index: 1, term: 1, confState: { voters: [], learners: [], witnesses: [] } }, data: new Uint8Array(0) };
  b.messages.push({ group: 2, message: message({ type: MessageType.Snap, snapshot: s }) });
  const cs: ConfState = roundTrip(b).messages[0]!.message.snapshot!.metadata.confState;
  assert.deepEqual({ ...cs }, { voters: [], learners: [], witnesses: [] });
  cs.voters.push(9); // must not throw (protobufjs's shared default array is frozen) nor leak into the next decode
  assert.deepStrictEqual(roundTrip(b).messages[0]!.message.snapshot!.metadata.confState.voters, []);
});

test('votes keep the leader-transfer flag', () => {
  const b = emptyBatch(2, 3);
  b.messages.push({ group: 9, message: message({ type: MessageType.Vote, from: 2, to: 3, term: 8, index: 40, logTerm: 7, transfer: true }) });
  b.messages.push({ group: 9, message: message({ type: MessageType.PreVote, from: 2, to: 3, term: 8, transfer: false }) });
  const out = roundTrip(b);
  assert.equal(out.messages[0]!.message.transfer, true);
  assert.equal(out.messages[1]!.message.transfer, undefined);
  assert.deepStrictEqual(out, normalized(b));
});

test('coalesced heartbeats, heartbeat responses and quiesce notices round-trip, and expand like the original', () => {
  const b = emptyBatch(4, 1);
  for (let g = 2; g < 200; g++) {
    addToBatch(b, g, message({ type: MessageType.Heartbeat, from: 4, to: 1, term: g, commit: g * 10 }));
    addToBatch(b, g, message({ type: MessageType.HeartbeatResp, from: 4, to: 1, term: g + 1 }));
  }
  b.quiesce.push({ group: 2, term: BIG, commit: BIG }, { group: 0xffff_ffff, term: 1, commit: 0 });
  const out = roundTrip(b);
  assert.deepStrictEqual(out, b);
  assert.deepStrictEqual(expandBatch(out), expandBatch(b));
});

test('an empty batch round-trips (the node-level liveness beat)', () => {
  assert.deepStrictEqual(roundTrip(emptyBatch(1, 2)), emptyBatch(1, 2));
  assert.deepStrictEqual(roundTrip(emptyBatch(0xffff_ffff, 0)), emptyBatch(0xffff_ffff, 0));
});

test('seeded random batches round-trip exactly', () => {
  const seed = 20240611;
  const r = new SeededRandom(seed);
  const n = (bound: number): number => r.intBelow(bound);
  const u64 = (): number => (r.chance(0.1) ? BIG : n(1_000_000));
  for (let round = 0; round < 300; round++) {
    const b = emptyBatch(n(10) + 1, n(10) + 1);
    const count = n(20);
    for (let i = 0; i < count; i++) {
      const type = ALL_TYPES[n(ALL_TYPES.length)]!;
      const m = message({ type, from: n(10), to: n(10), term: u64(), logTerm: u64(), index: u64(), commit: u64(), reject: r.chance(0.3), rejectHint: u64() });
      if (r.chance(0.3)) m.entries = Array.from({ length: n(5) }, () => entry(u64(), u64(), fakeArrow(n(50), n(255)), n(2) as EntryType));
      if (r.chance(0.1)) m.snapshot = snapshot(u64(), u64(), fakeArrow(n(100)), r.chance(0.5) ? [n(100)] : undefined);
      if (r.chance(0.2)) m.transfer = r.chance(0.5);
      b.messages.push({ group: n(1000), message: m });
    }
    for (let i = n(5); i > 0; i--) b.heartbeats.push({ group: n(1000), term: u64(), commit: u64() });
    for (let i = n(5); i > 0; i--) b.heartbeatResponses.push({ group: n(1000), term: u64() });
    for (let i = n(3); i > 0; i--) b.quiesce.push({ group: n(1000), term: u64(), commit: u64() });
    assert.deepStrictEqual(roundTrip(b), normalized(b), `seed ${seed}, round ${round}`);
  }
});

function assertCode(fn: () => unknown, code: ProtocolErrorCode): void {
  assert.throws(fn, (err: unknown) => err instanceof ProtocolError && err.code === code);
}

test('the encoder refuses numbers the wire cannot carry exactly', () => {
  const bad: Array<(b: PeerBatch) => void> = [
    (b) => { b.from = -1; },
    (b) => { b.to = 2 ** 32; },
    (b) => { b.heartbeats.push({ group: 1, term: 2 ** 53, commit: 0 }); },
    (b) => { b.quiesce.push({ group: 1.5, term: 1, commit: 0 }); },
    (b) => { b.heartbeatResponses.push({ group: 1, term: -3 }); },
    (b) => { b.messages.push({ group: 2 ** 32, message: message({ type: MessageType.App }) }); },
    (b) => { b.messages.push({ group: 1, message: message({ type: MessageType.App, index: 2 ** 53 }) }); },
    (b) => { b.messages.push({ group: 1, message: message({ type: MessageType.App, entries: [entry(1, -1, new Uint8Array(0))] }) }); },
    (b) => { b.messages.push({ group: 1, message: message({ type: MessageType.App, entries: [entry(1, 1, new Uint8Array(0), 7 as EntryType)] }) }); },
    (b) => { b.messages.push({ group: 1, message: message({ type: MessageType.Snap, snapshot: snapshot(2 ** 53, 1, new Uint8Array(0)) }) }); },
    (b) => { b.messages.push({ group: 1, message: message({ type: 'Bogus' as MessageType }) }); },
  ];
  for (const mutate of bad) {
    const b = emptyBatch(1, 2);
    mutate(b);
    assertCode(() => encodePeerBatch(b), 'BAD_FIELD');
  }
});

// Hand-built peer frames with protobufjs's own writer: values our encoder would never produce.
const P = wire.peer.v1;
const frameBytes = (raftBatch: object): Uint8Array => plain(P.PeerFrame.encode({ raftBatch }).finish());
const over53 = { low: 0, high: 0x20_0000, unsigned: true }; // exactly 2^53

test('the decoder refuses 64-bit values at 2^53 and beyond, wherever they are', () => {
  const cases: object[] = [
    { heartbeats: [{ group: 1, term: over53 }] },
    { heartbeatResponses: [{ group: 1, term: over53 }] },
    { quiesce: [{ group: 1, commit: over53 }] },
    { messages: [{ group: 1, message: { type: P.MessageType.MSG_APP, index: over53 } }] },
    { messages: [{ group: 1, message: { type: P.MessageType.MSG_APP, entries: [{ term: 1, index: over53 }] } }] },
    { messages: [{ group: 1, message: { type: P.MessageType.MSG_SNAP, snapshot: { metadata: { term: over53 } } } }] },
  ];
  for (const raftBatch of cases) assertCode(() => decodePeerBatch(frameBytes(raftBatch)), 'BAD_FIELD');
  const justBelow = { low: 0xffff_ffff, high: 0x1f_ffff, unsigned: true }; // 2^53 - 1
  assert.equal(decodePeerBatch(frameBytes({ heartbeats: [{ group: 1, term: justBelow }] })).heartbeats[0]!.term, BIG);
});

test('the decoder refuses malformed batches: no batch, unknown types, a message or metadata missing, size', () => {
  assertCode(() => decodePeerBatch(plain(P.PeerFrame.encode({}).finish())), 'BAD_FIELD');
  assertCode(() => decodePeerBatch(frameBytes({ messages: [{ group: 1, message: { type: 0 } }] })), 'BAD_FIELD');
  assertCode(() => decodePeerBatch(frameBytes({ messages: [{ group: 1, message: { type: 99 } }] })), 'BAD_FIELD');
  assertCode(() => decodePeerBatch(frameBytes({ messages: [{ group: 1 }] })), 'BAD_FIELD');
  assertCode(() => decodePeerBatch(frameBytes({ messages: [{ group: 1, message: { type: 7, entries: [{ type: 2 }] } }] })), 'BAD_FIELD');
  assertCode(() => decodePeerBatch(frameBytes({ messages: [{ group: 1, message: { type: 13, snapshot: {} } }] })), 'BAD_FIELD');
  assertCode(() => decodePeerBatch(Uint8Array.of(0x0a, 0x05, 0x08)), 'MALFORMED_FRAME');
  const big = encodePeerBatch(emptyBatch(1, 2));
  assertCode(() => decodePeerBatch(big, big.byteLength - 1), 'FRAME_TOO_LARGE');
});

test('field numbers are pinned: a heartbeat-only batch is the bytes the .proto promises', () => {
  const b = emptyBatch(1, 2);
  b.heartbeats.push({ group: 3, term: 4, commit: 5 });
  // PeerFrame.raft_batch (1) { from (1) = 1, to (2) = 2, heartbeats (4) { group 3, term 4, commit 5 } }
  const batch = [0x08, 1, 0x10, 2, 0x22, 6, 0x08, 3, 0x10, 4, 0x18, 5];
  assert.deepStrictEqual([...encodePeerBatch(b)], [0x0a, batch.length, ...batch]);
});
