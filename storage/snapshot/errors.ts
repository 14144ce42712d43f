// Typed errors of snapshot transfer. The installer rejects a bad chunk and stays where it was, so
// the sender can resend from the expected sequence number or restart the transfer.

import { CodedError } from '../state/errors.js';

export type SnapshotErrorCode =
  | 'CORRUPT_CHUNK' // checksum mismatch or a malformed chunk: resend it
  | 'WRONG_GROUP' // a chunk of another Raft group reached this installer: a routing bug
  | 'WRONG_SNAPSHOT' // a chunk of another snapshot (other LSN), e.g. a stale retry: restart the transfer
  | 'DUPLICATE_CHUNK' // a chunk already applied: ignore it, the sender retried
  | 'OUT_OF_ORDER_CHUNK' // a gap: resend from `expectedSeq`
  | 'INSTALL_FINISHED' // a chunk after the last one
  | 'INSTALL_FAILED' // the store failed mid-install: the old generation is still current; restart the transfer
  | 'GENERATIONS_EXHAUSTED'; // 2^32-1 installs on one group: compact it by hand

export class SnapshotError extends CodedError<SnapshotErrorCode> {
  override readonly name = 'SnapshotError';
}
