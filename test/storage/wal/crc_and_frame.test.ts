import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '../../../broker/raft/random.js';
import { crc32c, crc32cPortable } from '../../../storage/wal/crc32c.js';
import { FRAME_HEADER_BYTES, FrameType, encodeFrameHeader, readFrame } from '../../../storage/wal/frame.js';
import { framesToRecords, recordToFrames } from '../../../storage/wal/record_codec.js';
import { WalRecord } from '../../../broker/host/wal_records.js';

describe('crc32c', () => {
  it('matches the standard check value of "123456789"', () => {
    assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
    assert.equal(crc32cPortable(new TextEncoder().encode('123456789')), 0xe3069283);
  });

  it('native and portable implementations agree, including when chained', () => {
    const rng = new SeededRandom(7);
    for (const size of [0, 1, 7, 8, 9, 1023, 1024, 4096, 100_000]) {
      const bytes = new Uint8Array(size).map(() => rng.intBelow(256));
      assert.equal(crc32c(bytes), crc32cPortable(bytes), `size ${size}`);
      const cut = Math.floor(size / 3);
      assert.equal(crc32c(bytes.subarray(cut), crc32c(bytes.subarray(0, cut))), crc32cPortable(bytes), `chained at ${cut} of ${size}`);
    }
  });
});

function frameBytes(payload: Uint8Array): Uint8Array {
  const frame = { type: FrameType.Entry, subtype: 0, group: 3, term: 2 ** 40 + 5, lsn: 2 ** 33 + 1, payload };
  const header = encodeFrameHeader(frame);
  const bytes = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  bytes.set(header);
  bytes.set(payload, FRAME_HEADER_BYTES);
  return bytes;
}

describe('frame', () => {
  it('round-trips the header fields, including 64-bit terms and LSNs', () => {
    const r = readFrame(frameBytes(new Uint8Array([1, 2, 3])), 0, 1024);
    assert.ok(r.ok);
    assert.deepEqual({ ...r.frame, payload: [...r.frame.payload] }, { type: FrameType.Entry, subtype: 0, group: 3, term: 2 ** 40 + 5, lsn: 2 ** 33 + 1, payload: [1, 2, 3] });
  });

  it('detects every single-bit flip in header and payload', () => {
    const good = frameBytes(new Uint8Array(40).map((_, i) => i));
    for (let bit = 0; bit < good.length * 8; bit++) {
      const bad = good.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      const r = readFrame(bad, 0, 1024);
      // A flip in the length field may also make the frame look cut short: still never accepted.
      assert.equal(r.ok, false, `bit ${bit} flipped went unnoticed`);
    }
  });

  it('reports a frame cut short as partial, and an absurd length as bad', () => {
    const good = frameBytes(new Uint8Array(100));
    const cut = readFrame(good.subarray(0, 60), 0, 1024);
    assert.equal(cut.ok, false);
    assert.equal(!cut.ok && cut.problem, 'partial');
    const limited = readFrame(good, 0, 10);
    assert.equal(!limited.ok && limited.problem, 'bad');
  });
});

describe('record codec', () => {
  it('round-trips every record kind; consecutive entries fold back into one record', () => {
    const records: WalRecord[] = [
      { kind: 'createGroup', group: 2, confState: { voters: [1, 2, 3], learners: [4], witnesses: [5], removed: [9] }, term: 0 },
      { kind: 'createGroup', group: 3, confState: undefined, term: 4 },
      {
        kind: 'entries',
        group: 2,
        entries: [
          { term: 1, index: 2, type: 0, data: new Uint8Array([7]) },
          { term: 1, index: 3, type: 1, data: new Uint8Array([8, 9]) },
        ],
      },
      { kind: 'hardState', group: 2, hardState: { term: 1, vote: 3, commit: 3 } },
      { kind: 'snapshot', group: 2, snapshot: { metadata: { index: 3, term: 1, confState: { voters: [1], learners: [], witnesses: [] } }, data: new Uint8Array([1, 2]) } },
      { kind: 'removeGroup', group: 3, term: 6 },
    ];
    const back = framesToRecords(records.flatMap(recordToFrames));
    assert.deepEqual(back, records);
  });

  it('keeps entries of two rounds that overwrite an index apart', () => {
    const e = (index: number, term: number) => ({ term, index, type: 0, data: new Uint8Array([index]) });
    const records: WalRecord[] = [
      { kind: 'entries', group: 1, entries: [e(5, 1), e(6, 1)] },
      { kind: 'entries', group: 1, entries: [e(6, 2), e(7, 2)] },
    ];
    assert.deepEqual(framesToRecords(records.flatMap(recordToFrames)), records);
  });
});
