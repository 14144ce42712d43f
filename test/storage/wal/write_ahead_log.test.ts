// The write-ahead log over the in-memory file layer: group commit, segments, crashes, damage,
// full disks and failed syncs, and releasing segments a checkpoint covers.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '../../../broker/raft/random.js';
import { WalCorruptionError, WalMissingSegmentError, WalWriteError } from '../../../storage/wal/errors.js';
import { FRAME_HEADER_BYTES } from '../../../storage/wal/frame.js';
import { MemoryWalFiles } from '../../../storage/wal/memory_wal_files.js';
import { segmentName } from '../../../storage/wal/segments.js';
import { WriteAheadLog } from '../../../storage/wal/write_ahead_log.js';
import { entryKeys, entryRecord, isIntactPayload, syncOnce } from './wal_test_support.js';

function openWal(files: MemoryWalFiles, maxSegmentBytes = 4096, dataSync = true) {
  return WriteAheadLog.open({ files, maxSegmentBytes, dataSync });
}

describe('write-ahead log', () => {
  it('gives back every synced record after reopening, in order, across segments', async () => {
    const files = new MemoryWalFiles();
    const { wal } = openWal(files, 1000);
    for (let i = 1; i <= 100; i++) wal.append([entryRecord(i % 3, i, 50)]);
    await syncOnce(wal);
    assert.ok(files.list().length > 5, `expected several segments, got ${files.list().length}`);
    const { recovery } = openWal(files, 1000);
    assert.deepEqual(entryKeys(recovery.records), Array.from({ length: 100 }, (_, k) => `${(k + 1) % 3}:${k + 1}`));
    assert.equal(recovery.tornTail, undefined);
  });

  it('serves every writer that waits during a sync with one more fdatasync (group commit)', async () => {
    const files = new MemoryWalFiles();
    const { wal } = openWal(files, 1 << 20);
    wal.append([entryRecord(1, 1)]);
    const first = syncOnce(wal);
    await new Promise((r) => setImmediate(r)); // the first flush is now in flight
    const rest: Promise<void>[] = [];
    for (let i = 2; i <= 17; i++) {
      wal.append([entryRecord(1, i)]);
      rest.push(syncOnce(wal));
    }
    await Promise.all([first, ...rest]);
    assert.equal(wal.stats.fdatasyncs, 2);
    assert.equal(wal.stats.flushes, 2);
  });

  it('after a crash at any point keeps every acknowledged record exactly once and no partial one', async () => {
    for (let seed = 1; seed <= 60; seed++) {
      const rng = new SeededRandom(seed);
      const files = new MemoryWalFiles();
      let { wal } = openWal(files, 2000);
      const acked = new Set<string>();
      let lsn = 0;
      for (let life = 0; life < 4; life++) {
        const inFlight: Promise<void>[] = [];
        const writes = 5 + rng.intBelow(30);
        for (let w = 0; w < writes; w++) {
          const key = `1:${++lsn}`;
          wal.append([entryRecord(1, lsn, 10 + rng.intBelow(300))]);
          inFlight.push(syncOnce(wal).then(() => void acked.add(key)));
          if (rng.chance(0.3)) await inFlight[inFlight.length - 1];
        }
        await new Promise((r) => setImmediate(r)); // let some I/O complete, not all
        files.crash((n) => rng.intBelow(n));
        const reopened = openWal(files, 2000);
        const keys = entryKeys(reopened.recovery.records);
        assert.equal(new Set(keys).size, keys.length, `seed ${seed}: a record appears twice`);
        for (const k of acked) assert.ok(keys.includes(k), `seed ${seed}: acknowledged ${k} lost`);
        for (const r of reopened.recovery.records) {
          if (r.kind === 'entries') for (const e of r.entries) assert.ok(e.data.length >= 10 && isIntactPayload(r.group, e.index, e.data), `seed ${seed}: partial record`);
        }
        wal = reopened.wal;
        // Later lives continue after what survived.
        lsn = Math.max(lsn, ...keys.map((k) => Number(k.split(':')[1])));
        for (const k of keys) acked.add(k);
      }
    }
  });

  it('cuts a torn tail off and appends after it', async () => {
    const files = new MemoryWalFiles();
    const { wal } = openWal(files);
    for (let i = 1; i <= 3; i++) wal.append([entryRecord(1, i, 100)]);
    await syncOnce(wal);
    const name = segmentName(1);
    files.mutate(name, (b) => b.subarray(0, b.length - 40)); // the last frame lost its end
    const { wal: again, recovery } = openWal(files);
    assert.deepEqual(entryKeys(recovery.records), ['1:1', '1:2']);
    assert.equal(recovery.tornTail?.segment, name);
    again.append([entryRecord(1, 3, 100)]);
    await syncOnce(again);
    assert.deepEqual(entryKeys(openWal(files).recovery.records), ['1:1', '1:2', '1:3']);
  });

  it('treats a last frame whose unwritten sectors read as zeros as torn', async () => {
    const files = new MemoryWalFiles();
    const { wal } = openWal(files);
    wal.append([entryRecord(1, 1, 100), entryRecord(1, 2, 2000)]);
    await syncOnce(wal);
    files.mutate(segmentName(1), (b) => {
      const out = b.slice();
      out.fill(0, out.length - 1200); // blocks allocated, never written
      return out;
    });
    const { recovery } = openWal(files);
    assert.deepEqual(entryKeys(recovery.records), ['1:1']);
    assert.ok(recovery.tornTail);
  });

  it('stops on a flipped bit before the tail, naming the segment and the offset', async () => {
    const files = new MemoryWalFiles();
    const { wal } = openWal(files);
    for (let i = 1; i <= 5; i++) wal.append([entryRecord(1, i, 100)]);
    await syncOnce(wal);
    const frameBytes = FRAME_HEADER_BYTES + 100;
    const secondFrameAt = FRAME_HEADER_BYTES + 8 + frameBytes; // segment header (header + 8-byte magic), then frame 1
    files.mutate(segmentName(1), (b) => {
      const out = b.slice();
      out[secondFrameAt + 50]! ^= 0x10;
      return out;
    });
    assert.throws(
      () => openWal(files),
      (e: unknown) => e instanceof WalCorruptionError && e.segment === segmentName(1) && e.offset === secondFrameAt && /shoal wal-repair/.test(e.message),
    );
  });

  it('stops on a flipped bit in the last frame when its bytes are all there (damage, not a torn write)', async () => {
    const files = new MemoryWalFiles();
    const { wal } = openWal(files);
    for (let i = 1; i <= 2; i++) wal.append([entryRecord(1, i, 100)]);
    await syncOnce(wal);
    files.mutate(segmentName(1), (b) => {
      const out = b.slice();
      out[out.length - 10]! ^= 0x01;
      return out;
    });
    assert.throws(() => openWal(files), WalCorruptionError);
  });

  it('stops when a segment in the middle is missing', async () => {
    const files = new MemoryWalFiles();
    const { wal } = openWal(files, 600);
    for (let i = 1; i <= 30; i++) wal.append([entryRecord(1, i, 100)]);
    await syncOnce(wal);
    files.mutate(segmentName(2), () => undefined);
    assert.throws(() => openWal(files, 600), (e: unknown) => e instanceof WalMissingSegmentError && e.missing === segmentName(2));
  });

  it('fails writes on a full disk without acknowledging them, stays readable, and resumes when space returns', async () => {
    const files = new MemoryWalFiles({ capacityBytes: 2000 });
    const { wal } = openWal(files, 1 << 20);
    for (let i = 1; i <= 5; i++) wal.append([entryRecord(1, i, 100)]);
    await syncOnce(wal);
    wal.append([entryRecord(1, 6, 3000)]);
    await assert.rejects(syncOnce(wal), (e: unknown) => e instanceof WalWriteError && e.osCode === 'ENOSPC' && /Free disk space/.test(e.message));
    assert.deepEqual(entryKeys(openWal(files, 1 << 20).recovery.records), ['1:1', '1:2', '1:3', '1:4', '1:5'], 'readable, failed write absent');
    wal.append([entryRecord(1, 7, 100)]); // fits in what the failed write left free
    await syncOnce(wal);
    wal.append([entryRecord(1, 8, 3000)]);
    await assert.rejects(syncOnce(wal), WalWriteError);
    files.capacityBytes = 1 << 20; // space returns
    wal.append([entryRecord(1, 9, 3000)]);
    await syncOnce(wal);
    assert.deepEqual(entryKeys(openWal(files, 1 << 20).recovery.records), ['1:1', '1:2', '1:3', '1:4', '1:5', '1:7', '1:9']);
  });

  it('fails the batch whose fdatasync reports EIO, and the next sync works', async () => {
    const files = new MemoryWalFiles();
    const { wal } = openWal(files);
    wal.append([entryRecord(1, 1)]);
    await syncOnce(wal);
    files.failNextSync('EIO');
    wal.append([entryRecord(1, 2)]);
    await assert.rejects(syncOnce(wal), (e: unknown) => e instanceof WalWriteError && e.osCode === 'EIO');
    wal.append([entryRecord(1, 3)]);
    await syncOnce(wal);
    assert.deepEqual(entryKeys(openWal(files).recovery.records), ['1:1', '1:3']);
  });

  it('with dataSync=false acknowledges after the write without fdatasync, and a crash leaves a clean log', async () => {
    const files = new MemoryWalFiles();
    const { wal } = openWal(files, 1 << 20, false);
    for (let i = 1; i <= 10; i++) {
      wal.append([entryRecord(1, i, 200)]);
      await syncOnce(wal);
    }
    assert.equal(wal.stats.fdatasyncs, 0);
    files.crash(() => 1000); // a power loss keeps 1000 of the unsynced bytes
    const { recovery } = openWal(files, 1 << 20, false);
    const keys = entryKeys(recovery.records);
    assert.ok(keys.length < 10, 'some acknowledged writes were lost: the documented cost of dataSync=0');
    assert.deepEqual(keys, keys.map((_, i) => `1:${i + 1}`), 'what survives is a clean prefix');
  });

  it('with dataSync=false still syncs each segment it seals, so a power loss costs only the open one', async () => {
    const files = new MemoryWalFiles();
    const { wal } = openWal(files, 700, false);
    for (let i = 1; i <= 30; i++) {
      wal.append([entryRecord(1, i, 100)]); // one record a flush: segments seal between flushes too
      await syncOnce(wal);
    }
    const segments = files.list().length;
    assert.ok(segments > 4);
    files.crash(() => 0); // every unsynced byte lost
    const keys = entryKeys(openWal(files, 700, false).recovery.records);
    assert.equal(files.list().length, segments);
    assert.ok(keys.length >= 30 - 4, `only the open segment's records may go (kept ${keys.length})`);
    assert.deepEqual(keys, keys.map((_, i) => `1:${i + 1}`));
  });

  it('stops on a sealed segment that lost its contents', async () => {
    const files = new MemoryWalFiles();
    const { wal } = openWal(files, 600);
    for (let i = 1; i <= 20; i++) wal.append([entryRecord(1, i, 100)]);
    await syncOnce(wal);
    files.mutate(segmentName(2), () => new Uint8Array(0));
    assert.throws(() => openWal(files, 600), (e: unknown) => e instanceof WalCorruptionError && e.segment === segmentName(2));
  });

  it('refuses a record over maxRecordBytes and appends nothing', async () => {
    const files = new MemoryWalFiles();
    const { wal } = WriteAheadLog.open({ files, maxRecordBytes: 100 });
    assert.throws(() => wal.append([entryRecord(1, 1, 50), entryRecord(1, 2, 101)]), /exceeds maxRecordBytes 100/);
    await syncOnce(wal);
    assert.deepEqual(entryKeys(WriteAheadLog.open({ files }).recovery.records), []);
  });

  it('releases every segment before the latest durable checkpoint, and only those', async () => {
    const files = new MemoryWalFiles();
    const { wal } = openWal(files, 700);
    const release = () =>
      new Promise<string[]>((resolve, reject) => wal.releaseBeforeCheckpoint((e, names) => (e ? reject(e) : resolve(names))));
    for (let i = 1; i <= 20; i++) wal.append([entryRecord(1, i, 100)]);
    await syncOnce(wal);
    assert.deepEqual(await release(), [], 'no checkpoint yet: nothing goes');
    const before = wal.segmentNames();
    wal.beginCheckpoint();
    wal.append([entryRecord(1, 20, 100)]); // the restated state
    wal.append([entryRecord(1, 21, 100)]);
    const released = await release();
    assert.deepEqual(released, before, 'every segment written before the checkpoint');
    const { recovery } = openWal(files, 700);
    assert.deepEqual(entryKeys(recovery.records), ['1:20', '1:21']);
  });

  it('does not release anything for a checkpoint whose records failed to write', async () => {
    const files = new MemoryWalFiles();
    const { wal } = openWal(files, 700);
    for (let i = 1; i <= 20; i++) wal.append([entryRecord(1, i, 100)]);
    await syncOnce(wal);
    wal.beginCheckpoint();
    wal.append([entryRecord(1, 20, 100)]);
    files.failNextWrite('EIO');
    await assert.rejects(syncOnce(wal), WalWriteError);
    const released = await new Promise<string[]>((resolve, reject) => wal.releaseBeforeCheckpoint((e, names) => (e ? reject(e) : resolve(names))));
    assert.deepEqual(released, []);
    assert.equal(entryKeys(openWal(files, 700).recovery.records).length, 20);
  });
});
