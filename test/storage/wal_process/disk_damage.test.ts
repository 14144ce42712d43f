// Damage to the log's files on the real disk (NodeWalFiles in a temp dir), done with the same
// tools an operator or a failing disk would: truncate, flip a bit, delete a file, fill the disk.
// The in-memory file layer tests the same rules (test/storage/wal/write_ahead_log.test.ts); these
// check that the node implementation of the file layer keeps them on a real file system.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { WalRecord } from '../../../broker/host/wal_records.js';
import { WalCorruptionError, WalMissingSegmentError, WalWriteError } from '../../../storage/wal/errors.js';
import { FRAME_HEADER_BYTES } from '../../../storage/wal/frame.js';
import { NodeWalFiles } from '../../../storage/wal/node_wal_files.js';
import { segmentName } from '../../../storage/wal/segments.js';
import { WriteAheadLog } from '../../../storage/wal/write_ahead_log.js';
import { closeWal, entryKeys, entryRecord, syncOnce } from '../wal/wal_test_support.js';

/** A segment starts with its header frame: the frame header and the 8-byte magic. */
const SEGMENT_HEADER_BYTES = FRAME_HEADER_BYTES + 8;
const PAYLOAD_BYTES = 1000;
const FRAME_BYTES = FRAME_HEADER_BYTES + PAYLOAD_BYTES;
/** Three frames of PAYLOAD_BYTES fit in a segment, a fourth starts the next one. */
const SMALL_SEGMENT_BYTES = SEGMENT_HEADER_BYTES + 3 * FRAME_BYTES;

function withTempDir(run: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-wal-damage-'));
    try {
      await run(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

function open(dir: string, maxSegmentBytes = SMALL_SEGMENT_BYTES) {
  return WriteAheadLog.open({ files: new NodeWalFiles(dir), maxSegmentBytes });
}

/** Writes records 1..count of group 1, syncs and closes the log. */
async function writeRecords(dir: string, count: number): Promise<void> {
  const { wal } = open(dir);
  for (let lsn = 1; lsn <= count; lsn++) wal.append([entryRecord(1, lsn, PAYLOAD_BYTES)]);
  await syncOnce(wal);
  await closeWal(wal);
}

function keys(from: number, to: number, group = 1): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => `${group}:${from + i}`);
}

/** Every recovered entry must carry exactly the bytes entryRecord gave it. */
function assertExactPayloads(records: readonly WalRecord[], bytesOf: (lsn: number) => number): void {
  for (const r of records) {
    assert.equal(r.kind, 'entries');
    if (r.kind !== 'entries') continue;
    for (const e of r.entries) {
      const want = entryRecord(r.group, e.index, bytesOf(e.index));
      assert.ok(want.kind === 'entries' && Buffer.from(e.data).equals(Buffer.from(want.entries[0]!.data)), `${r.group}:${e.index} payload differs`);
    }
  }
}

function segmentPath(dir: string, seq: number): string {
  return path.join(dir, segmentName(seq));
}

function segmentCount(dir: string): number {
  return fs.readdirSync(dir).filter((n) => n.startsWith('wal-')).length;
}

function flipBit(file: string, offset: number, mask: number): void {
  const bytes = fs.readFileSync(file);
  bytes[offset]! ^= mask;
  fs.writeFileSync(file, bytes);
}

function snapshotDir(dir: string): Map<string, Buffer> {
  return new Map(fs.readdirSync(dir).map((n) => [n, fs.readFileSync(path.join(dir, n))]));
}

describe('write-ahead log on a real disk: damaged files', () => {
  // 10 records, three per segment: segments 1-3 hold 1-9, segment 4 holds record 10 alone.
  for (const [cut, where] of [
    [PAYLOAD_BYTES / 2, 'in the payload'],
    [FRAME_BYTES - 10, 'in the header'],
  ] as const) {
    it(`cuts off a last record torn ${where}, reports the torn tail, and appends after it`, withTempDir(async (dir) => {
      await writeRecords(dir, 10);
      const last = segmentCount(dir);
      assert.equal(last, 4);
      const file = segmentPath(dir, last);
      const fullBytes = fs.statSync(file).size;
      assert.equal(fullBytes, SEGMENT_HEADER_BYTES + FRAME_BYTES);
      fs.truncateSync(file, fullBytes - cut);

      const { wal, recovery } = open(dir);
      assert.deepEqual(entryKeys(recovery.records), keys(1, 9));
      assert.equal(recovery.tornTail?.segment, segmentName(last));
      assert.equal(recovery.tornTail?.offsetBytes, SEGMENT_HEADER_BYTES);
      assert.equal(recovery.tornTail?.droppedBytes, FRAME_BYTES - cut);
      assert.equal(fs.statSync(file).size, SEGMENT_HEADER_BYTES, 'the torn bytes are gone from the file');

      for (let lsn = 10; lsn <= 14; lsn++) wal.append([entryRecord(1, lsn, PAYLOAD_BYTES)]);
      await syncOnce(wal);
      await closeWal(wal);
      const again = open(dir).recovery;
      assert.deepEqual(entryKeys(again.records), keys(1, 14));
      assert.equal(again.tornTail, undefined);
      assertExactPayloads(again.records, () => PAYLOAD_BYTES);
    }));
  }

  // [segment, frame in it, byte in the frame, bit mask, what]
  for (const [seq, frameIndex, at, mask, what] of [
    [1, 1, 500, 0x04, 'a payload byte of a sealed segment'],
    [1, 2, 24, 0x01, 'the LSN field of a sealed segment'],
    [2, 0, 0, 0x10, 'the length field of a sealed segment (it claims 16 bytes more)'],
    [4, 0, 0, 0x08, 'the length field of the complete last frame (it claims 8 bytes less)'],
    [4, 0, 700, 0x04, 'a payload byte of the complete last frame'],
  ] as const) {
    it(`stops on a flipped bit in ${what}, naming segment and offset, and changes no file`, withTempDir(async (dir) => {
      await writeRecords(dir, 10);
      const frameAt = SEGMENT_HEADER_BYTES + frameIndex * FRAME_BYTES;
      flipBit(segmentPath(dir, seq), frameAt + at, mask);
      const before = snapshotDir(dir);
      assert.throws(
        () => open(dir),
        (e: unknown) =>
          e instanceof WalCorruptionError &&
          e.segment === segmentName(seq) &&
          e.offset === frameAt &&
          e.message.includes(`segment ${segmentName(seq)} at byte offset ${frameAt}`) &&
          e.message.includes('shoal wal-repair'),
      );
      assert.deepEqual(snapshotDir(dir), before, 'a refused open must not repair anything by itself');
    }));
  }

  // Found while writing these tests: a length outside every checksum let a flip that enlarges the
  // last frame read as 'payload cut short', the torn-write case, and cut an acknowledged record.
  // The header now has its own CRC over the length.
  it('stops on a flipped bit that enlarges the length field of the complete last frame', withTempDir(async (dir) => {
    await writeRecords(dir, 10);
    const file = segmentPath(dir, 4);
    // 1000 = 0x03e8: bit 4 of the low byte is clear, so the frame now claims 1016 bytes.
    flipBit(file, SEGMENT_HEADER_BYTES, 0x10);
    const before = snapshotDir(dir);
    assert.throws(() => open(dir), WalCorruptionError, 'the acknowledged record 1:10 was cut off as a torn tail');
    assert.deepEqual(snapshotDir(dir), before);
  }));

  it('stops when a middle segment was deleted, naming it, and changes no file', withTempDir(async (dir) => {
    await writeRecords(dir, 10);
    fs.unlinkSync(segmentPath(dir, 2));
    const before = snapshotDir(dir);
    assert.throws(
      () => open(dir),
      (e: unknown) => e instanceof WalMissingSegmentError && e.missing === segmentName(2) && e.after === segmentName(3) && e.message.includes(segmentName(2)),
    );
    assert.deepEqual(snapshotDir(dir), before);
  }));
});

describe('write-ahead log on a real disk: a full file system', () => {
  it('fails syncs with ENOSPC unacknowledged, stays readable with exactly the acknowledged records, and resumes once space returns', async (t) => {
    const mountDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-wal-tmpfs-'));
    try {
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountDir], { stdio: 'pipe' });
      } catch (e) {
        const why = ((e as { stderr?: Buffer }).stderr?.toString() || (e as Error).message).trim();
        t.skip(`tmpfs mount not permitted here: ${why}. The in-memory file layer test covers ENOSPC.`);
        return;
      }
      try {
        await fillAndRecover(mountDir);
      } finally {
        execFileSync('umount', [mountDir], { stdio: 'pipe' });
      }
    } finally {
      fs.rmSync(mountDir, { recursive: true, force: true });
    }
  });
});

const FULL_DISK_RECORD_BYTES = 16 * 1024;

/** On a 1 MiB tmpfs: a 256 KiB filler file, then records until the disk is full. */
async function fillAndRecover(mountDir: string): Promise<void> {
  const filler = path.join(mountDir, 'filler');
  fs.writeFileSync(filler, new Uint8Array(256 * 1024));
  const dir = path.join(mountDir, 'wal');
  const { wal } = open(dir, 256 * 1024);
  const acked: string[] = [];
  let failure: unknown;
  let lsn = 0;
  try {
    // 1 MiB holds at most 64 records of 16 KiB: the loop is bounded well past the point of failure.
    while (lsn < 200 && failure === undefined) {
      wal.append([entryRecord(1, ++lsn, FULL_DISK_RECORD_BYTES)]);
      await syncOnce(wal).then(() => acked.push(`1:${lsn}`), (e: unknown) => (failure = e));
    }
    assert.ok(
      failure instanceof WalWriteError && failure.osCode === 'ENOSPC' && /Free disk space/.test(failure.message),
      `expected WalWriteError ENOSPC, got ${String(failure)}`,
    );
    assert.ok(acked.length >= 10, `only ${acked.length} records fitted before ENOSPC`);

    // A second process reading the log now sees exactly what was acknowledged, intact.
    const meanwhile = open(dir, 256 * 1024).recovery;
    assert.deepEqual(entryKeys(meanwhile.records), acked);
    assert.equal(meanwhile.tornTail, undefined, 'the failed write was cut back, not left as a torn tail');
    assertExactPayloads(meanwhile.records, () => FULL_DISK_RECORD_BYTES);

    fs.unlinkSync(filler); // space returns
    const resumedFrom = lsn + 1;
    for (let i = 0; i < 8; i++) {
      wal.append([entryRecord(1, ++lsn, FULL_DISK_RECORD_BYTES)]);
      await syncOnce(wal);
      acked.push(`1:${lsn}`);
    }
    assert.ok(resumedFrom > 1);
  } finally {
    await closeWal(wal).catch(() => undefined);
  }
  const after = open(dir, 256 * 1024).recovery;
  assert.deepEqual(entryKeys(after.records), acked, 'the failed record is absent, everything acknowledged present');
  assertExactPayloads(after.records, () => FULL_DISK_RECORD_BYTES);
}
