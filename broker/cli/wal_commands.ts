// `shoal wal-check` and `shoal wal-repair`: what an operator runs when a node refuses to start on
// a damaged write-ahead log (the error message names both commands and the exact arguments).

import { WalError } from '../../storage/wal/errors.js';
import { checkWal, repairWal } from '../../storage/wal/wal_repair.js';

export const WAL_USAGE = `  shoal wal-check -walDir DIR
      Reads a node's write-ahead log as a start would; reports segments, frames and any damage.
  shoal wal-repair -walDir DIR -segment NAME -offset BYTES
      Cuts the log at a damaged frame; the tail and later segments move to DIR/quarantine/.`;

export function walCheck(walDir: string): number {
  try {
    const r = checkWal(walDir);
    console.log(`${walDir}: ${r.segments} segment(s), ${r.frames} frame(s), log intact` +
      (r.tornTailBytes > 0 ? `; a torn tail of ${r.tornTailBytes} bytes will be cut at the next start` : ''));
    return 0;
  } catch (error) {
    if (!(error instanceof WalError)) throw error;
    console.error(error.message);
    return 1;
  }
}

export function walRepair(walDir: string, segment: string, offsetBytes: number): number {
  let r: ReturnType<typeof repairWal>;
  try {
    r = repairWal(walDir, segment, offsetBytes);
  } catch (error) {
    if (!(error instanceof WalError)) throw error;
    console.error(error.message);
    return 1;
  }
  console.log(`cut ${segment} at byte ${offsetBytes}; moved to ${r.quarantineDir}: ${r.movedFiles.join(', ')}`);
  console.log('the node may start now; its Raft groups will bring it up to date from their other replicas');
  return 0;
}
