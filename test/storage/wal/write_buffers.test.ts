// What memory a WAL write allocates. Each write used to copy its frames into a fresh 64 KiB block,
// however small the round: at one row per write that was most of a node's allocations, and V8 ran a
// full GC several times a second (docs/performance.md, fourth pass). The first block is now sized to
// what the write copies, up to a cap; the bytes on disk are the same either way (the other WAL tests).

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { WalRecord } from '../../../broker/host/wal_records.js';
import { MemoryWalFiles } from '../../../storage/wal/memory_wal_files.js';
import { Done, WalFile } from '../../../storage/wal/wal_files.js';
import { WriteAheadLog } from '../../../storage/wal/write_ahead_log.js';
import { closeWal, entryKeys, entryRecord, syncOnce } from './wal_test_support.js';

/** MemoryWalFiles that notes the backing buffers of every chunk written. */
class WatchedFiles extends MemoryWalFiles {
  readonly buffersPerWrite: Array<Set<ArrayBufferLike>> = [];

  override create(name: string, done: (error: Error | undefined, file?: WalFile) => void): void {
    super.create(name, (error, file) => done(error, file && this.watch(file)));
  }

  override open(name: string, done: (error: Error | undefined, file?: WalFile) => void): void {
    super.open(name, (error, file) => done(error, file && this.watch(file)));
  }

  private watch(file: WalFile): WalFile {
    return {
      write: (chunks: readonly Uint8Array[], position: number, done: Done) => {
        this.buffersPerWrite.push(new Set(chunks.map((c) => c.buffer)));
        file.write(chunks, position, done);
      },
      datasync: (done: Done) => file.datasync(done),
      truncate: (sizeBytes: number, done: Done) => file.truncate(sizeBytes, done),
      close: (done: Done) => file.close(done),
    };
  }

  allocatedBytes(write: number): number {
    let n = 0;
    for (const b of this.buffersPerWrite[write]!) n += b.byteLength;
    return n;
  }
}

it('a write of one small record allocates about its own size, not a 64 KiB block', async () => {
  const files = new WatchedFiles();
  const { wal } = WriteAheadLog.open({ files });
  for (let lsn = 1; lsn <= 3; lsn++) {
    wal.append([entryRecord(1, lsn, 2000)]);
    await syncOnce(wal);
  }
  assert.equal(files.buffersPerWrite.length, 3);
  for (let w = 0; w < 3; w++) {
    const bytes = files.allocatedBytes(w);
    assert.ok(bytes < 4096, `write ${w} copied its 2,000-byte record into ${bytes} bytes of blocks`);
  }
  await closeWal(wal);
  const { wal: again, recovery } = WriteAheadLog.open({ files });
  assert.deepEqual(entryKeys(recovery.records), ['1:1', '1:2', '1:3']);
  await closeWal(again);
});

it('a write of many small records stays bounded per block, and a large payload is referenced, not copied', async () => {
  const files = new WatchedFiles();
  const { wal } = WriteAheadLog.open({ files, maxSegmentBytes: 1 << 30 });
  const records: WalRecord[] = [];
  for (let lsn = 1; lsn <= 1000; lsn++) records.push(entryRecord(1, lsn, 2000)); // about 2 MB, all copied
  const big = entryRecord(1, 1001, 1 << 20);
  records.push(big);
  wal.append(records);
  await syncOnce(wal);
  const buffers = [...files.buffersPerWrite[0]!];
  const bigPayload = big.kind === 'entries' ? big.entries[0]!.data : undefined;
  assert.ok(buffers.includes(bigPayload!.buffer), 'the 1 MiB payload is written from its own buffer');
  const blocks = buffers.filter((b) => b !== bigPayload!.buffer);
  assert.ok(blocks.every((b) => b.byteLength <= 1 << 20), `blocks of ${blocks.map((b) => b.byteLength).join(', ')} bytes`);
  const copied = blocks.reduce((n, b) => n + b.byteLength, 0);
  assert.ok(copied < 2_200_000, `${copied} bytes of blocks for about 2.04 MB of small frames`);

  await closeWal(wal);
  const { wal: again, recovery } = WriteAheadLog.open({ files });
  assert.equal(entryKeys(recovery.records).length, 1001, 'every record reads back');
  await closeWal(again);
});
