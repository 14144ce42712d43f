// Reads the whole log at startup and decides, frame by frame, what is valid:
// - a frame cut short at the end of the last segment is a torn write: the tail is cut off there;
// - a bad frame at the end of the last segment is torn too if one of its 512-byte sectors reads as
//   all zeros (blocks allocated, never written) and no valid header follows; otherwise it is damage,
//   like any bad frame with valid data after it or in an earlier segment: the node stops and says where.
// Nothing is ever skipped silently.

import { WalCorruptionError, WalMissingSegmentError } from './errors.js';
import { FRAME_HEADER_BYTES, Frame, FrameType, isValidHeaderAt, readFrame } from './frame.js';
import { SegmentInfo, isSegmentHeaderFor, segmentName, segmentSeq } from './segments.js';
import { WalFiles } from './wal_files.js';

const SECTOR_BYTES = 512;

export interface TornTail {
  segment: string;
  offsetBytes: number;
  droppedBytes: number;
  reason: string;
}

export interface WalContents {
  segments: SegmentInfo[];
  frames: Frame[];
  tornTail: TornTail | undefined;
}

export function readWal(files: WalFiles, maxPayloadBytes: number): WalContents {
  const seqs = files.list().map(segmentSeq).filter((s): s is number => s !== undefined).sort((a, b) => a - b);
  for (let i = 1; i < seqs.length; i++) {
    if (seqs[i] !== seqs[i - 1]! + 1) throw new WalMissingSegmentError(segmentName(seqs[i - 1]! + 1), segmentName(seqs[i]!));
  }
  const segments: SegmentInfo[] = [];
  const frames: Frame[] = [];
  let tornTail: TornTail | undefined;
  for (const [i, seq] of seqs.entries()) {
    const name = segmentName(seq);
    const bytes = files.read(name);
    const segment: SegmentInfo = { seq, name, sizeBytes: 0 };
    const isLast = i === seqs.length - 1;
    let at = 0;
    while (at < bytes.length) {
      const r = readFrame(bytes, at, maxPayloadBytes);
      if (!r.ok) {
        const torn = isLast && (r.problem === 'partial' || (hasZeroSector(bytes, at) && !validHeaderAfter(bytes, at)));
        if (!torn) throw new WalCorruptionError(name, at, r.detail);
        tornTail = { segment: name, offsetBytes: at, droppedBytes: bytes.length - at, reason: r.detail };
        break;
      }
      if (at === 0 ? !isSegmentHeaderFor(r.frame, seq) : r.frame.type === FrameType.SegmentHeader) {
        throw new WalCorruptionError(name, at, at === 0 ? 'the segment does not start with its own header' : 'a segment header inside a segment');
      }
      if (at > 0) frames.push(r.frame);
      at = r.end;
    }
    // Every sealed segment holds at least its header: an empty one lost its contents.
    if (at === 0 && !isLast) throw new WalCorruptionError(name, 0, 'a sealed segment is empty');
    segment.sizeBytes = at;
    segments.push(segment);
  }
  return { segments, frames, tornTail };
}

// Any checked header after a bad frame proves the log went on past it: damage, not a torn end.
function validHeaderAfter(bytes: Uint8Array, from: number): boolean {
  for (let at = from + 1; at + FRAME_HEADER_BYTES <= bytes.length; at++) {
    if (isValidHeaderAt(bytes, at)) return true;
  }
  return false;
}

function hasZeroSector(bytes: Uint8Array, from: number): boolean {
  const firstSector = Math.floor(from / SECTOR_BYTES) + 1; // the sector holding `from` may be shared with good frames
  for (let s = firstSector * SECTOR_BYTES; s < bytes.length; s += SECTOR_BYTES) {
    const end = Math.min(bytes.length, s + SECTOR_BYTES);
    let zero = true;
    for (let i = s; i < end && zero; i++) zero = bytes[i] === 0;
    if (zero) return true;
  }
  // A bad frame within its last sector: torn if all after its length and header CRC reads as zeros.
  return bytes.subarray(from + 8).every((b) => b === 0);
}
