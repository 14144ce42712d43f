// The operator's tools for a damaged log: check it, and cut it at a named frame. Repair never
// deletes: the damaged tail and every later segment move to `quarantine/` inside the log
// directory, so they can be inspected or restored. The node then starts with a shorter log and
// its Raft groups bring it up to date from their other replicas.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { WalError } from './errors.js';
import { NodeWalFiles } from './node_wal_files.js';
import { segmentSeq } from './segments.js';
import { readWal } from './wal_reader.js';
import { DEFAULT_MAX_RECORD_BYTES } from './write_ahead_log.js';

export interface WalCheckReport {
  segments: number;
  frames: number;
  tornTailBytes: number;
}

/** Reads the whole log as a starting node would, without changing it. Throws the typed error a start would. */
export function checkWal(walDir: string): WalCheckReport {
  // readWal only reads: a torn tail is reported here and cut by the next start.
  const contents = readWal(new NodeWalFiles(walDir), DEFAULT_MAX_RECORD_BYTES);
  return { segments: contents.segments.length, frames: contents.frames.length, tornTailBytes: contents.tornTail?.droppedBytes ?? 0 };
}

export interface WalRepairResult {
  quarantineDir: string;
  movedFiles: string[];
}

/** Cuts `segment` at `offsetBytes`; the bytes after it and every later segment go to quarantine. */
export function repairWal(walDir: string, segment: string, offsetBytes: number): WalRepairResult {
  const seq = segmentSeq(segment);
  const segmentPath = path.join(walDir, segment);
  if (seq === undefined || !fs.existsSync(segmentPath)) throw new WalError('WalCorrupt', `no segment ${segment} in ${walDir}`);
  const sizeBytes = fs.statSync(segmentPath).size;
  if (!Number.isInteger(offsetBytes) || offsetBytes < 0 || offsetBytes > sizeBytes) {
    throw new WalError('WalCorrupt', `offset ${offsetBytes} is outside ${segment} (${sizeBytes} bytes)`);
  }
  const quarantineDir = path.join(walDir, 'quarantine', new Date().toISOString().replace(/[:.]/g, '-'));
  fs.mkdirSync(quarantineDir, { recursive: true });
  const moved: string[] = [];
  const tailName = `${segment}.from-${offsetBytes}`;
  const bytes = fs.readFileSync(segmentPath);
  fs.writeFileSync(path.join(quarantineDir, tailName), bytes.subarray(offsetBytes));
  moved.push(tailName);
  const fd = fs.openSync(segmentPath, 'r+');
  try {
    fs.ftruncateSync(fd, offsetBytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  for (const name of fs.readdirSync(walDir).sort()) {
    const later = segmentSeq(name);
    if (later !== undefined && later > seq) {
      fs.renameSync(path.join(walDir, name), path.join(quarantineDir, name));
      moved.push(name);
    }
  }
  return { quarantineDir, movedFiles: moved };
}
