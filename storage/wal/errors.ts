// Typed errors of the write-ahead log. Each carries a code a caller can branch on and a message
// that says what happened and what to do.

export type WalErrorCode =
  | 'WalCorrupt' // a bad frame before the tail: the node must not start on a guess
  | 'WalMissingSegment' // a gap in the segment sequence
  | 'WalWriteFailed' // EIO, ENOSPC...: the writes were not acknowledged
  | 'WalClosed'
  | 'WalRecordTooLarge';

export class WalError extends Error {
  constructor(readonly code: WalErrorCode, message: string) {
    super(message);
    this.name = 'WalError';
  }
}

/** A frame that fails its checks where more data follows: never skipped, never truncated silently. */
export class WalCorruptionError extends WalError {
  constructor(readonly segment: string, readonly offset: number, readonly reason: string) {
    super(
      'WalCorrupt',
      `write-ahead log corrupt in segment ${segment} at byte offset ${offset}: ${reason}. ` +
        `The node will not start on a damaged log. To repair, run ` +
        `\`shoal wal-repair -walDir <dir> -segment ${segment} -offset ${offset}\`: it moves the damaged ` +
        `tail aside, and the node then catches up from its group's other replicas (see docs/storage.md).`,
    );
    this.name = 'WalCorruptionError';
  }
}

export class WalMissingSegmentError extends WalError {
  constructor(readonly missing: string, readonly after: string) {
    super(
      'WalMissingSegment',
      `write-ahead log segment ${missing} is missing (found ${after} and later ones). ` +
        `Restore it from a backup, or wipe this node's data and let it rejoin from its replicas (see docs/storage.md).`,
    );
    this.name = 'WalMissingSegmentError';
  }
}

/** The OS refused a write or a sync. Nothing in the failed batch was acknowledged. */
export class WalWriteError extends WalError {
  constructor(readonly osCode: string, readonly segment: string, detail: string) {
    super(
      'WalWriteFailed',
      `write-ahead log write to ${segment} failed (${osCode}): ${detail}. The writes in flight were not ` +
        `acknowledged. ${osCode === 'ENOSPC' ? 'Free disk space; writes resume once space returns.' : 'Check the disk.'}`,
    );
    this.name = 'WalWriteError';
  }
}

export function osCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'EIO';
}
