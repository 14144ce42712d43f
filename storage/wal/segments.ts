// Segment files: their names and their header frame.

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

/** What the log knows of one segment. */
export interface SegmentInfo {
  seq: number;
  name: string;
  sizeBytes: number;
}
