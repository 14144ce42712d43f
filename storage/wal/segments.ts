// Segment files: their names, their header frame, and which of them a checkpoint lets go.

import { Frame, FrameType } from './frame.js';

const NAME = /^wal-(\d{16})\.log$/;
const MAGIC = new TextEncoder().encode('SHOALWAL');

export function segmentName(seq: number): string {
  return `wal-${String(seq).padStart(16, '0')}.log`;
}

/** The sequence number in a segment's file name, or undefined for a file that is not a segment. */
export function segmentSeq(name: string): number | undefined {
  const m = NAME.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** The first frame of every segment: names the log format and the segment's own sequence number. */
export function segmentHeaderFrame(seq: number): Frame {
  return { type: FrameType.SegmentHeader, subtype: 0, group: 0, term: 0, lsn: seq, payload: MAGIC };
}

export function isSegmentHeaderFor(frame: Frame, seq: number): boolean {
  return frame.type === FrameType.SegmentHeader && frame.lsn === seq && Buffer.from(frame.payload).equals(MAGIC);
}

/** What the log knows of one segment, for recovery and for deleting covered segments. */
export interface SegmentInfo {
  seq: number;
  name: string;
  sizeBytes: number;
  /** Highest LSN of an entry or snapshot frame per group in this segment. */
  maxLsnByGroup: Map<number, number>;
}

export function noteFrame(segment: SegmentInfo, frame: Frame): void {
  if (frame.type !== FrameType.Entry && frame.type !== FrameType.Snapshot) return;
  const max = segment.maxLsnByGroup.get(frame.group) ?? 0;
  if (frame.lsn > max) segment.maxLsnByGroup.set(frame.group, frame.lsn);
}

/**
 * How many of the oldest sealed segments a checkpoint covers: each holds, for every group in it,
 * only entries at or below that group's checkpoint LSN. Only a prefix is released, so the
 * surviving segments always form one unbroken sequence (a gap means a segment went missing).
 * `checkpointLsn` answers undefined for a group with no checkpoint: its segments stay.
 */
export function coveredPrefixLength(sealed: readonly SegmentInfo[], checkpointLsn: (group: number) => number | undefined): number {
  let n = 0;
  for (const s of sealed) {
    for (const [group, maxLsn] of s.maxLsnByGroup) {
      const lsn = checkpointLsn(group);
      if (lsn === undefined || maxLsn > lsn) return n;
    }
    n++;
  }
  return n;
}
