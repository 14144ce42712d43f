// The peer frame encoder: large entry and snapshot data leave as the caller's own bytes (no copy), small
// fields are packed into one block, and the chunks concatenated are a frame protobufjs reads back exactly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyBatch } from '../../broker/host/peer_batch.js';
import { EntryType, MessageType, message } from '../../broker/raft/types.js';
import { encodePeerBatchChunks } from '../../broker/protocol/peer_frame_encoder.js';
import { ZERO_COPY_MIN_BYTES, concatChunks } from '../../storage/byte_chunks.js';
import { decodePeerBatch } from '../../broker/protocol/peer_frames.js';
import { wire } from '../../broker/protocol/wire.js';
import { fakeArrow } from './samples.js';

function appendTo(to: number, data: Uint8Array[]) {
  const b = emptyBatch(1, to);
  b.messages.push({
    group: 2,
    message: message({ type: MessageType.App, from: 1, to, term: 3, logTerm: 3, index: 40, commit: 39, entries: data.map((d, i) => ({ term: 3, index: 41 + i, type: EntryType.Normal, data: d })) }),
  });
  b.heartbeats.push({ group: 5, term: 2 ** 40, commit: 2 ** 53 - 1 });
  return b;
}

test('large entry data is written from the entry itself, the same bytes for every follower', () => {
  const big = fakeArrow(ZERO_COPY_MIN_BYTES * 10, 3);
  const small = fakeArrow(100, 4);
  for (const to of [2, 3]) {
    const b = appendTo(to, [big, small, big]);
    const chunks = encodePeerBatchChunks(b);
    assert.equal(chunks.filter((c) => c === big).length, 2, 'both copies of the big entry are the entry itself');
    assert.ok(!chunks.includes(small), 'a small entry is packed with the headers');
    const decoded = decodePeerBatch(concatChunks(chunks));
    assert.equal(decoded.to, to);
    assert.deepStrictEqual(decoded.messages[0]!.message.entries!.map((e) => [e.index, Buffer.from(e.data).equals(Buffer.from(e.index === 42 ? small : big))]), [[41, true], [42, true], [43, true]]);
    assert.deepStrictEqual(decoded.heartbeats, b.heartbeats);
  }
});

test('a batch of small fields is one chunk; the size prefixes match what protobufjs reads', () => {
  const chunks = encodePeerBatchChunks(appendTo(2, [fakeArrow(ZERO_COPY_MIN_BYTES - 1, 5)]));
  assert.equal(chunks.length, 1);
  // protobufjs reads the frame strictly by the length prefixes: a wrong one fails or misplaces fields.
  const batch = wire.peer.v1.PeerFrame.decode(chunks[0]!).raftBatch!;
  assert.equal(batch.messages![0]!.message!.entries![0]!.data!.byteLength, ZERO_COPY_MIN_BYTES - 1);
  assert.equal(Number(batch.heartbeats![0]!.commit), 2 ** 53 - 1);
});

test('a large snapshot is referenced too, and an empty one writes no data field', () => {
  const data = fakeArrow(ZERO_COPY_MIN_BYTES, 6);
  const b = emptyBatch(1, 2);
  const confState = { voters: [1, 2, 300], learners: [], witnesses: [4] };
  b.messages.push({ group: 7, message: message({ type: MessageType.Snap, from: 1, to: 2, term: 9, snapshot: { metadata: { index: 2 ** 45, term: 9, confState }, data } }) });
  b.messages.push({ group: 8, message: message({ type: MessageType.Snap, from: 1, to: 2, term: 9, snapshot: { metadata: { index: 0, term: 0, confState: { voters: [], learners: [], witnesses: [] } }, data: new Uint8Array(0) } }) });
  const chunks = encodePeerBatchChunks(b);
  assert.ok(chunks.includes(data));
  const out = decodePeerBatch(concatChunks(chunks));
  assert.deepStrictEqual(out.messages[0]!.message.snapshot!.metadata, { index: 2 ** 45, term: 9, confState });
  assert.equal(out.messages[1]!.message.snapshot!.data.byteLength, 0);
  assert.equal(out.messages[1]!.message.snapshot!.metadata.index, 0);
});
