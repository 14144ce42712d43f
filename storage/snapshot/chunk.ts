// The snapshot chunk format: one self-checking message of a snapshot transfer.
//
//   version u8 (1) | group u32 | snapshotLsn u64 | seq u32 | flags u8 (bit 0: last) | pairCount u32
//   | pairCount x (keyLength u32 | key | valueLength u32 | value) | crc32c u32
//
// All integers big-endian. Keys are state keys without their group/generation prefix (keys.ts);
// the CRC32C (the WAL's checksum) covers every byte before it. `seq` starts at 0 and has no gaps.

import { ByteReader, ByteWriter } from '../state/binary.js';
import { StateDecodeError } from '../state/errors.js';
import { crc32c } from '../wal/crc32c.js';
import { SnapshotError } from './errors.js';

export const CHUNK_FORMAT_VERSION = 1;
/** Header and checksum bytes around the pairs. */
export const CHUNK_OVERHEAD_BYTES = 1 + 4 + 8 + 4 + 1 + 4 + 4;
export const PAIR_OVERHEAD_BYTES = 8;

const FLAG_LAST = 1;

export interface SnapshotChunk {
  group: number;
  snapshotLsn: number;
  seq: number;
  last: boolean;
  pairs: Array<[Uint8Array, Uint8Array]>;
}

export function encodeChunk(c: SnapshotChunk): Uint8Array {
  let bytes = CHUNK_OVERHEAD_BYTES;
  for (const [k, v] of c.pairs) bytes += PAIR_OVERHEAD_BYTES + k.byteLength + v.byteLength;
  const w = new ByteWriter(bytes).u8(CHUNK_FORMAT_VERSION).u32(c.group).u64(c.snapshotLsn).u32(c.seq).u8(c.last ? FLAG_LAST : 0).u32(c.pairs.length);
  for (const [k, v] of c.pairs) w.bytes32(k).bytes32(v);
  const body = w.finish();
  const out = new Uint8Array(body.byteLength + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.byteLength, crc32c(body));
  return out;
}

/** Checks the CRC first, then the structure. Any problem is a CORRUPT_CHUNK SnapshotError. */
export function decodeChunk(bytes: Uint8Array): SnapshotChunk {
  if (bytes.byteLength < CHUNK_OVERHEAD_BYTES) {
    throw new SnapshotError('CORRUPT_CHUNK', `snapshot chunk of ${bytes.byteLength} bytes is shorter than its header: resend it`);
  }
  const bodyBytes = bytes.byteLength - 4;
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bodyBytes);
  const computed = crc32c(bytes.subarray(0, bodyBytes));
  if (stored !== computed) {
    throw new SnapshotError('CORRUPT_CHUNK', `snapshot chunk checksum mismatch (stored ${hex(stored)}, computed ${hex(computed)}): resend it`);
  }
  try {
    const r = new ByteReader(bytes.subarray(0, bodyBytes), 'snapshot chunk');
    const version = r.u8();
    if (version !== CHUNK_FORMAT_VERSION) {
      throw new StateDecodeError('UNKNOWN_VERSION', `snapshot chunk format ${version}, this Shoal reads ${CHUNK_FORMAT_VERSION}`);
    }
    const group = r.u32();
    const snapshotLsn = r.u64();
    const seq = r.u32();
    const last = (r.u8() & FLAG_LAST) !== 0;
    const pairs: Array<[Uint8Array, Uint8Array]> = [];
    for (let n = r.u32(); n > 0; n--) pairs.push([r.bytes32(), r.bytes32()]);
    r.end();
    return { group, snapshotLsn, seq, last, pairs };
  } catch (err) {
    if (!(err instanceof StateDecodeError)) throw err;
    throw new SnapshotError('CORRUPT_CHUNK', `malformed snapshot chunk with a valid checksum (${err.message}): the sender runs an incompatible Shoal`, { cause: err });
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
