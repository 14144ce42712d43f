// The byte layout of one WAL frame. Little endian; a 40-byte header, then the payload.
//
//   0  u32 payloadBytes
//   4  u32 header CRC32C: of bytes [0, 4) and [8, 40), so the length is checked before it is trusted
//   8  u32 payload CRC32C
//  12  u8  type (FrameType)
//  13  u8  format version (1)
//  14  u8  subtype (an entry's EntryType; 0 otherwise)
//  15  u8  reserved, 0
//  16  u32 Raft group id
//  20  u32 reserved, 0
//  24  u64 term
//  32  u64 LSN
//  40  payload
//
// A frame is self-describing: a reader needs no other frame to check or decode it. The length has
// its own checksum so a flipped bit in it reads as damage, never as a frame cut short by a crash.

import { crc32c } from './crc32c.js';

export const FRAME_HEADER_BYTES = 40;
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

/** The header of a frame; its payload stays the caller's own chunk. */
export function encodeFrameHeader(frame: Frame): Uint8Array {
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  const view = new DataView(header.buffer);
  view.setUint32(0, frame.payload.length, true);
  view.setUint32(8, crc32c(frame.payload), true);
  view.setUint8(12, frame.type);
  view.setUint8(13, FRAME_VERSION);
  view.setUint8(14, frame.subtype);
  view.setUint32(16, frame.group, true);
  writeU64(view, 24, frame.term);
  writeU64(view, 32, frame.lsn);
  view.setUint32(4, headerCrc(header), true);
  return header;
}

function headerCrc(header: Uint8Array): number {
  return crc32c(header.subarray(8, FRAME_HEADER_BYTES), crc32c(header.subarray(0, 4)));
}

export type FrameReadResult =
  | { ok: true; frame: Frame; end: number }
  | { ok: false; problem: FrameProblem; detail: string };

/** `partial`: the bytes end inside the frame (a torn write at the tail). `bad`: the frame is wrong. */
export type FrameProblem = 'partial' | 'bad';

/** Whether a header that checks out starts at `at`: cheap enough to probe every offset of a segment. */
export function isValidHeaderAt(bytes: Uint8Array, at: number): boolean {
  if (bytes.length - at < FRAME_HEADER_BYTES) return false;
  if (bytes[at + 13] !== FRAME_VERSION || !(bytes[at + 12]! in FrameType)) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, 8);
  return view.getUint32(4, true) === headerCrc(bytes.subarray(at, at + FRAME_HEADER_BYTES));
}

/** Reads the frame at `at`. Never throws; a frame that fails a check says why. */
export function readFrame(bytes: Uint8Array, at: number, maxPayloadBytes: number): FrameReadResult {
  if (bytes.length - at < FRAME_HEADER_BYTES) return { ok: false, problem: 'partial', detail: 'header cut short' };
  const header = bytes.subarray(at, at + FRAME_HEADER_BYTES);
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, FRAME_HEADER_BYTES);
  const storedHeaderCrc = view.getUint32(4, true);
  const actualHeaderCrc = headerCrc(header);
  if (storedHeaderCrc !== actualHeaderCrc) {
    return { ok: false, problem: 'bad', detail: `header CRC32C mismatch (stored ${hex(storedHeaderCrc)}, computed ${hex(actualHeaderCrc)})` };
  }
  const version = view.getUint8(13);
  if (version !== FRAME_VERSION) return { ok: false, problem: 'bad', detail: `unknown frame version ${version}` };
  const type = view.getUint8(12);
  if (!(type in FrameType)) return { ok: false, problem: 'bad', detail: `unknown frame type ${type}` };
  const payloadBytes = view.getUint32(0, true);
  if (payloadBytes > maxPayloadBytes) {
    return { ok: false, problem: 'bad', detail: `length ${payloadBytes} exceeds the record limit ${maxPayloadBytes}` };
  }
  const end = at + FRAME_HEADER_BYTES + payloadBytes;
  // The header checks out, so its length is true: bytes missing after it mean a write cut short.
  if (end > bytes.length) return { ok: false, problem: 'partial', detail: `payload cut short (${bytes.length - at} of ${end - at} bytes)` };
  const payload = bytes.subarray(at + FRAME_HEADER_BYTES, end);
  const storedPayloadCrc = view.getUint32(8, true);
  const actualPayloadCrc = crc32c(payload);
  if (storedPayloadCrc !== actualPayloadCrc) {
    return { ok: false, problem: 'bad', detail: `payload CRC32C mismatch (stored ${hex(storedPayloadCrc)}, computed ${hex(actualPayloadCrc)})` };
  }
  return {
    ok: true,
    end,
    frame: {
      type: type as FrameType,
      subtype: view.getUint8(14),
      group: view.getUint32(16, true),
      term: readU64(view, 24),
      lsn: readU64(view, 32),
      payload,
    },
  };
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}
