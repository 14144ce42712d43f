// Untrusted bytes: thousands of seeded random and mutated frames go to decodeFrame and
// decodePeerBatch, and nothing but a ProtocolError may come out. A failure prints the seed and case.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../broker/raft/random.js';
import { emptyBatch } from '../../broker/host/peer_batch.js';
import { EntryType, MessageType, message } from '../../broker/raft/types.js';
import { ProtocolError, ProtocolErrorCode } from '../../broker/protocol/errors.js';
import { METHODS, PUSH_KINDS, decodeFrame, encodeError, encodePush, encodeReply, encodeRequest } from '../../broker/protocol/frames.js';
import { decodePeerBatch, encodePeerBatch } from '../../broker/protocol/peer_frames.js';
import { SAMPLE_PUSHES, SAMPLE_REPLIES, SAMPLE_REQUESTS, fakeArrow, plain } from './samples.js';
import { mutate, randomBytes } from '../fuzz_bytes.js';

const CASES_PER_SEED = 3000;

function clientCorpus(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of METHODS) {
    out.push(encodeRequest(11, m, SAMPLE_REQUESTS[m] as never, m === 'append' ? fakeArrow(40) : undefined));
    out.push(encodeReply(12, m, SAMPLE_REPLIES[m] as never, 99));
  }
  for (const p of PUSH_KINDS) out.push(encodePush(p, SAMPLE_PUSHES[p] as never, fakeArrow(20)));
  out.push(encodeError(13, 'append', 'NotLeader', '<NotLeader>127.0.0.1:8902:dn2'));
  return out.map(plain);
}

function peerCorpus(): Uint8Array[] {
  const b = emptyBatch(1, 2);
  b.messages.push({ group: 2, message: message({ type: MessageType.App, term: 3, index: 9, entries: [{ term: 3, index: 10, type: EntryType.Normal, data: fakeArrow(30) }] }) });
  b.messages.push({
    group: 3,
    message: message({
      type: MessageType.Snap,
      term: 4,
      snapshot: { metadata: { index: 50, term: 4, confState: { voters: [1, 2], learners: [3], witnesses: [4], removed: [5] } }, data: fakeArrow(25) },
    }),
  });
  b.messages.push({ group: 4, message: message({ type: MessageType.Vote, term: 5, transfer: true }) });
  b.heartbeats.push({ group: 5, term: 6, commit: 7 });
  b.heartbeatResponses.push({ group: 5, term: 6 });
  b.quiesce.push({ group: 6, term: 7, commit: 8 });
  return [encodePeerBatch(b), encodePeerBatch(emptyBatch(3, 4))].map(plain);
}



function fuzz(name: string, seed: number, corpus: Uint8Array[], decode: (b: Uint8Array) => unknown): Map<string, number> {
  const r = new SeededRandom(seed);
  const outcomes = new Map<string, number>();
  for (let i = 0; i < CASES_PER_SEED; i++) {
    const input = r.chance(0.25) ? randomBytes(r, 63) : mutate(r, corpus[r.intBelow(corpus.length)]!);
    let outcome = 'decoded';
    try {
      decode(input);
    } catch (err) {
      if (!(err instanceof ProtocolError)) {
        assert.fail(`${name} seed ${seed} case ${i}: ${String(err)} escaped for input ${Buffer.from(input).toString('hex')}`);
      }
      outcome = err.code;
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  return outcomes;
}

function assertSeen(outcomes: Map<string, number>, expected: Array<ProtocolErrorCode | 'decoded'>): void {
  for (const o of expected) assert.ok((outcomes.get(o) ?? 0) > 0, `outcome ${o} never happened: ${JSON.stringify([...outcomes])}`);
}

test('decodeFrame: random and mutated frames only ever throw ProtocolError', () => {
  const corpus = clientCorpus();
  for (const seed of [1, 2, 3]) {
    // The mix must reach every path, or the test proves little: successes and each failure code.
    assertSeen(fuzz('decodeFrame', seed, corpus, (b) => decodeFrame(b)), ['decoded', 'MALFORMED_FRAME', 'BAD_FIELD', 'UNKNOWN_METHOD']);
  }
});

test('decodePeerBatch: random and mutated peer frames only ever throw ProtocolError', () => {
  const corpus = peerCorpus();
  for (const seed of [4, 5, 6]) {
    assertSeen(fuzz('decodePeerBatch', seed, corpus, (b) => decodePeerBatch(b)), ['decoded', 'MALFORMED_FRAME', 'BAD_FIELD']);
  }
});

test('the frame size limit holds for garbage too', () => {
  const r = new SeededRandom(7);
  for (let i = 0; i < 200; i++) {
    const input = Uint8Array.from({ length: 65 + r.intBelow(100) }, () => r.intBelow(256));
    assert.throws(() => decodeFrame(input, 64), (err: unknown) => err instanceof ProtocolError && err.code === 'FRAME_TOO_LARGE');
    assert.throws(() => decodePeerBatch(input, 64), (err: unknown) => err instanceof ProtocolError && err.code === 'FRAME_TOO_LARGE');
  }
});
