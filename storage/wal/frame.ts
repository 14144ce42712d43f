// The byte layout of one WAL frame. Little endian; a 32-byte header, then the payload.
//
//   0  u32 payloadBytes
//   4  u32 crc32c of bytes [8, 32 + payloadBytes): the rest of the header and the payload
//   8  u8  type (FrameType)
//   9  u8  format version (1)
//  10  u8  subtype (an entry's EntryType; 0 otherwise)
//  11  u8  reserved, 0
//  12  u32 Raft group id
//  16  u64 term
//  24  u64 LSN
//  32  payload
//
// A frame is self-describing: a reader needs no other frame to check or decode it.

import { crc32c } from './crc32c.js';

export const FRAME_HEADER_BYTES = 32;
export const FRAME_VERSION = 1;

export enum FrameType {
  SegmentHeader = 1,
  Entry = 2,
  HardState = 3,
  CreateGroup = 4,
  RemoveGroup = 5,
  Snapshot = 6,
}

export interface Frame {
  type: FrameType;
  subtype: number;
  group: number;
  term: number;
  lsn: number;
  payload: Uint8Array;
}

const U32 = 0x1_0000_0000;

function writeU64(view: DataView, at: number, n: number): void {
  view.setUint32(at, n % U32, true);
  view.setUint32(at + 4, Math.floor(n / U32), true);
}

function readU64(view: DataView, at: number): number {
  return view.getUint32(at, true) + view.getUint32(at + 4, true) * U32;
}

/** The header of a frame; its CRC covers the payload too, which the caller keeps as its own chunk. */
export function encodeFrameHeader(frame: Frame): Uint8Array {
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  const view = new DataView(header.buffer);
  view.setUint32(0, frame.payload.length, true);
  view.setUint8(8, frame.type);
  view.setUint8(9, FRAME_VERSION);
  view.setUint8(10, frame.subtype);
  view.setUint32(12, frame.group, true);
  writeU64(view, 16, frame.term);
  writeU64(view, 24, frame.lsn);
  view.setUint32(4, crc32c(frame.payload, crc32c(header.subarray(8))), true);
  return header;
}

export type FrameReadResult =
  | { ok: true; frame: Frame; end: number }
  | { ok: false; problem: FrameProblem; detail: string };

/** `partial`: the bytes end inside the frame (a torn write at the tail). `bad`: the frame is wrong. */
export type FrameProblem = 'partial' | 'bad';

/** Reads the frame at `at`. Never throws; a frame that fails a check says why. */
export function readFrame(bytes: Uint8Array, at: number, maxPayloadBytes: number): FrameReadResult {
  if (bytes.length - at < FRAME_HEADER_BYTES) return { ok: false, problem: 'partial', detail: 'header cut short' };
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, FRAME_HEADER_BYTES);
  const payloadBytes = view.getUint32(0, true);
  if (payloadBytes > maxPayloadBytes) {
    return { ok: false, problem: 'bad', detail: `length ${payloadBytes} exceeds the record limit ${maxPayloadBytes}` };
  }
  const end = at + FRAME_HEADER_BYTES + payloadBytes;
  if (end > bytes.length) return { ok: false, problem: 'partial', detail: `payload cut short (${bytes.length - at} of ${end - at} bytes)` };
  const expected = view.getUint32(4, true);
  const actual = crc32c(bytes.subarray(at + 8, end));
  if (expected !== actual) return { ok: false, problem: 'bad', detail: `CRC32C mismatch (stored ${hex(expected)}, computed ${hex(actual)})` };
  const version = view.getUint8(9);
  if (version !== FRAME_VERSION) return { ok: false, problem: 'bad', detail: `unknown frame version ${version}` };
  const type = view.getUint8(8);
  if (!(type in FrameType)) return { ok: false, problem: 'bad', detail: `unknown frame type ${type}` };
  return {
    ok: true,
    end,
    frame: {
      type: type as FrameType,
      subtype: view.getUint8(10),
      group: view.getUint32(12, true),
      term: readU64(view, 16),
      lsn: readU64(view, 24),
      payload: bytes.subarray(at + FRAME_HEADER_BYTES, end),
    },
  };
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}
